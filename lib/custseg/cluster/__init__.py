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

:mod:`custseg.cluster.toy` holds the toy data sets (blobs, moons, unequal sizes and densities) on which 05 shows
where each algorithm's assumptions fail, before it clusters customers.

The package imports its modules when a name is first used (``cluster.Segmenter``), so that the config can read
:mod:`custseg.cluster.defaults` without loading scikit-learn.
"""

from __future__ import annotations

import importlib

# each public name -> the module of this package that defines it
_NAMES = {
    "defaults": ("ALGORITHMS", "SILHOUETTE_SAMPLE", "TRANSFORMS"),
    "in_engine": ("predict_in_engine",),
    "models": ("HDBSCANClusters", "KPrototypesClusters", "WardClusters", "make_model", "sample_linkage",
               "sweep_n_init"),
    "preprocess": ("available_columns", "categorical_blocks", "categorical_weights", "constant_columns",
                   "make_preprocessor", "select_columns", "skewed_columns"),
    "segmenter": ("Segmenter", "TooFewCustomers", "UnstableSegmentsWarning"),
    "select_k": ("K_CRITERIA", "best_k_per_criterion", "criteria", "elbow_k", "recommend_k", "subsample_stability",
                 "sweep"),
}
_HOME = {name: module for module, names in _NAMES.items() for name in names}
_MODULES = ("defaults", "in_engine", "models", "preprocess", "segmenter", "select_k", "toy", "value")

__all__ = sorted(_HOME)


def __getattr__(name: str):
    """A public name (or a module) of the package, imported on first use."""
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME, *_MODULES})
