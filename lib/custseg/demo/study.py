"""A survey study: demographics, Likert answers as text (partly in Chinese) and a likelihood to recommend,
from respondents of planted attitude groups; no order log."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg.demo.draws import pick

# a survey study's items by the attitude behind them (the planted factors)
STUDY_ITEMS = {"price": ["compares_prices", "waits_for_sales", "buys_cheapest"],
               "quality": ["pays_for_quality", "reads_reviews", "prefers_brands"],
               "novelty": ["tries_new_products", "follows_trends", "shops_online_first"]}
LIKERT_LABELS = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
LIKERT_LABELS_ZH = ["非常不同意", "不同意", "一般", "同意", "非常同意"]
# planted respondent groups: mean attitude (price, quality, novelty), share
STUDY_GROUPS = {"bargain_hunters": ((1.0, -0.6, -0.3), 0.4), "quality_seekers": ((-0.7, 1.0, -0.2), 0.35),
                "trend_followers": ((-0.2, 0.0, 1.2), 0.25)}


def survey_study(n_respondents: int = 3000, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A survey study: one row per respondent with demographics, nine Likert items as text and a 0–10
    likelihood to recommend.

    The items measure three planted attitudes (price, quality, novelty; :data:`STUDY_ITEMS`), three items
    each, answered in English except the novelty items, which come in Chinese (非常同意 …); respondents
    belong to three planted groups (:data:`STUDY_GROUPS`) with different mean attitudes, overlapping.
    About 2 % of answers are blank or ``NULL``.

    Parameters
    ----------
    n_respondents : int
    seed : int
        Random seed; the same seed gives the same study.

    Returns
    -------
    answers, truth : DataFrame
        The answers, and each respondent's planted group (for tests).
    """
    rng = np.random.default_rng(seed)
    names = list(STUDY_GROUPS)
    shares = np.array([STUDY_GROUPS[g][1] for g in names])
    group = rng.choice(len(names), n_respondents, p=shares / shares.sum())
    means = np.array([STUDY_GROUPS[g][0] for g in names])[group]
    attitude = means + rng.normal(0, 0.6, means.shape)
    out = {"respondent": [f"R{i:05d}" for i in range(1, n_respondents + 1)],
           "gender": np.where(rng.random(n_respondents) < 0.52, "Female", "Male"),
           "age": np.clip(rng.normal(38, 12, n_respondents) - 8 * (group == 2), 18, 80).round(),
           "city_tier": pick(rng, {"tier 1": 0.3, "new tier 1": 0.25, "tier 2": 0.25, "tier 3": 0.2}, n_respondents)}
    for j, (attitude_name, items) in enumerate(STUDY_ITEMS.items()):
        labels = np.array(LIKERT_LABELS_ZH if attitude_name == "novelty" else LIKERT_LABELS, dtype=object)
        for item in items:
            score = np.clip(np.round(3 + 1.1 * (attitude[:, j] + rng.normal(0, 0.55, n_respondents))), 1, 5)
            answer = labels[score.astype(int) - 1]
            answer[rng.random(n_respondents) < 0.02] = rng.choice(["", "NULL"])
            out[item] = answer
    out["likely_to_recommend"] = np.clip(np.round(6 + 1.5 * attitude[:, 1] + rng.normal(0, 1.5, n_respondents)),
                                         0, 10)
    return pd.DataFrame(out), pd.DataFrame({"respondent": out["respondent"], "group": np.array(names)[group]})
