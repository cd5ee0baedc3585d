"""Generate the demo retailer: a seeded, deliberately messy omnichannel company with planted personas.

Sources, as a real company would have them:

* ``customers.csv`` — CRM export with PII (name, phone, email), gender, birth date, city/province/tier,
  signup date, acquisition channel and membership tier;
* ``orders.duckdb`` — tables ``orders`` (order id, customer id, timestamp, channel, status) and
  ``order_lines`` (category, quantity, unit price, discount); returns are separate orders with
  negative quantities;
* ``survey.xlsx`` — psychographic Likert items (1–5) for a subset of customers;
* ``campaign.csv`` — the results of a campaign after the window: a random half of the customers, of whom 80 %
  were treated and 20 % held out as control, with a planted uplift that differs by persona (:data:`CAMPAIGN`)
  and none for the customers who bought three or more times in the last year (they buy anyway); the planted
  uplift of each customer is in ``ground_truth.csv``;
* ``ground_truth.csv`` — customer → planted persona. Used only by tests; no notebook reads it.

The mess is deliberate: duplicate CRM rows with case/space variants of the id, missing and impossible
birth dates, cities spelled several ways (incl. Chinese names), cancellations, returns, zero prices,
double-loaded order lines, wholesale outliers, test accounts and orders of unknown customers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from custseg import io
from custseg.reference import CITIES, TIERS
from custseg.schema import normalise_id

# the version of the generated data: data written by an older generator is generated again
GENERATOR = "2"
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
SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun"]
GIVEN = ["Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yan", "Jie", "Tao", "Ming"]


def _pick(rng: np.random.Generator, probs: dict[str, float], size: int) -> np.ndarray:
    keys = list(probs)
    p = np.array([probs[k] for k in keys], dtype=float)
    return np.array(keys)[rng.choice(len(keys), size=size, p=p / p.sum())]


def generate(n_customers: int = 20000, seed: int = 7, start: str | dt.date = "2023-01-01",
             end: str | dt.date = "2025-12-31", shift_persona: str | None = None, shift_share: float = 0.5,
             shift_date: str | dt.date | None = None) -> dict[str, pd.DataFrame]:
    """Generate the demo sources as data frames.

    Parameters
    ----------
    n_customers : int
        Number of real customers (test accounts and duplicates come on top).
    seed : int
        Random seed; the same seed gives the same data.
    start, end : date or ISO string
        Observation window of the transactions.
    shift_persona, shift_share, shift_date : optional
        A planted shift for the migration view: from ``shift_date`` on, ``shift_share`` of the persona's
        customers (drawn with their own seed) buy nothing more. Nothing before ``shift_date`` changes, nor
        does any other persona; ``ground_truth`` marks the customers in a ``shifted`` column.

    Returns
    -------
    dict of DataFrame
        ``customers``, ``orders``, ``order_lines``, ``survey`` and ``ground_truth``.
    """
    if n_customers < 50:
        raise ValueError(f"n_customers must be at least 50 to plant six personas, got {n_customers}")
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(start)
    end = pd.Timestamp(end) + pd.Timedelta(hours=23, minutes=59)

    shares = np.array([p.share for p in PERSONAS])
    persona_idx = rng.choice(len(PERSONAS), size=n_customers, p=shares / shares.sum())
    customer_id = np.array([f"C{i:06d}" for i in range(1, n_customers + 1)])

    customers = _customers(rng, customer_id, persona_idx, start, end)
    orders, lines = _orders(rng, customers, persona_idx, end)
    survey = _survey(rng, customer_id, persona_idx)
    truth = pd.DataFrame({"customer_id": customer_id,
                          "persona": np.array([p.name for p in PERSONAS])[persona_idx]})
    # consent and the campaign have streams of their own: the data drawn before them does not change
    customers = _consent(np.random.default_rng([seed, 7]), customers, persona_idx)
    customers, orders, lines = _add_mess(rng, customers, orders, lines, start, end)
    if shift_persona is not None:
        orders, lines, truth["shifted"] = _plant_shift(orders, lines, truth, shift_persona, shift_share,
                                                       shift_date, seed)
    plan = campaign_plan(truth.set_index("customer_id")["persona"], CAMPAIGN,
                         {p.name: p.order_value for p in PERSONAS})
    # customers who bought often in the last year buy anyway: a campaign adds nothing for them
    recent = orders[(orders["status"] == "completed") & (orders["order_ts"] >= end - pd.Timedelta(days=365))]
    regular = plan.index.isin(recent.groupby("customer_id").size().loc[lambda n: n >= BUY_ANYWAY_ORDERS].index)
    plan.loc[regular, ["base", "uplift"]] = (BUY_ANYWAY_RATE, 0.0)
    truth["campaign_uplift"] = plan["uplift"].to_numpy()
    results = campaign(plan, seed=seed)
    return {"customers": customers, "orders": orders, "order_lines": lines, "survey": survey,
            "ground_truth": truth, "campaign": _campaign_mess(np.random.default_rng([seed, 9]), results)}


# marketing consent per persona: e-mail, SMS, WeChat (share of customers who opted in)
CONSENT = {"affluent_loyalists": (0.7, 0.5, 0.6), "young_trend_seekers": (0.3, 0.2, 0.85),
           "value_families": (0.5, 0.6, 0.8), "dormant_one_timers": (0.15, 0.1, 0.2),
           "health_enthusiasts": (0.6, 0.3, 0.5), "silver_shoppers": (0.2, 0.7, 0.3)}
# the planted campaign: per persona, the response rate without contact and the uplift from contact; a customer
# with BUY_ANYWAY_ORDERS or more orders in the window's last year responds at BUY_ANYWAY_RATE, contacted or not
BUY_ANYWAY_ORDERS, BUY_ANYWAY_RATE = 3, 0.30
CAMPAIGN = {"affluent_loyalists": (0.25, 0.02), "young_trend_seekers": (0.08, 0.06), "value_families": (0.10, 0.10),
            "dormant_one_timers": (0.02, 0.02), "health_enthusiasts": (0.10, 0.05), "silver_shoppers": (0.15, 0.03)}


def _consent(rng, customers: pd.DataFrame, persona_idx) -> pd.DataFrame:
    rates = np.array([CONSENT[p.name] for p in PERSONAS])[persona_idx]
    given = rng.random(rates.shape) < rates
    return customers.assign(**{col: np.where(given[:, j], "Y", "N")
                               for j, col in enumerate(("email_opt_in", "sms_opt_in", "wechat_opt_in"))})


def campaign_plan(groups: pd.Series, rates: dict[str, tuple[float, float]],
                  order_value: dict[str, float] | float) -> pd.DataFrame:
    """Each customer's planted campaign response from their group: customer id (index) → ``base`` (response
    rate without contact), ``uplift`` (added by contact) and ``value`` (median revenue of a response)."""
    label = groups.to_numpy()
    return pd.DataFrame({"base": [rates[g][0] for g in label], "uplift": [rates[g][1] for g in label],
                         "value": [order_value[g] if isinstance(order_value, dict) else order_value for g in label]},
                        index=groups.index)


def campaign(plan: pd.DataFrame, seed: int = 7, share: float = 0.5, treated: float = 0.8,
             cost_per_contact: float = 1.5, coupon: float = 15.0) -> pd.DataFrame:
    """Results of a randomised campaign with a planted uplift per customer.

    Parameters
    ----------
    plan : DataFrame
        From :func:`campaign_plan`: per customer id (index) ``base``, ``uplift`` and ``value``.
    share, treated : float
        The share of customers in the campaign, and of those the share treated (the rest is the control group).
    cost_per_contact, coupon : float
        A treated customer costs the contact, and the coupon when they respond.

    Returns
    -------
    DataFrame
        customer_id, group (treatment / control), contacted (Y/N), responded (1/0), revenue, cost. A responder's
        revenue is lognormal around their ``value``, whether treated or not.
    """
    rng = np.random.default_rng([seed, 8])
    inside = rng.random(len(plan)) < share
    p = plan[inside]
    is_treated = rng.random(len(p)) < treated
    responded = rng.random(len(p)) < p["base"].to_numpy() + p["uplift"].to_numpy() * is_treated
    revenue = np.where(responded, np.round(p["value"].to_numpy() * np.exp(rng.normal(0, 0.6, len(p))), 2), 0.0)
    cost = np.where(is_treated, cost_per_contact + coupon * responded, 0.0)
    return pd.DataFrame({"customer_id": p.index.to_numpy(), "group": np.where(is_treated, "treatment", "control"),
                         "contacted": np.where(is_treated, "Y", "N"), "responded": responded.astype(int),
                         "revenue": revenue, "cost": cost})


def _campaign_mess(rng, results: pd.DataFrame) -> pd.DataFrame:
    """A campaign export as it comes: ids in other case, a NULL id, unknown customers, one customer in both
    groups, groups spelled in capitals."""
    r = results.copy()
    low = rng.random(len(r)) < 0.02
    r.loc[low, "customer_id"] = r.loc[low, "customer_id"].str.lower()
    r["group"] = np.where(rng.random(len(r)) < 0.1, r["group"].str.upper(), r["group"])
    extra = pd.DataFrame({"customer_id": ["NULL", "U999901", "U999902", r["customer_id"].iloc[0]],
                          "group": ["treatment", "treatment", "control",
                                    "control" if r["group"].iloc[0].lower() == "treatment" else "treatment"],
                          "contacted": ["Y", "Y", "N", "Y"], "responded": [0, 1, 0, 0],
                          "revenue": [0.0, 120.0, 0.0, 0.0], "cost": [1.5, 16.5, 0.0, 1.5]})
    return pd.concat([r, extra], ignore_index=True)


def _seasonal_times(rng, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A random time in each ``[lo, hi]`` (datetime64[s]), busier in the months :data:`SEASON` weighs more."""
    out = np.empty(len(lo), dtype="datetime64[s]")
    todo = np.arange(len(lo))
    while len(todo):
        span = (hi[todo] - lo[todo]).astype("int64")
        t = lo[todo] + (rng.random(len(todo)) * span).astype("timedelta64[s]")
        month = t.astype("datetime64[M]").astype(int) % 12
        ok = rng.random(len(todo)) < SEASON[month] / SEASON.max()
        out[todo[ok]] = t[ok]
        todo = todo[~ok]
    return out


