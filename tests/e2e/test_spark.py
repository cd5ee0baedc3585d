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
import yaml

from custseg import cluster, collect, config, engine, io, pipeline

pytestmark = pytest.mark.spark

pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'custseg[spark]' to run the Spark tests")
if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
    pytest.skip("Java is not installed (java not on PATH, JAVA_HOME unset): Spark needs Java 17",
                allow_module_level=True)


def _pipeline(cfg, workdir, con):
    cfg = copy.deepcopy(cfg)
    cfg["paths"]["workdir"], cfg["run"] = str(workdir), "engines"
    paths = io.run_paths(cfg).make()
    return paths, pipeline.run_stages(cfg, paths, con=con)


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
    for name in ("features", "clv_summary", "rfm", "calibration_holdout", "calibration_features", "inner_split"):
        sf, df = io.read(spark_paths, name), io.read(duck_paths, name)
        assert len(df) > 900 and list(sf.columns) == list(df.columns), name
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
    got = con.execute(cluster.predict_in_engine(seg, ibis.memtable(table[["customer_id", *columns]]))
                      .order_by("customer_id"))
    assert got["customer_id"].tolist() == table["customer_id"].tolist()
    assert (got["segment"].to_numpy() == seg.predict(table[columns])).all()


def test_targeting_offers_and_the_campaign_match(both):
    """08's growth and basket rules are counted in the engine; 09 reads its source there."""
    (duck_paths, _), (spark_paths, _), _ = both
    pd.testing.assert_frame_equal(io.read(spark_paths, "targeting"), io.read(duck_paths, "targeting"), rtol=1e-9)
    rules = ["segment", "antecedent", "consequent"]
    pd.testing.assert_frame_equal(_sorted(io.read(spark_paths, "basket_rules"), *rules),
                                  _sorted(io.read(duck_paths, "basket_rules"), *rules), rtol=1e-9)
    assert len(io.read(duck_paths, "basket_rules"))
    pd.testing.assert_frame_equal(io.read(spark_paths, "campaign_results"), io.read(duck_paths, "campaign_results"))


def test_local_session_leaves_nothing_behind(both):
    """Its warehouse is in custseg's private temp folder, which is removed when Python exits."""
    _, _, con = both
    warehouse = con._session.conf.get("spark.sql.warehouse.dir").removeprefix("file:")
    assert Path(warehouse).parent == io.staging_dir()


def test_messy_csv_parses_the_same_on_spark(both, tmp_path):
    """Thousands separators, currency, trailing minus, full-width digits, missing-id words, Excel day numbers and
    Likert words, read by Spark's own CSV reader: the same table as DuckDB's."""
    _, _, spark = both
    (tmp_path / "t.csv").write_text(
        "customer_id,order_ts,amount\n"
        'A,2024-01-01,"¥7,649.70"\nB,45360,764.97\nNULL,2024-01-03,12.50-\nC,2024-01-04,１２３．５\n'
        "17850.0,2024-01-05,(1.00)\n", encoding="utf-8")
    (tmp_path / "s.csv").write_text("respondent_id,q1\nA,Strongly agree\nB,不同意\n", encoding="utf-8")
    path = tmp_path / "messy.yaml"
    path.write_text(yaml.safe_dump({"name": "messy", "paths": {"raw": str(tmp_path), "workdir": str(tmp_path)},
                                    "demo": {"enabled": False}, "privacy": {"pii_columns": []},
                                    "sources": {"transactions": {"path": "t.csv"}, "survey": {"path": "s.csv"}}}))
    frames = []
    for engine_name, con in (("duckdb", engine.connect()), ("pyspark", spark)):
        cfg = config.load(path, {"engine": engine_name})
        got = collect.collect(con, cfg)
        frames.append((got.transactions.execute().sort_values("amount", ignore_index=True),
                       got.survey.execute().sort_values("respondent_id", ignore_index=True)))
    (duck_t, duck_s), (spark_t, spark_s) = frames
    assert duck_t["amount"].tolist() == [-12.5, -1.0, 123.5, 764.97, 7649.70]
    assert duck_t["customer_id"].isna().sum() == 1 and "17850" in set(duck_t["customer_id"])
    assert duck_s["q1"].tolist() == [5.0, 2.0]
    pd.testing.assert_frame_equal(spark_t[["customer_id", "order_ts", "amount"]],
                                  duck_t[["customer_id", "order_ts", "amount"]], check_dtype=False)
    pd.testing.assert_frame_equal(spark_s[["respondent_id", "q1"]], duck_s[["respondent_id", "q1"]], check_dtype=False)
