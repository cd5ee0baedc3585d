"""Which features 05 clusters on, and how it says what it did: the defaults the data has, never an outcome,
no constant column; the expected-value sentence and the summary 06–08 read."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg import schema
from custseg.attributes import demographic_columns, sensitive_columns
from custseg.cluster.preprocess import available_columns, constant_columns, select_columns
from custseg.errors import StageError
from custseg.features import attribute_columns


def clustering_columns(table: pd.DataFrame, c: dict, defaults: list[str], outcomes: list[str], logged: bool,
                       factored: dict | None = None, sensitive: list[str] | tuple = (),
                       derived: list[str] | tuple = ()
                       ) -> tuple[list[str], list[str], list[str], dict[str, list[str]]]:
    """The columns to cluster on, the ones left out as (nearly) constant, the default features the data lacks,
    and the columns kept out to describe the segments only (``sensitive`` and ``demographic``).

    ``defaults`` is the config's default ``cluster.features``: when ``c`` keeps it, the data decides. On a
    customer table the defaults are every attribute it has (the survey's items replaced by their factor scores
    when 04 fitted them) except its demographics (gender, age …, :func:`custseg.attributes.demographic_columns`),
    which describe the segments unless ``cluster.use_demographics`` is true or the features are named. Columns
    holding sensitive traits (:func:`custseg.attributes.sensitive_columns`, with the config's ``sensitive``
    ones) are never clustered on, whatever the config says. Nor, by default, are the ``derived`` columns (nearly
    the product of two others, :func:`custseg.relations.derived_products`): they would count their factors twice;
    they describe the segments, and a config that names them clusters on them.

    Raises
    ------
    StageError
        When an outcome or a sensitive column is named as a clustering feature, or every feature is constant
        or kept out.
    """
    patterns, absent, demographic, left_out = c["features"], [], [], []
    barred = sensitive_columns([col for col in table.columns if col not in outcomes], sensitive)
    named = [p for p in patterns if p in barred]
    if named:
        raise StageError(f"05_cluster: {', '.join(named)} holds a sensitive trait (ethnicity, religion, health, "
                         "political views, union membership … or privacy.sensitive_columns): segments are never "
                         "formed on it; remove it from cluster.features (06 describes it in aggregate)")
    if patterns == defaults and not logged:
        factored = factored or {}
        patterns = attribute_columns(table, outcomes, factored["items"] if factored.get("factors") else [])
        if not c["use_demographics"]:
            demographic = [col for col in demographic_columns(patterns) if col not in barred]
            patterns = [p for p in patterns if p not in demographic]
        left_out = [col for col in derived if col in patterns]
        patterns = [p for p in patterns if p not in left_out]
    elif patterns == defaults:  # the defaults: those the data has (a log has no age)
        patterns, absent = available_columns(table, patterns)
    named = [o for o in outcomes if o in patterns]
    if named:
        raise StageError(f"05_cluster: {', '.join(named)} is in both cluster.features and outcomes; segments are "
                         "judged by an outcome, never formed on it: remove it from one of them")
    kept_out = {"sensitive": [col for col in barred if col in table.columns], "demographic": demographic,
                "derived": left_out}
    patterns = [p for p in patterns if p not in barred]
    if not patterns and not c["dimensions"]:
        raise StageError("05_cluster: the customer table has nothing to cluster on but "
                         + ", ".join(kept_out["demographic"] + kept_out["sensitive"]) + ", which describe the "
                         "segments only; set cluster.use_demographics: true to cluster on the demographics")
    chosen = [col for col in select_columns(table, patterns, c["dimensions"]) if col not in outcomes
              and col not in barred]
    dropped = constant_columns(table[chosen]) if len(table) > 1 else []
    columns = [col for col in chosen if col not in dropped]
    if not columns:
        raise StageError(f"05_cluster: every clustering feature ({', '.join(chosen)}) has the same value for (nearly) "
                         "all customers, so there is nothing to segment on; add features in cluster.features or "
                         "cluster.dimensions")
    return columns, dropped, absent, kept_out


def used_note(summary: dict, language: str = "en") -> str:
    """What the segments were formed on and what only describes them, in one or two sentences (05 and 06 say it),
    in ``language``."""
    from custseg import i18n

    say = lambda key, cols: i18n.text(f"n05.{key}", language, columns=i18n.names(cols, language))  # noqa: E731
    kept = summary.get("described_only") or {}
    sentences = [say("used", summary["features"])]
    if kept.get("demographic"):
        sentences.append(say("demographic", kept["demographic"]))
    if kept.get("derived"):
        sentences.append(say("derived_one" if len(kept["derived"]) == 1 else "derived_many", kept["derived"]))
    if kept.get("sensitive"):
        sentences.append(say("sensitive", kept["sensitive"]))
    return i18n.messages(language)["sentence_sep"].join(sentences)


def stability_note(segmenter, language: str = "en") -> str:
    """One line on the chosen solution's agreement with its refits on subsamples (mean ARI and its verdict), or
    that it was not measured (``cluster.stability_runs: 0``), in ``language``."""
    import math

    from custseg import i18n, schema

    ari = segmenter.stability_ari_
    if ari is None or math.isnan(ari):
        return i18n.text("n05.stability_none", language)
    return i18n.text("n05.stability", language, ari=f"{ari:.3f}",
                     verdict=i18n.word(schema.stability_verdict(ari), language))


def value_note(c: dict, used: bool, split: dict, language: str = "en") -> str:
    """One sentence: whether the segments use the expected value, and why not when they do not, in ``language``."""
    from custseg import i18n

    if used:
        return i18n.text("n05.value_used", language, start=split["holdout_start"], snapshot=split["snapshot"])
    if not c["expected_value"]:
        return i18n.text("n05.value_off", language)
    from custseg.features.split import holdout_reason

    if split.get("reason") == i18n.text("holdout.no_log"):  # no log at all: nothing to learn a value from
        return i18n.text("n05.value_no_log", language)
    why = holdout_reason(split, language) or i18n.text("n05.no_holdout", language)
    return i18n.text("n05.value_none", language, reason=why)


def summary(segments: pd.DataFrame, segmenter, c: dict, columns: list[str], dropped: list[str], absent: list[str],
            reason: str, expected_value: str, kept_out: dict | None = None) -> dict:
    """05's ``cluster.json``: k and why, the features, stability, noise and sizes."""
    labels = segments["segment"].to_numpy()
    sizes = segments["segment"].value_counts().sort_index()
    return {"k": int(segments["segment"].nunique()), "reason": reason, "features": columns,
            "dropped_constant": dropped, "expected_value": expected_value, "not_in_data": absent,
            "described_only": kept_out or {"sensitive": [], "demographic": []},
            "algorithm": c["algorithm"], "stability_mean_ari": round(float(segmenter.stability_ari_), 4),
            "stability": (None if np.isnan(segmenter.stability_ari_)
                          else schema.stability_verdict(segmenter.stability_ari_)),
            "noise_share": round(float(np.mean(labels == -1)), 4),
            **_separation(segmenter, int(segments["segment"].nunique())),
            "sizes": {int(k): int(v) for k, v in sizes.items()}}


