"""Factor analysis of the survey items before clustering (因子分析)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # scikit-learn, imported by 04 only when it fits a factor model
    from custseg import factors

MIN_FACTOR_ITEMS = 3  # fewer survey items than this: no factor analysis
# the factor analysis is fitted on a random sample of this many complete answers (loadings from 50,000
# answers are within about 0.005 of those from all; every respondent is scored): memory stays a few
# copies of the sample, not of a million-row survey
FACTOR_FIT_ROWS = 50_000


def survey_factors(table: pd.DataFrame, seed: int = 0, items: list[str] | None = None
                   ) -> tuple[factors.FactorModel | None, dict]:
    """Factor analysis of the survey items (:mod:`custseg.factors`) on the respondents: the ``survey_*``
    columns by default, or ``items`` (e.g. those plus a customer table's Likert columns).

    Returns the fitted model (None when there are too few items or respondents, or the items are not
    suitable) and a summary for the report: ``items``, ``suitability``, ``scree``, ``loadings`` and, when
    no model was fitted, ``reason``.
    """
    from custseg import factors

    items = [c for c in table.columns if c.startswith("survey_")] if items is None else items
    answered = table[items].dropna()
    summary = {"items": items, "respondents": len(answered)}
    if len(answered) > FACTOR_FIT_ROWS:
        answered = answered.sample(FACTOR_FIT_ROWS, random_state=seed)
        summary["fitted_on"] = FACTOR_FIT_ROWS
    if len(items) < MIN_FACTOR_ITEMS or len(answered) < 10 * len(items):
        summary["reason"] = (f"{len(items)} survey item(s) and {len(answered):,} complete answers: factor analysis "
                             f"needs at least {MIN_FACTOR_ITEMS} items and 10 answers per item")
        return None, summary
    if (answered.std() == 0).any():
        summary["reason"] = "an item has the same answer from every respondent"
        return None, summary
    check = factors.suitability(answered)
    summary["suitability"] = {k: v for k, v in check.items() if k != "kmo_items"}
    model = factors.FactorModel(seed=seed).fit(answered)
    summary["scree"] = model.scree_.to_dict("records")
    if not check["suitable"] or factors.n_factors(model.scree_) == 0:
        summary["reason"] = (f"the items are not suited to factor analysis (KMO {check['kmo']:.2f}, Bartlett p "
                             f"{check['bartlett_p']:.3g}; parallel analysis keeps {factors.n_factors(model.scree_)} "
                             "factors): the items themselves are the psychographic features")
        return None, summary
    summary["loadings"] = model.loadings_.round(3).to_dict()
    summary["factors"] = model.names_
    return model, summary


def recorded(summary: dict) -> dict:
    """What 04's stage record keeps of the factor analysis: items, respondents, KMO, the factors' names (None
    when no model was fitted) and the reason when none was."""
    suitability = summary.get("suitability") or {}
    return {"items": len(summary.get("items", [])), "respondents": int(summary.get("respondents", 0)),
            "kmo": suitability.get("kmo"), "names": summary.get("factors"), "reason": summary.get("reason")}


def with_factors(table: pd.DataFrame, model: factors.FactorModel | None) -> pd.DataFrame:
    """``table`` with each customer's factor scores (missing for customers who did not answer every item)."""
    if model is None:
        return table
    return pd.concat([table, model.transform(table).round(9)], axis=1)


def fit(table: pd.DataFrame, kinds: pd.DataFrame, enabled: bool = True) -> tuple[factors.FactorModel | None, dict]:
    """:func:`survey_factors` on the survey's items and the table's Likert columns (``features.factor_analysis``
    off: no model, and the summary says why)."""
    if not enabled:
        return None, {"reason": "switched off (features.factor_analysis: false)"}
    from custseg.features.table import likert_columns

    items = [c for c in table.columns if c.startswith("survey_")] + likert_columns(kinds)
    return survey_factors(table, items=items)
