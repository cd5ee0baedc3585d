"""Two languages from one notebook: every prose cell in English is followed by its 简体中文 twin.

The English cell is tagged ``lang-en``, its twin ``lang-zh``; the twin's metadata records a hash of the English text
it translates (``metadata.custseg.en_hash``), so a changed English cell shows up as a stale translation
(:func:`problems`). Code cells are never duplicated: what they print comes from :mod:`custseg.i18n` in the run's
language. The HTML report keeps the run's language only (:func:`other_language_tags`, for nbconvert's
``TagRemovePreprocessor``); JupyterLab shows both.

A translator writes the twin right after the English cell, then records which English it translates::

    python -m custseg.report.languages stamp notebooks/01_collect.ipynb
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import nbformat

from custseg import io

TAGS = {"en": "lang-en", "zh": "lang-zh"}
NEED_PREFIX = "needs-"


def english_hash(source: str) -> str:
    """A short hash of an English cell's text (whitespace at the ends and line ends ignored)."""
    text = "\n".join(line.rstrip() for line in source.strip().splitlines())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def other_language_tags(language: str) -> set[str]:
    """The cell tags the report of ``language`` leaves out (every other language's prose)."""
    return {tag for lang, tag in TAGS.items() if lang != language}


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _language(cell) -> str | None:
    found = [lang for lang, tag in TAGS.items() if tag in _tags(cell)]
    return found[0] if len(found) == 1 else None


def problems(nb) -> list[str]:
    """What keeps a notebook from being bilingual: prose cells without a language tag or without a twin, twins
    that translate an older English text (stale), and twins whose ``needs-…`` tags differ from the English.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook.

    Returns
    -------
    list[str]
        One line per problem, naming the cell id (empty: every prose cell has an up-to-date twin).
    """
    found, cells = [], nb.cells
    for i, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        lang, name = _language(cell), cell.get("id", str(i))
        if lang is None:
            found.append(f"cell {name}: a prose cell needs exactly one of the tags {', '.join(TAGS.values())}")
        elif lang == "en":
            twin = cells[i + 1] if i + 1 < len(cells) else None
            if twin is None or twin.cell_type != "markdown" or _language(twin) != "zh":
                found.append(f"cell {name}: no 简体中文 twin (a lang-zh cell right after it)")
                continue
            recorded = twin.get("metadata", {}).get("custseg", {}).get("en_hash")
            if recorded != english_hash(cell.source):
                found.append(f"cell {twin.get('id', i + 1)}: stale translation — the English of cell {name} "
                             f"changed after its twin was written (update the twin, then `stamp`)")
            needs = lambda c: sorted(t for t in _tags(c) if t.startswith(NEED_PREFIX))  # noqa: E731
            if needs(cell) != needs(twin):
                found.append(f"cell {twin.get('id', i + 1)}: its needs-… tags {needs(twin)} differ from the "
                             f"English cell's {needs(cell)}")
        elif i == 0 or _language(cells[i - 1]) != "en":
            found.append(f"cell {name}: a lang-zh cell that follows no English cell")
    return found


def stamp(nb) -> int:
    """Record in each 简体中文 twin the hash of the English cell right before it; return how many changed."""
    changed = 0
    for before, cell in zip(nb.cells, nb.cells[1:], strict=False):
        if cell.cell_type == "markdown" and _language(cell) == "zh" and _language(before) == "en":
            meta = cell.metadata.setdefault("custseg", {})
            if meta.get("en_hash") != (new := english_hash(before.source)):
                meta["en_hash"], changed = new, changed + 1
    return changed


def main(argv: list[str] | None = None) -> int:
    """``python -m custseg.report.languages stamp|check NOTEBOOK...``."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2 or argv[0] not in ("stamp", "check"):
        print("usage: python -m custseg.report.languages stamp|check NOTEBOOK...", file=sys.stderr)
        return 2
    bad = 0
    for path in map(Path, argv[1:]):
        nb = nbformat.read(path, as_version=4)
        if argv[0] == "stamp":
            print(f"{path}: {stamp(nb)} twin(s) stamped")
            io.write_text(nbformat.writes(nb) + "\n", path)
        for line in problems(nb):
            print(f"{path}: {line}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
