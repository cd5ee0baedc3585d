"""The course around the notebooks (``notebooks/00_overview.ipynb``): the seven steps of the method mapped to the
notebooks, which notebooks apply to which shape of data, and a course path built from each notebook's minutes.

Every table is read from the notebooks themselves (their titles, the ``**Time:**`` of their first cell, the
``needs-…`` tags of their prose) and from :data:`custseg.report.needs.SHAPES` (what each shape of data meets), in
the language of the run, so the overview cannot drift from the notebooks it describes. Nothing here reads or
writes a run's artefacts: the overview costs a second or two in every ``custseg run``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

from custseg import i18n
from custseg.config import PROJECT_ROOT
from custseg.report import languages, needs

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
OVERVIEW = "00_overview"  # the course overview: run and linked first by `custseg run`, never a stage
CLASS_MINUTES = 90
LEAST_MINUTES = 15  # the shortest piece of a notebook a class of the course path takes
# the seven steps of the method (/work/shared/METHODOLOGY.md, docs/method/index.md) → the notebooks teaching them
STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("collect", ("01_collect",)), ("clean", ("02_clean",)), ("describe", ("03_describe",)),
    ("segment", ("04_features", "05_cluster")), ("evaluate", ("07_evaluate",)),
    ("target", ("06_personas", "08_target")), ("measure", ("09_measure",)))
_TIME = re.compile(r"\*\*Time:\*\*\s*about\s+(\d+)\s+minutes")
_BRACKETED = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")  # the other language's name after a title


def numbered(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The numbered notebooks (``NN_*.ipynb``: the overview 00 and the stages 01–09), in order."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


@dataclass(frozen=True)
class Notebook:
    """What the course needs of one notebook, read from its cells."""

    stem: str
    title: dict[str, str]  # language → its title ("5 · Cluster the customers"), without the other language's name
    minutes: int  # the first number of its "**Time:** about N minutes"
    prose: tuple[tuple[tuple[str, ...], int], ...]  # each English prose cell: (its needs tags, its words)

    @property
    def needs(self) -> list[str]:
        """The needs its prose names, in the order of :data:`custseg.report.needs.NEEDS`."""
        used = {t for tags, _ in self.prose for t in tags}
        return [t for t in needs.NEEDS if t in used]

    def shown(self, met: set[str]) -> float:
        """The share of its English prose (in words) a run meeting ``met`` shows."""
        total = sum(n for _, n in self.prose)
        return sum(n for tags, n in self.prose if set(tags) <= met) / total if total else 1.0


def read(path: Path) -> Notebook:
    """The course's view of one notebook.

    Raises
    ------
    ValueError
        Its first cell has no ``**Time:** about N minutes`` or it has no title in one of the languages.
    """
    cells = nbformat.read(path, as_version=4).cells
    prose = {lang: [c for c in cells if c.cell_type == "markdown" and tag in c.metadata.get("tags", [])]
             for lang, tag in languages.TAGS.items()}
    title = {}
    for lang, found in prose.items():
        heading = needs.heading(found[0].source) if found else None
        if heading is None:
            raise ValueError(f"{path.name}: no {lang} title cell (a '# N · Title' cell tagged "
                             f"{languages.TAGS[lang]}), which the course overview lists")
        title[lang] = _BRACKETED.sub("", heading)
    time = _TIME.search(prose["en"][0].source)
    if time is None:
        raise ValueError(f"{path.name}: its first cell says no '**Time:** about N minutes', from which the course "
                         "path is built")
    words = tuple((tuple(needs.tags_of(c)), len(c.source.split())) for c in prose["en"])
    return Notebook(path.stem, title, int(time.group(1)), words)


def books(folder: Path = NOTEBOOK_DIR) -> list[Notebook]:
    """The overview and the notebooks 01–09, as the course sees them."""
    return [read(p) for p in numbered(folder)]


def _m(language: str) -> dict:
    return i18n.messages(language)["course"]


def steps_table(language: str = "en", folder: Path = NOTEBOOK_DIR) -> pd.DataFrame:
    """The seven steps of the method, the notebooks teaching each and their minutes."""
    m, found = _m(language), {b.stem: b for b in books(folder)}
    rows = [{m["headers"]["step"]: f"{i}. {m['steps'][step]}",
             m["headers"]["notebooks"]: " · ".join(found[s].title[language] for s in stems),
             m["headers"]["minutes"]: sum(found[s].minutes for s in stems)}
            for i, (step, stems) in enumerate(STEPS, start=1)]
    return pd.DataFrame(rows)


def shapes_table(language: str = "en", folder: Path = NOTEBOOK_DIR) -> pd.DataFrame:
    """Which notebooks apply to which shape of data: for each notebook 01–09 and each shape of
    :data:`custseg.report.needs.SHAPES`, the share of its prose a run of that shape shows and what the rest needs;
    the last column names the needs that a config option brings on any data (a campaign, rule segments …).

    Every notebook runs on every shape; a cell names what its page leaves out there (the ``needs-…`` tags of its
    prose against the data needs the shape meets)."""
    m = _m(language)
    short = m["needs"]
    rows = []
    for book in books(folder):
        if book.stem == OVERVIEW:
            continue
        row = {m["headers"]["notebook"]: book.title[language]}
        for name, shape in needs.SHAPES.items():
            unmet = [t for t in book.needs if t in needs.DATA_NEEDS and t not in shape.meets]
            share = book.shown(set(shape.meets) | set(needs.OPTION_NEEDS))
            row[m["shapes"][name]] = m["all"] if not unmet else m["partly"].format(
                share=i18n.percent(share), needs=i18n.join([short[t] for t in unmet], language))
        options = [short[t] for t in book.needs if t in needs.OPTION_NEEDS]
        row[m["headers"]["options"]] = i18n.join(options, language) if options else m["none"]
        rows.append(row)
    return pd.DataFrame(rows)


def shapes_list(language: str = "en") -> pd.DataFrame:
    """The shapes of data :func:`shapes_table` names, each with its shipped example config."""
    m = _m(language)
    h = m["headers"]
    return pd.DataFrame([{h["shape"]: m["shapes"][name], h["what"]: m["shapes_long"][name],
                          h["example"]: f"configs/{shape.example}.yaml"} for name, shape in needs.SHAPES.items()])


def path(minutes: list[tuple[str, int]], class_minutes: int = CLASS_MINUTES,
         least: int = LEAST_MINUTES) -> list[list[tuple[str, int, int]]]:
    """A course path: the notebooks in order, cut into classes of ``class_minutes``.

    A notebook that does not fit in what is left of a class goes on in the next one, never in a piece shorter than
    ``least`` minutes: a class whose last minutes are fewer than that ends early (time for questions).

    Parameters
    ----------
    minutes : list of (str, int)
        Each notebook and its minutes, in order.
    class_minutes : int
        The length of one class.
    least : int
        The shortest piece of a notebook a class takes.

    Returns
    -------
    list of list of (str, int, int)
        Per class, its pieces: (notebook, minutes in this class, the notebook's minutes).
    """
    if class_minutes < 2 * least or least <= 0:
        raise ValueError(f"a class of {class_minutes} minutes cannot hold two pieces of at least {least} minutes")
    classes: list[list[tuple[str, int, int]]] = [[]]
    left = class_minutes
    for stem, total in minutes:
        remaining = total
        while remaining > 0:
            take = min(remaining, left)
            if take < remaining:  # a piece now and the rest later: each at least `least` minutes
                take = min(take, remaining - least)
            if take < min(least, remaining):  # too little time left in this class: the notebook starts the next
                classes.append([])
                left = class_minutes
                continue
            classes[-1].append((stem, take, total))
            remaining, left = remaining - take, left - take
    return [c for c in classes if c]


def path_table(language: str = "en", folder: Path = NOTEBOOK_DIR,
               class_minutes: int = CLASS_MINUTES) -> pd.DataFrame:
    """The course path (:func:`path`) of the overview and the notebooks 01–09, one row per class."""
    m, found = _m(language), books(folder)
    titles = {b.stem: b.title[language] for b in found}
    rows = []
    for i, pieces in enumerate(path([(b.stem, b.minutes) for b in found], class_minutes), start=1):
        text = [m["piece"].format(title=titles[s], minutes=n) if n == total
                else m["split"].format(title=titles[s], minutes=n, total=total) for s, n, total in pieces]
        rows.append({m["headers"]["class"]: i, m["headers"]["plan"]: " · ".join(text),
                     m["headers"]["minutes"]: sum(n for _, n, _ in pieces)})
    return pd.DataFrame(rows)


def show(table: pd.DataFrame):
    """A table for the overview's page: without the row numbers."""
    return table.style.hide(axis="index")
