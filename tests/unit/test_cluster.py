import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from custseg import cluster, io, plots, schema


@pytest.fixture(scope="module")
def blobs():
    x, y = make_blobs(n_samples=1200, centers=4, n_features=5, cluster_std=1.0, random_state=1)
    df = pd.DataFrame(x, columns=[f"f{i}" for i in range(5)])
    df["spend"] = np.exp(y + np.random.default_rng(0).normal(0, 0.1, len(y)))  # skewed, carries the clusters
    return df, y


@pytest.fixture(scope="module")
def mixed():
    """Three planted groups: two differ only in a category, the third in its numbers."""
    rng = np.random.default_rng(5)
    y = np.repeat([0, 1, 2], [200, 150, 100])
    spend = np.where(y == 2, 6.0, 3.0) + rng.normal(0, 0.4, len(y))
    visits = np.where(y == 2, 1.0, 4.0) + rng.normal(0, 0.5, len(y))
    tier = np.where(y == 0, "tier 1", np.where(y == 1, "tier 3", rng.choice(["tier 1", "tier 3"], len(y))))
    channel = np.where(y == 1, "store", np.where(rng.random(len(y)) < 0.9, "app", "store"))
    df = pd.DataFrame({"spend": spend, "visits": visits, "city_tier": tier, "channel": channel})
    return df, y


def test_recommends_the_true_k(blobs):
    df, y = blobs
    seg = cluster.Segmenter(k_min=2, k_max=8, stability_runs=2, progress=False).fit(df)
    assert seg.k_ == 4, seg.reason_
    assert seg.reason_.startswith("k=4 has the best combined rank") and "bends most at k=4" in seg.reason_
    assert list(seg.sweep_["k"]) == list(range(2, 9))
    assert {"inertia", "silhouette", "calinski_harabasz", "davies_bouldin", "stability"} <= set(seg.sweep_)
    assert seg.sweep_["inertia"].is_monotonic_decreasing
    assert adjusted_rand_score(y, seg.labels_) > 0.95


@pytest.mark.parametrize("algorithm", ["gmm", "ward", "minibatch"])
def test_other_algorithms_find_the_blobs(blobs, algorithm):
    df, y = blobs
    seg = cluster.Segmenter(algorithm=algorithm, k_min=2, k_max=6, stability_runs=0, progress=False).fit(df)
    assert seg.k_ == 4, seg.reason_
    assert adjusted_rand_score(y, seg.labels_) > 0.95
    assert (seg.predict(df) == seg.labels_).all()
    if algorithm == "gmm":
        assert "bic" in seg.sweep_ and "BIC" in seg.reason_
        assert seg.sweep_.set_index("k")["bic"].idxmin() == 4
    if algorithm == "ward":
        assert seg.model_.linkage_.shape == (len(df) - 1, 4)


def test_hdbscan_reports_noise():
    x, y = make_blobs(n_samples=900, centers=[[0, 0], [8, 8], [0, 8]], cluster_std=0.7, random_state=3)
    noise = np.random.default_rng(3).uniform(-4, 12, (100, 2))
    df = pd.DataFrame(np.vstack([x, noise]), columns=["a", "b"])
    seg = cluster.Segmenter(algorithm="hdbscan", min_segment_share=0.05, stability_runs=2, progress=False).fit(df)
    assert seg.k_ == 3 and seg.sweep_ is None
    assert (seg.labels_ == -1).any() and set(seg.labels_) == {-1, 0, 1, 2}
    assert "noise (segment −1)" in seg.reason_
    core = seg.labels_[:900]
    assert adjusted_rand_score(y[core >= 0], core[core >= 0]) > 0.95
    assert (seg.labels_[900:] == -1).mean() > 0.5, "most uniform noise points are noise"
    assert (seg.predict(df) == seg.labels_).all()
    assert -1 not in set(seg.segment_stability_["segment"])


