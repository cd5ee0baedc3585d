"""Collect the configured sources into canonical tables: join order lines to their headers, fill what a
log lacks, protect PII, validate, stage the result, and reconcile the sources (交叉验证).

Reading, parsing and privacy live in :mod:`custseg.sources`; this module assembles what they return.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd

from custseg import schema
from custseg.config.names import check_names
from custseg.errors import SourceError
from custseg.schema import (
    FILL,
    SCHEMAS,
    STATUSES,
    TRANSACTION_COLUMNS,
    configured,
    fetch,
    ids_case_sensitive,
    normalise_id,
)
from custseg.sources.mapping import read_source
from custseg.sources.parsing import strip_leading_zeros
from custseg.sources.privacy import pii_key, protect_ids, protect_pii, without_pii
from custseg.sources.readers import fail, location

__all__ = ["TRANSACTION_COLUMNS", "Collected", "SourceError", "collect", "read_campaign", "read_source", "reconcile",
           "source_totals"]


@functools.cache
def transactions_schema():
    """The collected transactions as custseg.clean and custseg.features expect them (a pandera schema checked
    in the engine; built on first use, as importing pandera costs ~0.4 s)."""
    import pandera.ibis as pa

    return pa.DataFrameSchema({
        "order_id": pa.Column(str, nullable=True), "line_no": pa.Column(int, nullable=True),
        "customer_id": pa.Column(str, nullable=True), "order_ts": pa.Column(ibis.dtype("timestamp"), nullable=True),
        "channel": pa.Column(str), "status": pa.Column(str, pa.Check.isin(list(STATUSES))),
        "product_id": pa.Column(str, nullable=True), "category": pa.Column(str),
        "quantity": pa.Column(float, nullable=True), "unit_price": pa.Column(float, nullable=True),
        "discount": pa.Column(float), "order_missing": pa.Column(bool), "amount": pa.Column(float, nullable=True),
    }, strict=True, ordered=True)


def read_transactions(con, cfg: dict) -> tuple[ir.Table, list[dict]]:
    """The transaction log at line grain in the canonical shape (:data:`TRANSACTION_COLUMNS`).

    With an ``orders`` source, lines are joined to their order headers on ``order_id``; lines whose
    order is missing are kept (``order_missing``) so cleaning can quarantine them. Missing optional
    columns are derived or filled: ``amount`` = quantity × unit price − discount (or, given only an
    amount, quantity ±1 and unit price |amount|); without an order id each customer × timestamp is an
    order; channel and category ``unknown``; status ``completed``; discount 0.
    """
    has_orders = configured(cfg["sources"]["orders"])
    where = location(cfg, "transactions")
    lines, report = read_source(con, cfg, "transactions", {"order_id"} if has_orders else {"customer_id", "order_ts"})
    check_id_case(cfg, "transactions", lines)
    t = lines
    if has_orders:
        orders, more = read_source(con, cfg, "orders")
        check_id_case(cfg, "orders", orders)
        report += more
        _check_unique(orders, "order_id", "orders", location(cfg, "orders"), cfg["validation"]["examples"])
        orders = orders.mutate(_header=ibis.literal(True))
        t = lines.left_join(orders, "order_id")
        t = t.drop("order_id_right") if "order_id_right" in t.columns else t
        both = [c for c in orders.columns if c in lines.columns and c != "order_id"]
        t = t.mutate(**{c: ibis.coalesce(t[c], t[f"{c}_right"]) for c in both}).drop(*[f"{c}_right" for c in both])
        t = t.mutate(order_missing=t._header.isnull()).drop("_header")
    else:
        t = t.mutate(order_missing=ibis.literal(False))
    for c in ("customer_id", "order_ts"):
        if c not in t.columns:
            raise fail("transactions", where, f"no column for {c} (neither in the lines nor in the orders)",
                        f"map it in sources.transactions.columns.{c} or sources.orders.columns.{c}")
    if "amount" not in t.columns and not {"quantity", "unit_price"} <= set(t.columns):
        raise fail("transactions", where, "neither an amount nor quantity and unit_price",
                    "map sources.transactions.columns.amount, or columns.quantity and columns.unit_price")
    return _complete(t, cfg["sources"]["transactions"]), report


def _complete(t: ir.Table, spec: dict) -> ir.Table:
    """Derive or fill the canonical transaction columns a source lacks (see :func:`read_transactions`)."""
    cols = set(t.columns)
    if "discount" not in cols:
        t = t.mutate(discount=ibis.literal(0.0))
    t = t.mutate(discount=t.discount.fill_null(0.0))
    if "amount" not in cols:
        t = t.mutate(amount=t.quantity * t.unit_price - t.discount)
    elif "quantity" not in cols:
        t = t.mutate(quantity=ibis.ifelse(t.amount < 0, -1.0, 1.0))
    if "unit_price" not in cols:
        t = t.mutate(unit_price=ibis.ifelse(t.quantity != 0, ((t.amount + t.discount) / t.quantity), ibis.null(
            "float64")))
    if "order_id" not in cols:
        t = t.mutate(order_id=t.customer_id.concat("@", t.order_ts.cast("string")))
    status = t.status.lower() if "status" in cols else ibis.literal(FILL["status"])
    status = status.replace("canceled", "cancelled")
    for prefix, value in (spec.get("status_by_order_prefix") or {}).items():
        status = ibis.ifelse(t.order_id.startswith(prefix), value, status)
    t = t.mutate(status=status.fill_null(FILL["status"]))
    for c in ("channel", "category"):
        t = t.mutate(**{c: t[c].fill_null(FILL[c]) if c in cols else ibis.literal(FILL[c])})
    return t.select(
        t.order_id.cast("string"),
        (t.line_no if "line_no" in cols else ibis.null("float64")).cast("int64").name("line_no"),
        t.customer_id.cast("string"), t.order_ts.cast("timestamp"), t.channel, t.status,
        (t.product_id if "product_id" in cols else ibis.null("string")).name("product_id"),
        t.category, t.quantity.cast("float64"), t.unit_price.cast("float64"), t.discount.cast("float64"),
        t.order_missing, t.amount.cast("float64"))


def _check_unique(table: ir.Table, column: str, role: str, where: str, n_examples: int) -> None:
    dups = table.filter(table[column].notnull()).group_by(column).aggregate(n=ibis._.count()).filter(ibis._.n > 1)
    n = int(dups.count().execute())
    if n:
        examples = dups.order_by(ibis.desc("n"), column).limit(n_examples).execute()[column].tolist()
        raise fail(role, where, f"duplicate key: {n:,} values of {column} appear more than once, e.g. {examples}; "
                    f"joining would count their lines twice",
                    f"deduplicate the export, or map sources.{role}.columns.{column} to the real key")


def empty_transactions(con) -> ir.Table:
    """A transaction table with no lines (a customer table or survey without an order log), in the canonical shape."""
    frame = pd.DataFrame({
        "order_id": pd.Series(dtype="str"), "line_no": pd.Series(dtype="int64"),
        "customer_id": pd.Series(dtype="str"), "order_ts": pd.Series(dtype="datetime64[us]"),
        "channel": pd.Series(dtype="str"), "status": pd.Series(dtype="str"), "product_id": pd.Series(dtype="str"),
        "category": pd.Series(dtype="str"), "quantity": pd.Series(dtype="float64"),
        "unit_price": pd.Series(dtype="float64"), "discount": pd.Series(dtype="float64"),
        "order_missing": pd.Series(dtype="bool"), "amount": pd.Series(dtype="float64")})
    return con.create_table("_custseg_no_transactions", frame, temp=True, overwrite=True)


def customers_from_survey(survey: ir.Table, case_sensitive: bool = False) -> ir.Table:
    """A customer table when there are only survey answers: the distinct (normalised) respondent ids."""
    return survey.filter(survey.respondent_id.notnull()).select(
        customer_id=normalise_id(survey.respondent_id, case_sensitive)).distinct()


def customers_from_transactions(transactions: ir.Table, case_sensitive: bool = False) -> ir.Table:
    """A customer table when there is no CRM: the distinct (normalised) ids of the transactions."""
    ids = transactions.filter(transactions.customer_id.notnull()).select(
        customer_id=normalise_id(transactions.customer_id, case_sensitive)).distinct()
    return ids


def check_id_case(cfg: dict, role: str, table: ir.Table) -> None:
    """Stop when a source holds customer ids that differ only by case (``Bn9Ke3`` / ``BN9Ke3``, ``c01`` /
    ``C01``) and the config has not said how to compare them: upper-casing would merge two customers if the case
    tells them apart, keeping the case would split one typed in two ways, so the user says which
    (``sources.<role>.id_case``, :func:`custseg.schema.id_case`).

    Raises
    ------
    SourceError
        With example spellings and the key to set.
    """
    column = next((c for c in schema.CUSTOMER_IDS if c in table.columns), None)
    if column is None or schema.id_case(cfg["sources"]) != "detect":
        return
    # the distinct spellings first (one pass over the rows), then their folded forms: folding a spelling as
    # normalised is folding the raw id (normalise_id only upper-cases on top)
    v = table.select(kept=normalise_id(table[column], True)).distinct()
    v = v.filter(v.kept.notnull()).mutate(folded=lambda t: normalise_id(t.kept))
    counts = v.aggregate(kept=v.count(), folded=v.folded.nunique()).execute().iloc[0]
    if counts["kept"] == counts["folded"]:  # no two spellings fold into one id
        return
    groups = v.group_by("folded").aggregate(n=ibis._.count())
    groups = groups.filter(groups.n > 1)
    n = int(groups.count().execute())
    if not n:
        return
    first = groups.order_by("folded").limit(cfg["validation"]["examples"]).select("folded")
    shown = v.semi_join(first, "folded").order_by(["folded", "kept"]).execute()
    examples = [" / ".join(g["kept"]) for _, g in shown.groupby("folded", sort=True)]
    raise fail(role, location(cfg, role), f"{n:,} customer ids of column {column} are written in spellings that "
               f"differ only by case, e.g. {examples}: custseg cannot tell whether each is one customer or two",
               f"set sources.{role}.id_case: insensitive if they are one customer typed in different cases (c01 "
               f"for C01), or sensitive if the case tells customers apart (codes like Bn9Ke3 and BN9Ke3)")


def complete_customers(customers: ir.Table) -> ir.Table:
    """Add the canonical customer columns a CRM lacks (as missing values), canonical ones first."""
    types = {"date": "date"}
    canonical = {c: (customers[c] if c in customers.columns else ibis.null(types.get(col.type, "string"))).name(c)
                 for c, col in SCHEMAS["customers"].items()}
    return customers.select(*canonical.values(), *[c for c in customers.columns if c not in canonical])


def preview(customers: ir.Table, n: int = 5) -> pd.DataFrame:
    """The first ``n`` customers with the columns the sources hold: the canonical columns a source lacks (added
    as missing values by :func:`complete_customers`) are left out, so a subscriber table does not show a row of
    empty birth dates and cities."""
    canonical = [c for c in SCHEMAS["customers"] if c in customers.columns and c != "customer_id"]
    held = customers.aggregate([customers[c].count().name(c) for c in canonical]).execute().iloc[0] if canonical \
        else pd.Series(dtype="int64")
    empty = [c for c in canonical if not held[c]]
    return customers.drop(*empty).head(n).execute() if empty else customers.head(n).execute()


@dataclass
class Collected:
    """The collected sources (canonical columns, PII protected) and what collection found."""

    customers: ir.Table
    transactions: ir.Table
    survey: ir.Table | None
    validation: pd.DataFrame  # one row per parsed source column: missing and unparseable values
    has_crm: bool
    pii_columns: list[str]  # PII columns found (dropped or pseudonymised)
    has_log: bool = True  # False: a customer table or survey without an order log (transactions is empty)


def collect(con, cfg: dict) -> Collected:
    """Read every configured source, validate it, protect PII and pseudonymise ids when configured.

    Raises
    ------
    SourceError
        A source that cannot be used as configured (the message says what to change).
    ConfigError
        Pseudonymisation configured without a key.
    """
    privacy = cfg["privacy"]
    pseudo = privacy["pii_action"] == "pseudonymise" or privacy["pseudonymise_ids"]
    key = pii_key(privacy) if pseudo else None
    has_log = configured(cfg["sources"]["transactions"])
    transactions, report = read_transactions(con, cfg) if has_log else (empty_transactions(con), [])
    crm, survey = read_source(con, cfg, "customers"), read_source(con, cfg, "survey")
    # every name the config refers to, checked as soon as the headers are known (not in 04 or 05)
    check_names(cfg, {role: list(found[0].columns) for role, found in (("transactions", (transactions, None)),
                                                                        ("customers", crm), ("survey", survey))
                      if found is not None and (role != "transactions" or has_log)})
    for role, found in (("customers", crm), ("survey", survey)):
        if found is not None:
            check_id_case(cfg, role, found[0])
            report += found[1]
    sensitive = ids_case_sensitive(cfg["sources"])
    survey = None if survey is None else survey[0]
    if crm is None:
        customers = (customers_from_transactions(transactions, sensitive) if has_log
                     else customers_from_survey(survey, sensitive))
    else:
        customers = crm[0]
    pii = sorted({c for t in (customers, transactions, survey) if t is not None for c in t.columns
                  if c in privacy["pii_columns"]})
    pii_hash_key = key if privacy["pii_action"] == "pseudonymise" else None
    customers = complete_customers(protect_pii(customers, privacy["pii_columns"], cfg["clean"]["test_account_patterns"],
                                               pii_hash_key))
    transactions = without_pii(transactions, privacy["pii_columns"], pii_hash_key)
    if survey is not None:
        survey = without_pii(survey, privacy["pii_columns"], pii_hash_key)
    if privacy["pseudonymise_ids"]:
        customers = customers.mutate(customer_id=protect_ids(customers.customer_id, privacy, key, sensitive))
        transactions = transactions.mutate(customer_id=protect_ids(transactions.customer_id, privacy, key, sensitive))
        if survey is not None:
            survey = survey.mutate(respondent_id=protect_ids(survey.respondent_id, privacy, key, sensitive))
    if has_log:
        check_transactions(transactions, location(cfg, "transactions"))
    return Collected(customers, transactions, survey, pd.DataFrame(report), crm is not None, pii, has_log)


def check_transactions(transactions: ir.Table, where: str = "transactions") -> ir.Table:
    """Validate the collected transactions against :func:`transactions_schema` (pandera, in the engine)."""
    from pandera.errors import SchemaError, SchemaErrors

    try:
        return transactions_schema().validate(transactions, lazy=True)
    except (SchemaErrors, SchemaError) as err:
        cases = getattr(err, "failure_cases", None)
        detail = cases[["column", "check", "failure_case"]].head(5).to_dict("records") if cases is not None else err
        raise fail("transactions", where, f"the collected table breaks the transaction schema: {detail}",
                    "report this as a custseg bug with the config used") from None


# ---------------------------------------------------------------------------------------------- reconciliation


FOLDED_SPELLINGS = "id spellings counted as a customer written another way"


def reconcile(customers: ir.Table, transactions: ir.Table, survey: ir.Table | None,
              has_crm: bool = True, has_log: bool = True, case_sensitive: bool = False,
              spellings: int | None = None) -> pd.DataFrame:
    """Cross-check the sources (交叉验证): who is in one source but not in another.

    Ids are compared as cleaning compares them (:func:`custseg.schema.normalise_id`). Without a CRM the
    customers are those of the transactions, so the CRM checks are left out; without a log, the order checks.
    ``spellings`` is the number of distinct ids of the log (without one, of the customer table) as the export
    writes them (:func:`source_totals`' ``customers``): when it is more than the distinct ids compared, a row
    says how many spellings were counted as a customer written another way (``c01`` beside ``C01``).
    """
    def ids(column):
        return normalise_id(column, case_sensitive)

    crm = customers.select(cid=ids(customers.customer_id)).distinct()
    if not has_log:
        rows = [("customers (distinct ids)", crm.count()), ("customer rows", customers.count())]
        if survey is not None and has_crm:
            resp = survey.select(cid=ids(survey.respondent_id)).distinct()
            rows += [("survey respondents", resp.count()),
                     ("survey respondents missing from the customer table", resp.anti_join(crm, "cid").count())]
        counted = None if spellings is None else int(crm.filter(crm.cid.notnull()).count().execute())
        return _with_folded(_counted(rows), "customers (distinct ids)", spellings, counted)
    buyers = transactions.filter(transactions.customer_id.notnull()).select(
        cid=ids(transactions.customer_id)).distinct()
    rows = [("customers with orders (distinct ids)", buyers.count()),
            ("order lines", transactions.count()),
            ("order lines without a customer id", transactions.customer_id.isnull().sum()),
            ("order lines without an order header", transactions.order_missing.sum())]
    if has_crm:
        rows = [("CRM customers (distinct ids)", crm.count()), *rows[:1],
                ("ordering customers missing from the CRM", buyers.anti_join(crm, "cid").count()),
                ("CRM customers without any order", crm.anti_join(buyers, "cid").count()), *rows[1:]]
    if survey is not None:
        resp = survey.select(cid=ids(survey.respondent_id)).distinct()
        known = crm if has_crm else buyers
        rows += [("survey respondents", resp.count()),
                 (f"survey respondents missing from the {'CRM' if has_crm else 'transactions'}",
                  resp.anti_join(known, "cid").count())]
    counts = _counted(rows)
    buyers_row = "customers with orders (distinct ids)"
    counted = int(counts.loc[counts["check"] == buyers_row, "count"].iloc[0])
    return _with_folded(counts, buyers_row, spellings, counted)


def _counted(rows: list) -> pd.DataFrame:
    """The reconciliation table of (check, count expression) pairs."""
    return pd.DataFrame({"check": [r[0] for r in rows], "count": [int(r[1].execute()) for r in rows]})


def _with_folded(counts: pd.DataFrame, after: str, spellings: int | None, counted: int | None) -> pd.DataFrame:
    """``counts`` with the row of spellings folded into another customer's id (``spellings`` − ``counted``)
    right after the row ``after``, when there are any."""
    if spellings is None or spellings - counted <= 0:
        return counts
    at = int(counts.index[counts["check"] == after][0]) + 1
    row = pd.DataFrame({"check": [FOLDED_SPELLINGS], "count": [spellings - counted]})
    return pd.concat([counts.iloc[:at], row, counts.iloc[at:]], ignore_index=True)


def check_ids_match(cfg: dict, collected: Collected) -> None:
    """Refuse a CRM and a log whose customer ids do not match, saying what would make them match.

    When most ordering customers are missing from the CRM but match once leading zeros are removed
    (``00100`` vs ``100``), the message names ``ids.strip_leading_zeros``; when none match at all, the
    id columns are probably mapped wrongly. A partial mismatch is left to cleaning (``unknown_customer``).
    """
    if not collected.has_crm:
        return
    t, c = collected.transactions, collected.customers
    sensitive = ids_case_sensitive(cfg["sources"])
    crm = c.select(cid=normalise_id(c.customer_id, sensitive)).filter(ibis._.cid.notnull()).distinct()
    buyers = t.select(cid=normalise_id(t.customer_id, sensitive)).filter(ibis._.cid.notnull()).distinct()
    n_buyers = int(buyers.count().execute())
    if n_buyers == 0:
        return
    unknown = buyers.anti_join(crm, "cid")
    n_unknown = int(unknown.count().execute())
    if n_unknown <= 0.5 * n_buyers:
        return
    n = cfg["validation"]["examples"]
    examples = [table.order_by("cid").limit(n).cid.execute().tolist() for table in (unknown, crm)]
    shown = f"e.g. {examples[0]} in the transactions and {examples[1]} in the CRM"
    zeros = strip_leading_zeros
    still = buyers.select(cid=zeros(buyers.cid)).distinct().anti_join(crm.select(cid=zeros(crm.cid)).distinct(), "cid")
    n_still = int(still.count().execute())
    where = location(cfg, "customers")
    if not cfg["ids"]["strip_leading_zeros"] and n_still <= 0.1 * n_buyers:
        raise fail("customers", where, f"{n_unknown:,} of {n_buyers:,} ordering customers are not in the CRM, but "
                   f"{n_buyers - n_still:,} match once leading zeros are removed ({shown})",
                   "set ids.strip_leading_zeros: true")
    if n_unknown == n_buyers:
        raise fail("customers", where, f"none of the {n_buyers:,} customer ids of the transactions is in the CRM "
                   f"({shown})", "map the id column of each source (sources.transactions.columns.customer_id, "
                   "sources.customers.columns.customer_id): the same customer must have the same id in both")


def source_totals(collected: Collected) -> pd.DataFrame:
    """Totals per source: rows, distinct customers and, for transactions, net amount and date range."""
    t = collected.transactions
    frames = [t.aggregate(rows=t.count(), customers=t.customer_id.nunique(), amount=t.amount.sum(),
                          first=t.order_ts.min(), last=t.order_ts.max()).execute().assign(source="transactions")
              ] if collected.has_log else []
    c = collected.customers
    frames.append(c.aggregate(rows=c.count(), customers=c.customer_id.nunique()).execute().assign(
        source="customers" if collected.has_crm else
    "customers (from transactions)" if collected.has_log else "customers (survey respondents)"))
    if collected.survey is not None:
        s = collected.survey
        frames.append(s.aggregate(rows=s.count(), customers=s.respondent_id.nunique()).execute().assign(
            source="survey"))
    out = pd.concat(frames, ignore_index=True)
    return out.reindex(columns=["source", "rows", "customers", "amount", "first", "last"])


def read_campaign(con, cfg: dict) -> pd.DataFrame:
    """The campaign results source (``sources.campaign``) read like any other, its ids normalised and
    pseudonymised as 01 does (:func:`custseg.sources.privacy.protect_ids`)."""
    table, _ = read_source(con, cfg, "campaign")
    check_id_case(cfg, "campaign", table)
    sensitive = ids_case_sensitive(cfg["sources"])
    return fetch(table.mutate(customer_id=protect_ids(table.customer_id, cfg["privacy"], None, sensitive)))
