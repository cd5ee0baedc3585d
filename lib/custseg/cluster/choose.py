"""Which features 05 clusters on, and how it says what it did: the defaults the data has, never an outcome,
no constant column; the expected-value sentence and the summary 06–08 read."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg import schema
from custseg.cluster.preprocess import available_columns, constant_columns, select_columns
from custseg.errors import StageError
from custseg.features import attribute_columns


def clustering_columns(table: pd.DataFrame, c: dict, defaults: list[str], outcomes: list[str], logged: bool,
                       factored: dict | None = None) -> tuple[list[str], list[str], list[str]]:
    """The columns to cluster on, the ones left out as (nearly) constant, and the default features the data
    lacks. ``defaults`` is the config's default ``cluster.features``: when ``c`` keeps it, the data decides.
    On a customer table the defaults are every attribute it has (the survey's items replaced by their
    factor scores when 04 fitted them).

    Raises
    ------
    StageError
        When an outcome is also a clustering feature, or every feature is constant.
    """
    patterns, absent = c["features"], []
    if patterns == defaults and not logged:
        factored = factored or {}
        patterns = attribute_columns(table, outcomes, factored["items"] if factored.get("factors") else [])
    elif patterns == defaults:  # the defaults: those the data has (a log has no age)
        patterns, absent = available_columns(table, patterns)
    named = [o for o in outcomes if o in patterns]
    if named:
        raise StageError(f"05_cluster: {', '.join(named)} is in both cluster.features and outcomes; segments are "
                         "judged by an outcome, never formed on it: remove it from one of them")
    chosen = [col for col in select_columns(table, patterns, c["dimensions"]) if col not in outcomes]
    dropped = constant_columns(table[chosen]) if len(table) > 1 else []
    columns = [col for col in chosen if col not in dropped]
    if not columns:
        raise StageError(f"05_cluster: every clustering feature ({', '.join(chosen)}) has the same value for (nearly) "
                         "all customers, so there is nothing to segment on; add features in cluster.features or "
                         "cluster.dimensions")
    return columns, dropped, absent


def value_note(c: dict, used: bool, split: dict) -> str:
    """One sentence: whether the segments use the expected value, and why not when they do not."""
    if used:
        return (f"The segments also use each customer's expected value: a model of log(1 + spend) learned from "
                f"the features before {split['holdout_start']} and the spend from then to {split['snapshot']}, "
                "weighted as much as all the other features together (cluster.expected_value).")
    if not c["expected_value"]:
        return "The expected value is switched off (cluster.expected_value: false)."
    return ("Without an earlier period to learn from (" + (split.get("reason") or "no holdout") + "), the "
            "segments use the features alone.")


def summary(segments: pd.DataFrame, segmenter, c: dict, columns: list[str], dropped: list[str], absent: list[str],
            reason: str, expected_value: str) -> dict:
    """05's ``cluster.json``: k and why, the features, stability, noise and sizes."""
    labels = segments["segment"].to_numpy()
    sizes = segments["segment"].value_counts().sort_index()
    return {"k": int(segments["segment"].nunique()), "reason": reason, "features": columns,
            "dropped_constant": dropped, "expected_value": expected_value, "not_in_data": absent,
            "algorithm": c["algorithm"], "stability_mean_ari": round(float(segmenter.stability_ari_), 4),
            "stability": schema.stability_verdict(segmenter.stability_ari_),
            "noise_share": round(float(np.mean(labels == -1)), 4),
            "sizes": {int(k): int(v) for k, v in sizes.items()}}
