import re

import numpy as np
import pandas as pd
import pytest

from custseg import config, i18n, personas, profile, rfm


@pytest.fixture()
def customers():
    return pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(8)],
        "segment": [0, 0, 0, 0, 1, 1, 2, 2],
        "monetary": [100.0, 100, 100, 300, 1000, 1000, 10, 10],
        "frequency": [2.0, 2, 2, 4, 10, 10, 1, 1],
        "recency_days": [20.0, 20, 20, 40, 10, 10, 400, 400],
        "interpurchase_days": [30.0, 30, 30, 30, 20, 20, np.nan, np.nan],
        "avg_order_value": [50.0, 50, 50, 75, 100, 100, 10, 10],
        "discount_share": [0.1, 0.1, 0.1, 0.1, 0.0, 0.0, 0.3, 0.3],
        "return_rate": [0.05] * 8,
        "age": [40.0, 40, 40, 40, 24, 26, 60, 62],
        "share_channel_store": [1.0, 1, 1, 1, 0, 0, 0.5, 0.5],
        "share_channel_web": [0.0, 0, 0, 0, 1, 1, 0.5, 0.5],
        "share_cat_luxury": [0.0, 0, 0, 0, 0.8, 0.8, 0, 0],
        "share_cat_grocery": [1.0, 1, 1, 1, 0.2, 0.2, 1, 1],
        "survey_novelty_seeking": [2.0, 2, np.nan, 2, 5, 5, 1, np.nan],
        "city_tier": ["tier 2"] * 4 + ["tier 1"] * 2 + ["tier 3"] * 2,
        "gender": ["F", "F", "M", "F", "M", "M", "F", "F"],
        "age_band": ["35-44"] * 4 + ["18-24", "25-34", "55-64", "55-64"],
    })


@pytest.fixture()
def cards_of(customers):
    prof = profile.profile(customers)
    idx = profile.index_table(prof)
    scores = rfm.rfm_table(customers, 5)
    features = ["monetary", "frequency", "recency_days", "share_cat_luxury"]

    def build(language):
        rules = profile.surrogate(customers, features, max_depth=2, language=language)
        return personas.build(customers, prof, idx, scores, language=language, rules=rules)
    return build


def test_profile_shares_means_medians_and_index(customers):
    prof = profile.profile(customers)
    assert prof.loc[0, "customers"] == 4 and prof.loc[0, "share"] == 0.5
    assert prof.loc[1, "value_share"] == pytest.approx(2000 / 2620)
    assert prof.loc[0, "monetary"] == 150 and prof.loc["all", "monetary"] == pytest.approx(2620 / 8)
    med = profile.profile(customers, stat="median")
    assert med.loc[0, "monetary"] == 100 and med.loc["all", "monetary"] == 100
    idx = profile.index_table(prof)
    assert idx.loc[1, "monetary"] == round(1000 / (2620 / 8) * 100)
    assert "all" not in idx.index and "customers" not in idx.columns


def test_effect_sizes_by_hand(customers):
    d = profile.effect_sizes(customers)
    seg, rest = customers["monetary"][:4], customers["monetary"][4:]
    expected = (seg.mean() - rest.mean()) / np.sqrt((seg.var() + rest.var()) / 2)
    assert d.loc[0, "monetary"] == pytest.approx(expected)
    assert np.isnan(d.loc[0, "return_rate"]), "a feature that never varies has no effect size"
    top = profile.distinguishing(customers, top=2)
    assert set(top["segment"]) == {0, 1, 2} and (top.groupby("segment").size() == 2).all()
    assert top.loc[top["segment"] == 1, "effect_size"].abs().iloc[0] == pytest.approx(d.loc[1].abs().max(), abs=0.01)


def test_feature_summary_marks_clustering_features(customers):
    s = profile.feature_summary(customers, used=["monetary"]).set_index(["segment", "feature"])
    row = s.loc[(0, "monetary")]
    assert (row["mean"], row["median"], row["base_median"]) == (150, 100, 100)
    assert row["median_index"] == 100 and row["index"] == round(150 / (2620 / 8) * 100)
    assert row["used_for_clustering"] and not s.loc[(0, "age"), "used_for_clustering"]
    assert s.loc[(1, "survey_novelty_seeking"), "label"] == "survey: novelty seeking (1–5)"


