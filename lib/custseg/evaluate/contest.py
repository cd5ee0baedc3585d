"""The holdout contest: segments formed on the calibration period by custseg and by each simple rival (the RFM
grid, whole and pooled to custseg's k; k-means on log R, F, M at that k and at ``evaluate.baseline_k``; the rule
segments when configured), judged on what the customers did in the holdout, and what to try when custseg loses."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from custseg import i18n, rfm, rule_segments
from custseg.evaluate.holdout import compare, kmeans_log_rfm, margins, pooled_rfm, winner
from custseg.features.split import align, features_and_later_spend, holdout_reason
from custseg.schema import MONETARY


def no_contest(text: str) -> dict:
    """A contest that did not take place, with the reason."""
    return {"verdict": None, "wins": None, "best": {}, "results": {}, "constant": [], "text": text,
            "margins": pd.DataFrame(), "same_k": pd.DataFrame()}


def holdout_contest(cfg: dict, segmenter, clustered_on: list[str], data: pd.DataFrame | None,
                    inner: pd.DataFrame | None, start: dt.date | None, reason: str | None
                    ) -> tuple[pd.DataFrame, dict, pd.DataFrame, dict]:
    """The calibration customers (``data``), each method's segments, the comparison table and the contest.

    Without a holdout (``start`` None), an empty contest saying why.
    """
    from custseg.cluster import Segmenter, TooFewCustomers

    if start is None:
        return pd.DataFrame(), {}, pd.DataFrame(), no_contest(holdout_reason({"reason": reason}, cfg["language"]))
    e, c = cfg["evaluate"], cfg["cluster"]
    # custseg as 05 ran it, on the calibration period only: its expected value learned from the inner split
    value_from = (features_and_later_spend(inner, clustered_on) if segmenter.value_model_ is not None
                  and inner is not None else None)
    k = segmenter.k_
    try:
        ours = Segmenter.from_config(c, k=k, stability_runs=0).fit(align(data, clustered_on), value_from=value_from)
    except TooFewCustomers as err:
        return data, {}, pd.DataFrame(), no_contest(i18n.text("contest.too_small", cfg["language"], start=start,
                                                              error=err))
    grid = rfm.rfm_table(data, **cfg["rfm"])["rfm_segment"]
    methods = {"custseg": ours.labels_, "RFM grid": grid.to_numpy(),
               "RFM grid pooled": pooled_rfm(grid, data[MONETARY], k).to_numpy(),
               "k-means log RFM": kmeans_log_rfm(data, k, c["seed"])}
    if e["baseline_k"] != k and len(data) >= 2 * e["baseline_k"]:
        methods[f"k-means log RFM, k={e['baseline_k']}"] = kmeans_log_rfm(data, e["baseline_k"], c["seed"])
    if rule_segments.configured(cfg["rule_segments"]):  # the segments marketing declares, on the same customers
        methods["rules"] = rule_segments.assign(data, cfg["rule_segments"], cfg["attributes"])["segment"].to_numpy()
    comparison = compare(methods, data)
    margin = margins(methods, data, "custseg", comparison, e["bootstrap"], seed=c["seed"])
    language = cfg["language"]
    m = i18n.messages(language)["printed"]["contest"]
    contest = winner(comparison, margin, "custseg", language)
    # and against the rivals with as many segments as custseg, where more groups cannot be what wins
    same = {m: v for m, v in methods.items() if m == "custseg" or len(np.unique(v)) == len(np.unique(ours.labels_))}
    same_k = margins(same, data, "custseg", comparison[comparison["method"].isin(same)], e["bootstrap"],
                     seed=c["seed"]) if len(same) > 1 else pd.DataFrame()
    contest.update(margins=margin, same_k=same_k)
    if len(same_k):
        results = dict(zip(same_k["outcome"], same_k["result"], strict=True))
        sep = i18n.messages(language)["list_sep"]
        contest["text"] += m["same_k"].format(
            k=k, rivals=sep.join(i18n.word(r, language) for r in same if r != "custseg"),
            results=sep.join(
                m["same_k_result"].format(outcome=i18n.header(o, language), result=m["results"][r])
                for o, r in results.items()))
    return data, methods, comparison, contest
def suggestion(cfg: dict, contest: dict, k: int) -> str:
    """What to try when custseg does not beat the rivals on the holdout ('' when it does or was not tested)."""
    if contest["verdict"] in (None, "wins"):
        return ""
    language = cfg["language"]
    m = i18n.messages(language)["printed"]["contest"]
    lost = {o: b for o, b in contest["best"].items() if contest["results"].get(o) == "loses"}
    tips = []
    if not cfg["cluster"]["expected_value"]:
        tips.append(m["tip_value"])
    if any(r.startswith("k-means log RFM") for r in lost.values()):
        tips.append(m["tip_features"])
    if any(r.startswith("RFM grid") for r in lost.values()) or not tips:
        tips.append(m["tip_k"].format(k=k))
    text = m["suggestion"].format(lost=m["lost"].format(outcomes=i18n.names(lost, language)) if lost else "",
                                  tips=m["tips_sep"].join(tips))
    value = lost.get("log_spend") or lost.get("spend")
    if value:
        text += m["value"].format(method=i18n.word(value, language))
    return text

