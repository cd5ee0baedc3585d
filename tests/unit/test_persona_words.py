"""Persona cards written as an analyst would (issue 24 item 5), on generated frames of each shape: names in plain
words, unique and without a numeric suffix, telling a segment from its nearest neighbour; label shares, never a
mean of codes; rules without codes; strategy and KPIs that follow what sets each segment apart."""

import re

import numpy as np
import pandas as pd
import pytest

from custseg import attributes, i18n, personas, phrases, profile, rfm

CONTRACT = ["Month-to-month", "One year", "Two year"]
NUMERIC_SUFFIX = re.compile(r"[(（]\s*\d+\s*[)）]\s*$")
RAW_COLUMN = re.compile(r"[a-z][A-Z]")  # InternetService, MultipleLines: a source column's name, not words


@pytest.fixture(scope="module")
def subscribers():
    """A telecom table as it comes (text labels) with planted segments: 0 phone only (no internet, low churn),
    1 month-to-month on fibre with short tenure (high churn), 2 two-year contracts with long tenure, 3 internet
    only (no phone service), 4 one-year on DSL."""
    rng = np.random.default_rng(24)
    seg = np.repeat([0, 1, 2, 3, 4], [300, 400, 350, 150, 300])
    n = len(seg)
    net = np.select([seg == 0, seg == 1, seg == 3], ["No", "Fiber optic", "DSL"],
                    rng.choice(["DSL", "Fiber optic"], n))
    phone = seg != 3
    contract = np.select([seg == 1, seg == 2, seg == 4], ["Month-to-month", "Two year", "One year"],
                         rng.choice(CONTRACT, n))
    raw = pd.DataFrame({
        "PhoneService": np.where(phone, "Yes", "No"),
        "MultipleLines": np.where(~phone, "No phone service", rng.choice(["Yes", "No"], n)),
        "InternetService": net,
        "OnlineSecurity": np.where(net == "No", "No internet service", rng.choice(["Yes", "No"], n)),
        "Contract": contract,
        "tenure": np.clip(np.select([seg == 1, seg == 2], [4, 60], 30) + rng.normal(0, 4, n), 0, 72).round(),
        "MonthlyCharges": (20 + 25 * (net == "DSL") + 50 * (net == "Fiber optic") + rng.normal(0, 3, n)).round(2),
        "Churn": np.where(rng.random(n) < np.select([seg == 1, seg == 0, seg == 2], [0.55, 0.05, 0.03], 0.15),
                          "Yes", "No"),
    })
    declared = {"Contract": CONTRACT}
    kinds = attributes.infer(raw, declared)
    table = attributes.encode(raw, kinds, declared).assign(customer_id=[f"S{i:04d}" for i in range(n)], segment=seg)
    columns = [c for c in raw.columns if c != "Churn"]
    return table, columns, attributes.ordinal_labels(kinds, declared)


def _cards(subscribers, language="en", **kw):
    table, columns, labels = subscribers
    rules = profile.surrogate(table, columns, max_depth=3, language=language, labels=labels)
    return {c["segment"]: c for c in personas.build_from_table(table, columns, ["Churn"], language=language,
                                                               rules=rules, labels=labels, **kw)}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_table_names_are_plain_unique_words(subscribers, language):
    cards = _cards(subscribers, language)
    names = [c["name"] for c in cards.values()]
    assert len(set(names)) == len(names), names
    for card in cards.values():
        text = " ".join((card["name"], card["rule"], card["who"]))
        assert not NUMERIC_SUFFIX.search(card["name"]) and ":" not in card["name"] and "·" not in card["name"], names
        assert not RAW_COLUMN.search(re.sub(r"[\u4e00-\u9fff]", " ", text)), text  # never "InternetService"
    if language == "en":
        assert cards[0]["name"].startswith("No internet service"), names
        assert "month-to-month contract" in cards[1]["name"].lower() and "two year contract" in cards[2]["name"].lower()
        assert "no phone service" in cards[3]["name"].lower(), names
        # "No internet service" stands in three columns of the phone-only segment: said once
        assert cards[0]["who"].count("no internet service") == 1, cards[0]["who"]


