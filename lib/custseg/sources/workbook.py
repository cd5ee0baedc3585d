"""Excel workbooks, and the web pages back-offices save as ``.xls``: one sheet (or table) as pandas, read as a
spreadsheet program shows it.

Merged cells are filled with the value of their top-left cell (an id or a date written once per block);
formulas that were never calculated (a workbook written by a script, which stores the formula and no value)
are refused, since their values are unknown; an empty first sheet or a cover page is answered with the sheets
that hold data. An ``.xls`` that is really an HTML table is read with Beautiful Soup and Python's own HTML
parser (``pandas.read_html`` would need lxml or html5lib, which custseg does not install).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

# how a web page saved as a spreadsheet starts (after a byte-order mark and blank space)
HTML_STARTS = (b"<!doctype html", b"<html", b"<table", b"<head", b"<meta", b"<body", b"<style")


class SheetError(ValueError):
    """A workbook that cannot be read as it is: what is wrong and what to do (``{key}`` stands for the
    source's config key, ``sources.<role>``)."""

    def __init__(self, problem: str, fix: str):
        super().__init__(problem)
        self.problem, self.fix = problem, fix


@dataclass
class Sheet:
    """One sheet read as a table, with what was done to read it."""

    frame: pd.DataFrame
    name: str  # how to name it to the user: "sheet 'Orders'" or "HTML table 1 of 2"
    filled: list[int] = field(default_factory=list)  # positions of the columns whose merged cells were filled
    html: bool = False


def is_html(path: Path) -> bool:
    """Whether a file is a web page (an HTML table saved with an ``.xls`` suffix), from its first bytes.

    Parameters
    ----------
    path : Path
        The file; its first 512 bytes are read.

    Returns
    -------
    bool
        True when it starts like HTML (``<!DOCTYPE html>``, ``<html>``, ``<table>`` …).
    """
    with path.open("rb") as fh:
        head = fh.read(512)
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().lower().startswith(HTML_STARTS)


def _plain(value):
    """A cell as pandas' own Excel reader gives it: 3.0 is 3; but a number beyond 2^53 stays a float, as the
    workbook stores it (rounded), so that an id column of such numbers is refused, not read as other ids."""
    return int(value) if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53 else value


def _html_rows(path: Path, encoding: str | None) -> tuple[list[list], int]:
    """The rows of the largest table of a web page (``colspan``/``rowspan`` cells filled), and how many tables
    it has."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "html.parser", from_encoding=encoding)
    tables = soup.find_all("table")
    if not tables:
        raise SheetError("this is a web page (HTML) without a table", "export the data as CSV or Excel again")
    grids = []
    for table in tables:
        rows, pending = [], {}  # column -> (rows still spanned, value)
        for tr in (tr for tr in table.find_all("tr") if tr.find_parent("table") is table):
            row, cells = [], iter(tr.find_all(["td", "th"], recursive=False))
            while True:
                if len(row) in pending:
                    left, value = pending.pop(len(row))
                    row.append(value)
                    if left > 1:
                        pending[len(row) - 1] = (left - 1, value)
                    continue
                cell = next(cells, None)
                if cell is None:
                    break
                value = cell.get_text(" ", strip=True) or None
                span, down = (int(cell.get(a, 1) or 1) if str(cell.get(a, 1)).isdigit() else 1
                              for a in ("colspan", "rowspan"))
                for _ in range(span):
                    if down > 1:
                        pending[len(row)] = (down - 1, value)
                    row.append(value)
            rows.append(row)
        grids.append(rows)
    return max(grids, key=len), len(tables)


def _openpyxl_rows(path: Path, sheet: str | int, header_row: int | None
                   ) -> tuple[list[list], set[tuple[int, int]], str]:
    """The cells of one sheet from A1 (merged blocks filled), the (row, column) of the cells filled, and the
    sheet's name; a :class:`SheetError` when formulas have no saved value."""
    import openpyxl

    # read_only mode is faster but knows no merged cells
    book = openpyxl.load_workbook(path, read_only=not _sheets_contain(path, rb"<mergeCell "), data_only=True)
    ws = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
    cells = [list(row) for row in ws.iter_rows()]
    rows = [[_plain(c.value) for c in row] for row in cells]
    filled = set()
    for block in ws.merged_cells.ranges if hasattr(ws, "merged_cells") else ():
        value = rows[block.min_row - 1][block.min_col - 1]
        for r in range(block.min_row - 1, block.max_row):
            for c in range(block.min_col - 1, block.max_col):
                if (r, c) != (block.min_row - 1, block.min_col - 1) and value is not None:
                    rows[r][c] = value
                    filled.add((r, c))
    # a formula without a saved result reads as an empty number cell (a computed "" is a text cell)
    blank = _sheets_contain(path, rb"<f[ >/]") and {(r, c) for r, row in enumerate(cells) for c, cell in enumerate(row)
             if cell.value is None and cell.data_type == "n" and (r, c) not in filled}
    if blank:
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
        uncomputed = [(r, c) for r, row in enumerate(formulas[ws.title].iter_rows(values_only=True))
                      for c, value in enumerate(row) if (r, c) in blank and _is_formula(value)]
        formulas.close()
        if uncomputed:
            names = rows[header_row] if header_row is not None and header_row < len(rows) else []
            raise _uncomputed(ws.title, names, uncomputed)
    title = ws.title
    book.close()
    return rows, filled, title


def _sheets_contain(path: Path, pattern: bytes) -> bool:
    """Whether the XML of any sheet of an .xlsx matches ``pattern`` (a formula ``<f>``, a ``<mergeCell``), without
    parsing the workbook."""
    with zipfile.ZipFile(path) as archive:
        return any(re.search(pattern, archive.read(name)) for name in archive.namelist()
                   if name.startswith("xl/worksheets/") and name.endswith(".xml"))


def _is_formula(value) -> bool:
    return (isinstance(value, str) and value.startswith("=")) or type(value).__name__ == "ArrayFormula"


def _uncomputed(title: str, names: list, cells: list[tuple[int, int]]) -> SheetError:
    """The refusal of formulas without a value: which sheet and columns, how many cells, what to do."""
    by_column: dict[int, int] = {}
    for _, c in cells:
        by_column[c] = by_column.get(c, 0) + 1
    shown = ", ".join(f"column {_letter(c)}" + (f" '{names[c]}'" if c < len(names) and names[c] is not None else "")
                      + f": {n:,} cells" for c, n in sorted(by_column.items()))
    return SheetError(f"sheet '{title}' has {len(cells):,} formula cells without a saved value ({shown}; the first "
                      f"is {_letter(cells[0][1])}{cells[0][0] + 1}): the workbook was written by a program that "
                      "stores formulas without calculating them, so their values are unknown",
                      "open the workbook in Excel or WPS and save it (that calculates and stores the values), or "
                      "export the sheet as CSV")


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column + 1)


