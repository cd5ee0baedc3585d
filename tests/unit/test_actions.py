"""From segments to action: rule segments, targeting, basket offers and campaign measurement (custseg.rule_segments,
custseg.target, custseg.offers, custseg.campaign), each on hand-made data with known answers."""

import datetime as dt
from collections import Counter
from itertools import permutations

import ibis
import numpy as np
import pandas as pd
import pytest

from custseg import campaign, config, demo, offers, profile, rule_segments, services, stats, target
from custseg.errors import ConfigError, SourceError


def brute_force_rules(b: pd.DataFrame) -> pd.DataFrame:
    """The rules counted by enumerating every basket in Python: the reference the engine's count must equal."""
    sets = b.groupby("basket")["item"].agg(frozenset)
    n = len(sets)
    singles = Counter(i for s in sets for i in s)
    pairs = Counter(p for s in sets for p in permutations(sorted(s), 2))
    rows = [(a, c, k, k / n, k / singles[a], (k / singles[a]) / (singles[c] / n)) for (a, c), k in pairs.items()]
    return pd.DataFrame(rows, columns=offers.RULE_COLUMNS[1:])


# ---------------------------------------------------------------------------------------------- rule segments


def _people():
    return pd.DataFrame({"customer_id": [f"C{i}" for i in range(8)],
                         "age": [22, 28, 35, 41, 55, 67, 30, np.nan],
                         "city_tier": ["tier 1", "tier 2", "tier 1", "tier 3", "tier 1", "tier 2", "tier 2", "tier 1"],
                         "membership_tier": ["gold", "basic", "basic", "silver", "gold", "basic", "basic", "basic"]})


def test_combined_rules_with_other_cover_everyone_once():
    spec = {"segments": [{"name": "Gold", "when": "membership_tier == 'gold'"},
                         {"name": "Young", "when": "membership_tier != 'gold' and age < 30"},
                         {"name": "Rest", "when": "other"}]}
    got = rule_segments.assign(_people(), spec)
    assert got["segment_name"].tolist() == ["Gold", "Young", "Rest", "Rest", "Gold", "Rest", "Rest", "Rest"]
    assert got["segment"].tolist() == [0, 1, 2, 2, 0, 2, 2, 2]


def test_rules_that_leave_customers_out_name_how_many_and_who():
    spec = {"segments": [{"name": "Young", "when": "age < 30"}, {"name": "Older", "when": "age >= 40"}]}
    with pytest.raises(ConfigError, match=r"3 of 8 customers are covered by no rule \(e.g. customer_id=C2, age=35"):
        rule_segments.assign(_people(), spec)


def test_overlapping_rules_name_the_two_rules():
    spec = {"segments": [{"name": "Young", "when": "age < 30"}, {"name": "Tier 1", "when": "city_tier == 'tier 1'"},
                         {"name": "Rest", "when": "other"}]}
    with pytest.raises(ConfigError, match=r"1 customers are covered by more than one rule .*C0.*'Young' and 'Tier 1'"):
        rule_segments.assign(_people(), spec)


def test_one_variable_in_bands_and_missing_values():
    people = _people().dropna()
    got = rule_segments.assign(people, {"variable": "age", "bands": [30, 50]})
    assert got["segment_name"].tolist() == ["age < 30", "age < 30", "30 ≤ age < 50", "30 ≤ age < 50", "age ≥ 50",
                                            "age ≥ 50", "30 ≤ age < 50"]
    by_tier = rule_segments.assign(people, {"variable": "city_tier"})
    assert dict(zip(by_tier["customer_id"], by_tier["segment_name"], strict=True))["C3"] == "tier 3"
    with pytest.raises(ConfigError, match="1 customers have no age .*C7"):
        rule_segments.assign(_people(), {"variable": "age", "bands": [30, 50]})


