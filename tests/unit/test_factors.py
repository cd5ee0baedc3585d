"""Factor analysis recovers a planted structure: the number of factors, each item on its factor, suitability."""

import numpy as np
import pandas as pd
import pytest

from custseg import factors

PLANTED = {"price": ["price_1", "price_2", "price_3"], "quality": ["quality_1", "quality_2", "quality_3"],
           "novelty": ["novelty_1", "novelty_2", "novelty_3", "novelty_4"]}


def likert_items(n=800, seed=0, noise=0.7):
    """Answers 1..5 to items driven by three independent attitudes (plus noise)."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, len(PLANTED)))
    out = {}
    for j, items in enumerate(PLANTED.values()):
        for item in items:
            raw = latent[:, j] + noise * rng.standard_normal(n)
            out[f"survey_{item}"] = np.clip(np.round(3 + 1.2 * raw), 1, 5)
    return pd.DataFrame(out)


def test_the_planted_factors_are_found_and_each_item_loads_on_its_own():
    items = likert_items()
    check = factors.suitability(items)
    assert check["suitable"] and check["kmo"] > 0.7 and check["bartlett_p"] < 1e-6
    scree = factors.parallel_analysis(items)
    assert factors.n_factors(scree) == 3 and scree["kaiser"].sum() >= 3
    model = factors.FactorModel().fit(items)
    assert model.n_factors_ == 3
    primary = model.primary()
    for group in PLANTED.values():
        assert primary[[f"survey_{i}" for i in group]].nunique() == 1, primary
    assert primary.nunique() == 3
    names = model.names_
    assert sorted(n.split("_")[1] for n in names) == ["novelty", "price", "quality"], names
    scores = model.transform(items)
    assert list(scores.columns) == names and scores.notna().all().all()
    # a factor's score follows its items (the sign is turned so)
    for name in names:
        group = [c for c in items if primary[c] == name]
        assert np.corrcoef(scores[name], items[group].mean(axis=1))[0, 1] > 0.8


def test_noise_is_not_suitable_and_keeps_no_factor():
    rng = np.random.default_rng(1)
    noise = pd.DataFrame(rng.integers(1, 6, (600, 8)).astype(float), columns=[f"q{i}" for i in range(8)])
    check = factors.suitability(noise)
    assert not check["suitable"] and check["bartlett_p"] > 0.001
    assert factors.n_factors(factors.parallel_analysis(noise)) == 0


def test_a_skipped_item_is_taken_at_its_mean_and_too_few_answers_give_no_scores():
    items = likert_items(300)
    with_gaps = items.copy()
    with_gaps.iloc[:10, 0] = np.nan  # one item skipped
    with_gaps.iloc[10:20, :6] = np.nan  # six of ten skipped
    model = factors.FactorModel(n_factors=3).fit(with_gaps)
    scores = model.transform(with_gaps)
    assert scores.iloc[:10].notna().all().all() and scores.iloc[10:20].isna().all().all()
    assert scores.iloc[20:].notna().all().all()
    at_mean = with_gaps.iloc[:10].fillna({items.columns[0]: with_gaps.iloc[20:, 0].mean()})
    assert np.allclose(model.transform(at_mean).iloc[:10], scores.iloc[:10], atol=0.05)
    assert model.loadings_.shape == (10, 3)


@pytest.mark.parametrize("seed", [2, 3])
def test_recovery_holds_for_other_samples(seed):
    model = factors.FactorModel().fit(likert_items(600, seed=seed))
    assert model.n_factors_ == 3 and model.primary().nunique() == 3


def test_the_scree_plot_says_how_many_factors_parallel_analysis_keeps():
    import matplotlib.pyplot as plt

    from custseg import plots

    fig = plots.scree(factors.parallel_analysis(likert_items(300)))
    assert fig.axes[0].get_title() == "Scree plot: parallel analysis keeps 3 factor(s)"
    plt.close(fig)


def test_the_customer_table_gets_factor_scores_only_when_the_items_are_suited():
    from custseg import features

    items = likert_items(400)
    model, summary = features.survey_factors(items.assign(customer_id=range(400)))
    assert model is not None and len(summary["factors"]) == 3 and summary["suitability"]["suitable"]
    table = features.with_factors(items, model)
    assert features.feature_groups(table)["psychographic"] == model.names_
    rng = np.random.default_rng(4)
    noise = pd.DataFrame(rng.integers(1, 6, (400, 5)).astype(float), columns=[f"survey_q{i}" for i in range(5)])
    model, summary = features.survey_factors(noise)
    assert model is None and "not suited to factor analysis" in summary["reason"]
    model, summary = features.survey_factors(noise[["survey_q0", "survey_q1"]])
    assert model is None and "needs at least 3 items" in summary["reason"]


def test_a_large_survey_is_fitted_on_a_sample_and_every_respondent_is_scored(monkeypatch):
    from custseg import features

    items = likert_items(3000, seed=2)
    full, _ = features.survey_factors(items)
    monkeypatch.setattr(features.survey, "FACTOR_FIT_ROWS", 1000)
    sampled, summary = features.survey_factors(items)
    assert summary["respondents"] == 3000 and summary["fitted_on"] == 1000
    assert sampled.n_factors_ == 3
    for group in PLANTED.values():  # the same items load together, about as strongly
        columns = [f"survey_{i}" for i in group]
        assert sampled.primary()[columns].nunique() == 1
        strongest = [m.loadings_.loc[columns].abs().max(axis=1) for m in (sampled, full)]
        assert (strongest[0] - strongest[1]).abs().max() < 0.05
    assert len(features.with_factors(items, sampled).dropna()) == 3000
