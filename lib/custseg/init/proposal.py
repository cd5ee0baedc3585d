"""What ``custseg init`` proposes: each source with its columns' roles and why, and the config's other choices."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from custseg.init.read import Reading


@dataclass
class Column:
    name: str  # as the source will be read (the names given to a file without header)
    role: str | None  # the canonical column, or None (kept as an attribute, or ignored in a log)
    why: str = ""


@dataclass
class Source:
    """One file (or table) and what init proposes for it."""

    reading: Reading
    shape: str  # log | table | survey
    role: str = ""  # the config's source: transactions | customers | survey
    columns: list[Column] = field(default_factory=list)
    options: dict = field(default_factory=dict)  # the source keys to write beyond the reading's
    why: dict = field(default_factory=dict)  # option -> reason
    kinds: pd.DataFrame | None = None  # attributes.infer of the other columns (a table)
    row_ids: bool = False

    def mapped(self, role: str) -> str | None:
        return next((c.name for c in self.columns if c.role == role), None)


@dataclass
class Proposal:
    name: str
    files: list[Path]
    sources: list[Source]
    language: str = "en"
    outcomes: list[tuple[str, str | None, str]] = field(default_factory=list)
    pii: list[tuple[str, str]] = field(default_factory=list)  # column, why
    id_pii: str = ""  # why the customer ids themselves look like personal data
    rules_off: list[tuple[str, str]] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    def used(self) -> list[Source]:
        return [s for s in self.sources if s.role]
