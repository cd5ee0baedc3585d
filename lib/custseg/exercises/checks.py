"""The check of every exercise: a pure function ``check(answer, **inputs) -> Feedback`` whose expected answer is
computed from the inputs (the run's artefacts, read by :mod:`custseg.exercises`), never written down."""

from __future__ import annotations

import math

import pandas as pd

from custseg import i18n
from custseg.exercises.feedback import (
    SHARE_TOLERANCE,
    Feedback,
    Term,
    _integer,
    _num,
    _number,
    _ok,
    _order,
    _pair,
    _pct,
    _same_text,
    _segment,
    _segments,
    _share_feedback,
    _text,
    _wrong,
)

INDEX_THRESHOLD = 120  # 06: "an index of 120" — 20 % above the average customer
MIN_RULES = 10  # 08: the rules offers.min_support must keep


# ---------------------------------------------------------------------------------------------- 01_collect


def check_01_missing(answer, validation: pd.DataFrame) -> Feedback:
    """01-missing: the largest share of missing values of any source column (validation: missing ÷ rows)."""
    v = validation[validation["rows"] > 0]
    share = v["missing"] / v["rows"]
    worst = v.loc[share.idxmax()] if len(v) else None
    expected = float(share.max()) if len(v) else 0.0
    where = {"column": f"{worst['source']}.{worst['column']}", "missing": i18n.integer(worst["missing"]),
             "rows": i18n.integer(worst["rows"])} if worst is not None else {"column": "–", "missing": "0",
                                                                               "rows": "0"}
    if expected == 0:  # every column complete: the answer is 0
        given = _number(answer)
        return _ok("01-missing", "ok_none") if given == 0 else _wrong("01-missing", "wrong_none", answer=_num(given))
    return _share_feedback("01-missing", answer, expected, tolerance=SHARE_TOLERANCE / 5, **where)


def check_01_largest(answer, source_totals: pd.DataFrame) -> Feedback:
    """01-largest: the source with the most rows in the totals table (its ``source`` as the table spells it)."""
    given = _text(answer)
    rows = source_totals.set_index("source")["rows"]
    top = [str(s) for s, n in rows.items() if n == rows.max()]
    values = {"expected": top, "answer": given, "rows": i18n.integer(rows.max()),
              "parts": [f"{s} {i18n.integer(n)}" for s, n in rows.items()]}
    match = next((str(s) for s in rows.index if _same_text(s, given)), None)
    if match is None:
        return _wrong("01-largest", "unknown", **values)
    if match in top:
        return _ok("01-largest", **values)
    return _wrong("01-largest", given_rows=i18n.integer(rows[match]), **values)


def check_01_dupes(answer, source_totals: pd.DataFrame) -> Feedback:
    """01-dupes: how many rows of the customer table repeat an id (its rows − its distinct customers)."""
    crm = source_totals.set_index("source").loc["customers"]
    given, expected = _integer(answer), int(crm["rows"] - crm["customers"])
    values = {"expected": i18n.integer(expected), "answer": i18n.integer(given), "rows": i18n.integer(crm["rows"]),
              "customers": i18n.integer(crm["customers"])}
    if given != expected:
        return _wrong("01-dupes", **values)
    return _ok("01-dupes", "ok" if expected else "ok_none", **values)


# ---------------------------------------------------------------------------------------------- 02_clean


def check_02_kept(answer, snapshot: dict) -> Feedback:
    """02-kept: the share of the customer rows that cleaning kept (kept ÷ in)."""
    kept, came = snapshot["customers_kept"], snapshot["customers_in"]
    return _share_feedback("02-kept", answer, kept / came if came else 0.0, kept=i18n.integer(kept),
                           came=i18n.integer(came))


DIMENSION_RULE = "duplicate_customer"  # 02-dimension asks for this rule's data-quality dimension


