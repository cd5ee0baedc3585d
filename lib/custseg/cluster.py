"""Cluster customers: preprocessing, a k sweep with several criteria, a recommended k, stability.

:class:`Segmenter` follows scikit-learn conventions (``fit`` / ``predict`` / ``labels_``) and carries its
own preprocessing, so a saved model assigns new customers exactly as it assigned the training ones.
"""

from __future__ import annotations

import fnmatch

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from tqdm import tqdm

# criterion -> True when larger is better
CRITERIA = {"silhouette": True, "calinski_harabasz": True, "davies_bouldin": False}


def select_columns(df: pd.DataFrame, patterns: list[str]) -> list[str]:
    """Columns of ``df`` matching the patterns (exact names or globs like ``share_cat_*``), in pattern order.

    Raises
    ------
    KeyError
        If a pattern matches no column; the message lists the available columns.
    """
    chosen: list[str] = []
    for pattern in patterns:
        hits = [c for c in df.columns if fnmatch.fnmatchcase(c, pattern)]
        if not hits:
            raise KeyError(f"cluster feature '{pattern}' matches no column. Available: {', '.join(df.columns)}")
        chosen += [c for c in hits if c not in chosen]
    return chosen


def skewed_columns(df: pd.DataFrame, threshold: float = 1.0) -> list[str]:
    """Non-negative numeric columns with skewness above ``threshold`` (they get a log1p transform)."""
    num = df.select_dtypes("number")
    return [c for c in num.columns if num[c].min() >= 0 and num[c].skew() > threshold]


