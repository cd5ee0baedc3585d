"""Is it still valid? Customers at a later snapshot assigned with the saved model: transitions, activity,
feature drift (PSI) and a re-fit recommendation."""

from __future__ import annotations

from types import SimpleNamespace

import ibis
import numpy as np
import pandas as pd

from custseg.errors import StageError
from custseg.features.split import align
from custseg.schema import MONETARY, PSI_REFIT, PSI_WATCH, drift_status


def match_segments(new, old) -> dict[int, int]:
    """Number the segments of a new fit after those of an earlier one: one to one, by shared customers.

    ``new`` and ``old`` are the same customers' segments in the new fit and in the earlier model (−1: noise).
    The pairs that share the most customers in total are matched (the assignment problem on the overlap
    counts, solved exactly by :func:`scipy.optimize.linear_sum_assignment`); a new segment with no partner
    sharing a customer gets a number after the earlier ones.

    Returns
    -------
    dict
        New segment → its number (the earlier segment's where matched); −1 stays −1.
    """
    from scipy.optimize import linear_sum_assignment

    new, old = np.asarray(new), np.asarray(old)
    a, b = sorted(set(new[new >= 0].tolist())), sorted(set(old[old >= 0].tolist()))
    overlap = np.array([[np.sum((new == i) & (old == j)) for j in b] for i in a]).reshape(len(a), len(b))
    rows, cols = linear_sum_assignment(-overlap)
    out = {a[r]: b[c] for r, c in zip(rows, cols, strict=True) if overlap[r, c] > 0}
    following = max(b, default=-1) + 1
    for i in a:
        if i not in out:
            out[i], following = following, following + 1
    return {**out, -1: -1}


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


def recommendation(drifted: pd.DataFrame, moved: pd.DataFrame, watch: float = PSI_WATCH,
                   refit: float = PSI_REFIT, active: pd.DataFrame | None = None, language: str = "en") -> dict:
    """Whether to re-fit the segmentation, from the drift table and the flows.

    Re-fit when any feature's PSI reaches ``refit`` in the whole base or in a segment; watch when one reaches
    ``watch``. The reason names the largest drifts, the segment that lost the most customers and (with
    ``active`` from :func:`activity`) the segment whose activity fell most.

    Parameters
    ----------
    drifted : DataFrame
        :func:`drift`: PSI per segment (rows) and feature (columns).
    moved : DataFrame
        :func:`flows`.
    watch, refit : float
        The PSI thresholds.
    active : DataFrame, optional
        :func:`activity`.
    language : {'en', 'zh'}
        The language of the reason.

    Returns
    -------
    dict
        ``status`` ('stable' | 'watch' | 're-fit'), ``max_psi``, ``per_segment`` (status per segment) and
        ``reason``.
    """
    from custseg import i18n

    say = lambda key, **fields: i18n.text(f"drift.{key}", language, **fields)  # noqa: E731
    long = drifted.stack().rename("psi").reset_index()
    long.columns = ["segment", "feature", "psi"]
    long = long.dropna().sort_values("psi", ascending=False)
    top = long.iloc[0] if len(long) else None
    status = drift_status(top["psi"], watch, refit) if top is not None else "stable"
    per_segment = {str(s): drift_status(v, watch, refit) for s, v in drifted.max(axis=1).items()}
    sentences = []
    if len(long):
        sentences.append(say("largest", items=i18n.join(
            [say("item", feature=i18n.header(r.feature, language), segment=r.segment, psi=f"{r.psi:.2f}")
             for r in long.head(3).itertuples()], language)))
    if len(moved):
        m = moved.sort_values("moved", ascending=False).iloc[0]
        shares = {"segment": m["segment"], "stayed": i18n.percent(m["stayed"]), "moved": i18n.percent(m["moved"])}
        sentences.append(say("kept", **shares) if m["main_destination"] is None
                         else say("kept_to", **shares, to=m["main_destination"]))
    if active is not None and len(active):
        a = active.sort_values("change").iloc[0]
        if a["change"] < -0.1:
            sentences.append(say("activity", segment=active.loc[a.name, "segment"],
                                 before=i18n.percent(a["active_before"]), after=i18n.percent(a["active_after"])))
    sentences.append(say(status, watch=watch, refit=refit))
    return {"status": status, "max_psi": float(top["psi"]) if top is not None else np.nan,
            "per_segment": per_segment, "reason": i18n.messages(language)["sentence_sep"].join(sentences)}


