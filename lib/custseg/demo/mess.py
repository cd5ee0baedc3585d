"""The mess a real retailer's exports carry, planted on the clean CRM rows and order log."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg.demo.personas import CATEGORIES
from custseg.reference import CITIES


def add_mess(rng: np.random.Generator, customers: pd.DataFrame, orders: pd.DataFrame, lines: pd.DataFrame,
             start: pd.Timestamp, end: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The CRM rows and order log as they come out of the retailer's systems.

    The CRM gets cities spelled several ways (incl. Chinese names), missing and impossible birth dates,
    duplicate rows with case/space variants of the id, exact duplicates and test accounts, shuffled; the log
    gets the test accounts' orders, wholesale outliers, orders of unknown customers, ids in lower case, zero
    prices and double-loaded lines.

    Parameters
    ----------
    rng : numpy.random.Generator
        The retailer's main stream.
    customers, orders, lines : DataFrame
        The clean data; not modified.
    start, end : pandas.Timestamp
        The window the extra orders fall in.

    Returns
    -------
    customers, orders, lines : DataFrame
    """
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
