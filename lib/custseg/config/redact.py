"""A config fit to print or save: no pseudonymisation key, no password in a source URL."""

from __future__ import annotations

import copy
import re


def redact_url(url: str) -> str:
    """A connection URL without its password, fit to print or save.

    Parameters
    ----------
    url : str
        E.g. ``postgres://u:secret@host/db``.

    Returns
    -------
    str
        The URL with ``***`` for the password (``postgres://u:***@host/db``); unchanged without one.
    """
    return re.sub(r"(//[^/:@]*):[^/@]*@", r"\1:***@", url)


def redacted(cfg: dict) -> dict:
    """A copy of a config fit to save with a run: no pseudonymisation key, no password in a source URL.

    Parameters
    ----------
    cfg : dict
        A complete config (:func:`~custseg.config.load`); it is not changed.

    Returns
    -------
    dict
        The copy, with ``privacy.key`` as ``***`` and passwords removed from the sources' URLs.
    """
    out = copy.deepcopy(cfg)
    if out["privacy"]["key"]:
        out["privacy"]["key"] = "***"
    for spec in out["sources"].values():
        if spec["url"]:
            spec["url"] = redact_url(spec["url"])
    return out
