"""Lock files that keep two processes from writing the same thing at once.

One definition, :func:`exclusive`, serves both uses: ``custseg run`` holds ``reports/<run>.lock`` while it
builds a report and refuses a second run of the same name (:func:`run_lock`); runs of different names that
finish at once take turns at the history page they share (they wait for each other).

A lock is a file created exclusively that names its holder (``<pid> <host> <started> <token>``) and is removed when
the holder is done. A lock of this machine whose process no longer exists (killed, machine restarted) is
stale and taken over: a process that has ended but was not yet reaped (a zombie) counts as ended, and so does
a process started after the lock was written (its pid was reused). A holder on another machine is assumed
alive; who waits for a lock waits at most ``wait_s`` and then names the file to delete.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil

from custseg.errors import RunError

POLL_S = 0.05  # how often a waiting process looks again
WRITING_S = 1.0  # an empty lock file younger than this is being written by its holder
WAIT_S = 60.0  # how long the history page's lock is waited for (its holder needs a second or two)
# a holder's process must have started before it wrote the lock; the slack covers clock corrections (a false
# "alive" only refuses a run, naming the file to delete; a false "stale" would let two runs write at once)
CLOCK_S = 60.0
_MINE: set[str] = set()  # what the locks this process holds or is taking say (a lock naming this pid otherwise
# was left by an earlier process with the same pid, e.g. before a container restart)


@contextlib.contextmanager
def exclusive(path: Path, refuse: Callable[[list[str] | None], Exception] | None = None,
              wait_s: float | None = None) -> Iterator[None]:
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
    wait_s : float, optional
        Without ``refuse``: wait at most this long (default: until the lock is free).

    Raises
    ------
    Exception
        What ``refuse`` returns, when the lock is held.
    RunError
        The lock was still held after ``wait_s``: the message names its holder and the file to delete.
    OSError
        The lock file cannot be created (e.g. ``PermissionError``: its folder is not writable).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    me = f"{os.getpid()} {socket.gethostname()} {started} {secrets.token_hex(4)}"
    _MINE.add(me)  # before the file exists, so that a thread of this process never takes it for stale
    try:
        _acquire(path, me, refuse, None if wait_s is None else time.monotonic() + wait_s)
    except BaseException:
        _MINE.discard(me)
        raise
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        _MINE.discard(me)


def _acquire(path: Path, me: str, refuse: Callable[[list[str] | None], Exception] | None,
             deadline: float | None) -> None:
    """Create the lock file ``path`` holding ``me``, waiting for or taking over its holder (:func:`exclusive`)."""
    takeovers, began = 0, time.monotonic()
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
                if deadline is not None and time.monotonic() > deadline:
                    raise RunError(f"{path} has been held for more than {time.monotonic() - began:.0f} s by "
                                   f"{_who(holder)}: if no custseg run is writing there any more, delete "
                                   f"{path}") from None
                time.sleep(POLL_S)
                continue
            takeovers += 1
            if refuse is not None and takeovers > 1:  # another process took the stale lock between our attempts
                raise refuse(None) from None
            path.unlink(missing_ok=True)  # a stale lock
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(me)
        return


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
        return RunError(f"run '{reports.name}' is already running ({_who(holder)}): wait for it to finish, or "
                        f"give this run another --name. If no such run exists, remove {path}")

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


def _who(holder: list[str]) -> str:
    return f"process {holder[0]} on {holder[1]}, started {holder[2] if len(holder) > 2 else '?'}"


def _alive(holder: list[str]) -> bool:
    """Whether the lock's holder may still be running (on another machine: assumed so)."""
    if len(holder) < 2:
        return False
    if holder[1] != socket.gethostname():
        return True
    if holder[0] == str(os.getpid()):  # a thread of this process, or a process before a restart with this pid
        return " ".join(holder) in _MINE
    try:
        proc = psutil.Process(int(holder[0]))
        if proc.status() == psutil.STATUS_ZOMBIE:  # ended, not yet reaped by its parent
            return False
        created = proc.create_time()
    except (ValueError, psutil.NoSuchProcess):
        return False
    except psutil.AccessDenied:
        return True
    try:
        locked = dt.datetime.fromisoformat(holder[2]).timestamp()
    except (IndexError, ValueError):
        return True
    return created <= locked + CLOCK_S  # a process started after the lock was written has only the pid
