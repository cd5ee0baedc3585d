"""Editions of the notebooks for a class: one language only, and a student edition without the exercises'
solutions (``custseg notebooks DIR [--language en|zh] [--student]``, ``make lab LANG=zh``, ``make student``).

Pure functions on nbformat notebooks, each returning a new notebook:

- :func:`in_language` keeps the prose cells of one language (``lang-en`` or ``lang-zh``,
  :mod:`custseg.report.languages`) and every code cell, and sets the ``overrides`` of the parameters cell so
  that the notebook, run by hand in JupyterLab, prints in that language (``{"language": "zh"}``);
- :func:`for_students` replaces every solution in a code cell — from a line ``### BEGIN SOLUTION`` to a line
  ``### END SOLUTION``, the markers included — by the one line :data:`PLACEHOLDER`, indented like the marker; the
  rest of the cell (the check call after it) is kept. This is the contract with the exercises
  (:mod:`custseg.exercises`), nbgrader's markers.

Every edition has its outputs cleared. Only :func:`write` touches files.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path

import nbformat

from custseg import io
from custseg.errors import ConfigError
from custseg.report import course, languages

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
PLACEHOLDER = "answer = ...  # your answer / 你的答案"
_OVERRIDES = re.compile(r"^overrides\s*=\s*(?P<value>.*?)(?P<comment>\s+#.*)?$", re.M)


def _cleared(nb):
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return out


def strip_solutions(source: str, where: str = "a code cell") -> str:
    """A code cell's source with each solution region replaced by :data:`PLACEHOLDER` (indented like its
    ``### BEGIN SOLUTION`` line); a source without markers comes back unchanged.

    Raises
    ------
    ValueError
        A ``### BEGIN SOLUTION`` without its ``### END SOLUTION`` (or an END without a BEGIN), naming ``where``.
    """
    lines, out, inside = source.split("\n"), [], False
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"{where}, line {number}: a second '{BEGIN}' before the '{END}' of the first")
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + PLACEHOLDER)
        elif marker == END:
            if not inside:
                raise ValueError(f"{where}, line {number}: '{END}' without a '{BEGIN}' before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: '{BEGIN}' without its '{END}'")
    return "\n".join(out)


def for_students(nb, name: str = "the notebook"):
    """The student edition of a notebook: its solutions stripped (:func:`strip_solutions`), its outputs cleared."""
    out = _cleared(nb)
    for i, cell in enumerate(out.cells):
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{name}, cell {cell.get('id', i)}")
    return out


def in_language(nb, language: str):
    """A notebook in one language: the other language's prose cells left out, every code cell kept, the parameters
    cell's ``overrides`` carrying ``language`` (so that JupyterLab runs it in that language), outputs cleared."""
    if language not in languages.TAGS:
        raise ValueError(f"language must be one of {', '.join(languages.TAGS)}, got {language!r}")
    out = _cleared(nb)
    dropped = languages.other_language_tags(language)
    out.cells = [c for c in out.cells if not dropped & set(c.metadata.get("tags", []))]
    for cell in out.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            cell.source = _with_language(cell.source, language)
    return out


def _with_language(source: str, language: str) -> str:
    """A parameters cell whose ``overrides`` (a JSON object in a Python string) also sets ``language``."""
    found = _OVERRIDES.search(source)
    if found is None:
        return source
    try:
        text = ast.literal_eval(found.group("value"))  # a string literal, as papermill writes it
        current = json.loads(text) if text else {}
        current = {**current, "language": language}
    except (ValueError, SyntaxError, TypeError):  # not a literal we can read: leave the cell as it is
        return source
    line = f"overrides = {json.dumps(current)!r}{found.group('comment') or ''}"
    return source[: found.start()] + line + source[found.end():]


def edition(nb, language: str | None = None, student: bool = False, name: str = "the notebook"):
    """A notebook's edition: in one language (``None``: both), for students or with the solutions."""
    out = in_language(nb, language) if language else _cleared(nb)
    return for_students(out, name) if student else out


def write(target: Path, language: str | None = None, student: bool = False, force: bool = False,
          folder: Path = course.NOTEBOOK_DIR) -> tuple[list[Path], list[Path]]:
    """Write the edition of every numbered notebook (00–09) of ``folder`` into ``target``.

    Parameters
    ----------
    target : Path
        The folder to write (made when missing).
    language : {'en', 'zh'}, optional
        Keep this language's prose only.
    student : bool
        Strip the exercises' solutions.
    force : bool
        Replace the copies already in ``target`` (default: keep them — a student's work is in them).
    folder : Path
        Where the notebooks are (default: the project's ``notebooks/``).

    Returns
    -------
    (list of Path, list of Path)
        The notebooks written, and those kept because they were there.

    Raises
    ------
    ConfigError
        ``target`` is the notebooks folder itself, or a solution's markers do not pair up.
    """
    target, folder = Path(target), Path(folder)
    if target.resolve() == folder.resolve():
        raise ConfigError(f"custseg notebooks writes copies: give another folder than {folder} (e.g. lab/zh)")
    books = course.numbered(folder)
    if not books:
        raise ConfigError(f"no numbered notebooks (NN_*.ipynb) in {folder}")
    written, kept = [], []
    for path in books:
        if (target / path.name).exists() and not force:
            kept.append(target / path.name)
            continue
        nb = nbformat.read(path, as_version=4)
        try:
            out = edition(nb, language, student, path.name)
        except ValueError as err:
            raise ConfigError(f"{err}: pair every '{BEGIN}' with an '{END}' line") from None
        written.append(io.write_text(nbformat.writes(out) + "\n", target / path.name))
    return written, kept