def at_later_snapshot(cfg: dict, collected, kept_customers, quarantined_customers, kept_lines, crm: pd.DataFrame,
                      survey, factor_model, customers: pd.DataFrame, segmenter, clustered_on: list[str],
                      snapshot) -> SimpleNamespace | None:
    """Customers at ``evaluate.later_snapshot`` assigned with the saved model: who moved where, who is still
    active, each feature's drift and whether to re-fit (None when the key is not set).

    ``collected`` are 01's order lines, cleaned again up to the later snapshot by 02's rules; the lines up to the
    first snapshot must be the ones 02 kept (``kept_lines``).

    Raises
    ------
    StageError
        A later snapshot that is not after the first, or cleaning that disagrees with 02 (a custseg bug).
    """
    from custseg import clean as cleaning
    from custseg.features.split import features_at

    e = cfg["evaluate"]
    later = e["later_snapshot"]
    if later is None:
        return None
    if later <= snapshot:
        raise StageError(f"evaluate.later_snapshot {later} must be after the snapshot {snapshot}")
    test_ids = quarantined_customers.filter(quarantined_customers.reason == "test_account")
    kept_later, _, _ = cleaning.clean_transactions(collected, kept_customers, test_ids, later,
                                                   **cleaning.transaction_options(cfg))
    same = kept_later.filter(kept_later.order_ts.date() <= ibis.literal(snapshot)).count().execute()
    if same != kept_lines.count().execute():
        raise StageError("07_evaluate: cleaning up to the later snapshot keeps other lines before the first "
                         "snapshot than 02_clean kept (a custseg bug, please report it)")
    table_later = features_at(cfg, kept_later, crm, survey, later, factor_model=factor_model)
    table_later["segment"] = segmenter.predict(align(table_later, segmenter.feature_names_in_))
    matrix = transitions(customers, table_later)
    moved = flows(matrix)
    active = activity(customers, table_later, (later - snapshot).days)
    drifted = drift(customers, table_later, clustered_on, bins=e["psi_bins"])
    advice = recommendation(drifted, moved, e["psi_watch"], e["psi_refit"], active, cfg["language"])
    return SimpleNamespace(later=later, table=table_later, matrix=matrix, moved=moved, active=active,
                           drifted=drifted, advice=advice)


def against_baseline(before: pd.DataFrame, customers: pd.DataFrame, clustered_on: list[str], e: dict,
                     baseline: dict, language: str = "en") -> SimpleNamespace:
    """This run's customers against the baseline run's (``before``: its published customers): who moved between
    segments, who is new or gone, the spend that moved, the drift of each feature (PSI) and whether to re-fit."""
    matrix = transitions(before, customers)
    moved = flows(matrix)
    shared = [c for c in clustered_on if c in before.columns]
    drifted = drift(before, customers, shared, bins=e["psi_bins"])
    advice = recommendation(drifted, moved, e["psi_watch"], e["psi_refit"], language=language)
    both = before[["customer_id", "segment"]].merge(customers[["customer_id", "segment", *(
        [MONETARY] if MONETARY in customers else [])]], on="customer_id", suffixes=("_before", ""))
    changed = both["segment_before"] != both["segment"]
    summary = {"run": baseline["run"], "refit": baseline["refit"],
               "customers_before": len(before), "customers_now": len(customers),
               "returning": len(both), "new": int(len(customers) - len(both)), "gone": int(len(before) - len(both)),
               "moved": int(changed.sum()), "moved_share": round(float(changed.mean()), 4) if len(both) else None,
               "spend_moved": round(float(both.loc[changed, MONETARY].sum()), 2) if MONETARY in both else None,
               **advice}
    return SimpleNamespace(matrix=matrix, moved=moved, drifted=drifted, summary=summary)
