"""Descriptive statistics (描述性统计): frequency tables, cross-tabulations, central tendency and spread.

Transaction-grain summaries are computed in the engine (Ibis) and only the small results come back. A customer
table is described by its own columns (:func:`customer_table`): a frequency table of each label column, the
spread of each number, and the cross-tab of the attributes that tell most about each outcome; and the column
that measures each customer's value is chosen once here (:func:`value_column`) for 06, 08 and the cards.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from types import SimpleNamespace

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats as sps

from custseg import attributes
from custseg.attributes import MISSING, _says, is_flag
from custseg.errors import ConfigError
from custseg.features.table import attribute_kinds
from custseg.schema import CUSTOMER_ID, FILL, MONETARY, RESERVED, fetch
from custseg.stats import adjusted_eta_squared, eta_squared_resampled, wilson


def has_values(table: ir.Table, column: str) -> bool:
    """Whether ``table`` has ``column`` with at least one real value: not missing, and not the filler custseg
    puts where a source has no such column (channel and category 'unknown')."""
    if column not in table.columns:
        return False
    real = table[column].notnull()
    if isinstance(FILL.get(column), str):
        real &= table[column] != FILL[column]
    return bool(table.filter(real).limit(1).count().execute())


def frequency(table: ir.Table, column: str, weight: str | None = None) -> pd.DataFrame:
    """Counts (or a weight's sum) per value, with shares, largest first; missing values shown as '(missing)'."""
    col = table[column].cast("string").fill_null("(missing)").name(column)
    metric = table.count() if weight is None else table[weight].sum()
    out = (table.group_by(col).aggregate(n=metric).order_by(ibis.desc("n")).execute())
    out["share"] = out["n"] / out["n"].sum()
    return out.rename(columns={"n": weight or "rows"})


def crosstab(table: ir.Table, rows: str, cols: str, normalize: bool = True) -> pd.DataFrame:
    """A cross-tabulation of two columns (row shares when ``normalize``)."""
    counts = table.group_by([rows, cols]).aggregate(n=table.count()).execute()
    wide = counts.pivot_table(index=rows, columns=cols, values="n", fill_value=0, aggfunc="sum")
    return wide.div(wide.sum(axis=1), axis=0) if normalize else wide


def numeric_summary(df: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Count, missing, mean, sd, min, quartiles, max and skewness of numeric columns."""
    num = df[columns] if columns else df.select_dtypes("number")
    out = num.describe().T
    out.insert(1, "missing", num.isna().sum())
    out["skew"] = num.skew()
    return out


def per_customer(transactions: ir.Table) -> pd.DataFrame:
    """Orders and net spend per customer (``customer_id``, ``orders``, ``net_spend``)."""
    t = transactions
    orders = t.group_by(["customer_id", "order_id"]).aggregate(amount=t.amount.sum())
    return fetch(orders.group_by("customer_id").aggregate(orders=orders.count(), net_spend=orders.amount.sum()))


def monthly(transactions: ir.Table) -> pd.DataFrame:
    """Orders, buying customers and net revenue per calendar month."""
    # plain aggregates over lines → orders → customers spill to disk on big logs; COUNT(DISTINCT) does not
    t = transactions.mutate(month=transactions.order_ts.truncate("M").date())
    orders = t.group_by(["month", "customer_id", "order_id"]).aggregate(amount=t.amount.sum())
    buyers = orders.group_by(["month", "customer_id"]).aggregate(orders=orders.count(), amount=orders.amount.sum())
    return (buyers.group_by("month").aggregate(orders=buyers.orders.sum(), customers=buyers.count(),
                                               revenue=buyers.amount.sum()).order_by("month").execute())


def pareto_share(values: pd.Series, top: float = 0.2) -> float:
    """Share of the total brought by the ``top`` share of the largest values (e.g. top 20 % of customers)."""
    v = values.clip(lower=0).sort_values(ascending=False)
    n = max(int(round(top * len(v))), 1)
    return float(v.iloc[:n].sum() / v.sum())


# ---------------------------------------------------------------------------------------------- the value column

# words of a column's name that say it measures what a customer is worth, the strongest first (English stems,
# Chinese words): a customer table's charges or revenue are its spend
VALUE_WORDS = ("arpu", "revenue", "spend", "spent", "charge", "sales", "amount", "营收", "收入", "消费", "金额",
               "月费", "话费")
# words that make a value column a rate per period (monthly charges), preferred over a running total: the value a
# segment brings from now on, not how long its customers have been customers
PER_PERIOD_WORDS = ("monthly", "month", "arpu", "average", "avg", "mean", "per", "月", "平均")
NOT_VALUE_PREFIXES = ("share_", "survey_", "factor_")  # custseg's own features, never the value


@dataclass(frozen=True)
class ValueChoice:
    """The column that measures each customer's value, and how it was chosen.

    ``how`` is ``declared`` (the config's ``value_column``), ``spend`` (net spend from the transaction log),
    ``name`` (found by its name, :data:`VALUE_WORDS`; ``others`` are the other columns whose names say value)
    or ``none`` (no such column: ``column`` is None).
    """

    column: str | None
    how: str
    others: tuple[str, ...] = ()

    def note(self, m: dict) -> str:
        """The sentence saying which column measures value and how to change it, from a message catalogue
        (``custseg.i18n.messages(language)``)."""
        v = m["value"]
        others = v["others"].format(columns=", ".join(self.others)) if self.others else ""
        return v[self.how].format(column=self.column, others=others)


def value_candidates(table: pd.DataFrame) -> list[str]:
    """The numeric columns whose name says they measure value (:data:`VALUE_WORDS`), best first: the earlier
    word first, then a rate per period (:data:`PER_PERIOD_WORDS`: monthly charges) before a total, then the
    table's order. 0/1 flags, codes (Likert answers, bands: :func:`_codes`) and custseg's own columns
    (:data:`custseg.schema.RESERVED`, shares, survey items, factor scores) are never the value."""
    ranked = []
    for position, column in enumerate(table.columns):
        name = str(column)
        if (name in RESERVED or name == MONETARY or name.startswith(NOT_VALUE_PREFIXES)
                or not pd.api.types.is_numeric_dtype(table[column]) or is_flag(table[column])
                or _codes(table[column])):
            continue
        word = next((i for i, w in enumerate(VALUE_WORDS) if _says(name, (w,))), None)
        if word is not None:
            ranked.append((word, not _says(name, PER_PERIOD_WORDS), position, name))
    return [name for *_, name in sorted(ranked)]


def _codes(values: pd.Series) -> bool:
    """Whether numbers are codes, not amounts: whole numbers from 0 to 10 of at most
    :data:`custseg.attributes.MAX_BAND_LEVELS` levels (a Likert answer "waits for sales", a 0–9 band)."""
    present = values.dropna()
    return bool(len(present) and (present == present.round()).all() and present.between(0, 10).all()
                and present.nunique() <= attributes.MAX_BAND_LEVELS)


def value_column(declared: str | None, table: pd.DataFrame, has_log: bool) -> ValueChoice:
    """The column that measures each customer's value (06's size and value, 08's attractiveness, the cards).

    The config's ``value_column`` when set; else net spend when there is a transaction log; else the first of
    :func:`value_candidates` (monthly charges, revenue …), or none.

    Parameters
    ----------
    declared : str or None
        The config's ``value_column``.
    table : DataFrame
        The customer table, its numbers as numbers (the features, or 03's typed table).
    has_log : bool
        Whether the run has a transaction log (then net spend, ``monetary``, is the value).

    Raises
    ------
    ConfigError
        ``value_column`` names a column the table does not have, or one that does not hold numbers.
    """
    numeric = [str(c) for c in table.columns if pd.api.types.is_numeric_dtype(table[c]) and c != CUSTOMER_ID]
    if declared:
        if declared not in table.columns:
            raise ConfigError(f"config key 'value_column' names {declared!r}, which is not a column of the customer "
                              f"table (its columns of numbers: {', '.join(numeric) or 'none'}); name one of them, "
                              "or leave the key out to let custseg find one by its name")
        if declared not in numeric:
            examples = ", ".join(repr(v) for v in table[declared].dropna().drop_duplicates().head(3))
            raise ConfigError(f"config key 'value_column': column {declared!r} does not hold numbers (e.g. "
                              f"{examples}); name a column of amounts such as charges or revenue"
                              + (f" (the table's columns of numbers: {', '.join(numeric)})" if numeric else ""))
        return ValueChoice(declared, "declared")
    if has_log:  # every customer of the features has a net spend
        return ValueChoice(MONETARY, "spend")
    found = value_candidates(table)
    return ValueChoice(found[0], "name", tuple(found[1:])) if found else ValueChoice(None, "none")


# ---------------------------------------------------------------------------------------------- a customer table

LABEL_KINDS = ("binary", "ordinal", "categorical")  # described by a frequency table
TELLING = 3  # the attributes cross-tabulated with each outcome
NUMBER_BANDS = 4  # a number is cut at its quartiles to cross-tabulate it
CANONICAL_LABELS = ("gender", "city_tier", "membership_tier", "acquisition_channel")  # custseg's own label columns


def _text(values: pd.Series) -> pd.Series:
    """The values as stripped text, the missing-value words (:data:`custseg.attributes.MISSING`) as missing."""
    codes, uniques = pd.factorize(values)  # a million rows, a few distinct values
    text = pd.Series(uniques, dtype="object").astype("str").str.strip()
    text = text.where(~text.str.lower().isin(MISSING))
    return pd.Series(text.array.take(codes, allow_fill=True), index=values.index, name=values.name, dtype="str")


def typed(customers: pd.DataFrame, kinds: pd.DataFrame, declared: dict | None = None
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A customer table as it is described: its label columns as labels, its numbers as numbers.

    Parameters
    ----------
    customers : DataFrame
        The cleaned customer table (text and numbers as collected).
    kinds : DataFrame
        The kind of each column (:func:`custseg.attributes.infer`); numeric, binary, ordinal and categorical
        columns are described, the others are not.
    declared : dict, optional
        The config's ``attributes`` (an ordinal's labels in their order).

    Returns
    -------
    labels : DataFrame
        The binary and categorical columns as text (missing-value words missing) and the ordinal ones as ordered
        categories of their labels (a band code as itself).
    numbers : DataFrame
        The numeric, binary (1/0) and ordinal (codes) columns as numbers (:func:`custseg.attributes.encode`).
    """
    used = kinds[kinds["kind"].isin(("numeric", *LABEL_KINDS))]
    numbers = attributes.encode(customers, used[used["kind"] != "categorical"], declared)
    names = attributes.ordinal_labels(used, declared)
    labels = {}
    for row in used[used["kind"].isin(LABEL_KINDS)].itertuples():
        if row.kind == "ordinal":
            codes = numbers[row.column]
            order = sorted(codes.dropna().unique())
            named = {code: str(names.get(row.column, {}).get(code, f"{code:g}")) for code in order}
            labels[row.column] = pd.Categorical(codes.map(named), categories=list(dict.fromkeys(named.values())),
                                                ordered=True)
        else:
            labels[row.column] = _text(customers[row.column])
    return pd.DataFrame(labels, index=customers.index), numbers


def label_frequency(values: pd.Series, missing: str = "(missing)") -> pd.DataFrame:
    """A frequency table of one label column: ``label``, ``customers`` and ``share``, largest first (an ordered
    column in its order), missing values counted as ``missing`` (last)."""
    ordered = isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered
    counts = values.value_counts(sort=not ordered, dropna=True)
    if ordered:
        counts = counts.reindex(values.cat.categories, fill_value=0)
    if values.isna().any():
        counts = pd.concat([counts, pd.Series({missing: int(values.isna().sum())})])
    out = pd.DataFrame({"label": counts.index.astype("str"), "customers": counts.to_numpy(dtype="int64")})
    out["share"] = out["customers"] / max(len(values), 1)
    return out


def frequency_table(frequencies: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The frequency tables of :func:`label_frequency` as one table indexed by (column, label)."""
    if not frequencies:
        return pd.DataFrame(columns=["customers", "share"], index=pd.MultiIndex.from_tuples([], names=["column",
                                                                                                        "label"]))
    return pd.concat({c: f.set_index("label") for c, f in frequencies.items()}, names=["column", "label"])


def bands(values: pd.Series, groups: int = NUMBER_BANDS) -> pd.Series:
    """A number cut at its quantiles into at most ``groups`` ordered bands (``< 9``, ``9–29`` … ``≥ 55``); a number
    with at most ``groups`` distinct values keeps them as its groups. Missing values stay missing."""
    present = values.dropna()
    if present.nunique() <= groups:
        order = sorted(present.unique())
        named = {v: f"{v:,.4g}" for v in order}
        return pd.Series(pd.Categorical(values.map(named), categories=list(named.values()), ordered=True),
                         index=values.index, name=values.name)
    cuts = np.quantile(present.to_numpy(dtype=float), np.linspace(0, 1, groups + 1)[1:-1])
    edges = [e for e in sorted({float(e) for e in cuts}) if present.min() < e <= present.max()]
    if not edges:  # most values are the smallest (a column of zeros with a few amounts): that one, and the rest
        edges = [float(present[present > present.min()].min())]
    shown = [f"{e:,.4g}" for e in edges]
    names = [f"< {shown[0]}", *[f"{a}–{b}" for a, b in itertools.pairwise(shown)], f"≥ {shown[-1]}"]
    cut = pd.cut(values, [-np.inf, *edges, np.inf], right=False, labels=names)
    return pd.Series(cut, index=values.index, name=values.name)


def groups_of(labels: pd.DataFrame, numbers: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Each column as the groups a cross-tab shows: its labels, or a number's :func:`bands`."""
    return pd.DataFrame({c: labels[c] if c in labels else bands(numbers[c]) for c in columns}, index=labels.index)


def telling(groups: pd.DataFrame, outcome: pd.Series) -> pd.DataFrame:
    """How much each attribute tells about an outcome: eta² of the outcome over the attribute's groups and the
    same adjusted for their number (:func:`custseg.stats.adjusted_eta_squared`, ε²: more groups explain more by
    chance alone), most telling first.

    Returns
    -------
    DataFrame
        ``column``, ``groups``, ``eta2`` and ``eta2_adjusted``, by descending ``eta2_adjusted``; attributes with
        fewer than two groups among the customers with an outcome are left out.
    """
    rows = []
    known = outcome.notna()
    y, everyone = outcome[known].to_numpy(dtype=float), [np.arange(int(known.sum()))]
    for column in groups.columns:
        codes, uniques = pd.factorize(groups.loc[known, column], use_na_sentinel=False)  # missing: one more group
        k = len(uniques)
        if k < 2:
            continue
        eta2 = float(eta_squared_resampled(codes, y, everyone)[0]) if len(y) >= 3 else np.nan
        rows.append({"column": column, "groups": int(k), "eta2": eta2,
                     "eta2_adjusted": float(adjusted_eta_squared(eta2, int(known.sum()), k))})
    out = pd.DataFrame(rows, columns=["column", "groups", "eta2", "eta2_adjusted"])
    return out.sort_values("eta2_adjusted", ascending=False, kind="stable", ignore_index=True)


def outcome_crosstab(groups: pd.Series, outcome: pd.Series, missing: str = "(missing)") -> pd.DataFrame:
    """The cross-tab of one attribute with an outcome: per group (in the attribute's order, else largest
    first) ``customers``, ``share``, the outcome's ``value`` (a rate for a 0/1 outcome, else a mean) with its
    95 % interval (``low``, ``high``: Wilson for a rate, t for a mean) and ``index`` (100 = all customers)."""
    known = outcome.notna()
    g, y = groups[known], outcome[known].astype(float)
    ordered = isinstance(g.dtype, pd.CategoricalDtype) and g.cat.ordered
    g = g.astype("object").fillna(missing)
    rate, base = is_flag(y), y.mean()
    rows = []
    for label, part in y.groupby(g, sort=False):
        n, mean = len(part), float(part.mean())
        if rate:
            low, high = wilson(part.sum(), n)
        else:
            half = float(sps.t.ppf(0.975, n - 1) * part.std() / np.sqrt(n)) if n > 1 else np.nan
            low, high = mean - half, mean + half
        rows.append({"label": str(label), "customers": n, "value": mean, "low": low, "high": high,
                     "index": 100 * mean / base if base else np.nan})
    out = pd.DataFrame(rows, columns=["label", "customers", "share", "value", "low", "high", "index"])
    out["share"] = out["customers"] / max(int(known.sum()), 1)
    if ordered:
        order = [str(c) for c in groups.cat.categories] + [missing]
        return out.set_index("label").reindex([o for o in order if o in set(out["label"])]).reset_index()
    return out.sort_values("customers", ascending=False, kind="stable", ignore_index=True)


def customer_table(customers: pd.DataFrame, declared: dict | None = None, outcomes: dict | list | None = None,
                   value: str | None = None, has_log: bool = False, missing: str = "(missing)",
                   top: int = TELLING) -> SimpleNamespace:
    """03's description of a customer table: a frequency table of each label column, the numbers' summary,
    the cross-tabs of the most telling attributes with each outcome, and the value column.

    Parameters
    ----------
    customers : DataFrame
        The cleaned customer table.
    declared : dict, optional
        The config's ``attributes`` (kinds, an ordinal's labels in their order).
    outcomes : dict or list, optional
        The config's ``outcomes`` (name → direction).
    value : str, optional
        The config's ``value_column``.
    has_log : bool
        Whether the run has a transaction log (net spend is then the value).
    missing : str
        The label of missing values.
    top : int
        The attributes cross-tabulated with each outcome.

    Returns
    -------
    SimpleNamespace
        ``kinds`` (of every column beyond the id; ``described``: whether it is), ``labels`` and ``numbers``
        (:func:`typed`), ``frequencies`` (column → :func:`label_frequency`), ``summary``
        (:func:`numeric_summary` of the numeric columns), ``outcomes`` (name → ``kind`` rate or mean, ``base``,
        ``direction`` and how it is known, ``telling`` (:func:`telling`) and ``crosstabs`` (column →
        :func:`outcome_crosstab`) of its ``top`` attributes) and ``value`` (:class:`ValueChoice`).
    """
    canonical = [c for c in CANONICAL_LABELS if c in customers and customers[c].notna().any()
                 and customers[c].nunique() <= attributes.MAX_CATEGORIES]
    kinds = pd.concat([pd.DataFrame({"column": canonical, "kind": "categorical", "declared": False,
                                     "why": "a custseg column"}),
                       attribute_kinds(customers, declared)], ignore_index=True)
    kinds["described"] = kinds["kind"].isin(("numeric", *LABEL_KINDS))
    labels, numbers = typed(customers, kinds, declared)
    named = attributes.outcome_names(outcomes)
    attributes.check_outcomes(named, kinds)
    numeric = [c for c in kinds.loc[kinds["kind"] == "numeric", "column"]]
    judged = {}
    candidates = [c for c in kinds.loc[kinds["described"], "column"] if c not in named]
    grouped = groups_of(labels, numbers, candidates)
    for outcome in named:
        y = numbers[outcome]
        ranked = telling(grouped, y)
        way, known = attributes.direction(outcome, outcomes)
        judged[outcome] = SimpleNamespace(
            kind="rate" if is_flag(y) else "mean", base=float(y.mean()), direction=way, direction_from=known,
            telling=ranked, crosstabs={c: outcome_crosstab(grouped[c], y, missing) for c in ranked["column"][:top]})
    return SimpleNamespace(kinds=kinds, labels=labels, numbers=numbers[numeric],
                           frequencies={c: label_frequency(labels[c], missing) for c in labels.columns},
                           summary=numeric_summary(numbers, numeric) if numeric else pd.DataFrame(),
                           outcomes=judged,
                           value=value_column(value, customers.assign(**{c: numbers[c] for c in numeric}), has_log))
