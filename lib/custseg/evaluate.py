"""Evaluate segments and keep them alive: scorecard, predictive validation, migration over time.

Three questions, three parts:

* **Is it a good segmentation?** — :func:`scorecard` and :func:`solution_summary` rate every segment on the
  classic criteria: *measurable* (可衡量性: the defining features are known for its customers), *substantial*
  (可盈利性: big or valuable enough), *accessible* (可进入性: share reachable through a contact channel or
  opt-in, when the data has one), *differentiable* (可区分性: a large effect size on some feature, with
  Kruskal–Wallis / ANOVA tests per feature in :func:`separation`), *actionable* (it differs on a lever
  marketing can pull: recency, discount, channel or category) and *stable* (bootstrap Jaccard from
  :class:`custseg.cluster.Segmenter`), with a plain verdict.
* **Does it predict?** — :func:`predictive_validation`: segments built on a calibration period, judged by
  how well they separate what customers did in the holdout period (spend, orders, churn: eta², lift of the
  best segment, rank order), side by side with the named RFM grid and a default k-means on raw RFM, on the
  same customers and the same number of segments.
* **Is it still valid?** — :func:`transitions`, :func:`flows` and :func:`drift`: customers assigned at a
  later snapshot with the saved model, the segment-to-segment transition matrix, new and gone customers,
  and the population stability index (PSI) of every feature per segment, with a re-fit recommendation
  (:func:`recommendation`; PSI < 0.1 stable, 0.1–0.25 watch, ≥ 0.25 re-fit by convention).

Functions here are pure: the notebook reads and writes files through :mod:`custseg.io`.
Both snapshots' customer tables come from :func:`custseg.features.customer_features`, as in notebook 04.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from custseg import profile, rfm

OUTCOMES = {"spend": "holdout_spend", "orders": "holdout_orders", "churn": "churned"}
# outcome -> calibration feature whose segment means should rank the segments the same way (sign: +1 same order)
RANKED_BY = {"spend": ("monetary", 1), "orders": ("frequency", 1), "churn": ("recency_days", 1)}
LEVERS = ("recency_days", "discount_share", "share_channel_", "share_cat_")
PSI_WATCH, PSI_REFIT = 0.1, 0.25
CRITERIA = ("measurable", "substantial", "accessible", "differentiable", "actionable", "stable")
ESSENTIAL = ("substantial", "differentiable", "stable")


# --------------------------------------------------------------------------------------------- features
def align(table: pd.DataFrame, names: list[str] | np.ndarray) -> pd.DataFrame:
    """The columns ``names`` of ``table``; a missing ``share_*`` column (a channel or category nobody used
    in this period) is added as 0.

    Raises
    ------
    KeyError
        If another column is missing.
    """
    names = list(names)
    missing = [c for c in names if c not in table.columns]
    other = [c for c in missing if not c.startswith("share_")]
    if other:
        raise KeyError(f"the customer table lacks the model's feature columns {other}; recompute the features "
                       "with the same configuration as the segmentation")
    return table.assign(**{c: 0.0 for c in missing})[names]


# --------------------------------------------------------------------------------------------- statistics
def eta_squared(values, groups) -> float:
    """Share of the variance of ``values`` explained by ``groups`` (ANOVA eta² = SS between / SS total).

    Missing values are left out; NaN when fewer than two groups or no variance remain.
    """
    df = pd.DataFrame({"v": np.asarray(values, dtype=float), "g": np.asarray(groups)}).dropna()
    if df["g"].nunique() < 2 or df["v"].var() == 0 or len(df) < 3:
        return np.nan
    total = ((df["v"] - df["v"].mean()) ** 2).sum()
    g = df.groupby("g")["v"]
    between = (g.size() * (g.mean() - df["v"].mean()) ** 2).sum()
    return float(between / total)


def separation(customers: pd.DataFrame, columns: list[str], segment: str = "segment",
               alpha: float = 0.05) -> pd.DataFrame:
    """How strongly the segments differ on each numeric feature, with tests.

    Returns
    -------
    DataFrame
        Per feature: ``eta2`` (ANOVA eta²), ``anova_p`` (one-way ANOVA), ``kruskal_h``, ``kruskal_p``,
        ``kruskal_eta2`` ((H − k + 1) / (n − k), the rank-based eta²) and ``significant`` (Kruskal–Wallis
        p below ``alpha`` divided by the number of features: Bonferroni). Sorted by ``eta2``, largest first.
        eta² ≥ 0.01 is usually read as small, ≥ 0.06 medium, ≥ 0.14 large.
    """
    rows = []
    for col in columns:
        df = customers[[col, segment]].dropna()
        parts = [g[col].to_numpy(dtype=float) for _, g in df.groupby(segment) if len(g)]
        row = {"feature": col, "eta2": eta_squared(df[col], df[segment]), "anova_p": np.nan, "kruskal_h": np.nan,
               "kruskal_p": np.nan, "kruskal_eta2": np.nan}
        if len(parts) >= 2 and df[col].nunique() > 1:
            row["anova_p"] = float(stats.f_oneway(*parts).pvalue)
            h, p = stats.kruskal(*parts)
            row.update(kruskal_h=float(h), kruskal_p=float(p),
                       kruskal_eta2=float((h - len(parts) + 1) / (len(df) - len(parts))))
        rows.append(row)
    out = pd.DataFrame(rows)
    out["significant"] = out["kruskal_p"] < alpha / max(len(columns), 1)
    return out.sort_values("eta2", ascending=False, ignore_index=True)


# --------------------------------------------------------------------------------------------- scorecard
def reach(customers: pd.DataFrame, contact_columns: list[str]) -> pd.Series | None:
    """Per customer: True when at least one contact/opt-in column holds a usable value (None: no such column).

    A usable value is non-missing and not false/0/"no"/"" (opt-in flags as well as e-mail or phone fields).
    """
    present = [c for c in contact_columns if c in customers.columns]
    if not present:
        return None
    ok = pd.DataFrame(index=customers.index)
    for col in present:
        v = customers[col]
        text = v.astype("str").str.strip().str.lower()
        ok[col] = v.notna() & ~text.isin(["", "0", "false", "no", "n", "none", "nan"])
    return ok.any(axis=1)


def scorecard(customers: pd.DataFrame, columns: list[str], segment: str = "segment", value: str = "monetary",
              segment_stability: pd.DataFrame | None = None, reachable: pd.Series | None = None,
              min_share: float = 0.05, min_effect: float = 0.5, min_reach: float = 0.5,
              max_missing: float = 0.05, stable_jaccard: float = 0.75) -> pd.DataFrame:
    """Rate every segment on the six classic criteria and give a plain verdict.

    Parameters
    ----------
    customers : DataFrame
        One row per customer: the segment column, ``value`` and the feature ``columns``.
    columns : list of str
        The features that define the segments (the clustering features).
    segment_stability : DataFrame, optional
        ``segment`` and ``jaccard`` (mean best Jaccard over subsample refits), as
        :attr:`custseg.cluster.Segmenter.segment_stability_`; without it *stable* is not measured.
    reachable : Series of bool, optional
        Per customer (aligned with ``customers``), from :func:`reach`; without it *accessible* is not measured.
    min_share : float
        *Substantial*: share of customers or share of value at least this.
    min_effect : float
        *Differentiable*: some feature has |Cohen's d| (segment vs the rest) at least this; *actionable*:
        a lever feature (recency, discount share, channel or category share) does.
    min_reach : float
        *Accessible*: at least this share of the segment is reachable.
    max_missing : float
        *Measurable*: the defining features are missing for at most this share of the segment's values.
    stable_jaccard : float
        *Stable*: mean subsample Jaccard at least this (Hennig: ≥ 0.75 stable, ≤ 0.5 dissolves).

    Returns
    -------
    DataFrame
        One row per segment: size and value share, the evidence per criterion, True/False per criterion
        (``<NA>`` when it cannot be measured) and ``verdict``.
    """
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(customers[c])]
    g = customers.groupby(segment)
    out = pd.DataFrame({"customers": g.size()})
    out["share"] = out["customers"] / len(customers)
    total = customers[value].sum()
    out["value_share"] = g[value].sum() / total if total else np.nan
    out["missing_share"] = g[list(columns)].apply(lambda d: d.isna().to_numpy().mean())
    d = profile.effect_sizes(customers[[segment, *numeric]], segment).abs()
    out["top_feature"] = d.idxmax(axis=1)
    out["top_effect"] = d.max(axis=1)
    levers = [c for c in numeric if c.startswith(LEVERS)]
    if levers:
        out["lever"] = d[levers].idxmax(axis=1)
        out["lever_effect"] = d[levers].max(axis=1)
    else:
        out["lever"], out["lever_effect"] = None, np.nan
    out["reach_share"] = (reachable.groupby(customers[segment]).mean() if reachable is not None
                          else pd.Series(np.nan, index=out.index))
    if segment_stability is not None:
        out["jaccard"] = segment_stability.set_index("segment")["jaccard"].reindex(out.index)
    else:
        out["jaccard"] = np.nan

    def check(measure: pd.Series, ok: pd.Series) -> pd.Series:
        return ok.astype("boolean").mask(measure.isna())

    out["measurable"] = out["missing_share"] <= max_missing
    out["substantial"] = (out["share"] >= min_share) | (out["value_share"] >= min_share)
    out["accessible"] = check(out["reach_share"], out["reach_share"] >= min_reach)
    out["differentiable"] = check(out["top_effect"], out["top_effect"] >= min_effect)
    out["actionable"] = check(out["lever_effect"], out["lever_effect"] >= min_effect)
    out["stable"] = check(out["jaccard"], out["jaccard"] >= stable_jaccard)
    for c in CRITERIA:
        out[c] = out[c].astype("boolean")
    out["verdict"] = [verdict(row) for _, row in out[list(CRITERIA)].iterrows()]
    return out.rename_axis(segment).reset_index()


def verdict(passed: pd.Series | dict) -> str:
    """A plain verdict from the criteria (True, False or missing = not measured).

    ``keep`` when every measured criterion holds; ``review`` when only measurable, accessible or actionable
    fail; ``rethink`` when substantial, differentiable or stable fail (merge it, re-cluster or drop it).
    """
    passed = dict(passed)
    failed = [c for c in CRITERIA if not pd.isna(passed.get(c)) and not bool(passed.get(c))]
    unmeasured = [c for c in CRITERIA if pd.isna(passed.get(c))]
    if any(c in ESSENTIAL for c in failed):
        text = "rethink: not " + ", not ".join(failed)
    elif failed:
        text = "review: not " + ", not ".join(failed)
    else:
        text = "keep: meets every measured criterion"
    return text + (f" ({', '.join(unmeasured)} not measured)" if unmeasured else "")


def solution_summary(card: pd.DataFrame, separated: pd.DataFrame, ari: float = np.nan) -> dict:
    """The whole solution in a few numbers and one sentence.

    Parameters
    ----------
    card : DataFrame
        From :func:`scorecard`.
    separated : DataFrame
        From :func:`separation`.
    ari : float
        Mean subsample adjusted Rand index of the solution (NaN: not measured).
    """
    keep = int(card["verdict"].str.startswith("keep").sum())
    rethink = int(card["verdict"].str.startswith("rethink").sum())
    out = {"k": len(card), "smallest_share": float(card["share"].min()),
           "segments_keep": keep, "segments_review": len(card) - keep - rethink, "segments_rethink": rethink,
           "mean_eta2": float(separated["eta2"].mean()), "max_eta2": float(separated["eta2"].max()),
           "features_significant": int(separated["significant"].sum()), "features": len(separated),
           "stability_ari": float(ari)}
    if rethink == 0 and (np.isnan(ari) or ari >= 0.8):
        out["verdict"] = (f"usable: {keep} of {len(card)} segments meet every measured criterion"
                          + (f", {len(card) - keep} need review" if keep < len(card) else ""))
    elif rethink <= len(card) // 3 and (np.isnan(ari) or ari >= 0.6):
        out["verdict"] = f"usable with care: {rethink} of {len(card)} segments need rethinking"
    else:
        out["verdict"] = (f"not yet usable: {rethink} of {len(card)} segments fail an essential criterion"
                          + (f" and the solution is unstable (ARI {ari:.2f})" if ari < 0.6 else ""))
    return out


# --------------------------------------------------------------------------------------------- prediction
def holdout_outcomes(transactions: ir.Table, start: dt.date, end: dt.date) -> pd.DataFrame:
    """What each customer did in the holdout ``[start, end]`` (computed in the engine).

    Returns
    -------
    DataFrame
        ``customer_id``, ``holdout_spend`` (net: purchases minus returns), ``holdout_orders`` (distinct
        purchase orders); only customers with a line in the holdout (others did nothing: fill with 0).
    """
    t = transactions
    day = t.order_ts.date()
    t = t.filter((day >= ibis.literal(start)) & (day <= ibis.literal(end)))
    t = t.mutate(is_return=(t.status.lower() == "returned") | (t.quantity < 0))
    agg = t.group_by("customer_id").aggregate(
        holdout_spend=t.amount.sum(), holdout_orders=t.order_id.nunique(where=~t.is_return))
    return agg.order_by("customer_id").execute()


def with_outcomes(calibration: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """The calibration customers with their holdout outcomes (0 when they did nothing) and ``churned``.

    Churned means no purchase order in the holdout.
    """
    out = calibration.merge(outcomes, on="customer_id", how="left", validate="one_to_one")
    out = out.fillna({"holdout_spend": 0.0, "holdout_orders": 0})
    out["holdout_orders"] = out["holdout_orders"].astype("int64")
    out["churned"] = (out["holdout_orders"] == 0).astype("int64")
    return out


def outcome_separation(labels, data: pd.DataFrame) -> pd.DataFrame:
    """How well one segmentation separates each holdout outcome.

    Parameters
    ----------
    labels : array-like
        Segment of each row of ``data``.
    data : DataFrame
        From :func:`with_outcomes` (calibration features and holdout outcomes).

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
        rank = stats.spearmanr(cal * sign, means).statistic if len(means) > 2 else np.nan
        rows.append({"outcome": outcome, "eta2": eta_squared(y, labels), "kruskal_p": p,
                     "top_lift": float(means.max() / y.mean()) if y.mean() else np.nan,
                     "top_share": float((labels == top).mean()), "rank_order": float(rank)})
    return pd.DataFrame(rows)


