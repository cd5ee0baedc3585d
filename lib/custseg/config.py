"""Load and validate a run configuration (YAML) and resolve its paths.

A config is a nested mapping. Every key a user may set, its default and its type live in
:data:`DEFAULTS`; a user file is merged over it. An unknown key or a value of the wrong type is a
:class:`ConfigError` that names the key, so a typo never passes silently.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# One entry per allowed key: its default value. ``ANY_OF`` marks leaves whose default is None or
# whose allowed types are wider than the default's type.


@dataclass(frozen=True)
class ANY_OF:  # noqa: N801 - reads as a type spec in DEFAULTS
    types: tuple
    default: Any = None


_DATE = (dt.date, str)
_NUM = (int, float)

DEFAULTS: dict[str, Any] = {
    "name": "demo",
    "description": "",
    "language": ANY_OF((str,), "en"),
    "paths": {
        # raw inputs (read only); data/interim, data/processed and reports/ go under workdir
        "raw": "data/raw/demo",
        "workdir": ANY_OF((str,), ""),
    },
    "demo": {
        # when set, `custseg run` generates the demo data into paths.raw if it is missing
        "enabled": True,
        "n_customers": 20000,
        "seed": 7,
        "start": ANY_OF(_DATE, "2023-01-01"),
        "end": ANY_OF(_DATE, "2025-12-31"),
    },
    "sources": {
        "customers": {"path": "customers.csv", "id_column": "customer_id"},
        "orders": {"path": "orders.duckdb", "orders_table": "orders", "lines_table": "order_lines"},
        "survey": {"path": ANY_OF((str,), "survey.xlsx"), "sheet": ANY_OF((str, int), 0)},
    },
    "privacy": {
        "pii_columns": ["name", "phone", "email"],
    },
    "snapshot_date": ANY_OF(_DATE, None),  # None: the day after the last transaction
    "clean": {
        "test_account_patterns": ["test", "测试", "qa_"],
        "max_line_quantity": ANY_OF(_NUM, 50),
        "max_unit_price": ANY_OF(_NUM, 20000),
        "min_age": 16,
        "max_age": 100,
    },
    "features": {
        "age_bands": [18, 25, 35, 45, 55, 65],
    },
    "rfm": {
        "bins": 5,
    },
    "cluster": {
        # exact column names or globs over the customer table (see custseg.features)
        "features": ["recency_days", "frequency", "monetary", "avg_order_value", "discount_share", "age",
                     "share_channel_*", "share_cat_*"],
        "k": ANY_OF((int,), None),
        "k_min": 2,
        "k_max": 10,
        "seed": 42,
        "silhouette_sample": 10000,
        "stability_runs": 5,
        "min_segment_share": ANY_OF(_NUM, 0.03),
    },
}


class ConfigError(ValueError):
    """A config file or override that cannot be used; the message names the key."""


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
    return key.strip(), yaml.safe_load(raw) if raw.strip() else ""


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
        raise ConfigError(f"config file not found: {path}")
    try:
        user = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {err}") from None
    if not isinstance(user, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys, got {type(user).__name__}")
    for key, value in (overrides or {}).items():
        set_dotted(user, key, value)
    cfg = _check(user, DEFAULTS, "")
    cfg["_source"] = str(path.resolve())
    _check_values(cfg)
    return cfg


def _check_values(cfg: dict) -> None:
    c = cfg["cluster"]
    if not 2 <= c["k_min"] <= c["k_max"]:
        raise ConfigError(f"cluster.k_min ({c['k_min']}) must be ≥ 2 and ≤ cluster.k_max ({c['k_max']})")
    if c["k"] is not None and c["k"] < 2:
        raise ConfigError(f"cluster.k must be ≥ 2 or null (choose automatically), got {c['k']}")
    if cfg["language"] != "en":
        raise ConfigError(f"config key 'language' must be 'en' (Chinese persona text is not there yet), "
                          f"got {cfg['language']!r}")
    if cfg["rfm"]["bins"] != 5:
        raise ConfigError(f"config key 'rfm.bins' must be 5 (the named grid uses 1-5 scores), got {cfg['rfm']['bins']}")
    for key in ("demo.start", "demo.end", "snapshot_date"):
        value = cfg[key.split(".")[0]] if "." not in key else cfg["demo"][key.split(".")[1]]
        if value is not None:
            try:
                as_date(value)
            except ValueError:
                raise ConfigError(f"config key '{key}' must be a date like 2025-12-31, got {value!r}") from None


def as_date(value: str | dt.date) -> dt.date:
    """A config date (YAML date or ISO string) as :class:`datetime.date`."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def load_for_notebook(config_path: str = "", run_name: str = "", overrides: str = "", workdir: str = "") -> dict:
    """Resolve a notebook's parameters cell into a config.

    Empty parameters fall back to the environment (``CUSTSEG_CONFIG``, ``CUSTSEG_RUN``,
    ``CUSTSEG_WORKDIR``), which is how the notebook tests redirect every write to a temp dir.
    ``overrides`` is a JSON object of dotted keys, as the runner passes it.
    """
    extra = json.loads(overrides) if overrides else {}
    if not isinstance(extra, dict):
        raise ConfigError(f"overrides must be a JSON object of dotted keys, got {overrides!r}")
    cfg = load(config_path or None, extra)
    cfg["paths"]["workdir"] = workdir or os.environ.get("CUSTSEG_WORKDIR") or cfg["paths"]["workdir"]
    cfg["run"] = run_name or os.environ.get("CUSTSEG_RUN") or cfg["name"]
    return cfg
