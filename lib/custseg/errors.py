"""Every error custseg raises on purpose, in one place.

Each is a :class:`CustsegError`: the command line prints its message (what, where, what to change) in a
few lines and exits non-zero, without a traceback (``--debug`` shows it).
"""


class CustsegError(Exception):
    """An error whose message says what went wrong, where, and what to change."""


class ConfigError(CustsegError, ValueError):
    """A config file or override that cannot be used; the message names the key."""


class SourceError(CustsegError, ValueError):
    """A source that cannot be used as configured; the message says which, where and what to change."""


class StageError(CustsegError, RuntimeError):
    """A stage cannot run: one of its input artefacts is missing, or was made from another configuration."""


class RunError(CustsegError, RuntimeError):
    """A run that failed or cannot start (a notebook raised, the run is locked by another one)."""


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM, e.g. ``kill`` or a scheduler's timeout): stopped as Ctrl-C stops it."""
