"""Descriptive statistics (描述性统计): frequency tables, cross-tabulations, central tendency and spread.

Transaction-grain summaries are computed in the engine (Ibis) and only the small results come back.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from custseg.schema import FILL, fetch


def has_values(table: ir.Table, column: str) -> bool:
    """Whether ``table`` has ``column`` with at least one real value: not missing, and not the filler custseg
    puts where a source has no such column (channel and category 'unknown')."""
    if column not in table.columns:
        return False
    real = table[column].notnull()
    if isinstance(FILL.get(column), str):
        real &= table[column] != FILL[column]
    return bool(table.filter(real).limit(1).count().execute())


def frequency(table: ir.Table, column: str, weight: str | None = None) -> pd.DataFrame:
    """Counts (or a weight's sum) per value, with shares, largest first; missing values shown as '(missing)'."""
    col = table[column].cast("string").fill_null("(missing)").name(column)
    metric = table.count() if weight is None else table[weight].sum()
    out = (table.group_by(col).aggregate(n=metric).order_by(ibis.desc("n")).execute())
    out["share"] = out["n"] / out["n"].sum()
    return out.rename(columns={"n": weight or "rows"})


def crosstab(table: ir.Table, rows: str, cols: str, normalize: bool = True) -> pd.DataFrame:
    """A cross-tabulation of two columns (row shares when ``normalize``)."""
    counts = table.group_by([rows, cols]).aggregate(n=table.count()).execute()
    wide = counts.pivot_table(index=rows, columns=cols, values="n", fill_value=0, aggfunc="sum")
    return wide.div(wide.sum(axis=1), axis=0) if normalize else wide


def numeric_summary(df: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Count, missing, mean, sd, min, quartiles, max and skewness of numeric columns."""
    num = df[columns] if columns else df.select_dtypes("number")
    out = num.describe().T
    out.insert(1, "missing", num.isna().sum())
    out["skew"] = num.skew()
    return out


def per_customer(transactions: ir.Table) -> pd.DataFrame:
    """Orders and net spend per customer (``customer_id``, ``orders``, ``net_spend``)."""
    t = transactions
    orders = t.group_by(["customer_id", "order_id"]).aggregate(amount=t.amount.sum())
    return fetch(orders.group_by("customer_id").aggregate(orders=orders.count(), net_spend=orders.amount.sum()))


def monthly(transactions: ir.Table) -> pd.DataFrame:
    """Orders, buying customers and net revenue per calendar month."""
    # plain aggregates over lines → orders → customers spill to disk on big logs; COUNT(DISTINCT) does not
    t = transactions.mutate(month=transactions.order_ts.truncate("M").date())
    orders = t.group_by(["month", "customer_id", "order_id"]).aggregate(amount=t.amount.sum())
    buyers = orders.group_by(["month", "customer_id"]).aggregate(orders=orders.count(), amount=orders.amount.sum())
    return (buyers.group_by("month").aggregate(orders=buyers.orders.sum(), customers=buyers.count(),
                                               revenue=buyers.amount.sum()).order_by("month").execute())


def pareto_share(values: pd.Series, top: float = 0.2) -> float:
    """Share of the total brought by the ``top`` share of the largest values (e.g. top 20 % of customers)."""
    v = values.clip(lower=0).sort_values(ascending=False)
    n = max(int(round(top * len(v))), 1)
    return float(v.iloc[:n].sum() / v.sum())
