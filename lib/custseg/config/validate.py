"""Check a config mapping against :data:`~custseg.config.defaults.DEFAULTS`: merge it over the defaults, reject
unknown keys and wrong types, then check the values (ranges, choices, sources, dates)."""

from __future__ import annotations

import codecs
import copy
import datetime as dt
import re
import unicodedata
from typing import Any

from custseg import rfm, schema
from custseg.attributes import DIRECTIONS
from custseg.config.defaults import ANY_OF, CHOICES, DATE_KEYS, DEFAULTS, ENGINES, LANGUAGES
from custseg.config.names import check_feature_names
from custseg.errors import ConfigError
from custseg.schema import SCHEMAS, SOURCE_KINDS, STATUSES, configured, source_kind

RUN_KEYS = ("run", "_source", "_report_dir")  # what a run adds to its config (not config keys)
# besides the folder separators, what Windows refuses in a file name (a report folder is often copied there)
NOT_IN_A_RUN_NAME = '/\\<>:"|?*'


def from_dict(user: dict) -> dict:
    """A config as a mapping checked, completed with the defaults and typed (dates as dates) as
    :func:`~custseg.config.load` does.

    Parameters
    ----------
    user : dict
        A YAML file's mapping, or the config a run saved in run.json (its ``run`` and ``_source`` are kept).

    Returns
    -------
    dict
        Every key of :data:`~custseg.config.defaults.DEFAULTS`, the user's values over the defaults.

    Raises
    ------
    ConfigError
        A key is unknown, or a value has the wrong type or is out of range; the message names the key.
    """
    cfg = _check({k: v for k, v in user.items() if k not in RUN_KEYS}, DEFAULTS, "")
    _check_values(cfg)
    return {**cfg, **{k: user[k] for k in RUN_KEYS[:2] if k in user}}



def check_run_name(name: Any, where: str) -> str:
    """Refuse a run name that is not one plain folder name (it names ``reports/<run>/`` and ``data/*/<run>/``).

    Parameters
    ----------
    name : Any
        The run name, as given.
    where : str
        Where it was given, the start of the message (``--name``, ``config key 'name' =``).

    Returns
    -------
    str
        ``name``, unchanged.

    Raises
    ------
    ConfigError
        ``name`` is empty, starts with a dot (``..`` would lead out of ``reports/``), holds a folder separator
        (``a/b``, an absolute path), a character Windows refuses in file names, a control character, or ends
        with a space or a dot.
    """
    text = name if isinstance(name, str) else ""
    bad = next((ch for ch in text if ch in NOT_IN_A_RUN_NAME or unicodedata.category(ch) in ("Cc", "Cf", "Cs")), None)
    if not text.strip():
        problem = "is empty"
    elif text.startswith("."):
        problem = "starts with a dot ('..' leads out of the reports folder, a leading dot hides the folder)"
    elif bad is not None:
        problem = (f"holds {bad!r}" + (", a folder separator (a run name is no path)" if bad in "/\\" else
                                       ", which cannot be in a folder name"))
    elif text != text.rstrip(" ."):
        problem = "ends with a space or a dot"
    else:
        return name
    raise ConfigError(f"{where} {name!r} cannot be a run name: it {problem}. A run name is one plain folder name "
                      "under reports/ and data/ (letters, digits, '-' and '_', e.g. 2026-01); for a work folder "
                      "elsewhere, set --workdir (or paths.workdir)")


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


def _outcomes(value: list | dict | None) -> dict | None:
    """The ``outcomes`` as a mapping name → direction (None: read off the name), from a list of names and
    one-key mappings or from a mapping."""
    if value is None:
        return None
    entries = list(value.items()) if isinstance(value, dict) else []
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, str):
            entries.append((entry, None))
        elif isinstance(entry, dict) and len(entry) == 1:
            entries.append(next(iter(entry.items())))
        else:
            raise ConfigError(f"config key 'outcomes': each entry is a column name or a one-key mapping "
                              f"{{column: {' | '.join(DIRECTIONS)}}}, got {entry!r}")
    out = {}
    for name, way in entries:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"config key 'outcomes': {name!r} is not a column name")
        if way is not None and way not in DIRECTIONS:
            raise ConfigError(f"config key 'outcomes.{name}' must be {' or '.join(DIRECTIONS)} (or null: read "
                              f"off the name), got {way!r}")
        if name in out:
            raise ConfigError(f"config key 'outcomes' names {name!r} twice; keep one")
        out[name] = way
    return out