def check_02_dimension(answer, audit: pd.DataFrame, language_names: dict | None = None) -> Feedback:
    """02-dimension: the data-quality dimension of the rule :data:`DIMENSION_RULE` (the audit's ``dimension``);
    the dimension's 简体中文 name counts too."""
    given = _text(answer)
    expected = str(audit.loc[audit["rule"] == DIMENSION_RULE, "dimension"].iloc[0])
    names = language_names if language_names is not None else i18n.messages("zh")["exercises"]["dimensions"]
    values = {"expected": expected, "answer": given, "rule": DIMENSION_RULE,
              "zh": names.get(expected, expected)}
    if _same_text(given, expected) or _same_text(given, names.get(expected, expected)):
        return _ok("02-dimension", **values)
    return _wrong("02-dimension", **values)


def check_02_money(answer, audit: pd.DataFrame) -> Feedback:
    """02-money: the transaction rule that quarantined the most money (the largest absolute ``amount``)."""
    given = _text(answer)
    lines = audit[(audit["table"] == "transactions") & (audit["action"] == "quarantined")]
    amounts = lines.set_index("rule")["amount"].astype("float64").fillna(0.0)
    expected = str(amounts.abs().idxmax())
    values = {"expected": expected, "answer": given, "amount": i18n.integer(amounts[expected])}
    if given not in amounts.index:
        return _wrong("02-money", "unknown", rules=list(amounts.index), **values)
    if amounts.abs()[given] == amounts.abs()[expected]:
        return _ok("02-money", **values)
    return _wrong("02-money", moved=i18n.integer(amounts[given]), **values)


# ---------------------------------------------------------------------------------------------- 03_describe


def check_03_number(answer, medians: dict[str, float]) -> Feedback:
    """03-number: ``(column, median)`` for a number column of the page (a customer-table number, or orders and net
    spend per customer with a log), within 1 %."""
    column, given = _pair(answer)
    column, given = _text(column), _number(given)
    if column not in medians:
        return _wrong("03-number", "unknown", answer=column, columns=sorted(medians))
    expected = float(medians[column])
    values = {"column": column, "expected": _num(expected), "answer": _num(given)}
    if abs(given - expected) <= max(0.01 * abs(expected), 0.05):
        return _ok("03-number", **values)
    return _wrong("03-number", **values)


def check_03_pareto(answer, net_spend: pd.Series) -> Feedback:
    """03-pareto: the share of net spend the top 20 % of customers bring (:func:`custseg.describe.pareto_share`)."""
    from custseg import describe

    return _share_feedback("03-pareto", answer, describe.pareto_share(net_spend),
                           customers=i18n.integer(max(int(round(0.2 * len(net_spend))), 1)))


def check_03_label(answer, frequencies: dict[str, pd.DataFrame], missing: str = "(missing)") -> Feedback:
    """03-label: ``(column, share)``: the share of customers with the most common value of a label column of the
    frequency tables (missing values are not a value)."""
    column, given = _pair(answer)
    column = _text(column)
    if column not in frequencies:
        return _wrong("03-label", "unknown", answer=column, columns=sorted(frequencies))
    freq = frequencies[column]
    known = freq[freq["label"] != missing]
    top = known.loc[known["share"].idxmax()]
    return _share_feedback("03-label", given, float(top["share"]), column=column, label=str(top["label"]))


# ---------------------------------------------------------------------------------------------- 04_features

DIMENSIONS = ("demographic", "geographic", "psychographic", "behavioural")


def check_04_dimension(answer, groups: dict[str, list[str]], language_names: dict | None = None) -> Feedback:
    """04-dimension: the segmentation dimension with the most features (English or 简体中文 name; ties count)."""
    given = _text(answer)
    names = language_names if language_names is not None else i18n.messages("zh")["exercises"]["dimensions"]
    counts = {d: len(groups.get(d, [])) for d in DIMENSIONS}
    best = max(counts.values())
    top = [d for d in DIMENSIONS if counts[d] == best]
    chosen = next((d for d in DIMENSIONS if _same_text(given, d) or _same_text(given, names.get(d, d))
                   or _same_text(given, "behavioral") and d == "behavioural"), None)
    values = {"expected": [Term(d) for d in top], "expected_key": top, "answer": given, "n": str(best),
              "counts": [(Term(d), str(counts[d])) for d in DIMENSIONS]}
    if chosen is None:
        return _wrong("04-dimension", "unknown", **values)
    if chosen in top:
        return _ok("04-dimension", **values)
    return _wrong("04-dimension", given_n=str(counts[chosen]), **values)


