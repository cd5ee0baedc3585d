"""How to read each file ``custseg init`` is given — its kind, encoding, delimiter or whitespace, title rows and
header — and a sample of its rows, read with custseg's own readers (:mod:`custseg.sources`) exactly as 01 will."""

from __future__ import annotations

import csv
import io as _io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pandas as pd

from custseg import config
from custseg.errors import SourceError
from custseg.init.roles import dates, numbers
from custseg.schema import SUFFIX_KIND
from custseg.sources import readers, sniff, staging, workbook

SAMPLE_ROWS = 20_000  # rows read to decide roles, kinds and formats
HEAD_LINES = 40  # lines looked at for the delimiter, title rows and header
DELIMITERS = (",", ";", "\t", "|")
SHOWN = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


@dataclass
class Reading:
    """One table of one file: the ``sources.<role>`` keys that read it, why, and a sample of it."""

    path: Path
    options: dict  # kind, encoding, delimiter, header, names, skip_rows, sheet, table, decimal …
    why: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    sample: pd.DataFrame | None = None
    rows: int = 0

    @property
    def label(self) -> str:
        table = self.options.get("table")
        return f"{self.path.name}:{table}" if table else self.path.name


def _encoding(path: Path) -> tuple[str, str | None]:
    bad = sniff.first_undecodable_line(path, "utf-8")
    if bad is None:
        return "utf-8", None
    for encoding, what in (("gb18030", "GB18030 (GBK), as Chinese exports from Excel or WPS are"),
                           ("utf-16", "UTF-16"), ("latin-1", "Latin-1")):
        try:
            if sniff.first_undecodable_line(path, encoding) is None:
                return encoding, f"line {bad[0]} is not UTF-8 but the file reads as {what}"
        except UnicodeError:
            continue
    return "latin-1", f"line {bad[0]} is not UTF-8"


def _split(lines: list[str], delimiter: str | None) -> list[list[str]]:
    if delimiter is None:
        return [line.split() for line in lines]
    return [[f.strip() for f in row] for row in csv.reader(_io.StringIO("\n".join(lines)), delimiter=delimiter)]


def _delimiter(path: Path, encoding: str, lines: list[str]) -> tuple[str | None, str]:
    """The delimiter (None: whitespace-separated) and why."""
    body = [line for line in lines if line.strip()]
    scores = {}
    for d in DELIMITERS:
        widths = Counter(len(row) for row in _split(body, d))
        width, n = widths.most_common(1)[0] if widths else (1, 0)
        if width > 1:
            scores[d] = (n, width)
    if scores:
        sniffed = sniff.sniff_delimiter(path, encoding)
        best = max(scores, key=lambda d: (scores[d], d == sniffed))
        return best, f"fields separated by {SHOWN[best]} ({scores[best][1]} columns)"
    widths = Counter(len(line.split()) for line in body)
    width = widths.most_common(1)[0][0] if widths else 1
    if width > 1:
        return None, f"columns separated by spaces ({width} columns)"
    return ",", "one column"


def _value_like(field_: str) -> bool:
    """A field that is a number or a date (a header's names are neither)."""
    one = pd.Series([field_])
    return bool(field_) and (numbers(one) is not None or dates(one) is not None)


def _title_and_header(rows: list[list[str]]) -> tuple[int, bool, str | None]:
    """How many rows above the table are a title (or blank), whether the next row is a header, and why."""
    filled = [[f for f in row if f.strip()] for row in rows]
    widths = Counter(len(f) for f in filled if f)
    width = widths.most_common(1)[0][0] if widths else 0
    skip = 0
    while skip < len(rows) - 1 and (not filled[skip] or (width > 1 and (
            2 * len(filled[skip]) <= width or len(set(filled[skip])) == 1))):
        skip += 1
    why = None
    if skip:
        title = next((f[0] for f in filled[:skip] if f), "")
        why = f"{skip} line(s) above the header" + (f" (a title: {title[:40]!r})" if title else " (blank)")
    first = filled[skip] if skip < len(filled) else []
    second = filled[skip + 1] if skip + 1 < len(filled) else []
    n_first, n_second = sum(map(_value_like, first)), sum(map(_value_like, second))
    header = n_first == 0 or n_first < n_second
    return skip, header, why


def _text(path: Path, kind: str) -> Reading:
    encoding, why_encoding = _encoding(path)
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        lines = [line.rstrip("\r\n").lstrip("\ufeff") for _, line in zip(range(HEAD_LINES), fh, strict=False)]
    delimiter, why_delimiter = _delimiter(path, encoding, lines)
    rows = _split(lines, delimiter)
    skip, header, why_title = _title_and_header(rows)
    kind = "text" if delimiter is None else "csv"
    options = {"kind": kind, "encoding": encoding, "header": header, "skip_rows": skip}
    if delimiter is not None:
        options["delimiter"] = delimiter
    why = [w for w in (why_encoding, why_delimiter, why_title) if w]
    reading = Reading(path, options, why)
    if not header:
        width = Counter(len(r) for r in rows[skip:] if r).most_common(1)[0][0]
        options["names"] = [f"column{i}" for i in range(width)]
        why.append(f"no header: the first line {lines[skip][:50]!r} is data")
    if kind == "text" and skip:
        reading.questions.append(f"{path.name} starts with {skip} title line(s) and its columns are separated by "
                                 "spaces, which custseg reads without skipping lines: remove them from the file")
    return reading