def test_bad_rule_declarations_are_config_errors():
    with pytest.raises(ConfigError, match="cannot be evaluated.*Columns available"):
        rule_segments.assign(_people(), {"segments": [{"name": "x", "when": "income > 3"}]})
    with pytest.raises(ConfigError, match="no column 'income'"):
        rule_segments.assign(_people(), {"variable": "income"})
    with pytest.raises(ConfigError, match="not both"):
        config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml", {"rule_segments.variable": "age"})
    with pytest.raises(ConfigError, match="bands cuts one variable"):
        config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml",
                    {"rule_segments.segments": None, "rule_segments.bands": [30]})


# ---------------------------------------------------------------------------------------------- targeting


def _segments_table():
    # segment 0: many customers, little value; 1: few, very valuable, growing; 2: middling, hard to reach
    return pd.DataFrame({"segment": [0, 1, 2], "name": ["mass", "vip", "mid"], "share": [0.6, 0.1, 0.3],
                         "value_share": [0.2, 0.5, 0.3], "value_index": [33.3, 500.0, 100.0],
                         "growth": [-0.1, 0.3, 0.05], "reach": [0.8, 0.9, 0.2]})


def test_a_target_that_does_not_hold_together_is_flagged():
    """The most attractive segment may dissolve on a refit: targeting keeps it but says to confirm it first."""
    t = _segments_table().assign(attractiveness=lambda d: target.attractiveness(d), reach=0.9,
                                 stability=[0.95, 0.68, 0.9])
    chosen = target.strategy(t)
    assert chosen["targets"] == [1, 2]
    assert "Target segment 1, vip with care: refitted on subsamples it holds together only at Jaccard 0.68 (doubtful)" \
        in chosen["reason"] and "2 mid with care" not in chosen["reason"]
    zh = target.strategy(t, language="zh")["reason"]
    assert "谨慎对待目标群体 1“vip”" in zh and "存疑" in zh
    assert "with care" not in target.strategy(t.assign(stability=0.9))["reason"]


def test_attractiveness_is_the_mean_rank_on_each_criterion():
    t = _segments_table()
    score = target.attractiveness(t)
    # ranks (0, .5, 1): mass (1, 0, 0, 0) → 0.25; vip (0, 1, 1, 1) → 0.75; mid (.5, .5, .5, .5) → 0.5
    assert score.round(12).tolist() == [0.25, 0.75, 0.5]
    assert target.attractiveness(t, {"share": 1, "value_share": 0}).round(12).tolist() == [1.0, 0.0, 0.5]


def test_strategy_follows_the_documented_rule():
    t = _segments_table().assign(attractiveness=lambda d: target.attractiveness(d))
    one = target.strategy(t, min_share=0.05, min_reach=0.5)  # mid is attractive but unreachable
    assert one["strategy"] == "concentrated" and one["targets"] == [1]
    assert "segment 1, vip (50% of the value)" in one["reason"] and "Segment 1, vip alone holds 50%" in one["reason"]
    reachable = t.assign(reach=0.9)  # now vip and mid; vip holds 0.5 < 2 × 0.3
    assert target.strategy(reachable)["strategy"] == "multi-segment"
    assert target.strategy(reachable)["targets"] == [1, 2]
    broad = reachable.assign(attractiveness=[0.6, 0.75, 0.5])  # all three, 100 % of the value
    assert target.strategy(broad)["strategy"] == "differentiated"
    pinned = target.strategy(t, pinned=[0, 2])
    assert pinned["pinned"] and pinned["targets"] == [0, 2] and "pinned" in pinned["reason"]
    with pytest.raises(ValueError, match="do not exist"):
        target.strategy(t, pinned=[7])
    few_but_valuable = t.assign(share=[0.87, 0.03, 0.1], reach=0.9, attractiveness=[0.3, 0.75, 0.4])
    kept = target.strategy(few_but_valuable)
    assert kept["targets"] == [1] and "of customers or of the value" in kept["reason"]
    unmeasured = target.strategy(t.assign(reach=np.nan))
    assert unmeasured["targets"] == [1, 2] and "reachable" not in unmeasured["reason"]  # reach no longer limits
    nobody = t.assign(reach=0.1)
    assert target.strategy(nobody)["targets"] == [1] and "No segment" in target.strategy(nobody)["reason"]


