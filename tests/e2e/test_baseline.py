"""A run against a baseline run (cluster.baseline / custseg run --baseline): the baseline's saved model keeps
segment numbers and names, 07 shows who moved and what drifted; --refit matches new segments to the old."""

import copy
import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest
from pages import published_in_process

from custseg import config, evaluate, io, pipeline
from custseg import published as publishing
from custseg.errors import StageError
from custseg.report import history


@pytest.fixture(scope="module")
def january(tiny_cfg):
    cfg = copy.deepcopy(tiny_cfg)
    cfg["snapshot_date"] = dt.date(2025, 7, 1)
    return published_in_process(cfg, "2025-06")


def test_the_baseline_model_keeps_segment_numbers_and_names(tiny_cfg, january):
    _, base_paths, base = january
    cfg, paths, out = published_in_process(tiny_cfg, "2025-12", baseline="2025-06")
    baseline = publishing.load(base_paths.reports)
    table = out["04_features"].table
    assert (out["05_cluster"].segments["segment"].to_numpy() ==
            baseline.segmenter.predict(table[baseline.features])).all()
    assert out["05_cluster"].columns == baseline.features
    assert (out["05_cluster"].segmenter.labels_ == out["05_cluster"].segments["segment"].to_numpy()).all()
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
    _, _, out = published_in_process(base_cfg, "2025-06-again", baseline="2025-06")
    against = out["07_evaluate"].against.summary
    assert against["moved"] == 0 and against["new"] == 0 and against["gone"] == 0
    assert against["status"] == "stable"


def test_refit_numbers_matched_segments_as_the_baseline_and_new_ones_after(tiny_cfg, january):
    _, _, out = published_in_process(tiny_cfg, "2025-12-refit", baseline="2025-06", refit=True)
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


def test_the_history_page_lists_every_run_of_the_config(tiny_cfg, january):
    _, paths, _ = published_in_process(tiny_cfg, "2026-01", baseline="2025-06")
    runs = history.runs(paths.reports.parent, tiny_cfg["name"])
    names = [r["run"] for r in runs]
    assert names[0] == "2025-06" and "2026-01" in names  # oldest snapshot first
    latest = next(r for r in runs if r["run"] == "2026-01")
    assert latest["fit"] == "assigned with the model of 2025-06" and latest["against"]["returning"] > 0
    assert runs[0]["fit"] == "fitted afresh" and runs[0]["against"] is None
    in_chinese = {r["run"]: r["fit"] for r in history.runs(paths.reports.parent, tiny_cfg["name"], "zh")}
    assert in_chinese["2026-01"] == "用 2025-06 的模型分配" and in_chinese["2025-06"] == "重新拟合"
    assert not [r for r in history.runs(paths.reports.parent, "another-config")]
    page = history.render(tiny_cfg, paths.reports.parent)
    assert 'href="2026-01/index.html"' in page and page.count("data:image/png;base64,") == 2  # sizes, features
    means = history.feature_means(paths.reports.parent, runs)
    assert set(means["run"]) == set(names) and means["feature"].nunique() == history.KEY_FEATURES
    first = publishing.load(paths.reports.parent / "2025-06").customers()
    row = means[(means["run"] == "2025-06") & (means["segment_id"] == 0) & (means["feature"] == "recency_days")]
    assert row["mean"].iloc[0] == pytest.approx(first.loc[first["segment"] == 0, "recency_days"].mean())
    # a run fitted with another scikit-learn cannot assign, but it stays in the history
    old = shutil.copytree(paths.reports, paths.reports.parent / "2026-01-old-sklearn")
    card = io.read_json(old / "model" / "model.json")
    io.write_json({**card, "versions": {**card["versions"], "scikit-learn": "0.1"}}, old / "model" / "model.json")
    try:
        assert 'href="2026-01-old-sklearn/index.html"' in history.render(tiny_cfg, paths.reports.parent)
    finally:
        shutil.rmtree(old)
    sizes = history.sizes(runs)
    assert set(sizes["run"]) == set(names) and ((sizes.groupby("run")["share"].sum() - 1).abs() < 1e-3).all()


