"""Does it predict? Segments from a calibration period judged by what customers did in the holdout, side by
side with the RFM grid and k-means on raw RFM."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from custseg import rfm
from custseg.evaluate.scorecard import eta_squared
from custseg.schema import is_purchase

OUTCOMES = {"spend": "holdout_spend", "orders": "holdout_orders", "churn": "churned"}
# outcome -> calibration feature whose segment means should rank the segments the same way (sign: +1 same order)
RANKED_BY = {"spend": ("monetary", 1), "orders": ("frequency", 1), "churn": ("recency_days", 1)}


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
    return agg.order_by("customer_id").execute()


def with_outcomes(calibration: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """The calibration customers with their holdout outcomes (0 when they did nothing) and ``churned``.

    Churned means no purchase order in the holdout.
    """
    out = calibration.merge(outcomes, on="customer_id", how="left", validate="one_to_one")
    out = out.fillna({"holdout_spend": 0.0, "holdout_orders": 0})
    out["holdout_orders"] = out["holdout_orders"].astype("int64")
    out["churned"] = (out["holdout_orders"] == 0).astype("int64")
    return out


def outcome_separation(labels, data: pd.DataFrame) -> pd.DataFrame:
    """How well one segmentation separates each holdout outcome.

    Parameters
    ----------
    labels : array-like
        Segment of each row of ``data``.
    data : DataFrame
        From :func:`with_outcomes` (calibration features and holdout outcomes).

    Returns
    -------
    DataFrame
        Per outcome (spend, orders, churn): ``eta2``, ``kruskal_p``, ``top_lift`` (the highest segment
        mean divided by the overall mean: for churn, the segment most likely to churn), ``top_share`` (that
        segment's share of customers) and ``rank_order`` (Spearman correlation, over segments, between the
        calibration mean of monetary / frequency / recency and the holdout mean of spend / orders / churn:
        1 means the segments kept their order).
    """
    labels = pd.Series(np.asarray(labels), index=data.index, name="segment")
    rows = []
    for outcome, col in OUTCOMES.items():
        y = data[col].astype(float)
        g = y.groupby(labels)
        means = g.mean()
        parts = [p.to_numpy() for _, p in g if len(p)]
        p = float(stats.kruskal(*parts).pvalue) if len(parts) > 1 and y.nunique() > 1 else np.nan
        top = means.idxmax()
        ref, sign = RANKED_BY[outcome]
        cal = data[ref].astype(float).groupby(labels).mean()
        varies = len(means) > 2 and means.nunique() > 1 and cal.nunique() > 1  # a rank order needs two orders
        rank = stats.spearmanr(cal * sign, means).statistic if varies else np.nan
        rows.append({"outcome": outcome, "eta2": eta_squared(y, labels), "kruskal_p": p,
                     "top_lift": float(means.max() / y.mean()) if y.mean() else np.nan,
                     "top_share": float((labels == top).mean()), "rank_order": float(rank)})
    return pd.DataFrame(rows)


def pooled_rfm(rfm_segment: pd.Series, k: int) -> pd.Series:
    """The named RFM grid cut down to ``k`` groups: its ``k − 1`` largest segments, the rest pooled as 'other'."""
    sizes = rfm_segment.value_counts()
    if len(sizes) <= k:
        return rfm_segment.copy()
    keep = set(sizes.index[: k - 1])
    return rfm_segment.where(rfm_segment.isin(keep), "other RFM segments")


def kmeans_rfm(table: pd.DataFrame, k: int, seed: int = 42) -> np.ndarray:
    """The textbook baseline: k-means with scikit-learn's defaults on recency, frequency and monetary as they
    are (standardised, not log-transformed)."""
    z = StandardScaler().fit_transform(table[list(rfm.METRICS)].to_numpy(dtype=float))
    return KMeans(n_clusters=k, random_state=seed).fit_predict(z)


def compare(segmentations: dict[str, np.ndarray | pd.Series], data: pd.DataFrame) -> pd.DataFrame:
    """:func:`outcome_separation` for several segmentations of the same customers, in one long table.

    Returns
    -------
    DataFrame
        ``method``, ``segments`` (number of groups) and the columns of :func:`outcome_separation`.
    """
    frames = []
    for name, labels in segmentations.items():
        labels = np.asarray(labels)
        if len(labels) != len(data):
            raise ValueError(f"segmentation {name!r} has {len(labels)} labels for {len(data)} customers: "
                             "compare on the same customers")
        frames.append(outcome_separation(labels, data).assign(method=name, segments=len(np.unique(labels))))
    out = pd.concat(frames, ignore_index=True)
    return out[["method", "segments", *[c for c in out.columns if c not in ("method", "segments")]]]


def winner(comparison: pd.DataFrame, ours: str, rivals: list[str]) -> dict:
    """Whether ``ours`` separates the holdout outcomes better (higher eta²) than each of ``rivals``.

    An outcome that does not vary in the holdout (say every customer bought again, so nobody churned)
    cannot be separated by any segmentation: it is left out of the verdict and named.

    Returns
    -------
    dict
        ``wins`` (True when ours has the highest eta² on most of the outcomes that vary; None when none
        does), the best method per outcome, the outcomes left out, and a sentence.
    """
    eta = comparison.pivot(index="method", columns="outcome", values="eta2").loc[[ours, *rivals]]
    constant = [o for o in eta.columns if eta[o].isna().all()]
    best = {o: str(eta[o].idxmax()) for o in eta.columns if o not in constant}
    won = [o for o, m in best.items() if m == ours]
    left_out = f" ({', '.join(constant)}: the same for every customer in the holdout, left out)" if constant else ""
    if not best:
        return {"wins": None, "best": {}, "constant": constant,
                "text": f"no holdout outcome varies between customers{left_out}, so no segmentation can be judged "
                        "on it."}
    wins = len(won) > len(best) / 2
    sentence = (f"{ours} separates the holdout best on {len(won)} of {len(best)} outcomes"
                + (f" ({', '.join(won)})" if won else "")
                + "; " + ", ".join(f"{o}: {m} (eta² {eta.loc[m, o]:.3f})" for o, m in best.items() if m != ours))
    return {"wins": wins, "best": best, "constant": constant, "text": sentence.rstrip("; ") + "." + left_out}