def test_targeting_table_measures_value_reach_and_channels():
    customers = pd.DataFrame({"customer_id": list("abcdef"), "segment": [0, 0, 0, 1, 1, 1],
                              "monetary": [10.0, 10.0, 10.0, 50.0, 100.0, 20.0],
                              "share_channel_web": [1.0, 0.0, 0.5, 0.0, 0.0, 1.0],
                              "share_channel_store": [0.0, 1.0, 0.5, 1.0, 1.0, 0.0]})
    reach = pd.Series([True, False, False, True, True, True])
    t = target.table(customers, reachable=reach, names={0: "low", 1: "high"}).set_index("segment")
    assert t.loc[1, "value_share"] == pytest.approx(170 / 200)
    assert t.loc[1, "value_index"] == pytest.approx(100 * (170 / 200) / 0.5)
    assert t.loc[0, "reach"] == pytest.approx(1 / 3) and t.loc[1, "reach"] == 1
    assert t.loc[0, "channel_web"] == pytest.approx(2 / 3) and t.loc[1, "channel_store"] == pytest.approx(2 / 3)
    assert t.loc[1, "name"] == "high" and np.isnan(t.loc[0, "stability"])


def test_growth_compares_the_last_span_with_the_one_before_in_the_engine():
    log = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c"],
                        "order_ts": pd.to_datetime(["2025-01-10", "2025-03-10", "2025-01-05", "2025-03-01",
                                                    "2024-06-01"]),
                        "amount": [100.0, 150.0, 40.0, 20.0, 999.0]})
    seg = pd.DataFrame({"customer_id": ["a", "b", "c"], "segment": [0, 1, 1]})
    spend = target.spend_by_period(ibis.memtable(log), dt.date(2025, 4, 1), 59)  # 2025-02-01 … and 2024-12-04 …
    assert set(spend["customer_id"]) == {"a", "b"}
    g = target.growth(spend, seg)
    assert g.loc[0, "recent"] == 150 and g.loc[0, "previous"] == 100
    assert g.loc[0, "growth"] == pytest.approx(0.5)
    assert g.loc[1, "growth"] == pytest.approx(20 / 40 - 1)  # c's purchase is older than both spans


# ---------------------------------------------------------------------------------------------- basket offers


def _log(seed=3, n_orders=400):
    rng = np.random.default_rng(seed)
    items = np.array(["apparel", "beauty", "grocery", "kids", "luxury"])
    rows = []
    for o in range(n_orders):
        customer = f"C{rng.integers(0, 60)}"
        k = rng.integers(1, 4)
        basket = rng.choice(items, k, replace=False, p=[0.3, 0.25, 0.2, 0.15, 0.1])
        if "kids" in basket and rng.random() < 0.6:
            basket = np.append(basket, "grocery")  # a planted association
        for item in basket:
            rows.append((f"O{o}", customer, item, 1.0))
    log = pd.DataFrame(rows, columns=["order_id", "customer_id", "category", "quantity"])
    log["status"] = "completed"
    return log.drop_duplicates(["order_id", "category"])


def test_rules_counted_in_the_engine_equal_a_brute_force_count():
    log = _log()
    b = offers.baskets(ibis.memtable(log), "category")
    got = offers.rules(b, None, 0, 0, 1).drop(columns="segment")
    want = brute_force_rules(b.to_pandas())
    merged = got.merge(want, on=["antecedent", "consequent"], suffixes=("", "_ref"), validate="one_to_one")
    assert len(merged) == len(got) == len(want) == 20  # every ordered pair of the 5 categories
    for col in ("baskets", "support", "confidence", "lift"):
        assert np.abs(merged[col] - merged[f"{col}_ref"]).max() < 1e-12
    kids = got[(got["antecedent"] == "kids") & (got["consequent"] == "grocery")].iloc[0]
    assert kids["lift"] > 1.3  # the planted association shows


