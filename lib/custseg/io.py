"""Run paths, the artefact registry and file formats: where a run's files are, and how each is written and read.

Layout of one run ``<run>`` under the work dir (the project root unless configured)::

    data/raw/...                  inputs, never modified
    data/interim/<run>/           collected tables (parquet) + reconciliation
    data/processed/<run>/         cleaned tables, features, segments, model; stages/ (what each stage ran with)
    reports/<run>/                index.html, NN_*.html, notebooks/, figures/, personas/, segments.csv, run.json

Every file a stage hands to another is an *artefact* named once in :data:`ARTEFACTS` (name → folder, file,
format); stages read and write them with :func:`read` and :func:`write` by name. What a source file holds is
found by :mod:`custseg.sources.sniff`, copies an engine reads by :mod:`custseg.sources.staging`; figures are
saved by :mod:`custseg.report.figures`.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from custseg.config import PROJECT_ROOT
from custseg.schema import in_fixed_order, line_grain


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
    """Resolve the folders of the run named ``cfg['run']`` (or the config name).

    The report folder is ``reports/<run>/``, or the staging folder ``custseg run`` builds it in
    (``cfg['_report_dir']``, set by :func:`custseg.config.load_for_notebook`).
    """
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
        reports=Path(cfg["_report_dir"]) if cfg.get("_report_dir") else workdir / "reports" / run,
    )


def source_path(cfg: dict, source: str) -> Path:
    """Absolute path of a configured source file (relative paths are inside ``paths.raw``)."""
    path = Path(cfg["sources"][source]["path"])
    return path if path.is_absolute() else run_paths(cfg).raw / path


_STAGING: list[Path] = []


def staging_dir() -> Path:
    """A private temp folder for copies an engine reads lazily (removed when the Python process ends).

    Spark reads its inputs when a query runs, not when they are registered, so a source it cannot read
    itself (a DuckDB or SQLite table, a file in another encoding) is copied here for the session's life
    (:mod:`custseg.sources.staging`); the engines keep their temporary files here too (:mod:`custseg.engine`).

    Returns
    -------
    Path
        The folder, the same one for the whole process.
    """
    if not _STAGING:
        import atexit
        import shutil

        _STAGING.append(Path(tempfile.mkdtemp(prefix="custseg-staging-")))
        atexit.register(shutil.rmtree, _STAGING[0], True)
    return _STAGING[0]


def write_table(df: pd.DataFrame, folder: Path, name: str) -> Path:
    """Write ``df`` to ``folder/name.parquet`` and return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    df.to_parquet(path, index=False)
    return path


def read_table(path: Path) -> pd.DataFrame:
    """A Parquet file (see :func:`write_table`) as pandas."""
    return pd.read_parquet(path)


def write_json(obj: Any, path: Path) -> Path:
    """Write ``obj`` as JSON, whole (see :func:`write_text`)."""
    return write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=str), path)


def read_json(path: Path) -> Any:
    """A JSON file (UTF-8) as Python objects.

    Parameters
    ----------
    path : Path
        The file, e.g. one :func:`write_json` wrote.

    Returns
    -------
    Any
        What it holds.
    """
    return json.loads(path.read_text(encoding="utf-8"))


def write_text(text: str, path: Path) -> Path:
    """Write a text file atomically: a reader (a browser, another run) sees the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
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
    """Write ``df`` as the one sheet of a new Excel workbook (without the index).

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    path : Path
        The workbook (``.xlsx``).
    sheet : str
        The sheet's name.

    Returns
    -------
    Path
        ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_excel(path, sheet_name=sheet, index=False)
    return path


