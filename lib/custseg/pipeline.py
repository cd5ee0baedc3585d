"""The pipeline: one function per stage, each reading its declared artefacts and writing its own.

===============  ====================================================  ==============================================
stage            reads                                                 writes
===============  ====================================================  ==============================================
01_collect       the sources in ``paths.raw`` (or URLs)                collected_customers, collected_transactions,
                                                                       collected_survey, validation, source_totals,
                                                                       reconciliation, collect_counts
02_clean         collected_customers, collected_transactions           customers, quarantine_customers, transactions,
                                                                       quarantine_transactions, audit, snapshot
03_describe      customers, transactions                               (figures only)
04_features      transactions, snapshot, customers, collected_survey   features, rfm, clv_summary,
                                                                       calibration_holdout, holdout,
                                                                       calibration_features, inner_split
05_cluster       features, calibration_features, inner_split           segments, segmenter, k_sweep, cluster
06_personas      features, segments, rfm, cluster                      personas, profile, compositions, rules,
                                                                       segments_csv
07_evaluate      features, segments, segmenter, cluster, customers,    scorecard, holdout_validation, evaluate,
                 transactions, holdout, calibration_features,          transitions, drift
                 inner_split, collected_*                              rule_segments
08_target        features, segments, cluster, rfm, customers,          targeting, basket_rules, offers, under_bought,
                 personas, transactions, snapshot, rule_segments       target, audiences (and the persona cards again,
                                                                       with their offers)
09_measure       segments, personas, sources.campaign                  campaign_results, campaign_quarantine, measure
===============  ====================================================  ==============================================

The notebooks, ``custseg run`` and the tests call these functions; a notebook shows what its stage returns.
A stage checks that its inputs exist and were made from the same configuration (:func:`check_inputs`),
and records what it ran with in ``data/processed/<run>/stages/<stage>.json`` (:func:`fingerprint` of the
config keys it reads and of its inputs' stages, the raw files' sizes and times for 01, and its headline
numbers), so ``custseg run --from`` can reuse the stages before it and refuse stale ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import ibis
import numpy as np
import pandas as pd

from custseg import clean as cleaning
from custseg import collect as collecting
from custseg import config, demo, engine, i18n, io, plots, rfm, schema
from custseg import describe as describing
from custseg import features as featuring
from custseg.errors import ConfigError, SourceError, StageError

# 04-07 import scikit-learn (clustering, profiles, evaluation) inside their functions: it takes 1.5 s to
# import, and notebooks 01-03, which start a kernel each, do not need it


@dataclass(frozen=True)
class Stage:
    """A step of the method: its notebook, the artefacts it reads and writes, the config keys it depends on."""

    name: str  # the notebook's stem, e.g. 05_cluster
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    config: tuple[str, ...]  # config sections or dotted keys whose values change its results
    maybe_reads: tuple[str, ...] = ()  # read when they exist (a survey)
    maybe_writes: tuple[str, ...] = ()  # written when the data or config has them

    @property
    def number(self) -> int:
        return int(self.name[:2])


STAGES: list[Stage] = [
    Stage("01_collect", (), ("collected_customers", "collected_transactions", "validation", "source_totals",
                             "reconciliation", "collect_counts"),
          ("sources.transactions", "sources.orders", "sources.customers", "sources.survey", "privacy", "validation",
           "demo", "paths.raw", "clean.test_account_patterns"),
          maybe_writes=("collected_survey",)),
    Stage("02_clean", ("collected_customers", "collected_transactions"),
          ("customers", "quarantine_customers", "transactions", "quarantine_transactions", "audit", "snapshot"),
          ("snapshot_date", "clean")),
    Stage("03_describe", ("customers", "transactions"), (), ()),
    Stage("04_features", ("transactions", "snapshot", "customers"),
          ("features", "rfm", "clv_summary", "calibration_holdout", "holdout", "attributes", "factors"),
          ("features", "rfm", "attributes", "outcomes"),
          maybe_reads=("collected_survey",), maybe_writes=("calibration_features", "inner_split", "factor_model")),
    Stage("05_cluster", ("features",), ("segments", "segmenter", "cluster"), ("cluster", "outcomes"),
          maybe_reads=("calibration_features", "inner_split", "factors"), maybe_writes=("k_sweep",)),
    Stage("06_personas", ("features", "segments", "rfm", "cluster"),
          ("personas", "profile", "compositions", "rules", "segments_csv", "persona_cards"), ("language",)),
    Stage("07_evaluate", ("features", "segments", "segmenter", "cluster", "customers", "transactions", "holdout",
                          "quarantine_customers", "collected_transactions"),
          ("scorecard", "holdout_validation", "evaluate", "outcome_validation"),
          ("evaluate", "cluster", "rfm", "features", "outcomes", "rule_segments"),
          maybe_reads=("collected_survey", "calibration_features", "inner_split", "factor_model"),
          maybe_writes=("transitions", "drift", "baseline_transitions", "baseline_drift", "rule_segments")),
    Stage("08_target", ("features", "segments", "cluster", "rfm", "customers", "personas", "transactions", "snapshot",
                        "segmenter"),
          ("targeting", "target", "audiences"), ("target", "offers", "rule_segments", "evaluate.contact_columns",
                                                 "evaluate.min_share", "evaluate.min_reach", "language"),
          maybe_reads=("rule_segments",), maybe_writes=("basket_rules", "offers", "under_bought")),
    Stage("09_measure", ("segments", "personas"), ("measure",),
          ("sources.campaign", "campaign", "privacy", "ids"),
          maybe_writes=("campaign_results", "campaign_quarantine")),
]
PRODUCER = {name: s for s in STAGES for name in (*s.writes, *s.maybe_writes)}


def stage(name: str | int) -> Stage:
    """A stage by name (``05_cluster``), number (``5``, ``"05"``) or short name (``cluster``).

    Raises
    ------
    StageError
        For an unknown stage, listing the stages.
    """
    key = str(name).strip()
    for s in STAGES:
        if key in (s.name, s.name[3:]) or (key.isdigit() and int(key) == s.number):
            return s
    raise StageError(f"unknown stage {name!r}: use one of {', '.join(s.name for s in STAGES)} (or its number)")


def _value(cfg: dict, dotted: str):
    node = cfg
    for part in dotted.split("."):
        node = node[part]
    return node


def _raw_files(cfg: dict) -> list:
    """What 01 reads, as (path or URL, size, modification time): a changed export makes 01 stale."""
    out = []
    for role, spec in cfg["sources"].items():
        if role == "campaign":  # 09 reads it
            continue
        if spec["url"]:
            out.append([role, config.redact_url(spec["url"])])
        elif spec["path"]:
            path = io.source_path(cfg, role)
            stat = path.stat() if path.exists() else None
            out.append([role, str(path), stat.st_size if stat else None, stat.st_mtime_ns if stat else None])
    return out


def inputs(cfg: dict, s: Stage) -> dict:
    """What a stage's results depend on: its config keys (as values) and, for 01, the raw files."""
    out = {key: _value(cfg, key) for key in s.config}
    if s.number == 1 and not cfg["demo"]["enabled"]:
        out["raw_files"] = _raw_files(cfg)
    return json.loads(json.dumps(out, default=str))


def fingerprint(cfg: dict, s: Stage) -> str:
    """A hash of :func:`inputs` and of the fingerprints of the stages whose artefacts it reads."""
    upstream = sorted({PRODUCER[name].name for name in (*s.reads, *s.maybe_reads)})
    parts = {"inputs": inputs(cfg, s), "upstream": {u: fingerprint(cfg, stage(u)) for u in upstream}}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _record_path(paths: io.RunPaths, s: Stage):
    return paths.processed / "stages" / f"{s.name}.json"


def record(paths: io.RunPaths, s: Stage) -> dict | None:
    """What a stage last ran with in this run (None: it never finished)."""
    path = _record_path(paths, s)
    return io.read_json(path) if path.is_file() else None


def _leaves(tree, prefix: str = "") -> dict:
    if not isinstance(tree, dict):
        return {prefix: tree}
    out = {}
    for key, value in tree.items():
        out.update(_leaves(value, f"{prefix}.{key}" if prefix else key))
    return out


