"""The demo retailer's planted truth: its personas (who they are, how they buy, what they answer), when the
year is busy, who consents to marketing, and how each persona responds to a campaign."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CHANNELS = ["store", "web", "app", "mini_program"]
CATEGORIES = ["apparel", "beauty", "electronics", "grocery", "home", "kids", "sports_health", "luxury"]
SURVEY_ITEMS = ["price_sensitivity", "brand_loyalty", "quality_focus", "novelty_seeking", "health_consciousness"]


@dataclass(frozen=True)
class Persona:
    """A planted persona: how its customers are drawn.

    Purchases follow a Pareto/NBD-like process: each customer buys at a gamma-distributed rate (mean
    ``orders_per_year``, shape ``RATE_SHAPE``: a few heavy buyers, many light ones) for an exponential
    active lifetime (mean ``lifetime_years``), so most customers buy once and frequency is heavy-tailed.
    Order values are lognormal around a customer's own level, itself lognormal around ``order_value``.
    """

    name: str
    share: float
    age: tuple[float, float]  # mean, sd
    female: float
    tiers: dict[str, float]
    orders_per_year: float  # mean purchase rate while active
    lifetime_years: float  # mean time a customer stays active after the first purchase
    order_value: float  # median order value (CNY)
    channels: dict[str, float]
    categories: dict[str, float]
    discount_rate: float  # share of orders bought on discount
    return_rate: float
    survey: dict[str, float] = field(default_factory=dict)
    membership: dict[str, float] = field(default_factory=dict)


PERSONAS: list[Persona] = [
    Persona("affluent_loyalists", 0.10, (46, 7), 0.55, {"tier 1": 0.7, "new tier 1": 0.25, "tier 2": 0.05},
            8, 3.0, 800, {"store": 0.5, "web": 0.15, "app": 0.3, "mini_program": 0.05},
            {"luxury": 0.35, "beauty": 0.3, "apparel": 0.2, "home": 0.15}, 0.05, 0.05,
            dict(price_sensitivity=1.6, brand_loyalty=4.5, quality_focus=4.6, novelty_seeking=3.0,
                 health_consciousness=3.2), {"gold": 0.6, "silver": 0.3, "basic": 0.1}),
    Persona("young_trend_seekers", 0.20, (24, 3), 0.6, {"new tier 1": 0.5, "tier 1": 0.3, "tier 2": 0.2},
            6, 0.8, 180, {"app": 0.45, "mini_program": 0.4, "web": 0.15},
            {"apparel": 0.45, "electronics": 0.35, "beauty": 0.2}, 0.25, 0.15,
            dict(price_sensitivity=3.2, brand_loyalty=2.0, quality_focus=3.0, novelty_seeking=4.6,
                 health_consciousness=2.4), {"basic": 0.6, "silver": 0.35, "gold": 0.05}),
    Persona("value_families", 0.20, (37, 5), 0.65, {"tier 2": 0.5, "tier 3": 0.4, "new tier 1": 0.1},
            7, 1.5, 250, {"mini_program": 0.5, "web": 0.3, "store": 0.2},
            {"grocery": 0.4, "kids": 0.35, "home": 0.25}, 0.6, 0.08,
            dict(price_sensitivity=4.5, brand_loyalty=2.8, quality_focus=3.0, novelty_seeking=2.2,
                 health_consciousness=3.0), {"silver": 0.5, "basic": 0.4, "gold": 0.1}),
    Persona("dormant_one_timers", 0.30, (33, 10), 0.5,
            {"tier 1": 0.2, "new tier 1": 0.25, "tier 2": 0.25, "tier 3": 0.2, "tier 4": 0.1},
            1, 0.1, 110, {"web": 0.85, "mini_program": 0.15},
            {"apparel": 0.3, "home": 0.3, "grocery": 0.2, "electronics": 0.2}, 0.8, 0.1,
            dict(price_sensitivity=3.8, brand_loyalty=1.6, quality_focus=2.6, novelty_seeking=2.8,
                 health_consciousness=2.7), {"basic": 0.95, "silver": 0.05}),
    Persona("health_enthusiasts", 0.10, (34, 6), 0.55, {"tier 1": 0.6, "new tier 1": 0.4},
            5, 1.5, 320, {"web": 0.65, "app": 0.35},
            {"sports_health": 0.7, "grocery": 0.3}, 0.1, 0.05,
            dict(price_sensitivity=2.6, brand_loyalty=3.4, quality_focus=4.2, novelty_seeking=3.2,
                 health_consciousness=4.8), {"silver": 0.5, "gold": 0.3, "basic": 0.2}),
    Persona("silver_shoppers", 0.10, (64, 6), 0.6, {"tier 3": 0.5, "tier 4": 0.3, "tier 2": 0.2},
            6, 3.0, 140, {"store": 0.85, "mini_program": 0.15},
            {"grocery": 0.5, "home": 0.4, "sports_health": 0.1}, 0.3, 0.03,
            dict(price_sensitivity=3.6, brand_loyalty=4.3, quality_focus=3.4, novelty_seeking=1.5,
                 health_consciousness=3.6), {"silver": 0.5, "basic": 0.3, "gold": 0.2}),
]
# gamma shape of the purchase rates (1: exponential; smaller: heavier tail)
RATE_SHAPE = 0.8
# the personas overlap: a customer's channel and category mix is this share of the persona's, the rest common
PERSONA_WEIGHT = 0.9
COMMON_CHANNELS = {"store": 0.3, "web": 0.3, "app": 0.2, "mini_program": 0.2}
# relative purchase intensity by month: Chinese New Year lull, 618 in June, Singles' Day and year end
SEASON = np.array([0.8, 0.6, 0.9, 0.9, 1.0, 1.4, 0.9, 0.9, 1.0, 1.0, 1.9, 1.4])


# marketing consent per persona: e-mail, SMS, WeChat (share of customers who opted in)
CONSENT = {"affluent_loyalists": (0.7, 0.5, 0.6), "young_trend_seekers": (0.3, 0.2, 0.85),
           "value_families": (0.5, 0.6, 0.8), "dormant_one_timers": (0.15, 0.1, 0.2),
           "health_enthusiasts": (0.6, 0.3, 0.5), "silver_shoppers": (0.2, 0.7, 0.3)}
# the planted campaign: per persona, the response rate without contact and the uplift from contact; a customer
# with BUY_ANYWAY_ORDERS or more orders in the window's last year responds at BUY_ANYWAY_RATE, contacted or not
BUY_ANYWAY_ORDERS, BUY_ANYWAY_RATE = 3, 0.30
CAMPAIGN = {"affluent_loyalists": (0.25, 0.02), "young_trend_seekers": (0.08, 0.06), "value_families": (0.10, 0.10),
            "dormant_one_timers": (0.02, 0.02), "health_enthusiasts": (0.10, 0.05), "silver_shoppers": (0.15, 0.03)}