def test_categories_and_ordinals_are_label_shares_never_a_mean_of_codes(subscribers):
    cards = _cards(subscribers)
    for card in cards.values():
        for words in ("contract", "internet service", "multiple lines", "online security", "phone service"):
            assert not re.search(rf"{words}: [\d.]+ on average", card["who"], re.I), card["who"]
    assert "100% have month-to-month contract (" in cards[1]["who"], cards[1]["who"]
    assert re.search(r"\b0% have phone service \(\d+% overall\)", cards[3]["who"]), cards[3]["who"]


def test_rules_are_plain_words_without_codes(subscribers):
    table, columns, labels = subscribers
    for language in ("en", "zh"):
        sur = profile.surrogate(table, columns, max_depth=3, language=language, labels=labels)
        for rule in sur.rules["rule"]:
            assert not re.search(r"contract\S* ?(≤|≥|<|>|=|up to|or more|exactly|above|不超过|不少于|超过)", rule,
                                 re.I), rule
            assert "phone service ≥" not in rule and " is not No" not in rule and "不为No" not in rule, rule
    en = profile.surrogate(table, columns, max_depth=3, labels=labels)
    assert any("contract is" in r for r in en.rules["rule"]), list(en.rules["rule"])


def test_rule_text_decodes_flags_labels_and_codes():
    whole = {"PhoneService": True, "Contract": True, "MOPLLAAG": True, "MonthlyCharges": False}
    words = {"flags": {"PhoneService"}, "labels": {"Contract": ({1.0: "Month-to-month", 2.0: "One year",
                                                                 3.0: "Two year"}, [1.0, 2.0, 3.0])}}
    text = profile._rule_text({"PhoneService": (0.5, np.inf), "Contract": (-np.inf, 1.5),
                               "OnlineSecurity = No internet service": (-np.inf, 0.5),
                               "MonthlyCharges": (-np.inf, 3021.4), "MOPLLAAG": (5.5, np.inf)}, whole, "en", **words)
    assert text == ("has phone service and contract is month-to-month and monthly charges up to 3,021 and MOPLLAAG 6 "
                    "or more and has internet service")
    assert profile._rule_text({"Contract": (1.5, np.inf), "PhoneService": (-np.inf, 0.5),
                               "InternetService = No": (0.5, np.inf)}, whole, "en", **words) == \
        "contract is one year or two year and no phone service and no internet service"
    zh = profile._rule_text({"PhoneService": (0.5, np.inf), "Contract": (1.5, np.inf)}, whole, "zh", **words)
    # known columns in Chinese (i18n.glossary), known labels too with the user's own in brackets (i18n.data_label)
    assert zh == "有电话服务 且 合约类型为一年期 (One year)或两年期 (Two year)"


def test_data_labels_in_zh_sentences_are_translated_with_the_original_in_brackets():
    assert i18n.data_label("Month-to-month", "zh") == "月付 (Month-to-month)"
    assert i18n.data_label("Fiber optic", "zh") == "光纤 (Fiber optic)"
    assert i18n.data_label("Gold plan", "zh") == "Gold plan", "an unknown label stays as it is"
    assert i18n.data_label("Month-to-month", "en") == "Month-to-month"
    assert phrases.label_phrase("Contract", "Month-to-month", "zh", kind="rule") == "合约类型为月付 (Month-to-month)"
    assert phrases.label_phrase("Contract", "Month-to-month", "en", kind="rule") == "contract is month-to-month"
    assert phrases.label_phrase("PaymentMethod", "Wire", "zh") == "支付方式为Wire"  # an unknown label as it is


