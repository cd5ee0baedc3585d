"""The planted shift of the demo, found by 07_evaluate's migration view (through the pipeline, in process)."""

import pandas as pd
import pytest

from custseg import config, io, pipeline, schema


def _two_snapshots(tmp_path, shift: bool):
    """The demo through the pipeline at 2025-07-01, and 07_evaluate's migration view at 2026-01-01."""
    overrides = {"demo.n_customers": 2000, "demo.seed": 5, "snapshot_date": "2025-07-01",
                 "evaluate.later_snapshot": "2026-01-01", "cluster.k": 6, "cluster.stability_runs": 0}
    if shift:
        overrides.update({"demo.shift_persona": "affluent_loyalists", "demo.shift_share": 0.6,
                          "demo.shift_date": "2025-07-02"})
    cfg = config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml", overrides)
    cfg["paths"]["workdir"], cfg["run"] = str(tmp_path), "shift" if shift else "control"
    paths = io.run_paths(cfg).make()
    result = pipeline.run_stages(cfg, paths, skip=("03_describe", "06_personas"))["07_evaluate"]
    truth = pd.read_csv(paths.raw / "ground_truth.csv")
    persona = set(truth.loc[truth["persona"] == "affluent_loyalists", "customer_id"])
    return result, persona, truth


@pytest.mark.slow
def test_planted_shift_is_detected(tmp_path):
    rows = {}
    for shift in (False, True):
        result, persona, truth = _two_snapshots(tmp_path / str(shift), shift)
        before, migration = result.customers, result.migration
        seg = int(before.loc[before["customer_id"].isin(persona), "segment"].mode().iloc[0])
        active = migration.active.set_index("segment")
        rows[shift] = {"psi": migration.drifted.loc[seg, "recency_days"], "change": active.loc[seg, "change"],
                       "advice": migration.advice, "segment": seg}
        if shift:
            assert truth["shifted"].sum() > 0.5 * len(persona)
    control, shifted = rows[False], rows[True]
    # without the shift the loyalists' segment keeps buying and its recency does not drift ...
    assert control["psi"] < schema.PSI_REFIT and control["change"] > -0.1
    # ... with it, the migration view flags that segment: recency drifts past re-fit and activity collapses
    assert shifted["psi"] >= schema.PSI_REFIT and shifted["change"] <= -0.4
    assert shifted["advice"]["status"] == "re-fit"
    assert f"Activity fell most in segment {shifted['segment']}" in shifted["advice"]["reason"]
    assert shifted["advice"]["per_segment"][str(shifted["segment"])] == "re-fit"
