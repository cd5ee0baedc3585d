"""Persona cards of a customer table or a survey without a log: what sets each segment apart on its own columns,
in plain words (:func:`traits`), names told apart from their nearest neighbour, and a strategy and KPIs that follow
what sets the segment apart and the outcome it is judged by (see :mod:`custseg.personas`)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from custseg import attributes, i18n, phrases, profile
from custseg.attributes import is_flag
from custseg.personas.cards import _disambiguate, _rule, _values
from custseg.profile import outcome_verdict

TRAIT_EFFECT = profile.MEDIUM_EFFECT  # standardised difference from which a column sets a segment apart
NAME_TRAITS = 2  # a customer-table persona is named by its strongest traits
OUTCOME_RATIO = profile.OUTCOME_RATIO  # a 0/1 outcome this far off the base sets the strategy
STORY_TRAITS = 5
DRIVERS = 2  # at most this many of a segment's traits named as what goes with its worse outcome
GAP_BASE = 0.5  # something most customers hold (≥ 50 %) that a segment holds at most half as often: sell it
VALUE_RICH = 1.5  # a segment whose share of the value column is 1.5 × its share of customers is worth attention


def _label(column: str, language: str = "en", items=()) -> str:
    return phrases.plain_label(column, language, items)


def is_code(column: str) -> bool:
    """Whether a column name is a code (MOPLLAAG, PPERSAUT): capitals and digits only, no word a reader knows; a
    persona is never named by it (its card still describes the column)."""
    return bool(re.fullmatch(r"[A-Z][A-Z0-9]{3,}", str(column)))


TRAIT_COLUMNS = ["column", "words", "kind", "label", "strength", "value", "base", "name", "holds", "thing", "members",
                 "held", "held_base", "held_as", "said"]


def traits(customers: pd.DataFrame, columns: list[str], seg, segment: str = "segment",
           labels: dict[str, dict] | None = None, language: str = "en") -> pd.DataFrame:
    """What sets segment ``seg`` apart on ``columns``, strongest first: one row per numeric column (effect size
    d vs the other customers) and per label of a categorical column (share vs the base, as the standardised
    difference of proportions), each with ``value`` and ``base``, its ``name`` in words
    (:func:`custseg.phrases.label_phrase`: "month-to-month contract", "no internet service", "high tenure"),
    whether it says the segment has or lacks something (``holds``: "has" / "lacks" / None, and the ``thing``)
    ``members``: which customers of the whole table share the trait (a boolean array; for a number, those on its
    side of the base's median), ``held`` / ``held_base``: the share of the segment and of all customers who do,
    and ``held_as``: who they are in words ("tenure under 22" for "low tenure").

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
                             "base": float(members.mean()), "name": phrases.label_phrase(col, span, language),
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
                             "base": values.mean(), "name": phrases.flag_phrase(col, d > 0, language),
                             "holds": "has" if d > 0 else "lacks", "thing": _label(col, language),
                             "members": members})
            else:
                members = (values > values.median() if d > 0 else values < values.median()).to_numpy()
                way = ("factor_" if str(col).startswith("factor_") else "") + ("high" if d > 0 else "low")
                median = values.median()
                whole = bool(np.allclose(values.dropna(), values.dropna().round()))
                cut = t["over" if d > 0 else "under"].format(column=_label(col, language, items),
                                                               value=(i18n.integer if whole else i18n.number)(median))
                said = phrases.lead_item(col, language, items) if way.startswith("factor_") else _label(
                    col, language, items)  # a factor in a name: its first item, the card says all of them
                rows.append({"column": col, "kind": "numeric", "label": None, "strength": d, "value": part[col].mean(),
                             "base": values.mean(), "name": t[way].format(column=said), "said": said,
                             "holds": None, "thing": None, "members": members, "held_as": cut})
        else:
            base = values.value_counts(normalize=True)
            share = part[col].value_counts(normalize=True).reindex(base.index, fill_value=0.0)
            for label in base.index:
                b = base[label]
                if 0 < b < 1:
                    only_here = share[label] == 1 and not (rest[col] == label).any()  # a perfect separator
                    how, thing = phrases.holding(col, label, language)
                    rows.append({"column": col, "kind": "categorical", "label": label,
                                 "strength": np.inf if only_here else (share[label] - b) / np.sqrt(b * (1 - b)),
                                 "value": share[label], "base": b, "name": phrases.label_phrase(col, label, language),
                                 "holds": None if how == "label" else how, "thing": thing,
                                 "members": (values == label).to_numpy()})
    inside = (customers[segment] == seg).to_numpy()
    for row in rows:  # the column in words; the share of the segment, and of everyone, who match the trait
        row["words"] = _label(row["column"], language, items)
        row["held"], row["held_base"] = float(row["members"][inside].mean()), float(row["members"].mean())
        row.setdefault("held_as", row["name"])  # who shares it, in words: "tenure under 22" for "low tenure"
    out = pd.DataFrame(rows, columns=TRAIT_COLUMNS)
    out = out[(out["strength"].abs() >= TRAIT_EFFECT) & ~((out["kind"] == "categorical") & (out["strength"] < 0))]
    out = out.reindex(out["strength"].abs().sort_values(ascending=False, kind="stable").index)
    # one row per column, and one per fact: "No internet service" in six add-on columns is said once
    return out.drop_duplicates("column").drop_duplicates("name")


