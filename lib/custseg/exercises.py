"""Exercises that check themselves: each notebook's ``## Exercises`` section, and the checks behind it.

Every exercise has an id (``"05-k"``), the notebook it belongs to, the ``needs-…`` tags of the data it relies on
(the same tags as the prose it practises, :mod:`custseg.report.needs`), the artefacts its check reads and a pure
check function ``check(answer, **inputs) -> Feedback``. The expected answer is always computed from the run's own
artefacts (the numbers the page shows), never written down, so an exercise is right on every shape of data. The
notebook calls :func:`check`, which loads the inputs through :mod:`custseg.io`, prints the feedback in the run's
language (the ``exercises:`` block of ``templates/{en,zh}/messages.yaml``) and returns it; it never raises, so a
student's notebook runs from top to bottom.

The cells of an exercise (ids ``NN-ex-…``, the 简体中文 twins ``…-zh``): a prose cell with the task (English,
then its twin) and a code cell::

    ### BEGIN SOLUTION
    answer = ...  # the computation a student would write, with what the page already loaded
    ### END SOLUTION
    exercises.check("05-k", answer, cfg, paths)

**The student edition's contract** (``make student``, built by the course's student-edition writer): every region
from a line ``### BEGIN SOLUTION`` to a line ``### END SOLUTION`` (markers included) is replaced by the single line
:data:`STUDENT_LINE` (``answer = ...  # your answer / 你的答案``). So each solution region ends by assigning
``answer``, the rest of the cell (the check) stays, and :func:`check` treats ``...`` (Ellipsis) as "not answered
yet" (:func:`student_source` is that replacement, for the writer and the tests).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from custseg import i18n, io

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUDENT_LINE = "answer = ...  # your answer / 你的答案"
_REGION = re.compile(rf"^([ \t]*){re.escape(BEGIN)}[ \t]*\n.*?^[ \t]*{re.escape(END)}[ \t]*$", re.M | re.S)
SHARE_TOLERANCE = 0.005  # half a percentage point: a share read off a table rounded to 0.1 %
INDEX_THRESHOLD = 120  # 06: "an index of 120" — 20 % above the average customer
MIN_RULES = 10  # 08: the rules offers.min_support must keep


def student_source(source: str) -> str:
    """A code cell as the student edition shows it: each solution region replaced by :data:`STUDENT_LINE` (kept at
    the region's indentation)."""
    return _REGION.sub(lambda m: m.group(1) + STUDENT_LINE, source)


# ---------------------------------------------------------------------------------------------- feedback


@dataclass(frozen=True)
class Feedback:
    """What a check says about an answer.

    ``status`` is ``correct``, ``wrong``, ``not_answered`` or ``unavailable`` (the run lacks what the check
    reads); ``key`` names the message in the exercise's catalogue entry (or the common ones), ``values`` fill it
    (strings, or lists joined in the reader's language).
    """

    exercise: str
    status: str
    key: str = ""
    values: dict = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def message(self, language: str = "en") -> str:
        """The feedback in ``language`` (``en`` or ``zh``): a short verdict, then why, and where to look."""
        m = i18n.messages(language)["exercises"]
        raw = dict(self.values)
        if "tags" in raw:  # the needs-… tags the run does not meet: what they need, and the config key that brings it
            from custseg.report import needs

            tags = raw.pop("tags")
            raw.update(needs=[getattr(needs.NEEDS[t], language) for t in tags],
                       brings=[f"`{needs.NEEDS[t].brings}`" for t in tags])
        if "kind" in raw:  # a _BadAnswer's expected kind of answer, in words
            raw["expected"] = m["kinds"][raw.pop("kind")]
        values = {k: i18n.join([str(x) for x in v], language) if isinstance(v, list | tuple) else v
                  for k, v in raw.items()}
        own = m["checks"].get(self.exercise, {})
        if self.key == "unavailable":  # the common sentence, then what brings the file for this exercise
            values["hint"] = own.get("unavailable", "")
            text = m["unavailable"].format(**values).strip()
        else:
            text = (own.get(self.key) or m.get(self.key) or "").format(**values)
        return m["status"][self.status].format(id=self.exercise, text=text).strip()

    def __str__(self) -> str:
        return self.message("en")

    def _ipython_display_(self):
        """Show nothing as a cell's value: :func:`check` has printed the message in the run's language."""


class _BadAnswer(ValueError):
    """An answer of the wrong kind (text for a number …): the message key and what was expected."""

    def __init__(self, expected: str):
        super().__init__(expected)
        self.expected = expected


def _ok(exercise: str, key: str = "ok", **values) -> Feedback:
    return Feedback(exercise, "correct", key, values)


def _wrong(exercise: str, key: str = "wrong", **values) -> Feedback:
    return Feedback(exercise, "wrong", key, values)


def _number(answer) -> float:
    if isinstance(answer, bool) or not isinstance(answer, int | float) and not hasattr(answer, "__float__"):
        raise _BadAnswer("number")
    value = float(answer)
    if math.isnan(value):
        raise _BadAnswer("number")
    return value


def _integer(answer) -> int:
    try:
        value = _number(answer)
    except _BadAnswer:
        raise _BadAnswer("integer") from None
    if value != int(value):
        raise _BadAnswer("integer")
    return int(value)


def _text(answer) -> str:
    if not isinstance(answer, str) or not answer.strip():
        raise _BadAnswer("text")
    return answer.strip()


def _segment(answer) -> str:
    """A segment as the artefacts spell it: ``2``, ``2.0`` and ``"2"`` are segment ``"2"``."""
    if isinstance(answer, str) and answer.strip():
        text = answer.strip()
        return str(int(float(text))) if re.fullmatch(r"-?\d+(\.0*)?", text) else text
    if isinstance(answer, bool):
        raise _BadAnswer("segment")
    try:
        return str(_integer(answer))
    except _BadAnswer:
        raise _BadAnswer("segment") from None


def _segments(answer) -> list[str]:
    if isinstance(answer, str | int | float) or not hasattr(answer, "__iter__"):
        raise _BadAnswer("list")
    return sorted({_segment(a) for a in answer}, key=_order)


def _pair(answer) -> tuple:
    if isinstance(answer, str) or not isinstance(answer, list | tuple) or len(answer) != 2:
        raise _BadAnswer("pair")
    return tuple(answer)


def _order(segment: str):
    return (0, int(segment), "") if re.fullmatch(r"-?\d+", segment) else (1, 0, segment)


def _pct(x: float) -> str:
    return i18n.percent(x, 1)


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.3f}".rstrip("0").rstrip(".") if abs(x) < 10 else i18n.number(x)


