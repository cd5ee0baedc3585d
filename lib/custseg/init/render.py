"""The config a :class:`~custseg.init.Proposal` stands for, as YAML text with the reason of every choice in a
comment, the questions init could not decide at the top and the next command to run; and the short summary of the
roles the confirmation prompt shows."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import yaml

from custseg import attributes
from custseg.init.proposal import Proposal, Source
from custseg.init.roles import SHAPES

MARKER = "# custseg init files:"  # the first lines name the files a config was written from (custseg run FILE)
READ_KEYS = ("kind", "table", "sheet", "encoding", "delimiter", "header", "skip_rows", "names")


def y(value) -> str:
    """One YAML value on one line (flow style), quoted where YAML needs it."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def _line(indent: int, key: str, value, why: str = "") -> str:
    text = f"{' ' * indent}{y(key)}: {y(value)}"
    return f"{text:<44} # {why}" if why else text


def files_line(files: list[Path]) -> str:
    return f"{MARKER} " + " | ".join(str(p) for p in files)


def _raw(files: list[Path]) -> Path:
    return Path(os.path.commonpath([str(p.parent) for p in files]))


def _source(src: Source, raw: Path) -> list[str]:
    r = src.reading
    out = [f"  {src.role}:".ljust(44) + f" # {SHAPES[src.shape]}: {r.label}, {r.rows:,} rows"]
    out.append(_line(4, "path", os.path.relpath(r.path, raw)))
    why = " · ".join(r.why)
    for key in READ_KEYS:
        if key in r.options and not (key == "encoding" and r.options[key] == "utf-8" and r.options["kind"] != "csv"):
            out.append(_line(4, key, r.options[key], why if key == "kind" else ""))
    for key, value in src.options.items():
        out.append(_line(4, key, value, src.why.get(key, "")))
    if src.row_ids:
        out.append(_line(4, "row_ids", True, "no id column: the customers are numbered 1, 2, … in the file's order"))
    mapped = [c for c in src.columns if c.role]
    if mapped:
        out.append("    columns:                                 # custseg's name: your column")
        out += [_line(6, c.role, c.name, c.why) for c in mapped]
    return out


def render(p: Proposal, config_path: str, today: dt.date | None = None) -> str:
    """The config text.

    Parameters
    ----------
    p : Proposal
        From :func:`custseg.init.propose`.
    config_path : str
        Where it will be written, for the next command.
    today : date, optional
        The date in the first line (default: today).
    """
    raw = _raw(p.files)
    lines = [f"# A custseg config written by `custseg init` on {(today or dt.date.today()).isoformat()} from your "
             "files; every choice says why.", files_line(p.files), "#"]
    if p.questions:
        lines.append("# QUESTIONS custseg could not decide (the config guesses; check these first):")
        lines += [f"#   - {q}" for q in p.questions]
        lines.append("#")
    lines += [f"# Next: custseg run {config_path}", "#   (01_collect.html shows what was read, 02_clean.html what was "
              "removed; the configuration reference in docs/ lists every key)", "",
              _line(0, "name", p.name, "the run's folder under data/ and reports/"),
              _line(0, "language", p.language, "en | zh: the report's language"
                    + (" (most column names are Chinese)" if p.language == "zh" else "")),
              "demo:", _line(2, "enabled", False, "read your files, never generate demo data"),
              "paths:", _line(2, "raw", str(raw), "the folder of your files (the paths below are inside it)"),
              "sources:"]
    for src in p.used():
        lines += _source(src, raw)
    lines += [f"# {note}" for note in p.notes + p.left_out]
    lines.append("privacy:")
    for column, why in p.pii:
        lines.append(f"  # {column}: {why}")
    lines.append(_line(2, "pii_columns", [c for c, _ in p.pii], "personal data: dropped in 01, before anything is "
                       "written" if p.pii else "no personal data found by name or by its values"))
    lines.append(_line(2, "pii_action", "drop", "drop | pseudonymise (a keyed hash: needs CUSTSEG_PII_KEY)"))
    lines.append(_line(2, "pseudonymise_ids", False, (p.id_pii + ": set true") if p.id_pii else
                       "true replaces the ids by a keyed hash in every output (set CUSTSEG_PII_KEY)"))
    if p.rules_off:
        lines.append("clean:")
        lines.append(_line(2, "rules_off", [r for r, _ in p.rules_off], p.rules_off[0][1]))
    if p.outcomes:
        lines.append("outcomes:                                    # judged by, never clustered on")
        for column, way, why in p.outcomes:
            lines.append(f"  - {y({column: way})}".ljust(44) + f" # {why}")
    kinds = [(s, row) for s in p.used() if s.kinds is not None for row in s.kinds.itertuples()
             if row.column not in {c for c, _ in p.pii} and row.column not in {c for c, _, _ in p.outcomes}]
    if kinds:
        lines += ["# The kinds 04_features will infer for the other columns of the customer table. To change one,",
                  "# uncomment 'attributes:' and its line (an ordinal column: [labels, lowest first]).",
                  "# attributes:"]
        for _, row in kinds:
            lines.append(f"#   {y(row.column)}: {y(row.kind)}".ljust(44) + f" # {row.why}")
    return "\n".join(lines) + "\n"


def summary(p: Proposal) -> str:
    """The roles in a few lines, for the confirmation prompt and the screen."""
    out = []
    for src in p.used():
        r = src.reading
        out.append(f"{r.label}: {SHAPES[src.shape]} ({r.rows:,} rows) → sources.{src.role}")
        for c in src.columns:
            if c.role:
                out.append(f"  {c.role:<14} ← {c.name}  ({c.why})")
        if src.row_ids:
            out.append("  (no id column: the rows are numbered)")
        kinds = None if src.kinds is None else src.kinds[~src.kinds["column"].isin([c for c, _ in p.pii])]
        if kinds is not None and not kinds.empty:
            by_kind = kinds.groupby("kind", sort=False)["column"].apply(list)
            out.append("  other columns: " + "; ".join(f"{kind} {', '.join(map(str, cols[:6]))}"
                                                     + (" …" if len(cols) > 6 else "")
                                                     for kind, cols in by_kind.items()))
    if p.outcomes:
        out.append("outcomes: " + ", ".join(f"{c} ({'lower' if w == attributes.LOWER else 'higher'} is better)"
                                           for c, w, _ in p.outcomes))
    if p.pii:
        out.append("personal data (dropped): " + ", ".join(c for c, _ in p.pii))
    if p.rules_off:
        out.append("switched off: " + ", ".join(r for r, _ in p.rules_off) + f" ({p.rules_off[0][1]})")
    out += [f"note: {n}" for n in p.notes + p.left_out]
    out += [f"question: {q}" for q in p.questions]
    return "\n".join(out)