def test_strategy_and_kpis_follow_what_sets_each_segment_apart(subscribers):
    cards = _cards(subscribers)
    phone_only, churners, loyal = cards[0], cards[1], cards[2]
    assert phone_only["strategy_headline"] == "sell them internet service", phone_only["strategy_headline"]
    assert any(k.startswith("share holding internet service (today 0%") for k in phone_only["kpis"])
    assert churners["strategy_headline"] == "act on churn first"
    # its drivers: what sets it apart on a lever and goes with more churn across the whole base (the month-to-month
    # contract, fibre's charges) — never tenure, which sets it apart too but nobody can change
    driver = (r"month-to-month contract \(\d+% churn among all customers with it, \d+% with two year contract: move "
              r"them there\)")
    assert re.search(driver, churners["strategy"]), churners["strategy"]
    assert "low tenure" in churners["name"].lower() or "tenure" in churners["who"], "tenure still describes them"
    assert "tenure" not in churners["strategy"] and not any("tenure" in k for k in churners["kpis"]), \
        (churners["strategy"], churners["kpis"])
    assert any(re.fullmatch(r"share with month-to-month contract \(today \d+%\)", k) for k in churners["kpis"]), \
        churners["kpis"]
    assert "keep what works" not in phone_only["strategy"], "selling internet is the plan, not keeping things so"
    assert loyal["strategy_headline"] == "protect and grow" and "use them as the model" not in loyal["strategy"]
    assert "two year contract" in loyal["strategy"] and "tenure" not in loyal["strategy"], loyal["strategy"]
    kinds = {tuple(re.sub(r"[\d.,%]+", "#", k) for k in c["kpis"]) for c in cards.values()}
    assert len(kinds) == len(cards), "the same KPIs for segments that differ"
    zh = _cards(subscribers, "zh")
    assert zh[0]["strategy_headline"] == "向他们销售 互联网服务"  # known columns in Chinese (i18n.glossary)
    assert zh[1]["strategy_headline"] == "优先处理 流失"


def test_a_partner_is_never_sold():
    found = pd.DataFrame([{"column": "Partner", "kind": "binary", "holds": "lacks", "thing": "partner", "value": 0.1,
                           "base": 0.6}, {"column": "StreamingTV", "kind": "binary", "holds": "lacks",
                                          "thing": "streaming TV", "value": 0.1, "base": 0.6}])
    assert personas.table._gap(found, ["Partner", "StreamingTV"])["thing"] == "streaming TV"
    assert personas.table._gap(found.iloc[:1], ["Partner"]) is None


def test_value_column_gives_each_card_its_share(subscribers):
    cards = _cards(subscribers, value="MonthlyCharges")
    table = subscribers[0]
    fibre = cards[1]
    expected = table.loc[table["segment"] == 1, "MonthlyCharges"].sum() / table["MonthlyCharges"].sum()
    assert fibre["value_share"] == pytest.approx(expected)
    assert f"They bring {i18n.percent(expected)} of all monthly charges" in fibre["who"]
    assert "Monthly charges: " not in fibre["who"], "the value line says it once"
    assert any(k.startswith("monthly charges per customer") for k in fibre["kpis"])
    assert _cards(subscribers)[1]["value_share"] is None, "without a value column: no value line"


def test_segments_named_alike_are_told_apart_by_their_nearest_neighbour():
    """Segments 0 and 1 are both exactly the two-year DSL customers; only paperless billing tells them apart."""
    rng = np.random.default_rng(5)
    seg = np.repeat([0, 1, 2], [150, 150, 700])
    table = pd.DataFrame({
        "segment": seg, "customer_id": range(len(seg)),
        "Contract": np.where(seg < 2, "Two year", rng.choice(["Month-to-month", "One year"], len(seg))),
        "InternetService": np.where(seg < 2, "DSL", "Fiber optic"),
        "PaperlessBilling": (rng.random(len(seg)) < np.select([seg == 0, seg == 1], [0.85, 0.2], 0.5)).astype(float),
    })
    columns = ["Contract", "InternetService", "PaperlessBilling"]
    for language in ("en", "zh"):
        cards = {c["segment"]: c for c in personas.build_from_table(table, columns, language=language)}
        names = [c["name"] for c in cards.values()]
        assert len(set(names)) == 3 and not any(NUMERIC_SUFFIX.search(n) for n in names), names
    cards = {c["segment"]: c for c in personas.build_from_table(table, columns)}
    assert cards[0]["name"] == "Two year contract and DSL internet service (paperless billing)", cards[0]["name"]
    assert cards[1]["name"] == "Two year contract and DSL internet service (no paperless billing)", cards[1]["name"]


