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

from custseg import attributes, i18n, profile
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
    """The key of a (value level, activity) pair in the catalogue's ``name.core`` and ``strategy``."""
    return act if act in ("new", "one_time") else f"{level}_{act}"


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
        card = {
            "segment": int(seg), "name": name(key, life, mot, language),
            "tagline": " · ".join(x for x in (i18n.join(categories, language), *channels[:1]) if x),
            "customers": int(p["customers"]), "share": float(p["share"]), "value_share": float(p["value_share"]),
            "spend": float(p[MONETARY]), "spend_index": float(i[MONETARY]),
            "top_rfm": i18n.value_label("rfm", str(top_rfm.get(seg, "")), language),
            "who": _who(p, i, comp, language),
            "how": _how(p, i, medians.loc[seg], comp, act, language),
            "values": _values(customers, seg, d, segment, language),
            "strategy_headline": headline(key, mot, language), "strategy": strategy(key, mot, life, language),
            "actions": _actions(p, i, mot, categories, channels, language),
            "kpis": kpis(act, mot, language), "rule": _rule(rules, seg, language, segment),
            "main_channel": channels[0] if channels else "", "language": language,
        }
        card["narrative"] = m["sentence_sep"].join(x for x in (card["who"], card["how"], card["values"]) if x)
        cards.append(card)
    _disambiguate(cards, language)
    return sorted(cards, key=lambda c: -c["customers"])


TRAIT_EFFECT = 0.5  # standardised difference from which a column sets a segment apart (Cohen's d, medium)
NAME_TRAITS = 2  # a customer-table persona is named by its strongest traits
OUTCOME_RATIO = np.log(1.25)  # a binary outcome 25 % above (or 20 % below) the base sets the strategy
STORY_TRAITS = 5


def _label(column: str) -> str:
    return column.replace("_", " ")


def is_code(column: str) -> bool:
    """Whether a column name is a code (MOPLLAAG, PPERSAUT): capitals and digits only, no word a reader knows; a
    persona is never named by it (its card still describes the column)."""
    return bool(re.fullmatch(r"[A-Z][A-Z0-9]{3,}", str(column)))


def traits(customers: pd.DataFrame, columns: list[str], seg, segment: str = "segment",
           labels: dict[str, dict] | None = None) -> pd.DataFrame:
    """What sets segment ``seg`` apart on ``columns``, strongest first: one row per numeric column (effect size
    d vs the other customers) and per label of a categorical column (share vs the base, as the standardised
    difference of proportions), each with ``value`` and ``base`` and a short ``name``.

    Ordinal columns (``labels``: column → {code: label}, :func:`custseg.attributes.ordinal_labels`; an empty
    mapping shows the code itself) are described like categories, by the share of each label, never by a mean
    of codes. Only differences of at least :data:`TRAIT_EFFECT` are kept; a column that splits the segment from the rest
    without overlap (all of them hold the yes/no plan, none of the others do) has strength ±inf and leads.
    """
    part, rows = customers[customers[segment] == seg], []
    rest = customers[customers[segment] != seg]
    labels = labels or {}
    for col in columns:
        values = customers[col]
        if col in labels:  # codes of an ordered scale: their labels, as a category's
            name_of = lambda v, names=labels[col]: names.get(v, f"{v:g}") if pd.notna(v) else None  # noqa: E731
            if np.isinf(profile.standardised_difference(part[[col]], rest[[col]])[col]):  # a range only they hold
                low, high = part[col].min(), part[col].max()
                span = name_of(low) if low == high else f"{name_of(low)}–{name_of(high)}"
                rows.append({"column": col, "kind": "categorical", "label": span, "strength": np.inf, "value": 1.0,
                             "base": float(values.between(low, high).mean()), "name": f"{_label(col)}: {span}"})
                continue
            values = values.map(name_of)
            part, rest = part.assign(**{col: values[part.index]}), rest.assign(**{col: values[rest.index]})
        if pd.api.types.is_numeric_dtype(values):
            d = profile.standardised_difference(part[[col]], rest[[col]])[col]  # ±inf: a perfect separator
            if np.isnan(d):
                continue
            binary = is_flag(values)
            rows.append({"column": col, "kind": "binary" if binary else "numeric", "label": None,
                         "strength": d, "value": part[col].mean(), "base": values.mean(),
                         "name": (("" if d > 0 else "no ") + _label(col)) if binary
                         else f"{'high' if d > 0 else 'low'} {_label(col)}"})
        else:
            base = values.value_counts(normalize=True)
            share = part[col].value_counts(normalize=True).reindex(base.index, fill_value=0.0)
            for label in base.index:
                b = base[label]
                if 0 < b < 1:
                    only_here = share[label] == 1 and not (rest[col] == label).any()  # a perfect separator
                    rows.append({"column": col, "kind": "categorical", "label": label,
                                 "strength": np.inf if only_here else (share[label] - b) / np.sqrt(b * (1 - b)),
                                 "value": share[label], "base": b, "name": f"{_label(col)}: {label}"})
    out = pd.DataFrame(rows, columns=["column", "kind", "label", "strength", "value", "base", "name"])
    out = out[(out["strength"].abs() >= TRAIT_EFFECT) & ~((out["kind"] == "categorical") & (out["strength"] < 0))]
    return out.reindex(out["strength"].abs().sort_values(ascending=False, kind="stable").index
                       ).drop_duplicates("column")


