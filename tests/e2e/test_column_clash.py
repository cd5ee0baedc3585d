"""A customer table whose columns are named share, segment, index and expected_value (names custseg uses for
columns of its own) runs through every stage in process: the clashing columns are renamed NAME_src, noted in
the validation report, and still describe the segments."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from custseg import config, io, pipeline
from custseg.report import cli


def table(n: int = 900, seed: int = 3) -> pd.DataFrame:
    """Three planted groups; the clashing columns carry real signal (share, expected_value) or are labels."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 3, n)
    return pd.DataFrame({
        "customer_id": [f"K{i:05d}" for i in range(n)],
        "share": np.round(rng.uniform(0, 0.4, n) + g * 0.3, 3),
        "segment": rng.choice(["A", "B", "C"], n),  # the export's own segment code
        "index": np.arange(1, n + 1),  # a row index the export kept
        "expected_value": np.round(rng.gamma(2, 50, n) * (1 + 2 * g), 2),
        "tenure": rng.integers(1, 24, n) * (g + 1),
        "plan": np.array(["basic", "plus", "premium"])[g],
        "churned": (rng.uniform(size=n) < 0.1 + 0.3 * (g == 0)).astype(int),
    })


def user_config(tmp_path, n: int = 900) -> dict:
    raw = tmp_path / "raw"
    raw.mkdir()
    table(n).to_csv(raw / "table.csv", index=False)
    return {"name": "clash", "paths": {"raw": str(raw)}, "demo": {"enabled": False},
            "sources": {"customers": {"path": "table.csv"}}, "privacy": {"pii_columns": []},
            "outcomes": ["churned"], "cluster": {"k_max": 5, "stability_runs": 2}}


@pytest.mark.slow
def test_a_table_with_custsegs_column_names_runs_through_every_stage(tmp_path):
    user = user_config(tmp_path)
    cfg = config.from_dict({**user, "paths": {**user["paths"], "workdir": str(tmp_path)}})
    cfg["run"] = "clash"
    paths = io.run_paths(cfg).make()
    results = pipeline.run_stages(cfg, paths)
    assert set(results) >= {"06_personas", "07_evaluate", "08_target"}
    report = pd.read_csv(io.artefact_path(paths, "validation")).set_index("column")
    for name in ("share", "segment", "index", "expected_value"):
        assert report.loc[name, "notes"].startswith(f"renamed {name}_src")
    features = pd.read_parquet(io.artefact_path(paths, "features"))
    assert {"share_src", "segment_src", "expected_value_src"} <= set(features.columns)
    assert "segment" not in features.columns and "share" not in features.columns
    cluster = json.loads(io.artefact_path(paths, "cluster").read_text())
    assert cluster["k"] >= 2 and "churned" not in cluster["features"]
    segments = pd.read_csv(io.artefact_path(paths, "segments_csv"))
    assert len(segments) == 900 and segments["segment_id"].nunique() == cluster["k"]


@pytest.mark.slow
def test_custseg_run_publishes_a_report_for_it(tmp_path):
    path = tmp_path / "clash.yaml"
    path.write_text(yaml.safe_dump(user_config(tmp_path, 400)), encoding="utf-8")
    assert cli.main(["run", str(path), "--workdir", str(tmp_path), "--name", "clash"]) == 0
    reports = tmp_path / "reports" / "clash"
    assert (reports / "index.html").is_file() and list((reports / "personas").glob("*.md"))
    assert "renamed share_src" in (reports / "01_collect.html").read_text(encoding="utf-8")
