"""08's offers on a customer table (minimum lift, what is a service, audiences without the customers who left) and
07's adoptable rule in the data's labels (issue 24 findings)."""

from __future__ import annotations

import functools
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from custseg import config, offers, relations, rule_segments, services
from custseg import target as targeting
from custseg.errors import ConfigError
from custseg.evaluate import rivals

TABLE = {"sources": {"customers": {"kind": "csv", "path": "subscribers.csv"}}}
OFFERS = {"items": "auto", "basket": "order", "min_support": 0.002, "min_confidence": 0.05, "min_baskets": 5,
          "top": 3, "services": None, "min_lift": 1.2}


def _subscribers(n=3000, seed=3):
    """Subscribers: TV goes with movies (strong, lift ≈ 2), backup barely with security (lift ≈ 1.05), a
    paperless-billing flag, a phone gate that MultipleLines repeats, and a churn outcome."""
    rng = np.random.default_rng(seed)
    yes = np.array(["No", "Yes"])
    phone = rng.random(n) < 0.85
    tv = rng.random(n) < 0.4
    segment = np.arange(n) % 2
    movies = np.where(tv, rng.random(n) < np.where(segment == 1, 0.9, 0.7), rng.random(n) < 0.15)
    security = rng.random(n) < 0.5
    backup = np.where(segment == 1, np.where(security, rng.random(n) < 0.75, rng.random(n) < 0.45),
                      rng.random(n) < 0.5)  # in segment 1 only, barely more often with security
    return pd.DataFrame({
        "customer_id": [f"S{i}" for i in range(n)], "segment": segment,
        "tenure": rng.integers(0, 72, n).astype(float),
        "PhoneService": phone.astype(float),
        "MultipleLines": np.where(~phone, "No phone service", yes[(rng.random(n) < 0.5).astype(int)]),
        "StreamingTV": yes[tv.astype(int)], "StreamingMovies": yes[movies.astype(int)],
        "OnlineSecurity": yes[security.astype(int)], "OnlineBackup": yes[backup.astype(int)],
        "PaperlessBilling": yes[(rng.random(n) < 0.6).astype(int)],
        "Partner": rng.integers(0, 2, n).astype(float), "Churn": (rng.random(n) < 0.3).astype(float)})


def _kinds_with_gate(customers):
    """The kinds table 04 writes, carrying the nested-label finding (PhoneService = No ⇔ "No phone service")."""
    group = {"parent": "PhoneService", "value": "No", "label": "No phone service",
             "children": {"MultipleLines": "No"}, "nested": {"MultipleLines": "No phone service"},
             "rows": int((customers["PhoneService"] == 0).sum())}
    columns = [c for c in customers.columns if c not in ("customer_id", "segment")]
    found = [json.dumps({"nested": [group]}) if c == "PhoneService" else "" for c in columns]
    return pd.DataFrame({"column": columns, "kind": "categorical", "relations": found})


# ------------------------------------------------------------------------------------------------- minimum lift


def test_min_lift_keeps_strong_offers_and_counts_the_weak_ones_it_removes():
    customers = _subscribers()
    declared = {**OFFERS, "services": ["StreamingTV", "StreamingMovies", "OnlineSecurity", "OnlineBackup"]}
    loose, _ = offers.find_services({**declared, "min_lift": 1.0}, customers, ["tenure"])
    strict, note = offers.find_services(declared, customers, ["tenure"])
    assert (loose.offers["lift"] < 1.2).any(), "the planted weak pairing should be an offer without a minimum"
    assert (strict.offers["lift"] >= 1.2).all() and len(strict.offers) > 0
    pairs = {frozenset(p) for p in zip(strict.offers["antecedent"], strict.offers["consequent"], strict=True)}
    assert frozenset({"StreamingTV", "StreamingMovies"}) in pairs
    assert frozenset({"OnlineSecurity", "OnlineBackup"}) not in pairs
    every = offers.offers(loose.basket_rules[loose.basket_rules["segment"] != offers.ALL],
                          loose.base, top=1000)
    assert strict.weak == int((every["lift"] < 1.2).sum()) > 0
    assert f"{strict.weak} rule{'s' if strict.weak > 1 else ''} with a lift above 1 but under 1.2" in note
    assert "offers.min_lift" in note
    zh = offers.find_services(declared, customers, ["tenure"], language="zh")[1]
    assert f"有 {strict.weak} 条提升度大于 1 但低于 1.2" in zh


