"""The clustering models, each with ``fit``/``predict`` on the preprocessed matrix (see :mod:`custseg.cluster`)."""

from __future__ import annotations

import numpy as np
from kmodes.kprototypes import KPrototypes
from scipy.cluster.hierarchy import fcluster, ward
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import HDBSCAN, KMeans, MiniBatchKMeans
from sklearn.metrics import pairwise_distances_argmin
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KNeighborsClassifier

from custseg.cluster.defaults import ALGORITHMS

# the k sweep gives k-means about this many rows × initialisations per fit (at most 10 starts, at least 1)
SWEEP_INIT_ROWS = 200_000


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
