"""Map a source's columns to custseg's canonical names and types, with the checks that keep a run honest.

A missing or all-empty column, dates or numbers that mostly do not parse: one :class:`SourceError` that
names the source, the column, example values and the config key to change. A few unparseable values (at
most ``validation.max_invalid_share``) become missing and are listed in the validation report.
"""

from __future__ import annotations

import difflib

import ibis
import ibis.expr.types as ir

from custseg.attributes import MISSING
from custseg.errors import ConfigError, SourceError
from custseg.schema import CUSTOMER_IDS, KEEP_EXTRA, LIKERT, RESERVED, SCHEMAS, configured
from custseg.sources.parsing import (
    CURRENCY,
    AmbiguousNumbers,
    NumberFormat,
    as_text,
    clean_number_text,
    date_shapes,
    hint,
    inexact_float_ids,
    number_format,
    parse,
    parse_number,
    strip_leading_zeros,
)
from custseg.sources.readers import fail, location, open_source, other_sheet_hint, title_rows_hint

SCIENTIFIC = r"^[+-]?\d(\.\d+)?[eE][+-]?\d+$"  # 1.23457E+11: what a spreadsheet makes of a long id
MAX_FORMAT_SAMPLE = 20_000  # distinct values with a separator read to tell how numbers are written
ROW_ID = "_custseg_row_number"  # the id column of a table read with row_ids: true
RENAMED_SUFFIX = "_src"  # a kept column named like one custseg adds (schema.RESERVED) becomes NAME_src


def renamed(raw: ir.Table, spec: dict, role: str) -> tuple[ir.Table, list[tuple[str, str]]]:
    """``raw`` with ``sources.<role>.drop`` dropped and ``rename`` applied, and the (column, note) pairs the
    validation report shows for them.

    Raises
    ------
    ConfigError
        A dropped or renamed column is not in the source, or a new name is already one of its columns; the
        message names the key and lists the source's columns.
    """
    key, columns = f"sources.{role}", list(raw.columns)
    rename, drop = spec["rename"] or {}, spec["drop"] or []
    for what, names in (("drop", drop), ("rename", list(rename))):
        absent = [c for c in names if c not in columns]
        if absent:
            raise ConfigError(f"config key '{key}.{what}': the source has no column {absent[0]!r}; its columns are "
                              f"{columns}")
    for old, new in rename.items():
        if new in columns and new not in drop and new not in rename:
            raise ConfigError(f"config key '{key}.rename.{old}': the source already has a column {new!r} (its "
                              f"columns are {columns}); choose another name, or drop or rename that column too")
    raw = raw.drop(*drop) if drop else raw
    raw = raw.rename({new: old for old, new in rename.items()}) if rename else raw
    notes = [(c, f"dropped ({key}.drop)") for c in drop]
    return raw, notes + [(old, f"renamed {new} ({key}.rename)") for old, new in rename.items()]


def clashing(raw: ir.Table, extra: list[str], role: str, keep: list[str]) -> dict[str, str]:
    """The kept columns named like one custseg adds (:data:`~custseg.schema.RESERVED`) and their new names
    (``NAME_src``, or ``NAME_src2`` … when that is taken); ``keep`` (personal data, protected by name) is left."""
    taken, out = set(raw.columns), {}
    for c in extra:
        if c in RESERVED and c not in keep:
            new = next(f"{c}{RENAMED_SUFFIX}{i or ''}" for i in range(len(taken) + 2)
                       if f"{c}{RENAMED_SUFFIX}{i or ''}" not in taken and i != 1)
            taken.add(new)
            out[c] = new
    return out


def _number_format(raw: ir.Table, column: str, spec: dict, role: str, canonical_name: str, where: str
                   ) -> NumberFormat:
    """How a text column writes its numbers, from its distinct values that hold a separator."""
    text = clean_number_text(as_text(raw[column]))
    marked = raw.select(v=text).filter(text.re_search(r"[.,' ]")).distinct().limit(MAX_FORMAT_SAMPLE)
    try:
        return number_format(marked.execute()["v"].tolist(), spec["decimal"], spec["thousands"])
    except AmbiguousNumbers as err:
        raise fail(role, where, f"column '{column}' ({canonical_name}): {err}",
                   f"set sources.{role}.decimal ('.' or ',') and sources.{role}.thousands (',', '.', ' ' or '') "
                   f"to how this export writes numbers, or fix these values in the export") from None


