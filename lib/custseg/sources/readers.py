"""Open a configured source as an Ibis table with its own column names (every value as text where the format
has no types): CSV/TSV, whitespace text, Parquet, Excel (:mod:`custseg.sources.workbook`, which also reads the
web pages saved as .xls), a DuckDB or SQLite table or query, any Ibis URL; any of the files inside a zip archive.

Files in encodings DuckDB cannot read (GBK/GB18030 …) are transcoded into a temporary UTF-8 copy first
(:func:`custseg.sources.staging.utf8_copy`), the file inside a zip archive is copied out
(:func:`custseg.sources.staging.extract_member`). Anything that stops a read is one :class:`SourceError` naming the
source; what was done to read it (merged cells filled …) is noted for the validation report.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from custseg import io
from custseg.config import redact_url
from custseg.errors import SourceError
from custseg.schema import SUFFIX_KIND, source_kind
from custseg.sources import sniff, staging, workbook

DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16",
                    "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1"}


def location(cfg: dict, role: str) -> str:
    spec = cfg["sources"][role]
    where = redact_url(spec["url"]) if spec["url"] else str(io.source_path(cfg, role))
    inside = spec["table"] or (f"query {spec['query'][:60]!r}" if spec["query"] else "")
    return f"{where}:{inside}" if inside else where


def fail(role: str, where: str, problem: str, fix: str) -> SourceError:
    return SourceError(f"source '{role}' ({where}): {problem}. To fix: {fix}.")


# what a file is, from its first bytes: the kind to set when the suffix or the kind says otherwise
MAGIC = [(b"PK\x03\x04", "excel", "an Excel workbook (.xlsx) or another zip file"),
         (b"\xd0\xcf\x11\xe0", "excel", "an old Excel workbook (.xls)"),
         (b"PAR1", "parquet", "a Parquet file"), (b"SQLite format 3\x00", "sqlite", "an SQLite database")]


def _kind_of_bytes(head: bytes) -> tuple[str, str] | None:
    if head[8:12] == b"DUCK":
        return "duckdb", "a DuckDB database"
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().lower().startswith(workbook.HTML_STARTS):
        return "excel", "a web page (an HTML table, as web back-offices export 'Excel' files)"
    return next(((kind, what) for magic, kind, what in MAGIC if head.startswith(magic)), None)


def _check_file(role: str, spec: dict, path: Path, kind: str, where: str) -> Path:
    """The path to read, after checking it exists, is not empty and is what the kind says it is.

    A folder of Parquet files (a Spark or Hive dataset) is read as one table; any other folder, a missing
    file, an empty one or a file of another kind (an .xlsx renamed .csv) is an error naming what to set.
    """
    if path.is_dir():
        parts = sorted(path.rglob("*.parquet"))
        if parts and kind in ("parquet", "csv", "text"):
            if kind != "parquet":
                raise fail(role, where, f"is a folder of {len(parts)} Parquet files (a Spark or Hive dataset)",
                           f"set sources.{role}.kind: parquet")
            return path
        shown = sorted(p.name for p in path.iterdir())[:5]
        raise fail(role, where, f"is a folder, not a file (it holds {shown or 'nothing'})",
                   f"point sources.{role}.path at the file to read")
    if not path.is_file():
        near = difflib.get_close_matches(path.name, [p.name for p in path.parent.glob("*")], n=1) \
            if path.parent.is_dir() else []
        raise fail(role, where, "file not found", f"set sources.{role}.path (relative paths are inside paths.raw)"
                   + (f"; did you mean '{near[0]}'?" if near else ""))
    if path.stat().st_size == 0:
        raise fail(role, where, "the file is empty (0 bytes)", "export the data again")
    with path.open("rb") as fh:
        found = _kind_of_bytes(fh.read(512))
    if found and found[0] != kind and not (kind == "url"):
        raise fail(role, where, f"this is {found[1]}, not a {kind} file", f"set sources.{role}.kind: {found[0]}"
                   + (f" (and sources.{role}.sheet)" if found[0] == "excel" else ""))
    if found is None and kind in ("parquet", "excel", "duckdb", "sqlite") and path.suffix.lower() != ".xls":
        with path.open("rb") as fh:
            start = fh.read(200)
        if _looks_like_text(start):
            raise fail(role, where, f"this is a text file (it starts {start[:40]!r}), not a {kind} file",
                       f"set sources.{role}.kind: csv (or text for whitespace-separated columns)")
    return path


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head and any(sep in head for sep in (b",", b";", b"\t", b"\n"))


def _header_fields(path: Path, spec: dict, encoding: str) -> list[str]:
    """The column names on the header line of a delimited file (after ``skip_rows``), as the csv module reads them."""
    import csv

    delimiter = spec["delimiter"] or ("\t" if path.suffix.lower() == ".tsv" else sniff.sniff_delimiter(path, encoding))
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        rows = csv.reader(fh, delimiter=delimiter, quotechar=spec["quote"] or '"')
        for _ in range(spec["skip_rows"]):
            next(rows, None)
        return [name.strip().lstrip("\ufeff") for name in next(rows, [])]


def duplicate_names(names: list[str]) -> dict[str, list[int]]:
    """Column names that appear more than once, with their 1-based positions."""
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names, start=1):
        seen.setdefault(name, []).append(i)
    return {name: at for name, at in seen.items() if len(at) > 1 and name}


def _refuse_duplicates(role: str, where: str, names: list[str]) -> None:
    dups = duplicate_names(names)
    if dups:
        listed = "; ".join(f"'{n}' in columns {', '.join(map(str, at))}" for n, at in dups.items())
        raise fail(role, where, f"the header repeats column names ({listed}), so custseg cannot tell which one "
                   "you mean", f"rename them in the export, or read the file without its header (sources.{role}"
                   ".header: false, skip_rows: 1, names: [...]) and map the one you want")


def title_rows_hint(cfg: dict, role: str, wanted: list[str]) -> str | None:
    """Where the header really is, when the first lines of a file are a title: 'set skip_rows: N', or None."""
    spec = cfg["sources"][role]
    if not spec["path"] or source_kind(spec) not in ("csv", "text", "excel"):
        return None
    path = io.source_path(cfg, role)
    if not path.is_file():
        return None
    wanted = {w.strip().lower() for w in wanted}
    try:
        if source_kind(spec) == "excel":
            lines = [[str(v).strip().lower() for v in row] for row in
                     workbook.read_sheet(path, spec["sheet"], header=False).head(30).itertuples(index=False)]
        else:
            with path.open("r", encoding=spec["encoding"], errors="replace") as fh:
                lines = [[f.strip().strip('"').lower() for f in re.split(r"[,;\t|]", line)]
                         for _, line in zip(range(30), fh, strict=False)]
    except Exception:  # noqa: BLE001 - only a hint; the error it helps with is raised anyway
        return None
    for number, fields in enumerate(lines):
        if number > spec["skip_rows"] and wanted <= set(fields):
            return f"the header seems to be on line {number + 1}: set sources.{role}.skip_rows: {number}"
    return None


def other_sheet_hint(cfg: dict, role: str, wanted: list[str]) -> SourceError | None:
    """For a workbook whose sheet lacks the ``wanted`` columns (an empty first sheet, a cover page): the error
    naming the sheet that has them and the sheets with data; None when no other sheet has them."""
    spec = cfg["sources"][role]
    path = io.source_path(cfg, role) if spec["path"] else None
    if source_kind(spec) != "excel" or path is None or not path.is_file() or workbook.is_html(path) \
            or staging.zip_members(path) is not None:
        return None
    try:
        found = workbook.sheet_holding(path, {w.strip().lower() for w in wanted}, spec["sheet"])
        with_data = workbook.sheets_with_data(path) if found else {}
    except Exception:  # noqa: BLE001 - only a hint; the error it helps with is raised anyway
        return None
    if not found:
        return None
    sheet, row = found
    return fail(role, location(cfg, role), f"sheet {spec['sheet']!r} has no columns {wanted}, sheet {sheet!r} has "
                f"them (the sheets with data: {workbook.describe_sheets(with_data)})",
                f"set sources.{role}.sheet: {sheet!r}" + (f" and sources.{role}.skip_rows: {row}" if row else ""))


def _read_text(con, role: str, spec: dict, path: Path, kind: str, where: str, notes: dict | None = None
               ) -> ir.Table:
    """CSV/TSV or whitespace-separated text, every column as text (parsed later with clear errors)."""
    encoding = spec["encoding"].lower().replace("_", "-")
    if encoding not in DUCKDB_ENCODINGS:
        utf8 = {**spec, "encoding": "utf-8"}
        if con.name == "pyspark":  # Spark reads lazily: the copy must live as long as the session
            try:
                copy = staging.staged_utf8_copy(path, spec["encoding"], f"src_{role}")
            except UnicodeDecodeError as err:
                raise _text_error(role, spec, path, where, err) from None
            return _read_text(con, role, utf8, copy, kind, where, notes)
        with staging.utf8_copy(path, spec["encoding"]) as copy:
            # materialise in the engine: the temporary copy is deleted when this block ends
            return con.create_table(f"src_{role}", _read_text(con, role, utf8, copy, kind, where, notes).to_pyarrow(),
                                    overwrite=True)
    options: dict[str, Any] = {"encoding": DUCKDB_ENCODINGS[encoding]}
    try:
        shifted = None
        if kind == "csv" and spec["header"] and not spec["names"]:
            _refuse_duplicates(role, where, _header_fields(path, spec, options["encoding"]))
            shifted = _shifted_header(role, spec, path, options["encoding"], where)
        if kind == "text":
            table = _split_whitespace(con, role, spec, path, options, where)
        elif con.name == "pyspark":
            if shifted:  # Spark would drop the extra field, or shift every column by one, without a word
                raise fail(role, where, "the header has one name fewer than the data lines have fields (a trailing "
                           "delimiter or a row-number column), which Spark cannot read right",
                           "fix the header line in the export, or set engine: duckdb")
            table = _read_csv_spark(con, role, spec, path, options["encoding"], where)
        else:
            options.update(all_varchar=True, header=spec["header"])
            if spec["delimiter"] or path.suffix.lower() == ".tsv":
                options["delim"] = spec["delimiter"] or "\t"
            for key, duck in (("skip_rows", "skip"), ("quote", "quote"), ("escape", "escape")):
                if spec[key]:
                    options[duck] = spec[key]
            if spec["names"]:
                options["names"] = spec["names"]
            if shifted:  # read the header as a data line's width, then drop the field it lacks
                names, dropped = shifted
                what = "an empty last field (a delimiter ends each line)" if names[-1] == dropped else \
                    "a row-number column in front"
                (notes if notes is not None else {}).setdefault("", []).append(
                    f"the header has one name fewer than the lines have fields: {what} was dropped")
                options.update(header=False, names=names, skip=spec["skip_rows"] + 1)
                table = _read_csv_duckdb(con, path, f"src_{role}", options).drop(dropped)
            else:
                table = _read_csv_duckdb(con, path, f"src_{role}", options)
        table.count().execute()  # reads the whole file: encoding and parse errors surface here
    except SourceError:
        raise
    except Exception as err:
        raise _text_error(role, spec, path, where, err) from None
    return table


def _shifted_header(role: str, spec: dict, path: Path, encoding: str, where: str
                    ) -> tuple[list[str], str] | None:
    """When the data lines have one field more than the header: the names to read them with and the one to drop.

    A trailing delimiter on every data line adds an empty last field (dropped); R's ``write.csv`` and pandas'
    ``to_csv(index=True)`` with an unnamed index add a row number in front (dropped). Anything else is an error
    saying what it is: no column mapping can fix it.
    """
    delimiter = spec["delimiter"] or ("\t" if path.suffix.lower() == ".tsv" else sniff.sniff_delimiter(path, encoding))
    shape = sniff.header_shift(path, encoding, delimiter, spec["quote"] or '"', spec["skip_rows"])
    if shape is None:
        return None
    names, how, example = shape
    extra = "_custseg_extra_field"
    if how == "trailing":
        return [*names, extra], extra
    if how == "index":
        return [extra, *names], extra
    raise fail(role, where, f"the header has {len(names)} names but the data lines have {len(names) + 1} fields "
               f"(e.g. {example!r}): this is not a column-mapping problem, the header lacks a name",
               "add the missing name to the header line in the export, or read the file without its header "
               f"(sources.{role}.header: false, skip_rows: {spec['skip_rows'] + 1}, names: [...] with "
               f"{len(names) + 1} names)")


def _read_csv_duckdb(con, path: Path, name: str, options: dict) -> ir.Table:
    """DuckDB's CSV reader; when what it guessed from the first lines fails further down (a quoted "Mug, blue"
    first seen at line 500,002), it reads again, guessing from the whole file."""
    try:
        table = con.read_csv(path, table_name=name, **options)
        table.count().execute()
        return table
    except Exception as err:  # noqa: BLE001 - retried once, then reported by the caller
        if "sample_size" in options or "encod" in str(err).lower() or "unicode" in str(err).lower():
            raise
        return con.read_csv(path, table_name=name, **options, sample_size=-1)


def _read_csv_spark(con, role: str, spec: dict, path: Path, encoding: str, where: str) -> ir.Table:
    """A delimited file read by Spark as DuckDB reads it: all text, RFC 4180 quotes, the delimiter sniffed."""
    if spec["skip_rows"]:
        raise fail(role, where, "skip_rows is not supported on Spark (its CSV reader cannot skip lines)",
                   "remove the lines above the header from the export, or set engine: duckdb")
    sep = spec["delimiter"] or ("\t" if path.suffix.lower() == ".tsv" else sniff.sniff_delimiter(path, encoding))
    table = con.read_csv(str(path), table_name=f"src_{role}", header=spec["header"], inferSchema=False, sep=sep,
                         encoding=encoding, quote=spec["quote"] or '"', escape=spec["escape"] or '"',
                         multiLine=True)
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
        first = sniff.first_line(path, options["encoding"])
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
        bad = sniff.first_undecodable_line(path, spec["encoding"])
        at = f"line {bad[0]} ({bad[1]!r}) is" if bad else "the file is"
        return fail(role, where, f"{at} not valid {spec['encoding']}",
                     f"set sources.{role}.encoding to the file's encoding — gb18030 (or gbk) for Chinese exports "
                     f"from Excel/WPS, latin-1 or cp1252 for Western European ones, utf-16 for some Excel exports")
    return fail(role, where, f"cannot be read as {source_kind(spec)}: {message}",
                f"check sources.{role}.delimiter, header, skip_rows and encoding (or kind); when values contain the "
                f"delimiter they must be quoted: set sources.{role}.quote (and escape) to the export's quote "
                "character")


def open_source(con, cfg: dict, role: str, notes: dict[str, list[str]] | None = None) -> ir.Table:
    """The source as an Ibis table with its own column names.

    Parameters
    ----------
    con : ibis backend
        The engine to read it into.
    cfg : dict
        The run config.
    role : str
        The source (``transactions``, ``customers`` …).
    notes : dict, optional
        Filled with what was done to read it, for the validation report: column name → notes (``""``: the
        whole source), e.g. merged cells filled, a member read from a zip archive.

    Returns
    -------
    ibis.Table
        The source.
    """
    spec = cfg["sources"][role]
    kind = source_kind(spec)
    where = location(cfg, role)
    notes = {} if notes is None else notes
    path = io.source_path(cfg, role) if spec["path"] else None
    if path is not None and path.is_file() and (members := staging.zip_members(path)) is not None:
        path, kind, where = _unzip(role, spec, path, members, where, notes)
    if path is not None:
        path = _check_file(role, spec, path, kind, where)
    if kind in ("csv", "text"):
        return _read_text(con, role, spec, path, kind, where, notes)
    try:
        if kind == "parquet":
            return con.read_parquet(path if path.is_file() or con.name == "pyspark" else str(path / "**" / "*.parquet"),
                                    table_name=f"src_{role}")
        if kind == "excel":
            return _read_excel(con, role, spec, path, where, notes)
        if kind == "duckdb" and spec["table"] and con.name == "duckdb":
            alias = "src_" + hashlib.sha1(str(path).encode()).hexdigest()[:10]
            if alias not in con.list_catalogs():
                con.attach(path, name=alias, read_only=True)
            return _table(con, role, spec["table"], where, database=alias)
        other = {"duckdb": lambda: ibis.duckdb.connect(str(path), read_only=True),
                 "sqlite": lambda: ibis.sqlite.connect(path), "url": lambda: ibis.connect(spec["url"])}[kind]()
        expr = other.sql(spec["query"]) if spec["query"] else _table(other, role, spec["table"], where)
        if con.name == "pyspark":  # Spark cannot attach these: a Parquet copy written by their own engine
            return con.read_parquet(str(staging.stage_parquet(expr, f"src_{role}")), table_name=f"src_{role}")
        return con.create_table(f"src_{role}", expr.to_pyarrow(), overwrite=True)
    except SourceError:
        raise
    except Exception as err:
        what = f"query failed: {str(err).splitlines()[0]}" if spec["query"] else f"cannot be read as {kind}: " \
            f"{str(err).splitlines()[0] if str(err) else type(err).__name__}"
        raise fail(role, where, what, f"check sources.{role}.kind, path/url" +
                    (", and the query" if spec["query"] else "")) from None


def _unzip(role: str, spec: dict, path: Path, members: list[str], where: str, notes: dict
           ) -> tuple[Path, str, str]:
    """The data file inside a zip archive, copied out: its path, its kind and where it is, for messages."""
    data = [m for m in members if Path(m).suffix.lower() in SUFFIX_KIND] or members
    member = spec["member"]
    if member is not None and member not in members:
        raise fail(role, where, f"the zip archive has no file {member!r}; it holds {members[:10]}",
                   f"set sources.{role}.member to one of them")
    if member is None and len(data) != 1:
        raise fail(role, where, f"the zip archive holds {len(data)} files {data[:10]}" if data else
                   "the zip archive is empty", f"set sources.{role}.member to the file to read, e.g. member: "
                   f"{data[0]!r}" if data else "export the data again")
    member = member or data[0]
    notes.setdefault("", []).append(f"read from '{member}' inside the zip archive")
    kind = spec["kind"] or SUFFIX_KIND.get(Path(member).suffix.lower(), "csv")
    return staging.extract_member(path, member, f"zip_{role}"), kind, f"{where}:{member}"


def _table(backend, role: str, name: str, where: str, database: str | None = None) -> ir.Table:
    tables = backend.list_tables(database=(database, "main")) if database else backend.list_tables()
    if name not in tables:
        close = difflib.get_close_matches(name, tables, n=1)
        raise fail(role, where, f"no table '{name}'; it has {tables}",
                    f"set sources.{role}.table" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return backend.table(name, database=database) if database else backend.table(name)


def _read_excel(con, role: str, spec: dict, path: Path, where: str, notes: dict) -> ir.Table:
    with path.open("rb") as fh:
        if fh.read(4) == b"\xd0\xcf\x11\xe0":
            raise fail(role, where, "this is an old Excel workbook (.xls, the format before Excel 2007), which custseg "
                       "does not read", "open it in Excel or WPS and save it as .xlsx, or export the sheet as CSV")
    html, sheet = workbook.is_html(path), spec["sheet"]
    sheets = [] if html else sniff.excel_sheets(path)
    if not html and ((isinstance(sheet, int) and not 0 <= sheet < len(sheets))
                     or (isinstance(sheet, str) and sheet not in sheets)):
        raise fail(role, where, f"no sheet {sheet!r}; the workbook has {sheets}", f"set sources.{role}.sheet")
    encoding = None if spec["encoding"].lower().replace("_", "-") in ("utf-8", "utf8") else spec["encoding"]
    try:
        got = workbook.read(path, sheet, spec["header"], spec["skip_rows"], encoding)
    except workbook.SheetError as err:
        raise fail(role, where, err.problem, err.fix) from None
    df = got.frame
    if df.shape[1] == 0 and not html:  # not a cell (a header without rows is refused later, with its names)
        with_data = workbook.sheets_with_data(path)
        other = next((name for name in with_data if name != got.name.removeprefix("sheet ").strip("'")), None)
        raise fail(role, where, f"{got.name} is empty" + (f" below skip_rows: {spec['skip_rows']}" if
                   spec["skip_rows"] else "") + f"; the sheets with data: {workbook.describe_sheets(with_data)}",
                   f"set sources.{role}.sheet to the sheet to read" + (f", e.g. sheet: {other!r}" if other else ""))
    if spec["header"] and not spec["names"]:
        _refuse_duplicates(role, where, [str(c) for c in df.columns])
    if not spec["header"] or spec["names"]:
        df.columns = spec["names"] or [f"column{i}" for i in range(df.shape[1])]
    df.columns = [str(c) for c in df.columns]
    for i in got.filled:
        notes.setdefault(df.columns[i], []).append("merged cells filled with the value of their block's first cell")
    if html:
        notes.setdefault("", []).append(f"the file is a web page: read {got.name}")
    # mixed-type object columns (ids typed as numbers in some rows) would not convert to Arrow
    for col in df.columns[df.dtypes == object]:  # noqa: E721
        df[col] = df[col].map(lambda v: None if pd.isna(v) else str(v)).astype("str")
    if con.name == "pyspark":  # a small sheet: an in-memory table, nothing saved in Spark's warehouse
        return ibis.memtable(df)
    return con.create_table(f"src_{role}", df, overwrite=True)
