"""Load and validate a run configuration (YAML) and resolve its paths.

A config is a nested mapping. Every key a user may set, its default and its type live in
:data:`DEFAULTS`; a user file is merged over it. An unknown key or a value of the wrong type is a
:class:`ConfigError` that names the key, so a typo never passes silently.
"""

from __future__ import annotations

import codecs
import copy
import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from custseg import rfm, schema
from custseg.errors import ConfigError
from custseg.schema import SCHEMAS, SOURCE_KINDS, STATUSES, configured, source_kind

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# One entry per allowed key: its default value. ``ANY_OF`` marks leaves whose default is None or
# whose allowed types are wider than the default's type.


@dataclass(frozen=True)
class ANY_OF:  # noqa: N801 - reads as a type spec in DEFAULTS
    types: tuple
    default: Any = None


_DATE = (dt.date, str)
LANGUAGES = ("en", "zh")  # persona and report text: English, Simplified Chinese
_NUM = (int, float)


def _source(**extra: Any) -> dict[str, Any]:
    """The keys of one source in ``sources``: location, reader options and the column mapping."""
    return {
        "kind": ANY_OF((str,), None),  # one of SOURCE_KINDS; None: from the file suffix (or url)
        "path": ANY_OF((str,), ""),  # file, relative to paths.raw
        "url": ANY_OF((str,), ""),  # any Ibis connection URL, e.g. postgres://user@host/db
        "table": ANY_OF((str,), None),  # table in a database file or URL
        "query": ANY_OF((str,), None),  # or a SQL query run on that database
        "sheet": ANY_OF((str, int), 0),  # Excel sheet name or index
        "delimiter": ANY_OF((str,), None),  # csv: None detects it; text: always whitespace
        "header": True,  # csv/text: the first line holds the column names
        "names": ANY_OF((list,), None),  # column names of a file without header
        "skip_rows": 0,  # csv/text/excel: lines above the header to skip (a title, a date, blank lines)
        "quote": ANY_OF((str,), None),  # csv: the quote character (None: detected; '"' in most exports)
        "escape": ANY_OF((str,), None),  # csv: the escape character inside quotes (None: detected)
        "encoding": "utf-8",  # e.g. gb18030 / gbk for Chinese exports, latin-1, utf-16
        "date_format": ANY_OF((str,), None),  # strptime format, e.g. '%Y%m%d'; None: ISO dates
        "dayfirst": False,  # dates like 31/12/2024 (day before month)
        # how numbers are written: null reads it off the values (1,234.56 and 1.234,56 both; a contradiction
        # is an error); '.' or ',' for the decimal mark; thousands ',', '.', ' ', "'" or '' (none)
        "decimal": ANY_OF((str,), None),
        "thousands": ANY_OF((str,), None),
        "columns": ANY_OF((dict,), None),  # canonical name -> this source's column name
        **extra,
    }

