"""A transaction log in the shape of the UCI "Online Retail" dataset, generated (nothing is downloaded)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg.demo.draws import pick

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

    Parameters
    ----------
    n_customers : int
        Customers with an id (ids from 12346 up); anonymous invoices, adjustments and credit notes come on top.
    seed : int
        Random seed; the same seed gives the same log.
    start, end : str
        The log's first and last day (ISO).

    Returns
    -------
    DataFrame
        One row per invoice line, shuffled.
    """
    rng = np.random.default_rng(seed)
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    ids = np.arange(12346, 12346 + n_customers)
    country = pick(rng, COUNTRIES, n_customers)
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
