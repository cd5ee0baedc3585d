"""Per-customer features, computed in the engine (Ibis) from cleaned transactions: one row per customer.

Definitions (marketing RFM at a snapshot date):

* ``recency_days`` — days from the last purchase to the snapshot date;
* ``frequency`` — number of distinct purchase orders;
* ``monetary`` — total net spend: purchases minus returns, after discounts.

Behaviour: ``avg_order_value`` (gross purchase spend / orders), ``tenure_days`` (snapshot − first
purchase), ``interpurchase_days`` (mean days between orders; null for one order), ``return_rate``
(returned / gross spend), ``discount_share`` (discounts / list value), ``share_channel_*`` (share of
orders per channel; an order counts once, in the channel of its purchase lines, so the shares sum to 1) and
``share_cat_*`` (share of gross spend per category).

The CLV convention (lifetimes / pymc-marketing ``rfm_summary``) is in :func:`clv_summary` and
:func:`calibration_holdout`: purchases are collapsed to one per period (day or week), ``frequency`` is
the number of *repeat* periods, ``recency`` the age at the last purchase period (last − first), ``T``
the age at the end of observation (end − first) and ``monetary_value`` the mean spend of the repeat
periods. Returns are not purchases there: they create no period and do not reduce spend.

Columns are grouped by the four classic segmentation dimensions in :func:`feature_groups`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from custseg import attributes
from custseg.reference import REGIONS
from custseg.schema import FILL, SCHEMAS, is_return, normalise_id

if TYPE_CHECKING:  # scikit-learn, imported by 04 only when it fits a factor model
    from custseg import factors

DEMOGRAPHIC = ["age", "age_band", "gender", "membership_tier"]
GEOGRAPHIC = ["city", "province", "region", "city_tier"]
DIMENSIONS = ("demographic", "geographic", "psychographic", "behavioural")
# durations, counts and money: their differences matter in ratios (1 vs 2 orders is more than 20 vs 21), so
# the clustering always sees them on a log scale (custseg.cluster.make_preprocessor), however skewed they are
LOG_SCALE = ("recency_days", "frequency", "monetary", "avg_order_value", "tenure_days", "interpurchase_days")
# CLV time units: period length in days
TIME_UNITS = {"D": 1, "W": 7}


def _slug(value: str) -> str:
    return re.sub(r"\W+", "_", str(value).strip().lower()).strip("_") or "unknown"


def _top_categories_and_channels(buys: ir.Table, max_categories: int) -> tuple[list[str], list[str]]:
    """The ``max_categories`` categories with most spend and the 10 channels with most lines, in one query."""
    mix = buys.group_by(["category", "channel"]).aggregate(spend=buys.amount.sum(), lines=buys.count()).execute()
    top = lambda col, by, n: [str(v) for v in mix.dropna(subset=[col]).groupby(col)[by].sum()  # noqa: E731
                              .sort_values(ascending=False, kind="stable").index[:n]]
    return top("category", "spend", max_categories), top("channel", "lines", 10)


def _with_returns_flag(transactions: ir.Table) -> ir.Table:
    """Lines with ``is_return`` (:func:`custseg.schema.is_return`)."""
    return transactions.mutate(is_return=is_return(transactions))


def behaviour(transactions: ir.Table, snapshot: dt.date, max_categories: int = 10) -> pd.DataFrame:
    """RFM and behavioural features per customer from cleaned transaction lines.

    Parameters
    ----------
    transactions : ibis Table
        Kept lines from :func:`custseg.clean.clean_transactions` (returns included as negative quantities).
    snapshot : date
        The date recency and tenure are measured at.
    max_categories : int
        Categories beyond the ``max_categories`` largest by spend are grouped as ``other``.

    Returns
    -------
    DataFrame
        One row per customer with at least one purchase.
    """
    t = _with_returns_flag(transactions)
    categories, channels = _top_categories_and_channels(t.filter(~t.is_return), max_categories)
    # a log without a category or channel column has only the filler value: no mix to describe
    categories = [] if categories == [FILL["category"]] else categories
    channels = [] if channels == [FILL["channel"]] else channels
    t = t.mutate(category=ibis.ifelse(t.category.isin(categories), t.category, "other"),
                 list_value=t.quantity * t.unit_price)
    # Sums go straight from lines to customers; orders are counted per channel in a second, narrow
    # aggregation (lines → orders → customers) instead of COUNT(DISTINCT order_id) per channel: plain hash
    # aggregates spill to disk, so 100M lines fit a 4 GB memory limit (distinct aggregates did not at 12 GB).
    buy = ~t.is_return
    sums = t.group_by("customer_id").aggregate(
        first_purchase=t.order_ts.min(where=buy),
        last_purchase=t.order_ts.max(where=buy),
        gross_spend=t.amount.sum(where=buy),
        list_value=t.list_value.sum(where=buy),
        discount_total=t.discount.sum(where=buy),
        returned_amount=-t.amount.sum(where=t.is_return),
        **{f"spend_cat_{_slug(c)}": t.amount.sum(where=buy & (t.category == c)) for c in [*categories, "other"]},
    )
    b = t.filter(buy)
    o = b.group_by(["customer_id", "order_id"]).aggregate(channel=b.channel.max())
    orders = o.group_by("customer_id").aggregate(
        frequency=o.count(), **{f"orders_channel_{_slug(c)}": o.count(where=o.channel == c) for c in channels})
    f = orders.inner_join(sums, "customer_id")  # customers with a purchase
    f = f.mutate(returned_amount=f.returned_amount.fill_null(0))
    snap = ibis.literal(snapshot)
    days = lambda a, b: (a.epoch_days() - b.epoch_days())  # noqa: E731
    f = f.mutate(
        recency_days=days(snap, f.last_purchase.date()),
        tenure_days=days(snap, f.first_purchase.date()),
        monetary=f.gross_spend - f.returned_amount,
        avg_order_value=f.gross_spend / f.frequency,
        interpurchase_days=ibis.ifelse(
            f.frequency > 1, days(f.last_purchase.date(), f.first_purchase.date()) / (f.frequency - 1),
            ibis.null("float64")),
        return_rate=ibis.ifelse(f.gross_spend > 0, f.returned_amount / f.gross_spend, 0),
        discount_share=ibis.ifelse(f.list_value > 0, f.discount_total / f.list_value, 0),
        **{f"share_channel_{_slug(c)}": f[f"orders_channel_{_slug(c)}"] / f.frequency for c in channels},
        **{f"share_cat_{_slug(c)}": ibis.ifelse(f.gross_spend > 0,
                                                f[f"spend_cat_{_slug(c)}"].fill_null(0) / f.gross_spend, 0)
           for c in [*categories, "other"]},
    )
    drop = [c for c in f.columns if c.startswith(("orders_channel_", "spend_cat_"))] + ["list_value"]
    if not categories:
        drop.append("share_cat_other")
    df = f.drop(*drop).order_by("customer_id").execute()
    if "share_cat_other" in df and (df["share_cat_other"] == 0).all():
        df = df.drop(columns="share_cat_other")
    return df


def _purchase_periods(transactions: ir.Table, start: dt.date | None, end: dt.date, time_unit: str) -> ir.Table:
    """Purchases (no returns) dated in ``[start, end]`` collapsed to one row per customer and period.

    ``period`` is the period's first day (the Monday for weeks); ``spend`` the period's summed amount.
    """
    if time_unit not in TIME_UNITS:
        raise ValueError(f"CLV time unit must be one of {sorted(TIME_UNITS)} (day, week), got {time_unit!r}")
    t = _with_returns_flag(transactions)
    day = t.order_ts.date()
    keep = ~t.is_return & (day <= end)
    if start is not None:
        keep &= day >= start
    t = t.filter(keep)
    period = t.order_ts.date() if time_unit == "D" else t.order_ts.truncate("W").date()
    t = t.mutate(period=period)
    return t.group_by(["customer_id", "period"]).aggregate(spend=t.amount.sum())


def _period_start(day: dt.date, time_unit: str) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if time_unit == "W" else day


def clv_summary(transactions: ir.Table, observation_end: dt.date, time_unit: str = "D",
                time_scaler: float = 1.0) -> pd.DataFrame:
    """The CLV-convention summary per customer, as lifetimes / pymc-marketing ``rfm_summary`` compute it.

    Purchases are collapsed to one per period; with ``time_unit="W"`` periods are weeks starting on
    Monday (pandas' ``W`` periods). Durations are in periods divided by ``time_scaler``.

    Parameters
    ----------
    transactions : ibis Table
        Kept transaction lines (returns are ignored: they are not purchases).
    observation_end : date
        Last day of observation (inclusive); later purchases are ignored.
    time_unit : {"D", "W"}
        Period length: day or week.
    time_scaler : float
        Divides ``recency`` and ``T`` (e.g. 7 with days gives weeks without collapsing to weeks).

    Returns
    -------
    DataFrame
        ``customer_id``, ``frequency`` (repeat periods), ``recency`` (last − first period), ``T``
        (observation end − first period) and ``monetary_value`` (mean spend of the repeat periods, 0
        without repeats), sorted by customer.
    """
    p = _purchase_periods(transactions, None, observation_end, time_unit)
    unit = TIME_UNITS[time_unit] * time_scaler
    end = ibis.literal(_period_start(observation_end, time_unit))
    per = p.group_by("customer_id").aggregate(
        periods=p.count(), first=p.period.min(), last=p.period.max(), total=p.spend.sum(),
        first_spend=p.spend.argmin(p.period))
    out = per.select(
        "customer_id",
        frequency=per.periods - 1,
        recency=(per["last"].epoch_days() - per["first"].epoch_days()) / unit,
        T=(end.epoch_days() - per["first"].epoch_days()) / unit,
        monetary_value=ibis.ifelse(per.periods > 1, (per.total - per.first_spend) / (per.periods - 1), 0.0),
    )
    df = out.order_by("customer_id").execute()
    return df.astype({c: "float64" for c in ("frequency", "recency", "T", "monetary_value")})


def calibration_holdout(transactions: ir.Table, holdout_start: dt.date, observation_end: dt.date,
                        time_unit: str = "D", time_scaler: float = 1.0) -> pd.DataFrame:
    """A calibration summary before ``holdout_start`` and what each customer did in the holdout.

    The calibration columns are :func:`clv_summary` of the purchases before ``holdout_start`` (its
    observation ends the day before). Only customers who bought in the calibration period are kept, as
    lifetimes' ``calibration_and_holdout_data`` and pymc-marketing's ``rfm_train_test_split`` do.
    Start the holdout on a period boundary (a Monday for weeks) so no period is split.

    Returns
    -------
    DataFrame
        ``frequency_cal``, ``recency_cal``, ``T_cal``, ``monetary_value_cal``; ``frequency_holdout``
        (purchase periods in the holdout, *not* minus one), ``monetary_value_holdout`` (mean spend per
        holdout period, 0 without purchases) and ``duration_holdout`` (observation end − calibration end).

    Raises
    ------
    ValueError
        If nobody bought before ``holdout_start`` or it is after ``observation_end``.
    """
    if holdout_start > observation_end:
        raise ValueError(f"holdout_start {holdout_start} is after the end of observation {observation_end}")
    calibration_end = holdout_start - dt.timedelta(days=1)
    cal = clv_summary(transactions, calibration_end, time_unit, time_scaler)
    if cal.empty:
        raise ValueError(f"no purchases before holdout_start {holdout_start}: move it later")
    p = _purchase_periods(transactions, holdout_start, observation_end, time_unit)
    hold = p.group_by("customer_id").aggregate(frequency_holdout=p.count(), monetary_value_holdout=p.spend.mean())
    out = cal.rename(columns={c: f"{c}_cal" for c in ("frequency", "recency", "T", "monetary_value")})
    out = out.merge(hold.execute(), on="customer_id", how="left", validate="one_to_one")
    out = out.fillna({"frequency_holdout": 0, "monetary_value_holdout": 0.0})
    out["frequency_holdout"] = out["frequency_holdout"].astype("float64")
    days = (_period_start(observation_end, time_unit) - _period_start(calibration_end, time_unit)).days
    out["duration_holdout"] = days / (TIME_UNITS[time_unit] * time_scaler)
    return out


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


def psychographics(survey: pd.DataFrame | None) -> pd.DataFrame | None:
    """Likert scores per customer (latest answer of each respondent), keyed by normalised id."""
    if survey is None or survey.empty:
        return None
    items = [c for c in survey.select_dtypes("number").columns]
    s = survey.assign(customer_id=normalise_id(survey["respondent_id"]))
    if "submitted_on" in s.columns:
        s = s.sort_values("submitted_on")
    return s.drop_duplicates("customer_id", keep="last")[["customer_id", *items]].rename(
        columns={c: f"survey_{c}" for c in items})


def customer_table(behaviour_df: pd.DataFrame | None, demo_df: pd.DataFrame, psycho_df: pd.DataFrame | None
                   ) -> pd.DataFrame:
    """One row per purchasing customer: behaviour + demographics/geography + survey scores (when present);
    without behaviour (no order log), one row per customer of ``demo_df``.

    Decimal numbers are rounded to 9 places: engines add up in different orders (Spark's 1/3 may be DuckDB's
    1/3 plus 1e-16), and a learned model splits equal values apart if they are not exactly equal.
    """
    out = demo_df if behaviour_df is None else behaviour_df.merge(demo_df, on="customer_id", how="left",
                                                                  validate="one_to_one")
    if psycho_df is not None:
        out = out.merge(psycho_df, on="customer_id", how="left", validate="one_to_one")
    decimals = out.select_dtypes("float").columns
    return out.assign(**{c: out[c].round(9) for c in decimals})


def attribute_kinds(customers: pd.DataFrame, declared: dict | None = None) -> pd.DataFrame:
    """The kind of each customer-table column beyond the canonical ones (:func:`custseg.attributes.infer`)."""
    extra = [c for c in customers.columns if c not in SCHEMAS["customers"]]
    return attributes.infer(customers[extra], declared)


def with_attributes(table: pd.DataFrame, customers: pd.DataFrame, kinds: pd.DataFrame | None,
                    declared: dict | None, snapshot: dt.date) -> pd.DataFrame:
    """``table`` with the customer-table columns beyond the canonical ones, encoded by their kinds
    (:func:`custseg.attributes.encode`: numbers, 1/0, scores, labels, days), joined on the customer id."""
    if kinds is None or kinds.empty:
        return table
    encoded = attributes.encode(customers, kinds, declared, snapshot)
    encoded = encoded[[c for c in encoded.columns if c not in table.columns]]
    if encoded.empty:
        return table
    encoded.insert(0, "customer_id", customers["customer_id"].to_numpy())
    return table.merge(encoded, on="customer_id", how="left", validate="one_to_one")


def customer_features(transactions: ir.Table | None, customers: pd.DataFrame, survey: pd.DataFrame | None,
                      snapshot: dt.date, age_bands: list[int], kinds: pd.DataFrame | None = None,
                      declared: dict | None = None) -> pd.DataFrame:
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
    """
    people = with_attributes(demographics(customers, snapshot, age_bands), customers, kinds, declared, snapshot)
    if transactions is None:
        return customer_table(None, people, psychographics(survey))
    until = transactions.filter(transactions.order_ts.date() <= ibis.literal(snapshot))
    return customer_table(behaviour(until, snapshot), people, psychographics(survey))


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


MIN_FACTOR_ITEMS = 3  # fewer survey items than this: no factor analysis
# the factor analysis is fitted on a random sample of this many complete answers (loadings from 50,000
# answers are within about 0.005 of those from all; every respondent is scored): memory stays a few
# copies of the sample, not of a million-row survey
FACTOR_FIT_ROWS = 50_000


def survey_factors(table: pd.DataFrame, seed: int = 0, items: list[str] | None = None
                   ) -> tuple[factors.FactorModel | None, dict]:
    """Factor analysis of the survey items (:mod:`custseg.factors`) on the respondents: the ``survey_*``
    columns by default, or ``items`` (e.g. those plus a customer table's Likert columns).

    Returns the fitted model (None when there are too few items or respondents, or the items are not
    suitable) and a summary for the report: ``items``, ``suitability``, ``scree``, ``loadings`` and, when
    no model was fitted, ``reason``.
    """
    from custseg import factors

    items = [c for c in table.columns if c.startswith("survey_")] if items is None else items
    answered = table[items].dropna()
    summary = {"items": items, "respondents": len(answered)}
    if len(answered) > FACTOR_FIT_ROWS:
        answered = answered.sample(FACTOR_FIT_ROWS, random_state=seed)
        summary["fitted_on"] = FACTOR_FIT_ROWS
    if len(items) < MIN_FACTOR_ITEMS or len(answered) < 10 * len(items):
        summary["reason"] = (f"{len(items)} survey item(s) and {len(answered):,} complete answers: factor analysis "
                             f"needs at least {MIN_FACTOR_ITEMS} items and 10 answers per item")
        return None, summary
    if (answered.std() == 0).any():
        summary["reason"] = "an item has the same answer from every respondent"
        return None, summary
    check = factors.suitability(answered)
    summary["suitability"] = {k: v for k, v in check.items() if k != "kmo_items"}
    model = factors.FactorModel(seed=seed).fit(answered)
    summary["scree"] = model.scree_.to_dict("records")
    if not check["suitable"] or factors.n_factors(model.scree_) == 0:
        summary["reason"] = (f"the items are not suited to factor analysis (KMO {check['kmo']:.2f}, Bartlett p "
                             f"{check['bartlett_p']:.3g}; parallel analysis keeps {factors.n_factors(model.scree_)} "
                             "factors): the items themselves are the psychographic features")
        return None, summary
    summary["loadings"] = model.loadings_.round(3).to_dict()
    summary["factors"] = model.names_
    return model, summary


def with_factors(table: pd.DataFrame, model: factors.FactorModel | None) -> pd.DataFrame:
    """``table`` with each customer's factor scores (missing for customers who did not answer every item)."""
    if model is None:
        return table
    return pd.concat([table, model.transform(table).round(9)], axis=1)


def feature_groups(df: pd.DataFrame) -> dict[str, list[str]]:
    """The columns of a customer table by segmentation dimension (细分维度); the psychographic dimension is the
    survey's factor scores when there are any (else its items)."""
    scored = [c for c in df.columns if c.startswith("factor_")]
    groups = {
        "demographic": [c for c in DEMOGRAPHIC if c in df.columns],
        "geographic": [c for c in GEOGRAPHIC if c in df.columns],
        "psychographic": scored or [c for c in df.columns if c.startswith("survey_")],
    }
    taken = ({c for cols in groups.values() for c in cols} | {"customer_id", "acquisition_channel"}
             | {c for c in df.columns if c.startswith("survey_")})
    groups["behavioural"] = [c for c in df.select_dtypes("number").columns if c not in taken]
    return groups