def _false(col: ir.Value) -> ir.BooleanColumn:
    """A column of False as long as ``col`` (a literal would be a scalar, which cannot be summed)."""
    return col.isnull() & ibis.literal(False)


def _customer_ids(col: ir.Value, parsed: ir.Value, ids: dict) -> tuple[ir.Value, ir.BooleanValue]:
    """Ids with the missing-value tokens (NULL, N/A, …) made missing and, if configured, leading zeros removed;
    and which raw values were such tokens."""
    tokens = sorted({t.strip().upper() for t in ids["null_tokens"] if t.strip()})
    is_token = as_text(col).upper().isin(tokens).fill_null(False) if tokens else _false(col)
    out = ibis.ifelse(is_token, ibis.null("string"), parsed)
    if ids["strip_leading_zeros"]:
        out = strip_leading_zeros(out)
    return out, is_token


def canonical(raw: ir.Table, cfg: dict, role: str, required: set[str], engine: str = "duckdb",
              read_notes: dict[str, list[str]] | None = None) -> tuple[ir.Table, list[dict]]:
    """Map a source's columns to canonical names and types, with the checks of the module docstring.

    Returns the typed table (canonical columns present in the source, plus the kept extra columns) and
    the validation report rows (one per parsed column, and one per survey item), with ``read_notes`` (what
    the reader did, by column; ``""`` for the whole source) among their notes.
    """
    read_notes = read_notes or {}
    spec, schema, where = cfg["sources"][role], SCHEMAS[role], location(cfg, role)
    raw, notes = renamed(raw, spec, role)
    mapping = spec["columns"] or {}
    ident = next((c for c in CUSTOMER_IDS if c in schema), None)
    if spec.get("row_ids"):
        raw, mapping = _numbered(raw, role, where, engine), {**mapping, ident: ROW_ID}
    columns = list(raw.columns)
    present: dict[str, str] = {}
    for canonical_name in schema:
        user = mapping.get(canonical_name, canonical_name)
        if user in columns:
            present[canonical_name] = user
        elif canonical_name in mapping or canonical_name in required:
            wanted = [mapping.get(n, n) for n in schema if n in mapping or n in required]
            title = title_rows_hint(cfg, role, wanted)
            raise (title is None and other_sheet_hint(cfg, role, wanted)) or _missing_column(
                                  role, where, canonical_name, user, columns, canonical_name in mapping, title,
                                  canonical_name == ident and sum(configured(s) for s in cfg["sources"].values()) == 1)
    n_rows = int(raw.count().execute())
    if n_rows == 0:
        raise fail(role, where, "has column names but no rows", "export the data again (or check the query)")
    extra = [c for c in columns if c not in present.values()] if role in KEEP_EXTRA else []
    clash = clashing(raw, extra, role, cfg["privacy"]["pii_columns"])
    if clash:
        raw, extra = raw.rename({new: old for old, new in clash.items()}), [clash.get(c, c) for c in extra]
        notes += [(old, f"renamed {new}: custseg names a column of its own {old!r} (set sources.{role}.rename."
                        f"{old} to choose the name)") for old, new in clash.items()]
    formats = {c: _number_format(raw, u, spec, role, c, where) for c, u in present.items()
               if schema[c].type == "number" and raw[u].type().is_string()}
    parsed, tokens = {}, {}
    for c, u in present.items():
        parsed[c] = parse(raw[u], schema[c].type, spec, engine, formats.get(c))
        tokens[c] = _false(raw[u])
        if c in CUSTOMER_IDS:
            parsed[c], tokens[c] = _customer_ids(raw[u], parsed[c], cfg["ids"])
    checks: dict[str, ir.Value] = {"rows": raw.count()}
    for c, u in present.items():
        filled = as_text(raw[u]).notnull() if raw[u].type().is_string() else raw[u].notnull()
        checks[f"filled__{c}"] = (filled & ~tokens[c]).sum()
        checks[f"tokens__{c}"] = tokens[c].sum()
        checks[f"invalid__{c}"] = (raw[u].notnull() & parsed[c].isnull() & ~tokens[c]).sum()
        if c in CUSTOMER_IDS and raw[u].type().is_string():
            checks[f"scientific__{c}"] = as_text(raw[u]).re_search(SCIENTIFIC).fill_null(False).sum()
        if schema[c].type == "id" and raw[u].type().is_floating():
            checks[f"inexact__{c}"] = inexact_float_ids(raw[u]).sum()
        if c in formats:
            checks[f"currency__{c}"] = as_text(raw[u]).re_search(CURRENCY).fill_null(False).sum()
            checks[f"negative__{c}"] = as_text(raw[u]).re_search(r"-$|^\(").fill_null(False).sum()
    items = _survey_items(raw, extra, cfg) if role == "survey" else {}
    for c, item in items.items():
        checks.update({f"{k}__x__{c}": v for k, v in item["checks"].items()})
    kept = [c for c in extra if c not in items]  # a customer table's own columns: their blanks are counted too
    for c in kept:
        text = as_text(raw[c]) if raw[c].type().is_string() else None
        checks[f"filled__kept__{c}"] = (raw[c].notnull() if text is None else
                                        (text.notnull() & ~text.lower().isin(sorted(MISSING)))).sum()
    counts = raw.aggregate(**checks).execute().iloc[0]
    limit, n_examples = cfg["validation"]["max_invalid_share"], cfg["validation"]["examples"]
    report = [{"source": role, "column": c, "canonical": "", "type": "", "rows": n_rows, "missing": 0,
               "unparseable": 0, "examples": [], "notes": note} for c, note in notes]
    for c, u in present.items():
        filled, invalid, n_tokens = (int(counts[f"{k}__{c}"]) for k in ("filled", "invalid", "tokens"))
        if filled == 0:
            raise fail(role, where, f"column '{u}' ({c}) is empty: all {n_rows:,} values are missing"
                       + (f" ({n_tokens:,} are missing-value words such as NULL or N/A)" if n_tokens else ""),
                       f"map the right column in sources.{role}.columns.{c} (or remove the mapping)")
        n_sci = int(counts.get(f"scientific__{c}", 0))
        if n_sci:
            shown = raw.filter(as_text(raw[u]).re_search(SCIENTIFIC)).select(u).limit(n_examples).execute()[u]
            raise fail(role, where, f"column '{u}' ({c}): {n_sci:,} of {filled:,} ids are in scientific notation, "
                       f"e.g. {shown.tolist()}: a spreadsheet rounded them, so different customers now share an id "
                       f"and cannot be told apart", "export the ids as text (in Excel: format the column as Text "
                       "before saving as CSV), or export from the source system directly")
        n_inexact = int(counts.get(f"inexact__{c}", 0))
        if n_inexact:
            shown = raw.filter(inexact_float_ids(raw[u])).select(u).distinct().limit(n_examples).execute()[u]
            shown = [f"{v:.0f}" if float(v).is_integer() else repr(float(v)) for v in shown]
            raise fail(role, where, f"column '{u}' ({c}) holds ids as floating-point numbers and {n_inexact:,} of "
                       f"{filled:,} of them cannot be exact, e.g. {shown}: beyond 2^53 "
                       "(16 digits) a float has rounded them, so different ids may have become one, or they have a "
                       "fraction", "export the ids as text (a string column in Parquet, text in Excel), from the "
                       "source system rather than from the rounded floats")
        examples = []
        if invalid:
            bad = raw.filter(raw[u].notnull() & parsed[c].isnull() & ~tokens[c])
            examples = bad.select(u).limit(n_examples).execute()[u].tolist()
            if invalid > limit * filled:
                is_date = schema[c].type in ("date", "timestamp")
                shapes = None
                if is_date and raw[u].type().is_string():
                    counted = raw.filter(as_text(raw[u]).notnull()).group_by(
                        shape=date_shapes(as_text(raw[u]))).aggregate(n=ibis._.count()).execute()
                    shapes = dict(zip(counted["shape"], counted["n"].astype(int), strict=True))
                raise fail(role, where, f"column '{u}' ({c}): {invalid:,} of {filled:,} values are not "
                           f"{'dates' if is_date else 'numbers'}, e.g. {examples}",
                           hint(role, c, schema[c].type, examples, spec, shapes))
        notes = list(read_notes.get(u, []))
        if u == ROW_ID:
            notes.append(f"no id column: the customers are numbered 1 to {n_rows:,} in the order of the rows "
                         f"(sources.{role}.row_ids)")
        if n_tokens:
            notes.append(f"{n_tokens:,} ids written as a missing-value word (ids.null_tokens): treated as missing")
        if c in formats:
            if formats[c] != NumberFormat():
                notes.append(f"numbers read with {formats[c].describe()} (from the values)")
            if int(counts[f"currency__{c}"]):
                notes.append(f"currency symbols removed from {int(counts[f'currency__{c}']):,} values")
            if int(counts[f"negative__{c}"]):
                notes.append(f"{int(counts[f'negative__{c}']):,} negatives written as 12.50- or (12.50)")
        report.append({"source": role, "column": "(row number)" if u == ROW_ID else u, "canonical": c,
                       "type": schema[c].type, "rows": n_rows,
                       "missing": n_rows - filled, "unparseable": invalid, "examples": examples,
                       "notes": "; ".join(notes)})
    report += [{"source": role, "column": c, "canonical": "", "type": "kept as it is", "rows": n_rows,
                "missing": n_rows - int(counts[f"filled__kept__{c}"]), "unparseable": 0, "examples": [],
                "notes": "; ".join(read_notes.get(c, []))} for c in kept]
    if report and read_notes.get(""):
        report[0]["notes"] = "; ".join(filter(None, [*read_notes[""], report[0]["notes"]]))
    out = {c: parsed[c] for c in present}
    for c in extra:
        out[c] = as_text(raw[c]) if not raw[c].type().is_temporal() else raw[c]
    for c, item in items.items():
        kind, expr, row = _item_kind(raw, c, item, {k: int(counts[f"{k}__x__{c}"]) for k in item["checks"]},
                                     n_rows, role, where, limit, n_examples)
        out[c] = expr if expr is not None else out[c]
        report.append({"source": role, "column": c, "canonical": "(survey item)", "type": kind, "rows": n_rows,
                       **row})
    return raw.select(**out), report


