"""Parse source columns to canonical types in the engine: ids, text, numbers, dates and timestamps.

Money is parsed, never guessed: :func:`number_format` reads the decimal mark and the thousands separator off
the values themselves (``1,234.56`` and ``1.234,56`` both), refuses values that contradict each other or the
configured ``decimal`` / ``thousands``, and :func:`parse` strips currency symbols and full-width digits and
reads trailing-minus (``12.50-``) and bracketed (``(12.50)``) negatives. Unparseable values become null
(counted and shown by :mod:`custseg.sources.mapping`); :func:`hint` says which config key would parse them.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

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


# full-width digits and signs, and the Unicode minus (U+2212), as ASCII
FULL_WIDTH = ("０１２３４５６７８９．，－＋（）\u2212", "0123456789.,-+()-")
# currency written before or after an amount: symbols, ISO codes, 元; a sign may stand before it (-¥12.50)
_CURRENCY_BEFORE = r"(rmb|cny|usd|eur|gbp|hkd|us\$|hk\$|[¥￥$€£₩₹])\s*"
_CURRENCY_AFTER = r"\s*(rmb|cny|usd|eur|gbp|hkd|元|[¥￥$€£₩₹])$"
CURRENCY = rf"(?i)^[+-]?\s*{_CURRENCY_BEFORE}|{_CURRENCY_AFTER}"
GROUPED = {",": r"\d{1,3}(,\d{3})+", ".": r"\d{1,3}(\.\d{3})+", " ": r"\d{1,3}( \d{3})+", "'": r"\d{1,3}('\d{3})+"}


@dataclass(frozen=True)
class NumberFormat:
    """How the numbers of one text column are written: the decimal mark and the thousands separator."""

    decimal: str = "."
    thousands: str = ""  # "" when no value groups its digits

    def describe(self) -> str:
        group = f", thousands separator {self.thousands!r}" if self.thousands else ""
        return f"decimal mark {self.decimal!r}{group}"


class AmbiguousNumbers(ValueError):
    """The values of a number column do not say, or contradict, how they are written."""


def clean_number_text(text: ir.StringValue) -> ir.StringValue:
    """A number's text without what is not part of it: full-width digits made ASCII, currency symbols and
    spaces removed, a trailing minus or brackets turned into a leading minus (``-¥12.50``, ``¥-12.50``,
    ``(¥12.50)``, ``12.50-`` and ``－12.5`` are all -12.5)."""
    # no back-references (\\1) anywhere: Spark's regex replacement does not know them
    text = text.translate(*FULL_WIDTH).strip()
    inner = text.substr(1, text.length() - 2)
    text = ibis.ifelse(text.re_search(r"^\(.*\)$"), ibis.literal("-").concat(inner), text)
    minus = text.re_search(rf"(?i)^-\s*{_CURRENCY_BEFORE}")  # -¥12.50: the sign stands before the currency
    text = text.re_replace(CURRENCY, "").strip()
    text = ibis.ifelse(minus, ibis.literal("-").concat(text), text)
    text = text.replace("\u00a0", " ").replace("\u202f", " ")  # no-break spaces between digit groups
    return ibis.ifelse(text.re_search(r"^[0-9.,' ]+-$"), ibis.literal("-").concat(text.rstrip().re_replace("-$", "")),
                       text)


def strip_leading_zeros(ids: ir.StringValue) -> ir.StringValue:
    """``00100`` → ``100`` (and ``000`` → ``0``), without regex back-references."""
    stripped = ibis.ifelse(ids.re_search(r"^0+\d"), ids.re_replace(r"^0+", ""), ids)  # 0A12 keeps its zero
    return ibis.ifelse(ids.re_search(r"^0+$"), "0", stripped)


def _convention(value: str) -> str:
    """'.' or ',' when one value shows which is the decimal mark, 'ambiguous' (1,234 or 1.234), or ''."""
    s = value.lstrip("+-").replace(" ", "").replace("'", "")  # spaces and apostrophes only ever group digits
    if "," in s and "." in s:
        return "," if s.rfind(",") > s.rfind(".") else "."
    for mark, other in ((",", "."), (".", ",")):
        if mark in s:
            if re.fullmatch(GROUPED[mark], s):
                return "ambiguous" if s.count(mark) == 1 else other  # 1,234,567 groups: the mark is not decimal
            return mark if re.fullmatch(rf"\d*{re.escape(mark)}\d+", s) else ""
    return ""


def number_format(values: list[str], decimal: str | None = None, thousands: str | None = None) -> NumberFormat:
    """The :class:`NumberFormat` of a column, read off its (cleaned) values and checked against the config.

    Parameters
    ----------
    values : list of str
        Distinct values of the column after :func:`clean_number_text` (those with a ``.`` or ``,`` matter).
    decimal, thousands : str, optional
        The configured ``decimal`` and ``thousands`` (None: read them off the values).

    Raises
    ------
    AmbiguousNumbers
        When values use both conventions (``1,234.56`` and ``1.234,56``), contradict the configured decimal
        mark, or only ever look like ``1,234`` (a thousand, or one point two three four?) and nothing is set.
    """
    seen: dict[str, list[str]] = {".": [], ",": [], "ambiguous": []}
    for v in values:
        kind = _convention(v)
        if kind:
            seen[kind].append(v)
    name = {".": "a decimal point (1,234.56)", ",": "a decimal comma (1.234,56)"}
    if seen["."] and seen[","]:
        raise AmbiguousNumbers(f"the values use both conventions: {len(seen['.']):,} with {name['.']}, e.g. "
                               f"{seen['.'][:3]}, and {len(seen[',']):,} with {name[',']}, e.g. {seen[','][:3]}")
    found = "." if seen["."] else "," if seen[","] else None
    if decimal is not None and found is not None and found != decimal:
        raise AmbiguousNumbers(f"decimal is set to {decimal!r} but {len(seen[found]):,} values are written with "
                               f"{name[found]}, e.g. {seen[found][:3]}")
    mark = decimal or found
    if mark is None:
        if seen["ambiguous"]:
            raise AmbiguousNumbers(f"{len(seen['ambiguous']):,} values such as {seen['ambiguous'][:3]} could be "
                                   f"thousands or decimals, and no value says which")
        mark = "."
    if thousands is None:  # the first grouping character the values use, the other mark before space and '
        candidates = ("," if mark == "." else ".", " ", "'")
        thousands = next((c for c in candidates if any(c in v for v in values)), "")
    if thousands == mark:
        raise AmbiguousNumbers(f"decimal and thousands are both {mark!r}")
    return NumberFormat(mark, thousands)


def parse_number(text: ir.StringValue, fmt: NumberFormat) -> ir.FloatingValue:
    """Text written in ``fmt`` (after :func:`clean_number_text`) as a number; null when it is not one.

    Digit groups must be groups of three: with a thousands separator ``,``, ``12,34`` is not a number.
    """
    d = re.escape(fmt.decimal)
    plain = rf"[+-]?(\d+({d}\d*)?|{d}\d+)([eE][+-]?\d+)?"
    shapes = [plain]
    if fmt.thousands:
        shapes.append(rf"[+-]?{GROUPED[fmt.thousands]}({d}\d*)?")
    valid = text.re_search("^(" + "|".join(shapes) + ")$")
    ascii_ = text.replace(fmt.thousands, "") if fmt.thousands else text
    if fmt.decimal == ",":
        ascii_ = ascii_.replace(",", ".")
    return ibis.ifelse(valid, ascii_, ibis.null("string")).try_cast("float64")


MAX_EXACT_ID = 2**53  # a float64 holds every integer up to this one exactly, and not all beyond


def inexact_float_ids(col: ir.FloatingValue) -> ir.BooleanValue:
    """Whether a floating-point id cannot be an exact integer: beyond :data:`MAX_EXACT_ID`, with a fraction, or
    not a number (NaN, infinite); False for null.

    Parameters
    ----------
    col : ibis floating column
        Ids stored as floats (a Parquet float64 column, a spreadsheet's numbers).

    Returns
    -------
    ibis boolean column
        True for the ids that a float has rounded or that are no integer.
    """
    exact = col.notnull() & ~col.isnan() & (col.abs() <= MAX_EXACT_ID) & (col == col.floor())
    return (col.notnull() & ~exact).fill_null(False)


def as_text(col: ir.Value) -> ir.StringValue:
    text = col.cast("string").strip()
    return ibis.ifelse(text == "", ibis.null("string"), text)


def parse(col: ir.Value, kind: str, spec: dict, engine: str = "duckdb", fmt: NumberFormat | None = None
          ) -> ir.Value:
    """Parse one source column to a canonical type; unparseable values become null.

    Numbers in text are read in ``fmt`` (default: the configured decimal mark, no thousands separator).
    """
    dtype = col.type()
    if kind in ("id", "text"):
        if dtype.is_floating():  # ids read as numbers (17850.0) become 17850 (the inexact ones are refused)
            return ibis.ifelse(~inexact_float_ids(col), col.cast("int64").cast("string"), col.cast("string"))
        text = as_text(col)
        if kind == "id":  # 17850.0 (an id a spreadsheet typed as a number) is 17850
            return ibis.ifelse(text.re_search(r"^\d+\.0+$"), text.re_replace(r"\.0+$", ""), text)
        return text
    if kind == "number":
        if dtype.is_numeric():
            return col.cast("float64")
        fmt = fmt or NumberFormat(spec["decimal"] or ".", spec["thousands"] or "")
        return parse_number(clean_number_text(as_text(col)), fmt)
    # date / timestamp
    if dtype.is_timestamp() or dtype.is_date():
        parsed = col.cast("timestamp")
    else:
        if dtype.is_integer():
            col = col.cast("string")
        text = as_text(col)
        meridiem = None
        if spec["date_format"] == "excel":
            parsed = excel_serial(text)
        else:
            if "%p" not in (spec["date_format"] or ""):
                text, meridiem = without_meridiem(text)
            if spec["date_format"]:
                formats, iso = [spec["date_format"]], False
            else:
                formats, iso = (DAYFIRST_FORMATS if spec["dayfirst"] else YEARFIRST_FORMATS), True
            # only text shaped like an ISO date is cast: Spark casts '45360' to the year 45360, DuckDB to null
            iso_text = ibis.ifelse(text.re_search(r"^\d{4}-\d{1,2}-\d{1,2}"), text, ibis.null("string"))
            candidates = ([iso_text.try_cast("timestamp")] if iso else []) + [_strptime(text, f, engine)
                                                                               for f in formats]
            if not spec["date_format"]:
                candidates.append(excel_serial(text))  # 45360: a day number as Excel stores dates
            parsed = ibis.coalesce(*candidates) if len(candidates) > 1 else candidates[0]
        if meridiem is not None:
            parsed = twelve_hour(parsed, *meridiem)
    return parsed.cast("date") if kind == "date" else parsed.cast("timestamp")


# 12-hour clock markers: 上午/下午 anywhere (2024/3/5 下午 3:04:05), AM/PM at the end (3/5/2024 3:04:05 PM)
MORNING, AFTERNOON = r"(?i)(上午|am$|a\.m\.$)", r"(?i)(下午|pm$|p\.m\.$)"
MERIDIEM = r"(?i)\s*(上午|下午|am$|pm$|a\.m\.$|p\.m\.$)\s*"


def without_meridiem(text: ir.StringValue) -> tuple[ir.StringValue, tuple[ir.BooleanValue, ir.BooleanValue]]:
    """Date-times on a 12-hour clock without their marker, and which were morning and which afternoon.

    Parameters
    ----------
    text : ibis string column
        Date-times as text, some with 上午/下午 or AM/PM.

    Returns
    -------
    (ibis string column, (ibis boolean column, ibis boolean column))
        The text without the marker, to parse with a 24-hour format; whether each had a morning marker and
        an afternoon one (see :func:`twelve_hour`).
    """
    am, pm = text.re_search(MORNING).fill_null(False), text.re_search(AFTERNOON).fill_null(False)
    return text.re_replace(MERIDIEM, " ").strip(), (am, pm)


def twelve_hour(parsed: ir.TimestampValue, am: ir.BooleanValue, pm: ir.BooleanValue) -> ir.TimestampValue:
    """Times read from a 12-hour clock on the 24-hour one: 下午/PM 1–11 h → 13–23 h, 上午/AM 12 h → 0 h; an
    afternoon hour past 12 stays (下午 15:04 is 15:04), a morning hour past 12 is not a time (null)."""
    hour = parsed.hour()
    return ibis.cases((pm & (hour < 12), parsed + ibis.interval(hours=12)),
                      (am & (hour == 12), parsed - ibis.interval(hours=12)),
                      (am & (hour > 12), ibis.null("timestamp")), else_=parsed)


EXCEL_EPOCH = datetime.datetime(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug included)
EXCEL_DAYS = (20_000, 80_000)  # serial numbers read as dates: 1954-10-03 to 2119-01-10


def excel_serial(text: ir.StringValue) -> ir.TimestampValue:
    """An Excel serial date (``45360`` = 2024-03-09, with a fraction for the time of day); null otherwise."""
    days = text.re_search(r"^\d{5}(\.\d+)?$").ifelse(text, ibis.null("string")).try_cast("float64")
    days = ibis.ifelse(days.between(*EXCEL_DAYS), days, ibis.null("float64"))
    return ibis.literal(EXCEL_EPOCH) + (days * 86_400).round().cast("int64").as_interval("s")


# how a date value looks, to tell the user what a column mixes: (name, regular expression, example)
DATE_SHAPES = [("ISO year-month-day", r"^\d{4}-\d{1,2}-\d{1,2}", "2024-12-31"),
               ("day or month first", r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", "31/12/2024"),
               ("year first with slashes or dots", r"^\d{4}[/.]\d{1,2}[/.]\d{1,2}", "2024/12/31"),
               ("compact yyyymmdd", r"^\d{8}$", "20241231"),
               ("Excel day number", r"^\d{5}(\.\d+)?$", "45657"),
               ("Chinese 年月日", r"^\d{4}年", "2024年12月31日")]


def date_shapes(text: ir.StringValue) -> ir.StringValue:
    """The :data:`DATE_SHAPES` name of each value ('other' for none)."""
    return ibis.cases(*[(text.re_search(rx), name) for name, rx, _ in DATE_SHAPES], else_="other")


def hint(role: str, canonical: str, kind: str, examples: list, spec: dict, shapes: dict | None = None) -> str:
    """What to set so that the values in ``examples`` parse (``shapes``: how many values of each date shape)."""
    key = f"sources.{role}"
    if kind in ("date", "timestamp"):
        text = " ".join(map(str, examples))
        if shapes and len([n for n in shapes.values() if n]) > 1:
            mixed = ", ".join(f"{n:,} {name}" for name, n in sorted(shapes.items(), key=lambda kv: -kv[1]) if n)
            return (f"the column mixes date formats ({mixed}): export the dates in one format, or set "
                    f"{key}.date_format to the most common one (the others then count as unparseable)")
        if re.search(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", text):
            if spec["dayfirst"]:
                return (f"dayfirst is already set, so these are probably month-first: set {key}.date_format, "
                        f"e.g. '%m/%d/%Y' (or '%m/%d/%Y %H:%M'), and {key}.dayfirst: false")
            return (f"set {key}.dayfirst: true for day-first dates (31/12/2024), or {key}.date_format to their "
                    f"strptime format, e.g. '%m/%d/%Y %H:%M' for month-first US dates")
        if re.search(r"\b\d{8}\b", text):
            return f"set {key}.date_format: '%Y%m%d'"
        return (f"set {key}.date_format to the strptime format of these values, or map another column in "
                f"{key}.columns.{canonical}")
    return f"map the right column in {key}.columns.{canonical}, or fix these values in the export"