DEFAULTS: dict[str, Any] = {
    "name": "demo",
    "description": "",
    "language": ANY_OF((str,), "en"),  # en | zh: persona cards, report index and 06 figures
    # the engine of the transaction-grain stages (collect, clean, features): duckdb (embedded) | pyspark
    "engine": "duckdb",
    "spark": {
        # engine: pyspark — where Spark runs: local[N], yarn, k8s://https://host:443, spark://host:7077
        "master": "local[2]",
        "app_name": "custseg",
        # any Spark settings, e.g. {spark.executor.memory: 8g, spark.sql.shuffle.partitions: 64}
        "conf": ANY_OF((dict,), None),
    },
    "paths": {
        # raw inputs (read only); data/interim, data/processed and reports/ go under workdir
        "raw": "data/raw/demo",
        "workdir": ANY_OF((str,), ""),
    },
    "demo": {
        # when set, `custseg run` generates the demo data into paths.raw if it is missing
        "enabled": True,
        # retailer (CRM + orders DuckDB + survey) | online_retail (one CSV, UCI shape) |
        # log_only (one CSV: customer_id, order_date, amount) | subscribers (a telecom subscriber table, no log) |
        # survey (a survey study: demographics and Likert answers as text, no log)
        "shape": "retailer",
        "n_customers": 20000,
        "seed": 7,
        "start": ANY_OF(_DATE, "2023-01-01"),
        "end": ANY_OF(_DATE, "2025-12-31"),
        # planted shift for the migration view: from shift_date on, shift_share of this persona's customers
        # stop buying (null: no shift; the data before shift_date is the same as without it)
        "shift_persona": ANY_OF((str,), None),
        "shift_share": ANY_OF(_NUM, 0.5),
        "shift_date": ANY_OF(_DATE, None),
    },
    # Each source: where it is (path or url), how to read it and which of its columns is which
    # canonical custseg column (custseg.schema.SCHEMAS). A source with neither path nor url is not used.
    "sources": {
        "transactions": _source(status_by_order_prefix=ANY_OF((dict,), None)),  # required
        "orders": _source(),  # optional order headers, joined to transactions on order_id
        # optional CRM / customer attributes, joined on customer_id; row_ids: true when a table without a log
        # has no id column (its customers are then numbered 1, 2, … in the order of the file)
        "customers": _source(row_ids=False),
        "survey": _source(row_ids=False),  # optional survey answers, joined on respondent_id = customer_id
        # optional campaign results, read by 09_measure: customer_id, group (treatment / control), responded,
        # and optionally contacted, revenue, cost (custseg.campaign)
        "campaign": _source(),
    },
    "privacy": {
        # columns (in any source) holding personal data: dropped or pseudonymised before anything is written
        "pii_columns": ["name", "phone", "email"],
        "pii_action": "drop",  # drop | pseudonymise (keyed hash, HMAC-SHA256)
        "pseudonymise_ids": False,  # replace customer ids by their keyed hash in every output
        "key_env": "CUSTSEG_PII_KEY",  # environment variable holding the key
        "key": ANY_OF((str,), None),  # or the key itself (prefer the environment variable)
    },
    "ids": {
        # customer ids spelled like one of these (in any case) are missing ids: their rows are quarantined
        # with a reason (missing_customer_id), never made into a customer called NULL
        "null_tokens": ["", "NULL", "N/A", "NA", "None", "-", "nan", "#N/A", "null", "空", "无"],
        # 00100 and 100 are one customer (one system exported the ids as numbers, another as text)
        "strip_leading_zeros": False,
    },
    "validation": {
        # a column whose share of unparseable values is above this is a config error; below it the
        # values become missing (and are counted) so cleaning can quarantine their rows
        "max_invalid_share": ANY_OF(_NUM, 0.01),
        "examples": 3,  # example values shown in an error message
    },
    "snapshot_date": ANY_OF(_DATE, None),  # None: the day after the last transaction
    "clean": {
        "test_account_patterns": ["test", "测试", "qa_"],
        "earliest_date": ANY_OF(_DATE, None),  # None: Jan 1 of the first signup year (else 1990-01-01)
        "exclude_products": [],  # product ids that are not purchases (postage, fees, manual adjustments)
        # line rules to switch off (custseg.clean), e.g. [duplicate_line, near_duplicate_line] for a log without
        # order or line ids, where identical lines on one day can be real repeat purchases (an exact copy is also
        # a copy once ids are normalised); the audit lists them as switched off
        "rules_off": [],
        "max_line_quantity": ANY_OF(_NUM, 50),
        "max_unit_price": ANY_OF(_NUM, 20000),
        "min_age": 16,
        "max_age": 100,
    },
    "features": {
        "age_bands": [18, 25, 35, 45, 55, 65],
        # CLV-convention summary: period D (day) or W (week, from Monday); recency and T are divided by the scaler
        "clv_time_unit": "D",
        "clv_time_scaler": ANY_OF(_NUM, 1),
        # calibration/holdout split (04_features and 07_evaluate): purchases from holdout_start on are the
        # holdout; null: the last holdout_days days up to the snapshot (at most the second half of the data)
        "holdout_start": ANY_OF(_DATE, None),
        "holdout_days": schema.DEFAULT_HOLDOUT_DAYS,
        # survey items (3 or more): factor analysis, and factor scores as the psychographic features
        # (custseg.factors); false: the items themselves
        "factor_analysis": True,
    },
    # the kind of customer-table columns, where the inferred one is wrong (04_features shows what was inferred):
    # {column: numeric | binary | ordinal | categorical | date | text | id, or [labels, lowest first]}
    "attributes": ANY_OF((dict,), None),
    # customer-table columns that segments are judged by (churned, responded, revenue), never formed on
    "outcomes": ANY_OF((list,), None),
    "rfm": {
        "bins": 5,  # 3, 4 or 5 scores
        "binning": "quantile",  # quantile | fixed
        "ties": "first",  # quantile ties: first (equal-sized scores) | keep (equal values share a score)
        # fixed binning: bins - 1 increasing edges per metric, e.g. {frequency: [2, 3, 5, 10], ...}
        "thresholds": ANY_OF((dict,), None),
        # named segments: [{segment: Champions, r: 5, f: "4-5", m: optional, action: ...}, ...]; null: default
        "grid": ANY_OF((list,), None),
    },
    "cluster": {
        # kmeans | minibatch | gmm | ward | hdbscan | kprototypes (see custseg.cluster)
        "algorithm": "kmeans",
        # exact column names or globs over the customer table (see custseg.features)
        "features": ["recency_days", "frequency", "monetary", "avg_order_value", "discount_share", "age",
                     "share_channel_*", "share_cat_*"],
        # plus every column of these dimensions: demographic, geographic, psychographic, behavioural
        "dimensions": [],
        # transform of skewed non-negative features (and always of recency, frequency, spend, tenure):
        # log | quantile | none
        "skew_transform": "log",
        # cluster on each customer's expected value too: a model of next-period spend learned from the data
        # (custseg.cluster.value), weighted as much as all the other features together
        "expected_value": True,
        "k": ANY_OF((int,), None),
        # the business range k is chosen in (see custseg.cluster.select_k: what the segments predict decides)
        "k_min": 3,
        "k_max": 8,
        "seed": 42,
        "silhouette_sample": 5000,  # = custseg.cluster.select_k.SILHOUETTE_SAMPLE
        "stability_runs": 5,  # subsample refits per k and for the chosen solution; 0: skip
        "min_segment_share": ANY_OF(_NUM, 0.03),
        "max_fit_rows": 5000,  # ward and hdbscan are fitted on a sample of this size, the rest assigned
        # an earlier published run of this config (its name, or its report folder): its saved model assigns
        # this run's customers, so segment numbers and names keep their meaning (custseg run --baseline)
        "baseline": ANY_OF((str,), None),
        # with a baseline: fit afresh and match the new segments to the baseline's (custseg run --refit)
        "refit": False,
    },
    "evaluate": {
        # scorecard (07_evaluate): substantial = share of customers or of value ≥ min_share; differentiable /
        # actionable = |Cohen's d| ≥ min_effect on some feature / on a lever; accessible = reachable share ≥ min_reach
        "min_share": ANY_OF(_NUM, 0.05),
        "min_effect": ANY_OF(_NUM, 0.5),
        "min_reach": ANY_OF(_NUM, 0.5),
        # CRM columns that make a customer reachable (contact field or opt-in flag), when the data has them
        "contact_columns": ["email", "phone", "wechat_id", "email_opt_in", "sms_opt_in", "wechat_opt_in",
                            "marketing_opt_in"],
        # predictive validation on the holdout of features.holdout_start / holdout_days: custseg against the
        # RFM grid (whole and pooled to custseg's k), k-means on log RFM at custseg's k and at baseline_k;
        # bootstrap resamples for the interval on custseg's margin over the best rival
        "baseline_k": 4,
        "bootstrap": 200,
        # migration: features again at this later date from the same cleaning rules (null: no migration view)
        "later_snapshot": ANY_OF(_DATE, None),
        "psi_bins": 10,
        "psi_watch": ANY_OF(_NUM, schema.PSI_WATCH),  # PSI conventions: < 0.1 stable, 0.1-0.25 watch, ≥ 0.25 re-fit
        "psi_refit": ANY_OF(_NUM, schema.PSI_REFIT),
    },
    # segments marketing declares (custseg.rule_segments), compared side by side with the clusters in 07 and 08:
    # one variable (variable: age, bands: [30, 45, 60]; or variable: city_tier, one segment per value) or
    # named conditions (segments: [{name: Young tier 1, when: "city_tier == 'tier 1' and age < 30"},
    # {name: Everyone else, when: other}])
    "rule_segments": {
        "variable": ANY_OF((str,), None),
        "bands": ANY_OF((list,), None),
        "segments": ANY_OF((list,), None),
    },
    # targeting (08_target, custseg.target): growth is net spend in the last growth_days against the same span
    # before; a margin column of the customer table replaces spend as the value; segments pins the targets
    "target": {
        "growth_days": 182,
        "margin_column": ANY_OF((str,), None),
        "segments": ANY_OF((list,), None),
        # how much each criterion weighs in the attractiveness score (custseg.target.CRITERIA)
        "weights": {"share": ANY_OF(_NUM, 1), "value_share": ANY_OF(_NUM, 1), "value_index": ANY_OF(_NUM, 1),
                    "growth": ANY_OF(_NUM, 1)},
    },
    # next-best offers (08_target, custseg.offers): association rules on baskets of one order (or of one
    # customer's window); items: category, product_id or auto (categories when the log has them)
    "offers": {
        "items": "auto",
        "basket": "order",
        "min_support": ANY_OF(_NUM, 0.002),
        "min_confidence": ANY_OF(_NUM, 0.05),
        "min_baskets": 20,
        "top": 3,
    },
    # campaign measurement (09_measure, custseg.campaign), from sources.campaign
    "campaign": {
        "cost_per_contact": ANY_OF(_NUM, None),  # when the results have no cost column
        "bootstrap": 1000,  # resamples for the interval on revenue per customer
        "min_group": 30,  # treated and control customers a segment needs to be judged
        "seed": 0,
    },
}