def _mixes(rng, persona_idx, attribute: str, common: dict[str, float], keys: list[str]) -> np.ndarray:
    """Each customer's own mix over ``keys`` (rows sum to 1): the persona's blended with the common mix, and
    drawn around that (Dirichlet), so customers of one persona differ and personas overlap."""
    base = np.array([[PERSONA_WEIGHT * getattr(p, attribute).get(k, 0.0) + (1 - PERSONA_WEIGHT) * common[k]
                      for k in keys] for p in PERSONAS])
    return np.vstack([rng.dirichlet(50 * base[i] + 1e-3) for i in persona_idx])


def _draw(rng, probs: np.ndarray, keys: list[str], who: np.ndarray) -> np.ndarray:
    """One of ``keys`` per row of ``who``, drawn from that customer's row of ``probs``."""
    cumulative = probs.cumsum(axis=1)[who]
    picked = (rng.random(len(who))[:, None] > cumulative).sum(axis=1)
    return np.array(keys)[np.minimum(picked, len(keys) - 1)]


def _customers(rng, customer_id, persona_idx, start, end) -> pd.DataFrame:
    n = len(customer_id)
    age = np.empty(n)
    gender = np.empty(n, dtype=object)
    tier = np.empty(n, dtype=object)
    membership = np.empty(n, dtype=object)
    for k, p in enumerate(PERSONAS):
        m = persona_idx == k
        age[m] = np.clip(rng.normal(*p.age, m.sum()), 18, 85)
        gender[m] = np.where(rng.random(m.sum()) < p.female, "F", "M")
        tier[m] = _pick(rng, p.tiers, m.sum())
        membership[m] = _pick(rng, p.membership, m.sum())
    # customers join all through the window (busier in the sales months) and buy on the day they join
    lo = np.full(n, start.to_datetime64().astype("datetime64[s]"))
    hi = np.full(n, (end - pd.Timedelta(days=14)).to_datetime64().astype("datetime64[s]"))
    signup = pd.DatetimeIndex(_seasonal_times(rng, lo, hi)).floor("D")
    cities_by_tier = {t: [c for c, v in CITIES.items() if v[1] == t] for t in TIERS}
    city = np.array([rng.choice(cities_by_tier[t]) for t in tier])
    birth = (signup - pd.to_timedelta((age * 365.25).round(), unit="D")).strftime("%Y-%m-%d")
    names = [f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}{rng.choice(GIVEN).lower()}" for _ in range(n)]
    phones = [f"1{rng.integers(30, 99)}{rng.integers(10_000_000, 99_999_999)}" for _ in range(n)]
    emails = [f"{nm.replace(' ', '.').lower()}{i}@example.com" for i, nm in enumerate(names)]
    acquisition = np.where(
        persona_idx == [p.name for p in PERSONAS].index("dormant_one_timers"),
        rng.choice(["paid_social", "marketplace_promo", "search"], n),
        rng.choice(["store", "referral", "search", "paid_social", "app_store"], n),
    )
    return pd.DataFrame({
        "customer_id": customer_id, "name": names, "phone": phones, "email": emails,
        "gender": gender, "birth_date": np.asarray(birth, dtype=object), "city": city,
        "province": [CITIES[c][0] for c in city], "city_tier": tier,
        "signup_date": signup.strftime("%Y-%m-%d"), "acquisition_channel": acquisition,
        "membership_tier": membership,
    })