def _check_values(cfg: dict) -> None:
    check_run_name(cfg["name"], "config key 'name' =")
    cfg["outcomes"] = _outcomes(cfg["outcomes"])
    if not all(isinstance(c, str) for c in cfg["privacy"]["sensitive_columns"]):
        raise ConfigError(f"config key 'privacy.sensitive_columns' must list column names, got "
                          f"{cfg['privacy']['sensitive_columns']!r}")
    c = cfg["cluster"]
    if not 2 <= c["k_min"] <= c["k_max"]:
        raise ConfigError(_k_range_message(c))
    if c["k"] is not None and c["k"] < 2:
        raise ConfigError(f"cluster.k must be ≥ 2 or null (choose automatically), got {c['k']}")
    if cfg["language"] not in LANGUAGES:
        raise ConfigError(f"config key 'language' must be one of {', '.join(LANGUAGES)}, got {cfg['language']!r}")
    if cfg["engine"] not in ENGINES:
        raise ConfigError(f"config key 'engine' must be one of {', '.join(ENGINES)}, got {cfg['engine']!r}")
    if cfg["duckdb"]["threads"] is not None and cfg["duckdb"]["threads"] < 1:
        raise ConfigError(f"config key 'duckdb.threads' must be ≥ 1 or null (one per core), got "
                          f"{cfg['duckdb']['threads']}")
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", cfg["duckdb"]["memory_limit"], flags=re.IGNORECASE):
        raise ConfigError(f"config key 'duckdb.memory_limit' must be a size like 4GB or 512MB, got "
                          f"{cfg['duckdb']['memory_limit']!r}")
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
    check_feature_names(cfg)


def _k_range_message(c: dict) -> str:
    """What is wrong with cluster.k_min .. k_max, saying which of the two is the default the user did not set."""
    said = {key: f"{c[key]}" + (", the default" if c[key] == DEFAULTS["cluster"][key] else "")
            for key in ("k_min", "k_max")}
    if c["k_min"] < 2:
        return (f"cluster.k_min ({said['k_min']}) must be ≥ 2: one segment is no segmentation (set cluster.k_min: 2 "
                "or more)")
    fix = ("set cluster.k_min too, e.g. cluster.k_min: 2" if c["k_min"] == DEFAULTS["cluster"]["k_min"] else
           f"raise cluster.k_max to {c['k_min']} or more" if c["k_max"] == DEFAULTS["cluster"]["k_max"] else
           "set cluster.k_min ≤ cluster.k_max")
    return (f"cluster.k_min ({said['k_min']}) must be ≤ cluster.k_max ({said['k_max']}): the segments are chosen "
            f"between the two; {fix} (or set cluster.k for a fixed number of segments)")


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
    if not 1 <= o["min_lift"] <= 100:
        raise ConfigError(f"config key 'offers.min_lift' must be a lift from 1 (any positive association) to 100, "
                          f"got {o['min_lift']!r} (e.g. 1.2: the offer is at least 20 % more likely than in the base)")
    if cfg["value_column"] is not None and not cfg["value_column"].strip():
        raise ConfigError("config key 'value_column' is empty: name the customer-table column that measures value "
                          "(e.g. MonthlyCharges), or leave the key out to let custseg find one by its name")
    services = o["services"]
    if services is not None and not all(isinstance(c, str) and c for c in services):
        raise ConfigError(f"config key 'offers.services' must list column names, got {services!r}")
    if cfg["target"]["growth_days"] < 7:
        raise ConfigError(f"target.growth_days must be ≥ 7, got {cfg['target']['growth_days']}")
    m = cfg["campaign"]
    if m["bootstrap"] < 100 or m["min_group"] < 1:
        raise ConfigError("campaign.bootstrap must be ≥ 100 and campaign.min_group ≥ 1")


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
    share = cfg["clean"]["max_quarantine_share"]
    if share is not None and not 0 < share <= 1:
        raise ConfigError(f"config key 'clean.max_quarantine_share' must be in (0, 1] (a share of the lines and of "
                          f"the money), or null for the default; got {share!r}")
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
    if c["max_fit_rows"] < 100 or c["sample_rows"] < 1000 or c["stability_runs"] < 0:
        raise ConfigError("cluster.max_fit_rows must be ≥ 100, cluster.sample_rows ≥ 1000 and cluster.stability_runs "
                          "≥ 0")
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
    cases = {role: spec["id_case"] for role, spec in sources.items() if configured(spec)}
    mixed = [role for role in cases if cases[role] != "detect"]
    if {cases[role] for role in mixed} == {"sensitive", "insensitive"}:
        said = ", ".join(f"{role}: {cases[role]}" for role in mixed)
        raise ConfigError(f"config keys 'sources.<role>.id_case' disagree ({said}): ids are compared across "
                          "sources, so one choice holds for all: set it on one source or the same on each")
    for role, spec in sources.items():
        if not configured(spec):
            continue
        key = f"sources.{role}"
        if spec["id_case"] not in schema.ID_CASES:
            raise ConfigError(f"config key '{key}.id_case' must be one of {', '.join(schema.ID_CASES)}, got "
                              f"{spec['id_case']!r}")
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
        _check_rename(cfg, role, spec)
        for prefix, status in (spec.get("status_by_order_prefix") or {}).items():
            if status not in STATUSES:
                raise ConfigError(f"config key '{key}.status_by_order_prefix.{prefix}' must be one of "
                                  f"{', '.join(STATUSES)}, got {status!r}")


