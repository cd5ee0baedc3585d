"""Rules as rivals: the best one- and two-attribute split against the clusters, chosen on one half of the customers
and judged on the other; the rule that wins is written as the rule_segments config that adopts it."""

import numpy as np
import pandas as pd
import pytest

from custseg import rule_segments
from custseg.evaluate import rivals


def _subscribers(n=4000, seed=1):
    """Churn driven by the contract (and a little by the internet service), not by charges or tenure."""
    rng = np.random.default_rng(seed)
    contract = rng.choice([1.0, 2.0, 3.0], n, p=[0.55, 0.25, 0.2])  # encoded in its declared order
    internet = rng.choice(["DSL", "Fiber optic", "No"], n)
    rate = np.select([contract == 1, contract == 2], [0.42, 0.11], 0.03) * np.where(internet == "Fiber optic", 1.4, 1)
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "Contract": contract,
                         "tenure": rng.integers(0, 72, n).astype(float), "charges": rng.normal(60, 20, n).round(2),
                         "InternetService": internet, "paperless": rng.integers(0, 2, n).astype(float),
                         "churn": (rng.random(n) < rate).astype(int)})


def test_conditions_cover_every_customer_once_with_readable_names():
    values = pd.Series([1.0, 5, 7, 9, 12, 30, np.nan, 3, 4, 8], name="tenure")
    rules = rivals.conditions(values, 3)
    labels = rule_segments.assign(pd.DataFrame({"customer_id": range(10), "tenure": values}), {"segments": rules})
    assert len(labels) == 10 and labels["segment"].nunique() == len(rules) == 4  # three bands and the unknown
    assert rules[-1] == {"name": "tenure unknown", "when": "`tenure`.isna()"}
    labelled = rivals.conditions(pd.Series([1.0, 1, 2, 3, 3], name="Contract"), 4,
                                 {1.0: "Month-to-month", 2.0: "One year", 3.0: "Two year"})
    assert [r["name"] for r in labelled] == ["Contract = Month-to-month", "Contract = Two year", "Contract = One year"]
    many = rivals.conditions(pd.Series(list("aaabbbccdde"), name="city"), 3)
    assert [r["name"] for r in many] == ["city = a", "city = b", "city: other (c, d, e)"]
    assert rivals.conditions(pd.Series([2.0, 2.0], name="flat"), 3) is None


def test_a_rule_that_separates_churn_better_wins_and_its_config_adopts_it():
    table = _subscribers()
    clusters = (pd.qcut(table["tenure"], 2, labels=False) * 2 + pd.qcut(table["charges"], 2, labels=False)).to_numpy()
    labels = rivals.value_labels(table, ["Contract", "paperless"], {"Contract": ["Month-to-month", "One year",
                                                                                  "Two year"]})
    result = rivals.contest(table, clusters, ["Contract", "tenure", "charges", "InternetService", "paperless"],
                            {"churn": "churn"}, resamples=100, seed=3, labels=labels)
    single = result.set_index("rival").loc["single"]
    assert single["rule"] == "Contract" and single["result"] == "rule wins" and single["high"] < 0
    assert result.set_index("rival").loc["pair", "rule"] in ("Contract × InternetService", "InternetService × Contract")
    said = rivals.verdict(result)
    assert said["winner"]["outcome"] == "churn" and "better than the clusters beyond noise" in said["text"]
    adopted = rule_segments.assign(table, said["config"])  # the config a user pastes runs as it is
    assert adopted["segment"].nunique() >= 3 and len(adopted) == len(table)
    assert any("Month-to-month" in r["name"] for r in said["config"]["segments"])
    found = rivals.groups(table, said["winner"], said["config"])  # what the rule finds: its groups, worst first
    assert found["customers"].sum() == len(table) and found["share"].sum() == pytest.approx(1)
    assert found["churn"].is_monotonic_decreasing and "Month-to-month" in found["group"].iloc[0]
    assert found["churn"].iloc[0] > 0.35 > 0.05 > found["churn"].iloc[-1]


def test_the_groups_of_a_rule_that_wins_on_a_holdout_outcome_are_read_off_the_calibration_customers():
    calibration = _subscribers().rename(columns={"churn": "churned"})  # holdout churn, as evaluate.holdout names it
    clusters = pd.qcut(calibration["tenure"], 3, labels=False).to_numpy()
    result = rivals.contest(calibration, clusters, ["Contract", "tenure", "charges"], {"churn": "churned"},
                            resamples=50, seed=3)
    said = rivals.verdict(result)
    assert said["winner"]["outcome"] == "churn"
    customers = calibration.drop(columns="churned")  # the snapshot's customers have no holdout outcome
    found = rivals.groups(customers, said["winner"], said["config"], calibration=calibration)
    assert found["customers"].sum() == len(calibration) and found["churn"].is_monotonic_decreasing


def test_clusters_that_carry_the_outcome_win_against_rules_on_noise():
    rng = np.random.default_rng(5)
    table = _subscribers(seed=2).drop(columns="churn")
    truth = rng.integers(0, 4, len(table))  # the segments the outcome really follows, on no attribute of the table
    table["spend"] = truth * 10 + rng.normal(0, 2, len(table))
    result = rivals.contest(table, truth, ["Contract", "tenure", "charges", "paperless"], {"spend": "spend"},
                            resamples=100, seed=3)
    assert set(result["result"]) == {"clusters win"} and (result["low"] > 0).all()
    assert rivals.verdict(result)["winner"] is None


def test_rules_are_judged_on_customers_they_were_not_chosen_on():
    """On pure noise the best of many rules looks good where it was chosen: judged on the other half it ties."""
    rng = np.random.default_rng(11)
    n = 600
    table = pd.DataFrame({"customer_id": range(n), **{f"x{i}": rng.normal(size=n) for i in range(12)},
                          "y": rng.normal(size=n)})
    result = rivals.contest(table, rng.integers(0, 3, n), [f"x{i}" for i in range(12)], {"y": "y"}, resamples=100)
    assert set(result["result"]) == {"tie"}
    assert result["eta2_rule"].max() < 0.03


@pytest.mark.parametrize("outcomes", [[], ["churn"]])
def test_of_run_uses_the_declared_outcomes_of_a_customer_table(outcomes):
    table = _subscribers().assign(segment=lambda d: (d["charges"] > 60).astype(int))
    result = rivals.of_run(table, ["charges", "tenure"], outcomes, None, None, resamples=50)
    assert list(result["outcome"].unique()) == outcomes
    if outcomes:  # the rule may use an attribute the clusters ignored
        assert "Contract" in result.set_index("rival").loc["single", "rule"]


def test_adjusted_eta_squared_takes_out_what_groups_explain_by_chance():
    from custseg import stats

    assert stats.adjusted_eta_squared(0.1, 101, 3) == pytest.approx(0.1 - 0.9 * 2 / 98)
    rng = np.random.default_rng(0)
    y = rng.normal(size=3000)
    raw = [stats.eta_squared(y, rng.integers(0, k, 3000)) for k in (2, 9)]
    adjusted = [stats.adjusted_eta_squared(e, 3000, k) for e, k in zip(raw, (2, 9), strict=True)]
    assert raw[1] > raw[0] > 0 and abs(adjusted[1]) < 0.005  # nine random groups "explain" more; adjusted: nothing
    assert np.isnan(stats.adjusted_eta_squared(0.5, 3, 3))
