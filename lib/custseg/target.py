"""Targeting (目标市场选择): how attractive each segment is against how well the business can reach it, and which
strategy follows — concentrated, differentiated or multi-segment.

Per segment (clusters, the RFM grid or rule segments alike):

- attractiveness: size (share of customers), value (share of the value column — net spend, a customer table's
  charges or revenue, or a margin: :func:`value_column`), value per customer against the base (index 100 =
  average), growth (spend in the last ``growth_days`` against the same span before), and each outcome in its
  direction (a high churn rate makes a segment less attractive, a high purchase rate more) — combined into a
  score from 0 to 1: the mean rank of the segment among the segments on each criterion (:func:`criteria`);
- accessibility: the share of the segment that can be contacted (consent or contact columns, when the data has
  them) and the share that bought through each channel in the window;
- stability: how well the segment survives refits (clusters only; rules are deterministic).

The strategy is chosen by a documented rule (:func:`strategy`) and said with its numbers; the config can pin the
targets (``target.segments``). Targeting that rests on one criterion (size alone, on a customer table without a
value column or an outcome of known direction) names no strategy and says so.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from custseg import i18n, profile
from custseg.attributes import HIGHER, LOWER, direction, is_flag, outcome_names
from custseg.describe import ValueChoice
from custseg.errors import ConfigError
from custseg.phrases import plain_label
from custseg.schema import MONETARY, fetch, jaccard_verdict

STRATEGIES = ("concentrated", "differentiated", "multi-segment")
ONE_CRITERION = "one criterion"  # the "strategy" of targeting that rests on one criterion: none is named
ATTRACTIVE = 0.5  # attractiveness score from which a substantial, reachable segment is a target
DOMINANT = 2.0  # a target with this many times the next target's value makes the strategy concentrated
BROAD = 0.8  # targets holding this share of the value (three or more of them): differentiated
ATTRACTIVENESS_CRITERIA = ("share", "value_share", "value_index", "growth")  # higher is better
OUTCOME_PREFIX = "outcome_"  # the targeting table's columns of the outcomes, each weighed in its direction


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


def outcome_column(name: str) -> str:
    """The targeting table's column of an outcome's rate or mean per segment (``outcome_Churn``)."""
    return f"{OUTCOME_PREFIX}{name}"


def criteria(table: pd.DataFrame, weights: dict[str, float] | None = None, outcomes: dict | list | None = None
             ) -> dict[str, tuple[float, bool]]:
    """The criteria the attractiveness score weighs: table column → (weight, whether higher is better).

    Size, value, value per customer and growth (:data:`ATTRACTIVENESS_CRITERIA`, higher is better) and each
    outcome (:func:`outcome_column`) in its direction (:func:`custseg.attributes.direction`: a segment with
    high churn is less attractive, one with high purchase more), weighed by ``weights["outcomes"]``. A
    criterion without a value in the table, of weight 0 (or not in ``weights``, when given; outcomes count unless
    ``weights["outcomes"]`` is 0) or (an outcome) of unknown direction is left out.
    """
    weights = {c: 1.0 for c in ATTRACTIVENESS_CRITERIA} if weights is None else weights
    out = {c: (float(weights.get(c, 0)), True) for c in ATTRACTIVENESS_CRITERIA}
    for name in outcome_names(outcomes):
        way = direction(name, outcomes)[0]
        if way is not None:
            out[outcome_column(name)] = (float(weights.get("outcomes", 1)), way == HIGHER)
    return {c: w for c, w in out.items() if c in table and table[c].notna().any() and w[0] != 0}


def bases(used: dict[str, tuple[float, bool]]) -> list[str]:
    """What the :func:`criteria` rest on: ``size``, ``value`` (its share and its index count once: one column),
    ``growth`` and each outcome's column — two or more make a targeting choice, one does not."""
    named = {"share": "size", "value_share": "value", "value_index": "value", "growth": "growth"}
    return list(dict.fromkeys(named.get(c, c) for c in used))


def criteria_label(used: dict[str, tuple[float, bool]], language: str = "en") -> str:
    """The :func:`criteria` in a few words in ``language``, for a figure's axis: "size, value, value per customer,
    Churn (lower is better)"."""
    m = i18n.messages(language)
    short, ways = m["targeting"]["short"], m["table"]["direction"]
    return m["list_sep"].join(short.get(c) or short["outcome"].format(
        outcome=plain_label(c.removeprefix(OUTCOME_PREFIX), language),
        direction=ways["higher_is_better" if up else "lower_is_better"]) for c, (_, up) in used.items())


