"""Factor analysis of survey items (因子分析): suitability, how many factors, varimax loadings, named factors.

Attitude items (Likert answers) are many and correlated: five questions about price may measure one
attitude. Clustering on them raw counts that attitude five times. Factor analysis finds the few latent
attitudes behind the items; their scores are the psychographic features to cluster on.

* **Suitability** — Kaiser–Meyer–Olkin (KMO ≥ 0.6: the items share enough variance) and Bartlett's test of
  sphericity (p < 0.05: the correlations are not all zero), computed from the correlation matrix.
* **How many factors** — Horn's parallel analysis: keep the factors whose eigenvalue beats the 95th percentile
  of the eigenvalues of random data of the same shape. The Kaiser rule (eigenvalue > 1) is shown next to it;
  it keeps too many factors when there are many items.
* **Loadings** — scikit-learn's ``FactorAnalysis(rotation="varimax")`` on standardised items; each factor is
  named by its highest-loading items, and each customer gets a score per factor.

scikit-learn is used rather than the ``factor_analyzer`` package: it is already a dependency, it follows the
estimator API (fit / transform), and its maximum-likelihood fit with varimax recovers planted structures as
well (tests/unit/test_factors.py); KMO and Bartlett are a few lines of linear algebra on the correlations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import FactorAnalysis

MIN_KMO = 0.6  # below this the items share too little variance for factors ("mediocre" and worse, Kaiser 1974)
PARALLEL_RUNS = 50
PARALLEL_QUANTILE = 0.95
NAME_ITEMS = 2  # a factor is named by its highest-loading items
MIN_ANSWERED = 0.5  # share of the items a respondent must have answered to get factor scores


def _complete(items: pd.DataFrame) -> pd.DataFrame:
    return items.dropna()


def suitability(items: pd.DataFrame) -> dict:
    """KMO (overall and per item) and Bartlett's test of sphericity for the rows without missing answers.

    Returns
    -------
    dict
        ``kmo``, ``kmo_items`` (item → KMO), ``bartlett_chi2``, ``bartlett_df``, ``bartlett_p``, ``rows``,
        ``suitable`` (KMO ≥ :data:`MIN_KMO` and Bartlett p < 0.05).
    """
    x = _complete(items)
    n, p = x.shape
    r = np.corrcoef(x.to_numpy(dtype=float), rowvar=False)
    inverse = np.linalg.pinv(r)
    scale = np.sqrt(np.outer(np.diag(inverse), np.diag(inverse)))
    partial = -inverse / scale
    off = ~np.eye(p, dtype=bool)
    r2, q2 = np.where(off, r ** 2, 0), np.where(off, partial ** 2, 0)
    kmo = float(r2.sum() / (r2.sum() + q2.sum()))
    kmo_items = dict(zip(items.columns, r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0)), strict=True))
    _, logdet = np.linalg.slogdet(r)
    chi2 = float(-(n - 1 - (2 * p + 5) / 6) * logdet)
    df = p * (p - 1) // 2
    p_value = float(stats.chi2.sf(chi2, df))
    return {"kmo": kmo, "kmo_items": {k: float(v) for k, v in kmo_items.items()}, "bartlett_chi2": chi2,
            "bartlett_df": df, "bartlett_p": p_value, "rows": n, "suitable": kmo >= MIN_KMO and p_value < 0.05}


def parallel_analysis(items: pd.DataFrame, runs: int = PARALLEL_RUNS, quantile: float = PARALLEL_QUANTILE,
                      seed: int = 0) -> pd.DataFrame:
    """Eigenvalues of the items' correlations against those of random normal data of the same shape.

    Returns
    -------
    DataFrame
        One row per factor: ``factor`` (1, 2, …), ``eigenvalue``, ``random`` (the ``quantile`` of the random
        eigenvalues), ``parallel`` (kept by parallel analysis: every earlier factor kept too and eigenvalue >
        random) and ``kaiser`` (eigenvalue > 1).
    """
    x = _complete(items).to_numpy(dtype=float)
    n, p = x.shape
    observed = np.sort(np.linalg.eigvalsh(np.corrcoef(x, rowvar=False)))[::-1]
    rng = np.random.default_rng(seed)
    random = np.array([np.sort(np.linalg.eigvalsh(np.corrcoef(rng.standard_normal((n, p)), rowvar=False)))[::-1]
                       for _ in range(runs)])
    threshold = np.quantile(random, quantile, axis=0)
    kept = np.cumprod(observed > threshold).astype(bool)
    return pd.DataFrame({"factor": np.arange(1, p + 1), "eigenvalue": observed, "random": threshold,
                         "parallel": kept, "kaiser": observed > 1})


def n_factors(scree: pd.DataFrame) -> int:
    """The number of factors parallel analysis keeps (:func:`parallel_analysis`)."""
    return int(scree["parallel"].sum())


class FactorModel(TransformerMixin, BaseEstimator):
    """Varimax-rotated factor analysis of survey items, with each factor named by its top items.

    Parameters
    ----------
    n_factors : int, optional
        Number of factors; None: by parallel analysis (:func:`parallel_analysis`).
    seed : int
        Random state of the fit and of parallel analysis.

    Attributes
    ----------
    n_factors_ : int
    loadings_ : DataFrame
        Items × factors (columns are the factor names).
    names_ : list of str
        ``factor_<item>_<item>``: the highest-loading items of each factor (``low_<item>`` when the item
        loads against the factor's strongest one).
    scree_ : DataFrame
        :func:`parallel_analysis` of the items.
    """

    def __init__(self, n_factors: int | None = None, seed: int = 0):
        self.n_factors = n_factors
        self.seed = seed

    def fit(self, X: pd.DataFrame, y=None) -> FactorModel:
        items = _complete(X)
        self.items_ = list(X.columns)
        self.mean_, self.scale_ = items.mean(), items.std(ddof=0).replace(0, 1.0)
        self.scree_ = parallel_analysis(items, seed=self.seed)
        self.n_factors_ = self.n_factors or max(n_factors(self.scree_), 1)
        self.model_ = FactorAnalysis(n_components=self.n_factors_, rotation="varimax", random_state=self.seed)
        self.model_.fit((items - self.mean_) / self.scale_)
        raw = self.model_.components_.T
        # a factor points the way its strongest item does
        self.sign_ = np.sign(raw[np.abs(raw).argmax(axis=0), np.arange(self.n_factors_)])
        loadings = raw * self.sign_
        names = []
        for j in range(self.n_factors_):
            top = np.argsort(-np.abs(loadings[:, j]))[:NAME_ITEMS]
            names.append("factor_" + "_".join(("low_" if loadings[i, j] < 0 else "") + self._short(self.items_[i])
                                              for i in top))
        self.names_ = names
        self.loadings_ = pd.DataFrame(loadings, index=self.items_, columns=names)
        return self

    @staticmethod
    def _short(item: str) -> str:
        return item.removeprefix("survey_")

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Factor scores per row. A respondent who skipped some items gets the items' mean answer for them
        (a skipped item says nothing either way); one who answered under :data:`MIN_ANSWERED` of the items
        gets missing scores."""
        x = X[self.items_]
        enough = x.notna().mean(axis=1) >= MIN_ANSWERED
        scores = np.full((len(x), self.n_factors_), np.nan)
        if enough.any():
            z = ((x[enough] - self.mean_) / self.scale_).fillna(0.0)
            scores[enough.to_numpy()] = self.model_.transform(z) * self.sign_
        return pd.DataFrame(scores, index=X.index, columns=self.names_)

    def primary(self) -> pd.Series:
        """Each item's factor: the one it loads on most."""
        return self.loadings_.abs().idxmax(axis=1)
