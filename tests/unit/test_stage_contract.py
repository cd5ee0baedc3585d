"""The stage contract is what the code does: a body reads only the artefacts its stage declares (through the
runner's Context, never behind it), returns exactly the artefacts it declares, and the runner removes what an
earlier run left of the optional ones. Bodies hold no io calls and stay short."""

import ast
import copy
import inspect
import shutil
from pathlib import Path

import pandas as pd
import pytest

from custseg import io, pipeline
from custseg.errors import StageError
from custseg.pipeline import runner

# 07 cleans 01's lines again only for a later snapshot (evaluate.later_snapshot, not set in the tiny config)
LATER_SNAPSHOT = {"07_evaluate": {"collected_transactions", "quarantine_customers", "transactions"}}
STAGE_MODULES = sorted(str(p) for p in Path(runner.__file__).parent.glob("stages/s*.py"))


@pytest.fixture
def scratch_run(tiny_run, tmp_path):
    """A copy of the tiny in-process run (its records stay fresh), for tests that break a stage."""
    cfg, paths, _ = tiny_run
    cfg = copy.deepcopy(cfg)
    cfg["paths"]["workdir"], cfg["run"] = str(tmp_path), "scratch"
    copied = io.run_paths(cfg)
    for old, new in ((paths.interim, copied.interim), (paths.processed, copied.processed),
                     (paths.reports, copied.reports)):
        shutil.copytree(old, new)
    return cfg, copied


@pytest.fixture
def contract_run(tiny_cfg, monkeypatch):
    """Every stage of the tiny demo through the runner, with every artefact read recorded and any read of an
    artefact outside a stage's Context refused (run 'contract')."""
    cfg = copy.deepcopy(tiny_cfg)
    cfg["run"] = "contract"
    paths = io.run_paths(cfg).make()
    inside = {"depth": 0}
    seen: dict[str, set] = {}
    real_read, real_context_read, real_materialise = io.read, runner.Context.read, runner.Context.materialise

    def guarded_read(*args, **kwargs):
        assert inside["depth"], f"io.read{args[1:2]} called outside a stage's Context (an undeclared read)"
        return real_read(*args, **kwargs)

    def context_read(self, name, engine=False):
        inside["depth"] += 1
        try:
            seen.setdefault(self.stage.name, set()).add(name)
            return real_context_read(self, name, engine)
        finally:
            inside["depth"] -= 1

    def materialise(self, name, table):  # written by the stage itself, then read back
        inside["depth"] += 1
        try:
            return real_materialise(self, name, table)
        finally:
            inside["depth"] -= 1

    monkeypatch.setattr(io, "read", guarded_read)
    monkeypatch.setattr(runner.Context, "materialise", materialise)
    monkeypatch.setattr(runner.Context, "read", context_read)
    results = {s.name: pipeline.run_stage(s.name, cfg, paths) for s in pipeline.STAGES}
    return cfg, paths, results, seen


@pytest.mark.slow
def test_every_stage_reads_only_what_it_declares(contract_run):
    cfg, paths, results, seen = contract_run
    for s in pipeline.STAGES:
        assert seen.get(s.name, set()) <= set(s.declared_reads), s.name
        assert set(s.reads) <= seen.get(s.name, set()) | LATER_SNAPSHOT.get(s.name, set()), (
            f"{s.name} declares reads it never makes")
        assert sorted(seen.get(s.name, set())) == results[s.name].read
        pipeline.check_fresh(cfg, paths, s)


def test_a_body_that_reads_an_undeclared_artefact_fails(scratch_run, monkeypatch):
    cfg, paths = scratch_run

    def peeks(ctx):  # 03 describes the cleaned data; the segments are not its to read
        ctx.read("segments")
        return runner.Result({}, {})

    monkeypatch.setitem(runner.BODIES, "03_describe", peeks)
    with pytest.raises(StageError, match=r"03_describe reads artefact 'segments', which it does not declare"):
        pipeline.describe(cfg, paths)


def test_a_body_that_returns_an_undeclared_artefact_fails(scratch_run, monkeypatch):
    cfg, paths = scratch_run
    monkeypatch.setitem(runner.BODIES, "03_describe", lambda ctx: runner.Result({"segments": pd.DataFrame()}, {}))
    with pytest.raises(StageError, match=r"03_describe returned artefacts \['segments'\] it does not declare"):
        pipeline.describe(cfg, paths)
    assert pipeline.record(paths, pipeline.stage("03_describe")) is None, "a failed stage leaves no record"


def test_a_body_that_lacks_a_declared_artefact_fails(scratch_run, monkeypatch):
    cfg, paths = scratch_run
    monkeypatch.setitem(runner.BODIES, "06_personas", lambda ctx: runner.Result({"personas": []}, {}))
    with pytest.raises(StageError, match=r"lacks \['compositions', 'profile', 'rules', 'segments_csv'\]"):
        pipeline.describe_personas(cfg, paths)


def test_optional_artefacts_an_earlier_run_left_are_removed(tiny_cfg, tmp_path, monkeypatch):
    cfg = copy.deepcopy(tiny_cfg)
    cfg["paths"]["workdir"], cfg["run"] = str(tmp_path), "left"
    paths = io.run_paths(cfg).make()
    io.artefact_path(paths, "collected_survey").write_text("left by an earlier run")
    frame = pd.DataFrame({"customer_id": ["a"]})
    written = {"collected_customers": frame, "collected_transactions": frame, "validation": frame,
               "source_totals": frame, "reconciliation": frame, "collect_counts": {}}
    monkeypatch.setitem(runner.BODIES, "01_collect", lambda ctx: runner.Result(written, {"rows": 1}))
    pipeline.collect(cfg, paths)
    assert not io.exists(paths, "collected_survey")
    assert all(io.exists(paths, name) for name in written)
    assert pipeline.record(paths, pipeline.stage("01_collect"))["metrics"] == {"rows": 1}


@pytest.mark.parametrize("path", STAGE_MODULES, ids=lambda p: p.rsplit("/", 1)[-1])
def test_stage_bodies_are_thin_and_call_no_io(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    imported = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom | ast.Import)
                for a in n.names}
    assert "io" not in imported, f"{path} imports custseg.io: a body reads and writes only through the runner"
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        if any(isinstance(d, ast.Call) and getattr(d.func, "id", "") == "body" for d in fn.decorator_list):
            lines = fn.end_lineno - fn.lineno + 1 - len(inspect.cleandoc(ast.get_docstring(fn) or "").splitlines())
            assert lines <= 60, f"{fn.name} has {lines} lines (at most 60)"
