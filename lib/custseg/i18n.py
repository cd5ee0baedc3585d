"""Language support for personas and the report: message catalogues, labels and numbers for people.

Every piece of text a reader sees in a persona card or on the report's index page comes from
``templates/<language>/messages.yaml`` (English ``en`` and Simplified Chinese ``zh``); the layout
comes from the jinja2 templates in ``templates/``, which get the catalogue as ``t``. Translating
custseg into another language means adding one catalogue (:data:`LANGUAGES` lists the catalogues).

The method's terms (STP, the criteria of a good segmentation, RFM, lift, uplift …) have one source,
``templates/glossary.yaml`` (:func:`terms`): a catalogue value ``"@key"`` is the glossary's term in the catalogue's
language (:func:`term`), so a catalogue never repeats a term the glossary defines.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

import jinja2
import numpy as np
import yaml

TEMPLATES = Path(__file__).parent / "templates"
GLOSSARY = TEMPLATES / "glossary.yaml"
TERM_REFERENCE = re.compile(r"^@([a-z][a-z0-9_]*)$")  # a catalogue value that is a glossary term: "@uplift"
# the languages with a catalogue: a config's language: must be one of them (config.LANGUAGES is this tuple);
# i18n imports no other custseg module, so that every step of the method can say what it did in the run's language
LANGUAGES = tuple(sorted(p.parent.name for p in TEMPLATES.glob("*/messages.yaml")))
SHARE_COLUMNS = ("share_", "discount_share", "return_rate")  # features that are fractions 0..1
GROUPS = {"share_channel_": "channel", "share_cat_": "category"}  # share column prefix -> value catalogue


@functools.cache
def messages(language: str = "en") -> dict:
    """The message catalogue of a language (``en`` or ``zh``)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    catalogue = yaml.safe_load((TEMPLATES / language / "messages.yaml").read_text(encoding="utf-8"))
    return _resolve(catalogue, language, "")


def _resolve(node, language: str, where: str):
    """The catalogue with every ``"@key"`` value replaced by the glossary's term in ``language``."""
    if isinstance(node, dict):
        return {k: _resolve(v, language, f"{where}.{k}".lstrip(".")) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, language, f"{where}[{i}]") for i, v in enumerate(node)]
    found = TERM_REFERENCE.match(node) if isinstance(node, str) else None
    if found is None:
        return node
    if found.group(1) not in terms():
        raise ValueError(f"templates/{language}/messages.yaml: {where} is {node!r}, but templates/glossary.yaml has "
                         f"no term '{found.group(1)}' (its terms: {', '.join(terms())})")
    return term(found.group(1), language)


@functools.cache
def glossary_file() -> dict:
    """``templates/glossary.yaml`` as it is: its ``groups`` (the headings of the glossary page) and ``terms``."""
    return yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))


def terms() -> dict[str, dict]:
    """The method's glossary (``templates/glossary.yaml``): term key → ``group``, ``en``, ``zh``, ``zh_also`` (the
    other names Chinese textbooks give it, e.g. 足量性 for 可盈利性), ``en_means`` and ``zh_means``."""
    return glossary_file()["terms"]