def read(path: Path, sheet: str | int = 0, header: bool = True, skip_rows: int = 0,
         encoding: str | None = None) -> Sheet:
    """One sheet of a workbook (or the largest table of a web page saved as ``.xls``) as pandas.

    Parameters
    ----------
    path : Path
        The workbook.
    sheet : str or int
        The sheet's name or 0-based position (ignored for a web page).
    header : bool
        Whether its first row (after ``skip_rows``) names the columns; the names are kept exactly as written
        (a repeated name is not renamed to ``name.1``, a blank one becomes ``column<i>``).
    skip_rows : int
        Rows above the table to skip.
    encoding : str, optional
        A web page's encoding (None: from the page itself).

    Returns
    -------
    Sheet
        The table and what was done to read it.

    Raises
    ------
    SheetError
        When formulas have no saved value, or a web page has no table.
    """
    if is_html(path):
        rows, n_tables = _html_rows(path, encoding)
        filled, name, html = set(), "the HTML table" + (f" (the largest of {n_tables})" if n_tables > 1 else ""), True
    else:
        (rows, filled, title), html = _openpyxl_rows(path, sheet, skip_rows if header else None), False
        name = f"sheet '{title}'"
    width = max((len(r) for r in rows), default=0)
    rows = [r + [None] * (width - len(r)) for r in rows]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    df = pd.DataFrame(rows[skip_rows:], dtype=object) if rows[skip_rows:] else pd.DataFrame()
    names = []
    if header and len(df):
        names = [f"column{i}" if c is None or not str(c).strip() else str(c) for i, c in enumerate(df.iloc[0])]
        df = df.iloc[1:].reset_index(drop=True).set_axis(names, axis=1)
    df = df.infer_objects()
    first_data = skip_rows + (1 if header else 0)
    columns = sorted({c for r, c, *_ in filled if r >= first_data})
    return Sheet(df, name, [c for c in columns if c < df.shape[1]], html)


def read_sheet(path: Path, sheet: str | int = 0, header: bool = True, skip_rows: int = 0) -> pd.DataFrame:
    """One sheet of an Excel workbook as pandas: :func:`read` without what was done to read it."""
    return read(path, sheet, header, skip_rows).frame


def sheets_with_data(path: Path) -> dict[str, int]:
    """The sheets of a workbook that hold anything, with their number of non-empty rows.

    Parameters
    ----------
    path : Path
        The workbook (.xlsx or .xlsm), read in openpyxl's read-only mode.

    Returns
    -------
    dict
        Sheet name → rows with at least one value, in the workbook's order.
    """
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    counts = {ws.title: sum(any(v is not None and str(v).strip() for v in row)
                            for row in ws.iter_rows(values_only=True)) for ws in book.worksheets}
    book.close()
    return {name: n for name, n in counts.items() if n}


def sheet_holding(path: Path, wanted: set[str], skip: str | int) -> tuple[str, int] | None:
    """The first sheet (other than ``skip``) with a row holding all the ``wanted`` names (lower case), and that
    row's 0-based number; None when no sheet has one."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for i, ws in enumerate(book.worksheets):
            if skip in (i, ws.title):
                continue
            for number, row in zip(range(30), ws.iter_rows(values_only=True), strict=False):
                if wanted <= {str(v).strip().lower() for v in row if v is not None}:
                    return ws.title, number
    finally:
        book.close()
    return None


def describe_sheets(counts: dict[str, int]) -> str:
    """'Orders' (1,200 rows), 'Notes' (3 rows): the sheets that hold data, for a message."""
    return ", ".join(f"'{name}' ({n:,} rows)" for name, n in counts.items()) or "none"
