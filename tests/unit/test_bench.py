"""The benchmark harness (`make bench`) on a tiny log: contenders agree, failures are reported, targets judged."""

import importlib
import json
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from custseg import config

sys.path.insert(0, str(config.PROJECT_ROOT / "bench"))  # spawned measurement processes inherit sys.path
bench = importlib.import_module("bench")


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    return bench.make_log(tmp_path_factory.mktemp("logs") / "log.parquet", 20_000)


def test_generated_log_is_a_plausible_transaction_log(log):
    df = pd.read_parquet(log)
    assert len(df) == 20_000
    per_order = df.groupby("order_id").agg(customers=("customer_id", "nunique"), times=("order_ts", "nunique"),
                                           channels=("channel", "nunique"), lines=("line_no", "nunique"))
    assert (per_order[["customers", "times", "channels"]] == 1).all().all(), "an order is one customer's"
    assert (per_order["lines"] == 2).all()
    assert df["status"].eq("returned").mean() == pytest.approx(0.05, abs=0.01)
    mtime = log.stat().st_mtime_ns
    assert bench.make_log(log, 20_000) == log and log.stat().st_mtime_ns == mtime, "a complete log is reused"


def test_contenders_return_the_same_customers(log, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "LOGS", log.parent)
    assert bench.main(["--tasks", "aggregate", "--rows", "20000", "--repeats", "1", "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "bench.json").read_text())
    assert [r["contender"] for r in rows] == [bench.CUSTSEG, bench.SQL, bench.PANDAS]
    buyers = pq.read_table(log).to_pandas().query("status != 'returned'")["customer_id"].nunique()
    assert all(r["rows_out"] == buyers and r["median_s"] > 0 and r["peak_mib"] > 50 for r in rows)
    report = (tmp_path / "bench.md").read_text()
    assert "vs_duckdb_sql" in report and "Targets:\n- none at these sizes" in report


def test_a_failing_measurement_is_a_row_not_a_crash(tmp_path):
    result = bench.measure(bench.custseg_features, str(tmp_path / "missing.parquet"), repeats=2)
    assert result["median_s"] is None and result["runs"] == 0 and "missing.parquet" in result["error"]


def test_targets_are_judged():
    agg = "aggregate 10,000,000 transactions"
    table = bench.with_ratios(pd.DataFrame([
        {"task": agg, "contender": bench.CUSTSEG, "median_s": 6.0},
        {"task": agg, "contender": bench.SQL, "median_s": 5.0},
        {"task": agg, "contender": bench.PANDAS, "median_s": 50.0},
        {"task": "k sweep 3..8, 1,000,000 customers", "contender": "custseg cluster.sweep", "median_s": 30.0},
        {"task": bench.DEMO_RUN, "contender": "7 notebooks", "median_s": 130.0},
        {"task": bench.DEMO_CLUSTER, "contender": "its stage record", "median_s": 52.0},
        {"task": bench.DEMO_RERUN, "contender": "custseg run --from", "median_s": 39.0},
    ]))
    assert table["vs_duckdb_sql"].iloc[0] == 1.2 and table["vs_custseg"].iloc[2] == pytest.approx(8.33)
    assert bench.targets(table) == [
        "10M aggregation within 1.5x of hand-written SQL: 1.20x, met",
        "10M aggregation >= 10x faster than tutorial pandas: 8.3x, **missed**",
        "k sweep on 1M customers <= 60 s: 30 s, met",
        "whole demo run <= 2 min: 130 s, **missed**",
        "05_cluster share of the demo run (55-60 % before the choice of k by usefulness; not slower): 40%, met",
        "re-run from 05 after changing k <= 40 % of a full run: 30%, met",
    ]
