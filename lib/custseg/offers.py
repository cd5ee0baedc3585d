"""What to offer each segment (关联规则 → 个性化推荐): association rules on baskets, counted in the engine.

A *basket* is the set of distinct items (categories by default, products when the log has product ids) of one
order, or of one customer's whole window. For a rule A → C over ``n`` baskets:

- support = baskets with both A and C / n (how common the pair is),
- confidence = baskets with both / baskets with A (how often C comes with A),
- lift = confidence / (baskets with C / n) (how much more often than C's base rate; ≤ 1 is no association).

Lift is the number that matters: a popular item has a high confidence after anything. Within a segment, a rule
is an *offer* when its lift in the segment beats both 1 and the same rule's lift in the whole base: the segment
responds to the pairing more than customers in general. The counts are Ibis expressions (a self-join of the
baskets on their basket id), so they run in DuckDB on a 100M-line log and on Spark; only the rules, a few
hundred rows, become pandas.

A customer table without a log has no orders, but its service columns (phone, streaming, an international plan,
and a category with a "No" label such as an internet service of DSL / Fiber optic / No: :func:`service_columns`) are
what each customer holds: each customer is one basket of the services they hold (:func:`service_baskets`), and the
same rules, offers and gaps say which services go together and which a segment holds less than the segments most
like it (:func:`find_services`) — a phone-only segment is offered internet.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from custseg import i18n, phrases
from custseg.errors import ConfigError
from custseg.schema import FILL, is_purchase
from custseg.services import held, left_out_note, service_baskets, service_choice

ALL = "all customers"  # the segment label of the whole base's rules
SERVICES = "services"  # the items of a customer table without a log: the yes/no services each customer holds
RULE_COLUMNS = ["segment", "antecedent", "consequent", "baskets", "support", "confidence", "lift"]


def item_counts(transactions: ir.Table) -> dict[str, int]:
    """Distinct real values (not the fill value) of ``category`` and ``product_id``, for those the log has."""
    have = {}
    for column in ("category", "product_id"):
        if column in transactions.columns:
            values = transactions[column]
            real = values.notnull() & (values.cast("string") != FILL.get(column, ""))
            have[column] = int(transactions.filter(real)[column].nunique().execute())
    return have


def item_level(transactions: ir.Table, level: str = "auto", have: dict[str, int] | None = None) -> str | None:
    """The column baskets are made of: ``category`` or ``product_id`` (``auto``: category when the log has
    real categories, else products); None when the log has fewer than two of either (a rule needs two items).
    ``have``: :func:`item_counts`, when already counted."""
    have = item_counts(transactions) if have is None else have
    if level != "auto":
        return level if have.get(level, 0) >= 2 else None
    return next((c for c in ("category", "product_id") if have.get(c, 0) >= 2), None)


def no_items_note(have: dict[str, int], level: str = "auto") -> str:
    """Why there are no offers when :func:`item_level` found no column with two items or more."""
    asked = ("category", "product_id") if level == "auto" else (level,)
    names = {"category": ("category", "categories"), "product_id": ("product id", "product ids")}
    found = [f"{have[c]} {names[c][have[c] > 1]}" for c in asked if have.get(c, 0)]
    if not found:
        return (f"The log has no categories or product ids (offers.items: {level}), so there are no baskets to "
                "find offers in.")
    return (f"The log has only {' and '.join(found)} (offers.items: {level}): with one item there is nothing to "
            "recommend beside it, so no offers are made.")


def baskets(transactions: ir.Table, item: str, by: str = "order") -> ir.Table:
    """Distinct (basket, customer_id, item) of the purchase lines; ``by`` order (one basket per order) or
    customer (one basket per customer: everything they bought in the window)."""
    lines = transactions.filter(is_purchase(transactions) & transactions[item].notnull()
                                & (transactions[item].cast("string") != FILL.get(item, "")))
    basket = lines.order_id if by == "order" else lines.customer_id
    return lines.select(basket=basket.cast("string"), customer_id=lines.customer_id,
                        item=lines[item].cast("string")).distinct()


def _with_segment(b: ir.Table, segments: pd.DataFrame | None) -> ir.Table:
    if segments is None:
        return b.mutate(segment=ibis.literal(ALL))
    seg = ibis.memtable(segments[["customer_id", "segment"]].astype({"segment": "str"}))
    return b.join(seg, "customer_id", how="inner").select(b.basket, b.customer_id, b.item, seg.segment)


def rules(b: ir.Table, segments: pd.DataFrame | None = None, min_support: float = 0.01,
          min_confidence: float = 0.1, min_baskets: int = 10) -> pd.DataFrame:
    """Association rules A → C between single items, per segment (or over the whole base).

    Parameters
    ----------
    b : Table
        From :func:`baskets`: basket, customer_id, item.
    segments : DataFrame, optional
        ``customer_id`` and ``segment``; baskets of customers without a segment are left out. None: the whole
        base, labelled :data:`ALL`.
    min_support, min_confidence : float
        Rules below either are dropped.
    min_baskets : int
        And rules seen in fewer baskets (a lift from 3 baskets is noise).

    Returns
    -------
    DataFrame
        :data:`RULE_COLUMNS`, one row per rule and segment, by segment and descending lift.
    """
    t = _with_segment(b, segments)
    n = t.group_by("segment").aggregate(n=t.basket.nunique())
    items = t.group_by(["segment", "item"]).aggregate(n_item=t.count())
    left, right = t.view(), t.view()
    pairs = (left.join(right, [left.segment == right.segment, left.basket == right.basket,
                               left.item != right.item])
             .select(segment=left.segment, antecedent=left.item, consequent=right.item))
    both = pairs.group_by(["segment", "antecedent", "consequent"]).aggregate(baskets=pairs.count())
    a = items.rename(antecedent="item", n_a="n_item")
    c = items.rename(consequent="item", n_c="n_item")
    r = (both.join(n, "segment").join(a, ["segment", "antecedent"]).join(c, ["segment", "consequent"]))
    r = r.select("segment", "antecedent", "consequent", "baskets",
                 support=r.baskets / r.n, confidence=r.baskets / r.n_a,
                 lift=(r.baskets / r.n_a) / (r.n_c / r.n))
    r = r.filter((r.support >= min_support) & (r.confidence >= min_confidence) & (r.baskets >= min_baskets))
    out = r.to_pandas()
    out = out.astype({"baskets": "int64", "support": "float64", "confidence": "float64", "lift": "float64"})
    return out.sort_values(["segment", "lift", "antecedent", "consequent"], ascending=[True, False, True, True],
                           ignore_index=True)[RULE_COLUMNS]


def offers(segment_rules: pd.DataFrame, base_rules: pd.DataFrame, top: int = 3, min_lift: float = 1.0
           ) -> pd.DataFrame:
    """Per segment, its rules whose lift beats 1, reaches ``min_lift`` (``offers.min_lift``: a lift of 1.01 says
    A makes C 1 % more likely, nothing to act on) and beats the same rule's lift in the whole base (best first).

    Returns segment, antecedent, consequent, baskets, support, confidence, lift, base_lift and
    lift_ratio (lift / base_lift; a rule the base does not show has base_lift NaN and counts as new).
    """
    base = base_rules[["antecedent", "consequent", "lift"]].rename(columns={"lift": "base_lift"})
    r = segment_rules.merge(base, on=["antecedent", "consequent"], how="left")
    r["lift_ratio"] = r["lift"] / r["base_lift"]
    keep = ((r["lift"] > 1) & (r["lift"] >= min_lift - 1e-12)
            & (r["base_lift"].isna() | (r["lift"] > r["base_lift"])))
    r = r[keep].sort_values(["segment", "lift", "confidence"], ascending=[True, False, False])
    # A → C and C → A share their lift: keep the direction with the higher confidence (the better offer)
    a, c = r["antecedent"].astype("str"), r["consequent"].astype("str")
    pair = (a.where(a < c, c) + "\x1f" + c.where(a < c, a)).astype("str")  # the unordered pair (also when r is empty)
    best = r.assign(pair=pair).sort_values(["segment", "pair", "confidence"], ascending=[True, True, False])
    r = r[r.index.isin(best.drop_duplicates(["segment", "pair"]).index)]
    return r.groupby("segment", sort=True).head(top).reset_index(drop=True)


def penetration(b: ir.Table, segments: pd.DataFrame) -> pd.DataFrame:
    """Share of each segment's customers who bought each item in the window (segment × item, 0 where none)."""
    t = _with_segment(b, segments)
    bought = t.group_by(["segment", "item"]).aggregate(buyers=t.customer_id.nunique()).to_pandas()
    size = segments.astype({"segment": "str"}).groupby("segment").size()
    wide = bought.pivot(index="segment", columns="item", values="buyers").reindex(size.index).fillna(0)
    return wide.div(size, axis=0)