def _check(user: Any, spec: Any, where: str) -> Any:
    """Merge ``user`` over ``spec`` recursively, raising on unknown keys and wrong types."""
    if isinstance(spec, dict):
        if user is _MISSING or user is None:
            user = {}
        if not isinstance(user, dict):
            raise ConfigError(f"config key '{where}' must be a mapping, got {type(user).__name__}: {user!r}")
        unknown = sorted(set(user) - set(spec))
        if unknown:
            key = f"{where}.{unknown[0]}" if where else unknown[0]
            raise ConfigError(f"unknown config key '{key}'. Allowed here: {', '.join(sorted(spec))}")
        return {k: _check(user.get(k, _MISSING), v, f"{where}.{k}" if where else k) for k, v in spec.items()}
    if isinstance(spec, ANY_OF):
        default, types, nullable = spec.default, spec.types, True
    else:
        default, nullable = spec, False
        types = (int, float) if type(spec) in (int, float) else (type(spec),)
    if user is _MISSING:
        return copy.deepcopy(default)
    if (user is None and nullable) or (isinstance(user, types) and not (isinstance(user, bool) and bool not in types)):
        return user
    names = " or ".join(t.__name__ for t in types)
    raise ConfigError(f"config key '{where}' must be {names}, got {type(user).__name__}: {user!r}")


