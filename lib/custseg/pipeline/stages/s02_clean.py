"""02 · Apply the customer and line rules: every row kept or quarantined with a reason, and the audit."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from custseg import clean as cleaning
from custseg import features as featuring
from custseg import schema
from custseg.pipeline.registry import has_log
from custseg.pipeline.runner import Context, Result, body


@body("02_clean")
def clean(ctx: Context) -> Result:
    cfg, c = ctx.cfg, ctx.cfg["clean"]
    customers = ctx.read("collected_customers", engine=True)
    transactions = ctx.read("collected_transactions", engine=True)
    logged = has_log(cfg)
    snapshot = cleaning.snapshot_date(transactions, cfg["snapshot_date"]) if logged else (
        cfg["snapshot_date"] or dt.date.today())  # ages and days since a date are measured at it
    candidates = featuring.date_candidates({c: str(t) for c, t in customers.schema().items()})
    # decided once, on every row of the columns that can hold dates; 04 reads it from the snapshot record
    dated = logged or bool(candidates) and featuring.has_dates(customers.select(candidates).execute(),
                                                               cfg["attributes"])
    # the customer rules rank rows within each id and the line rules compare lines across orders and
    # customers: evaluate each once into a scratch table, then count and split that copy
    kept_customers, quarantined_customers, customer_audit = cleaning.split_customers(ctx.materialise(
        "flagged_customers", cleaning.flag_customers(customers, snapshot, c["min_age"], c["max_age"],
                                                     schema.ids_case_sensitive(cfg["sources"]))))
    test_ids = quarantined_customers.filter(quarantined_customers.reason == "test_account")
    flagged = ctx.materialise("flagged_lines", cleaning.flag_lines(transactions, kept_customers, test_ids, snapshot,
                                                                   **cleaning.transaction_options(cfg)))
    kept, quarantined, line_audit = cleaning.split_lines(flagged, tuple(c["rules_off"]))
    audit = pd.concat([customer_audit.assign(table="customers"), line_audit.assign(table="transactions")])
    tables = {name: ctx.materialise(name, table) for name, table in {
        "customers": kept_customers, "quarantine_customers": quarantined_customers, "transactions": kept,
        "quarantine_transactions": quarantined}.items()}
    counts = {**cleaning.balance(customers, transactions, tables, snapshot), "dated": dated,
              "snapshot_configured": cfg["snapshot_date"] is not None}
    if logged and not counts["lines_kept"]:
        cleaning.refuse_empty(counts, line_audit, ctx.where("audit"))
    if logged:
        cleaning.refuse_large_quarantine(flagged, c["max_quarantine_share"], cfg["validation"]["examples"],
                                         cfg["snapshot_date"])
    return Result({"audit": audit, "snapshot": {**counts, "has_log": logged}},
                  {**counts, "has_log": logged, "customer_rules": cleaning.rule_counts(customer_audit),
                   "line_rules": cleaning.rule_counts(line_audit) if logged else {}},
                  {"snapshot": snapshot, "customer_audit": customer_audit, "line_audit": line_audit,
                   "counts": counts, "has_log": logged, **tables})