def test_the_notebooks_show_a_run_against_its_baseline(tiny_cfg, january, tmp_path):
    """05 and 07 as `custseg run --baseline` runs them (papermill), on an in-process run and its baseline."""
    import json

    import nbformat

    from custseg.report import index, runner

    cfg, paths, _ = published_in_process(tiny_cfg, "2026-02", baseline="2025-06")
    parameters = {"config_path": str(config.PROJECT_ROOT / "configs" / "tiny.yaml"), "run_name": "2026-02",
                  "overrides": json.dumps({"cluster.baseline": "2025-06", "cluster.stability_runs": 0}),
                  "workdir": cfg["paths"]["workdir"], "report_dir": str(tmp_path)}
    text = {}
    for stem in ("05_cluster", "07_evaluate"):
        runner.execute(runner.NOTEBOOK_DIR / f"{stem}.ipynb", tmp_path / f"{stem}.ipynb", parameters)
        cells = nbformat.read(tmp_path / f"{stem}.ipynb", as_version=4).cells
        outputs = [o for c in cells for o in c.get("outputs", [])]
        assert not [o for o in outputs if o.get("output_type") == "error"], stem
        text[stem] = " ".join(o.get("text", "") for o in outputs)
    assert "baseline run '2025-06'" in text["05_cluster"]
    assert "baseline run 2025-06:" in text["07_evaluate"] and "recommendation:" in text["07_evaluate"]
    assert (tmp_path / "figures" / "07_baseline_transitions.png").is_file()
    page = index.render(cfg, paths, ["05_cluster", "07_evaluate"], index.summary(paths))
    assert "Against the baseline run 2025-06:" in page and 'href="../tiny-history.html"' in page


def test_the_cli_passes_baseline_and_refit_to_the_config(tmp_path, capsys):
    from custseg.report import cli

    tiny = str(config.PROJECT_ROOT / "configs" / "tiny.yaml")
    assert cli.main(["run", tiny, "--workdir", str(tmp_path), "--name", "x", "--baseline", "x"]) == 1
    assert "cluster.baseline names this run ('x')" in capsys.readouterr().err
    assert cli.main(["run", tiny, "--workdir", str(tmp_path), "--refit"]) == 1
    assert "set cluster.baseline (--baseline RUN) too" in capsys.readouterr().err


def test_the_planted_shift_shows_between_runs_against_a_control(tmp_path):
    """The demo's planted shift (most affluent loyalists stop buying after 2025-07-02) between a run at
    2025-07-01 and its re-run at 2026-01-01: the loyalists' segment keeps fewer of its customers and drifts
    more than in a control re-run on the same history without the shift. (The data before the shift is the same
    with and without it, so one published run is the baseline of both.)"""
    base = {"demo.n_customers": 2000, "demo.seed": 5, "cluster.k": 6, "cluster.stability_runs": 0}
    shift = {"demo.shift_persona": "affluent_loyalists", "demo.shift_share": 0.9, "demo.shift_date": "2025-07-02"}

    def published_run(name, overrides, workdir):
        cfg = config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml", {**base, **overrides})
        cfg["paths"]["workdir"] = str(workdir)
        return published_in_process(cfg, name)

    _, first, _ = published_run("2025-06", {"snapshot_date": "2025-07-01"}, tmp_path / "control")
    (tmp_path / "shift" / "reports").mkdir(parents=True)
    shutil.copytree(first.reports, tmp_path / "shift" / "reports" / "2025-06")
    again = {"snapshot_date": "2026-01-01", "cluster.baseline": "2025-06"}
    _, _, control = published_run("2025-12", again, tmp_path / "control")
    _, shifted_paths, shifted = published_run("2025-12", {**again, **shift}, tmp_path / "shift")
    truth = pd.read_csv(shifted_paths.raw / "ground_truth.csv")
    loyal = set(truth.loc[truth["persona"] == "affluent_loyalists", "customer_id"])
    before = publishing.load(first.reports).customers()
    is_loyal = before["customer_id"].isin(loyal)
    seg = int(before.loc[is_loyal, "segment"].mode().iloc[0])
    assert is_loyal[before["segment"] == seg].mean() > 2 * is_loyal.mean(), "a segment where the loyalists gather"
    stayed = {name: out["07_evaluate"].against.moved.set_index("segment")["stayed"]
              for name, out in (("control", control), ("shift", shifted))}
    assert stayed["shift"][seg] <= stayed["control"][seg] - 0.1, {k: v.round(2).to_dict() for k, v in stayed.items()}
    drift = {name: out["07_evaluate"].against.drifted.loc[seg, "recency_days"]
             for name, out in (("control", control), ("shift", shifted))}
    assert drift["shift"] > drift["control"], drift