def attractiveness(table: pd.DataFrame, weights: dict[str, float] | None = None,
                   outcomes: dict | list | None = None) -> pd.Series:
    """A score from 0 to 1 per segment: the weighted mean of its rank among the segments (0 least attractive,
    1 most) on each of its :func:`criteria` — an outcome ranked in its direction."""
    scores, total = pd.Series(0.0, index=table.index), pd.Series(0.0, index=table.index)
    n = len(table)
    for c, (w, higher) in criteria(table, weights, outcomes).items():
        r = (table[c].rank(method="average", ascending=higher) - 1) / max(n - 1, 1)
        scores += w * r.fillna(0)
        total += w * r.notna()
    return (scores / total.where(total > 0)).fillna(0)


def criteria_note(used: dict[str, tuple[float, bool]], value: str, outcomes: dict | list | None, language: str
                  ) -> str:
    """The sentence naming what the attractiveness score weighs (and each outcome's direction, and how it is
    known), and the outcomes it leaves out because their direction is not known."""
    m = i18n.messages(language)
    t, ways = m["targeting"], m["table"]["direction"]
    parts = []
    for basis in bases(used):
        if basis in ("size", "growth"):
            parts.append(t["criterion"][basis])
        elif basis == "value":
            parts.append(t["criterion"]["value"].format(column=value or "–"))
        else:
            name = basis.removeprefix(OUTCOME_PREFIX)
            way, known = direction(name, outcomes)
            parts.append(t["criterion"]["outcome"].format(outcome=name, direction=ways[way],
                                                          known=t["known"][known]))
    text = t["criteria"].format(criteria=i18n.join(parts, language))
    unknown = [n for n in outcome_names(outcomes) if direction(n, outcomes)[0] is None]
    return text + "".join(" " + t["unknown_direction"].format(outcome=n) for n in unknown)


