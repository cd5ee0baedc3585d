"""Is it a good segmentation? The six classic criteria per segment, the separation tests, a plain verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from custseg import profile
from custseg.schema import MONETARY, STABLE_ARI, STABLE_JACCARD, UNSTABLE_ARI
from custseg.stats import eta_squared

LEVERS = ("recency_days", "discount_share", "share_channel_", "share_cat_")
SEGMENT_CRITERIA = ("measurable", "substantial", "accessible", "differentiable", "actionable", "stable")
ESSENTIAL = ("substantial", "differentiable", "stable")


def _largest(effects: pd.DataFrame) -> pd.Series:
    """Per row, the column with the largest effect; None where no effect can be measured (a segment of one)."""
    return effects.apply(lambda row: row.idxmax() if row.notna().any() else None, axis=1)


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
    columns = [c for c in columns if pd.api.types.is_numeric_dtype(customers[c])]  # categories: see 06's mix
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


def scorecard(customers: pd.DataFrame, columns: list[str], segment: str = "segment", value: str = MONETARY,
              segment_stability: pd.DataFrame | None = None, reachable: pd.Series | None = None,
              min_share: float = 0.05, min_effect: float = 0.5, min_reach: float = 0.5,
              max_missing: float = 0.05, stable_jaccard: float = STABLE_JACCARD, levers: list[str] | None = None
              ) -> pd.DataFrame:
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
    levers : list of str, optional
        The features a business can act on; default: recency, discount, channel and category shares. Without
        ``value`` in ``customers`` (a customer table without a log), *substantial* is the share of customers.

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
    if value in customers:
        total = customers[value].sum()
        out["value_share"] = g[value].sum() / total if total else np.nan
    out["missing_share"] = g[list(columns)].apply(lambda d: d.isna().to_numpy().mean())
    d = profile.effect_sizes(customers[[segment, *numeric]], segment).abs()
    out["top_feature"] = _largest(d)
    out["top_effect"] = d.max(axis=1)
    levers = [c for c in numeric if c.startswith(LEVERS)] if levers is None else [c for c in levers if c in numeric]
    if levers:
        out["lever"] = _largest(d[levers])
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
    out["substantial"] = (out["share"] >= min_share) | (out.get("value_share", out["share"]) >= min_share)
    out["accessible"] = check(out["reach_share"], out["reach_share"] >= min_reach)
    out["differentiable"] = check(out["top_effect"], out["top_effect"] >= min_effect)
    out["actionable"] = check(out["lever_effect"], out["lever_effect"] >= min_effect)
    out["stable"] = check(out["jaccard"], out["jaccard"] >= stable_jaccard)
    for c in SEGMENT_CRITERIA:
        out[c] = out[c].astype("boolean")
    out["verdict"] = [verdict(row) for _, row in out[list(SEGMENT_CRITERIA)].iterrows()]
    return out.rename_axis(segment).reset_index()


def verdict(passed: pd.Series | dict, language: str = "en") -> str:
    """A plain verdict from the criteria (True, False or missing = not measured), in ``language``.

    ``keep`` when every measured criterion holds; ``review`` when only measurable, accessible or actionable
    fail; ``rethink`` when substantial, differentiable or stable fail (merge it, re-cluster or drop it).
    """
    from custseg import i18n

    m = i18n.messages(language)["printed"]["verdict"]
    name = lambda c: i18n.header(c, language)  # noqa: E731
    passed = dict(passed)
    failed = [c for c in SEGMENT_CRITERIA if not pd.isna(passed.get(c)) and not bool(passed.get(c))]
    unmeasured = [c for c in SEGMENT_CRITERIA if pd.isna(passed.get(c))]
    if failed:
        text = m["rethink" if any(c in ESSENTIAL for c in failed) else "review"].format(
            failed=m["not_sep"].join(map(name, failed)))
    else:
        text = m["keep"]
    return text + (m["unmeasured"].format(criteria=m["criteria_sep"].join(map(name, unmeasured))) if unmeasured
                   else "")


def verdicts(card: pd.DataFrame, language: str = "en") -> list[str]:
    """Each segment's :func:`verdict` in ``language``, from a :func:`scorecard`'s criteria (its ``verdict`` column
    is in English: the record's words)."""
    return [verdict(row, language) for _, row in card[list(SEGMENT_CRITERIA)].iterrows()]


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
    out["verdict"] = solution_verdict(out)
    return out


def solution_verdict(summary: dict, language: str = "en") -> str:
    """The sentence of a :func:`solution_summary` in ``language``: usable, usable with care or not yet usable."""
    from custseg import i18n

    m = i18n.messages(language)["printed"]["verdict"]
    k, keep, rethink = summary["k"], summary["segments_keep"], summary["segments_rethink"]
    ari = summary["stability_ari"]
    if rethink == 0 and (np.isnan(ari) or ari >= STABLE_ARI):
        return m["usable"].format(keep=keep, k=k) + (m["usable_review"].format(review=k - keep) if keep < k else "")
    if rethink <= k // 3 and (np.isnan(ari) or ari >= UNSTABLE_ARI):
        return m["care"].format(rethink=rethink, k=k)
    return m["not_usable"].format(rethink=rethink, k=k) + (
        m["not_usable_unstable"].format(ari=f"{ari:.2f}") if ari < UNSTABLE_ARI else "")


def contacts(crm: pd.DataFrame, customers: pd.DataFrame, contact_columns: list[str]
             ) -> tuple[pd.DataFrame, pd.Series | None]:
    """The CRM rows of the segmented customers (in their order) and which of them can be reached (None: the data
    has no contact or consent column of ``contact_columns``)."""
    rows = crm.set_index("customer_id").reindex(customers["customer_id"]).reset_index()
    return rows, reach(rows, contact_columns)