_MISSING = object()


class _Loader(yaml.SafeLoader):
    """YAML without implicit dates: ``2025-10-01`` stays text until validation parses it, so an impossible date
    (2025-13-01) is an error that names its key instead of an exception inside the YAML parser."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _yaml(text: str):
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def set_dotted(cfg: dict, dotted: str, value: Any) -> None:
    """Set ``a.b.c = value`` in a nested dict, creating mappings on the way."""
    node = cfg
    *parents, last = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"cannot set '{dotted}': '{key}' is not a mapping")
    node[last] = value


def parse_override(item: str) -> tuple[str, Any]:
    """Parse ``key=value`` (value as YAML, so ``k=6`` is an int and ``x=null`` is None)."""
    if "=" not in item:
        raise ConfigError(f"override '{item}' must look like key=value, e.g. cluster.k=6")
    key, raw = item.split("=", 1)
    if not key.strip():
        raise ConfigError(f"override '{item}' has no key before '=', e.g. cluster.k=6")
    try:
        return key.strip(), _yaml(raw) if raw.strip() else ""
    except yaml.YAMLError as err:
        problem = str(err).splitlines()[0]
        raise ConfigError(f"override '{item}': the value is not valid YAML ({problem}); quote text, write lists "
                          f"as [a, b] and mappings as {{a: 1}}") from None


def load(path: str | Path | None = None, overrides: dict | None = None) -> dict:
    """Load a YAML config, apply dotted ``overrides`` and validate the result.

    Parameters
    ----------
    path : str or Path, optional
        The YAML file. Defaults to ``$CUSTSEG_CONFIG`` or ``configs/demo.yaml`` of the project.
    overrides : dict, optional
        ``{"cluster.k": 6}``-style values applied after the file.

    Returns
    -------
    dict
        The complete config with every default filled in, plus ``_source`` (the file read).

    Raises
    ------
    ConfigError
        If the file is missing or not YAML, or a key is unknown or has the wrong type.
    """
    path = Path(path or os.environ.get("CUSTSEG_CONFIG") or PROJECT_ROOT / "configs" / "demo.yaml")
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}" + (" (it is a folder)" if path.is_dir() else ""))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text (saved as GBK or another encoding?): save it as "
                          "UTF-8 (in Notepad: Save as, Encoding UTF-8)") from None
    except OSError as err:
        raise ConfigError(f"config file {path} cannot be read: {err.strerror}") from None
    try:
        user = _yaml(text) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {err}") from None
    if not isinstance(user, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys, got {type(user).__name__}")
    for key, value in (overrides or {}).items():
        set_dotted(user, key, value)
    return {**from_dict(user), "_source": str(path.resolve())}


RUN_KEYS = ("run", "_source", "_report_dir")  # what a run adds to its config (not config keys)


def from_dict(user: dict) -> dict:
    """A config as a mapping (a YAML file's, or the one a run saved in run.json) checked, completed with the
    defaults and typed (dates as dates) as :func:`load` does; a saved run's ``run`` and ``_source`` are kept."""
    cfg = _check({k: v for k, v in user.items() if k not in RUN_KEYS}, DEFAULTS, "")
    _check_values(cfg)
    return {**cfg, **{k: user[k] for k in RUN_KEYS[:2] if k in user}}


def _check_values(cfg: dict) -> None:
    c = cfg["cluster"]
    if not 2 <= c["k_min"] <= c["k_max"]:
        raise ConfigError(f"cluster.k_min ({c['k_min']}) must be ≥ 2 and ≤ cluster.k_max ({c['k_max']})")
    if c["k"] is not None and c["k"] < 2:
        raise ConfigError(f"cluster.k must be ≥ 2 or null (choose automatically), got {c['k']}")
    if cfg["language"] not in LANGUAGES:
        raise ConfigError(f"config key 'language' must be one of {', '.join(LANGUAGES)}, got {cfg['language']!r}")
    if cfg["engine"] not in ENGINES:
        raise ConfigError(f"config key 'engine' must be one of {', '.join(ENGINES)}, got {cfg['engine']!r}")
    _check_choices(cfg)
    for key in DATE_KEYS:
        *parents, leaf = key.split(".")
        node = cfg
        for part in parents:
            node = node[part]
        if node[leaf] is not None:
            try:
                node[leaf] = as_date(node[leaf])  # a YAML date, or the same date quoted: one type downstream
            except ValueError:
                raise ConfigError(f"config key '{key}' must be a date like 2025-12-31, got {node[leaf]!r}") from None
    _check_sources(cfg)
    _check_evaluate(cfg)
    _check_actions(cfg)


def _check_actions(cfg: dict) -> None:
    """rule_segments, target, offers and campaign beyond types (the rules themselves are checked on the data)."""
    r = cfg["rule_segments"]
    if r["variable"] and r["segments"]:
        raise ConfigError("rule_segments: set either 'variable' (one variable, optionally with 'bands') or "
                          "'segments' (named conditions), not both")
    if r["bands"] and not r["variable"]:
        raise ConfigError("rule_segments.bands cuts one variable: set rule_segments.variable too")
    if r["bands"] and not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in r["bands"]):
        raise ConfigError(f"rule_segments.bands must be numbers (cut points), got {r['bands']}")
    o = cfg["offers"]
    if not (0 <= o["min_support"] < 1 and 0 <= o["min_confidence"] < 1) or o["min_baskets"] < 1 or o["top"] < 1:
        raise ConfigError("offers.min_support and offers.min_confidence must be in [0, 1), offers.min_baskets and "
                          "offers.top ≥ 1")
    if cfg["target"]["growth_days"] < 7:
        raise ConfigError(f"target.growth_days must be ≥ 7, got {cfg['target']['growth_days']}")
    m = cfg["campaign"]
    if m["bootstrap"] < 100 or m["min_group"] < 1:
        raise ConfigError("campaign.bootstrap must be ≥ 100 and campaign.min_group ≥ 1")


