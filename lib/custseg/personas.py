"""Personas (客户画像): a name, a narrative grounded in the profile, a strategy and KPIs per segment.

The name is built from the profile, e.g. "Young trend-seeking regulars":

* **core** — value level (net spend index: high ≥ 150, low < 40, else mid) and activity: *active* when the
  average customer's last purchase is no older than max(45 days, 1.5 × their usual gap between orders),
  *lapsing* up to max(180 days, 4 × the gap), else *dormant*; segments averaging under two orders are
  *first-time buyers* (last purchase ≤ 90 days ago) or *lapsed one-time buyers*;
* **stage** — *young* (average age < 30) or *silver* (≥ 55);
* **motive** — the strongest of deal-seeking (discount share, survey price sensitivity), trend-seeking,
  health-conscious, quality-focused and brand-loyal (survey items) when its effect size is large (d ≥ 0.8).

The strategy follows from value and activity (reward and retain, win back, upsell, nurture…) and is
sharpened by the motive and life stage (lead with value, newness, expertise…); KPIs follow from activity and
motive; channels and offers follow from how the segment buys. Every sentence is filled from the numbers of the profile;
the words come from the language's catalogue (``templates/<language>/messages.yaml``) and the cards are
rendered with ``templates/persona.{md,html}.j2``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from custseg import attributes, i18n, profile, stats
from custseg.attributes import is_flag
from custseg.schema import MONETARY

MOTIVES = {"deal": ["discount_share", "survey_price_sensitivity"], "trend": ["survey_novelty_seeking"],
           "health": ["survey_health_consciousness"], "quality": ["survey_quality_focus"],
           "brand": ["survey_brand_loyalty"]}
LARGE_EFFECT = 0.8  # effect size for a motive to name the segment
SURVEY_EFFECT = 0.5  # effect size for a survey item to be mentioned as above/below average
PROMINENT = 115  # index from which a demographic value is worth a sentence


def value_level(spend_index: float) -> str:
    """'high' (net spend index ≥ 150), 'low' (< 40) or 'mid'."""
    return "high" if spend_index >= 150 else "low" if spend_index < 40 else "mid"


def activity(recency_days: float, frequency: float, gap_days: float) -> str:
    """'active', 'lapsing', 'dormant' — or 'new' / 'one_time' for segments averaging under two orders."""
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


def strategy(key: str, motive_key: str | None = None, stage_key: str | None = None, language: str = "en") -> str:
    """The recommended strategy: the plan for the value level and activity (``key``, see :func:`core`), then how
    to lead for the segment's motive and life stage, so that segments alike in value and activity get different
    advice, e.g. ('mid_active', 'deal', None) → 'Recommend adjacent categories, … Lead with value: …'."""
    m = i18n.messages(language)
    parts = [m["strategy"][key][1], m["strategy_motive"].get(motive_key, ""), m["strategy_stage"].get(stage_key, "")]
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
    cards = []
    for seg in idx.index:
        p, i, d = prof.loc[seg], idx.loc[seg], effects.loc[seg]
        comp = comps[comps[segment] == seg]
        level = value_level(i.get(MONETARY, 100))
        act = activity(p.get("recency_days", 0), p.get("frequency", 2), p.get("interpurchase_days", np.nan))
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
            "strategy": m["sentence_sep"].join(x for x in (strategy(key, mot, life, language), small) if x),
            "actions": _actions(p, i, mot, categories, channels, language),
            "kpis": [*kpis(key if key in m["kpis"] else act, mot, language), *small_kpis],
            "rule": _rule(rules, seg, language, segment),
            "main_channel": channels[0] if channels else "", "language": language,
        }
        card["narrative"] = m["sentence_sep"].join(x for x in (card["who"], card["how"], card["values"]) if x)
        cards.append(card)
    _disambiguate(cards, language, customers, segment)
    return sorted(cards, key=lambda c: -c["customers"])


TRAIT_EFFECT = 0.5  # standardised difference from which a column sets a segment apart (Cohen's d, medium)
NAME_TRAITS = 2  # a customer-table persona is named by its strongest traits
OUTCOME_RATIO = np.log(1.25)  # a binary outcome 25 % above (or 20 % below) the base sets the strategy
STORY_TRAITS = 5
DRIVERS = 2  # at most this many of a segment's traits named as what goes with its worse outcome
GAP_BASE = 0.5  # something most customers hold (≥ 50 %) that a segment holds at most half as often: sell it
VALUE_RICH = 1.5  # a segment whose share of the value column is 1.5 × its share of customers is worth attention


def _label(column: str, language: str = "en", items=()) -> str:
    return profile.plain_label(column, language, items)


def is_code(column: str) -> bool:
    """Whether a column name is a code (MOPLLAAG, PPERSAUT): capitals and digits only, no word a reader knows; a
    persona is never named by it (its card still describes the column)."""
    return bool(re.fullmatch(r"[A-Z][A-Z0-9]{3,}", str(column)))


TRAIT_COLUMNS = ["column", "words", "kind", "label", "strength", "value", "base", "name", "holds", "thing", "members",
                 "held", "held_base"]


def traits(customers: pd.DataFrame, columns: list[str], seg, segment: str = "segment",
           labels: dict[str, dict] | None = None, language: str = "en") -> pd.DataFrame:
    """What sets segment ``seg`` apart on ``columns``, strongest first: one row per numeric column (effect size
    d vs the other customers) and per label of a categorical column (share vs the base, as the standardised
    difference of proportions), each with ``value`` and ``base``, its ``name`` in words
    (:func:`custseg.profile.label_phrase`: "month-to-month contract", "no internet service", "high tenure"),
    whether it says the segment has or lacks something (``holds``: "has" / "lacks" / None, and the ``thing``)
    ``members``: which customers of the whole table share the trait (a boolean array), and ``held`` /
    ``held_base``: the share of the segment and of all customers who do.

    Ordinal columns (``labels``: column → {code: label}, :func:`custseg.attributes.ordinal_labels`; an empty
    mapping shows the code itself) are described like categories, by the share of each label, never by a mean
    of codes. Only differences of at least :data:`TRAIT_EFFECT` are kept; a column that splits the segment from the
    rest without overlap (all of them hold the yes/no plan, none of the others do) has strength ±inf and leads.
    """
    part, rows = customers[customers[segment] == seg], []
    rest = customers[customers[segment] != seg]
    labels, t, items = labels or {}, i18n.messages(language)["table"], tuple(customers.columns)
    for col in columns:
        values = customers[col]
        if col in labels:  # codes of an ordered scale: their labels, as a category's
            name_of = lambda v, names=labels[col]: names.get(v, f"{v:g}") if pd.notna(v) else None  # noqa: E731
            if np.isinf(profile.standardised_difference(part[[col]], rest[[col]])[col]):  # a range only they hold
                low, high = part[col].min(), part[col].max()
                span = name_of(low) if low == high else f"{name_of(low)}–{name_of(high)}"
                members = values.between(low, high).to_numpy()
                rows.append({"column": col, "kind": "categorical", "label": span, "strength": np.inf, "value": 1.0,
                             "base": float(members.mean()), "name": profile.label_phrase(col, span, language),
                             "holds": None, "thing": None, "members": members})
                continue
            values = values.map(name_of)
            part, rest = part.assign(**{col: values[part.index]}), rest.assign(**{col: values[rest.index]})
        if pd.api.types.is_numeric_dtype(values):
            d = profile.standardised_difference(part[[col]], rest[[col]])[col]  # ±inf: a perfect separator
            if np.isnan(d):
                continue
            if is_flag(values):
                members = (values == (1.0 if d > 0 else 0.0)).to_numpy()
                rows.append({"column": col, "kind": "binary", "label": None, "strength": d, "value": part[col].mean(),
                             "base": values.mean(), "name": profile.flag_phrase(col, d > 0, language),
                             "holds": "has" if d > 0 else "lacks", "thing": _label(col, language),
                             "members": members})
            else:
                members = (values > values.median() if d > 0 else values < values.median()).to_numpy()
                way = ("factor_" if str(col).startswith("factor_") else "") + ("high" if d > 0 else "low")
                rows.append({"column": col, "kind": "numeric", "label": None, "strength": d, "value": part[col].mean(),
                             "base": values.mean(), "name": t[way].format(column=_label(col, language, items)),
                             "holds": None, "thing": None, "members": members})
        else:
            base = values.value_counts(normalize=True)
            share = part[col].value_counts(normalize=True).reindex(base.index, fill_value=0.0)
            for label in base.index:
                b = base[label]
                if 0 < b < 1:
                    only_here = share[label] == 1 and not (rest[col] == label).any()  # a perfect separator
                    how, thing = profile.holding(col, label, language)
                    rows.append({"column": col, "kind": "categorical", "label": label,
                                 "strength": np.inf if only_here else (share[label] - b) / np.sqrt(b * (1 - b)),
                                 "value": share[label], "base": b, "name": profile.label_phrase(col, label, language),
                                 "holds": None if how == "label" else how, "thing": thing,
                                 "members": (values == label).to_numpy()})
    inside = (customers[segment] == seg).to_numpy()
    for row in rows:  # the column in words; the share of the segment, and of everyone, who match the trait
        row["words"] = _label(row["column"], language, items)
        row["held"], row["held_base"] = float(row["members"][inside].mean()), float(row["members"].mean())
    out = pd.DataFrame(rows, columns=TRAIT_COLUMNS)
    out = out[(out["strength"].abs() >= TRAIT_EFFECT) & ~((out["kind"] == "categorical") & (out["strength"] < 0))]
    out = out.reindex(out["strength"].abs().sort_values(ascending=False, kind="stable").index)
    # one row per column, and one per fact: "No internet service" in six add-on columns is said once
    return out.drop_duplicates("column").drop_duplicates("name")


LABEL_STRENGTH = 1.0  # a label this far from the base takes a place in the name beside numbers


def _named_by(found: pd.DataFrame, n: int | None = None) -> list[str]:
    """The phrases a persona may be named by, strongest first, never a raw column code; with ``n``, the first
    ``n`` of them, of which one a label or yes/no trait when one sets the segment clearly apart
    (:data:`LABEL_STRENGTH`): "Low tenure and month-to-month contract", not "Low tenure and high charges"."""
    usable = found.loc[~found["column"].map(is_code).astype(bool)]
    names = list(usable["name"])
    if n is None or len(names) <= n:
        return names[:n]
    chosen = names[:n]
    labelled = usable[usable["kind"] != "numeric"]
    if (usable["kind"].iloc[:n] == "numeric").all() and len(labelled) and labelled["strength"].abs().iloc[0] \
            >= LABEL_STRENGTH:
        chosen[-1] = labelled["name"].iloc[0]
    return chosen


def _drivers(customers: pd.DataFrame, found: pd.DataFrame, outcome: str, way: str | None) -> list[dict]:
    """The traits of a segment that go with a worse 0/1 ``outcome`` across the whole base: among all customers
    who share the trait the outcome is 25 % worse than the base, by its direction (:data:`OUTCOME_RATIO`)."""
    if way is None or not is_flag(customers[outcome]) or not customers[outcome].mean():
        return []
    base, out = customers[outcome].mean(), []
    for row in found.head(STORY_TRAITS).itertuples():
        held = customers.loc[row.members, outcome]
        if held.notna().sum() == 0:
            continue
        ratio = held.mean() / base
        worse = ratio > 1 if way == attributes.LOWER else ratio < 1
        if worse and _clearly(ratio):
            out.append({"phrase": row.name, "value": held.mean(), "share": row.held})
    return out[:DRIVERS]


def _clearly(ratio: float) -> bool:
    """A rate clearly off the base: 25 % above or 20 % below it (:data:`OUTCOME_RATIO`), or none at all."""
    return bool(pd.notna(ratio) and (ratio == 0 or abs(np.log(ratio)) >= OUTCOME_RATIO))


def _gap(found: pd.DataFrame, columns: list[str]) -> dict | None:
    """Something most customers hold and this segment mostly does not (:data:`GAP_BASE`): the thing to sell them,
    e.g. internet service to a phone-only segment. Demographic columns (partner, dependents) are never a gap."""
    people = set(attributes.demographic_columns(columns))
    for row in found[found["holds"] == "lacks"].itertuples():
        if row.column in people:
            continue
        own, base = (row.value, row.base) if row.kind == "binary" else (1 - row.value, 1 - row.base)
        if base >= GAP_BASE and own <= base / 2:
            return {"thing": row.thing, "value": own, "base": base}
    return None


def build_from_table(customers: pd.DataFrame, columns: list[str], outcomes: dict | list | tuple = (),
                     language: str = "en", segment: str = "segment", rules: profile.Surrogate | None = None,
                     labels: dict[str, dict] | None = None, value: str | None = None) -> list[dict]:
    """Persona cards for a customer table without an order log: named and told by what really sets each segment
    apart on its clustering ``columns`` (:func:`traits`), with the ``outcomes`` (churn, revenue) it is judged by:
    the config's mapping name → direction, or a list of names.

    * **Names** join the plain words of the strongest traits ("Month-to-month contract and low tenure"); where
      two segments would share a name, each gets what tells it from the other (its traits against that segment
      alone) in brackets — never a number (:func:`_tell_apart`).
    * **Strategy and KPIs follow what sets the segment apart.** The first outcome that clearly differs
      (a 0/1 outcome 25 % off the base, a number by d ≥ 0.5) decides by its direction (:func:`outcome_verdict`):
      where it is worse, its *drivers* (the segment's traits that go with the worse outcome across the whole
      base) are what to act on and to watch; something most customers hold and the segment lacks is what to sell
      it (internet service to phone-only subscribers); where the outcome is better, protect it; where its
      direction is unknown, find out what it means. KPIs are those drivers, that gap or the strongest trait,
      with today's value, besides the outcomes and the segment's size.
    * ``value`` (a column that measures value, such as monthly charges) adds the segment's share of it.

    ``labels`` (:func:`custseg.attributes.ordinal_labels`) makes ordinal columns read as label shares. No spend,
    RFM, channel or category is said: the data has none. Returns cards with the keys of :func:`build`
    (``spend`` and ``spend_index`` None, ``value_share`` None without ``value``, ``top_rfm`` empty).
    """
    m = i18n.messages(language)
    t, pct = m["table"], i18n.percent
    effects = profile.effect_sizes(customers, segment)
    value = value if value and value in customers and pd.api.types.is_numeric_dtype(customers[value]) else None
    cards, named = [], {}
    for seg, part in customers.groupby(segment):
        found = traits(customers, columns, seg, segment, labels, language)
        named[seg] = _named_by(found, NAME_TRAITS)
        share = len(part) / len(customers)
        who = [t["size"].format(customers=i18n.integer(len(part)), share=pct(share))]
        value_share = None
        if value:
            value_share = float(part[value].sum() / customers[value].sum()) if customers[value].sum() else None
            who.append(t["value"].format(value_share=pct(value_share), column=_label(value, language),
                                         value=i18n.number(part[value].mean()),
                                         base=i18n.number(customers[value].mean())))
        for row in found[found["column"] != value].head(STORY_TRAITS).itertuples():  # the value line said it
            if row.kind == "categorical":
                who.append(t["share"].format(share=pct(row.value), phrase=row.name, base=pct(row.base)))
            elif row.kind == "binary":
                who.append(t["binary"].format(share=pct(row.value), column=row.words, base=pct(row.base)))
            else:
                who.append(t["numeric"].format(column=row.words, value=i18n.number(row.value),
                                               base=i18n.number(row.base)))
        if found.empty:
            who.append(t["close"])
        judged, decided, drivers = [], {}, []
        for col in attributes.outcome_names(outcomes):
            rate, way = is_flag(customers[col]), attributes.direction(col, outcomes)[0]
            mean, base = part[col].mean(), customers[col].mean()
            if rate:
                ratio = mean / base if base else np.nan
                differs, higher = _clearly(ratio), ratio > 1
            else:
                d = effects.loc[seg].get(col, np.nan)
                differs, higher = pd.notna(d) and abs(d) >= TRAIT_EFFECT, mean > base
            shown = dict(value=pct(mean) if rate else i18n.number(mean), base=pct(base) if rate else i18n.number(base))
            if differs and not decided:  # the first outcome that clearly differs here decides what to do first
                decided = {"column": _label(col, language), "name": col, "side": t["sides"]["higher" if higher
                                                                                            else "lower"],
                           "key": outcome_verdict(higher, way), **shown}
                if decided["key"] == "worse":
                    drivers = _drivers(customers, found, col, way)
            judged.append(t["outcome_rate" if rate else "outcome_mean"].format(
                column=_label(col, language), direction=t["direction"][way or "unknown"], **shown))
        gap = _gap(found, columns)
        focus = i18n.join(named[seg], language) or t["no_trait"]
        headline, strategy = _plan(t, decided, drivers, gap, focus, language)
        if value_share is not None and share and value_share / share >= VALUE_RICH:
            strategy = m["sentence_sep"].join([strategy, t["value_rich"].format(
                value_share=pct(value_share), column=_label(value, language), share=pct(share))])
        card = {"segment": int(seg), "name": "", "tagline": "",
                "customers": int(len(part)), "share": float(share), "value_share": value_share,
                "spend": None, "spend_index": None, "top_rfm": "", "who": _sentences(who, language),
                "how": "", "outcomes": _sentences(judged, language),
                "values": _values(customers, seg, effects.loc[seg], segment, language),
                "strategy_headline": headline, "strategy": _sentences([strategy], language),
                "actions": [], "kpis": _table_kpis(customers, part, found, outcomes, decided, drivers, gap, value,
                                                   language),
                "rule": _rule(rules, seg, language, segment), "main_channel": "", "language": language,
                "_coded": bool(len(found))}
        card["narrative"] = m["sentence_sep"].join(x for x in (card["who"], card["outcomes"], card["values"]) if x)
        cards.append(card)
    for card, text in zip(cards, _tell_apart(customers, columns, named, segment, labels, language), strict=True):
        if not text:
            text = t["coded"].format(segment=card["segment"]) if card["_coded"] else t["no_trait"]
        card["name"] = _capital(text, language)
        del card["_coded"]
    plain = [c for c in columns if pd.api.types.is_numeric_dtype(customers[c]) and c not in (labels or {})
             and not is_flag(customers[c]) and not is_code(c)]  # a name never shows a code
    _disambiguate(cards, language, customers, segment, plain)
    return sorted(cards, key=lambda c: -c["customers"])


def _capital(text: str, language: str) -> str:
    """A name or sentence starting with a capital in English ("monthly charges: …" → "Monthly charges: …")."""
    return text[:1].upper() + text[1:] if language == "en" else text


def _sentences(parts: list[str], language: str) -> str:
    """Sentences joined, each starting with a capital (a sentence may start with a column's name in words)."""
    m = i18n.messages(language)
    return m["sentence_sep"].join(_capital(x, language) for x in parts if x)


def _plan(t: dict, decided: dict, drivers: list[dict], gap: dict | None, focus: str, language: str
          ) -> tuple[str, str]:
    """The strategy headline and text of a customer-table segment: act on a worse outcome's drivers, sell what it
    lacks, protect a better outcome, find out what an outcome of unknown direction means, else speak to its traits."""
    sep = i18n.messages(language)["sentence_sep"]
    parts, headline = [], t["headline"]
    if decided:
        key = decided["key"]
        if key == "worse" and drivers:
            listed = i18n.join([t["driver"].format(phrase=d["phrase"], value=i18n.percent(d["value"]),
                                                   column=decided["column"]) for d in drivers], language)
            parts.append(t["outcome_worse_drivers"].format(drivers=listed, traits=focus, **decided))
        elif key == "better" and gap:  # what they lack is the plan: no "keep what works" for it
            parts.append(t["outcome_better_gap"].format(**decided))
        else:
            parts.append(t[f"outcome_{key}"].format(traits=focus, **decided))
        headline = t[f"outcome_{key}_headline"].format(**decided)
    if gap:
        parts.append(t["gap"].format(thing=gap["thing"], value=i18n.percent(gap["value"]),
                                     base=i18n.percent(gap["base"]), traits=focus))
        if not decided or decided["key"] != "worse":
            headline = t["gap_headline"].format(thing=gap["thing"])
    if not parts:
        parts.append(t["strategy"].format(traits=focus))
    return headline, sep.join(parts)


def _table_kpis(customers: pd.DataFrame, part: pd.DataFrame, found: pd.DataFrame, outcomes, decided: dict,
                drivers: list[dict], gap: dict | None, value: str | None, language: str) -> list[str]:
    """What to watch in a customer-table segment, with today's value: the outcome that decides its strategy, the
    drivers of a worse outcome, the thing it lacks, else its strongest trait; the other outcomes, its value and
    its size."""
    t, pct = i18n.messages(language)["table"], i18n.percent
    out = []
    names = attributes.outcome_names(outcomes)
    first = [decided["name"]] if decided else []
    for col in [*first, *[c for c in names if c not in first]][:1]:
        out.append(_outcome_kpi(t, customers, part, col, language))
    out += [t["kpi_driver"].format(phrase=d["phrase"], value=pct(d["share"])) for d in drivers]
    if gap:
        out.append(t["kpi_gap"].format(thing=gap["thing"], value=pct(gap["value"]), base=pct(gap["base"])))
    if not drivers and not gap and len(found):
        top = found.iloc[0]
        out.append(t["kpi_numeric"].format(column=top["words"], value=i18n.number(top["value"]),
                                           base=i18n.number(top["base"])) if top["kind"] == "numeric" else
                   t["kpi_trait"].format(phrase=top["name"], value=pct(top["held"]), base=pct(top["held_base"])))
    out += [_outcome_kpi(t, customers, part, col, language) for col in names if col not in first][
        (0 if first else 1):]
    if value:
        out.append(t["kpi_value"].format(column=_label(value, language), value=i18n.number(part[value].mean()),
                                         base=i18n.number(customers[value].mean())))
    return [*out, t["kpi_size"]]


def _outcome_kpi(t: dict, customers: pd.DataFrame, part: pd.DataFrame, col: str, language: str) -> str:
    rate = is_flag(customers[col])
    fmt = i18n.percent if rate else i18n.number
    return t["kpi_outcome"].format(column=_label(col, language), value=fmt(part[col].mean()),
                                   base=fmt(customers[col].mean()))


def _tell_apart(customers: pd.DataFrame, columns: list[str], named: dict, segment: str,
                labels: dict | None, language: str) -> list[str]:
    """Each segment's name (in ``named``'s order): its phrases joined, and where two or more segments would be
    named by the same phrases, what tells each from the others — its traits against those segments alone —
    in brackets: "Month-to-month contract and low tenure (fibre optic internet service)"."""
    own = {seg: list(phrases) for seg, phrases in named.items()}
    extra = {seg: [] for seg in named}
    for _ in range(3):
        groups = {}
        for seg in named:
            groups.setdefault(frozenset(own[seg]) | frozenset(extra[seg]), []).append(seg)
        clashes = [g for g in groups.values() if len(g) > 1]
        if not clashes:
            break
        for group in clashes:
            near = customers[customers[segment].isin(group)]
            for seg in group:
                found = traits(near, columns, seg, segment, labels, language)
                new = [x for x in _named_by(found) if x not in own[seg] and x not in extra[seg]]
                extra[seg] += new[:1]
    q = i18n.messages(language)["qualified"]
    out = []
    for seg in named:
        text = i18n.join(own[seg], language)
        detail = i18n.join(extra[seg], language)
        out.append(q.format(name=text, detail=detail) if text and detail else text or detail)
    return out


def outcome_verdict(higher: bool, way: str | None) -> str:
    """``worse``, ``better`` or ``unknown``: a segment whose outcome is clearly higher (``higher``) or lower than
    the base's, read by the outcome's direction (:func:`custseg.attributes.direction`)."""
    if way is None:
        return "unknown"
    return "better" if higher == (way == attributes.HIGHER) else "worse"


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


def _values(customers: pd.DataFrame, seg, d: pd.Series, segment: str, language: str) -> str:
    """What the survey says they value: items clearly above / below the other customers (by effect size), each as
    the share who agree (answer above the scale's middle) against the base."""
    m = i18n.messages(language)["values"]
    items = [c for c in customers.columns if c.startswith("survey_")]
    part = customers.loc[customers[segment] == seg, items]
    n = int(part.notna().any(axis=1).sum()) if items else 0
    if n == 0:
        return m["none"] if items else ""

    def agree(values: pd.Series) -> float:
        """The share answering above the scale's middle (4–5 of 1–5): an answer's label share, not a mean of codes."""
        known = customers[values.name].dropna()
        middle = (known.min() + known.max()) / 2
        return float((values.dropna() > middle).mean()) if values.notna().any() else np.nan

    def listed(cols):
        return i18n.join([m["item"].format(label=i18n.value_label("survey", c.removeprefix("survey_"), language),
                                           value=i18n.percent(agree(part[c])), base=i18n.percent(agree(customers[c])))
                          for c in cols], language)

    effect = d.reindex(items).dropna().sort_values(ascending=False)
    above, below = listed(effect[effect >= SURVEY_EFFECT].index), listed(effect[effect <= -SURVEY_EFFECT].index[::-1])
    kind = "both" if above and below else "above" if above else "below" if below else "flat"
    return m[kind].format(n=i18n.integer(n), above=above, below=below)


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


def _rule(rules: profile.Surrogate | None, seg, language: str, segment: str) -> str:
    if rules is None:
        return ""
    m = i18n.messages(language)
    own = rules.rules[rules.rules[segment] == seg]
    if own.empty:
        return m["rule_none"].format(depth=rules.tree.get_depth())
    best = own.iloc[0]  # largest coverage first
    return m["rule"].format(rule=best["rule"], precision=i18n.percent(best["precision"]),
                            coverage=i18n.percent(best["coverage"]))


def _disambiguate(cards: list[dict], language: str = "en", customers: pd.DataFrame | None = None,
                  segment: str = "segment", features: list[str] | None = None) -> None:
    """Make names unique by what tells the segments that share a name apart, never by a number: their main
    channel ('… (web)') where that differs; else the feature that separates them most (the largest eta² over their
    customers, of ``features``, default every numeric feature) at each one's median ('Lapsed one-time buyers
    (typical order 14)' and '… (typical order 98)'); only segments alike in everything are told by their id."""
    m = i18n.messages(language)
    for attempt in ("channel", "detail", "segment"):
        names = pd.Series([c["name"] for c in cards], dtype="str")
        for dup in names[names.duplicated()].unique():
            same = [c for c in cards if c["name"] == dup]
            if attempt == "channel":
                channels = [c.get("main_channel") for c in same]
                details = dict(enumerate(channels)) if all(channels) and len(set(channels)) == len(same) else None
            elif attempt == "detail":
                found = None if customers is None else _details(
                    customers, [c["segment"] for c in same], segment, features, language)
                details = None if found is None else {n: found[c["segment"]] for n, c in enumerate(same)}
            else:
                details = {n: m["table"]["coded"].format(segment=c.get("segment", n)) for n, c in enumerate(same)}
            if details:
                for n, card in enumerate(same):
                    card["name"] = m["qualified"].format(name=dup, detail=details[n])


def _details(customers: pd.DataFrame, group: list, segment: str, features: list[str] | None, language: str
             ) -> dict | None:
    """Each segment of ``group`` by the feature that separates them most, at its median (catalogue ``detail``:
    'typical order 14'), or None when no feature gives each a different text."""
    near = customers[customers[segment].isin(group)]
    columns = [c for c in (features if features is not None else profile.numeric_features(customers, segment))
               if c in near and pd.api.types.is_numeric_dtype(near[c])]
    eta = {c: stats.eta_squared(near[c], near[segment]) for c in columns}
    for column in sorted((c for c in eta if pd.notna(eta[c])), key=lambda c: -eta[c]):
        medians = near.groupby(segment)[column].median()
        texts = {seg: _detail(column, medians.get(seg, np.nan), language) for seg in group}
        if len(set(texts.values())) == len(group):
            return texts
    return None


def _detail(column: str, value: float, language: str) -> str:
    """A feature's typical value in a few words: 'typical order 14', '12 orders', 'tenure 9'."""
    d = i18n.messages(language)["detail"]
    shown = (i18n.percent(value) if i18n.is_share(column) else i18n.integer(value) if abs(value) >= 10
             else i18n.number(value))
    return d.get(column, d["default"]).format(label=profile.plain_label(column, language), value=shown)


def render(card: dict, kind: str = "md", color: str | None = None) -> str:
    """A card as Markdown (``md``) or an HTML fragment (``html``, ``color`` marks its edge), in its language."""
    return i18n.render(f"persona.{kind}.j2", card.get("language", "en"), card=card, color=color)


def card_files(cards: list[dict]) -> dict[str, str]:
    """Each card as ``segment_<id>.md`` and ``segment_<id>.html`` (file name → text)."""
    return {f"segment_{card['segment']}.{kind}": render(card, kind) for card in cards for kind in ("md", "html")}


def with_targeting(cards: list[dict], target: dict | None, made_from: str | None) -> list[dict]:
    """The persona cards of 06 with what 08 added when it ran on these cards (``made_from``: 06's fingerprint):
    the offers and whether a segment is a target."""
    if target is None or target.get("personas_fingerprint") != made_from:  # 08 ran on other cards (or never)
        return cards
    return [{**c, "offers": target["offers"].get(str(c["segment"]), []),
             "target": target["target_labels"].get(str(c["segment"]), "")} for c in cards]


def crm_export(segments: pd.DataFrame, rfm_scores: pd.DataFrame, cards: list[dict]) -> pd.DataFrame:
    """customer_id, segment_id, segment_name, rfm_segment (and predicted_spend when the segments have it) —
    ready to import into a CRM."""
    names = {c["segment"]: c["name"] for c in cards}
    out = segments.rename(columns={"segment": "segment_id"})
    if "rfm_segment" in rfm_scores:  # no RFM column without transactions
        out = out.merge(rfm_scores[["customer_id", "rfm_segment"]], on="customer_id", how="left",
                        validate="one_to_one")
    out.insert(2, "segment_name", out["segment_id"].map(names))
    first = [c for c in ("customer_id", "segment_id", "segment_name", "rfm_segment") if c in out]
    return out[first + [c for c in out.columns if c not in first]]


def value_table(cards: list[dict]) -> pd.DataFrame:
    """Segment, name, customers, share and share of net spend of every card."""
    return pd.DataFrame(cards)[["segment", "name", "customers", "share", "value_share"]]


def browser(cards: list[dict], summary: pd.DataFrame, segment: str = "segment"):
    """A small ipywidgets app for JupyterLab: pick a segment to read its card, and another to compare profiles.

    Parameters
    ----------
    cards : list of dict
        From :func:`build`.
    summary : DataFrame
        From :func:`custseg.profile.feature_summary`.

    Returns
    -------
    ipywidgets.VBox
        Two drop-downs, the persona card and the comparison table (top features of the first segment).
    """
    import ipywidgets as widgets

    language = cards[0].get("language", "en") if cards else "en"
    t = i18n.messages(language)["ui"]
    options = [(f"{c['segment']} · {c['name']}", c["segment"]) for c in cards]
    first = widgets.Dropdown(options=options, description=t["browse_segment"])
    second = widgets.Dropdown(options=[("—", None), *options], description=t["browse_compare"])
    card_view, table_view = widgets.HTML(), widgets.HTML()

    def update(_=None) -> None:
        card = next(c for c in cards if c["segment"] == first.value)
        card_view.value = render(card, "html")
        table = profile.compare(summary, first.value, second.value, segment, language=language)
        table_view.value = table.to_html(float_format=lambda x: i18n.number(x), border=0)

    first.observe(update, "value")
    second.observe(update, "value")
    update()
    layout = widgets.Layout(width="50%", padding="0 1em 0 0")
    card_view.layout, table_view.layout = layout, widgets.Layout(width="50%")
    return widgets.VBox([widgets.HBox([first, second]), widgets.HBox([card_view, table_view])])
