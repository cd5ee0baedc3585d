"""The engine of the transaction-grain stages: embedded DuckDB by default, Spark with ``engine: pyspark``.

Both are reached through Ibis, so the stages' expressions are the same on either.
"""

from __future__ import annotations

import os

import ibis

from custseg import io
from custseg.config import interactive
from custseg.errors import ConfigError


def connect(cfg: dict | None = None, memory_limit: str | None = None, session=None,
            progress: bool | None = None) -> ibis.BaseBackend:
    """The Ibis backend of the configured engine (``engine:`` in the config; DuckDB without a config).

    Parameters
    ----------
    cfg : dict, optional
        The run config. ``engine: duckdb`` (the default) gives an embedded DuckDB connection on
        ``duckdb.threads`` threads that spills to disk beyond ``duckdb.memory_limit``; ``engine: pyspark`` a
        Spark session built from the ``spark`` section (``master``, ``app_name``, ``conf``), or the one already
        running in this process.
    memory_limit : str, optional
        DuckDB's memory limit (default: ``duckdb.memory_limit``, 4GB without a config). Beyond it DuckDB spills
        to a private folder under the system temp directory (``$TMPDIR``; point it at a large disk for very
        large logs), removed at exit.
    session : pyspark.sql.SparkSession, optional
        An existing Spark session to use (engine pyspark), e.g. a cluster's or a notebook platform's.
    progress : bool, optional
        DuckDB's progress bar on queries that take more than two seconds (a widget in JupyterLab).
        None: on in JupyterLab, off under ``custseg run``, whose terminal shows a bar per notebook cell.

    Raises
    ------
    ConfigError
        ``engine: pyspark`` without pyspark or Java installed.
    """
    if cfg is None or cfg["engine"] == "duckdb":
        settings = (cfg or {}).get("duckdb") or {}
        con = ibis.duckdb.connect()
        con.raw_sql(f"SET memory_limit = '{memory_limit or settings.get('memory_limit') or '4GB'}'")
        if settings.get("threads"):
            con.raw_sql(f"SET threads = {int(settings['threads'])}")
        con.raw_sql(f"SET temp_directory = '{io.staging_dir() / 'spill'}'")  # not ./.tmp in the notebooks folder
        show = interactive() if progress is None else progress
        con.raw_sql(f"SET enable_progress_bar = {str(show).lower()}")
        return con
    session = session or spark_session(cfg["spark"])  # first: it explains a missing pyspark or Java
    return ibis.pyspark.connect(session)


def spark_session(spark: dict):
    """A Spark session from the config's ``spark`` section (``getOrCreate``: reuses a running one).

    Local sessions get ``PYSPARK_PYTHON`` set to this interpreter, no web UI and a private warehouse
    folder, so nothing is written into the project.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError("engine: pyspark needs pyspark: pip install 'custseg[spark]' (and Java 17, e.g. "
                          "apt-get install openjdk-17-jre-headless), or set engine: duckdb") from None
    import shutil
    import sys

    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise ConfigError("engine: pyspark needs Java 17 (java not found on PATH and JAVA_HOME not set): install "
                          "it (e.g. apt-get install openjdk-17-jre-headless) or set engine: duckdb")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.master(spark["master"]).appName(spark["app_name"])
    settings = {"spark.ui.enabled": "false", "spark.sql.session.timeZone": "UTC"}
    if spark["master"].startswith("local"):
        settings["spark.sql.warehouse.dir"] = str(io.staging_dir() / "spark-warehouse")  # removed at exit
        settings["spark.sql.shuffle.partitions"] = "8"
    settings.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (spark["conf"] or {}).items()})
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