def test_min_lift_is_validated_and_has_a_default():
    assert config.from_dict(TABLE)["offers"]["min_lift"] == 1.2
    with pytest.raises(ConfigError, match="offers.min_lift"):
        config.from_dict({**TABLE, "offers": {"min_lift": 0.5}})


# ------------------------------------------------------------------------------------------ what is a service


def test_billing_columns_and_who_the_customer_is_are_not_services_and_are_named():
    customers = _subscribers()
    gates = relations.gates(_kinds_with_gate(customers))
    assert gates == {"PhoneService": ["MultipleLines"]}
    columns, left = services.service_choice(customers, ["Churn"])
    assert columns == ["PhoneService", "MultipleLines", "StreamingTV", "StreamingMovies", "OnlineSecurity",
                       "OnlineBackup"]  # the gate is a service: the one to offer who lacks it
    assert left == {"PaperlessBilling": "billing", "Partner": "who", "Churn": "outcome"}
    found, note = offers.find_services(OFFERS, customers, ["tenure"], ["Churn"], gates=gates)
    assert "PaperlessBilling" not in set(found.base["antecedent"]) | set(found.base["consequent"])
    assert "Not offered as services: PaperlessBilling (how customers are billed" in note
    assert "offers.services" in note
    structural = found.offers[found.offers["antecedent"].isin(["PhoneService", "MultipleLines"])
                              & found.offers["consequent"].isin(["PhoneService", "MultipleLines"])]
    assert structural.empty, "a gate and the add-on it gates: the lift is the nesting, no offer"
    # the config can still name any of them
    named, named_note = offers.find_services({**OFFERS, "services": ["PaperlessBilling", "StreamingTV"]}, customers,
                                             ["tenure"], ["Churn"], gates=gates)
    assert named.columns == ["PaperlessBilling", "StreamingTV"] and "Not offered" not in named_note
    assert "以下列未作为服务推荐：PaperlessBilling" in offers.find_services(
        OFFERS, customers, ["tenure"], ["Churn"], language="zh", gates=gates)[1]


def _phone_only_segment(n=900, seed=4):
    """Segment 0 has phone only (InternetService No), segment 1 all internet, segment 2 internet for 30 %: streaming
    needs internet, so among segment 2 internet "goes with" streaming by construction."""
    rng = np.random.default_rng(seed)
    segment = np.arange(n) % 3
    net = np.select([segment == 0, segment == 1], [False, True], rng.random(n) < 0.3)
    kind = np.where(net, np.where(rng.random(n) < 0.5, "DSL", "Fiber optic"), "No")
    yes = np.array(["No", "Yes"])
    tv, movies = rng.random(n) < 0.6, rng.random(n) < 0.5
    return pd.DataFrame({
        "customer_id": [f"P{i}" for i in range(n)], "segment": segment,
        "tenure": np.where(segment == 0, 50.0, 10.0) + rng.normal(0, 3, n), "PhoneService": 1.0,
        "InternetService": kind,
        "StreamingTV": np.where(net, yes[tv.astype(int)], "No internet service"),
        "StreamingMovies": np.where(net, yes[movies.astype(int)], "No internet service"),
        "MultipleLines": yes[(rng.random(n) < 0.4).astype(int)]})


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_category_with_a_no_label_is_a_service_and_the_phone_only_segment_is_offered_internet(language):
    customers = _phone_only_segment()
    assert services.is_service(customers["InternetService"]) and not services.is_service(pd.Series(
        ["Month-to-month", "One year", "Two year"]))
    held = services.held(customers, ["InternetService", "StreamingTV"])
    assert held["InternetService"].tolist() == (customers["InternetService"] != "No").tolist()
    assert not held.loc[customers["InternetService"] == "No", "StreamingTV"].any()
    gates = {"InternetService": ["StreamingTV", "StreamingMovies"]}
    found, _ = offers.find_services(OFFERS, customers, ["tenure"], gates=gates, language=language)
    assert "InternetService" in found.columns
    gaps = found.under_bought[found.under_bought["segment"] == "0"]
    assert gaps["item"].iloc[0] == "InternetService" and gaps["penetration"].iloc[0] == 0
    cards = offers.on_cards([{"segment": s, "name": f"s{s}"} for s in range(3)], found,
                            {"strategy": "concentrated", "targets": [0]}, language)
    # named in words, never by the column's code
    assert cards[0]["offer"] == {"en": "internet service", "zh": "互联网服务"}[language], cards[0]
    assert "InternetService" not in " ".join(cards[0]["offers"])
    # without the gates the nesting looks like an offer: internet "makes" streaming 3 times likelier in segment 2
    naive, _ = offers.find_services(OFFERS, customers, ["tenure"])
    pair = {"InternetService", "StreamingTV"}
    assert any({a, c} == pair for a, c in zip(naive.offers["antecedent"], naive.offers["consequent"], strict=True))
    assert not any({a, c} <= {"InternetService", "StreamingTV", "StreamingMovies"} and "InternetService" in (a, c)
                   for a, c in zip(found.offers["antecedent"], found.offers["consequent"], strict=True))


