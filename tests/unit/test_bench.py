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
    assert bench.main(["--tasks", "aggregate", "--rows", "20000", "--repeats", "1", "--out", str(tmp_path),
                       "--no-spark"]) == 0  # Spark gives what DuckDB gives: tests/e2e/test_spark.py
    rows = json.loads((tmp_path / "bench.json").read_text())
    agree, *rows = rows
    assert agree["task"] == "the contenders agree on 20,000 transactions" and agree["error"] is None
    assert [r["contender"] for r in rows] == [bench.CUSTSEG, bench.SQL, bench.POLARS, bench.PANDAS]
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
        {"task": agg, "contender": bench.CUSTSEG, "median_s": 6.0, "peak_mib": 1000},
        {"task": agg, "contender": bench.SQL, "median_s": 5.0, "peak_mib": 2400},
        {"task": agg, "contender": bench.POLARS, "median_s": 4.0, "peak_mib": 1800},
        {"task": agg, "contender": bench.PANDAS, "median_s": 50.0, "peak_mib": 2300},
        {"task": "k sweep 3..8, 1,000,000 customers", "contender": "custseg cluster.sweep", "median_s": 30.0},
        {"task": bench.DEMO_RUN, "contender": "9 notebooks", "median_s": 62.0},
        {"task": bench.DEMO_RERUN, "contender": "custseg run --from", "median_s": 31.0},
        {"task": f"{bench.TABLE_RUN}, 1,000,000 customers x 30 attributes", "contender": "9 notebooks",
         "median_s": 80.0},
    ]))
    assert table["vs_duckdb_sql"].iloc[0] == 1.2 and table["vs_custseg"].iloc[3] == pytest.approx(8.33)
    assert bench.targets(table) == [
        f"10M aggregation <= 1.0x the faster of DuckDB SQL and polars ({bench.POLARS}): 1.50x, **missed**",
        "10M aggregation <= 1/2 its memory: 0.56x, **missed**",
        "10M aggregation >= 10x faster than tutorial pandas: 8.3x, **missed**",
        "k sweep on 1M customers <= 60 s: 30 s, met",
        "whole demo run <= 40 s: 62 s, **missed**",
        "re-run from 05 after changing k <= 35 % of a full run: 50%, **missed**",
        "customer table 1M x 30 attributes <= 90 s: 80 s, met",
    ]


def test_a_contender_computing_something_else_is_named(log, monkeypatch):
    honest = bench.polars_frame
    doubled = lambda path: honest(path).assign(return_rate=lambda t: t.return_rate * 2)  # noqa: E731
    monkeypatch.setattr(bench, "polars_frame", doubled)
    assert [line.split(" (largest")[0] for line in bench.disagreements(str(log))] == [
        f"{bench.POLARS}: return_rate differs"]
    monkeypatch.setattr(bench, "polars_frame", lambda path: honest(path).iloc[1:])
    assert bench.disagreements(str(log))[0].startswith(f"{bench.POLARS}: other customers")


def test_the_cost_curve_draws_each_series_and_reports_its_slope(tmp_path):
    rows = [{"task": f"aggregate {n:,} transactions", "contender": who, "median_s": t, "peak_mib": m}
            for n, who, t, m in [(10**6, bench.CUSTSEG, 1.0, 300), (10**7, bench.CUSTSEG, 10.0, 900),
                                 (10**6, bench.SQL, 2.0, 400), (10**7, bench.SQL, 40.0, 2000)]]
    rows += [{"task": "custseg run, 1,000,000 transactions", "contender": "9 notebooks", "median_s": 50.0,
              "peak_mib": 500}]
    lines = bench.cost_curve(pd.DataFrame(rows), tmp_path / "curve.png")
    assert lines == [f"{bench.CUSTSEG}: time x10.0 per 10x lines (slope 1.00)",
                     f"{bench.SQL}: time x20.0 per 10x lines (slope 1.30)"]  # one size of the run: no series
    assert (tmp_path / "curve.png").stat().st_size > 10_000


def test_the_stage_profile_reads_the_records_of_the_run_written_last(tmp_path):
    import os

    for run, seconds, stamp in (("old", 9.0, 1_000), ("new", 2.5, 2_000)):
        stages = tmp_path / "data" / "processed" / run / "stages"
        stages.mkdir(parents=True)
        for name in ("01_collect", "02_clean"):
            record = stages / f"{name}.json"
            record.write_text(json.dumps({"stage": name, "seconds": seconds, "peak_mib": 300}))
            os.utime(record, (stamp, stamp))
    profile = bench.stage_profile("a run", tmp_path)
    assert profile.to_dict("records") == [
        {"task": "a run", "stage": "01_collect", "seconds": 2.5, "peak_mib": 300},
        {"task": "a run", "stage": "02_clean", "seconds": 2.5, "peak_mib": 300}]
