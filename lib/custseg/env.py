"""Where the project is and how this process runs (a JupyterLab kernel or not)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def interactive() -> bool:
    """True in a kernel started by a Jupyter server (JupyterLab), False under papermill or plain Python.

    Jupyter servers set ``JPY_SESSION_NAME`` for the kernels they start; ``custseg run`` removes it for
    the kernels it starts, so reports stay static (no widgets, no progress bars in the HTML).

    Returns
    -------
    bool
        Whether ``JPY_SESSION_NAME`` is set.
    """
    return bool(os.environ.get("JPY_SESSION_NAME"))
