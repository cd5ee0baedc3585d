"""Which columns of a customer table are services a customer holds (a phone line, streaming, an internet service of
DSL / Fiber optic / No), and each customer's services as a basket: the items of 08's offers on a table without a log
(:func:`custseg.offers.find_services`)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from custseg import i18n
from custseg.attributes import BINARY, _says, demographic_columns, is_flag, outcome_names, sensitive_columns

YES = frozenset(w for w, v in BINARY.items() if v == 1)
NO = frozenset(w for w, v in BINARY.items() if v == 0)
MAX_SERVICE_LABELS = 4  # yes, no and the labels saying it cannot be held ("No internet service", "No phone service")
MAX_KIND_LABELS = 8  # a category with a "No" label and at most this many labels is a service held in kinds (DSL, fibre)
NONE_LABELS = frozenset({"none"})  # besides the no-words of custseg.attributes.BINARY: "None" is not holding it
# words of a column name that say who a customer lives with, not a service they hold (demographics are left out by
# custseg.attributes.demographic_columns)
NOT_SERVICES = ("partner", "spouse", "child", "kid", "famil", "household", "配偶", "子女", "家庭", "同意", "授权")
# words of a column name that say how a customer is billed or pays (paperless billing, autopay), not a service
BILLING = ("bill", "paperless", "invoice", "statement", "payment", "autopay", "账单", "发票", "支付", "付款", "缴费")


def service_columns(customers: pd.DataFrame, outcomes: dict | list | None = None, sensitive: list | tuple = (),
                    among: list | None = None, exclude: list | tuple = ()) -> list[str]:
    """The columns of a customer table that say whether each customer holds a service one can offer (a phone
    line, streaming, an international plan, internet of some kind): 0/1 flags, columns labelled yes/no — with the
    labels that say a service cannot be held ("No internet service") counted as no —, and categories with a "No"
    label (internet service DSL / Fiber optic / No: held unless No). Why each other such column is not one:
    :func:`service_choice`."""
    return service_choice(customers, outcomes, sensitive, among, exclude)[0]


def service_choice(customers: pd.DataFrame, outcomes: dict | list | None = None, sensitive: list | tuple = (),
                   among: list | None = None, exclude: list | tuple = ()) -> tuple[list[str], dict[str, str]]:
    """The offerable service columns (:func:`service_columns`), and each service-like column left out → why.

    Outcomes (``outcome``), demographics (:func:`custseg.attributes.demographic_columns`), sensitive traits
    (:func:`custseg.attributes.sensitive_columns`, with the config's ``sensitive``) and household columns
    (:data:`NOT_SERVICES`: partner, children, opt-ins …) are who a customer is or what they did (``who``); billing
    columns (:data:`BILLING`: paperless billing, autopay) how they pay (``billing``). None of them is an item; nor
    are ``exclude`` (the contact and consent columns, not said). ``among``: the customer table's own columns
    (custseg's features, such as a share of orders per channel, are never services).

    A column whose "no" other columns repeat as a nested label (PhoneService, InternetService:
    :func:`custseg.relations.gates`) is a service too — the one a segment without it is offered first (internet
    for phone-only subscribers); its rules with the add-ons it gates are structural and are no offer
    (:func:`custseg.offers.find_services`).
    """
    columns = [c for c in customers.columns if c not in ("customer_id", "segment") and (among is None or c in among)]
    outcome = set(outcome_names(outcomes))
    who = {*demographic_columns(columns), *sensitive_columns(columns, sensitive)}
    out, left = [], {}
    for column in columns:
        if column in exclude or not is_service(customers[column]):
            continue
        if column in outcome:
            left[column] = "outcome"
        elif column in who or _says(str(column), NOT_SERVICES, ("opt", "optin", "consent")):
            left[column] = "who"
        elif _says(str(column), BILLING):
            left[column] = "billing"
        else:
            out.append(column)
    return out, left


def _labels(values: pd.Series) -> set[str]:
    return set(values.dropna().astype("str").str.strip().str.lower().unique())


def _says_no(label: str) -> bool:
    """A label saying the customer does not hold the service: No, 否, None, "No internet service"."""
    return label in NO or label in NONE_LABELS or label.startswith("no ")


def is_service(values: pd.Series) -> bool:
    """Whether a column can say which customers hold a service: a 0/1 flag, labels yes/no (and "No … service"),
    or a category of a few labels one of which says no (DSL / Fiber optic / No: held unless No)."""
    if is_flag(values):
        return True
    if pd.api.types.is_numeric_dtype(values):
        return False
    labels = _labels(values)
    if labels & YES and len(labels) <= MAX_SERVICE_LABELS and all(v in YES or _says_no(v) for v in labels):
        return True
    held = [v for v in labels if not _says_no(v)]
    return bool(held) and len(held) < len(labels) <= MAX_KIND_LABELS


def left_out_note(left: dict[str, str], language: str) -> str:
    """The sentence saying which service-like columns are not offered as services, why, and how to include them."""
    if not left:
        return ""
    m = i18n.messages(language)["offers"]
    parts = []
    for why in ("billing", "who", "outcome"):
        named = [c for c, w in left.items() if w == why]
        if named:
            parts.append(m["left_out_why"][why].format(columns=", ".join(named)))
    return m["left_out"].format(parts=i18n.join(parts, language))


def held(customers: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Per customer (rows of ``customers``) and service column: whether the customer holds it (1, a yes label, or
    any label of a category but its no: DSL and Fiber optic hold internet, No does not)."""
    out = {}
    for column in columns:
        values = customers[column]
        if pd.api.types.is_numeric_dtype(values):
            out[column] = values == 1
        else:
            text = values.astype("str").str.strip().str.lower()
            out[column] = values.notna() & ~(text.isin(NO | NONE_LABELS) | text.str.startswith("no "))
    return pd.DataFrame(out, index=customers.index)


def service_baskets(customers: pd.DataFrame, columns: list[str]) -> ir.Table:
    """The services each customer holds as a basket (basket = customer), as :func:`custseg.offers.baskets` gives
    a log's."""
    holds = held(customers, columns).set_axis(customers["customer_id"].astype("str"))
    long = holds.rename_axis("customer_id").reset_index().melt("customer_id", var_name="item", value_name="has")
    long = long[long["has"]].drop(columns="has").sort_values(["customer_id", "item"], ignore_index=True)
    return ibis.memtable(long.assign(basket=long["customer_id"], item=long["item"].astype("str"))[
        ["basket", "customer_id", "item"]])
