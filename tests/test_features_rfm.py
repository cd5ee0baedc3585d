import datetime as dt
import itertools

import ibis
import pandas as pd
import pytest

from custseg import features, rfm

SNAP = dt.date(2025, 3, 1)


def lines():
    rows = [  # order, customer, timestamp, channel, status, category, qty, price, discount
        ("o1", "A", "2025-01-01 10:00", "web", "completed", "food", 2, 10.0, 0.0),
        ("o1", "A", "2025-01-01 10:00", "web", "completed", "toys", 1, 30.0, 5.0),
        ("o2", "A", "2025-01-11 12:00", "store", "completed", "food", 1, 20.0, 0.0),
        ("r1", "A", "2025-01-15 09:00", "store", "returned", "food", -1, 20.0, 0.0),
        ("o3", "B", "2025-02-20 08:00", "app", "completed", "toys", 4, 25.0, 10.0),
    ]
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_ts", "channel", "status", "category",
                                     "quantity", "unit_price", "discount"])
    df["order_ts"] = pd.to_datetime(df["order_ts"])
    df["quantity"] = df["quantity"].astype("float64")
    df["amount"] = df["quantity"] * df["unit_price"] - df["discount"]
    return ibis.memtable(df)


def test_rfm_and_behaviour_by_hand():
    f = features.behaviour(lines(), SNAP).set_index("customer_id")
    a, b = f.loc["A"], f.loc["B"]
    # A: orders o1 (20 + 25 = 45) and o2 (20), a return of 20 -> net 45; last purchase 2025-01-11
    assert a["frequency"] == 2 and a["monetary"] == pytest.approx(45.0)
    assert a["recency_days"] == (SNAP - dt.date(2025, 1, 11)).days
    assert a["tenure_days"] == (SNAP - dt.date(2025, 1, 1)).days
    assert a["avg_order_value"] == pytest.approx(65.0 / 2)
    assert a["interpurchase_days"] == pytest.approx(10.0)
    assert a["return_rate"] == pytest.approx(20.0 / 65.0)
    assert a["discount_share"] == pytest.approx(5.0 / 70.0)
    assert a["share_channel_web"] == pytest.approx(0.5) and a["share_channel_store"] == pytest.approx(0.5)
    assert a["share_cat_food"] == pytest.approx(40.0 / 65.0)
    assert b["frequency"] == 1 and pd.isna(b["interpurchase_days"]) and b["monetary"] == pytest.approx(90.0)
    assert b["share_channel_app"] == 1.0 and b["share_cat_toys"] == 1.0


def test_demographics_and_groups():
    customers = pd.DataFrame({"customer_id": ["A", "B"], "birth_date": [dt.date(1990, 3, 2), None],
                              "gender": ["F", "M"], "city": ["Shanghai", "Anshun"], "city_tier": ["tier 1", "tier 4"]})
    d = features.demographics(customers, SNAP, [18, 25, 35])
    assert d.loc[0, "age"] == 34 and d.loc[0, "age_band"] == "25-34"
    assert pd.isna(d.loc[1, "age"]) and pd.isna(d.loc[1, "age_band"])
    survey = pd.DataFrame({"respondent_id": [" a", "A"], "submitted_on": pd.to_datetime(["2025-01-01", "2025-02-01"]),
                           "loyalty": [1, 5]})
    p = features.psychographics(survey)
    assert p.to_dict("records") == [{"customer_id": "A", "survey_loyalty": 5}]
    table = features.customer_table(features.behaviour(lines(), SNAP), d, p)
    groups = features.feature_groups(table)
    assert groups["psychographic"] == ["survey_loyalty"]
    assert "city_tier" in groups["geographic"] and "age" in groups["demographic"]
    assert "monetary" in groups["behavioural"] and "age" not in groups["behavioural"]


def test_grid_is_exhaustive_and_non_overlapping():
    for r, f in itertools.product(range(1, 6), repeat=2):
        matches = [name for name, rs, fs, _ in rfm.GRID if r in rs and f in fs]
        assert len(matches) == 1, (r, f, matches)
    assert len({name for name, *_ in rfm.GRID}) == len(rfm.GRID)


def test_scores_direction_and_ties():
    df = pd.DataFrame({"customer_id": [f"c{i}" for i in range(100)], "recency_days": range(100),
                       "frequency": [1] * 60 + list(range(2, 42)), "monetary": [float(i) for i in range(100)]})
    s = rfm.rfm_table(df)
    assert s["r_score"].iloc[0] == 5 and s["r_score"].iloc[-1] == 1, "recent buyers score high"
    assert s["m_score"].iloc[-1] == 5
    assert (s["f_score"].value_counts() == 20).all(), "ties broken so bins stay equal"
    assert s["rfm_code"].str.fullmatch(r"[1-5]{3}").all()
    champions = s[(s["r_score"] == 5) & (s["f_score"] >= 4)]
    assert (champions["rfm_segment"] == "Champions").all()
    summary = rfm.segment_summary(s)
    assert summary["customers"].sum() == 100 and summary["share"].sum() == pytest.approx(1.0)