def test_kprototypes_on_mixed_data(mixed):
    df, y = mixed
    seg = cluster.Segmenter(algorithm="kprototypes", k=3, stability_runs=2, random_state=0, progress=False).fit(df)
    assert adjusted_rand_score(y, seg.labels_) > 0.9
    # k-means on the one-hot matrix treats categories as numbers and mixes the groups more here
    km = cluster.Segmenter(k=3, stability_runs=0, progress=False).fit(df)
    assert adjusted_rand_score(y, seg.labels_) > adjusted_rand_score(y, km.labels_)
    # new customers, one with a category never seen in training and one with a missing value
    new = pd.DataFrame({"spend": [3.0, 6.1, 3.1], "visits": [4.0, 1.0, 4.2], "city_tier": ["tier 1", "tier 9", None],
                        "channel": ["app", "app", "store"]})
    seen = seg.predict(df.iloc[[0, 399]])
    labels = seg.predict(new)
    assert labels[0] == seen[0] and labels[1] == seen[1]
    with pytest.raises(ValueError, match="at least one categorical"):
        cluster.Segmenter(algorithm="kprototypes", k=3, progress=False).fit(df[["spend", "visits"]])


def test_kprototypes_chooses_k(mixed):
    df, _ = mixed
    seg = cluster.Segmenter(algorithm="kprototypes", k_min=2, k_max=4, stability_runs=0, random_state=0,
                            progress=False).fit(df)
    assert seg.k_ == 3, seg.reason_


@pytest.mark.parametrize("algorithm", cluster.ALGORITHMS)
def test_same_config_and_seed_give_identical_labels(blobs, mixed, algorithm):
    df = mixed[0] if algorithm == "kprototypes" else blobs[0]
    params = {"algorithm": algorithm, "k": 4, "random_state": 7, "stability_runs": 0, "max_fit_rows": 500,
              "min_segment_share": 0.05, "progress": False}
    a = cluster.Segmenter(**params).fit(df)
    b = cluster.Segmenter(**params).fit(df)
    assert (a.labels_ == b.labels_).all()
    sizes = np.bincount(a.labels_[a.labels_ >= 0])
    assert (np.diff(sizes) <= 0).all(), "segments numbered by size"


def test_saved_model_assigns_new_customers(blobs, tmp_path):
    df, _ = blobs
    seg = cluster.Segmenter(k=4, stability_runs=0, progress=False).fit(df)
    assert (seg.predict(df) == seg.labels_).all()
    loaded = io.load_model(io.save_model(seg, tmp_path / "segmenter.joblib"))
    new = df.sample(50, random_state=3).reset_index(drop=True) + 0.01
    assert (loaded.predict(new) == seg.predict(new)).all() and len(loaded.predict(new)) == 50
    # column order does not matter, a missing column is named
    assert (loaded.predict(new[new.columns[::-1]]) == seg.predict(new)).all()
    with pytest.raises(KeyError, match="f0"):
        loaded.predict(df.drop(columns="f0"))


def test_preprocessing_transforms_and_one_hot(blobs):
    df, _ = blobs
    df = df.assign(tier=np.where(df["f0"] > 0, "a", "b"), age=np.where(df.index % 10 == 0, np.nan, 40.0),
                   orders=np.random.default_rng(1).lognormal(0, 1.5, len(df)))
    assert cluster.skewed_columns(df) == ["orders"]
    days = df.assign(recency_days=np.linspace(0, 700, len(df)))  # uniform, not skewed: logged all the same
    assert cluster.skewed_columns(days) == ["orders", "recency_days"]
    pre = cluster.make_preprocessor(df).fit(df)
    names = list(pre.get_feature_names_out())
    assert "tier_a" in names and "orders" in names
    z = pre.transform(df)
    assert not np.isnan(z).any()
    assert cluster.categorical_blocks(pre) == [(names.index("tier_a"), names.index("tier_b") + 1)]
    orders = z[:, names.index("orders")]
    assert orders.mean() == pytest.approx(0, abs=1e-9) and orders.std() == pytest.approx(1)
    logged = np.log1p(df["orders"])
    assert np.corrcoef(orders, logged)[0, 1] == pytest.approx(1)
    q = cluster.make_preprocessor(df, "quantile").fit(df).transform(df)[:, names.index("orders")]
    assert abs(pd.Series(q).skew()) < 0.1, "quantile transform gives a symmetric shape"
    assert pd.Series(q).rank().equals(pd.Series(orders).rank()), "both keep the order of customers"
    with pytest.raises(ValueError, match="transform must be one of"):
        cluster.make_preprocessor(df, "sqrt")