DATE_KEYS = ("demo.start", "demo.end", "demo.shift_date", "snapshot_date", "features.holdout_start",
             "clean.earliest_date", "evaluate.later_snapshot")


def _check_evaluate(cfg: dict) -> None:
    e, d = cfg["evaluate"], cfg["demo"]
    if not 0 < e["psi_watch"] < e["psi_refit"]:
        raise ConfigError(f"evaluate.psi_watch ({e['psi_watch']}) must be > 0 and < evaluate.psi_refit "
                          f"({e['psi_refit']})")
    if cfg["features"]["holdout_days"] < 1 or e["baseline_k"] < 2 or e["psi_bins"] < 2:
        raise ConfigError("features.holdout_days must be ≥ 1, evaluate.baseline_k ≥ 2 and evaluate.psi_bins ≥ 2")
    if not 0 < d["shift_share"] <= 1:
        raise ConfigError(f"demo.shift_share must be in (0, 1], got {d['shift_share']}")
    if (d["shift_persona"] is None) != (d["shift_date"] is None):
        raise ConfigError("set both demo.shift_persona and demo.shift_date (or neither)")
    later, snap = e["later_snapshot"], cfg["snapshot_date"]
    if later is not None and snap is not None and as_date(later) <= as_date(snap):
        raise ConfigError(f"evaluate.later_snapshot ({later}) must be after snapshot_date ({snap})")


