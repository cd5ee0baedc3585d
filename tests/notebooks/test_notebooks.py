"""The notebooks as ``custseg run`` runs them (papermill, parameters injected), on the tiny config.

Each notebook of the run must have executed without an error, written its stage's declared artefacts and
recorded its stage,
and follow notebooks/TEMPLATE.ipynb: a title with what it reads and writes, a ``parameters`` cell, the one
setup call, and a closing "What we did" section written from the run's stage records. Everything is written into a
temp dir.
"""

import hashlib
import json
import re

import nbformat
import pytest
from nbclient import NotebookClient

from custseg import config, exercises, i18n, io, pipeline
from custseg.report import charts, course, languages, needs, runner

BOOKS = runner.notebooks()
TINY = config.PROJECT_ROOT / "configs" / "tiny.yaml"
PARAMETERS = ["config_path", "run_name", "overrides", "workdir", "report_dir"]


@pytest.fixture(scope="module")
def workspace(tiny_report):
    """The tiny run's config and paths (its report folder as the notebooks' report_dir)."""
    workdir, reports = tiny_report
    cfg = config.load(TINY)
    cfg["paths"]["workdir"], cfg["run"], cfg["_report_dir"] = str(workdir), "r", str(reports)
    return cfg, io.run_paths(cfg), reports


@pytest.mark.parametrize("book", BOOKS, ids=[b.stem for b in BOOKS])
def test_notebook_runs_and_writes_its_artefacts(book, workspace):
    cfg, paths, reports = workspace
    executed = nbformat.read(reports / "notebooks" / book.name, as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells), "papermill ran it"
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert (reports / f"{book.stem}.html").is_file()
    page = (reports / f"{book.stem}.html").read_text(encoding="utf-8")
    assert page.count('class="custseg-quiz-question"') >= 3 and "<details>" in page, "its quiz (custseg.quiz)"
    drawn = list((reports / "figures").glob(f"{book.stem[:2]}_*.png"))  # each figure is on its page too
    assert page.count('src="data:image/png') >= min(len(drawn), 1), f"{len(drawn)} figures, none on the page"
    stage = pipeline.stage(book.stem)
    for name in stage.writes:
        assert io.exists(paths, name), f"{book.stem} did not write {name}"
    assert pipeline.check_fresh(cfg, paths, stage)["stage"] == book.stem


@pytest.mark.parametrize("book", BOOKS, ids=[b.stem for b in BOOKS])
def test_every_exercise_of_the_run_is_answered_correctly(book, workspace):
    """The run executes the teacher's edition (solutions in, custseg.exercises): every exercise whose data the run
    has prints its "correct" feedback, the others say that this run cannot check them; none is answered wrongly."""
    cfg, paths, reports = workspace
    executed = nbformat.read(reports / "notebooks" / book.name, as_version=4)
    met, status = needs.met(cfg, paths), i18n.messages(cfg["language"])["exercises"]["status"]
    printed = lambda cell: "".join(o.get("text", "") for o in cell.get("outputs", []))  # noqa: E731
    checks = [c for c in executed.cells if c.cell_type == "code" and "exercises.check(" in c.source]
    assert len(checks) >= 2
    for cell in checks:
        exercise = exercises.EXERCISES[re.search(r'exercises\.check\("([^"]+)"', cell.source).group(1)]
        verdict = "correct" if all(met[t] for t in exercise.needs) else "unavailable"
        assert status[verdict].format(id=exercise.id, text="").strip() in printed(cell), printed(cell)
    wrong = status["wrong"].split("{id}")[1].split("{text}")[0].strip()  # "— not correct yet."
    assert not [c.id for c in executed.cells if c.cell_type == "code" and wrong in printed(c)]


@pytest.mark.parametrize("book", [*BOOKS, runner.NOTEBOOK_DIR / "TEMPLATE.ipynb"], ids=lambda b: b.stem)
def test_notebook_follows_the_template(book):
    nb = nbformat.read(book, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(not c.get("outputs") and not c.get("execution_count") for c in nb.cells if c.cell_type == "code"), \
        "committed without outputs"
    # the notebook as an English reader sees it: the 简体中文 twins (custseg.report.languages) follow their cells
    cells = [c for c in nb.cells if languages.TAGS["zh"] not in c.metadata.get("tags", [])]
    title = cells[0]
    assert title.cell_type == "markdown" and title.source.startswith("# ")
    assert "*Reads:*" in title.source and "*Writes:*" in title.source
    params = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0] is cells[1]
    assert [line.split("=")[0].strip() for line in params[0].source.splitlines() if "=" in line] == PARAMETERS
    assert "pipeline.open_run(config_path, run_name, overrides, workdir, report_dir)" in cells[2].source
    # "What we did": a heading, the cell that writes it from the run's stage records, then what comes next
    closing = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## What we did")]
    assert len(closing) == 1 and closing[0] == len(cells) - 3, "the closing section ends the notebook"
    stem = "NN_stage" if book.stem == "TEMPLATE" else book.stem
    assert cells[-2].cell_type == "code" and f'recap.show(cfg, paths, "{stem}")' in cells[-2].source
    assert cells[-1].cell_type == "markdown" and not any("### What we did" in c.source for c in cells)