@pytest.mark.parametrize("transform", ["log", "quantile"])
def test_flags_are_never_log_transformed_and_weigh_like_two_labels(transform):
    # yes/no columns of the four customer-table shapes: rare 1s (skew > 3), a bool-like float, a missing value
    rng = np.random.default_rng(3)
    n = 2000
    df = pd.DataFrame({"international_plan": (rng.random(n) < 0.1).astype(float),
                       "voice_mail_plan": (rng.random(n) < 0.3).astype("int64"),
                       "selfemp": (rng.random(n) < 0.05).astype(float), "frequency": rng.poisson(3, n) + 1.0,
                       "charges": rng.lognormal(3, 1, n), "tier": rng.choice(["a", "b"], n, p=[0.9, 0.1])})
    df.loc[::50, "selfemp"] = np.nan
    assert df["international_plan"].skew() > 2  # skewed by the numbers, a flag all the same
    assert cluster.skewed_columns(df) == ["frequency", "charges"]
    pre = cluster.make_preprocessor(df, transform).fit(df)
    flags = ["international_plan", "voice_mail_plan", "selfemp"]
    assert dict((name, list(cols)) for name, _, cols in pre.transformers_)["flag"] == flags
    z = pd.DataFrame(pre.transform(df), columns=pre.get_feature_names_out())
    for flag in flags:
        gap = z[flag].max() - z[flag].min()  # a customer with the flag vs one without
        assert gap ** 2 == pytest.approx(2), "a differing flag costs what a differing two-label category costs"
        assert z[flag].nunique() == 2, "two values in, two values out: no log, no quantile stretching"
    tier = z["tier_a"] - z["tier_b"]
    assert (tier.max() - tier.min()) ** 2 / 2 == pytest.approx((z["international_plan"].max()
                                                                 - z["international_plan"].min()) ** 2)
    # k-means on the preprocessed table: the flag's weight holds in a fitted segmenter too
    seg = cluster.Segmenter(k=3, skew_transform=transform, stability_runs=0, progress=False).fit(df)
    assert seg.preprocessor_.transformer_weights["flag"] == pytest.approx(np.sqrt(2))


def test_recommend_k_rules():
    table = pd.DataFrame({"k": [2, 3, 4], "inertia": [100.0, 40.0, 30.0], "silhouette": [0.3, 0.5, 0.6],
                          "calinski_harabasz": [10, 20, 30], "davies_bouldin": [1.0, 0.8, 0.5],
                          "smallest_share": [0.4, 0.2, 0.01]})
    assert cluster.recommend_k(table)[0] == 4
    k, reason = cluster.recommend_k(table, min_share=0.05)
    assert k == 3 and "under 5%" in reason and "bends most at k=3" in reason
    unstable = table.assign(stability=[0.95, 0.4, 0.9])
    k, reason = cluster.recommend_k(unstable, min_share=0.05)
    assert k == 2 and "ARI under 0.6" in reason and "keeps an ARI of 0.95" in reason
    k, reason = cluster.recommend_k(unstable.assign(stability=0.1))
    assert k == 4 and "treat this k with care" in reason
    gmm = table.assign(bic=[500.0, 300.0, 400.0])
    k, reason = cluster.recommend_k(gmm, min_share=0.05)
    assert k == 3 and "BIC (300)" in reason


@pytest.mark.parametrize("usefulness", [False, True])
def test_the_reason_for_k_is_written_in_the_runs_language(usefulness):
    from custseg.report import languages

    table = pd.DataFrame({"k": [2, 3, 4], "inertia": [100.0, 40.0, 30.0], "silhouette": [0.3, 0.5, 0.6],
                          "calinski_harabasz": [10, 20, 30], "davies_bouldin": [1.0, 0.8, 0.5],
                          "smallest_share": [0.4, 0.2, 0.01], "stability": [0.95, 0.4, 0.9]})
    if usefulness:
        table = table.assign(usefulness=[0.2, 0.3, 0.31], usefulness_se=0.02)
    k_en, en = cluster.recommend_k(table, min_share=0.05)
    k_zh, zh = cluster.recommend_k(table, min_share=0.05, language="zh")
    assert k_en == k_zh == 2
    # the same facts in each: the chosen k, the elbow, the stability and what was not considered
    for fact in ("k=2", "k=3", "0.95", "5%", "0.6"):
        assert fact in en and fact in zh
    assert languages.latin_share(f"<p>{en}</p>") > 0.8
    assert languages.latin_share(f"<p>{zh}</p>") < languages.MAX_LATIN_SHARE, zh