ENGINES = ("duckdb", "pyspark")
CHOICES = {
    "features.clv_time_unit": ("D", "W"),
    "rfm.bins": (3, 4, 5),
    "rfm.binning": ("quantile", "fixed"),
    "rfm.ties": ("first", "keep"),
    "cluster.algorithm": ("kmeans", "minibatch", "gmm", "ward", "hdbscan", "kprototypes"),
    "cluster.skew_transform": ("log", "quantile", "none"),
    "cluster.dimensions": ("demographic", "geographic", "psychographic", "behavioural"),
    "demo.shape": ("retailer", "online_retail", "log_only", "subscribers", "survey"),
    "privacy.pii_action": ("drop", "pseudonymise"),
    "offers.items": ("auto", "category", "product_id"),
    "offers.basket": ("order", "customer"),
}


def _check_choices(cfg: dict) -> None:
    """Keys with a fixed set of values, the RFM grid and thresholds, the cluster sample sizes."""
    for key, allowed in CHOICES.items():
        section, leaf = key.split(".")
        value = cfg[section][leaf]
        for v in value if isinstance(value, list) else [value]:
            if v not in allowed:
                raise ConfigError(f"config key '{key}' must be one of {', '.join(map(str, allowed))}; got {v!r}")
    for rule in cfg["clean"]["rules_off"]:
        if rule not in schema.LINE_RULES:
            raise ConfigError(f"config key 'clean.rules_off': unknown rule {rule!r}; the rules are "
                              f"{', '.join(schema.LINE_RULES)}")
        if rule in schema.REQUIRED_RULES:
            optional = ", ".join(r for r in schema.LINE_RULES if r not in schema.REQUIRED_RULES)
            raise ConfigError(f"config key 'clean.rules_off': {rule} cannot be switched off (a line without a "
                              f"customer, a plausible date or an amount cannot be used); the rules that can: "
                              f"{optional}")
    r = cfg["rfm"]
    try:
        rfm.make_grid(r["grid"], r["bins"])
        if r["binning"] == "fixed":
            rfm.check_thresholds(r["thresholds"], r["bins"])
    except ValueError as err:
        raise ConfigError(f"config key 'rfm': {err}") from None
    c = cfg["cluster"]
    if not 0 <= c["min_segment_share"] < 0.5:
        raise ConfigError(f"cluster.min_segment_share must be in [0, 0.5), got {c['min_segment_share']}")
    if c["refit"] and not c["baseline"]:
        raise ConfigError("cluster.refit (--refit) matches a new fit to a baseline run: set cluster.baseline "
                          "(--baseline RUN) too")
    if c["max_fit_rows"] < 100 or c["stability_runs"] < 0:
        raise ConfigError("cluster.max_fit_rows must be ≥ 100 and cluster.stability_runs ≥ 0")
    for key, value in (cfg["spark"]["conf"] or {}).items():
        if not isinstance(key, str) or not isinstance(value, (str, int, float, bool)):
            raise ConfigError(f"config key 'spark.conf.{key}' must map a Spark setting name to a plain value "
                              f"(text, number or true/false), got {value!r}")