def pooled_rfm(rfm_segment: pd.Series, k: int) -> pd.Series:
    """The named RFM grid cut down to ``k`` groups: its ``k − 1`` largest segments, the rest pooled as 'other'."""
    sizes = rfm_segment.value_counts()
    if len(sizes) <= k:
        return rfm_segment.copy()
    keep = set(sizes.index[: k - 1])
    return rfm_segment.where(rfm_segment.isin(keep), "other RFM segments")


def kmeans_rfm(table: pd.DataFrame, k: int, seed: int = 42) -> np.ndarray:
    """The textbook baseline: k-means with scikit-learn's defaults on recency, frequency and monetary as they
    are (standardised, not log-transformed)."""
    z = StandardScaler().fit_transform(table[list(rfm.METRICS)].to_numpy(dtype=float))
    return KMeans(n_clusters=k, random_state=seed).fit_predict(z)


def compare(segmentations: dict[str, np.ndarray | pd.Series], data: pd.DataFrame) -> pd.DataFrame:
    """:func:`outcome_separation` for several segmentations of the same customers, in one long table.

    Returns
    -------
    DataFrame
        ``method``, ``segments`` (number of groups) and the columns of :func:`outcome_separation`.
    """
    frames = []
    for name, labels in segmentations.items():
        labels = np.asarray(labels)
        if len(labels) != len(data):
            raise ValueError(f"segmentation {name!r} has {len(labels)} labels for {len(data)} customers: "
                             "compare on the same customers")
        frames.append(outcome_separation(labels, data).assign(method=name, segments=len(np.unique(labels))))
    out = pd.concat(frames, ignore_index=True)
    return out[["method", "segments", *[c for c in out.columns if c not in ("method", "segments")]]]


