"""Language support for personas and the report: message catalogues, labels and numbers for people.

Every piece of text a reader sees in a persona card or on the report's index page comes from
``templates/<language>/messages.yaml`` (English ``en`` and Simplified Chinese ``zh``); the layout
comes from the jinja2 templates in ``templates/``, which get the catalogue as ``t``. Translating
custseg into another language means adding one catalogue and the code to :data:`config.LANGUAGES`.

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
import yaml

from custseg.config import LANGUAGES

TEMPLATES = Path(__file__).parent / "templates"
GLOSSARY = TEMPLATES / "glossary.yaml"
TERM_REFERENCE = re.compile(r"^@([a-z][a-z0-9_]*)$")  # a catalogue value that is a glossary term: "@uplift"
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
