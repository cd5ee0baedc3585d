"""Collect the configured sources into Ibis tables, validate them, protect PII and reconcile the sources.

A source (``sources.<role>`` in the config) is a CSV/TSV or whitespace-separated text file, a Parquet
file, an Excel sheet, a table or SQL query in a DuckDB or SQLite file, or any Ibis connection URL.
Every read goes through Ibis into one embedded DuckDB connection; files in encodings DuckDB cannot
read (GBK/GB18030 …) are transcoded into a temporary UTF-8 copy first (:func:`custseg.io.utf8_copy`).

Each source's columns are mapped to custseg's canonical names (:data:`SCHEMAS`, ``columns:`` in the
config) and parsed to their types. Anything that would make the run wrong — a missing or all-empty
column, a wrong delimiter or encoding, dates or numbers that mostly do not parse, a duplicate order
key — is one :class:`SourceError` that names the source, the column, example values and the config
key to change. A few unparseable values (at most ``validation.max_invalid_share``) become missing and
are listed in the validation report, so cleaning can quarantine their rows.

PII never leaves this module: configured PII columns are dropped or replaced by a keyed hash
(HMAC-SHA256), and customer ids are pseudonymised the same way when configured. The only thing
derived from PII is the ``looks_like_test`` flag that cleaning uses to quarantine test accounts.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime
import difflib
import functools
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from custseg import io
from custseg.config import SOURCE_KINDS, ConfigError, interactive


class SourceError(ValueError):
    """A source that cannot be used as configured; the message says which, where and what to change."""


@dataclass(frozen=True)
class Col:
    """A canonical column: its type (id, text, number, date, timestamp), whether a source must have it."""

    type: str
    required: bool = False
    doc: str = ""


# canonical columns per source role; the config's ``columns`` maps these names to the source's own
SCHEMAS: dict[str, dict[str, Col]] = {
    "transactions": {
        "customer_id": Col("id", True, "who bought"),
        "order_ts": Col("timestamp", True, "when (date, or date and time)"),
        "amount": Col("number", False, "line value after discount (else quantity × unit_price − discount)"),
        "quantity": Col("number", False, "units; negative for returns"),
        "unit_price": Col("number"),
        "discount": Col("number", False, "discount on the line (0 when absent)"),
        "order_id": Col("id", False, "order / invoice number (else one order per customer and timestamp)"),
        "line_no": Col("number"),
        "product_id": Col("id", False, "product / stock code"),
        "category": Col("text"),
        "channel": Col("text"),
        "status": Col("text", False, "completed (default), cancelled or returned"),
    },
    "orders": {
        "order_id": Col("id", True), "customer_id": Col("id"), "order_ts": Col("timestamp"),
        "channel": Col("text"), "status": Col("text"),
    },
    "customers": {
        "customer_id": Col("id", True), "gender": Col("text"), "birth_date": Col("date"), "city": Col("text"),
        "province": Col("text"), "city_tier": Col("text"), "signup_date": Col("date"),
        "acquisition_channel": Col("text"), "membership_tier": Col("text"),
    },
    "survey": {"respondent_id": Col("id", True, "the customer id of the respondent"),
               "submitted_on": Col("timestamp")},
}
# roles whose other (non-canonical) columns are kept: customer attributes, survey items
KEEP_EXTRA = {"customers", "survey"}
STATUSES = ("completed", "cancelled", "returned")
# values filling canonical columns a source does not have (the contract of custseg.features)
FILL = {"category": "unknown", "channel": "unknown", "status": "completed", "discount": 0.0}
TRANSACTION_COLUMNS = ["order_id", "line_no", "customer_id", "order_ts", "channel", "status", "product_id",
                       "category", "quantity", "unit_price", "discount", "order_missing", "amount"]


@functools.cache
def transactions_schema():
    """The collected transactions as custseg.clean and custseg.features expect them (a pandera schema checked
    in the engine; built on first use, as importing pandera costs ~0.4 s)."""
    import pandera.ibis as pa

    return pa.DataFrameSchema({
        "order_id": pa.Column(str, nullable=True), "line_no": pa.Column(int, nullable=True),
        "customer_id": pa.Column(str, nullable=True), "order_ts": pa.Column(ibis.dtype("timestamp"), nullable=True),
        "channel": pa.Column(str), "status": pa.Column(str, pa.Check.isin(list(STATUSES))),
        "product_id": pa.Column(str, nullable=True), "category": pa.Column(str),
        "quantity": pa.Column(float, nullable=True), "unit_price": pa.Column(float, nullable=True),
        "discount": pa.Column(float), "order_missing": pa.Column(bool), "amount": pa.Column(float, nullable=True),
    }, strict=True, ordered=True)

SUFFIX_KIND = {".csv": "csv", ".tsv": "csv", ".txt": "text", ".dat": "text", ".parquet": "parquet",
               ".pq": "parquet", ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel", ".duckdb": "duckdb",
               ".ddb": "duckdb", ".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite"}
DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16",
                    "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1"}
DAYFIRST_FORMATS = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M",
                    "%d.%m.%Y", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y"]
# tried after ISO 8601 when no date_format is configured (unambiguous: year first)
YEARFIRST_FORMATS = ["%Y%m%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]


# ---------------------------------------------------------------------------------------------- config


def configured(spec: dict) -> bool:
    """True when a source has a location (``path`` or ``url``)."""
    return bool(spec["path"] or spec["url"])


def source_kind(spec: dict) -> str:
    """The configured ``kind``, else guessed from the URL or the file suffix."""
    if spec["kind"]:
        return spec["kind"]
    if spec["url"]:
        return "url"
    return SUFFIX_KIND.get(Path(spec["path"]).suffix.lower(), "")


def check_source_config(sources: dict) -> None:
    """Check the ``sources`` section beyond types (called by :func:`custseg.config.load`).

    Raises
    ------
    ConfigError
        Naming the key: missing transactions, unknown kind, path and url both set, table and query both
        set, an unknown canonical name in ``columns``, a bad decimal, encoding or status mapping.
    """
    if not configured(sources["transactions"]):
        raise ConfigError("config key 'sources.transactions' needs a path or url: a transaction log is required")
    for role, spec in sources.items():
        if not configured(spec):
            continue
        key = f"sources.{role}"
        if spec["path"] and spec["url"]:
            raise ConfigError(f"config key '{key}' has both path and url; keep one")
        kind = source_kind(spec)
        if kind not in SOURCE_KINDS:
            raise ConfigError(f"config key '{key}.kind' must be one of {', '.join(SOURCE_KINDS)}, got "
                              f"{spec['kind']!r}" + ("" if spec["kind"] else f" (none set and the suffix of "
                                                     f"{spec['path']!r} says nothing)"))
        if spec["table"] and spec["query"]:
            raise ConfigError(f"config key '{key}' has both table and query; keep one")
        if kind in ("duckdb", "sqlite", "url") and not (spec["table"] or spec["query"]):
            raise ConfigError(f"config key '{key}' ({kind}) needs a table or a query")
        if spec["decimal"] not in (".", ","):
            raise ConfigError(f"config key '{key}.decimal' must be '.' or ',', got {spec['decimal']!r}")
        try:
            codecs.lookup(spec["encoding"])
        except LookupError:
            raise ConfigError(f"config key '{key}.encoding': unknown encoding {spec['encoding']!r} "
                              f"(e.g. utf-8, gb18030, gbk, latin-1)") from None
        for canonical, column in (spec["columns"] or {}).items():
            if canonical not in SCHEMAS[role]:
                raise ConfigError(f"unknown config key '{key}.columns.{canonical}': the keys of columns are "
                                  f"custseg's names ({', '.join(SCHEMAS[role])}), the values your column names")
            if not isinstance(column, str):
                raise ConfigError(f"config key '{key}.columns.{canonical}' must be a column name, got {column!r}")
        for prefix, status in (spec.get("status_by_order_prefix") or {}).items():
            if status not in STATUSES:
                raise ConfigError(f"config key '{key}.status_by_order_prefix.{prefix}' must be one of "
                                  f"{', '.join(STATUSES)}, got {status!r}")


# ---------------------------------------------------------------------------------------------- reading


def connect(cfg: dict | None = None, memory_limit: str = "4GB", session=None,
            progress: bool | None = None) -> ibis.BaseBackend:
    """The Ibis backend of the configured engine (``engine:`` in the config; DuckDB without a config).

    Parameters
    ----------
    cfg : dict, optional
        The run config. ``engine: duckdb`` (the default) gives an embedded DuckDB connection that spills to
        disk beyond ``memory_limit``; ``engine: pyspark`` a Spark session built from the ``spark`` section
        (``master``, ``app_name``, ``conf``), or the one already running in this process.
    memory_limit : str
        DuckDB's memory limit. Beyond it DuckDB spills to a private folder under the system temp
        directory (``$TMPDIR``; point it at a large disk for very large logs), removed at exit.
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
        con = ibis.duckdb.connect()
        con.raw_sql(f"SET memory_limit = '{memory_limit}'")
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


