"""08 · Targeting: attractiveness and accessibility of each segment (clusters, RFM grid, rule segments), the
strategy with its reason, next-best offers from association rules (on baskets, or on the services a customer
table's customers hold), and per target an audience file and a draft positioning and marketing mix
(:mod:`custseg.positioning`)."""

from __future__ import annotations

import functools

import pandas as pd

from custseg import config, headlines, i18n
from custseg import describe as describing
from custseg.pipeline.registry import has_log
from custseg.pipeline.runner import Context, Result, body
from custseg.pipeline.stages.s06_personas import segment_customers


@body("08_target")
def target(ctx: Context) -> Result:
    from custseg import evaluate, offers, positioning, relations
    from custseg import target as targeting

    cfg, t, e, language, logged = ctx.cfg, ctx.cfg["target"], ctx.cfg["evaluate"], ctx.cfg["language"], has_log(ctx.cfg)
    m = i18n.messages(language)["targeting"]
    customers, segmenter, cards = segment_customers(ctx), ctx.read("segmenter"), ctx.read("personas")
    crm = ctx.read("customers")
    contacts, reachable = evaluate.contacts(crm, customers, e["contact_columns"])
    consent = [c for c in e["contact_columns"] if c in contacts]
    value, value_note = targeting.value_column(t["margin_column"], customers, describing.value_column(
        cfg["value_column"], customers, logged), language)
    transactions = ctx.read("transactions", engine=True) if logged else None
    snapshot = config.as_date(ctx.read("snapshot")["snapshot_date"])
    spend = targeting.spend_by_period(transactions, snapshot, t["growth_days"]) if logged else None
    segs = targeting.segmentations(customers, cards, ctx.read("rfm"), ctx.read_optional("rule_segments"))
    tables = targeting.tables(customers, segs, value, spend, reachable, segmenter.segment_stability_, t["weights"],
                              cfg["outcomes"])
    used = targeting.criteria(tables["clusters"], t["weights"], cfg["outcomes"])
    notes = [value_note, targeting.criteria_note(used, value, cfg["outcomes"], language),
             m["no_reach"] if reachable is None else m["reach"].format(columns=", ".join(consent))]
    if not logged:
        notes.append(m["no_growth"])
    table = pd.concat([d.assign(segmentation=name) for name, d in tables.items()], ignore_index=True)
    table = table[["segmentation", *[c for c in table.columns if c != "segmentation"]]]
    choice = targeting.strategy(tables["clusters"], t["segments"], e["min_share"], e["min_reach"],
                                targeting.bases(used), language)
    clustered_on = ctx.read("cluster")["features"]
    found, offers_note = offers.find_for_run(cfg, customers, transactions, clustered_on, list(crm.columns),
                                             relations.gates(ctx.read_optional("attributes")), language)
    cards = offers.on_cards(cards, found, choice, language)
    files, audiences = targeting.audiences(customers, cards, choice, contacts, consent, language, cfg["outcomes"],
                                           functools.partial(offers.audience_fit, found=found, language=language))
    notes += [offers_note, *filter(None, [targeting.excluded_note(audiences, cfg["outcomes"], customers, language)])]
    placed = positioning.draft(tables["clusters"], cards, choice["targets"], customers, found, value, cfg["outcomes"],
                               consent, language)
    summary = {"strategy": choice["strategy"], "targets": choice["targets"], "reason": choice["reason"],
               "pinned": choice["pinned"], "notes": notes, "audiences": audiences, "segmentations": list(tables),
               "items": None if found is None else found.item, "value": value or None,
               "criteria": targeting.bases(used), "offers": {str(c["segment"]): c["offers"] for c in cards},
               "offer_items": {str(c["segment"]): c.get("offer_items") for c in cards},
               "target_labels": {str(c["segment"]): c["target"] for c in cards}, "positioning": placed.on_cards(),
               "personas_fingerprint": ctx.upstream_fingerprint("06_personas")}
    artefacts = {"targeting": table, "target": summary, "audiences": files, "positioning": placed.table}
    if found is not None:
        artefacts.update(basket_rules=found.basket_rules, offers=found.offers, under_bought=found.under_bought)
    return Result(artefacts, {"strategy": choice["strategy"], "targets": choice["targets"],
                              "offers": 0 if found is None else len(found.offers), "value": value or None,
                              "criteria": targeting.bases(used), "items": None if found is None else found.item,
                              **targeting.audience_record(audiences, placed.table, customers, cfg["outcomes"]),
                              "segmentations": list(tables),
                              "reach_measured": reachable is not None, "growth_measured": logged,
                              "baskets": found is not None, "segments": len(tables["clusters"])},
                  {"table": table, "tables": tables, "choice": choice, "found": found, "offers_note": offers_note,
                   "cards": cards, "notes": notes, "audiences": audiences, "value": value, "has_log": logged,
                   "language": language, "criteria_short": targeting.criteria_label(used, language),
                   "positioning": placed},
                  headline=headlines.target(summary, tables["clusters"], language))