def _survey_items(raw: ir.Table, extra: list[str], cfg: dict) -> dict:
    """Each extra survey column read as a number and as a Likert label, with the counts that decide which it is."""
    tokens = sorted({t.strip().upper() for t in cfg["ids"]["null_tokens"] if t.strip()})
    items = {}
    for c in extra:
        if raw[c].type().is_numeric():
            items[c] = {"number": raw[c].cast("float64"), "likert": None, "token": _false(raw[c]),
                        "checks": {"filled": raw[c].notnull().sum(), "number": raw[c].notnull().sum(),
                                   "likert": _false(raw[c]).sum()}}
            continue
        text = as_text(raw[c])
        token = text.upper().isin(tokens).fill_null(False)
        number = parse_number(clean_number_text(text), NumberFormat())
        likert = text.lower().substitute(LIKERT, else_=ibis.null("int64")).cast("float64")
        filled = text.notnull() & ~token
        items[c] = {"number": number, "likert": likert, "token": token, "text": text,
                    "checks": {"filled": filled.sum(), "number": (filled & number.notnull()).sum(),
                               "likert": (filled & likert.notnull()).sum()}}
    return items


def _item_kind(raw, column, item, n, n_rows, role, where, limit, n_examples):
    """Whether a survey column is a numeric item, a Likert item written in words, or text (kept, not an item)."""
    filled = n["filled"]
    rest = {"number": filled - n["number"], "likert": filled - n["likert"]}
    best = "number" if n["number"] >= n["likert"] else "likert"
    if filled and rest[best] <= limit * filled:
        expr = ibis.ifelse(item["token"], ibis.null("float64"), item[best])
        unparsed = rest[best]
        examples = []
        if unparsed:
            bad = raw.filter(~item["token"] & item[best].isnull() & raw[column].notnull())
            examples = bad.select(column).limit(n_examples).execute()[column].tolist()
        notes = "Likert labels mapped to 1-5 (custseg.schema.LIKERT)" if best == "likert" else ""
        return best, expr, {"missing": n_rows - filled, "unparseable": unparsed, "examples": examples, "notes": notes}
    if filled and max(n["number"], n["likert"]) >= 0.5 * filled:  # an item, with answers nobody can score
        text = item["text"]
        bad = raw.filter(~item["token"] & text.notnull() & item[best].isnull())
        unknown = bad.group_by(text.name("v")).aggregate(n=ibis._.count()).order_by(ibis.desc("n")).limit(
            n_examples).execute()
        shown = ", ".join(f"{v!r} ({k:,}×)" for v, k in zip(unknown["v"], unknown["n"], strict=True))
        raise fail(role, where, f"survey item '{column}': {rest[best]:,} of {filled:,} answers are not "
                   f"{'numbers' if best == 'number' else 'known Likert labels'}, e.g. {shown}",
                   "recode them in the export (1-5, or labels such as 'Strongly agree' … / '非常同意' …), or "
                   "remove the column from the survey")
    examples = raw.filter(item["text"].notnull()).select(column).limit(n_examples).execute()[column].tolist()
    return "text", None, {"missing": n_rows - filled, "unparseable": 0, "examples": examples,
                          "notes": "not numbers or Likert labels: kept as text, not a survey item"}


