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

from custseg.cluster.in_engine import assign_in_engine
from custseg.cluster.models import (
    ALGORITHMS,
    HDBSCANClusters,
    KPrototypesClusters,
    WardClusters,
    make_model,
    sample_linkage,
    sweep_n_init,
)
from custseg.cluster.preprocess import (
    TRANSFORMS,
    available_columns,
    categorical_blocks,
    categorical_weights,
    constant_columns,
    make_preprocessor,
    select_columns,
    skewed_columns,
)
from custseg.cluster.segmenter import Segmenter, TooFewCustomers, UnstableSegmentsWarning
from custseg.cluster.select_k import (
    CRITERIA,
    SILHOUETTE_SAMPLE,
    criteria,
    elbow_k,
    recommend_k,
    subsample_stability,
    sweep,
)

__all__ = ["ALGORITHMS", "CRITERIA", "SILHOUETTE_SAMPLE", "TRANSFORMS", "HDBSCANClusters", "KPrototypesClusters",
           "Segmenter", "TooFewCustomers", "UnstableSegmentsWarning", "WardClusters", "assign_in_engine",
           "available_columns", "categorical_blocks", "categorical_weights",
           "constant_columns", "criteria", "elbow_k", "make_model",
           "make_preprocessor", "recommend_k", "sample_linkage", "select_columns", "skewed_columns",
           "subsample_stability", "sweep", "sweep_n_init"]
