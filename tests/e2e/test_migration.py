"""The planted shift of the demo, found by 07_evaluate's migration view (through the pipeline, in process)."""

import pandas as pd
import pytest

from custseg import config, io, pipeline, schema


def _two_snapshots(tmp_path, shift: bool):
    """The demo through the pipeline at 2025-07-01, and 07_evaluate's migration view at 2026-01-01."""
    overrides = {"demo.n_customers": 2000, "demo.seed": 5, "snapshot_date": "2025-07-01",
                 "evaluate.later_snapshot": "2026-01-01", "cluster.k": 6, "cluster.stability_runs": 0}
    if shift:
        overrides.update({"demo.shift_persona": "affluent_loyalists", "demo.shift_share": 0.9,
                          "demo.shift_date": "2025-07-02"})
    cfg = config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml", overrides)
    cfg["paths"]["workdir"], cfg["run"] = str(tmp_path), "shift" if shift else "control"
    paths = io.run_paths(cfg).make()
    result = pipeline.run_stages(cfg, paths, "07_evaluate", skip=("03_describe", "06_personas"))["07_evaluate"]
    truth = pd.read_csv(paths.raw / "ground_truth.csv")
    persona = set(truth.loc[truth["persona"] == "affluent_loyalists", "customer_id"])
    return result, persona, truth


@pytest.mark.slow
def test_planted_shift_is_detected(tmp_path):
    """Customers lapse in the realistic demo anyway, so the shift shows as the difference from a control run: the
    data before the shift is the same, so are the segments, and after it the segment holding the most loyalists
    loses activity beyond what the control shows. (Recency drifts past the re-fit band in both runs: half a
    year passes and customers lapse on their own, so PSI alone cannot tell the shift.)"""
    (control, persona, _), (shifted, _, truth) = (_two_snapshots(tmp_path / str(s), s) for s in (False, True))
    assert truth["shifted"].sum() > 0.8 * len(persona)
    pd.testing.assert_frame_equal(control.customers[["customer_id", "segment"]],
                                  shifted.customers[["customer_id", "segment"]])
    customers = shifted.customers
    loyal = customers["customer_id"].isin(persona)
    seg = int(customers.loc[loyal & (customers["recency_days"] <= 180), "segment"].mode().iloc[0])
    assert loyal[customers["segment"] == seg].mean() > 2 * loyal.mean(), "a segment where the loyalists gather"
    change = {name: r.migration.active.set_index("segment")["change"] for name, r in
              (("control", control), ("shift", shifted))}
    fall = change["shift"] - change["control"]
    assert fall.idxmin() == seg and fall[seg] <= -0.1, fall.round(3).to_dict()
    assert shifted.migration.drifted.loc[seg, "recency_days"] >= schema.PSI_REFIT
    assert shifted.migration.advice["per_segment"][str(seg)] == "re-fit"