def strategy(table: pd.DataFrame, pinned: list | None = None, min_share: float = 0.05, min_reach: float = 0.5,
             used: list[str] | None = None, language: str = "en") -> dict:
    """Choose the targets and the strategy, with the reason in numbers.

    Targeting that rests on fewer than two bases (``used``, :func:`bases`: size alone, say, on a customer table
    without a value column or an outcome of known direction) is no choice: the strategy is :data:`ONE_CRITERION`,
    no segment is picked and the reason says what would give the score more to weigh. Otherwise a segment is a
    target when it is substantial (``share`` or ``value_share`` ≥ ``min_share``, as in 07's scorecard), attractive
    (score ≥ :data:`ATTRACTIVE`) and reachable (``reach`` ≥ ``min_reach``; not judged, nor said, when reach was
    not measured), or when ``pinned`` names it. Then:

    - one target, or one target holding :data:`DOMINANT` × the next one's value → **concentrated** (集中化):
      serve one segment well;
    - three or more targets holding :data:`BROAD` of the value → **differentiated** (差异化): a different offer
      for each of most of the market;
    - otherwise → **multi-segment** (多细分市场 / selective): a few chosen segments, each with its own offer.

    Parameters
    ----------
    used : list of str, optional
        The bases of the score (:func:`bases`); default: those of the table's size, value and growth columns.
    language : str
        The language of the reason.

    Returns
    -------
    dict
        ``strategy``, ``targets`` (segment ids), ``reason`` and ``pinned``.
    """
    t = table.set_index("segment") if "segment" in table else table
    m = i18n.messages(language)["targeting"]
    value = "value_share" if "value_share" in t and t["value_share"].notna().any() else "share"
    basis = m["basis"][value]
    used = bases(criteria(t)) if used is None else used
    worse, left_out = pd.Series(False, index=t.index), ""
    if pinned:
        unknown = [p for p in pinned if p not in t.index]
        if unknown:
            raise ValueError(f"target.segments names segments that do not exist: {unknown} (there are "
                             f"{list(t.index)})")
        targets = list(pinned)
        why = m["pinned"].format(targets=targets)
    elif len(used) < 2:
        return {"strategy": ONE_CRITERION, "targets": [], "pinned": False,
                "reason": m["one_criterion"].format(criterion=m["only"].get(used[0] if used else "size",
                                                                            m["only"]["outcome"]))}
    else:
        measured = "reach" in t and t["reach"].notna().any()
        reach_ok = t["reach"].isna() | (t["reach"] >= min_reach) if measured else True
        # substantial as 07's scorecard has it: enough customers, or enough of the value
        substantial = (t["share"] >= min_share) | (t[value] >= min_share)
        worse = t["worse_on"].fillna("").astype(str).ne("") if "worse_on" in t else worse
        ok = substantial & (t["attractiveness"] >= ATTRACTIVE) & reach_ok
        targets = list(t.index[ok & ~worse])
        # size or value cannot buy back an outcome that is clearly the wrong way: such a segment is won back first
        left_out = "".join(_capitalised(m["worse"].format(name=_name(t, s, language), outcomes=i18n.join(
            [plain_label(o, language) for o in t.loc[s, "worse_on"].split(", ")], language)))
            for s in t.index[ok & worse])
        size = m["size_value" if value != "share" else "size"].format(share=i18n.percent(min_share))
        why = m["why_reach" if measured else "why"].format(size=size, score=ATTRACTIVE,
                                                           reach=i18n.percent(min_reach))
        why += m["why_outcome"] if left_out else ""
    if not targets:
        pool = t["attractiveness"] if worse.all() else t["attractiveness"][~worse]  # a worse one only if all are
        best = pool.idxmax()
        return {"strategy": "concentrated", "targets": [best], "pinned": bool(pinned),
                "reason": m["nobody"].format(why=why, name=_name(t, best, language),
                                             share=i18n.percent(t.loc[best, value]), basis=basis) + left_out}
    chosen = t.loc[targets].sort_values(value, ascending=False)
    held_value, held_share = float(chosen[value].sum()), float(chosen["share"].sum())
    named = i18n.messages(language)["list_sep"].join(
        m["named"].format(name=_name(t, s, language), share=i18n.percent(chosen.loc[s, value]), basis=basis)
        for s in chosen.index)
    together = (m["together_value"] if value != "share" else m["together"]).format(
        customers=i18n.percent(held_share), value=i18n.percent(held_value))
    head = m["head_one" if len(targets) == 1 else "head_many"].format(n=len(targets), why=why, named=named,
                                                                       together=together)
    if len(chosen) == 1 or chosen[value].iloc[0] >= DOMINANT * chosen[value].iloc[1]:
        top = chosen.index[0]
        name = "concentrated"
        ratio = (m["ratio"].format(ratio=f"{chosen[value].iloc[0] / chosen[value].iloc[1]:.1f}") if len(chosen) > 1
                 else "")
        tail = _capitalised(m["concentrated"].format(name=_name(t, top, language),
                                                     share=i18n.percent(chosen[value].iloc[0]), ratio=ratio))
        targets = [top] if not pinned else targets
    elif len(chosen) >= 3 and held_value >= BROAD:
        name = "differentiated"
        tail = m["differentiated"].format(broad=i18n.percent(BROAD), basis=basis)
    else:
        name = "multi-segment"
        tail = m["multi-segment"]
    return {"strategy": name, "targets": [int(s) if isinstance(s, np.integer) else s for s in targets],
            "pinned": bool(pinned), "reason": head + tail + left_out + _unstable(t, targets, language)}


def _unstable(t: pd.DataFrame, targets: list, language: str) -> str:
    """A caution for each target that does not hold together over refits on subsamples (its Jaccard below
    stable, 05 and 07): it may not be the same customers next time, so confirm it before a large campaign."""
    if "stability" not in t:
        return ""
    m = i18n.messages(language)
    verdicts = {s: jaccard_verdict(t.loc[s, "stability"]) for s in targets if pd.notna(t.loc[s, "stability"])}
    return "".join(m["sentence_sep"] + m["targeting"]["unstable"].format(
        name=_name(t, s, language), jaccard=f"{t.loc[s, 'stability']:.2f}", verdict=i18n.word(verdict, language))
        for s, verdict in verdicts.items() if verdict != "stable")


def _capitalised(sentence: str) -> str:
    """A sentence that starts with a segment's name ("segment 2, …") starting with a capital ("Segment 2, …")."""
    i = len(sentence) - len(sentence.lstrip())
    return sentence[:i] + sentence[i:i + 1].upper() + sentence[i + 1:]


