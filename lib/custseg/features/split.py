"""The calibration/holdout splits: the customers' features on the day before a date and what they did from that
date on. 04 writes them, 05 chooses k and learns the expected value on them, 07 judges the segments on them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from custseg import schema
from custseg.errors import StageError
from custseg.features.clv import calibration_holdout, clv_summary
from custseg.features.survey import with_factors
from custseg.features.table import attribute_kinds, customer_features
from custseg.schema import fetch, is_purchase


def holdout_outcomes(transactions: ir.Table, start: dt.date, end: dt.date) -> pd.DataFrame:
    """What each customer did in the holdout ``[start, end]`` (computed in the engine).

    Returns
    -------
    DataFrame
        ``customer_id``, ``holdout_spend`` (net: purchases minus returns), ``holdout_orders`` (distinct
        purchase orders); only customers with a line in the holdout (others did nothing: fill with 0).
    """
    t = transactions
    day = t.order_ts.date()
    t = t.filter((day >= ibis.literal(start)) & (day <= ibis.literal(end)))
    agg = t.group_by("customer_id").aggregate(
        holdout_spend=t.amount.sum(), holdout_orders=t.order_id.nunique(where=is_purchase(t)))
    return fetch(agg)


def with_outcomes(calibration: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """The calibration customers with their holdout outcomes (0 when they did nothing) and ``churned``.

    Churned means no purchase order in the holdout; ``holdout_log_spend`` is log(1 + spend), net
    refunds counted as 0, so that a few very large customers do not decide the contest alone.
    """
    out = calibration.merge(outcomes, on="customer_id", how="left", validate="one_to_one")
    out = out.fillna({"holdout_spend": 0.0, "holdout_orders": 0})
    out["holdout_orders"] = out["holdout_orders"].astype("int64")
    out["holdout_log_spend"] = np.log1p(out["holdout_spend"].clip(lower=0))
    out["churned"] = (out["holdout_orders"] == 0).astype("int64")
    return out


def align(table: pd.DataFrame, names: list[str] | np.ndarray) -> pd.DataFrame:
    """The columns ``names`` of ``table``; a missing ``share_*`` column (a channel or category nobody used
    in this period) is added as 0.

    Raises
    ------
    KeyError
        If another column is missing.
    """
    names = list(names)
    missing = [c for c in names if c not in table.columns]
    other = [c for c in missing if not c.startswith("share_")]
    if other:
        raise KeyError(f"the customer table lacks the model's feature columns {other}; recompute the features "
                       "with the same configuration as the segmentation")
    return table.assign(**{c: 0.0 for c in missing})[names]


def holdout_start(cfg: dict, snapshot: dt.date, first_day: dt.date | None) -> dt.date:
    """The holdout of this run (:func:`custseg.schema.holdout_start` with the config's ``features`` keys)."""
    f = cfg["features"]
    return schema.holdout_start(snapshot, first_day, f["holdout_start"], f["holdout_days"],
                                weekly=f["clv_time_unit"] == "W")


def features_at(cfg: dict, transactions, customers, survey, snapshot: dt.date, kinds=None,
                factor_model=None) -> pd.DataFrame:
    """:func:`custseg.features.customer_features` at ``snapshot`` with the config's age bands and attributes,
    and the survey's factor scores when 04 fitted a factor model."""
    kinds = attribute_kinds(customers, cfg["attributes"]) if kinds is None else kinds
    table = customer_features(transactions, customers, survey, snapshot, cfg["features"]["age_bands"], kinds,
                              cfg["attributes"], schema.ids_case_sensitive(cfg["sources"]))
    return with_factors(table, factor_model)


def split(cfg: dict, transactions, customers, survey, start: dt.date, end: dt.date, factor_model=None,
          kinds=None) -> pd.DataFrame | None:
    """The customers' features on the day before ``start`` and what they did from ``start`` to ``end``
    (:func:`with_outcomes`); None when nobody bought before ``start``."""
    before = features_at(cfg, transactions, customers, survey, start - dt.timedelta(days=1), kinds, factor_model)
    if before.empty:
        return None
    out = with_outcomes(before, holdout_outcomes(transactions, start, end))
    return out.sort_values("customer_id", ignore_index=True)  # the same order from every engine


def inner_split(cfg: dict, transactions, customers, survey, start: dt.date, first_day: dt.date,
                factor_model=None, kinds=None) -> SimpleNamespace | None:
    """The calibration window split once more, by the same rule as the holdout: the features at the inner
    cutoff and what each customer spent from it to the day before the holdout. 05 chooses k by how much of
    that later spend the segments explain, so the report's holdout stays untouched for 07. None when the
    calibration window is too short to split."""
    end = start - dt.timedelta(days=1)
    cutoff = schema.holdout_start(end, first_day, None, cfg["features"]["holdout_days"])
    table = (split(cfg, transactions, customers, survey, cutoff, end, factor_model, kinds) if cutoff > first_day
             else None)
    return None if table is None else SimpleNamespace(table=table, start=cutoff, end=end)


def features_and_later_spend(table: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """A split's features (as clustered) and its later log(1 + spend)."""
    return align(table, columns), table["holdout_log_spend"].to_numpy()


@dataclass
class Periods:
    """04's split of the log by date: the holdout summary, the CLV summary and its calibration/holdout, the
    features before the holdout with what came after (``calibrated``) and the inner split (05's k)."""

    holdout: dict
    clv: pd.DataFrame
    calibration: pd.DataFrame
    calibrated: pd.DataFrame | None
    inner: SimpleNamespace | None


def periods(cfg: dict, transactions, customers, survey, snapshot: dt.date, table: pd.DataFrame, kinds,
            factor_model=None) -> Periods:
    """The holdout of this run and the tables each side of it (:class:`Periods`).

    Raises
    ------
    StageError
        When ``features.holdout_start`` is after the snapshot.
    """
    f = cfg["features"]
    clv = clv_summary(transactions, snapshot, f["clv_time_unit"], f["clv_time_scaler"])
    first_day = table["first_purchase"].min().date()
    start = holdout_start(cfg, snapshot, first_day)
    holdout = {"snapshot": snapshot.isoformat(), "holdout_start": start.isoformat(), "reason": None}
    if start > snapshot:
        raise StageError(f"features.holdout_start ({start}) is after the snapshot ({snapshot}): move it earlier")
    if start <= first_day:  # nobody bought before the holdout: nothing to form segments on and judge later
        from custseg import i18n

        holdout.update(holdout_start=None, reason=i18n.text("holdout.too_early", start=start, first=first_day,
                                                            snapshot=snapshot))
        return Periods(holdout, clv, pd.DataFrame(), None, None)
    calibration = calibration_holdout(transactions, start, snapshot, f["clv_time_unit"], f["clv_time_scaler"])
    # the column kinds inferred once by 04: typing every column again per split is slow on a large table
    calibrated = split(cfg, transactions, customers, survey, start, snapshot, factor_model, kinds)
    inner = inner_split(cfg, transactions, customers, survey, start, first_day, factor_model, kinds)
    if inner is not None:
        holdout.update(inner_start=inner.start.isoformat(), inner_end=inner.end.isoformat())
    return Periods(holdout, clv, calibration, calibrated, inner)


def holdout_reason(holdout: dict, language: str = "en") -> str:
    """Why a run has no holdout (``holdout.json``'s ``reason``, kept in English) in ``language``; '' when it has one."""
    from custseg import i18n

    why = holdout.get("reason") or ""
    return i18n.retranslate(why, i18n.messages("en")["printed"]["holdout"], "holdout", language) if why else ""
