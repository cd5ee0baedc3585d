"""Rules as rivals (单一变量法 / 组合变量法): the best split of the customers on one attribute and on two, against
the segments custseg formed.

Most marketing teams segment by a rule — contract type, a spend band, city tier × membership. A clustering earns
its place only when it separates what matters (an outcome: churn, purchase, later spend) better than the best
such rule. The rules are chosen on one random half of the customers and judged on the other half, where the
segments are judged too, with a bootstrap interval on the difference: a rule chosen and judged on the same
customers would look better than it is. Segmentations with more groups explain more by chance alone, so they
are compared by eta² adjusted for their number of groups (:func:`custseg.stats.adjusted_eta_squared`).

Every rule is written as the ``rule_segments`` config that adopts it (named conditions in pandas query syntax)
and applied with :func:`custseg.rule_segments.assign`, so the rule judged is the rule a user can paste.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from custseg import rule_segments
from custseg.attributes import declared_labels
from custseg.cluster.value import SPEND_COLUMN
from custseg.stats import adjusted_eta_squared, bootstrap_rows, eta_squared, eta_squared_resampled

SINGLE_GROUPS = 4  # one attribute in at most this many groups (numbers in quantile bands)
PAIR_GROUPS = 3  # each attribute of a pair in at most this many groups (at most 9 segments)
PAIR_CANDIDATES = 6  # pairs are formed from this many best single attributes
CHOICE_SHARE = 0.5  # the share of customers the rules are chosen on; the rest judge them


RULE_SEP = " × "  # a two-attribute rule's name: "Contract × InternetService"


def _quoted(column: str) -> str:
    return f"`{column}`"


def _number(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def conditions(values: pd.Series, groups: int, labels: dict | None = None) -> list[dict] | None:
    """One attribute as at most ``groups`` exhaustive, non-overlapping ``{name, when}`` rules (None when it cannot
    split the customers: a single value).

    A number with more distinct values than ``groups`` is cut at its quantiles; other columns get one rule per
    value, the rarest values pooled in a last rule, each named by its label in ``labels`` (an encoded ordinal's
    code → its label, a flag's 1 → yes). Missing values form a rule of their own.
    """
    labels = labels or {}
    column, present = str(values.name), values.dropna()
    if present.nunique() < 2:
        return None
    q = _quoted(column)
    rules = []
    if pd.api.types.is_numeric_dtype(present) and present.nunique() > groups and not labels:
        cuts = np.quantile(present.to_numpy(dtype=float), np.linspace(0, 1, groups + 1)[1:-1])
        edges = sorted({float(e) for e in cuts})
        edges = [e for e in edges if present.min() < e <= present.max()]
        if not edges:
            return None
        rules.append({"name": f"{column} < {_number(edges[0])}", "when": f"{q} < {edges[0]!r}"})
        rules += [{"name": f"{_number(a)} ≤ {column} < {_number(b)}", "when": f"{a!r} <= {q} < {b!r}"}
                  for a, b in itertools.pairwise(edges)]
        rules.append({"name": f"{column} ≥ {_number(edges[-1])}", "when": f"{q} >= {edges[-1]!r}"})
    else:
        counts = present.value_counts()
        counts.index = [v.item() if isinstance(v, np.generic) else v for v in counts.index]  # 1, not np.int64(1)
        kept = list(counts.index[: groups if len(counts) <= groups else groups - 1])
        rules += [{"name": f"{column} = {labels.get(v, v)}", "when": f"{q} == {v!r}"} for v in kept]
        if len(counts) > len(kept):
            rest = [str(labels.get(v, v)) for v in counts.index[len(kept):]]
            shown = ", ".join(rest[:3]) + (", …" if len(rest) > 3 else "")
            rules.append({"name": f"{column}: other ({shown})",
                          "when": " and ".join(f"{q} != {v!r}" for v in kept) + f" and {q}.notna()"})
    if values.isna().any():
        rules.append({"name": f"{column} unknown", "when": f"{q}.isna()"})
    return rules


def combined(first: list[dict], second: list[dict]) -> list[dict]:
    """Every combination of two attributes' rules (组合变量法)."""
    return [{"name": f"{a['name']} · {b['name']}", "when": f"({a['when']}) and ({b['when']})"}
            for a, b in itertools.product(first, second)]


def _labels(customers: pd.DataFrame, rules: list[dict], columns: tuple[str, ...]) -> np.ndarray:
    """The rule each customer falls in; only the rules' ``columns`` are handed on (a million rows × every
    attribute would be copied for each candidate)."""
    return rule_segments.codes(customers[["customer_id", *columns]], rules)


def _adjusted(labels: np.ndarray, y: np.ndarray) -> float:
    return float(adjusted_eta_squared(eta_squared(y, labels), len(y), len(np.unique(labels))))


def _margin(ours: np.ndarray, theirs: np.ndarray, y: np.ndarray, resamples: int, seed: int) -> tuple[float, float]:
    """The central 95 % of the bootstrap differences of adjusted eta² of ``y``: ours − theirs."""
    n = len(y)
    diff = (adjusted_eta_squared(eta_squared_resampled(ours, y, bootstrap_rows(n, resamples, seed)), n,
                                 len(np.unique(ours)))
            - adjusted_eta_squared(eta_squared_resampled(theirs, y, bootstrap_rows(n, resamples, seed)), n,
                                   len(np.unique(theirs))))
    low, high = np.nanquantile(diff, [0.025, 0.975])
    return float(low), float(high)


def value_labels(customers: pd.DataFrame, columns: list[str], declared: dict | None = None) -> dict[str, dict]:
    """How rules name the values of encoded columns: an ordinal declared in ``attributes`` (its codes 1, 2, … →
    its labels, :func:`custseg.attributes.declared_labels`) and a 0/1 flag (→ no / yes). The rules themselves read
    the declared ordinals by their labels (:func:`custseg.rule_segments.readable`)."""
    out, ordered = {}, declared_labels(declared)
    for column in columns:
        if column in ordered:
            out[column] = ordered[column]
        elif set(customers[column].dropna().unique()) <= {0, 1} and pd.api.types.is_numeric_dtype(customers[column]):
            out[column] = {0: "no", 1: "yes"}  # 0 == 0.0: either dtype finds its label
    return out


def contest(customers: pd.DataFrame, segments: np.ndarray, attributes: list[str], outcomes: dict[str, str],
            resamples: int = 200, seed: int = 0, labels: dict[str, dict] | None = None) -> pd.DataFrame:
    """custseg's segments against the best one- and two-attribute rule on each outcome.

    Parameters
    ----------
    customers : DataFrame
        One row per customer: ``customer_id``, the ``attributes`` and the outcome columns.
    segments : array
        custseg's segment of each row.
    attributes : list of str
        The columns a rule may use (never an outcome).
    outcomes : dict
        Outcome name → its column.
    resamples, seed : int
        The bootstrap of the margin, and the seed of the random half the rules are chosen on.
    labels : dict, optional
        Column → {value → label} for naming encoded values (:func:`value_labels`).

    Returns
    -------
    DataFrame
        Per outcome and rival (``single``, ``pair``): the ``rule`` (its attributes), ``segments`` (groups of the
        rule), ``clusters`` (custseg's groups), ``eta2_rule`` and ``eta2_clusters`` on the judging half (adjusted
        for the number of groups),
        ``margin`` (clusters − rule) with its interval (``low``, ``high``), ``result`` (``clusters win``,
        ``rule wins``, ``tie``) and ``config`` (the ``rule_segments`` that adopts the rule).
    """
    rng = np.random.default_rng(seed)
    choose = rng.random(len(customers)) < CHOICE_SHARE
    data = customers.reset_index(drop=True)
    labels = labels or {}
    singles = {a: r for a in attributes if (r := conditions(data[a], SINGLE_GROUPS, labels.get(a)))}
    small = {a: r for a in attributes if (r := conditions(data[a], PAIR_GROUPS, labels.get(a)))}
    labels = {a: _labels(data, r, (a,)) for a, r in singles.items()}
    rows = []
    for outcome, column in outcomes.items():
        y = data[column].to_numpy(dtype=float)
        known = ~np.isnan(y)
        if np.nanstd(y[known & choose]) == 0 or np.nanstd(y[known & ~choose]) == 0:
            continue
        picked = known & choose
        fit = {a: _adjusted(lab[picked], y[picked]) for a, lab in labels.items()}
        ranked = [a for a, v in sorted(fit.items(), key=lambda kv: -np.nan_to_num(kv[1], nan=-1)) if not np.isnan(v)]
        if not ranked:
            continue
        pairs = {}
        top = [a for a in ranked if a in small][:PAIR_CANDIDATES]
        for a, b in itertools.combinations(top, 2):
            rules = combined(small[a], small[b])
            lab = _labels(data, rules, (a, b))
            pairs[(a, b)] = (_adjusted(lab[picked], y[picked]), rules, lab)
        candidates = {"single": (ranked[0], singles[ranked[0]], labels[ranked[0]])}
        if pairs:
            (a, b), (_, rules, lab) = max(pairs.items(), key=lambda kv: np.nan_to_num(kv[1][0], nan=-1))
            candidates["pair"] = (f"{a}{RULE_SEP}{b}", rules, lab)
        judged = known & ~choose
        ours = np.asarray(segments)[judged]
        for rival, (name, rules, lab) in candidates.items():
            eta_rule, eta_ours = _adjusted(lab[judged], y[judged]), _adjusted(ours, y[judged])
            low, high = _margin(ours, lab[judged], y[judged], resamples, seed)
            rows.append({"outcome": outcome, "rival": rival, "rule": name, "segments": len(np.unique(lab)),
                         "clusters": len(np.unique(ours)), "eta2_rule": eta_rule, "eta2_clusters": eta_ours,
                         "margin": eta_ours - eta_rule, "low": low, "high": high,
                         "result": "clusters win" if low > 0 else "rule wins" if high < 0 else "tie",
                         "config": {"segments": rules}})
    return pd.DataFrame(rows, columns=["outcome", "rival", "rule", "segments", "clusters", "eta2_rule",
                                       "eta2_clusters", "margin", "low", "high", "result", "config"])


def of_run(customers: pd.DataFrame, clustered_on: list[str], outcomes: list[str], calibration: pd.DataFrame | None,
           calibrated_segments: np.ndarray | None, resamples: int = 200, seed: int = 0,
           declared: dict | None = None) -> pd.DataFrame:
    """The rules-as-rivals contest of a run: on the holdout outcomes (the calibration customers, with the segments
    formed on them) when there is a holdout, and on the customer table's declared ``outcomes`` when there are any.

    A rule may use the clustering features and, on the declared outcomes, every other attribute of the table
    (:func:`custseg.features.attribute_columns`): a rule on a column the clusters ignored is a fair rival. Its
    conditions read the ordinals declared in ``declared`` (the config's ``attributes``) by their labels, so the
    printed config adopts it as written: :func:`custseg.rule_segments.assign` with the same ``attributes``.
    """
    from custseg.evaluate.holdout import OUTCOMES
    from custseg.features import attribute_columns

    parts = []
    if calibration is not None and len(calibration) and calibrated_segments is not None:
        used = [c for c in clustered_on if c in calibration]
        parts.append(contest(calibration, calibrated_segments, used, OUTCOMES, resamples, seed))
    if outcomes:
        others = [c for c in attribute_columns(customers, outcomes) if c not in ("segment", SPEND_COLUMN)]
        used = list(dict.fromkeys([*[c for c in clustered_on if c in customers], *others]))
        # Contract == 'Month-to-month' and SeniorCitizen == 'Yes', never a code (the outcomes stay numbers)
        labelled = rule_segments.readable(customers, declared, used)
        parts.append(contest(labelled, customers["segment"].to_numpy(), used, {o: o for o in outcomes}, resamples,
                             seed, value_labels(labelled, used)))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else contest(customers.head(0), np.array([]), [], {})


def verdict(table: pd.DataFrame, language: str = "en") -> dict:
    """What the contest says, in a sentence in ``language``, and the rule to adopt when one wins (the best winning
    rule: the largest margin over the clusters)."""
    from custseg import i18n

    if table.empty:
        return {"winner": None, "text": "", "config": None}
    m = i18n.messages(language)["printed"]["rivals"]
    won = table[table["result"] == "rule wins"]
    parts = [m["part"].format(outcome=r.outcome, what=m["single" if r.rival == "single" else "pair"], rule=r.rule,
                              segments=r.segments, rule_eta2=f"{r.eta2_rule:.1%}",
                              clusters_eta2=f"{r.eta2_clusters:.1%}", clusters=r.clusters,
                              result=m["results"].get(r.result, r.result))
             for r in table.itertuples()]
    text = m["text"].format(parts=m["sep"].join(parts))
    if won.empty:
        return {"winner": None, "text": text, "config": None}
    best = won.loc[won["margin"].idxmin()]
    text += m["won"].format(outcome=best["outcome"], rule=best["rule"])
    return {"winner": {"outcome": best["outcome"], "rule": best["rule"], "rival": best["rival"],
                       "columns": str(best["rule"]).split(RULE_SEP)}, "text": text, "config": best["config"]}


def groups(customers: pd.DataFrame, winner: dict, config: dict, declared: dict | None = None,
           calibration: pd.DataFrame | None = None) -> pd.DataFrame:
    """The groups of the rule that wins (:func:`verdict`'s ``winner`` and ``config``) as the config forms them
    (:func:`custseg.rule_segments.codes` on the table as the contest read it): per group its ``customers``,
    ``share`` and the outcome's mean (a 0/1 outcome's rate), highest first: what the rule finds, not only that it
    wins ("month-to-month × fibre: 1,104 customers at 62 % churn"). A holdout outcome (spend, orders, churn after
    the holdout start) is read off the ``calibration`` customers, as :func:`of_run` judged it; a declared outcome
    off the customer table with its declared ordinals by their labels."""
    from custseg.evaluate.holdout import OUTCOMES

    outcome, rules = winner["outcome"], config["segments"]
    if outcome not in customers and outcome in OUTCOMES and calibration is not None:
        customers, column, read = calibration, OUTCOMES[outcome], calibration
    else:
        column = outcome
        read = rule_segments.readable(customers, declared, [c for c in winner["columns"] if c in customers])
    code = rule_segments.codes(read, rules)
    y = customers[column].to_numpy(dtype=float)
    table = pd.DataFrame({"group": [rules[c]["name"] for c in code], outcome: y})
    out = table.groupby("group", sort=False).agg(customers=(outcome, "size"), value=(outcome, "mean"))
    out["share"] = out["customers"] / len(customers)
    out = out.rename(columns={"value": outcome}).sort_values(outcome, ascending=False)
    return out.reset_index()[["group", "customers", "share", outcome]]
