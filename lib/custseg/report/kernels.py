"""The kernels ``custseg run`` executes its notebooks on, and how papermill saves them.

Each notebook gets a fresh ``python3`` kernel (no state is shared between notebooks), started while the notebook
before it runs: its start and its first imports then cost the run nothing on a second core. papermill saves the
executed notebook twice per cell, about a second per notebook of the demo; here it is saved when it starts, at
most every :data:`SAVE_EVERY_S` seconds while it runs (a killed run keeps a recent partial notebook) and when
it ends, failed or not.
"""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

# what a notebook's first cell imports: a kernel started ahead imports it while the notebook before it runs
# (sys.modules only: nothing is bound in the notebook's namespace, every notebook still imports what it uses)
WARM_IMPORTS = ("custseg.pipeline", "custseg.report.charts")
SAVE_EVERY_S = 10
ENGINE = "custseg"  # the papermill engine of this module


def kernel_env() -> dict[str, str]:
    """The environment of a notebook's kernel: this process's, less what would make the report wrong, with
    OpenMP's threads waiting passively.

    ``JPY_SESSION_NAME`` (set when ``custseg run`` is started from a JupyterLab kernel) would make the kernel
    think it is interactive and draw widgets; ``MPLBACKEND`` from the shell would keep figures off the pages:
    the kernel draws with the inline backend. scikit-learn's k-means runs on OpenMP threads that spin while they
    wait; beside another busy process (the next notebook's kernel starting, a second run, a browser) they stall
    each other: two k sweeps of 20,000 customers at once took 16× as long as one. ``OMP_WAIT_POLICY=PASSIVE``
    (unless it is set) lets a waiting thread sleep; see ``docs/developer/bench.md``.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("JPY_SESSION_NAME", "MPLBACKEND")}
    return {"OMP_WAIT_POLICY": "PASSIVE", **env}


def start(folder: Path) -> AsyncKernelManager:
    """Start a ``python3`` kernel in ``folder`` and return its manager without waiting for it: it imports
    :data:`WARM_IMPORTS` while the caller goes on.

    Parameters
    ----------
    folder : Path
        The kernel's working directory (the notebooks' folder).

    Returns
    -------
    AsyncKernelManager
        For papermill's ``km``; :func:`stop` it when its notebook has run.
    """
    km = AsyncKernelManager(kernel_name="python3")
    warm = "; ".join(f"__import__({name!r})" for name in WARM_IMPORTS) + ";"  # the ";" shows nothing
    # the kernel's own warnings (e.g. about TCP on localhost) are noise to a user
    run_sync(km.start_kernel)(cwd=str(folder), env=kernel_env(),
                              extra_arguments=["--log-level=ERROR", f"--IPKernelApp.exec_lines={warm}"])
    return km


def stop(km: AsyncKernelManager) -> None:
    """Stop a kernel of :func:`start` (it may have died already) and free its ports and files.

    It is killed rather than asked to stop: its notebook has run and saved every output, nothing it would do at
    exit matters, and a polite shutdown costs about a second per notebook.
    """
    if km.has_kernel:
        run_sync(km.shutdown_kernel)(now=True)


class Ahead:
    """The kernels of a run's notebooks, each started while the notebook before it runs; ``close`` stops the
    one not taken.

    Parameters
    ----------
    folder : Path
        The notebooks' folder.
    count : int
        How many notebooks will take a kernel (none is started beyond the last).
    """

    def __init__(self, folder: Path, count: int):
        self.folder, self.left, self.ahead = folder, count, None

    def take(self) -> AsyncKernelManager:
        """The next notebook's kernel (started now if none is ahead); starts the one after it."""
        km = self.ahead or start(self.folder)
        self.left -= 1
        self.ahead = start(self.folder) if self.left > 0 else None
        return km

    def close(self) -> None:
        if self.ahead is not None:
            stop(self.ahead)
            self.ahead = None


class _SparseSaves(NotebookExecutionManager):
    """papermill's record of a notebook's execution, writing the notebook as the module docstring says."""

    saved = ending = False

    def save(self, **kwargs):
        due = (self.now() - self.last_save_time).total_seconds() >= SAVE_EVERY_S
        if not self.saved or self.ending or due:
            super().save(**kwargs)
            self.saved = True

    def notebook_complete(self, **kwargs):
        self.ending = True
        return super().notebook_complete(**kwargs)


class Engine(NBClientEngine):
    """papermill's nbclient engine with :class:`_SparseSaves` (papermill builds its manager in this method)."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                         autosave_cell_every=30, **kwargs):
        nb_man = _SparseSaves(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                              autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb


papermill_engines.register(ENGINE, Engine)
