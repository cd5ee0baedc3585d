"""Choose k: the criteria per k (silhouette, Calinski–Harabasz, Davies–Bouldin, inertia, BIC), predictive
usefulness, stability on subsamples, the elbow and the recommended k with its reason.

Why not the silhouette alone: on skewed customer data (most customers buy once, a few buy a lot) the
silhouette is highest for k = 2, one big low-value group and one small high-value group, because two
groups far apart score best however much variety each hides. A segmentation is used to treat customers
differently, so custseg asks what the segments *predict*: segments formed on the earlier part of the
calibration window, judged by how much of the later part's spend they explain (never the report's own
holdout). More segments often explain a little more, so the recommended k is the smallest whose
usefulness is within one standard error (bootstrap) of the best k in range: the one-standard-error rule
of model selection. Stability and the minimum segment share stay gates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from sklearn.metrics.cluster import contingency_matrix
from tqdm.auto import tqdm

from custseg.cluster.defaults import SILHOUETTE_SAMPLE
from custseg.cluster.models import make_model, sweep_n_init
from custseg.schema import UNSTABLE_ARI
from custseg.stats import bootstrap_rows, eta_squared_resampled

# criterion -> True when larger is better (BIC joins for Gaussian mixtures)
K_CRITERIA = {"silhouette": True, "calinski_harabasz": True, "davies_bouldin": False}
# bootstrap resamples for the standard error of the predictive usefulness
USEFULNESS_RESAMPLES = 50


def criteria(z: np.ndarray, labels: np.ndarray, silhouette_sample: int = SILHOUETTE_SAMPLE, seed: int = 0) -> dict:
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


def usefulness(labels: np.ndarray, later: np.ndarray, resamples: int = 0, seed: int = 0) -> tuple[float, float]:
    """Share of the variance of a later outcome explained by segments formed before it (eta²), and its
    bootstrap standard error over ``resamples`` resamples of the customers (NaN when 0)."""
    n = len(later)
    value = float(eta_squared_resampled(labels, later, [np.arange(n)])[0])
    if not resamples:
        return value, np.nan
    return value, float(np.nanstd(eta_squared_resampled(labels, later, bootstrap_rows(n, resamples, seed)), ddof=1))


def sweep(z: np.ndarray, ks: range, algorithm: str = "kmeans", seed: int = 42,
          silhouette_sample: int = SILHOUETTE_SAMPLE, stability_runs: int = 0, progress: bool = True,
          early: np.ndarray | None = None, later: np.ndarray | None = None, **params) -> pd.DataFrame:
    """Fit the algorithm for each k and compute every criterion of :func:`criteria`.

    Adds ``bic`` for Gaussian mixtures, ``stability`` (mean subsample ARI, :func:`subsample_stability`)
    when ``stability_runs`` > 0, and ``usefulness`` when ``early`` and ``later`` are given: the model is
    fitted again on ``early`` (the preprocessed features at an earlier cutoff) and scored by
    :func:`usefulness` of ``later`` (each of those customers' outcome after the cutoff). k-means gets
    fewer initialisations on large data (:func:`sweep_n_init`) and the silhouette is sampled, so a sweep
    over a million customers takes well under a minute; the chosen k is then refitted with 10
    initialisations.
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
        if early is not None:
            fitted = make_model(algorithm, k, seed, n_init=sweep_n_init(len(early)), **params).fit(early)
            row["usefulness"], row["usefulness_se"] = usefulness(fitted.predict(early), later,
                                                                 USEFULNESS_RESAMPLES, seed)
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


def best_k_per_criterion(table: pd.DataFrame) -> pd.Series:
    """Each criterion's own best k in a sweep: the elbow of inertia, the highest silhouette and
    Calinski–Harabasz, the lowest Davies–Bouldin (and BIC when the sweep has it).

    Parameters
    ----------
    table : DataFrame
        A sweep (:func:`sweep`): one row per k.

    Returns
    -------
    Series
        Named ``best k``, indexed by the criterion with its direction (e.g. ``silhouette ↑``).
    """
    s = table.set_index("k")
    best = {"elbow of inertia": elbow_k(table), "silhouette ↑": s["silhouette"].idxmax(),
            "Calinski–Harabasz ↑": s["calinski_harabasz"].idxmax(), "Davies–Bouldin ↓": s["davies_bouldin"].idxmin()}
    if "bic" in s:
        best["BIC ↓"] = s["bic"].idxmin()
    return pd.Series(best, name="best k")


def recommend_k(table: pd.DataFrame, min_share: float = 0.0, min_stability: float = UNSTABLE_ARI,
                later: str = "", language: str = "en") -> tuple[int, str]:
    """Recommend k: by predictive usefulness when the table has it, else by consensus of the criteria.

    Solutions whose smallest segment is below ``min_share`` of customers, or whose mean subsample ARI
    (column ``stability``, when present) is below ``min_stability``, are not eligible (unless none is).

    * With a ``usefulness`` column (:func:`sweep` with ``early``/``later``): the smallest eligible k whose
      usefulness is within one standard error (``usefulness_se`` of the best, 0 when absent) of the best
      eligible one.
    * Otherwise: the lowest sum of ranks over silhouette, Calinski–Harabasz, Davies–Bouldin (and BIC when
      the table has it); ties go to the smaller k (the simpler solution).

    ``later`` describes the outcome of the usefulness in the reason (e.g. "log spend 2025-01-01 – 2025-06-30").
    The reason is written in ``language`` (the catalogue's ``printed.k``).

    Returns
    -------
    k : int
    reason : str
        What decided, in a few sentences: the usefulness or combined rank, each criterion's own best k,
        the elbow, the stability and the solutions that were not eligible.
    """
    from custseg import i18n

    say = lambda key, **kw: i18n.text(f"k.{key}", language, **kw)  # noqa: E731
    m = i18n.messages(language)["printed"]["k"]
    crit = dict(K_CRITERIA, **({"bic": False} if "bic" in table else {}))
    ok = table["smallest_share"] >= min_share
    if "stability" in table:
        ok &= table["stability"] >= min_stability
    eligible = table[ok] if ok.any() else table
    own = {c: int(eligible.loc[eligible[c].idxmax() if up else eligible[c].idxmin(), "k"])
           for c, up in crit.items() if eligible[c].notna().any()}
    useful = "usefulness" in eligible and eligible["usefulness"].notna().any()
    if useful:
        top_row = eligible.loc[eligible["usefulness"].idxmax()]
        top, top_k = top_row["usefulness"], int(top_row["k"])
        se = top_row.get("usefulness_se", 0.0)
        se = 0.0 if pd.isna(se) else float(se)
        best = int(eligible.loc[eligible["usefulness"] >= top - se, "k"].min())
        row = eligible.set_index("k").loc[best]
        prefers = m["prefers_sep"].join(say("prefers", criterion=m["names"][c], k=own[c]) for c in own)
        sentences = [say("useful", best=best, explained=f"{row['usefulness']:.1%}", later=later or m["later_spend"])
                     + (say("useful_simpler", top_k=top_k, top=f"{top:.1%}", se=f"{se:.1%}") if top_k != best
                        else m["useful_most"]) + say("useful_own", prefers=prefers)]
    else:
        ranks = pd.DataFrame({c: eligible[c].rank(ascending=not up, method="min") for c, up in crit.items()})
        total = ranks.sum(axis=1)
        best = int(eligible.loc[total[total == total.min()].index, "k"].min())
        row = eligible.set_index("k").loc[best]
        values = {"silhouette": f"{row['silhouette']:.3f}", "calinski_harabasz": f"{row['calinski_harabasz']:.0f}",
                  "davies_bouldin": f"{row['davies_bouldin']:.2f}", "bic": f"{row.get('bic', np.nan):,.0f}"}
        listed = [m["ranked"][c].format(value=values[c]) for c in crit]
        sentences = [say("rank", best=best, criteria=m["rank_sep"].join(listed[:-1]), last=listed[-1],
                         ks=m["prefers_sep"].join(f"k={own[c]}" for c in own))]
    sentences.append(say("elbow", k=elbow_k(table)))
    if "stability" in table:
        sentences.append(say("stability", best=best, ari=f"{row['stability']:.2f}"))
    if not ok.any():
        sentences.append(m["none_eligible"])
    elif len(eligible) < len(table):
        excluded = [say("excluded_share", share=f"{min_share:.0%}")]
        if "stability" in table:
            excluded.append(say("excluded_ari", ari=min_stability))
        sentences.append(say("excluded", what=m["excluded_or"].join(excluded)))
    return best, i18n.messages(language)["sentence_sep"].join(sentences)