def _nested(seed: int, n: int = 1600):
    """Two groups far apart, each made of two sub-groups that overlap more; the later outcome follows the four."""
    rng = np.random.default_rng(seed)
    sub = rng.integers(0, 4, n)
    centre = np.array([[0, 0, 0], [0, 3, 0], [10, 0, 10], [10, 3, 10]])[sub]
    x = pd.DataFrame(centre + rng.normal(0, [0.7, 1.0, 0.7], (n, 3)), columns=["a", "b", "c"])
    return x, sub, np.array([0.0, 4.0, 8.0, 12.0])[sub] + rng.normal(0, 0.5, n)


def test_usefulness_finds_the_k_that_predicts_where_the_silhouette_picks_2():
    x, sub, _ = _nested(1)
    early, _, later = _nested(2)  # other customers, at an earlier cutoff, and what they did after it
    plain = cluster.Segmenter(k_min=2, k_max=6, stability_runs=0, progress=False).fit(x)
    assert plain.sweep_.set_index("k")["silhouette"].idxmax() == 2, "the silhouette sees the two far groups"
    seg = cluster.Segmenter(k_min=2, k_max=6, stability_runs=0, progress=False).fit(
        x, early=early, later=later, later_label="later spend")
    assert seg.k_ == 4, seg.reason_
    assert adjusted_rand_score(sub, seg.labels_) > 0.8
    assert seg.reason_.startswith("k=4 was chosen for what it predicts") and "later spend" in seg.reason_
    assert "the silhouette prefers k=2" in seg.reason_
    useful = seg.sweep_.set_index("k")["usefulness"]
    assert useful.idxmax() == 4 and useful[4] > 0.9 > useful[3] > useful[2]
    assert (seg.sweep_["usefulness_se"] < 0.02).all()


def test_usefulness_is_eta_squared():
    later = np.array([0.0, 0, 10, 10, 20, 20])
    value, se = cluster.select_k.usefulness(np.array([0, 0, 1, 1, 1, 1]), later)
    assert value == pytest.approx(0.75) and np.isnan(se)
    assert np.isnan(cluster.select_k.usefulness(np.zeros(6), later)[0])
    _, se = cluster.select_k.usefulness(np.repeat([0, 1], 50), np.r_[np.zeros(50), np.ones(50)] + np.arange(100) % 3,
                                        resamples=40)
    assert 0 < se < 0.1


def test_recommend_k_by_usefulness_keeps_the_gates():
    table = pd.DataFrame({"k": [3, 4, 5, 6], "inertia": [90.0, 60, 50, 45], "silhouette": [0.6, 0.4, 0.3, 0.3],
                          "calinski_harabasz": [30, 20, 10, 5], "davies_bouldin": [0.5, 0.8, 1.0, 1.2],
                          "smallest_share": [0.3, 0.2, 0.01, 0.1], "usefulness": [0.20, 0.25, 0.40, 0.31]})
    k, reason = cluster.recommend_k(table, min_share=0.05)
    assert k == 6 and "k=6 was chosen for what it predicts" in reason, "k=5 has a segment under 5%"
    k, reason = cluster.recommend_k(table.assign(smallest_share=0.2, usefulness=[0.2, 0.39, 0.40, 0.41],
                                                 usefulness_se=0.025))
    assert k == 4 and "(k=6: 41.0% ± 2.5%)" in reason, "the smallest k within one standard error of the best"
    assert cluster.recommend_k(table.assign(smallest_share=0.2, usefulness=[0.2, 0.39, 0.40, 0.41],
                                            usefulness_se=0.005))[0] == 6


def test_best_k_per_criterion():
    table = pd.DataFrame({"k": [2, 3, 4, 5], "inertia": [1000.0, 300.0, 250.0, 220.0],
                          "silhouette": [0.3, 0.5, 0.4, 0.2], "calinski_harabasz": [10, 20, 40, 30],
                          "davies_bouldin": [1.0, 0.8, 0.9, 0.5]})
    best = cluster.best_k_per_criterion(table)
    assert best.name == "best k"
    assert best.to_dict() == {"elbow of inertia": 3, "silhouette ↑": 3, "Calinski–Harabasz ↑": 4,
                              "Davies–Bouldin ↓": 5}
    assert cluster.best_k_per_criterion(table.assign(bic=[9.0, 7.0, 8.0, 9.5]))["BIC ↓"] == 3


