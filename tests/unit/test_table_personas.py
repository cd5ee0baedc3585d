"""Persona cards and the scorecard of a customer table without a log: perfect separators, the outcome's
direction, sensitive columns and band codes (issue 29)."""

import numpy as np
import pandas as pd
import pytest

from custseg import evaluate, personas, profile


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
