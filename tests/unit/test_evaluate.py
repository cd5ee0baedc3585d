"""Evaluation: scorecard, predictive validation, PSI, transitions and the planted shift of the demo."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from custseg import config, demo, evaluate, i18n, io, schema
from custseg.report import index, languages


# --------------------------------------------------------------------------------------------- statistics
def test_eta_squared_by_hand():
    # mean 2.5; total SS = 5; between = 2·1² + 2·1² = 4
    assert evaluate.eta_squared([1, 2, 3, 4], ["a", "a", "b", "b"]) == pytest.approx(0.8)
    assert evaluate.eta_squared([1, 2, 1, 2], ["a", "a", "b", "b"]) == pytest.approx(0.0)
    assert math.isnan(evaluate.eta_squared([1, 2, 3], ["a", "a", "a"]))


def test_separation_tells_signal_from_noise():
    rng = np.random.default_rng(0)
    seg = np.repeat([0, 1, 2], 200)
    df = pd.DataFrame({"segment": seg, "signal": seg * 3 + rng.normal(0, 1, 600), "noise": rng.normal(0, 1, 600)})
    out = evaluate.separation(df, ["noise", "signal"]).set_index("feature")
    assert out.index[0] == "signal" and out.loc["signal", "eta2"] > 0.8 and out.loc["signal", "significant"]
    assert out.loc["noise", "eta2"] < 0.02 and not out.loc["noise", "significant"]
    assert 0 < out.loc["signal", "kruskal_eta2"] <= 1


# --------------------------------------------------------------------------------------------- scorecard
@pytest.fixture
def known():
    """Segment 0: big, valuable, buys on the web; 1: big, in store, cheap; 2: 2 % of customers, like everyone."""
    rng = np.random.default_rng(1)
    seg = np.array([0] * 490 + [1] * 490 + [2] * 20)
    web = np.where(seg == 0, 0.9, np.where(seg == 1, 0.1, 0.5)) + rng.normal(0, 0.05, 1000)
    spend = np.where(seg == 0, 900.0, np.where(seg == 1, 100.0, 500.0)) * rng.uniform(0.8, 1.2, 1000)
    df = pd.DataFrame({"customer_id": [f"C{i}" for i in range(1000)], "segment": seg, "monetary": spend,
                       "share_channel_web": web, "age": rng.normal(40, 10, 1000)})
    df.loc[df["segment"] == 1, "age"] = np.nan  # segment 1's age is unknown
    stability = pd.DataFrame({"segment": [0, 1, 2], "jaccard": [0.95, 0.9, 0.4]})
    reach = pd.Series(np.where(seg == 0, True, rng.random(1000) < 0.2))
    return df, stability, reach


def test_scorecard_on_a_known_example(known):
    df, stability, reach = known
    card = evaluate.scorecard(df, ["monetary", "share_channel_web", "age"], segment_stability=stability,
                              reachable=reach).set_index("segment")
    assert card.loc[0, ["measurable", "substantial", "accessible", "differentiable", "actionable", "stable"]].all()
    assert card.loc[0, "verdict"].startswith("keep")
    assert card.loc[0, "value_share"] > 0.8 and card.loc[2, "share"] == pytest.approx(0.02)
    # segment 1: age missing for all its customers, hardly reachable, but big, different and stable
    assert not card.loc[1, "measurable"] and not card.loc[1, "accessible"] and card.loc[1, "differentiable"]
    assert card.loc[1, "verdict"].startswith("review") and "not measurable" in card.loc[1, "verdict"]
    # segment 2: tiny, like the average customer, dissolves in refits
    assert not card.loc[2, "substantial"] and not card.loc[2, "differentiable"] and not card.loc[2, "stable"]
    assert card.loc[2, "verdict"].startswith("rethink")
    assert card.loc[0, "lever"] == "share_channel_web"
    summary = evaluate.solution_summary(card.reset_index(), evaluate.separation(df, ["monetary", "share_channel_web"]),
                                        0.9)
    assert (summary["segments_keep"], summary["segments_review"], summary["segments_rethink"]) == (1, 1, 1)


def test_scorecard_says_what_it_cannot_measure(known):
    df, _, _ = known
    card = evaluate.scorecard(df, ["monetary", "share_channel_web"])
    assert card["accessible"].isna().all() and card["stable"].isna().all()
    assert card["verdict"].str.contains("accessible, stable not measured").all()


def test_reach_reads_contact_fields_and_opt_ins():
    crm = pd.DataFrame({"email": ["a@x.cn", None, "", None], "sms_opt_in": [False, True, False, "no"]})
    assert evaluate.reach(crm, ["email", "sms_opt_in", "wechat_id"]).tolist() == [True, True, False, False]
    assert evaluate.reach(crm, ["wechat_id"]) is None


# --------------------------------------------------------------------------------------------- prediction
def test_predictive_validation_where_the_answer_is_known():
    rng = np.random.default_rng(3)
    n = 3000
    group = rng.integers(0, 4, n)  # the true driver of future behaviour
    data = pd.DataFrame({"customer_id": np.arange(n), "monetary": (group + 1) * 100 + rng.normal(0, 20, n),
                         "frequency": group + 1 + rng.integers(0, 2, n), "recency_days": (4 - group) * 30.0,
                         "holdout_spend": (group + 1) * 50 + rng.normal(0, 10, n),
                         "holdout_orders": np.maximum(group - 1 + rng.integers(0, 2, n), 0)})
    data["churned"] = (data["holdout_orders"] == 0).astype(int)
    data["holdout_log_spend"] = np.log1p(data["holdout_spend"].clip(lower=0))
    table = evaluate.compare({"informed": group, "random": rng.integers(0, 4, n)}, data)
    informed = table[table["method"] == "informed"].set_index("outcome")
    random = table[table["method"] == "random"].set_index("outcome")
    assert (informed["eta2"] > 0.5).all() and (random["eta2"] < 0.01).all()
    assert informed.loc["spend", "rank_order"] == pytest.approx(1.0)
    assert informed.loc["spend", "top_lift"] == pytest.approx(200 / 125, rel=0.02)  # group 3 mean 200, overall 125
    assert informed.loc["churn", "top_share"] == pytest.approx((group == 0).mean())  # group 0 churns most
    with pytest.raises(ValueError, match="same customers"):
        evaluate.compare({"short": group[:10]}, data)
    segmentations = {"informed": group, "random": rng.integers(0, 4, n)}
    margin = evaluate.margins(segmentations, data, "informed", table, resamples=100).set_index("outcome")
    assert (margin["result"] == "wins").all() and (margin["low"] > 0.4).all()
    result = evaluate.winner(table, margin.reset_index(), "informed")
    assert result["wins"] and set(result["best"].values()) == {"informed"}
    assert "wins beyond noise on 4 of 4 outcomes" in result["text"]
    against = evaluate.margins(segmentations, data, "random", table, resamples=100)
    assert not evaluate.winner(table, against, "random")["wins"] and (against["result"] == "loses").all()


def test_the_contest_arithmetic_on_a_hand_made_example():
    """Six customers, two segmentations: eta² by hand, the margin and a tie where noise decides."""
    calibration = pd.DataFrame({"customer_id": range(6), "monetary": [1.0, 1, 2, 2, 3, 3],
                                "frequency": [1, 1, 2, 2, 3, 3], "recency_days": [9.0, 9, 5, 5, 1, 1]})
    holdout = pd.DataFrame({"customer_id": range(2, 6), "holdout_spend": [10.0, 10, 20, 20],
                            "holdout_orders": [1, 1, 2, 2]})
    data = evaluate.with_outcomes(calibration, holdout)  # customers 0 and 1 did nothing: 0 and churned
    assert data["churned"].tolist() == [1, 1, 0, 0, 0, 0]
    assert data["holdout_log_spend"].tolist() == pytest.approx(np.log1p([0, 0, 10, 10, 20, 20]))
    exact, coarse = np.array([0, 0, 1, 1, 2, 2]), np.array([0, 0, 1, 1, 1, 1])
    table = evaluate.compare({"exact": exact, "coarse": coarse}, data)
    eta = table.pivot(index="method", columns="outcome", values="eta2")
    # spend: mean 10, total SS 4·10² = 400; coarse groups {0, 0} and {10, 10, 20, 20} (mean 15): between SS
    # 2·10² + 4·5² = 300
    assert eta.loc["exact", "spend"] == pytest.approx(1.0)
    assert eta.loc["coarse", "spend"] == pytest.approx(300 / 400)
    assert table.set_index("method").loc["coarse", "smallest_share"].iloc[0] == pytest.approx(1 / 3)
    margin = evaluate.margins({"exact": exact, "coarse": coarse}, data, "exact", table, resamples=300)
    spend = margin.set_index("outcome").loc["spend"]
    assert spend["best_rival"] == "coarse" and spend["margin"] == pytest.approx(0.25)
    assert spend["low"] <= spend["margin"] <= spend["high"]
    assert spend["low"] >= 0  # exact never explains less than a coarsening of itself
    churn = margin.set_index("outcome").loc["churn"]  # both separate churn perfectly: nothing to win
    assert churn["margin"] == pytest.approx(0) and churn["result"] == "tie"


def test_pooled_rfm_keeps_the_value_order():
    names = pd.Series(["Lost"] * 5 + ["Champions"] * 4 + ["New"] * 2 + ["Loyal"] * 3)
    value = names.map({"Champions": 900.0, "Loyal": 500.0, "New": 120.0, "Lost": 60.0})
    pooled = evaluate.pooled_rfm(names, value, 2)
    assert pooled.nunique() == 2
    assert set(pooled[names.isin(["Champions", "Loyal"])]) == {"Champions + Loyal"}  # neighbours in value
    assert set(pooled[names.isin(["New", "Lost"])]) == {"New + Lost"}
    three = evaluate.pooled_rfm(names, value, 3)
    means = value.groupby(three).mean().sort_values()
    assert three.nunique() == 3
    order = [value[three == p].max() for p in means.index]
    assert order == sorted(order), "a pool never mixes segments out of value order"
    assert evaluate.pooled_rfm(names, value, 4).equals(names)


def test_holdout_outcomes_and_churn():
    import ibis

    t = ibis.memtable(pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "C"], "order_id": ["1", "2", "2r", "3", "4"],
        "order_ts": pd.to_datetime(["2025-01-10", "2025-03-01", "2025-03-05", "2025-03-02", "2025-04-01"]),
        "status": ["completed", "completed", "returned", "completed", "completed"],
        "quantity": [1, 2, -1, 1, 1], "amount": [10.0, 20.0, -10.0, 5.0, 7.0]}))
    out = evaluate.holdout_outcomes(t, dt.date(2025, 2, 1), dt.date(2025, 3, 31)).set_index("customer_id")
    assert out.loc["A", "holdout_spend"] == 10.0 and out.loc["A", "holdout_orders"] == 1
    assert "C" not in out.index
    data = evaluate.with_outcomes(pd.DataFrame({"customer_id": ["A", "B", "C"]}), out.reset_index())
    assert data["churned"].tolist() == [0, 0, 1] and data["holdout_orders"].tolist() == [1, 1, 0]


# --------------------------------------------------------------------------------------------- migration
def test_psi_against_a_hand_computation():
    # bins=2: the median of [1, 2, 3, 4] (2.5) splits; expected shares 0.5/0.5, actual 0.75/0.25
    hand = (0.75 - 0.5) * np.log(0.75 / 0.5) + (0.25 - 0.5) * np.log(0.25 / 0.5)
    assert evaluate.psi([1, 2, 3, 4], [1, 1, 1, 4], bins=2) == pytest.approx(hand)
    assert hand == pytest.approx(0.2747, abs=1e-4)
    x = np.random.default_rng(0).normal(size=2000)
    assert evaluate.psi(x, x) == pytest.approx(0.0)
    assert evaluate.psi(x, x + 1) > 0.25
    assert [schema.drift_status(v) for v in (0.05, 0.1, 0.3)] == ["stable", "watch", "re-fit"]


def test_transitions_new_gone_and_flows():
    before = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "segment": [0, 0, 1, 1]})
    after = pd.DataFrame({"customer_id": ["a", "b", "c", "e"], "segment": [0, 1, 1, 0]})
    m = evaluate.transitions(before, after)
    assert list(m.index) == [0, 1, "new"] and list(m.columns) == [0, 1, "gone"]
    assert m.loc[0, 0] == 1 and m.loc[0, 1] == 1 and m.loc[1, "gone"] == 1 and m.loc["new", 0] == 1
    f = evaluate.flows(m).set_index("segment")
    assert f.loc[0, "stayed"] == 0.5 and f.loc[0, "moved"] == 0.5 and f.loc[0, "main_destination"] == "1"
    assert f.loc[1, "gone"] == 0.5 and f.loc[0, "new_in"] == 1


def test_the_re_fit_advice_names_the_drifts_and_flows_in_the_report_s_language():
    drifted = pd.DataFrame({"recency_days": [0.31, 0.02], "monetary": [0.12, 0.01]},
                           index=pd.Index([0, 1], name="segment"))
    moved = pd.DataFrame({"segment": [0, 1], "moved": [0.4, 0.1], "stayed": [0.6, 0.9],
                          "main_destination": ["1", None]})
    active = pd.DataFrame({"segment": [0, 1], "active_before": [0.7, 0.5], "active_after": [0.3, 0.45],
                           "change": [-0.4, -0.05]})
    en = evaluate.recommendation(drifted, moved, active=active)
    assert en["status"] == "re-fit" and en["per_segment"] == {"0": "re-fit", "1": "stable"}
    assert en["reason"].startswith("largest drifts: recency_days in segment 0 (PSI 0.31)")
    assert "Segment 0 kept 60% of its customers; 40% moved, mostly to segment 1." in en["reason"]
    assert "Activity fell most in segment 0: 70% bought" in en["reason"] and "rerun 05_cluster" in en["reason"]
    zh = evaluate.recommendation(drifted, moved, active=active, language="zh")
    assert zh["status"] == en["status"] and "细分 0 留住了 60% 的客户" in zh["reason"]
    assert "重新运行 05_cluster" in zh["reason"]
    assert languages.latin_share(f"<p>{zh['reason']}</p>") < languages.MAX_LATIN_SHARE, zh["reason"]
    calm = evaluate.recommendation(drifted * 0, moved.iloc[:0], language="zh")
    assert calm["status"] == "stable" and calm["reason"].endswith("。所有 PSI 都低于 0.1：这些细分仍然能描述客户。")


def test_align_fills_unused_channels_only():
    table = pd.DataFrame({"recency_days": [1.0], "share_channel_app": [1.0]})
    out = evaluate.align(table, ["recency_days", "share_channel_app", "share_channel_store"])
    assert out["share_channel_store"].tolist() == [0.0]
    with pytest.raises(KeyError, match="monetary"):
        evaluate.align(table, ["monetary"])


def test_demo_shift_changes_nothing_before_it():
    plain = demo.generate(400, 3)
    shifted = demo.generate(400, 3, shift_persona="young_trend_seekers", shift_share=0.5, shift_date="2025-01-01")
    early = lambda o: o[o["order_ts"] < pd.Timestamp("2025-01-01")].reset_index(drop=True)  # noqa: E731
    assert early(plain["orders"]).equals(early(shifted["orders"]))
    assert plain["customers"].equals(shifted["customers"])
    late = shifted["orders"][shifted["orders"]["order_ts"] >= pd.Timestamp("2025-01-01")]
    gone = set(shifted["ground_truth"].loc[shifted["ground_truth"]["shifted"], "customer_id"])
    assert gone and not late["customer_id"].str.strip().str.upper().isin(gone).any()
    with pytest.raises(ValueError, match="shift_persona must be one of"):
        demo.generate(400, 3, shift_persona="nobody", shift_date="2025-01-01")


# --------------------------------------------------------------------------------------------- config, report
def test_evaluate_config_is_validated():
    tiny = config.PROJECT_ROOT / "configs" / "tiny.yaml"
    cfg = config.load(tiny)
    assert cfg["evaluate"]["psi_refit"] == 0.25 and cfg["evaluate"]["later_snapshot"] is None
    with pytest.raises(config.ConfigError, match="psi_watch"):
        config.load(tiny, {"evaluate.psi_watch": 0.3})
    with pytest.raises(config.ConfigError, match="later_snapshot"):
        config.load(tiny, {"snapshot_date": "2025-07-01", "evaluate.later_snapshot": "2025-01-01"})
    with pytest.raises(config.ConfigError, match="shift_persona and demo.shift_date"):
        config.load(tiny, {"demo.shift_persona": "affluent_loyalists"})
    with pytest.raises(config.ConfigError, match="evaluate.later_snapshot"):
        config.load(tiny, {"evaluate.later_snapshot": "soon"})
    migration = config.load(config.PROJECT_ROOT / "configs" / "demo_migration.yaml")
    assert migration["evaluate"]["later_snapshot"] and migration["demo"]["shift_persona"] == "affluent_loyalists"


def test_index_headlines_hook(tmp_path):
    cfg = config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml")
    cfg["paths"]["workdir"], cfg["run"] = str(tmp_path), "h"
    paths = io.run_paths(cfg).make()
    assert index.headlines(paths) == []
    io.write_json({"title": "Evaluation", "text": "custseg <wins>", "items": [{"label": "eta²", "value": "0.71"}],
                   "table": [{"method": "custseg", "eta²": "0.706"}, {"method": "RFM grid", "eta²": "0.139"}]},
                  paths.reports / "headlines" / "07_evaluate.json")
    [h] = index.headlines(paths)
    out = i18n.render("headline.html.j2", "en", h=h)
    assert "custseg &lt;wins&gt;" in out and '<td class="l">0.139</td>' in out and 'href="07_evaluate.html"' in out
    assert "<b>0.71</b>eta²" in out