def _numbered(raw: ir.Table, role: str, where: str, engine: str) -> ir.Table:
    """The table with its row number (1, 2, …, in the order of the file) as the id column :data:`ROW_ID`."""
    if engine == "pyspark":  # Spark numbers rows only in an order that must be given; a file's order is not one
        raise fail(role, where, "row_ids: true numbers the rows in the order of the file, which Spark does not keep",
                   "add an id column to the export, or set engine: duckdb")
    return raw.mutate(**{ROW_ID: (ibis.row_number() + 1).cast("string")})


def _missing_column(role, where, canonical, user, columns, mapped, title_hint=None, alone=False) -> SourceError:
    if title_hint:
        shown = columns if len(columns) <= 8 else [*columns[:8], "…"]
        return fail(role, where, f"has no column '{user}' for {canonical}: its first line {shown} looks like a "
                    "title, not the header", title_hint)
    close = difflib.get_close_matches(user, columns, n=1, cutoff=0.6) or [
        c for c in columns if c.lower().replace(" ", "_") == user.lower()]
    lone = columns[0] if len(columns) == 1 else ""
    sep = next((s for s in (";", ",", "\t", "|") if s in lone), None)
    if sep:
        return fail(role, where, f"has a single column '{lone[:60]}': the delimiter is wrong",
                     f"set sources.{role}.delimiter: {sep!r} (or leave it empty to detect it)")
    how = f"mapped in sources.{role}.columns.{canonical}" if mapped else "not mapped, so looked up by its own name"
    fix = f"set sources.{role}.columns.{canonical} to the column holding {canonical}"
    if close:
        fix += f" (did you mean '{close[0]}'?)"
    elif alone:
        fix += f", or, if the table has no id column, set sources.{role}.row_ids: true to number its rows"
    return fail(role, where, f"has no column '{user}' for {canonical} ({how}); its columns are {columns}", fix)


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
    notes: dict[str, list[str]] = {}
    raw = open_source(con, cfg, role, notes)
    return canonical(raw, cfg, role, required, con.name, notes)
