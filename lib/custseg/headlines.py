"""The index page's block of each stage that has one (07, 08, 09): a title, a paragraph, key items, a table.

Titles, labels and table headers are in the run's language (``headlines`` in the message catalogues); the index
page puts the stage's "What we did" (:mod:`custseg.report.recap`, from its record) above the paragraph, which
keeps the stage's own detailed sentences.
"""

from __future__ import annotations

import pandas as pd

from custseg import i18n


def _words(stage: str, language: str) -> dict:
    return i18n.messages(language)["headlines"][stage]


def shown(value: float, spec: str) -> str:
    """A number for a report table; '–' where it cannot be measured (never 'nan')."""
    return "–" if pd.isna(value) else format(value, spec)

def evaluate(solution, contest, comparison, methods, start, snapshot, migration,
             suggestion: str = "", outcomes_text: str = "", against: dict | None = None,
             rivals: dict | None = None, language: str = "en") -> dict:
    """The index page's block for 07. Without a holdout test (no log, or a log too short to split) it has no
    holdout item and no holdout sentence: the page's "What we did" says in one line why it was left out."""
    from custseg.evaluate.scorecard import solution_verdict

    w, say = _words("evaluate", language), lambda key, **kw: i18n.text(f"headline07.{key}", language, **kw)
    sep = i18n.messages(language)["sentence_sep"]
    items = [{"label": w["keep"], "value": w["of"].format(keep=solution["segments_keep"], k=solution["k"])}]
    counted = {"k", "segments_keep", "segments_rethink", "stability_ari"} <= set(solution)
    # the record keeps the English verdict; another language says it again from its numbers
    verdict = solution_verdict(solution, language) if language != "en" and counted else solution["verdict"]
    text = verdict + i18n.messages(language)["printed"]["contest"]["end"]
    if contest["verdict"] is not None:
        items.append({"label": w["holdout"], "value": w["contest"][contest["verdict"]]})
        text += sep + (say("holdout", start=start, snapshot=snapshot) if start else "") + contest["text"]
    if outcomes_text:
        text += say("outcomes", text=outcomes_text)
    if suggestion:
        text += sep + suggestion
    if rivals and rivals["text"]:
        text += sep + rivals["text"]
        if rivals["winner"]:
            items.append({"label": w["rule_wins"], "value": f"{rivals['winner']['outcome']}: "
                                                          f"{rivals['winner']['rule']}"})
    if migration is not None:
        items.append({"label": w["drift"].format(later=migration.later), "value": migration.advice["status"]})
        text += say("migration", later=migration.later, status=i18n.word(migration.advice["status"], language))
    if against is not None:
        moved = w["moved"].format(share=i18n.percent(against["moved_share"] or 0),
                                status=i18n.word(against["status"], language))
        items.append({"label": w["against"].format(run=against["run"]), "value": moved})
        text += say("against", run=against["run"], moved=f"{against['moved']:,}", returning=f"{against['returning']:,}",
                    new=f"{against['new']:,}", gone=f"{against['gone']:,}", reason=against["reason"])
    rows = comparison[comparison["method"].isin(methods)] if len(comparison) else comparison
    c = w["columns"]
    return {"title": w["title"], "text": text, "items": items,
            "table": [{c["method"]: r.method, c["segments"]: r.segments,
                       c["smallest"]: shown(r.smallest_share, ".1%"), c["outcome"]: r.outcome,
                       c["eta2"]: shown(r.eta2, ".3f"), c["lift"]: shown(r.top_lift, ".2f"),
                       c["rank"]: shown(r.rank_order, ".2f")} for r in rows.itertuples()]}


def target(summary: dict, table: pd.DataFrame, language: str = "en") -> dict:
    """The index page's block for 08."""
    w = _words("target", language)
    c = w["columns"]
    strategies = i18n.messages(language)["did"]["target"]["strategies"]
    items = [{"label": w["strategy"], "value": strategies.get(summary["strategy"], summary["strategy"])},
             {"label": w["targets"], "value": w["ids"][{0: "none", 1: "one"}.get(len(summary["targets"]), "many")]
              .format(ids=i18n.messages(language)["list_sep"].join(map(str, summary["targets"])))}]
    rows = [{c["segment"]: r.segment, c["name"]: r.name, c["customers"]: f"{r.customers:,}",
             c["share"]: f"{r.share:.0%}", c["value_share"]: shown(r.value_share, ".0%"),
             c["growth"]: shown(r.growth, "+.0%"), c["reach"]: shown(r.reach, ".0%"),
             c["attractiveness"]: f"{r.attractiveness:.2f}",
             c["target"]: w["marked"] if r.segment in summary["targets"] else ""} for r in table.itertuples()]
    audiences = "; ".join(f"audiences/{a['file']} ({a['customers']:,} customers, summary {a['summary']})"
                          for a in summary["audiences"])
    return {"title": w["title"],
            "text": summary["reason"] + " " + " ".join(summary["notes"])
            + (f" Audience files: {audiences}." if audiences else ""), "items": items, "table": rows}


def measure(text: str, notes: list[str], overall: pd.Series, table: pd.DataFrame, language: str = "en") -> dict:
    """The index page's block for 09."""
    w = _words("measure", language)
    c = w["columns"]
    return {"title": w["title"], "text": text + " " + " ".join(notes),
            "items": [{"label": w["campaign"], "value": i18n.messages(language)["did"]["measure"]["verdicts"].get(
                overall["verdict"], overall["verdict"])},
                      {"label": w["revenue"], "value": f"{overall['incremental_revenue']:,.0f}"}],
            "table": [{c["segment"]: r.segment, c["treated"]: f"{r.treated:,}", c["control"]: f"{r.control:,}",
                       c["response_treated"]: shown(r.response_treated, ".1%"),
                       c["response_control"]: shown(r.response_control, ".1%"),
                       c["uplift"]: f"{shown(r.uplift, '+.1%')} [{shown(r.uplift_low, '+.1%')}, "
                                    f"{shown(r.uplift_high, '+.1%')}]",
                       c["revenue"]: shown(r.incremental_revenue, ",.0f"),
                       c["roi"]: shown(r.roi, ".0%"), c["verdict"]: r.verdict} for r in table.itertuples()]}
