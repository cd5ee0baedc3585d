import datetime as dt
import itertools

import ibis
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from custseg import features, plots, rfm

SNAP = dt.date(2025, 3, 1)


LINES = [  # order, customer, timestamp, channel, status, category, qty, price, discount
    ("o1", "A", "2025-01-01 10:00", "web", "completed", "food", 2, 10.0, 0.0),
    ("o1", "A", "2025-01-01 10:00", "web", "completed", "toys", 1, 30.0, 5.0),
    ("o2", "A", "2025-01-11 12:00", "store", "completed", "food", 1, 20.0, 0.0),
    ("r1", "A", "2025-01-15 09:00", "store", "returned", "food", -1, 20.0, 0.0),
    ("o3", "B", "2025-02-20 08:00", "app", "completed", "toys", 4, 25.0, 10.0),
]
# C buys twice on Monday 6 Jan (one day, one week), on Monday 3 Feb and Wednesday 5 Feb (one week), and
# once after the observation end
CLV_LINES = [
    ("o4", "C", "2025-01-06 09:00", "web", "completed", "food", 1, 10.0, 0.0),
    ("o5", "C", "2025-01-06 18:00", "web", "completed", "food", 1, 15.0, 0.0),
    ("o6", "C", "2025-02-03 11:00", "web", "completed", "food", 1, 30.0, 0.0),
    ("o7", "C", "2025-02-05 12:00", "web", "completed", "food", 1, 40.0, 0.0),
    ("o8", "C", "2025-03-02 12:00", "web", "completed", "food", 1, 99.0, 0.0),
]


def lines(rows=LINES):
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


def test_an_order_counts_once_in_channel_shares_and_return_only_customers_are_left_out():
    rows = [*LINES, ("o9", "B", "2025-02-21 08:00", "app", "completed", "toys", 1, 5.0, 0.0),
            ("o9", "B", "2025-02-21 08:00", "web", "completed", "toys", 1, 5.0, 0.0),  # one order, two channels
            ("r2", "D", "2025-02-22 08:00", "store", "returned", "food", -1, 20.0, 0.0)]  # D only returned
    f = features.behaviour(lines(rows), SNAP).set_index("customer_id")
    assert "D" not in f.index and f.loc["B", "frequency"] == 2
    shares = f.filter(like="share_channel_")
    assert shares.sum(axis=1).to_numpy() == pytest.approx(1.0)


def test_clv_summary_by_hand_in_days():
    s = features.clv_summary(lines(LINES + CLV_LINES), SNAP)
    # A: purchase days 1 Jan (45) and 11 Jan (20); the return on 15 Jan is not a purchase
    # B: one purchase day, 20 Feb; C: 6 Jan (10 + 15 collapsed), 3 Feb (30), 5 Feb (40); 2 Mar is after the end
    assert list(s.columns) == ["customer_id", "frequency", "recency", "T", "monetary_value"]
    assert s.to_dict("list") == {"customer_id": ["A", "B", "C"], "frequency": [1.0, 0.0, 2.0],
                                 "recency": [10.0, 0.0, 30.0], "T": [59.0, 9.0, 54.0],
                                 "monetary_value": [20.0, 0.0, 35.0]}


def test_clv_summary_by_hand_in_weeks_and_scaled():
    s = features.clv_summary(lines(LINES + CLV_LINES), SNAP, time_unit="W").set_index("customer_id")
    # weeks start on Monday: A buys in the weeks of 30 Dec and 6 Jan; the end (Sat 1 Mar) is in the week of 24 Feb
    assert s.loc["A"].to_dict() == {"frequency": 1.0, "recency": 1.0, "T": 8.0, "monetary_value": 20.0}
    assert s.loc["B"].to_dict() == {"frequency": 0.0, "recency": 0.0, "T": 1.0, "monetary_value": 0.0}
    # C: 3 Feb and 5 Feb are one week, spending 30 + 40
    assert s.loc["C"].to_dict() == {"frequency": 1.0, "recency": 4.0, "T": 7.0, "monetary_value": 70.0}
    scaled = features.clv_summary(lines(LINES + CLV_LINES), SNAP, time_scaler=7).set_index("customer_id")
    assert scaled.loc["A", "T"] == pytest.approx(59 / 7) and scaled.loc["C", "frequency"] == 2
    with pytest.raises(ValueError, match="time unit"):
        features.clv_summary(lines(), SNAP, time_unit="ME")