def make_preprocessor(df: pd.DataFrame) -> ColumnTransformer:
    """log1p for skewed counts/spend, median imputation and scaling for numbers, one-hot for categories."""
    numeric = list(df.select_dtypes("number").columns)
    skewed = skewed_columns(df)
    plain = [c for c in numeric if c not in skewed]
    categorical = [c for c in df.columns if c not in numeric]
    parts = []
    if skewed:
        parts.append(("log", make_pipeline(SimpleImputer(strategy="median"),
                                           FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
                                           StandardScaler()), skewed))
    if plain:
        parts.append(("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), plain))
    if categorical:
        parts.append(("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                           OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                      categorical))
    return ColumnTransformer(parts, verbose_feature_names_out=False)


def _silhouette(z: np.ndarray, labels: np.ndarray, sample: int, seed: int) -> float:
    size = sample if len(z) > sample else None
    return float(silhouette_score(z, labels, sample_size=size, random_state=seed))


def sweep(z: np.ndarray, ks: range, seed: int = 42, silhouette_sample: int = 10000,
          progress: bool = True) -> pd.DataFrame:
    """Fit k-means for each k and compute inertia, silhouette, Calinski–Harabasz and Davies–Bouldin.

    Silhouette is computed on a random sample of ``silhouette_sample`` rows beyond that size (full
    silhouette is quadratic in n; the sample picks the same k).
    """
    rows = []
    for k in tqdm(ks, desc="k sweep", disable=not progress):
        km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(z)
        rows.append({"k": k, "inertia": km.inertia_,
                     "silhouette": _silhouette(z, km.labels_, silhouette_sample, seed),
                     "calinski_harabasz": calinski_harabasz_score(z, km.labels_),
                     "davies_bouldin": davies_bouldin_score(z, km.labels_),
                     "smallest_share": np.bincount(km.labels_).min() / len(z)})
    return pd.DataFrame(rows)


def recommend_k(table: pd.DataFrame, min_share: float = 0.0) -> tuple[int, str]:
    """Recommend k by consensus: the lowest sum of ranks over the criteria in :data:`CRITERIA`.

    Solutions whose smallest segment is below ``min_share`` of customers are not eligible (unless none
    is). Ties go to the smaller k (the simpler solution).

    Returns
    -------
    k : int
    reason : str
        One sentence saying why, with each criterion's own best k.
    """
    eligible = table[table["smallest_share"] >= min_share]
    if eligible.empty:
        eligible = table
    ranks = pd.DataFrame({c: eligible[c].rank(ascending=not up, method="min") for c, up in CRITERIA.items()})
    total = ranks.sum(axis=1)
    best = eligible.loc[total[total == total.min()].index, "k"].min()
    own = {c: int(eligible.loc[eligible[c].idxmax() if up else eligible[c].idxmin(), "k"])
           for c, up in CRITERIA.items()}
    row = eligible.set_index("k").loc[best]
    reason = (f"k={best} has the best combined rank over silhouette ({row['silhouette']:.3f}), "
              f"Calinski–Harabasz ({row['calinski_harabasz']:.0f}) and Davies–Bouldin ({row['davies_bouldin']:.2f}); "
              f"on their own they prefer k={own['silhouette']}, k={own['calinski_harabasz']} and "
              f"k={own['davies_bouldin']}.")
    if len(eligible) < len(table):
        reason += f" Solutions with a segment under {min_share:.0%} of customers were not considered."
    return int(best), reason


def bootstrap_stability(z: np.ndarray, k: int, runs: int = 5, frac: float = 0.8, seed: int = 42) -> pd.DataFrame:
    """Refit k-means on random subsamples and compare its assignment of *all* customers with the reference.

    Returns one row per run with the adjusted Rand index against the full-data solution; ARI ≥ 0.8 is
    usually read as stable, below 0.6 as unstable.
    """
    rng = np.random.default_rng(seed)
    reference = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(z).labels_
    rows = []
    for run in range(runs):
        idx = rng.choice(len(z), size=int(frac * len(z)), replace=False)
        km = KMeans(n_clusters=k, n_init=10, random_state=seed + run + 1).fit(z[idx])
        rows.append({"run": run, "ari": adjusted_rand_score(reference, km.predict(z))})
    return pd.DataFrame(rows)


class Segmenter(ClusterMixin, BaseEstimator):
    """Preprocess customer features and cluster them with k-means, choosing k when not given.

    Parameters
    ----------
    k : int, optional
        Number of segments; None sweeps ``k_min..k_max`` and uses :func:`recommend_k`.
    k_min, k_max : int
        The sweep range.
    min_segment_share : float
        Solutions with a smaller segment are not recommended.
    silhouette_sample : int
        Rows sampled for the silhouette beyond this size.
    random_state : int
        Seed: the same data, parameters and seed give identical labels.

    Attributes
    ----------
    preprocessor_ : ColumnTransformer
    model_ : KMeans
    labels_ : ndarray
        Segment of each training row, numbered by decreasing size (0 = largest).
    sweep_ : DataFrame or None
        Criteria per k when k was chosen automatically.
    k_, reason_ : int, str
    """

    def __init__(self, k: int | None = None, k_min: int = 2, k_max: int = 10, min_segment_share: float = 0.0,
                 silhouette_sample: int = 10000, random_state: int = 42, progress: bool = True):
        self.k = k
        self.k_min = k_min
        self.k_max = k_max
        self.min_segment_share = min_segment_share
        self.silhouette_sample = silhouette_sample
        self.random_state = random_state
        self.progress = progress

    def fit(self, X: pd.DataFrame, y=None) -> Segmenter:
        if len(X) < max(self.k or self.k_max, 2) * 2:
            raise ValueError(f"{len(X)} customers are too few to form up to {self.k or self.k_max} segments")
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.preprocessor_ = make_preprocessor(X)
        z = self.preprocessor_.fit_transform(X)
        if self.k is None:
            ks = range(self.k_min, min(self.k_max, len(X) - 1) + 1)
            self.sweep_ = sweep(z, ks, self.random_state, self.silhouette_sample, self.progress)
            self.k_, self.reason_ = recommend_k(self.sweep_, self.min_segment_share)
        else:
            self.sweep_, self.k_, self.reason_ = None, self.k, f"k={self.k} was set in the config."
        model = KMeans(n_clusters=self.k_, n_init=10, random_state=self.random_state).fit(z)
        # renumber segments by size so ids are stable and readable (0 = largest)
        order = np.argsort(-np.bincount(model.labels_, minlength=self.k_), kind="stable")
        model.cluster_centers_ = model.cluster_centers_[order]
        self.model_ = model
        self.labels_ = self.model_.predict(z)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The preprocessed (scaled) feature matrix."""
        return self.preprocessor_.transform(X[list(self.feature_names_in_)])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Assign customers (new or old) to the nearest segment centre."""
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise KeyError(f"cannot assign segments: columns {missing} are missing")
        return self.model_.predict(self.transform(X))