LABEL_STRENGTH = 1.0  # a label this far from the base takes a place in the name beside numbers
NAME_MAJORITY = 0.5  # a label or yes/no trait names a segment only when most of its customers hold it


def _named_by(found: pd.DataFrame, n: int | None = None, language: str = "en") -> list[str]:
    """The phrases a persona may be named by, strongest first, never a raw column code nor a label or yes/no trait
    that fewer than :data:`NAME_MAJORITY` of the segment hold (fibre at 45 % against 25 % overall sets a segment
    apart, and its card says so, but "on fibre" would misname the other 55 %); with ``n``, the first ``n`` of
    them, of which one a label or yes/no trait when one sets the segment clearly apart (:data:`LABEL_STRENGTH`):
    "Low tenure and month-to-month contract", not "Low tenure and high charges". A segment formed on factor scores
    alone is named by the attitudes it holds (:func:`_factor_name`)."""
    held = (found["kind"] == "numeric") | (found["held"] >= NAME_MAJORITY)
    usable = found.loc[~found["column"].map(is_code).astype(bool) & held]
    factors = usable["column"].astype(str).str.startswith("factor_")
    if n is not None and len(usable) and factors.all():
        return _factor_name(usable, n, language)
    names = list(usable["name"])
    if n is None or len(names) <= n:
        return names[:n]
    chosen = names[:n]
    labelled = usable[usable["kind"] != "numeric"]
    if (usable["kind"].iloc[:n] == "numeric").all() and len(labelled) and labelled["strength"].abs().iloc[0] \
            >= LABEL_STRENGTH:
        chosen[-1] = labelled["name"].iloc[0]
    return chosen


def _factor_name(found: pd.DataFrame, n: int, language: str) -> list[str]:
    """A segment formed on factor scores is named by the attitudes it holds strongly, each by its factor's first
    item, at most ``n`` of them in one phrase ("strong on pays for quality and shops online first"); by its
    weakest attitude only when it holds none strongly. Low ends come second because a low factor score is the
    absence of an attitude, a poorer name than one it has."""
    high = found[found["strength"] > 0].head(n)
    if high.empty:
        return list(found["name"].head(1))
    return [i18n.messages(language)["table"]["factor_high"].format(column=i18n.join(list(high["said"]), language))]