def test_calibration_holdout_by_hand():
    s = features.calibration_holdout(lines(LINES + CLV_LINES), dt.date(2025, 2, 1), SNAP)
    # B first bought in the holdout: not in the calibration, so not in the table
    assert s.to_dict("list") == {
        "customer_id": ["A", "C"], "frequency_cal": [1.0, 0.0], "recency_cal": [10.0, 0.0],
        "T_cal": [30.0, 25.0], "monetary_value_cal": [20.0, 0.0],
        "frequency_holdout": [0.0, 2.0], "monetary_value_holdout": [0.0, 35.0], "duration_holdout": [29.0, 29.0]}
    with pytest.raises(ValueError, match="no purchases before"):
        features.calibration_holdout(lines(), dt.date(2024, 1, 1), SNAP)
    with pytest.raises(ValueError, match="after the end"):
        features.calibration_holdout(lines(), dt.date(2025, 4, 1), SNAP)


def test_clv_beside_the_table_counts_repeat_periods_within_orders():
    table = pd.DataFrame({"customer_id": ["A", "B"], "recency_days": [5.0, 9.0], "tenure_days": [40.0, 9.0],
                          "frequency": [3, 1], "monetary": [60.0, 75.0]})
    clv = pd.DataFrame({"customer_id": ["B", "A"], "frequency": [0.0, 2.0], "recency": [0.0, 30.0],
                        "T": [9.0, 40.0], "monetary_value": [0.0, 25.0]})
    both = features.beside_table(table, clv)
    assert list(both.columns) == ["customer_id", "recency_days", "tenure_days", "frequency", "monetary",
                                  "frequency_clv", "recency", "T", "monetary_value"]
    assert both.set_index("customer_id")["frequency_clv"].to_dict() == {"A": 2.0, "B": 0.0}
    assert features.repeats_within_orders(both)
    assert not features.repeats_within_orders(both.assign(frequency_clv=[3.0, 0.0]))


def test_bought_again_by_history():
    cal = pd.DataFrame({"customer_id": list("abcde"), "frequency_cal": [0.0, 0.0, 1.0, 2.0, 9.0],
                        "frequency_holdout": [0.0, 2.0, 1.0, 0.0, 3.0]})
    got = features.bought_again_by_history(cal)
    assert [str(i) for i in got.index] == ["0", "1", "2-3", "8+"]  # no one in 4-7
    assert got["customers"].tolist() == [2, 1, 1, 1]
    assert got["holdout_periods"].tolist() == [1.0, 1.0, 0.0, 3.0]
    assert got["bought_again"].tolist() == [0.5, 1.0, 0.0, 1.0]


def test_every_demo_province_has_a_region():
    from custseg.reference import CITIES, REGIONS

    assert {province for province, _, _ in CITIES.values()} <= set(REGIONS)


def test_demographics_and_groups():
    customers = pd.DataFrame({"customer_id": ["A", "B"], "birth_date": [dt.date(1990, 3, 2), None],
                              "gender": ["F", "M"], "city": ["Shanghai", "Anshun"], "province": ["Shanghai", "Guizhou"],
                              "city_tier": ["tier 1", "tier 4"]})
    d = features.demographics(customers, SNAP, [18, 25, 35])
    assert d.loc[0, "age"] == 34 and d.loc[0, "age_band"] == "25-34"
    assert pd.isna(d.loc[1, "age"]) and pd.isna(d.loc[1, "age_band"])
    assert list(d["region"]) == ["East", "Southwest"]
    survey = pd.DataFrame({"respondent_id": [" a", "A"], "submitted_on": pd.to_datetime(["2025-01-01", "2025-02-01"]),
                           "loyalty": [1, 5]})
    p = features.psychographics(survey)
    assert p.to_dict("records") == [{"customer_id": "A", "survey_loyalty": 5}]
    table = features.customer_table(features.behaviour(lines(), SNAP), d, p)
    groups = features.feature_groups(table)
    assert groups["psychographic"] == ["survey_loyalty"]
    assert groups["geographic"] == ["city", "province", "region", "city_tier"] and "age" in groups["demographic"]
    assert "monetary" in groups["behavioural"] and "age" not in groups["behavioural"]


def test_a_tables_demographics_are_found_by_name_and_its_dates_are_known():
    table = pd.DataFrame({"customer_id": ["A", "B"], "SeniorCitizen": [0, 1], "Partner": [1, 0],
                          "Dependents": [0, 0], "tenure": [3, 40], "MonthlyCharges": [20.5, 99.0], "Churn": [0, 1]})
    groups = features.feature_groups(table, ["Churn"])
    assert groups["demographic"] == ["SeniorCitizen", "Partner", "Dependents"]
    assert groups["behavioural"] == ["tenure", "MonthlyCharges"] and groups["outcome"] == ["Churn"]
    undated = pd.DataFrame({"customer_id": ["A", "B"], "birth_date": pd.to_datetime([None, None]),
                            "Contract": ["One year", "Month-to-month"], "tenure": ["3", "40"]})
    assert not features.has_dates(undated)
    assert features.has_dates(undated.assign(joined=["2024-01-05", "2023-11-30"]))
    assert features.has_dates(undated.assign(birth_date=pd.to_datetime(["1980-01-01", None])))


