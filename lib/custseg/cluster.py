"""Cluster customers: preprocessing, six algorithms, a k sweep with several criteria, a recommended k, stability.

:class:`Segmenter` follows scikit-learn conventions (``fit`` / ``predict`` / ``labels_``) and carries its
own preprocessing, so a saved model assigns new customers exactly as it assigned the training ones.

Algorithms (``algorithm=``), all fitted on the same preprocessed matrix (scaled numbers, one-hot
categories):

* ``"kmeans"`` — k-means; assumes roughly round, similar-sized groups. The default.
* ``"minibatch"`` — mini-batch k-means for very large bases (measure first: at 1M rows scikit-learn
  1.9's plain k-means is faster).
* ``"gmm"`` — Gaussian mixture (full covariances): elliptical groups of different sizes and shapes,
  chosen with the BIC as well.
* ``"ward"`` — Ward hierarchical clustering with a dendrogram, fitted on a sample of at most
  ``max_fit_rows`` customers (memory grows with n²); every customer then goes to the nearest group centre.
* ``"hdbscan"`` — density-based: finds the number of groups itself and leaves customers in no dense
  group as noise (segment −1). Fitted on a sample; others take the label of their nearest fitted
  neighbour.
* ``"kprototypes"`` — k-prototypes (kmodes package) for mixed data: means for numbers, modes and a
  mismatch count for categories, instead of treating one-hot columns as numbers.

Stability is measured by refitting on random subsamples (80 %, without replacement) and comparing
each refit's assignment of *all* customers with the full solution: adjusted Rand index (ARI) overall
and, per segment, the best Jaccard overlap (Hennig's cluster-wise stability).
"""

from __future__ import annotations

import fnmatch
import warnings

import numpy as np
import pandas as pd
from kmodes.kprototypes import KPrototypes
from scipy.cluster.hierarchy import fcluster, ward
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import HDBSCAN, KMeans, MiniBatchKMeans
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    pairwise_distances_argmin,
    silhouette_score,
)
from sklearn.metrics.cluster import contingency_matrix
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, QuantileTransformer, StandardScaler
from tqdm.auto import tqdm

from custseg import features

ALGORITHMS = ("kmeans", "minibatch", "gmm", "ward", "hdbscan", "kprototypes")
TRANSFORMS = ("log", "quantile", "none")
# criterion -> True when larger is better (BIC joins for Gaussian mixtures)
CRITERIA = {"silhouette": True, "calinski_harabasz": True, "davies_bouldin": False}
STABLE_ARI, UNSTABLE_ARI = 0.8, 0.6
STABLE_JACCARD, DISSOLVED_JACCARD = 0.75, 0.5
# the k sweep gives k-means about this many rows × initialisations per fit (at most 10 starts, at least 1)
SWEEP_INIT_ROWS = 200_000


class UnstableSegmentsWarning(UserWarning):
    """The chosen solution changes too much when it is refitted on subsamples."""


def select_columns(df: pd.DataFrame, patterns: list[str], dimensions: list[str] | tuple = ()) -> list[str]:
    """Columns matching the patterns (names or globs like ``share_cat_*``), then every column of the dimensions.

    Parameters
    ----------
    df : DataFrame
        The customer table.
    patterns : list of str
        Exact names or globs, in order.
    dimensions : list of str
        Segmentation dimensions (see :func:`custseg.features.feature_groups`) whose columns are added.

    Raises
    ------
    KeyError
        If a pattern matches no column (the message lists the available columns) or a dimension is unknown.
    ValueError
        If nothing is selected.
    """
    chosen: list[str] = []
    for pattern in patterns:
        hits = [c for c in df.columns if fnmatch.fnmatchcase(c, pattern)]
        if not hits:
            raise KeyError(f"cluster feature '{pattern}' matches no column. Available: {', '.join(df.columns)}")
        chosen += [c for c in hits if c not in chosen]
    groups = features.feature_groups(df) if dimensions else {}
    for dimension in dimensions:
        if dimension not in groups:
            raise KeyError(f"unknown dimension '{dimension}'; use {', '.join(features.DIMENSIONS)}")
        chosen += [c for c in groups[dimension] if c not in chosen]
    if not chosen:
        raise ValueError("no cluster features: set cluster.features and/or cluster.dimensions")
    return chosen