def under_bought(pen: pd.DataFrame, profile: pd.DataFrame, n_similar: int = 2, min_gap: float = 0.05,
                 max_ratio: float = 0.67) -> pd.DataFrame:
    """Items a segment buys less than the segments most like it (the cross-sell gap).

    Parameters
    ----------
    pen : DataFrame
        From :func:`penetration` (segment × item).
    profile : DataFrame
        Per segment (index), the standardised means of the features the segments were formed on: the
        ``n_similar`` segments nearest in this space are the comparison.
    min_gap, max_ratio : float
        An item is under-bought when the segment's penetration is at least ``min_gap`` below the similar
        segments' mean and at most ``max_ratio`` of it.

    Returns
    -------
    DataFrame
        segment, item, penetration, similar_penetration, gap, similar (the segments compared with), by segment
        and largest gap.
    """
    rows = []
    pen = pen.copy()
    pen.index = pen.index.astype("str")
    prof = profile.copy()
    prof.index = prof.index.astype("str")
    prof = prof.reindex(pen.index).fillna(0)
    dist = np.sqrt(((prof.to_numpy()[:, None, :] - prof.to_numpy()[None, :, :]) ** 2).sum(axis=2))
    for i, seg in enumerate(pen.index):
        order = [j for j in np.argsort(dist[i], kind="stable") if j != i][:n_similar]
        if not order:
            continue
        similar = pen.iloc[order].mean()
        gap = similar - pen.loc[seg]
        ratio = pen.loc[seg] / similar.where(similar > 0)
        hit = (gap >= min_gap) & (ratio <= max_ratio)
        for item in gap[hit].sort_values(ascending=False).index:
            rows.append({"segment": seg, "item": item, "penetration": float(pen.loc[seg, item]),
                         "similar_penetration": float(similar[item]), "gap": float(gap[item]),
                         "similar": ", ".join(pen.index[order])})
    return pd.DataFrame(rows, columns=["segment", "item", "penetration", "similar_penetration", "gap", "similar"])