def _separation(segmenter, k: int) -> dict:
    """The chosen k's silhouette in the sweep and its verdict (:func:`custseg.schema.separation_verdict`); None
    without a sweep (a k set in the config, a baseline's model)."""
    sweep = getattr(segmenter, "sweep_", None)
    row = sweep[sweep["k"] == k] if sweep is not None and "silhouette" in sweep else None
    if row is None or row.empty or pd.isna(row["silhouette"].iloc[0]):
        return {"silhouette": None, "separation": None}
    value = float(row["silhouette"].iloc[0])
    return {"silhouette": round(value, 4), "separation": schema.separation_verdict(value)}


def _doubtful(segmenter) -> list[int]:
    """The segments that hold together less well over the refits on subsamples than a stable one (Jaccard)."""
    per = getattr(segmenter, "segment_stability_", None)
    if per is None:
        return []
    return [int(r.segment) for r in per.itertuples() if schema.jaccard_verdict(r.jaccard) != "stable"]


def metrics(summary: dict, segmenter) -> dict:
    """05's headline numbers for its stage record (what "What we did" says): k and how it was found, the
    features, the algorithm, the smallest segment, stability, the expected value and the baseline run."""
    sizes, sweep = pd.Series(summary["sizes"]), segmenter.sweep_
    return {**{key: summary[key] for key in ("k", "stability_mean_ari", "stability", "features", "algorithm")},
            "smallest_share": round(float(sizes.min() / sizes.sum()), 4), "customers": int(sizes.sum()),
            "fitted_rows": getattr(segmenter, "fitted_rows_", None),  # fewer than the customers: a sample
            "k_tried": None if sweep is None else [int(sweep["k"].min()), int(sweep["k"].max())],
            "expected_value": getattr(segmenter, "value_model_", None) is not None,
            "doubtful_segments": _doubtful(segmenter),
            "baseline": None if not summary.get("baseline") else {key: summary["baseline"][key]
                                                                  for key in ("run", "refit")}}
