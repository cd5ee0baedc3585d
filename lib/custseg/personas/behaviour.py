"""Persona cards of a transaction log (with a CRM and a survey when there are): named by value level, activity,
life stage and motive; the strategy follows from value and activity and is sharpened by motive and life stage
(see :mod:`custseg.personas`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg import i18n, profile
from custseg.personas.cards import _disambiguate, _rule, _values
from custseg.schema import MONETARY

MOTIVES = {"deal": ["discount_share", "survey_price_sensitivity"], "trend": ["survey_novelty_seeking"],
           "health": ["survey_health_consciousness"], "quality": ["survey_quality_focus"],
           "brand": ["survey_brand_loyalty"]}
LARGE_EFFECT = 0.8  # effect size for a motive to name the segment
PROMINENT = 115  # index from which a demographic value is worth a sentence


def value_level(spend_index: float) -> str:
    """'high' (net spend index ≥ 150), 'low' (< 40) or 'mid'."""
    return "high" if spend_index >= 150 else "low" if spend_index < 40 else "mid"


def activity(recency_days: float, frequency: float, gap_days: float) -> str:
    """'active', 'lapsing', 'dormant' — or 'new' / 'one_time' for segments whose typical customer placed under two
    orders (``frequency`` is the segment's median: a few heavy buyers lift the mean of a segment of one-time buyers
    above two)."""
    if frequency < 2:
        return "new" if recency_days <= 90 else "one_time"
    gap = 0.0 if np.isnan(gap_days) else gap_days
    if recency_days <= max(45, 1.5 * gap):
        return "active"
    return "lapsing" if recency_days <= max(180, 4 * gap) else "dormant"


def core(level: str, act: str) -> str:
    """The key of a (value level, activity) pair in the catalogue's ``name.core`` and ``strategy``: first-time and
    one-time buyers are told apart only when their one order was large (``new_high``, ``one_time_high``)."""
    if act in ("new", "one_time"):
        return f"{act}_high" if level == "high" else act
    return f"{level}_{act}"


def motive(effects: pd.Series) -> str | None:
    """The strongest motive with a large effect size, or None."""
    best = {m: effects.reindex(cols).max() for m, cols in MOTIVES.items()}
    best = {m: d for m, d in best.items() if pd.notna(d) and d >= LARGE_EFFECT}
    return max(best, key=best.get) if best else None


def stage(age: float) -> str | None:
    """'young' (average age < 30), 'silver' (≥ 55) or None."""
    if age is None or np.isnan(age):
        return None
    return "young" if age < 30 else "silver" if age >= 55 else None


def name(key: str, stage_key: str | None, motive_key: str | None, language: str = "en") -> str:
    """The persona name from its parts, e.g. ('mid_active', 'young', 'trend') → 'Young trend-seeking regulars'."""
    n = i18n.messages(language)["name"]
    text = n["pattern"].format(stage=n["stage"].get(stage_key, ""), motive=n["motive"].get(motive_key, ""),
                               core=n["core"][key])
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]


def strategy(key: str, motive_key: str | None = None, stage_key: str | None = None, language: str = "en",
             items: bool = True) -> str:
    """The recommended strategy: the plan for the value level and activity (``key``, see :func:`core`), then how
    to lead for the segment's motive and life stage, so that segments alike in value and activity get different
    advice, e.g. ('mid_active', 'deal', None) → 'Recommend adjacent categories, … Lead with value: …'. Without
    ``items`` (a log with no categories or products) the plan names no product: it cannot say which."""
    m = i18n.messages(language)
    plan = (None if items else m["strategy_no_items"].get(key)) or m["strategy"][key][1]
    parts = [plan, m["strategy_motive"].get(motive_key, ""), m["strategy_stage"].get(stage_key, "")]
    return m["sentence_sep"].join(x for x in parts if x)


def headline(key: str, motive_key: str | None = None, language: str = "en") -> str:
    """The strategy in a few words, e.g. ('mid_active', 'deal') → 'Upsell and cross-sell: lead with value'."""
    m = i18n.messages(language)
    core_text, lead = m["strategy"][key][0], m["strategy_lead"]
    return lead["pattern"].format(core=core_text, lead=lead[motive_key]) if motive_key in MOTIVES else core_text


def kpis(act: str, motive_key: str | None = None, language: str = "en") -> list[str]:
    """The KPIs to watch: those of the activity (retention for the active, reactivation for the lapsed…) and
    those that tell whether the motive-specific offer works (e.g. margin after discounts for deal seekers)."""
    m = i18n.messages(language)
    return [*m["kpis"][act], *m["kpis_motive"].get(motive_key, [])]


def _small_orders(level: str, act: str, p: pd.Series, language: str) -> tuple[str, list[str]]:
    """For first-time and one-time buyers whose orders are small: the sentence and KPI that raise the order value."""
    if level != "low" or act not in ("new", "one_time"):
        return "", []
    m = i18n.messages(language)
    return m["small_orders"]["strategy"].format(aov=i18n.number(p.get("avg_order_value", np.nan))), \
        list(m["small_orders"]["kpis"])


def build(customers: pd.DataFrame, prof: pd.DataFrame, idx: pd.DataFrame, rfm_scores: pd.DataFrame,
          language: str = "en", segment: str = "segment", rules: profile.Surrogate | None = None) -> list[dict]:
    """One persona card (dict) per segment, largest first.

    Parameters
    ----------
    customers : DataFrame
        Features with a ``segment`` column.
    prof, idx : DataFrame
        From :func:`custseg.profile.profile` and :func:`custseg.profile.index_table`.
    rfm_scores : DataFrame
        From :func:`custseg.rfm.rfm_table` (for the most common RFM segment).
    language : {'en', 'zh'}
        Language of the names and text.
    rules : Surrogate, optional
        From :func:`custseg.profile.surrogate`: each card then says how to recognise the segment.

    Returns
    -------
    list of dict
        Keys: segment, name, tagline, customers, share, value_share, spend, spend_index, top_rfm, who, how,
        values, narrative (who + how + values), strategy_headline, strategy, actions, kpis, rule, language.
    """
    m = i18n.messages(language)
    top_rfm = (customers[["customer_id", segment]].merge(rfm_scores[["customer_id", "rfm_segment"]], on="customer_id")
               .groupby(segment)["rfm_segment"].agg(lambda s: s.mode().iloc[0]))
    medians = profile.profile(customers, segment, stat="median")
    effects = profile.effect_sizes(customers, segment)
    comps = profile.compositions(customers, segment)
    cards, items = [], any(str(c).startswith("share_cat_") for c in customers.columns)
    for seg in idx.index:
        p, i, d = prof.loc[seg], idx.loc[seg], effects.loc[seg]
        comp = comps[comps[segment] == seg]
        level = value_level(i.get(MONETARY, 100))
        act = activity(p.get("recency_days", 0), medians.loc[seg].get("frequency", 2),
                       p.get("interpurchase_days", np.nan))
        key, mot, life = core(level, act), motive(d), stage(p.get("age", np.nan))
        categories = _top(comp, "category", language, 2)
        channels = _top(comp, "channel", language, 2)
        small, small_kpis = _small_orders(level, act, p, language)
        card = {
            "segment": int(seg), "name": name(key, life, mot, language),
            "tagline": " · ".join(x for x in (i18n.join(categories, language), *channels[:1]) if x),
            "customers": int(p["customers"]), "share": float(p["share"]), "value_share": float(p["value_share"]),
            "spend": float(p[MONETARY]), "spend_index": float(i[MONETARY]),
            "top_rfm": i18n.value_label("rfm", str(top_rfm.get(seg, "")), language),
            "who": _who(p, i, comp, language),
            "how": _how(p, i, medians.loc[seg], comp, act, language),
            "values": _values(customers, seg, d, segment, language),
            "strategy_headline": headline(key, mot, language),
            "strategy": m["sentence_sep"].join(x for x in (strategy(key, mot, life, language, items), small) if x),
            "actions": _actions(p, i, mot, categories, channels, language),
            "kpis": [*kpis(key if key in m["kpis"] else act, mot, language), *small_kpis],
            "rule": _rule(rules, seg, language, segment),
            "main_channel": channels[0] if channels else "", "language": language,
        }
        card["narrative"] = m["sentence_sep"].join(x for x in (card["who"], card["how"], card["values"]) if x)
        cards.append(card)
    _disambiguate(cards, language, customers, segment)
    return sorted(cards, key=lambda c: -c["customers"])


def _top(comp: pd.DataFrame, variable: str, language: str, n: int) -> list[str]:
    """The ``n`` largest values of a channel/category mix (each ≥ 10 %), as readable names."""
    part = comp[(comp["variable"] == variable) & (comp["share"] >= 0.1)].nlargest(n, "share")
    return [i18n.value_label(variable, v, language) for v in part["value"]]


def _items(comp: pd.DataFrame, variable: str, language: str, n: int = 3) -> str:
    m = i18n.messages(language)
    part = comp[(comp["variable"] == variable) & (comp["share"] >= 0.1)].nlargest(n, "share")
    return i18n.join([m["how"]["item"].format(value=i18n.value_label(variable, v, language), share=i18n.percent(s))
                      for v, s in zip(part["value"], part["share"], strict=True)], language)


def _who(p: pd.Series, i: pd.Series, comp: pd.DataFrame, language: str) -> str:
    m, pct = i18n.messages(language), i18n.percent
    out = [m["who"]["size"].format(customers=i18n.integer(p["customers"]), share=pct(p["share"]),
                 value_share=pct(p["value_share"]), spend=i18n.number(p[MONETARY]),
                 spend_index=i18n.integer(i[MONETARY]))]
    bands = comp[comp["variable"] == "age_band"]
    if "age" in p and pd.notna(p["age"]) and len(bands):
        top = bands.loc[bands["share"].idxmax()]
        out.append(m["who"]["age"].format(age=i18n.integer(p["age"]), band=top["value"], band_share=pct(top["share"]),
                         band_base=pct(top["base_share"])))
    for variable in ("gender", "city_tier", "membership_tier", "acquisition_channel"):
        rows = comp[comp["variable"] == variable]
        if rows.empty:
            continue
        top = rows.loc[rows["share"].idxmax()]
        if variable in ("gender", "city_tier") or top["index"] >= PROMINENT:
            out.append(m["who"][variable].format(share=pct(top["share"]), base=pct(top["base_share"]),
                             value=i18n.value_label(variable, top["value"], language)))
    return m["sentence_sep"].join(out)


def _how(p: pd.Series, i: pd.Series, med: pd.Series, comp: pd.DataFrame, act: str, language: str) -> str:
    m, num = i18n.messages(language), i18n.number
    facts = dict(frequency=num(p["frequency"]), frequency_index=i18n.integer(i["frequency"]),
                 gap=i18n.integer(p.get("interpurchase_days", np.nan)), aov=num(p["avg_order_value"]),
                 aov_index=i18n.integer(i["avg_order_value"]), recency=i18n.integer(p["recency_days"]),
                 recency_median=i18n.integer(med["recency_days"]))
    out = [m["how"]["one_time" if act in ("new", "one_time") else "repeat"].format(**facts)]
    for variable, key in (("channel", "channels"), ("category", "categories")):
        items = _items(comp, variable, language)
        if items:
            out.append(m["how"][key].format(items=items))
    # a log without discounts (or returns) has no index for them (the base is 0): nothing to say about them
    if pd.notna(i.get("discount_share")):
        out.append(m["how"]["discount"].format(discount=i18n.percent(p["discount_share"]),
                                               discount_index=i18n.integer(i["discount_share"])))
    if pd.notna(i.get("return_rate")):
        out.append(m["how"]["returns"].format(returns=i18n.percent(p["return_rate"]),
                                              returns_index=i18n.integer(i["return_rate"])))
    return m["sentence_sep"].join(out)


def _actions(p: pd.Series, i: pd.Series, mot: str | None, categories: list[str], channels: list[str],
             language: str) -> list[str]:
    m = i18n.messages(language)["actions"]
    out = []
    if channels:
        out.append(m["channel"].format(channels=i18n.join(channels, language)))
    if categories:
        out.append(m["offer"][mot or "none"].format(categories=i18n.join(categories, language)))
    if mot != "deal" and i.get("discount_share", 100) < 50:
        out.append(m["no_discount"].format(discount=i18n.percent(p["discount_share"])))
    return out
