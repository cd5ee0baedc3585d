"""End to end: `custseg run configs/survey_example.yaml` — a survey of Likert items and no order log, through every
notebook: factor analysis before clustering, segments on the planted attitudes, and pages that teach only what a
survey has (no order lines, RFM, holdout or baskets), with "What we did" written from the run's records."""

import json

import nbformat
import pytest
from pages import (
    NO_LOG_WORDS,
    NOT_IN_THIS_DATA,
    names_problems,
    page_lines,
    taught_but_absent,
    what_we_did_is_on_the_pages,
)

from custseg import config, io, target
from custseg.report import cli, needs, runner

SURVEY = config.PROJECT_ROOT / "configs" / "survey_example.yaml"
OVERRIDES = {"demo.n_customers": 900, "cluster.stability_runs": 0}


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    """The survey example's run 'survey': (cfg, report folder)."""
    workdir = tmp_path_factory.mktemp("survey")
    argv = ["run", str(SURVEY), "--workdir", str(workdir), "--name", "survey"]
    for key, value in OVERRIDES.items():
        argv += ["--set", f"{key}={value}"]
    assert cli.main(argv) == 0
    cfg = config.load(SURVEY, OVERRIDES)
    cfg["paths"]["workdir"], cfg["run"] = str(workdir), "survey"
    return cfg, workdir / "reports" / "survey"


def test_the_survey_is_segmented_on_its_factors(survey):
    cfg, reports = survey
    paths = io.run_paths(cfg)
    cluster = io.read(paths, "cluster")
    assert len(cluster["features"]) == 3 and all(f.startswith("factor_") for f in cluster["features"]), \
        "the three planted attitudes"
    assert io.read(paths, "factors")["suitability"]["suitable"]
    # no value column; likely_to_recommend reads as higher is better: targeting rests on size and on it (a table
    # with one criterion only names no strategy: tests/unit/test_actions.py)
    summary = json.loads(io.artefact_path(paths, "target").read_text())
    assert summary["strategy"] != target.ONE_CRITERION
    assert summary["criteria"] == ["size", "outcome_likely_to_recommend"]
    # the bargain hunters are the largest segment and the least likely to recommend: size does not make them a target
    table = io.read(paths, "targeting").query("segmentation == 'clusters'").set_index("segment")
    worse = table.index[table["worse_on"].fillna("").astype(str).str.contains("likely_to_recommend")]
    assert len(worse) and summary["targets"] and not set(summary["targets"]) & set(worse), (summary, table)
    met = needs.met(cfg, paths)  # what the course overview's table says of a survey (needs.SHAPES)
    assert {t for t in needs.DATA_NEEDS if met[t]} == needs.SHAPES["survey"].meets


def test_every_notebook_runs_and_04_shows_the_factor_analysis(survey):
    cfg, reports = survey
    for book in runner.notebooks():
        executed = nbformat.read(reports / "notebooks" / book.name, as_version=4)
        assert not [o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    text = " ".join(page_lines(reports / "04_features.html"))
    assert "KMO" in text and "Bartlett" in text
    assert any((reports / "figures").glob("04_*scree*"))


def test_no_page_teaches_what_a_survey_does_not_have(survey):
    cfg, reports = survey
    assert taught_but_absent(reports, NO_LOG_WORDS) == []
    assert what_we_did_is_on_the_pages(cfg, reports) == []


def test_persona_cards_name_attitudes_in_words(survey):
    cfg, reports = survey
    assert names_problems(cfg) == []
    for card in json.loads(io.artefact_path(io.run_paths(cfg), "personas").read_text("utf-8")):
        assert len(card["name"].split()) <= 8, card["name"]  # one phrase: the attitudes it holds, by one item each
    for card in (reports / "personas").glob("*.md"):
        title = card.read_text(encoding="utf-8").splitlines()[0]
        assert "factor" not in title and "_" not in title, title  # a factor reads as its items
        text = card.read_text(encoding="utf-8")
        assert not NOT_IN_THIS_DATA.search(text), (card.name, NOT_IN_THIS_DATA.search(text).group())
