"""08's offers on a customer table (minimum lift, what is a service, audiences without the customers who left) and
07's adoptable rule in the data's labels (issue 24 findings)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from custseg import config, offers, relations, rule_segments
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


def test_billing_columns_gates_and_who_the_customer_is_are_not_services_and_are_named():
    customers = _subscribers()
    gates = relations.gates(_kinds_with_gate(customers))
    assert gates == {"PhoneService": ["MultipleLines"]}
    columns, left = offers.service_choice(customers, ["Churn"], gates=gates)
    assert columns == ["MultipleLines", "StreamingTV", "StreamingMovies", "OnlineSecurity", "OnlineBackup"]
    assert left == {"PhoneService": "gate", "PaperlessBilling": "billing", "Partner": "who", "Churn": "outcome"}
    found, note = offers.find_services(OFFERS, customers, ["tenure"], ["Churn"], gates=gates)
    assert "PaperlessBilling" not in set(found.base["antecedent"]) | set(found.base["consequent"])
    assert "Not offered as services: PaperlessBilling (how customers are billed" in note
    assert "PhoneService (the base an add-on needs, not an add-on: MultipleLines can" in note
    assert "offers.services" in note
    # the config can still name any of them
    named, named_note = offers.find_services({**OFFERS, "services": ["PaperlessBilling", "StreamingTV"]}, customers,
                                             ["tenure"], ["Churn"], gates=gates)
    assert named.columns == ["PaperlessBilling", "StreamingTV"] and "Not offered" not in named_note
    assert "以下列未作为服务推荐：PaperlessBilling" in offers.find_services(
        OFFERS, customers, ["tenure"], ["Churn"], language="zh", gates=gates)[1]


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
