"""The needs of the notebooks' prose (custseg.report.needs): what a run meets, the tags in the notebooks, and
the preprocessor that leaves unmet cells out of the HTML report with one line."""

import nbformat
import pytest

from custseg import config, io, pipeline
from custseg.report import languages, leave_out, needs, runner
from custseg.report.needs import LEFT_OUT_TAG


def test_the_tiny_run_meets_what_its_data_has(tiny_run):
    cfg, paths, _ = tiny_run
    met = needs.met(cfg, paths)
    assert set(met) == set(needs.NEEDS)
    for tag in ("needs-log", "needs-holdout", "needs-survey", "needs-campaign", "needs-rule-segments",
                "needs-baskets", "needs-crm", "needs-value"):
        assert met[tag], tag
    assert not met["needs-baseline"]  # the tiny demo has no baseline run
    assert not met["needs-nested-labels"] and not met["needs-structural-blanks"]  # its CRM has neither trap
    assert met["needs-outcomes"] == bool(cfg["outcomes"])


def test_a_customer_table_meets_no_need_of_a_log(tmp_path):
    cfg = config.load(config.PROJECT_ROOT / "configs" / "subscribers_example.yaml",
                      {"demo.n_customers": 300, "cluster.stability_runs": 0})
    cfg["paths"]["workdir"], cfg["run"] = str(tmp_path), "subs"
    paths = io.run_paths(cfg).make()
    pipeline.run_stages(cfg, paths, until="05_cluster")
    met = needs.met(cfg, paths)
    assert met["needs-outcomes"] and met["needs-attributes"] and met["needs-crm"]  # Churn; the table's own columns
    assert met["needs-nested-labels"] and met["needs-structural-blanks"]  # the generator carries both traps
    assert not any(met[t] for t in ("needs-log", "needs-holdout", "needs-survey", "needs-baseline", "needs-campaign",
                                    "needs-later-snapshot", "needs-baskets")), met


def _book():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## Who are the customers?\n\nA frequency table counts labels."),
                nbformat.v4.new_markdown_cell(f"{needs.applies_line(['needs-log'])}\n\n## Why RFM?\n\nRecency."),
                nbformat.v4.new_markdown_cell(f"{needs.applies_line(['needs-log'])}\n\nMonetary is net spend."),
                nbformat.v4.new_markdown_cell(f"{needs.applies_line(['needs-survey'])}\n\n## Factor analysis\n\nKMO."),
                nbformat.v4.new_code_cell("1 + 1")]
    nb.cells[1].metadata["tags"] = nb.cells[2].metadata["tags"] = ["needs-log"]
    nb.cells[3].metadata["tags"] = ["needs-survey"]
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    return nb


def _run(met, language="en"):
    pre = leave_out.LeaveOutPreprocessor(met=met, language=language, enabled=True)
    return pre.preprocess(_book(), {})[0].cells


def test_unmet_cells_become_one_line_and_met_cells_stay():
    cells = _run({"needs-log": False, "needs-survey": True})
    texts = [c.source for c in cells]
    assert len(cells) == 4  # the two consecutive needs-log cells became one line
    assert texts[1] == ("*Left out: Why RFM? — it needs a transaction log; `sources.transactions` brings it.*")
    assert cells[1].metadata["tags"] == [needs.LEFT_OUT_TAG]
    assert "Recency" not in "".join(texts) and "net spend" not in "".join(texts)
    assert "KMO" in texts[2] and texts[3] == "1 + 1" and "frequency table" in texts[0]
    kept = _run({"needs-log": True, "needs-survey": True})
    assert [c.source for c in kept] == [c.source for c in _book().cells]
    assert len({c.id for c in cells}) == len(cells)


def test_the_left_out_line_speaks_the_report_language_and_names_every_unmet_need():
    cells = _run({"needs-log": True, "needs-survey": False}, language="zh")
    # the section goes on to show its code: its heading stays, its prose is a part left out
    assert cells[3].source == ("## Factor analysis\n\n"
                               "*已略去：“Factor analysis”的一部分 —— 需要问卷调查数据；`sources.survey` 可以提供。*")
    line = needs.left_out_line("Calibration and holdout", ["needs-log", "needs-holdout"], "en")
    assert "a transaction log and a holdout period" in line and line.endswith("bring them.*")