def _excel(path: Path) -> Reading:
    html = workbook.is_html(path)
    options: dict = {"kind": "excel", "encoding": "utf-8"}
    why = ["a web page saved as an Excel file (an HTML table)"] if html else []
    if html:
        raw = path.read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            if b"charset" not in raw[:2048].lower():
                options["encoding"] = "gb18030"
                why.append("not UTF-8 and no charset declared: read as GB18030 (GBK)")
    else:
        with_data = workbook.sheets_with_data(path)
        sheets = sniff.excel_sheets(path)
        if with_data and sheets[0] not in with_data:
            options["sheet"] = next(iter(with_data))
            why.append(f"the first sheet is empty: sheet {options['sheet']!r} ({workbook.describe_sheets(with_data)})")
    got = workbook.read(path, options.get("sheet", 0), header=False, encoding=None if options["encoding"] == "utf-8"
                        else options["encoding"])
    rows = [["" if pd.isna(v) else str(v).strip() for v in row] for row in got.frame.head(HEAD_LINES).itertuples(
        index=False)]
    skip, header, why_title = _title_and_header(rows)
    options.update(header=header, skip_rows=skip)
    why += [why_title] if why_title else []
    if not header:
        options["names"] = [f"column{i}" for i in range(len(rows[skip]) if rows else 0)]
        why.append("no header: the first row is data")
    return Reading(path, options, why)


def _database(path: Path, kind: str) -> list[Reading]:
    con = ibis.duckdb.connect(str(path), read_only=True) if kind == "duckdb" else ibis.sqlite.connect(path)
    try:
        tables = sorted(con.list_tables())
    finally:
        con.disconnect()
    what = "DuckDB" if kind == "duckdb" else "SQLite"
    return [Reading(path, {"kind": kind, "table": t}, [f"table {t!r} of a {what} database"]) for t in tables]


def _kind(path: Path) -> str:
    with path.open("rb") as fh:
        found = readers._kind_of_bytes(fh.read(512))  # noqa: SLF001 - the one definition of the magic bytes
    if found:
        return found[0]
    kind = SUFFIX_KIND.get(path.suffix.lower(), "csv")
    return "csv" if kind in ("csv", "text") else kind


def plan(path: Path) -> list[Reading]:
    """How to read a file: one :class:`Reading` per table (a database file may hold several).

    Raises
    ------
    SourceError
        The file does not exist, is empty, is a zip archive or an old .xls workbook.
    """
    if not path.is_file():
        raise SourceError(f"custseg init: {path} is not a file")
    if path.stat().st_size == 0:
        raise SourceError(f"custseg init: {path} is empty (0 bytes): export the data again")
    if staging.zip_members(path) is not None:  # (an Excel workbook is a zip too: None for it)
        raise SourceError(f"custseg init: {path} is a zip archive: unpack it and give custseg init the file inside")
    kind = _kind(path)
    if kind in ("duckdb", "sqlite"):
        return _database(path, kind)
    if kind == "parquet":
        return [Reading(path, {"kind": "parquet"}, ["a Parquet file (typed columns)"])]
    if kind == "excel":
        with path.open("rb") as fh:
            if fh.read(4) == b"\xd0\xcf\x11\xe0":
                raise SourceError(f"custseg init: {path} is an old Excel workbook (.xls, before Excel 2007), which "
                                  "custseg does not read: save it as .xlsx or export the sheet as CSV")
        return [_excel(path)]
    return [_text(path, kind)]


def read_sample(reading: Reading, limit: int = SAMPLE_ROWS) -> Reading:
    """``reading`` with its first ``limit`` rows and its row count, read by :func:`custseg.sources.readers.
    open_source` with its options (so what init proposes is what 01 will read)."""
    spec = {k: v for k, v in reading.options.items() if k in config.DEFAULTS["sources"]["customers"]}
    cfg = config.from_dict({"name": "init", "demo": {"enabled": False}, "privacy": {"pii_columns": []},
                            "paths": {"raw": str(reading.path.parent)},
                            "sources": {"customers": {**spec, "path": reading.path.name}}})
    con = ibis.duckdb.connect()
    try:
        table = readers.open_source(con, cfg, "customers")
        reading.rows = int(table.count().execute())
        reading.sample = table.limit(limit).execute()
    finally:
        con.disconnect()
    return reading