def test_elbow():
    table = pd.DataFrame({"k": range(2, 9), "inertia": [1000, 500, 200, 180, 165, 155, 150]})
    assert cluster.elbow_k(table) == 4


def test_stability_high_on_clear_clusters_per_k_and_segment(blobs):
    df, _ = blobs
    seg = cluster.Segmenter(k=4, stability_runs=3, progress=False).fit(df)
    assert len(seg.stability_) == 3 and seg.stability_["ari"].min() > 0.95
    assert seg.stability_ari_ > 0.95 and schema.stability_verdict(seg.stability_ari_) == "stable"
    per = seg.segment_stability_
    assert list(per["segment"]) == [0, 1, 2, 3] and (per["jaccard_min"] > 0.9).all()
    assert per["customers"].tolist() == np.bincount(seg.labels_).tolist()


def test_unstable_solution_warns():
    # one round blob has no segments: k-means cuts it differently for every subsample
    df = pd.DataFrame(np.random.default_rng(0).normal(size=(600, 6)), columns=list("abcdef"))
    with pytest.warns(cluster.UnstableSegmentsWarning, match="unstable"):
        seg = cluster.Segmenter(k=8, stability_runs=3, progress=False).fit(df)
    assert seg.stability_ari_ < 0.6 and "Warning:" in seg.reason_
    assert schema.stability_verdict(seg.stability_ari_) == "unstable"
    assert (seg.segment_stability_["jaccard"] < 0.9).any()


def test_criteria_leave_noise_out():
    z = np.array([[0.0], [0.1], [5.0], [5.1], [100.0]])
    c = cluster.criteria(z, np.array([0, 0, 1, 1, -1]))
    assert c["noise_share"] == pytest.approx(0.2) and c["smallest_share"] == pytest.approx(0.4)
    assert c["silhouette"] > 0.9 and c["inertia"] == pytest.approx(0.01)


def test_select_columns():
    df = pd.DataFrame(columns=["customer_id", "recency_days", "share_cat_a", "share_cat_b", "age", "gender",
                               "city_tier", "survey_loyalty"])
    df = df.astype({"recency_days": float, "share_cat_a": float, "share_cat_b": float, "age": float,
                    "survey_loyalty": float})
    assert cluster.select_columns(df, ["age", "share_cat_*"]) == ["age", "share_cat_a", "share_cat_b"]
    assert cluster.select_columns(df, ["recency_days"], ["geographic", "psychographic"]) == [
        "recency_days", "city_tier", "survey_loyalty"]
    assert cluster.select_columns(df, [], ["demographic"]) == ["age", "gender"]
    with pytest.raises(KeyError, match="'share_chanel_\\*' matches no column"):
        cluster.select_columns(df, ["share_chanel_*"])
    with pytest.raises(KeyError, match="unknown dimension 'behavioral'"):
        cluster.select_columns(df, [], ["behavioral"])
    with pytest.raises(ValueError, match="no cluster features"):
        cluster.select_columns(df, [])


def test_too_few_customers_and_unknown_algorithm():
    few = cluster.Segmenter(k_min=2, k_max=10, stability_runs=0, progress=False).fit(
        pd.DataFrame({"a": [1, 2, 3, 10, 11]}))
    assert few.k_ == 2 and "k was tried up to 2 only (cluster.k_max is 10)" in few.reason_
    with pytest.raises(cluster.TooFewCustomers, match="5 customers are too few to form 3 segments"):
        cluster.Segmenter(progress=False).fit(pd.DataFrame({"a": range(5)}))
    with pytest.raises(cluster.TooFewCustomers, match="only 1 distinct combination"):
        cluster.Segmenter(progress=False).fit(pd.DataFrame({"a": [5.0] * 20}))
    with pytest.raises(ValueError, match="unknown algorithm 'dbscan'"):
        cluster.Segmenter(algorithm="dbscan", progress=False).fit(pd.DataFrame({"a": range(50)}))


