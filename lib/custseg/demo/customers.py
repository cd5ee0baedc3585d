"""What the demo retailer knows of its customers outside the order log: the CRM export (with PII), their
marketing consent, and the answers of those who took the psychographic survey."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg.demo.draws import pick, seasonal_times
from custseg.demo.personas import CONSENT, PERSONAS, SEASON, SURVEY_ITEMS
from custseg.reference import CITIES, TIERS

SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun"]
GIVEN = ["Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yan", "Jie", "Tao", "Ming"]


def crm(rng: np.random.Generator, customer_id: np.ndarray, persona_idx: np.ndarray, start: pd.Timestamp,
        end: pd.Timestamp) -> pd.DataFrame:
    """The clean CRM rows, one per customer, drawn from each customer's persona.

    Parameters
    ----------
    rng : numpy.random.Generator
        The retailer's main stream.
    customer_id, persona_idx : numpy.ndarray
        Each customer's id and index into :data:`~custseg.demo.personas.PERSONAS`.
    start, end : pandas.Timestamp
        The observation window: customers sign up in it (busier in the sales months), up to 14 days before
        its end.

    Returns
    -------
    DataFrame
        customer_id, name, phone, email, gender, birth_date, city, province, city_tier, signup_date,
        acquisition_channel, membership_tier (dates as ISO text).
    """
    n = len(customer_id)
    age = np.empty(n)
    gender = np.empty(n, dtype=object)
    tier = np.empty(n, dtype=object)
    membership = np.empty(n, dtype=object)
    for k, p in enumerate(PERSONAS):
        m = persona_idx == k
        age[m] = np.clip(rng.normal(*p.age, m.sum()), 18, 85)
        gender[m] = np.where(rng.random(m.sum()) < p.female, "F", "M")
        tier[m] = pick(rng, p.tiers, m.sum())
        membership[m] = pick(rng, p.membership, m.sum())
    # customers join all through the window (busier in the sales months) and buy on the day they join
    lo = np.full(n, start.to_datetime64().astype("datetime64[s]"))
    hi = np.full(n, (end - pd.Timedelta(days=14)).to_datetime64().astype("datetime64[s]"))
    signup = pd.DatetimeIndex(seasonal_times(rng, lo, hi, SEASON)).floor("D")
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


def consent(rng: np.random.Generator, customers: pd.DataFrame, persona_idx: np.ndarray) -> pd.DataFrame:
    """``customers`` with the opt-in columns ``email_opt_in``, ``sms_opt_in``, ``wechat_opt_in`` (Y/N) added,
    each drawn at the persona's rate (:data:`~custseg.demo.personas.CONSENT`).

    Parameters
    ----------
    rng : numpy.random.Generator
        The ``consent`` stream (:func:`~custseg.demo.draws.stream`).
    customers : DataFrame
        The CRM rows, in the order of ``persona_idx``.
    persona_idx : numpy.ndarray

    Returns
    -------
    DataFrame
    """
    rates = np.array([CONSENT[p.name] for p in PERSONAS])[persona_idx]
    given = rng.random(rates.shape) < rates
    return customers.assign(**{col: np.where(given[:, j], "Y", "N")
                               for j, col in enumerate(("email_opt_in", "sms_opt_in", "wechat_opt_in"))})


def survey(rng: np.random.Generator, customer_id: np.ndarray, persona_idx: np.ndarray) -> pd.DataFrame:
    """The psychographic survey: about 30 % of the customers answer the Likert items (1–5) of
    :data:`~custseg.demo.personas.SURVEY_ITEMS` around their persona's means, plus a few respondents whose id
    matches no customer.

    Parameters
    ----------
    rng : numpy.random.Generator
        The retailer's main stream.
    customer_id, persona_idx : numpy.ndarray

    Returns
    -------
    DataFrame
        respondent_id, submitted_on, one column per item.
    """
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
