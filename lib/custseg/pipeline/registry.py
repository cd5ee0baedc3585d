"""The stages of the method and their contract: the artefacts each reads and writes, the config keys it depends
on, and the fingerprints and records that tell whether a stage's artefacts can be reused.

A stage records what it ran with in ``data/processed/<run>/stages/<stage>.json`` (:func:`fingerprint` of the
config keys it reads and of its inputs' stages, the raw files' sizes and times for 01, and its headline
numbers), so ``custseg run --from`` can reuse the stages before it and refuse stale ones. The stage reference
in the docs is generated from :data:`STAGES`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from custseg import config, io, schema
from custseg.errors import StageError


@dataclass(frozen=True)
class Stage:
    """A step of the method: its notebook, the artefacts it reads and writes, the config keys it depends on."""

    name: str  # the notebook's stem, e.g. 05_cluster
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    config: tuple[str, ...]  # config sections or dotted keys whose values change its results
    maybe_reads: tuple[str, ...] = ()  # read when they exist (a survey)
    maybe_writes: tuple[str, ...] = ()  # written when the data or config has them
    scratch: tuple[str, ...] = ()  # written and read back within the stage, removed when it finishes
    doc: str = ""  # what the stage does, in one line (the stage reference)

    @property
    def number(self) -> int:
        return int(self.name[:2])

    @property
    def declared_reads(self) -> tuple[str, ...]:
        return (*self.reads, *self.maybe_reads, *self.scratch)

    @property
    def declared_writes(self) -> tuple[str, ...]:
        return (*self.writes, *self.maybe_writes, *self.scratch)


STAGES: list[Stage] = [
    Stage("01_collect", (), ("collected_customers", "collected_transactions", "validation", "source_totals",
                             "reconciliation", "collect_counts"),
          ("sources.transactions", "sources.orders", "sources.customers", "sources.survey", "privacy", "validation",
           "demo", "paths.raw", "clean.test_account_patterns"),
          maybe_writes=("collected_survey",),
          doc="Read every source, validate it, protect PII, stage the tables, reconcile the sources."),
    Stage("02_clean", ("collected_customers", "collected_transactions"),
          ("customers", "quarantine_customers", "transactions", "quarantine_transactions", "audit", "snapshot"),
          ("snapshot_date", "clean"), scratch=("flagged_customers", "flagged_lines"),
          doc="Apply the customer and line rules: every row kept or quarantined with a reason, and the audit."),
    Stage("03_describe", ("customers", "transactions"), (), ("attributes", "outcomes", "value_column"),
          doc="The cleaned customers and lines, with orders and net spend per customer and per month; a customer "
              "table's own columns, their cross-tabs with the outcomes and the value column."),
    Stage("04_features", ("transactions", "snapshot", "customers"),
          ("features", "rfm", "clv_summary", "calibration_holdout", "holdout", "attributes", "factors"),
          ("features", "rfm", "attributes", "outcomes"),
          maybe_reads=("collected_survey",), maybe_writes=("calibration_features", "inner_split", "factor_model"),
          doc="The customer table, the CLV summary, the calibration/holdout splits and the RFM scores."),
    Stage("05_cluster", ("features", "holdout", "attributes"), ("segments", "segmenter", "cluster"),
          ("cluster", "outcomes", "privacy.sensitive_columns"),
          maybe_reads=("calibration_features", "inner_split", "factors"), maybe_writes=("k_sweep",),
          doc="Cluster the customers on the configured features, choosing k when it is not set."),
    Stage("06_personas", ("features", "segments", "rfm", "cluster", "attributes"),
          ("personas", "profile", "compositions", "rules", "segments_csv"),
          ("language", "outcomes", "attributes", "value_column"),
          doc="Profiles, the surrogate-tree rules, the persona cards (客户画像) and the CRM export."),
    Stage("07_evaluate", ("features", "segments", "segmenter", "cluster", "customers", "transactions", "holdout",
                          "quarantine_customers", "collected_transactions"),
          ("scorecard", "holdout_validation", "evaluate", "outcome_validation", "rule_rivals"),
          ("evaluate", "cluster", "rfm", "features", "outcomes", "rule_segments", "language"),
          maybe_reads=("collected_survey", "calibration_features", "inner_split", "factor_model"),
          maybe_writes=("transitions", "drift", "baseline_transitions", "baseline_drift", "rule_segments"),
          doc="The scorecard, the holdout contest against the simple rivals, migration and drift."),
    Stage("08_target", ("features", "segments", "cluster", "rfm", "customers", "personas", "transactions", "snapshot",
                        "segmenter"),
          ("targeting", "target", "audiences", "positioning"),
          ("target", "offers", "rule_segments", "evaluate.contact_columns", "evaluate.min_share", "evaluate.min_reach",
           "language", "outcomes", "value_column", "privacy.sensitive_columns"),
          maybe_reads=("rule_segments", "attributes"), maybe_writes=("basket_rules", "offers", "under_bought"),
          doc="Attractiveness and reach per segment, the strategy, basket offers, and per target an audience and a "
              "draft positioning and marketing mix."),
    Stage("09_measure", ("segments", "personas"), ("measure",),
          ("sources.campaign", "campaign", "privacy", "ids", "language"),
          maybe_reads=("target",), maybe_writes=("campaign_results", "campaign_quarantine"),
          doc="A campaign's effect per segment against its control group, and feedback to the targeting."),
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


def has_log(cfg: dict) -> bool:
    """Whether the run has a transaction log (else it segments a customer table or a survey)."""
    return schema.configured(cfg["sources"]["transactions"])


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


def record_path(paths: io.RunPaths, s: Stage):
    return paths.processed / "stages" / f"{s.name}.json"


def record(paths: io.RunPaths, s: Stage) -> dict | None:
    """What a stage last ran with in this run (None: it never finished)."""
    path = record_path(paths, s)
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
        raise StageError(f"stage {s.name} has not finished in run '{paths.processed.name}' ({record_path(paths, s)} "
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


def metrics(paths: io.RunPaths) -> dict:
    """The headline numbers every finished stage of a run recorded (stage → metrics)."""
    return {s.name: rec["metrics"] for s in STAGES if (rec := record(paths, s)) is not None}
