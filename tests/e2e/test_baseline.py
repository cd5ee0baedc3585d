"""A run against a baseline run (cluster.baseline / custseg run --baseline): the baseline's saved model keeps
segment numbers and names, 07 shows who moved and what drifted; --refit matches new segments to the old."""

import copy
import datetime as dt

import numpy as np
import pytest

from custseg import config, evaluate, io, pipeline
from custseg import published as publishing
from custseg.errors import StageError


def _published(cfg: dict, name: str, **cluster) -> tuple[dict, io.RunPaths, dict]:
    """Every stage of run ``name`` in this process, then published as `custseg run` publishes it."""
    cfg = copy.deepcopy(cfg)
    cfg["run"] = name
    cfg["cluster"].update(stability_runs=0, **cluster)
    paths = io.run_paths(cfg).make()
    out = pipeline.run_stages(cfg, paths)
    io.write_json({"config": config.redacted(cfg)}, paths.reports / "run.json")
    publishing.publish(cfg, paths)
    return cfg, paths, out


@pytest.fixture(scope="module")
def january(tiny_cfg):
    cfg = copy.deepcopy(tiny_cfg)
    cfg["snapshot_date"] = dt.date(2025, 7, 1)
    return _published(cfg, "2025-06")


def test_the_baseline_model_keeps_segment_numbers_and_names(tiny_cfg, january):
    _, base_paths, base = january
    cfg, paths, out = _published(tiny_cfg, "2025-12", baseline="2025-06")
    baseline = publishing.load(base_paths.reports)
    table = out["04_features"].table
    assert (out["05_cluster"].segments["segment"].to_numpy() ==
            baseline.segmenter.predict(table[baseline.features])).all()
    assert out["05_cluster"].columns == baseline.features
    assert "baseline run '2025-06'" in out["05_cluster"].summary["reason"]
    names = {c["segment"]: c["name"] for c in out["06_personas"].cards}
    assert all(names[s] == baseline.names[s] for s in names)
    # half a year on, customers lapse: the comparison says who moved and that the features drifted
    against = out["07_evaluate"].against.summary
    assert against["run"] == "2025-06" and against["returning"] > 0 and against["new"] > 0
    assert against["moved"] > 0 and against["status"] in ("watch", "re-fit")
    assert "recency_days" in against["reason"]
    matrix = io.read(paths, "baseline_transitions").set_index("before")
    assert int(matrix.drop(index="new").drop(columns="gone").to_numpy().sum()) == against["returning"]


def test_the_same_data_against_itself_moves_nobody_and_is_stable(tiny_cfg, january):
    base_cfg, _, base = january
    _, _, out = _published(base_cfg, "2025-06-again", baseline="2025-06")
    against = out["07_evaluate"].against.summary
    assert against["moved"] == 0 and against["new"] == 0 and against["gone"] == 0
    assert against["status"] == "stable"


def test_refit_numbers_matched_segments_as_the_baseline_and_new_ones_after(tiny_cfg, january):
    _, _, out = _published(tiny_cfg, "2025-12-refit", baseline="2025-06", refit=True)
    baseline_names = set(publishing.load(january[1].reports).names)
    summary = out["05_cluster"].summary
    matched = {int(k): v for k, v in summary["baseline"]["matched"].items() if int(k) >= 0}
    assert len(set(matched.values())) == len(matched)  # one to one
    for card in out["06_personas"].cards:
        assert card["name"].endswith("(new)") == (card["segment"] not in baseline_names)


def test_segments_are_matched_one_to_one_by_shared_customers():
    old = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    new = np.array([2, 2, 0, 0, 0, 0, 1, 1, 1, 3])  # new 2 ~ old 0, new 0 ~ old 1, new 1 ~ old 2, new 3: new
    assert evaluate.match_segments(new, old) == {2: 0, 0: 1, 1: 2, 3: 3, -1: -1}
    # two new segments want the same old one: the better total wins, the other is new
    assert evaluate.match_segments(np.array([0, 0, 1, 1, 1]), np.array([0, 0, 0, 0, 0])) == {1: 0, 0: 1, -1: -1}


def test_a_baseline_formed_on_other_features_is_refused(tiny_cfg, january):
    cfg = copy.deepcopy(tiny_cfg)
    cfg["run"] = "other-features"
    cfg["cluster"].update(baseline="2025-06", features=["recency_days", "frequency"], stability_runs=0)
    paths = io.run_paths(cfg).make()
    pipeline.run_stages(cfg, paths, "04_features")
    table = io.read(paths, "features")
    io.write(paths, "features", table.drop(columns="monetary"))
    with pytest.raises(StageError, match=r"baseline run '2025-06' was formed on other features \(missing now: "
                                         r"monetary"):
        pipeline.segment(cfg, paths)
    cfg["cluster"]["baseline"] = "no-such-run"
    with pytest.raises(StageError, match="cluster.baseline: no published run 'no-such-run'"):
        pipeline.segment(cfg, paths)