def check_04_rfm(answer, rfm: pd.DataFrame) -> Feedback:
    """04-rfm: the named RFM segment that holds the most customers (ties count)."""
    given = _text(answer)
    counts = rfm["rfm_segment"].astype("str").value_counts()
    top = [s for s, n in counts.items() if n == counts.max()]
    values = {"expected": top, "answer": given, "n": i18n.integer(counts.max()),
              "share": _pct(counts.max() / counts.sum())}
    match = next((s for s in counts.index if _same_text(s, given)), None)
    if match is None:
        return _wrong("04-rfm", "unknown", names=list(counts.index), **values)
    if match in top:
        return _ok("04-rfm", **values)
    return _wrong("04-rfm", given_n=i18n.integer(counts[match]), **values)


def check_04_kinds(answer, attributes: pd.DataFrame) -> Feedback:
    """04-kinds: the kind that custseg gave to the most columns of the customer table (ties count)."""
    given = _text(answer)
    counts = attributes["kind"].astype("str").value_counts()
    top = [k for k, n in counts.items() if n == counts.max()]
    values = {"expected": top, "answer": given, "n": str(int(counts.max())),
              "counts": [f"{k} {int(n)}" for k, n in counts.items()]}
    match = next((k for k in counts.index if _same_text(k, given)), None)
    if match is None:
        return _wrong("04-kinds", "unknown", **values)
    if match in top:
        return _ok("04-kinds", **values)
    return _wrong("04-kinds", given_n=str(int(counts[match])), **values)


# ---------------------------------------------------------------------------------------------- 05_cluster


def check_05_k(answer, k_sweep: pd.DataFrame) -> Feedback:
    """05-k: the k whose silhouette is highest in the k sweep."""
    given = _integer(answer)
    s = k_sweep.set_index("k")["silhouette"]
    expected = int(s.idxmax())
    values = {"expected": str(expected), "answer": str(given), "best": _num(float(s.max())),
              "ks": f"{int(s.index.min())}–{int(s.index.max())}"}
    if given not in s.index:
        return _wrong("05-k", "unknown", **values)
    if s[given] == s.max():
        return _ok("05-k", **values)
    return _wrong("05-k", value=_num(float(s[given])), **values)


def check_05_largest_k(answer, k_sweep: pd.DataFrame) -> Feedback:
    """05-largest-k: the share of customers in the smallest segment at the largest k of the sweep (what
    ``--set cluster.k=<that k>`` would give)."""
    last = k_sweep.sort_values("k").iloc[-1]
    return _share_feedback("05-largest-k", answer, float(last["smallest_share"]), k=str(int(last["k"])),
                           tolerance=0.001)


def check_05_smallest(answer, segments: pd.DataFrame) -> Feedback:
    """05-smallest: the share of the customers in the smallest segment of the chosen solution (noise, segment -1
    of HDBSCAN, is not a segment)."""
    sizes = segments["segment"].value_counts()
    shares = sizes.drop(index=[s for s in sizes.index if str(s) == "-1"]) / sizes.sum()
    return _share_feedback("05-smallest", answer, float(shares.min()), segment=str(shares.idxmin()),
                           customers=i18n.integer(sizes[shares.idxmin()]), tolerance=0.001)


# ---------------------------------------------------------------------------------------------- 06_personas


def _profile_index(profile_table: pd.DataFrame) -> pd.DataFrame:
    from custseg import profile

    prof = profile_table.assign(segment=profile_table["segment"].astype("str")).set_index("segment")
    return profile.index_table(prof)