def test_a_heading_less_cell_is_named_after_its_section_or_joins_its_left_out_section():
    nb = _book()
    nb.cells[1].metadata["tags"] = []  # the section "Why RFM?" is kept, the cell after it is not
    nb.cells.insert(3, nbformat.v4.new_code_cell("2 + 2"))
    nb.cells[3].id = "code"
    cells = leave_out.LeaveOutPreprocessor(met={}, enabled=True).preprocess(nb, {})[0].cells
    assert cells[2].source.startswith("*Left out: a part of “Why RFM?” — it needs a transaction log")
    book = _book()
    book.cells.insert(2, nbformat.v4.new_code_cell("2 + 2"))
    book.cells[2].id = "code"
    survey = book.cells[4].source
    cells = leave_out.LeaveOutPreprocessor(met={"needs-survey": True}, enabled=True).preprocess(book, {})[0].cells
    # the section shows its code, so its heading stays and its prose is a part left out (never "Left out: Why
    # RFM?" above what is then shown); the heading-less needs-log cell after the code joins it: no second line
    assert [c.source.split(" —")[0] for c in cells[1:4]] == ["## Why RFM?\n\n*Left out: a part of “Why RFM?”",
                                                            "2 + 2", survey]


def test_a_section_left_out_for_two_needs_swallows_its_cells_lacking_one_and_the_next_section_gets_its_line():
    """04 on a table: "Calibration and holdout" needs a log and a holdout; its code cells need the log only and
    add no line; the RFM section after it needs the log again and is named; a quiet cell is left out silently."""
    both, log = ["needs-log", "needs-holdout"], ["needs-log"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## Calibration and holdout\n\nSplit in time."),
                nbformat.v4.new_code_cell("print(cal)"), nbformat.v4.new_markdown_cell("Read bought_again."),
                nbformat.v4.new_markdown_cell("## RFM scores\n\nQuintiles."), nbformat.v4.new_code_cell("rfm"),
                nbformat.v4.new_markdown_cell("## References\n\n- Kotler."),
                nbformat.v4.new_markdown_cell("- Hughes (1994), RFM.")]
    tagged = [both, log, both, log, log, [], [*log, needs.QUIET_TAG]]
    for i, (cell, tags) in enumerate(zip(nb.cells, tagged, strict=True)):
        cell.id, cell.metadata["tags"] = f"c{i}", tags
    cells = leave_out.LeaveOutPreprocessor(met={}, enabled=True).preprocess(nb, {})[0].cells
    assert [c.source.split(" —")[0] for c in cells] == ["*Left out: Calibration and holdout", "*Left out: RFM scores",
                                                          "## References\n\n- Kotler."]


def test_the_html_report_leaves_unmet_cells_out(tmp_path):
    path = tmp_path / "book.ipynb"
    nbformat.write(_book(), path)
    html = runner.to_html(path, tmp_path / "book.html", {"needs-log": False, "needs-survey": True}, "en").read_text()
    assert "Left out: Why RFM?" in html and "net spend" not in html and "KMO" in html
    every = runner.to_html(path, tmp_path / "all.html").read_text()
    assert "net spend" in every and "Left out" not in every


@pytest.mark.parametrize("book", runner.notebooks(), ids=lambda p: p.stem)
def test_every_tagged_cell_names_a_known_need_and_says_so_at_its_top(book):
    nb = nbformat.read(book, as_version=4)
    tagged = [c for c in nb.cells if needs.tags_of(c)]
    for cell in tagged:
        tags = needs.tags_of(cell)
        assert set(tags) <= set(needs.NEEDS), (cell.id, tags)
        if cell.cell_type == "markdown":  # prose says so at its top; a code cell's output is left out with it
            language = "zh" if languages.TAGS["zh"] in cell.metadata.get("tags", []) else "en"  # a twin in 简体中文
            assert cell.source.startswith(needs.applies_line(tags, language) + "\n"), cell.id
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids))
    section = None
    for cell in nb.cells:  # a log's or a survey's entries in the references leave no "Left out" line when absent
        title = needs.heading(cell.source) if cell.cell_type == "markdown" else None
        section = title or section
        if section in ("References", "参考文献") and not title and needs.tags_of(cell):
            assert needs.QUIET_TAG in cell.metadata["tags"], cell.id


