import datetime as dt

import ibis
import pandas as pd
import pytest

from custseg import clean, collect
from custseg.reference import city_aliases, city_key

SNAP = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def cleaned(tiny_sources, tiny_cfg):
    c = tiny_cfg["clean"]
    kc, qc, ac = clean.clean_customers(tiny_sources["customers"], SNAP, c["min_age"], c["max_age"])
    kt, qt, at = clean.clean_transactions(tiny_sources["transactions"], kc, qc.filter(qc.reason == "test_account"),
                                          SNAP, c["max_line_quantity"], c["max_unit_price"])
    return {"kc": kc.execute(), "qc": qc.execute(), "ac": ac, "kt": kt.execute(), "qt": qt.execute(), "at": at}


def test_pii_is_dropped_and_test_accounts_flagged(tiny_sources):
    customers = tiny_sources["customers"]
    assert not {"name", "phone", "email"} & set(customers.columns)
    flagged = customers.filter(customers.looks_like_test).customer_id.execute()
    assert len(flagged) >= 3 and all(i.startswith("T") for i in flagged)


def test_reconciliation_finds_the_planted_gaps(tiny_sources):
    rec = collect.reconcile(tiny_sources["customers"], tiny_sources["transactions"], tiny_sources["survey"])
    counts = dict(zip(rec["check"], rec["count"], strict=True))
    assert counts["ordering customers missing from the CRM"] > 0  # U… ids
    assert counts["survey respondents missing from the CRM"] >= 3  # X… ids


def test_every_row_is_kept_or_quarantined(cleaned, tiny_sources):
    rows_in = tiny_sources["transactions"].count().execute()
    assert len(cleaned["kt"]) + len(cleaned["qt"]) == rows_in
    assert cleaned["at"]["rows"].sum() == len(cleaned["qt"])
    customers_in = tiny_sources["customers"].count().execute()
    assert len(cleaned["kc"]) + len(cleaned["qc"]) == customers_in


def test_planted_mess_is_caught(cleaned):
    kc, qt, kt = cleaned["kc"], cleaned["qt"], cleaned["kt"]
    assert kc["customer_id"].is_unique
    assert (kc["customer_id"] == kc["customer_id"].str.strip().str.upper()).all()
    reasons = set(qt["reason"])
    assert {"duplicate_line", "cancelled_order", "test_account", "unknown_customer", "non_positive_price",
            "bulk_outlier"} <= reasons
    assert (qt.loc[qt["reason"] == "unknown_customer", "customer_id"].str.startswith("U")).all()
    assert not kt["customer_id"].str.startswith(("T", "U")).any()
    assert (kt["unit_price"] > 0).all() and (kt["quantity"].abs() <= 50).all()
    assert not kt.duplicated(subset=["order_id", "line_no", "quantity"]).any()
    assert (kt["status"] != "cancelled").all()
    assert (kt.loc[kt["status"] == "returned", "quantity"] < 0).all(), "returns are kept for netting"


def test_cities_and_birth_dates(cleaned):
    kc = cleaned["kc"]
    canonical = set(city_aliases().values())
    assert set(kc["city"].dropna()) <= canonical
    age = (pd.Timestamp(SNAP) - pd.to_datetime(kc["birth_date"])).dt.days / 365.25
    assert age.dropna().between(16, 100).all()
    audit = cleaned["ac"].set_index("rule")["rows"]
    assert audit["duplicate_customer"] > 0 and audit["implausible_age"] > 0 and audit["city_spelling_normalised"] > 0


@pytest.mark.parametrize("spelling, city", [("上海市", "Shanghai"), (" shanghai ", "Shanghai"),
                                            ("Shanghai Shi", "Shanghai"), ("PEKING", "Beijing"), ("xian", "Xi'an")])
def test_city_aliases(spelling, city):
    assert city_aliases()[city_key(spelling)] == city


def test_rules_on_a_hand_made_example():
    customers = ibis.memtable(pd.DataFrame({"customer_id": ["A"], "signup_date": [dt.date(2024, 1, 1)]}))
    lines = pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3", "o4", "o5", "o6", "o7"],
        "line_no": [1, 1, 1, 1, 1, 1, 1, 1],
        "customer_id": [" a", " a", "A", "A", "B", "A", "A", "A"],
        "order_ts": pd.to_datetime(["2025-01-01"] * 6 + ["2027-01-01", "2025-02-01"]),
        "channel": "web", "status": ["completed", "completed", "cancelled", "completed", "completed",
                                     "completed", "completed", "returned"],
        "category": "x", "quantity": [1.0, 1.0, 1.0, 500.0, 1.0, 1.0, 1.0, -1.0],
        "unit_price": [10.0, 10.0, 10.0, 10.0, 10.0, 0.0, 10.0, 10.0], "discount": 0.0,
        "order_missing": False})
    lines["amount"] = lines["quantity"] * lines["unit_price"]
    tests = ibis.memtable(pd.DataFrame({"customer_id": pd.Series([], dtype="str")}))
    kept, quarantined, audit = clean.clean_transactions(ibis.memtable(lines), customers, tests, SNAP, 50, 20000)
    got = quarantined.execute().sort_values("order_id")["reason"].tolist()
    assert got == ["duplicate_line", "cancelled_order", "bulk_outlier", "unknown_customer", "non_positive_price",
                   "implausible_date"]
    assert sorted(kept.execute()["order_id"]) == ["o1", "o7"]
    assert audit.set_index("rule").loc["bulk_outlier", "amount"] == 5000.0
