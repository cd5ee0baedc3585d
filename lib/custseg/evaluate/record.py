"""What 07 records: the evaluation summary (``evaluate.json``) and the stage's headline numbers."""

from __future__ import annotations

import pandas as pd

from custseg.evaluate.holdout import OUTCOMES


def summary(solution: dict, start, snapshot, judged: pd.DataFrame, outcomes_text: str, contest: dict,
            suggestion: str, rules, migration, against, rivals: pd.DataFrame, language: str = "en") -> dict:
    """``evaluate.json``: the solution's verdict, the outcomes, the holdout contest, the rules as rivals,
    migration and baseline."""
    from custseg.evaluate.rivals import verdict

    out = {"solution": solution, "holdout_start": start, "snapshot": snapshot,
           "outcomes": judged.to_dict("records"), "outcomes_text": outcomes_text,
           "validation": {"verdict": contest["verdict"], "wins": contest["wins"], "best": contest["best"],
                          "results": contest["results"], "same_k": contest["same_k"].to_dict("records"),
                          "text": contest["text"], "suggestion": suggestion,
                          "margins": contest["margins"].to_dict("records")},
           "migration": None, "rules": None if rules is None else rules.summary,
           "baseline": None if against is None else against.summary,
           "rivals": {**verdict(rivals, language), "results": rivals.drop(columns="config").to_dict("records")}}
    if migration is not None:
        out["migration"] = {"later_snapshot": migration.later, "new": int(migration.matrix.loc["new"].sum()),
                            **migration.advice}
    return out


def optional_artefacts(rules, migration, against) -> dict:
    """07's artefacts that only some runs have: rule segments, migration to a later snapshot, a baseline run."""
    out = {}
    if rules is not None:
        out["rule_segments"] = rules.assigned
    if migration is not None:
        out.update(transitions=migration.matrix.reset_index(), drift=migration.drifted.reset_index())
    if against is not None:
        out.update(baseline_transitions=against.matrix.reset_index(), baseline_drift=against.drifted.reset_index())
    return out


def eta_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """eta² of each method (rows) on each holdout outcome (columns)."""
    return (comparison.pivot(index="method", columns="outcome", values="eta2") if len(comparison)
            else pd.DataFrame(columns=list(OUTCOMES)))


def metrics(summary: dict, eta: pd.DataFrame, migration, against) -> dict:
    """07's headline numbers for its stage record."""
    solution, validation = summary["solution"], summary["validation"]
    return {"segments_keep": solution["segments_keep"], "k": solution["k"], "wins": validation["wins"],
            "segments_review": solution["segments_review"], "segments_rethink": solution["segments_rethink"],
            "usable": solution["verdict"].split(":")[0],
            "verdict": validation["verdict"], "results": validation["results"],
            "same_k": {r["outcome"]: r["result"] for r in validation["same_k"]},
            "margins": {r["outcome"]: {"best_rival": r["best_rival"],
                                       **{key: round(r[key], 4) for key in ("margin", "low", "high")}}
                        for r in validation["margins"]},
            "holdout_start": summary["holdout_start"],
            "eta2": {m: {o: round(float(v), 4) for o, v in row.items()} for m, row in eta.iterrows()},
            "drift": None if migration is None else migration.advice["status"],
            "baseline": None if against is None else {k: against.summary[k] for k in (
                "run", "refit", "returning", "new", "gone", "moved", "moved_share", "status")},
            "outcomes": {r["outcome"]: {"eta2": round(r["eta2"], 4), "separated": r["separated"],
                                        **{key: r.get(key) for key in ("kind", "highest", "highest_value", "lowest",
                                                                       "lowest_value", "base")}}
                         for r in summary["outcomes"]},
            "rivals": {f"{r['outcome']} {r['rival']}": {"outcome": r["outcome"], "rival": r["rival"],
                                                        "rule": r["rule"], "result": r["result"],
                                                        "segments": int(r["segments"]),
                                                        **{key: round(r[key], 4) for key in (
                                                            "margin", "eta2_rule", "eta2_clusters")}}
                       for r in summary["rivals"]["results"]},
            "rival_winner": summary["rivals"]["winner"],
            "rule_segments": None if summary["rules"] is None else {
                key: summary["rules"].get(key) for key in ("k", "segments_keep")} | {
                "usable": summary["rules"]["verdict"].split(":")[0]},
            "later_snapshot": None if migration is None else migration.later}
