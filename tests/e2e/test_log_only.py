"""The shape most real exports come in — customer id, date, amount — through `custseg run`, read as its analyst
reads it: the holdout contest, the rules as rivals, the names, and pages that teach only what a log has."""

import json

import pandas as pd
import pytest
from pages import NO_TABLE_WORDS, names_problems, taught_but_absent, what_we_did_is_on_the_pages

from custseg import config, io
from custseg.report import cli, needs

LOG_ONLY = config.PROJECT_ROOT / "configs" / "log_only_example.yaml"


@pytest.fixture(scope="module")
def log_only(tmp_path_factory):
    """`custseg run configs/log_only_example.yaml` at 6,000 customers (run 'log-only'): (cfg, paths)."""
    workdir = tmp_path_factory.mktemp("log-only")
    assert cli.main(["run", str(LOG_ONLY), "--workdir", str(workdir), "--name", "log-only",
                     "--set", "demo.n_customers=6000"]) == 0
    cfg = config.load(LOG_ONLY, {"demo.n_customers": 6000})
    cfg["paths"]["workdir"], cfg["run"] = str(workdir), "log-only"
    return cfg, io.run_paths(cfg)


@pytest.mark.slow
def test_custseg_beats_the_same_k_rivals_on_a_log_only_holdout(log_only):
    _, paths = log_only
    cluster = io.read(paths, "cluster")
    sizes = cluster["sizes"].values()
    assert cluster["k"] >= 3 and min(sizes) >= 0.02 * sum(sizes), cluster["sizes"]
    assert cluster["dropped_constant"] == ["discount_share"] and "discount_share" not in cluster["features"]
    assert "chosen for what it predicts" in cluster["reason"]
    validation = io.read(paths, "evaluate")["validation"]
    same_k = pd.DataFrame(validation["same_k"]).set_index("outcome")
    assert same_k.loc["spend", "low"] > 0 and (same_k["result"] == "wins").all(), same_k
    best = pd.DataFrame(validation["margins"]).set_index("outcome")
    assert best.loc["spend", "low"] > 0, "more holdout spend explained than every rival, beyond noise"
    assert validation["verdict"] in ("wins", "ties"), best


def test_a_log_only_run_meets_what_its_shape_says(log_only):
    """What the course overview's table says of a log only (custseg.report.needs.SHAPES)."""
    cfg, paths = log_only
    met = needs.met(cfg, paths)
    assert {t for t in needs.DATA_NEEDS if met[t]} == needs.SHAPES["log"].meets


@pytest.mark.slow
def test_log_only_reports_show_only_what_the_data_has(log_only):
    _, paths = log_only
    cards = json.loads(io.artefact_path(paths, "personas").read_text())
    text = json.dumps([{k: v for k, v in c.items() if k != "main_channel"} for c in cards], ensure_ascii=False)
    for word in ("unknown", "(missing)", "nan", "channel", "categor"):
        assert word not in text.lower(), word
    headline = json.loads((paths.reports / "headlines" / "07_evaluate.json").read_text())
    assert all("nan" not in json.dumps(row) for row in headline["table"])


@pytest.mark.slow
def test_log_only_rules_as_rivals_have_a_verdict_on_every_holdout_outcome(log_only):
    """On a log with only id, date and amount the rules can use what the clusters use (recency, frequency, spend,
    tenure …): each holdout outcome gets its best single and pair rule, judged on the other half, and a verdict."""
    _, paths = log_only
    rivals = io.read(paths, "rule_rivals")
    assert set(rivals["outcome"]) == {"spend", "log_spend", "orders", "churn"}
    assert set(rivals["rival"]) == {"single", "pair"} and rivals["result"].isin(
        ["clusters win", "rule wins", "tie"]).all()
    said = io.read(paths, "evaluate")["rivals"]
    assert said["text"].startswith("Rules as rivals") and len(said["results"]) == len(rivals)
    headline = json.loads((paths.reports / "headlines" / "07_evaluate.json").read_text())
    assert said["text"] in headline["text"]


@pytest.mark.slow
def test_log_only_persona_names_are_unique_and_say_what_tells_them_apart(log_only):
    """Segments alike in value and activity (three 'lapsed one-time buyers') are told apart in their names by
    what separates them (their typical order), never by a number."""
    cfg, paths = log_only
    assert names_problems(cfg) == []
    cards = json.loads(io.artefact_path(paths, "personas").read_text())
    kinds = {(c["strategy_headline"], tuple(c["kpis"])) for c in cards}
    assert len(kinds) > 1, "one strategy and the same KPIs for every segment"


def test_no_page_of_a_log_only_run_teaches_what_a_log_does_not_have(log_only):
    """No customer table, no survey, no categories or channels: the pages say so once where they leave a section
    out, and "What we did" says what the run's records hold."""
    cfg, paths = log_only
    assert taught_but_absent(paths.reports, NO_TABLE_WORDS) == []
    assert what_we_did_is_on_the_pages(cfg, paths.reports) == []
