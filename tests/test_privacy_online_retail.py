"""PII pseudonymisation, and the UCI "Online Retail"-shaped example config through notebooks 01, 02 and 04."""

import copy
import json

import pandas as pd
import pytest

from custseg import collect, config, demo, run

KEY_ENV = "CUSTSEG_TEST_PII_KEY"


def test_pseudonyms_are_keyed_stable_and_replace_pii(tiny_cfg, monkeypatch):
    cfg = copy.deepcopy(tiny_cfg)
    cfg["privacy"].update(pseudonymise_ids=True, pii_action="pseudonymise", key_env=KEY_ENV)
    monkeypatch.setenv(KEY_ENV, "secret-1")
    first = collect.collect(collect.connect(), cfg)
    again = collect.collect(collect.connect(), cfg)
    ids = first.customers.select("customer_id", "email").order_by("customer_id").execute()
    assert ids.equals(again.customers.select("customer_id", "email").order_by("customer_id").execute())
    raw = pd.read_csv(collect.io.source_path(cfg, "customers"), dtype=str)
    expected = {collect.pseudonym_of(i.strip().upper(), "secret-1") for i in raw["customer_id"]}
    assert set(ids["customer_id"]) == expected  # id variants (" c01", "C01") share one pseudonym
    assert ids["customer_id"].str.fullmatch("[0-9A-F]{20}").all()
    assert not set(ids["email"]) & set(raw["email"]) and not ids["email"].str.contains("@").any()
    tx_ids = set(first.transactions.customer_id.execute().dropna())
    assert not tx_ids & set(raw["customer_id"].str.strip().str.upper())
    assert set(first.survey.respondent_id.execute()) & expected
    monkeypatch.setenv(KEY_ENV, "secret-2")
    other = collect.collect(collect.connect(), cfg).customers.customer_id.execute()
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


@pytest.fixture(scope="module")
def online_retail_run(tmp_path_factory):
    """Notebooks 01, 02 and 04 on the Online Retail example, with pseudonymised customer ids."""
    workdir = tmp_path_factory.mktemp("online-retail")
    path = config.PROJECT_ROOT / "configs" / "online_retail_example.yaml"
    overrides = {"privacy.pseudonymise_ids": True, "privacy.key_env": KEY_ENV}
    mp = pytest.MonkeyPatch()
    mp.setenv(KEY_ENV, "uci-key")
    params = {"config_path": str(path), "run_name": "uci", "overrides": json.dumps(overrides),
              "workdir": str(workdir)}
    try:
        for stem in ("01_collect", "02_clean", "04_features"):
            run.execute(run.NOTEBOOK_DIR / f"{stem}.ipynb", workdir / f"{stem}.ipynb", params)
    finally:
        mp.undo()
    return workdir


def test_online_retail_collect_clean_features(online_retail_run):
    processed = online_retail_run / "data" / "processed" / "uci"
    snap = json.loads((processed / "snapshot.json").read_text())
    assert snap["lines_in"] == snap["lines_kept"] + snap["lines_quarantined"]
    audit = pd.read_csv(processed / "audit.csv").set_index("rule")["rows"]
    for rule in ("duplicate_line", "excluded_product", "missing_customer_id", "non_positive_price",
                 "bulk_outlier", "return_without_purchase", "return_netted"):
        assert audit[rule] > 0, rule
    features = pd.read_parquet(processed / "features.parquet")
    assert len(features) > 300 and features["customer_id"].is_unique
    assert (features["monetary"] <= features["gross_spend"]).all() and (features["return_rate"] > 0).any()


def test_online_retail_outputs_hold_no_raw_customer_id(online_retail_run):
    raw = pd.read_csv(online_retail_run / "data" / "raw" / "online_retail" / "online_retail.csv", dtype=str)
    raw_ids = set(raw["CustomerID"].dropna())
    expected = {collect.pseudonym_of(i, "uci-key") for i in raw_ids}
    checked = 0
    for folder in ("interim", "processed"):
        for path in (online_retail_run / "data" / folder / "uci").rglob("*.parquet"):
            df = pd.read_parquet(path)
            for col in {"customer_id", "raw_id"} & set(df.columns):
                values = set(df[col].dropna())
                assert not values & raw_ids, path
                assert values <= expected, path
                checked += 1
    assert checked >= 5
