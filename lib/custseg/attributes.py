"""Customer attributes: what kind each column of a customer table is, and the columns clustering can use.

A CRM, subscriber or survey export arrives as text and numbers of many kinds. Each column is one of:

* **numeric** — numbers (charges, tenure in months, counts);
* **binary** — two values such as Yes/No, Y/N, true/false, 1/0, 是/否 (→ 1/0);
* **ordinal** — ordered labels: Likert answers in English or Chinese ("Strongly agree" … / 非常同意 …, see
  :data:`custseg.schema.LIKERT`) or an order declared in the config (→ 1, 2, …);
* **categorical** — a few labels (contract type, payment method, city tier), one-hot encoded for clustering;
* **date** — dates (→ age in years for a birth date, else days before the snapshot);
* **text** or **id** — free text, or values unique to (nearly) every row: never clustered on;
* **empty** — no value at all: left out, with a note.

:func:`infer` decides from the values (or takes the kind declared in the config's ``attributes``) and says
why, in a table the user can copy into the config; :func:`encode` turns the columns into numbers and
categories. Missing-value words (``NULL``, ``N/A``, ``-``, 无 …) count as missing, never as a label.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from custseg.errors import ConfigError, SourceError
from custseg.schema import LIKERT

KINDS = ("numeric", "binary", "ordinal", "categorical", "date", "text", "id", "empty")
BINARY = {**dict.fromkeys(["yes", "y", "true", "t", "1", "1.0", "是", "有"], 1.0),
          **dict.fromkeys(["no", "n", "false", "f", "0", "0.0", "否", "无"], 0.0)}
# missing-value words (not 无: in 有/无 it means "no")
MISSING = {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "missing", "unknown", "空", "未知", "#n/a"}
MOSTLY_NUMBERS = 0.8  # a column this much numbers is numeric; its other values are errors to fix, not labels
MAX_CATEGORIES = 30  # more distinct labels than this: free text, not a category
NEAR_UNIQUE = 0.9  # distinct values per row from which a column identifies rows instead of describing them
MAX_EXAMPLES = 3


def is_flag(values) -> bool:
    """True when a column holds only 0 and 1 (missing values aside) and at least one of them: a yes/no flag,
    encoded (:func:`encode`) or as it came."""
    present = pd.Series(values).dropna()
    return (pd.api.types.is_numeric_dtype(present) or pd.api.types.is_bool_dtype(present)) and not present.empty \
        and set(present.astype(float).unique()) <= {0.0, 1.0}


def is_levels(values) -> bool:
    """True when a column holds only whole numbers between 0 and 10, at most :data:`MAX_BAND_LEVELS` of them
    (missing values aside): the codes of ordered labels (Likert scores 1–5, band codes 0–9, a declared order
    1, 2, 3), a 0/1 flag or a small count. Their steps are the labels' order, not amounts: they are never tested for
    skew nor log-transformed (:func:`custseg.cluster.skewed_columns`)."""
    present = pd.Series(values).dropna()
    if present.empty or not pd.api.types.is_numeric_dtype(present) or pd.api.types.is_bool_dtype(present):
        return is_flag(values)
    numbers = present.astype(float)
    return bool((numbers == numbers.round()).all() and numbers.min() >= 0 and numbers.max() <= 10
                and numbers.nunique() <= MAX_BAND_LEVELS)


def _per_value(values: pd.Series, fn) -> pd.Series:
    """``fn`` (a vectorised function of a Series) applied to each distinct value once and spread back to the
    rows: a customer table has a million rows but its columns have few distinct values."""
    codes, uniques = pd.factorize(values)
    mapped = fn(pd.Series(uniques, dtype=values.dtype if values.dtype == "str" else None))
    return pd.Series(mapped.array.take(codes, allow_fill=True), index=values.index, name=values.name)


def _stripped(values: pd.Series) -> pd.Series:
    text = values.astype("str").str.strip().where(values.notna())
    return text.where(~text.str.lower().isin(MISSING))


def _text(values: pd.Series) -> pd.Series:
    """The values as stripped text, missing-value words as missing."""
    return _per_value(values, _stripped)


def _numbers(text: pd.Series) -> pd.Series:
    # "1,234" is not guessed: thousands or decimals?
    return _per_value(text, lambda u: pd.to_numeric(u, errors="coerce").astype("float64"))


def _dates(text: pd.Series) -> pd.Series:
    return _per_value(text, lambda u: pd.to_datetime(u, errors="coerce", format="ISO8601"))


def _examples(values) -> str:
    first = pd.Series(values).drop_duplicates().head(MAX_EXAMPLES)  # hashed in its own dtype, not as objects
    return ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in first.astype("object"))


def _why(key: str, **fields) -> str:
    """Why a column has its kind, in English (the record's words; :func:`kinds_html` shows them in a language)."""
    from custseg import i18n

    return i18n.text(f"kinds.why.{key}", "en", **fields)


def kind_of(values: pd.Series) -> tuple[str, str]:
    """The kind of one column (one of :data:`KINDS`) and why, from its values."""
    if pd.api.types.is_bool_dtype(values):
        return "binary", _why("flags")
    if pd.api.types.is_datetime64_any_dtype(values):
        return ("date", _why("dates")) if values.notna().any() else ("empty", _why("empty"))
    counts = _text(values).value_counts(sort=False)  # distinct values (first seen first) and their rows
    if counts.empty:
        return "empty", _why("empty")
    distinct, rows = pd.Series(counts.index, dtype="str"), int(counts.sum())
    lower = set(distinct.str.lower())
    if len(lower) <= 2 and lower <= set(BINARY):
        return "binary", _why("two", examples=_examples(distinct))
    if lower <= set(LIKERT):
        return "ordinal", _why("likert", examples=_examples(sorted(distinct, key=lambda v: LIKERT[v.lower()])))
    numeric = pd.to_numeric(distinct, errors="coerce")
    numbers = counts[numeric.notna().to_numpy()].sum() / rows
    if numbers == 1 and _band_codes(numeric, str(values.name)):
        return "ordinal", _why("codes", low=int(numeric.min()), high=int(numeric.max()), levels=len(distinct),
                               column=values.name)
    if numbers == 1:
        return "numeric", _why("numbers")
    if numbers >= MOSTLY_NUMBERS:
        return "numeric", _why("mostly_numbers", share=f"{numbers:.0%}")
    if not pd.api.types.is_numeric_dtype(values) and _dates(distinct).notna().all():
        return "date", _why("dates_seen", examples=_examples(distinct))
    if rows >= 20 and len(distinct) >= NEAR_UNIQUE * rows:
        return "id", _why("id", distinct=f"{len(distinct):,}", rows=f"{rows:,}")
    if len(distinct) > MAX_CATEGORIES:
        return "text", _why("text", distinct=f"{len(distinct):,}")
    return "categorical", _why("labels", distinct=len(distinct), examples=_examples(distinct))


MAX_BAND_LEVELS = 10  # integer codes with at most this many levels (0–9 bands) are ordered bands, not amounts
# words of a column name that make small integers counts or durations (calls, children, years), not band codes
COUNT_STEMS = ("number", "num", "count", "call", "time", "visit", "order", "item", "product", "child", "kid",
               "dependent", "year", "month", "week", "day", "age", "tenure", "member", "person", "people",
               "次数", "数量", "个数", "人数", "年", "月", "天")


def _band_codes(numbers: pd.Series, name: str) -> bool:
    """Whether distinct numbers are the codes of ordered bands (like MOPLLAAG's 0–9): at least three and at most
    :data:`MAX_BAND_LEVELS` whole numbers between 0 and 10, in a column whose name does not say it counts."""
    whole = bool((numbers == numbers.round()).all())
    return (whole and 3 <= numbers.nunique() <= MAX_BAND_LEVELS and numbers.min() >= 0 and numbers.max() <= 10
            and not _says(name, COUNT_STEMS, ("n",)))


def declared_labels(declared: dict | None) -> dict[str, dict[float, str]]:
    """The label of each code of the ordinals declared in ``attributes`` with their order (``Contract:
    [Month-to-month, One year, Two year]``: :func:`encode` codes them 1, 2, 3 → the labels)."""
    return {column: {float(i): str(v) for i, v in enumerate(order, 1)}
            for column, order in (declared or {}).items() if isinstance(order, list)}


def ordinal_labels(kinds: pd.DataFrame, declared: dict | None = None) -> dict[str, dict[float, str]]:
    """The label of each code of every ordinal column, to describe it by label shares (never a mean of codes):
    the declared order's labels (1 → first), the Likert labels (1 → strongly disagree … 5 → strongly agree), or
    the band code itself ('7')."""
    ordered, likert = declared_labels(declared), {}
    for label, score in LIKERT.items():
        likert.setdefault(float(score), label)
    out = {}
    for row in kinds[kinds["kind"] == "ordinal"].itertuples() if not kinds.empty else ():
        out[row.column] = ordered.get(row.column) or (likert if row.why.startswith("Likert") else {})
    return out


def infer(table: pd.DataFrame, declared: dict | None = None, skip: tuple = ()) -> pd.DataFrame:
    """The kind of every column of a customer table: declared in the config, else inferred from the values.

    Parameters
    ----------
    table : DataFrame
        The customer table as collected (text and numbers).
    declared : dict, optional
        The config's ``attributes``: column → kind (one of :data:`KINDS`), or a list of labels for an ordinal
        column in their order (lowest first).
    skip : tuple
        Columns to leave out (the customer id, columns described elsewhere).

    Returns
    -------
    DataFrame
        One row per column: ``column``, ``kind``, ``declared`` (bool), ``missing_share``, ``examples``,
        ``why`` and ``config`` (the line to put under ``attributes:`` to fix the kind).

    Raises
    ------
    SourceError
        A declared kind that is not one of :data:`KINDS`, or a declared column the table does not have.
    """
    declared = declared or {}
    unknown = [c for c in declared if c not in table.columns]
    if unknown:
        raise SourceError(f"config key 'attributes' names {', '.join(map(repr, unknown))}, which the customer "
                          f"table does not have (its columns: {', '.join(map(str, table.columns))})")
    rows = []
    for column in table.columns:
        if column in skip:
            continue
        spec = declared.get(column)
        if isinstance(spec, list):
            kind, why = "ordinal", _why("order", order=" < ".join(map(str, spec)))
        elif spec is not None:
            if spec not in KINDS:
                raise SourceError(f"config key 'attributes.{column}' must be one of {', '.join(KINDS)} or a list "
                                  f"of labels in their order, got {spec!r}")
            kind, why = spec, _why("declared")
        else:
            kind, why = kind_of(table[column])
        values = _text(table[column])
        rows.append({"column": column, "kind": kind, "declared": spec is not None,
                     "missing_share": round(float(values.isna().mean()), 4),
                     "examples": _examples(values.dropna()), "why": why,
                     "config": f"{column}: {spec if isinstance(spec, list) else kind}"})
    return pd.DataFrame(rows, columns=["column", "kind", "declared", "missing_share", "examples", "why", "config"])


def kinds_html(kinds: pd.DataFrame, height: str = "26em", language: str = "en") -> str:
    """The whole table of kinds from :func:`infer` as HTML in a scrollable box: every column, however many (a
    truncated table hides the kinds a user must check), each with the line that corrects it under ``attributes:``;
    the headers, kinds and reasons in ``language`` (the columns, examples and config lines as they are)."""
    from custseg import i18n

    shown = kinds.drop(columns=[c for c in ("declared", "relations") if c in kinds]).assign(
        missing_share=lambda d: d["missing_share"].map("{:.1%}".format))
    if language != "en":
        why = i18n.messages("en")["printed"]["kinds"]["why"]
        shown = i18n.shown(shown.assign(why=[i18n.retranslate(w, why, "kinds.why", language) for w in shown["why"]]),
                           language, words=("kind",))
    table = shown.to_html(index=False, border=0, escape=True, max_rows=None, max_cols=None)
    return (f'<div style="max-height:{height}; overflow:auto; border:1px solid #ddd">{table}</div>'
            f"<p>{i18n.text('kinds.footer', language, n=i18n.integer(len(kinds)))}</p>")


def _bad_values(column: str, text: pd.Series, ok: pd.Series, expected: str) -> SourceError:
    bad = text[text.notna() & ~ok]
    hint = (" (numbers with a thousands or decimal comma: set sources.customers.thousands / .decimal)"
            if bad.str.contains(",", regex=False).any() else "")
    return SourceError(f"source 'customers', column '{column}': {len(bad):,} value(s) are not {expected}, e.g. "
                       f"{_examples(bad)}{hint}. To fix: correct them in the source, or declare the kind in the "
                       f"config (attributes.{column}: categorical, or text to leave the column out)")


def encode(table: pd.DataFrame, kinds: pd.DataFrame, declared: dict | None = None,
           snapshot: dt.date | None = None) -> pd.DataFrame:
    """The clusterable columns of a customer table as numbers (numeric, binary, ordinal, date) and labels
    (categorical); text, id and empty columns are left out.

    A date becomes ``age`` in whole years when the column is a birth date (its name holds "birth"), else
    ``<column>_days``: days from the date to ``snapshot`` (default: today).

    Raises
    ------
    SourceError
        A value that does not fit the column's kind (text in a numeric column, an unknown Likert label),
        naming the column, examples and the config key to change.
    """
    declared = declared or {}
    snapshot = pd.Timestamp(snapshot or dt.date.today())
    out = {}
    for row in kinds.itertuples():
        column, kind = row.column, row.kind
        text = _text(table[column])
        if kind == "numeric":
            values = (table[column].astype(float) if pd.api.types.is_numeric_dtype(table[column])
                      else _numbers(text))
            if (text.notna() & values.isna()).any():
                raise _bad_values(column, text, values.notna(), "numbers")
            out[column] = values
        elif kind == "binary":
            values = _per_value(text, lambda u: u.str.lower().map(BINARY).astype("float64")) \
                if not pd.api.types.is_bool_dtype(table[column]) else table[column].astype(float)
            if (text.notna() & values.isna()).any():
                raise _bad_values(column, text, values.notna(), "yes/no values (Yes/No, Y/N, true/false, 1/0, 是/否)")
            out[column] = values
        elif kind == "ordinal":
            order = declared.get(column)
            if not isinstance(order, list) and _numbers(text).notna().eq(text.notna()).all():  # band codes
                out[column] = _numbers(text)
                continue
            scores = ({str(label).lower(): float(i) for i, label in enumerate(order, 1)} if isinstance(order, list)
                      else LIKERT)
            values = _per_value(text, lambda u, scores=scores: u.str.lower().map(scores).astype("float64"))
            if (text.notna() & values.isna()).any():
                known = ", ".join(map(str, order)) if isinstance(order, list) else "Strongly disagree … Strongly agree"
                raise _bad_values(column, text, values.notna(), f"known labels of the scale ({known})")
            out[column] = values.astype(float)
        elif kind == "categorical":
            out[column] = text.astype("str").where(text.notna())
        elif kind == "date":
            dates = (table[column] if pd.api.types.is_datetime64_any_dtype(table[column]) else _dates(text))
            if (text.notna() & dates.isna()).any():
                raise _bad_values(column, text, dates.notna(), "dates (like 2024-03-31)")
            days = (snapshot - pd.to_datetime(dates)).dt.days.astype(float)
            if "birth" in column.lower():
                out["age" if "age" not in table else f"{column}_age"] = np.floor(days / 365.25)
            else:
                out[f"{column}_days"] = days
    return pd.DataFrame(out, index=table.index)


HIGHER, LOWER = "higher_is_better", "lower_is_better"
DIRECTIONS = (HIGHER, LOWER)  # what an ``outcomes`` entry may say about its column
# words in an outcome's name that tell its direction, when the config does not (English stems, Chinese words)
DIRECTION_WORDS = {
    LOWER: ("churn", "cancel", "default", "attrition", "exit", "lapse", "unsubscrib", "complain",
            "流失", "退订", "取消", "违约", "投诉"),
    HIGHER: ("purchas", "accept", "convert", "conversion", "respon", "retain", "retention", "renew", "buy",
             "recommend", "推荐", "bought", "revenue", "profit", "购买", "转化", "响应", "留存", "续订", "收入"),
}


def outcome_names(outcomes: dict | list | None) -> list[str]:
    """The column names of the config's ``outcomes`` (a mapping name → direction, or a list of names)."""
    return list(outcomes or [])


def direction(name: str, outcomes: dict | list | None = None) -> tuple[str | None, str]:
    """Whether a higher value of outcome ``name`` is better, and how that is known.

    The direction declared in the config's ``outcomes`` (``{purchase: higher_is_better}``) wins; else it is
    read off the name (:data:`DIRECTION_WORDS`: churn, cancelled, default, 流失 … are better low; purchase,
    accepted, converted, 购买 … better high). A name that says neither, or says both, has no direction: the
    segments are then described without calling a high value good or bad.

    Returns
    -------
    (str or None, str)
        :data:`HIGHER`, :data:`LOWER` or None, and ``"declared"``, ``"name"`` or ``"unknown"``.
    """
    declared = outcomes.get(name) if isinstance(outcomes, dict) else None
    if declared is not None:
        return declared, "declared"
    found = {way for way, stems in DIRECTION_WORDS.items() if _says(name, stems)}
    return (found.pop(), "name") if len(found) == 1 else (None, "unknown")


def _words(name: str) -> list[str]:
    """A column name's words: ``Attrition_Flag`` → attrition, flag; ``isCancelled`` → is, cancelled; 客户流失 stays."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name)).lower()
    return [w for w in re.split(r"[^0-9a-z\u4e00-\u9fff]+", spaced) if w]


def _says(name: str, stems: tuple, exact: tuple = ()) -> bool:
    """Whether a word of ``name`` starts with an English stem, is one of the ``exact`` words, or holds a Chinese one."""
    words = _words(name)
    return any(w in exact or any(w.startswith(s) if s.isascii() else s in w for s in stems) for w in words)


# traits that must never form a segment, name it or appear in its rules (GDPR art. 9 / PIPL art. 28 kinds)
SENSITIVE_STEMS = ("ethnic", "racial", "religio", "faith", "health", "medical", "diagnos", "disab", "politic",
                   "sexual", "biometric", "民族", "种族", "宗教", "信仰", "健康", "病", "残疾", "政治", "党派", "工会")
SENSITIVE_WORDS = ("race", "union", "unionised", "unionized", "caste")
# an attitude to health (a survey's health consciousness) is not health data, nor is the share of spend on a
# product category (share_cat_sports_health): what they buy, not who they are
NOT_SENSITIVE = re.compile(r"health[ _]?conscious|^share_(cat|channel)_", re.I)
# who the customer is, not what they do: on a customer table they describe the segments unless the config says
DEMOGRAPHIC_STEMS = ("gender", "birth", "marital", "married", "partner", "spouse", "dependent", "senior", "性别",
                     "年龄", "出生", "婚", "配偶")
DEMOGRAPHIC_WORDS = ("age", "sex", "age band")


def sensitive_columns(columns, declared: list[str] | tuple = ()) -> list[str]:
    """The columns holding sensitive traits: ethnicity, race, religion, health, political views, union membership
    (by their name, English and Chinese, :data:`SENSITIVE_STEMS`), and those the config lists
    (``privacy.sensitive_columns``)."""
    return [c for c in columns if c in declared or (_says(c, SENSITIVE_STEMS, SENSITIVE_WORDS)
                                                    and not NOT_SENSITIVE.search(str(c)))]


def demographic_columns(columns) -> list[str]:
    """The columns describing who a customer is by name: gender, age, birth date, marital status, a partner,
    dependants, senior citizen (English and Chinese, :data:`DEMOGRAPHIC_STEMS`)."""
    return [c for c in columns if _says(c, DEMOGRAPHIC_STEMS, DEMOGRAPHIC_WORDS)]


def check_outcomes(outcomes: list[str], kinds: pd.DataFrame) -> None:
    """Every ``outcomes`` column is a customer-table column that is binary or numeric.

    Raises
    ------
    ConfigError
        Naming the column, the table's other columns or its kind, and what to change.
    """
    known = kinds.set_index("column")["kind"]
    for column in outcomes:
        if column not in known:
            raise ConfigError(f"config key 'outcomes' names {column!r}, which is not a column of the customer table "
                              f"(sources.customers; its other columns: {', '.join(known.index) or 'none'})")
        codes = known[column] == "ordinal" and kinds.set_index("column").loc[column, "why"].startswith("integer codes")
        if known[column] not in ("binary", "numeric") and not codes:
            raise ConfigError(f"config key 'outcomes': column {column!r} is {known[column]}, but an outcome must be "
                              "binary (churned yes/no) or numeric (revenue); declare its kind in attributes."
                              f"{column} or leave it out of outcomes")


# ------------------------------------------------------------------------------------------ levers and descriptions
# words of a number that the business sets (a price, a fee, a discount): a lever; other numbers (tenure, minutes,
# calls, age) describe what customers are or did
PRICE_STEMS = ("charge", "price", "fee", "tariff", "bill", "discount", "cost", "rate", "plan", "资费", "费", "价",
               "折扣", "套餐")
# words of a column about time with the business or the customer's life: never something to change
DESCRIPTIVE_STEMS = ("tenure", "senior", "since", "seniority", "lifetime", "duration", "partner", "spouse", "child",
                     "kid", "famil", "household", "student", "employ", "income", "educat", "occupation", "region",
                     "在网", "时长", "年龄", "伴侣", "配偶", "子女", "家庭", "收入", "学历", "职业", "地区")
DESCRIPTIVE_WORDS = ("age", "days", "months", "years", "length", "account length")
LEVER_KINDS = ("binary", "categorical", "ordinal")  # labels the business sets: a contract, a service, a channel


def is_lever(column: str, kind: str | None = None, outcomes: dict | list | None = None,
             declared: dict | None = None) -> bool:
    """Whether a customer-table column is a **lever** — something the business sets and can change for a customer
    (a contract, a service, a price) — rather than a **description** of who the customer is or what they did
    (tenure, age, a senior citizen, minutes used). Strategies and KPIs name levers; names and stories may name both.

    The config's ``levers`` (``{column: true | false}``) decides when it names the column. Else: outcomes,
    demographics (:func:`demographic_columns`), sensitive traits and columns about time or the customer's life
    (:data:`DESCRIPTIVE_STEMS`: tenure, since, partner, children, income …) describe; labels
    (:data:`LEVER_KINDS`, except Likert answers, which are attitudes) are levers; numbers are levers only when
    their name says a price (:data:`PRICE_STEMS`: charges, price, fee, discount …).

    Parameters
    ----------
    column : str
        The column's name.
    kind : str, optional
        Its kind (:data:`KINDS`, from :func:`infer`); ``"likert"`` for an ordinal column of Likert answers.
        None: judged by the name alone (a price is a lever, a label column is assumed).
    outcomes : dict or list, optional
        The config's ``outcomes``: never levers.
    declared : dict, optional
        The config's ``levers``.
    """
    declared = declared or {}
    if column in declared:
        return bool(declared[column])
    if (column in outcome_names(outcomes) or demographic_columns([column]) or sensitive_columns([column])
            or _says(column, DESCRIPTIVE_STEMS, DESCRIPTIVE_WORDS)):
        return False
    if kind in ("numeric", "date", "text", "id", "empty", "likert"):
        return kind == "numeric" and _says(column, PRICE_STEMS)
    return True


def levers(columns, kinds: pd.DataFrame | None = None, outcomes: dict | list | None = None,
           declared: dict | None = None) -> list[str]:
    """The ``columns`` that are levers (:func:`is_lever`), their kinds from :func:`infer`'s table (``kinds``; a
    column it does not list is judged by its name alone)."""
    known = {} if kinds is None or kinds.empty else dict(zip(kinds["column"], kinds["kind"], strict=True))
    likert = set() if kinds is None or kinds.empty else set(kinds.loc[kinds["why"].astype("str").str.startswith(
        "Likert"), "column"])
    return [c for c in columns if is_lever(c, "likert" if c in likert else known.get(c), outcomes, declared)]


def check_levers(declared: dict | None, columns) -> None:
    """Every column the config's ``levers`` names is a column of the customer table, set to true or false.

    Raises
    ------
    ConfigError
        Naming the column and the table's columns.
    """
    for column, value in (declared or {}).items():
        if column not in columns:
            raise ConfigError(f"config key 'levers' names {column!r}, which is not a column of the customer table "
                              f"(its columns: {', '.join(map(str, columns))}); name one of them")
        if not isinstance(value, bool):
            raise ConfigError(f"config key 'levers.{column}' must be true (a lever the business sets) or false "
                              f"(describes the customer), got {value!r}")
