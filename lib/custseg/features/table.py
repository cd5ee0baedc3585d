"""The customer table: behaviour, demographics, the typed attributes and the survey, one row per customer,
with its columns grouped by the four classic segmentation dimensions."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from custseg import attributes, relations
from custseg.features.behaviour import behaviour
from custseg.reference import REGIONS
from custseg.schema import SCHEMAS, normalise_id, round_decimals

DEMOGRAPHIC = ["age", "age_band", "gender", "membership_tier"]
GEOGRAPHIC = ["city", "province", "region", "city_tier"]
DIMENSIONS = ("demographic", "geographic", "psychographic", "behavioural")


def demographics(customers: pd.DataFrame, snapshot: dt.date, age_bands: list[int]) -> pd.DataFrame:
    """Age (at the snapshot), age band and the CRM's demographic/geographic columns per customer.

    ``region`` (华北, 华东, …, in English) is derived from ``province`` when the CRM has no region.
    """
    out = customers[["customer_id"]].copy()
    birth = pd.to_datetime(customers["birth_date"]) if "birth_date" in customers else pd.Series(pd.NaT,
                                                                                                 index=out.index)
    if birth.notna().any():  # no birth dates (a log without a CRM): no age at all, not a column of missing ages
        out["age"] = np.floor((pd.Timestamp(snapshot) - birth).dt.days / 365.25)
        edges = [-np.inf, *age_bands, np.inf]
        labels = [f"<{age_bands[0]}"] + [f"{a}-{b - 1}" for a, b in zip(age_bands, age_bands[1:], strict=False)]
        labels.append(f"{age_bands[-1]}+")
        out["age_band"] = pd.cut(out["age"], edges, labels=labels, right=False).astype("str").replace("nan", None)
    for col in ("gender", "membership_tier", "acquisition_channel", *GEOGRAPHIC):
        if col in customers.columns and customers[col].notna().any():
            out[col] = customers[col]
    if "region" not in out and "province" in out:
        out["region"] = customers["province"].map(REGIONS)
    return out


def psychographics(survey: pd.DataFrame | None, case_sensitive: bool = False) -> pd.DataFrame | None:
    """Likert scores per customer (latest answer of each respondent), keyed by normalised id (with its case
    when ``case_sensitive``)."""
    if survey is None or survey.empty:
        return None
    items = [c for c in survey.select_dtypes("number").columns]
    s = survey.assign(customer_id=normalise_id(survey["respondent_id"], case_sensitive))
    if "submitted_on" in s.columns:
        s = s.sort_values("submitted_on")
    return s.drop_duplicates("customer_id", keep="last")[["customer_id", *items]].rename(
        columns={c: f"survey_{c}" for c in items})


def customer_table(behaviour_df: pd.DataFrame | None, demo_df: pd.DataFrame, psycho_df: pd.DataFrame | None
                   ) -> pd.DataFrame:
    """One row per purchasing customer: behaviour + demographics/geography + survey scores (when present);
    without behaviour (no order log), one row per customer of ``demo_df``.

    Decimal numbers are rounded (:func:`custseg.schema.round_decimals`): engines add up in different orders
    (Spark's 1/3 may be DuckDB's 1/3 plus 1e-16), and a learned model splits equal values apart.
    """
    out = demo_df if behaviour_df is None else behaviour_df.merge(demo_df, on="customer_id", how="left",
                                                                  validate="one_to_one")
    if psycho_df is not None:
        out = out.merge(psycho_df, on="customer_id", how="left", validate="one_to_one")
    return round_decimals(out)


def attribute_kinds(customers: pd.DataFrame, declared: dict | None = None) -> pd.DataFrame:
    """The kind of each customer-table column beyond the canonical ones (:func:`custseg.attributes.infer`), with
    what their values say about each other (:func:`custseg.relations.find`: nested labels, structural blanks,
    derived columns) in a ``relations`` column, which :func:`with_attributes` applies at every cutoff."""
    extra = [c for c in customers.columns if c not in SCHEMAS["customers"]]
    kinds = attributes.infer(customers[extra], declared)
    if kinds.empty:
        return kinds
    typed = kinds[kinds["kind"].isin(("numeric", "binary", "ordinal", "categorical"))]  # no dates: no snapshot
    encoded = attributes.encode(customers, typed, declared)
    return relations.with_findings(kinds, relations.find(encoded, typed, customers))


def dated_columns(customers: pd.DataFrame, kinds: pd.DataFrame) -> list[str]:
    """The customer-table columns measured to the snapshot date: the canonical birth and signup dates that hold a
    value, and the other columns whose ``kinds`` (:func:`attribute_kinds`) are dates. None: no snapshot date is
    needed, and the run gives the same result on any day."""
    held = [c for c in ("birth_date", "signup_date") if c in customers.columns and customers[c].notna().any()]
    return held + ([] if kinds.empty else list(kinds.loc[kinds["kind"] == "date", "column"]))


def date_candidates(columns: dict[str, str]) -> list[str]:
    """The columns that can hold dates, by their engine types (column → type name, as Ibis writes it): the
    canonical birth and signup dates, and every column of text or of dates (a column of numbers never is one)."""
    return [c for c, kind in columns.items() if c in ("birth_date", "signup_date")
            or (c not in SCHEMAS["customers"] and any(w in kind.lower() for w in ("string", "date", "timestamp")))]


def has_dates(customers: pd.DataFrame, declared: dict | None = None) -> bool:
    """Whether a customer table has a column measured to the snapshot date (:func:`dated_columns`, the kinds
    inferred as 04 infers them). 02 decides it once, on every row of the columns that can hold dates
    (:func:`date_candidates`), and records it; 04 and the report read that record."""
    extra = [c for c in customers.columns if c not in SCHEMAS["customers"]]
    return bool(dated_columns(customers, attributes.infer(customers[extra], declared)))


def with_attributes(table: pd.DataFrame, customers: pd.DataFrame, kinds: pd.DataFrame | None,
                    declared: dict | None, snapshot: dt.date) -> pd.DataFrame:
    """``table`` with the customer-table columns beyond the canonical ones, encoded by their kinds
    (:func:`custseg.attributes.encode`: numbers, 1/0, scores, labels, days), the structural blanks filled and the
    nested labels recoded as the kinds' ``relations`` say (:func:`custseg.relations.apply`), joined on the
    customer id."""
    if kinds is None or kinds.empty:
        return table
    encoded = relations.apply(attributes.encode(customers, kinds, declared, snapshot), relations.from_kinds(kinds))
    encoded = encoded[[c for c in encoded.columns if c not in table.columns]]
    if encoded.empty:
        return table
    encoded.insert(0, "customer_id", customers["customer_id"].to_numpy())
    return table.merge(encoded, on="customer_id", how="left", validate="one_to_one")


def customer_features(transactions: ir.Table | None, customers: pd.DataFrame, survey: pd.DataFrame | None,
                      snapshot: dt.date, age_bands: list[int], kinds: pd.DataFrame | None = None,
                      declared: dict | None = None, case_sensitive: bool = False) -> pd.DataFrame:
    """The customer table at ``snapshot`` (behaviour + demographics + survey), from the lines dated on or before it.

    Parameters
    ----------
    transactions : ibis Table or None
        Cleaned transaction lines (they may run past ``snapshot``: later lines are ignored); None without an
        order log: then every customer of ``customers`` has a row, described by their attributes only.
    customers : DataFrame
        Cleaned CRM customers.
    survey : DataFrame or None
        Survey answers (see :func:`custseg.features.psychographics`).
    snapshot : date
        Recency, tenure and age are measured at this date.
    age_bands : list of int
        As ``features.age_bands`` in the config.
    kinds, declared : optional
        The kinds of the customer table's other columns (:func:`attribute_kinds`) and the config's
        ``attributes``: those columns join the table, encoded (:func:`with_attributes`).
    case_sensitive : bool
        Match survey respondents to customers with the ids' case (:func:`custseg.schema.ids_case_sensitive`).
    """
    people = with_attributes(demographics(customers, snapshot, age_bands), customers, kinds, declared, snapshot)
    if transactions is None:
        return customer_table(None, people, psychographics(survey, case_sensitive))
    until = transactions.filter(transactions.order_ts.date() <= ibis.literal(snapshot))
    return customer_table(behaviour(until, snapshot), people, psychographics(survey, case_sensitive))


# described by other columns, or too many labels to cluster on: never a default feature of a customer table
NOT_DEFAULT = ("customer_id", "age_band", "city", "province", "region")


def likert_columns(kinds: pd.DataFrame) -> list[str]:
    """The customer-table columns inferred as Likert answers: survey items, for factor analysis."""
    return [] if kinds.empty else list(kinds.loc[(kinds["kind"] == "ordinal") & ~kinds["declared"]
                                                 & kinds["why"].str.startswith("Likert"), "column"])


def attribute_columns(table: pd.DataFrame, outcomes: list[str] | tuple = (), factored: list[str] | tuple = ()
                      ) -> list[str]:
    """The default clustering features of a customer table without an order log: every column it has (typed
    attributes, demographics, city tier, the survey's factor scores), except the outcomes, the id, columns
    described by others (age band, city, province, region) and the items the ``factored`` scores replace."""
    return [c for c in table.columns if c not in NOT_DEFAULT and c not in outcomes and c not in factored
            and table[c].notna().any()]


def feature_groups(df: pd.DataFrame, outcomes: list[str] | tuple = (), items: list[str] | tuple = ()
                   ) -> dict[str, list[str]]:
    """The columns of a customer table by segmentation dimension (细分维度); the psychographic dimension is the
    survey's factor scores when there are any (else its items: ``survey_`` columns of a survey source and the
    customer table's Likert columns ``items``, :func:`likert_columns`, which are attitudes, never behaviour).
    Declared ``outcomes`` (churn …) are a group of their own: they judge the segments and are never a dimension
    to segment on."""
    scored = [c for c in df.columns if c.startswith("factor_")]
    answers = [c for c in df.columns if c.startswith("survey_") or (c in items and c not in outcomes)]
    groups = {
        "demographic": [c for c in DEMOGRAPHIC if c in df.columns]
        + [c for c in attributes.demographic_columns(df.columns) if c not in DEMOGRAPHIC and c not in outcomes],
        "geographic": [c for c in GEOGRAPHIC if c in df.columns],
        "psychographic": scored or answers,
    }
    judged = [c for c in outcomes if c in df.columns]
    taken = ({c for cols in groups.values() for c in cols} | {"customer_id", "acquisition_channel"}
             | set(answers) | set(judged))
    groups["behavioural"] = [c for c in df.select_dtypes("number").columns if c not in taken]
    if judged:
        groups["outcome"] = judged
    return groups
