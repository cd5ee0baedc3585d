"""03 · The cleaned customers and lines, with orders and net spend per customer and per month."""

from __future__ import annotations

from custseg import describe as describing
from custseg.pipeline.registry import has_log
from custseg.pipeline.runner import Context, Result, body


@body("03_describe")
def describe(ctx: Context) -> Result:
    customers, transactions = ctx.read("customers", engine=True), ctx.read("transactions", engine=True)
    per_customer = describing.per_customer(transactions)
    numbers = {"customers": int(customers.count().execute()), "lines": int(transactions.count().execute()),
               "top20_share": describing.pareto_share(per_customer["net_spend"]) if len(per_customer) else None}
    return Result({}, numbers, {"customers": customers, "transactions": transactions, "per_customer": per_customer,
                                "monthly": describing.monthly(transactions), "numbers": numbers,
                                "has_log": has_log(ctx.cfg)})