def test_compositions_of_categories_and_shares(customers):
    c = profile.compositions(customers).set_index(["variable", "value", "segment"])
    assert c.loc[("gender", "F", 0), "share"] == 0.75
    assert c.loc[("gender", "F", 0), "base_share"] == 5 / 8
    assert c.loc[("gender", "F", 0), "index"] == 120
    assert c.loc[("city_tier", "tier 1", 1), "share"] == 1.0
    assert c.loc[("channel", "web", 2), "share"] == 0.5  # the channel mix from share_channel_*
    assert c.loc[("category", "luxury", 1), "share"] == 0.8
    assert set(c.index.get_level_values("variable")) == {"gender", "city_tier", "age_band", "channel", "category"}


def rule_data(n=600, noise=0.0, seed=0):
    """Segment 2: recency ≤ 30 and orders ≥ 6; segment 1: recency > 30 and luxury share > 50 %; else segment 0."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"recency_days": rng.integers(1, 61, n), "frequency": rng.integers(1, 15, n),
                       "share_cat_luxury": rng.random(n)})
    recent = df["recency_days"] <= 30
    seg = np.where(recent & (df["frequency"] >= 6), 2, np.where(~recent & (df["share_cat_luxury"] > 0.5), 1, 0))
    flip = rng.random(n) < noise
    df["segment"] = np.where(flip, rng.integers(0, 3, n), seg)
    return df


def test_surrogate_rules_recover_a_known_rule():
    df = rule_data()
    sur = profile.surrogate(df, ["recency_days", "frequency", "share_cat_luxury"], max_depth=2)
    assert sur.fidelity == 1.0
    assert sur.rules["segment"].tolist().count(2) == 1
    rule = sur.rules.set_index("segment").loc[2]
    assert rule["rule"] == "days since last purchase up to 30 and orders 6 or more"
    assert rule["precision"] == 1.0 and rule["coverage"] == 1.0
    luxury = sur.rules.set_index("segment").loc[1, "rule"]
    assert luxury == "days since last purchase 31 or more and spend share on luxury above 50%"
    zh = profile.surrogate(df, ["recency_days", "frequency", "share_cat_luxury"], max_depth=2, language="zh")
    assert zh.rules.set_index("segment").loc[2, "rule"] == "距上次购买天数不超过 30 且 订单数不少于 6"


def test_surrogate_fidelity_is_agreement_with_the_segments():
    df = rule_data(noise=0.2, seed=1)
    features = ["recency_days", "frequency", "share_cat_luxury"]
    sur = profile.surrogate(df, features, max_depth=2)
    assert sur.fidelity == pytest.approx((sur.tree.predict(df[features].to_numpy(float)) == df["segment"]).mean())
    assert 0.7 < sur.fidelity < 1
    assert sur.rules["customers"].sum() == len(df)
    # precision of a leaf = share of its customers in the predicted segment, computed independently
    leaves = sur.tree.apply(df[features].to_numpy(float))
    leaf = max(set(leaves), key=list(leaves).count)
    pred = sur.tree.predict(df[features].to_numpy(float))[leaves == leaf][0]
    row = sur.rules[sur.rules["customers"] == (leaves == leaf).sum()].iloc[0]
    assert row["precision"] == pytest.approx((df["segment"][leaves == leaf] == pred).mean())


def test_rule_text_merges_bounds_and_formats_units():
    whole = {"frequency": True, "share_cat_luxury": False}
    text = profile._rule_text({"frequency": (2.5, 7.5), "share_cat_luxury": (0.125, np.inf)}, whole, "en")
    assert text == "orders 3–7 and spend share on luxury above 12%"
    assert profile._rule_text({"frequency": (2.5, 3.5)}, whole, "en") == "orders exactly 3"


@pytest.mark.parametrize("level_index, expected", [(150, "high"), (149, "mid"), (40, "mid"), (39, "low")])
def test_value_level(level_index, expected):
    assert personas.value_level(level_index) == expected


def test_activity_uses_the_segments_own_rhythm():
    assert personas.activity(40, 10, 20) == "active"
    assert personas.activity(60, 10, 50) == "active", "60 days is normal for someone buying every 50 days"
    assert personas.activity(60, 10, 20) == "lapsing"
    assert personas.activity(400, 10, 20) == "dormant"
    assert personas.activity(30, 1.1, np.nan) == "new" and personas.activity(900, 1.1, np.nan) == "one_time"


def test_a_segment_of_one_time_buyers_is_named_so_though_a_few_heavy_buyers_lift_its_mean():
    """The reviewer's log-only run: "Lapsed regulars" whose median customer placed one order."""
    n = 20
    customers = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(2 * n)], "segment": np.repeat([0, 1], n),
        "monetary": np.r_[np.full(n, 40.0), np.full(n, 400.0)],
        "frequency": np.r_[[1.0] * 14 + [6.0] * 6, np.full(n, 8.0)],  # segment 0: mean 2.5, median 1
        "recency_days": np.r_[np.full(n, 500.0), np.full(n, 20.0)],
        "interpurchase_days": np.r_[[np.nan] * 14 + [30.0] * 6, np.full(n, 25.0)],
        "avg_order_value": np.r_[np.full(n, 16.0), np.full(n, 50.0)],
    })
    prof = profile.profile(customers)
    assert prof.loc[0, "frequency"] > 2
    cards = personas.build(customers, prof, profile.index_table(prof), rfm.rfm_table(customers, 5))
    by_segment = {c["segment"]: c for c in cards}
    assert "one-time" in by_segment[0]["name"] and "regulars" not in by_segment[0]["name"], by_segment[0]["name"]
    assert "Most bought only once" in by_segment[0]["how"]


