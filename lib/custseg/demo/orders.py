"""The demo retailer's order log: a Pareto/NBD-like purchase process per customer, order lines, returns as
orders of their own, and the planted shift of the migration view."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from custseg.demo.draws import seasonal_times, stream
from custseg.demo.personas import CATEGORIES, CHANNELS, COMMON_CHANNELS, PERSONA_WEIGHT, PERSONAS, RATE_SHAPE, SEASON
from custseg.schema import normalise_id


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


def draw_orders(rng: np.random.Generator, customers: pd.DataFrame, persona_idx: np.ndarray,
                end: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every customer's orders and order lines, from the first purchase on the signup day to ``end``.

    Parameters
    ----------
    rng : numpy.random.Generator
        The retailer's main stream.
    customers : DataFrame
        The clean CRM rows (:func:`~custseg.demo.customers.crm`), in the order of ``persona_idx``.
    persona_idx : numpy.ndarray
    end : pandas.Timestamp
        The end of the window.

    Returns
    -------
    orders, lines : DataFrame
        Orders (order_id, customer_id, order_ts, channel, status completed / cancelled / returned) and their
        lines (order_id, line_no, category, quantity, unit_price, discount); a return is an order ``R…`` a few
        days later with the lines' quantities and discounts negated.
    """
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
    ts = np.where(is_first, first[cust], seasonal_times(rng, first[cust], last[cust], SEASON))
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


def plant_shift(orders: pd.DataFrame, lines: pd.DataFrame, truth: pd.DataFrame, persona: str, share: float,
                date: str | dt.date | None, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Drop every order (and its lines) from ``date`` on of ``share`` of the persona's customers.

    Parameters
    ----------
    orders, lines : DataFrame
        The order log, mess included.
    truth : DataFrame
        customer_id → persona.
    persona, share, date
        Whose orders stop, what share of them (drawn from the ``shift`` stream of ``seed``), and from when.
    seed : int

    Returns
    -------
    orders, lines : DataFrame
        What is left.
    shifted : numpy.ndarray
        Per row of ``truth``, whether the customer was shifted.

    Raises
    ------
    ValueError
        An unknown persona, or no date.
    """
    names = [p.name for p in PERSONAS]
    if persona not in names:
        raise ValueError(f"demo.shift_persona must be one of {', '.join(names)}, got {persona!r}")
    if date is None:
        raise ValueError("a planted shift needs demo.shift_date")
    rng = stream(seed, "shift")  # its own stream: the rest of the data stays as without a shift
    shifted = (truth["persona"] == persona).to_numpy() & (rng.random(len(truth)) < share)
    who = normalise_id(orders["customer_id"]).isin(set(truth["customer_id"][shifted]))
    gone = who & (orders["order_ts"] >= pd.Timestamp(date))
    dropped = set(orders.loc[gone, "order_id"])
    return (orders[~gone].reset_index(drop=True), lines[~lines["order_id"].isin(dropped)].reset_index(drop=True),
            shifted)
