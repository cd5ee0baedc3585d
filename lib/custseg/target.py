"""Targeting (目标市场选择): how attractive each segment is against how well the business can reach it, and which
strategy follows — concentrated, differentiated or multi-segment.

Per segment (clusters, the RFM grid or rule segments alike):

- attractiveness: size (share of customers), value (share of spend, or of margin when the data has it), value
  per customer against the base (index 100 = average), growth (spend in the last ``growth_days`` against the
  same span before; or against the baseline run when there is one) — combined into a score from 0 to 1: the
  mean rank of the segment among the segments on each criterion;
- accessibility: the share of the segment that can be contacted (consent or contact columns, when the data has
  them) and the share that bought through each channel in the window;
- stability: how well the segment survives refits (clusters only; rules are deterministic).

The strategy is chosen by a documented rule (:func:`strategy`) and said with its numbers; the config can pin the
targets (``target.segments``).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from custseg import i18n
from custseg.errors import ConfigError
from custseg.schema import MONETARY, fetch

STRATEGIES = ("concentrated", "differentiated", "multi-segment")
ATTRACTIVE = 0.5  # attractiveness score from which a substantial, reachable segment is a target
DOMINANT = 2.0  # a target with this many times the next target's value makes the strategy concentrated
BROAD = 0.8  # targets holding this share of the value (three or more of them): differentiated
ATTRACTIVENESS_CRITERIA = ("share", "value_share", "value_index", "growth")


def spend_by_period(transactions: ir.Table, snapshot: dt.date, days: int) -> pd.DataFrame:
    """Per customer who bought in the span: net spend in the last ``days`` before the snapshot (``recent``) and
    in the ``days`` before that (``previous``). Counted in the engine, once for every segmentation."""
    end = ibis.literal(pd.Timestamp(snapshot))
    mid = ibis.literal(pd.Timestamp(snapshot) - pd.Timedelta(days=days))
    start = ibis.literal(pd.Timestamp(snapshot) - pd.Timedelta(days=2 * days))
    t = transactions
    ts = t.order_ts.cast("timestamp")
    return fetch(t.filter((ts >= start) & (ts < end))
                 .group_by("customer_id")
                 .aggregate(recent=ibis.ifelse(ts >= mid, t.amount, 0).sum(),
                            previous=ibis.ifelse(ts < mid, t.amount, 0).sum()))


def growth(spend: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Per segment: the ``recent`` and ``previous`` spend of :func:`spend_by_period` and the change (``growth``:
    recent / previous − 1; NaN without previous spend)."""
    per = segments[["customer_id", "segment"]].merge(spend, on="customer_id", how="left")
    out = per.fillna({"recent": 0.0, "previous": 0.0}).groupby("segment")[["recent", "previous"]].sum()
    out["growth"] = (out["recent"] / out["previous"].where(out["previous"] > 0)) - 1
    return out


def channel_columns(customers: pd.DataFrame) -> list[str]:
    """The features giving each customer's share of orders per channel (``share_channel_*``, a known channel)."""
    return [c for c in customers.columns if c.startswith("share_channel_") and c != "share_channel_unknown"]


def channel_reach(customers: pd.DataFrame, segment: str = "segment") -> pd.DataFrame:
    """Per segment, the share of customers who bought through each channel (from ``share_channel_*``)."""
    cols = channel_columns(customers)
    if not cols:
        return pd.DataFrame(index=pd.Index(sorted(customers[segment].unique()), name=segment))
    used = (customers[cols] > 0).groupby(customers[segment]).mean()
    return used.rename(columns=lambda c: c.removeprefix("share_"))


def attractiveness(table: pd.DataFrame, weights: dict[str, float] | None = None) -> pd.Series:
    """A score from 0 to 1 per segment: the weighted mean of its rank among the segments (0 lowest, 1 highest)
    on each criterion of :data:`ATTRACTIVENESS_CRITERIA` it has a value for."""
    weights = weights or {c: 1.0 for c in ATTRACTIVENESS_CRITERIA}
    scores, total = pd.Series(0.0, index=table.index), pd.Series(0.0, index=table.index)
    n = len(table)
    for c, w in weights.items():
        if c not in table or table[c].isna().all() or w == 0:
            continue
        r = (table[c].rank(method="average") - 1) / max(n - 1, 1)
        scores += w * r.fillna(0)
        total += w * r.notna()
    return (scores / total.where(total > 0)).fillna(0)


