"""07 · The scorecard, the holdout contest against the simple rivals, migration and drift at a later snapshot
(``evaluate.later_snapshot``) and against a baseline run (``cluster.baseline``)."""

from __future__ import annotations

from pathlib import Path

from custseg import config, headlines
from custseg.pipeline.registry import has_log
from custseg.pipeline.runner import Context, Result, body
from custseg.pipeline.stages.s06_personas import segment_customers


@body("07_evaluate")
def evaluate(ctx: Context) -> Result:
    from custseg import evaluate as evaluation
    from custseg import published

    cfg, e = ctx.cfg, ctx.cfg["evaluate"]
    customers, segmenter, cluster = segment_customers(ctx), ctx.read("segmenter"), ctx.read("cluster")
    clustered_on, crm = cluster["features"], ctx.read("customers")
    _, reachable = evaluation.contacts(crm, customers, e["contact_columns"])
    levers = None if has_log(cfg) else clustered_on  # a customer table's own columns are what the business acts on
    card = evaluation.scorecard(customers, clustered_on, segment_stability=segmenter.segment_stability_,
                                reachable=None if reachable is None else reachable.set_axis(customers.index),
                                min_share=e["min_share"], min_effect=e["min_effect"], min_reach=e["min_reach"],
                                levers=levers)
    per_outcome, judged = evaluation.outcomes.validate(customers, cfg["outcomes"] or [])
    separated = evaluation.separation(customers, clustered_on)
    solution = evaluation.solution_summary(card, separated, segmenter.stability_ari_)
    rules = evaluation.rules.score_rule_segments(customers, cfg["rule_segments"], clustered_on, reachable, e, levers,
                                                 cfg["attributes"])
    # the holdout contest: segments formed on the calibration period, judged on what customers did after it
    split = ctx.read("holdout")
    snapshot = config.as_date(split["snapshot"])
    start = config.as_date(split["holdout_start"]) if split["holdout_start"] else None
    data, methods, comparison, contest = evaluation.contest.holdout_contest(
        cfg, segmenter, clustered_on, ctx.read("calibration_features") if start else None,
        ctx.read_optional("inner_split") if start else None, start, split.get("reason"))
    suggestion = evaluation.contest.suggestion(cfg, contest, solution["k"])
    migration = evaluation.migration.at_later_snapshot(
        cfg, ctx.read("collected_transactions", engine=True), ctx.read("customers", engine=True),
        ctx.read("quarantine_customers", engine=True), ctx.read("transactions", engine=True), crm,
        ctx.read_optional("collected_survey"), ctx.read_optional("factor_model"), customers, segmenter, clustered_on,
        snapshot) if e["later_snapshot"] is not None else None
    against = None if not cluster.get("baseline") else evaluation.migration.against_baseline(
        published.customers(Path(cluster["baseline"]["folder"])), customers, clustered_on, e, cluster["baseline"],
        cfg["language"])
    # rules as rivals: the best one- and two-attribute split, chosen on half the customers, judged on the rest
    rivals = evaluation.rivals.of_run(customers, clustered_on, cfg["outcomes"] or [], data if start else None,
                                      methods.get("custseg"), e["bootstrap"], cfg["cluster"]["seed"], cfg["attributes"])
    said = evaluation.outcomes.sentence(judged, cfg["language"])
    summary = evaluation.record.summary(solution, start, snapshot, judged, said, contest, suggestion, rules, migration,
                                        against, rivals, cfg["language"])
    artefacts = {"scorecard": card, "holdout_validation": comparison, "outcome_validation": per_outcome,
                 "evaluate": summary, "rule_rivals": rivals.drop(columns="config"),
                 **evaluation.record.optional_artefacts(rules, migration, against)}
    eta = evaluation.record.eta_table(comparison)
    return Result(artefacts, evaluation.record.metrics(summary, eta, migration, against),
                  {"customers": customers, "card": card, "separated": separated, "solution": solution,
                   "reachable": reachable, "data": data, "holdout_start": start, "snapshot": snapshot,
                   "methods": methods, "comparison": comparison, "contest": contest, "migration": migration,
                   "against": against, "outcomes": per_outcome, "rules": rules, "outcome_summary": judged,
                   "has_log": has_log(cfg), "suggestion": suggestion, "rivals": rivals,
                   "eta": eta.reindex(index=list(methods), columns=list(evaluation.OUTCOMES))},
                  headline=headlines.evaluate(solution, contest, comparison, methods, start, snapshot, migration,
                                              suggestion, summary["outcomes_text"], summary["baseline"],
                                              summary["rivals"], cfg["language"]))
