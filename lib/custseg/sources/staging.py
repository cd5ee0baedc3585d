"""Copies of a source that an engine can read: UTF-8 copies of text files in other encodings (GBK/GB18030 …),
the data file inside a zip archive, and Parquet copies of tables Spark cannot read itself (a DuckDB or SQLite
table).

A copy may hold personal data, so it lives in a private temp folder: :func:`utf8_copy` only while it is
read, :func:`staged_utf8_copy`, :func:`extract_member` and :func:`stage_parquet` in
:func:`custseg.io.staging_dir` for the life of the Python process (Spark reads its inputs when a query runs, not
when they are registered).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import zipfile
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


def zip_members(path: Path) -> list[str] | None:
    """The files in a zip archive that could be data (folders, ``__MACOSX/`` and hidden files left out); None
    when the file is no zip archive, or is an Excel workbook (which is a zip too).

    Parameters
    ----------
    path : Path
        The source file, perhaps a zip archive.

    Returns
    -------
    list of str or None
        The members' names inside the archive.
    """
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    if "[Content_Types].xml" in names:  # an Office Open XML document (.xlsx, .docx)
        return None
    return [n for n in names if not n.endswith("/") and not n.startswith("__MACOSX/")
            and not Path(n).name.startswith((".", "~$"))]


def extract_member(path: Path, member: str, name: str) -> Path:
    """Copy one member of a zip archive into :func:`custseg.io.staging_dir` (DuckDB cannot read inside a zip).

    Parameters
    ----------
    path : Path
        The zip archive.
    member : str
        The member's name inside it.
    name : str
        A folder name in the staging folder (one per source); the copy keeps the member's file name only, so a
        member named ``../x`` cannot write outside it.

    Returns
    -------
    Path
        The copy.
    """
    folder = staging_dir() / name
    folder.mkdir(exist_ok=True)
    target = folder / Path(member).name
    with zipfile.ZipFile(path) as archive, archive.open(member) as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return target