def _orders(rng, customers: pd.DataFrame, persona_idx, end) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(customers)
    first = pd.to_datetime(customers["signup_date"]).to_numpy().astype("datetime64[s]")
    first = first + rng.integers(8 * 3600, 22 * 3600, n).astype("timedelta64[s]")
    rate = rng.gamma(RATE_SHAPE, np.array([p.orders_per_year for p in PERSONAS])[persona_idx] / RATE_SHAPE)
    lifetime = np.minimum(rng.exponential(np.array([p.lifetime_years for p in PERSONAS])[persona_idx]), 50)
    last = np.minimum(first + (lifetime * 365 * 86400).astype("timedelta64[s]"),
                      end.to_datetime64().astype("datetime64[s]"))
    years = (last - first).astype("int64") / (365 * 86400)
    n_orders = 1 + rng.poisson(rate * years)
    cust = np.repeat(np.arange(n), n_orders)
    is_first = np.r_[True, cust[1:] != cust[:-1]]
    ts = np.where(is_first, first[cust], _seasonal_times(rng, first[cust], last[cust]))
    order_persona = persona_idx[cust]
    # each customer has a spending level of their own (heavy-tailed), and orders vary around it
    level = np.array([p.order_value for p in PERSONAS])[persona_idx] * np.exp(rng.normal(0, 0.5, n))

    channel = _draw(rng, _mixes(rng, persona_idx, "channels", COMMON_CHANNELS, CHANNELS), CHANNELS, cust)
    discounted = np.empty(len(cust), dtype=bool)
    returned = np.empty(len(cust), dtype=bool)
    for k, p in enumerate(PERSONAS):
        m = order_persona == k
        discounted[m] = rng.random(m.sum()) < p.discount_rate
        returned[m] = rng.random(m.sum()) < p.return_rate
    cancelled = rng.random(len(cust)) < 0.03
    returned &= ~cancelled
    order_id = np.array([f"O{i:08d}" for i in range(1, len(cust) + 1)])
    orders = pd.DataFrame({
        "order_id": order_id, "customer_id": customers["customer_id"].to_numpy()[cust],
        "order_ts": pd.to_datetime(ts).as_unit("s"), "channel": channel,
        "status": np.where(cancelled, "cancelled", "completed"),
    })

    n_lines = 1 + rng.poisson(0.8, len(cust))
    line_order = np.repeat(np.arange(len(cust)), n_lines)
    line_no = np.concatenate([np.arange(1, k + 1) for k in n_lines])
    line_cust = cust[line_order]
    uniform = {c: 1 / len(CATEGORIES) for c in CATEGORIES}
    category = _draw(rng, _mixes(rng, persona_idx, "categories", uniform, CATEGORIES), CATEGORIES, line_cust)
    quantity = rng.geometric(0.7, len(line_order))
    unit_price = np.round(level[line_cust] / (1.8 * 1.4) * np.exp(rng.normal(0, 0.45, len(line_order))), 2)
    rate_off = rng.choice([0.1, 0.2, 0.3], len(line_order))
    discount = np.where(discounted[line_order], np.round(unit_price * quantity * rate_off, 2), 0.0)
    lines = pd.DataFrame({
        "order_id": order_id[line_order], "line_no": line_no, "category": category,
        "quantity": quantity, "unit_price": unit_price, "discount": discount,
    })

    # returns: a separate order a few days later with the lines' quantities negated
    ret_idx = np.flatnonzero(returned)
    ret_ids = np.array([f"R{i:08d}" for i in range(1, len(ret_idx) + 1)])
    ret_orders = orders.iloc[ret_idx].assign(
        order_id=ret_ids,
        order_ts=lambda d: d["order_ts"] + pd.to_timedelta(rng.integers(2, 20, len(d)), unit="D"),
        status="returned",
    )
    ret_orders["order_ts"] = ret_orders["order_ts"].clip(upper=end)
    rl = lines[lines["order_id"].isin(set(order_id[ret_idx]))].copy()
    rl["order_id"] = rl["order_id"].map(dict(zip(order_id[ret_idx], ret_ids, strict=True)))
    rl["quantity"] = -rl["quantity"]
    rl["discount"] = -rl["discount"]
    orders = pd.concat([orders, ret_orders], ignore_index=True)
    lines = pd.concat([lines, rl], ignore_index=True)
    return orders, lines


