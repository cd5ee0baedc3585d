"""PII protection in every output, and the UCI "Online Retail"-shaped example config run end to end, in Chinese."""

import copy
import json

import nbformat
import pandas as pd
import pytest
from pages import latin_pages, names_problems, what_we_did_is_on_the_pages

from custseg import collect, config, demo, engine, io
from custseg.report import cli
from custseg.sources import privacy

KEY_ENV = "CUSTSEG_TEST_PII_KEY"


def test_pseudonyms_are_keyed_stable_and_replace_pii(tiny_cfg, monkeypatch):
    cfg = copy.deepcopy(tiny_cfg)
    cfg["privacy"].update(pseudonymise_ids=True, pii_action="pseudonymise", key_env=KEY_ENV)
    monkeypatch.setenv(KEY_ENV, "secret-1")
    first = collect.collect(engine.connect(), cfg)
    again = collect.collect(engine.connect(), cfg)
    ids = first.customers.select("customer_id", "email").order_by("customer_id").execute()
    assert ids.equals(again.customers.select("customer_id", "email").order_by("customer_id").execute())
    raw = pd.read_csv(io.source_path(cfg, "customers"), dtype=str)
    expected = {privacy.pseudonym_of(i.strip().upper(), "secret-1") for i in raw["customer_id"]}
    assert set(ids["customer_id"]) == expected  # id variants (" c01", "C01") share one pseudonym
    assert ids["customer_id"].str.fullmatch("[0-9A-F]{20}").all()
    assert not set(ids["email"]) & set(raw["email"]) and not ids["email"].str.contains("@").any()
    tx_ids = set(first.transactions.customer_id.execute().dropna())
    assert not tx_ids & set(raw["customer_id"].str.strip().str.upper())
    assert set(first.survey.respondent_id.execute()) & expected
    monkeypatch.setenv(KEY_ENV, "secret-2")
    other = collect.collect(engine.connect(), cfg).customers.customer_id.execute()
    assert not set(other) & expected


def test_online_retail_generator_has_the_uci_shape():
    df = demo.online_retail(n_customers=120, seed=1)
    assert list(df.columns) == ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
                                "CustomerID", "Country"]
    credit = df["InvoiceNo"].str.startswith("C")
    assert credit.any() and (df.loc[credit, "Quantity"] < 0).all()
    assert (df["CustomerID"] == "").any() and df.duplicated().any() and (df["UnitPrice"] == 0).any()
    assert df["StockCode"].isin(["POST", "M", "D", "BANK CHARGES"]).any()
    assert df["InvoiceDate"].str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}").all()


ONLINE_RETAIL = config.PROJECT_ROOT / "configs" / "online_retail_example.yaml"
# in Chinese: the privacy checks do not depend on the language, and this is the zh run of this example
OVERRIDES = {"privacy.pseudonymise_ids": True, "privacy.key_env": KEY_ENV, "language": "zh"}


@pytest.fixture(scope="module")
def online_retail_run(tmp_path_factory):
    """`custseg run` of the Online Retail example (all notebooks) in Chinese, with pseudonymised customer ids."""
    workdir = tmp_path_factory.mktemp("online-retail")
    mp = pytest.MonkeyPatch()
    mp.setenv(KEY_ENV, "uci-key")  # inherited by the notebook kernels
    argv = ["run", str(ONLINE_RETAIL), "--workdir", str(workdir), "--name", "uci"]
    for key, value in OVERRIDES.items():
        argv += ["--set", f"{key}={str(value).lower() if isinstance(value, bool) else value}"]
    try:
        code = cli.main(argv)
    finally:
        mp.undo()
    assert code == 0, "the Online Retail example must run through every notebook"
    return workdir


def test_the_chinese_online_retail_report_reads_as_chinese(online_retail_run):
    cfg = config.load(ONLINE_RETAIL, OVERRIDES)
    cfg["paths"]["workdir"], cfg["run"] = str(online_retail_run), "uci"
    reports = online_retail_run / "reports" / "uci"
    assert latin_pages(cfg, reports) == []
    assert what_we_did_is_on_the_pages(cfg, reports) == []
    assert names_problems(cfg) == []