def test_survey_factors_read_as_their_items():
    rng = np.random.default_rng(8)
    seg = np.repeat([0, 1, 2], 200)
    items = ["compares_prices", "waits_for_sales", "reads_reviews", "prefers_brands"]
    table = pd.DataFrame({"segment": seg, "customer_id": range(600),
                          **{i: rng.integers(1, 6, 600).astype(float) for i in items},
                          "factor_compares_prices_waits_for_sales": np.select([seg == 0], [1.0], -0.5)
                          + rng.normal(0, 0.3, 600),
                          "factor_reads_reviews_low_prefers_brands": np.select([seg == 1], [1.0], -0.5)
                          + rng.normal(0, 0.3, 600),
                          "likely_to_recommend": np.select([seg == 1], [8.0], 5.0) + rng.normal(0, 1, 600)})
    factors = [c for c in table if c.startswith("factor_")]
    rules = profile.surrogate(table, factors, max_depth=2)
    cards = {c["segment"]: c for c in personas.build_from_table(table, factors, ["likely_to_recommend"], rules=rules)}
    # named by the attitude each holds, by its factor's first item (the card says all of its items)
    assert cards[0]["name"] == "Strong on compares prices", cards[0]["name"]
    assert cards[1]["name"] == "Strong on reads reviews", cards[1]["name"]
    assert "compares prices & waits for sales" in cards[0]["who"].lower() and "low prefers brands" in cards[1]["who"]
    assert cards[2]["name"].startswith("Weak on "), "holding no attitude strongly: named by its weakest"
    zh = {c["segment"]: c["name"] for c in personas.build_from_table(table, factors, ["likely_to_recommend"],
                                                                      language="zh")}
    assert zh[0] == "货比三家倾向强" and zh[1] == "看评价倾向强", zh
    text = " ".join(c["name"] + c["rule"] + c["who"] for c in cards.values())
    assert "factor" not in text and "_" not in text, text
    assert cards[1]["strategy_headline"] == "protect and grow", "recommending is better high (read from the name)"
    assert attributes.direction("likely_to_recommend")[0] == attributes.HIGHER


def test_lapsed_one_time_buyers_are_named_by_their_typical_order():
    """Three one-time segments that differ only in their order value (14, 35, 98), one of regulars."""
    rng = np.random.default_rng(3)
    seg = np.repeat([0, 1, 2, 3], 300)
    aov = np.select([seg == 0, seg == 1, seg == 2], [14, 35, 98], 60) * rng.lognormal(0, 0.15, len(seg))
    frequency = np.where(seg == 3, rng.integers(3, 10, len(seg)), 1).astype(float)
    customers = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(len(seg))], "segment": seg, "frequency": frequency,
        "avg_order_value": aov, "monetary": aov * frequency,
        "recency_days": np.where(seg == 3, rng.integers(5, 40, len(seg)), rng.integers(300, 700, len(seg))) * 1.0,
        "interpurchase_days": np.where(seg == 3, 30.0, np.nan)})
    prof = profile.profile(customers)
    scores = rfm.rfm_table(customers, 5)
    for language in ("en", "zh"):
        cards = {c["segment"]: c for c in personas.build(customers, prof, profile.index_table(prof), scores,
                                                          language=language)}
        names = [c["name"] for c in cards.values()]
        assert len(set(names)) == 4 and not any(NUMERIC_SUFFIX.search(n) for n in names), names
        typical = customers.groupby("segment")["avg_order_value"].median()
        for s in (0, 1):
            assert re.search(rf"\b{i18n.integer(typical[s])}\b", cards[s]["name"]), names
    cards = {c["segment"]: c for c in personas.build(customers, prof, profile.index_table(prof), scores)}
    assert cards[0]["name"] == f"Lapsed one-time buyers (typical order {i18n.integer(typical[0])})", cards[0]["name"]
    assert cards[0]["kpis"] != cards[3]["kpis"] and "average order value of the next order" in cards[0]["kpis"]