def _drivers(customers: pd.DataFrame, found: pd.DataFrame, outcome: str, way: str | None,
             levers: list[str] | tuple = (), labels: dict | None = None, language: str = "en") -> list[dict]:
    """The traits of a segment on a lever (``levers``, :func:`custseg.attributes.is_lever`: a contract, a service,
    a price — never tenure or age) that go with a worse 0/1 ``outcome`` across the whole base: among all customers
    who share the trait the outcome is 25 % worse than the base, by its direction (:data:`OUTCOME_RATIO`). A label
    also names the label of its column with the best outcome, where to move them (``better``, ``better_value``:
    month-to-month → two year contract)."""
    if way is None or not is_flag(customers[outcome]) or not customers[outcome].mean():
        return []
    base, out = customers[outcome].mean(), []
    for row in found[found["column"].isin(list(levers))].itertuples():
        held = customers.loc[row.members, outcome]
        if held.notna().sum() == 0:
            continue
        ratio = held.mean() / base
        worse = ratio > 1 if way == attributes.LOWER else ratio < 1
        if worse and profile.clearly_off(ratio):
            driver = {"phrase": row.held_as, "value": held.mean(), "share": row.held, "column": row.column}
            if row.kind == "categorical" and row.label is not None:
                better = _better_label(customers, row.column, outcome, way, labels or {}, language)
                driver.update(better if better.get("better_label") != row.label else {})
            out.append(driver)
    return out[:DRIVERS]


def _better_label(customers: pd.DataFrame, column: str, outcome: str, way: str, labels: dict,
                  language: str) -> dict:
    """The label of ``column`` whose customers have the best ``outcome`` (at least :data:`MIN_LABEL_SHARE` of the
    base), as a phrase, with its rate: what a label driver's customers are moved to."""
    values = customers[column].map(lambda v, n=labels[column]: n.get(v, f"{v:g}") if pd.notna(v) else None) \
        if column in labels else customers[column]
    rates = customers.groupby(values)[outcome].agg(["mean", "size"])
    rates = rates[rates["size"] >= MIN_LABEL_SHARE * len(customers)]
    if len(rates) < 2:
        return {}
    best = rates["mean"].idxmin() if way == attributes.LOWER else rates["mean"].idxmax()
    return {"better": phrases.label_phrase(column, best, language),
            "better_label": best, "better_value": float(rates.loc[best, "mean"])}


MIN_LABEL_SHARE = 0.05  # a label held by fewer customers is not where to move a segment


# words of a yes/no column about the customer's life, not something to sell (a partner, children, being active)
NOT_FOR_SALE = re.compile(r"partner|spouse|married|child|kid|famil|dependent|senior|active|student|employ"
                          r"|伴侣|配偶|子女|家庭|学生", re.I)


def _gap(found: pd.DataFrame, columns: list[str], levers: list[str] | tuple | None = None) -> dict | None:
    """Something most customers hold and this segment mostly does not (:data:`GAP_BASE`): the thing to sell them,
    e.g. internet service to a phone-only segment. Only a lever is a gap (``levers``,
    :func:`custseg.attributes.is_lever`); columns about the customer's life (demographics, a partner, children:
    :data:`NOT_FOR_SALE`) never are."""
    people = set(attributes.demographic_columns(columns))
    for row in found[found["holds"] == "lacks"].itertuples():
        if row.column in people or NOT_FOR_SALE.search(str(row.column)) or (levers is not None
                                                                              and row.column not in levers):
            continue
        own, base = (row.value, row.base) if row.kind == "binary" else (1 - row.value, 1 - row.base)
        if base >= GAP_BASE and own <= base / 2:
            return {"thing": row.thing, "value": own, "base": base}
    return None


