"""Open a configured source as an Ibis table with its own column names (every value as text where the format
has no types): CSV/TSV, whitespace text, Parquet, Excel, a DuckDB or SQLite table or query, any Ibis URL.

Files in encodings DuckDB cannot read (GBK/GB18030 …) are transcoded into a temporary UTF-8 copy first
(:func:`custseg.io.utf8_copy`). Anything that stops a read is one :class:`SourceError` naming the source.
"""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from custseg import io
from custseg.config import redact_url
from custseg.errors import SourceError
from custseg.schema import source_kind

DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16",
                    "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1"}


def location(cfg: dict, role: str) -> str:
    spec = cfg["sources"][role]
    where = redact_url(spec["url"]) if spec["url"] else str(io.source_path(cfg, role))
    inside = spec["table"] or (f"query {spec['query'][:60]!r}" if spec["query"] else "")
    return f"{where}:{inside}" if inside else where


def fail(role: str, where: str, problem: str, fix: str) -> SourceError:
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
                raise fail(role, where, f"the header line {first!r} appears {n_headers} times (concatenated "
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
        raise fail(role, where, f"{n_ragged:,} lines do not have {len(names)} fields like the header "
                    f"{names}, e.g. {examples}",
                    f"values containing spaces need a delimited file: set sources.{role}.kind: csv with a "
                    f"delimiter, or give sources.{role}.names")
    return body.select(*[parts[i].name(name) for i, name in enumerate(names)])


def _text_error(role: str, spec: dict, path: Path, where: str, err: Exception) -> SourceError:
    message = str(err).splitlines()[0] if str(err) else type(err).__name__
    if "unicode" in str(err).lower() or "encod" in str(err).lower():
        bad = io.first_undecodable_line(path, spec["encoding"])
        at = f"line {bad[0]} ({bad[1]!r}) is" if bad else "the file is"
        return fail(role, where, f"{at} not valid {spec['encoding']}",
                     f"set sources.{role}.encoding to the file's encoding — gb18030 (or gbk) for Chinese exports "
                     f"from Excel/WPS, latin-1 or cp1252 for Western European ones, utf-16 for some Excel exports")
    return fail(role, where, f"cannot be read as {source_kind(spec)}: {message}",
                 f"check sources.{role}.delimiter, header and encoding (or kind)")


def open_source(con, cfg: dict, role: str) -> ir.Table:
    """The source as an Ibis table with its own column names."""
    spec = cfg["sources"][role]
    kind = source_kind(spec)
    where = location(cfg, role)
    path = io.source_path(cfg, role) if spec["path"] else None
    if path is not None:
        if not path.is_file():
            raise fail(role, where, "file not found",
                        f"set sources.{role}.path (relative paths are inside paths.raw)")
        if path.stat().st_size == 0:
            raise fail(role, where, "the file is empty (0 bytes)", "export the data again")
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
        raise fail(role, where, what, f"check sources.{role}.kind, path/url" +
                    (", and the query" if spec["query"] else "")) from None


def _table(backend, role: str, name: str, where: str, database: str | None = None) -> ir.Table:
    tables = backend.list_tables(database=(database, "main")) if database else backend.list_tables()
    if name not in tables:
        close = difflib.get_close_matches(name, tables, n=1)
        raise fail(role, where, f"no table '{name}'; it has {tables}",
                    f"set sources.{role}.table" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return backend.table(name, database=database) if database else backend.table(name)


def _read_excel(con, role: str, spec: dict, path: Path, where: str) -> ir.Table:
    sheets = io.excel_sheets(path)
    sheet = spec["sheet"]
    if (isinstance(sheet, int) and not 0 <= sheet < len(sheets)) or (isinstance(sheet, str) and sheet not in sheets):
        raise fail(role, where, f"no sheet {sheet!r}; the workbook has {sheets}", f"set sources.{role}.sheet")
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