def test_rules_match_mlxtend():
    mlxtend = pytest.importorskip("mlxtend.frequent_patterns")
    log = _log(seed=5)
    onehot = pd.crosstab(log["order_id"], log["category"]).astype(bool)
    frequent = mlxtend.apriori(onehot, min_support=0.0001, use_colnames=True, max_len=2)
    ref = mlxtend.association_rules(frequent, metric="lift", min_threshold=0)
    ref = ref.assign(antecedent=ref["antecedents"].map(lambda s: next(iter(s))),
                     consequent=ref["consequents"].map(lambda s: next(iter(s))))
    got = offers.rules(offers.baskets(ibis.memtable(log), "category"), None, 0, 0, 1)
    merged = got.merge(ref, on=["antecedent", "consequent"], suffixes=("", "_mlx"), validate="one_to_one")
    assert len(merged) == len(ref) == len(got)
    for col in ("support", "confidence", "lift"):
        assert np.abs(merged[col] - merged[f"{col}_mlx"]).max() < 1e-12


def test_rules_per_segment_count_each_segments_baskets_and_thresholds_filter():
    log = _log(seed=8)
    seg = pd.DataFrame({"customer_id": [f"C{i}" for i in range(60)], "segment": [i % 2 for i in range(60)]})
    b = offers.baskets(ibis.memtable(log), "category")
    got = offers.rules(b, seg, 0, 0, 1)
    for s in (0, 1):
        own = log[log["customer_id"].isin(seg.loc[seg["segment"] == s, "customer_id"])]
        want = brute_force_rules(offers.baskets(ibis.memtable(own), "category").to_pandas())
        mine = got[got["segment"] == str(s)].merge(want, on=["antecedent", "consequent"], suffixes=("", "_ref"))
        assert len(mine) == len(want)
        assert np.abs(mine["lift"] - mine["lift_ref"]).max() < 1e-12
    strict = offers.rules(b, seg, min_support=0.05, min_confidence=0.3, min_baskets=10)
    assert len(strict) < len(got)
    assert (strict["support"] >= 0.05).all() and (strict["confidence"] >= 0.3).all() and (strict["baskets"] >= 10).all()


def test_an_offer_is_a_rule_stronger_in_the_segment_than_in_the_base():
    base = pd.DataFrame({"antecedent": ["a", "b", "a", "c"], "consequent": ["b", "a", "c", "a"],
                         "lift": [1.5, 1.5, 1.1, 1.1]})
    per = pd.DataFrame({"segment": ["0", "0", "0", "0", "1"], "antecedent": ["a", "b", "a", "c", "a"],
                        "consequent": ["b", "a", "c", "a", "b"], "baskets": 30, "support": 0.1,
                        "confidence": [0.5, 0.4, 0.3, 0.2, 0.6], "lift": [3.0, 3.0, 1.05, 1.05, 1.2]})
    got = offers.offers(per, base[["antecedent", "consequent", "lift"]])
    # segment 0: a→b (lift 3 > 1.5) kept once (b→a has the lower confidence); a→c is weaker than the base
    assert got[["segment", "antecedent", "consequent"]].values.tolist() == [["0", "a", "b"]]
    assert got["lift_ratio"].iloc[0] == pytest.approx(2.0)


def test_under_bought_items_against_the_nearest_segments():
    pen = pd.DataFrame({"grocery": [0.1, 0.6, 0.5, 0.2], "beauty": [0.5, 0.5, 0.45, 0.9]}, index=[0, 1, 2, 3])
    prof = pd.DataFrame({"spend": [0.0, 0.1, -0.1, 5.0]}, index=[0, 1, 2, 3])
    got = offers.under_bought(pen, prof)
    zero = got[got["segment"] == "0"]
    assert zero["item"].tolist() == ["grocery"] and zero["similar"].iloc[0] == "1, 2"
    assert zero["gap"].iloc[0] == pytest.approx(0.45)