def strategy(table: pd.DataFrame, pinned: list | None = None, min_share: float = 0.05, min_reach: float = 0.5
             ) -> dict:
    """Choose the targets and the strategy, with the reason in numbers.

    A segment is a target when it is substantial (``share`` or ``value_share`` ≥ ``min_share``, as in 07's
    scorecard), attractive (score ≥ :data:`ATTRACTIVE`) and reachable (``reach`` ≥ ``min_reach``; not judged, nor
    said, when reach was not measured), or when ``pinned`` names it. Then:

    - one target, or one target holding :data:`DOMINANT` × the next one's value → **concentrated** (集中化):
      serve one segment well;
    - three or more targets holding :data:`BROAD` of the value → **differentiated** (差异化): a different offer
      for each of most of the market;
    - otherwise → **multi-segment** (多细分市场 / selective): a few chosen segments, each with its own offer.

    Returns
    -------
    dict
        ``strategy``, ``targets`` (segment ids), ``reason`` and ``pinned``.
    """
    t = table.set_index("segment") if "segment" in table else table
    value = "value_share" if "value_share" in t and t["value_share"].notna().any() else "share"
    if pinned:
        unknown = [p for p in pinned if p not in t.index]
        if unknown:
            raise ValueError(f"target.segments names segments that do not exist: {unknown} (there are "
                             f"{list(t.index)})")
        targets = list(pinned)
        why = f"pinned by the config (target.segments: {targets})"
    else:
        measured = "reach" in t and t["reach"].notna().any()
        reach_ok = t["reach"].isna() | (t["reach"] >= min_reach) if measured else True
        # substantial as 07's scorecard has it: enough customers, or enough of the value
        substantial = (t["share"] >= min_share) | (t[value] >= min_share)
        ok = substantial & (t["attractiveness"] >= ATTRACTIVE) & reach_ok
        targets = list(t.index[ok])
        size = f"≥ {min_share:.0%} of customers" + (f" or of {_basis(value)}" if value != "share" else "")
        why = (f"substantial ({size}), attractive (score ≥ {ATTRACTIVE})"
               + (f" and reachable (≥ {min_reach:.0%} contactable)" if measured else ""))
    if not targets:
        best = t["attractiveness"].idxmax()
        return {"strategy": "concentrated", "targets": [best], "pinned": bool(pinned),
                "reason": f"No segment is {why}; the most attractive, {_name(t, best)}, is the one to start with "
                          f"({t.loc[best, value]:.0%} of {_basis(value)})."}
    chosen = t.loc[targets].sort_values(value, ascending=False)
    held_value, held_share = float(chosen[value].sum()), float(chosen["share"].sum())
    named = ", ".join(f"{_name(t, s)} ({chosen.loc[s, value]:.0%})" for s in chosen.index)
    together = f"{held_share:.0%} of customers" + (f" and {held_value:.0%} of {_basis(value)}" if value != "share"
                                                   else "")
    head = (f"{len(targets)} segment{'s' if len(targets) > 1 else ''} {'are' if len(targets) > 1 else 'is'} {why}: "
            f"{named}, together {together}.")
    if len(chosen) == 1 or chosen[value].iloc[0] >= DOMINANT * chosen[value].iloc[1]:
        top = chosen.index[0]
        name = "concentrated"
        tail = (f" {_name(t, top)} alone holds {chosen[value].iloc[0]:.0%}"
                + (f", {chosen[value].iloc[0] / chosen[value].iloc[1]:.1f}× the next target" if len(chosen) > 1
                   else "") + ": concentrate the budget on it.")
        targets = [top] if not pinned else targets
    elif len(chosen) >= 3 and held_value >= BROAD:
        name = "differentiated"
        tail = f" Three or more segments holding ≥ {BROAD:.0%} of {_basis(value)}: give each its own offer."
    else:
        name = "multi-segment"
        tail = " Serve these few segments, each with its own offer, and leave the rest to low-cost channels."
    return {"strategy": name, "targets": [int(s) if isinstance(s, np.integer) else s for s in targets],
            "pinned": bool(pinned), "reason": head + tail}


def _basis(value: str) -> str:
    return {"value_share": "the value", "share": "the customers"}[value]


def _name(t: pd.DataFrame, seg) -> str:
    return f"{seg} {t.loc[seg, 'name']}" if "name" in t and pd.notna(t.loc[seg, "name"]) else str(seg)


def table(customers: pd.DataFrame, value: str = MONETARY, growth_table: pd.DataFrame | None = None,
          reachable: pd.Series | None = None, stability: pd.DataFrame | None = None,
          names: dict | None = None, weights: dict[str, float] | None = None, segment: str = "segment"
          ) -> pd.DataFrame:
    """The targeting table: one row per segment with the criteria of the module docstring.

    Parameters
    ----------
    customers : DataFrame
        One row per customer: ``segment``, ``value`` (when the data has it) and the features.
    value : str
        Spend (``monetary``) or a margin column.
    growth_table : DataFrame, optional
        From :func:`growth` (indexed by segment).
    reachable : Series of bool, optional
        Per customer (aligned with ``customers``): can be contacted (:func:`custseg.evaluate.reach`).
    stability : DataFrame, optional
        ``segment`` and ``jaccard`` from the segmenter.
    names : dict, optional
        Segment id → name.
    """
    g = customers.groupby(segment)
    out = pd.DataFrame({"customers": g.size()})
    out["share"] = out["customers"] / len(customers)
    if value in customers and customers[value].sum() > 0:
        total = customers[value].sum()
        out["value_share"] = g[value].sum() / total
        out["value_index"] = 100 * out["value_share"] / out["share"]
    else:
        out["value_share"] = out["value_index"] = np.nan
    out["growth"] = growth_table["growth"].reindex(out.index) if growth_table is not None else np.nan
    out["reach"] = reachable.groupby(customers[segment]).mean() if reachable is not None else np.nan
    out = out.join(channel_reach(customers, segment))
    out["stability"] = (stability.set_index("segment")["jaccard"].reindex(out.index) if stability is not None
                        else np.nan)
    out["attractiveness"] = attractiveness(out, weights)
    out.insert(0, "name", pd.Series(names or {}, dtype="str").reindex(out.index) if names else pd.NA)
    return out.rename_axis("segment").reset_index()


