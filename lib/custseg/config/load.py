"""Read a config: a YAML file, ``key=value`` overrides, and a notebook's parameters cell."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import yaml

from custseg.config.reader import RefusedYAML, parse
from custseg.config.validate import check_run_name, from_dict
from custseg.env import PROJECT_ROOT
from custseg.errors import ConfigError


def set_dotted(cfg: dict, dotted: str, value: Any) -> None:
    """Set ``a.b.c = value`` in a nested dict, creating mappings on the way.

    Parameters
    ----------
    cfg : dict
        The nested mapping, changed in place.
    dotted : str
        The key, its levels separated by dots (``cluster.k``).
    value : Any
        What to set it to.

    Raises
    ------
    ConfigError
        A level on the way holds something other than a mapping.
    """
    node = cfg
    *parents, last = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"cannot set '{dotted}': '{key}' is not a mapping")
    node[last] = value


def parse_override(item: str) -> tuple[str, Any]:
    """Parse ``key=value`` (value as YAML, so ``k=6`` is an int and ``x=null`` is None).

    Parameters
    ----------
    item : str
        One ``--set`` argument, e.g. ``cluster.k=6`` or ``cluster.features=[recency_days, frequency]``.

    Returns
    -------
    tuple of (str, Any)
        The dotted key and its value (dates stay text until validation).

    Raises
    ------
    ConfigError
        No ``=`` or no key, a value that is not YAML, or one that repeats a key or uses an alias.
    """
    if "=" not in item:
        raise ConfigError(f"override '{item}' must look like key=value, e.g. cluster.k=6")
    key, raw = item.split("=", 1)
    if not key.strip():
        raise ConfigError(f"override '{item}' has no key before '=', e.g. cluster.k=6")
    try:
        return key.strip(), parse(raw) if raw.strip() else ""
    except RefusedYAML as err:
        raise ConfigError(f"override '{item}': {err.message}") from None
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
        If the file is missing or not YAML, sets a key twice or uses a YAML alias (:mod:`custseg.config.reader`),
        or a key is unknown or has the wrong type.
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
        user = parse(text) or {}
    except RefusedYAML as err:
        raise ConfigError(f"config file {path}, line {err.line}: {err.message}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {err}") from None
    if not isinstance(user, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys, got {type(user).__name__}")
    for key, value in (overrides or {}).items():
        set_dotted(user, key, value)
    return {**from_dict(user), "_source": str(path.resolve())}



def overrides_json(overrides: dict) -> str:
    """Dotted overrides as the JSON text ``custseg run`` passes to the notebooks (dates as ISO text).

    Parameters
    ----------
    overrides : dict
        ``{"cluster.k": 6}``-style values, as :func:`parse_override` gives them.

    Returns
    -------
    str
        A JSON object, read back by :func:`load_for_notebook`.

    Raises
    ------
    ConfigError
        A value JSON cannot hold (other than a date).
    """
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

    Parameters
    ----------
    config_path : str
        The YAML file (empty: ``$CUSTSEG_CONFIG`` or ``configs/demo.yaml``).
    run_name : str
        The run's name (empty: ``$CUSTSEG_RUN`` or the config's ``name``).
    overrides : str
        A JSON object of dotted keys, as the runner passes it (:func:`overrides_json`).
    workdir : str
        Where data/ and reports/ go (empty: ``$CUSTSEG_WORKDIR`` or the config's ``paths.workdir``).
    report_dir : str
        Where this run's report is being built (``custseg run`` builds it in a staging folder; empty:
        ``reports/<run>/``).

    Returns
    -------
    dict
        The config as :func:`load` returns it, plus ``run`` and ``_report_dir``.

    Raises
    ------
    ConfigError
        ``overrides`` is not a JSON object, the run name is not one plain folder name, or the config is not
        valid (:func:`load`).
    """
    try:
        extra = json.loads(overrides) if overrides else {}
    except json.JSONDecodeError as err:
        raise ConfigError(f"overrides must be a JSON object of dotted keys, got {overrides!r} ({err})") from None
    if not isinstance(extra, dict):
        raise ConfigError(f"overrides must be a JSON object of dotted keys, got {overrides!r}")
    cfg = load(config_path or None, extra)
    cfg["paths"]["workdir"] = workdir or os.environ.get("CUSTSEG_WORKDIR") or cfg["paths"]["workdir"]
    cfg["run"] = check_run_name(run_name or os.environ.get("CUSTSEG_RUN") or cfg["name"], "run_name (CUSTSEG_RUN)")
    cfg["_report_dir"] = report_dir
    return cfg