def _share_feedback(exercise: str, answer, expected: float, tolerance: float = SHARE_TOLERANCE, **values):
    """Correct within ``tolerance``; a percentage (97 for 0.97) is named as such; else the ``wrong`` message."""
    given = _number(answer)
    shown = {"expected": _pct(expected), "answer": _num(given), **values}
    if abs(given - expected) <= tolerance + 1e-12:
        return _ok(exercise, **shown)
    if given > 1 and abs(given / 100 - expected) <= tolerance + 1e-12:
        return _wrong(exercise, "as_fraction", **shown, fraction=_num(given / 100))
    return _wrong(exercise, **shown)


def _same_text(a: str, b: str) -> bool:
    return str(a).strip().casefold() == str(b).strip().casefold()


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


def check_01_rows(answer, source_totals: pd.DataFrame) -> Feedback:
    """01-rows: how many rows the run read from all its sources together (the totals table's ``rows``)."""
    given, expected = _integer(answer), int(source_totals["rows"].sum())
    parts = [f"{s} {i18n.integer(r)}" for s, r in zip(source_totals["source"], source_totals["rows"], strict=True)]
    values = {"expected": i18n.integer(expected), "answer": i18n.integer(given), "parts": parts}
    return _ok("01-rows", **values) if given == expected else _wrong("01-rows", **values)


def check_01_dupes(answer, source_totals: pd.DataFrame) -> Feedback:
    """01-dupes: how many rows of the customer table repeat an id (its rows − its distinct customers)."""
    crm = source_totals.set_index("source").loc["customers"]
    given, expected = _integer(answer), int(crm["rows"] - crm["customers"])
    values = {"expected": i18n.integer(expected), "answer": i18n.integer(given), "rows": i18n.integer(crm["rows"]),
              "customers": i18n.integer(crm["customers"])}
    return _ok("01-dupes", **values) if given == expected else _wrong("01-dupes", **values)


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
    values = {"expected": top, "answer": given, "n": str(best),
              "counts": [f"{d} {counts[d]}" for d in DIMENSIONS]}
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


def _campaign_rows(campaign: pd.DataFrame) -> pd.DataFrame:
    return campaign.assign(segment=campaign["segment"].astype("str")).set_index("segment")


def check_09_low(answer, campaign: pd.DataFrame) -> Feedback:
    """09-low: the lower end of the 95 % interval of the overall uplift (row ``all``), as a fraction."""
    row = _campaign_rows(campaign).loc["all"]
    low, high = float(row["uplift_low"]), float(row["uplift_high"])
    values = {"low": _pct(low), "high": _pct(high), "uplift": _pct(float(row["uplift"]))}
    given = _number(answer)
    values["answer"] = _num(given)
    if abs(given - low) <= 0.001:
        return _ok("09-low", "ok_zero" if low <= 0 <= high else "ok", **values)
    if abs(given) > 0.5 and abs(given / 100 - low) <= 0.001:
        return _wrong("09-low", "as_fraction", fraction=_num(given / 100), expected=_pct(low), **values)
    return _wrong("09-low", **values)


