"""The only module that reads or writes files: the run-folder layout and table/figure/JSON I/O.

Layout of one run ``<run>`` under the work dir (the project root unless configured)::

    data/raw/...                  inputs, never modified
    data/interim/<run>/           collected tables (parquet) + reconciliation
    data/processed/<run>/         cleaned tables, features, segments, model
    reports/<run>/                index.html, NN_*.html, notebooks/, figures/, personas/, segments.csv, run.json
"""

from __future__ import annotations

import codecs
import contextlib
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from custseg.config import PROJECT_ROOT


@dataclass(frozen=True)
class RunPaths:
    """Folders of one run; create them with :meth:`make`."""

    workdir: Path
    raw: Path
    interim: Path
    processed: Path
    reports: Path

    @property
    def figures(self) -> Path:
        return self.reports / "figures"

    @property
    def personas(self) -> Path:
        return self.reports / "personas"

    @property
    def notebooks(self) -> Path:
        return self.reports / "notebooks"

    def make(self) -> RunPaths:
        for folder in (self.interim, self.processed, self.reports, self.figures, self.personas, self.notebooks):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def run_paths(cfg: dict) -> RunPaths:
    """Resolve the folders of the run named ``cfg['run']`` (or the config name)."""
    workdir = Path(cfg["paths"]["workdir"] or PROJECT_ROOT).resolve()
    raw = Path(cfg["paths"]["raw"])
    if not raw.is_absolute():
        raw = workdir / raw
    run = cfg.get("run") or cfg["name"]
    return RunPaths(
        workdir=workdir,
        raw=raw,
        interim=workdir / "data" / "interim" / run,
        processed=workdir / "data" / "processed" / run,
        reports=workdir / "reports" / run,
    )


def source_path(cfg: dict, source: str) -> Path:
    """Absolute path of a configured source file (relative paths are inside ``paths.raw``)."""
    path = Path(cfg["sources"][source]["path"])
    return path if path.is_absolute() else run_paths(cfg).raw / path


def redact_url(url: str) -> str:
    """A connection URL without its password, fit to print or save (``postgres://u:***@host/db``)."""
    return re.sub(r"(//[^/:@]*):[^/@]*@", r"\1:***@", url)


def first_undecodable_line(path: Path, encoding: str) -> tuple[int, bytes] | None:
    """The first line of a text file that does not decode with ``encoding`` (1-based number, raw bytes)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return number, line[:60]
    return None


def _transcode(path: Path, encoding: str, target: Path) -> Path:
    with path.open("r", encoding=encoding, newline="") as src, target.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    return target


@contextlib.contextmanager
def utf8_copy(path: Path, encoding: str) -> Iterator[Path]:
    """A temporary UTF-8 copy of a text file in another encoding (e.g. GB18030), removed afterwards.

    The copy may hold personal data, so it lives in a private temp folder only while it is read.
    """
    with tempfile.TemporaryDirectory(prefix="custseg-") as tmp:
        yield _transcode(path, encoding, Path(tmp) / f"{path.stem}.utf8{path.suffix}")


_STAGING: list[Path] = []


def staging_dir() -> Path:
    """A private temp folder for copies an engine reads lazily (removed when the Python process ends).

    Spark reads its inputs when a query runs, not when they are registered, so a source it cannot read
    itself (a DuckDB or SQLite table, a file in another encoding) is copied here for the session's life.
    """
    if not _STAGING:
        import atexit
        import shutil

        _STAGING.append(Path(tempfile.mkdtemp(prefix="custseg-staging-")))
        atexit.register(shutil.rmtree, _STAGING[0], True)
    return _STAGING[0]


def staged_utf8_copy(path: Path, encoding: str, name: str) -> Path:
    """A UTF-8 copy of a text file in :func:`staging_dir` (see :func:`utf8_copy` for the short-lived kind)."""
    return _transcode(path, encoding, staging_dir() / f"{name}.utf8{path.suffix}")


def stage_parquet(table, name: str) -> Path:
    """Write an Ibis table of any backend to a Parquet file in :func:`staging_dir`, inside that backend."""
    path = staging_dir() / f"{name}.parquet"
    path.unlink(missing_ok=True)
    table.to_parquet(path)
    return path


def first_line(path: Path, encoding: str) -> str | None:
    """The first non-blank line of a text file (without its line break), None for a blank file."""
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        for line in fh:
            if line.strip():
                return line.rstrip("\r\n").lstrip("\ufeff")
    return None


def sniff_delimiter(path: Path, encoding: str) -> str:
    """The delimiter of a delimited text file, guessed from its first lines (``,`` when unsure)."""
    import csv

    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        sample = fh.read(64 * 1024)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def excel_sheets(path: Path) -> list[str]:
    """The sheet names of an Excel workbook."""
    return pd.ExcelFile(path).sheet_names


def write_table(df: pd.DataFrame, folder: Path, name: str) -> Path:
    """Write ``df`` to ``folder/name.parquet`` and return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    df.to_parquet(path, index=False)
    return path