def test_a_gate_is_only_a_parent_whose_value_says_no():
    kinds = pd.DataFrame({"column": ["InternetService"], "kind": ["categorical"], "relations": [json.dumps(
        {"nested": [{"parent": "InternetService", "value": "No", "children": {"StreamingTV": "No"}, "nested": {},
                     "rows": 9},
                    {"parent": "StreamingTV", "value": "No internet service", "children": {"TechSupport": "No"},
                     "nested": {}, "rows": 9}]})]})
    assert relations.gates(kinds) == {"InternetService": ["StreamingTV"]}
    assert relations.gates(None) == {}


# ------------------------------------------------------------------------------ audiences without those who left


def test_churned_customers_are_left_out_of_the_audience_and_counted_as_win_back():
    customers = _subscribers()
    cards = [{"segment": s, "name": f"seg {s}", "offer": "StreamingMovies", "offers": ["why"], "strategy": "s",
              "strategy_headline": "h", "share": 0.5, "kpis": [], "spend": None, "value_share": None, "who": "w",
              "target": "t"} for s in (0, 1)]
    choice = {"strategy": "concentrated", "targets": [1], "reason": "r"}
    contacts = customers[["customer_id"]]
    files, out = targeting.audiences(customers, cards, choice, contacts, [], "en", ["Churn"])
    members = customers[customers["segment"] == 1]
    churned = members.loc[members["Churn"] == 1, "customer_id"]
    assert out[0]["excluded"] == len(churned) > 0 and out[0]["customers"] == len(members) - len(churned)
    assert not files["segment_1.csv"]["customer_id"].isin(churned).any()
    assert set(files["segment_1_win_back.csv"]["customer_id"]) == set(churned)
    note = targeting.excluded_note(out, ["Churn"], customers, "en")
    assert f"{len(churned):,} customers" in note and "(Churn)" in note and "segment_1_win_back.csv" in note
    assert "挽回受众" in targeting.excluded_note(out, ["Churn"], customers, "zh")
    # a higher-is-better outcome at 0 (not bought yet) is a prospect; an outcome of unknown direction decides nothing
    for outcomes in ({"Churn": "higher_is_better"}, ["Score"]):
        _, kept = targeting.audiences(customers.assign(Score=customers["Churn"]), cards, choice, contacts, [], "en",
                                      outcomes)
        assert kept[0]["excluded"] == 0 and kept[0]["customers"] == len(members)
    assert targeting.excluded_note(kept, ["Score"], customers, "en") == ""


# ----------------------------------------------------------------------------- 07's adoptable rule in labels


def test_the_rival_rule_reads_in_labels_and_the_printed_config_reproduces_it():
    rng = np.random.default_rng(0)
    n = 800
    contract = rng.integers(1, 4, n).astype(float)  # the features code Contract 1, 2, 3
    churn = (rng.random(n) < np.select([contract == 1, contract == 2], [0.6, 0.2], 0.05)).astype(float)
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "segment": rng.integers(0, 3, n),
                              "Contract": contract, "tenure": rng.integers(0, 72, n).astype(float), "Churn": churn})
    declared = {"Contract": ["Month-to-month", "One year", "Two year"]}
    table = rivals.of_run(customers, ["tenure", "Contract"], ["Churn"], None, None, resamples=100, seed=1,
                          declared=declared)
    single = table[table["rival"] == "single"].iloc[0]
    assert single["rule"] == "Contract" and single["result"] == "rule wins"
    whens = [r["when"] for r in single["config"]["segments"]]
    assert "`Contract` == 'Month-to-month'" in whens and not any("1.0" in w for w in whens)
    printed = yaml.safe_dump({"rule_segments": rivals.verdict(table)["config"]}, allow_unicode=True,
                             sort_keys=False)
    cfg = config.from_dict({**TABLE, **yaml.safe_load(printed), "attributes": declared})
    adopted = rule_segments.assign(customers, cfg["rule_segments"], cfg["attributes"])
    best = rivals.verdict(table)["winner"]
    chosen = table[(table["outcome"] == best["outcome"]) & (table["rule"] == best["rule"])].iloc[0]
    expected = rule_segments.codes(rule_segments.readable(customers, declared), chosen["config"]["segments"])
    assert (adopted["segment"].to_numpy() == expected).all()
    month = adopted["segment_name"].str.contains("Month-to-month")
    assert month.sum() == (customers["Contract"] == 1).sum() > 0