def build_from_table(customers: pd.DataFrame, columns: list[str], outcomes: dict | list | tuple = (),
                     language: str = "en", segment: str = "segment", rules: profile.Surrogate | None = None,
                     labels: dict[str, dict] | None = None) -> list[dict]:
    """Persona cards for a customer table without an order log: named and told by what really sets each segment
    apart on its clustering ``columns`` (:func:`traits`), with the ``outcomes`` (churn, revenue) it is judged by:
    the config's mapping name → direction, or a list of names. The first 0/1 outcome that clearly differs in a
    segment sets its strategy by the outcome's direction (:func:`outcome_verdict`): act on it first where it is
    worse than the base, protect and grow where it is better, find out what it means where the direction is
    unknown.

    ``labels`` (:func:`custseg.attributes.ordinal_labels`) makes ordinal columns read as label shares. No spend,
    RFM, channel or category is said: the data has none. Returns cards with the keys of
    :func:`build` (``spend``, ``value_share`` and ``spend_index`` None, ``top_rfm`` empty).
    """
    m = i18n.messages(language)
    t = m["table"]
    effects = profile.effect_sizes(customers, segment)
    cards = []
    for seg, part in customers.groupby(segment):
        found = traits(customers, columns, seg, segment, labels)
        names = list(found.loc[~found["column"].map(is_code), "name"][:NAME_TRAITS])  # never a raw column code
        name_text = " · ".join(names) if names else t["coded"].format(segment=seg) if len(found) else t["no_trait"]
        who = [t["size"].format(customers=i18n.integer(len(part)), share=i18n.percent(len(part) / len(customers)))]
        for row in found.head(STORY_TRAITS).itertuples():
            if row.kind == "categorical":
                who.append(t["share"].format(share=i18n.percent(row.value), label=row.label, column=_label(row.column),
                                             base=i18n.percent(row.base)))
            elif row.kind == "binary":
                who.append(t["binary"].format(share=i18n.percent(row.value), column=_label(row.column),
                                              base=i18n.percent(row.base)))
            else:
                who.append(t["numeric"].format(column=_label(row.column), value=i18n.number(row.value),
                                               base=i18n.number(row.base)))
        if found.empty:
            who.append(t["close"])
        judged, headline, strategy, decided = [], t["headline"], t["strategy"], {}
        for col in attributes.outcome_names(outcomes):
            rate, way = is_flag(customers[col]), attributes.direction(col, outcomes)[0]
            ratio = part[col].mean() / customers[col].mean() if customers[col].mean() else np.nan
            if rate and not decided and not np.isnan(ratio) and abs(np.log(ratio)) >= OUTCOME_RATIO:
                # the first binary outcome that clearly differs here decides what to do first, by its direction
                key = outcome_verdict(ratio > 1, way)
                decided = {"column": _label(col), "name": col, "side": t["sides"]["higher" if ratio > 1 else "lower"]}
                headline, strategy = t[f"outcome_{key}_headline"].format(**decided), t[f"outcome_{key}"]
            judged.append(t["outcome_rate" if rate else "outcome_mean"].format(
                column=_label(col), value=i18n.percent(part[col].mean()) if rate else i18n.number(part[col].mean()),
                base=i18n.percent(customers[col].mean()) if rate else i18n.number(customers[col].mean()),
                direction=t["direction"][way or "unknown"]))
        focus = i18n.join(names, language) or t["no_trait"]
        card = {"segment": int(seg), "name": name_text[:1].upper() + name_text[1:], "tagline": "",
                "customers": int(len(part)), "share": float(len(part) / len(customers)), "value_share": None,
                "spend": None, "spend_index": None, "top_rfm": "", "who": m["sentence_sep"].join(who),
                "how": "", "outcomes": m["sentence_sep"].join(judged),
                "values": _values(customers, seg, effects.loc[seg], segment, language),
                "strategy_headline": headline, "strategy": strategy.format(traits=focus, **{"column": "", **decided}),
                "actions": [], "kpis": [t["kpi_outcome"].format(column=_label(c)) for c in outcomes]
                + [t["kpi_size"]], "rule": _rule(rules, seg, language, segment), "main_channel": "",
                "language": language}
        card["narrative"] = m["sentence_sep"].join(x for x in (card["who"], card["outcomes"], card["values"]) if x)
        cards.append(card)
    _disambiguate(cards, language)
    return sorted(cards, key=lambda c: -c["customers"])


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
    """What the survey says they value: items clearly above / below the other customers."""
    m = i18n.messages(language)["values"]
    items = [c for c in customers.columns if c.startswith("survey_")]
    part = customers.loc[customers[segment] == seg, items]
    n = int(part.notna().any(axis=1).sum()) if items else 0
    if n == 0:
        return m["none"] if items else ""

    def listed(cols):
        return i18n.join([m["item"].format(label=i18n.value_label("survey", c.removeprefix("survey_"), language),
                                           value=f"{part[c].mean():.1f}", base=f"{customers[c].mean():.1f}")
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


def _disambiguate(cards: list[dict], language: str = "en") -> None:
    """Make names unique: add the main channel ('… (web)') where that tells them apart, else a number."""
    qualified = i18n.messages(language)["qualified"]
    for attempt in ("channel", "number"):
        names = pd.Series([c["name"] for c in cards])
        for dup in names[names.duplicated()].unique():
            same = [c for c in cards if c["name"] == dup]
            channels = [c["main_channel"] for c in same]
            by_channel = attempt == "channel" and all(channels) and len(set(channels)) == len(channels)
            if by_channel or attempt == "number":
                for n, card in enumerate(same):
                    card["name"] = qualified.format(name=dup, detail=card["main_channel"] if by_channel else n + 1)


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
