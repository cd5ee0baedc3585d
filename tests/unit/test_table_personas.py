"""Persona cards and the scorecard of a customer table without a log: perfect separators, the outcome's
direction, sensitive columns and band codes (issue 29)."""

import re

import numpy as np
import pandas as pd
import pytest

from custseg import attributes, evaluate, personas, profile


@pytest.fixture(scope="module")
def plans():
    """Three segments of a telecom table: segment 0 is exactly the international-plan holders (a yes/no
    column, no spread on either side), 1 and 2 differ in their day minutes; churn is high in segment 0."""
    rng = np.random.default_rng(29)
    seg = np.repeat([0, 1, 2], [150, 400, 450])
    return pd.DataFrame({
        "customer_id": [f"C{i:04d}" for i in range(len(seg))], "segment": seg,
        "international_plan": (seg == 0).astype(float),
        "day_minutes": np.where(seg == 2, 260.0, 160.0) + rng.normal(0, 25, len(seg)),
        "account_length": rng.normal(100, 40, len(seg)),  # the same everywhere
        "churned": (rng.random(len(seg)) < np.where(seg == 0, 0.42, 0.1)).astype(float),
    })


def test_a_perfect_separator_is_the_strongest_trait(plans):
    d = profile.effect_sizes(plans.drop(columns=["customer_id", "churned"]))
    assert d.loc[0, "international_plan"] == np.inf and np.isfinite(d.loc[1, "international_plan"])  # others hold it
    assert np.isfinite(d.loc[2, "day_minutes"]) and abs(d.loc[0, "account_length"]) < 0.5
    found = personas.traits(plans, ["international_plan", "day_minutes", "account_length"], 0)
    assert found.iloc[0]["column"] == "international_plan" and found.iloc[0]["strength"] == np.inf
    cards = {c["segment"]: c for c in personas.build_from_table(
        plans, ["international_plan", "day_minutes", "account_length"], ["churned"])}
    card = cards[0]
    assert card["name"].startswith("International plan"), card["name"]
    assert "close to the average" not in card["name"].lower() and "No column sets them" not in card["who"]
    assert "100% have international plan (15% overall)" in card["who"], card["who"]
    # a column split without overlap, even with spread on both sides, is a separator too
    wide = plans.assign(day_minutes=np.where(plans["segment"] == 2, 300.0, 150.0) + plans.index % 40)
    assert profile.effect_sizes(wide.drop(columns=["customer_id", "churned"])).loc[2, "day_minutes"] == np.inf
    summary = profile.readable_summary(profile.feature_summary(plans.drop(columns="customer_id")))
    assert "splits apart (no overlap)" in set(summary.iloc[:, -1])


def test_a_segment_split_by_one_flag_is_differentiable(plans):
    table = plans.drop(columns=["day_minutes"])  # nothing but the flag tells segment 0 apart
    card = evaluate.scorecard(table, ["international_plan", "account_length"], levers=[]).set_index("segment")
    assert bool(card.loc[0, "differentiable"]) and card.loc[0, "top_feature"] == "international_plan"
    assert card.loc[0, "top_effect"] == np.inf


@pytest.fixture(scope="module")
def applicants():
    """Credit-card applicants: segment 0 accepts offers at 45 %, segment 2 at 8 % (base about 20 %)."""
    rng = np.random.default_rng(4)
    seg = np.repeat([0, 1, 2], [300, 400, 300])
    return pd.DataFrame({
        "customer_id": [f"A{i:04d}" for i in range(len(seg))], "segment": seg,
        "income": np.where(seg == 0, 6.0, np.where(seg == 1, 4.0, 2.5)) + rng.normal(0, 0.5, len(seg)),
        "reports": np.where(seg == 2, 3.0, 0.5) + rng.normal(0, 0.4, len(seg)),
        "accepted": (rng.random(len(seg)) < np.select([seg == 0, seg == 1], [0.45, 0.15], 0.08)).astype(float),
        "CARAVAN": (rng.random(len(seg)) < np.where(seg == 0, 0.5, 0.1)).astype(float),
    })


@pytest.mark.parametrize("outcomes", [["accepted"], {"accepted": "higher_is_better"}])
def test_strategies_follow_an_outcome_where_higher_is_better(applicants, outcomes):
    cards = {c["segment"]: c for c in personas.build_from_table(applicants, ["income", "reports"], outcomes)}
    best, worst = cards[0], cards[2]
    assert best["strategy_headline"] == "protect and grow" and "act on" not in best["strategy_headline"]
    assert "keep what works for them" in best["strategy"] and "the right way" in best["strategy"]
    assert worst["strategy_headline"] == "act on accepted first" and "the wrong way" in worst["strategy"]
    assert "higher is better" in best["outcomes"], best["outcomes"]
    _, judged = evaluate.outcomes.validate(applicants, outcomes)
    row = judged.iloc[0]
    assert (row["direction"], row["best"], row["worst"]) == ("higher_is_better", 0, 2)
    assert "so segment 0 does best" in evaluate.outcomes.sentence(judged)