def _name(t: pd.DataFrame, seg, language: str = "en") -> str:
    """A segment as a sentence names it: "segment 2, High tenure and high monthly charges" (its number alone when
    it has no name: "segment 2")."""
    m = i18n.messages(language)["targeting"]
    if "name" in t and pd.notna(t.loc[seg, "name"]) and str(t.loc[seg, "name"]):
        return m["segment"].format(segment=seg, name=t.loc[seg, "name"])
    return m["segment_only"].format(segment=seg)


def table(customers: pd.DataFrame, value: str = MONETARY, growth_table: pd.DataFrame | None = None,
          reachable: pd.Series | None = None, stability: pd.DataFrame | None = None,
          names: dict | None = None, weights: dict[str, float] | None = None, segment: str = "segment",
          outcomes: dict | list | None = None) -> pd.DataFrame:
    """The targeting table: one row per segment with the criteria of the module docstring.

    Parameters
    ----------
    customers : DataFrame
        One row per customer: ``segment``, ``value`` (when the data has it), the outcomes and the features.
    value : str
        The value column (:func:`value_column`: net spend, a margin, a customer table's charges).
    growth_table : DataFrame, optional
        From :func:`growth` (indexed by segment).
    reachable : Series of bool, optional
        Per customer (aligned with ``customers``): can be contacted (:func:`custseg.evaluate.reach`).
    stability : DataFrame, optional
        ``segment`` and ``jaccard`` from the segmenter.
    names : dict, optional
        Segment id → name.
    outcomes : dict or list, optional
        The config's ``outcomes``: each one's rate or mean per segment (:func:`outcome_column`), weighed in its
        direction.
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
    worse = {seg: [] for seg in out.index}  # the outcomes each segment is clearly worse on, as its card says
    for name in outcome_names(outcomes):
        if name in customers:
            out[outcome_column(name)] = g[name].mean()
            way = direction(name, outcomes)[0]
            for seg, r in profile.outcome_apart(customers, name, segment).iterrows():
                if r["differs"] and profile.outcome_verdict(r["higher"], way) == "worse":
                    worse[seg].append(name)
    out["worse_on"] = pd.Series({seg: ", ".join(names) for seg, names in worse.items()})
    out["attractiveness"] = attractiveness(out, weights, outcomes)
    out.insert(0, "name", pd.Series(names or {}, dtype="str").reindex(out.index) if names else pd.NA)
    return out.rename_axis("segment").reset_index()


def value_column(margin: str | None, customers: pd.DataFrame, choice: ValueChoice | None = None,
                 language: str = "en") -> tuple[str, str]:
    """The column that measures value for targeting, and a sentence saying which.

    ``target.margin_column`` (a margin replaces the value) when set; else the run's value column
    (:func:`custseg.describe.value_column`: ``value_column``, net spend, or found by its name); "" when there is
    none. ``choice`` defaults to net spend when the table has it.
    """
    m = i18n.messages(language)
    if margin:
        if margin not in customers:
            raise ConfigError(f"target.margin_column: the customer table has no column {margin!r}")
        return margin, m["value"]["margin"].format(column=margin)
    if choice is None:
        choice = ValueChoice(MONETARY, "spend") if MONETARY in customers else ValueChoice(None, "none")
    return choice.column or "", choice.note(m)


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


def bad_outcome(customers: pd.DataFrame, outcomes: dict | list | None) -> tuple[pd.Series, list[str]]:
    """Per customer: whether an outcome says they left or failed — a 0/1 outcome whose higher value is worse
    (:func:`custseg.attributes.direction`, declared or read off the name: churn, cancelled, default …) at 1 —, and
    the outcomes that decide it. A higher-is-better outcome at 0 (not bought yet) is a prospect, not bad."""
    bad, used = pd.Series(False, index=customers.index), []
    for name in outcome_names(outcomes):
        if name in customers and direction(name, outcomes)[0] == LOWER and is_flag(customers[name]):
            bad |= customers[name].eq(1).fillna(False).astype(bool)
            used.append(name)
    return bad, used


def audiences(customers: pd.DataFrame, cards: list[dict], choice: dict, contacts: pd.DataFrame, consent: list[str],
              language: str, outcomes: dict | list | None = None, fits=None
              ) -> tuple[dict[str, pd.DataFrame | str], list[dict]]:
    """Per target segment an audience table ``segment_<id>.csv`` (customer id, segment, the offer and why, the
    customer's main channel and consent flags) and a one-page summary ``segment_<id>.md``. Customers whose outcome
    says they left (:func:`bad_outcome`: churned) are no cross-sell audience: they go to
    ``segment_<id>_win_back.csv`` (same columns) instead. An offer is made to whom it fits: a rule A → B to the
    members who have A but not B, a cross-sell gap B to those without B: ``fits(customers, items)`` (08 passes
    :func:`custseg.offers.audience_fit` on its offers) gives whom the card's ``offer_items`` fit (None: all) and
    the words saying so.

    Returns the files (name → table or text) and a list saying what each target's files hold (``excluded``: how
    many went to the win-back file, ``win_back`` its name or None; ``who``: the audience in words).
    """
    by_id = {c["segment"]: c for c in cards}
    channels = channel_columns(customers)
    by_customer = contacts.set_index("customer_id")
    gone, _ = bad_outcome(customers, outcomes)
    files, out = {}, []
    for seg in choice["targets"]:
        card = by_id[seg]
        members = customers[customers["segment"] == seg]
        left = members[gone.loc[members.index]]
        who = members[~gone.loc[members.index]]
        fit, words = fits(who, card.get("offer_items")) if fits is not None else (None, None)
        if fit is not None:
            who = who[fit]
        else:  # no offer that says whom it fits: the whole segment (but those who left)
            words = i18n.messages(language)["offers"]["audience_segment"]
        said = words.format(customers=i18n.integer(len(who)))
        if len(left):
            files[f"segment_{seg}_win_back.csv"] = pd.DataFrame({
                "customer_id": left["customer_id"], "segment_id": seg, "segment_name": card["name"]})
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
            else {}, strategy=choice["strategy"], reason=choice["reason"], who=said)
        out.append({"segment": seg, "name": card["name"], "customers": len(audience), "file": f"segment_{seg}.csv",
                    "who": said,
                    "summary": f"segment_{seg}.md", "excluded": len(left),
                    "win_back": f"segment_{seg}_win_back.csv" if len(left) else None})
    return files, out


def audience_record(audiences_: list[dict], positioned: pd.DataFrame, customers: pd.DataFrame,
                    outcomes: dict | list | None) -> dict:
    """What 08 records of its audiences and positioning, for "What we did" (:mod:`custseg.report.recap`): how
    many audience files and customers, the win-back customers, their files and the outcomes that sent them there,
    and the segments positioned (``positioning.csv``) with its rows."""
    return {"audiences": len(audiences_), "audience_customers": int(sum(a["customers"] for a in audiences_)),
            "win_back_customers": int(sum(a["excluded"] for a in audiences_)),
            "win_back_files": [a["win_back"] for a in audiences_ if a.get("win_back")],
            "win_back_by": bad_outcome(customers, outcomes)[1],
            "positioned": positioned["segment"].drop_duplicates().tolist() if len(positioned) else [],
            "positioning_rows": len(positioned)}


def excluded_note(audiences_: list[dict], outcomes: dict | list | None, customers: pd.DataFrame, language: str
                  ) -> str:
    """The sentence saying how many target customers :func:`audiences` left out for a bad outcome ("" when none)."""
    n = sum(a.get("excluded", 0) for a in audiences_)
    if not n:
        return ""
    files = ", ".join(a["win_back"] for a in audiences_ if a.get("win_back"))
    return i18n.messages(language)["offers"]["excluded"].format(
        n=f"{n:,}", outcomes=", ".join(bad_outcome(customers, outcomes)[1]), files=f"audiences/{files}")


def tables(customers: pd.DataFrame, segmentations_: dict[str, tuple[pd.DataFrame, dict]], value: str,
           spend: pd.DataFrame | None, reachable: pd.Series | None, stability: pd.DataFrame | None,
           weights: dict[str, float], outcomes: dict | list | None = None) -> dict[str, pd.DataFrame]:
    """The targeting :func:`table` of each segmentation (the clusters carry their stability), each outcome
    weighed in its direction."""
    out = {}
    for name, (seg, names) in segmentations_.items():
        rows = customers.drop(columns="segment").merge(seg, on="customer_id", validate="one_to_one")
        grown = None if spend is None else growth(spend, seg)
        reach = None if reachable is None else reachable.set_axis(customers["customer_id"]).reindex(
            rows["customer_id"]).set_axis(rows.index)
        out[name] = table(rows, value or "_none", grown, reach, stability if name == "clusters" else None, names,
                          weights, outcomes=outcomes)
    return out
