"""Parse source columns to canonical types in the engine: ids, text, numbers, dates and timestamps.

Unparseable values become null (counted and shown by :mod:`custseg.sources.mapping`); :func:`hint` says
which config key would parse them.
"""

from __future__ import annotations

import datetime
import re

import ibis
import ibis.expr.types as ir

DAYFIRST_FORMATS = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M",
                    "%d.%m.%Y", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y"]
# tried after ISO 8601 when no date_format is configured (unambiguous: year first)
YEARFIRST_FORMATS = ["%Y%m%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]


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


def as_text(col: ir.Value) -> ir.StringValue:
    text = col.cast("string").strip()
    return ibis.ifelse(text == "", ibis.null("string"), text)


def parse(col: ir.Value, kind: str, spec: dict, engine: str = "duckdb") -> ir.Value:
    """Parse one source column to a canonical type; unparseable values become null."""
    dtype = col.type()
    if kind in ("id", "text"):
        if dtype.is_floating():  # ids read as numbers (17850.0) become 17850
            return ibis.ifelse(col == col.floor(), col.cast("int64").cast("string"), col.cast("string"))
        text = as_text(col)
        return text.re_replace(r"^(\d+)\.0+$", r"\1") if kind == "id" else text
    if kind == "number":
        if dtype.is_numeric():
            return col.cast("float64")
        text = as_text(col)
        if spec["decimal"] == ",":
            text = text.replace(".", "").replace(",", ".")
        return text.try_cast("float64")
    # date / timestamp
    if dtype.is_timestamp() or dtype.is_date():
        parsed = col.cast("timestamp")
    else:
        if dtype.is_integer():
            col = col.cast("string")
        text = as_text(col)
        if spec["date_format"]:
            formats, iso = [spec["date_format"]], False
        else:
            formats, iso = (DAYFIRST_FORMATS if spec["dayfirst"] else YEARFIRST_FORMATS), True
        candidates = ([text.try_cast("timestamp")] if iso else []) + [_strptime(text, f, engine) for f in formats]
        parsed = ibis.coalesce(*candidates) if len(candidates) > 1 else candidates[0]
    return parsed.cast("date") if kind == "date" else parsed.cast("timestamp")


def hint(role: str, canonical: str, kind: str, examples: list, spec: dict) -> str:
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