def _check_rename(cfg: dict, role: str, spec: dict) -> None:
    """``sources.<role>.rename`` and ``drop`` beyond types (that the columns exist is checked on reading)."""
    key, rename, drop = f"sources.{role}", spec["rename"] or {}, spec["drop"] or []
    for old, new in rename.items():
        if not (isinstance(old, str) and isinstance(new, str) and new.strip()):
            raise ConfigError(f"config key '{key}.rename' maps a column's name to its new name, got {old!r}: {new!r}")
        if new in SCHEMAS[role]:
            raise ConfigError(f"config key '{key}.rename.{old}': {new!r} is custseg's name for a column of this "
                              f"source; map it with {key}.columns.{new}: {old} instead")
        if new in schema.RESERVED:
            raise ConfigError(f"config key '{key}.rename.{old}': custseg names a column of its own {new!r}; choose "
                              "another name")
        if old in cfg["privacy"]["pii_columns"] and new not in cfg["privacy"]["pii_columns"]:
            raise ConfigError(f"config key '{key}.rename.{old}': {old!r} is personal data (privacy.pii_columns), "
                              f"protected by its name; drop it ({key}.drop) or add {new!r} to privacy.pii_columns")
    twice = sorted({n for n in rename.values() if list(rename.values()).count(n) > 1})
    if twice:
        raise ConfigError(f"config key '{key}.rename' gives two columns the name {twice[0]!r}")
    if not all(isinstance(c, str) for c in drop):
        raise ConfigError(f"config key '{key}.drop' must be a list of column names, got {drop!r}")
    both = [c for c in drop if c in rename]
    mapped = [c for c in drop if c in (spec["columns"] or {}).values()]
    if both or mapped:
        raise ConfigError(f"config key '{key}.drop' drops {(both or mapped)[0]!r}, which {key}."
                          f"{'rename renames' if both else 'columns maps'}; keep one")


def as_date(value: str | dt.date) -> dt.date:
    """A config date as :class:`datetime.date`.

    Parameters
    ----------
    value : str or datetime.date
        A YAML date or ISO text (``2025-12-31``).

    Returns
    -------
    datetime.date

    Raises
    ------
    ValueError
        The text is not an ISO date.
    """
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
