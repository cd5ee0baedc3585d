"""The rule segments of ``rule_segments`` scored with the same scorecard as the clusters, with their profile."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from custseg import profile, rule_segments
from custseg.evaluate.scorecard import scorecard, separation, solution_summary
from custseg.schema import MONETARY


def score_rule_segments(customers: pd.DataFrame, spec: dict, clustered_on: list[str], reachable: pd.Series | None,
                        e: dict, levers: list[str] | None = None, declared: dict | None = None
                        ) -> SimpleNamespace | None:
    """Each customer's rule segment (``assigned``; the rules read the ordinals of ``declared``, the config's
    ``attributes``, by their labels), its scorecard, summary and index table; None when no rule segments are
    configured."""
    if not rule_segments.configured(spec):
        return None
    assigned = rule_segments.assign(customers, spec, declared)
    ruled = customers.drop(columns="segment").merge(assigned[["customer_id", "segment"]], on="customer_id")
    card = scorecard(ruled, clustered_on, reachable=None if reachable is None else reachable.set_axis(customers.index),
                     min_share=e["min_share"], min_effect=e["min_effect"], min_reach=e["min_reach"], levers=levers)
    names = assigned.drop_duplicates("segment").set_index("segment")["segment_name"]
    card.insert(1, "name", card["segment"].map(names))
    summary = solution_summary(card, separation(ruled, clustered_on))
    summary["names"] = {int(k): v for k, v in names.items()}
    numeric = [col for col in clustered_on if pd.api.types.is_numeric_dtype(ruled[col])]
    index = profile.index_table(profile.profile(ruled[["segment", *numeric, *(
        [MONETARY] if MONETARY in ruled and MONETARY not in numeric else [])]]))
    return SimpleNamespace(assigned=assigned, card=card, summary=summary, index=index.rename(index=names.to_dict()))