def test_a_log_without_categories_or_products_has_no_basket_items():
    log = ibis.memtable(pd.DataFrame({"customer_id": ["a"], "category": ["unknown"], "product_id": [None]}),
                        schema={"customer_id": "string", "category": "string", "product_id": "string"})
    assert offers.item_level(log) is None
    both = ibis.memtable(pd.DataFrame({"category": ["x", "y"], "product_id": ["p1", "p2"]}))
    assert offers.item_level(both) == "category" and offers.item_level(both, "product_id") == "product_id"


# ---------------------------------------------------------------------------------------------- campaigns


def test_newcombe_interval_matches_the_published_examples():
    # Newcombe (1998), Statistics in Medicine 17, table II, method 10
    d, low, high = stats.newcombe(56, 70, 48, 80)
    assert (round(d, 4), round(low, 4), round(high, 4)) == (0.2, 0.0524, 0.3339)
    d, low, high = stats.newcombe(9, 10, 3, 10)
    assert (round(low, 4), round(high, 4)) == (0.1705, 0.8090)


def test_holm_adjusts_step_down():
    p = pd.Series([0.01, 0.04, 0.03, np.nan])
    assert stats.holm(p).round(12).tolist()[:3] == [0.03, 0.06, 0.06] and np.isnan(stats.holm(p)[3])


PLANTED = {"A": (0.30, 0.0), "B": (0.08, 0.06), "C": (0.10, 0.10), "D": (0.02, 0.03)}


def _planted(n=16000, seed=7):
    groups = pd.Series(np.array(list("ABCD"))[np.arange(n) % 4], index=[f"C{i:05d}" for i in range(n)])
    results = demo.campaign(demo.campaign_plan(groups, PLANTED, 200.0), seed=seed, share=1.0)
    segments = pd.DataFrame({"customer_id": groups.index, "segment": groups.map({g: i for i, g in enumerate("ABCD")})})
    return results, segments


def test_the_planted_uplift_is_recovered_within_its_interval_and_the_no_effect_segment_flagged():
    results, segments = _planted()
    kept, quarantine, notes = campaign.prepare(results, segments)
    assert quarantine.empty and not notes
    table = campaign.measure(kept, resamples=300).set_index("segment")
    for name, (_, lift) in PLANTED.items():
        row = table.loc[list("ABCD").index(name)]
        assert row["uplift_low"] <= lift <= row["uplift_high"], name
    assert table.loc[0, "verdict"] == "no clear effect"  # loyal customers buy anyway: 30 % respond, no uplift
    assert table.loc[0, "response_treated"] > table.loc[2, "response_treated"] - 0.05
    assert table.loc[2, "verdict"] == "worked" and table.loc[1, "verdict"] == "worked"
    # revenue: responders spend the same on average, so incremental revenue ≈ uplift × 200 × treated
    c = table.loc[2]
    assert c["incremental_revenue_low"] <= 0.10 * 200 * np.exp(0.18) * c["treated"] <= c["incremental_revenue_high"]
    assert table.loc[2, "cost"] == pytest.approx(results.loc[(results["customer_id"].isin(
        segments.loc[segments["segment"] == 2, "customer_id"])) & (results["group"] == "treatment"), "cost"].sum())
    assert "after Holm's correction" in campaign.multiple_comparisons_note(table.reset_index())


def test_bad_campaign_rows_are_set_aside_with_a_reason():
    results, segments = _planted(n=400)
    first = results["customer_id"].iloc[0]
    other = "control" if results["group"].iloc[0] == "treatment" else "treatment"
    bad = pd.DataFrame({"customer_id": [None, "NOBODY", first, results["customer_id"].iloc[1],
                                        results["customer_id"].iloc[2]],
                        "group": ["treatment", "control", other, "maybe", "Treatment"],
                        "contacted": "Y", "responded": [1, 0, 0, 1, "perhaps"], "revenue": 0.0, "cost": 0.0})
    kept, quarantine, notes = campaign.prepare(pd.concat([results, bad], ignore_index=True), segments)
    reasons = quarantine.groupby("reason")["customer_id"].apply(lambda s: sorted(s.dropna()))
    assert reasons["not_segmented"] == ["NOBODY"] and reasons["in_both_groups"] == [first, first]
    assert set(reasons.index) == {"missing_customer_id", "not_segmented", "in_both_groups", "unknown_group",
                                  "unreadable_response"}
    assert first not in set(kept["customer_id"]) and kept["customer_id"].is_unique
    assert any("listed in both groups" in n for n in notes)


