"""Segment profiles: who is in each segment, grounded in numbers.

* :func:`profile` — size, share of customers, share of value and the mean (or median) of every numeric
  feature per segment, plus an ``all`` row for the whole base;
* :func:`index_table` — those means as an index vs the whole base (100 = the average customer, 200 = twice);
* :func:`effect_sizes` / :func:`distinguishing` — standardised mean differences (each segment vs the
  rest), the features that set a segment apart most;
* :func:`feature_summary` — all of the above in one long table, marking the features used for clustering;
* :func:`compositions` — categorical make-up (gender, city tier, channel, category, …) vs the base;
* :func:`surrogate` — readable rules from a shallow decision tree that imitates the segmentation, with
  its fidelity (how often the rules give the customer's own segment), in plain words: labels decoded, yes/no
  columns as "has …" / "no …", bounds as "up to" / "or more";
* :func:`plain_label` / :func:`label_phrase` — a column and a label in words ("MonthlyCharges" → "monthly
  charges"; InternetService = No → "no internet service"), the one wording of names, cards and rules.

Variables that were *not* used for clustering (age band, city tier, survey answers…) are profiled the
same way: they are the real test of whether the segments mean something beyond their inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from custseg import i18n
from custseg.attributes import HIGHER, is_flag
from custseg.phrases import flag_phrase, holding, in_text, label_phrase, plain_label
from custseg.schema import MONETARY

if TYPE_CHECKING:
    from sklearn.tree import DecisionTreeClassifier

CATEGORICAL = ["gender", "age_band", "city_tier", "membership_tier", "acquisition_channel"]
SIZE_COLUMNS = ["customers", "share", "value_share"]


def numeric_features(customers: pd.DataFrame, segment: str = "segment") -> list[str]:
    """The numeric feature columns of a customer table (everything numeric except the segment)."""
    return [c for c in customers.select_dtypes("number").columns if c != segment]


def profile(customers: pd.DataFrame, segment: str = "segment", value: str = MONETARY,
            stat: str = "mean") -> pd.DataFrame:
    """Per segment: customers, share of customers, share of value and the ``stat`` of every numeric feature.

    Parameters
    ----------
    customers : DataFrame
        One row per customer with a ``segment`` column and numeric features.
    segment : str
        The segment column.
    value : str
        The column whose total is split into ``value_share`` (net spend by default; left out when absent).
    stat : {'mean', 'median'}
        The statistic of each feature.

    Returns
    -------
    DataFrame
        Indexed by segment, plus a final ``all`` row for the whole base.
    """
    numeric = numeric_features(customers, segment)
    g = customers.groupby(segment)
    out = g[numeric].agg(stat)
    out.insert(0, "customers", g.size())
    out.insert(1, "share", out["customers"] / len(customers))
    total = customers[numeric].agg(stat).to_frame("all").T
    total.insert(0, "customers", len(customers))
    total.insert(1, "share", 1.0)
    if value in customers:  # a customer table without a log has no spend to share out
        out.insert(2, "value_share", g[value].sum() / customers[value].sum())
        total.insert(2, "value_share", 1.0)
    return pd.concat([out, total])


def ratio_scale(prof: pd.DataFrame) -> pd.Series:
    """Per feature of a :func:`profile` table, whether an index (a ratio to the base) means something: the base
    is above zero and no segment's value is below it. Factor scores and other centred features (base 0, segments
    either side) are not: mean −0.8 against a base of −0.0001 would read as an index of 8,000."""
    return (prof.loc["all"] > 0) & (prof.drop(index="all") >= 0).all()


def index_table(prof: pd.DataFrame) -> pd.DataFrame:
    """Feature values of :func:`profile` as an index vs the whole base (100 = average customer); NaN for a
    feature without a :func:`ratio_scale`."""
    features = prof.drop(columns=[c for c in SIZE_COLUMNS if c in prof])
    base = features.loc["all"].where(ratio_scale(features))
    return (features.drop(index="all") / base * 100).round(0)


def standardised_difference(part: pd.DataFrame, rest: pd.DataFrame) -> pd.Series:
    """Cohen's d of every column of ``part`` against ``rest``: ``(mean_part − mean_rest) / sqrt((var_part +
    var_rest) / 2)``, missing values left out per column.

    A column that splits ``part`` from ``rest`` without overlap (every value of one side above every value of
    the other, each side with at least two values) is a perfect separator: the strongest difference there
    is, ±inf — also when neither side varies (a segment that is exactly the holders of a yes/no plan), where
    the formula would divide by 0. A column that does not vary and does not differ is NaN.
    """
    diff = part.mean() - rest.mean()
    sd = np.sqrt((part.var() + rest.var()) / 2)
    d = diff / sd.replace(0, np.nan)
    apart = ((part.min() > rest.max()) | (part.max() < rest.min())) & sd.notna()
    return d.mask(apart, np.sign(diff) * np.inf)


def effect_sizes(customers: pd.DataFrame, segment: str = "segment") -> pd.DataFrame:
    """Standardised mean difference of every numeric feature, each segment vs all other customers
    (:func:`standardised_difference`).

    ``(mean_segment − mean_rest) / sqrt((var_segment + var_rest) / 2)`` (Cohen's d with the two variances
    weighted equally). ±0.2 is small, ±0.5 medium, ±0.8 large; ±inf where the feature splits the segment from
    the rest without overlap. Missing values are left out per feature.

    Returns
    -------
    DataFrame
        Segments × features; NaN where a feature does not vary.
    """
    numeric = numeric_features(customers, segment)
    rows = {}
    for seg, part in customers.groupby(segment):
        rows[seg] = standardised_difference(part[numeric], customers.loc[customers[segment] != seg, numeric])
    return pd.DataFrame(rows).T.rename_axis(segment)


MEDIUM_EFFECT = 0.5  # Cohen's d from which a number sets a segment apart (medium)
OUTCOME_RATIO = np.log(1.25)  # a 0/1 outcome 25 % above (or 20 % below) the base's rate sets a segment apart


def clearly_off(ratio: float) -> bool:
    """A rate clearly off the base: its ratio to the base's at least 25 % above or 20 % below
    (:data:`OUTCOME_RATIO`), or none at all."""
    return bool(pd.notna(ratio) and (ratio == 0 or abs(np.log(ratio)) >= OUTCOME_RATIO))


def outcome_apart(customers: pd.DataFrame, outcome: str, segment: str = "segment") -> pd.DataFrame:
    """Per segment, whether its ``outcome`` clearly differs from the whole base's (``differs``) and whether it is
    higher (``higher``), with its ``value`` and the ``base``: a 0/1 outcome by its rate (:func:`clearly_off`), a
    number by Cohen's d against the other customers (:data:`MEDIUM_EFFECT`). The one rule by which a persona card
    acts on an outcome first and by which targeting leaves a segment out (:func:`custseg.target.strategy`)."""
    values, rows = customers[outcome], {}
    base = values.mean()
    for seg, part in customers.groupby(segment):
        mean = part[outcome].mean()
        if is_flag(values):
            ratio = mean / base if base else np.nan
            differs, higher = clearly_off(ratio), bool(ratio > 1)
        else:
            d = standardised_difference(part[[outcome]], customers.loc[customers[segment] != seg, [outcome]])[outcome]
            differs, higher = bool(pd.notna(d) and abs(d) >= MEDIUM_EFFECT), bool(mean > base)
        rows[seg] = {"value": mean, "base": base, "differs": differs, "higher": higher}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(segment)


def outcome_verdict(higher: bool, way: str | None) -> str:
    """``worse``, ``better`` or ``unknown``: a segment whose outcome is clearly higher (``higher``) or lower than
    the base's, read by the outcome's direction (:func:`custseg.attributes.direction`)."""
    if way is None:
        return "unknown"
    return "better" if higher == (way == HIGHER) else "worse"


def distinguishing(customers: pd.DataFrame, segment: str = "segment", top: int = 5,
                   language: str = "en") -> pd.DataFrame:
    """The ``top`` features with the largest absolute effect size per segment (see :func:`effect_sizes`).

    Returns
    -------
    DataFrame
        One row per (segment, feature): label, effect size, segment mean and mean of the other customers.
    """
    d = effect_sizes(customers, segment)
    rows = []
    for seg, sizes in d.iterrows():
        part, rest = customers[customers[segment] == seg], customers[customers[segment] != seg]
        for feat in sizes.dropna().abs().sort_values(ascending=False).index[:top]:
            rows.append({segment: seg, "feature": feat, "label": i18n.label(feat, language),
                         "effect_size": round(sizes[feat], 2), "segment_mean": part[feat].mean(),
                         "others_mean": rest[feat].mean()})
    return pd.DataFrame(rows)


def feature_summary(customers: pd.DataFrame, used: list[str] | tuple = (), segment: str = "segment",
                    language: str = "en") -> pd.DataFrame:
    """Every numeric feature of every segment in one long table.

    Columns: segment, feature, label, used_for_clustering, mean, median, base_mean, base_median,
    index (mean vs base mean, 100 = average), median_index, effect_size and rate (the feature is a 0/1 column, whose
    mean is the share of customers who have it).
    """
    means, medians = profile(customers, segment), profile(customers, segment, stat="median")
    features = [c for c in means.columns if c not in SIZE_COLUMNS]
    long = lambda frame, name: (frame.drop(index="all")[features].rename_axis(segment)  # noqa: E731
                                .reset_index().melt(id_vars=segment, var_name="feature", value_name=name))
    out = long(means, "mean").merge(long(medians, "median"), on=[segment, "feature"])
    out["base_mean"] = out["feature"].map(means.loc["all"])
    out["base_median"] = out["feature"].map(medians.loc["all"])
    ratio = {name: out["feature"].map(ratio_scale(frame[features])) for name, frame in (("mean", means),
                                                                                     ("median", medians))}
    out["index"] = (out["mean"] / out["base_mean"].where(ratio["mean"]) * 100).round(0)
    out["median_index"] = (out["median"] / out["base_median"].where(ratio["median"]) * 100).round(0)
    d = effect_sizes(customers, segment).reset_index().melt(id_vars=segment, var_name="feature",
                                                            value_name="effect_size")
    out = out.merge(d, on=[segment, "feature"], how="left")
    out.insert(2, "label", out["feature"].map(lambda c: plain_label(c, language)))
    out.insert(3, "used_for_clustering", out["feature"].isin(list(used)))
    out["rate"] = out["feature"].map({f: is_flag(customers[f]) for f in features})  # a 0/1 column: its mean a rate
    return out


def label_columns(customers: pd.DataFrame, labels: dict | None = None, segment: str = "segment") -> list[str]:
    """The columns of a customer table told by label shares: text labels, ordinal codes (``labels``,
    :func:`custseg.attributes.ordinal_labels`) and 0/1 flags — never the id, the segment or custseg's share
    features (their mix is added by :func:`compositions`)."""
    return [c for c in customers.columns if c not in (segment, "customer_id") and not str(c).startswith(
        tuple(i18n.GROUPS)) and (c in (labels or {}) or is_flag(customers[c])
                                 or not pd.api.types.is_numeric_dtype(customers[c]))]


def compositions(customers: pd.DataFrame, segment: str = "segment", columns: list[str] | None = None,
                 labels: dict | None = None, clustered_on: list[str] | tuple = (), language: str = "en"
                 ) -> pd.DataFrame:
    """The categorical make-up of each segment vs the whole base, of the columns the segments were **not** formed
    on (``clustered_on`` are left out, and a channel or category mix whose shares were clustered on).

    Categorical columns (default: gender, age band, city tier, membership tier, acquisition channel — those
    present) give the share of the segment's customers with each value (missing values left out); ordinal codes
    (``labels``) read as their labels and 0/1 flags as yes / no in ``language``. The ``share_channel_*`` and
    ``share_cat_*`` features give the segment's channel and category mix: the mean share of orders per channel
    and of spend per category.

    Returns
    -------
    DataFrame
        Columns variable, value, segment, share, base_share and index (100 = as common as in the base).
    """
    left_out = set(clustered_on)
    columns = [c for c in (CATEGORICAL if columns is None else columns) if c in customers.columns
               and c not in left_out and c != segment]
    labels, yes_no = labels or {}, i18n.messages(language)["ui"]["yes_no"]
    parts = []
    for col in columns:
        known = customers[customers[col].notna()]
        if known.empty:  # a source without this attribute (e.g. a transaction log without a CRM)
            continue
        values = known[col]
        if col in labels:  # codes of an ordered scale: their labels, never a code
            values = values.map(lambda v, n=labels[col]: n.get(v, f"{v:g}"))
        elif is_flag(values):
            values = values.map({1.0: yes_no["yes"], 0.0: yes_no["no"]})
        seg = pd.crosstab(values, known[segment], normalize="columns")
        base = values.value_counts(normalize=True)
        parts.append((col, seg, base))
    for prefix, kind in i18n.GROUPS.items():
        cols = [c for c in customers.columns if c.startswith(prefix)]
        if cols and not left_out & set(cols):
            mix = customers.groupby(segment)[cols].mean()
            seg = mix.div(mix.sum(axis=1), axis=0).T
            base = customers[cols].mean() / customers[cols].mean().sum()
            seg.index = base.index = [c.removeprefix(prefix) for c in cols]
            parts.append((kind, seg, base))
    rows = []
    for variable, seg, base in parts:
        long = seg.rename_axis("value").reset_index().melt(id_vars="value", var_name=segment, value_name="share")
        long.insert(0, "variable", variable)
        long["value"] = long["value"].astype("str")
        long["base_share"] = long["value"].map(base.set_axis(base.index.astype("str")))
        long["index"] = (long["share"] / long["base_share"].replace(0, np.nan) * 100).round(0)
        rows.append(long)
    if not rows:  # nothing categorical in the data (a log with only id, date and amount)
        return pd.DataFrame({"variable": pd.Series(dtype="str"), "value": pd.Series(dtype="str"),
                             segment: pd.Series(dtype="int64"), **{c: pd.Series(dtype="float64")
                                                                   for c in ("share", "base_share", "index")}})
    return pd.concat(rows, ignore_index=True)


@dataclass(frozen=True)
class Surrogate:
    """A shallow decision tree that imitates the segmentation, as readable rules.

    Attributes
    ----------
    fidelity : float
        Share of customers whose rule gives their own segment (accuracy of the tree vs the segments).
    rules : DataFrame
        One row per leaf: segment (the leaf's prediction), rule (text), customers (in the leaf),
        precision (share of them in that segment) and coverage (share of the segment in the leaf).
    tree : DecisionTreeClassifier
        The fitted tree.
    """

    fidelity: float
    rules: pd.DataFrame
    tree: DecisionTreeClassifier


def surrogate(customers: pd.DataFrame, features: list[str], segment: str = "segment", max_depth: int = 3,
              language: str = "en", seed: int = 0, labels: dict[str, dict] | None = None) -> Surrogate:
    """Fit a depth-``max_depth`` tree on the features to predict the segment and turn its paths into rules.

    The tree splits by information gain with balanced class weights, so that small segments get leaves of
    their own, and no leaf holds under 1 % of the customers. Missing feature values get the feature's
    median (as in clustering). Rules read like ``days since last purchase up to 30 and orders 6 or more`` or
    ``contract is month-to-month and has internet service and total charges up to 3,021``: integer features get
    whole-number bounds, shares are shown as percentages, conditions on the same feature along a path are merged
    into one, 0/1 columns read "has …" / "no …", and the codes of an ordinal column (``labels``) are decoded
    into its labels — a rule never shows a code ("Contract ≤ 1").

    Parameters
    ----------
    customers : DataFrame
        Features and the segment column.
    features : list of str
        The columns to split on (usually the clustering features).
    max_depth : int
        Depth of the tree: 2–3 keeps every rule readable.
    labels : dict, optional
        Ordinal column → {code: label} (:func:`custseg.attributes.ordinal_labels`).
    """
    X = _indicators(customers[features])
    features = list(X.columns)
    y = customers[segment].to_numpy()
    from sklearn.tree import DecisionTreeClassifier  # here: a kernel that only reads profiles need not import it

    tree = DecisionTreeClassifier(max_depth=max_depth, criterion="entropy", class_weight="balanced",
                                  min_samples_leaf=0.01, random_state=seed).fit(X.to_numpy(), y)
    leaf_of = tree.apply(X.to_numpy())
    whole = {f: bool(np.allclose(X[f], np.round(X[f]))) for f in features}
    words = {"flags": {f for f in features if INDICATOR not in f and is_flag(X[f])},
             "labels": {f: (names, sorted(X[f].unique())) for f, names in (labels or {}).items() if names and f in X},
             "items": tuple(customers.columns)}
    t = tree.tree_
    rows = []

    def walk(node: int, bounds: dict) -> None:
        if t.children_left[node] == -1:
            seg = tree.classes_[int(np.argmax(t.value[node][0]))]
            inside = leaf_of == node
            rows.append({segment: seg, "rule": _rule_text(bounds, whole, language, **words),
                         "customers": int(inside.sum()),
                         "precision": float((y[inside] == seg).mean()),
                         "coverage": float((inside & (y == seg)).sum() / (y == seg).sum())})
            return
        f, thr = features[t.feature[node]], float(t.threshold[node])
        lo, hi = bounds.get(f, (-np.inf, np.inf))
        walk(t.children_left[node], {**bounds, f: (lo, min(hi, thr))})
        walk(t.children_right[node], {**bounds, f: (max(lo, thr), hi)})

    walk(0, {})
    rules = pd.DataFrame(rows).sort_values([segment, "coverage"], ascending=[True, False], ignore_index=True)
    return Surrogate(fidelity=float((tree.predict(X.to_numpy()) == y).mean()), rules=rules, tree=tree)


INDICATOR = " = "  # a categorical feature's label as a 0/1 column: "<column> = <label>"


def _indicators(features: pd.DataFrame) -> pd.DataFrame:
    """Numeric features as floats (missing: the median), each label of a categorical one as a 0/1 column."""
    numeric = features.select_dtypes("number").astype("float64")
    parts = [numeric.fillna(numeric.median())]
    for col in features.columns.difference(numeric.columns, sort=False):
        labels = features[col].dropna().unique()
        parts.append(pd.DataFrame({f"{col}{INDICATOR}{v}": (features[col] == v).astype("float64") for v in labels},
                                  index=features.index))
    return pd.concat(parts, axis=1)[[c for c in [*numeric.columns, *pd.concat(parts[1:], axis=1).columns]]
                                     ] if len(parts) > 1 else parts[0]


def _rule_text(bounds: dict, whole: dict, language: str, flags: set | frozenset = frozenset(),
               labels: dict | None = None, items: tuple = ()) -> str:
    """Conditions ``{feature: (low, high)}`` meaning low < x ≤ high, in words (see :func:`surrogate`).

    ``flags`` are the 0/1 features; ``labels`` maps an ordinal feature to ({code: label}, the codes present),
    so that a bound on its codes reads as the labels it keeps; ``items`` are the table's columns (the items of
    a factor score's name)."""
    m, labels = i18n.messages(language), labels or {}
    held, parts = {}, []
    for f, (lo, hi) in bounds.items():
        if INDICATOR in f:  # 0/1 column of a category's label: the label holds (x > 0.5) or not
            column, label = f.split(INDICATOR, 1)
            held.setdefault(column, ([], []))[0 if np.isfinite(lo) else 1].append(label)
            continue
        name = plain_label(f, language, items)
        if f in flags:
            parts.append(flag_phrase(f, bool(np.isfinite(lo)), language, "rule"))
        elif f in labels:  # codes of an ordered scale: the labels they keep
            names, codes = labels[f]
            kept = [in_text(names.get(c, f"{c:g}"), language) for c in codes if lo < c <= hi]
            parts.append(label_phrase(f, _or(kept, language), language, kind="rule") if kept else m["rule_everyone"])
        elif whole[f]:  # x > 5.5 is x ≥ 6; x ≤ 5.5 is x ≤ 5
            a, b = (np.floor(lo) + 1 if np.isfinite(lo) else None), (np.floor(hi) if np.isfinite(hi) else None)
            fmt = i18n.integer
            if a is not None and b is not None:
                parts.append(m["rule_equal"].format(label=name, value=fmt(a)) if a == b else m["rule_between"].format(
                    label=name, low=fmt(a), high=fmt(b)))
            else:
                parts.append(m["rule_at_least"].format(label=name, value=fmt(a)) if a is not None
                             else m["rule_at_most"].format(label=name, value=fmt(b)))
        else:
            fmt = lambda x, c=f: i18n.feature_value(c, x)  # noqa: E731
            if np.isfinite(lo) and np.isfinite(hi):
                parts.append(m["rule_between"].format(label=name, low=fmt(lo), high=fmt(hi)))
            else:
                parts.append(m["rule_above"].format(label=name, value=fmt(lo)) if np.isfinite(lo)
                             else m["rule_at_most"].format(label=name, value=fmt(hi)))
    for column, (yes, no) in held.items():
        if yes:  # one label holds: the others are implied
            parts.append(label_phrase(column, yes[0], language, kind="rule"))
            continue
        plain = [x for x in no if holding(column, x, language)[0] == "label"]
        parts += [label_phrase(column, x, language, holds=False, kind="rule") for x in no if x not in plain]
        if plain:
            parts.append(label_phrase(column, _or([in_text(x, language) for x in plain], language), language,
                                      holds=False, kind="rule"))
    return m["rule_and"].join(parts) if parts else m["rule_everyone"]


def _or(items: list[str], language: str) -> str:
    """'a, b or c' (labels of one column, any of which is meant)."""
    m = i18n.messages(language)
    items = [str(x) for x in items]
    return items[0] if len(items) == 1 else m["list_sep"].join(items[:-1]) + m["list_or"] + items[-1]


def readable_summary(summary: pd.DataFrame, features: list[tuple] | None = None, segment: str = "segment",
                     language: str = "en") -> pd.DataFrame:
    """Rows of :func:`feature_summary` as a table for people.

    Means and medians in the feature's unit (shares and the rates of 0/1 columns as percentages: 3 %, never 0.0),
    the index as a whole number, the
    effect size signed with two decimals, a mark for features used for clustering, and headers in
    ``language``.

    Parameters
    ----------
    summary : DataFrame
        From :func:`feature_summary`.
    features : list of (segment, feature), optional
        The rows to show, in this order (e.g. from :func:`distinguishing`); default all.
    """
    rows = summary if features is None else (
        pd.DataFrame(features, columns=[segment, "feature"]).merge(summary, on=[segment, "feature"], how="left"))
    t = i18n.messages(language)["ui"]
    rate = rows["rate"].fillna(False).astype(bool) if "rate" in rows else pd.Series(False, index=rows.index)
    value = lambda col: [i18n.percent(x) if r else i18n.feature_value(f, x)  # noqa: E731  # a rate: 3%, never 0.0
                         for f, x, r in zip(rows["feature"], rows[col], rate, strict=True)]
    return pd.DataFrame({
        t["col_segment"]: rows[segment].to_numpy(), t["col_feature"]: rows["label"].to_numpy(),
        t["col_used"]: np.where(rows["used_for_clustering"], "✓", ""),
        t["col_mean"]: value("mean"), t["col_median"]: value("median"), t["col_base"]: value("base_mean"),
        t["index"]: [i18n.integer(x) for x in rows["index"]],
        t["col_effect"]: ["–" if pd.isna(x) else t["separator"] if np.isinf(x) else f"{x:+.2f}"
                          for x in rows["effect_size"]],
    })


def compare(summary: pd.DataFrame, first, second=None, segment: str = "segment", top: int = 12,
            language: str = "en") -> pd.DataFrame:
    """Two segments side by side (or one vs the base): the ``top`` features that set ``first`` apart most.

    Parameters
    ----------
    summary : DataFrame
        From :func:`feature_summary`.
    first, second : segment ids
        ``second=None`` compares ``first`` with the whole base only.

    Returns
    -------
    DataFrame
        Indexed by feature label: mean and index of each segment, and the mean of all customers.
    """
    t = i18n.messages(language)["ui"]
    a = summary[summary[segment] == first].set_index("label")
    order = a["effect_size"].abs().sort_values(ascending=False).index[:top]
    out = pd.DataFrame(index=order)
    for seg in [first] if second is None else [first, second]:
        part = summary[summary[segment] == seg].set_index("label")
        out[f"{seg}: {t['col_mean']}"] = part.loc[order, "mean"]
        out[f"{seg}: {t['index']}"] = part.loc[order, "index"]
    out[t["col_base"]] = a.loc[order, "base_mean"]
    return out.rename_axis(None)
