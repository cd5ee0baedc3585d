"""Positioning (市场定位) and the marketing mix (营销组合) of each target segment: the last step of STP.

Segmentation says who the customers are, targeting (:mod:`custseg.target`) whom to serve; positioning says what the
offer should stand for in the minds of a target segment, and the marketing mix how product, price, channel and
promotion deliver it. This module writes a **draft** of both for each target segment, from its numbers only:

- the positioning statement follows the classic template — *For <segment>, who <need>, <brand> is the <frame> that
  <benefit>, because <reason>* — with the need read off what the segment buys or holds more than the average
  customer (or the outcome where it is worse), the benefit off its offer (:mod:`custseg.offers`) or its persona's
  strategy, and the reason off the strongest number (the offer's lift, the value per customer). The brand is left
  as a placeholder: the data does not know it.
- the mix has one row per element the data can fill: **product** (what they buy or hold more than the base, and the
  next offer), **price** (value per customer against the base, the typical order and the discount share when the
  log has them), **channel** (the share of them buying through each channel) and **promotion** (the persona's
  strategy, each outcome against the base in its direction, and the share that can be contacted). An element the
  data cannot fill has no row; :attr:`Positioning.missing` says which data would fill it.

Every word comes from the ``positioning`` section of the message catalogues (:mod:`custseg.i18n`). The table is a
draft for a person to edit, not a decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from custseg import i18n, phrases, services
from custseg.attributes import HIGHER, direction, outcome_names
from custseg.target import channel_columns, outcome_column

ELEMENTS = ("statement", "product", "price", "channel", "promotion")  # the rows of the table, in this order
MIX = ELEMENTS[1:]  # the four Ps: product, price, place (channel), promotion
PREMIUM, ECONOMY = 120, 80  # value-per-customer index from which the price level is premium / economy (100 = average)
PRICE_SENSITIVE, FULL_PRICE = 120, 80  # discount-share index from which a segment responds to price / pays full price
TOP = 2  # items and channels named per segment
COLUMNS = ["segment", "name", "element", "text"]


@dataclass
class Positioning:
    """The draft positioning of the target segments.

    Attributes
    ----------
    table : DataFrame
        ``segment``, ``name``, ``element`` (one of :data:`ELEMENTS`) and ``text`` (in the run's language): one row
        per target segment and element the data can fill (``positioning.csv``).
    missing : list of str
        One sentence per mix element the data cannot fill, saying which data would fill it.
    language : str
    """

    table: pd.DataFrame
    missing: list[str] = field(default_factory=list)
    language: str = "en"

    def shown(self) -> pd.DataFrame:
        """The table for people: segment, name, the element's label and the text, headed in the run's language."""
        m = i18n.messages(self.language)["positioning"]
        return self.table.assign(element=self.table["element"].map(m["elements"])).rename(columns=m["headers"])

    def notes(self) -> list[str]:
        """What to say under the table: that there is no target, or which data would fill the rows left out."""
        return [i18n.messages(self.language)["positioning"]["none"]] if self.table.empty else self.missing

    def on_cards(self) -> dict[str, dict]:
        """Per target segment (id as text): its ``statement`` and ``mix`` (label and text per element) — what 08
        records in ``target.json`` for the persona cards. What is ``missing`` is said once, on 08's page, not on
        every card: a card shows what its segment has."""
        labels = i18n.messages(self.language)["positioning"]["elements"]
        out = {}
        for seg, rows in self.table.groupby("segment", sort=False):
            said = dict(zip(rows["element"], rows["text"], strict=True))
            out[str(seg)] = {"statement": said.get("statement", ""),
                             "mix": [[labels[e], said[e]] for e in MIX if e in said]}
        return out


def _share(x: float) -> str:
    return i18n.percent(x) if 0 <= x <= 1 else i18n.number(x)


def _index(segment_value: float, base: float) -> float:
    return 100 * segment_value / base if base and not np.isnan(base) and not np.isnan(segment_value) else np.nan


def _uses(customers: pd.DataFrame, seg, found, language: str) -> tuple[str, list[tuple[str, float, float]]]:
    """What the segment buys (``buys``: share of spend per category) or holds (``holds``: share holding each
    service) more than the base: up to :data:`TOP` (label, segment value, base value), most distinctive first."""
    from custseg import offers

    mine = customers["segment"] == seg
    if found is not None and found.item == offers.SERVICES:
        items = sorted({*found.base["antecedent"], *found.base["consequent"], *found.under_bought["item"]} &
                       set(customers.columns))
        frame, kind = services.held(customers, items).astype("float"), "holds"

        def name(c):
            return phrases.plain_label(c, language)
    else:
        items = [c for c in customers.columns if c.startswith("share_cat_")]
        frame, kind = customers[items], "buys"

        def name(c):
            return i18n.value_label("category", c.removeprefix("share_cat_"), language)
    if not items:
        return kind, []
    own, base = frame[mine].mean(), frame.mean()
    index = (own / base.where(base > 0)).dropna()
    above = index[index > 1].sort_values(ascending=False).index[:TOP]
    return kind, [(name(c), float(own[c]), float(base[c])) for c in above]


def _outcomes(row: pd.Series, customers: pd.DataFrame, outcomes, language: str) -> list[tuple[str, bool]]:
    """Each outcome of known direction against the base: (sentence, whether it is worse than the base), the
    worse first."""
    m, ways = i18n.messages(language)["positioning"], i18n.messages(language)["table"]["direction"]
    out = []
    for name in outcome_names(outcomes):
        way = direction(name, outcomes)[0]
        column = outcome_column(name)
        if way is None or column not in row or pd.isna(row[column]) or name not in customers:
            continue
        own, base = float(row[column]), float(customers[name].mean())
        worse = own < base if way == HIGHER else own > base
        out.append((m["outcome"].format(outcome=phrases.plain_label(name, language), value=_share(own),
                                        base=_share(base), direction=ways[way]), worse))
    return sorted(out, key=lambda o: not o[1])  # the worse first


def draft(table: pd.DataFrame, cards: list[dict], targets: list, customers: pd.DataFrame, found=None,
          value: str = "", outcomes: dict | list | None = None, consent: list[str] | tuple = (),
          language: str = "en") -> Positioning:
    """A draft positioning statement and marketing mix for each target segment, from its numbers.

    Parameters
    ----------
    table : DataFrame
        The clusters' targeting table (:func:`custseg.target.table`): ``segment``, ``name``, ``share``,
        ``value_share``, ``value_index``, ``reach``, ``channel_*`` and ``outcome_*`` columns.
    cards : list of dict
        The persona cards with their offers (:func:`custseg.offers.on_cards`): ``segment``, ``name``, ``offer``,
        ``strategy_headline``.
    targets : list
        The target segments (``choice["targets"]`` of :func:`custseg.target.strategy`).
    customers : DataFrame
        One row per customer with ``segment`` and the features (``share_cat_*``, ``share_channel_*``,
        ``avg_order_value``, ``discount_share`` — left out when the log has no discount —, the outcomes, the
        service columns).
    found : SimpleNamespace, optional
        The offers (:func:`custseg.offers.find` or :func:`custseg.offers.find_services`): ``item``, ``base``,
        ``offers`` and ``under_bought``.
    value : str
        The value column (:func:`custseg.target.value_column`; "" when there is none).
    outcomes : dict or list, optional
        The config's ``outcomes`` (each read in its direction).
    consent : list of str
        The contact or consent columns reach was measured on.
    language : {'en', 'zh'}

    Returns
    -------
    Positioning
    """
    m, sep = i18n.messages(language)["positioning"], i18n.messages(language)["sentence_sep"]
    rows = table.set_index("segment")
    by_id = {c["segment"]: c for c in cards}
    channels = [c.removeprefix("share_") for c in channel_columns(customers) if c.removeprefix("share_") in rows]
    base_channel = (customers[[f"share_{c}" for c in channels]] > 0).mean().set_axis(channels)
    has_value = "value_index" in rows and rows["value_index"].notna().any()
    prices = [c for c in ("avg_order_value", "discount_share") if c in customers and customers[c].sum() > 0]
    missing = [m["missing"][e] for e, lacks in (("channel", not channels), ("price", not has_value and not prices))
               if lacks]
    out, no_product = [], False
    for seg in targets:
        row, card = rows.loc[seg], by_id.get(seg, {})
        name = card.get("name") or row.get("name") or str(seg)
        kind, uses = _uses(customers, seg, found, language)
        listed = i18n.join([m["use"].format(item=i, value=_share(v), base=_share(b)) for i, v, b in uses], language)
        judged = _outcomes(row, customers, outcomes, language)
        offer, rule = card.get("offer") or "", _rule(found, seg, language)
        said = {}
        # product: what they buy or hold more than the base, and the next offer
        if uses or offer:
            said["product"] = sep.join(p for p in (m[kind].format(items=listed) if uses else "",
                                                   m["offer"].format(offer=offer) if offer else m["no_offer"]) if p)
        else:
            no_product = True
        # price: value per customer against the base; the typical order and the discount share from a log
        parts = []
        if has_value and pd.notna(row["value_index"]):
            level = ("premium" if row["value_index"] >= PREMIUM else "economy" if row["value_index"] <= ECONOMY
                     else "mid")
            parts.append(m["value"].format(column=phrases.plain_label(value, language),
                                           index=i18n.integer(row["value_index"]), level=m["level"][level]))
        mine = customers["segment"] == seg
        if "avg_order_value" in prices:
            own = float(customers.loc[mine, "avg_order_value"].mean())
            parts.append(m["order"].format(value=i18n.number(own), index=i18n.integer(
                _index(own, float(customers["avg_order_value"].mean())))))
        if "discount_share" in prices:
            own = float(customers.loc[mine, "discount_share"].mean())
            d = _index(own, float(customers["discount_share"].mean()))
            sensitivity = ("sensitive" if d >= PRICE_SENSITIVE else "full" if d <= FULL_PRICE else "usual")
            parts.append(m["discount"].format(share=i18n.percent(own), index=i18n.integer(d),
                                              says=m["sensitivity"][sensitivity]))
        if parts:
            said["price"] = sep.join(parts)
        # channel: where they buy (the share of them who bought through each channel, against the base)
        if channels:
            top = row[channels].astype("float").sort_values(ascending=False).index[:TOP]
            said["channel"] = m["channel"].format(channels=i18n.join(
                [m["use"].format(item=i18n.value_label("channel", c.removeprefix("channel_"), language),
                                 value=i18n.percent(row[c]), base=i18n.percent(base_channel[c])) for c in top],
                language))
        # promotion: the persona's strategy, the outcomes in their direction, and who can be contacted
        promotion = [m["message"].format(headline=card.get("strategy_headline") or "–")]
        if judged:
            promotion.append(m["outcomes"].format(outcomes=i18n.join([text for text, _ in judged], language)))
        if "reach" in row and pd.notna(row["reach"]):
            promotion.append(m["reach"].format(share=i18n.percent(row["reach"]), columns=", ".join(consent)))
        said["promotion"] = sep.join(promotion)
        said["statement"] = _statement(m, name, row, kind, uses, judged, offer, rule, card, language)
        out += [(seg, name, e, said[e]) for e in ELEMENTS if e in said]
    if no_product:
        missing.append(m["missing"]["product"])
    frame = pd.DataFrame(out, columns=COLUMNS).astype({"name": "str", "element": "str", "text": "str"})
    return Positioning(frame, missing, language)


def _rule(found, seg, language: str) -> str:
    """The strongest offer rule of the segment as a reason ("… 1.43 times as often as chance (lift)"), or ""."""
    from custseg import offers

    if found is None:
        return ""
    own = found.offers[found.offers["segment"].astype("str") == str(seg)]
    if own.empty:
        return ""
    r = own.iloc[0]
    services = found.item == offers.SERVICES

    def name(item):
        return phrases.plain_label(item, language) if services else i18n.value_label("category", item, language)

    m = i18n.messages(language)["positioning"]
    return m["because_rule" if not services else "because_service_rule"].format(
        antecedent=name(r["antecedent"]), consequent=name(r["consequent"]), lift=f"{r['lift']:.2f}",
        base_lift="–" if pd.isna(r["base_lift"]) else f"{r['base_lift']:.2f}")


def _statement(m: dict, name: str, row: pd.Series, kind: str, uses: list, judged: list, offer: str, rule: str,
               card: dict, language: str) -> str:
    """The classic positioning statement, filled from the numbers; the brand is a placeholder."""
    value = (m["who_value"].format(value=i18n.percent(row["value_share"]))
             if "value_share" in row and pd.notna(row["value_share"]) else "")
    who = m["who"].format(name=name, share=i18n.percent(row["share"]), value=value)
    worse = [text for text, bad in judged if bad]
    items = i18n.join([u[0] for u in uses], language)
    need = (m[f"need_{kind}"].format(items=items) if uses else m["need_outcome"].format(outcome=judged[0][0])
            if judged else m["need_card"])
    frame = m["frame_items"].format(items=items) if uses else m["frame"]
    benefit = (m[f"benefit_offer_{kind}"].format(offer=offer) if offer
               else m["benefit_strategy"].format(headline=card.get("strategy_headline") or "–"))
    index = row.get("value_index", np.nan)
    reason = (rule if rule else m["because_value"].format(index=i18n.integer(index)) if pd.notna(index)
              else m["because_outcome"].format(outcome=worse[0]) if worse
              else m["because_size"].format(share=i18n.percent(row["share"])))
    return m["statement"].format(who=who, need=need, brand=m["brand"], frame=frame, benefit=benefit, reason=reason)


__all__ = ["ECONOMY", "ELEMENTS", "MIX", "PREMIUM", "Positioning", "draft"]
