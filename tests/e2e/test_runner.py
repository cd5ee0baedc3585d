"""`custseg run` on the tiny config: a failed or interrupted run never touches the last good report, `--from`
reuses exactly the stages before it when they are fresh, and a second run of the same name is refused."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from custseg import config, io, pipeline
from custseg.errors import RunError, StageError
from custseg.report import cli, locks, runner

TINY = config.PROJECT_ROOT / "configs" / "tiny.yaml"


@pytest.fixture(scope="module")
def good(tiny_report):
    """The good run 'r' of the tiny config: (workdir, report folder, bytes of its index.html)."""
    workdir, reports = tiny_report
    return workdir, reports, (reports / "index.html").read_bytes()


def _records(workdir):
    cfg = config.load(TINY)
    cfg["paths"]["workdir"], cfg["run"] = str(workdir), "r"
    paths = io.run_paths(cfg)
    return {s.name: pipeline.record(paths, s) for s in pipeline.STAGES}


def test_a_failing_run_keeps_the_last_good_report(good):
    workdir, reports, index = good
    with pytest.raises(runner.NotebookFailed) as caught:  # from 05, so that 01-04 need not run again
        runner.run(TINY, "r", {"cluster.features": ["no_such_column"]}, workdir, progress=False, start=5)
    message = str(caught.value)
    assert "05_cluster.ipynb failed in cell" in message and "no_such_column" in message
    failed = reports.with_name("r.failed")
    assert f"The last good report {reports} is unchanged" in message and str(failed / "notebooks") in message
    assert (reports / "index.html").read_bytes() == index
    assert sorted(p.name for p in (failed / "notebooks").iterdir()) == [f"{s.name}.ipynb" for s in pipeline.STAGES[:5]]
    assert not reports.with_name("r.building").exists() and not reports.with_name("r.lock").exists()
    assert _records(workdir)["05_cluster"] is None, "the failed stage has no record, so --from cannot reuse it"


def test_from_reuses_exactly_the_earlier_stages(good):
    workdir, reports, _ = good
    with pytest.raises(StageError, match="stage 05_cluster has not finished"):
        runner.run(TINY, "r", workdir=workdir, progress=False, start="06_personas")
    before = _records(workdir)
    out = runner.run(TINY, "r", {"cluster.k": 4}, workdir, progress=False, start=5)
    after = _records(workdir)
    meta = json.loads((out / "run.json").read_text())
    assert meta["reused"] == ["01_collect", "02_clean", "03_describe", "04_features"]
    assert set(meta["timings_s"]) == {"05_cluster", "06_personas", "07_evaluate", "08_target", "09_measure",
                                      "00_overview", "total"}  # the course overview runs again (no stage to reuse)
    for name in meta["reused"]:
        assert after[name] == before[name], f"{name} was not run again"
    assert meta["stages"]["05_cluster"]["k"] == 4
    assert after["07_evaluate"]["finished"] >= after["05_cluster"]["finished"] > before["04_features"]["finished"]
    for stem in meta["reused"]:
        assert (out / f"{stem}.html").is_file() and (out / "notebooks" / f"{stem}.ipynb").is_file()
    assert (out / "figures" / "03_pareto.png").is_file() and (out / "figures" / "05_pca.png").is_file()
    assert not reports.with_name("r.failed").exists(), "a good run clears the last failure"


def test_from_keeps_what_reused_stages_put_in_the_report(good):
    """--from 07 reuses 06: its CRM export and persona cards stay in the published report."""
    workdir, reports, _ = good
    before = sorted(p.name for p in (reports / "personas").iterdir())
    csv = (reports / "segments.csv").read_bytes()
    out = runner.run(TINY, "r", {"cluster.k": 4}, workdir, progress=False, start=7)
    assert json.loads((out / "run.json").read_text())["reused"][-1] == "06_personas"
    assert sorted(p.name for p in (out / "personas").iterdir()) == before and before
    assert (out / "segments.csv").read_bytes() == csv


def test_from_refuses_a_stale_stage(good):
    workdir, reports, _ = good
    index = (reports / "index.html").read_bytes()
    with pytest.raises(StageError, match=r"02_clean .* is stale: config key\(s\) clean.min_age \(16 → 18\)"):
        runner.run(TINY, "r", {"clean.min_age": 18}, workdir, progress=False, start="cluster")
    assert (reports / "index.html").read_bytes() == index
    assert not reports.with_name("r.failed").exists(), "nothing ran, so nothing is kept"


def test_from_refuses_another_language_than_the_report_it_reuses(good):
    """The reused pages and the text the earlier stages wrote (05's reason for k) are in the report's language."""
    workdir, reports, _ = good
    index = (reports / "index.html").read_bytes()
    with pytest.raises(RunError, match=r"is in language 'en', this run asks for 'zh': run without --from"):
        runner.run(TINY, "r", {"language": "zh"}, workdir, progress=False, start=6)
    assert (reports / "index.html").read_bytes() == index


def test_ctrl_c_stops_cleanly_and_keeps_the_last_good_report(good):
    workdir, reports, _ = good
    index = (reports / "index.html").read_bytes()
    cli = [sys.executable, "-m", "custseg.report.cli", "run", str(TINY), "--workdir", str(workdir), "--name", "r"]
    proc = subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 120
    while not (reports.with_name("r.building") / "notebooks" / "02_clean.ipynb").exists():
        assert time.time() < deadline and proc.poll() is None, "the run did not get to 02_clean"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C: the runner and its kernel
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "custseg: interrupted." in err and "is unchanged" in err
    assert (reports / "index.html").read_bytes() == index
    assert (reports.with_name("r.failed") / "notebooks" / "01_collect.ipynb").is_file()
    assert not reports.with_name("r.lock").exists() and not reports.with_name("r.building").exists()


def test_a_second_run_of_the_same_name_is_refused(tmp_path):
    reports = tmp_path / "reports" / "x"
    with locks.run_lock(reports):
        with pytest.raises(RunError, match=r"run 'x' is already running \(process \d+"):
            with locks.run_lock(reports):
                pass
    assert not reports.with_name("x.lock").exists()


def test_a_stale_lock_is_taken_over(tmp_path):
    reports = tmp_path / "reports" / "x"
    reports.parent.mkdir(parents=True)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket

    reports.with_name("x.lock").write_text(f"{ended.stdout.strip()} {socket.gethostname()} 2026-01-01T00:00:00")
    with locks.run_lock(reports):
        assert reports.with_name("x.lock").read_text().split()[0] == str(os.getpid())
    assert not reports.with_name("x.lock").exists()


def test_cli_prints_one_line_and_no_traceback(tmp_path, capsys):
    assert cli.main(["run", str(TINY), "--set", "x=[a"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("custseg: error: override 'x=[a'") and "Traceback" not in err
    assert cli.main(["run", str(TINY), "--workdir", str(TINY), "--name", "w"]) == 1
    assert "cannot write the run's folders" in capsys.readouterr().err
    assert cli.main(["run", str(TINY), "--from", "10"]) == 1
    assert "unknown stage '10'" in capsys.readouterr().err