def engine_of(con) -> str:
    """``duckdb`` or ``pyspark``: the engine behind an Ibis backend."""
    return con.name


def _where(cfg: dict, role: str) -> str:
    spec = cfg["sources"][role]
    where = io.redact_url(spec["url"]) if spec["url"] else str(io.source_path(cfg, role))
    inside = spec["table"] or (f"query {spec['query'][:60]!r}" if spec["query"] else "")
    return f"{where}:{inside}" if inside else where


def _fail(role: str, where: str, problem: str, fix: str) -> SourceError:
    return SourceError(f"source '{role}' ({where}): {problem}. To fix: {fix}.")


def _read_text(con, role: str, spec: dict, path: Path, kind: str, where: str) -> ir.Table:
    """CSV/TSV or whitespace-separated text, every column as text (parsed later with clear errors)."""
    encoding = spec["encoding"].lower().replace("_", "-")
    if encoding not in DUCKDB_ENCODINGS:
        utf8 = {**spec, "encoding": "utf-8"}
        if con.name == "pyspark":  # Spark reads lazily: the copy must live as long as the session
            try:
                copy = io.staged_utf8_copy(path, spec["encoding"], f"src_{role}")
            except UnicodeDecodeError as err:
                raise _text_error(role, spec, path, where, err) from None
            return _read_text(con, role, utf8, copy, kind, where)
        with io.utf8_copy(path, spec["encoding"]) as copy:
            # materialise in the engine: the temporary copy is deleted when this block ends
            return con.create_table(f"src_{role}", _read_text(con, role, utf8, copy, kind, where).to_pyarrow(),
                                    overwrite=True)
    options: dict[str, Any] = {"encoding": DUCKDB_ENCODINGS[encoding]}
    try:
        if kind == "text":
            table = _split_whitespace(con, role, spec, path, options, where)
        elif con.name == "pyspark":
            table = _read_csv_spark(con, role, spec, path, options["encoding"])
        else:
            options.update(all_varchar=True, header=spec["header"])
            if spec["delimiter"] or path.suffix.lower() == ".tsv":
                options["delim"] = spec["delimiter"] or "\t"
            if spec["names"]:
                options["names"] = spec["names"]
            table = con.read_csv(path, table_name=f"src_{role}", **options)
        table.count().execute()  # reads the whole file: encoding and parse errors surface here
    except SourceError:
        raise
    except Exception as err:
        raise _text_error(role, spec, path, where, err) from None
    return table