def skewed_columns(df: pd.DataFrame, threshold: float = 1.0) -> list[str]:
    """Non-negative numeric columns with skewness above ``threshold`` (they get the log or quantile transform)."""
    num = df.select_dtypes("number")
    return [c for c in num.columns if num[c].min() >= 0 and num[c].skew() > threshold]


def make_preprocessor(df: pd.DataFrame, transform: str = "log") -> ColumnTransformer:
    """Transform skewed counts/spend, impute (median) and scale numbers; impute and one-hot encode categories.

    Parameters
    ----------
    df : DataFrame
        The features to cluster on.
    transform : {"log", "quantile", "none"}
        For skewed non-negative columns: ``log1p``; a quantile transform to a normal shape (rank-based,
        robust to any outlier, but equal values stay tied and distances become rank distances); or nothing.
    """
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}, got {transform!r}")
    numeric = list(df.select_dtypes("number").columns)
    skewed = skewed_columns(df) if transform != "none" else []
    plain = [c for c in numeric if c not in skewed]
    categorical = [c for c in df.columns if c not in numeric]
    parts = []
    if skewed:
        shape = (FunctionTransformer(np.log1p, feature_names_out="one-to-one") if transform == "log" else
                 QuantileTransformer(output_distribution="normal", n_quantiles=min(1000, len(df)), random_state=0))
        parts.append(("skewed", make_pipeline(SimpleImputer(strategy="median"), shape, StandardScaler()), skewed))
    if plain:
        parts.append(("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), plain))
    if categorical:
        parts.append(("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                           OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                      categorical))
    return ColumnTransformer(parts, verbose_feature_names_out=False)


def categorical_blocks(preprocessor: ColumnTransformer) -> list[tuple[int, int]]:
    """The (start, stop) output columns of each one-hot encoded category of a fitted preprocessor."""
    if "cat" not in preprocessor.named_transformers_:
        return []
    start = preprocessor.output_indices_["cat"].start
    blocks = []
    for values in preprocessor.named_transformers_["cat"][-1].categories_:
        blocks.append((start, start + len(values)))
        start += len(values)
    return blocks


def _sample_rows(n: int, max_rows: int, seed: int | None) -> np.ndarray:
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))


def sample_linkage(z: np.ndarray, max_rows: int = 2000, seed: int | None = 0) -> np.ndarray:
    """The Ward linkage (scipy) of at most ``max_rows`` randomly sampled rows of a preprocessed matrix.

    Memory and time grow with the square of the rows, so a dendrogram is always drawn on a sample;
    draw it with :func:`custseg.plots.dendrogram`.
    """
    return ward(z[_sample_rows(len(z), max_rows, seed)])


class WardClusters(ClusterMixin, BaseEstimator):
    """Ward hierarchical clustering on a sample; every row is assigned to the nearest group centre.

    Attributes
    ----------
    linkage_ : ndarray
        The scipy linkage matrix of the sample (draw it with :func:`custseg.plots.dendrogram`).
    cluster_centers_ : ndarray
    """

    def __init__(self, n_clusters: int = 8, max_rows: int = 5000, random_state: int | None = None):
        self.n_clusters = n_clusters
        self.max_rows = max_rows
        self.random_state = random_state

    def fit(self, X, y=None) -> WardClusters:
        rows = X[_sample_rows(len(X), self.max_rows, self.random_state)]
        self.linkage_ = ward(rows)
        groups = fcluster(self.linkage_, self.n_clusters, criterion="maxclust")
        self.cluster_centers_ = np.vstack([rows[groups == g].mean(axis=0) for g in np.unique(groups)])
        self.labels_ = self.predict(X)
        return self

    def predict(self, X) -> np.ndarray:
        return pairwise_distances_argmin(X, self.cluster_centers_)


class HDBSCANClusters(ClusterMixin, BaseEstimator):
    """HDBSCAN on a sample; every row takes the label (noise = −1) of its nearest fitted neighbour.

    Attributes
    ----------
    n_clusters_ : int
        Dense groups found (noise not counted).
    """

    def __init__(self, min_cluster_size: int = 5, max_rows: int = 5000, random_state: int | None = None):
        self.min_cluster_size = min_cluster_size
        self.max_rows = max_rows
        self.random_state = random_state

    def fit(self, X, y=None) -> HDBSCANClusters:
        rows = X[_sample_rows(len(X), self.max_rows, self.random_state)]
        found = HDBSCAN(min_cluster_size=self.min_cluster_size, copy=True).fit(rows).labels_
        self.n_clusters_ = int(found.max() + 1)
        self.neighbours_ = KNeighborsClassifier(n_neighbors=1).fit(rows, found)
        self.labels_ = self.predict(X)
        return self

    def predict(self, X) -> np.ndarray:
        return self.neighbours_.predict(X)


class KPrototypesClusters(ClusterMixin, BaseEstimator):
    """k-prototypes on a preprocessed matrix whose categories are one-hot ``categorical`` blocks.

    Each block is turned back into one categorical code (an unseen category becomes −1, which matches
    no mode), the other columns are the scaled numbers. ``gamma`` weighs a category mismatch against
    squared numeric distance (None: kmodes' default, half the mean standard deviation of the numbers).
    """

    def __init__(self, n_clusters: int = 8, categorical: tuple = (), gamma: float | None = None, n_init: int = 3,
                 random_state: int | None = None):
        self.n_clusters = n_clusters
        self.categorical = categorical
        self.gamma = gamma
        self.n_init = n_init
        self.random_state = random_state

    def _mixed(self, X) -> tuple[np.ndarray, list[int]]:
        numeric = np.ones(X.shape[1], dtype=bool)
        codes = []
        for start, stop in self.categorical:
            numeric[start:stop] = False
            block = X[:, start:stop]
            codes.append(np.where(block.max(axis=1) > 0, block.argmax(axis=1), -1))
        n_num = int(numeric.sum())
        return np.column_stack([X[:, numeric], *codes]), list(range(n_num, n_num + len(codes)))

    def fit(self, X, y=None) -> KPrototypesClusters:
        if not self.categorical:
            raise ValueError("k-prototypes needs at least one categorical feature (e.g. gender, city_tier); "
                             "for numbers only use kmeans")
        if sum(stop - start for start, stop in self.categorical) == X.shape[1]:
            raise ValueError("k-prototypes needs at least one numeric feature as well")
        mixed, cat = self._mixed(X)
        self.model_ = KPrototypes(n_clusters=self.n_clusters, gamma=self.gamma, n_init=self.n_init, init="Cao",
                                  random_state=self.random_state, n_jobs=1).fit(mixed, categorical=cat)
        self.labels_ = self.predict(X)
        return self

    def predict(self, X) -> np.ndarray:
        mixed, cat = self._mixed(X)
        return np.asarray(self.model_.predict(mixed, categorical=cat), dtype=int)


def sweep_n_init(n: int) -> int:
    """k-means initialisations per fit in the k sweep: 10 up to 20,000 rows, fewer beyond, 1 from 400,000.

    Several starts matter on small, messy data (a single k-means++ start often lands in a poor local
    optimum there); on large data one start is within a few per cent of the best of 10 and 10 starts
    would make a sweep over a million customers take minutes.
    """
    return int(np.clip(round(SWEEP_INIT_ROWS / max(n, 1)), 1, 10))


def make_model(algorithm: str, k: int | None, seed: int, max_rows: int = 5000, min_cluster_size: int = 5,
               categorical: tuple = (), n_init: int | None = None):
    """An unfitted clustering model with ``fit``/``predict`` on the preprocessed matrix.

    k-means uses 10 initialisations, mini-batch k-means 3, k-prototypes 3, the Gaussian mixture 1
    (k-means initialised). ``max_rows`` caps the fitted sample of Ward and HDBSCAN;
    ``min_cluster_size`` is HDBSCAN's (it ignores ``k``); ``categorical`` are k-prototypes' one-hot blocks.

    ``n_init`` overrides the initialisations of k-means and mini-batch k-means (the k sweep and its
    stability refits use :func:`sweep_n_init`; the final model keeps the defaults).
    """
    if algorithm == "kmeans":
        return KMeans(n_clusters=k, n_init=n_init or 10, random_state=seed)
    if algorithm == "minibatch":
        return MiniBatchKMeans(n_clusters=k, n_init=n_init or 3, batch_size=4096, random_state=seed)
    if algorithm == "gmm":
        return GaussianMixture(n_components=k, covariance_type="full", random_state=seed)
    if algorithm == "ward":
        return WardClusters(k, max_rows, seed)
    if algorithm == "hdbscan":
        return HDBSCANClusters(min_cluster_size, max_rows, seed)
    if algorithm == "kprototypes":
        return KPrototypesClusters(k, tuple(categorical), random_state=seed)
    raise ValueError(f"unknown algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}")


def criteria(z: np.ndarray, labels: np.ndarray, silhouette_sample: int = 10000, seed: int = 0) -> dict:
    """Inertia (within-segment sum of squares), silhouette, Calinski–Harabasz, Davies–Bouldin and segment shares.

    Noise (label −1) is left out of the criteria; ``smallest_share`` and ``noise_share`` are shares of
    all rows. Silhouette is computed on ``silhouette_sample`` random rows beyond that size (full
    silhouette is quadratic in n; the sample picks the same k).
    """
    keep = labels >= 0
    zz, ll = z[keep], labels[keep]
    segments, sizes = np.unique(ll, return_counts=True)
    inertia = sum(float(((zz[ll == s] - zz[ll == s].mean(axis=0)) ** 2).sum()) for s in segments)
    out = {"inertia": inertia, "silhouette": np.nan, "calinski_harabasz": np.nan, "davies_bouldin": np.nan,
           "smallest_share": sizes.min() / len(z) if len(sizes) else 0.0, "noise_share": 1 - keep.mean()}
    if 2 <= len(segments) < len(ll):
        size = silhouette_sample if len(zz) > silhouette_sample else None
        out["silhouette"] = float(silhouette_score(zz, ll, sample_size=size, random_state=seed))
        out["calinski_harabasz"] = float(calinski_harabasz_score(zz, ll))
        out["davies_bouldin"] = float(davies_bouldin_score(zz, ll))
    return out


def subsample_stability(z: np.ndarray, reference: np.ndarray, algorithm: str = "kmeans", k: int | None = None,
                        runs: int = 5, frac: float = 0.8, seed: int = 42, n_init: int | None = None, **params
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Refit on random subsamples and compare each refit's assignment of *all* rows with ``reference``.

    Parameters
    ----------
    z : ndarray
        The preprocessed matrix.
    reference : ndarray
        The labels of the solution under test (noise = −1).
    algorithm, k, params
        As for :func:`make_model`.
    runs, frac : int, float
        Number of refits and the share of rows in each subsample (drawn without replacement).
    n_init : int, optional
        k-means initialisations of the refits (:func:`make_model`).

    Returns
    -------
    runs : DataFrame
        ``run``, ``ari``: adjusted Rand index with the reference (1 identical, 0 chance; ≥ 0.8 is usually
        read as stable, below 0.6 as unstable).
    segments : DataFrame
        Per reference segment: ``customers``, mean and minimum over the runs of the best Jaccard overlap
        with a refit segment (Hennig: ≥ 0.75 stable, ≤ 0.5 the segment dissolves).
    """
    rng = np.random.default_rng(seed)
    segments = np.unique(reference[reference >= 0])
    rows, jaccard = [], []
    for run in range(runs):
        idx = rng.choice(len(z), size=int(frac * len(z)), replace=False)
        labels = make_model(algorithm, k, seed + run + 1, n_init=n_init, **params).fit(z[idx]).predict(z)
        rows.append({"run": run, "ari": adjusted_rand_score(reference, labels)})
        both = contingency_matrix(reference, labels)
        ref_ids, new_ids = np.unique(reference), np.unique(labels)
        both = both[np.ix_(ref_ids >= 0, new_ids >= 0)]
        union = both.sum(axis=1, keepdims=True) + both.sum(axis=0, keepdims=True) - both
        jaccard.append((both / np.maximum(union, 1)).max(axis=1) if both.shape[1] else np.zeros(len(segments)))
    jaccard = np.array(jaccard).reshape(runs, len(segments))
    seg = pd.DataFrame({"segment": segments, "customers": [int((reference == s).sum()) for s in segments],
                        "jaccard": jaccard.mean(axis=0), "jaccard_min": jaccard.min(axis=0)})
    return pd.DataFrame(rows), seg


def sweep(z: np.ndarray, ks: range, algorithm: str = "kmeans", seed: int = 42, silhouette_sample: int = 10000,
          stability_runs: int = 0, progress: bool = True, **params) -> pd.DataFrame:
    """Fit the algorithm for each k and compute every criterion of :func:`criteria`.

    Adds ``bic`` for Gaussian mixtures and ``stability`` (mean subsample ARI, :func:`subsample_stability`)
    when ``stability_runs`` > 0. k-means gets fewer initialisations on large data (:func:`sweep_n_init`)
    and the silhouette is sampled, so a sweep of k = 2..10 over a million customers takes well under a
    minute; the chosen k is then refitted with 10 initialisations.
    """
    rows = []
    n_init = sweep_n_init(len(z))
    for k in tqdm(ks, desc="k sweep", disable=not progress):
        model = make_model(algorithm, k, seed, n_init=n_init, **params).fit(z)
        labels = model.labels_ if isinstance(model, KMeans | MiniBatchKMeans) else model.predict(z)
        row = {"k": k, **criteria(z, labels, silhouette_sample, seed)}
        del row["noise_share"]  # only HDBSCAN has noise, and it does not sweep k
        if algorithm == "gmm":
            row["bic"] = model.bic(z)
        if stability_runs:
            runs, _ = subsample_stability(z, labels, algorithm, k, stability_runs, seed=seed, n_init=n_init,
                                          **params)
            row["stability"] = runs["ari"].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def elbow_k(table: pd.DataFrame) -> int:
    """The k where the inertia curve bends most: farthest below the straight line from its first to last point."""
    k, inertia = table["k"].to_numpy(dtype=float), table["inertia"].to_numpy(dtype=float)
    if len(k) < 3 or inertia[0] == inertia[-1]:
        return int(k[0])
    x = (k - k[0]) / (k[-1] - k[0])
    y = (inertia - inertia[-1]) / (inertia[0] - inertia[-1])
    return int(k[np.argmax((1 - x) - y)])


def recommend_k(table: pd.DataFrame, min_share: float = 0.0, min_stability: float = UNSTABLE_ARI
                ) -> tuple[int, str]:
    """Recommend k by consensus: the lowest sum of ranks over silhouette, Calinski–Harabasz, Davies–Bouldin
    (and BIC when the table has it).

    Solutions whose smallest segment is below ``min_share`` of customers, or whose mean subsample ARI
    (column ``stability``, when present) is below ``min_stability``, are not eligible (unless none is).
    Ties go to the smaller k (the simpler solution).

    Returns
    -------
    k : int
    reason : str
        Why, in a few sentences: each criterion's own best k, the elbow, the stability.
    """
    crit = dict(CRITERIA, **({"bic": False} if "bic" in table else {}))
    ok = table["smallest_share"] >= min_share
    if "stability" in table:
        ok &= table["stability"] >= min_stability
    eligible = table[ok] if ok.any() else table
    ranks = pd.DataFrame({c: eligible[c].rank(ascending=not up, method="min") for c, up in crit.items()})
    total = ranks.sum(axis=1)
    best = int(eligible.loc[total[total == total.min()].index, "k"].min())
    own = {c: int(eligible.loc[eligible[c].idxmax() if up else eligible[c].idxmin(), "k"]) for c, up in crit.items()}
    row = eligible.set_index("k").loc[best]
    names = {"silhouette": f"silhouette ({row['silhouette']:.3f})",
             "calinski_harabasz": f"Calinski–Harabasz ({row['calinski_harabasz']:.0f})",
             "davies_bouldin": f"Davies–Bouldin ({row['davies_bouldin']:.2f})",
             "bic": f"BIC ({row.get('bic', np.nan):,.0f})"}
    listed = [names[c] for c in crit]
    reason = (f"k={best} has the best combined rank over {', '.join(listed[:-1])} and {listed[-1]}; "
              f"on their own they prefer " + ", ".join(f"k={own[c]}" for c in crit) + ". "
              f"The inertia curve bends most at k={elbow_k(table)}.")
    if "stability" in table:
        reason += f" Refitted on subsamples, k={best} keeps an ARI of {row['stability']:.2f}."
    if not ok.any():
        reason += " No solution met the size and stability requirements: treat this k with care."
    elif len(eligible) < len(table):
        excluded = [f"a segment under {min_share:.0%} of customers"]
        if "stability" in table:
            excluded.append(f"a subsample ARI under {min_stability}")
        reason += f" Solutions with {' or '.join(excluded)} were not considered."
    return best, reason


def stability_verdict(ari: float) -> str:
    """'stable' (ARI ≥ 0.8), 'moderately stable' (≥ 0.6) or 'unstable'."""
    return "stable" if ari >= STABLE_ARI else "moderately stable" if ari >= UNSTABLE_ARI else "unstable"


class Segmenter(ClusterMixin, BaseEstimator):
    """Preprocess customer features and cluster them, choosing k when not given, and check stability.

    Parameters
    ----------
    algorithm : str
        One of :data:`ALGORITHMS` (module docstring).
    k : int, optional
        Number of segments; None sweeps ``k_min..k_max`` and uses :func:`recommend_k` (HDBSCAN finds k).
    k_min, k_max : int
        The sweep range.
    skew_transform : {"log", "quantile", "none"}
        For skewed non-negative features (:func:`make_preprocessor`).
    min_segment_share : float
        Solutions with a smaller segment are not recommended; HDBSCAN's minimum group size.
    stability_runs : int
        Subsample refits per k in the sweep and for the chosen solution (0: no stability check).
    silhouette_sample : int
        Rows sampled for the silhouette beyond this size.
    max_fit_rows : int
        Ward and HDBSCAN are fitted on a sample of this many customers.
    random_state : int
        Seed: the same data, parameters and seed give identical labels.
    progress : bool
        Show a progress bar during the sweep.

    Attributes
    ----------
    preprocessor_ : ColumnTransformer
    model_ : estimator
        The fitted clustering model (on the preprocessed matrix).
    labels_ : ndarray
        Segment of each training row, numbered by decreasing size (0 = largest); −1 is HDBSCAN's noise.
    k_, reason_ : int, str
        The number of segments and why.
    sweep_ : DataFrame or None
        Criteria per k when k was chosen automatically.
    stability_ : DataFrame or None
        ARI of each subsample refit of the chosen solution.
    segment_stability_ : DataFrame or None
        Per segment: customers and mean/min best Jaccard overlap over the refits.
    stability_ari_ : float
        Mean ARI (NaN without a stability check).
    """

    def __init__(self, algorithm: str = "kmeans", k: int | None = None, k_min: int = 2, k_max: int = 10,
                 skew_transform: str = "log", min_segment_share: float = 0.0, stability_runs: int = 5,
                 silhouette_sample: int = 10000, max_fit_rows: int = 5000, random_state: int = 42,
                 progress: bool = True):
        self.algorithm = algorithm
        self.k = k
        self.k_min = k_min
        self.k_max = k_max
        self.skew_transform = skew_transform
        self.min_segment_share = min_segment_share
        self.stability_runs = stability_runs
        self.silhouette_sample = silhouette_sample
        self.max_fit_rows = max_fit_rows
        self.random_state = random_state
        self.progress = progress

    def _model_params(self, n: int) -> dict:
        fitted = min(n, self.max_fit_rows)
        return {"max_rows": self.max_fit_rows, "categorical": tuple(categorical_blocks(self.preprocessor_)),
                "min_cluster_size": max(5, int(np.ceil(self.min_segment_share * fitted)))}

    def fit(self, X: pd.DataFrame, y=None) -> Segmenter:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"unknown algorithm {self.algorithm!r}; use one of {', '.join(ALGORITHMS)}")
        if len(X) < max(self.k or self.k_max, 2) * 2:
            raise ValueError(f"{len(X)} customers are too few to form up to {self.k or self.k_max} segments")
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.preprocessor_ = make_preprocessor(X, self.skew_transform).fit(X)
        z = self.preprocessor_.transform(X)
        params = self._model_params(len(X))
        seed = self.random_state
        self.sweep_ = None
        if self.algorithm == "hdbscan":
            k = None
        elif self.k is None:
            ks = range(self.k_min, min(self.k_max, len(X) - 1) + 1)
            self.sweep_ = sweep(z, ks, self.algorithm, seed, self.silhouette_sample, self.stability_runs,
                                self.progress, **params)
            k, self.reason_ = recommend_k(self.sweep_, self.min_segment_share)
        else:
            k, self.reason_ = self.k, f"k={self.k} was set in the config."
        self.model_ = make_model(self.algorithm, k, seed, **params).fit(z)
        raw = self.model_.predict(z)
        sizes = np.bincount(raw[raw >= 0], minlength=max(k or 0, int(raw.max()) + 1))
        order = np.argsort(-sizes, kind="stable")
        self.relabel_ = np.empty(len(order), dtype=int)
        self.relabel_[order] = np.arange(len(order))
        self.labels_ = self._relabel(raw)
        self.k_ = int((sizes > 0).sum())
        if self.algorithm == "hdbscan":
            if self.k_ < 2:
                raise ValueError(f"HDBSCAN found {self.k_} dense group(s) of at least {params['min_cluster_size']} "
                                 "customers: lower cluster.min_segment_share or use another algorithm")
            self.reason_ = (f"HDBSCAN found {self.k_} dense groups of at least {params['min_cluster_size']} of the "
                            f"{min(len(X), self.max_fit_rows):,} customers it was fitted on; "
                            f"{np.mean(self.labels_ == -1):.0%} of customers are noise (segment −1).")
        self.stability_ = self.segment_stability_ = None
        self.stability_ari_ = np.nan
        if self.stability_runs:
            self.stability_, seg = subsample_stability(z, raw, self.algorithm, k, self.stability_runs, seed=seed,
                                                       **params)
            seg["segment"] = self._relabel(seg["segment"].to_numpy())
            self.segment_stability_ = seg.sort_values("segment", ignore_index=True)
            self.stability_ari_ = float(self.stability_["ari"].mean())
            if self.stability_ari_ < UNSTABLE_ARI:
                message = (f"the {self.k_}-segment solution is unstable: refitted on subsamples it agrees with "
                           f"itself only at ARI {self.stability_ari_:.2f} (< {UNSTABLE_ARI}); consider fewer "
                           "segments, other features or another algorithm")
                self.reason_ += f" Warning: {message}."
                warnings.warn(message, UnstableSegmentsWarning, stacklevel=2)
        return self

    def _relabel(self, raw: np.ndarray) -> np.ndarray:
        return np.where(raw >= 0, self.relabel_[np.maximum(raw, 0)], -1)

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The preprocessed (transformed, scaled, one-hot) feature matrix."""
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise KeyError(f"cannot assign segments: columns {missing} are missing")
        return self.preprocessor_.transform(X[list(self.feature_names_in_)])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Assign customers (new or old) to segments with the same preprocessing and numbering."""
        return self._relabel(self.model_.predict(self.transform(X)))


def assign_in_engine(segmenter: Segmenter, table):
    """Assign segments to every customer of an Ibis table inside its engine, with a fitted k-means Segmenter.

    The fitted preprocessing is written out as Ibis expressions — median / most-frequent imputation,
    ``log1p`` of the skewed columns, standard scaling, one-hot categories (unknown values: all zeros) —
    and each customer goes to the nearest centroid (ties to the lower centroid, as scikit-learn), numbered
    as :meth:`Segmenter.predict` numbers them. So a saved model scores a customer table of any size in
    DuckDB or Spark without pulling it into pandas.

    Parameters
    ----------
    segmenter : Segmenter
        Fitted with ``algorithm`` ``kmeans`` or ``minibatch`` and ``skew_transform`` ``log`` or ``none``.
    table : ibis Table
        Customers with (at least) the columns the segmenter was fitted on.

    Returns
    -------
    ibis Table
        ``table`` with an int64 ``segment`` column.

    Raises
    ------
    ValueError
        For another algorithm or the quantile transform (they have no closed form in SQL: use ``predict``).
    KeyError
        When the table lacks a fitted column.
    """
    import ibis

    if segmenter.algorithm not in ("kmeans", "minibatch") or segmenter.skew_transform == "quantile":
        raise ValueError(f"assign_in_engine needs a k-means segmenter with skew_transform log or none, got "
                         f"algorithm {segmenter.algorithm!r} with {segmenter.skew_transform!r}: use "
                         f"Segmenter.predict on a pandas frame instead")
    missing = [c for c in segmenter.feature_names_in_ if c not in table.columns]
    if missing:
        raise KeyError(f"cannot assign segments: columns {missing} are missing from the table")
    z = []
    for name, steps, columns in segmenter.preprocessor_.transformers_:
        if name == "remainder":
            continue
        imputer = steps.named_steps["simpleimputer"]
        for i, col in enumerate(columns):
            fill = imputer.statistics_[i]
            if name == "cat":
                value = table[col].cast("string").fill_null(str(fill))
                for category in steps.named_steps["onehotencoder"].categories_[i]:
                    z.append(ibis.ifelse(value == str(category), 1.0, 0.0))
                continue
            x = table[col].cast("float64")
            x = ibis.ifelse(x.isnull() | x.isnan().fill_null(False), float(fill), x)
            if name == "skewed" and segmenter.skew_transform == "log":
                x = (x + 1.0).ln()
            scaler = steps.named_steps["standardscaler"]
            z.append((x - float(scaler.mean_[i])) / float(scaler.scale_[i]))
    centres = segmenter.model_.cluster_centers_
    if len(z) != centres.shape[1]:
        raise ValueError(f"the preprocessing gives {len(z)} columns but the model has {centres.shape[1]}")
    # in steps, so that every expression appears once in the SQL
    originals = list(table.columns)
    t = table.mutate(**{f"_z{i}": expr for i, expr in enumerate(z)})
    t = t.mutate(**{f"_d{j}": sum(((t[f"_z{i}"] - float(c)) ** 2 for i, c in enumerate(centre)), ibis.literal(0.0))
                    for j, centre in enumerate(centres)})
    dist = [t[f"_d{j}"] for j in range(len(centres))]
    t = t.mutate(_nearest=ibis.least(*dist) if len(dist) > 1 else dist[0])
    segment = ibis.cases(*[(d == t._nearest, int(segmenter.relabel_[j])) for j, d in enumerate(dist)], else_=-1)
    return t.mutate(segment=segment.cast("int64")).select(*originals, "segment")
