"""The shape most real exports come in — customer id, date, amount — through the pipeline in this process."""

import json

import pytest

from custseg import config, io, pipeline
from custseg.report import needs


@pytest.fixture(scope="module")
def log_only(tmp_path_factory):
    cfg = config.load(config.PROJECT_ROOT / "configs" / "log_only_example.yaml", {"demo.n_customers": 6000})
    cfg["paths"]["workdir"], cfg["run"] = str(tmp_path_factory.mktemp("log-only")), "log-only"
    paths = io.run_paths(cfg).make()
    return paths, pipeline.run_stages(cfg, paths, skip=("03_describe",))


@pytest.mark.slow
def test_custseg_beats_the_same_k_rivals_on_a_log_only_holdout(log_only):
    paths, results = log_only
    cluster = results["05_cluster"].summary
    sizes = cluster["sizes"].values()
    assert cluster["k"] >= 3 and min(sizes) >= 0.02 * sum(sizes), cluster["sizes"]
    assert cluster["dropped_constant"] == ["discount_share"] and "discount_share" not in cluster["features"]
    assert "chosen for what it predicts" in cluster["reason"]
    same_k = results["07_evaluate"].contest["same_k"].set_index("outcome")
    assert same_k.loc["spend", "low"] > 0 and (same_k["result"] == "wins").all(), same_k
    best = results["07_evaluate"].contest["margins"].set_index("outcome")
    assert best.loc["spend", "low"] > 0, "more holdout spend explained than every rival, beyond noise"
    assert results["07_evaluate"].contest["verdict"] in ("wins", "ties"), best


def test_a_log_only_run_meets_what_its_shape_says(log_only):
    """What the course overview's table says of a log only (custseg.report.needs.SHAPES)."""
    paths, _ = log_only
    met = needs.met(config.load(config.PROJECT_ROOT / "configs" / "log_only_example.yaml"), paths)
    assert {t for t in needs.DATA_NEEDS if met[t]} == needs.SHAPES["log"].meets


@pytest.mark.slow
def test_log_only_reports_show_only_what_the_data_has(log_only):
    paths, _ = log_only
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
    paths, results = log_only
    rivals = results["07_evaluate"].rivals
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
    import re

    paths, _ = log_only
    cards = json.loads(io.artefact_path(paths, "personas").read_text())
    names = [c["name"] for c in cards]
    assert len(set(names)) == len(names), names
    assert not [n for n in names if re.search(r"[(（]\s*\d+\s*[)）]\s*$", n)], names
    kinds = {(c["strategy_headline"], tuple(c["kpis"])) for c in cards}
    assert len(kinds) > 1, "one strategy and the same KPIs for every segment"
