"""Two languages from one notebook: twins, stale translations, and the report keeping the run's language."""

import nbformat
import pytest

from custseg.report import languages, needs, runner

# the shipped notebooks whose every prose cell has an up-to-date 简体中文 twin
BILINGUAL = ["01_collect", "02_clean", "06_personas", "07_evaluate", "09_measure"]
# the one exception, kept explicit: the closing section's prose ("## What we did / what's next" and what comes next;
# the summary itself is a code cell rendered from the run's stage records in the run's language) is not translated
# yet and stays English-only and untagged (06_personas has none left: its closing cells have twins)
CLOSING = "What we did"


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    for i, (kind, source, tags) in enumerate(cells):
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        cell = make(source, metadata={"tags": list(tags)})
        cell.id = f"c{i}"
        nb.cells.append(cell)
    return nb


def _bilingual():
    return _notebook(("md", "# Collect\n\nWe read the sources.", ["lang-en"]),
                     ("md", "# 数据收集\n\n我们读取数据源。", ["lang-zh"]),
                     ("code", "print(1)", []),
                     ("md", "## Returns\n\nReturns give money back.", ["lang-en", "needs-log"]),
                     ("md", "## 退货\n\n退货会退回金额。", ["lang-zh", "needs-log"]))


def test_a_stamped_bilingual_notebook_has_no_problems_and_a_changed_english_is_stale():
    nb = _bilingual()
    assert len(languages.problems(nb)) == 2  # two twins never stamped: their English is unknown
    assert languages.stamp(nb) == 2 and languages.problems(nb) == []
    assert languages.stamp(nb) == 0
    nb.cells[0].source += "\nAnd we check them."
    assert languages.problems(nb) == ["cell c1: stale translation — the English of cell c0 changed after its twin "
                                      "was written (update the twin, then `stamp`)"]
    nb.cells[0].source = "# Collect\n\nWe read the sources.   \n"  # trailing spaces are no change
    assert languages.problems(nb) == []


@pytest.mark.parametrize("edit, expected", [
    (lambda nb: nb.cells.pop(1), "cell c0: no 简体中文 twin"),
    (lambda nb: nb.cells[3].metadata.update(tags=["needs-log"]), "cell c3: a prose cell needs exactly one of"),
    (lambda nb: nb.cells[4].metadata.update(tags=["lang-zh"]), "cell c4: its needs-… tags [] differ"),
    (lambda nb: nb.cells.pop(3), "cell c4: a lang-zh cell that follows no English cell"),
])
def test_each_kind_of_problem_is_named_with_its_cell(edit, expected):
    nb = _bilingual()
    languages.stamp(nb)
    edit(nb)
    assert any(line.startswith(expected) for line in languages.problems(nb)), languages.problems(nb)


@pytest.mark.parametrize("language, kept, dropped", [("en", "We read the sources", "我们读取数据源"),
                                                     ("zh", "我们读取数据源", "We read the sources")])
def test_the_report_keeps_the_runs_language_and_leaves_out_in_it(tmp_path, language, kept, dropped):
    nb = _bilingual()
    languages.stamp(nb)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    html = runner.to_html(path, tmp_path / "nb.html", met={"needs-log": False}, language=language).read_text()
    assert kept in html and dropped not in html
    left_out = "已略去：退货" if language == "zh" else "Left out: Returns"
    assert html.count(left_out) == 1 and "Returns give money back" not in html


def test_the_stamp_command_writes_the_hashes_and_check_reports(tmp_path, capsys):
    path = tmp_path / "nb.ipynb"
    nbformat.write(_bilingual(), path)
    assert languages.main(["check", str(path)]) == 1
    assert languages.main(["stamp", str(path)]) == 0
    assert "2 twin(s) stamped" in capsys.readouterr().out
    assert languages.problems(nbformat.read(path, as_version=4)) == []


def _closing(nb) -> list[str]:
    """The ids of the untagged prose cells of the closing section (from its "## What we did" heading to the end):
    the one exception above."""
    start = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
                  and (needs.heading(c.source) or "").startswith(CLOSING)), len(nb.cells))
    return [c.id for c in nb.cells[start:] if c.cell_type == "markdown"
            and not set(c.get("metadata", {}).get("tags", [])) & set(languages.TAGS.values())]


@pytest.mark.parametrize("name", BILINGUAL)
def test_every_prose_cell_of_a_bilingual_notebook_has_an_up_to_date_twin(name):
    nb = nbformat.read(runner.NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    closing = _closing(nb)
    assert [p for p in languages.problems(nb) if not any(p.startswith(f"cell {i}:") for i in closing)] == []
    assert len(closing) <= 2, "the exception covers the closing heading and what comes next only"