def _read_csv_spark(con, role: str, spec: dict, path: Path, encoding: str) -> ir.Table:
    """A delimited file read by Spark as DuckDB reads it: all text, RFC 4180 quotes, the delimiter sniffed."""
    sep = spec["delimiter"] or ("\t" if path.suffix.lower() == ".tsv" else io.sniff_delimiter(path, encoding))
    table = con.read_csv(str(path), table_name=f"src_{role}", header=spec["header"], inferSchema=False, sep=sep,
                         encoding=encoding, quote='"', escape='"', multiLine=True)
    if spec["names"]:
        table = table.rename(dict(zip(spec["names"], table.columns, strict=False)))
    elif not spec["header"]:
        table = table.rename({f"column{i}": c for i, c in enumerate(table.columns)})
    return table


def _read_lines(con, path: Path, name: str, options: dict) -> ir.Table:
    """Every line of a text file as one column ``line``."""
    if con.name == "pyspark":
        return con.read_csv(str(path), table_name=name, header=False, inferSchema=False, sep="\x1f", quote="",
                            encoding=options["encoding"]).rename(line="_c0")
    options = dict(options)
    raw = dict(columns={"line": "VARCHAR"}, delim="\x1f", quote="", escape="", header=False, auto_detect=False,
               **options)
    return con.read_csv(path, table_name=name, **raw)


def _split_whitespace(con, role: str, spec: dict, path: Path, options: dict, where: str) -> ir.Table:
    """Whitespace-separated text: read whole lines and split them in the engine."""
    lines = _read_lines(con, path, f"src_{role}_lines", options)
    lines = lines.filter(lines.line.strip() != "")
    if spec["names"]:
        names = list(spec["names"])
    elif spec["header"]:
        first = io.first_line(path, options["encoding"])
        names = first.split() if first is not None else []
    else:
        widest = lines.select(n=lines.line.strip().re_split(r"\s+").length()).n.max().execute()
        names = [f"column{i}" for i in range(int(widest or 0))]
    skip_header = spec["header"] and not spec["names"]
    if con.name == "pyspark":
        body = lines
        if skip_header:
            # Spark's row order is not the file's: drop the header by its text, and refuse a repeated one
            n_headers = int(body.filter(body.line == first).count().execute())
            if n_headers > 1:
                raise _fail(role, where, f"the header line {first!r} appears {n_headers} times (concatenated "
                            f"exports?)", "remove the repeated header lines, or use engine: duckdb")
            body = body.filter(body.line != first)
    else:
        body = _read_lines(con, path, f"src_{role}", {**options, "skip": 1 if skip_header else 0})
        body = body.filter(body.line.strip() != "")
    parts = body.line.strip().re_split(r"\s+")
    ragged = body.filter(parts.length() != len(names))
    n_ragged = int(ragged.count().execute())
    if n_ragged:
        examples = ragged.select("line").limit(3).execute()["line"].tolist()
        raise _fail(role, where, f"{n_ragged:,} lines do not have {len(names)} fields like the header "
                    f"{names}, e.g. {examples}",
                    f"values containing spaces need a delimited file: set sources.{role}.kind: csv with a "
                    f"delimiter, or give sources.{role}.names")
    return body.select(*[parts[i].name(name) for i, name in enumerate(names)])


def _text_error(role: str, spec: dict, path: Path, where: str, err: Exception) -> SourceError:
    message = str(err).splitlines()[0] if str(err) else type(err).__name__
    if "unicode" in str(err).lower() or "encod" in str(err).lower():
        bad = io.first_undecodable_line(path, spec["encoding"])
        at = f"line {bad[0]} ({bad[1]!r}) is" if bad else "the file is"
        return _fail(role, where, f"{at} not valid {spec['encoding']}",
                     f"set sources.{role}.encoding to the file's encoding — gb18030 (or gbk) for Chinese exports "
                     f"from Excel/WPS, latin-1 or cp1252 for Western European ones, utf-16 for some Excel exports")
    return _fail(role, where, f"cannot be read as {source_kind(spec)}: {message}",
                 f"check sources.{role}.delimiter, header and encoding (or kind)")


