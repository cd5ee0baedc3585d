"""Class editions of the notebooks (custseg.report.editions, `custseg notebooks DIR`): one language, and the student
edition whose solutions (### BEGIN SOLUTION … ### END SOLUTION) are replaced by a line to fill in."""

import json

import nbformat
import pytest

from custseg.errors import ConfigError
from custseg.report import cli, course, editions, languages

PARAMETERS = ('config_path = ""  # YAML config\nrun_name = ""\noverrides = ""  # JSON object of dotted config keys\n'
              'workdir = ""\nreport_dir = ""')
SOLVED = ("k = 4\n"
          "### BEGIN SOLUTION\n"
          "answer = sweep.loc[sweep.silhouette.idxmax(), 'k']\n"
          "### END SOLUTION\n"
          "check.best_k(answer)\n"
          "for name in ('a', 'b'):\n"
          "    ### BEGIN SOLUTION\n"
          "    answer = len(name)\n"
          "    print(answer)\n"
          "    ### END SOLUTION\n"
          "    check.length(name, answer)")


def _notebook():
    nb = nbformat.v4.new_notebook()
    cells = [nbformat.v4.new_markdown_cell("# 1 · Collect", metadata={"tags": ["lang-en"]}),
             nbformat.v4.new_markdown_cell("# 1 · 数据收集", metadata={"tags": ["lang-zh"]}),
             nbformat.v4.new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
             nbformat.v4.new_code_cell(SOLVED),
             nbformat.v4.new_markdown_cell("## Returns", metadata={"tags": ["lang-en", "needs-log"]}),
             nbformat.v4.new_markdown_cell("## 退货", metadata={"tags": ["lang-zh", "needs-log"]}),
             nbformat.v4.new_code_cell("print('no markers here')\n    ### BEGIN SOLUTIONS are not markers")]
    cells[3].outputs = [nbformat.v4.new_output("stream", text="4\n")]
    cells[3].execution_count = 3
    for i, cell in enumerate(cells):
        cell.id = f"c{i}"
    nb.cells = cells
    return nb


@pytest.mark.parametrize("language, kept, dropped", [("zh", "# 1 · 数据收集", "# 1 · Collect"),
                                                     ("en", "# 1 · Collect", "# 1 · 数据收集")])
def test_a_language_edition_keeps_that_languages_prose_and_every_code_cell(language, kept, dropped):
    nb = _notebook()
    out = editions.in_language(nb, language)
    sources = [c.source for c in out.cells]
    assert kept in sources and dropped not in sources
    assert [c.id for c in out.cells if c.cell_type == "code"] == ["c2", "c3", "c6"], "no code cell is left out"
    assert all(languages.TAGS[language] in c.metadata["tags"] for c in out.cells if c.cell_type == "markdown")
    params = out.cells[1].source.splitlines()
    overrides = next(line for line in params if line.startswith("overrides ="))
    assert overrides == f"overrides = '{{\"language\": \"{language}\"}}'  # JSON object of dotted config keys"
    namespace = {}
    exec(out.cells[1].source, namespace)  # the parameters cell still runs, and papermill can still override it
    assert json.loads(namespace["overrides"]) == {"language": language}
    assert not out.cells[2].outputs and out.cells[2].execution_count is None, "outputs cleared"
    assert nb.cells[3].outputs, "the notebook given is left as it was"


def test_a_language_edition_keeps_the_overrides_already_set():
    nb = _notebook()
    nb.cells[2].source = nb.cells[2].source.replace('overrides = ""', 'overrides = \'{"cluster.k": 6}\'')
    params = editions.in_language(nb, "zh").cells[1].source
    namespace = {}
    exec(params, namespace)
    assert json.loads(namespace["overrides"]) == {"cluster.k": 6, "language": "zh"}


