"""`custseg run` stopped from outside (SIGTERM, SIGKILL) leaves nothing that blocks the next run, a reports
folder that cannot be written gets one message naming it, and a run writes nothing outside its work folder."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from custseg import config
from custseg.errors import RunError
from custseg.report import cli, locks, runner

TINY = config.PROJECT_ROOT / "configs" / "tiny.yaml"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(config.PROJECT_ROOT / "lib"),
                                                                 os.environ.get("PYTHONPATH")]))}


def start(workdir: Path, name: str) -> subprocess.Popen:
    """`custseg run configs/tiny.yaml --from 9` in a process of its own, returned once 09's notebook runs."""
    proc = subprocess.Popen([sys.executable, "-m", "custseg.report.cli", "run", str(TINY), "--workdir",
                             str(workdir), "--name", name, "--from", "9"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.time() + 90
    while not (workdir / "reports" / f"{name}.building" / "notebooks" / "09_measure.ipynb").exists():
        assert time.time() < deadline and proc.poll() is None, f"the run did not get to 09_measure ({proc.poll()})"
        time.sleep(0.1)
    return proc


def test_a_run_stopped_by_sigterm_cleans_up_and_one_killed_outright_is_taken_over(tiny_report, monkeypatch):
    workdir, published = tiny_report  # a good report, so that the runs here redo 09 only
    reports, index = published.parent, (published / "index.html").read_bytes()
    proc = start(workdir, "r")
    proc.send_signal(signal.SIGTERM)  # what `kill`, systemd or a scheduler's timeout sends
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert f"custseg: stopped (SIGTERM). The last good report {published} is unchanged" in err
    assert "Traceback" not in err and (published / "index.html").read_bytes() == index
    assert not (reports / "r.lock").exists() and not (reports / "r.building").exists()
    assert (reports / "r.failed" / "notebooks" / "09_measure.ipynb").is_file()

    proc = start(workdir, "r")
    try:
        proc.kill()  # SIGKILL cannot be handled: the lock and the building folder stay …
        time.sleep(0.5)  # … and the process stays a zombie until it is reaped (below, after the re-run)
        assert (reports / "r.lock").is_file() and (reports / "r.building").is_dir()
        # and a history page's lock left on a shared folder by another machine: waited for, not forever
        page_lock = reports / ".tiny-history.html.lock"
        page_lock.write_text("4242 another-machine 2026-01-01T00:00:00+00:00")
        monkeypatch.setattr(locks, "WAIT_S", 0.5)
        with pytest.raises(RunError, match=rf"the report {published} is published, but the history page .* was "
                                           rf"not updated: .* by process 4242 on another-machine.*delete {page_lock}"):
            runner.run(TINY, "r", workdir=workdir, progress=False, start=9)
    finally:
        proc.communicate(timeout=60)
    page_lock.unlink()
    assert json.loads((published / "run.json").read_text())["reused"][-1] == "08_target"
    assert (published / "index.html").is_file() and (published / "09_measure.html").is_file()
    assert not any((reports / f"r.{end}").exists() for end in ("lock", "building", "failed"))


def test_a_reports_folder_that_cannot_be_written_names_it(tmp_path, monkeypatch, capsys):
    top = Path(tempfile.mkdtemp())  # not under pytest's private temp folder: another user may have to enter it
    reports = top / "w" / "reports"
    try:
        top.chmod(0o755)
        reports.mkdir(parents=True)
        reports.chmod(0o555)
        argv = ["run", str(TINY), "--workdir", str(top / "w"), "--name", "r"]
        try:
            (reports / "probe").touch()  # root writes into a read-only folder: run as another user
            (reports / "probe").unlink()
            as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if shutil.which("setpriv") \
                else None
            if as_user and subprocess.run([*as_user, sys.executable, "-c", "import custseg"], env=ENV,
                                          capture_output=True, timeout=60).returncode:
                as_user = None  # the other user cannot read this checkout (a clone in a private folder)
        except PermissionError:
            as_user = []
        if as_user is None:  # root, and no other user to run as: the lock's open fails as it would for one
            real = os.open

            def refused(path, *args, **kwargs):
                if str(path).endswith("r.lock"):
                    raise PermissionError(13, "Permission denied", str(path))
                return real(path, *args, **kwargs)

            monkeypatch.setattr(os, "open", refused)
            code, err = cli.main(argv), capsys.readouterr().err
        else:
            home = top / "home"
            home.mkdir()
            home.chmod(0o777)
            proc = subprocess.run([*as_user, sys.executable, "-m", "custseg.report.cli", *argv], text=True,
                                  capture_output=True, timeout=120,
                                  env={**ENV, "HOME": str(home), "MPLCONFIGDIR": str(home)})
            code, err = proc.returncode, proc.stderr
        assert code == 1, err
        message = err.strip().splitlines()[-1]
        assert message.startswith("custseg: error: cannot write the run's folders under") and "Traceback" not in err
        assert f"Permission denied ({reports / 'r.lock'}); make {reports} writable by this user" in message, err
        assert "--workdir" in message and not any(reports.iterdir())
    finally:
        reports.chmod(0o755)
        shutil.rmtree(top)


def test_a_failed_run_writes_only_inside_its_work_folder(tmp_path, capsys):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "t.csv").write_text("customer_id,order_ts,amount\nA,2024-01-01,-1\nB,2024-01-02,-2\n")
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"name": "二月 run", "paths": {"raw": str(tmp_path / "raw")},
                                    "demo": {"enabled": False}, "sources": {"transactions": {"path": "t.csv"}},
                                    "privacy": {"pii_columns": []}}, allow_unicode=True), encoding="utf-8")
    before = {p for p in tmp_path.rglob("*")}
    assert cli.main(["run", str(path), "--workdir", str(tmp_path / "w")]) == 1
    assert "02_clean kept none of the 2 order lines" in capsys.readouterr().err
    new = {p for p in tmp_path.rglob("*")} - before
    assert tmp_path / "w" / "reports" / "二月 run.failed" in new
    assert all(p.is_relative_to(tmp_path / "w") for p in new), sorted(new)