def build_from_table(customers: pd.DataFrame, columns: list[str], outcomes: dict | list | tuple = (),
                     language: str = "en", segment: str = "segment", rules: profile.Surrogate | None = None,
                     labels: dict[str, dict] | None = None, value: str | None = None,
                     levers: list[str] | None = None) -> list[dict]:
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

    * **Strategies and KPIs name levers only** (``levers``: the columns the business sets, a contract, a service,
      a price; default :func:`custseg.attributes.levers` of ``columns`` by their names): a driver or a gap is
      never tenure, age or a senior citizen, and a label driver names the label to move them to (month-to-month →
      two year contract). Names and stories tell every trait.

    ``labels`` (:func:`custseg.attributes.ordinal_labels`) makes ordinal columns read as label shares. No spend,
    RFM, channel or category is said: the data has none. Returns cards with the keys of :func:`build`
    (``spend`` and ``spend_index`` None, ``value_share`` None without ``value``, ``top_rfm`` empty).
    """
    m = i18n.messages(language)
    t, pct = m["table"], i18n.percent
    effects = profile.effect_sizes(customers, segment)
    value = value if value and value in customers and pd.api.types.is_numeric_dtype(customers[value]) else None
    cards, named = [], {}
    apart = {col: profile.outcome_apart(customers, col, segment) for col in attributes.outcome_names(outcomes)}
    levers = attributes.levers(columns, outcomes=outcomes) if levers is None else list(levers)
    for seg, part in customers.groupby(segment):
        found = traits(customers, columns, seg, segment, labels, language)
        named[seg] = _named_by(found, NAME_TRAITS, language)
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
            mean, base, differs, higher = apart[col].loc[seg, ["value", "base", "differs", "higher"]]
            shown = dict(value=pct(mean) if rate else i18n.number(mean), base=pct(base) if rate else i18n.number(base))
            if differs and not decided:  # the first outcome that clearly differs here decides what to do first
                decided = {"column": _label(col, language), "name": col, "side": t["sides"]["higher" if higher
                                                                                            else "lower"],
                           "key": outcome_verdict(higher, way), "way": way, **shown}
                if decided["key"] == "worse":
                    drivers = _drivers(customers, found, col, way, levers, labels, language)
            judged.append(t["outcome_rate" if rate else "outcome_mean"].format(
                column=_label(col, language), direction=t["direction"][way or "unknown"], **shown))
        gap = _gap(found, columns, levers)
        actionable = found[found["column"].isin(levers)]  # what a strategy may name: never tenure or age
        own = named[seg]
        if decided.get("key") == "better":  # what goes with the worse outcome across the base is not "what works"
            risky = {d["column"] for d in _drivers(customers, found, decided["name"], decided["way"], levers, labels,
                                                   language)}
            actionable = actionable[~actionable["column"].isin(risky)]
            own = [n for n in own if n not in set(found.loc[found["column"].isin(risky), "name"])]
        focus = i18n.join(_named_by(actionable, NAME_TRAITS, language) or own, language) or t["no_trait"]
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
                "actions": [], "kpis": _table_kpis(customers, part, actionable[actionable["column"] != value], outcomes,
                                                   decided, drivers, gap, value, language),
                "rule": _rule(rules, seg, language, segment), "main_channel": "", "language": language,
                "_coded": bool(len(found))}
        card["narrative"] = m["sentence_sep"].join(x for x in (card["who"], card["outcomes"], card["values"]) if x)
        cards.append(card)
    plain_names = {c["segment"]: i18n.join(named[c["segment"]], language) or (
        t["coded"].format(segment=c["segment"]) if c.pop("_coded") else t["no_trait"]) for c in cards}
    for card, text in zip(cards, _tell_apart(customers, columns, named, plain_names, segment, labels, language),
                          strict=True):
        card["name"] = _capital(text, language)
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
            listed = i18n.join([t["driver_move" if d.get("better") else "driver"].format(
                phrase=d["phrase"], value=i18n.percent(d["value"]), column=decided["column"],
                better=d.get("better"), better_value=i18n.percent(d.get("better_value", np.nan)))
                for d in drivers], language)
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
                   t["kpi_trait"].format(phrase=top["held_as"], value=pct(top["held"]), base=pct(top["held_base"])))
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


def _tell_apart(customers: pd.DataFrame, columns: list[str], named: dict, plain_names: dict, segment: str,
                labels: dict | None, language: str) -> list[str]:
    """Each segment's name (in ``named``'s order): its plain name (``plain_names``: its phrases joined), and where
    two or more segments would be named by the same phrases (``named``), what tells each from the others — its
    traits against those segments alone — in brackets: "Two year contract and DSL internet service (paperless
    billing)"."""
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
        detail = i18n.join(extra[seg], language)
        out.append(q.format(name=plain_names[seg], detail=detail) if detail else plain_names[seg])
    return out

