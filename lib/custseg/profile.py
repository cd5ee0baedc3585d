"""Segment profiles: size, value, feature means indexed against the whole base, and a grounded write-up.

An index of 100 means "as the average customer"; 200 is twice the average. Every sentence of a
write-up is built from a number in the profile, so a persona never says more than the data backs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GENDER_WORDS = {"F": "women", "M": "men"}
LABELS = {
    "recency_days": "days since last purchase", "frequency": "orders", "monetary": "net spend",
    "avg_order_value": "average order value", "discount_share": "discount share of list value",
    "return_rate": "return rate", "tenure_days": "days since first purchase", "age": "age",
    "interpurchase_days": "days between orders",
}


def label(column: str) -> str:
    """A readable name for a feature column."""
    if column.startswith("share_channel_"):
        return f"share of orders via {column.removeprefix('share_channel_').replace('_', ' ')}"
    if column.startswith("share_cat_"):
        return f"spend share on {column.removeprefix('share_cat_').replace('_', ' ')}"
    if column.startswith("survey_"):
        return f"survey: {column.removeprefix('survey_').replace('_', ' ')} (1–5)"
    return LABELS.get(column, column.replace("_", " "))


def profile(customers: pd.DataFrame, segment: str = "segment", value: str = "monetary") -> pd.DataFrame:
    """Per segment: customers, share of customers, share of value and the mean of every numeric feature.

    Parameters
    ----------
    customers : DataFrame
        One row per customer with a ``segment`` column and numeric features.

    Returns
    -------
    DataFrame
        Indexed by segment, plus a final ``all`` row for the whole base.
    """
    numeric = [c for c in customers.select_dtypes("number").columns if c != segment]
    g = customers.groupby(segment)
    out = g[numeric].mean()
    out.insert(0, "customers", g.size())
    out.insert(1, "share", out["customers"] / len(customers))
    out.insert(2, "value_share", g[value].sum() / customers[value].sum())
    total = customers[numeric].mean().to_frame("all").T
    total.insert(0, "customers", len(customers))
    total.insert(1, "share", 1.0)
    total.insert(2, "value_share", 1.0)
    return pd.concat([out, total])


def index_table(prof: pd.DataFrame) -> pd.DataFrame:
    """Feature means as an index vs the whole base (100 = average customer)."""
    features = prof.drop(columns=["customers", "share", "value_share"])
    base = features.loc["all"].replace(0, np.nan)
    return (features.drop(index="all") / base * 100).round(0)


def distinguishing(customers: pd.DataFrame, segment: str = "segment", top: int = 5) -> pd.DataFrame:
    """The features that set each segment apart most: standardised mean difference vs the rest.

    Returns one row per (segment, feature) for the ``top`` largest absolute effect sizes.
    """
    numeric = [c for c in customers.select_dtypes("number").columns if c != segment]
    rows = []
    for seg, part in customers.groupby(segment):
        rest = customers[customers[segment] != seg]
        sd = np.sqrt((part[numeric].var() + rest[numeric].var()) / 2).replace(0, np.nan)
        d = ((part[numeric].mean() - rest[numeric].mean()) / sd).dropna()
        for feat in d.abs().sort_values(ascending=False).index[:top]:
            rows.append({segment: seg, "feature": feat, "label": label(feat), "effect_size": round(d[feat], 2),
                         "segment_mean": part[feat].mean(), "others_mean": rest[feat].mean()})
    return pd.DataFrame(rows)


def _value_level(value_index: float) -> str:
    return "High-value" if value_index >= 150 else "Low-value" if value_index < 60 else "Mid-value"


def _activity(recency_days: float, frequency: float) -> str:
    if frequency < 2:
        return "one-time"
    return "active" if recency_days <= 45 else "lapsing" if recency_days <= 180 else "dormant"


def name_segment(idx: pd.Series, means: pd.Series) -> str:
    """A descriptive name from the profile, e.g. 'High-value active · luxury'.

    Built from the monetary index (value level), recency/frequency (activity) and the channel or
    category share most above average.
    """
    level = _value_level(idx.get("monetary", 100))
    activity = _activity(means.get("recency_days", 0), means.get("frequency", 2))
    shares = idx[[c for c in idx.index if c.startswith(("share_cat_", "share_channel_"))]].dropna()
    trait = ""
    if not shares.empty and shares.max() >= 130:
        top = shares.idxmax()
        trait = " · " + top.split("_", 2)[2].replace("_", " ")
    return f"{level} {activity}{trait}"


def write_up(seg, prof: pd.DataFrame, idx: pd.DataFrame, customers: pd.DataFrame, segment: str = "segment") -> str:
    """A short paragraph about one segment; every number comes from ``prof``/``customers``."""
    p, i = prof.loc[seg], idx.loc[seg]
    part = customers[customers[segment] == seg]
    lines = [f"{p['customers']:,.0f} customers ({p['share']:.0%} of the base) bring {p['value_share']:.0%} "
             f"of net spend. They placed {p['frequency']:.1f} orders on average (index {i['frequency']:.0f}), "
             f"spend {p['avg_order_value']:,.0f} per order (index {i['avg_order_value']:.0f}) and last bought "
             f"{p['recency_days']:.0f} days before the snapshot."]
    if "age" in p and not np.isnan(p["age"]):
        lines.append(f"Average age {p['age']:.0f}.")
    for col, template in (("city_tier", "{share:.0%} live in {value} cities."), ("gender", "{share:.0%} are {value}.")):
        if col in part and part[col].notna().any():
            top = part[col].value_counts(normalize=True)
            value = GENDER_WORDS.get(top.index[0], top.index[0]) if col == "gender" else top.index[0]
            lines.append(template.format(share=top.iloc[0], value=value))
    over = i[[c for c in i.index if c.startswith(("share_", "survey_", "discount_share"))]].dropna()
    over = over[over >= 130].sort_values(ascending=False).head(3)
    if len(over):
        lines.append("Well above average: " + "; ".join(
            f"{label(c)} {p[c]:.0%} (index {v:.0f})" if not c.startswith("survey_")
            else f"{label(c)} {p[c]:.1f} (index {v:.0f})" for c, v in over.items()) + ".")
    return " ".join(lines)
