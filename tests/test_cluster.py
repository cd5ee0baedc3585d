import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from custseg import cluster


@pytest.fixture(scope="module")
def blobs():
    x, y = make_blobs(n_samples=1200, centers=4, n_features=5, cluster_std=1.0, random_state=1)
    df = pd.DataFrame(x, columns=[f"f{i}" for i in range(5)])
    df["spend"] = np.exp(y + np.random.default_rng(0).normal(0, 0.1, len(y)))  # skewed, carries the clusters
    return df, y


def test_recommends_the_true_k(blobs):
    df, y = blobs
    seg = cluster.Segmenter(k_min=2, k_max=8, progress=False).fit(df)
    assert seg.k_ == 4, seg.reason_
    assert "k=4" in seg.reason_
    assert list(seg.sweep_["k"]) == list(range(2, 9))
    from sklearn.metrics import adjusted_rand_score
    assert adjusted_rand_score(y, seg.labels_) > 0.95


def test_same_seed_same_labels_and_predict(blobs):
    df, _ = blobs
    a = cluster.Segmenter(k=4, random_state=7, progress=False).fit(df)
    b = cluster.Segmenter(k=4, random_state=7, progress=False).fit(df)
    assert (a.labels_ == b.labels_).all()
    assert (a.predict(df) == a.labels_).all()
    sizes = np.bincount(a.labels_)
    assert (np.diff(sizes) <= 0).all(), "segments numbered by size"
    new = df.sample(50, random_state=3).reset_index(drop=True) + 0.01
    assert (a.predict(new) == a.predict(new)).all() and len(a.predict(new)) == 50
    with pytest.raises(KeyError, match="f0"):
        a.predict(df.drop(columns="f0"))


def test_skewed_columns_get_log_and_categoricals_one_hot(blobs):
    df, _ = blobs
    df = df.assign(tier=np.where(df["f0"] > 0, "a", "b"), age=np.where(df.index % 10 == 0, np.nan, 40.0),
                   orders=np.random.default_rng(1).lognormal(0, 1.5, len(df)))
    assert cluster.skewed_columns(df) == ["orders"]
    pre = cluster.make_preprocessor(df).fit(df)
    names = list(pre.get_feature_names_out())
    assert "tier_a" in names and "orders" in names
    z = pre.transform(df)
    assert not np.isnan(z).any()


def test_min_segment_share_excludes_tiny_segments():
    table = pd.DataFrame({"k": [2, 3, 4], "silhouette": [0.3, 0.5, 0.6], "calinski_harabasz": [10, 20, 30],
                          "davies_bouldin": [1.0, 0.8, 0.5], "smallest_share": [0.4, 0.2, 0.01]})
    assert cluster.recommend_k(table)[0] == 4
    k, reason = cluster.recommend_k(table, min_share=0.05)
    assert k == 3 and "under 5%" in reason


def test_stability_is_high_on_clear_clusters(blobs):
    df, _ = blobs
    seg = cluster.Segmenter(k=4, progress=False).fit(df)
    stab = cluster.bootstrap_stability(seg.transform(df), 4, runs=3)
    assert len(stab) == 3 and stab["ari"].min() > 0.95


def test_select_columns():
    df = pd.DataFrame(columns=["recency_days", "share_cat_a", "share_cat_b", "age"])
    assert cluster.select_columns(df, ["age", "share_cat_*"]) == ["age", "share_cat_a", "share_cat_b"]
    with pytest.raises(KeyError, match="'share_chanel_\\*' matches no column"):
        cluster.select_columns(df, ["share_chanel_*"])


def test_too_few_customers():
    with pytest.raises(ValueError, match="too few"):
        cluster.Segmenter(k_max=10, progress=False).fit(pd.DataFrame({"a": range(5)}))
