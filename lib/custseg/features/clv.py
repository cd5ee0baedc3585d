"""The CLV convention (lifetimes / pymc-marketing ``rfm_summary``): purchases collapsed to one per period."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pandas as pd

from custseg.features.behaviour import _with_returns_flag
from custseg.schema import fetch

# CLV time units: period length in days
TIME_UNITS = {"D": 1, "W": 7}


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
    df = fetch(out)
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
    out = out.merge(fetch(hold), on="customer_id", how="left", validate="one_to_one")
    out = out.fillna({"frequency_holdout": 0, "monetary_value_holdout": 0.0})
    out["frequency_holdout"] = out["frequency_holdout"].astype("float64")
    days = (_period_start(observation_end, time_unit) - _period_start(calibration_end, time_unit)).days
    out["duration_holdout"] = days / (TIME_UNITS[time_unit] * time_scaler)
    return out


def beside_table(table: pd.DataFrame, clv: pd.DataFrame) -> pd.DataFrame:
    """The CLV summary next to the customer table's recency, tenure, orders and spend, one row per customer.

    Parameters
    ----------
    table : DataFrame
        The customer table (``customer_id``, ``recency_days``, ``tenure_days``, ``frequency``, ``monetary``).
    clv : DataFrame
        :func:`clv_summary` of the same customers.

    Returns
    -------
    DataFrame
        The table's columns, then the summary's (``frequency_clv``, ``recency``, ``T``, ``monetary_value``).
    """
    return table[["customer_id", "recency_days", "tenure_days", "frequency", "monetary"]].merge(
        clv, on="customer_id", suffixes=("", "_clv"), validate="one_to_one")


def repeats_within_orders(both: pd.DataFrame) -> bool:
    """True when every customer's repeat purchase periods are at most their orders − 1 (the CLV convention
    counts periods after the first purchase, so it can never count more).

    Parameters
    ----------
    both : DataFrame
        :func:`beside_table`.

    Returns
    -------
    bool
    """
    return bool((both["frequency_clv"] <= both["frequency"] - 1).all())


HISTORY_BANDS = ([-1, 0, 1, 3, 7, float("inf")], ["0", "1", "2-3", "4-7", "8+"])  # repeat periods before the holdout


def bought_again_by_history(calibration: pd.DataFrame) -> pd.DataFrame:
    """What customers did in the holdout, by how often they had bought again before it.

    Parameters
    ----------
    calibration : DataFrame
        :func:`calibration_holdout`.

    Returns
    -------
    DataFrame
        One row per band of ``frequency_cal`` (:data:`HISTORY_BANDS`, bands without customers left out):
        ``customers``, ``holdout_periods`` (mean purchase periods in the holdout) and ``bought_again`` (the share
        with at least one), rounded to 2 decimals.
    """
    edges, labels = HISTORY_BANDS
    bands = pd.cut(calibration["frequency_cal"], edges, labels=labels)
    return (calibration.assign(bought_again=calibration["frequency_holdout"] > 0)
            .groupby(bands, observed=True)
            .agg(customers=("customer_id", "size"), holdout_periods=("frequency_holdout", "mean"),
                 bought_again=("bought_again", "mean"))
            .round(2))