def _open(con, cfg: dict, role: str) -> ir.Table:
    """The source as an Ibis table with its own column names."""
    spec = cfg["sources"][role]
    kind = source_kind(spec)
    where = _where(cfg, role)
    path = io.source_path(cfg, role) if spec["path"] else None
    if path is not None:
        if not path.is_file():
            raise _fail(role, where, "file not found",
                        f"set sources.{role}.path (relative paths are inside paths.raw)")
        if path.stat().st_size == 0:
            raise _fail(role, where, "the file is empty (0 bytes)", "export the data again")
    if kind in ("csv", "text"):
        return _read_text(con, role, spec, path, kind, where)
    try:
        if kind == "parquet":
            return con.read_parquet(path, table_name=f"src_{role}")
        if kind == "excel":
            return _read_excel(con, role, spec, path, where)
        if kind == "duckdb" and spec["table"] and con.name == "duckdb":
            alias = "src_" + hashlib.sha1(str(path).encode()).hexdigest()[:10]
            if alias not in con.list_catalogs():
                con.attach(path, name=alias, read_only=True)
            return _table(con, role, spec["table"], where, database=alias)
        other = {"duckdb": lambda: ibis.duckdb.connect(str(path), read_only=True),
                 "sqlite": lambda: ibis.sqlite.connect(path), "url": lambda: ibis.connect(spec["url"])}[kind]()
        expr = other.sql(spec["query"]) if spec["query"] else _table(other, role, spec["table"], where)
        if con.name == "pyspark":  # Spark cannot attach these: a Parquet copy written by their own engine
            return con.read_parquet(str(io.stage_parquet(expr, f"src_{role}")), table_name=f"src_{role}")
        return con.create_table(f"src_{role}", expr.to_pyarrow(), overwrite=True)
    except SourceError:
        raise
    except Exception as err:
        what = f"query failed: {str(err).splitlines()[0]}" if spec["query"] else f"cannot be read as {kind}: " \
            f"{str(err).splitlines()[0] if str(err) else type(err).__name__}"
        raise _fail(role, where, what, f"check sources.{role}.kind, path/url" +
                    (", and the query" if spec["query"] else "")) from None