def _changed(old: dict, new: dict) -> list[str]:
    """The dotted config keys (``cluster.k``) whose values differ."""
    old, new = _leaves(old), _leaves(new)
    return [f"{k} ({old.get(k)!r} → {new.get(k)!r})" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


def check_fresh(cfg: dict, paths: io.RunPaths, s: Stage) -> dict:
    """The record of a stage whose artefacts can be used as they are; :class:`StageError` otherwise.

    Fresh means: the stage finished in this run, every artefact it declares exists, and it ran with the
    same :func:`fingerprint` as the current config gives (same config keys, same inputs upstream).
    """
    rec = record(paths, s)
    rerun = f"run it again: custseg run CONFIG --from {s.name}"
    if rec is None:
        raise StageError(f"stage {s.name} has not finished in run '{paths.processed.name}' ({_record_path(paths, s)} "
                         f"is missing): {rerun}")
    missing = [name for name in s.writes if not io.exists(paths, name)]
    if missing:
        raise StageError(f"stage {s.name} of run '{paths.processed.name}' lacks its artefact(s) "
                         f"{', '.join(f'{m} ({io.artefact_path(paths, m)})' for m in missing)}: {rerun}")
    if rec["fingerprint"] != fingerprint(cfg, s):
        changed = _changed(rec.get("inputs", {}), inputs(cfg, s))
        why = (f"config key(s) {', '.join(changed)} changed since it ran" if changed
               else "a stage before it ran again with other settings")
        raise StageError(f"stage {s.name} of run '{paths.processed.name}' is stale: {why}; {rerun}")
    return rec


def check_inputs(cfg: dict, paths: io.RunPaths, s: Stage) -> None:
    """Refuse to run a stage whose input artefacts are missing or stale, naming the stage to run first."""
    for name in s.reads:
        producer = PRODUCER[name]
        if not io.exists(paths, name):
            raise StageError(f"{s.name} needs artefact '{name}' ({io.artefact_path(paths, name)}), which "
                             f"{producer.name} writes: run {producer.name} first (custseg run CONFIG --from "
                             f"{producer.name})")
    for producer in sorted({PRODUCER[name] for name in s.reads}, key=lambda p: p.number):
        try:
            check_fresh(cfg, paths, producer)
        except StageError as err:
            raise StageError(f"{s.name} cannot use the artefacts of {producer.name}: {err}") from None


class _Running:
    """Check a stage's inputs, forget its old record, and write the new one when it finishes."""

    def __init__(self, cfg: dict, paths: io.RunPaths, name: str):
        self.cfg, self.paths, self.stage = cfg, paths, stage(name)
        check_inputs(cfg, paths, self.stage)
        _record_path(paths, self.stage).unlink(missing_ok=True)
        self.started = time.perf_counter()

    def done(self, metrics: dict | None = None) -> dict:
        rec = {"stage": self.stage.name, "fingerprint": fingerprint(self.cfg, self.stage),
               "inputs": inputs(self.cfg, self.stage), "finished": dt.datetime.now().isoformat(timespec="seconds"),
               "seconds": round(time.perf_counter() - self.started, 2), "metrics": _plain(metrics or {})}
        io.write_json(rec, _record_path(self.paths, self.stage))
        return rec


def _plain(obj):
    """Numbers and dates as JSON-friendly Python values."""
    return json.loads(json.dumps(obj, default=lambda v: v.item() if isinstance(v, np.generic) else str(v)))


def metrics(paths: io.RunPaths) -> dict:
    """The headline numbers every finished stage of a run recorded (stage → metrics)."""
    return {s.name: rec["metrics"] for s in STAGES if (rec := record(paths, s)) is not None}


# ---------------------------------------------------------------------------------------------- notebooks


def open_run(config_path: str = "", run_name: str = "", overrides: str = "", workdir: str = "",
             report_dir: str = "") -> tuple[dict, io.RunPaths]:
    """The setup cell of every notebook: the config and the run's folders from the parameters cell.

    Empty parameters fall back to the environment (``CUSTSEG_CONFIG``, ``CUSTSEG_WORKDIR``), or the demo.
    """
    cfg = config.load_for_notebook(config_path, run_name, overrides, workdir, report_dir)
    paths = io.run_paths(cfg).make()
    plots.style()
    print(f"run '{cfg['run']}' — config {cfg['_source']}")
    return cfg, paths


# ---------------------------------------------------------------------------------------------- stages


def collect(cfg: dict, paths: io.RunPaths, con=None) -> SimpleNamespace:
    """01 · Read every source, validate it, protect PII, stage the tables, reconcile the sources.

    Returns the engine connection, whether the demo data was generated, the staged tables
    (``collected``), ``validation``, ``totals``, ``reconciliation`` and ``counts``.
    """
    running = _Running(cfg, paths, "01_collect")
    con = con or engine.connect(cfg)
    generated = demo.ensure(cfg)
    got = collecting.collect(con, cfg)
    io.write(paths, "validation", got.validation)
    # the collected tables are queries over the raw sources: write them once and go on from the copies
    got = collecting.stage(con, got, paths)
    collecting.check_ids_match(cfg, got)
    totals = collecting.source_totals(got)
    io.write(paths, "source_totals", totals)
    reconciliation = collecting.reconcile(got.customers, got.transactions, got.survey, got.has_crm, got.has_log)
    io.write(paths, "reconciliation", reconciliation)
    counts = {"customers": int(got.customers.count().execute()),
              "transactions": int(got.transactions.count().execute()),
              "survey": 0 if got.survey is None else int(got.survey.count().execute()), "has_crm": got.has_crm,
              "has_log": got.has_log, "row_ids": any(cfg["sources"][role]["row_ids"] for role in ("customers", "survey")
                                                     if schema.configured(cfg["sources"][role]))}
    io.write(paths, "collect_counts", counts)
    if got.has_log and not counts["transactions"]:
        raise SourceError("source 'transactions': no order lines were collected. To fix: check "
                          "sources.transactions (path, table or query)")
    running.done(counts)
    return SimpleNamespace(con=con, generated=generated, collected=got, validation=got.validation, totals=totals,
                           reconciliation=reconciliation, counts=counts)


def clean(cfg: dict, paths: io.RunPaths, con=None) -> SimpleNamespace:
    """02 · Apply the customer and line rules: every row kept or quarantined with a reason, and the audit.

    Returns the snapshot date, the kept and quarantined tables (read back from the written artefacts),
    the customer and line audits and the row counts.
    """
    running = _Running(cfg, paths, "02_clean")
    con = con or engine.connect(cfg)
    customers = io.read(paths, "collected_customers", con)
    transactions = io.read(paths, "collected_transactions", con)
    logged = has_log(cfg)
    snapshot = cleaning.snapshot_date(transactions, cfg["snapshot_date"]) if logged else (
        cfg["snapshot_date"] or dt.date.today())  # ages and days since a date are measured at it
    c = cfg["clean"]
    kept_customers, quarantined_customers, customer_audit = cleaning.clean_customers(
        customers, snapshot, c["min_age"], c["max_age"])
    test_ids = quarantined_customers.filter(quarantined_customers.reason == "test_account")
    # the line rules compare lines across orders and customers: evaluate them once into a written table,
    # then count and split that copy
    flagged = cleaning.flag_lines(transactions, kept_customers, test_ids, snapshot,
                                  **cleaning.transaction_options(cfg))
    io.write(paths, "flagged_lines", flagged)
    kept, quarantined, line_audit = cleaning.split_lines(io.read(paths, "flagged_lines", con),
                                                         tuple(cfg["clean"]["rules_off"]))
    io.write(paths, "audit", pd.concat([customer_audit.assign(table="customers"),
                                        line_audit.assign(table="transactions")]))
    for name, table in {"customers": kept_customers, "quarantine_customers": quarantined_customers,
                        "transactions": kept, "quarantine_transactions": quarantined}.items():
        io.write(paths, name, table)
    io.remove(paths, "flagged_lines")  # now in transactions + quarantine_transactions
    tables = {name: io.read(paths, name, con) for name in ("customers", "quarantine_customers", "transactions",
                                                           "quarantine_transactions")}
    counts = {"snapshot_date": snapshot.isoformat(), "lines_in": int(transactions.count().execute()),
              "lines_kept": int(tables["transactions"].count().execute()),
              "lines_quarantined": int(tables["quarantine_transactions"].count().execute()),
              "customers_in": int(customers.count().execute()),
              "customers_kept": int(tables["customers"].count().execute()),
              "customers_quarantined": int(tables["quarantine_customers"].count().execute())}
    if counts["lines_in"] != counts["lines_kept"] + counts["lines_quarantined"] or \
            counts["customers_in"] != counts["customers_kept"] + counts["customers_quarantined"]:
        raise StageError(f"02_clean lost rows (a custseg bug, please report it): {counts}")
    if logged and not counts["lines_kept"]:
        removed = line_audit[(line_audit["action"] == "quarantined") & (line_audit["rows"] > 0)].nlargest(3, "rows")
        reasons = "; ".join(f"{r.rule}: {r.rows:,} lines (see {cleaning.RULE_KEYS.get(r.rule, 'the audit')})"
                            for r in removed.itertuples())
        raise StageError(f"02_clean kept none of the {counts['lines_in']:,} order lines. Most were removed by "
                         f"{reasons}. The audit is in {io.artefact_path(paths, 'audit')}")
    io.write(paths, "snapshot", {**counts, "has_log": logged})
    running.done(counts)
    return SimpleNamespace(con=con, snapshot=snapshot, customer_audit=customer_audit, line_audit=line_audit,
                           counts=counts, has_log=logged, **tables)


def describe(cfg: dict, paths: io.RunPaths, con=None) -> SimpleNamespace:
    """03 · The cleaned customers and lines, with orders and net spend per customer and per month."""
    running = _Running(cfg, paths, "03_describe")
    con = con or engine.connect(cfg)
    customers, transactions = io.read(paths, "customers", con), io.read(paths, "transactions", con)
    per_customer = describing.per_customer(transactions)
    monthly = describing.monthly(transactions)
    numbers = {"customers": int(customers.count().execute()), "lines": int(transactions.count().execute()),
               "top20_share": describing.pareto_share(per_customer["net_spend"]) if len(per_customer) else None}
    running.done(numbers)
    return SimpleNamespace(con=con, customers=customers, transactions=transactions, per_customer=per_customer,
                           monthly=monthly, numbers=numbers, has_log=has_log(cfg))


def has_log(cfg: dict) -> bool:
    """Whether the run has a transaction log (else it segments a customer table or a survey)."""
    return schema.configured(cfg["sources"]["transactions"])


NO_LOG = ("there is no transaction log (sources.transactions), so purchases, RFM and the holdout test are left "
          "out: the customers are described and segmented by the customer table's own columns.")


def holdout_start(cfg: dict, snapshot: dt.date, first_day: dt.date | None) -> dt.date:
    """The holdout of this run (:func:`custseg.schema.holdout_start` with the config's ``features`` keys)."""
    f = cfg["features"]
    return schema.holdout_start(snapshot, first_day, f["holdout_start"], f["holdout_days"],
                                weekly=f["clv_time_unit"] == "W")


def _inner_split(cfg, transactions, customers, survey, start, first_day, factor_model=None, kinds=None
                 ) -> SimpleNamespace | None:
    """The calibration window split once more, by the same rule as the holdout: the features at the inner
    cutoff and what each customer spent from it to the day before the holdout. 05 chooses k by how much of
    that later spend the segments explain, so the report's holdout stays untouched for 07. None when the
    calibration window is too short to split."""
    end = start - dt.timedelta(days=1)
    cutoff = schema.holdout_start(end, first_day, None, cfg["features"]["holdout_days"])
    table = (_split(cfg, transactions, customers, survey, cutoff, end, factor_model, kinds) if cutoff > first_day
             else None)
    return None if table is None else SimpleNamespace(table=table, start=cutoff, end=end)


def _customer_features(cfg, transactions, customers, survey, snapshot: dt.date, kinds=None,
                       factor_model=None) -> pd.DataFrame:
    """:func:`custseg.features.customer_features` at ``snapshot`` with the config's age bands and attributes,
    and the survey's factor scores when 04 fitted a factor model."""
    kinds = featuring.attribute_kinds(customers, cfg["attributes"]) if kinds is None else kinds
    table = featuring.customer_features(transactions, customers, survey, snapshot, cfg["features"]["age_bands"],
                                        kinds, cfg["attributes"])
    return featuring.with_factors(table, factor_model)


def _check_outcomes(cfg: dict, kinds: pd.DataFrame) -> None:
    """Every ``outcomes`` column is a customer-table column that is binary or numeric."""
    known = kinds.set_index("column")["kind"]
    for column in cfg["outcomes"] or []:
        if column not in known:
            raise ConfigError(f"config key 'outcomes' names {column!r}, which is not a column of the customer table "
                              f"(sources.customers; its other columns: {', '.join(known.index) or 'none'})")
        if known[column] not in ("binary", "numeric"):
            raise ConfigError(f"config key 'outcomes': column {column!r} is {known[column]}, but an outcome must be "
                              "binary (churned yes/no) or numeric (revenue); declare its kind in attributes."
                              f"{column} or leave it out of outcomes")


def _split(cfg, transactions, customers, survey, start: dt.date, end: dt.date, factor_model=None, kinds=None
           ) -> pd.DataFrame | None:
    """The customers' features on the day before ``start`` and what they did from ``start`` to ``end``
    (:func:`custseg.evaluate.with_outcomes`); None when nobody bought before ``start``."""
    from custseg import evaluate as evaluation

    before = _customer_features(cfg, transactions, customers, survey, start - dt.timedelta(days=1), kinds,
                                factor_model)
    if before.empty:
        return None
    out = evaluation.with_outcomes(before, evaluation.holdout_outcomes(transactions, start, end))
    return out.sort_values("customer_id", ignore_index=True)  # the same order from every engine


def features(cfg: dict, paths: io.RunPaths, con=None) -> SimpleNamespace:
    """04 · The customer table (behaviour, demographics, survey), the CLV summary, the calibration/holdout
    split that 07 uses too, and the RFM scores with the named grid."""
    running = _Running(cfg, paths, "04_features")
    con = con or engine.connect(cfg)
    transactions = io.read(paths, "transactions", con)
    snapshot = config.as_date(io.read(paths, "snapshot")["snapshot_date"])
    customers = io.read(paths, "customers")
    survey = io.read_optional(paths, "collected_survey")
    f = cfg["features"]
    kinds = featuring.attribute_kinds(customers, cfg["attributes"])
    _check_outcomes(cfg, kinds)
    io.write(paths, "attributes", kinds)
    logged = has_log(cfg)
    table = _customer_features(cfg, transactions if logged else None, customers, survey, snapshot, kinds)
    if f["factor_analysis"]:
        items = [c for c in table.columns if c.startswith("survey_")] + featuring.likert_columns(kinds)
        factor_model, factor_summary = featuring.survey_factors(table, items=items)
    else:
        factor_model, factor_summary = None, {"reason": "switched off (features.factor_analysis: false)"}
    table = featuring.with_factors(table, factor_model)
    io.write(paths, "factors", factor_summary)
    if factor_model is None:
        io.remove(paths, "factor_model")
    else:
        io.write(paths, "factor_model", factor_model)
    if table.empty:
        raise StageError("04_features: no customer has a kept purchase, so there is nothing to segment; read "
                         "02_clean's audit for the rules that removed the lines" if logged else
                         "04_features: the customer table kept no customer; read 02_clean's customer audit")
    if not logged:
        return _features_without_log(cfg, paths, running, con, snapshot, table, kinds, factor_model, factor_summary)
    clv = featuring.clv_summary(transactions, snapshot, f["clv_time_unit"], f["clv_time_scaler"])
    first_day = table["first_purchase"].min().date()
    start = holdout_start(cfg, snapshot, first_day)
    holdout = {"snapshot": snapshot.isoformat(), "holdout_start": start.isoformat(), "reason": None}
    if start > snapshot:
        raise StageError(f"features.holdout_start ({start}) is after the snapshot ({snapshot}): move it earlier")
    if start <= first_day:  # nobody bought before the holdout: nothing to form segments on and judge later
        calibration = pd.DataFrame()
        holdout.update(holdout_start=None, reason=f"every purchase is on or after {start} (the data runs from "
                       f"{first_day} to {snapshot}), so there is no earlier period to form segments on and a later "
                       "one to judge them by: the holdout test is left out")
    else:
        calibration = featuring.calibration_holdout(transactions, start, snapshot, f["clv_time_unit"],
                                                    f["clv_time_scaler"])
    calibrated = inner = None
    if holdout["holdout_start"]:
        # the column kinds inferred once above: typing every column again per split is slow on a large table
        calibrated = _split(cfg, transactions, customers, survey, start, snapshot, factor_model, kinds)
        inner = _inner_split(cfg, transactions, customers, survey, start, first_day, factor_model, kinds)
    if calibrated is None:
        io.remove(paths, "calibration_features")
    else:
        io.write(paths, "calibration_features", calibrated)
    if inner is None:
        io.remove(paths, "inner_split")
    else:
        io.write(paths, "inner_split", inner.table)
        holdout.update(inner_start=inner.start.isoformat(), inner_end=inner.end.isoformat())
    scores = rfm.rfm_table(table, **cfg["rfm"])
    if not (table["customer_id"].is_unique and len(scores) == len(table) == len(clv)):
        raise StageError("04_features: the customer table, RFM scores and CLV summary disagree (a custseg bug)")
    for name, frame in {"features": table, "rfm": scores, "clv_summary": clv,
                        "calibration_holdout": calibration}.items():
        io.write(paths, name, frame)
    io.write(paths, "holdout", holdout)
    running.done({"customers": len(table), **holdout, "features": int(table.shape[1] - 1)})
    return SimpleNamespace(con=con, snapshot=snapshot, table=table, clv=clv, holdout=holdout, attributes=kinds,
                           factors=factor_summary, factor_model=factor_model,
                           holdout_start=config.as_date(holdout["holdout_start"]) if holdout["holdout_start"] else None,
                           calibration=calibration, scores=scores, groups=featuring.feature_groups(table),
                           has_log=True)


def _features_without_log(cfg, paths, running, con, snapshot, table, kinds, factor_model, factor_summary):
    """04 for a customer table or survey: no purchases, so no CLV summary, holdout or RFM scores."""
    holdout = {"snapshot": snapshot.isoformat(), "holdout_start": None, "reason": NO_LOG}
    empty = pd.DataFrame({"customer_id": pd.Series(dtype="str")})
    for name in ("calibration_features", "inner_split"):
        io.remove(paths, name)
    for name, frame in {"features": table, "rfm": empty, "clv_summary": empty, "calibration_holdout": empty}.items():
        io.write(paths, name, frame)
    io.write(paths, "holdout", holdout)
    running.done({"customers": len(table), **holdout, "features": int(table.shape[1] - 1)})
    return SimpleNamespace(con=con, snapshot=snapshot, table=table, clv=empty, holdout=holdout, attributes=kinds,
                           factors=factor_summary, factor_model=factor_model, holdout_start=None, calibration=empty,
                           scores=empty, groups=featuring.feature_groups(table), has_log=False)


def segment(cfg: dict, paths: io.RunPaths) -> SimpleNamespace:
    """05 · Cluster the customers on the configured features, choosing k when it is not set."""
    from custseg.cluster import Segmenter, TooFewCustomers, available_columns, constant_columns, select_columns

    running = _Running(cfg, paths, "05_cluster")
    table = io.read(paths, "features")
    c = cfg["cluster"]
    patterns, absent = c["features"], []
    if patterns == config.DEFAULTS["cluster"]["features"] and not has_log(cfg):
        factored = io.read_optional(paths, "factors") or {}
        patterns = featuring.attribute_columns(table, cfg["outcomes"] or [],  # a customer table: all it has
                                               factored["items"] if factored.get("factors") else [])
    elif patterns == config.DEFAULTS["cluster"]["features"]:  # the defaults: those the data has (a log has no age)
        patterns, absent = available_columns(table, patterns)
    outcomes = cfg["outcomes"] or []
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
    split = io.read(paths, "holdout")
    baseline = _baseline(c, paths, table) if c["baseline"] else None
    fitting = baseline is None or c["refit"]  # else the baseline's model assigns, and nothing is learned here
    calibrated = io.read_optional(paths, "calibration_features") if fitting else None
    inner = io.read_optional(paths, "inner_split") if fitting else None
    # the expected value is learned from the latest complete period: features before the holdout, spend in it
    value_from = (_pair(calibrated, columns) if c["expected_value"] and calibrated is not None else None)
    early = later = None
    label = ""
    if inner is not None and c["k"] is None:
        early, later = _pair(inner, columns)
        label = f"log(1 + spend) from {split['inner_start']} to {split['inner_end']}"
    if baseline is not None and not c["refit"]:  # the baseline's model, unchanged: its segments, its numbers
        segmenter, columns, dropped, absent = baseline.segmenter, baseline.features, [], []
        # this run's customers and no sweep of its own: the notebook's views are of this run
        labels = segmenter.labels_ = segmenter.predict(table[columns])
        segmenter.sweep_ = None
        reason = (f"The segments of the baseline run '{c['baseline']}': its saved model assigned these customers, "
                  "so segment numbers and names keep their meaning (cluster.refit: true fits afresh).")
    try:
        if fitting:
            segmenter = Segmenter.from_config(c).fit(table[columns], value_from=value_from, early=early,
                                                     later=later, later_label=label)
            labels, reason = segmenter.labels_, segmenter.reason_
    except TooFewCustomers as err:
        raise StageError(f"05_cluster: {err}. The RFM scores of 04_features (rfm.parquet) still rank them; to "
                         "segment, bring more customers or a longer window, or lower cluster.k_min / cluster.k"
                         ) from None
    matched = None
    if baseline is not None and c["refit"]:
        from custseg.evaluate import match_segments

        matched = match_segments(labels, baseline.segmenter.predict(table[baseline.features]))
        segmenter.relabel_ = np.array([matched[s] for s in segmenter.relabel_])
        labels = segmenter.labels_ = np.array([matched.get(s, s) for s in labels])
        if segmenter.segment_stability_ is not None:
            segmenter.segment_stability_["segment"] = segmenter.segment_stability_["segment"].map(matched)
        reason += (f" Refitted, and matched to the segments of the baseline run '{c['baseline']}' by their "
                   "customers (the most overlap, one to one)")
        new = sorted(set(matched.values()) - set(baseline.names))
        reason += f"; new segments: {', '.join(map(str, new))}." if new else "; every segment has its counterpart."
    segments = pd.DataFrame({"customer_id": table["customer_id"], "segment": labels})
    spend = segmenter.predicted_spend(table[columns])
    if spend is not None:  # 06 describes the segments with it and the CRM export carries it
        segments[spend.name] = spend.round(2).to_numpy()
    io.write(paths, "segments", segments)
    io.write(paths, "segmenter", segmenter)
    if segmenter.sweep_ is not None:
        io.write(paths, "k_sweep", segmenter.sweep_)
    else:
        io.remove(paths, "k_sweep")
    sizes = segments["segment"].value_counts().sort_index()
    summary = {"k": int(segments["segment"].nunique()), "reason": reason, "features": columns,
               "dropped_constant": dropped,
               "expected_value": (_value_note(c, value_from is not None, split) if fitting else
                                  "The segments use the expected value as the baseline run learned it."
                                  if getattr(segmenter, "value_model_", None) is not None else
                                  "The baseline run's model does not use the expected value."),
               "not_in_data": absent,
               "algorithm": c["algorithm"],
               "stability_mean_ari": round(float(segmenter.stability_ari_), 4),
               "stability": schema.stability_verdict(segmenter.stability_ari_),
               "noise_share": round(float((labels == -1).mean()), 4),
               "sizes": {int(k): int(v) for k, v in sizes.items()}}
    if baseline is not None:
        summary["baseline"] = {"run": c["baseline"], "folder": str(baseline.folder), "refit": c["refit"],
                               "names": {str(k): v for k, v in baseline.names.items()},
                               "matched": None if matched is None else {str(k): int(v) for k, v in matched.items()}}
    io.write(paths, "cluster", summary)
    running.done({"k": summary["k"], "stability_mean_ari": summary["stability_mean_ari"],
                  "smallest_share": round(float(sizes.min() / sizes.sum()), 4), "customers": len(segments)})
    return SimpleNamespace(table=table, columns=columns, dropped=dropped, absent=absent, segmenter=segmenter,
                           segments=segments, summary=summary)


def _baseline(c: dict, paths: io.RunPaths, table: pd.DataFrame):
    """The baseline run of ``cluster.baseline`` (:func:`custseg.published.load`), checked against this run's
    features: the same columns of the same kinds, or a StageError naming what differs."""
    from custseg import published

    try:
        saved = published.load(c["baseline"], paths.workdir)
    except ConfigError as err:
        raise StageError(f"05_cluster: cluster.baseline: {err}") from None
    missing = [f for f in saved.features if f not in table.columns]
    kinds = {f["name"]: f["kind"] for f in saved.card["features"]}
    differ = [f"{name} ({kinds[name]} then, not now)" for name in saved.features if name in table.columns and
              (kinds[name] == "numeric") != pd.api.types.is_numeric_dtype(table[name])]
    if missing or differ:
        what = "; ".join(filter(None, [f"missing now: {', '.join(missing)}" if missing else "",
                                       f"of another kind: {', '.join(differ)}" if differ else ""]))
        raise StageError(f"05_cluster: the baseline run '{c['baseline']}' was formed on other features ({what}); "
                         "compare runs of the same config, or drop cluster.baseline to segment afresh")
    return saved


def _pair(table: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """A split's features (as clustered) and its later log(1 + spend)."""
    from custseg import evaluate as evaluation

    return evaluation.align(table, columns), table["holdout_log_spend"].to_numpy()


def _value_note(c: dict, used: bool, split: dict) -> str:
    """One sentence: whether the segments use the expected value, and why not when they do not."""
    if used:
        return (f"The segments also use each customer's expected value: a model of log(1 + spend) learned from "
                f"the features before {split['holdout_start']} and the spend from then to {split['snapshot']}, "
                "weighted as much as all the other features together (cluster.expected_value).")
    if not c["expected_value"]:
        return "The expected value is switched off (cluster.expected_value: false)."
    return ("Without an earlier period to learn from (" + (split.get("reason") or "no holdout") + "), the "
            "segments use the features alone.")


def report_cards(paths: io.RunPaths) -> list[dict]:
    """The persona cards of 06 with what 08 added when it ran: the offers and whether a segment is a target."""
    cards, target = io.read(paths, "personas"), io.read_optional(paths, "target")
    made_from = (record(paths, stage("06_personas")) or {}).get("fingerprint")
    if target is None or target.get("personas_fingerprint") != made_from:  # 08 ran on other cards (or never)
        return cards
    return [{**c, "offers": target["offers"].get(str(c["segment"]), []),
             "target": target["target_labels"].get(str(c["segment"]), "")} for c in cards]


def segment_customers(paths: io.RunPaths) -> pd.DataFrame:
    """The customer table with each customer's segment (what 06 and 07 profile and evaluate)."""
    return io.read(paths, "features").merge(io.read(paths, "segments"), on="customer_id", validate="one_to_one")


def describe_personas(cfg: dict, paths: io.RunPaths) -> SimpleNamespace:
    """06 · Profiles, the surrogate-tree rules and the persona cards (客户画像), and the CRM export."""
    from custseg import personas, profile
    from custseg.cluster.value import SPEND_COLUMN

    running = _Running(cfg, paths, "06_personas")
    language = cfg["language"]
    customers = segment_customers(paths)
    scores = io.read(paths, "rfm")
    clustered_on = io.read(paths, "cluster")["features"]
    prof = profile.profile(customers)
    idx = profile.index_table(prof)
    described = [*clustered_on, *([SPEND_COLUMN] if SPEND_COLUMN in customers else [])]
    rules = profile.surrogate(customers, described, max_depth=3, language=language)
    if has_log(cfg):
        cards = personas.build(customers, prof, idx, scores, language=language, rules=rules)
    else:  # named by what sets each segment apart in the table's own columns, with its outcomes
        cards = personas.build_from_table(customers, clustered_on, cfg["outcomes"] or [], language=language,
                                          rules=rules)
    baseline = io.read(paths, "cluster").get("baseline")
    if baseline:  # a segment keeps the baseline's name; one the baseline does not have is marked new
        new = i18n.messages(language)["ui"]["new_segment"]
        for card in cards:
            card["name"] = baseline["names"].get(str(card["segment"])) or new.format(name=card["name"])
    incomplete = [c["segment"] for c in cards if not (c["name"] and c["narrative"] and c["strategy"] and c["kpis"])]
    if incomplete:
        raise StageError(f"06_personas: the persona cards of segments {incomplete} are incomplete (a custseg bug)")
    labelled = [c for c in clustered_on if not pd.api.types.is_numeric_dtype(customers[c])]
    comps = profile.compositions(customers, columns=None if has_log(cfg) else
                                 list(dict.fromkeys([*profile.CATEGORICAL, *labelled])))
    personas.write_cards(cards, io.artefact_path(paths, "persona_cards"))
    crm = personas.crm_export(io.read(paths, "segments"), scores, cards)
    for name, obj in {"personas": cards, "profile": prof.reset_index(names="segment"), "compositions": comps,
                      "rules": {"fidelity": rules.fidelity, "max_depth": 3, "rules": rules.rules.to_dict("records")},
                      "segments_csv": crm}.items():
        io.write(paths, name, obj)
    running.done({"segments": len(cards), "customers": int(sum(c["customers"] for c in cards)),
                  "rule_fidelity": round(float(rules.fidelity), 4), "names": [c["name"] for c in cards]})
    return SimpleNamespace(customers=customers, scores=scores, clustered_on=clustered_on, profile=prof, index=idx,
                           rules=rules, cards=cards, compositions=comps, crm=crm, language=language,
                           has_log=has_log(cfg))


def evaluate(cfg: dict, paths: io.RunPaths, con=None) -> SimpleNamespace:
    """07 · The scorecard, the holdout contest against the RFM grid and k-means on log RFM, and (with
    ``evaluate.later_snapshot``) migration and drift at a later snapshot."""
    from custseg import evaluate as evaluation

    running = _Running(cfg, paths, "07_evaluate")
    con = con or engine.connect(cfg)
    e = cfg["evaluate"]
    customers = segment_customers(paths)
    segmenter = io.read(paths, "segmenter")
    clustered_on = io.read(paths, "cluster")["features"]
    crm = io.read(paths, "customers")
    contacts, reachable = _contacts(cfg, crm, customers)
    # a customer table's own columns (contract, plan, services) are what the business acts on
    card = evaluation.scorecard(customers, clustered_on, segment_stability=segmenter.segment_stability_,
                                reachable=None if reachable is None else reachable.set_axis(customers.index),
                                min_share=e["min_share"], min_effect=e["min_effect"], min_reach=e["min_reach"],
                                levers=None if has_log(cfg) else clustered_on)
    per_outcome, judged = evaluation.outcomes.validate(customers, cfg["outcomes"] or [])
    io.write(paths, "outcome_validation", per_outcome)
    separated = evaluation.separation(customers, clustered_on)
    solution = evaluation.solution_summary(card, separated, segmenter.stability_ari_)
    rules = _rule_segments(cfg, paths, customers, clustered_on, reachable)

    # the holdout contest: segments formed on the calibration period, judged on what customers did after it
    transactions = io.read(paths, "transactions", con)
    survey = io.read_optional(paths, "collected_survey")
    split = io.read(paths, "holdout")
    snapshot = config.as_date(split["snapshot"])
    start = config.as_date(split["holdout_start"]) if split["holdout_start"] else None
    data, methods, comparison, contest = _holdout_contest(cfg, paths, segmenter, clustered_on, start,
                                                          split.get("reason"), with_rules=rules is not None)

    migration = _migration(cfg, paths, con, customers, segmenter, clustered_on, crm, survey, snapshot, transactions)
    io.write(paths, "scorecard", card)
    io.write(paths, "holdout_validation", comparison)
    for name in ("transitions", "drift", "baseline_transitions", "baseline_drift"):
        io.remove(paths, name)
    summary = {"solution": solution, "holdout_start": start, "snapshot": snapshot,
               "outcomes": judged.to_dict("records"), "outcomes_text": evaluation.outcomes.sentence(judged),
               "validation": {"verdict": contest["verdict"], "wins": contest["wins"], "best": contest["best"],
                              "results": contest["results"],
                              "same_k": contest["same_k"].to_dict("records"),
                              "text": contest["text"], "suggestion": _suggestion(cfg, contest, solution["k"]),
                              "margins": contest["margins"].to_dict("records")},
               "migration": None, "rules": None if rules is None else rules.summary}
    if migration is not None:
        io.write(paths, "transitions", migration.matrix.reset_index())
        io.write(paths, "drift", migration.drifted.reset_index())
        summary["migration"] = {"later_snapshot": migration.later, "new": int(migration.matrix.loc["new"].sum()),
                                **migration.advice}
    against = _against_baseline(cfg, paths, customers, clustered_on)
    summary["baseline"] = None if against is None else against.summary
    if against is not None:
        io.write(paths, "baseline_transitions", against.matrix.reset_index())
        io.write(paths, "baseline_drift", against.drifted.reset_index())
    io.write(paths, "evaluate", summary)
    _evaluate_headline(paths, solution, contest, comparison, methods, start, snapshot, migration,
                       summary["validation"]["suggestion"], summary["outcomes_text"], summary["baseline"])
    eta = (comparison.pivot(index="method", columns="outcome", values="eta2") if len(comparison)
           else pd.DataFrame(columns=list(evaluation.OUTCOMES)))
    running.done({"segments_keep": solution["segments_keep"], "k": solution["k"], "wins": contest["wins"],
                  "verdict": contest["verdict"], "results": contest["results"],
                  "same_k": {r["outcome"]: r["result"] for r in summary["validation"]["same_k"]},
                  "margins": {r["outcome"]: {"best_rival": r["best_rival"],
                                             **{key: round(r[key], 4) for key in ("margin", "low", "high")}}
                              for r in summary["validation"]["margins"]},
                  "holdout_start": start, "eta2": {m: {o: round(float(v), 4) for o, v in row.items()}
                                                   for m, row in eta.iterrows()},
                  "drift": None if migration is None else migration.advice["status"],
                  "baseline": None if against is None else {k: against.summary[k] for k in (
                      "run", "refit", "returning", "new", "gone", "moved", "moved_share", "status")},
                  "outcomes": {r["outcome"]: {"eta2": round(r["eta2"], 4), "separated": r["separated"]}
                               for r in summary["outcomes"]}})
    return SimpleNamespace(customers=customers, card=card, separated=separated, solution=solution,
                           reachable=reachable, data=data, holdout_start=start, snapshot=snapshot, methods=methods,
                           comparison=comparison, contest=contest, migration=migration, against=against,
                           outcomes=per_outcome, rules=rules,
                           outcome_summary=judged, has_log=has_log(cfg),
                           suggestion=summary["validation"]["suggestion"],
                           eta=eta.reindex(index=list(methods), columns=list(evaluation.OUTCOMES)))


def _contacts(cfg: dict, crm: pd.DataFrame, customers: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series | None]:
    """The CRM rows of the segmented customers (in their order) and which of them can be reached (None: the data
    has no contact or consent column of ``evaluate.contact_columns``)."""
    from custseg import evaluate as evaluation

    contacts = crm.set_index("customer_id").reindex(customers["customer_id"]).reset_index()
    return contacts, evaluation.reach(contacts, cfg["evaluate"]["contact_columns"])


def _rule_segments(cfg, paths, customers, clustered_on, reachable):
    """The rule segments of ``rule_segments`` (None when not configured), scored like the clusters."""
    from custseg import evaluate as evaluation
    from custseg import profile, rule_segments

    io.remove(paths, "rule_segments")
    spec, e = cfg["rule_segments"], cfg["evaluate"]
    if not rule_segments.configured(spec):
        return None
    assigned = rule_segments.assign(customers, spec)
    io.write(paths, "rule_segments", assigned)
    ruled = customers.drop(columns="segment").merge(assigned[["customer_id", "segment"]], on="customer_id")
    card = evaluation.scorecard(ruled, clustered_on, reachable=None if reachable is None else
                                reachable.set_axis(customers.index), min_share=e["min_share"],
                                min_effect=e["min_effect"], min_reach=e["min_reach"],
                                levers=None if has_log(cfg) else clustered_on)
    names = assigned.drop_duplicates("segment").set_index("segment")["segment_name"]
    card.insert(1, "name", card["segment"].map(names))
    summary = evaluation.solution_summary(card, evaluation.separation(ruled, clustered_on))
    summary["names"] = {int(k): v for k, v in names.items()}
    numeric = [col for col in clustered_on if pd.api.types.is_numeric_dtype(ruled[col])]
    index = profile.index_table(profile.profile(ruled[["segment", *numeric, *(
        ["monetary"] if "monetary" in ruled and "monetary" not in numeric else [])]]))
    return SimpleNamespace(assigned=assigned, card=card, summary=summary, index=index.rename(index=names.to_dict()))


def _no_contest(text: str) -> dict:
    return {"verdict": None, "wins": None, "best": {}, "results": {}, "constant": [], "text": text,
            "margins": pd.DataFrame(), "same_k": pd.DataFrame()}


def _holdout_contest(cfg, paths, segmenter, clustered_on, start, reason, with_rules: bool = False):
    """Segments formed on the calibration period by custseg and by each rival (the RFM grid, whole and pooled
    to custseg's k; k-means on log R, F, M at that k and at ``evaluate.baseline_k``), judged on what the
    customers did in the holdout. Without a holdout (``start`` None), an empty contest saying why."""
    from custseg import evaluate as evaluation
    from custseg.cluster import Segmenter, TooFewCustomers

    if start is None:
        return pd.DataFrame(), {}, pd.DataFrame(), _no_contest(reason)
    e, c = cfg["evaluate"], cfg["cluster"]
    data = io.read(paths, "calibration_features")
    inner = io.read_optional(paths, "inner_split")
    # custseg as 05 ran it, on the calibration period only: its expected value learned from the inner split
    value_from = _pair(inner, clustered_on) if segmenter.value_model_ is not None and inner is not None else None
    k = segmenter.k_
    try:
        ours = Segmenter.from_config(c, k=k, stability_runs=0).fit(evaluation.align(data, clustered_on),
                                                                   value_from=value_from)
    except TooFewCustomers as err:
        return data, {}, pd.DataFrame(), _no_contest(f"the calibration period before {start} is too small to "
                                                     f"segment again ({err}): the holdout test is left out")
    grid = rfm.rfm_table(data, **cfg["rfm"])["rfm_segment"]
    methods = {"custseg": ours.labels_, "RFM grid": grid.to_numpy(),
               "RFM grid pooled": evaluation.pooled_rfm(grid, data["monetary"], k).to_numpy(),
               "k-means log RFM": evaluation.kmeans_log_rfm(data, k, c["seed"])}
    if e["baseline_k"] != k and len(data) >= 2 * e["baseline_k"]:
        methods[f"k-means log RFM, k={e['baseline_k']}"] = evaluation.kmeans_log_rfm(data, e["baseline_k"], c["seed"])
    if with_rules:  # the segments marketing declares, on the calibration period's customers
        from custseg import rule_segments

        methods["rules"] = rule_segments.assign(data, cfg["rule_segments"])["segment"].to_numpy()
    comparison = evaluation.compare(methods, data)
    margin = evaluation.margins(methods, data, "custseg", comparison, e["bootstrap"], seed=c["seed"])
    contest = evaluation.winner(comparison, margin, "custseg")
    # and against the rivals with as many segments as custseg, where more groups cannot be what wins
    same = {m: v for m, v in methods.items() if m == "custseg" or len(np.unique(v)) == len(np.unique(ours.labels_))}
    same_k = evaluation.margins(same, data, "custseg", comparison[comparison["method"].isin(same)], e["bootstrap"],
                                seed=c["seed"]) if len(same) > 1 else pd.DataFrame()
    contest.update(margins=margin, same_k=same_k)
    if len(same_k):
        results = dict(zip(same_k["outcome"], same_k["result"], strict=True))
        contest["text"] += (f" Against the rivals with as many segments (k={k}: "
                            f"{', '.join(m for m in same if m != 'custseg')}): "
                            + ", ".join(f"{o} {r}" for o, r in results.items()) + ".")
    return data, methods, comparison, contest


def _migration(cfg, paths, con, customers, segmenter, clustered_on, crm, survey, snapshot, transactions):
    """Customers at ``evaluate.later_snapshot`` assigned with the saved model (None when it is not set)."""
    from custseg import evaluate as evaluation

    e = cfg["evaluate"]
    later = e["later_snapshot"]
    if later is None:
        return None
    if later <= snapshot:
        raise StageError(f"evaluate.later_snapshot {later} must be after the snapshot {snapshot}")
    test_ids = io.read(paths, "quarantine_customers", con)
    test_ids = test_ids.filter(test_ids.reason == "test_account")
    kept_later, _, _ = cleaning.clean_transactions(io.read(paths, "collected_transactions", con),
                                                   io.read(paths, "customers", con), test_ids, later,
                                                   **cleaning.transaction_options(cfg))
    same = kept_later.filter(kept_later.order_ts.date() <= ibis.literal(snapshot)).count().execute()
    if same != transactions.count().execute():
        raise StageError("07_evaluate: cleaning up to the later snapshot keeps other lines before the first "
                         "snapshot than 02_clean kept (a custseg bug, please report it)")
    table_later = _customer_features(cfg, kept_later, crm, survey, later,
                                     factor_model=io.read_optional(paths, "factor_model"))
    table_later["segment"] = segmenter.predict(evaluation.align(table_later, segmenter.feature_names_in_))
    matrix = evaluation.transitions(customers, table_later)
    moved = evaluation.flows(matrix)
    active = evaluation.activity(customers, table_later, (later - snapshot).days)
    drifted = evaluation.drift(customers, table_later, clustered_on, bins=e["psi_bins"])
    advice = evaluation.recommendation(drifted, moved, e["psi_watch"], e["psi_refit"], active)
    return SimpleNamespace(later=later, table=table_later, matrix=matrix, moved=moved, active=active,
                           drifted=drifted, advice=advice)


def _against_baseline(cfg, paths, customers, clustered_on):
    """This run's customers against the baseline run's (``cluster.baseline``): who moved between segments,
    who is new or gone, the spend that moved, the drift of each feature (PSI) and whether to re-fit."""
    from custseg import evaluate as evaluation
    from custseg import published

    cluster = io.read(paths, "cluster")
    if not cluster.get("baseline"):
        return None
    e = cfg["evaluate"]
    before = published.customers(Path(cluster["baseline"]["folder"]))  # 05 loaded and checked its model
    matrix = evaluation.transitions(before, customers)
    moved = evaluation.flows(matrix)
    shared = [c for c in clustered_on if c in before.columns]
    drifted = evaluation.drift(before, customers, shared, bins=e["psi_bins"])
    advice = evaluation.recommendation(drifted, moved, e["psi_watch"], e["psi_refit"])
    both = before[["customer_id", "segment"]].merge(customers[["customer_id", "segment", *(
        ["monetary"] if "monetary" in customers else [])]], on="customer_id", suffixes=("_before", ""))
    changed = both["segment_before"] != both["segment"]
    summary = {"run": cluster["baseline"]["run"], "refit": cluster["baseline"]["refit"],
               "customers_before": len(before), "customers_now": len(customers),
               "returning": len(both), "new": int(len(customers) - len(both)), "gone": int(len(before) - len(both)),
               "moved": int(changed.sum()), "moved_share": round(float(changed.mean()), 4) if len(both) else None,
               "spend_moved": round(float(both.loc[changed, "monetary"].sum()), 2) if "monetary" in both else None,
               **advice}
    return SimpleNamespace(matrix=matrix, moved=moved, drifted=drifted, summary=summary)


def _shown(value: float, spec: str) -> str:
    """A number for a report table; '–' where it cannot be measured (never 'nan')."""
    return "–" if pd.isna(value) else format(value, spec)


def _suggestion(cfg: dict, contest: dict, k: int) -> str:
    """What to try when custseg does not beat the rivals on the holdout ('' when it does or was not tested)."""
    if contest["verdict"] in (None, "wins"):
        return ""
    lost = {o: b for o, b in contest["best"].items() if contest["results"].get(o) == "loses"}
    tips = []
    if not cfg["cluster"]["expected_value"]:
        tips.append("switch on cluster.expected_value, so that the segments use a model of future spend")
    if any(r.startswith("k-means log RFM") for r in lost.values()):
        tips.append("cluster on fewer, behavioural features: cluster.features: [recency_days, frequency, "
                    "monetary, tenure_days] (06 still profiles every column)")
    if any(r.startswith("RFM grid") for r in lost.values()) or not tips:
        tips.append(f"more segments separate more: try a larger cluster.k (now {k}) or cluster.k_min")
    text = ("custseg does not beat the simple rivals beyond noise on this data"
            + (f" (it loses on {', '.join(lost)})" if lost else "") + ". To try: " + "; ".join(tips) + ".")
    value = lost.get("log_spend") or lost.get("spend")
    if value:
        text += (f" Segments that describe customers well can still serve targeting, but to rank customers by "
                 f"future value, {value} does better here.")
    return text


def _evaluate_headline(paths, solution, contest, comparison, methods, start, snapshot, migration,
                       suggestion: str = "", outcomes_text: str = "", against: dict | None = None) -> None:
    """The index page's block for 07 (``reports/<run>/headlines/07_evaluate.json``)."""
    items = [{"label": "segments to keep", "value": f"{solution['segments_keep']} of {solution['k']}"},
             {"label": "holdout test against the simple rivals",
              "value": {None: "not tested", "wins": "custseg wins", "ties": "a tie", "loses": "custseg loses"}[
                  contest["verdict"]]}]
    text = f"{solution['verdict']}. " + (f"Holdout {start} – {snapshot}: " if start else "") + contest["text"]
    if outcomes_text:
        text += f" Outcomes (never clustered on): {outcomes_text}"
    if suggestion:
        text += f" {suggestion}"
    if migration is not None:
        items.append({"label": f"drift by {migration.later}", "value": migration.advice["status"]})
        text += f" Migration to {migration.later}: {migration.advice['status']}."
    if against is not None:
        moved = f"{against['moved_share'] or 0:.0%} moved · {against['status']}"
        items.append({"label": f"against run {against['run']}", "value": moved})
        text += (f" Against the baseline run {against['run']}: {against['moved']:,} of {against['returning']:,} "
                 f"returning customers changed segment, {against['new']:,} are new and {against['gone']:,} gone; "
                 f"{against['reason']}")
    rows = comparison[comparison["method"].isin(methods)] if len(comparison) else comparison
    io.write_json({"title": "Evaluation: does the segmentation predict?", "text": text, "items": items,
                   "table": [{"method": r.method, "segments": r.segments,
                              "smallest segment": _shown(r.smallest_share, ".1%"), "outcome": r.outcome,
                              "eta²": _shown(r.eta2, ".3f"), "lift of best segment": _shown(r.top_lift, ".2f"),
                              "rank order": _shown(r.rank_order, ".2f")} for r in rows.itertuples()]},
                  paths.reports / "headlines" / "07_evaluate.json")


def _segmentations(paths: io.RunPaths, customers: pd.DataFrame, cards: list[dict]
                   ) -> dict[str, tuple[pd.DataFrame, dict]]:
    """The segmentations 08 compares: name → (customer_id and segment, segment names)."""
    out = {"clusters": (customers[["customer_id", "segment"]], {c["segment"]: c["name"] for c in cards})}
    scores = io.read(paths, "rfm")
    if "rfm_segment" in scores:
        grid = scores[["customer_id", "rfm_segment"]].rename(columns={"rfm_segment": "segment"})
        out["RFM grid"] = (grid, {s: s for s in grid["segment"].unique()})
    ruled = io.read_optional(paths, "rule_segments")
    if ruled is not None:
        out["rules"] = (ruled[["customer_id", "segment"]],
                        dict(zip(ruled["segment"], ruled["segment_name"], strict=False)))
    return out


def _value_column(cfg: dict, customers: pd.DataFrame) -> tuple[str, str]:
    """The column that measures value for targeting, and a sentence saying which."""
    margin = cfg["target"]["margin_column"]
    if margin:
        if margin not in customers:
            raise ConfigError(f"target.margin_column: the customer table has no column {margin!r}")
        return margin, f"Value is each customer's {margin} (target.margin_column)."
    if "monetary" in customers:
        return "monetary", ("Value is net spend: the data has no cost or margin, so profitability is read as "
                            "spend (set target.margin_column to a margin column).")
    return "", ("There is no spend or margin in the data: segments are compared on size and reach only "
                "(target.margin_column can name a column of the table that measures value, such as revenue or "
                "charges).")


def target(cfg: dict, paths: io.RunPaths, con=None) -> SimpleNamespace:
    """08 · Targeting: attractiveness and accessibility of each segment (clusters, RFM grid, rule segments), the
    strategy with its reason, next-best offers from association rules, and an audience file per target."""
    from custseg import personas
    from custseg import target as targeting

    running = _Running(cfg, paths, "08_target")
    con = con or engine.connect(cfg)
    t, language = cfg["target"], cfg["language"]
    customers = segment_customers(paths)
    segmenter = io.read(paths, "segmenter")
    clustered_on = io.read(paths, "cluster")["features"]
    contacts, reachable = _contacts(cfg, io.read(paths, "customers"), customers)
    consent = [c for c in cfg["evaluate"]["contact_columns"] if c in contacts]
    cards = io.read(paths, "personas")
    value, value_note = _value_column(cfg, customers)
    logged = has_log(cfg)
    snapshot = config.as_date(io.read(paths, "snapshot")["snapshot_date"])
    transactions = io.read(paths, "transactions", con) if logged else None
    notes = [value_note]
    if reachable is None:
        notes.append("The data has no contact or consent column (evaluate.contact_columns), so reach is not "
                     "measured and does not limit the targets.")
    else:
        notes.append(f"Reach is the share of a segment with a usable contact or consent ({', '.join(consent)}).")
    tables = {}
    spend = targeting.spend_by_period(transactions, snapshot, t["growth_days"]) if logged else None
    for name, (seg, names) in _segmentations(paths, customers, cards).items():
        rows = customers.drop(columns="segment").merge(seg, on="customer_id", validate="one_to_one")
        grown = None if spend is None else targeting.growth(spend, seg)
        reach = None if reachable is None else reachable.set_axis(customers["customer_id"]).reindex(
            rows["customer_id"]).set_axis(rows.index)
        tables[name] = targeting.table(rows, value or "_none", grown, reach,
                                       segmenter.segment_stability_ if name == "clusters" else None, names,
                                       t["weights"])
    if not logged:
        notes.append("Without a transaction log, growth is not measured.")
    table = pd.concat([d.assign(segmentation=name) for name, d in tables.items()], ignore_index=True)
    table = table[["segmentation", *[c for c in table.columns if c != "segmentation"]]]
    e = cfg["evaluate"]
    choice = targeting.strategy(tables["clusters"], t["segments"], e["min_share"], e["min_reach"])
    io.write(paths, "targeting", table)

    found, offers_note = (_offers(cfg, customers, transactions, clustered_on) if logged else
                          (None, "There is no transaction log (sources.transactions), so there are no baskets to "
                                 "find offers in."))
    notes.append(offers_note)
    for name in ("basket_rules", "offers", "under_bought"):
        io.remove(paths, name)
        if found is not None:
            io.write(paths, name, getattr(found, name))
    cards = _cards_with_offers(cards, found, choice, language)
    personas.write_cards(cards, io.artefact_path(paths, "persona_cards"))
    audiences = _audiences(cfg, paths, customers, cards, choice, contacts, consent)
    summary = {"strategy": choice["strategy"], "targets": choice["targets"], "reason": choice["reason"],
               "pinned": choice["pinned"], "notes": notes, "audiences": audiences,
               "segmentations": list(tables), "items": None if found is None else found.item,
               "offers": {str(c["segment"]): c["offers"] for c in cards},
               "target_labels": {str(c["segment"]): c["target"] for c in cards},
               "personas_fingerprint": (record(paths, stage("06_personas")) or {}).get("fingerprint")}
    io.write(paths, "target", summary)
    _target_headline(paths, summary, tables["clusters"])
    running.done({"strategy": choice["strategy"], "targets": choice["targets"],
                  "offers": 0 if found is None else len(found.offers),
                  "audience_customers": int(sum(a["customers"] for a in audiences))})
    return SimpleNamespace(table=table, tables=tables, choice=choice, found=found, offers_note=offers_note,
                           cards=cards, notes=notes, audiences=audiences, value=value, has_log=logged,
                           language=language)


def _offers(cfg: dict, customers: pd.DataFrame, transactions, clustered_on: list[str]) -> tuple[SimpleNamespace | None,
                                                                                               str]:
    """Association rules on the baskets, per segment against the base, and the cross-sell gaps (None when the log
    has no items to make baskets of), with a sentence saying how they were found or why there are none."""
    from custseg import offers as offering

    o = cfg["offers"]
    item = offering.item_level(transactions, o["items"])
    if item is None:
        return None, (f"The log has no categories or product ids (offers.items: {o['items']}), so there are no "
                      "baskets to find offers in.")
    seg = customers[["customer_id", "segment"]]
    thresholds = {"min_support": o["min_support"], "min_confidence": o["min_confidence"],
                  "min_baskets": o["min_baskets"]}
    with offering.baskets(transactions, item, o["basket"]).cache() as b:  # the log is scanned once for all three
        base = offering.rules(b, None, **thresholds)
        per = offering.rules(b, seg, **thresholds)
        penetration = offering.penetration(b, seg)
    chosen = offering.offers(per, base, o["top"])
    numeric = [c for c in clustered_on if pd.api.types.is_numeric_dtype(customers[c])]
    z = customers[numeric].astype("float64")
    z = (z - z.mean()) / z.std(ddof=0).replace(0, 1)
    gaps = offering.under_bought(penetration, z.groupby(customers["segment"]).mean())
    note = (f"Offers come from association rules on {'orders' if o['basket'] == 'order' else 'customers'} as "
            f"baskets of {'categories' if item == 'category' else 'products'} (support ≥ {o['min_support']}, "
            f"confidence ≥ {o['min_confidence']}, ≥ {o['min_baskets']} baskets); a segment's offer is a rule whose "
            "lift in the segment beats 1 and the same rule's lift in the whole base.")
    return SimpleNamespace(item=item, basket_rules=pd.concat([base, per], ignore_index=True), offers=chosen,
                           under_bought=gaps, base=base), note


def _cards_with_offers(cards: list[dict], found, choice: dict, language: str) -> list[dict]:
    """The persona cards with what to offer each segment (with the numbers) and whether it is a target."""
    m = i18n.messages(language)["offers"]
    out = []
    for card in cards:
        seg = str(card["segment"])
        lines, offer = [], ""
        if found is not None:
            own = found.offers[found.offers["segment"].astype("str") == seg]
            for r in own.itertuples():
                base = "–" if pd.isna(r.base_lift) else f"{r.base_lift:.2f}"
                lines.append(m["rule"].format(antecedent=i18n.value_label("category", r.antecedent, language),
                                              consequent=i18n.value_label("category", r.consequent, language),
                                              confidence=i18n.percent(r.confidence), lift=f"{r.lift:.2f}",
                                              base_lift=base))
            gaps = found.under_bought[found.under_bought["segment"].astype("str") == seg].head(2)
            for r in gaps.itertuples():
                lines.append(m["gap"].format(item=i18n.value_label("category", r.item, language),
                                             own=i18n.percent(r.penetration),
                                             similar=i18n.percent(r.similar_penetration)))
            if not lines:
                lines.append(m["none"])
            best = own["consequent"].tolist() + gaps["item"].tolist()
            offer = i18n.value_label("category", best[0], language) if best else ""
        target = card["segment"] in choice["targets"]
        out.append({**card, "offers": lines, "offer": offer,
                    "target": m["target"].format(strategy=m["strategies"][choice["strategy"]]) if target else ""})
    return out


def _audiences(cfg, paths, customers, cards, choice, contacts, consent) -> list[dict]:
    """Per target segment: ``audiences/segment_<id>.csv`` (customer id, segment, the offer and why, the customer's
    main channel and consent flags) and a one-page summary ``segment_<id>.md``; returns what was written."""
    folder = io.artefact_path(paths, "audiences")
    io.clear_folder(folder)
    from custseg.target import channel_columns

    by_id = {c["segment"]: c for c in cards}
    channels = channel_columns(customers)
    by_customer = contacts.set_index("customer_id")
    out = []
    for seg in choice["targets"]:
        card = by_id[seg]
        who = customers[customers["segment"] == seg]
        audience = pd.DataFrame({"customer_id": who["customer_id"], "segment_id": seg, "segment_name": card["name"],
                                 "offer": card["offer"] or card["strategy_headline"],
                                 "why": card["offers"][0] if card["offers"] else card["strategy"]})
        if channels:  # the channel each customer buys through most
            audience["channel"] = who[channels].idxmax(axis=1).str.removeprefix("share_channel_").to_numpy()
        for column in consent:
            audience[column] = by_customer[column].reindex(who["customer_id"]).to_numpy()
        csv = io.write_csv(audience, folder / f"segment_{seg}.csv", excel=True)
        page = i18n.render("audience.md.j2", cfg["language"], card=card, customers=len(audience),
                           channels={i18n.value_label("channel", c, cfg["language"]): share for c, share in
                                     audience["channel"].value_counts(normalize=True).head(3).items()}
                           if "channel" in audience else {}, strategy=choice["strategy"], reason=choice["reason"])
        io.write_text(page, folder / f"segment_{seg}.md")
        out.append({"segment": seg, "name": card["name"], "customers": len(audience), "file": csv.name,
                    "summary": f"segment_{seg}.md"})
    return out


def _target_headline(paths, summary: dict, table: pd.DataFrame) -> None:
    items = [{"label": "strategy", "value": summary["strategy"]},
             {"label": "target segments", "value": ", ".join(map(str, summary["targets"]))}]
    rows = [{"segment": r.segment, "name": r.name, "customers": f"{r.customers:,}", "share": f"{r.share:.0%}",
             "value share": _shown(r.value_share, ".0%"), "growth": _shown(r.growth, "+.0%"),
             "reach": _shown(r.reach, ".0%"), "attractiveness": f"{r.attractiveness:.2f}",
             "target": "yes" if r.segment in summary["targets"] else ""} for r in table.itertuples()]
    audiences = "; ".join(f"audiences/{a['file']} ({a['customers']:,} customers, summary {a['summary']})"
                          for a in summary["audiences"])
    io.write_json({"title": "Targeting: whom to serve and what to offer",
                   "text": summary["reason"] + " " + " ".join(summary["notes"])
                   + (f" Audience files: {audiences}." if audiences else ""), "items": items, "table": rows},
                  paths.reports / "headlines" / "08_target.json")


def measure(cfg: dict, paths: io.RunPaths, con=None) -> SimpleNamespace:
    """09 · A campaign's effect per segment (效果评估) from ``sources.campaign``: response rates, uplift against the
    control group with its interval, incremental revenue and ROI, and a flag where it did not work or harmed."""
    from custseg import campaign

    running = _Running(cfg, paths, "09_measure")
    for name in ("campaign_results", "campaign_quarantine"):
        io.remove(paths, name)
    if not schema.configured(cfg["sources"]["campaign"]):
        summary = {"measured": False, "text": "No campaign results are configured (sources.campaign): once a "
                   "campaign has run on these segments, point sources.campaign at its results and run "
                   "custseg run CONFIG --from 09_measure."}
        io.write(paths, "measure", summary)
        running.done({"measured": False})
        return SimpleNamespace(summary=summary, table=None, quarantine=None, notes=[])
    con = con or engine.connect(cfg)
    results = _campaign_results(cfg, con)
    cards = io.read(paths, "personas")
    segments = io.read(paths, "segments").assign(
        segment_name=lambda d: d["segment"].map({c["segment"]: c["name"] for c in cards}))
    m = cfg["campaign"]
    kept, quarantine, notes = campaign.prepare(results, segments)
    table = campaign.measure(kept, m["bootstrap"], m["seed"], m["cost_per_contact"], m["min_group"])
    io.write(paths, "campaign_results", table)
    io.write(paths, "campaign_quarantine", quarantine)
    overall = table[table["segment"] == "all"].iloc[0]
    per = table[table["segment"] != "all"]
    note = campaign.multiple_comparisons_note(per)
    worked = [int(s) for s in per.loc[per["verdict"] == "worked", "segment"]]
    flat = [int(s) for s in per.loc[per["verdict"] == "no clear effect", "segment"]]
    harmed = [int(s) for s in per.loc[per["verdict"] == "harmed", "segment"]]
    roi = "" if pd.isna(overall["roi"]) else f", ROI {overall['roi']:.0%}"
    text = (f"Overall: response {overall['response_treated']:.1%} treated vs {overall['response_control']:.1%} "
            f"control, uplift {overall['uplift']:+.1%} (95 % interval {overall['uplift_low']:+.1%} to "
            f"{overall['uplift_high']:+.1%}); incremental revenue {overall['incremental_revenue']:,.0f}{roi}. "
            f"It worked in segments {worked or 'none'}; no clear effect in {flat or 'none'}"
            + (f"; it harmed {harmed}" if harmed else "") + ". " + note)
    text += _feedback(io.read_optional(paths, "target"), per)
    summary = {"measured": True, "text": text, "notes": notes, "worked": worked, "no_effect": flat,
               "harmed": harmed, "overall": {k: (None if pd.isna(v) else float(v)) for k, v in overall.items()
                                             if k not in ("segment", "judged", "verdict", "response_verdict",
                                                          "revenue_verdict", "segment_name")},
               "verdict": overall["verdict"], "quarantined": len(quarantine)}
    io.write(paths, "measure", summary)
    io.write_json({"title": "Campaign: did it work, and where?", "text": text + " " + " ".join(notes),
                   "items": [{"label": "campaign", "value": overall["verdict"]},
                             {"label": "incremental revenue", "value": f"{overall['incremental_revenue']:,.0f}"}],
                   "table": [{"segment": r.segment, "treated": f"{r.treated:,}", "control": f"{r.control:,}",
                              "response (treated)": _shown(r.response_treated, ".1%"),
                              "response (control)": _shown(r.response_control, ".1%"),
                              "uplift": f"{_shown(r.uplift, '+.1%')} [{_shown(r.uplift_low, '+.1%')}, "
                                        f"{_shown(r.uplift_high, '+.1%')}]",
                              "incremental revenue": _shown(r.incremental_revenue, ",.0f"),
                              "ROI": _shown(r.roi, ".0%"), "verdict": r.verdict} for r in table.itertuples()]},
                  paths.reports / "headlines" / "09_measure.json")
    running.done({"measured": True, "verdict": overall["verdict"], "worked": worked, "no_effect": flat,
                  "harmed": harmed, "uplift": round(float(overall["uplift"]), 4),
                  "quarantined": int(len(quarantine))})
    return SimpleNamespace(summary=summary, table=table, quarantine=quarantine, notes=notes, kept=kept)


def _feedback(targeting: dict | None, per: pd.DataFrame) -> str:
    """What the campaign says about 08's targets, and where the budget would have paid (持续优化)."""
    rows = per.assign(segment=per["segment"].astype("int64")).set_index("segment")
    paid = [int(s) for s, r in rows.iterrows() if r["verdict"] == "worked" and r["roi"] > 0]
    text = ""
    if targeting:
        for seg in targeting["targets"]:
            if seg not in rows.index:
                continue
            r = rows.loc[seg]
            if r["verdict"] != "worked":
                text += (f" 08 targets segment {seg} ({r.get('segment_name', seg)}), but the campaign shows "
                         f"{r['verdict']} there: {r['response_control']:.0%} of its control group responded "
                         "without being contacted.")
    if paid:
        text += (f" It paid for itself (ROI > 0) in segments {paid}: the next campaign's targets "
                 "(target.segments).")
    return text


def _campaign_results(cfg: dict, con) -> pd.DataFrame:
    """The campaign results source read like any other, ids normalised (and pseudonymised) as 01 does."""
    from custseg.sources.mapping import read_source
    from custseg.sources.privacy import pii_key, pseudonym

    table, _ = read_source(con, cfg, "campaign")
    ids = schema.normalise_id(table.customer_id)
    if cfg["privacy"]["pseudonymise_ids"]:
        ids = pseudonym(ids, pii_key(cfg["privacy"]))
    return table.mutate(customer_id=ids).to_pandas()


# the function behind each notebook
RUNS: dict[str, Callable] = {"01_collect": collect, "02_clean": clean, "03_describe": describe,
                             "04_features": features, "05_cluster": segment, "06_personas": describe_personas,
                             "07_evaluate": evaluate, "08_target": target, "09_measure": measure}
ENGINE_STAGES = ("01_collect", "02_clean", "03_describe", "04_features", "07_evaluate", "08_target",
                 "09_measure")  # they take ``con``


def run_stages(cfg: dict, paths: io.RunPaths, until: str | int = "09_measure", con=None,
               skip: tuple = ()) -> dict[str, SimpleNamespace]:
    """Run the stages in order, in this process (no notebooks), up to and including ``until``.

    ``con`` is the engine connection the transaction-grain stages share (default: one per stage from the
    config); ``skip`` names stages to leave out (07 needs neither 03 nor 06). Returns each stage's result.
    """
    last = stage(until).number
    out = {}
    for s in STAGES:
        if s.number > last or s.name in skip:
            continue
        out[s.name] = RUNS[s.name](cfg, paths, con) if s.name in ENGINE_STAGES else RUNS[s.name](cfg, paths)
    return out