def test_a_campaign_without_a_control_group_is_refused():
    results, segments = _planted(n=400)
    with pytest.raises(SourceError, match="no control group.*response rate alone is not an effect"):
        campaign.prepare(results[results["group"] == "treatment"], segments)
    with pytest.raises(SourceError, match="no 'responded' column"):
        campaign.prepare(results.drop(columns="responded"), segments)


def test_repeated_rows_of_one_customer_are_summed_and_said():
    results, segments = _planted(n=400)
    again = results.iloc[[0]].assign(revenue=10.0, responded=1)
    kept, _, notes = campaign.prepare(pd.concat([results, again], ignore_index=True), segments)
    row = kept.set_index("customer_id").loc[results["customer_id"].iloc[0]]
    assert row["revenue"] == pytest.approx(results["revenue"].iloc[0] + 10.0) and bool(row["responded"])
    assert any("summed" in n for n in notes)


# ---------------------------------------------------------------------------------------------- targeting that
# follows each outcome's direction, and says so when it rests on one criterion


def _judged_customers():
    # segment 0: big, high churn; 1: small, low churn, high purchase; 2: middling
    rows = []
    for seg, n, churn, purchase, charges in ((0, 60, 0.5, 0.1, 50.0), (1, 15, 0.05, 0.6, 120.0),
                                             (2, 25, 0.2, 0.3, 60.0)):
        k, b = int(round(churn * n)), int(round(purchase * n))
        rows += [{"customer_id": f"{seg}-{i}", "segment": seg, "Churn": float(i < k), "Purchase": float(i < b),
                  "Score": float(i % 3), "MonthlyCharges": charges} for i in range(n)]
    return pd.DataFrame(rows)


def test_an_outcome_weighs_in_its_direction():
    customers = _judged_customers()
    size = target.table(customers, "_none").set_index("segment")["attractiveness"]
    assert size.tolist() == [1.0, 0.0, 0.5]  # by size alone the biggest segment is the most attractive
    churn = target.table(customers, "_none", outcomes={"Churn": None}).set_index("segment")
    assert churn.loc[0, "outcome_Churn"] == pytest.approx(0.5)
    # churn (lower is better, read off the name) ranks the high-churn segment last, the loyal one first
    assert churn["attractiveness"].round(12).tolist() == [0.5, 0.5, 0.5]
    assert target.criteria(churn, None, {"Churn": None})["outcome_Churn"] == (1.0, False)
    bought = target.table(customers, "_none", outcomes={"Purchase": None}).set_index("segment")["attractiveness"]
    assert bought[1] > size[1] and bought[0] < size[0]  # purchase (higher is better) lifts the buying segment
    declared = target.table(customers, "_none", outcomes={"Churn": "higher_is_better"}).set_index("segment")
    assert declared.loc[0, "attractiveness"] == 1.0  # declared in the config, against the name
    valued = target.table(customers, "MonthlyCharges", outcomes={"Churn": None}).set_index("segment")
    assert valued["attractiveness"].idxmax() == 1  # valuable and loyal
    off = target.table(customers, "_none", weights={"share": 1, "outcomes": 0}, outcomes={"Churn": None})
    assert off["attractiveness"].tolist() == [1.0, 0.0, 0.5]  # outcomes weigh 0: size alone


def test_an_outcome_of_unknown_direction_is_shown_but_not_weighed():
    customers = _judged_customers()
    t = target.table(customers, "_none", outcomes={"Score": None})
    used = target.criteria(t, None, {"Score": None})
    assert "outcome_Score" in t and "outcome_Score" not in used and target.bases(used) == ["size"]
    note = target.criteria_note(used, "", {"Score": None}, "en")
    assert "size (share of customers)" in note and "Score is shown but not weighed" in note