def term(key: str, language: str = "en") -> str:
    """One method term in ``language`` from the glossary, e.g. ``term("substantial", "zh")`` → '可盈利性'."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    return terms()[key][language]


def value_label(kind: str, value, language: str = "en") -> str:
    """A readable name for a value of a categorical variable, e.g. ``('channel', 'mini_program')`` → 'mini program'.

    Values the catalogue does not know (real data) are shown as they are, underscores as spaces.
    """
    known = messages(language)["value_names"].get(kind, {})
    return str(known.get(value, str(value).replace("_", " ")))


def label(column: str, language: str = "en") -> str:
    """A readable name for a feature column, e.g. ``share_cat_kids`` → 'spend share on kids'."""
    m = messages(language)
    if column in m["labels"]:
        return m["labels"][column]
    for prefix, kind in (*GROUPS.items(), ("survey_", "survey")):
        if column.startswith(prefix):
            return m["label_patterns"][kind].format(value_label(kind, column.removeprefix(prefix), language))
    return column.replace("_", " ")


def glossary(words: str, language: str = "en") -> str | None:
    """The display label of a column with a known meaning in ``language`` (the catalogue's ``glossary``: tenure →
    在网时长, monthly charges → 月费), looked up by its words in lower case ("MonthlyCharges" → "monthly charges");
    None when the glossary does not know it (the column is then shown in its original form, never half-translated).
    """
    known = messages(language).get("glossary") or {}
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|[_\s]+", " ", str(words)).strip().lower()
    return known.get(key)


def data_label(label, language: str = "en") -> str:
    """A label of the user's data inside a sentence of ``language``: translated when the catalogue's
    ``data_labels`` knows it, with the original in brackets ("月付 (Month-to-month)": it is the user's own label,
    to be found in their data), looked up like :func:`glossary` (case and spaces aside); as it is otherwise."""
    text = str(label)
    known = messages(language).get("data_labels") or {}
    shown = known.get(re.sub(r"[_\s]+", " ", text).strip().lower())
    return f"{shown} ({text})" if shown and shown != text else text


def is_share(column: str) -> bool:
    """True for features that are fractions between 0 and 1 (shown as percentages)."""
    return column.startswith(SHARE_COLUMNS)


def integer(x: float) -> str:
    """A whole number with thousands separators: 19884 → '19,884'."""
    return "–" if x is None or math.isnan(x) else f"{x:,.0f}"


def number(x: float) -> str:
    """A measurement for people: 1 decimal below 100 (e.g. 19.8 orders), whole numbers above (4,505)."""
    if x is None or math.isnan(x):
        return "–"
    text = f"{x:,.1f}" if abs(x) < 100 else f"{x:,.0f}"
    return text.removeprefix("-") if float(text.replace(",", "")) == 0 else text  # -0.0 is 0.0


def percent(x: float, digits: int = 0) -> str:
    """A share for people: '24%' ('3.6%' with ``digits=1``), '0.2%' for small non-zero shares, '<0.1%' for tiny ones."""
    if x is None or math.isnan(x):
        return "–"
    if 0 < abs(x) < 0.001:
        return "<0.1%"
    return f"{x:.1%}" if 0 < abs(x) < 0.01 else f"{x:.{digits}%}"


def feature_value(column: str, x: float) -> str:
    """A feature value in its natural unit: shares as percentages, others via :func:`number`."""
    return percent(x) if is_share(column) else number(x)


def readable(frame, language: str = "en"):
    """A table for people: every numeric column formatted in its unit and headed by its label.

    Counts (``customers`` and integer columns) get thousands separators, shares (``share``, ``value_share``,
    ``share_*``, discount share, return rate) become percentages and other measurements get
    :func:`number`; column names become their labels in ``language`` (:func:`label`). Non-numeric
    columns are kept as they are.

    Parameters
    ----------
    frame : DataFrame
        E.g. :func:`custseg.profile.profile`.
    language : {'en', 'zh'}

    Returns
    -------
    DataFrame
        Same index, string cells, readable headers.
    """
    out = frame.copy()
    for col in frame.columns:
        values = frame[col]
        if values.dtype.kind not in "iuf":
            continue
        if col in ("share", "value_share") or is_share(col):
            fmt = percent
        elif col == "customers" or values.dtype.kind in "iu":
            fmt = integer
        else:
            fmt = number
        out[col] = [fmt(float(x)) for x in values]
    return out.rename(columns=lambda c: label(c, language))


def text(key: str, language: str = "en", **fields) -> str:
    """A line a notebook prints, from the catalogue's ``printed`` block (dotted ``key``, e.g. ``"n03.counts"``),
    its ``{fields}`` filled in (numbers already formatted by :func:`integer`, :func:`percent`, ...).

    Parameters
    ----------
    key : str
        Where the message is under ``printed``.
    language : {'en', 'zh'}
    **fields
        The values of its placeholders.

    Returns
    -------
    str
        The line in ``language``.
    """
    node = messages(language)["printed"]
    for part in key.split("."):
        node = node[part]
    return node.format(**fields) if fields else node


def retranslate(message: str, english: dict, key: str, language: str = "en") -> str:
    """An English message of the catalogue, as a record keeps it, in ``language``: the template of ``english``
    (``printed.<key>`` of the English catalogue) it was made from is matched, its fields taken from ``message``
    and put into the same template of ``language``; a message no template made is returned as it is.

    Parameters
    ----------
    message : str
        E.g. "5 labels ('a', 'b')", made from ``labels: "{distinct} labels ({examples})"``.
    english : dict
        The English templates, name → template.
    key : str
        Where they are under ``printed`` (dotted), e.g. ``"kinds.why"``.
    language : {'en', 'zh'}

    Returns
    -------
    str
    """
    if language == "en":
        return message
    for name, template in english.items():
        pattern = "".join(f"(?P<{part[1:-1]}>.+?)" if part.startswith("{") else re.escape(part)
                          for part in re.split(r"(\{[a-z_]+\})", template))
        found = re.fullmatch(pattern, message, flags=re.S)
        if found:
            return text(f"{key}.{name}", language, **found.groupdict())
    return message


def header(column, language: str = "en", context: str | None = None) -> str:
    """A table's column header for people in a translated report: the catalogue's ``headers`` (custseg's own
    columns: ``verdict`` → 结论; ``context.column`` first, for a table whose columns mean something else, such
    as the CLV convention's ``frequency``), else the feature's label (:func:`label`, for custseg's features and a
    factor of survey items), else the glossary (a user's column with a known meaning), else the name as it is
    (data stays data). An English report shows custseg's column names as they are."""
    name, m = str(column), messages(language)
    if language == "en":
        return name
    known = m.get("headers") or {}
    if context and f"{context}.{name}" in known:
        return known[f"{context}.{name}"]
    if name in known:
        return known[name]
    if name in m["labels"] or name.startswith((*GROUPS, "survey_")):
        return label(name, language)
    if name.startswith("factor_"):
        return _factor(name, language)
    return glossary(name, language) or name


def _factor(name: str, language: str) -> str:
    """A factor score's header, ``factor_<item>_<item>`` → its survey items' names (as it is when they are not
    known items)."""
    items, rest, found = sorted(messages(language)["value_names"].get("survey", {}), key=len, reverse=True), \
        name.removeprefix("factor_"), []
    while rest:
        low = rest.startswith("low_")  # an item that loads against the factor
        rest = rest.removeprefix("low_") if low else rest
        item = next((i for i in items if rest == i or rest.startswith(i + "_")), None)
        if item is None:
            return name
        found.append(text("factor_low" if low else "factor_item", language, item=value_label("survey", item, language)))
        rest = rest[len(item) + 1:]
    return text("factor", language, items=messages(language)["list_sep"].join(found))


def names(columns, language: str = "en") -> str:
    """Column names listed for people: 'recency_days, frequency' in English (custseg's names as they are), their
    headers (:func:`header`) joined by the language's list separator otherwise ('距上次购买天数、订单数')."""
    return messages(language)["list_sep"].join(header(c, language) for c in columns)


def word(value, language: str = "en", kind: str | None = None):
    """A word custseg itself writes into a table cell, in ``language``: a verdict or criterion (the catalogue's
    ``words``), a yes/no, a feature's name (``kind="header"``: :func:`header`) or a known value of a categorical
    variable (``kind="rfm"``, say: :func:`value_label`); anything else (data) as it is."""
    if language == "en" or value is None:
        return value
    if kind == "header":
        return header(value, language) if isinstance(value, str) else value
    if kind is not None:
        known = messages(language)["value_names"].get(kind, {})
        return known.get(value, value) if isinstance(value, str) else value
    known = messages(language).get("words") or {}
    if isinstance(value, bool | np.bool_):  # yes / no
        return known.get(str(bool(value)), value)
    return known.get(value, value) if isinstance(value, str) else value


def shown(table, language: str = "en", words: tuple[str, ...] | dict | bool = (), index: str | None = None,
          context: str | None = None):
    """A display copy of a table in ``language``: column headers and index names through :func:`header`, and
    the cells of ``words`` columns (custseg's own words: verdicts) through :func:`word`. The artefact keeps its
    column names; in English nothing changes.

    Parameters
    ----------
    table : DataFrame, Series or Styler
        A table, or its Styler (its formats keep working: they are keyed by the original column names).
    language : {'en', 'zh'}
    words : tuple of str, dict or bool
        The columns whose cells are custseg's words; a dict maps a column to the ``kind`` of :func:`word`
        (``"header"`` for feature names, ``"rfm"`` …, None for words); True: every text column and the index.
    index : str, optional
        The ``kind`` of :func:`word` of the index values (``"header"``: the rows are features).
    context : str, optional
        The table's ``headers`` context (:func:`header`).

    Returns
    -------
    DataFrame or Styler
        A DataFrame for a DataFrame or a Series, else a Styler.
    """
    import pandas as pd

    if language == "en":
        return table
    styler = None if isinstance(table, pd.DataFrame | pd.Series) else table
    frame = table.data if styler is not None else table
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    text = [c for c in frame.columns if frame[c].dtype.kind in "OSUb" or str(frame[c].dtype) == "str"]
    kinds = dict.fromkeys(text) if words is True else dict(words) if isinstance(words, dict) else dict.fromkeys(words)
    kinds = {c: k for c, k in kinds.items() if c in frame.columns}
    if styler is not None:
        for col, kind in kinds.items():
            styler = styler.format(lambda v, kind=kind: word(v, language, kind), subset=[col], na_rep="–")
        styler = styler.format_index(lambda c: header(c, language, context), axis="columns")
        if words is True or index:
            styler = styler.format_index(lambda v: word(v, language, index), axis="index")
        return styler
    out = frame.copy()
    for col, kind in kinds.items():
        out[col] = out[col].map(lambda v, kind=kind: word(v, language, kind))
    if words is True or index:
        out.index = out.index.map(lambda v: word(v, language, index))
    out.index.names = [header(n, language, context) if n is not None else None for n in out.index.names]
    return out.rename(columns=lambda c: header(c, language, context))


def join(items: list[str], language: str = "en") -> str:
    """'a, b and c' (or the language's equivalent)."""
    m = messages(language)
    items = [str(i) for i in items if i]
    if len(items) < 2:
        return "".join(items)
    return m["list_sep"].join(items[:-1]) + m["list_and"] + items[-1]


@functools.cache
def environment() -> jinja2.Environment:
    """The jinja2 environment of the persona and report templates, with the number filters above."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True,
                             autoescape=jinja2.select_autoescape(["html.j2"]))
    env.filters.update(integer=integer, number=number, percent=percent)
    return env


def render(template: str, language: str = "en", **context) -> str:
    """Render ``templates/<template>`` with the language's catalogue as ``t``."""
    return environment().get_template(template).render(t=messages(language)["ui"], language=language, **context)
