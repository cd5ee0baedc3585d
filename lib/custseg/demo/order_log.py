"""The demo retailer's orders as the bare export most real logs come in: ``customer_id, order_date, amount``."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from custseg.demo.draws import stream
from custseg.demo.retailer import generate


def log_only(n_customers: int = 5000, seed: int = 7, start: str | dt.date = "2023-01-01",
             end: str | dt.date = "2025-12-31") -> tuple[pd.DataFrame, pd.DataFrame]:
    """An order log with only ``customer_id, order_date, amount``, the shape most real exports come in.

    The demo retailer's orders (same personas, purchase process and mess) with everything else taken
    away: one row per order, the amount its net value as text (returns negative, some written with
    thousands separators ``1,234.50``), cancelled orders left out, dates as ``YYYY-MM-DD``.

    Parameters
    ----------
    n_customers, seed, start, end
        As for :func:`~custseg.demo.retailer.generate`.

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
    rng = stream(seed, "export")
    text = log["amount"].round(2).map("{:.2f}".format)
    big = (log["amount"].abs() >= 1000) & (rng.random(len(log)) < 0.5)
    text[big] = log.loc[big, "amount"].round(2).map("{:,.2f}".format)
    out = pd.DataFrame({"customer_id": log["customer_id"], "order_date": log["order_ts"].dt.strftime("%Y-%m-%d"),
                        "amount": text})
    return out.sample(frac=1, random_state=seed).reset_index(drop=True), frames["ground_truth"]