def check_06_index(answer, profile_table: pd.DataFrame) -> Feedback:
    """06-index: ``(segment, feature)`` whose index is :data:`INDEX_THRESHOLD` or more (the segment's mean at
    least 20 % above the average customer's)."""
    segment, feature = _pair(answer)
    segment, feature = _segment(segment), _text(feature)
    idx = _profile_index(profile_table)
    if feature.startswith("factor_") and feature in idx.columns:  # a factor score's mean is 0: an index of nothing
        return _wrong("06-index", "factor", feature=feature)
    if segment not in idx.index or feature not in idx.columns:
        return _wrong("06-index", "unknown", segment=segment, feature=feature, segments=list(idx.index),
                      features=list(idx.columns))
    value = idx.loc[segment, feature]
    prof = profile_table.assign(segment=profile_table["segment"].astype("str")).set_index("segment")
    values = {"segment": segment, "feature": feature, "index": "–" if pd.isna(value) else f"{value:.0f}",
              "mean": _num(float(prof.loc[segment, feature])), "base": _num(float(prof.loc["all", feature])),
              "threshold": str(INDEX_THRESHOLD)}
    if pd.notna(value) and value >= INDEX_THRESHOLD:
        return _ok("06-index", **values)
    return _wrong("06-index", **values)


def check_06_rule(answer, rules: dict, segments: list) -> Feedback:
    """06-rule: the segment the surrogate tree's rules cover least (the sum of its rules' ``coverage``): the
    hardest to recognise by a rule."""
    given = _segment(answer)
    coverage = {str(s): 0.0 for s in segments}
    for rule in rules["rules"]:
        coverage[str(rule["segment"])] = coverage.get(str(rule["segment"]), 0.0) + float(rule["coverage"])
    low = min(coverage.values())
    top = [s for s, c in coverage.items() if c == low]
    values = {"expected": top, "answer": given, "coverage": _pct(low)}
    if given not in coverage:
        return _wrong("06-rule", "unknown", segments=list(coverage), **values)
    if given in top:
        return _ok("06-rule", **values)
    return _wrong("06-rule", given_coverage=_pct(coverage[given]), **values)


def check_06_value(answer, profile_table: pd.DataFrame) -> Feedback:
    """06-value: the segment whose share of the value is the largest multiple of its share of the customers."""
    given = _segment(answer)
    prof = profile_table.assign(segment=profile_table["segment"].astype("str")).set_index("segment")
    prof = prof.drop(index="all")
    ratio = prof["value_share"] / prof["share"]
    best = str(ratio.idxmax())
    values = {"expected": best, "answer": given, "ratio": _num(float(ratio.max())),
              "value_share": _pct(float(prof.loc[best, "value_share"])), "share": _pct(float(prof.loc[best, "share"]))}
    if given not in ratio.index:
        return _wrong("06-value", "unknown", segments=list(ratio.index), **values)
    if ratio[given] == ratio.max():
        return _ok("06-value", **values)
    return _wrong("06-value", given_ratio=_num(float(ratio[given])), **values)


# ---------------------------------------------------------------------------------------------- 07_evaluate


def check_07_keep(answer, scorecard: pd.DataFrame) -> Feedback:
    """07-keep: how many segments the scorecard says to keep (every measured criterion met)."""
    given = _integer(answer)
    keep = scorecard["verdict"].astype("str").str.startswith("keep")
    expected = int(keep.sum())
    values = {"expected": str(expected), "answer": str(given), "segments": str(len(scorecard)),
              "kept": [str(s) for s in scorecard.loc[keep, "segment"]] or ["–"]}
    return _ok("07-keep", **values) if given == expected else _wrong("07-keep", **values)


