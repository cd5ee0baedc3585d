""""What we did": each notebook's closing summary and each step on the index page, written from the stage records
of the run (``data/processed/<run>/stages/<stage>.json``, their ``metrics``), in the report's language.

One definition for both places: :func:`sentences` turns the records into sentences (from the ``did`` part of the
message catalogues, :mod:`custseg.i18n`), each true of this run only — a step that did not run is not claimed; when
the data lacks what a step needs, one "Left out" line says so (:func:`custseg.report.needs.left_out_line`).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable

from custseg import i18n, io, pipeline, schema
from custseg.report.needs import left_out_line


def _known(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _n(x) -> str:
    return i18n.integer(float(x))


class _Say:
    """The catalogue of one stage in one language, with the number formats and lists of that language."""

    def __init__(self, language: str, part: str):
        self.language, self.all = language, i18n.messages(language)["did"]
        self.m = self.all[part]

    def __call__(self, key: str, **values) -> str:
        return self.m[key].format(**values)

    def join(self, items) -> str:
        return i18n.join([str(i) for i in items], self.language)

    def code(self, items) -> str:
        return self.join(f"`{i}`" for i in items)

    def segments(self, ids) -> str:
        ids = list(ids)
        if not ids:
            return self.all["none"]
        if len(ids) == 1:
            return self.all["segment"].format(id=ids[0])
        return self.all["segments"].format(ids=self.join(ids))

    def left_out(self, key: str, *needs: str) -> str:
        return left_out_line(self.m[key], list(needs), self.language)


def _has_log(records: dict) -> bool:
    collected = records.get("01_collect") or {}
    return bool(collected.get("has_log", (records.get("02_clean") or {}).get("lines_in")))


def _collect(r: dict, records: dict, say: _Say) -> list[str]:
    sources = []
    if r.get("has_crm"):
        sources.append(say("crm", customers=_n(r["customers"])))
    if r.get("has_log"):
        sources.append(say("log", lines=_n(r["transactions"])) if r.get("has_crm") else
                       say("log_customers", lines=_n(r["transactions"]), customers=_n(r["customers"])))
    if r.get("survey"):
        sources.append(say("survey", answers=_n(r["survey"])))
    out = [say("read", sources=say.join(sources))]
    if r.get("row_ids"):
        out.append(say("row_ids"))
    if r.get("pii_columns"):
        out.append(say("pii", columns=say.code(r["pii_columns"]),
                       action=say.m["pii_actions"].get(r["pii_action"], r["pii_action"])))
    elif "pii_columns" in r:
        out.append(say("pii_none") if r.get("pii_configured", True) else say("pii_off"))
    if r.get("pseudonymised_ids"):
        out.append(say("ids"))
    gaps = r.get("gaps") or {}
    if "ordering customers missing from the CRM" in gaps:
        out.append(say("gaps_log", missing=_n(gaps["ordering customers missing from the CRM"]),
                       idle=_n(gaps.get("CRM customers without any order", 0))))
    missing = next((k for k in gaps if k.startswith("survey respondents missing")), None)
    if missing and gaps.get("survey respondents"):
        where = "crm" if r.get("has_crm") else "log"
        out.append(say("gaps_survey", missing=_n(gaps[missing]), respondents=_n(gaps["survey respondents"]),
                       where=say.m["where"][where]))
    out.append(say("unchanged"))
    return out


def _rules(rules: dict) -> str:
    return ", ".join(f"`{rule}` {_n(rows)}" for rule, rows in sorted(rules.items(), key=lambda kv: -kv[1])[:4])


def _clean(r: dict, records: dict, say: _Say) -> list[str]:
    logged = _has_log(records)
    customer_rules, line_rules = r.get("customer_rules") or {}, r.get("line_rules") or {}
    moved = customer_rules.get("quarantined") or {}
    out = [say("customers", rows=_n(r["customers_in"]), kept=_n(r["customers_kept"]),
               quarantined=_n(r["customers_quarantined"]), why=say("why", reasons=_rules(moved)) if moved else "")]
    if logged:
        moved = line_rules.get("quarantined") or {}
        share = r["lines_quarantined"] / r["lines_in"] if r["lines_in"] else 0.0
        out.append(say("lines", rows=_n(r["lines_in"]), kept=_n(r["lines_kept"]),
                       quarantined=_n(r["lines_quarantined"]), share=i18n.percent(share, 1),
                       why=say("why", reasons=_rules(moved)) if moved else ""))
    kept = {**(customer_rules.get("kept") or {}), **(line_rules.get("kept") or {})}
    returns = kept.pop("return_netted", 0)
    if kept:
        out.append(say("fixed", fixes=_rules(kept)))
    if returns:
        out.append(say("returns", rows=_n(returns)))
    out.append(say("balance"))
    line = snapshot_line(r, say.language, logged)
    if line:
        out.append(line)
    if not logged:
        out.append(say.left_out("left_out", "needs-log"))
    return out


def snapshot_line(counts: dict, language: str = "en", logged: bool | None = None) -> str | None:
    """What 02's snapshot date means for this run, in its language: the day recency is measured to (with a log),
    the day a table's dates are measured at, or that the table holds no date and needs none.

    Parameters
    ----------
    counts : dict
        02's counts (its stage record or ``result.counts``): ``snapshot_date``, ``dated``, ``snapshot_configured``.
    language : str
        ``"en"`` or ``"zh"``.
    logged : bool, optional
        Whether the run has a transaction log (default: ``counts["lines_in"] > 0``).

    Returns
    -------
    str or None
        One sentence; None when the counts have no snapshot date.
    """
    say = _Say(language, "clean")
    if not counts.get("snapshot_date"):
        return None
    logged = bool(counts.get("lines_in")) if logged is None else logged
    if not logged and not counts.get("dated", True):
        return say("snapshot_none")
    configured = counts.get("snapshot_configured")
    how = "" if configured is None else say.m["how"]["configured" if configured else "log" if logged else "today"]
    return say("snapshot_log" if logged else "snapshot_table", date=counts["snapshot_date"], how=how)


def _describe(r: dict, records: dict, say: _Say) -> list[str]:
    out = [say("customers", customers=_n(r["customers"]))]
    for key in ("frequencies", "histograms"):  # recorded by 03 when it describes a table's columns
        if r.get(key):
            out.append(say(key, columns=say.code(r[key])))
    for outcome, columns in (r.get("crosstabs") or {}).items():
        out.append(say("crosstabs", outcome=f"`{outcome}`", columns=say.code(columns)))
    if _has_log(records) and r.get("lines"):
        out.append(say("log", lines=_n(r["lines"]), top20=i18n.percent(r.get("top20_share") or 0.0)))
    elif not _has_log(records):
        out.append(say.left_out("left_out", "needs-log"))
    return out


def _features(r: dict, records: dict, say: _Say) -> list[str]:
    logged = r.get("has_log", _has_log(records))
    groups = [say("group", n=_n(n), dimension=say.m["dimensions"].get(d, d))
              for d, n in (r.get("groups") or {}).items() if n and d != "outcome"]
    out = [say("rows_log" if logged else "rows_table", customers=_n(r["customers"]), features=_n(r["features"]),
               groups=say("groups", groups=say.join(groups)) if groups else "")]
    if r.get("outcomes"):
        out.append(say("outcomes", outcomes=say.code(r["outcomes"])))
    if r.get("kinds"):
        out.append(say("kinds", kinds=say.join(say("kind_item", n=_n(n), kind=say.m["kind_names"].get(k, k))
                                               for k, n in sorted(r["kinds"].items(), key=lambda kv: -kv[1]))))
    fa = r.get("factors") or {}
    if fa.get("names"):
        out.append(say("factors", items=_n(fa["items"]), respondents=_n(fa["respondents"]),
                       kmo=f"{fa['kmo']:.2f}", n=len(fa["names"]), names=say.code(fa["names"])))
    elif fa.get("items"):
        out.append(say("no_factors", items=_n(fa["items"]), reason=fa.get("reason") or ""))
    if logged:
        if r.get("rfm_segments"):
            out.append(say("rfm", n=r["rfm_segments"]))
        out.append(say("holdout", start=r["holdout_start"], snapshot=r["snapshot"],
                       n=_n(r.get("calibration_customers", 0))) if r.get("holdout_start") else
                   say("no_holdout", reason=r.get("reason") or ""))
    else:
        out.append(say.left_out("left_out", "needs-log"))
    return out


def _cluster(r: dict, records: dict, say: _Say) -> list[str]:
    features, baseline = r.get("features") or [], r.get("baseline")
    assigned = bool(baseline) and not baseline.get("refit")  # by the baseline run's saved model
    if assigned:
        out = [say("assigned", customers=_n(r["customers"]), run=baseline["run"], k=r["k"])]
    elif baseline:
        out = [say("refit", customers=_n(r["customers"]), n=len(features), k=r["k"], run=baseline["run"])]
    else:
        tried = r.get("k_tried")
        how = (say("swept", low=tried[0], high=tried[1]) if tried else say("dense") if r.get("algorithm") == "hdbscan"
               else say("set", k=r["k"]))
        out = [say("fit", customers=_n(r["customers"]), n=len(features), features=say.code(features),
                   algorithm=r.get("algorithm", ""), k=r["k"], how=how)]
    if _known(r.get("smallest_share")):
        out.append(say("smallest", share=i18n.percent(r["smallest_share"], 1)))
    if _known(r.get("stability_mean_ari")):
        verdict = i18n.messages(say.language)["ui"]["stable"].get(r.get("stability"), r.get("stability"))
        out.append(say("stability", ari=f"{r['stability_mean_ari']:.2f}", verdict=verdict))
        if r.get("doubtful_segments"):
            out.append(say("doubtful", segments=say.join(str(s) for s in r["doubtful_segments"]),
                           threshold=f"{schema.STABLE_JACCARD:.2f}"))
    else:
        out.append(say("no_stability"))
    # a run assigned by a baseline's model uses the value that run learned: its "assigned" sentence says so
    if r.get("expected_value") and not assigned:
        split = records.get("04_features") or {}
        out.append(say("value", start=split.get("holdout_start") or "", snapshot=split.get("snapshot") or ""))
    return out


def _personas(r: dict, records: dict, say: _Say) -> list[str]:
    out = [say("cards", k=r["segments"], names=say.join(f"“{n}”" for n in r.get("names", [])))]
    if _known(r.get("rule_fidelity")):
        out.append(say("rules", fidelity=i18n.percent(r["rule_fidelity"])))
    columns = r.get("crm_columns") or ["segment_id"]
    shown = ["segment", *[c for c in ("rfm_segment", "predicted_spend") if c in columns]]
    out.append(say("crm", customers=_n(r["customers"]), columns=say.join(say.m["crm_columns"][c] for c in shown)))
    return out


def _result(value: str, say: _Say) -> str:
    return say.m["contest"].get(value, value)


def _evaluate(r: dict, records: dict, say: _Say) -> list[str]:
    out = [say("scorecard", k=r["k"], keep=r["segments_keep"], review=r.get("segments_review", 0),
               rethink=r.get("segments_rethink", 0), usable=say.m["usable"].get(r.get("usable"), r.get("usable")))]
    for outcome, o in (r.get("outcomes") or {}).items():
        if not _known(o.get("highest_value")):
            continue
        fmt = (lambda v: i18n.percent(v, 1)) if o.get("kind") == "rate" else i18n.number
        out.append(say("outcome", outcome=f"`{outcome}`", high=fmt(o["highest_value"]), highest=o["highest"],
                       low=fmt(o["lowest_value"]), lowest=o["lowest"], base=fmt(o["base"]), eta2=f"{o['eta2']:.3f}",
                       separated=say.m["separated" if o["separated"] else "overlap"]))
    names = say.m["outcome_names"]
    by_outcome: dict[str, list[dict]] = {}
    for rival in (r.get("rivals") or {}).values():
        by_outcome.setdefault(rival["outcome"], []).append(rival)
    for outcome, rivals in by_outcome.items():
        rules = say.m["rival_sep"].join(
            say("rival", rival=say.m["rival_kinds"].get(x["rival"], x["rival"]), rule=f"`{x['rule']}`",
                segments=x.get("segments", "–"), eta2_rule=f"{x.get('eta2_rule', math.nan):.3f}",
                result=say.m["results"].get(x["result"], x["result"])) for x in rivals)
        out.append(say("rivals", outcome=f"`{names.get(outcome, outcome)}`", rules=rules,
                       eta2_clusters=f"{rivals[0].get('eta2_clusters', math.nan):.3f}"))
    if r.get("rival_winner"):
        winner = r["rival_winner"]
        out.append(say("winner", rule=f"`{winner['rule']}`", outcome=f"`{winner['outcome']}`"))
    if r.get("verdict") is not None and r.get("holdout_start"):
        results = say.join(f"{names.get(o, o)} {_result(v, say)}" for o, v in (r.get("results") or {}).items())
        out.append(say("holdout", start=r["holdout_start"], results=results))
    else:
        out.append(say.left_out("left_out_holdout", *(["needs-holdout"] if _has_log(records) else ["needs-log"])))
    if not r.get("rivals") and not r.get("holdout_start"):
        out.append(say.left_out("left_out_rivals", "needs-outcomes"))
    if r.get("rule_segments"):
        rs = r["rule_segments"]
        out.append(say("rule_segments", keep=rs["segments_keep"], k=rs["k"],
                       usable=say.m["usable"].get(rs.get("usable"), rs.get("usable"))))
    if r.get("drift"):
        out.append(say("migration", later=r.get("later_snapshot") or "", status=r["drift"]))
    if r.get("baseline"):
        b = r["baseline"]
        out.append(say("baseline", run=b["run"], moved=_n(b["moved"]), returning=_n(b["returning"]),
                       new=_n(b["new"]), gone=_n(b["gone"])))
    return out


def _target(r: dict, records: dict, say: _Say) -> list[str]:
    criteria = say.m["criteria"]
    chosen = [criteria["size"], *([criteria["value"].format(value=f"`{r['value']}`")] if r.get("value") else []),
              *([criteria["growth"]] if r.get("growth_measured") else []),
              *([criteria["reach"]] if r.get("reach_measured") else [])]
    out = [say("rated", n=r.get("segments", "–"), criteria=say.join(chosen),
               strategy=say.m["strategies"].get(r["strategy"], r["strategy"]),
               targets=say("targets", segments=say.segments(r.get("targets", []))))]
    others = [say.m["others"].get(s, s) for s in r.get("segmentations", []) if s != "clusters"]
    if others:
        out.append(say("compared", others=say.join(others)))
    if r.get("baskets"):
        held = "_services" if r.get("items") == "services" else ""  # a table's yes/no services, not baskets
        out.append(say(f"offers{held}", n=_n(r["offers"])) if r.get("offers") else say(f"no_offers{held}"))
    else:
        out.append(say.left_out("left_out_baskets", "needs-baskets" if _has_log(records) else "needs-log"))
    if r.get("audiences"):
        out.append(say("audiences", files=r["audiences"], customers=_n(r["audience_customers"])))
    if r.get("win_back_customers"):  # the targets' churned customers: a list of their own, not the cross-sell one
        files = [f"audiences/{f}" for f in r.get("win_back_files") or []]
        out.append(say("win_back", customers=_n(r["win_back_customers"]), outcomes=say.code(r.get("win_back_by", [])),
                       files=say.code(files) if files else "audiences/"))
    if r.get("positioned"):
        out.append(say("positioning", segments=say.segments(r["positioned"]), rows=_n(r.get("positioning_rows", 0))))
    return out


def _measure(r: dict, records: dict, say: _Say) -> list[str]:
    if not r.get("measured"):
        return [say.left_out("left_out", "needs-campaign")]
    out = [say("measured", verdict=say.m["verdicts"].get(r["verdict"], r["verdict"]),
               uplift=i18n.percent(r["uplift"], 1) if _known(r.get("uplift")) else "–"),
           say("segments", worked=say.segments(r.get("worked", [])), no_effect=say.segments(r.get("no_effect", [])))]
    if r.get("harmed"):
        out.append(say("harmed", harmed=say.segments(r["harmed"])))
    if r.get("quarantined"):
        out.append(say("quarantined", rows=_n(r["quarantined"])))
    return out


WRITERS: dict[str, tuple[str, Callable]] = {
    "01_collect": ("collect", _collect), "02_clean": ("clean", _clean), "03_describe": ("describe", _describe),
    "04_features": ("features", _features), "05_cluster": ("cluster", _cluster),
    "06_personas": ("personas", _personas), "07_evaluate": ("evaluate", _evaluate), "08_target": ("target", _target),
    "09_measure": ("measure", _measure),
}


def sentences(stage: str, records: dict[str, dict], language: str = "en") -> list[str]:
    """What a stage did in this run, one sentence per fact, from the run's stage records.

    Parameters
    ----------
    stage : str
        A stage name (``02_clean``) or anything :func:`custseg.pipeline.stage` accepts.
    records : dict
        Stage name → the ``metrics`` of its record (:func:`custseg.pipeline.metrics`); the stages before it tell
        what the data has (01's ``has_log``).
    language : {'en', 'zh'}

    Returns
    -------
    list of str
        Markdown sentences (code names in backticks; a left-out line in italics). One sentence saying the step
        has not finished when ``records`` lacks it.
    """
    name = pipeline.stage(stage).name
    part, write = WRITERS[name]
    if records.get(name) is None:
        return [i18n.messages(language)["did"]["not_run"].format(stage=name)]
    return write(records[name], records, _Say(language, part))


def what_we_did(stage: str, records: dict[str, dict], language: str = "en") -> str:
    """:func:`sentences` as a markdown list (a notebook's closing "What we did")."""
    return "\n".join(f"- {s}" for s in sentences(stage, records, language))


class Markdown(str):
    """Markdown text that Jupyter shows rendered (``_repr_markdown_``), printed as it is elsewhere."""

    def _repr_markdown_(self) -> str:
        return str(self)


def show(cfg: dict, paths: io.RunPaths, stage: str) -> Markdown:
    """A notebook's closing cell: what its stage did in this run, as Markdown in the report's language."""
    return Markdown(what_we_did(stage, pipeline.metrics(paths), cfg["language"]))


_CODE, _EM = re.compile(r"`([^`]+)`"), re.compile(r"(?<![\w*])\*([^*]+)\*(?![\w*])")


def as_html(sentence: str) -> str:
    """One sentence for an HTML page: escaped, backticks as ``<code>``, ``*italics*`` as ``<em>``."""
    return _EM.sub(r"<em>\1</em>", _CODE.sub(r"<code>\1</code>", html.escape(sentence, quote=False)))
