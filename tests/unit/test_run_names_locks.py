"""Run names stay one folder under the work folder (refused before anything is written), folders that cannot
be written get one message naming them, and a lock left by a run that no longer runs is taken over."""

import datetime as dt
import os
import socket
import subprocess
import sys
import time

import psutil
import pytest
import yaml

from custseg import config, published
from custseg.errors import ConfigError, RunError
from custseg.report import cli, locks, runner

TINY = config.PROJECT_ROOT / "configs" / "tiny.yaml"


def tree(folder):
    """Every file and folder under ``folder`` (paths relative to it)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def one_error(err):
    lines = [line for line in err.splitlines() if line.startswith("custseg: ")]
    assert len(lines) == 1 and lines[0].startswith("custseg: error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("argv, fragments", [
    (["--name", "../x"], ["--name '../x' cannot be a run name", "starts with a dot"]),
    (["--name", ".."], ["--name '..'", "starts with a dot"]),
    (["--name", "a/../../x"], ["--name 'a/../../x'", "folder separator"]),
    (["--name", "sub/x"], ["--name 'sub/x'", "folder separator"]),
    (["--name", "ABS"], ["cannot be a run name", "folder separator"]),
    (["--name", "..\\x"], ["starts with a dot"]),
    (["--name", "a\\b"], ["'\\\\'", "folder separator"]),
    (["--name", "C:x"], ["':'", "cannot be in a folder name"]),
    (["--name", ""], ["--name ''", "is empty"]),
    (["--name", "  "], ["is empty"]),
    (["--name", ".hidden"], ["starts with a dot"]),
    (["--name", "x\n"], ["'\\n'"]),
    (["--name", "x\x00y"], ["'\\x00'"]),
    (["--name", "x."], ["ends with a space or a dot"]),
    (["--baseline", "../x"], ["--baseline (cluster.baseline): there is no run.json in '../x'", "starts with a dot"]),
    (["--baseline", "ABS"], ["--baseline (cluster.baseline)", "folder separator"]),
    (["--set", "name=../x"], ["config key 'name' = '../x'"]),
])
def test_a_run_name_that_is_not_one_folder_is_refused_before_anything_is_written(tmp_path, capsys, argv,
                                                                                 fragments):
    outside = tmp_path / "outside" / "x"  # where an absolute name would lead: it must never appear
    argv = [str(outside) if a == "ABS" else a for a in argv]
    before = tree(tmp_path)
    code = cli.main(["run", str(TINY), "--workdir", str(tmp_path / "w"), *argv])
    message = one_error(capsys.readouterr().err)
    assert code == 1
    for fragment in fragments:
        assert fragment in message, message
    assert "--workdir" in message, "the message says how to write elsewhere"
    assert tree(tmp_path) == before, "a refused run writes nothing, anywhere"


def test_the_config_file_name_is_checked_too(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(TINY.read_text()), "name": "/tmp/elsewhere"}))
    before = tree(tmp_path)
    assert cli.main(["run", str(path), "--workdir", str(tmp_path / "w")]) == 1
    assert "config key 'name' = '/tmp/elsewhere' cannot be a run name" in one_error(capsys.readouterr().err)
    assert tree(tmp_path) == before


@pytest.mark.parametrize("name", ["2026-01", "try_k6", "演示 二月", "v1.2", "a-b_c"])
def test_plain_names_are_accepted(name):
    assert config.check_run_name(name, "--name") == name


def test_notebooks_and_published_runs_check_the_name_too(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTSEG_RUN", "../up")
    with pytest.raises(ConfigError, match=r"run_name \(CUSTSEG_RUN\) '../up' cannot be a run name"):
        config.load_for_notebook(str(TINY))
    (tmp_path / "w" / "x").mkdir(parents=True)
    (tmp_path / "w" / "x" / "run.json").write_text("{}")  # w/reports/../x: a folder outside reports/ …
    with pytest.raises(ConfigError, match="there is no run.json in '../x', and '../x' cannot be a run name"):
        published.load("../x", tmp_path / "w")  # … is never reached through a name


@pytest.mark.parametrize("blocker", ["data", "reports/r.lock/"])
def test_a_folder_that_cannot_be_made_gets_one_message_and_no_lock_is_left(tmp_path, blocker):
    workdir = tmp_path / "w"
    (workdir / "reports").mkdir(parents=True)
    if blocker.endswith("/"):  # a folder where the lock file goes: the lock cannot be created
        (workdir / blocker).mkdir()
    else:
        (workdir / blocker).write_text("a file where a folder goes")
    with pytest.raises(ConfigError, match=r"cannot write the run's folders under .*set --workdir") as caught:
        runner.run(TINY, "r", workdir=workdir, progress=False)
    assert str(workdir / blocker.rstrip("/")) in str(caught.value)
    assert tree(workdir / "reports") == (["r.lock"] if blocker.endswith("/") else []), "no lock, no building folder"


def write_lock(path, pid, started, host=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pid} {host or socket.gethostname()} {started}")


def now():
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def test_a_lock_of_a_live_run_is_refused_and_of_an_ended_unreaped_one_taken_over(tmp_path):
    reports = tmp_path / "reports" / "x"
    lock = reports.with_name("x.lock")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        write_lock(lock, child.pid, now())
        with pytest.raises(RunError, match=rf"run 'x' is already running \(process {child.pid} on"):
            with locks.run_lock(reports):
                pass
        child.kill()
        deadline = time.time() + 10
        while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE:  # killed, not reaped: still a pid
            assert time.time() < deadline
            time.sleep(0.05)
        with locks.run_lock(reports):
            assert lock.read_text().split()[0] == str(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert not lock.exists()


def test_a_lock_whose_pid_was_reused_or_is_this_process_from_before_is_taken_over(tmp_path):
    reports = tmp_path / "reports" / "x"
    lock = reports.with_name("x.lock")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:  # the live process started long after the lock was written: it only has the pid
        write_lock(lock, child.pid, "2026-01-01T00:00:00+00:00")
        with locks.run_lock(reports):
            assert lock.read_text().split()[0] == str(os.getpid())
    finally:
        child.kill()
        child.wait()
    write_lock(lock, os.getpid(), now())  # left by an earlier process with this pid (a restarted container)
    with locks.run_lock(reports):
        assert lock.read_text().split()[3], "this holder's own token"
    assert not lock.exists()


def test_waiting_for_a_lock_held_on_another_machine_ends_and_names_the_file(tmp_path):
    page_lock = tmp_path / "reports" / ".tiny-history.html.lock"
    write_lock(page_lock, 4242, now(), host="another-machine")
    began = time.monotonic()
    with pytest.raises(RunError, match=r"held for more than 0 s by process 4242 on another-machine") as caught:
        with locks.exclusive(page_lock, wait_s=0.3):
            pass
    assert 0.3 <= time.monotonic() - began < 5
    assert f"delete {page_lock}" in str(caught.value) and page_lock.exists(), "another machine's lock is kept"


def test_a_kernel_that_dies_before_its_first_reply_is_started_once_more(tmp_path, monkeypatch):
    """Another process can take a port between jupyter_client picking it and the kernel binding it: that kernel
    dies before it replies, no cell has run, and it is started once more; any other failure is not retried."""
    import papermill as pm

    from custseg.report import kernels
    from custseg.report import runner as report_runner

    started, stopped = [], []
    monkeypatch.setattr(kernels, "start", lambda folder: started.append(folder) or object())
    monkeypatch.setattr(kernels, "stop", stopped.append)

    def fails(times: int, message: str):
        calls = []

        def execute_notebook(*args, **kwargs):
            calls.append(1)
            if len(calls) <= times:
                raise RuntimeError(message)
        monkeypatch.setattr(pm, "execute_notebook", execute_notebook)
        return calls

    died = "Kernel died before replying to kernel_info"
    calls = fails(1, died)
    ahead = object()  # a kernel started while the notebook before ran: used first, a fresh one after it died
    report_runner.execute(tmp_path / "nb.ipynb", tmp_path / "out.ipynb", {}, kernel=ahead)
    assert len(calls) == 2 and len(started) == 1 and stopped[0] is ahead and len(stopped) == 2, "each one stopped"
    calls = fails(99, died)
    with pytest.raises(RuntimeError, match="kernel_info"):
        report_runner.execute(tmp_path / "nb.ipynb", tmp_path / "out.ipynb", {})
    assert len(calls) == report_runner.KERNEL_STARTS
    calls = fails(99, "something else")
    with pytest.raises(RuntimeError, match="something else"):
        report_runner.execute(tmp_path / "nb.ipynb", tmp_path / "out.ipynb", {})
    assert len(calls) == 1
