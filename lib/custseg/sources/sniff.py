"""What a source file holds, found before reading it: the first line that does not decode, the first line
(a header?), the delimiter of a delimited text file and whether its header is one field short, the sheets of an
Excel workbook."""

from __future__ import annotations

import codecs
import csv
import itertools
from pathlib import Path

import pandas as pd


def first_undecodable_line(path: Path, encoding: str) -> tuple[int, bytes] | None:
    """The first line of a text file that does not decode with ``encoding``.

    Parameters
    ----------
    path : Path
        The text file.
    encoding : str
        The encoding it should be in.

    Returns
    -------
    tuple or None
        The line's 1-based number and its first 60 raw bytes; None when every line decodes.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return number, line[:60]
    return None


def first_line(path: Path, encoding: str) -> str | None:
    """The first non-blank line of a text file.

    Parameters
    ----------
    path : Path
        The text file.
    encoding : str
        Its encoding (undecodable bytes are replaced).

    Returns
    -------
    str or None
        The line without its line break and byte-order mark; None for a blank file.
    """
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        for line in fh:
            if line.strip():
                return line.rstrip("\r\n").lstrip("\ufeff")
    return None


def sniff_delimiter(path: Path, encoding: str) -> str:
    """The delimiter of a delimited text file, guessed from its first 64 KiB.

    Parameters
    ----------
    path, encoding
        A delimited text file (CSV, TSV …) and its encoding, as for :func:`first_line`.

    Returns
    -------
    str
        One of ``,`` ``;`` tab ``|``; ``,`` when unsure.
    """
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        sample = fh.read(64 * 1024)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def excel_sheets(path: Path) -> list[str]:
    """The sheet names of an Excel workbook.

    Parameters
    ----------
    path : Path
        The workbook.

    Returns
    -------
    list of str
        Its sheets, in the workbook's order.
    """
    return pd.ExcelFile(path).sheet_names


def header_shift(path: Path, encoding: str, delimiter: str, quote: str = '"', skip_rows: int = 0,
                 sample: int = 200) -> tuple[list[str], str, str] | None:
    """Whether the data lines of a delimited file have one field more than its header, and why.

    Parameters
    ----------
    path, encoding
        The file and its encoding, as for :func:`first_line`.
    delimiter, quote : str
        Its delimiter and quote character.
    skip_rows : int
        Lines above the header.
    sample : int
        How many data lines to look at.

    Returns
    -------
    tuple or None
        None when the header is as wide as the lines; else the header's names, how the lines differ
        (``trailing``: an empty last field on every line, a delimiter ending each line; ``index``: a row number
        first, as R's ``write.csv`` writes; ``other``) and the first data line.
    """
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        rows = csv.reader(fh, delimiter=delimiter, quotechar=quote)
        for _ in range(skip_rows):
            next(rows, None)
        header = next(rows, None)
        body = [row for _, row in zip(range(sample), rows, strict=False) if row]
    if not header or not body or any(len(row) != len(header) + 1 for row in body):
        return None
    names = [name.strip().lstrip("\ufeff") for name in header]
    example = delimiter.join(body[0])
    if all(not row[-1].strip() for row in body):
        return names, "trailing", example
    firsts = [row[0].strip() for row in body]
    if all(f.isdigit() for f in firsts) and all(int(b) == int(a) + 1 for a, b in itertools.pairwise(firsts)):
        return names, "index", example
    return names, "other", example
