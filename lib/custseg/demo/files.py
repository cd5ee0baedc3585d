"""The demo data on disk: write the generated sources into ``paths.raw``, and generate them again only when
the config asks for other data than the files there were made with."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from custseg import io
from custseg.demo.order_log import log_only
from custseg.demo.retailer import generate
from custseg.demo.study import survey_study
from custseg.demo.telco import subscribers
from custseg.demo.uci_retail import online_retail

# the version of the generated data: data written by an older generator is generated again
GENERATOR = "2"


def write(cfg: dict, frames: dict[str, pd.DataFrame] | None = None) -> Path:
    """Generate (unless ``frames`` are given) and write the demo sources into ``paths.raw``.

    The config must declare the demo's sources as ``configs/demo.yaml`` does: ``customers`` (CSV),
    ``transactions`` and ``orders`` (two tables of one DuckDB file) and optionally ``survey`` (Excel) and
    ``campaign`` (CSV); ``ground_truth.csv`` goes beside them.

    Parameters
    ----------
    cfg : dict
        A loaded config; ``demo`` holds the generator's settings.
    frames : dict of DataFrame, optional
        Data from :func:`~custseg.demo.retailer.generate`, written instead of generating it.

    Returns
    -------
    Path
        The folder written into (``paths.raw``).
    """
    d = cfg["demo"]
    frames = frames or generate(d["n_customers"], d["seed"], d["start"], d["end"], d["shift_persona"],
                                d["shift_share"], d["shift_date"])
    raw = io.run_paths(cfg).raw
    src = cfg["sources"]
    io.write_csv(frames["customers"], io.source_path(cfg, "customers"))
    io.write_duckdb(io.source_path(cfg, "transactions"),
                    {src["orders"]["table"]: frames["orders"], src["transactions"]["table"]: frames["order_lines"]})
    if src["survey"]["path"]:
        io.write_excel(frames["survey"], io.source_path(cfg, "survey"), sheet=src["survey"]["sheet"])
    if src["campaign"]["path"]:
        io.write_csv(frames["campaign"], io.source_path(cfg, "campaign"))
    io.write_csv(frames["ground_truth"], raw / "ground_truth.csv")
    return raw


def ensure(cfg: dict) -> bool:
    """Write the demo data if the config asks for it and it is missing or was made with other settings.

    The settings used are recorded in ``demo.json`` beside the data, so changing ``demo.n_customers``
    (or the seed or window) regenerates instead of silently reusing stale files.

    Parameters
    ----------
    cfg : dict
        A loaded config; ``demo.shape`` chooses the generator, ``sources`` where its files go.

    Returns
    -------
    bool
        True when the data was generated.
    """
    if not cfg["demo"]["enabled"]:
        return False
    marker = io.run_paths(cfg).raw / "demo.json"
    # the shift keys count only when a shift is planted, so data made before they existed stays valid
    wanted = {k: str(v) for k, v in cfg["demo"].items()
              if k != "enabled" and not (k.startswith("shift_") and cfg["demo"]["shift_persona"] is None)}
    wanted["generator"] = GENERATOR
    files = [io.source_path(cfg, role) for role, spec in cfg["sources"].items() if spec["path"]]
    if all(path.exists() for path in files) and marker.is_file() and io.read_json(marker) == wanted:
        return False
    d = cfg["demo"]
    if d["shape"] == "online_retail":
        io.write_csv(online_retail(d["n_customers"], d["seed"]), io.source_path(cfg, "transactions"))
    elif d["shape"] == "subscribers":
        io.write_csv(subscribers(d["n_customers"], d["seed"]), io.source_path(cfg, "customers"))
    elif d["shape"] == "survey":
        answers, truth = survey_study(d["n_customers"], d["seed"])
        io.write_csv(answers, io.source_path(cfg, "customers"))
        io.write_csv(truth, io.run_paths(cfg).raw / "ground_truth.csv")
    elif d["shape"] == "log_only":
        log, truth = log_only(d["n_customers"], d["seed"], d["start"], d["end"])
        io.write_csv(log, io.source_path(cfg, "transactions"))
        io.write_csv(truth, io.run_paths(cfg).raw / "ground_truth.csv")
    else:
        write(cfg)
    io.write_json(wanted, marker)
    return True
