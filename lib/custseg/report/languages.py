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
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import nbformat

from custseg import io

TAGS = {"en": "lang-en", "zh": "lang-zh"}
NEED_PREFIX = "needs-"
MAX_LATIN_SHARE = 0.05  # a page of a zh run: at most this share of Latin-script words in what a reader reads
REFERENCES = ("References", "参考文献")  # the headings of a page's citations (Latin by nature)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'’.-]*[A-Za-z0-9]|[A-Za-z]")
# paths, file names, missing values, numbers in e-notation and squared Greek letters: /work/x, tiny.yaml, NaN,
# 2.5e-106, eta² (identifiers, markers and symbols, not words)
_NOT_WORDS = re.compile(r"\S*[/\\]\S*|\S+\.(?:csv|ya?ml|json|parquet|duckdb|xlsx?|html|png|ipynb|py|md|txt|db)\b"
                        r"|\b(?:NaN|NaT|None|nan|<NA>)\b|\d(?:\.\d+)?e[-+]\d+|\b(?:eta|epsilon|omega)²")
# a term in brackets right after a Chinese word (or its closing quote): 轮廓系数 (silhouette), 近因（recency）
_BRACKETED = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff”’」》】])\s*[(（][^()（）\u3400-\u9fff]*[)）]")


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


def _is_literal(text: str) -> bool:
    """Whether printed text is a Python or JSON data structure (``{'orders': 1500}``): identifiers, not prose."""
    import ast
    import json

    text = text.strip()
    if not text or text[0] not in "{[(":
        return False
    try:
        json.loads(text)
        return True
    except ValueError:
        pass
    try:
        ast.literal_eval(text)
        return True
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return False


def _visible_text(html: str) -> str:
    """What a reader reads on a report page: its prose and printed text, without code, scripts, styles, images,
    prose code blocks and the References section."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["head", "script", "style", "code", "img", "svg"]):
        tag.decompose()
    for markdown in soup.select(".jp-RenderedMarkdown, .jp-MarkdownOutput"):
        for block in markdown.find_all("pre"):  # a code block in the prose (identifiers, commands)
            block.decompose()
    for block in soup.find_all("pre"):  # printed data structures (a dict of counts, a JSON of feature names)
        if _is_literal(block.get_text()):
            block.decompose()
    for heading in soup.find_all(re.compile(r"^h[1-6]$")):
        if heading.parent is None or not heading.get_text(" ", strip=True).strip("¶ ").startswith(REFERENCES):
            continue
        cell = heading.find_parent(class_="jp-Cell")
        for after in list(cell.find_next_siblings() if cell is not None else ()):  # its entries in later cells
            if "jp-MarkdownCell" not in (after.get("class") or []) or after.find(re.compile(r"^h[1-3]$")):
                break
            after.decompose()
        for after in list(heading.find_next_siblings()):
            after.decompose()
        heading.decompose()
    for anchor in soup.select("a.anchor-link"):  # the ¶ after each heading
        anchor.decompose()
    return soup.get_text(" ")


def latin_words(html: str, data: Iterable[str] = ()) -> tuple[list[str], int]:
    """The Latin-script words a reader reads on a report page, and how many CJK characters it has.

    Counted: the visible prose and printed text (tables, printed lines). Not counted, because they are
    legitimately Latin on a Chinese page: ``<code>`` spans, code blocks of the prose and printed data structures
    (a dict or a JSON of identifiers), the References section (citations, up to the next heading), a term in
    brackets right after a Chinese word ("轮廓系数 (silhouette)"), numbers, single letters (k, n, p: symbols),
    acronyms in capitals (RFM, KMO, DBSCAN), paths and file names, missing-value markers (NaN) and the words of
    ``data``.

    Parameters
    ----------
    html : str
        A report page (:func:`custseg.report.runner.to_html`).
    data : iterable of str
        What the user's data brings onto the page as it is: column names, labels of its columns, ids, names
        from the config. Each of their words is left out wherever it appears.

    Returns
    -------
    words : list of str
        The Latin words counted, in page order.
    cjk : int
        The CJK characters (each counts as one word).
    """
    text = _BRACKETED.sub(" ", _visible_text(html))
    text = _NOT_WORDS.sub(" ", text)
    known = {w for value in data for w in _WORD.findall(str(value))}
    words = [w for w in _WORD.findall(text)
             if len(w) > 1 and not (w.isupper() or w.rstrip("s").isupper()) and w not in known]
    return words, len(_CJK.findall(text))


def latin_share(html: str, data: Iterable[str] = ()) -> float:
    """The share of Latin-script words in what a reader reads on a report page, each CJK character counting as
    a word (:func:`latin_words` says what is left out); 0.0 for a page without words.

    A page of a ``language: zh`` run reads as Chinese when this is below :data:`MAX_LATIN_SHARE`; an English
    paragraph scores near 1.

    Parameters
    ----------
    html : str
        A report page.
    data : iterable of str
        The words of the user's data that appear as they are (:func:`latin_words`).

    Returns
    -------
    float
        Latin words / (Latin words + CJK characters).
    """
    words, cjk = latin_words(html, data)
    return len(words) / (len(words) + cjk) if words or cjk else 0.0


def data_words(cfg: dict, paths: io.RunPaths) -> set[str]:
    """What the user's data and config bring onto a run's pages as they are (for :func:`latin_share`): the
    columns of the collected sources, the text values of their label columns (cities, channels, ids) and the
    names the config gives (rule segments, outcomes, levers).

    Parameters
    ----------
    cfg : dict
        The run's config.
    paths : io.RunPaths
        The run's folders (after 01_collect).

    Returns
    -------
    set of str
    """
    import pandas as pd

    found: set[str] = set()
    for name in ("collected_customers", "collected_transactions", "collected_survey"):
        if not io.exists(paths, name):
            continue
        table = io.read(paths, name)
        found.update(map(str, table.columns))
        for col in table.columns:
            if pd.api.types.is_bool_dtype(table[col]):
                found.update(("True", "False"))  # a yes/no column shown as it is
            elif not pd.api.types.is_numeric_dtype(table[col]) and not pd.api.types.is_datetime64_any_dtype(table[col]):
                found.update(str(v) for v in table[col].dropna().unique())
    for spec in cfg["sources"].values():
        found.update(map(str, (spec.get("columns") or {}).values()))
    found.update(s["name"] for s in ((cfg.get("rule_segments") or {}).get("segments") or []))
    outcomes = cfg.get("outcomes") or []
    found.update(map(str, outcomes))
    return found


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