def value_column(margin: str | None, customers: pd.DataFrame) -> tuple[str, str]:
    """The column that measures value for targeting, and a sentence saying which."""
    if margin:
        if margin not in customers:
            raise ConfigError(f"target.margin_column: the customer table has no column {margin!r}")
        return margin, f"Value is each customer's {margin} (target.margin_column)."
    if MONETARY in customers:
        return MONETARY, ("Value is net spend: the data has no cost or margin, so profitability is read as "
                            "spend (set target.margin_column to a margin column).")
    return "", ("There is no spend or margin in the data: segments are compared on size and reach only "
                "(target.margin_column can name a column of the table that measures value, such as revenue or "
                "charges).")


def segmentations(customers: pd.DataFrame, cards: list[dict], scores: pd.DataFrame, ruled: pd.DataFrame | None
                  ) -> dict[str, tuple[pd.DataFrame, dict]]:
    """The segmentations 08 compares: name → (customer_id and segment, segment names)."""
    out = {"clusters": (customers[["customer_id", "segment"]], {c["segment"]: c["name"] for c in cards})}
    if "rfm_segment" in scores:
        grid = scores[["customer_id", "rfm_segment"]].rename(columns={"rfm_segment": "segment"})
        out["RFM grid"] = (grid, {s: s for s in grid["segment"].unique()})
    if ruled is not None:
        out["rules"] = (ruled[["customer_id", "segment"]],
                        dict(zip(ruled["segment"], ruled["segment_name"], strict=False)))
    return out


def audiences(customers: pd.DataFrame, cards: list[dict], choice: dict, contacts: pd.DataFrame, consent: list[str],
              language: str) -> tuple[dict[str, pd.DataFrame | str], list[dict]]:
    """Per target segment an audience table ``segment_<id>.csv`` (customer id, segment, the offer and why, the
    customer's main channel and consent flags) and a one-page summary ``segment_<id>.md``.

    Returns the files (name → table or text) and a list saying what each target's files hold.
    """
    by_id = {c["segment"]: c for c in cards}
    channels = channel_columns(customers)
    by_customer = contacts.set_index("customer_id")
    files, out = {}, []
    for seg in choice["targets"]:
        card = by_id[seg]
        who = customers[customers["segment"] == seg]
        audience = pd.DataFrame({"customer_id": who["customer_id"], "segment_id": seg, "segment_name": card["name"],
                                 "offer": card["offer"] or card["strategy_headline"],
                                 "why": card["offers"][0] if card["offers"] else card["strategy"]})
        if channels:  # the channel each customer buys through most
            audience["channel"] = who[channels].idxmax(axis=1).str.removeprefix("share_channel_").to_numpy()
        for column in consent:
            audience[column] = by_customer[column].reindex(who["customer_id"]).to_numpy()
        files[f"segment_{seg}.csv"] = audience
        files[f"segment_{seg}.md"] = i18n.render(
            "audience.md.j2", language, card=card, customers=len(audience),
            channels={i18n.value_label("channel", c, language): share for c, share in
                      audience["channel"].value_counts(normalize=True).head(3).items()} if "channel" in audience
            else {}, strategy=choice["strategy"], reason=choice["reason"])
        out.append({"segment": seg, "name": card["name"], "customers": len(audience), "file": f"segment_{seg}.csv",
                    "summary": f"segment_{seg}.md"})
    return files, out


def tables(customers: pd.DataFrame, segmentations_: dict[str, tuple[pd.DataFrame, dict]], value: str,
           spend: pd.DataFrame | None, reachable: pd.Series | None, stability: pd.DataFrame | None,
           weights: dict[str, float]) -> dict[str, pd.DataFrame]:
    """The targeting :func:`table` of each segmentation (the clusters carry their stability)."""
    out = {}
    for name, (seg, names) in segmentations_.items():
        rows = customers.drop(columns="segment").merge(seg, on="customer_id", validate="one_to_one")
        grown = None if spend is None else growth(spend, seg)
        reach = None if reachable is None else reachable.set_axis(customers["customer_id"]).reindex(
            rows["customer_id"]).set_axis(rows.index)
        out[name] = table(rows, value or "_none", grown, reach, stability if name == "clusters" else None, names,
                          weights)
    return out