def test_names_from_parts():
    assert personas.name("mid_active", "young", "trend") == "Young trend-seeking regulars"
    assert personas.name("high_active", None, "brand") == "Brand-loyal high spenders"
    assert personas.name("one_time", None, None) == "Lapsed one-time buyers"
    assert personas.name("mid_active", "young", "trend", "zh") == "潮流尝鲜型年轻常客"
    assert personas.stage(24) == "young" and personas.stage(64) == "silver" and personas.stage(40) is None
    assert personas.motive(pd.Series({"discount_share": 1.2, "survey_novelty_seeking": 0.9})) == "deal"
    assert personas.motive(pd.Series({"discount_share": 0.5})) is None


def test_cards_are_grounded_in_the_numbers(cards_of):
    cards = cards_of("en")
    assert [c["segment"] for c in cards] == [0, 1, 2], "largest first"
    lux = next(c for c in cards if c["segment"] == 1)
    assert lux["name"] == "Young trend-seeking high spenders"
    assert lux["strategy_headline"] == "Reward and retain: lead with newness"
    assert "2 customers (25% of the base) bring 76% of net spend" in lux["who"]
    assert "100% are men (38% overall)" in lux["who"] and "100% live in tier-1 cities" in lux["who"]
    # the share who agree (4–5 of 1–5) against the base, never a mean of the answers' codes
    assert "novelty seeking (100% agree, 33% overall)" in lux["values"], lux["values"]
    assert "spend share on luxury" in lux["rule"] and lux["rule"].endswith("it covers 100% of it.")
    lapsed = next(c for c in cards if c["segment"] == 2)
    assert lapsed["name"].startswith("Silver deal-seeking lapsed one-time buyers")
    m = i18n.messages("en")
    assert lapsed["kpis"] == m["kpis"]["one_time"] + m["kpis_motive"]["deal"] + m["small_orders"]["kpis"], \
        "reactivation, deal and (their orders are small) order-value KPIs"
    assert m["small_orders"]["strategy"].split("(")[0] in lapsed["strategy"]
    assert m["strategy_motive"]["deal"] in lapsed["strategy"] and m["strategy_stage"]["silver"] in lapsed["strategy"]
    assert m["strategy_motive"]["trend"] in lux["strategy"] and "margin after discounts" not in lux["kpis"]