def test_no_warnings_from_the_algorithms(blobs):
    df, _ = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for algorithm in ("hdbscan", "gmm", "ward"):
            cluster.Segmenter(algorithm=algorithm, k=4, stability_runs=0, min_segment_share=0.05,
                              progress=False).fit(df)


def test_sweep_uses_fewer_starts_only_on_large_data(blobs):
    assert cluster.sweep_n_init(1_500) == 10 and cluster.sweep_n_init(20_000) == 10
    assert cluster.sweep_n_init(1_000_000) == 1
    sizes = [10, 1_000, 50_000, 100_000, 300_000, 5_000_000]
    starts = [cluster.sweep_n_init(n) for n in sizes]
    assert starts == sorted(starts, reverse=True) and len(set(starts)) > 2
    # on small data the sweep is as good as ten starts: the same solution for every k
    z = cluster.make_preprocessor(blobs[0]).fit_transform(blobs[0])
    table = cluster.sweep(z, range(2, 7), progress=False)
    for k, inertia in zip(table["k"], table["inertia"], strict=True):
        ten = cluster.criteria(z, KMeans(k, n_init=10, random_state=42).fit(z).labels_)["inertia"]
        assert inertia == pytest.approx(ten, rel=1e-9)


def test_sample_linkage_and_dendrogram(blobs):
    z = cluster.make_preprocessor(blobs[0]).fit_transform(blobs[0])
    linkage = cluster.sample_linkage(z, max_rows=300, seed=1)
    assert linkage.shape == (299, 4) and (np.diff(linkage[:, 2]) >= 0).all(), "Ward merges in rising order"
    assert (cluster.sample_linkage(z, max_rows=300, seed=1) == linkage).all()
    # cutting the sample's tree into 4 groups finds the planted blobs
    groups = fcluster(linkage, 4, criterion="maxclust")
    rows = np.sort(np.random.default_rng(1).choice(len(z), 300, replace=False))
    assert adjusted_rand_score(blobs[1][rows], groups) > 0.95
    fig = plots.dendrogram(linkage, k=4)
    cut = [line.get_ydata()[0] for line in fig.axes[0].get_lines()]
    assert len(cut) == 1 and linkage[-4, 2] < cut[0] < linkage[-3, 2]
    plt.close(fig)


def test_k_criteria_figure_shows_bic_and_stability(blobs):
    seg = cluster.Segmenter(algorithm="gmm", k_min=2, k_max=5, stability_runs=2, progress=False).fit(blobs[0])
    fig = plots.k_criteria(seg.sweep_, seg.k_)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["inertia (elbow)", "silhouette ↑", "Calinski–Harabasz ↑", "Davies–Bouldin ↓", "BIC ↓",
                      "stability (ARI) ↑"]
    bic = fig.axes[4].get_lines()[0]
    assert list(bic.get_xdata()) == [2, 3, 4, 5] and np.allclose(bic.get_ydata(), seg.sweep_["bic"])
    plt.close(fig)
    fig = plots.k_criteria(seg.sweep_.drop(columns=["bic", "stability"]), 4)
    assert sum(ax.get_visible() for ax in fig.axes) == 4
    plt.close(fig)


@pytest.mark.parametrize("transform", ["log", "none"])
def test_predict_in_engine_equals_predict(mixed, blobs, transform):
    import ibis

    df = pd.concat([blobs[0].iloc[:450].reset_index(drop=True), mixed[0][["city_tier", "channel"]]], axis=1)
    df.loc[::17, "f1"] = np.nan  # imputed with the median
    df.loc[::23, "city_tier"] = None  # imputed with the most frequent value
    df["plan"] = (blobs[0]["f2"].iloc[:450].to_numpy() > 1).astype(float)  # a 0/1 flag: centred and weighted
    df.loc[::29, "plan"] = np.nan
    seg = cluster.Segmenter(k=4, skew_transform=transform, stability_runs=0, progress=False).fit(df)
    new = df.assign(customer_id=[f"C{i:04d}" for i in range(len(df))])
    new.loc[5, "channel"] = "kiosk"  # a category unseen in fitting: all one-hot columns zero
    got = cluster.predict_in_engine(seg, ibis.memtable(new)).order_by("customer_id").execute()
    assert list(got.columns) == [*new.columns, "segment"]
    np.testing.assert_array_equal(got["segment"].to_numpy(), seg.predict(new))
    assert got["segment"].nunique() == 4


