"""Lock files that keep two processes from writing the same thing at once.

One definition, :func:`exclusive`, serves both uses: ``custseg run`` holds ``reports/<run>.lock`` while it
builds a report and refuses a second run of the same name (:func:`run_lock`); runs of different names that
finish at once take turns at the history page they share (they wait for each other).

A lock is a file created exclusively that names its holder (``<pid> <host> <started>``) and is removed when
the holder is done. A lock whose process no longer exists (killed, machine restarted) is stale and taken
over; a holder on another machine is assumed alive.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from custseg.errors import RunError

POLL_S = 0.05  # how often a waiting process looks again
WRITING_S = 1.0  # an empty lock file younger than this is being written by its holder


@contextlib.contextmanager
def exclusive(path: Path, refuse: Callable[[list[str] | None], Exception] | None = None) -> Iterator[None]:
    """Hold the lock file ``path`` while the block runs.

    Parameters
    ----------
    path : Path
        The lock file (its folder is created when missing).
    refuse : callable, optional
        When given, a lock held by a live process is not waited for: the exception ``refuse(holder)`` is
        raised, ``holder`` being ``[pid, host, started]`` as the lock file says, or None when another process
        took a stale lock at the same moment as this one. Without it, this process waits until the lock is
        free.

    Raises
    ------
    Exception
        What ``refuse`` returns, when the lock is held.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    me = f"{os.getpid()} {socket.gethostname()} {dt.datetime.now().isoformat(timespec='seconds')}"
    takeovers = 0
    while True:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            holder = _holder(path)
            if holder is None:  # released meanwhile
                continue
            if _alive(holder):
                if refuse is not None:
                    raise refuse(holder) from None
                time.sleep(POLL_S)
                continue
            takeovers += 1
            if refuse is not None and takeovers > 1:  # another process took the stale lock between our attempts
                raise refuse(None) from None
            path.unlink(missing_ok=True)  # a stale lock
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(me)
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def run_lock(reports: Path) -> contextlib.AbstractContextManager[None]:
    """Hold ``reports/<run>.lock`` while a run builds its report; refuse when another live run holds it.

    Parameters
    ----------
    reports : Path
        The run's report folder ``reports/<run>/`` (the lock file is next to it).

    Returns
    -------
    context manager
        Holds the lock while its block runs.

    Raises
    ------
    RunError
        Another run of the same name is in progress.
    """
    path = reports.with_name(reports.name + ".lock")

    def refuse(holder: list[str] | None) -> RunError:
        if holder is None:
            return RunError(f"run '{reports.name}' was started by another process at the same moment: wait for it, "
                            f"or give this run another --name")
        return RunError(f"run '{reports.name}' is already running (process {holder[0]} on {holder[1]}, started "
                        f"{holder[2] if len(holder) > 2 else '?'}): wait for it to finish, or give this run another "
                        f"--name. If no such run exists, remove {path}")

    return exclusive(path, refuse)


def _holder(path: Path) -> list[str] | None:
    """What the lock file says of its holder (``[]``: nothing), None when there is no lock file any more."""
    while True:
        try:
            text = path.read_text()
            young = time.time() - path.stat().st_mtime < WRITING_S
        except FileNotFoundError:
            return None
        if text.strip() or not young:
            return text.split()
        time.sleep(POLL_S)  # its holder has created it and is writing its name


def _alive(holder: list[str]) -> bool:
    if len(holder) < 2 or holder[1] != socket.gethostname():
        return len(holder) >= 2  # another machine's run: assume it is alive
    try:
        os.kill(int(holder[0]), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True