def check_09_interval(answer, campaign: pd.DataFrame) -> Feedback:
    """09-interval: the segments whose uplift interval lies entirely above zero (an empty list when none does)."""
    given = _segments(answer)
    rows = _campaign_rows(campaign).drop(index="all", errors="ignore")
    above = sorted((s for s, low in rows["uplift_low"].items() if low > 0), key=_order)
    values = {"expected": above or ["–"], "answer": given or ["–"],
              "intervals": [f"{s}: {_pct(r['uplift_low'])} … {_pct(r['uplift_high'])}" for s, r in rows.iterrows()]}
    if given == above:
        return _ok("09-interval", **values)
    return _wrong("09-interval", **values)


# ---------------------------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Exercise:
    """One exercise: its notebook, the ``needs-…`` tags of its cells, the artefacts its check reads and how."""

    id: str
    notebook: str
    needs: tuple[str, ...]
    reads: tuple[str, ...]
    check: Callable[..., Feedback]
    load: Callable[[dict, io.RunPaths], dict]


def _artefacts(**names: str) -> Callable[[dict, io.RunPaths], dict]:
    """A loader giving each keyword the artefact it names."""
    return lambda cfg, paths: {key: io.read(paths, name) for key, name in names.items()}


def _per_customer(paths: io.RunPaths):
    from custseg import describe, engine

    return describe.per_customer(io.read(paths, "transactions", engine.connect()))


def _customer_table(cfg: dict, paths: io.RunPaths):
    from custseg import describe
    from custseg.pipeline.registry import has_log

    missing = i18n.messages(cfg["language"])["describe"]["missing"]
    return describe.customer_table(io.read(paths, "customers"), cfg["attributes"], None, cfg["value_column"],
                                   has_log(cfg), missing=missing), missing


def _load_03_number(cfg: dict, paths: io.RunPaths) -> dict:
    from custseg import describe
    from custseg.pipeline.registry import has_log

    table, _ = _customer_table(cfg, paths)
    medians = {} if table.summary.empty else table.summary["50%"].to_dict()
    if has_log(cfg):
        medians.update(describe.numeric_summary(_per_customer(paths))["50%"].to_dict())
    return {"medians": medians}


def _load_03_label(cfg: dict, paths: io.RunPaths) -> dict:
    table, missing = _customer_table(cfg, paths)
    return {"frequencies": table.frequencies, "missing": missing}


def _load_04_dimension(cfg: dict, paths: io.RunPaths) -> dict:
    from custseg import features

    return {"groups": features.feature_groups(io.read(paths, "features"), list(cfg["outcomes"] or []))}


def _load_06_rule(cfg: dict, paths: io.RunPaths) -> dict:
    prof = io.read(paths, "profile")
    return {"rules": io.read(paths, "rules"), "segments": [s for s in prof["segment"].astype("str") if s != "all"]}