def test_a_yes_no_rule_reads_yes_and_no_never_a_code_and_a_number_is_refused():
    rng = np.random.default_rng(2)
    n = 1200
    senior = (rng.random(n) < 0.3).astype(float)  # the features code a yes/no column 1/0
    churn = (rng.random(n) < np.where(senior == 1, 0.6, 0.1)).astype(float)
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "segment": rng.integers(0, 2, n),
                              "SeniorCitizen": senior, "tenure": rng.integers(0, 72, n).astype(float),
                              "Churn": churn})
    table = rivals.of_run(customers, ["tenure", "SeniorCitizen"], ["Churn"], None, None, resamples=50, seed=1)
    single = table[table["rival"] == "single"].iloc[0]
    assert single["rule"] == "SeniorCitizen"
    rules = single["config"]["segments"]
    assert sorted(r["when"] for r in rules) == ["`SeniorCitizen` == 'No'", "`SeniorCitizen` == 'Yes'"]
    assert sorted(r["name"] for r in rules) == ["SeniorCitizen = No", "SeniorCitizen = Yes"]
    adopted = rule_segments.assign(customers, single["config"])  # the printed config runs as it is
    assert (adopted["segment_name"] == "SeniorCitizen = Yes").sum() == int(senior.sum())
    with pytest.raises(ConfigError, match=r"compares the yes/no column SeniorCitizen with a number.*"
                                          r"SeniorCitizen == 'Yes'"):
        rule_segments.assign(customers, {"segments": [{"name": "seniors", "when": "SeniorCitizen == 1"},
                                                      {"name": "rest", "when": "other"}]})
    assert customers["Churn"].dtype == "float64", "the outcome is judged as a number"


@pytest.mark.parametrize(("language", "words"), [("en", r"The audience holds the [\d,]+ of them who have .+ but not "),
                                                 ("zh", r"受众名单包含其中有.+但没有.+的 [\d,]+ 位客户。")])
def test_an_offer_s_audience_has_a_but_not_b(language, words):
    import re

    customers = _subscribers()
    found, _ = offers.find_services(OFFERS, customers, ["tenure"], ["Churn"], language=language)
    cards = [{"segment": s, "name": f"seg {s}", "offers": [], "strategy": "s", "strategy_headline": "h",
              "share": 0.5, "kpis": [], "spend": None, "value_share": None, "who": "w"} for s in (0, 1)]
    cards = offers.on_cards(cards, found, {"strategy": "concentrated", "targets": [1]}, language)
    antecedent, consequent = cards[1]["offer_items"]
    assert antecedent is not None, "segment 1's best offer is a rule"
    files, out = targeting.audiences(customers, cards, {"strategy": "concentrated", "targets": [1], "reason": "r"},
                                     customers[["customer_id"]], [], language, ["Churn"],
                                     functools.partial(offers.audience_fit, found=found, language=language))
    chosen = customers.set_index("customer_id").loc[files["segment_1.csv"]["customer_id"]]
    holds = services.held(chosen, [antecedent, consequent])
    assert len(chosen) and holds[antecedent].all() and not holds[consequent].any()
    members = customers[(customers["segment"] == 1) & (customers["Churn"] == 0)]
    fit = services.held(members, [antecedent, consequent])
    assert len(chosen) == int((fit[antecedent] & ~fit[consequent]).sum()) < len(members)
    assert re.search(words, out[0]["who"]) and out[0]["who"] in files["segment_1.md"]