def _profile(customers: pd.DataFrame, clustered_on: list[str]) -> pd.DataFrame:
    """Per segment, the standardised means of the numeric features it was formed on (the space in which
    :func:`under_bought` finds each segment's nearest neighbours)."""
    numeric = [c for c in clustered_on if pd.api.types.is_numeric_dtype(customers[c])]
    z = customers[numeric].astype("float64")
    z = (z - z.mean()) / z.std(ddof=0).replace(0, 1)
    return z.groupby(customers["segment"]).mean()


def find(o: dict, customers: pd.DataFrame, transactions: ir.Table, clustered_on: list[str], language: str = "en"
         ) -> tuple[SimpleNamespace | None, str]:
    """Association rules on the baskets, per segment against the base, and the cross-sell gaps (None when the log
    has no items to make baskets of), with a sentence saying how they were found or why there are none."""
    have = item_counts(transactions)
    item = item_level(transactions, o["items"], have)
    if item is None:
        return None, no_items_note(have, o["items"])
    seg = customers[["customer_id", "segment"]]
    with baskets(transactions, item, o["basket"]).cache() as b:  # the log is scanned once for all three
        found = _found(_counted(b, seg, o), o, customers, clustered_on)
    m = i18n.messages(language)["offers"]
    note = m["how"].format(baskets=m["by"][o["basket"]], items=m["levels"][item], min_support=o["min_support"],
                           min_confidence=o["min_confidence"], min_baskets=o["min_baskets"], min_lift=o["min_lift"])
    out = SimpleNamespace(item=item, **found)
    return out, " ".join(filter(None, [note, weak_note(out, o["min_lift"], language)]))


