"""The report's one preprocessor of the needs (:mod:`custseg.report.needs`): nbconvert leaves out the prose and
code cells whose data a run does not have, one "left out" line in their place. Its own module, so that a notebook
kernel reading the needs does not import nbconvert."""

from __future__ import annotations

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Dict, Unicode

from custseg.report.needs import _HEADING, LEFT_OUT_TAG, QUIET_TAG, heading, left_out_line, tags_of


class LeaveOutPreprocessor(Preprocessor):
    """Replace every cell whose needs the run does not meet by one "left out" line; keep every other cell.

    One line stands for a whole left-out section: the cells after a left-out heading that lack the same needs or
    some of them (up to the next heading) and consecutive left-out cells lacking the same needs add no line of
    their own. A left-out cell without a heading inside a kept section is named as a part of that section. A
    left-out cell tagged :data:`QUIET_TAG` adds no line at all.

    A left-out heading whose section goes on to show a cell (a table every run has, under prose some runs lack)
    keeps its heading and says that a part of it was left out: a line never says "Left out: Size and value" above
    the size-and-value table.
    """

    met = Dict(help="need tag → whether the run meets it (see custseg.report.needs.met)").tag(config=True)
    language = Unicode("en", help="the report's language: en or zh").tag(config=True)

    def preprocess(self, nb, resources):
        """Return ``nb`` with the unmet cells replaced, and ``resources`` unchanged."""
        cells, section, section_out, previous = [], "", None, None
        shown = self._sections_shown(nb.cells)
        for i, cell in enumerate(nb.cells):
            unmet = [t for t in tags_of(cell) if not self.met.get(t, False)]
            title = heading(cell.source) if cell.cell_type == "markdown" else None
            if title:
                section, section_out = title, None
            if title and unmet and i in shown:  # the section is shown: its heading stays, its prose is left out
                kept = nbformat.v4.new_markdown_cell(f"{_HEADING.search(cell.source).group(0).strip()}\n\n"
                                                     + left_out_line(self._part(title), unmet, self.language),
                                                     metadata={"tags": [LEFT_OUT_TAG]})
                kept.id = f"{cell.id}-out"
                cells.append(kept)
                previous, section_out = unmet, unmet
                continue
            if not unmet:
                cells.append(cell)
                previous = None
                continue
            if QUIET_TAG in cell.metadata.get("tags", []):
                continue
            if unmet == previous or (not title and section_out is not None and set(unmet) <= set(section_out)):
                section_out = unmet if title else section_out
                previous = unmet
                continue
            about = title or (self._part(section) if section else "—")
            cells.append(self._line(cell.id, about, unmet))
            previous, section_out = unmet, unmet if title else section_out
        nb.cells = cells
        return nb, resources

    def _sections_shown(self, cells) -> set[int]:
        """The positions of the headings whose section (up to the next heading) has a cell the run keeps."""
        out, start = set(), None
        for i, cell in enumerate(cells):
            if cell.cell_type == "markdown" and heading(cell.source):
                start = i
            elif start is not None and not [t for t in tags_of(cell) if not self.met.get(t, False)]:
                out.add(start)
        return out

    def _part(self, section: str) -> str:
        return f"“{section}”的一部分" if self.language == "zh" else f"a part of “{section}”"

    def _line(self, cell_id: str, about: str, unmet: list[str]):
        line = nbformat.v4.new_markdown_cell(left_out_line(about, unmet, self.language),
                                             metadata={"tags": [LEFT_OUT_TAG]})
        line.id = f"{cell_id}-out"
        return line
