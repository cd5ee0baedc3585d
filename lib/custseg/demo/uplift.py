"""A randomised campaign with a planted uplift per customer, and its export as it comes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg.demo.draws import stream


def campaign_plan(groups: pd.Series, rates: dict[str, tuple[float, float]],
                  order_value: dict[str, float] | float) -> pd.DataFrame:
    """Each customer's planted campaign response, from their group.

    Parameters
    ----------
    groups : Series
        Customer id (index) → group.
    rates : dict of str to (float, float)
        Group → (response rate without contact, uplift added by contact).
    order_value : dict of str to float, or float
        The median revenue of a response, per group or for all.

    Returns
    -------
    DataFrame
        Customer id (index) → ``base`` (response rate without contact), ``uplift`` (added by contact) and
        ``value`` (median revenue of a response).
    """
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
    seed : int
        Who is in the campaign, treated and responding is drawn from the ``campaign`` stream of this seed.
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
    rng = stream(seed, "campaign")
    inside = rng.random(len(plan)) < share
    p = plan[inside]
    is_treated = rng.random(len(p)) < treated
    responded = rng.random(len(p)) < p["base"].to_numpy() + p["uplift"].to_numpy() * is_treated
    revenue = np.where(responded, np.round(p["value"].to_numpy() * np.exp(rng.normal(0, 0.6, len(p))), 2), 0.0)
    cost = np.where(is_treated, cost_per_contact + coupon * responded, 0.0)
    return pd.DataFrame({"customer_id": p.index.to_numpy(), "group": np.where(is_treated, "treatment", "control"),
                         "contacted": np.where(is_treated, "Y", "N"), "responded": responded.astype(int),
                         "revenue": revenue, "cost": cost})


def campaign_mess(rng: np.random.Generator, results: pd.DataFrame) -> pd.DataFrame:
    """A campaign export as it comes: ids in other case, a NULL id, unknown customers, one customer in both
    groups, groups spelled in capitals.

    Parameters
    ----------
    rng : numpy.random.Generator
        The ``export`` stream (:func:`~custseg.demo.draws.stream`).
    results : DataFrame
        From :func:`campaign`; not modified.

    Returns
    -------
    DataFrame
        The results with the mess, and four rows more.
    """
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