def test_targeting_that_rests_on_one_criterion_names_no_strategy():
    customers = _judged_customers()
    size_only = target.table(customers, "_none")
    assert size_only["attractiveness"].tolist() == [1.0, 0.0, 0.5]  # the size rank, nothing else
    used = target.bases(target.criteria(size_only))
    choice = target.strategy(size_only, used=used)
    assert choice["strategy"] == target.ONE_CRITERION and choice["targets"] == []
    assert "one criterion only, their size" in choice["reason"] and "no strategy is named" in choice["reason"]
    assert "value_column" in choice["reason"] and "target.segments" in choice["reason"]
    assert "不提出策略" in target.strategy(size_only, used=used, language="zh")["reason"]
    pinned = target.strategy(size_only, pinned=[1], used=used)  # targets the user chose: the rule names a strategy
    assert pinned["strategy"] == "concentrated" and pinned["targets"] == [1]
    judged = target.table(customers, "MonthlyCharges", outcomes={"Churn": None})
    named = target.strategy(judged, used=target.bases(target.criteria(judged, None, {"Churn": None})))
    assert named["strategy"] in target.STRATEGIES and named["targets"]


def test_a_segment_clearly_worse_on_an_outcome_is_not_a_target_however_large():
    customers = _judged_customers()  # segment 0: the largest, and the most valuable, with churn 0.5 against 0.36
    outcomes = {"Churn": None}
    judged = target.table(customers, "MonthlyCharges", outcomes=outcomes).set_index("segment")
    assert judged.loc[0, "attractiveness"] >= target.ATTRACTIVE, "its size and value make up for its churn"
    assert judged["worse_on"].tolist() == ["Churn", "", ""]
    used = target.bases(target.criteria(judged, None, outcomes))
    choice = target.strategy(judged, used=used)
    assert 0 not in choice["targets"] and choice["targets"], choice
    assert "Segment 0 is substantial and attractive by its score but not a target to grow: its churn is clearly the " \
           "wrong way" in choice["reason"] and "and not clearly the wrong way on an outcome:" in choice["reason"]
    assert "不作为增长目标" in target.strategy(judged, used=used, language="zh")["reason"]
    assert target.strategy(judged, pinned=[0], used=used)["targets"] == [0], "the user's pin stands"
    apart = profile.outcome_apart(customers, "Churn")
    assert apart["differs"].tolist() == [True, True, True] and apart["higher"].tolist() == [True, False, False]


def test_the_targeting_value_is_the_runs_value_column_unless_a_margin_replaces_it():
    from custseg import describe

    customers = _judged_customers()
    found = describe.value_column(None, customers, False)
    column, note = target.value_column(None, customers, found, "en")
    assert column == "MonthlyCharges" and "found by its name" in note
    assert target.value_column("Purchase", customers, found)[0] == "Purchase"
    assert target.value_column(None, customers.drop(columns="MonthlyCharges"),
                               describe.value_column(None, customers.drop(columns="MonthlyCharges"), False))[0] == ""


# ---------------------------------------------------------------------------------------------- services as items


def _held_services(n=400, seed=5):
    """Subscribers with yes/no services; in segment 1, streaming TV goes with streaming movies (planted)."""
    rng = np.random.default_rng(seed)
    segment = np.arange(n) % 2
    internet = rng.random(n) < 0.8
    tv = internet & (rng.random(n) < 0.5)
    movies = internet & np.where((segment == 1) & tv, rng.random(n) < 0.9, rng.random(n) < 0.3)
    yes = np.array(["No", "Yes"])
    return pd.DataFrame({
        "customer_id": [f"S{i}" for i in range(n)], "segment": segment, "tenure": rng.integers(0, 72, n).astype(float),
        "PhoneService": (rng.random(n) < 0.9).astype(float),  # encoded 1/0, as in the features
        "StreamingTV": np.where(~internet, "No internet service", yes[tv.astype(int)]),
        "StreamingMovies": np.where(~internet, "No internet service", yes[movies.astype(int)]),
        "InternetService": np.where(internet, "DSL", "No"), "Partner": rng.integers(0, 2, n).astype(float),
        "Dependents": rng.integers(0, 2, n).astype(float), "SeniorCitizen": rng.integers(0, 2, n).astype(float),
        "gender": rng.choice(["Female", "Male"], n), "Churn": rng.integers(0, 2, n).astype(float)})