def test_predict_in_engine_refuses_what_has_no_closed_form(blobs):
    import ibis

    seg = cluster.Segmenter(algorithm="gmm", k=3, stability_runs=0, progress=False).fit(blobs[0])
    with pytest.raises(ValueError, match="predict"):
        cluster.predict_in_engine(seg, ibis.memtable(blobs[0]))
    km = cluster.Segmenter(k=3, stability_runs=0, progress=False).fit(blobs[0])
    with pytest.raises(KeyError, match="spend"):
        cluster.predict_in_engine(km, ibis.memtable(blobs[0].drop(columns="spend")))


def test_the_config_defaults_are_the_segmenters():
    from custseg import config

    defaults, segmenter = config.DEFAULTS["cluster"], cluster.Segmenter()
    for key in ("k_min", "k_max", "silhouette_sample", "stability_runs", "max_fit_rows", "skew_transform"):
        assert defaults[key] == getattr(segmenter, key), key
    # one definition (custseg.cluster.defaults.SEGMENTER): a Segmenter() fits as a run with the default config does
    assert defaults["algorithm"] == segmenter.algorithm and defaults["seed"] == segmenter.random_state
    assert defaults["k"].default is segmenter.k is None
    assert defaults["min_segment_share"].default == segmenter.min_segment_share == 0.03
    defaults_only = config.from_dict({"sources": {"transactions": {"path": "t.csv"}}})["cluster"]
    from_config = cluster.Segmenter.from_config(defaults_only).get_params()
    assert {k: v for k, v in from_config.items() if k != "progress"} == {
        k: v for k, v in segmenter.get_params().items() if k != "progress"}


def test_a_categorical_weighs_one_minus_the_sum_of_squared_shares_of_one_standardised_number():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"plan": rng.choice(["a", "b", "c", "d"], 4000, p=[0.4, 0.3, 0.2, 0.1]),
                       "tenure": rng.gamma(2, 10, 4000)})
    df.loc[:9, "plan"] = None  # counts as the most frequent label
    weights = cluster.categorical_weights(df)
    shares = df["plan"].fillna("a").value_counts(normalize=True)
    assert list(weights.index) == ["plan"] and weights["plan"] == pytest.approx(1 - (shares ** 2).sum())
    # the weight is what the encoded columns really add to the distances, against a standardised number's 2
    z = cluster.make_preprocessor(df, transform="none").fit_transform(df)
    a, b = rng.integers(0, len(df), (2, 20000))
    squared = (z[a] - z[b]) ** 2
    numeric, categorical = squared[:, 0].mean(), squared[:, 1:].sum(axis=1).mean()
    assert categorical / numeric == pytest.approx(weights["plan"], rel=0.05)
    assert cluster.categorical_weights(df[["tenure"]]).empty


def test_a_fit_on_a_sample_agrees_with_a_fit_on_all():
    """Beyond cluster.sample_rows the sweep and the model see a random sample and everyone is assigned: on planted
    data where both run, the same k is chosen and the segments are the same customers."""
    x, sub, _ = _nested(3, n=12_000)
    early, _, later = _nested(4, n=12_000)
    fit = dict(k_min=2, k_max=6, stability_runs=2, progress=False)
    full = cluster.Segmenter(**fit).fit(x, early=early, later=later)
    sampled = cluster.Segmenter(**fit, sample_rows=2_000).fit(x, early=early, later=later)
    assert full.fitted_rows_ == 12_000 and sampled.fitted_rows_ == 2_000
    assert full.k_ == sampled.k_ == 4, (full.reason_, sampled.reason_)
    assert adjusted_rand_score(full.labels_, sampled.labels_) > 0.97 and len(sampled.labels_) == 12_000
    assert adjusted_rand_score(sub, sampled.labels_) > 0.8
    assert (sampled.predict(x) == sampled.labels_).all(), "everyone assigned by the model that is saved"
    assert "fitted on 2,000 of them drawn at random (cluster.sample_rows)" in sampled.reason_
    assert "drawn at random" not in full.reason_
    again = cluster.Segmenter(**fit, sample_rows=2_000).fit(x, early=early, later=later)
    assert (again.labels_ == sampled.labels_).all(), "the same seed draws the same sample"
