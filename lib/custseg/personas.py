"""Personas (客户画像): a name, a narrative grounded in the profile, a strategy and KPIs per segment.

Cards are rendered with jinja2 templates (``templates/persona.*.j2``) as Markdown and HTML.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import pandas as pd

from custseg import io, profile

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("custseg", "templates"), autoescape=jinja2.select_autoescape(
    ["html.j2"]), keep_trailing_newline=True)

# (value level, activity) -> strategy; see profile.name_segment for the levels
STRATEGIES = {
    ("High-value", "active"): "Reward and retain: VIP service, early access, loyalty rewards; protect the relationship "
                              "rather than discount.",
    ("High-value", "lapsing"): "Win back now: personal outreach and a tailored offer on their favourite categories "
                               "before they are lost.",
    ("High-value", "dormant"): "Win back: personal outreach; ask what went wrong; a strong, personal offer.",
    ("Mid-value", "active"): "Upsell and cross-sell: recommend adjacent categories, bundles and membership upgrades.",
    ("Mid-value", "lapsing"): "Re-engage with reminders and offers on what they bought before.",
    ("Mid-value", "dormant"): "Reactivate with a time-limited offer; stop spending on them if they do not respond.",
    ("Low-value", "active"): "Nurture: raise order value with bundles and thresholds for free delivery.",
    ("Low-value", "lapsing"): "Low-cost reminders in their channel; test a small incentive.",
    ("Low-value", "dormant"): "Low-cost reactivation only (automated messages); otherwise let go.",
}
ONE_TIME = "Convert the first purchase into a second: onboarding messages, a welcome-back coupon, easy re-ordering."
KPIS = {
    "active": ["repeat purchase rate", "net spend per customer", "share staying in the segment"],
    "lapsing": ["reactivation rate", "days since last purchase", "win-back campaign ROI"],
    "dormant": ["reactivation rate", "cost per reactivated customer"],
    "one-time": ["second-purchase rate within 90 days", "cost per converted customer"],
}


def build(customers: pd.DataFrame, prof: pd.DataFrame, idx: pd.DataFrame, rfm_scores: pd.DataFrame,
          language: str = "en", segment: str = "segment") -> list[dict]:
    """One persona card (dict) per segment, largest first.

    Parameters
    ----------
    customers : DataFrame
        Features with a ``segment`` column.
    prof, idx : DataFrame
        From :func:`custseg.profile.profile` and :func:`custseg.profile.index_table`.
    rfm_scores : DataFrame
        From :func:`custseg.rfm.rfm_table` (for the most common RFM segment).
    """
    if language != "en":
        raise ValueError(f"persona language {language!r} is not available yet; use 'en'")
    top_rfm = (customers[["customer_id", segment]].merge(rfm_scores[["customer_id", "rfm_segment"]], on="customer_id")
               .groupby(segment)["rfm_segment"].agg(lambda s: s.mode().iloc[0]))
    cards = []
    for seg in idx.index:
        p, i = prof.loc[seg], idx.loc[seg]
        name = profile.name_segment(i, p)
        level, activity = name.split(" · ")[0].split(" ", 1)
        strategy = ONE_TIME if activity == "one-time" else STRATEGIES[(level, activity)]
        cards.append({
            "segment": int(seg), "name": name, "customers": int(p["customers"]), "share": float(p["share"]),
            "value_share": float(p["value_share"]), "top_rfm": str(top_rfm.get(seg, "")),
            "narrative": profile.write_up(seg, prof, idx, customers, segment),
            "strategy": strategy, "kpis": KPIS[activity],
        })
    _disambiguate(cards)
    return sorted(cards, key=lambda c: -c["customers"])


def _disambiguate(cards: list[dict]) -> None:
    """Number the names that occur more than once ('… (1)', '… (2)') so every segment name is unique."""
    names = pd.Series([c["name"] for c in cards])
    for name in names[names.duplicated()].unique():
        for n, card in enumerate(c for c in cards if c["name"] == name):
            card["name"] = f"{name} ({n + 1})"


def render(card: dict, kind: str = "md") -> str:
    """A card as Markdown (``md``) or an HTML fragment (``html``)."""
    return _ENV.get_template(f"persona.{kind}.j2").render(card=card)


def write_cards(cards: list[dict], folder: Path) -> list[Path]:
    """Write each card as ``segment_<id>.md`` and ``segment_<id>.html``."""
    written = []
    for card in cards:
        for kind in ("md", "html"):
            written.append(io.write_text(render(card, kind), folder / f"segment_{card['segment']}.{kind}"))
    return written


def crm_export(segments: pd.DataFrame, rfm_scores: pd.DataFrame, cards: list[dict]) -> pd.DataFrame:
    """customer_id, segment_id, segment_name, rfm_segment — ready to import into a CRM."""
    names = {c["segment"]: c["name"] for c in cards}
    out = segments.rename(columns={"segment": "segment_id"}).merge(
        rfm_scores[["customer_id", "rfm_segment"]], on="customer_id", how="left", validate="one_to_one")
    out.insert(2, "segment_name", out["segment_id"].map(names))
    return out


def value_table(cards: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(cards)[["segment", "name", "customers", "share", "value_share"]]
