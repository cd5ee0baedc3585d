"""Run a stage as its declaration says: check its inputs, hand its body exactly the declared artefacts, write
exactly what the body returns, and record the run (as Kedro's ``node(func, inputs, outputs)`` does).

A body is a function ``body(ctx) -> Result``. It reads through :class:`Context` (an undeclared artefact is a
:class:`~custseg.errors.StageError`) and never writes a file itself: the runner writes the artefacts and the
index page's headline it returns, removes the optional artefacts it did not return, and records the stage.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from custseg import config, engine, i18n, io
from custseg.errors import StageError
from custseg.pipeline.registry import (
    PRODUCER,
    STAGES,
    Stage,
    check_inputs,
    fingerprint,
    inputs,
    record,
    record_path,
    stage,
)

BODIES: dict[str, Callable] = {}  # stage name -> body, filled by custseg.pipeline.stages
LAB_SUFFIX = ".lab"  # reports/<run>.lab/: where a notebook run by hand writes its pages and figures


def body(name: str):
    """Register the decorated function as the body of stage ``name``."""
    def register(func: Callable) -> Callable:
        BODIES[stage(name).name] = func
        return func
    return register


@dataclass
class Result:
    """What a stage body returns: the artefacts to write (name → object; a folder artefact as file name →
    text or table), the stage's headline numbers, what the notebook shows, and the index page's block."""

    artefacts: dict
    metrics: dict
    view: dict = field(default_factory=dict)
    headline: dict | None = None


class Context:
    """What a stage body may use: the config, the engine, and the artefacts its stage declares."""

    def __init__(self, cfg: dict, paths: io.RunPaths, s: Stage, con=None):
        self.cfg, self.stage, self._paths, self._con = cfg, s, paths, con
        self.read_names: set[str] = set()  # what the body read, for the contract tests
        self.materialised: set[str] = set()

    @property
    def con(self):
        """The engine connection (opened on first use)."""
        if self._con is None:
            self._con = engine.connect(self.cfg)
        return self._con

    @property
    def workdir(self) -> Path:
        """The work folder (where a baseline run is looked up)."""
        return self._paths.workdir

    @property
    def run_name(self) -> str:
        return self._paths.processed.name

    def _declared(self, name: str, allowed: tuple[str, ...], verb: str) -> None:
        if name not in allowed:
            raise StageError(f"{self.stage.name} {verb} artefact '{name}', which it does not declare (a custseg "
                             "bug: declare it in custseg.pipeline.registry.STAGES)")

    def exists(self, name: str) -> bool:
        self._declared(name, self.stage.declared_reads, "asks for")
        return io.exists(self._paths, name)

    def read(self, name: str, engine: bool = False):
        """A declared artefact: a table as pandas (``engine=True``: an Ibis table on the run's engine)."""
        self._declared(name, self.stage.declared_reads, "reads")
        self.read_names.add(name)
        return io.read(self._paths, name, self.con if engine else None)

    def read_optional(self, name: str, engine: bool = False):
        """:meth:`read`, or None when the (optional) artefact does not exist."""
        return self.read(name, engine) if self.exists(name) else None

    def materialise(self, name: str, table):
        """Write an engine table now and go on from the copy: the stage's later steps scan typed columns instead
        of evaluating the query again (a written artefact, or a scratch one removed when the stage ends)."""
        self._declared(name, self.stage.declared_writes, "writes")
        io.write(self._paths, name, table)
        self.materialised.add(name)
        return io.read(self._paths, name, self.con)

    def upstream_fingerprint(self, name: str) -> str | None:
        """The fingerprint an upstream stage (one whose artefacts this stage reads) last finished with."""
        upstream = {PRODUCER[a].name for a in (*self.stage.reads, *self.stage.maybe_reads)}
        if name not in upstream:
            raise StageError(f"{self.stage.name} asks for the record of {name}, whose artefacts it does not read "
                             "(a custseg bug)")
        return (record(self._paths, stage(name)) or {}).get("fingerprint")

    def where(self, name: str) -> Path:
        """Where an artefact of this run lives (for messages)."""
        return io.artefact_path(self._paths, name)


def _plain(obj):
    """Numbers and dates as JSON-friendly Python values."""
    return json.loads(json.dumps(obj, default=lambda v: v.item() if isinstance(v, np.generic) else str(v)))


def _write(paths: io.RunPaths, s: Stage, result: Result, materialised: set[str]) -> None:
    undeclared = sorted(set(result.artefacts) - set(s.declared_writes))
    missing = sorted(set(s.writes) - set(result.artefacts) - materialised)
    if undeclared or missing:
        raise StageError(f"{s.name} returned artefacts {undeclared} it does not declare, or lacks {missing} "
                         "(a custseg bug)")
    for name, obj in result.artefacts.items():
        io.write(paths, name, obj)
    left_behind = [name for name in s.maybe_writes if name not in result.artefacts and name not in materialised]
    for name in (*left_behind, *s.scratch):  # by an earlier run, or used within the stage only
        io.remove(paths, name)
    if result.headline is not None:
        io.write_json(result.headline, paths.reports / "headlines" / f"{s.name}.json")


def peak_mib() -> int:
    """The largest resident memory of this process so far, in MiB: under ``custseg run`` each stage has a
    kernel of its own, so a stage record's ``peak_mib`` is that stage's peak (DuckDB's memory included)."""
    status = Path("/proc/self/status")
    if status.exists():  # VmHWM, not ru_maxrss: Linux carries that across exec (the kernel's parent's peak)
        line = next((x for x in status.read_text().splitlines() if x.startswith("VmHWM:")), None)
        if line:
            return int(line.split()[1]) // 1024
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(kib // 1024 if sys.platform != "darwin" else kib // 2**20)  # macOS counts bytes


def run_stage(name: str | int, cfg: dict, paths: io.RunPaths, con=None) -> SimpleNamespace:
    """Run one stage through its body: inputs checked, outputs written, the record kept.

    Returns what the notebook shows (the body's ``view``, with ``con`` for the engine stages and ``read``:
    the artefacts the body read).
    """
    s = stage(name)
    check_inputs(cfg, paths, s)
    record_path(paths, s).unlink(missing_ok=True)
    started = time.perf_counter()
    ctx = Context(cfg, paths, s, con)
    result = BODIES[s.name](ctx)
    _write(paths, s, result, ctx.materialised)
    io.write_json({"stage": s.name, "fingerprint": fingerprint(cfg, s), "inputs": inputs(cfg, s),
                   "finished": dt.datetime.now().isoformat(timespec="seconds"),
                   "seconds": round(time.perf_counter() - started, 2), "peak_mib": peak_mib(),
                   "metrics": _plain(result.metrics)},
                  record_path(paths, s))
    # every result says the run's language: what a notebook prints and draws from it is in that language
    return SimpleNamespace(**{"con": ctx._con, "language": cfg["language"], **result.view,
                              "read": sorted(ctx.read_names)})


def stage_function(name: str) -> Callable:
    """The public function of a stage, ``func(cfg, paths, con=None)`` (what notebooks and tests call)."""
    s = stage(name)

    def run(cfg: dict, paths: io.RunPaths, con=None) -> SimpleNamespace:
        return run_stage(s.name, cfg, paths, con)

    run.__name__ = s.name[3:]
    run.__doc__ = f"{s.name[:2]} · {s.doc} (runs :func:`run_stage`)"
    return run


def run_stages(cfg: dict, paths: io.RunPaths, until: str | int = "09_measure", con=None,
               skip: tuple = ()) -> dict[str, SimpleNamespace]:
    """Run the stages in order, in this process (no notebooks), up to and including ``until``.

    ``con`` is the engine connection the stages share (default: one per stage from the config); ``skip`` names
    stages to leave out (07 needs neither 03 nor 06). Returns each stage's result.
    """
    last = stage(until).number
    return {s.name: run_stage(s.name, cfg, paths, con) for s in STAGES if s.number <= last and s.name not in skip}


def open_run(config_path: str = "", run_name: str = "", overrides: str = "", workdir: str = "",
             report_dir: str = "") -> tuple[dict, io.RunPaths]:
    """The setup cell of every notebook: the config and the run's folders from the parameters cell.

    Empty parameters fall back to the environment (``CUSTSEG_CONFIG``, ``CUSTSEG_WORKDIR``), or the demo. Without
    a ``report_dir`` (a notebook opened by hand, in JupyterLab) the pages and figures go to ``reports/<run>.lab/``:
    only ``custseg run`` publishes ``reports/<run>/``.
    """
    cfg = config.load_for_notebook(config_path, run_name, overrides, workdir, report_dir)
    interactive = not cfg["_report_dir"]
    if interactive:
        cfg["_report_dir"] = str(io.run_paths(cfg).reports.with_name(cfg["run"] + LAB_SUFFIX))
    paths = io.run_paths(cfg).make()
    from custseg import plots  # here: matplotlib and seaborn only for a kernel that opens a run

    plots.style()
    print(i18n.text("open_run", cfg["language"], run=cfg["run"], config=cfg["_source"]))
    if interactive:
        print(f"run by hand: figures and cards go to {paths.reports} (custseg run publishes reports/{cfg['run']}/)")
    return cfg, paths
