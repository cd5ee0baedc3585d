"""Root conftest: notebook tests (nbval) run on the tiny config and write only into a temp dir."""

import os
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).parent
_workdir = None


def pytest_configure(config):
    global _workdir
    _workdir = tempfile.mkdtemp(prefix="custseg-nbval-")
    os.environ.setdefault("CUSTSEG_CONFIG", str(ROOT / "configs" / "tiny.yaml"))
    os.environ.setdefault("CUSTSEG_WORKDIR", _workdir)
    os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_unconfigure(config):
    if _workdir:
        shutil.rmtree(_workdir, ignore_errors=True)
