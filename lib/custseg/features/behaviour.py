"""RFM and behavioural features per customer, computed in the engine (Ibis) from cleaned transaction lines.

Definitions (marketing RFM at a snapshot date): ``recency_days`` — days from the last purchase to the snapshot
date; ``frequency`` — number of distinct purchase orders; ``monetary`` — total net spend: purchases minus returns,
after discounts.
"""

from __future__ import annotations

import datetime as dt
import re

import ibis
import ibis.expr.types as ir
import pandas as pd

from custseg.schema import FILL, FREQUENCY, MONETARY, RECENCY, TENURE, fetch, is_return

# durations, counts and money: their differences matter in ratios (1 vs 2 orders is more than 20 vs 21), so
# the clustering always sees them on a log scale (custseg.cluster.make_preprocessor), however skewed they are
LOG_SCALE = (RECENCY, FREQUENCY, MONETARY, "avg_order_value", TENURE, "interpurchase_days")
# every column :func:`behaviour` gives a customer (besides the id), and the globs of its mix columns: the names a
# config's cluster.features can use on a log before any data is read (custseg.config.validate checks them)
NAMES = (*LOG_SCALE, "first_purchase", "last_purchase", "gross_spend", "discount_total", "returned_amount",
         "return_rate", "discount_share")
MIX_PATTERNS = ("share_channel_*", "share_cat_*")


def _slug(value: str) -> str:
    return re.sub(r"\W+", "_", str(value).strip().lower()).strip("_") or "unknown"


def _top_categories_and_channels(buys: ir.Table, max_categories: int) -> tuple[list[str], list[str]]:
    """The ``max_categories`` categories with most spend and the 10 channels with most lines, in one query."""
    mix = buys.group_by(["category", "channel"]).aggregate(spend=buys.amount.sum(), lines=buys.count()).execute()
    top = lambda col, by, n: [str(v) for v in mix.dropna(subset=[col]).groupby(col)[by].sum()  # noqa: E731
                              .sort_values(ascending=False, kind="stable").index[:n]]
    return top("category", "spend", max_categories), top("channel", "lines", 10)


def _with_returns_flag(transactions: ir.Table) -> ir.Table:
    """Lines with ``is_return`` (:func:`custseg.schema.is_return`)."""
    return transactions.mutate(is_return=is_return(transactions))


def behaviour(transactions: ir.Table, snapshot: dt.date, max_categories: int = 10) -> pd.DataFrame:
    """RFM and behavioural features per customer from cleaned transaction lines.

    Parameters
    ----------
    transactions : ibis Table
        Kept lines from :func:`custseg.clean.clean_transactions` (returns included as negative quantities).
    snapshot : date
        The date recency and tenure are measured at.
    max_categories : int
        Categories beyond the ``max_categories`` largest by spend are grouped as ``other``.

    Returns
    -------
    DataFrame
        One row per customer with at least one purchase.
    """
    t = _with_returns_flag(transactions)
    categories, channels = _top_categories_and_channels(t.filter(~t.is_return), max_categories)
    # a log without a category or channel column has only the filler value: no mix to describe
    categories = [] if categories == [FILL["category"]] else categories
    channels = [] if channels == [FILL["channel"]] else channels
    t = t.mutate(category=ibis.ifelse(t.category.isin(categories), t.category, "other"),
                 list_value=t.quantity * t.unit_price)
    # Sums go straight from lines to customers; orders are counted per channel in a second, narrow
    # aggregation (lines → orders → customers) instead of COUNT(DISTINCT order_id) per channel: plain hash
    # aggregates spill to disk, so 100M lines fit a 4 GB memory limit (distinct aggregates did not at 12 GB).
    buy = ~t.is_return
    sums = t.group_by("customer_id").aggregate(
        first_purchase=t.order_ts.min(where=buy),
        last_purchase=t.order_ts.max(where=buy),
        gross_spend=t.amount.sum(where=buy),
        list_value=t.list_value.sum(where=buy),
        discount_total=t.discount.sum(where=buy),
        returned_amount=-t.amount.sum(where=t.is_return),
        **{f"spend_cat_{_slug(c)}": t.amount.sum(where=buy & (t.category == c)) for c in [*categories, "other"]},
    )
    b = t.filter(buy)
    o = b.group_by(["customer_id", "order_id"]).aggregate(channel=b.channel.max())
    orders = o.group_by("customer_id").aggregate(
        frequency=o.count(), **{f"orders_channel_{_slug(c)}": o.count(where=o.channel == c) for c in channels})
    f = orders.inner_join(sums, "customer_id")  # customers with a purchase
    f = f.mutate(returned_amount=f.returned_amount.fill_null(0))
    snap = ibis.literal(snapshot)
    days = lambda a, b: (a.epoch_days() - b.epoch_days())  # noqa: E731
    f = f.mutate(
        recency_days=days(snap, f.last_purchase.date()),
        tenure_days=days(snap, f.first_purchase.date()),
        monetary=f.gross_spend - f.returned_amount,
        avg_order_value=f.gross_spend / f.frequency,
        interpurchase_days=ibis.ifelse(
            f.frequency > 1, days(f.last_purchase.date(), f.first_purchase.date()) / (f.frequency - 1),
            ibis.null("float64")),
        return_rate=ibis.ifelse(f.gross_spend > 0, f.returned_amount / f.gross_spend, 0),
        discount_share=ibis.ifelse(f.list_value > 0, f.discount_total / f.list_value, 0),
        **{f"share_channel_{_slug(c)}": f[f"orders_channel_{_slug(c)}"] / f.frequency for c in channels},
        **{f"share_cat_{_slug(c)}": ibis.ifelse(f.gross_spend > 0,
                                                f[f"spend_cat_{_slug(c)}"].fill_null(0) / f.gross_spend, 0)
           for c in [*categories, "other"]},
    )
    drop = [c for c in f.columns if c.startswith(("orders_channel_", "spend_cat_"))] + ["list_value"]
    if not categories:
        drop.append("share_cat_other")
    df = fetch(f.drop(*drop))
    if "share_cat_other" in df and (df["share_cat_other"] == 0).all():
        df = df.drop(columns="share_cat_other")
    return df
