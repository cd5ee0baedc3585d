"""The index page's block of each stage that has one (07, 08, 09): a title, a paragraph, key items, a table."""

from __future__ import annotations

import pandas as pd


def shown(value: float, spec: str) -> str:
    """A number for a report table; '–' where it cannot be measured (never 'nan')."""
    return "–" if pd.isna(value) else format(value, spec)

def evaluate(solution, contest, comparison, methods, start, snapshot, migration,
             suggestion: str = "", outcomes_text: str = "", against: dict | None = None,
             rivals: dict | None = None) -> dict:
    """The index page's block for 07."""
    items = [{"label": "segments to keep", "value": f"{solution['segments_keep']} of {solution['k']}"},
             {"label": "holdout test against the simple rivals",
              "value": {None: "not tested", "wins": "custseg wins", "ties": "a tie", "loses": "custseg loses"}[
                  contest["verdict"]]}]
    text = f"{solution['verdict']}. " + (f"Holdout {start} – {snapshot}: " if start else "") + contest["text"]
    if outcomes_text:
        text += f" Outcomes (never clustered on): {outcomes_text}"
    if suggestion:
        text += f" {suggestion}"
    if rivals and rivals["text"]:
        text += f" {rivals['text']}"
        if rivals["winner"]:
            items.append({"label": "a rule wins on", "value": f"{rivals['winner']['outcome']}: "
                                                            f"{rivals['winner']['rule']}"})
    if migration is not None:
        items.append({"label": f"drift by {migration.later}", "value": migration.advice["status"]})
        text += f" Migration to {migration.later}: {migration.advice['status']}."
    if against is not None:
        moved = f"{against['moved_share'] or 0:.0%} moved · {against['status']}"
        items.append({"label": f"against run {against['run']}", "value": moved})
        text += (f" Against the baseline run {against['run']}: {against['moved']:,} of {against['returning']:,} "
                 f"returning customers changed segment, {against['new']:,} are new and {against['gone']:,} gone; "
                 f"{against['reason']}")
    rows = comparison[comparison["method"].isin(methods)] if len(comparison) else comparison
    return {"title": "Evaluation: does the segmentation predict?", "text": text, "items": items,
            "table": [{"method": r.method, "segments": r.segments,
                       "smallest segment": shown(r.smallest_share, ".1%"), "outcome": r.outcome,
                       "eta²": shown(r.eta2, ".3f"), "lift of best segment": shown(r.top_lift, ".2f"),
                       "rank order": shown(r.rank_order, ".2f")} for r in rows.itertuples()]}


def target(summary: dict, table: pd.DataFrame) -> dict:
    """The index page's block for 08."""
    items = [{"label": "strategy", "value": summary["strategy"]},
             {"label": "target segments", "value": ", ".join(map(str, summary["targets"]))}]
    rows = [{"segment": r.segment, "name": r.name, "customers": f"{r.customers:,}", "share": f"{r.share:.0%}",
             "value share": shown(r.value_share, ".0%"), "growth": shown(r.growth, "+.0%"),
             "reach": shown(r.reach, ".0%"), "attractiveness": f"{r.attractiveness:.2f}",
             "target": "yes" if r.segment in summary["targets"] else ""} for r in table.itertuples()]
    audiences = "; ".join(f"audiences/{a['file']} ({a['customers']:,} customers, summary {a['summary']})"
                          for a in summary["audiences"])
    return {"title": "Targeting: whom to serve and what to offer",
            "text": summary["reason"] + " " + " ".join(summary["notes"])
            + (f" Audience files: {audiences}." if audiences else ""), "items": items, "table": rows}


def measure(text: str, notes: list[str], overall: pd.Series, table: pd.DataFrame) -> dict:
    """The index page's block for 09."""
    return {"title": "Campaign: did it work, and where?", "text": text + " " + " ".join(notes),
            "items": [{"label": "campaign", "value": overall["verdict"]},
                      {"label": "incremental revenue", "value": f"{overall['incremental_revenue']:,.0f}"}],
            "table": [{"segment": r.segment, "treated": f"{r.treated:,}", "control": f"{r.control:,}",
                       "response (treated)": shown(r.response_treated, ".1%"),
                       "response (control)": shown(r.response_control, ".1%"),
                       "uplift": f"{shown(r.uplift, '+.1%')} [{shown(r.uplift_low, '+.1%')}, "
                                 f"{shown(r.uplift_high, '+.1%')}]",
                       "incremental revenue": shown(r.incremental_revenue, ",.0f"),
                       "ROI": shown(r.roi, ".0%"), "verdict": r.verdict} for r in table.itertuples()]}
