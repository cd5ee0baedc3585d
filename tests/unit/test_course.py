"""The course overview (notebooks/00_overview.ipynb, custseg.report.course): it follows the template as far as it
applies, its tables are read from the notebooks and the package, and it runs in the run's language."""

import re

import nbformat
import pytest

from custseg import config, i18n
from custseg.report import course, languages, needs, runner

OVERVIEW = course.NOTEBOOK_DIR / f"{course.OVERVIEW}.ipynb"
PARAMETERS = ["config_path", "run_name", "overrides", "workdir", "report_dir"]


def test_the_overview_follows_the_template_as_far_as_it_applies():
    nb = nbformat.read(OVERVIEW, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(not c.get("outputs") and not c.get("execution_count") for c in nb.cells if c.cell_type == "code")
    assert languages.problems(nb) == [], "every prose cell has its up-to-date 简体中文 twin"
    cells = [c for c in nb.cells if languages.TAGS["zh"] not in c.metadata.get("tags", [])]
    title = cells[0].source
    assert title.startswith("# 0 · ") and "*Reads:*" in title and "*Writes:*" in title
    assert "**Learning goals**" in title and "**Prerequisites:**" in title
    assert 3 <= len(re.findall(r"^\d\. ", title, re.M)) <= 4, "three or four learning goals"
    params = cells[1]
    assert "parameters" in params.metadata["tags"]
    assert [line.split("=")[0].strip() for line in params.source.splitlines() if "=" in line] == PARAMETERS
    assert "config.load_for_notebook(config_path, run_name, overrides, workdir, report_dir)" in cells[2].source
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "pipeline." not in code and "io." not in code, "it reads and writes no artefact"
    headings = [needs.heading(c.source) for c in cells if c.cell_type == "markdown"]
    for wanted in ("Why segment", "STP: a chain, not three topics", "Which notebooks apply to your data",
                   "Cases from the literature", "References", "What's next"):
        assert wanted in headings, wanted
    assert headings[-1] == "What's next" and headings[-2] == "References"
    refs = next(c.source for c in cells if needs.heading(c.source) == "References")
    cases = next(c.source for c in cells if needs.heading(c.source) == "Cases from the literature")
    cited = re.findall(r"\*\*[^*]+\*\* \(([A-Z][a-z]+)[^)]*?(\d{4})\)", cases)
    assert len(cited) >= 3, cases
    for author, year in cited:
        assert re.search(rf"^- {author}, .*\({year}\)", refs, re.M), (author, year)  # every case is cited
    assert "illustrative" in cases


def test_the_overview_minutes_and_titles_come_from_each_notebook():
    books = course.books()
    assert [b.stem for b in books] == [course.OVERVIEW, *(p.stem for p in runner.notebooks())]
    assert books[0].minutes == 30 and {b.stem: b.minutes for b in books}["05_cluster"] == 90
    assert books[5].title == {"en": "5 · Cluster the customers", "zh": "5 · 客户聚类"}
    steps = course.steps_table("en")
    assert len(steps) == 7 and steps["minutes"].sum() == sum(b.minutes for b in books[1:])
    taught = [s for _, stems in course.STEPS for s in stems]
    assert sorted(taught) == [p.stem for p in runner.notebooks()], "every notebook 01-09 teaches one step"


def test_a_notebook_without_its_time_is_named(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 1 · A", metadata={"tags": ["lang-en"]}),
                nbformat.v4.new_markdown_cell("# 1 · 甲", metadata={"tags": ["lang-zh"]})]
    nbformat.write(nb, tmp_path / "01_a.ipynb")
    with pytest.raises(ValueError, match=r"01_a.ipynb: its first cell says no '\*\*Time:\*\* about N minutes'"):
        course.books(tmp_path)


def _book(folder, stem, *prose):
    nb = nbformat.v4.new_notebook()
    for i, (text, tags) in enumerate(prose):
        for lang in ("en", "zh"):
            cell = nbformat.v4.new_markdown_cell(text, metadata={"tags": [languages.TAGS[lang], *tags]})
            cell.id = f"{lang}{i}"
            nb.cells.append(cell)
    nbformat.write(nb, folder / f"{stem}.ipynb")


def test_the_shapes_table_reads_each_notebooks_needs_against_each_shape(tmp_path):
    text = {"intro": "# 4 · Features\n\n**Time:** about 60 minutes. " + "word " * 40,
            "log": "## RFM\n\n" + "word " * 50,
            "survey": "## Factors\n\n" + "word " * 100, "campaign": "## Campaign\n\n" + "word " * 10}
    words = {k: len(v.split()) for k, v in text.items()}
    _book(tmp_path, "04_features", (text["intro"], []), (text["log"], ["needs-log"]),
          (text["survey"], ["needs-survey"]), (text["campaign"], ["needs-campaign"]))
    row = course.shapes_table("en", tmp_path).set_index("notebook").loc["4 · Features"]
    total = sum(words.values())

    def share(*parts):  # a campaign is a config option: its prose counts as shown on every shape
        return i18n.percent(sum(words[p] for p in ("intro", "campaign", *parts)) / total)

    assert row["a log only"] == f"{share('log')} — without a survey"
    assert row["log + CRM"] == "all"
    assert row["a customer table"] == f"{share()} — without a log and a survey"
    assert row["a survey"] == f"{share('survey')} — without a log"
    assert row["on any data, when configured"] == "a campaign"
    zh = course.shapes_table("zh", tmp_path).set_index("笔记本")
    assert zh.loc["4 · Features", "交易流水 + 客户表"] == "全部"
    assert zh.loc["4 · Features", "客户表"] == f"{share()}——缺少交易流水和问卷"


def test_the_shapes_are_data_needs_and_every_shape_has_its_example():
    assert set(needs.DATA_NEEDS) | set(needs.OPTION_NEEDS) == set(needs.NEEDS)
    for name, shape in needs.SHAPES.items():
        assert shape.meets <= set(needs.DATA_NEEDS), name
        assert (config.PROJECT_ROOT / "configs" / f"{shape.example}.yaml").is_file(), name
    shown = course.shapes_list("zh")
    assert list(shown["示例配置"]) == [f"configs/{s.example}.yaml" for s in needs.SHAPES.values()]


def test_the_course_path_cuts_the_notebooks_into_classes():
    minutes = [("00", 30), ("01", 40), ("02", 40), ("03", 30), ("04", 60), ("05", 90), ("06", 60), ("07", 75),
               ("08", 60), ("09", 45)]
    classes = course.path(minutes)
    assert all(sum(n for _, n, _ in c) <= 90 for c in classes) and len(classes) == 6
    assert sum(n for c in classes for _, n, _ in c) == 530, "every minute is in a class"
    assert all(n >= 15 for c in classes for _, n, _ in c), "no piece shorter than 15 minutes"
    assert classes[0] == [("00", 30, 30), ("01", 40, 40), ("02", 20, 40)]
    assert classes[3] == [("05", 20, 90), ("06", 60, 60)], "10 minutes left: 07 starts the next class"
    assert course.path([("a", 200)]) == [[("a", 90, 200)], [("a", 90, 200)], [("a", 20, 200)]]
    with pytest.raises(ValueError, match="cannot hold"):
        course.path(minutes, class_minutes=20)
    table = course.path_table("zh")
    assert table["分钟"].sum() == sum(b.minutes for b in course.books())
    assert "（40 分钟中的 20）" in table.loc[0, "内容（分钟）"]


def test_the_overview_runs_in_the_runs_language_only(tmp_path):
    """What `custseg run` does with it: papermill in the run's language, then the page keeps that language."""
    tiny = config.PROJECT_ROOT / "configs" / "tiny.yaml"
    parameters = {"config_path": str(tiny), "run_name": "r", "overrides": '{"language": "zh"}',
                  "workdir": str(tmp_path), "report_dir": str(tmp_path / "report")}
    runner.check_parameters(OVERVIEW, parameters)
    runner.execute(OVERVIEW, tmp_path / "00.ipynb", parameters)
    executed = nbformat.read(tmp_path / "00.ipynb", as_version=4)
    assert not [o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    html = runner.to_html(tmp_path / "00.ipynb", tmp_path / "00.html", language="zh").read_text(encoding="utf-8")
    assert "为什么要细分" in html and "Why segment" not in html
    assert "课次" in html and "（40 分钟中的 20）" in html and "只有交易流水" in html, "the tables are in Chinese"
    assert "from custseg" not in html
    assert not (tmp_path / "data").exists(), "it writes no artefact"


def test_every_need_has_a_short_name_in_both_languages_for_the_course_tables():
    """A need added to custseg.report.needs must be named in the overview's tables too (else 00 fails to run)."""
    from custseg import i18n
    from custseg.report import needs as needs_module

    for language in ("en", "zh"):
        assert set(needs_module.NEEDS) <= set(i18n.messages(language)["course"]["needs"]), language
