"""RFM scoring (1–5) and the named RFM segment grid.

Scores are quintiles: ``frequency`` and ``monetary`` score 5 for the highest values, ``recency_days``
scores 5 for the most recent buyers. Ties are broken by rank order (``method="first"``) so every
score has the same number of customers even when many customers share a value (e.g. one order).

The grid maps (R score, F score) to a named segment. It is exhaustive and non-overlapping: every one
of the 25 cells maps to exactly one name (tested).
"""

from __future__ import annotations

import pandas as pd

# (segment, R scores, F scores, typical action)
GRID: list[tuple[str, range, range, str]] = [
    ("Champions", range(5, 6), range(4, 6), "reward; early access; ask for reviews and referrals"),
    ("Loyal", range(3, 5), range(4, 6), "upsell higher-value products; loyalty programme"),
    ("Potential Loyalist", range(4, 6), range(2, 4), "membership offers; recommend related categories"),
    ("New", range(5, 6), range(1, 2), "onboarding; make the second purchase easy"),
    ("Promising", range(4, 5), range(1, 2), "build the relationship; free trials, small incentives"),
    ("Need Attention", range(3, 4), range(3, 4), "limited-time offers based on past purchases"),
    ("About to Sleep", range(3, 4), range(1, 3), "reactivate with popular products and discounts"),
    ("At Risk", range(1, 3), range(3, 5), "personalised win-back; find out what went wrong"),
    ("Can't Lose Them", range(1, 3), range(5, 6), "win them back with your best offers; talk to them"),
    ("Hibernating", range(1, 3), range(1, 3), "low-cost reactivation, else let go"),
]


def score(values: pd.Series, bins: int = 5, higher_is_better: bool = True) -> pd.Series:
    """Quantile scores 1..bins; ties broken by order of appearance so bins stay equal-sized."""
    ranks = values.rank(method="first", ascending=higher_is_better)
    return pd.qcut(ranks, bins, labels=list(range(1, bins + 1))).astype("int64")


def segment_of(r: int, f: int) -> str:
    """The grid segment of an (R, F) score pair."""
    names = [name for name, rs, fs, _ in GRID if r in rs and f in fs]
    if len(names) != 1:
        raise ValueError(f"RFM grid maps R={r}, F={f} to {names}; it must map to exactly one segment")
    return names[0]


def rfm_table(features: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """R, F, M scores, the RFM code (e.g. ``'545'``) and the grid segment for every customer.

    Parameters
    ----------
    features : DataFrame
        Needs ``customer_id``, ``recency_days``, ``frequency`` and ``monetary``.
    """
    out = features[["customer_id", "recency_days", "frequency", "monetary"]].copy()
    out["r_score"] = score(out["recency_days"], bins, higher_is_better=False)
    out["f_score"] = score(out["frequency"], bins)
    out["m_score"] = score(out["monetary"], bins)
    out["rfm_code"] = out["r_score"].astype("str") + out["f_score"].astype("str") + out["m_score"].astype("str")
    out["rfm_segment"] = [segment_of(r, f) for r, f in zip(out["r_score"], out["f_score"], strict=True)]
    return out


def segment_summary(rfm: pd.DataFrame) -> pd.DataFrame:
    """Size, share, mean R/F/M and the typical action of each grid segment."""
    actions = {name: action for name, _, _, action in GRID}
    g = rfm.groupby("rfm_segment").agg(customers=("customer_id", "size"), recency_days=("recency_days", "mean"),
                                       frequency=("frequency", "mean"), monetary=("monetary", "mean"),
                                       revenue=("monetary", "sum"))
    g["share"] = g["customers"] / g["customers"].sum()
    g["revenue_share"] = g["revenue"] / g["revenue"].sum()
    g["action"] = g.index.map(actions)
    return g.sort_values("revenue", ascending=False).drop(columns="revenue").reset_index()
