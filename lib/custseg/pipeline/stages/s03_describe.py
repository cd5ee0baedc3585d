"""03 · The cleaned customers and lines, with orders and net spend per customer and per month; a customer table's
own columns (frequency tables, numbers, cross-tabs with the outcomes) and the column that measures value."""

from __future__ import annotations

from custseg import describe as describing
from custseg import i18n
from custseg.pipeline.registry import has_log
from custseg.pipeline.runner import Context, Result, body


@body("03_describe")
def describe(ctx: Context) -> Result:
    cfg, logged = ctx.cfg, has_log(ctx.cfg)
    customers, transactions = ctx.read("customers", engine=True), ctx.read("transactions", engine=True)
    per_customer = describing.per_customer(transactions)
    table = describing.customer_table(ctx.read("customers"), cfg["attributes"], cfg["outcomes"], cfg["value_column"],
                                      logged, missing=i18n.messages(cfg["language"])["describe"]["missing"])
    described = table.kinds[table.kinds["described"]]
    numbers = {"customers": int(customers.count().execute()), "lines": int(transactions.count().execute()),
               "top20_share": describing.pareto_share(per_customer["net_spend"]) if len(per_customer) else None,
               "attributes": int(len(described)), "label_columns": int((described["kind"] != "numeric").sum()),
               "number_columns": int((described["kind"] == "numeric").sum()),
               "value_column": table.value.column, "value_from": table.value.how,
               "telling": {o: list(j.crosstabs) for o, j in table.outcomes.items()}}
    return Result({}, numbers, {"customers": customers, "transactions": transactions, "per_customer": per_customer,
                                "monthly": describing.monthly(transactions), "numbers": numbers, "table": table,
                                "has_log": logged, "language": cfg["language"]})