def test_online_retail_collect_clean_features(online_retail_run):
    processed = online_retail_run / "data" / "processed" / "uci"
    snap = json.loads((processed / "snapshot.json").read_text())
    assert snap["lines_in"] == snap["lines_kept"] + snap["lines_quarantined"]
    quarantined = pd.read_parquet(processed / "quarantine_transactions.parquet")
    kept = pd.read_parquet(processed / "transactions.parquet")
    assert len(kept) == snap["lines_kept"] and len(quarantined) == snap["lines_quarantined"]
    audit = pd.read_csv(processed / "audit.csv")
    lines = audit[audit["table"] == "transactions"].set_index("rule")
    assert lines.loc[lines["action"] == "quarantined", "rows"].sum() == len(quarantined)
    for rule in ("duplicate_line", "excluded_product", "missing_customer_id", "non_positive_price",
                 "bulk_outlier", "return_without_purchase", "return_netted"):
        assert lines.loc[rule, "rows"] > 0, rule
    # the C… credit notes are returns, netted: kept with negative quantities, none left as purchases
    credit = kept["order_id"].str.startswith("C")
    assert credit.any() and (kept.loc[credit, "quantity"] < 0).all()
    assert (kept.loc[credit, "status"] == "returned").all()
    features = pd.read_parquet(processed / "features.parquet")
    assert len(features) > 300 and features["customer_id"].is_unique
    assert (features["monetary"] <= features["gross_spend"]).all() and (features["return_rate"] > 0).any()


def test_online_retail_reconciliation_and_validation_are_saved(online_retail_run):
    interim = online_retail_run / "data" / "interim" / "uci"
    rec = pd.read_csv(interim / "reconciliation.csv").set_index("check")["count"]
    raw = pd.read_csv(online_retail_run / "data" / "raw" / "online_retail" / "online_retail.csv", dtype=str)
    assert rec["order lines"] == len(raw)
    assert rec["order lines without a customer id"] == raw["CustomerID"].isna().sum() > 0
    assert "CRM customers without any order" not in rec.index  # no CRM: those checks are left out
    validation = pd.read_csv(interim / "validation.csv").set_index("canonical")
    assert set(validation.index) >= {"customer_id", "order_ts", "order_id", "quantity", "unit_price"}
    assert (validation["unparseable"] == 0).all()
    totals = pd.read_csv(interim / "sources.csv").set_index("source")
    assert totals.loc["transactions", "rows"] == len(raw)


def test_online_retail_runs_through_clustering_and_personas(online_retail_run):
    reports = online_retail_run / "reports" / "uci"
    segments = pd.read_csv(reports / "segments.csv", dtype={"customer_id": str})
    n_segments = segments["segment_id"].nunique()
    assert n_segments >= 2 and len(segments) > 300
    assert len(list((reports / "personas").glob("*.md"))) == n_segments
    assert (reports / "index.html").is_file() and (reports / "06_personas.html").is_file()
    for executed in (reports / "notebooks").glob("*.ipynb"):
        cells = nbformat.read(executed, as_version=4).cells
        assert not any(o.get("output_type") == "error" for c in cells for o in c.get("outputs", [])), executed


def test_online_retail_outputs_hold_no_raw_customer_id(online_retail_run):
    raw = pd.read_csv(online_retail_run / "data" / "raw" / "online_retail" / "online_retail.csv", dtype=str)
    raw_ids = set(raw["CustomerID"].dropna())
    expected = {privacy.pseudonym_of(i, "uci-key") for i in raw_ids}
    checked = 0
    tables = [*(online_retail_run / "data").glob("[ip]*/uci/*.parquet"), *(online_retail_run / "data").glob(
        "[ip]*/uci/*.csv"), *(online_retail_run / "reports" / "uci").rglob("*.csv")]
    for path in tables:
        df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)
        for col in [c for c in df.columns if c in ("customer_id", "raw_id", "respondent_id")]:
            values = set(df[col].dropna().astype(str))
            assert not values & raw_ids, path
            assert values <= expected, path
            checked += 1
    assert checked >= 8
    # and none in the text of any report file, notebook or JSON (ids are 5 digits: look for them as ids)
    for path in (online_retail_run / "reports" / "uci").rglob("*"):
        if path.suffix in {".html", ".md", ".json", ".ipynb"}:
            text = path.read_text(encoding="utf-8")
            assert not any(f"'{i}'" in text or f'"{i}"' in text or f">{i}<" in text for i in raw_ids), path