def test_labels_that_say_what_a_customer_has_or_lacks():
    assert phrases.holding("InternetService", "No") == ("lacks", "internet service")
    assert phrases.holding("OnlineSecurity", "No internet service") == ("lacks", "internet service")
    assert phrases.holding("宽带", "无宽带", "zh") == ("lacks", "宽带")
    assert phrases.holding("宽带", "是", "zh")[0] == "has"
    assert phrases.holding("套餐", "无限流量", "zh") == ("label", None), "无限 is unlimited, not 'without'"
    assert phrases.label_phrase("Contract", "Month-to-month") == "month-to-month contract"
    assert phrases.label_phrase("MultipleLines", "No phone service", holds=False, kind="rule") == "has phone service"
    assert phrases.label_phrase("InternetService", "DSL") == "DSL internet service", "an acronym keeps its capitals"
    assert phrases.plain_label("MonthlyCharges") == "monthly charges" and phrases.plain_label("MOPLLAAG") == "MOPLLAAG"


def test_compositions_show_the_columns_left_out_of_the_clustering(subscribers):
    table, columns, labels = subscribers
    clustered = ["InternetService", "Contract", "tenure"]
    comps = profile.compositions(table, columns=profile.label_columns(table, labels), labels=labels,
                                 clustered_on=clustered)
    shown = set(comps["variable"])
    assert not shown & set(clustered), "a column the segments were formed on is not a composition"
    assert {"PhoneService", "OnlineSecurity", "Churn"} <= shown  # left out of the clustering: shown
    assert set(comps.loc[comps["variable"] == "Churn", "value"]) == {"yes", "no"}  # a 0/1 flag as yes / no
    everything = profile.compositions(table, columns=profile.label_columns(table, labels), labels=labels)
    contract = set(everything.loc[everything["variable"] == "Contract", "value"])
    assert contract == set(CONTRACT), "ordinal codes read as their labels, never 1, 2, 3"
    zh = profile.compositions(table, columns=["Churn"], language="zh")
    assert set(zh["value"]) == {"是", "否"}


def test_the_index_heatmap_shows_labels_and_marks_what_was_not_clustered_on(subscribers):
    from types import SimpleNamespace

    import matplotlib.pyplot as plt

    from custseg.report import charts

    table, columns, labels = subscribers
    clustered = [c for c in columns if c != "PhoneService"]
    prof = profile.profile(table, value="MonthlyCharges")
    result = SimpleNamespace(customers=table, clustered_on=clustered, has_log=False, language="en", labels=labels,
                             index=profile.index_table(prof).drop(columns=list(labels)))
    rows = charts.segments.index_rows(result)
    assert "month-to-month contract" in rows.index and "fiber optic internet service" in rows.index, list(rows.index)
    month = table["Contract"] == 1.0
    seg1 = (table["segment"] == 1) & month
    expected = round(seg1.sum() / (table["segment"] == 1).sum() / month.mean() * 100)
    assert rows.loc["month-to-month contract", 1] == expected  # share in the segment against the share overall
    assert "phone service †" in rows.index and "churn †" in rows.index  # not clustered on: marked
    assert "no phone service" not in rows.index  # a yes/no column says it once, by its yes
    fig = charts.segments.index_heatmap(result)
    assert "†" in fig.axes[0].get_ylabel()
    plt.close(fig)
    every = SimpleNamespace(**{**vars(result), "clustered_on": [*columns, "Churn"]})
    fig = charts.segments.index_heatmap(every)
    assert "†" not in fig.axes[0].get_ylabel() and not any("†" in t.get_text() for t in fig.axes[0].get_yticklabels())
    plt.close(fig)


