"""06 · Profiles, the surrogate-tree rules and the persona cards (客户画像), and the CRM export."""

from __future__ import annotations

import pandas as pd

from custseg import attributes, i18n
from custseg import describe as describing
from custseg.errors import StageError
from custseg.pipeline.registry import has_log
from custseg.pipeline.runner import Context, Result, body


def segment_customers(ctx: Context) -> pd.DataFrame:
    """The customer table with each customer's segment (what 06, 07 and 08 profile and evaluate)."""
    return ctx.read("features").merge(ctx.read("segments"), on="customer_id", validate="one_to_one")


@body("06_personas")
def describe_personas(ctx: Context) -> Result:
    from custseg import personas, profile
    from custseg.cluster import choose
    from custseg.cluster.value import SPEND_COLUMN

    cfg, language, logged = ctx.cfg, ctx.cfg["language"], has_log(ctx.cfg)
    customers, scores, cluster, kinds = segment_customers(ctx), ctx.read("rfm"), ctx.read("cluster"), ctx.read(
        "attributes")
    clustered_on = cluster["features"]
    value = describing.value_column(cfg["value_column"], customers, logged)  # net spend, or a table's charges
    prof = profile.profile(customers, value=value.column or "_none")
    idx = profile.index_table(prof)
    described = [*clustered_on, *([SPEND_COLUMN] if SPEND_COLUMN in customers else [])]
    labels = attributes.ordinal_labels(kinds, cfg["attributes"])  # ordinal codes read as their labels, never a mean
    rules = profile.surrogate(customers, described, max_depth=3, language=language, labels=labels)
    if logged:
        cards = personas.build(customers, prof, idx, scores, language=language, rules=rules)
    else:  # named by what sets each segment apart in the table's own columns, with its outcomes
        attributes.check_levers(cfg["levers"], list(customers.columns))
        levers = attributes.levers(clustered_on, kinds, cfg["outcomes"], cfg["levers"])  # what strategies may name
        cards = personas.build_from_table(customers, clustered_on, cfg["outcomes"] or [], language=language,
                                          rules=rules, labels=labels, value=value.column, levers=levers)
    for card in cards if value.column and not logged else ():  # the value line of a customer table's cards
        card.update(value_share=float(prof.loc[card["segment"], "value_share"]), value_column=value.column,
                    value_index=float(idx.loc[card["segment"], value.column]))
    if cluster.get("baseline"):  # a segment keeps the baseline's name; one the baseline does not have is marked new
        new = i18n.messages(language)["ui"]["new_segment"]
        for card in cards:
            card["name"] = cluster["baseline"]["names"].get(str(card["segment"])) or new.format(name=card["name"])
    incomplete = [c["segment"] for c in cards if not (c["name"] and c["narrative"] and c["strategy"] and c["kpis"])]
    if incomplete:
        raise StageError(f"06_personas: the persona cards of segments {incomplete} are incomplete (a custseg bug)")
    comps = profile.compositions(customers, columns=None if logged else profile.label_columns(customers, labels),
                                 labels=labels, clustered_on=clustered_on, language=language)  # not formed on
    crm = personas.crm_export(ctx.read("segments"), scores, cards)
    return Result({"personas": cards, "profile": prof.reset_index(names="segment"), "compositions": comps,
                   "rules": {"fidelity": rules.fidelity, "max_depth": 3, "rules": rules.rules.to_dict("records")},
                   "segments_csv": crm},
                  {"segments": len(cards), "customers": int(sum(c["customers"] for c in cards)),
                   "rule_fidelity": round(float(rules.fidelity), 4), "names": [c["name"] for c in cards],
                   "crm_columns": list(crm.columns)},
                  {"customers": customers, "scores": scores, "clustered_on": clustered_on, "profile": prof,
                   "index": idx.drop(columns=[c for c in labels if c in idx]), "ordinal": sorted(labels),
                   "labels": labels,
                   "rules": rules, "cards": cards, "compositions": comps, "crm": crm,
                   "language": language, "has_log": logged, "used": choose.used_note(cluster, language),
                   "value": value, "value_note": value.note(i18n.messages(language))})