def _thresholds(o: dict) -> dict:
    return {"min_support": o["min_support"], "min_confidence": o["min_confidence"], "min_baskets": o["min_baskets"]}


def _counted(b: ir.Table, seg: pd.DataFrame, o: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The rules of the whole base and of each segment, and each segment's penetration of each item, from ``b``."""
    return rules(b, None, **_thresholds(o)), rules(b, seg, **_thresholds(o)), penetration(b, seg)


def _sort_rules(r: pd.DataFrame) -> pd.DataFrame:
    return r.sort_values(["segment", "lift", "antecedent", "consequent"], ascending=[True, False, True, True],
                         ignore_index=True)[RULE_COLUMNS]


def _gated_counts(customers: pd.DataFrame, columns: list[str], o: dict, gates: dict | None
                  ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`_counted` for held services, each rule and share counted among the customers who can hold its items.

    An add-on its gate implies ("No internet service": :func:`custseg.relations.gates`) cannot be held without the
    gate, so counted over every customer the rule StreamingTV → StreamingMovies gets a lift from the nesting alone:
    the customers without internet hold neither, and the fewer of a segment have internet the higher its lift. So
    a rule between items gated by G (and any others) is counted among the holders of G, and an add-on's
    penetration is the share of the segment's gate holders who hold it (none: no gap) — a phone-only segment's gap
    is internet, not streaming.
    """
    seg = customers[["customer_id", "segment"]]
    gate_of = {child: gate for gate, children in (gates or {}).items() if gate in columns
               for child in children if child in columns}
    if not gate_of:
        return _counted(service_baskets(customers, columns), seg, o)
    used = sorted(set(gate_of.values()))
    holds = held(customers, used)
    bases, pers, pen = [], [], None
    for size in range(len(used) + 1):
        for needed in itertools.combinations(used, size):
            sub = customers[holds[list(needed)].all(axis=1)] if needed else customers
            if sub.empty:
                continue
            base, per, shares = _counted(service_baskets(sub, columns), sub[["customer_id", "segment"]], o)
            for frame, out in ((base, bases), (per, pers)):
                want = [tuple(sorted({gate_of.get(a), gate_of.get(c)} - {None})) == needed
                        for a, c in zip(frame["antecedent"], frame["consequent"], strict=True)]
                out.append(frame[want])
            shares = shares.reindex(sorted(seg["segment"].astype("str").unique()))
            gated = [c for c in shares.columns if gate_of.get(c) in needed and len(needed) == 1] if needed else [
                c for c in shares.columns if c not in gate_of]
            pen = shares[gated] if pen is None else pen.join(shares[gated], how="outer")
    return _sort_rules(pd.concat(bases)), _sort_rules(pd.concat(pers)), pen


def _found(counted: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], o: dict, customers: pd.DataFrame,
           clustered_on: list[str], held_by_all: bool = False, structural: set | frozenset = frozenset()) -> dict:
    """The offers and the cross-sell gaps from the rules of the whole base and of each segment and the
    penetrations (:func:`_counted`). ``held_by_all``: the baskets are what customers hold, so a rule every holder
    of A already follows (confidence 1: multiple lines → phone service) leaves nobody to offer C to, and is no
    offer; nor is a rule whose (antecedent, consequent) is in ``structural`` (a gate and the add-on it gates)."""
    base, per, held_ = counted
    open_ = per[per["confidence"] < 1 - 1e-9] if held_by_all else per
    if structural:
        open_ = open_[[(a, c) not in structural for a, c in zip(open_["antecedent"], open_["consequent"],
                                                                   strict=True)]]
    return {"basket_rules": pd.concat([base, per], ignore_index=True),
            "offers": offers(open_, base, o["top"], o["min_lift"]), "weak": weak_rules(open_, base, o["min_lift"]),
            "under_bought": under_bought(held_, _profile(customers, clustered_on)), "base": base}


def weak_rules(segment_rules: pd.DataFrame, base_rules: pd.DataFrame, min_lift: float) -> int:
    """How many rules :func:`offers` would take (of any rank) but for ``min_lift``: a lift above 1 but below it."""
    every = offers(segment_rules, base_rules, top=max(len(segment_rules), 1))
    return int((every["lift"] < min_lift - 1e-12).sum())


def weak_note(found: SimpleNamespace, min_lift: float, language: str) -> str:
    """The sentence saying how many rules ``offers.min_lift`` left out, and why ("" when none)."""
    if not found.weak:
        return ""
    said = i18n.messages(language)["offers"]["weak_one" if found.weak == 1 else "weak"]
    return said.format(n=found.weak, min_lift=f"{min_lift:g}", more=i18n.percent(min_lift - 1))


def holders(customers: pd.DataFrame, found, item: str) -> pd.Series | None:
    """Per customer (rows of ``customers``): whether they hold ``item`` of ``found`` — a service (:func:`held`) or
    a category they bought in the window (its ``share_cat_`` feature above 0); None when the features cannot tell
    (products)."""
    if found is not None and found.item == SERVICES and item in customers:
        return held(customers, [item])[item]
    column = f"share_cat_{item}"
    if found is not None and found.item == "category" and column in customers:
        return customers[column].fillna(0) > 0
    return None


def audience_fit(customers: pd.DataFrame, items: list | None, found=None, language: str = "en"
                 ) -> tuple[pd.Series | None, str | None]:
    """Whom an offer fits among ``customers``: a rule's [A, C] the holders of A without C, a gap's [None, C] those
    without C (:func:`holders`); with the sentence saying so ({customers} left to fill), in ``language``. (None,
    None) when there is no offer or the features cannot tell who holds its items."""
    if not items:
        return None, None
    antecedent, consequent = items
    has_c = holders(customers, found, consequent)
    has_a = holders(customers, found, antecedent) if antecedent is not None else None
    if has_c is None or (antecedent is not None and has_a is None):
        return None, None
    m = i18n.messages(language)["offers"]
    services = found is not None and found.item == SERVICES

    def name(item):
        return i18n.label(item, language) if services else i18n.value_label("category", item, language)

    if antecedent is None:
        return ~has_c, m["audience_gap"].replace("{item}", name(consequent))
    return has_a & ~has_c, m["audience_rule"].replace("{antecedent}", name(antecedent)).replace(
        "{consequent}", name(consequent))


def find_for_run(cfg: dict, customers: pd.DataFrame, transactions: ir.Table | None, clustered_on: list[str],
                 crm_columns: list[str], gates: dict | None = None, language: str = "en"
                 ) -> tuple[SimpleNamespace | None, str]:
    """The run's offers: :func:`find` on the log's baskets when it has items, else :func:`find_services` on the
    yes/no services the customer table says each customer holds; with the sentence saying how they were found
    or why there are none (the baskets' reason when neither finds any)."""
    found, note = (find(cfg["offers"], customers, transactions, clustered_on, language) if transactions is not None
                   else (None, None))
    if found is None:
        held, held_note = find_services(cfg["offers"], customers, clustered_on, cfg["outcomes"],
                                        cfg["privacy"]["sensitive_columns"], language, crm_columns,
                                        cfg["evaluate"]["contact_columns"], gates)
        found, note = (held, held_note) if held is not None or note is None else (None, note)
    return found, note


def find_services(o: dict, customers: pd.DataFrame, clustered_on: list[str], outcomes: dict | list | None = None,
                  sensitive: list | tuple = (), language: str = "en", among: list | None = None,
                  exclude: list | tuple = (), gates: dict | None = None) -> tuple[SimpleNamespace | None, str]:
    """Without baskets: association rules between the services customers hold (:func:`service_columns` of the
    columns ``among`` but not ``exclude``, or the config's ``offers.services``), per segment against the base, and
    the services a segment holds less than the segments most like it; None (and why) when there are fewer than two
    service columns. A rule between a gate of ``gates`` (:func:`custseg.relations.gates`: InternetService) and an
    add-on it gates (StreamingTV) is structural — nobody without internet can stream — and is no offer.

    Raises
    ------
    ConfigError
        ``offers.services`` names a column the customer table does not have.
    """
    m = i18n.messages(language)["offers"]
    found, left = service_choice(customers, outcomes, sensitive, among, exclude)
    if o["services"] is not None:
        unknown = [c for c in o["services"] if c not in customers]
        if unknown:
            raise ConfigError(f"config key 'offers.services' names {', '.join(map(repr, unknown))}, which the "
                              f"customer table does not have (its yes/no columns: {', '.join(found) or 'none'})")
        columns, left = list(o["services"]), {}
    else:
        columns = found
    if len(columns) < 2:
        return None, " ".join(filter(None, [m["no_services"].format(found=", ".join(columns) or "–"),
                                            left_out_note(left, language)]))
    structural = {pair for gate, children in (gates or {}).items() for child in children
                  for pair in ((gate, child), (child, gate))}
    found = _found(_gated_counts(customers, columns, o, gates), o, customers, clustered_on, held_by_all=True,
                   structural=structural)
    note = m["services_how"].format(services=", ".join(columns), min_support=o["min_support"],
                                    min_confidence=o["min_confidence"], min_baskets=o["min_baskets"],
                                    min_lift=o["min_lift"])
    out = SimpleNamespace(item=SERVICES, columns=columns, left_out=left, **found)
    return out, " ".join(filter(None, [note, left_out_note(left, language),
                                       weak_note(out, o["min_lift"], language)]))


def on_cards(cards: list[dict], found, choice: dict, language: str) -> list[dict]:
    """The persona cards with what to offer each segment (with the numbers) and whether it is a target; its
    ``offer_items`` are the best offer's [antecedent, consequent] of a rule, or [None, item] of a cross-sell gap
    (None without an offer), for :func:`holders`."""
    m = i18n.messages(language)["offers"]
    out = []
    for card in cards:
        seg = str(card["segment"])
        lines, offer = [], ""
        if found is not None:
            services = found.item == SERVICES
            said = {key: m[f"service_{key}" if services else key] for key in ("rule", "gap", "none")}

            def name(item, services=services):
                if services:  # a service column: its name in words (InternetService → internet service)
                    return phrases.plain_label(item, language)
                return i18n.value_label("category", item, language)

            own = found.offers[found.offers["segment"].astype("str") == seg]
            for r in own.itertuples():
                base = "–" if pd.isna(r.base_lift) else f"{r.base_lift:.2f}"
                lines.append(said["rule"].format(antecedent=name(r.antecedent), consequent=name(r.consequent),
                                                 confidence=i18n.percent(r.confidence), lift=f"{r.lift:.2f}",
                                                 base_lift=base))
            gaps = found.under_bought[found.under_bought["segment"].astype("str") == seg].head(2)
            for r in gaps.itertuples():
                lines.append(said["gap"].format(item=name(r.item), own=i18n.percent(r.penetration),
                                                similar=i18n.percent(r.similar_penetration)))
            if not lines:
                lines.append(said["none"])
            best = [(a, c) for a, c in zip(own["antecedent"], own["consequent"], strict=True)] + [
                (None, item) for item in gaps["item"]]
            offer = name(best[0][1]) if best else ""
            items = list(best[0]) if best else None
        else:
            items = None
        target = card["segment"] in choice["targets"]
        out.append({**card, "offers": lines, "offer": offer, "offer_items": items,
                    "target": m["target"].format(strategy=m["strategies"][choice["strategy"]]) if target else ""})
    return out