def test_rates_in_the_effect_size_table_are_percentages(subscribers):
    table, columns, labels = subscribers
    rare = table.assign(rare=(np.arange(len(table)) % 40 == 0).astype(float))  # 2.5 %: "0.0" as a number
    summary = profile.feature_summary(rare.drop(columns=list(labels)), columns)
    shown = profile.readable_summary(summary[summary["feature"] == "rare"])
    assert set(shown["all customers"]) == {"2%"} or set(shown["all customers"]) == {"3%"}, shown
    assert not (shown["mean"] == "0.0").any()
    tenure = profile.readable_summary(summary[summary["feature"] == "tenure"])
    assert not tenure["mean"].str.endswith("%").any()  # a number stays a number


def test_levers_are_what_the_business_sets():
    kinds = pd.DataFrame({"column": ["Contract", "tenure", "SeniorCitizen", "MonthlyCharges", "day_minutes",
                                     "PaymentMethod", "Partner", "satisfaction", "Churn"],
                          "kind": ["ordinal", "numeric", "binary", "numeric", "numeric", "categorical", "binary",
                                   "ordinal", "binary"],
                          "why": ["declared order", "numbers", "two values", "numbers", "numbers", "3 labels",
                                  "two values", "Likert answers (…)", "two values"]})
    found = attributes.levers(list(kinds["column"]), kinds, ["Churn"])
    assert found == ["Contract", "MonthlyCharges", "PaymentMethod"], found
    assert attributes.levers(["tenure", "Contract"], kinds, declared={"tenure": True, "Contract": False}) == ["tenure"]
    with pytest.raises(attributes.ConfigError, match="levers"):
        attributes.check_levers({"Tenure": True}, ["tenure"])
    with pytest.raises(attributes.ConfigError, match="true"):
        attributes.check_levers({"tenure": "yes"}, ["tenure"])


def test_the_config_can_make_a_description_a_lever(subscribers):
    table, columns, _ = subscribers
    cards = _cards(subscribers, levers=["tenure"])  # said to be a lever: a driver it may be
    assert "tenure under" in cards[1]["strategy"], cards[1]["strategy"]
    assert "month-to-month" not in cards[1]["strategy"]


@pytest.mark.parametrize("language", ["zh"])
def test_zh_names_and_cards_say_known_columns_in_chinese(subscribers, language):
    cards = _cards(subscribers, language)
    names = [c["name"] for c in cards.values()]
    assert len(set(names)) == len(names), names
    text = " ".join(c["name"] + c["who"] + c["strategy"] + "".join(c["kpis"]) for c in cards.values())
    for english in ("tenure", "monthly charges", "internet service", "contract", "churn", "phone service"):
        assert english not in text.lower(), (english, text)
    assert "在网时长" in text or "月费" in text
    assert phrases.plain_label("AccountCode", "zh") == "AccountCode"  # unknown: its name as it is, never split


def test_a_log_without_products_gets_plans_that_name_none():
    """On a log of id, date and amount the strategy cannot say which products to recommend: every plan that would
    name what customers buy has a version without it, in both languages."""
    from custseg.personas import behaviour

    plans = i18n.messages("en")["strategy"]
    naming = [k for k, (_, plan) in plans.items() if re.search(r"product|categor|bundle|what they bu", plan, re.I)]
    assert set(naming) <= set(i18n.messages("en")["strategy_no_items"]), naming
    assert set(i18n.messages("zh")["strategy_no_items"]) == set(i18n.messages("en")["strategy_no_items"])
    for key in naming:
        text = behaviour.strategy(key, items=False)
        assert not re.search(r"complementary|bundles|what they bought|on what they buy most", text), (key, text)
    assert behaviour.strategy("mid_active") == plans["mid_active"][1], "with products, the plan names them"
