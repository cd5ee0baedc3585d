"""Collect the configured sources into Ibis tables, remove PII and reconcile the sources.

Everything stays an Ibis expression (DuckDB by default) until it is written, so the same code runs
on another Ibis backend. PII never leaves this module: configured PII columns are dropped; the only
thing derived from them is the ``looks_like_test`` flag that cleaning uses to quarantine test accounts.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from custseg import io

CUSTOMER_COLUMNS = ["customer_id"]
ORDER_COLUMNS = ["order_id", "customer_id", "order_ts", "channel", "status"]
LINE_COLUMNS = ["order_id", "line_no", "category", "quantity", "unit_price", "discount"]


class SourceError(ValueError):
    """A source that cannot be read as configured; the message says which and what to change."""


def connect(memory_limit: str = "4GB") -> ibis.BaseBackend:
    """An embedded DuckDB connection that spills to disk beyond ``memory_limit``."""
    con = ibis.duckdb.connect()
    con.raw_sql(f"SET memory_limit = '{memory_limit}'")
    return con


def _require(table: ir.Table, columns: list[str], source: str, path) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SourceError(
            f"source '{source}' ({path}) has no column(s) {missing}; it has {list(table.columns)}. "
            f"Rename the columns in the export or map them in the config."
        )


def read_customers(con, cfg: dict) -> ir.Table:
    """The CRM export, every column as text (ids keep their spaces and case for cleaning)."""
    path = io.source_path(cfg, "customers")
    if not path.is_file():
        raise SourceError(f"source 'customers': file not found: {path}. Set sources.customers.path.")
    table = con.read_csv(path, all_varchar=True, table_name="raw_customers")
    id_col = cfg["sources"]["customers"]["id_column"]
    _require(table, [id_col], "customers", path)
    if table.count().execute() == 0:
        raise SourceError(f"source 'customers' ({path}) has a header but no rows.")
    return table.rename({"customer_id": id_col}) if id_col != "customer_id" else table


def read_transactions(con, cfg: dict) -> ir.Table:
    """Order lines joined to their orders: one row per line, with ``amount`` = qty × price − discount.

    Lines whose order is missing are kept (with null order fields) so cleaning can quarantine them.
    """
    src = cfg["sources"]["orders"]
    path = io.source_path(cfg, "orders")
    if not path.is_file():
        raise SourceError(f"source 'orders': file not found: {path}. Set sources.orders.path.")
    con.attach(path, name="orders_src", read_only=True)
    try:
        orders = con.table(src["orders_table"], database="orders_src")
        lines = con.table(src["lines_table"], database="orders_src")
    except Exception as err:  # the backend's "table not found" differs per engine
        raise SourceError(f"source 'orders' ({path}): {err}. Check sources.orders.*_table.") from None
    _require(orders, ORDER_COLUMNS, "orders", f"{path}:{src['orders_table']}")
    _require(lines, LINE_COLUMNS, "order_lines", f"{path}:{src['lines_table']}")
    joined = lines.left_join(orders, lines.order_id == orders.order_id)
    return joined.select(
        lines.order_id, lines.line_no, orders.customer_id, orders.order_ts.cast("timestamp").name("order_ts"),
        orders.channel, orders.status, lines.category,
        lines.quantity.cast("float64").name("quantity"), lines.unit_price.cast("float64").name("unit_price"),
        lines.discount.cast("float64").fill_null(0).name("discount"),
        (orders.order_id.isnull()).name("order_missing"),
    ).mutate(amount=lambda t: t.quantity * t.unit_price - t.discount)


def read_survey(con, cfg: dict) -> ir.Table | None:
    """The survey export (Excel), or None when no survey is configured."""
    src = cfg["sources"]["survey"]
    if not src["path"]:
        return None
    path = io.source_path(cfg, "survey")
    if not path.is_file():
        raise SourceError(f"source 'survey': file not found: {path}. Set sources.survey.path or '' for none.")
    df = io.read_excel(path, sheet=src["sheet"])
    if "respondent_id" not in df.columns:
        raise SourceError(f"source 'survey' ({path}) has no 'respondent_id' column; it has {list(df.columns)}.")
    df["respondent_id"] = df["respondent_id"].astype("str")
    return con.create_table("raw_survey", df, overwrite=True)


def protect_pii(customers: ir.Table, pii_columns: list[str], test_patterns: list[str]) -> ir.Table:
    """Drop PII columns; keep only a ``looks_like_test`` flag derived from them (and the id).

    Parameters
    ----------
    customers : ibis Table
        The CRM table.
    pii_columns : list of str
        Columns to drop (those absent are ignored).
    test_patterns : list of str
        Case-insensitive substrings marking internal test accounts in any PII column or the id.
    """
    present = [c for c in pii_columns if c in customers.columns]
    searched = [customers.customer_id, *(customers[c] for c in present)]
    flag = ibis.literal(False)
    for col in searched:
        text = col.cast("string").lower().fill_null("")
        for pattern in test_patterns:
            flag = flag | text.contains(pattern.lower())
    return customers.mutate(looks_like_test=flag).drop(*present)


def reconcile(customers: ir.Table, transactions: ir.Table, survey: ir.Table | None) -> pd.DataFrame:
    """Cross-check the sources (交叉验证): who is in one source but not in another.

    Ids are compared after trimming and upper-casing, the same normalisation cleaning applies.
    """
    def ids(expr):
        return expr.cast("string").strip().upper()

    crm = customers.select(cid=ids(customers.customer_id)).distinct()
    buyers = transactions.filter(transactions.customer_id.notnull()).select(
        cid=ids(transactions.customer_id)).distinct()
    rows = [
        ("CRM customers (distinct ids)", crm.count()),
        ("customers with orders (distinct ids)", buyers.count()),
        ("ordering customers missing from the CRM", buyers.anti_join(crm, "cid").count()),
        ("CRM customers without any order", crm.anti_join(buyers, "cid").count()),
        ("order lines", transactions.count()),
        ("order lines without an order header", transactions.order_missing.sum()),
    ]
    if survey is not None:
        resp = survey.select(cid=ids(survey.respondent_id)).distinct()
        rows += [("survey respondents", resp.count()),
                 ("survey respondents missing from the CRM", resp.anti_join(crm, "cid").count())]
    return pd.DataFrame({"check": [r[0] for r in rows], "count": [int(r[1].execute()) for r in rows]})