def winner(comparison: pd.DataFrame, ours: str, rivals: list[str]) -> dict:
    """Whether ``ours`` separates the holdout outcomes better (higher eta²) than each of ``rivals``.

    Returns
    -------
    dict
        ``wins`` (True when ours has the highest eta² on at least two of the three outcomes), the best
        method per outcome, and a sentence.
    """
    eta = comparison.pivot(index="method", columns="outcome", values="eta2").loc[[ours, *rivals]]
    best = {o: str(eta[o].idxmax()) for o in eta.columns}
    won = [o for o, m in best.items() if m == ours]
    wins = len(won) >= 2
    sentence = (f"{ours} separates the holdout best on {len(won)} of {len(best)} outcomes"
                + (f" ({', '.join(won)})" if won else "")
                + "; " + ", ".join(f"{o}: {m} (eta² {eta.loc[m, o]:.3f})" for o, m in best.items() if m != ours))
    return {"wins": wins, "best": best, "text": sentence.rstrip("; ") + "."}


# --------------------------------------------------------------------------------------------- migration
def transitions(before: pd.DataFrame, after: pd.DataFrame, segment: str = "segment") -> pd.DataFrame:
    """Customers by segment at the first snapshot (rows) and at the later one (columns).

    Customers only in ``after`` are the row ``new``; customers only in ``before`` the column ``gone``.
    Both frames need ``customer_id`` and the segment column.
    """
    both = before[["customer_id", segment]].merge(after[["customer_id", segment]], on="customer_id",
                                                  how="outer", suffixes=("_before", "_after"), validate="one_to_one")
    rows = both[f"{segment}_before"].astype("object").where(both[f"{segment}_before"].notna(), "new")
    cols = both[f"{segment}_after"].astype("object").where(both[f"{segment}_after"].notna(), "gone")
    rows = rows.map(lambda v: v if v == "new" else int(v))
    cols = cols.map(lambda v: v if v == "gone" else int(v))
    matrix = pd.crosstab(rows, cols)
    segs = sorted({*(r for r in matrix.index if r != "new"), *(c for c in matrix.columns if c != "gone")})
    return matrix.reindex(index=[*segs, "new"], columns=[*segs, "gone"], fill_value=0).rename_axis(
        index="before", columns="after")