def test_the_student_edition_replaces_each_solution_and_keeps_the_checks():
    out = editions.for_students(_notebook())
    assert out.cells[3].source == ("k = 4\n"
                                   "answer = ...  # your answer / 你的答案\n"
                                   "check.best_k(answer)\n"
                                   "for name in ('a', 'b'):\n"
                                   "    answer = ...  # your answer / 你的答案\n"
                                   "    check.length(name, answer)")
    assert "idxmax" not in out.cells[3].source and "SOLUTION" not in out.cells[3].source
    assert not out.cells[3].outputs and out.cells[3].execution_count is None
    assert out.cells[6].source == _notebook().cells[6].source, "a cell without markers is unchanged"
    assert [c.source for c in out.cells if c.cell_type == "markdown"] == \
        [c.source for c in _notebook().cells if c.cell_type == "markdown"], "both languages unless asked"
    compile(out.cells[3].source.replace("...", "None"), "cell", "exec")  # still Python


@pytest.mark.parametrize("source, says", [
    ("### BEGIN SOLUTION\nanswer = 1\n", "without its '### END SOLUTION'"),
    ("answer = 1\n### END SOLUTION\n", "without a '### BEGIN SOLUTION' before it"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "a second '### BEGIN SOLUTION'"),
])
def test_markers_that_do_not_pair_are_an_error_naming_the_cell(source, says):
    with pytest.raises(ValueError, match="07_evaluate.ipynb, cell c0") as caught:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(source)]
        nb.cells[0].id = "c0"
        editions.for_students(nb, "07_evaluate.ipynb")
    assert says in str(caught.value)


def test_custseg_notebooks_writes_the_edition_into_dir_and_keeps_what_is_there(tmp_path, capsys):
    target = tmp_path / "lab" / "zh"
    assert cli.main(["notebooks", str(target), "--language", "zh", "--student"]) == 0
    names = sorted(p.name for p in target.iterdir())
    assert names == [p.name for p in course.numbered()] and names[0] == "00_overview.ipynb"
    assert len(names) == 10 and "TEMPLATE.ipynb" not in names
    assert "wrote 10 notebooks (简体中文 student edition)" in capsys.readouterr().out
    for path in target.iterdir():
        nb = nbformat.read(path, as_version=4)
        prose = [c for c in nb.cells if c.cell_type == "markdown"]
        assert prose and all(languages.TAGS["zh"] in c.metadata["tags"] for c in prose), path.name
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
        assert not any("### BEGIN SOLUTION" in c.source for c in nb.cells)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert "overrides = '{\"language\": \"zh\"}'" in params.source, path.name
    mine = target / "01_collect.ipynb"
    mine.write_text(mine.read_text(encoding="utf-8").replace("数据收集", "我的笔记"), encoding="utf-8")
    assert cli.main(["notebooks", str(target), "--language", "zh"]) == 0
    assert "kept 10 already there" in capsys.readouterr().out and "我的笔记" in mine.read_text(encoding="utf-8")
    assert cli.main(["notebooks", str(target), "--language", "zh", "--force"]) == 0
    assert "我的笔记" not in mine.read_text(encoding="utf-8")


def test_custseg_notebooks_never_writes_over_the_notebooks_themselves(tmp_path, capsys):
    assert cli.main(["notebooks", str(course.NOTEBOOK_DIR)]) == 1
    assert "writes copies: give another folder" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="no numbered notebooks"):
        editions.write(tmp_path / "copies", folder=tmp_path)
    assert not (tmp_path / "copies").exists()


def test_the_editions_make_writes_stay_out_of_git():
    ignored = (course.NOTEBOOK_DIR.parent / ".gitignore").read_text().splitlines()
    assert "/lab/" in ignored and "/student/" in ignored
    makefile = (course.NOTEBOOK_DIR.parent / "Makefile").read_text()
    assert "custseg notebooks lab/$(EDITION) --language $(EDITION)" in makefile
    assert "custseg notebooks student $(if $(EDITION),--language $(EDITION) )--student" in makefile
