"""Segments judged by outcome columns of the customer table (a churn flag, a response, revenue) that were never
used to form them: the rate or mean per segment with a 95 % interval, eta² and the lift of the best segment.

Binary outcomes get Wilson score intervals (well-behaved for rates near 0 or 1 and small segments); numeric
ones a t-interval of the mean. The outcome *separates* the segments when the intervals of the highest and
lowest segment do not overlap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from custseg.attributes import HIGHER, direction, is_flag, outcome_names
from custseg.stats import eta_squared, wilson


def by_segment(customers: pd.DataFrame, outcome: str, segment: str = "segment") -> pd.DataFrame:
    """Per segment: ``customers`` with a value, the ``value`` (rate or mean), its 95 % interval (``low``,
    ``high``) and the ``lift`` over the whole base."""
    values = customers[[segment, outcome]].dropna()
    binary = is_flag(values[outcome])
    base = values[outcome].mean()
    rows = []
    for seg, part in values.groupby(segment):
        n, mean = len(part), part[outcome].mean()
        if binary:
            low, high = wilson(part[outcome].sum(), n)
        else:
            half = stats.t.ppf(0.975, n - 1) * part[outcome].std() / np.sqrt(n) if n > 1 else np.nan
            low, high = mean - half, mean + half
        rows.append({segment: seg, "customers": n, "value": mean, "low": low, "high": high,
                     "lift": mean / base if base else np.nan})
    return pd.DataFrame(rows)


def validate(customers: pd.DataFrame, outcomes: dict | list, segment: str = "segment") -> tuple[pd.DataFrame,
                                                                                                  pd.DataFrame]:
    """Every outcome against the segments.

    ``outcomes`` is the config's mapping name → direction (or a list of names); the direction of each is the
    declared one or read off its name (:func:`custseg.attributes.direction`).

    Returns
    -------
    per_segment : DataFrame
        :func:`by_segment` of each outcome, with an ``outcome`` column.
    summary : DataFrame
        One row per outcome: ``kind`` (rate or mean), ``base``, ``eta2``, ``best_segment`` and its ``lift``,
        the ``highest`` and ``lowest`` segments and ``separated`` (their 95 % intervals do not overlap),
        ``direction`` (higher_is_better, lower_is_better or unknown), ``direction_from`` (declared, name or
        unknown) and the ``best`` and ``worst`` segments by it (None when the direction is unknown).
    """
    parts, rows = [], []
    for outcome in outcome_names(outcomes):
        table = by_segment(customers, outcome, segment)
        parts.append(table.assign(outcome=outcome))
        top, bottom = table.loc[table["value"].idxmax()], table.loc[table["value"].idxmin()]
        rows.append({"outcome": outcome, "kind": "rate" if is_flag(customers[outcome]) else "mean",
                     "base": float(customers[outcome].mean()),
                     "eta2": eta_squared(customers[outcome], customers[segment]),
                     "highest": int(top[segment]), "highest_value": float(top["value"]),
                     "lowest": int(bottom[segment]), "lowest_value": float(bottom["value"]),
                     "best_lift": float(top["lift"]), "separated": bool(top["low"] > bottom["high"])})
        way, known = direction(outcome, outcomes)
        best, worst = (top, bottom) if way == HIGHER else (bottom, top)
        rows[-1].update(direction=way or "unknown", direction_from=known,
                        best=int(best[segment]) if way else None, worst=int(worst[segment]) if way else None)
    columns = ["outcome", segment, "customers", "value", "low", "high", "lift"]
    per_segment = pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
    return per_segment, pd.DataFrame(rows)


def sentence(summary: pd.DataFrame, language: str = "en") -> str:
    """The outcome check in words: for each outcome, the highest and lowest segment and whether they separate."""
    from custseg import i18n

    m = i18n.messages(language)["printed"]["outcomes"]
    out = []
    for r in summary.itertuples():
        shown = (lambda v: f"{v:.1%}") if r.kind == "rate" else (lambda v: f"{v:,.2f}")
        way = m["ways"][r.direction_from].format(way=m["direction"].get(r.direction, r.direction.replace("_", " ")),
                                                 name=r.outcome, best="" if pd.isna(r.best) else int(r.best))
        out.append(m["sentence"].format(outcome=r.outcome, highest=shown(r.highest_value), top=r.highest,
                                        lowest=shown(r.lowest_value), bottom=r.lowest, base=shown(r.base),
                                        eta2=f"{r.eta2:.3f}", overlap=m["separated" if r.separated else "overlap"],
                                        way=way))
    return m["sep"].join(out)