def test_the_course_overview_runs_and_is_linked_first(tiny_report):
    """00_overview runs in every `custseg run` (after the stages: it reads no artefact) and is the index's first
    link, with the glossary page beside it."""
    _, reports = tiny_report
    executed = nbformat.read(reports / "notebooks" / f"{course.OVERVIEW}.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells), "papermill ran it"
    assert not [o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    page = (reports / f"{course.OVERVIEW}.html").read_text(encoding="utf-8")
    assert "Why segment" in page and "为什么要细分" not in page, "the run's language only"
    assert "from custseg" not in page
    index = (reports / "index.html").read_text(encoding="utf-8")
    body = index.split("<body", 1)[1]
    links = re.findall(r'href="([^"#]+)"', body)
    assert links[:2] == [f"{course.OVERVIEW}.html", "glossary.html"], links[:5]
    steps = body.split('<ol class="steps">', 1)[1]
    assert steps.index(f'href="{course.OVERVIEW}.html"') < steps.index('href="01_collect.html"')
    assert "可盈利性" in (reports / "glossary.html").read_text(encoding="utf-8"), "the glossary, both languages"


def test_the_tiny_run_meets_what_its_shape_says(workspace):
    """The tiny config has the demo's shape (a log, a CRM, a survey): what its run meets is what the course
    overview's table says of that shape (custseg.report.needs.SHAPES)."""
    cfg, paths, _ = workspace
    met = needs.met(cfg, paths)
    assert {t for t in needs.DATA_NEEDS if met[t]} == needs.SHAPES["log_crm"].meets


def test_stages_run_in_notebook_order():
    assert [b.stem for b in BOOKS] == [s.name for s in pipeline.STAGES]
    assert json.loads(config.overrides_json({})) == {}


def _tree(folder):
    """Every file under ``folder`` with the sha256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_notebook_run_by_hand_leaves_the_published_report_as_it_was(tiny_report, monkeypatch):
    """06 opened in JupyterLab after `custseg run` (no report_dir: run from the notebooks folder, as Lab runs it)
    writes its figures to reports/<run>.lab/, and the published reports/<run>/ stays byte for byte the same."""
    workdir, reports = tiny_report
    before = _tree(reports)
    for key, value in {"CUSTSEG_CONFIG": str(TINY), "CUSTSEG_WORKDIR": str(workdir), "CUSTSEG_RUN": "r"}.items():
        monkeypatch.setenv(key, value)
    book = nbformat.read(runner.NOTEBOOK_DIR / "06_personas.ipynb", as_version=4)
    NotebookClient(book, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(runner.NOTEBOOK_DIR)}}).execute()
    assert _tree(reports) == before
    lab = reports.with_name("r.lab")
    assert list((lab / "figures").glob("06_*.png")), "the figures went to the scratch folder"
    opens = next(c for c in book.cells if "pipeline.open_run(" in c.source and c.cell_type == "code")
    setup = "".join(o.get("text", "") for o in opens.outputs)
    assert f"run by hand: figures and cards go to {lab}" in setup


@pytest.mark.parametrize("book", BOOKS, ids=[b.stem for b in BOOKS])
def test_notebook_cells_only_display(book):
    """Figures and the "left out" sentences come from the package (custseg.report.charts): no cell draws with
    ``plots.`` or spells a sentence out, and every figure of the notebook is shown by one of its cells."""
    code = [c.source for c in nbformat.read(book, as_version=4).cells if c.cell_type == "code"]
    assert not [c for c in code if "plots." in c]
    assert not [(c, s) for c in code for gaps in charts.LEFT_OUT.values() for s in gaps.values() if s in c]
    make = charts.BY_STAGE.get(book.stem)
    for name in make.charts if make else ():
        assert any(f'"{name}"' in c for c in code), f"{book.stem} never shows {name}"