def _check_sources(cfg: dict) -> None:
    """The ``sources`` section beyond types: the kind, location, table/query, decimal, encoding, mapping."""
    if not 0 <= cfg["validation"]["max_invalid_share"] < 1:
        raise ConfigError("config key 'validation.max_invalid_share' must be in [0, 1)")
    sources = cfg["sources"]
    if not any(configured(sources[role]) for role in ("transactions", "customers", "survey")):
        raise ConfigError("config key 'sources' needs a transaction log (sources.transactions), a customer table "
                          "(sources.customers) or a survey (sources.survey), each with a path or url")
    if configured(sources["orders"]) and not configured(sources["transactions"]):
        raise ConfigError("config key 'sources.orders' (order headers) needs the order lines in sources.transactions")
    numbered = [role for role in ("customers", "survey") if configured(sources[role]) and sources[role]["row_ids"]]
    if numbered and sum(configured(spec) for spec in sources.values()) > 1:
        raise ConfigError(f"config key 'sources.{numbered[0]}.row_ids' numbers the rows of a table that has no id "
                          "column, which works only for a table used alone: to join it to the other sources, map "
                          f"sources.{numbered[0]}.columns to its id column")
    for role, spec in sources.items():
        if not configured(spec):
            continue
        key = f"sources.{role}"
        ident = next((c for c in schema.CUSTOMER_IDS if c in SCHEMAS[role]), None)
        if spec.get("row_ids") and ident in (spec["columns"] or {}):
            raise ConfigError(f"config key '{key}.row_ids' is true but '{key}.columns.{ident}' maps an id column; "
                              "keep one")
        if spec["path"] and spec["url"]:
            raise ConfigError(f"config key '{key}' has both path and url; keep one")
        kind = source_kind(spec)
        if kind not in SOURCE_KINDS:
            raise ConfigError(f"config key '{key}.kind' must be one of {', '.join(SOURCE_KINDS)}, got "
                              f"{spec['kind']!r}" + ("" if spec["kind"] else f" (none set and the suffix of "
                                                     f"{spec['path']!r} says nothing)"))
        if spec["skip_rows"] < 0:
            raise ConfigError(f"config key '{key}.skip_rows' must be ≥ 0, got {spec['skip_rows']}")
        for opt in ("quote", "escape"):
            if spec[opt] is not None and len(spec[opt]) != 1:
                raise ConfigError(f"config key '{key}.{opt}' must be one character, got {spec[opt]!r}")
        if spec["table"] and spec["query"]:
            raise ConfigError(f"config key '{key}' has both table and query; keep one")
        if kind in ("duckdb", "sqlite", "url") and not (spec["table"] or spec["query"]):
            raise ConfigError(f"config key '{key}' ({kind}) needs a table or a query")
        if spec["decimal"] not in (".", ",", None):
            raise ConfigError(f"config key '{key}.decimal' must be '.' or ',' (or null: read it off the values), "
                              f"got {spec['decimal']!r}")
        if spec["thousands"] not in (",", ".", " ", "'", "", None):
            raise ConfigError(f"config key '{key}.thousands' must be ',', '.', ' ', \"'\" or '' (none), or null "
                              f"(read it off the values), got {spec['thousands']!r}")
        if spec["decimal"] is not None and spec["decimal"] == spec["thousands"]:
            raise ConfigError(f"config keys '{key}.decimal' and '{key}.thousands' are both {spec['decimal']!r}")
        try:
            codecs.lookup(spec["encoding"])
        except LookupError:
            raise ConfigError(f"config key '{key}.encoding': unknown encoding {spec['encoding']!r} "
                              f"(e.g. utf-8, gb18030, gbk, latin-1)") from None
        for canonical, column in (spec["columns"] or {}).items():
            if canonical not in SCHEMAS[role]:
                raise ConfigError(f"unknown config key '{key}.columns.{canonical}': the keys of columns are "
                                  f"custseg's names ({', '.join(SCHEMAS[role])}), the values your column names")
            if not isinstance(column, str):
                raise ConfigError(f"config key '{key}.columns.{canonical}' must be a column name, got {column!r}")
        for prefix, status in (spec.get("status_by_order_prefix") or {}).items():
            if status not in STATUSES:
                raise ConfigError(f"config key '{key}.status_by_order_prefix.{prefix}' must be one of "
                                  f"{', '.join(STATUSES)}, got {status!r}")


