"""The column names a config uses, checked with a "did you mean": before any data is read against the features
custseg computes, and once the sources' headers are read against their columns."""

from __future__ import annotations

import ast
import difflib
import fnmatch
import re

from custseg import schema
from custseg.config.defaults import DEFAULTS
from custseg.errors import ConfigError
from custseg.features.behaviour import MIX_PATTERNS
from custseg.features.behaviour import NAMES as BEHAVIOUR
from custseg.features.table import DEMOGRAPHIC, GEOGRAPHIC

# the customer-table columns custseg computes or derives (a log's behaviour, the CRM's demographics and geography),
# and the globs of the families it names from the data (channel and category mix, survey items, factor scores)
FEATURE_NAMES = (*BEHAVIOUR, *DEMOGRAPHIC, *GEOGRAPHIC, "acquisition_channel")
FEATURE_PATTERNS = (*MIX_PATTERNS, "survey_*", "factor_*")
CLOSE = 0.8  # how alike a name and a known one must be to suggest the known one (difflib's ratio)


def _is_glob(name: str) -> bool:
    return any(ch in name for ch in "*?[")


def _did_you_mean(name: str, known) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known``, or ``""``."""
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=CLOSE)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _named_features(cfg: dict) -> list[tuple[str, str]]:
    """(config key, name) of every feature a config names: cluster.features and rule_segments.variable."""
    named = [("cluster.features", f) for f in cfg["cluster"]["features"] if isinstance(f, str)]
    if cfg["rule_segments"]["variable"]:
        named.append(("rule_segments.variable", cfg["rule_segments"]["variable"]))
    return named


def check_feature_names(cfg: dict) -> None:
    """Before any data is read: a feature name that is not custseg's but is spelled almost like one of its
    features (``frequncy``) is a typo, refused with the suggestion; other names may be the customer table's own
    columns and are checked once its header is read (:func:`check_names`)."""
    for key, name in _named_features(cfg):
        if _is_glob(name) or name in FEATURE_NAMES:
            continue
        hint = _did_you_mean(name, FEATURE_NAMES)
        if hint:
            raise ConfigError(f"config key '{key}' names {name!r}, which is not a feature custseg computes{hint}; "
                              f"its features: {', '.join(FEATURE_NAMES)}, and {', '.join(FEATURE_PATTERNS)} (the "
                              "customer table's own columns by their names)")


def _condition_names(when: str) -> list[str]:
    """The column names a rule segment's condition (pandas query syntax) uses; none when it does not parse (04
    says why)."""
    text = re.sub(r"`([^`]+)`", lambda m: "_q" + m.group(1).encode().hex(), when)  # `a column` → one name
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return []
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]
    return [bytes.fromhex(n[2:]).decode() if n.startswith("_q") else n for n in names
            if n not in ("True", "False", "None", "and", "or", "not")]


def check_names(cfg: dict, columns: dict[str, list[str]]) -> None:
    """Right after the sources' headers are read: every column a config names exists, else one
    :class:`ConfigError` with a "did you mean" suggestion — before 04 or 05 would fail on it.

    Parameters
    ----------
    cfg : dict
        The run config.
    columns : dict
        Each read source's columns (their names after ``rename`` and ``columns:``), by role.

    Raises
    ------
    ConfigError
        An ``attributes`` or ``outcomes`` entry, a ``target.margin_column``, a clustering feature, a rule
        segment's variable or a name in its condition that the data does not have; a
        ``privacy.sensitive_columns`` or ``privacy.pii_columns`` entry spelled almost like a column of the data
        (a typo there would let personal or sensitive data through).
    """
    table = [c for role in ("customers", "survey") for c in columns.get(role, []) if c not in schema.CUSTOMER_IDS]
    everything = sorted({c for cols in columns.values() for c in cols})
    derived = {f"survey_{c}" for c in table} | {f"{c}_days" for c in table} | {f"{c}_age" for c in table}
    features = [*FEATURE_NAMES, *table, *sorted(derived)]
    where = ", ".join(f"sources.{r}" for r in ("customers", "survey") if r in columns) or "no customer table"

    def known(name: str) -> bool:
        return name in features or any(fnmatch.fnmatchcase(name, p) for p in FEATURE_PATTERNS)

    def refuse(key: str, name: str, choices, what: str) -> None:
        shown = ", ".join(map(str, list(choices)[:40])) or "none"
        raise ConfigError(f"config key '{key}' names {name!r}, which is not {what}{_did_you_mean(name, choices)}; "
                          f"the columns are: {shown}")

    for name in cfg["attributes"] or {}:
        if name not in table:
            refuse(f"attributes.{name}", name, table, f"a column of the customer table ({where})")
    for name in cfg["outcomes"] or {}:
        if name not in table:
            refuse("outcomes", name, table, f"a column of the customer table ({where})")
    margin = cfg["target"]["margin_column"]
    if margin and not known(margin):
        refuse("target.margin_column", margin, table, f"a column of the customer table ({where})")
    for key, name in _named_features(cfg):
        if _is_glob(name):
            if not any(fnmatch.fnmatchcase(c, name) for c in features) and not any(
                    p.startswith(name.split("*")[0]) or name.startswith(p[:-1]) for p in FEATURE_PATTERNS):
                refuse(key, name, features, "a pattern matching any feature or column")
        elif not known(name):
            refuse(key, name, features, "a feature custseg computes or a column of the data")
    for i, rule in enumerate(cfg["rule_segments"]["segments"] or []):
        when = rule.get("when") if isinstance(rule, dict) else None
        if isinstance(when, str) and when.strip().lower() != "other":
            for name in _condition_names(when):
                if not known(name):
                    refuse(f"rule_segments.segments[{i}].when", name, features,
                           "a feature custseg computes or a column of the data")
    for key in ("sensitive_columns", "pii_columns"):
        listed = cfg["privacy"][key]
        for name in (n for n in listed if n not in DEFAULTS["privacy"][key]):  # the user's own, not the defaults
            near = difflib.get_close_matches(name, [c for c in everything if c not in listed], n=1, cutoff=CLOSE)
            if name not in everything and near:
                raise ConfigError(f"config key 'privacy.{key}' names {name!r}, which no source has (did you mean "
                                  f"'{near[0]}'?); a misspelt name protects nothing: correct it")