EXERCISES: dict[str, Exercise] = {e.id: e for e in (
    Exercise("01-missing", "01_collect", (), ("validation",), check_01_missing, _artefacts(validation="validation")),
    Exercise("01-rows", "01_collect", (), ("source_totals",), check_01_rows, _artefacts(source_totals="source_totals")),
    Exercise("01-dupes", "01_collect", ("needs-crm",), ("source_totals",), check_01_dupes,
             _artefacts(source_totals="source_totals")),
    Exercise("02-kept", "02_clean", (), ("snapshot",), check_02_kept, _artefacts(snapshot="snapshot")),
    Exercise("02-dimension", "02_clean", (), ("audit",), check_02_dimension, _artefacts(audit="audit")),
    Exercise("02-money", "02_clean", ("needs-log",), ("audit",), check_02_money, _artefacts(audit="audit")),
    Exercise("03-number", "03_describe", (), ("customers", "transactions"), check_03_number, _load_03_number),
    Exercise("03-pareto", "03_describe", ("needs-log",), ("transactions",), check_03_pareto,
             lambda cfg, paths: {"net_spend": _per_customer(paths)["net_spend"]}),
    Exercise("03-label", "03_describe", ("needs-attributes",), ("customers",), check_03_label, _load_03_label),
    Exercise("04-dimension", "04_features", (), ("features",), check_04_dimension, _load_04_dimension),
    Exercise("04-rfm", "04_features", ("needs-log",), ("rfm",), check_04_rfm, _artefacts(rfm="rfm")),
    Exercise("04-kinds", "04_features", ("needs-attributes",), ("attributes",), check_04_kinds,
             _artefacts(attributes="attributes")),
    Exercise("05-k", "05_cluster", (), ("k_sweep",), check_05_k, _artefacts(k_sweep="k_sweep")),
    Exercise("05-largest-k", "05_cluster", (), ("k_sweep",), check_05_largest_k, _artefacts(k_sweep="k_sweep")),
    Exercise("05-smallest", "05_cluster", (), ("segments",), check_05_smallest, _artefacts(segments="segments")),
    Exercise("06-index", "06_personas", (), ("profile",), check_06_index, _artefacts(profile_table="profile")),
    Exercise("06-rule", "06_personas", (), ("rules", "profile"), check_06_rule, _load_06_rule),
    Exercise("06-value", "06_personas", ("needs-value",), ("profile",), check_06_value,
             _artefacts(profile_table="profile")),
    Exercise("07-keep", "07_evaluate", (), ("scorecard",), check_07_keep, _artefacts(scorecard="scorecard")),
    Exercise("07-weakest", "07_evaluate", (), ("scorecard",), check_07_weakest, _artefacts(scorecard="scorecard")),
    Exercise("07-rules", "07_evaluate", ("needs-rule-segments",), ("evaluate",), check_07_rules,
             _artefacts(evaluated="evaluate")),
    Exercise("07-outcome", "07_evaluate", ("needs-outcomes",), ("outcome_validation",), check_07_outcome,
             _artefacts(outcome_validation="outcome_validation")),
    Exercise("08-attractive", "08_target", (), ("targeting",), check_08_attractive,
             _artefacts(targeting="targeting")),
    Exercise("08-targets", "08_target", (), ("targeting", "target"), check_08_targets,
             _artefacts(targeting="targeting", target="target")),
    Exercise("08-support", "08_target", ("needs-baskets",), ("basket_rules",), check_08_support,
             _artefacts(basket_rules="basket_rules")),
    Exercise("08-services", "08_target", ("needs-services",), ("basket_rules",), check_08_services,
             _artefacts(basket_rules="basket_rules")),
    Exercise("09-low", "09_measure", ("needs-campaign",), ("campaign_results",), check_09_low,
             _artefacts(campaign="campaign_results")),
    Exercise("09-interval", "09_measure", ("needs-campaign",), ("campaign_results",), check_09_interval,
             _artefacts(campaign="campaign_results")),
)}


def of_notebook(notebook: str) -> list[Exercise]:
    """The exercises of a notebook (``"05_cluster"``), in their order."""
    return [e for e in EXERCISES.values() if e.notebook == notebook]


def evaluate(exercise_id: str, answer, cfg: dict, paths: io.RunPaths) -> Feedback:
    """The feedback on ``answer`` to exercise ``exercise_id`` of this run, without printing it; never raises for
    an answer or a run (an unknown id is a programming error: KeyError)."""
    exercise = EXERCISES[exercise_id]
    if answer is ...:
        return Feedback(exercise_id, "not_answered", "not_answered")
    if exercise.needs:
        from custseg.report import needs

        met = needs.met(cfg, paths)
        unmet = [t for t in exercise.needs if not met.get(t, False)]
        if unmet:
            return Feedback(exercise_id, "unavailable", "needs", {"tags": unmet})
    missing = [name for name in exercise.reads if not io.exists(paths, name)]
    if missing:
        return Feedback(exercise_id, "unavailable", "unavailable", {"files": [io.ARTEFACTS[n].file for n in missing]})
    try:
        return exercise.check(answer, **exercise.load(cfg, paths))
    except _BadAnswer as err:
        return Feedback(exercise_id, "wrong", "bad_answer", {"kind": err.expected, "answer": repr(answer)[:80]})


def check(exercise_id: str, answer, cfg: dict, paths: io.RunPaths) -> Feedback:
    """Check a student's answer against this run's artefacts, print the feedback in the run's language
    (``cfg["language"]``) and return it.

    Parameters
    ----------
    exercise_id : str
        The exercise (a key of :data:`EXERCISES`, e.g. ``"05-k"``).
    answer : object
        The answer; ``...`` (Ellipsis, what the student edition starts with) is "not answered yet".
    cfg : dict
        The run's config (from the notebook's setup cell).
    paths : io.RunPaths
        The run's folders.

    Returns
    -------
    Feedback
        Correct or not, and why (:meth:`Feedback.message`).
    """
    feedback = evaluate(exercise_id, answer, cfg, paths)
    print(feedback.message(cfg["language"]))
    return feedback
