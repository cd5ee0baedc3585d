"""The expected value: what each customer is likely to spend next, learned from what customers did after an
earlier cutoff, as one more clustering feature.

Why: segments are used to treat customers differently, and the first thing a segment must tell is who
will be worth more. Recency, frequency and spend tell it only through k-means' equal-weight distances;
a model learned on the data says how much each feature (and each combination, such as "bought twice,
but long ago") matters for what comes next. The expected value joins the features with as much weight
as all the other features together (:func:`value_weight`), so segments separate by future value *and*
by behaviour, and the personas still describe who the customers are.

The model is a gradient-boosted regression (scikit-learn's ``HistGradientBoostingRegressor``) of
log(1 + spend in the following period) on the customers' features at the cutoff. It is learned on
periods before the data it is applied to, never on the report's holdout when the holdout is what is
being judged (see :func:`custseg.pipeline.segment` and 07's contest).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold, cross_val_predict

from custseg.cluster.preprocess import make_preprocessor
from custseg.schema import EXPECTED_VALUE, PREDICTED_SPEND

VALUE_COLUMN = EXPECTED_VALUE  # log(1 + spend), what is clustered on
SPEND_COLUMN = PREDICTED_SPEND  # the same in money, what the reports show


def value_weight(n_other: int) -> float:
    """The weight of the standardised expected value: √(number of other preprocessed columns), so that it
    carries as much variance in the distances as all the other (standardised) columns together."""
    return float(np.sqrt(max(n_other, 1)))


class ExpectedValue(RegressorMixin, BaseEstimator):
    """Predict log(1 + next-period spend) from customer features (preprocessed as for clustering).

    Parameters
    ----------
    skew_transform : {"log", "quantile", "none"}
        As for :func:`~custseg.cluster.preprocess.make_preprocessor`.
    random_state : int

    Attributes
    ----------
    preprocessor_ : ColumnTransformer
    model_ : HistGradientBoostingRegressor
    feature_names_in_ : ndarray
    """

    def __init__(self, skew_transform: str = "log", random_state: int = 0):
        self.skew_transform = skew_transform
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y) -> ExpectedValue:
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.preprocessor_ = make_preprocessor(X, self.skew_transform, random_state=self.random_state).fit(X)
        # early stopping on a tenth of the customers: as many trees as help, on a small base too
        self.model_ = HistGradientBoostingRegressor(max_iter=200, early_stopping=True, random_state=self.random_state)
        self.model_.fit(self.preprocessor_.transform(X), np.asarray(y, dtype=float))
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.model_.predict(self.preprocessor_.transform(X[list(self.feature_names_in_)]))


def out_of_fold(X: pd.DataFrame, y, skew_transform: str = "log", seed: int = 0, folds: int = 5) -> np.ndarray:
    """Each customer's expected value from a model that did not see that customer (``folds``-fold), so that
    judging segments by ``y`` is not flattered by the model having learned ``y``."""
    cv = KFold(n_splits=folds, shuffle=True, random_state=seed)
    return cross_val_predict(ExpectedValue(skew_transform, seed), X, np.asarray(y, dtype=float), cv=cv)