def remove_table(folder: Path, name: str) -> None:
    """Remove ``folder/name.parquet`` if it exists (a stage output an earlier run left behind)."""
    path = folder / f"{name}.parquet"
    if path.is_dir():  # written by Spark
        import shutil

        shutil.rmtree(path)
    path.unlink(missing_ok=True)


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """Read ``folder/name.parquet`` (file, or Spark's directory), saying which notebook to run first if missing."""
    path = folder / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist: run the earlier notebooks of this run first (or `custseg run CONFIG`)"
        )
    return pd.read_parquet(path)


def write_json(obj: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def save_figure(fig, paths: RunPaths, name: str, alt: str | None = None) -> Path:
    """Save a matplotlib figure as ``figures/<name>.png`` of the run.

    The PNG carries the figure's title and an alt text (``alt``, or the title and axis labels) as
    metadata, which the report's index page shows as caption and alt text (see :func:`figure_info`).
    """
    from custseg import plots

    paths.figures.mkdir(parents=True, exist_ok=True)
    path = paths.figures / f"{name}.png"
    title, described = plots.describe(fig)
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Title": title, "Description": alt or described})
    return path


def figure_info(path: Path) -> dict[str, str]:
    """Title and alt text stored in a figure by :func:`save_figure` (the file name when there are none)."""
    from PIL import Image

    with Image.open(path) as img:
        text = dict(img.text)
    fallback = path.stem[3:].replace("_", " ") if path.stem[:2].isdigit() else path.stem.replace("_", " ")
    return {"name": path.name, "title": text.get("Title") or fallback, "alt": text.get("Description") or fallback}


def write_text(text: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_csv(df: pd.DataFrame, path: Path, excel: bool = False) -> Path:
    """Write ``df`` as UTF-8 CSV; ``excel`` adds a byte-order mark so that Excel reads Chinese text correctly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding="utf-8-sig" if excel else "utf-8")
    return path


def write_duckdb(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write data frames as tables of a (new) DuckDB database file."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        for name, df in tables.items():
            con.register("_frame", df)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
            con.unregister("_frame")
    return path


def write_excel(df: pd.DataFrame, path: Path, sheet: str = "Sheet1") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_excel(path, sheet_name=sheet, index=False)
    return path


def read_excel(path: Path, sheet: str | int = 0, header: bool = True) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=sheet, header=0 if header else None)


def write_ibis(table, folder: Path, name: str) -> Path:
    """Write an Ibis table expression to ``folder/name.parquet`` inside the engine (no pandas round trip).

    DuckDB writes one Parquet file; Spark writes a Parquet *directory* of part files under that name
    (its executors write in parallel). Either replaces what an earlier run left there.
    """
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    if path.is_dir():
        shutil.rmtree(path)
    path.unlink(missing_ok=True)
    table.to_parquet(path)
    return path


def read_ibis(con, folder: Path, name: str):
    """Register ``folder/name.parquet`` (a file, or a directory Spark wrote) as an Ibis table on ``con``."""
    path = folder / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist: run the earlier notebooks of this run first (or `custseg run CONFIG`)"
        )
    if path.is_dir() and con.name != "pyspark":
        path = str(path / "*.parquet")  # DuckDB reads Spark's part files with a glob
    return con.read_parquet(path, table_name=name)


def save_model(model, path: Path) -> Path:
    """Persist a fitted estimator (joblib)."""
    import joblib

    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    return path


def load_model(path: Path):
    import joblib

    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: run 05_cluster of this run first")
    return joblib.load(path)
