"""Does it predict? Segments from a calibration period judged by what customers did in the holdout, side by
side with the simple rivals (the RFM grid, whole and pooled to the same k, and k-means on log R, F, M),
with a bootstrap interval on the margin so that "wins" means beyond noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from custseg.schema import FREQUENCY, MONETARY, RECENCY
from custseg.stats import bootstrap_rows, eta_squared, eta_squared_resampled

OUTCOMES = {"spend": "holdout_spend", "log_spend": "holdout_log_spend", "orders": "holdout_orders",
            "churn": "churned"}
# outcome -> calibration feature whose segment means should rank the segments the same way (sign: +1 same order)
RANKED_BY = {"spend": (MONETARY, 1), "log_spend": (MONETARY, 1), "orders": (FREQUENCY, 1),
             "churn": (RECENCY, 1)}
# the log R, F, M of the k-means rival (recency, frequency, monetary)
LOG_RFM = (RECENCY, FREQUENCY, MONETARY)


def outcome_separation(labels, data: pd.DataFrame) -> pd.DataFrame:
    """How well one segmentation separates each holdout outcome.

    Parameters
    ----------
    labels : array-like
        Segment of each row of ``data``.
    data : DataFrame
        From :func:`custseg.features.with_outcomes` (calibration features and holdout outcomes).

    Returns
    -------
    DataFrame
        Per outcome (spend, orders, churn): ``eta2``, ``kruskal_p``, ``top_lift`` (the highest segment
        mean divided by the overall mean: for churn, the segment most likely to churn), ``top_share`` (that
        segment's share of customers) and ``rank_order`` (Spearman correlation, over segments, between the
        calibration mean of monetary / frequency / recency and the holdout mean of spend / orders / churn:
        1 means the segments kept their order).
    """
    labels = pd.Series(np.asarray(labels), index=data.index, name="segment")
    rows = []
    for outcome, col in OUTCOMES.items():
        y = data[col].astype(float)
        g = y.groupby(labels)
        means = g.mean()
        parts = [p.to_numpy() for _, p in g if len(p)]
        p = float(stats.kruskal(*parts).pvalue) if len(parts) > 1 and y.nunique() > 1 else np.nan
        top = means.idxmax()
        ref, sign = RANKED_BY[outcome]
        cal = data[ref].astype(float).groupby(labels).mean()
        varies = len(means) > 2 and means.nunique() > 1 and cal.nunique() > 1  # a rank order needs two orders
        rank = stats.spearmanr(cal * sign, means).statistic if varies else np.nan
        rows.append({"outcome": outcome, "eta2": eta_squared(y, labels), "kruskal_p": p,
                     "top_lift": float(means.max() / y.mean()) if y.mean() else np.nan,
                     "top_share": float((labels == top).mean()), "rank_order": float(rank)})
    return pd.DataFrame(rows)


def pooled_rfm(rfm_segment: pd.Series, value: pd.Series, k: int) -> pd.Series:
    """The named RFM grid pooled to ``k`` groups without breaking its value order.

    The named segments are sorted by their customers' mean ``value`` (calibration spend) and cut into
    ``k`` runs of neighbouring segments with as equal numbers of customers as the segment sizes allow
    (a cut falls where the running share of customers passes 1/k, 2/k, …). Each pool is named by its
    segments, highest value first. A grid with at most ``k`` segments is returned as it is.
    """
    means = value.groupby(rfm_segment).mean().sort_values(ascending=False)
    if len(means) <= k:
        return rfm_segment.copy()
    sizes = rfm_segment.value_counts().reindex(means.index)
    # the pool of each segment: where the middle of its customers falls in the value-ordered run
    middle = (sizes.cumsum() - sizes / 2) / sizes.sum()
    pool = np.minimum((middle * k).astype(int), k - 1)
    pool = pd.Series(pd.factorize(pool)[0], index=means.index)  # no empty pool
    names = {p: " + ".join(pool.index[pool == p]) for p in pool.unique()}
    return rfm_segment.map(pool).map(names)


def kmeans_log_rfm(table: pd.DataFrame, k: int, seed: int = 42) -> np.ndarray:
    """The textbook rival: k-means on standardised log(1 + x) recency, frequency and monetary."""
    x = np.log1p(table[list(LOG_RFM)].to_numpy(dtype=float).clip(min=0))
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(StandardScaler().fit_transform(x))


def compare(segmentations: dict[str, np.ndarray | pd.Series], data: pd.DataFrame) -> pd.DataFrame:
    """:func:`outcome_separation` for several segmentations of the same customers, in one long table.

    Returns
    -------
    DataFrame
        ``method``, ``segments`` (number of groups), ``smallest_share`` (share of customers in its
        smallest group: a rival can explain a lot by isolating a few dozen extreme customers) and the
        columns of :func:`outcome_separation`.
    """
    frames = []
    for name, labels in segmentations.items():
        labels = np.asarray(labels)
        if len(labels) != len(data):
            raise ValueError(f"segmentation {name!r} has {len(labels)} labels for {len(data)} customers: "
                             "compare on the same customers")
        _, sizes = np.unique(labels, return_counts=True)
        frames.append(outcome_separation(labels, data).assign(method=name, segments=len(sizes),
                                                              smallest_share=sizes.min() / len(labels)))
    out = pd.concat(frames, ignore_index=True)
    return out[["method", "segments", "smallest_share",
                *[c for c in out.columns if c not in ("method", "segments", "smallest_share")]]]


def margins(segmentations: dict[str, np.ndarray], data: pd.DataFrame, ours: str, comparison: pd.DataFrame,
            resamples: int = 200, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """How much more of each holdout outcome ``ours`` explains than the best rival, with a bootstrap interval.

    The best rival of an outcome is the other segmentation with the highest eta² on all customers. The
    customers are resampled with replacement ``resamples`` times; on each resample both segmentations'
    eta² are computed again, and the interval is the central ``level`` share of their differences.

    Returns
    -------
    DataFrame
        Per outcome that varies: ``best_rival``, ``ours`` and ``rival`` (eta²), ``margin`` (ours − rival),
        ``low`` and ``high`` (the interval) and ``result``: ``wins`` (interval above 0), ``loses`` (below 0)
        or ``tie``.
    """
    eta = comparison.pivot(index="method", columns="outcome", values="eta2")
    out = []
    for outcome, col in OUTCOMES.items():
        if outcome not in eta or eta[outcome].isna().all():
            continue
        rivals = eta[outcome].drop(ours).dropna()
        if rivals.empty:
            continue
        rival = str(rivals.idxmax())
        y = data[col].to_numpy(dtype=float)
        diff = (eta_squared_resampled(segmentations[ours], y, bootstrap_rows(len(data), resamples, seed))
                - eta_squared_resampled(segmentations[rival], y, bootstrap_rows(len(data), resamples, seed)))
        low, high = np.nanquantile(diff, [(1 - level) / 2, (1 + level) / 2])
        out.append({"outcome": outcome, "best_rival": rival, "ours": float(eta.loc[ours, outcome]),
                    "rival": float(rivals.max()), "margin": float(eta.loc[ours, outcome] - rivals.max()),
                    "low": float(low), "high": float(high),
                    "result": "wins" if low > 0 else "loses" if high < 0 else "tie"})
    return pd.DataFrame(out, columns=["outcome", "best_rival", "ours", "rival", "margin", "low", "high", "result"])


def winner(comparison: pd.DataFrame, margin: pd.DataFrame, ours: str, language: str = "en") -> dict:
    """The verdict of the contest: does ``ours`` explain the holdout better than every rival, beyond noise?

    An outcome that does not vary in the holdout (say every customer bought again, so nobody churned)
    cannot be separated by any segmentation: it is left out of the verdict and named.

    Parameters
    ----------
    comparison : DataFrame
        From :func:`compare` (every segmentation, ours included).
    margin : DataFrame
        From :func:`margins`.

    Returns
    -------
    dict
        ``verdict``: ``wins`` (beyond noise on most outcomes that vary, and loses on none), ``loses`` (loses
        on more outcomes than it wins), ``ties`` otherwise, None when no outcome varies; ``wins`` (the
        verdict is ``wins``; None when none varies), ``best`` (the method with the highest eta² per
        outcome), ``results`` (outcome → wins / tie / loses), ``constant`` (outcomes left out) and ``text``.
    """
    from custseg import i18n

    m = i18n.messages(language)["printed"]["contest"]
    eta = comparison.pivot(index="method", columns="outcome", values="eta2")
    constant = [o for o in OUTCOMES if o in eta and eta[o].isna().all()]
    left_out = m["left_out"].format(outcomes=i18n.names(constant, language)) if constant else ""
    if margin.empty:
        return {"verdict": None, "wins": None, "best": {}, "results": {}, "constant": constant,
                "text": m["nothing"].format(left_out=left_out)}
    best = {r.outcome: ours if r.margin > 0 else r.best_rival for r in margin.itertuples()}
    results = dict(zip(margin["outcome"], margin["result"], strict=True))
    won = [o for o, r in results.items() if r == "wins"]
    lost = [o for o, r in results.items() if r == "loses"]
    verdict = ("wins" if len(won) > len(results) / 2 and not lost else "loses" if len(lost) > len(won) else "ties")
    rivals = len(eta.index) - 1
    parts = [_margin_text(r, language) for r in margin.itertuples()]
    text = (m["against"].format(rivals=rivals, plural=m["plural"] if rivals != 1 else "", ours=ours, won=len(won),
                                n=len(results)) + m["part_sep"].join(parts) + m["end"] + left_out)
    return {"verdict": verdict, "wins": verdict == "wins", "best": best, "results": results,
            "constant": constant, "text": text}


def _margin_text(r, language: str = "en") -> str:
    """One outcome of the contest: '<outcome>: beats <rival> (eta² …, margin …, 95% interval … to …)'."""
    from custseg import i18n

    m = i18n.messages(language)["printed"]["contest"]
    return m["part"].format(outcome=i18n.header(r.outcome, language), verb=m["verbs"][r.result],
                            rival=i18n.word(r.best_rival, language), ours=f"{r.ours:.3f}", theirs=f"{r.rival:.3f}",
                            margin=f"{r.margin:+.3f}", low=f"{r.low:+.3f}", high=f"{r.high:+.3f}")
