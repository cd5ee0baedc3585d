"""The transaction-grain stages on Spark (``engine: pyspark``) give exactly what they give on DuckDB.

Runs on a local Spark session when pyspark and Java are installed (``pip install 'custseg[spark]'``);
skipped otherwise. One session for the module; collect → clean → customer features on the tiny demo,
through the same Parquet hand-offs as notebooks 01, 02 and 04.
"""

import datetime as dt
import os
import shutil
from pathlib import Path

import ibis
import pandas as pd
import pytest

from custseg import clean, cluster, collect, config, engine, features, io

pytestmark = pytest.mark.spark

pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'custseg[spark]' to run the Spark tests")
if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
    pytest.skip("Java is not installed (java not on PATH, JAVA_HOME unset): Spark needs Java 17",
                allow_module_level=True)

SNAP = dt.date(2026, 1, 1)


def _stages(con, cfg, root):
    """Collect, clean and compute features the way notebooks 01, 02 and 04 do, on one engine."""
    interim, processed = root / "interim", root / "processed"
    got = collect.collect(con, cfg)
    out = {"root": root, "validation": got.validation,
           "reconcile": collect.reconcile(got.customers, got.transactions, got.survey, got.has_crm)}
    io.write_ibis(got.customers, interim, "customers")
    io.write_ibis(got.transactions, interim, "transactions")
    customers = io.read_ibis(con, interim, "customers")
    transactions = io.read_ibis(con, interim, "transactions")
    c = cfg["clean"]
    kc, qc, out["audit_customers"] = clean.clean_customers(customers, SNAP, c["min_age"], c["max_age"])
    kt, qt, out["audit_lines"] = clean.clean_transactions(transactions, kc, qc.filter(qc.reason == "test_account"),
                                                          SNAP, **clean.transaction_options(cfg))
    io.write_ibis(kt, processed, "transactions")
    io.write_ibis(qt, processed, "quarantine_transactions")
    kept = io.read_ibis(con, processed, "transactions")
    out["n_quarantined"] = int(io.read_ibis(con, processed, "quarantine_transactions").count().execute())
    out["customers"] = kc.order_by("customer_id").execute()
    survey = got.survey.execute() if got.survey is not None else None
    out["features"] = features.customer_features(kept, out["customers"], survey, SNAP, cfg["features"]["age_bands"])
    out["clv"] = features.clv_summary(kept, SNAP, "W")
    return out


@pytest.fixture(scope="module")
def both(tiny_cfg, tmp_path_factory):
    spark_cfg = config.load(tiny_cfg["_source"], {
        "engine": "pyspark", "spark": {"conf": {"spark.ui.showConsoleProgress": False,
                                                "spark.sql.shuffle.partitions": 2}}})
    spark_cfg["paths"]["workdir"], spark_cfg["run"] = tiny_cfg["paths"]["workdir"], tiny_cfg["run"]
    con = engine.connect(spark_cfg)
    assert con.name == "pyspark"
    try:
        spark = _stages(con, spark_cfg, tmp_path_factory.mktemp("spark"))
        duck = _stages(engine.connect(tiny_cfg), tiny_cfg, tmp_path_factory.mktemp("duckdb"))
        yield duck, spark, con
    finally:
        con.disconnect()


def test_collect_validation_and_reconciliation_match(both):
    duck, spark, _ = both
    pd.testing.assert_frame_equal(spark["validation"], duck["validation"])
    pd.testing.assert_frame_equal(spark["reconcile"], duck["reconcile"])


def test_cleaning_audits_match(both):
    duck, spark, _ = both
    pd.testing.assert_frame_equal(spark["audit_customers"], duck["audit_customers"])
    pd.testing.assert_frame_equal(spark["audit_lines"], duck["audit_lines"], rtol=1e-9)
    assert spark["n_quarantined"] == duck["n_quarantined"] > 0
    pd.testing.assert_frame_equal(spark["customers"], duck["customers"], check_dtype=False)


def test_customer_features_match(both):
    duck, spark, _ = both
    sf, df = spark["features"], duck["features"]
    assert len(df) > 1000 and list(sf.columns) == list(df.columns)
    assert sf["customer_id"].tolist() == df["customer_id"].tolist()
    pd.testing.assert_frame_equal(sf, df, check_dtype=False, rtol=1e-9, atol=1e-9)
    pd.testing.assert_frame_equal(spark["clv"], duck["clv"], check_dtype=False, rtol=1e-9, atol=1e-9)


def test_spark_writes_a_parquet_directory_duckdb_can_read(both):
    # what a Spark run hands on to the DuckDB notebooks (03, 07): the same kept lines
    duck, spark, _ = both
    assert (spark["root"] / "processed" / "transactions.parquet").is_dir()
    con = engine.connect()
    totals = [io.read_ibis(con, run["root"] / "processed", "transactions").aggregate(
        n=ibis._.count(), amount=ibis._.amount.sum()).execute() for run in (duck, spark)]
    pd.testing.assert_frame_equal(totals[1], totals[0], rtol=1e-9)


def test_segments_assigned_in_spark_equal_predict(both, tiny_cfg):
    duck, _, con = both
    table = duck["features"]
    columns = cluster.select_columns(table, tiny_cfg["cluster"]["features"]) + ["city_tier"]
    seg = cluster.Segmenter(k=4, stability_runs=0, progress=False).fit(table[columns])
    got = con.execute(cluster.assign_in_engine(seg, ibis.memtable(table[["customer_id", *columns]]))
                      .order_by("customer_id"))
    assert got["customer_id"].tolist() == table["customer_id"].tolist()
    assert (got["segment"].to_numpy() == seg.predict(table[columns])).all()


def test_local_session_leaves_nothing_behind(both):
    """Its warehouse is in custseg's private temp folder, which is removed when Python exits."""
    _, _, con = both
    warehouse = con._session.conf.get("spark.sql.warehouse.dir").removeprefix("file:")
    assert Path(warehouse).parent == io.staging_dir()
