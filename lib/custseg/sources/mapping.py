"""Map a source's columns to custseg's canonical names and types, with the checks that keep a run honest.

A missing or all-empty column, dates or numbers that mostly do not parse: one :class:`SourceError` that
names the source, the column, example values and the config key to change. A few unparseable values (at
most ``validation.max_invalid_share``) become missing and are listed in the validation report.
"""

from __future__ import annotations

import difflib

import ibis.expr.types as ir

from custseg.errors import SourceError
from custseg.schema import KEEP_EXTRA, SCHEMAS, configured
from custseg.sources.parsing import as_text, hint, parse
from custseg.sources.readers import fail, location, open_source


def canonical(raw: ir.Table, cfg: dict, role: str, required: set[str], engine: str = "duckdb"
               ) -> tuple[ir.Table, list[dict]]:
    """Map a source's columns to canonical names and types, with the checks of the module docstring.

    Returns the typed table (canonical columns present in the source, plus the kept extra columns) and
    the validation report rows (one per parsed column).
    """
    spec, schema, where = cfg["sources"][role], SCHEMAS[role], location(cfg, role)
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
        raise fail(role, where, "has column names but no rows", "export the data again (or check the query)")
    extra = [c for c in columns if c not in present.values()] if role in KEEP_EXTRA else []
    parsed = {c: parse(raw[u], schema[c].type, spec, engine) for c, u in present.items()}
    # survey items and other numeric extras become numbers when every value parses as one
    numeric_extra = {c: parse(raw[c], "number", spec, engine) for c in extra} if role == "survey" else {}
    checks: dict[str, ir.Value] = {"rows": raw.count()}
    for c, u in present.items():
        checks[f"filled__{c}"] = as_text(raw[u]).notnull().sum() if not raw[u].type().is_numeric() \
            and not raw[u].type().is_temporal() else raw[u].notnull().sum()
        checks[f"invalid__{c}"] = (raw[u].notnull() & parsed[c].isnull()).sum()
    for c, expr in numeric_extra.items():
        checks[f"invalid__x__{c}"] = (as_text(raw[c]).notnull() & expr.isnull()).sum()
    counts = raw.aggregate(**checks).execute().iloc[0]
    limit, n_examples = cfg["validation"]["max_invalid_share"], cfg["validation"]["examples"]
    report = []
    for c, u in present.items():
        filled, invalid = int(counts[f"filled__{c}"]), int(counts[f"invalid__{c}"])
        if filled == 0:
            raise fail(role, where, f"column '{u}' ({c}) is empty: all {n_rows:,} values are missing",
                        f"map the right column in sources.{role}.columns.{c} (or remove the mapping)")
        examples = []
        if invalid:
            bad = raw.filter(raw[u].notnull() & parsed[c].isnull())
            examples = bad.select(u).limit(n_examples).execute()[u].tolist()
            if invalid > limit * filled:
                raise fail(role, where, f"column '{u}' ({c}): {invalid:,} of {filled:,} values are not "
                            f"{'dates' if schema[c].type in ('date', 'timestamp') else 'numbers'}, "
                            f"e.g. {examples}", hint(role, c, schema[c].type, examples, spec))
        report.append({"source": role, "column": u, "canonical": c, "type": schema[c].type, "rows": n_rows,
                       "missing": n_rows - filled, "unparseable": invalid, "examples": examples})
    out = {c: parsed[c] for c in present}
    for c in extra:
        numeric = role == "survey" and int(counts[f"invalid__x__{c}"]) == 0
        out[c] = numeric_extra[c] if numeric else as_text(raw[c]) if not raw[c].type().is_temporal() else raw[c]
    return raw.select(**out), report


def _missing_column(role, where, canonical, user, columns, mapped) -> SourceError:
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
    return canonical(open_source(con, cfg, role), cfg, role, required, con.name)
