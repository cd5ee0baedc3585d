"""A column and its labels in words, in the run's language: a column's plain name ("monthly charges", 在网时长),
whether a label says a customer has or lacks something ("No internet service"), and the phrases the persona
names, cards, rules and the index heatmap are written with ("month-to-month contract", "has phone service")."""

from __future__ import annotations

import re

from custseg import i18n
from custseg.attributes import BINARY
from custseg.schema import LIKERT

NEGATION = ("no", "without", "not", "none")  # first word of a label saying what a customer lacks ("No phone service")
NEGATION_ZH = ("没有", "无")  # 没有宽带, 无宽带 (but 无限流量 is "unlimited data": see :func:`holding`)


def plain_label(column: str, language: str = "en", items=()) -> str:
    """A column's name in words: the catalogue's label for custseg's own features (:func:`custseg.i18n.label`),
    else its words split at underscores and capitals ("MonthlyCharges" → "monthly charges", "day_minutes" →
    "day minutes"); codes and acronyms stay as they are (MOPLLAAG, DSL). In another language a column with a known
    meaning gets its display label (:func:`custseg.i18n.glossary`: tenure → 在网时长) and any other column keeps its
    name as it is (``PaymentMethod``), never a half-translated phrase. A factor score
    (``factor_<item>_<item>``, :class:`custseg.factors.FactorModel`) reads as its items, told apart by the
    column names in ``items`` ("compares prices & waits for sales")."""
    known = i18n.label(column, language)
    text = str(column)
    if known != text.replace("_", " ") or not re.search(r"[A-Za-z]", text):
        return known
    if language != "en" and not text.startswith("factor_"):  # a known meaning in the language, else the name itself
        return i18n.glossary(text, language) or text
    if text.startswith("factor_") and language != "en":  # a factor of known survey items, in the language
        return i18n.header(text, language)
    if text.startswith("factor_"):
        split = _factor_items(text.removeprefix("factor_"), set(items))
        if split:
            return " & ".join(("low " if low else "") + plain_label(item, language) for low, item in split)
        text = text.removeprefix("factor_")
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|_+", " ", text).split()
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)


def lead_item(column: str, language: str = "en", items=()) -> str:
    """A factor score's first (highest-loading) item in words ("factor_waits_for_sales_compares_prices" → "waits
    for sales"): what a persona name says of the factor, the card saying all of it; any other column in words
    (:func:`plain_label`)."""
    text, known = str(column), i18n.messages(language)["value_names"].get("survey", {})
    split = _factor_items(text.removeprefix("factor_"), set(items) | set(known)) if text.startswith("factor_") else []
    if not split:
        return plain_label(column, language, items)
    low, item = split[0]
    words = i18n.value_label("survey", item, language) if item in known else plain_label(item, language)
    return i18n.text("factor_low", language, item=words) if low else words


def _factor_items(rest: str, items: set) -> list[tuple[bool, str]]:
    """The items a factor's name joins ("compares_prices_waits_for_sales" → two items), each as (loads against
    the factor, item): the longest known item name first; empty when the name is not made of ``items``."""
    out, words = [], rest.split("_")
    while words:
        low = words[0] == "low" and len(words) > 1 and "_".join(words) not in items
        body = words[1:] if low else words
        size = next((k for k in range(len(body), 0, -1) if "_".join(body[:k]) in items), None)
        if size is None:
            return []
        out.append((low, "_".join(body[:size])))
        words = body[size:]
    return out


def _lower_first(label: str) -> str:
    """'Month-to-month' → 'month-to-month' mid-sentence; 'DSL' and 'iPhone' stay."""
    first = label.split(" ", 1)[0]
    return label[:1].lower() + label[1:] if first[:1].isupper() and first[1:] == first[1:].lower() else label


def holding(column: str, label, language: str = "en") -> tuple[str, str | None]:
    """Whether label ``label`` of ``column`` says a customer has something (``"has"``, e.g. Yes), lacks it
    (``"lacks"``: No, "No internet service"), or is a plain label (``"label"``: Month-to-month), and the thing
    held or lacked ("phone service", "internet service"; None for a plain label)."""
    text = str(label).strip()
    low = text.lower()
    if BINARY.get(low) == 1.0:
        return "has", plain_label(column, language)
    if BINARY.get(low) == 0.0:
        return "lacks", plain_label(column, language)
    words = text.split()
    if len(words) > 1 and words[0].lower() in NEGATION:
        thing = " ".join(words[1:])
        return "lacks", (i18n.glossary(thing, language) or thing) if language != "en" else _lower_first(thing)
    for word in NEGATION_ZH:
        if len(text) > len(word) and text.startswith(word) and not text.startswith("无限"):
            return "lacks", text[len(word):]
    return "label", None


def label_phrase(column: str, label, language: str = "en", holds: bool = True, kind: str = "phrase") -> str:
    """A customer with (``holds``) or without label ``label`` of ``column`` in words: ``kind="phrase"`` for a
    name or a sentence ("month-to-month contract", "no internet service", "phone service"), ``"rule"`` for a
    rule ("contract is month-to-month", "has internet service", "no phone service").

    A label that says a customer has or lacks something (Yes/No, "No internet service") reads as holding or
    lacking it (:func:`holding`); the labels of a Likert scale as the answer to the item; codes (a band's 7, a
    range 6–9) after the column's name."""
    m = i18n.messages(language)["phrase"][kind]
    how, thing = holding(column, label, language)
    name, text = plain_label(column, language), str(label)
    if how != "label":
        lacks = (how == "lacks") == holds
        return m["lacks" if lacks else "has"].format(thing=thing)
    shown = in_text(text, language)
    if text.lower() in LIKERT:
        key = "likert"
    elif re.fullmatch(r"[-+]?[\d.]+(\s*[–-]\s*[-+]?[\d.]+)?", text):
        key = "code"
    else:
        key = "label"
    return m[key if holds else f"{key}_not"].format(column=name, label=shown)


def flag_phrase(column: str, holds: bool, language: str = "en", kind: str = "phrase") -> str:
    """A 0/1 column in words: "international plan" / "no international plan" (``kind="rule"``: "has …")."""
    m = i18n.messages(language)["phrase"][kind]
    return m["has" if holds else "lacks"].format(thing=plain_label(column, language))


def in_text(label, language: str) -> str:
    """A data label inside a sentence: 'month-to-month' mid-sentence in English, '月付 (Month-to-month)' in a
    language whose catalogue knows it (:func:`custseg.i18n.data_label`), else as it is."""
    return _lower_first(str(label)) if language == "en" else i18n.data_label(label, language)
