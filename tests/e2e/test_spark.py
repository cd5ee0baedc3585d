"""Every stage on Spark (``engine: pyspark``) gives exactly what it gives on DuckDB.

Runs on a local Spark session when pyspark and Java are installed (``pip install 'custseg[spark]'``; ``.ci/run``
installs it); skipped otherwise. The whole pipeline runs twice on the tiny demo through the same stage
functions the notebooks call — once per engine — and every artefact is compared.
"""

import copy
import os
import shutil
from pathlib import Path

import ibis
import pandas as pd
import pytest

from custseg import cluster, config, engine, io, pipeline

pytestmark = pytest.mark.spark

pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'custseg[spark]' to run the Spark tests")
if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
    pytest.skip("Java is not installed (java not on PATH, JAVA_HOME unset): Spark needs Java 17",
                allow_module_level=True)


def _pipeline(cfg, workdir, con):
    cfg = copy.deepcopy(cfg)
    cfg["paths"]["workdir"], cfg["run"] = str(workdir), "engines"
    paths = io.run_paths(cfg).make()
    out = {}
    for s in pipeline.STAGES:
        run = pipeline.RUNS[s.name]
        out[s.name] = run(cfg, paths, con) if "con" in run.__code__.co_varnames else run(cfg, paths)
    return paths, out


@pytest.fixture(scope="module")
def both(tiny_cfg, tmp_path_factory):
    raw = str(io.run_paths(tiny_cfg).raw)
    duck_cfg = copy.deepcopy(tiny_cfg)
    duck_cfg["paths"]["raw"] = raw
    spark_cfg = config.load(tiny_cfg["_source"], {
        "engine": "pyspark", "paths.raw": raw,
        "spark": {"conf": {"spark.ui.showConsoleProgress": False, "spark.sql.shuffle.partitions": 2}}})
    con = engine.connect(spark_cfg)
    assert con.name == "pyspark"
    try:
        spark = _pipeline(spark_cfg, tmp_path_factory.mktemp("spark"), con)
        duck = _pipeline(duck_cfg, tmp_path_factory.mktemp("duckdb"), engine.connect(duck_cfg))
        yield duck, spark, con
    finally:
        con.disconnect()


def _sorted(df, *keys):
    keys = [k for k in keys if k in df.columns] or list(df.columns)
    return df.sort_values(keys, ignore_index=True)


def test_collect_matches(both):
    (duck_paths, duck), (spark_paths, spark), _ = both
    for name in ("validation", "reconciliation"):
        pd.testing.assert_frame_equal(io.read(spark_paths, name), io.read(duck_paths, name))
    assert spark["01_collect"].counts == duck["01_collect"].counts


def test_cleaning_matches(both):
    (duck_paths, duck), (spark_paths, spark), _ = both
    pd.testing.assert_frame_equal(io.read(spark_paths, "audit"), io.read(duck_paths, "audit"), rtol=1e-9)
    assert spark["02_clean"].counts == duck["02_clean"].counts
    assert (spark_paths.processed / "transactions.parquet").is_dir(), "Spark writes a Parquet directory"
    pd.testing.assert_frame_equal(_sorted(io.read(spark_paths, "customers"), "customer_id"),
                                  _sorted(io.read(duck_paths, "customers"), "customer_id"), check_dtype=False)


def test_describe_matches(both):
    (_, duck), (_, spark), _ = both
    d, s = duck["03_describe"], spark["03_describe"]
    pd.testing.assert_frame_equal(_sorted(s.per_customer, "customer_id"), _sorted(d.per_customer, "customer_id"),
                                  check_dtype=False, rtol=1e-9)
    pd.testing.assert_frame_equal(_sorted(s.monthly, "month"), _sorted(d.monthly, "month"), check_dtype=False,
                                  rtol=1e-9)


def test_features_match(both):
    (duck_paths, _), (spark_paths, _), _ = both
    for name in ("features", "clv_summary", "rfm", "calibration_holdout"):
        sf, df = io.read(spark_paths, name), io.read(duck_paths, name)
        assert len(df) > 1000 and list(sf.columns) == list(df.columns), name
        pd.testing.assert_frame_equal(sf, df, check_dtype=False, rtol=1e-9, atol=1e-9)
    assert io.read(spark_paths, "holdout") == io.read(duck_paths, "holdout")


def test_segments_and_evaluation_match(both):
    (duck_paths, _), (spark_paths, _), _ = both
    pd.testing.assert_frame_equal(io.read(spark_paths, "segments"), io.read(duck_paths, "segments"))
    pd.testing.assert_frame_equal(io.read(spark_paths, "holdout_validation"), io.read(duck_paths, "holdout_validation"),
                                  rtol=1e-9)
    assert pipeline.metrics(spark_paths)["07_evaluate"] == pipeline.metrics(duck_paths)["07_evaluate"]


def test_duckdb_reads_what_spark_wrote(both):
    (duck_paths, _), (spark_paths, _), _ = both
    con = engine.connect()
    totals = [io.read_ibis(con, p.processed, "transactions", table_name=f"t{i}").aggregate(
        n=ibis._.count(), amount=ibis._.amount.sum()).execute() for i, p in enumerate((duck_paths, spark_paths))]
    pd.testing.assert_frame_equal(totals[1], totals[0], rtol=1e-9)


def test_segments_assigned_in_spark_equal_predict(both, tiny_cfg):
    (duck_paths, _), _, con = both
    table = io.read(duck_paths, "features")
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