def test_a_survey_in_the_customer_table_meets_the_survey_need(tmp_path):
    """The survey example has its Likert answers in the customer table (no sources.survey): 04 factors them, so
    the prose of its factor analysis (needs-survey) stays in the report."""
    cfg = config.load(config.PROJECT_ROOT / "configs" / "survey_example.yaml",
                      {"demo.n_customers": 300, "cluster.stability_runs": 0})
    cfg["paths"]["workdir"], cfg["run"] = str(tmp_path), "survey"
    paths = io.run_paths(cfg).make()
    pipeline.run_stages(cfg, paths, until="04_features")
    assert not io.exists(paths, "collected_survey")
    met = needs.met(cfg, paths)
    assert met["needs-survey"] and met["needs-attributes"] and not met["needs-log"], met
    decided = ("needs-log", "needs-holdout", "needs-crm", "needs-attributes", "needs-survey", "needs-nested-labels",
               "needs-structural-blanks")  # by 01-04 (the course overview's table: needs.SHAPES)
    assert {t for t in decided if met[t]} == needs.SHAPES["survey"].meets & set(decided)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("book", runner.notebooks(), ids=lambda p: p.stem)
def test_no_left_out_line_is_followed_by_what_it_left_out(book, language):
    """On a run that meets no need, a "Left out: <section>" line is never followed by a cell of that section the
    page shows (the size-and-value table under "Left out: Size and value"): such a section keeps its heading and
    says a part of it was left out."""
    nb = nbformat.read(book, as_version=4)
    nb.cells = [c for c in nb.cells if not set(c.metadata.get("tags", [])) & languages.other_language_tags(language)]
    cells = leave_out.LeaveOutPreprocessor(met={}, language=language, enabled=True).preprocess(nb, {})[0].cells
    whole = None
    for cell in cells:
        out = LEFT_OUT_TAG in cell.metadata.get("tags", [])
        title = needs.heading(cell.source) if cell.cell_type == "markdown" else None
        if title or (out and not whole):
            whole = cell.source.split(" —")[0] if out and not title and "“" not in cell.source.split(" —")[0] \
                else None
            continue
        assert out or whole is None, (book.stem, cell.id, whole)


def test_a_section_shown_keeps_its_heading_and_leaves_out_its_prose():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"{needs.applies_line(['needs-log'])}\n\n## Size and value\n\nShares.",
                                              metadata={"tags": ["needs-log"]}),
                nbformat.v4.new_code_cell("prof")]
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    kept = leave_out.LeaveOutPreprocessor(met={}, enabled=True).preprocess(nb, {})[0].cells
    assert kept[0].source.startswith("## Size and value\n\n*Left out: a part of “Size and value” — it needs a "
                                     "transaction log") and "Shares" not in kept[0].source
    assert kept[1].source == "prof"


def test_a_section_left_out_takes_its_table_with_it():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"{needs.applies_line(['needs-value'])}\n\n## Size and value\n\nShares.",
                                              metadata={"tags": ["needs-value"]}),
                nbformat.v4.new_code_cell("prof", metadata={"tags": ["needs-value"]})]
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    kept = leave_out.LeaveOutPreprocessor(met={"needs-value": False}, enabled=True).preprocess(nb, {})[0].cells
    assert [c.source.split(" —")[0] for c in kept] == ["*Left out: Size and value"]


# what a log of id, date and amount meets (configs/log_only_example.yaml): no customer table, no categories
LOG_ONLY = {"needs-log": True, "needs-holdout": True, "needs-value": True}
CRM_WORDS = r"\bcity\b|\bcities\b|city tier|\btier-1\b|\bgender\b|age group|\bmembership\b|\bbirth"


@pytest.mark.parametrize("book", [b for b in runner.notebooks() if b.stem in ("01_collect", "06_personas")],
                         ids=lambda p: p.stem)
def test_the_generic_prose_of_a_log_only_run_names_no_crm_column(book):
    """01's and 06's prose on a log of id, date and amount: no city, gender, membership … (issue 24)."""
    import re

    nb = nbformat.read(book, as_version=4)
    nb.cells = [c for c in nb.cells if not set(c.metadata.get("tags", [])) & languages.other_language_tags("en")]
    cells = leave_out.LeaveOutPreprocessor(met=LOG_ONLY, language="en", enabled=True).preprocess(nb, {})[0].cells
    said = [(c.get("id"), m.group()) for c in cells if c.cell_type == "markdown"
            and LEFT_OUT_TAG not in c.metadata.get("tags", []) for m in [re.search(CRM_WORDS, c.source, re.I)] if m]
    assert not said, said