@pytest.mark.parametrize("bins", rfm.BINS)
def test_default_grids_are_exhaustive_and_non_overlapping(bins):
    grid = rfm.make_grid(None, bins)
    for r, f, m in itertools.product(range(1, bins + 1), repeat=3):
        matches = [rule.segment for rule in grid if rule.covers(r, f, m)]
        assert len(matches) == 1, (r, f, m, matches)
    assert all(rule.action for rule in grid)
    names = {rule.segment for rule in grid}
    assert {"Champions", "Loyal", "New", "At Risk", "Can't Lose Them", "Lost"} <= names
    if bins == 5:
        assert names == set(rfm.ACTIONS) and len(names) == 11


def test_grid_from_config_format_with_m_and_errors():
    # a three-segment grid that also uses M: the best R with high spend are VIPs
    spec = [{"segment": "VIP", "r": "3", "f": "1-3", "m": [3]},
            {"segment": "Active", "r": 3, "f": "1-3", "m": "1-2", "action": "keep in touch"},
            {"segment": "Lapsed", "r": "1-2", "f": [1, 2, 3]}]
    cells = rfm.cell_map(rfm.make_grid(spec, 3), 3)
    assert len(cells) == 27 and cells[(3, 1, 3)] == "VIP" and cells[(3, 3, 2)] == "Active"
    assert cells[(1, 3, 3)] == "Lapsed"
    with pytest.raises(ValueError, match=r"R=3 F=2 M=3 → VIP and Active"):
        rfm.make_grid([*spec, {"segment": "Active", "r": 3, "f": 2, "m": 3}], 3)
    with pytest.raises(ValueError, match=r"2 of 9 cells do not: R=1 F=3 → no segment; R=2 F=3 → no segment"):
        rfm.make_grid([{"segment": "x", "r": "1-3", "f": "1-2"}, {"segment": "y", "r": 3, "f": 3}], 3)
    with pytest.raises(ValueError, match=r"rfm.grid\[0\].f must be scores within 1-3"):
        rfm.make_grid([{"segment": "x", "r": "1-3", "f": "1-4"}], 3)
    with pytest.raises(ValueError, match="mapping with segment, r, f"):
        rfm.make_grid([{"segment": "x", "r": 1, "frequency": 1}], 3)


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
    assert (champions["rfm_action"] == rfm.ACTIONS["Champions"]).all()
    summary = rfm.segment_summary(s)
    assert summary["customers"].sum() == 100 and summary["share"].sum() == pytest.approx(1.0)
    assert summary["revenue_share"].is_monotonic_decreasing and summary["action"].notna().all()
    # ties kept together: the 60 one-order customers all score 1; 2 orders rank 61st of 100 -> score 4
    kept = rfm.score(df["frequency"], 5, ties="keep")
    assert (kept[:60] == 1).all() and kept[60] == 4 and set(kept) == {1, 4, 5}
    assert rfm.score(df["recency_days"], 5, higher_is_better=False, ties="keep").equals(s["r_score"])