def write_ibis_csv(table, path: Path) -> Path:
    """Write an Ibis table expression to a CSV file inside the engine (no pandas round trip), its rows in
    :func:`~custseg.schema.in_fixed_order`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    in_fixed_order(table).to_csv(path)
    return path


def write_ibis(table, folder: Path, name: str) -> Path:
    """Write an Ibis table expression to ``folder/name.parquet`` inside the engine (no pandas round trip).

    DuckDB writes one Parquet file; Spark writes a Parquet *directory* of part files under that name
    (its executors write in parallel). Either replaces what an earlier run left there. A customer-grain table is
    written in :func:`~custseg.schema.in_fixed_order`, so every run writes the same file whatever the engine's
    threads did; order lines (:func:`~custseg.schema.line_grain`) are written as the engine gives them, since
    sorting a log of 100M lines by every column costs more than any use of it gains.
    """
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    if path.is_dir():
        shutil.rmtree(path)
    path.unlink(missing_ok=True)
    (table if line_grain(table) else in_fixed_order(table)).to_parquet(path)
    return path


def read_ibis(con, folder: Path, name: str, table_name: str | None = None):
    """Register ``folder/name.parquet`` (a file, or a directory Spark wrote) as an Ibis table on ``con``
    (named ``table_name``, default ``name``)."""
    path = folder / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist: run the earlier notebooks of this run first (or `custseg run CONFIG`)"
        )
    if path.is_dir() and con.name != "pyspark":
        path = str(path / "*.parquet")  # DuckDB reads Spark's part files with a glob
    return con.read_parquet(path, table_name=table_name or name)


def save_model(model, path: Path) -> Path:
    """Persist a fitted estimator (joblib)."""
    import joblib

    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    return path


def load_model(path: Path):
    """A fitted estimator saved by :func:`save_model`.

    Raises
    ------
    FileNotFoundError
        There is none at ``path`` (05_cluster of the run has not run).
    """
    import joblib

    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: run 05_cluster of this run first")
    return joblib.load(path)


# ---------------------------------------------------------------------------------------------- artefacts


@dataclass(frozen=True)
class Artefact:
    """A file one stage writes and later stages read: its run folder, file name and format."""

    folder: str  # interim | processed | reports
    file: str
    format: str  # table (Parquet) | csv | json | model (joblib) | folder (written by its stage, not by write)
    doc: str = ""


ARTEFACTS: dict[str, Artefact] = {
    # 01_collect
    "collected_customers": Artefact("interim", "customers.parquet", "table", "CRM (or ids from the log), PII removed"),
    "collected_transactions": Artefact("interim", "transactions.parquet", "table", "order lines, canonical columns"),
    "collected_survey": Artefact("interim", "survey.parquet", "table", "survey answers (when configured)"),
    "validation": Artefact("interim", "validation.csv", "csv", "missing and unparseable values per source column"),
    "source_totals": Artefact("interim", "sources.csv", "csv", "rows, customers, amount and dates per source"),
    "reconciliation": Artefact("interim", "reconciliation.csv", "csv", "who is in one source but not another"),
    "collect_counts": Artefact("interim", "counts.json", "json", "rows collected per source"),
    # 02_clean
    "customers": Artefact("processed", "customers.parquet", "table", "cleaned customers"),
    "quarantine_customers": Artefact("processed", "quarantine_customers.parquet", "table", "with reason"),
    "transactions": Artefact("processed", "transactions.parquet", "table", "kept order lines"),
    "quarantine_transactions": Artefact("processed", "quarantine_transactions.parquet", "table", "with reason"),
    "flagged_customers": Artefact("interim", "flagged_customers.parquet", "table",
                                  "every customer row with its reason (transient)"),
    "flagged_lines": Artefact("interim", "flagged_lines.parquet", "table", "every line with its reason (transient)"),
    "audit": Artefact("processed", "audit.csv", "csv", "rows and amount per cleaning rule"),
    "snapshot": Artefact("processed", "snapshot.json", "json", "snapshot date and line counts"),
    # 04_features
    "features": Artefact("processed", "features.parquet", "table", "one row per customer"),
    "attributes": Artefact("processed", "attributes.csv", "csv", "the kind of each customer-table column, and why"),
    "factor_model": Artefact("processed", "factor_model.joblib", "model", "the survey items' factor model"),
    "factors": Artefact("processed", "factors.json", "json", "suitability, scree, loadings of the survey items"),
    "rfm": Artefact("processed", "rfm.parquet", "table", "R, F, M scores and the named grid segment"),
    "clv_summary": Artefact("processed", "clv_summary.parquet", "table", "CLV convention (lifetimes)"),
    "calibration_holdout": Artefact("processed", "calibration_holdout.parquet", "table", "CLV calibration/holdout"),
    "holdout": Artefact("processed", "holdout.json", "json", "the holdout 04 and 07 share: snapshot, start"),
    "calibration_features": Artefact("processed", "calibration_features.parquet", "table",
                                     "features the day before the holdout, with the holdout outcomes"),
    "inner_split": Artefact("processed", "inner_split.parquet", "table",
                            "features at an earlier cutoff and the spend after it, before the holdout (05's k)"),
    # 05_cluster
    "segments": Artefact("processed", "segments.parquet", "table", "customer_id → segment"),
    "segmenter": Artefact("processed", "segmenter.joblib", "model", "the fitted Segmenter"),
    "k_sweep": Artefact("processed", "k_sweep.csv", "csv", "criteria per k (when k was chosen)"),
    "cluster": Artefact("processed", "cluster.json", "json", "k, why, features, stability, sizes"),
    "outcome_validation": Artefact("processed", "outcome_validation.csv", "csv",
                                   "each outcome's rate or mean per segment with its 95% interval"),
    # 06_personas
    "personas": Artefact("processed", "personas.json", "json", "persona cards"),
    "profile": Artefact("processed", "profile.csv", "csv", "segment profiles"),
    "compositions": Artefact("processed", "compositions.csv", "csv", "categorical shares per segment"),
    "rules": Artefact("processed", "rules.json", "json", "surrogate-tree rules and fidelity"),
    "segments_csv": Artefact("reports", "segments.csv", "csv", "the CRM export"),
    "persona_cards": Artefact("reports", "personas", "folder", "one card per segment (md and html), with 08's offers"),
    # 07_evaluate
    "scorecard": Artefact("processed", "scorecard.csv", "csv", "six criteria per segment"),
    "holdout_validation": Artefact("processed", "holdout_validation.csv", "csv", "holdout outcomes per method"),
    "transitions": Artefact("processed", "transitions.csv", "csv", "migration matrix (later snapshot)"),
    "drift": Artefact("processed", "drift.csv", "csv", "PSI per feature and segment"),
    "baseline_transitions": Artefact("processed", "baseline_transitions.csv", "csv",
                                     "customers by segment in the baseline run (rows) and in this run (columns)"),
    "baseline_drift": Artefact("processed", "baseline_drift.csv", "csv", "PSI of each feature against the baseline"),
    "evaluate": Artefact("processed", "evaluate.json", "json", "evaluation summary"),
    "rule_rivals": Artefact("processed", "rule_rivals.csv", "csv",
                            "the best one- and two-attribute rule per outcome against the segments"),
    "rule_segments": Artefact("processed", "rule_segments.parquet", "table",
                              "customer_id → the rule segment of rule_segments (when configured)"),
    # 08_target
    "targeting": Artefact("processed", "targeting.csv", "csv",
                          "attractiveness and accessibility per segment, for each segmentation"),
    "basket_rules": Artefact("processed", "basket_rules.csv", "csv", "association rules, whole base and per segment"),
    "offers": Artefact("processed", "offers.csv", "csv", "per segment, the rules whose lift beats the base"),
    "under_bought": Artefact("processed", "under_bought.csv", "csv", "items a segment buys less than similar ones"),
    "target": Artefact("processed", "target.json", "json", "the targeting strategy, targets and offers"),
    "positioning": Artefact("processed", "positioning.csv", "csv",
                            "per target segment: a draft positioning statement and marketing mix"),
    "audiences": Artefact("reports", "audiences", "folder", "per target segment: audience CSV and one-page summary"),
    # 09_measure
    "campaign_results": Artefact("processed", "campaign.csv", "csv", "uplift, incremental revenue, ROI per segment"),
    "campaign_quarantine": Artefact("processed", "campaign_quarantine.csv", "csv", "campaign rows set aside, "
                                    "with the reason"),
    "measure": Artefact("processed", "measure.json", "json", "the campaign's verdict"),
}


def artefact_path(paths: RunPaths, name: str) -> Path:
    """Where the artefact ``name`` of a run lives."""
    art = ARTEFACTS[name]
    return getattr(paths, art.folder) / art.file


def exists(paths: RunPaths, name: str) -> bool:
    """Whether the run has the artefact ``name`` (see :data:`ARTEFACTS`)."""
    return artefact_path(paths, name).exists()


def read(paths: RunPaths, name: str, con=None):
    """Read an artefact by name: a table as pandas (or, with ``con``, as an Ibis table on that engine),
    a CSV as pandas, JSON as Python objects, a model with joblib.

    Raises
    ------
    FileNotFoundError
        Naming the artefact, its file and (by way of :mod:`custseg.pipeline`) the stage that writes it.
    """
    art, path = ARTEFACTS[name], artefact_path(paths, name)
    if not path.exists():
        raise FileNotFoundError(f"artefact '{name}' ({path}) does not exist: run the earlier stages of this run "
                                "first (or `custseg run CONFIG`)")
    if art.format == "table":
        return read_ibis(con, path.parent, path.stem, table_name=name) if con is not None else pd.read_parquet(path)
    if art.format == "csv":
        return pd.read_csv(path)
    if art.format == "json":
        return read_json(path)
    return load_model(path)


def read_optional(paths: RunPaths, name: str, con=None):
    """:func:`read`, or None when the artefact does not exist (a survey the sources do not have)."""
    return read(paths, name, con) if exists(paths, name) else None


def write(paths: RunPaths, name: str, obj) -> Path:
    """Write an artefact by name: a table from pandas or an Ibis expression (written inside its engine),
    a CSV from pandas, JSON, a model."""
    art, path = ARTEFACTS[name], artefact_path(paths, name)
    if art.format == "table":
        if isinstance(obj, pd.DataFrame):
            return write_table(obj, path.parent, path.stem)
        return write_ibis(obj, path.parent, path.stem)
    if art.format == "csv":
        return write_csv(obj, path, excel=art.folder == "reports")
    if art.format == "json":
        return write_json(obj, path)
    if art.format == "folder":  # file name -> text or table, replacing what an earlier run left
        clear_folder(path)
        for file, content in obj.items():
            if isinstance(content, str):
                write_text(content, path / file)
            else:
                write_csv(content, path / file, excel=art.folder == "reports")
        return path
    return save_model(obj, path)


def clear_folder(folder: Path) -> Path:
    """An empty ``folder`` (what an earlier run left there removed), created if missing."""
    import shutil

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def remove(paths: RunPaths, name: str) -> None:
    """Remove an artefact an earlier run left behind (a table of either engine, or a file)."""
    path = artefact_path(paths, name)
    if path.is_dir():  # Parquet written by Spark
        import shutil

        shutil.rmtree(path)
    path.unlink(missing_ok=True)
