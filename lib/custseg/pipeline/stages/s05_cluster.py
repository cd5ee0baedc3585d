"""05 · Cluster the customers on the configured features, choosing k when it is not set; or assign them with a
baseline run's model (``cluster.baseline``), refitted and matched to it with ``cluster.refit``."""

from __future__ import annotations

import pandas as pd

from custseg import config, i18n
from custseg.errors import StageError
from custseg.features.split import features_and_later_spend
from custseg.pipeline.registry import has_log
from custseg.pipeline.runner import Context, Result, body
from custseg.relations import derived_columns


@body("05_cluster")
def segment(ctx: Context) -> Result:
    from custseg import published
    from custseg.cluster import Segmenter, TooFewCustomers, choose

    cfg, c = ctx.cfg, ctx.cfg["cluster"]
    table, split, kinds = ctx.read("features"), ctx.read("holdout"), ctx.read("attributes")
    columns, dropped, absent, kept_out = choose.clustering_columns(
        table, c, config.DEFAULTS["cluster"]["features"], list(cfg["outcomes"] or []), has_log(cfg),
        ctx.read_optional("factors"), cfg["privacy"]["sensitive_columns"], derived_columns(kinds))
    saved = published.baseline(c["baseline"], ctx.workdir, table) if c["baseline"] else None
    if saved is not None and not c["refit"]:  # the baseline's model, unchanged: its segments, its numbers
        segmenter, columns, dropped, absent = saved.segmenter, saved.features, [], []
        segmenter.labels_, segmenter.sweep_ = segmenter.predict(table[columns]), None  # this run's customers
        reason = (f"The segments of the baseline run '{c['baseline']}': its saved model assigned these customers, "
                  "so segment numbers and names keep their meaning (cluster.refit: true fits afresh).")
        value = ("The segments use the expected value as the baseline run learned it."
                 if getattr(segmenter, "value_model_", None) is not None else
                 "The baseline run's model does not use the expected value.")
    else:
        calibrated, inner = ctx.read_optional("calibration_features"), ctx.read_optional("inner_split")
        # the expected value is learned from the latest complete period: features before the holdout, spend in it
        value_from = (features_and_later_spend(calibrated, columns) if c["expected_value"] and calibrated is not None
                      else None)
        early, later = features_and_later_spend(inner, columns) if inner is not None and c["k"] is None else (None,
                                                                                                              None)
        label = i18n.text("k.later_label", cfg["language"], start=split["inner_start"],
                          end=split["inner_end"]) if early is not None else ""
        try:
            segmenter = Segmenter.from_config(c).fit(table[columns], value_from=value_from, early=early, later=later,
                                                     later_label=label, language=cfg["language"])
        except TooFewCustomers as err:
            raise StageError(f"05_cluster: {err}. The RFM scores of 04_features (rfm.parquet) still rank them"
                             ) from None
        reason, value = segmenter.reason_, choose.value_note(c, value_from is not None, split, cfg["language"])
    matched = None
    if saved is not None and c["refit"]:
        matched, matching = published.match_to_baseline(segmenter, table, saved, c["baseline"])
        reason += matching
    segments = pd.DataFrame({"customer_id": table["customer_id"], "segment": segmenter.labels_})
    spend = segmenter.predicted_spend(table[columns])
    if spend is not None:  # 06 describes the segments with it and the CRM export carries it
        segments[spend.name] = spend.round(2).to_numpy()
    summary = choose.summary(segments, segmenter, c, columns, dropped, absent, reason, value, kept_out)
    if saved is not None:
        summary["baseline"] = {"run": c["baseline"], "folder": str(saved.folder), "refit": c["refit"],
                               "names": {str(k): v for k, v in saved.names.items()},
                               "matched": None if matched is None else {str(k): int(v) for k, v in matched.items()}}
    artefacts = {"segments": segments, "segmenter": segmenter, "cluster": summary}
    if segmenter.sweep_ is not None:
        artefacts["k_sweep"] = segmenter.sweep_
    return Result(artefacts, choose.metrics(summary, segmenter),
                  {"table": table, "columns": columns, "dropped": dropped, "absent": absent, "segmenter": segmenter,
                   "segments": segments, "summary": summary, "used": choose.used_note(summary, cfg["language"]),
                   "attributes": kinds})