def _plant_shift(orders, lines, truth, persona, share, date, seed):
    """Drop every order (and its lines) from ``date`` on of ``share`` of the persona's customers."""
    names = [p.name for p in PERSONAS]
    if persona not in names:
        raise ValueError(f"demo.shift_persona must be one of {', '.join(names)}, got {persona!r}")
    if date is None:
        raise ValueError("a planted shift needs demo.shift_date")
    rng = np.random.default_rng([seed, 6])  # its own stream: the rest of the data stays as without a shift
    shifted = (truth["persona"] == persona).to_numpy() & (rng.random(len(truth)) < share)
    who = normalise_id(orders["customer_id"]).isin(set(truth["customer_id"][shifted]))
    gone = who & (orders["order_ts"] >= pd.Timestamp(date))
    dropped = set(orders.loc[gone, "order_id"])
    return (orders[~gone].reset_index(drop=True), lines[~lines["order_id"].isin(dropped)].reset_index(drop=True),
            shifted)


def _survey(rng, customer_id, persona_idx) -> pd.DataFrame:
    take = rng.random(len(customer_id)) < 0.3
    cols = {"respondent_id": customer_id[take]}
    for item in SURVEY_ITEMS:
        mean = np.array([p.survey[item] for p in PERSONAS])[persona_idx[take]]
        cols[item] = np.clip(np.round(rng.normal(mean, 0.8)), 1, 5).astype(int)
    survey = pd.DataFrame(cols)
    survey.insert(1, "submitted_on", pd.Timestamp("2025-06-01")
                  + pd.to_timedelta(rng.integers(0, 60, len(survey)), unit="D"))
    # a few respondents whose id matches no customer (typed by hand in the survey tool)
    unknown = pd.DataFrame({"respondent_id": [f"X{i:05d}" for i in range(max(3, len(survey) // 200))]})
    unknown = unknown.assign(submitted_on=pd.Timestamp("2025-06-15"),
                             **{item: 3 for item in SURVEY_ITEMS})
    return pd.concat([survey, unknown], ignore_index=True)


def _add_mess(rng, customers, orders, lines, start, end):
    n = len(customers)
    c = customers.copy()
    # cities spelled several ways
    variant = rng.random(n) < 0.25
    c.loc[variant, "city"] = [rng.choice(CITIES[x][2]) for x in c.loc[variant, "city"]]
    # missing and impossible birth dates
    c.loc[rng.random(n) < 0.05, "birth_date"] = None
    c.loc[rng.random(n) < 0.01, "birth_date"] = "1900-01-01"
    c.loc[rng.random(n) < 0.005, "birth_date"] = "2031-05-17"
    # duplicate CRM rows: id with case/space variants, e-mail upper-cased, name in other case
    dup = c.sample(frac=0.02, random_state=int(rng.integers(1 << 31)))
    dup = dup.assign(customer_id=[rng.choice([f" {x}", x.lower(), f"{x} "]) for x in dup["customer_id"]],
                     email=dup["email"].str.upper(), name=dup["name"].str.upper())
    exact = c.sample(frac=0.005, random_state=int(rng.integers(1 << 31)))
    # test accounts with plenty of orders
    n_test = max(3, n // 2000)
    tests = pd.DataFrame({
        "customer_id": [f"T{i:05d}" for i in range(n_test)],
        "name": ["Test User" if i % 2 else "测试账号" for i in range(n_test)],
        "phone": "13800000000", "email": [f"qa_test{i}@example.com" for i in range(n_test)],
        "gender": None, "birth_date": None, "city": "Shanghai", "province": "Shanghai", "city_tier": "tier 1",
        "signup_date": start.strftime("%Y-%m-%d"), "acquisition_channel": "internal", "membership_tier": "basic",
    })
    c = pd.concat([c, dup, exact, tests], ignore_index=True).sample(frac=1, random_state=1)
    c = c.reset_index(drop=True)

    o, ln = orders.copy(), lines.copy()
    extra_orders, extra_lines = [], []
    # test-account orders, wholesale outliers and orders of unknown customers
    specials = ([(t, "store", 40) for t in tests["customer_id"]]
                + [(f"C{int(i):06d}", "store", 3) for i in rng.integers(1, n + 1, max(2, n // 4000))]
                + [(f"U{i:06d}", "web", 1) for i in range(max(5, len(o) // 200))])
    k = 0
    for cust, channel, count in specials:
        for _ in range(count):
            k += 1
            oid = f"S{k:08d}"
            ts = start + pd.Timedelta(seconds=int(rng.integers(0, int((end - start).total_seconds()))))
            extra_orders.append((oid, cust, ts, channel, "completed"))
            qty = int(rng.integers(200, 2000)) if cust.startswith("C") else int(rng.integers(1, 4))
            extra_lines.append((oid, 1, str(rng.choice(CATEGORIES)), qty, round(float(rng.uniform(20, 200)), 2), 0.0))
    o = pd.concat([o, pd.DataFrame(extra_orders, columns=o.columns)], ignore_index=True)
    ln = pd.concat([ln, pd.DataFrame(extra_lines, columns=ln.columns)], ignore_index=True)
    # ids typed in lower case in some order rows; zero prices; double-loaded lines
    low = rng.random(len(o)) < 0.01
    o.loc[low, "customer_id"] = o.loc[low, "customer_id"].str.lower()
    ln.loc[rng.random(len(ln)) < 0.002, "unit_price"] = 0.0
    ln = pd.concat([ln, ln.sample(frac=0.003, random_state=2)], ignore_index=True)
    o["order_ts"] = o["order_ts"].astype("datetime64[s]")
    return c, o, ln


def write(cfg: dict, frames: dict[str, pd.DataFrame] | None = None) -> Path:
    """Generate (unless ``frames`` are given) and write the demo sources into ``paths.raw``.

    The config must declare the demo's sources as ``configs/demo.yaml`` does: ``customers`` (CSV),
    ``transactions`` and ``orders`` (two tables of one DuckDB file) and optionally ``survey`` (Excel).
    """
    d = cfg["demo"]
    frames = frames or generate(d["n_customers"], d["seed"], d["start"], d["end"], d["shift_persona"],
                                d["shift_share"], d["shift_date"])
    raw = io.run_paths(cfg).raw
    src = cfg["sources"]
    io.write_csv(frames["customers"], io.source_path(cfg, "customers"))
    io.write_duckdb(io.source_path(cfg, "transactions"),
                    {src["orders"]["table"]: frames["orders"], src["transactions"]["table"]: frames["order_lines"]})
    if src["survey"]["path"]:
        io.write_excel(frames["survey"], io.source_path(cfg, "survey"), sheet=src["survey"]["sheet"])
    if src["campaign"]["path"]:
        io.write_csv(frames["campaign"], io.source_path(cfg, "campaign"))
    io.write_csv(frames["ground_truth"], raw / "ground_truth.csv")
    return raw


def ensure(cfg: dict) -> bool:
    """Write the demo data if the config asks for it and it is missing or was made with other settings.

    The settings used are recorded in ``demo.json`` beside the data, so changing ``demo.n_customers``
    (or the seed or window) regenerates instead of silently reusing stale files. Returns True when
    the data was generated.
    """
    if not cfg["demo"]["enabled"]:
        return False
    marker = io.run_paths(cfg).raw / "demo.json"
    # the shift keys count only when a shift is planted, so data made before they existed stays valid
    wanted = {k: str(v) for k, v in cfg["demo"].items()
              if k != "enabled" and not (k.startswith("shift_") and cfg["demo"]["shift_persona"] is None)}
    wanted["generator"] = GENERATOR
    files = [io.source_path(cfg, role) for role, spec in cfg["sources"].items() if spec["path"]]
    if all(path.exists() for path in files) and marker.is_file() and io.read_json(marker) == wanted:
        return False
    d = cfg["demo"]
    if d["shape"] == "online_retail":
        io.write_csv(online_retail(d["n_customers"], d["seed"]), io.source_path(cfg, "transactions"))
    elif d["shape"] == "subscribers":
        io.write_csv(subscribers(d["n_customers"], d["seed"]), io.source_path(cfg, "customers"))
    elif d["shape"] == "survey":
        answers, truth = survey_study(d["n_customers"], d["seed"])
        io.write_csv(answers, io.source_path(cfg, "customers"))
        io.write_csv(truth, io.run_paths(cfg).raw / "ground_truth.csv")
    elif d["shape"] == "log_only":
        log, truth = log_only(d["n_customers"], d["seed"], d["start"], d["end"])
        io.write_csv(log, io.source_path(cfg, "transactions"))
        io.write_csv(truth, io.run_paths(cfg).raw / "ground_truth.csv")
    else:
        write(cfg)
    io.write_json(wanted, marker)
    return True


SERVICES = ["OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies"]
PAYMENT = ["Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"]


def subscribers(n_customers: int = 5000, seed: int = 7) -> pd.DataFrame:
    """A telecom subscriber table (the shape of the public Telco churn export), with no order log.

    One row per subscriber: ``customerID``, gender, ``SeniorCitizen`` (1/0), Partner and Dependents (Yes/No),
    ``tenure`` (months), phone and internet services (Yes/No, "No internet service"), Contract, paperless
    billing, PaymentMethod, ``MonthlyCharges``, ``TotalCharges`` (text, blank for subscribers who joined this
    month, as in the real export) and ``Churn`` (Yes/No). The correlations are the real ones' direction:
    long tenure goes with long contracts; fibre and streaming raise the charges; month-to-month contracts,
    fibre, electronic checks, seniors and short tenure churn more, tech support and partners less.
    """
    rng = np.random.default_rng(seed)
    n = n_customers
    tenure = np.minimum(rng.exponential(30, n).astype(int), 72)
    contract = np.where(rng.random(n) < 0.75 - tenure / 120, "Month-to-month",
                        np.where(rng.random(n) < 0.5, "One year", "Two year"))
    internet = _pick(rng, {"Fiber optic": 0.44, "DSL": 0.34, "No": 0.22}, n)
    has_net = internet != "No"
    services = {s: np.where(~has_net, "No internet service", np.where(rng.random(n) < (0.5 if "Streaming" in s
                                                                                       else 0.35), "Yes", "No"))
                for s in SERVICES}
    phone = rng.random(n) < 0.9
    multiple = np.where(~phone, "No phone service", np.where(rng.random(n) < 0.45, "Yes", "No"))
    senior = (rng.random(n) < 0.16).astype(int)
    partner = rng.random(n) < 0.3 + tenure / 150
    payment = np.where(rng.random(n) < 0.2 + 0.25 * (contract == "Month-to-month"), PAYMENT[0],
                       _pick(rng, dict.fromkeys(PAYMENT[1:], 1 / 3), n))
    extras = sum((services[s] == "Yes").astype(float) for s in SERVICES)
    monthly = (20 + 5 * phone + 5 * (multiple == "Yes") + np.select([internet == "Fiber optic", internet == "DSL"],
                                                                     [45, 25], 0) + 5 * extras
               + rng.normal(0, 3, n)).round(2)
    total = (monthly * tenure * rng.uniform(0.95, 1.05, n)).round(2)
    logit = (-2.2 + 1.6 * (contract == "Month-to-month") + 0.7 * (internet == "Fiber optic")
             + 0.6 * (payment == PAYMENT[0]) + 0.4 * senior - 0.035 * tenure
             - 0.6 * (services["TechSupport"] == "Yes") - 0.3 * partner)
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
    yes = np.array(["No", "Yes"])
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))[rng.integers(0, 26, (n, 5))]
    ids = pd.Series(rng.integers(1000, 9999, n).astype(str)) + "-" + pd.Series(["".join(r) for r in letters])
    out = pd.DataFrame({"customerID": ids, "gender": np.where(rng.random(n) < 0.5, "Female", "Male"),
                        "SeniorCitizen": senior, "Partner": yes[partner.astype(int)],
                        "Dependents": yes[(rng.random(n) < 0.1 + 0.4 * partner).astype(int)], "tenure": tenure,
                        "PhoneService": yes[phone.astype(int)], "MultipleLines": multiple, "InternetService": internet,
                        **services, "Contract": contract, "PaperlessBilling": yes[(rng.random(n) < 0.6).astype(int)],
                        "PaymentMethod": payment, "MonthlyCharges": monthly,
                        "TotalCharges": np.where(tenure == 0, " ", total.astype(str)), "Churn": yes[churn.astype(int)]})
    return out.drop_duplicates("customerID", ignore_index=True)


# a survey study's items by the attitude behind them (the planted factors)
STUDY_ITEMS = {"price": ["compares_prices", "waits_for_sales", "buys_cheapest"],
               "quality": ["pays_for_quality", "reads_reviews", "prefers_brands"],
               "novelty": ["tries_new_products", "follows_trends", "shops_online_first"]}
LIKERT_LABELS = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
LIKERT_LABELS_ZH = ["非常不同意", "不同意", "一般", "同意", "非常同意"]
# planted respondent groups: mean attitude (price, quality, novelty), share
STUDY_GROUPS = {"bargain_hunters": ((1.0, -0.6, -0.3), 0.4), "quality_seekers": ((-0.7, 1.0, -0.2), 0.35),
                "trend_followers": ((-0.2, 0.0, 1.2), 0.25)}


def survey_study(n_respondents: int = 3000, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A survey study: one row per respondent with demographics, nine Likert items as text and a 0–10
    likelihood to recommend.

    The items measure three planted attitudes (price, quality, novelty; :data:`STUDY_ITEMS`), three items
    each, answered in English except the novelty items, which come in Chinese (非常同意 …); respondents
    belong to three planted groups (:data:`STUDY_GROUPS`) with different mean attitudes, overlapping.
    About 2 % of answers are blank or ``NULL``. Returns the answers and each respondent's planted group.
    """
    rng = np.random.default_rng(seed)
    names = list(STUDY_GROUPS)
    shares = np.array([STUDY_GROUPS[g][1] for g in names])
    group = rng.choice(len(names), n_respondents, p=shares / shares.sum())
    means = np.array([STUDY_GROUPS[g][0] for g in names])[group]
    attitude = means + rng.normal(0, 0.6, means.shape)
    out = {"respondent": [f"R{i:05d}" for i in range(1, n_respondents + 1)],
           "gender": np.where(rng.random(n_respondents) < 0.52, "Female", "Male"),
           "age": np.clip(rng.normal(38, 12, n_respondents) - 8 * (group == 2), 18, 80).round(),
           "city_tier": _pick(rng, {"tier 1": 0.3, "new tier 1": 0.25, "tier 2": 0.25, "tier 3": 0.2}, n_respondents)}
    for j, (attitude_name, items) in enumerate(STUDY_ITEMS.items()):
        labels = np.array(LIKERT_LABELS_ZH if attitude_name == "novelty" else LIKERT_LABELS, dtype=object)
        for item in items:
            score = np.clip(np.round(3 + 1.1 * (attitude[:, j] + rng.normal(0, 0.55, n_respondents))), 1, 5)
            answer = labels[score.astype(int) - 1]
            answer[rng.random(n_respondents) < 0.02] = rng.choice(["", "NULL"])
            out[item] = answer
    out["likely_to_recommend"] = np.clip(np.round(6 + 1.5 * attitude[:, 1] + rng.normal(0, 1.5, n_respondents)),
                                         0, 10)
    return pd.DataFrame(out), pd.DataFrame({"respondent": out["respondent"], "group": np.array(names)[group]})


def log_only(n_customers: int = 5000, seed: int = 7, start: str | dt.date = "2023-01-01",
             end: str | dt.date = "2025-12-31") -> tuple[pd.DataFrame, pd.DataFrame]:
    """An order log with only ``customer_id, order_date, amount``, the shape most real exports come in.

    The demo retailer's orders (same personas, purchase process and mess) with everything else taken
    away: one row per order, the amount its net value as text (returns negative, some written with
    thousands separators ``1,234.50``), cancelled orders left out, dates as ``YYYY-MM-DD``.

    Returns
    -------
    log, truth : DataFrame
        The log, and the planted persona of each customer (for tests; nothing in the workbook reads it).
    """
    frames = generate(n_customers, seed, start, end)
    lines = frames["order_lines"]
    value = lines["quantity"] * lines["unit_price"] - lines["discount"]
    amount = value.groupby(lines["order_id"]).sum().rename("amount").reset_index()
    orders = frames["orders"]
    log = orders[orders["status"] != "cancelled"].merge(amount, on="order_id")
    rng = np.random.default_rng([seed, 9])
    text = log["amount"].round(2).map("{:.2f}".format)
    big = (log["amount"].abs() >= 1000) & (rng.random(len(log)) < 0.5)
    text[big] = log.loc[big, "amount"].round(2).map("{:,.2f}".format)
    out = pd.DataFrame({"customer_id": log["customer_id"], "order_date": log["order_ts"].dt.strftime("%Y-%m-%d"),
                        "amount": text})
    return out.sample(frac=1, random_state=seed).reset_index(drop=True), frames["ground_truth"]


# A small catalogue in the shape of the UCI "Online Retail" data: (stock code, description, unit price)
PRODUCTS = [
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55), ("71053", "WHITE METAL LANTERN", 3.39),
    ("84406B", "CREAM CUPID HEARTS COAT HANGER", 2.75), ("22752", "SET 7 BABUSHKA NESTING BOXES", 7.65),
    ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 4.25), ("22633", "HAND WARMER UNION JACK", 1.85),
    ("84879", "ASSORTED COLOUR BIRD ORNAMENT", 1.69), ("22745", "POPPY'S PLAYHOUSE BEDROOM", 2.10),
    ("22748", "POPPY'S PLAYHOUSE KITCHEN", 2.10), ("22310", "IVORY KNITTED MUG COSY", 1.65),
    ("84969", "BOX OF 6 ASSORTED COLOUR TEASPOONS", 4.25), ("22623", "BOX OF VINTAGE JIGSAW BLOCKS", 4.95),
    ("21754", "HOME BUILDING BLOCK WORD", 5.95), ("21755", "LOVE BUILDING BLOCK WORD", 5.95),
    ("22960", "JAM MAKING SET WITH JARS", 4.25), ("20725", "LUNCH BAG RED RETROSPOT", 1.65),
    ("23166", "MEDIUM CERAMIC TOP STORAGE JAR", 1.04), ("22197", "SMALL POPCORN HOLDER", 0.85),
    ("84077", "WORLD WAR 2 GLIDERS ASSTD DESIGNS", 0.29), ("85099B", "JUMBO BAG RED RETROSPOT", 2.08),
]
NON_PRODUCTS = [("POST", "POSTAGE", 18.0), ("M", "Manual", 2.95), ("D", "Discount", -5.0),
                ("BANK CHARGES", "Bank Charges", 15.0)]
COUNTRIES = {"United Kingdom": 0.85, "Germany": 0.04, "France": 0.04, "EIRE": 0.03, "Spain": 0.02,
             "Netherlands": 0.02}


def online_retail(n_customers: int = 300, seed: int = 0, start: str = "2010-12-01",
                  end: str = "2011-12-09") -> pd.DataFrame:
    """A transaction log in the shape of the UCI "Online Retail" dataset, generated (nothing is downloaded).

    Columns ``InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country``
    as text, like the CSV export: dates month-first (``12/1/2010 8:26``), invoices starting with ``C``
    are cancellations (credit notes) of earlier lines with negative quantities, ``CustomerID`` is
    missing on some invoices, and there are exact duplicate rows, postage/fee/manual lines, zero
    prices, stock adjustments (negative quantity, price 0) and one giant order cancelled the same day.
    """
    rng = np.random.default_rng(seed)
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    ids = np.arange(12346, 12346 + n_customers)
    country = _pick(rng, COUNTRIES, n_customers)
    rows: list[tuple] = []
    invoice = 536365

    def add(inv, code, desc, qty, ts, price, cust, ctry):
        rows.append((inv, code, desc, qty, f"{ts.month}/{ts.day}/{ts.year} {ts.hour}:{ts.minute:02d}", price,
                     "" if cust is None else str(cust), ctry))

    for k in range(n_customers):
        n_invoices = 1 + rng.geometric(0.25)
        for ts in sorted(t0 + pd.to_timedelta(rng.uniform(0, (t1 - t0).total_seconds(), n_invoices), unit="s")):
            ts = ts.floor("min")
            cust = None if rng.random() < 0.1 else ids[k]  # anonymous checkouts
            inv = str(invoice)
            invoice += 1
            for i in rng.choice(len(PRODUCTS), min(1 + rng.poisson(3), len(PRODUCTS)), replace=False):
                code, desc, price = PRODUCTS[i]
                qty = int(rng.choice([1, 2, 3, 4, 6, 12, 24]))
                add(inv, code, desc, qty, ts, price, cust, country[k])
                if cust is not None and rng.random() < 0.06:  # cancelled later: a credit note
                    later = ts + pd.Timedelta(days=int(rng.integers(1, 20)))
                    if later < t1:
                        add(f"C{invoice}", code, desc, -qty, later, price, cust, country[k])
                        invoice += 1
            if rng.random() < 0.15:
                code, desc, price = NON_PRODUCTS[int(rng.integers(len(NON_PRODUCTS)))]
                add(inv, code, desc, 1, ts, price, cust, country[k])
    # stock adjustments, zero prices, a giant order cancelled the same day, exact duplicates
    for _ in range(max(2, n_customers // 100)):
        ts = t0 + pd.Timedelta(days=int(rng.integers(0, 300)))
        add(str(invoice), "21275", "damaged", -int(rng.integers(5, 50)), ts, 0.0, None, "United Kingdom")
        add(str(invoice + 1), "22139", "RETROSPOT TEA SET CERAMIC", 1, ts, 0.0, ids[0], country[0])
        invoice += 2
    for k in range(2):  # credit notes on the first day, for purchases made before the log starts
        add(f"C{invoice}", PRODUCTS[k][0], PRODUCTS[k][1], -2, t0 + pd.Timedelta(hours=9), PRODUCTS[k][2], ids[-1 - k],
            country[-1 - k])
        invoice += 1
    big = t1 - pd.Timedelta(hours=2)
    add(str(invoice), "23843", "PAPER CRAFT , LITTLE BIRDIE", 80995, big, 2.08, ids[1], country[1])
    add(f"C{invoice + 1}", "23843", "PAPER CRAFT , LITTLE BIRDIE", -80995, big + pd.Timedelta(minutes=15), 2.08,
        ids[1], country[1])
    df = pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                                     "UnitPrice", "CustomerID", "Country"])
    dup = df.sample(frac=0.01, random_state=seed)
    return pd.concat([df, dup], ignore_index=True).sample(frac=1, random_state=seed + 1).reset_index(drop=True)