def redact_url(url: str) -> str:
    """A connection URL without its password, fit to print or save (``postgres://u:***@host/db``)."""
    return re.sub(r"(//[^/:@]*):[^/@]*@", r"\1:***@", url)


def redacted(cfg: dict) -> dict:
    """A copy of a config fit to save with a run: no pseudonymisation key, no password in a source URL."""
    out = copy.deepcopy(cfg)
    if out["privacy"]["key"]:
        out["privacy"]["key"] = "***"
    for spec in out["sources"].values():
        if spec["url"]:
            spec["url"] = redact_url(spec["url"])
    return out


def as_date(value: str | dt.date) -> dt.date:
    """A config date (YAML date or ISO string) as :class:`datetime.date`."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def interactive() -> bool:
    """True in a kernel started by a Jupyter server (JupyterLab), False under papermill or plain Python.

    Jupyter servers set ``JPY_SESSION_NAME`` for the kernels they start; ``custseg run`` removes it for
    the kernels it starts, so reports stay static (no widgets, no progress bars in the HTML).
    """
    return bool(os.environ.get("JPY_SESSION_NAME"))


def overrides_json(overrides: dict) -> str:
    """Dotted overrides as the JSON text ``custseg run`` passes to the notebooks (dates as ISO text)."""
    def iso(value):
        if isinstance(value, dt.date):
            return value.isoformat()
        raise ConfigError(f"override value {value!r} cannot be passed to the notebooks: use text, numbers, "
                          "dates, lists or mappings")

    return json.dumps(overrides, default=iso, ensure_ascii=False)


def load_for_notebook(config_path: str = "", run_name: str = "", overrides: str = "", workdir: str = "",
                      report_dir: str = "") -> dict:
    """Resolve a notebook's parameters cell into a config.

    Empty parameters fall back to the environment (``CUSTSEG_CONFIG``, ``CUSTSEG_RUN``,
    ``CUSTSEG_WORKDIR``), which is how the notebook tests redirect every write to a temp dir.
    ``overrides`` is a JSON object of dotted keys, as the runner passes it (:func:`overrides_json`);
    ``report_dir`` is where this run's report is being built (``custseg run`` builds it in a staging
    folder; empty: ``reports/<run>/``).
    """
    try:
        extra = json.loads(overrides) if overrides else {}
    except json.JSONDecodeError as err:
        raise ConfigError(f"overrides must be a JSON object of dotted keys, got {overrides!r} ({err})") from None
    if not isinstance(extra, dict):
        raise ConfigError(f"overrides must be a JSON object of dotted keys, got {overrides!r}")
    cfg = load(config_path or None, extra)
    cfg["paths"]["workdir"] = workdir or os.environ.get("CUSTSEG_WORKDIR") or cfg["paths"]["workdir"]
    cfg["run"] = run_name or os.environ.get("CUSTSEG_RUN") or cfg["name"]
    cfg["_report_dir"] = report_dir
    return cfg