def _table(backend, role: str, name: str, where: str, database: str | None = None) -> ir.Table:
    tables = backend.list_tables(database=(database, "main")) if database else backend.list_tables()
    if name not in tables:
        close = difflib.get_close_matches(name, tables, n=1)
        raise _fail(role, where, f"no table '{name}'; it has {tables}",
                    f"set sources.{role}.table" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return backend.table(name, database=database) if database else backend.table(name)


def _read_excel(con, role: str, spec: dict, path: Path, where: str) -> ir.Table:
    sheets = io.excel_sheets(path)
    sheet = spec["sheet"]
    if (isinstance(sheet, int) and not 0 <= sheet < len(sheets)) or (isinstance(sheet, str) and sheet not in sheets):
        raise _fail(role, where, f"no sheet {sheet!r}; the workbook has {sheets}", f"set sources.{role}.sheet")
    df = io.read_excel(path, sheet=sheet, header=spec["header"])
    if not spec["header"] or spec["names"]:
        df.columns = spec["names"] or [f"column{i}" for i in range(df.shape[1])]
    df.columns = [str(c) for c in df.columns]
    # mixed-type object columns (ids typed as numbers in some rows) would not convert to Arrow
    for col in df.columns[df.dtypes == object]:  # noqa: E721
        df[col] = df[col].map(lambda v: None if pd.isna(v) else str(v)).astype("str")
    if con.name == "pyspark":  # a small sheet: an in-memory table, nothing saved in Spark's warehouse
        return ibis.memtable(df)
    return con.create_table(f"src_{role}", df, overwrite=True)


# ---------------------------------------------------------------------------------------------- parsing


@ibis.udf.scalar.builtin
def try_strptime(value: str, fmt: str) -> datetime.datetime:
    """DuckDB's ``try_strptime``: null where ``value`` does not match ``fmt``."""


@ibis.udf.scalar.builtin
def try_to_timestamp(value: str, fmt: str) -> datetime.datetime:
    """Spark's ``try_to_timestamp``: null where ``value`` does not match the (Java) pattern ``fmt``."""


STRPTIME_TO_JAVA = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss"}


def java_datetime_pattern(fmt: str) -> str:
    """A strptime format as a Java/Spark datetime pattern (``%d/%m/%Y`` → ``d/M/yyyy``).

    Like strptime, numbers between separators may have one or two digits; directives written next to each
    other (``%Y%m%d``) keep their fixed width. Other text is quoted literally (``年``, ``T``).

    Raises
    ------
    ValueError
        For a directive other than %Y %m %d %H %M %S (set engine: duckdb for those).
    """
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%":
            directive = fmt[i:i + 2]
            if directive not in STRPTIME_TO_JAVA:
                raise ValueError(f"date format {fmt!r}: {directive} is not supported on Spark (only "
                                 f"{' '.join(STRPTIME_TO_JAVA)})")
            glued = fmt[i + 2:i + 3] == "%" or (i > 0 and fmt[i - 2:i - 1] == "%" and out and out[-1][0] != "'")
            java = STRPTIME_TO_JAVA[directive]
            out.append(java if glued or directive == "%Y" else java[0])
            i += 2
        else:
            j = i
            while j < len(fmt) and fmt[j] != "%":
                j += 1
            literal = fmt[i:j]
            out.append("'" + literal.replace("'", "''") + "'" if any(ch.isalpha() for ch in literal) else literal)
            i = j
    return "".join(out)


def _strptime(text: ir.StringValue, fmt: str, engine: str) -> ir.TimestampValue:
    """Parse ``text`` with a strptime format in the engine; null where it does not match."""
    if engine == "pyspark":
        return try_to_timestamp(text, java_datetime_pattern(fmt))
    return try_strptime(text, fmt)


def _text(col: ir.Value) -> ir.StringValue:
    text = col.cast("string").strip()
    return ibis.ifelse(text == "", ibis.null("string"), text)


def _parse(col: ir.Value, kind: str, spec: dict, engine: str = "duckdb") -> ir.Value:
    """Parse one source column to a canonical type; unparseable values become null."""
    dtype = col.type()
    if kind in ("id", "text"):
        if dtype.is_floating():  # ids read as numbers (17850.0) become 17850
            return ibis.ifelse(col == col.floor(), col.cast("int64").cast("string"), col.cast("string"))
        text = _text(col)
        return text.re_replace(r"^(\d+)\.0+$", r"\1") if kind == "id" else text
    if kind == "number":
        if dtype.is_numeric():
            return col.cast("float64")
        text = _text(col)
        if spec["decimal"] == ",":
            text = text.replace(".", "").replace(",", ".")
        return text.try_cast("float64")
    # date / timestamp
    if dtype.is_timestamp() or dtype.is_date():
        parsed = col.cast("timestamp")
    else:
        if dtype.is_integer():
            col = col.cast("string")
        text = _text(col)
        if spec["date_format"]:
            formats, iso = [spec["date_format"]], False
        else:
            formats, iso = (DAYFIRST_FORMATS if spec["dayfirst"] else YEARFIRST_FORMATS), True
        candidates = ([text.try_cast("timestamp")] if iso else []) + [_strptime(text, f, engine) for f in formats]
        parsed = ibis.coalesce(*candidates) if len(candidates) > 1 else candidates[0]
    return parsed.cast("date") if kind == "date" else parsed.cast("timestamp")


def _hint(role: str, canonical: str, kind: str, examples: list, spec: dict) -> str:
    key = f"sources.{role}"
    if kind in ("date", "timestamp"):
        text = " ".join(map(str, examples))
        if re.search(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", text):
            return (f"set {key}.dayfirst: true for day-first dates (31/12/2024), or {key}.date_format to their "
                    f"strptime format, e.g. '%m/%d/%Y %H:%M' for month-first US dates")
        if re.search(r"\b\d{8}\b", text):
            return f"set {key}.date_format: '%Y%m%d'"
        return (f"set {key}.date_format to the strptime format of these values, or map another column in "
                f"{key}.columns.{canonical}")
    if any("," in str(v) for v in examples) and spec["decimal"] == ".":
        return f"these look like decimal commas: set {key}.decimal: ','"
    return f"map the right column in {key}.columns.{canonical}, or fix these values in the export"


def _canonical(raw: ir.Table, cfg: dict, role: str, required: set[str], engine: str = "duckdb"
               ) -> tuple[ir.Table, list[dict]]:
    """Map a source's columns to canonical names and types, with the checks of the module docstring.

    Returns the typed table (canonical columns present in the source, plus the kept extra columns) and
    the validation report rows (one per parsed column).
    """
    spec, schema, where = cfg["sources"][role], SCHEMAS[role], _where(cfg, role)
    mapping = spec["columns"] or {}
    columns = list(raw.columns)
    present: dict[str, str] = {}
    for canonical in schema:
        user = mapping.get(canonical, canonical)
        if user in columns:
            present[canonical] = user
        elif canonical in mapping or canonical in required:
            raise _missing_column(role, where, canonical, user, columns, canonical in mapping)
    n_rows = int(raw.count().execute())
    if n_rows == 0:
        raise _fail(role, where, "has column names but no rows", "export the data again (or check the query)")
    extra = [c for c in columns if c not in present.values()] if role in KEEP_EXTRA else []
    parsed = {c: _parse(raw[u], schema[c].type, spec, engine) for c, u in present.items()}
    # survey items and other numeric extras become numbers when every value parses as one
    numeric_extra = {c: _parse(raw[c], "number", spec, engine) for c in extra} if role == "survey" else {}
    checks: dict[str, ir.Value] = {"rows": raw.count()}
    for c, u in present.items():
        checks[f"filled__{c}"] = _text(raw[u]).notnull().sum() if not raw[u].type().is_numeric() \
            and not raw[u].type().is_temporal() else raw[u].notnull().sum()
        checks[f"invalid__{c}"] = (raw[u].notnull() & parsed[c].isnull()).sum()
    for c, expr in numeric_extra.items():
        checks[f"invalid__x__{c}"] = (_text(raw[c]).notnull() & expr.isnull()).sum()
    counts = raw.aggregate(**checks).execute().iloc[0]
    limit, n_examples = cfg["validation"]["max_invalid_share"], cfg["validation"]["examples"]
    report = []
    for c, u in present.items():
        filled, invalid = int(counts[f"filled__{c}"]), int(counts[f"invalid__{c}"])
        if filled == 0:
            raise _fail(role, where, f"column '{u}' ({c}) is empty: all {n_rows:,} values are missing",
                        f"map the right column in sources.{role}.columns.{c} (or remove the mapping)")
        examples = []
        if invalid:
            bad = raw.filter(raw[u].notnull() & parsed[c].isnull())
            examples = bad.select(u).limit(n_examples).execute()[u].tolist()
            if invalid > limit * filled:
                raise _fail(role, where, f"column '{u}' ({c}): {invalid:,} of {filled:,} values are not "
                            f"{'dates' if schema[c].type in ('date', 'timestamp') else 'numbers'}, "
                            f"e.g. {examples}", _hint(role, c, schema[c].type, examples, spec))
        report.append({"source": role, "column": u, "canonical": c, "type": schema[c].type, "rows": n_rows,
                       "missing": n_rows - filled, "unparseable": invalid, "examples": examples})
    out = {c: parsed[c] for c in present}
    for c in extra:
        numeric = role == "survey" and int(counts[f"invalid__x__{c}"]) == 0
        out[c] = numeric_extra[c] if numeric else _text(raw[c]) if not raw[c].type().is_temporal() else raw[c]
    return raw.select(**out), report


def _missing_column(role, where, canonical, user, columns, mapped) -> SourceError:
    close = difflib.get_close_matches(user, columns, n=1, cutoff=0.6) or [
        c for c in columns if c.lower().replace(" ", "_") == user.lower()]
    lone = columns[0] if len(columns) == 1 else ""
    sep = next((s for s in (";", ",", "\t", "|") if s in lone), None)
    if sep:
        return _fail(role, where, f"has a single column '{lone[:60]}': the delimiter is wrong",
                     f"set sources.{role}.delimiter: {sep!r} (or leave it empty to detect it)")
    how = f"mapped in sources.{role}.columns.{canonical}" if mapped else "not mapped, so looked up by its own name"
    fix = f"set sources.{role}.columns.{canonical} to the column holding {canonical}"
    if close:
        fix += f" (did you mean '{close[0]}'?)"
    return _fail(role, where, f"has no column '{user}' for {canonical} ({how}); its columns are {columns}", fix)


def read_source(con, cfg: dict, role: str, required: set[str] | None = None) -> tuple[ir.Table, list[dict]] | None:
    """Read, map and validate one configured source; None when it is not configured.

    Parameters
    ----------
    con : ibis backend
        The DuckDB connection everything is collected into.
    cfg : dict
        The run config.
    role : str
        ``transactions``, ``orders``, ``customers`` or ``survey``.
    required : set of str, optional
        Canonical columns the source must have (default: those marked required in :data:`SCHEMAS`).

    Returns
    -------
    (Table, list of dict) or None
        The typed table with canonical column names, and validation report rows.
    """
    if not configured(cfg["sources"][role]):
        return None
    if required is None:
        required = {c for c, col in SCHEMAS[role].items() if col.required}
    return _canonical(_open(con, cfg, role), cfg, role, required, con.name)


# ---------------------------------------------------------------------------------------------- assembling


def read_transactions(con, cfg: dict) -> tuple[ir.Table, list[dict]]:
    """The transaction log at line grain in the canonical shape (:data:`TRANSACTION_COLUMNS`).

    With an ``orders`` source, lines are joined to their order headers on ``order_id``; lines whose
    order is missing are kept (``order_missing``) so cleaning can quarantine them. Missing optional
    columns are derived or filled: ``amount`` = quantity × unit price − discount (or, given only an
    amount, quantity ±1 and unit price |amount|); without an order id each customer × timestamp is an
    order; channel and category ``unknown``; status ``completed``; discount 0.
    """
    has_orders = configured(cfg["sources"]["orders"])
    where = _where(cfg, "transactions")
    lines, report = read_source(con, cfg, "transactions", {"order_id"} if has_orders else {"customer_id", "order_ts"})
    t = lines
    if has_orders:
        orders, more = read_source(con, cfg, "orders")
        report += more
        _check_unique(orders, "order_id", "orders", _where(cfg, "orders"), cfg["validation"]["examples"])
        orders = orders.mutate(_header=ibis.literal(True))
        t = lines.left_join(orders, "order_id")
        t = t.drop("order_id_right") if "order_id_right" in t.columns else t
        both = [c for c in orders.columns if c in lines.columns and c != "order_id"]
        t = t.mutate(**{c: ibis.coalesce(t[c], t[f"{c}_right"]) for c in both}).drop(*[f"{c}_right" for c in both])
        t = t.mutate(order_missing=t._header.isnull()).drop("_header")
    else:
        t = t.mutate(order_missing=ibis.literal(False))
    for c in ("customer_id", "order_ts"):
        if c not in t.columns:
            raise _fail("transactions", where, f"no column for {c} (neither in the lines nor in the orders)",
                        f"map it in sources.transactions.columns.{c} or sources.orders.columns.{c}")
    if "amount" not in t.columns and not {"quantity", "unit_price"} <= set(t.columns):
        raise _fail("transactions", where, "neither an amount nor quantity and unit_price",
                    "map sources.transactions.columns.amount, or columns.quantity and columns.unit_price")
    return _complete(t, cfg["sources"]["transactions"]), report


def _complete(t: ir.Table, spec: dict) -> ir.Table:
    """Derive or fill the canonical transaction columns a source lacks (see :func:`read_transactions`)."""
    cols = set(t.columns)
    if "discount" not in cols:
        t = t.mutate(discount=ibis.literal(0.0))
    t = t.mutate(discount=t.discount.fill_null(0.0))
    if "amount" not in cols:
        t = t.mutate(amount=t.quantity * t.unit_price - t.discount)
    elif "quantity" not in cols:
        t = t.mutate(quantity=ibis.ifelse(t.amount < 0, -1.0, 1.0))
    if "unit_price" not in cols:
        t = t.mutate(unit_price=ibis.ifelse(t.quantity != 0, ((t.amount + t.discount) / t.quantity), ibis.null(
            "float64")))
    if "order_id" not in cols:
        t = t.mutate(order_id=t.customer_id.concat("@", t.order_ts.cast("string")))
    status = t.status.lower() if "status" in cols else ibis.literal(FILL["status"])
    status = status.replace("canceled", "cancelled")
    for prefix, value in (spec.get("status_by_order_prefix") or {}).items():
        status = ibis.ifelse(t.order_id.startswith(prefix), value, status)
    t = t.mutate(status=status.fill_null(FILL["status"]))
    for c in ("channel", "category"):
        t = t.mutate(**{c: t[c].fill_null(FILL[c]) if c in cols else ibis.literal(FILL[c])})
    return t.select(
        t.order_id.cast("string"),
        (t.line_no if "line_no" in cols else ibis.null("float64")).cast("int64").name("line_no"),
        t.customer_id.cast("string"), t.order_ts.cast("timestamp"), t.channel, t.status,
        (t.product_id if "product_id" in cols else ibis.null("string")).name("product_id"),
        t.category, t.quantity.cast("float64"), t.unit_price.cast("float64"), t.discount.cast("float64"),
        t.order_missing, t.amount.cast("float64"))


def _check_unique(table: ir.Table, column: str, role: str, where: str, n_examples: int) -> None:
    dups = table.filter(table[column].notnull()).group_by(column).aggregate(n=ibis._.count()).filter(ibis._.n > 1)
    n = int(dups.count().execute())
    if n:
        examples = dups.order_by(ibis.desc("n"), column).limit(n_examples).execute()[column].tolist()
        raise _fail(role, where, f"duplicate key: {n:,} values of {column} appear more than once, e.g. {examples}; "
                    f"joining would count their lines twice",
                    f"deduplicate the export, or map sources.{role}.columns.{column} to the real key")


def customers_from_transactions(transactions: ir.Table) -> ir.Table:
    """A customer table when there is no CRM: the distinct (normalised) ids of the transactions."""
    from custseg.clean import normalise_id

    ids = transactions.filter(transactions.customer_id.notnull()).select(
        customer_id=normalise_id(transactions.customer_id)).distinct()
    return ids


def complete_customers(customers: ir.Table) -> ir.Table:
    """Add the canonical customer columns a CRM lacks (as missing values), canonical ones first."""
    types = {"date": "date"}
    canonical = {c: (customers[c] if c in customers.columns else ibis.null(types.get(col.type, "string"))).name(c)
                 for c, col in SCHEMAS["customers"].items()}
    return customers.select(*canonical.values(), *[c for c in customers.columns if c not in canonical])


# ---------------------------------------------------------------------------------------------- privacy


@ibis.udf.scalar.pyarrow
def _hmac_sha256(value: str, key: str) -> str:
    import pyarrow as pyarrow

    secret = key[0].as_py().encode() if len(key) else b""
    return pyarrow.array([None if v is None else hmac.new(secret, v.encode(), hashlib.sha256).hexdigest()[:20].upper()
                          for v in value.to_pylist()], type=pyarrow.string())


def pii_key(privacy: dict) -> str:
    """The pseudonymisation key: ``$<privacy.key_env>``, else ``privacy.key``; ConfigError if neither is set."""
    key = os.environ.get(privacy["key_env"]) or privacy["key"]
    if not key:
        raise ConfigError(f"pseudonymisation is configured (privacy.pii_action / privacy.pseudonymise_ids) but there "
                          f"is no key: set the environment variable {privacy['key_env']} (privacy.key_env) or "
                          f"privacy.key. Keep the key to get the same pseudonyms in later runs.")
    return key


def pseudonym(value: ir.Value, key: str) -> ir.StringValue:
    """The keyed hash (HMAC-SHA256, 20 upper-case hex digits) of a column: stable for a given key."""
    return _hmac_sha256(value.cast("string"), ibis.literal(key))


def pseudonym_of(value: str, key: str) -> str:
    """:func:`pseudonym` of one value, in Python (to look a customer up)."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()[:20].upper()


def protect_pii(customers: ir.Table, pii_columns: list[str], test_patterns: list[str],
                key: str | None = None) -> ir.Table:
    """Drop (or, with ``key``, pseudonymise) PII columns, adding a ``looks_like_test`` flag derived from them.

    Parameters
    ----------
    customers : ibis Table
        The CRM table.
    pii_columns : list of str
        Columns holding personal data (those absent are ignored).
    test_patterns : list of str
        Case-insensitive substrings marking internal test accounts in any PII column or the id.
    key : str, optional
        Replace PII values by their keyed hash instead of dropping the columns.
    """
    present = [c for c in pii_columns if c in customers.columns]
    flag = ibis.literal(False)
    for col in [customers.customer_id, *(customers[c] for c in present)]:
        text = col.cast("string").lower().fill_null("")
        for pattern in test_patterns:
            flag = flag | text.contains(pattern.lower())
    return _without_pii(customers.mutate(looks_like_test=flag), pii_columns, key)


def _without_pii(table: ir.Table, pii_columns: list[str], key: str | None) -> ir.Table:
    present = [c for c in pii_columns if c in table.columns]
    if key is None:
        return table.drop(*present) if present else table
    return table.mutate(**{c: pseudonym(table[c], key) for c in present})


# ---------------------------------------------------------------------------------------------- all sources


@dataclass
class Collected:
    """The collected sources (canonical columns, PII protected) and what collection found."""

    customers: ir.Table
    transactions: ir.Table
    survey: ir.Table | None
    validation: pd.DataFrame  # one row per parsed source column: missing and unparseable values
    has_crm: bool
    pii_columns: list[str]  # PII columns found (dropped or pseudonymised)


def collect(con, cfg: dict) -> Collected:
    """Read every configured source, validate it, protect PII and pseudonymise ids when configured.

    Raises
    ------
    SourceError
        A source that cannot be used as configured (the message says what to change).
    ConfigError
        Pseudonymisation configured without a key.
    """
    privacy = cfg["privacy"]
    pseudo = privacy["pii_action"] == "pseudonymise" or privacy["pseudonymise_ids"]
    key = pii_key(privacy) if pseudo else None
    transactions, report = read_transactions(con, cfg)
    crm = read_source(con, cfg, "customers")
    if crm is None:
        customers = customers_from_transactions(transactions)
    else:
        customers, more = crm
        report += more
    survey = read_source(con, cfg, "survey")
    if survey is not None:
        survey, more = survey
        report += more
    pii = sorted({c for t in (customers, transactions, survey) if t is not None for c in t.columns
                  if c in privacy["pii_columns"]})
    pii_hash_key = key if privacy["pii_action"] == "pseudonymise" else None
    customers = complete_customers(protect_pii(customers, privacy["pii_columns"], cfg["clean"]["test_account_patterns"],
                                               pii_hash_key))
    transactions = _without_pii(transactions, privacy["pii_columns"], pii_hash_key)
    if survey is not None:
        survey = _without_pii(survey, privacy["pii_columns"], pii_hash_key)
    if privacy["pseudonymise_ids"]:
        from custseg.clean import normalise_id  # hash the normalised id so id variants stay one customer

        customers = customers.mutate(customer_id=pseudonym(normalise_id(customers.customer_id), key))
        transactions = transactions.mutate(customer_id=pseudonym(normalise_id(transactions.customer_id), key))
        if survey is not None:
            survey = survey.mutate(respondent_id=pseudonym(normalise_id(survey.respondent_id), key))
    check_transactions(transactions, _where(cfg, "transactions"))
    return Collected(customers, transactions, survey, pd.DataFrame(report), crm is not None, pii)


def stage(con, collected: Collected, folder: Path) -> Collected:
    """Write the collected tables to ``folder`` (Parquet) and return them read back from there.

    The tables of :func:`collect` are queries over the raw sources: each use parses them again, which on a
    large log takes minutes. After staging, every use is a scan of typed columns. A survey table left in
    ``folder`` by an earlier run of the same name is removed when this run has none.
    """
    io.remove_table(folder, "survey")
    tables = {"customers": collected.customers, "transactions": collected.transactions, "survey": collected.survey}
    for name, table in tables.items():
        if table is not None:
            io.write_ibis(table, folder, name)
    read = {name: io.read_ibis(con, folder, name) if table is not None else None for name, table in tables.items()}
    return dataclasses.replace(collected, **read)


def check_transactions(transactions: ir.Table, where: str = "transactions") -> ir.Table:
    """Validate the collected transactions against :func:`transactions_schema` (pandera, in the engine)."""
    from pandera.errors import SchemaError, SchemaErrors

    try:
        return transactions_schema().validate(transactions, lazy=True)
    except (SchemaErrors, SchemaError) as err:
        cases = getattr(err, "failure_cases", None)
        detail = cases[["column", "check", "failure_case"]].head(5).to_dict("records") if cases is not None else err
        raise _fail("transactions", where, f"the collected table breaks the transaction schema: {detail}",
                    "report this as a custseg bug with the config used") from None


# ---------------------------------------------------------------------------------------------- reconciliation


def reconcile(customers: ir.Table, transactions: ir.Table, survey: ir.Table | None,
              has_crm: bool = True) -> pd.DataFrame:
    """Cross-check the sources (交叉验证): who is in one source but not in another.

    Ids are compared after trimming and upper-casing, the same normalisation cleaning applies.
    Without a CRM the customers are those of the transactions, so the CRM checks are left out.
    """
    def ids(expr):
        return expr.cast("string").strip().upper()

    crm = customers.select(cid=ids(customers.customer_id)).distinct()
    buyers = transactions.filter(transactions.customer_id.notnull()).select(
        cid=ids(transactions.customer_id)).distinct()
    rows = [("customers with orders (distinct ids)", buyers.count()),
            ("order lines", transactions.count()),
            ("order lines without a customer id", transactions.customer_id.isnull().sum()),
            ("order lines without an order header", transactions.order_missing.sum())]
    if has_crm:
        rows = [("CRM customers (distinct ids)", crm.count()), *rows[:1],
                ("ordering customers missing from the CRM", buyers.anti_join(crm, "cid").count()),
                ("CRM customers without any order", crm.anti_join(buyers, "cid").count()), *rows[1:]]
    if survey is not None:
        resp = survey.select(cid=ids(survey.respondent_id)).distinct()
        known = crm if has_crm else buyers
        rows += [("survey respondents", resp.count()),
                 (f"survey respondents missing from the {'CRM' if has_crm else 'transactions'}",
                  resp.anti_join(known, "cid").count())]
    return pd.DataFrame({"check": [r[0] for r in rows], "count": [int(r[1].execute()) for r in rows]})


def source_totals(collected: Collected) -> pd.DataFrame:
    """Totals per source: rows, distinct customers and, for transactions, net amount and date range."""
    t = collected.transactions
    tx = t.aggregate(rows=t.count(), customers=t.customer_id.nunique(), amount=t.amount.sum(),
                     first=t.order_ts.min(), last=t.order_ts.max()).execute().assign(source="transactions")
    frames = [tx]
    c = collected.customers
    frames.append(c.aggregate(rows=c.count(), customers=c.customer_id.nunique()).execute().assign(
        source="customers" if collected.has_crm else "customers (from transactions)"))
    if collected.survey is not None:
        s = collected.survey
        frames.append(s.aggregate(rows=s.count(), customers=s.respondent_id.nunique()).execute().assign(
            source="survey"))
    out = pd.concat(frames, ignore_index=True)
    return out[["source", "rows", "customers", "amount", "first", "last"]]