def check_07_weakest(answer, scorecard: pd.DataFrame) -> Feedback:
    """07-weakest: the segment whose top effect (the largest |Cohen's d| of its features) is the smallest: the
    least differentiated segment."""
    given = _segment(answer)
    effect = scorecard.assign(segment=scorecard["segment"].astype("str")).set_index("segment")["top_effect"].abs()
    effect = effect.dropna()
    top = [s for s, e in effect.items() if e == effect.min()]
    card = scorecard.assign(segment=scorecard["segment"].astype("str")).set_index("segment")
    values = {"expected": top, "answer": given, "effect": _num(float(effect.min())),
              "feature": str(card.loc[top[0], "top_feature"])}
    if given not in effect.index:
        return _wrong("07-weakest", "unknown", segments=list(effect.index), **values)
    if given in top:
        return _ok("07-weakest", **values)
    return _wrong("07-weakest", given_effect=_num(float(effect[given])), **values)


def check_07_rules(answer, evaluated: dict) -> Feedback:
    """07-rules: which segmentation separates the features better on average — ``"clusters"`` or ``"rules"`` (the
    higher mean eta²)."""
    given = _text(answer).casefold()
    clusters, rules = float(evaluated["solution"]["mean_eta2"]), float(evaluated["rules"]["mean_eta2"])
    expected = "clusters" if clusters >= rules else "rules"
    values = {"expected": expected, "answer": given, "clusters": _num(clusters), "rules": _num(rules)}
    aliases = {"clusters": ("clusters", "cluster", "聚类"), "rules": ("rules", "rule", "rule segments", "规则",
                                                                   "规则细分")}
    chosen = next((k for k, names in aliases.items() if given in names), None)
    if chosen is None:
        return _wrong("07-rules", "unknown", **values)
    if chosen == expected or clusters == rules:
        return _ok("07-rules", **values)
    return _wrong("07-rules", **values)


def check_07_outcome(answer, outcome_validation: pd.DataFrame) -> Feedback:
    """07-outcome: the segment with the highest rate (or mean) of the first outcome of the outcome table."""
    given = _segment(answer)
    outcome = str(outcome_validation["outcome"].iloc[0])
    rows = outcome_validation[outcome_validation["outcome"] == outcome]
    value = rows.assign(segment=rows["segment"].astype("str")).set_index("segment")["value"]
    top = [s for s, v in value.items() if v == value.max()]
    values = {"expected": top, "answer": given, "outcome": outcome, "value": _num(float(value.max()))}
    if given not in value.index:
        return _wrong("07-outcome", "unknown", segments=list(value.index), **values)
    if given in top:
        return _ok("07-outcome", **values)
    return _wrong("07-outcome", given_value=_num(float(value[given])), **values)


# ---------------------------------------------------------------------------------------------- 08_target


def _clusters(targeting: pd.DataFrame) -> pd.DataFrame:
    rows = targeting[targeting["segmentation"] == "clusters"]
    return rows.assign(segment=rows["segment"].astype("str")).set_index("segment")


def check_08_attractive(answer, targeting: pd.DataFrame) -> Feedback:
    """08-attractive: the cluster segment with the highest attractiveness score (ties count)."""
    given = _segment(answer)
    score = _clusters(targeting)["attractiveness"]
    top = [s for s, v in score.items() if v == score.max()]
    values = {"expected": top, "answer": given, "score": _num(float(score.max()))}
    if given not in score.index:
        return _wrong("08-attractive", "unknown", segments=list(score.index), **values)
    if given in top:
        return _ok("08-attractive", **values)
    return _wrong("08-attractive", given_score=_num(float(score[given])), **values)


def check_08_targets(answer, targeting: pd.DataFrame, target: dict) -> Feedback:
    """08-targets: the share of all customers the target segments hold together."""
    clusters = _clusters(targeting)
    targets = [str(t) for t in target["targets"]]
    share = float(clusters.loc[[t for t in targets if t in clusters.index], "share"].sum())
    return _share_feedback("08-targets", answer, share, targets=targets or ["–"],
                           strategy=str(target.get("strategy", "")))


def _base_rules(basket_rules: pd.DataFrame) -> pd.DataFrame:
    from custseg import offers

    return basket_rules[basket_rules["segment"].astype("str") == offers.ALL]