@pytest.mark.parametrize("bins", rfm.BINS)
def test_quantile_scores_for_3_4_5_bins(bins):
    values = pd.Series(range(60))
    s = rfm.score(values, bins)
    assert (s.value_counts() == 60 // bins).all() and s.is_monotonic_increasing
    scores = rfm.rfm_table(pd.DataFrame({"customer_id": range(60), "recency_days": range(60),
                                         "frequency": range(60), "monetary": range(60)}), bins)
    assert scores["rfm_segment"].notna().all() and scores[["r_score", "f_score", "m_score"]].max().max() == bins


def test_fixed_thresholds():
    freq = pd.Series([1, 2, 3, 4, 5, 9, 10, 50])
    assert list(rfm.score(freq, 5, binning="fixed", thresholds=[2, 3, 5, 10])) == [1, 2, 3, 3, 4, 4, 5, 5]
    recency = pd.Series([0, 29, 30, 89, 90, 364, 365, 1000])
    assert list(rfm.score(recency, 5, higher_is_better=False, binning="fixed", thresholds=[30, 90, 180, 365])) == [
        5, 5, 4, 4, 3, 2, 1, 1]
    with pytest.raises(ValueError, match="4 increasing numbers"):
        rfm.score(freq, 5, binning="fixed", thresholds=[2, 3, 3, 10])
    df = pd.DataFrame({"customer_id": list("abcd"), "recency_days": [5, 40, 200, 400], "frequency": [12, 6, 2, 1],
                       "monetary": [5000.0, 900.0, 120.0, 30.0]})
    thresholds = {"recency_days": [30, 90, 180, 365], "frequency": [2, 3, 5, 10], "monetary": [50, 100, 500, 1000]}
    s = rfm.rfm_table(df, binning="fixed", thresholds=thresholds)
    assert list(s["rfm_code"]) == ["555", "444", "223", "111"]
    assert list(s["rfm_segment"]) == ["Champions", "Loyal", "Hibernating", "Lost"]
    with pytest.raises(ValueError, match="needs rfm.thresholds"):
        rfm.rfm_table(df, binning="fixed", thresholds={"frequency": [2, 3, 5, 10]})
    custom = rfm.score(freq, 3, binning=lambda v, bins, up: (v > 3).astype(int) + 1)
    assert list(custom) == [1, 1, 1, 2, 2, 2, 2, 2]


def test_grid_table():
    df = pd.DataFrame({"customer_id": range(50), "recency_days": range(50), "frequency": range(50),
                       "monetary": range(50)})
    names, shares = rfm.grid_table(rfm.rfm_table(df))
    assert list(names.index) == [5, 4, 3, 2, 1] and shares.sum().sum() == pytest.approx(1.0)
    assert names.loc[5, 1] == "New" or pd.isna(shares.loc[5, 1])


def test_clv_summary_matches_an_independent_pandas_reference():
    # lifetimes' summary_data_from_transaction_data, written out in pandas, on random purchases and returns
    rng = np.random.default_rng(4)
    n = 600
    df = pd.DataFrame({"order_id": [f"o{i}" for i in range(n)], "customer_id": rng.choice(list("ABCDEFGHIJ"), n),
                       "order_ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 400 * 24, n), "h"),
                       "channel": "web", "category": "food", "unit_price": rng.uniform(5, 50, n).round(2),
                       "discount": 0.0})
    df["quantity"] = np.where(rng.random(n) < 0.1, -1.0, 1.0)
    df["status"] = np.where(df["quantity"] < 0, "returned", "completed")
    df["amount"] = df["quantity"] * df["unit_price"]
    end = dt.date(2024, 12, 1)
    got = features.clv_summary(ibis.memtable(df), end, time_unit="W").set_index("customer_id")

    buys = df[(df["quantity"] > 0) & (df["order_ts"].dt.date <= end)]
    periods = (buys.assign(period=buys["order_ts"].dt.to_period("W").dt.start_time)
               .groupby(["customer_id", "period"], as_index=False)["amount"].sum())
    per = periods.groupby("customer_id")
    first, last = per["period"].min(), per["period"].max()
    end_period = pd.Period(end, "W").start_time
    repeat = periods[periods["period"] > periods["customer_id"].map(first)]
    expected = pd.DataFrame({"frequency": per.size() - 1.0, "recency": (last - first).dt.days / 7,
                             "T": (end_period - first).dt.days / 7,
                             "monetary_value": repeat.groupby("customer_id")["amount"].mean()}).fillna(0.0)
    pd.testing.assert_frame_equal(got, expected, check_names=False, check_exact=False, rtol=1e-12)


def test_rfm_grid_figure_names_every_scored_cell():
    df = pd.DataFrame({"customer_id": range(200), "recency_days": np.arange(200) % 37,
                       "frequency": np.arange(200) % 11, "monetary": np.arange(200.0)})
    names, shares = rfm.grid_table(rfm.rfm_table(df))
    fig = plots.rfm_grid(names, shares)
    texts = [t.get_text() for t in fig.axes[0].texts]
    cells = [(r, f) for r in names.index for f in names.columns if isinstance(names.loc[r, f], str)]
    assert len(texts) == len(cells)
    assert sorted(texts) == sorted(f"{names.loc[r, f]}\n{shares.loc[r, f]:.1%}" for r, f in cells)
    plt.close(fig)


def test_before_after_histogram_shows_the_log_reducing_skew():
    values = pd.Series(np.random.default_rng(2).lognormal(5, 1.2, 2000))
    fig = plots.before_after(values, "why log", "spend")
    raw, logged = fig.axes[:2]
    skew = [float(ax.get_title().split("skew ")[1].rstrip(")")) for ax in (raw, logged)]
    assert skew[0] == pytest.approx(values.skew(), abs=0.05) and abs(skew[1]) < 0.2 < skew[0]
    assert logged.get_xlabel() == "log(1 + spend)"
    plt.close(fig)
