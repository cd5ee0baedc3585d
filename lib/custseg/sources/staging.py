"""Copies of a source that an engine can read: UTF-8 copies of text files in other encodings (GBK/GB18030 …)
and Parquet copies of tables Spark cannot read itself (a DuckDB or SQLite table).

A copy may hold personal data, so it lives in a private temp folder: :func:`utf8_copy` only while it is
read, :func:`staged_utf8_copy` and :func:`stage_parquet` in :func:`custseg.io.staging_dir` for the life of
the Python process (Spark reads its inputs when a query runs, not when they are registered).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from custseg.io import staging_dir


def _transcode(path: Path, encoding: str, target: Path) -> Path:
    with path.open("r", encoding=encoding, newline="") as src, target.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    return target


@contextlib.contextmanager
def utf8_copy(path: Path, encoding: str) -> Iterator[Path]:
    """A temporary UTF-8 copy of a text file in another encoding (e.g. GB18030), removed afterwards.

    Parameters
    ----------
    path : Path
        The text file.
    encoding : str
        Its encoding.

    Yields
    ------
    Path
        The copy, in a private temp folder removed when the block ends.
    """
    with tempfile.TemporaryDirectory(prefix="custseg-") as tmp:
        yield _transcode(path, encoding, Path(tmp) / f"{path.stem}.utf8{path.suffix}")


def staged_utf8_copy(path: Path, encoding: str, name: str) -> Path:
    """A UTF-8 copy of a text file in :func:`custseg.io.staging_dir` (see :func:`utf8_copy` for the short-lived
    kind).

    Parameters
    ----------
    path, encoding
        The text file and its encoding, as for :func:`utf8_copy`.
    name : str
        The copy's name (without suffix) in the staging folder.

    Returns
    -------
    Path
        The copy.
    """
    return _transcode(path, encoding, staging_dir() / f"{name}.utf8{path.suffix}")


def stage_parquet(table, name: str) -> Path:
    """Write an Ibis table of any backend to a Parquet file in :func:`custseg.io.staging_dir`, inside that backend.

    Parameters
    ----------
    table : ibis.Table
        The table.
    name : str
        The file's name (without ``.parquet``) in the staging folder.

    Returns
    -------
    Path
        The Parquet file.
    """
    path = staging_dir() / f"{name}.parquet"
    path.unlink(missing_ok=True)
    table.to_parquet(path)
    return path