def check_08_support(answer, basket_rules: pd.DataFrame) -> Feedback:
    """08-support: the largest ``offers.min_support`` that still keeps :data:`MIN_RULES` rules of the whole base
    (all of them when it has fewer): the support of its :data:`MIN_RULES`-th best-supported rule."""
    given = _number(answer)
    support = _base_rules(basket_rules)["support"].sort_values(ascending=False).reset_index(drop=True)
    n = min(MIN_RULES, len(support))
    expected = float(support.iloc[n - 1])
    below = float(support.iloc[n]) if len(support) > n else -math.inf  # the next rule's support
    kept = int((support >= given - 1e-12).sum())
    values = {"expected": _num(expected), "answer": _num(given), "n": str(n), "kept": str(kept),
              "rules": str(len(support))}
    if below < given <= expected or abs(given - expected) <= 0.0005:  # read off a table of 3 decimals
        return _ok("08-support", **values)
    return _wrong("08-support", "too_high" if kept < n else "wrong", **values)


def check_08_services(answer, basket_rules: pd.DataFrame) -> Feedback:
    """08-services: the pair of services held together with the highest lift in the whole base (either
    direction: A → B and B → A have the same lift)."""
    a, b = _pair(answer)
    a, b = _text(a), _text(b)
    base = _base_rules(basket_rules)
    top = base.loc[base["lift"].idxmax()]
    pair = {str(top["antecedent"]).casefold(), str(top["consequent"]).casefold()}
    values = {"expected": f"{top['antecedent']} + {top['consequent']}", "answer": f"{a} + {b}",
              "lift": _num(float(top["lift"]))}
    same = base[base.apply(lambda r: {str(r["antecedent"]).casefold(), str(r["consequent"]).casefold()}
                           == {a.casefold(), b.casefold()}, axis=1)]
    if {a.casefold(), b.casefold()} == pair or (len(same) and same["lift"].max() == top["lift"]):
        return _ok("08-services", **values)
    if same.empty:
        return _wrong("08-services", "unknown", **values)
    return _wrong("08-services", given_lift=_num(float(same["lift"].max())), **values)


# ---------------------------------------------------------------------------------------------- 09_measure


def _signed(x: float) -> str:
    """An uplift as 09's table shows it: signed, one decimal (-0.1%, +12.1%), never "<0.1%"."""
    return f"{x:+.1%}"


def _campaign_rows(campaign: pd.DataFrame) -> pd.DataFrame:
    return campaign.assign(segment=campaign["segment"].astype("str")).set_index("segment")


def check_09_low(answer, campaign: pd.DataFrame) -> Feedback:
    """09-low: the lower end of the 95 % interval of the overall uplift (row ``all``), as a fraction."""
    row = _campaign_rows(campaign).loc["all"]
    low, high = float(row["uplift_low"]), float(row["uplift_high"])
    values = {"low": _signed(low), "high": _signed(high), "uplift": _signed(float(row["uplift"]))}
    given = _number(answer)
    values["answer"] = _num(given)
    if abs(given - low) <= 0.001:
        return _ok("09-low", "ok_zero" if low <= 0 <= high else "ok", **values)
    if abs(given) > 0.5 and abs(given / 100 - low) <= 0.001:
        return _wrong("09-low", "as_fraction", fraction=_num(given / 100), expected=_signed(low), **values)
    return _wrong("09-low", **values)


def check_09_interval(answer, campaign: pd.DataFrame) -> Feedback:
    """09-interval: the segments whose uplift interval lies entirely above zero (an empty list when none does)."""
    given = _segments(answer)
    rows = _campaign_rows(campaign).drop(index="all", errors="ignore")
    above = sorted((s for s, low in rows["uplift_low"].items() if low > 0), key=_order)
    values = {"expected": above or ["–"], "answer": given or ["–"],
              "intervals": [f"{s}: {_signed(r['uplift_low'])} … {_signed(r['uplift_high'])}"
                            for s, r in rows.iterrows()]}
    if given == above:
        return _ok("09-interval", **values)
    return _wrong("09-interval", **values)