def test_strategy_and_kpis_differ_by_motive_and_stage():
    plain = personas.strategy("mid_active")
    assert plain == i18n.messages("en")["strategy"]["mid_active"][1]
    variants = {personas.strategy("mid_active", mot, life) for mot in (None, *personas.MOTIVES)
                for life in (None, "young", "silver")}
    assert len(variants) == (len(personas.MOTIVES) + 1) * 3, "every motive and stage changes the advice"
    assert all(v.startswith(plain) for v in variants)
    assert personas.headline("mid_active") == "Upsell and cross-sell"
    assert personas.headline("mid_active", "deal") == "Upsell and cross-sell: lead with value"
    assert personas.headline("one_time", "deal", "zh") == "低成本唤醒（以实惠为先）"
    for language in ("en", "zh"):
        kpis = {mot: personas.kpis("active", mot, language) for mot in personas.MOTIVES}
        assert len({tuple(k) for k in kpis.values()}) == len(personas.MOTIVES)
        assert personas.kpis("active", None, language) == i18n.messages(language)["kpis"]["active"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_card_is_complete_in_both_languages(cards_of, language):
    cards = cards_of(language)
    for card in cards:
        for key in ("name", "tagline", "who", "how", "narrative", "strategy_headline", "strategy", "actions", "kpis",
                    "rule"):
            assert card[key], f"segment {card['segment']} has no {key}"
        md, html = personas.render(card, "md"), personas.render(card, "html")
        assert md.startswith(f"# {i18n.messages(language)['ui']['segment']} {card['segment']} — {card['name']}")
        assert '<article class="persona"' in html and card["strategy"] in html
        assert all(k in md for k in card["kpis"])
    assert len({c["name"] for c in cards}) == len(cards)
    if language == "zh":
        text = " ".join(c["name"] + c["narrative"] + c["strategy"] + "".join(c["actions"]) + c["rule"] for c in cards)
        assert re.search(r"[\u4e00-\u9fff]", text)
        leftovers = set(re.findall(r"[A-Za-z]{3,}", text)) - {"RFM", "VIP", "App", "ROI", "KPI"}
        assert not leftovers, f"English left in the Chinese cards: {leftovers}"


def test_catalogues_have_the_same_keys():
    def keys(node, prefix=""):
        if not isinstance(node, dict):
            return {prefix}
        return {k for key, value in node.items() for k in keys(value, f"{prefix}.{key}")}

    en, zh = i18n.messages("en"), i18n.messages("zh")
    # may be empty in English (the original names are English: column names, custseg's words in table cells)
    skip = (".value_names.rfm", ".ui.step_names", ".glossary", ".headers", ".words")
    assert {k for k in keys(en) if not k.startswith(skip)} == {k for k in keys(zh) if not k.startswith(skip)}
    assert set(en["strategy"]) == set(en["name"]["core"])
    assert i18n.LANGUAGES == config.LANGUAGES, "a catalogue per language a config may name"
    assert set(zh["value_names"]["rfm"]) == set(rfm.ACTIONS), "every RFM segment has a Chinese name"
    with pytest.raises(ValueError, match="language"):
        i18n.messages("fr")


def test_a_table_shown_in_chinese_keeps_its_artefact_and_its_data():
    card = pd.DataFrame({"segment": [0, 1], "customers": [1200, 300], "top_feature": ["recency_days", "Contract"],
                         "verdict": ["stable", "dissolves"], "stable": pd.array([True, None], dtype="boolean"),
                         "MonthlyCharges": [70.5, 20.1], "plan_x": ["a", "b"]})
    shown = i18n.shown(card, "zh", words={"top_feature": "header", "verdict": None, "stable": None})
    assert list(shown.columns) == ["群体", "客户数", "最能区分的特征", "结论", "稳定", "月费", "plan_x"]
    assert list(shown["最能区分的特征"]) == ["距上次购买天数", "合约类型"]  # a feature's label, the glossary's
    assert list(shown["结论"]) == ["稳定", "会瓦解"] and shown["稳定"].iloc[0] == "是"
    assert list(shown["plan_x"]) == ["a", "b"], "data stays as it is"
    assert list(card.columns)[:3] == ["segment", "customers", "top_feature"], "the artefact keeps its names"
    assert i18n.shown(card, "en", words=True) is card, "an English table is shown as it is"
    # a Styler keeps its formats (keyed by the original names) and shows the headers in Chinese
    html = i18n.shown(card.style.format({"customers": "{:,}"}).hide(), "zh", words=("verdict",)).to_html()
    assert "1,200" in html and "客户数" in html and "会瓦解" in html and ">customers<" not in html
    assert i18n.header("calinski_harabasz", "zh") == "CH 指数" and i18n.header("calinski_harabasz") == \
        "calinski_harabasz"


def test_printed_lines_come_from_both_catalogues():
    assert i18n.text("n03.top20", share="80%") == "The top 20% of customers bring 80% of net spend."
    assert i18n.text("n03.top20", "zh", share="80%") == "消费额最高的 20% 客户贡献了 80% 的净消费额。"
    assert i18n.names(["recency_days", "frequency"]) == "recency_days, frequency"
    assert i18n.names(["recency_days", "frequency"], "zh") == "距上次购买天数、订单数"


def test_numbers_for_people():
    assert i18n.integer(19884) == "19,884" and i18n.number(19.84) == "19.8" and i18n.number(4505.2) == "4,505"
    assert i18n.number(-0.04) == "0.0" and i18n.number(-0.4) == "-0.4"  # no "-0.0"
    assert i18n.percent(0.24) == "24%" and i18n.percent(0.002) == "0.2%" and i18n.percent(0.0001) == "<0.1%"
    assert i18n.percent(0.036, 1) == "3.6%" and i18n.percent(0) == "0%"
    assert i18n.label("share_channel_mini_program") == "share of orders via mini program"
    assert i18n.label("share_cat_kids", "zh") == "母婴童装消费占比"
    assert i18n.value_label("channel", "live_stream") == "live stream", "unknown values shown as they are"


def test_crm_export(customers, cards_of):
    cards = cards_of("zh")
    scores = rfm.rfm_table(customers, 5)
    crm = personas.crm_export(customers[["customer_id", "segment"]], scores, cards)
    assert list(crm.columns) == ["customer_id", "segment_id", "segment_name", "rfm_segment"]
    assert crm["segment_name"].notna().all() and len(crm) == len(customers)
    assert crm.set_index("customer_id").loc["c4", "segment_name"] == next(c["name"] for c in cards if c["segment"] == 1)


def test_duplicate_names_get_the_channel_or_what_tells_them_apart_never_a_number():
    cards = [{"segment": 0, "name": "Regulars", "main_channel": "web"},
             {"segment": 1, "name": "Regulars", "main_channel": "app"},
             {"segment": 2, "name": "High spenders", "main_channel": "store"}]
    personas._disambiguate(cards)
    assert [c["name"] for c in cards] == ["Regulars (web)", "Regulars (app)", "High spenders"]
    # the same channel: the feature that separates them most, at each one's median
    customers = pd.DataFrame({"segment": np.repeat([0, 1], 50), "avg_order_value": np.r_[np.full(50, 14.2),
                                                                                         np.full(50, 97.6)],
                              "recency_days": np.tile([400.0, 500.0], 50)})
    for language, expected in (("en", ["常客 (typical order 14)", "常客 (typical order 98)"]),
                               ("zh", ["常客（客单价约 14）", "常客（客单价约 98）"])):
        cards = [{"segment": s, "name": "常客", "main_channel": "官网"} for s in (0, 1)]
        personas._disambiguate(cards, language, customers)
        assert [c["name"] for c in cards] == expected
    alike = customers.assign(avg_order_value=20.0, recency_days=400.0)  # nothing tells them apart: their ids
    cards = [{"segment": s, "name": "Regulars", "main_channel": ""} for s in (0, 1)]
    personas._disambiguate(cards, "en", alike)
    assert [c["name"] for c in cards] == ["Regulars (segment 0)", "Regulars (segment 1)"]


def test_browser_shows_a_card_and_compares_segments(customers, cards_of):
    cards = cards_of("en")
    summary = profile.feature_summary(customers)
    app = personas.browser(cards, summary)
    first, second = app.children[0].children
    card_view, table_view = app.children[1].children
    assert cards[0]["name"] in card_view.value
    first.value = 1
    assert next(c["name"] for c in cards if c["segment"] == 1) in card_view.value
    assert "1: mean" in table_view.value and "2: mean" not in table_view.value
    second.value = 2
    assert "2: mean" in table_view.value and "all customers" in table_view.value


def test_tables_for_people(customers):
    prof = profile.profile(customers)
    table = i18n.readable(prof)
    assert table.loc[0, "customers"] == "4" and table.loc[0, "share of customers"] == "50%"
    assert table.loc[1, "share of net spend"] == i18n.percent(2000 / 2620) == "76%"
    assert table.loc["all", "net spend"] == "328" and table.loc[0, "orders"] == "2.5"
    assert table.loc[1, "spend share on luxury"] == "80%" and table.loc[2, "discount share of list value"] == "30%"
    assert "净消费额" in i18n.readable(prof, "zh").columns

    summary = profile.feature_summary(customers, used=["monetary"])
    rows = profile.readable_summary(summary, [(1, "share_cat_luxury"), (0, "monetary")])
    assert list(rows.columns) == ["segment", "feature", "used for clustering", "mean", "median", "all customers",
                                  "index", "effect size (d)"]
    lux, spend = rows.iloc[0], rows.iloc[1]
    assert (lux["feature"], lux["mean"], lux["all customers"], lux["used for clustering"]) == (
        "spend share on luxury", "80%", "20%", "")
    assert lux["index"] == "400" and lux["effect size (d)"] == "splits apart (no overlap)", \
        "no spread inside or outside, every one of them above every other customer: a perfect separator"
    assert (spend["mean"], spend["median"], spend["used for clustering"]) == ("150", "100", "✓")
    d = profile.effect_sizes(customers).loc[0, "monetary"]
    assert d < 0 and spend["effect size (d)"] == f"{d:+.2f}"
    assert len(profile.readable_summary(summary, language="zh")) == len(summary)


def test_index_heatmap_colours_ratios_and_shows_the_indexes():
    import matplotlib.pyplot as plt

    from custseg import plots

    idx = pd.DataFrame({0: [200.0, 50.0], 1: [0.0, 100.0]}, index=["orders", "net spend"])
    fig = plots.index_heatmap(idx, "Index", "segment", "feature")
    ax = fig.axes[0]
    colours = np.asarray(ax.collections[0].get_array()).reshape(2, 2)
    assert colours[0, 0] == pytest.approx(1) and colours[1, 0] == pytest.approx(-1), "double and half mirror"
    assert colours[0, 1] == pytest.approx(-3) and colours[1, 1] == pytest.approx(0), "0 clipped to the end colour"
    assert sorted(t.get_text() for t in ax.texts) == ["0", "100", "200", "50"]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Index", "segment", "feature")
    plt.close(fig)


def test_histogram_log_draws_the_data_on_a_log_axis():
    import matplotlib.pyplot as plt

    from custseg import plots

    values = pd.Series(np.random.default_rng(0).lognormal(6, 1, 2000))
    fig = plots.histogram(pd.concat([values, pd.Series([0.0, -5.0, 1e-12])]), "Spend", "net spend", log=True)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert ax.get_xscale() == "log" and sum(heights) >= 0.99 * len(values), "every positive customer is drawn"
    lo, hi = ax.get_xlim()
    assert lo > 1e-3 and values.max() <= hi < 10 * values.max(), "axis spans the data, not float residue"
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Spend", "net spend", "customers")
    plt.close(fig)


def test_no_index_of_a_centred_feature():
    """An index (segment ÷ base × 100) needs a ratio scale: a factor score (base 0, segments either side) gets none
    instead of a meaningless 8,000, while spend keeps its index."""
    customers = pd.DataFrame({"segment": [0, 0, 1, 1], "monetary": [100.0, 300.0, 50.0, 50.0],
                              "factor_price": [-0.8, -0.8, 0.8, 0.80004]})
    idx = profile.index_table(profile.profile(customers))
    assert idx.loc[0, "monetary"] == 160 and idx.loc[1, "monetary"] == 40
    assert idx["factor_price"].isna().all()
    long = profile.feature_summary(customers).set_index(["segment", "feature"])
    assert long.loc[(0, "monetary"), "index"] == 160 and long.xs("factor_price", level="feature")["index"].isna().all()
