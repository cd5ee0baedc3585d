"""Personas (客户画像): a name, a narrative grounded in the profile, a strategy and KPIs per segment.

**With a transaction log** (:mod:`custseg.personas.behaviour`) the name is built from the profile, e.g. "Young
trend-seeking regulars":

* **core** — value level (net spend index: high ≥ 150, low < 40, else mid) and activity: *active* when the
  average customer's last purchase is no older than max(45 days, 1.5 × their usual gap between orders),
  *lapsing* up to max(180 days, 4 × the gap), else *dormant*; segments averaging under two orders are
  *first-time buyers* (last purchase ≤ 90 days ago) or *lapsed one-time buyers* (*… big spenders* when their
  one order was large);
* **stage** — *young* (average age < 30) or *silver* (≥ 55);
* **motive** — the strongest of deal-seeking (discount share, survey price sensitivity), trend-seeking,
  health-conscious, quality-focused and brand-loyal (survey items) when its effect size is large (d ≥ 0.8).

The strategy follows from value and activity (reward and retain, win back, upsell, nurture…) and is
sharpened by the motive and life stage (lead with value, newness, expertise…); KPIs follow from activity and
motive; channels and offers follow from how the segment buys.

**On a customer table or a survey** (:mod:`custseg.personas.table`) the name joins the plain words of what sets the
segment apart most ("Low tenure and month-to-month contract", "No internet service and low monthly charges"),
categories and ordinals are told as label shares against the base, and the strategy and KPIs follow what sets the
segment apart: a worse outcome's drivers, what it lacks and most customers have, a better outcome to protect.

Segments that would share a name are told apart by what separates them — their main channel, their traits against
each other, or the feature that separates them most at its median ("… (typical order 14)") — never by a number
(:mod:`custseg.personas.cards`, which also renders the cards). Every sentence is filled from the numbers of the
profile; the words come from the language's catalogue (``templates/<language>/messages.yaml``) and the cards are
rendered with ``templates/persona.{md,html}.j2``.
"""

from custseg.personas.behaviour import (
    LARGE_EFFECT,
    MOTIVES,
    PROMINENT,
    activity,
    build,
    core,
    headline,
    kpis,
    motive,
    name,
    stage,
    strategy,
    value_level,
)
from custseg.personas.cards import (
    SURVEY_EFFECT,
    _disambiguate,
    browser,
    card_files,
    crm_export,
    render,
    value_table,
    with_targeting,
)
from custseg.personas.table import (
    NAME_TRAITS,
    OUTCOME_RATIO,
    STORY_TRAITS,
    TRAIT_EFFECT,
    build_from_table,
    is_code,
    outcome_verdict,
    traits,
)

__all__ = ["LARGE_EFFECT", "MOTIVES", "NAME_TRAITS", "OUTCOME_RATIO", "PROMINENT", "STORY_TRAITS", "SURVEY_EFFECT",
           "TRAIT_EFFECT", "_disambiguate", "activity", "browser", "build", "build_from_table", "card_files", "core",
           "crm_export", "headline", "is_code", "kpis", "motive", "name", "outcome_verdict", "render", "stage",
           "strategy", "traits", "value_level", "value_table", "with_targeting"]
