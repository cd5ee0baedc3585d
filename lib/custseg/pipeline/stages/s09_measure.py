"""09 · A campaign's effect per segment (效果评估) from ``sources.campaign``: response rates, uplift against the
control group with its interval, incremental revenue and ROI, and a flag where it did not work or harmed."""

from __future__ import annotations

import pandas as pd

from custseg import campaign, headlines, i18n, schema
from custseg.collect import read_campaign
from custseg.pipeline.runner import Context, Result, body


@body("09_measure")
def measure(ctx: Context) -> Result:
    cfg, m = ctx.cfg, ctx.cfg["campaign"]
    if not schema.configured(cfg["sources"]["campaign"]):
        summary = {"measured": False, "text": i18n.text("n09_not_configured", cfg["language"])}
        return Result({"measure": summary}, {"measured": False},
                      {"summary": summary, "table": None, "quarantine": None, "notes": []})
    names = {c["segment"]: c["name"] for c in ctx.read("personas")}
    segments = ctx.read("segments").assign(segment_name=lambda d: d["segment"].map(names))
    kept, quarantine, notes = campaign.prepare(read_campaign(ctx.con, cfg), segments, language=cfg["language"])
    table = campaign.measure(kept, m["bootstrap"], m["seed"], m["cost_per_contact"], m["min_group"])
    overall = table[table["segment"] == "all"].iloc[0]
    text, found = campaign.verdicts(table, cfg["language"])
    text += campaign.feedback(ctx.read_optional("target"), table[table["segment"] != "all"], cfg["language"])
    summary = {"measured": True, "text": text, "notes": notes, **found,
               "overall": {k: (None if pd.isna(v) else float(v)) for k, v in overall.items()
                           if k not in ("segment", "judged", "verdict", "response_verdict", "revenue_verdict",
                                        "segment_name")},
               "verdict": overall["verdict"], "quarantined": len(quarantine)}
    return Result({"measure": summary, "campaign_results": table, "campaign_quarantine": quarantine},
                  {"measured": True, "verdict": overall["verdict"], **found,
                   "uplift": round(float(overall["uplift"]), 4), "quarantined": int(len(quarantine))},
                  {"summary": summary, "table": table, "quarantine": quarantine, "notes": notes, "kept": kept},
                  headline=headlines.measure(text, notes, overall, table, cfg["language"]))
