"""Generate the demo retailer: a seeded, deliberately messy omnichannel company with planted personas.

Sources, as a real company would have them:

* ``customers.csv`` — CRM export with PII (name, phone, email), gender, birth date, city/province/tier,
  signup date, acquisition channel, membership tier and marketing consent (:mod:`~custseg.demo.customers`);
* ``orders.duckdb`` — tables ``orders`` (order id, customer id, timestamp, channel, status) and
  ``order_lines`` (category, quantity, unit price, discount); returns are separate orders with
  negative quantities (:mod:`~custseg.demo.orders`);
* ``survey.xlsx`` — psychographic Likert items (1–5) for a subset of customers;
* ``campaign.csv`` — the results of a campaign after the window: a random half of the customers, of whom 80 %
  were treated and 20 % held out as control, with a planted uplift that differs by persona
  (:data:`~custseg.demo.personas.CAMPAIGN`) and none for the customers who bought three or more times in the
  last year (they buy anyway); the planted uplift of each customer is in ``ground_truth.csv``
  (:mod:`~custseg.demo.uplift`);
* ``ground_truth.csv`` — customer → planted persona. Used only by tests; no notebook reads it.

The mess is deliberate (:mod:`~custseg.demo.mess`): duplicate CRM rows with case/space variants of the id,
missing and impossible birth dates, cities spelled several ways (incl. Chinese names), cancellations, returns,
zero prices, double-loaded order lines, wholesale outliers, test accounts and orders of unknown customers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from custseg.demo.customers import consent, crm, survey
from custseg.demo.draws import stream
from custseg.demo.mess import add_mess
from custseg.demo.orders import draw_orders, plant_shift
from custseg.demo.personas import BUY_ANYWAY_ORDERS, BUY_ANYWAY_RATE, CAMPAIGN, PERSONAS
from custseg.demo.uplift import campaign, campaign_mess, campaign_plan


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
        ``customers``, ``orders``, ``order_lines``, ``survey``, ``ground_truth`` (with each customer's planted
        ``campaign_uplift``) and ``campaign``.

    Raises
    ------
    ValueError
        Fewer than 50 customers, or a shift of an unknown persona or without a date.
    """
    if n_customers < 50:
        raise ValueError(f"n_customers must be at least 50 to plant six personas, got {n_customers}")
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(start)
    end = pd.Timestamp(end) + pd.Timedelta(hours=23, minutes=59)

    shares = np.array([p.share for p in PERSONAS])
    persona_idx = rng.choice(len(PERSONAS), size=n_customers, p=shares / shares.sum())
    customer_id = np.array([f"C{i:06d}" for i in range(1, n_customers + 1)])

    customers = crm(rng, customer_id, persona_idx, start, end)
    orders, lines = draw_orders(rng, customers, persona_idx, end)
    answers = survey(rng, customer_id, persona_idx)
    truth = pd.DataFrame({"customer_id": customer_id,
                          "persona": np.array([p.name for p in PERSONAS])[persona_idx]})
    # consent and the campaign have streams of their own: the data drawn before them does not change
    customers = consent(stream(seed, "consent"), customers, persona_idx)
    customers, orders, lines = add_mess(rng, customers, orders, lines, start, end)
    if shift_persona is not None:
        orders, lines, truth["shifted"] = plant_shift(orders, lines, truth, shift_persona, shift_share,
                                                      shift_date, seed)
    plan = campaign_plan(truth.set_index("customer_id")["persona"], CAMPAIGN,
                         {p.name: p.order_value for p in PERSONAS})
    # customers who bought often in the last year buy anyway: a campaign adds nothing for them
    recent = orders[(orders["status"] == "completed") & (orders["order_ts"] >= end - pd.Timedelta(days=365))]
    regular = plan.index.isin(recent.groupby("customer_id").size().loc[lambda n: n >= BUY_ANYWAY_ORDERS].index)
    plan.loc[regular, ["base", "uplift"]] = (BUY_ANYWAY_RATE, 0.0)
    truth["campaign_uplift"] = plan["uplift"].to_numpy()
    results = campaign(plan, seed=seed)
    return {"customers": customers, "orders": orders, "order_lines": lines, "survey": answers,
            "ground_truth": truth, "campaign": campaign_mess(stream(seed, "export"), results)}
