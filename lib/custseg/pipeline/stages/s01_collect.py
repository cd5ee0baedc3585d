"""01 · Read every source, validate it, protect PII, stage the tables, reconcile the sources."""

from __future__ import annotations

import dataclasses

from custseg import collect as collecting
from custseg import demo, schema
from custseg.errors import SourceError
from custseg.pipeline.runner import Context, Result, body


@body("01_collect")
def collect(ctx: Context) -> Result:
    cfg = ctx.cfg
    generated = demo.ensure(cfg)
    got = collecting.collect(ctx.con, cfg)
    # the collected tables are queries over the raw sources: write them once and go on from the copies
    got = dataclasses.replace(got, **{field: None if table is None else ctx.materialise(f"collected_{field}", table)
                                      for field, table in (("customers", got.customers),
                                                           ("transactions", got.transactions),
                                                           ("survey", got.survey))})
    collecting.check_ids_match(cfg, got)
    totals = collecting.source_totals(got)
    # the first row of the totals is the log's, or without one the customer table's: its ids as written
    reconciliation = collecting.reconcile(got.customers, got.transactions, got.survey, got.has_crm, got.has_log,
                                          schema.ids_case_sensitive(cfg["sources"]),
                                          spellings=int(totals["customers"].iloc[0]))
    counts = {"customers": int(got.customers.count().execute()),
              "transactions": int(got.transactions.count().execute()),
              "survey": 0 if got.survey is None else int(got.survey.count().execute()), "has_crm": got.has_crm,
              "has_log": got.has_log, "row_ids": any(cfg["sources"][role]["row_ids"] for role in ("customers", "survey")
                                                     if schema.configured(cfg["sources"][role]))}
    if got.has_log and not counts["transactions"]:
        raise SourceError("source 'transactions': no order lines were collected. To fix: check "
                          "sources.transactions (path, table or query)")
    privacy = cfg["privacy"]
    recorded = {**counts, "pii_columns": list(got.pii_columns), "pii_action": privacy["pii_action"],
                "pii_configured": bool(privacy["pii_columns"]), "pseudonymised_ids": privacy["pseudonymise_ids"],
                "gaps": dict(zip(reconciliation["check"], reconciliation["count"].astype(int), strict=True))}
    return Result({"validation": got.validation, "source_totals": totals, "reconciliation": reconciliation,
                   "collect_counts": counts}, recorded,
                  {"generated": generated, "collected": got, "validation": got.validation, "totals": totals,
                   "reconciliation": reconciliation, "counts": counts})
