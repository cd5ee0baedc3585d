"""08 · Targeting: attractiveness and accessibility of each segment (clusters, RFM grid, rule segments), the
strategy with its reason, next-best offers from association rules, and an audience file per target."""

from __future__ import annotations

import pandas as pd

from custseg import config, headlines
from custseg.pipeline.registry import has_log
from custseg.pipeline.runner import Context, Result, body
from custseg.pipeline.stages.s06_personas import segment_customers

NO_BASKETS = "There is no transaction log (sources.transactions), so there are no baskets to find offers in."


@body("08_target")
def target(ctx: Context) -> Result:
    from custseg import evaluate, offers
    from custseg import target as targeting

    cfg, t, e, language, logged = ctx.cfg, ctx.cfg["target"], ctx.cfg["evaluate"], ctx.cfg["language"], has_log(ctx.cfg)
    customers, segmenter, cards = segment_customers(ctx), ctx.read("segmenter"), ctx.read("personas")
    contacts, reachable = evaluate.contacts(ctx.read("customers"), customers, e["contact_columns"])
    consent = [c for c in e["contact_columns"] if c in contacts]
    value, value_note = targeting.value_column(t["margin_column"], customers)
    transactions = ctx.read("transactions", engine=True) if logged else None
    notes = [value_note, "The data has no contact or consent column (evaluate.contact_columns), so reach is not "
                         "measured and does not limit the targets." if reachable is None else
             f"Reach is the share of a segment with a usable contact or consent ({', '.join(consent)})."]
    snapshot = config.as_date(ctx.read("snapshot")["snapshot_date"])
    spend = targeting.spend_by_period(transactions, snapshot, t["growth_days"]) if logged else None
    segs = targeting.segmentations(customers, cards, ctx.read("rfm"), ctx.read_optional("rule_segments"))
    tables = targeting.tables(customers, segs, value, spend, reachable, segmenter.segment_stability_, t["weights"])
    if not logged:
        notes.append("Without a transaction log, growth is not measured.")
    table = pd.concat([d.assign(segmentation=name) for name, d in tables.items()], ignore_index=True)
    table = table[["segmentation", *[c for c in table.columns if c != "segmentation"]]]
    choice = targeting.strategy(tables["clusters"], t["segments"], e["min_share"], e["min_reach"])
    found, offers_note = (offers.find(cfg["offers"], customers, transactions, ctx.read("cluster")["features"])
                          if logged else (None, NO_BASKETS))
    notes.append(offers_note)
    cards = offers.on_cards(cards, found, choice, language)
    files, audiences = targeting.audiences(customers, cards, choice, contacts, consent, language)
    summary = {"strategy": choice["strategy"], "targets": choice["targets"], "reason": choice["reason"],
               "pinned": choice["pinned"], "notes": notes, "audiences": audiences, "segmentations": list(tables),
               "items": None if found is None else found.item,
               "offers": {str(c["segment"]): c["offers"] for c in cards},
               "target_labels": {str(c["segment"]): c["target"] for c in cards},
               "personas_fingerprint": ctx.upstream_fingerprint("06_personas")}
    artefacts = {"targeting": table, "target": summary, "audiences": files}
    if found is not None:
        artefacts.update(basket_rules=found.basket_rules, offers=found.offers, under_bought=found.under_bought)
    return Result(artefacts, {"strategy": choice["strategy"], "targets": choice["targets"],
                              "offers": 0 if found is None else len(found.offers),
                              "audience_customers": int(sum(a["customers"] for a in audiences)),
                              "audiences": len(audiences), "segmentations": list(tables), "value": value,
                              "reach_measured": reachable is not None, "growth_measured": logged,
                              "baskets": found is not None, "segments": len(tables["clusters"])},
                  {"table": table, "tables": tables, "choice": choice, "found": found, "offers_note": offers_note,
                   "cards": cards, "notes": notes, "audiences": audiences, "value": value, "has_log": logged,
                   "language": language},
                  headline=headlines.target(summary, tables["clusters"], language))