OFFERS = {"items": "auto", "basket": "order", "min_support": 0.002, "min_confidence": 0.05, "min_baskets": 5,
          "top": 3, "services": None, "min_lift": 1.2}


def test_yes_no_service_columns_are_found_and_who_the_customer_is_is_not():
    customers = _held_services()
    assert services.service_columns(customers, {"Churn": None}) == ["PhoneService", "StreamingTV", "StreamingMovies",
                                                                  "InternetService"]  # DSL / No: held unless No
    held = services.held(customers, ["PhoneService", "StreamingTV", "InternetService"])
    assert held["StreamingTV"].sum() == (customers["StreamingTV"] == "Yes").sum()
    assert held["InternetService"].sum() == (customers["InternetService"] == "DSL").sum()
    assert held["PhoneService"].sum() == customers["PhoneService"].sum()


def test_held_services_give_rules_offers_and_gaps_per_segment():
    customers = _held_services()
    found, note = offers.find_services(OFFERS, customers, ["tenure"], {"Churn": None})
    assert found.item == offers.SERVICES and found.columns == ["PhoneService", "StreamingTV", "StreamingMovies",
                                                               "InternetService"]
    assert "services each customer holds" in note and "StreamingTV" in note
    b = services.service_baskets(customers, found.columns).to_pandas()
    want = brute_force_rules(b)
    got = found.base.merge(want, on=["antecedent", "consequent"], suffixes=("", "_ref"))
    assert len(got) == len(found.base) > 0 and np.abs(got["lift"] - got["lift_ref"]).max() < 1e-12
    planted = found.offers[found.offers["segment"] == "1"]
    assert {frozenset(p) for p in zip(planted["antecedent"], planted["consequent"], strict=True)} >= {
        frozenset({"StreamingTV", "StreamingMovies"})}
    cards = offers.on_cards([{"segment": 1, "name": "streamers"}, {"segment": 0, "name": "others"}], found,
                            {"strategy": "concentrated", "targets": [1]}, "en")
    text = " ".join(cards[0]["offers"])
    assert "who hold" in text and "orders" not in text and cards[0]["target"]
    declared, _ = offers.find_services({**OFFERS, "services": ["StreamingTV", "StreamingMovies"]}, customers,
                                       ["tenure"])
    assert declared.columns == ["StreamingTV", "StreamingMovies"]
    with pytest.raises(ConfigError, match=r"offers.services' names 'Netflix'.*yes/no columns: PhoneService"):
        offers.find_services({**OFFERS, "services": ["Netflix"]}, customers, ["tenure"])
    none, why = offers.find_services(OFFERS, customers[["customer_id", "segment", "tenure", "PhoneService"]],
                                     ["tenure"])
    assert none is None and "fewer than two yes/no service columns (PhoneService)" in why


def test_a_service_every_holder_of_another_already_holds_is_no_offer():
    customers = _held_services()
    customers["MultipleLines"] = np.where(customers["PhoneService"] == 1, np.where(
        np.arange(len(customers)) % 3 == 0, "Yes", "No"), "No phone service")  # multiple lines need a phone
    found, _ = offers.find_services(OFFERS, customers, ["tenure"], {"Churn": None})
    implied = found.base[(found.base["antecedent"] == "MultipleLines") & (found.base["consequent"] == "PhoneService")]
    assert implied["confidence"].tolist() == [1.0]  # a rule, but nobody holding multiple lines lacks a phone
    assert not ((found.offers["antecedent"] == "MultipleLines") & (found.offers["consequent"] == "PhoneService")).any()