def test_churn_is_bad_when_high_and_an_unknown_direction_is_neutral(plans, applicants):
    churn = {c["segment"]: c for c in personas.build_from_table(plans, ["international_plan", "day_minutes"],
                                                                ["churned"])}
    assert churn[0]["strategy_headline"] == "act on churned first" and "lower is better" in churn[0]["outcomes"]
    # a name that says nothing (the insurance table's CARAVAN): described, never called good or bad
    cards = {c["segment"]: c for c in personas.build_from_table(applicants, ["income"], ["CARAVAN"])}
    assert cards[0]["strategy_headline"] == "find out what CARAVAN means here"
    assert "{CARAVAN: higher_is_better}" in cards[0]["strategy"] and "direction unknown" in cards[0]["outcomes"]
    zh = {c["segment"]: c for c in personas.build_from_table(applicants, ["income"], ["CARAVAN"], language="zh")}
    assert "方向未知" in zh[0]["outcomes"] and "CARAVAN" in zh[0]["strategy_headline"]
    _, judged = evaluate.outcomes.validate(applicants, ["CARAVAN", "accepted"])
    assert judged.set_index("outcome").loc["CARAVAN", "direction"] == "unknown"
    text = evaluate.outcomes.sentence(judged)
    assert "no segment is called best" in text and "segment 0.0" not in text and "so segment 0 does best" in text


def test_band_codes_are_described_as_shares_and_never_name_a_persona():
    # an insurance table's 0–9 band columns (MOPLLAAG) beside a real count and a real amount
    rng = np.random.default_rng(9)
    seg = np.repeat([0, 1], [300, 700])
    raw = pd.DataFrame({"MOPLLAAG": np.where(seg == 0, rng.integers(6, 10, len(seg)), rng.integers(0, 4, len(seg))),
                        "number_of_calls": rng.integers(0, 8, len(seg)), "premium": rng.gamma(2, 50, len(seg)),
                        "Contract": np.where(seg == 0, "Two year", rng.choice(["Month-to-month", "One year"],
                                                                                len(seg)))})
    declared = {"Contract": ["Month-to-month", "One year", "Two year"]}
    kinds = attributes.infer(raw, declared)
    kind = kinds.set_index("column")["kind"]
    assert kind["MOPLLAAG"] == "ordinal" and kind["number_of_calls"] == "numeric" and kind["premium"] == "numeric"
    assert "attributes.MOPLLAAG: numeric" in kinds.set_index("column").loc["MOPLLAAG", "why"]
    table = attributes.encode(raw, kinds, declared).assign(segment=seg, customer_id=range(len(seg)))
    assert table["MOPLLAAG"].between(0, 9).all(), "band codes keep their order (and value) for the distances"
    labels = attributes.ordinal_labels(kinds, declared)
    assert labels["Contract"][3.0] == "Two year" and labels["MOPLLAAG"] == {}
    cards = {c["segment"]: c for c in personas.build_from_table(table, ["MOPLLAAG", "Contract", "premium"],
                                                                labels=labels)}
    who = cards[0]["who"]
    assert "MOPLLAAG" in who and "on average" not in who.split("premium")[0], who
    assert "have two year contract" in who and "Contract: 3" not in who and "contract: 3" not in who
    assert "100% have MOPLLAAG 6–9 (30% overall)" in who, "codes only they hold: their range, not a mean"
    mixed = table.assign(MOPLLAAG=np.where(seg == 0, 7, rng.integers(0, 10, len(seg))))  # overlapping codes
    shares = personas.build_from_table(mixed, ["MOPLLAAG"], labels=labels)
    assert re.search(r"\d+% have MOPLLAAG 7 \(\d+% overall\)", shares[-1]["who"]), shares[-1]["who"]
    assert "MOPLLAAG" not in cards[0]["name"] and "MOPLLAAG" not in cards[1]["name"]
    assert cards[0]["name"].startswith("Two year contract"), cards[0]["name"]
    only_codes = {c["segment"]: c for c in personas.build_from_table(table, ["MOPLLAAG"], labels=labels)}
    assert only_codes[0]["name"] == "Segment 0", "a segment set apart by codes alone is numbered, not 'average'"


def test_what_goes_with_the_worse_outcome_across_the_base_is_not_what_works_for_a_better_segment():
    """Segment 1 churns little, on two-year contracts, but pays high charges like segment 0, whose high churn makes
    high charges a churn driver across the base: its plan keeps the contract, not the charges."""
    rng = np.random.default_rng(5)
    seg = np.repeat([0, 1, 2], [400, 200, 400])
    contract = np.select([seg == 0, seg == 1], ["Month-to-month", "Two year"], "One year")
    charges = np.where(seg == 2, 30.0, 90.0) + rng.normal(0, 5, len(seg))
    churn = (rng.random(len(seg)) < np.select([seg == 0, seg == 1], [0.6, 0.03], 0.1)).astype(float)
    table = pd.DataFrame({"customer_id": range(len(seg)), "segment": seg, "Contract": contract,
                          "MonthlyCharges": charges, "Churn": churn})
    cards = {c["segment"]: c for c in personas.build_from_table(table, ["Contract", "MonthlyCharges"],
                                                                {"Churn": "lower_is_better"})}
    assert cards[1]["strategy_headline"] == "protect and grow"
    keep = cards[1]["strategy"]
    assert "two year contract" in keep.lower() and "monthly charges" not in keep.lower(), keep
