"""The feedback of an exercise's check, and the reading of a student's answer (numbers, texts, segments, pairs):
an answer of the wrong kind is feedback too, never an error."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from custseg import i18n

SHARE_TOLERANCE = 0.005  # half a percentage point: a share read off a table rounded to 0.1 %


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
        def show(v) -> str:  # a Term in the reader's language; a tuple's parts side by side ("behavioural 6")
            if isinstance(v, tuple):
                return " ".join(show(x) for x in v)
            return str(m["dimensions"].get(str(v), v)) if isinstance(v, Term) else str(v)

        values = {k: i18n.join([show(x) for x in v], language) if isinstance(v, list) else show(v)
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


class Term(str):
    """A word of the method (a segmentation or data-quality dimension) that a message shows in the reader's
    language (the catalogue's ``exercises.dimensions``), while an answer may use either language."""


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
