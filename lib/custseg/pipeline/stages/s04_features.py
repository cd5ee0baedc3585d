"""04 · The customer table (behaviour, demographics, survey), the CLV summary, the calibration/holdout split that
05 and 07 use, and the RFM scores with the named grid."""

from __future__ import annotations

import pandas as pd

from custseg import attributes, config, i18n, relations, rfm
from custseg import features as featuring
from custseg.errors import StageError
from custseg.features import split
from custseg.pipeline.registry import has_log
from custseg.pipeline.runner import Context, Result, body

NO_LOG = i18n.text("holdout.no_log")  # holdout.json keeps the English (cluster.choose.value_note shows it)


@body("04_features")
def features(ctx: Context) -> Result:
    cfg, logged = ctx.cfg, has_log(ctx.cfg)
    transactions = ctx.read("transactions", engine=True)
    snapshot = config.as_date(ctx.read("snapshot")["snapshot_date"])
    customers, survey = ctx.read("customers"), ctx.read_optional("collected_survey")
    kinds = featuring.attribute_kinds(customers, cfg["attributes"])
    attributes.check_outcomes(cfg["outcomes"] or [], kinds)
    table = split.features_at(cfg, transactions if logged else None, customers, survey, snapshot, kinds)
    factor_model, factor_summary = featuring.survey.fit(table, kinds, cfg["features"]["factor_analysis"])
    table = featuring.with_factors(table, factor_model)
    if table.empty:
        raise StageError("04_features: no customer has a kept purchase, so there is nothing to segment; read "
                         "02_clean's audit for the rules that removed the lines" if logged else
                         "04_features: the customer table kept no customer; read 02_clean's customer audit")
    empty = pd.DataFrame({"customer_id": pd.Series(dtype="str")})
    if logged:
        periods = split.periods(cfg, transactions, customers, survey, snapshot, table, kinds, factor_model)
        scores = rfm.rfm_table(table, **cfg["rfm"])
        if not (table["customer_id"].is_unique and len(scores) == len(table) == len(periods.clv)):
            raise StageError("04_features: the customer table, RFM scores and CLV summary disagree (a custseg bug)")
    else:
        periods = split.Periods(holdout={"snapshot": snapshot.isoformat(), "holdout_start": None, "reason": NO_LOG},
                                clv=empty, calibration=empty, calibrated=None, inner=None)
        scores = empty
    holdout = periods.holdout
    artefacts = {"attributes": kinds, "factors": factor_summary, "features": table, "rfm": scores,
                 "clv_summary": periods.clv, "calibration_holdout": periods.calibration, "holdout": holdout}
    optional = {"factor_model": factor_model, "calibration_features": periods.calibrated,
                "inner_split": None if periods.inner is None else periods.inner.table}
    artefacts.update({name: obj for name, obj in optional.items() if obj is not None})
    start, groups = holdout["holdout_start"], featuring.feature_groups(table, cfg["outcomes"] or [],
                                                                         featuring.likert_columns(kinds))
    dated = logged or bool(ctx.read("snapshot").get("dated", True))  # 02 decided it, on every row
    recorded = {"customers": len(table), **holdout, "dated": dated, "features": int(table.shape[1] - 1),
                "has_log": logged,
                "groups": {dimension: len(cols) for dimension, cols in groups.items()},
                "outcomes": groups.get("outcome", []), "kinds": kinds["kind"].value_counts().to_dict() if len(
                    kinds) else {}, "rfm_segments": int(scores["rfm_segment"].nunique()) if logged else 0,
                "calibration_customers": len(periods.calibration),
                "factors": featuring.survey.recorded(factor_summary), "relations": relations.summary(kinds)}
    return Result(artefacts, recorded,
                  {"snapshot": snapshot, "dated": dated, "table": table, "clv": periods.clv, "holdout": holdout,
                   "attributes": kinds,
                   "factors": factor_summary, "factor_model": factor_model,
                   "holdout_start": config.as_date(start) if start else None, "calibration": periods.calibration,
                   "scores": scores, "groups": groups, "has_log": logged})
