"""Toy data for the intuition of clustering: four small 2-D data sets whose true groups are known, and the labels
five algorithms give them, so that 05_cluster can show side by side where each algorithm's assumptions hold and
where they fail before it clusters real customers.

The data sets are generated with scikit-learn (``make_blobs``, ``make_moons``) from fixed seeds, a few hundred
points each, and standardised (mean 0, standard deviation 1 on each axis) as 05 standardises customers' features:

* :func:`blobs` — three round groups of equal size and spread: what k-means assumes;
* :func:`moons` — two interleaved half circles: groups that are not round;
* :func:`unequal_sizes` — one large, spread-out group and two small, tight ones beside it;
* :func:`unequal_densities` — two dense groups close together and one sparse group.

:func:`labels` fits one algorithm (:data:`METHODS`) to one data set; :func:`grid` fits every algorithm to every
data set and scores each result against the true groups with the adjusted Rand index (ARI: 1 = the true groups,
0 = what chance gives).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans
from sklearn.datasets import make_blobs, make_moons
from sklearn.metrics import adjusted_rand_score

SEED = 0
METHODS = ("kmeans", "ward", "single", "average", "dbscan")
"""k-means; hierarchical clustering with Ward, single and average linkage (k groups); DBSCAN (noise labelled −1)."""
EPS = 0.25
"""DBSCAN's neighbourhood radius on the standardised toy data: one value for all four data sets."""
MIN_SAMPLES = 5
"""DBSCAN's minimum number of points within ``eps`` of a core point (the point itself included)."""
NOISE = -1
"""The label DBSCAN gives a point in no dense region."""


def _standardised(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (x - x.mean(axis=0)) / x.std(axis=0), y.astype(int)


def blobs(seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Three round groups of 100 points each, of the same spread: k-means' own assumptions.

    Parameters
    ----------
    seed : int
        The random seed of ``make_blobs``.

    Returns
    -------
    x : ndarray of shape (300, 2)
        The points, standardised.
    y : ndarray of shape (300,)
        The true group of each point (0, 1, 2).
    """
    return _standardised(*make_blobs(n_samples=300, centers=[[0, 0], [6, 0], [3, 5]], cluster_std=1.0,
                                     random_state=seed))


def moons(seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles of 150 points each: groups that are dense and well apart, but not round.

    Parameters
    ----------
    seed : int
        The random seed of ``make_moons`` (noise 0.06).

    Returns
    -------
    x : ndarray of shape (300, 2)
        The points, standardised.
    y : ndarray of shape (300,)
        The true group of each point (0, 1).
    """
    return _standardised(*make_moons(n_samples=300, noise=0.06, random_state=seed))


def unequal_sizes(seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """A large, spread-out group of 400 points and two small, tight groups of 40 beside it (sizes 10 : 1 : 1).

    Parameters
    ----------
    seed : int
        The random seed of ``make_blobs``.

    Returns
    -------
    x : ndarray of shape (480, 2)
        The points, standardised.
    y : ndarray of shape (480,)
        The true group of each point: 0 the large group, 1 and 2 the small ones.
    """
    return _standardised(*make_blobs(n_samples=[400, 40, 40], centers=[[0, 0], [4.5, 0], [0, 4.5]],
                                     cluster_std=[1.5, 0.4, 0.4], random_state=seed))


def unequal_densities(seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Two dense groups close together and one sparse group, 150 points each (spread 0.3, 0.3 and 2).

    Parameters
    ----------
    seed : int
        The random seed of ``make_blobs``.

    Returns
    -------
    x : ndarray of shape (450, 2)
        The points, standardised.
    y : ndarray of shape (450,)
        The true group of each point: 0 and 1 the dense groups, 2 the sparse one.
    """
    return _standardised(*make_blobs(n_samples=[150, 150, 150], centers=[[0, 0], [3, 0], [8, 3]],
                                     cluster_std=[0.3, 0.3, 2.0], random_state=seed))


DATASETS: dict[str, Callable[[int], tuple[np.ndarray, np.ndarray]]] = {
    "blobs": blobs, "moons": moons, "unequal_sizes": unequal_sizes, "unequal_densities": unequal_densities}
"""Name → the function that makes the data set."""


def labels(x: np.ndarray, method: str, k: int, eps: float = EPS, min_samples: int = MIN_SAMPLES,
           seed: int = SEED) -> np.ndarray:
    """The groups one algorithm finds in ``x``.

    Parameters
    ----------
    x : ndarray of shape (n, 2)
        The points.
    method : {'kmeans', 'ward', 'single', 'average', 'dbscan'}
        k-means (one k-means++ start: on a busy machine each start costs a wake of its thread pool, and more
        starts find the same groups here), hierarchical clustering with that linkage, or DBSCAN.
    k : int
        The number of groups (the true one); DBSCAN finds its number itself and ignores it.
    eps, min_samples : float, int
        DBSCAN's neighbourhood radius and the points a core point needs within it.
    seed : int
        k-means' random seed.

    Returns
    -------
    ndarray of shape (n,)
        A group per point, 0 … k − 1 (DBSCAN: its groups, and :data:`NOISE` for the points in none).
    """
    if method == "kmeans":
        model = KMeans(n_clusters=k, n_init=1, random_state=seed)
    elif method in ("ward", "single", "average"):
        model = AgglomerativeClustering(n_clusters=k, linkage=method)
    elif method == "dbscan":
        model = DBSCAN(eps=eps, min_samples=min_samples)
    else:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return model.fit_predict(x).astype(int)


def grid(seed: int = SEED, eps: float = EPS, min_samples: int = MIN_SAMPLES) -> SimpleNamespace:
    """Every algorithm of :data:`METHODS` fitted to every data set of :data:`DATASETS`, with the true k.

    Parameters
    ----------
    seed : int
        The data sets' and k-means' seed.
    eps, min_samples : float, int
        DBSCAN's settings, the same for every data set.

    Returns
    -------
    SimpleNamespace
        ``data`` (name → (x, y)), ``labels`` ((name, method) → labels), ``ari`` (a DataFrame: data set × method,
        the adjusted Rand index against the true groups, DBSCAN's noise counting as one more group) and ``noise``
        (data set → DBSCAN's number of noise points), plus ``eps`` and ``min_samples``.
    """
    data = {name: make(seed) for name, make in DATASETS.items()}
    found = {(name, method): labels(x, method, len(np.unique(y)), eps, min_samples, seed)
             for name, (x, y) in data.items() for method in METHODS}
    ari = pd.DataFrame([[adjusted_rand_score(data[name][1], found[name, method]) for method in METHODS]
                        for name in data], index=pd.Index(list(data), name="data"),
                       columns=pd.Index(list(METHODS), name="method"))
    noise = {name: int((found[name, "dbscan"] == NOISE).sum()) for name in data}
    return SimpleNamespace(data=data, labels=found, ari=ari, noise=noise, eps=eps, min_samples=min_samples)
