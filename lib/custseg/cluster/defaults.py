"""What a clustering can be asked for and its defaults: the one definition, light enough for the config to import
(nothing here imports scikit-learn)."""

ALGORITHMS = ("kmeans", "minibatch", "gmm", "ward", "hdbscan", "kprototypes")
TRANSFORMS = ("log", "quantile", "none")  # of skewed non-negative features (custseg.cluster.preprocess)
# rows the silhouette is computed on (it is quadratic in n): on the demo, 5,000 rows rank k as 10,000 do, with a
# resampling standard deviation of 0.001, in a fifth of the time
SILHOUETTE_SAMPLE = 5000
# the defaults of Segmenter's parameters, and of the config's cluster section (there ``seed`` for random_state)
SEGMENTER = {
    "algorithm": "kmeans",
    "k": None,
    "k_min": 3,
    "k_max": 8,
    "skew_transform": "log",
    "min_segment_share": 0.03,
    "stability_runs": 5,
    "silhouette_sample": SILHOUETTE_SAMPLE,
    "max_fit_rows": 5000,
    # beyond this many customers the k sweep, its refits and the model are fitted on a random sample of this size and
    # every customer is then assigned: a 3 % segment still has 6,000 customers in it (tests/unit/test_cluster.py
    # checks that k and the segments agree with a fit on all)
    "sample_rows": 200_000,
    "random_state": 42,
}