def flows(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per first-snapshot segment: customers, share who stayed, moved, are gone, and the main destination.

    Also ``new_in``: new customers who landed in the segment at the later snapshot.
    """
    segs = [s for s in matrix.index if s != "new"]
    rows = []
    for s in segs:
        row = matrix.loc[s]
        n = row.sum()
        moved = row.drop([s, "gone"], errors="ignore")
        rows.append({"segment": s, "customers": int(n), "stayed": row.get(s, 0) / n if n else np.nan,
                     "moved": moved.sum() / n if n else np.nan, "gone": row.get("gone", 0) / n if n else np.nan,
                     "main_destination": str(moved.idxmax()) if moved.sum() else None,
                     "new_in": int(matrix.loc["new", s]) if s in matrix.columns else 0})
    return pd.DataFrame(rows)


def activity(before: pd.DataFrame, after: pd.DataFrame, gap_days: int, segment: str = "segment") -> pd.DataFrame:
    """Per first-snapshot segment: the share who bought in the ``gap_days`` before the first snapshot and the
    share of the same customers who bought between the snapshots (``gap_days`` apart).

    A segment whose activity drops is lapsing (churn), even when the model still assigns it the same label;
    segments of long-lapsed customers have ~0 both times, so their recency drift is only time passing.
    """
    both = before[["customer_id", segment, "recency_days"]].merge(
        after[["customer_id", "recency_days"]], on="customer_id", how="left", suffixes=("_before", "_after"))
    both["active_before"] = both["recency_days_before"] <= gap_days
    both["active_after"] = both["recency_days_after"] <= gap_days
    out = both.groupby(segment)[["active_before", "active_after"]].mean()
    out["change"] = out["active_after"] - out["active_before"]
    return out.reset_index()


def psi(expected, actual, bins: int = 10, eps: float = 1e-4) -> float:
    """Population stability index of ``actual`` against ``expected``.

    Bins are the quantiles of ``expected`` (at most ``bins``, fewer when values tie; the outer bins are open),
    ``PSI = Σ (a − e) · ln(a / e)`` over the bins' shares, with empty bins set to ``eps``. Missing values are
    left out. < 0.1 is read as stable, 0.1–0.25 as a shift to watch, ≥ 0.25 as a large shift.
    """
    e = pd.Series(expected, dtype=float).dropna().to_numpy()
    a = pd.Series(actual, dtype=float).dropna().to_numpy()
    if len(e) == 0 or len(a) == 0:
        return np.nan
    edges = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
    e_share = np.bincount(np.searchsorted(edges, e, side="right"), minlength=len(edges) + 1) / len(e)
    a_share = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1) / len(a)
    e_share, a_share = np.maximum(e_share, eps), np.maximum(a_share, eps)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


def drift(before: pd.DataFrame, after: pd.DataFrame, columns: list[str], segment: str = "segment",
          bins: int = 10) -> pd.DataFrame:
    """PSI of every numeric feature per segment, the segment at each snapshot as the model assigns it.

    Returns
    -------
    DataFrame
        Segments (plus ``all``: the whole base) × features.
    """
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(before[c])]
    rows = {"all": {c: psi(before[c], after[c], bins) for c in numeric}}
    for s in sorted(before[segment].unique()):
        b, a = before[before[segment] == s], after[after[segment] == s]
        rows[s] = {c: psi(b[c], a[c], bins) for c in numeric}
    return pd.DataFrame(rows).T.rename_axis(segment)


def drift_status(value: float, watch: float = PSI_WATCH, refit: float = PSI_REFIT) -> str:
    """'stable', 'watch' or 're-fit' for a PSI value."""
    return "re-fit" if value >= refit else "watch" if value >= watch else "stable"


def recommendation(drifted: pd.DataFrame, moved: pd.DataFrame, watch: float = PSI_WATCH,
                   refit: float = PSI_REFIT, active: pd.DataFrame | None = None) -> dict:
    """Whether to re-fit the segmentation, from the drift table and the flows.

    Re-fit when any feature's PSI reaches ``refit`` in the whole base or in a segment; watch when one reaches
    ``watch``. The reason names the largest drifts, the segment that lost the most customers and (with
    ``active`` from :func:`activity`) the segment whose activity fell most.

    Returns
    -------
    dict
        ``status`` ('stable' | 'watch' | 're-fit'), ``max_psi``, ``per_segment`` (status per segment) and
        ``reason``.
    """
    long = drifted.stack().rename("psi").reset_index()
    long.columns = ["segment", "feature", "psi"]
    long = long.dropna().sort_values("psi", ascending=False)
    top = long.iloc[0] if len(long) else None
    status = drift_status(top["psi"], watch, refit) if top is not None else "stable"
    per_segment = {str(s): drift_status(v, watch, refit) for s, v in drifted.max(axis=1).items()}
    worst = long.head(3)
    reason = ("largest drifts: " + "; ".join(f"{r.feature} in segment {r.segment} (PSI {r.psi:.2f})"
                                             for r in worst.itertuples()) + ".") if len(worst) else ""
    if len(moved):
        m = moved.sort_values("moved", ascending=False).iloc[0]
        reason += (f" Segment {m['segment']} kept {m['stayed']:.0%} of its customers; {m['moved']:.0%} moved"
                   + (f", mostly to segment {m['main_destination']}" if m["main_destination"] is not None else "")
                   + ".")
    if active is not None and len(active):
        a = active.sort_values("change").iloc[0]
        if a["change"] < -0.1:
            reason += (f" Activity fell most in segment {active.loc[a.name, 'segment']}: "
                       f"{a['active_before']:.0%} bought in the period before the first snapshot, "
                       f"{a['active_after']:.0%} between the snapshots.")
    advice = {"re-fit": f"PSI ≥ {refit}: re-fit the segmentation (rerun 05_cluster) and re-read the personas.",
              "watch": f"PSI between {watch} and {refit}: keep the model, watch the next snapshot.",
              "stable": f"every PSI below {watch}: the segments still describe the customers."}[status]
    return {"status": status, "max_psi": float(top["psi"]) if top is not None else np.nan,
            "per_segment": per_segment, "reason": (reason + " " + advice).strip()}
