"""Quizzes: three to five questions per notebook on the method it teaches, in English and 简体中文 from one source.

Each notebook's questions live in ``templates/quizzes/NN.yaml``, one definition per question with both languages
side by side: the question, its options (exactly one marked ``right``) and the explanation a student reads after
answering. A question that makes sense only with some data (RFM needs a log, factor names a survey) lists its
``needs`` (the ``needs-…`` tags of :mod:`custseg.report.needs`); a run without that data leaves it out.

A notebook shows its quiz with one call, ``quiz.show("05", cfg)``: in the HTML report (a static run) a list of the
questions with each answer and its explanation folded in a ``<details>`` element; in JupyterLab a small ipywidgets
form that shows whether the chosen option is right and why. Only the run's language is shown.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from custseg import i18n
from custseg.config import LANGUAGES

QUIZZES = Path(__file__).parent / "templates" / "quizzes"
MIN_QUESTIONS, MAX_QUESTIONS = 3, 5  # per notebook, on every shape of data the notebook has content for
LETTERS = "ABCDEFGH"
CSS_CLASS = "custseg-quiz"


@dataclass(frozen=True)
class Question:
    """One question in every language: ``text``, ``options`` and ``explain`` map a language to its words."""

    id: str
    text: dict[str, str]
    options: tuple[dict[str, str], ...]
    right: int  # the position of the right option
    explain: dict[str, str]
    needs: tuple[str, ...] = ()


def _question(raw: dict, where: str) -> Question:
    """One question of a quiz file, checked: both languages everywhere and exactly one right option."""
    name = f"{where}: question {raw.get('id', '?')!r}"
    options = raw.get("options") or []
    rights = [i for i, o in enumerate(options) if o.get("right")]
    if len(rights) != 1:
        raise ValueError(f"{name} must mark exactly one option `right: true` (it marks {len(rights)})")
    for part, texts in [("question", raw.get("question")), ("explain", raw.get("explain"))] + [
            (f"option {LETTERS[i]}", o) for i, o in enumerate(options)]:
        missing = [lang for lang in LANGUAGES if not str((texts or {}).get(lang, "")).strip()]
        if missing:
            raise ValueError(f"{name}: its {part} has no text in {', '.join(missing)}")
    return Question(id=raw["id"], text={k: raw["question"][k] for k in LANGUAGES},
                    options=tuple({k: o[k] for k in LANGUAGES} for o in options), right=rights[0],
                    explain={k: raw["explain"][k] for k in LANGUAGES}, needs=tuple(raw.get("needs") or ()))


def read(path: Path) -> tuple[Question, ...]:
    """The questions of one quiz file, checked.

    Raises
    ------
    ValueError
        A question without exactly one right option, without a text in every language, or with a need
        :mod:`custseg.report.needs` does not know.
    """
    from custseg.report.needs import NEEDS

    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    found = tuple(_question(q, path.name) for q in raw)
    for q in found:
        unknown = sorted(set(q.needs) - set(NEEDS))
        if unknown:
            raise ValueError(f"{path.name}: question {q.id!r} needs {unknown}, which are not needs-… tags of "
                             f"custseg.report.needs (known: {', '.join(NEEDS)})")
    return found


@functools.cache
def load(number: str) -> tuple[Question, ...]:
    """Every question of notebook ``number`` (``"05"``), whatever the data (:func:`read` of its file).

    Raises
    ------
    FileNotFoundError
        There is no ``templates/quizzes/<number>.yaml``.
    """
    path = QUIZZES / f"{number}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no quiz for notebook {number}: {path} does not exist")
    return read(path)


def questions(number: str, met: dict[str, bool] | None = None) -> list[Question]:
    """The questions of notebook ``number`` that this run's data supports.

    Parameters
    ----------
    number : str
        The notebook's number, ``"01"`` … ``"09"``.
    met : dict[str, bool], optional
        Need tag → whether the run meets it (:func:`custseg.report.needs.met`); None keeps every question.

    Returns
    -------
    list[Question]
        The questions whose every need is met, in their order.
    """
    return [q for q in load(number) if met is None or all(met.get(t, False) for t in q.needs)]


_INLINE = [(re.compile(r"`([^`]+)`"), r"<code>\1</code>"), (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
           (re.compile(r"(?<![*A-Za-z0-9])\*(?!\s)(.+?)(?<!\s)\*(?![*A-Za-z0-9])"), r"<em>\1</em>")]


def _inline(text: str) -> str:
    """A short text's inline markdown (`` `code` ``, ``**bold**``, ``*italic*``) as HTML, everything else escaped."""
    out = html.escape(" ".join(str(text).split()), quote=False)
    for pattern, replacement in _INLINE:
        out = pattern.sub(replacement, out)
    return out


def to_html(found: list[Question], language: str = "en") -> str:
    """The quiz as static HTML: a numbered list of questions, each with its lettered options and its answer and
    explanation folded in a ``<details>`` element (the report shows them only when the reader opens it).

    Parameters
    ----------
    found : list[Question]
        The questions to show (:func:`questions`).
    language : str
        ``"en"`` or ``"zh"``: only this language is written.

    Returns
    -------
    str
        An HTML fragment (an ``<ol class="custseg-quiz">``).
    """
    t = i18n.messages(language)["quiz"]
    items = []
    for q in found:
        options = "".join(f"<li>{_inline(o[language])}</li>" for o in q.options)
        answer = t["answer"].format(letter=LETTERS[q.right], option=_inline(q.options[q.right][language]))
        items.append(f'<li class="{CSS_CLASS}-question" id="quiz-{html.escape(q.id)}" style="margin-bottom: 1em">'
                     f"<p>{_inline(q.text[language])}</p>"
                     f'<ol type="A">{options}</ol>'
                     f"<details><summary>{html.escape(t['show'])}</summary>"
                     f"<p><strong>{answer}</strong></p><p>{_inline(q.explain[language])}</p></details></li>")
    return f'<ol class="{CSS_CLASS}">{"".join(items)}</ol>'


def form(found: list[Question], language: str = "en"):
    """The quiz as a small ipywidgets form for JupyterLab: read a question and its lettered options, press a letter
    and *Check* (on one row), read which letter was chosen, whether it is right and why; choosing another letter
    clears that answer.

    The options are HTML (long ones wrap) and the letters toggle buttons; only the widgets' own styles and the theme's
    text colour are used, so JupyterLab's dark and light themes both read.

    Returns
    -------
    ipywidgets.VBox
        One box per question: its text and options, a row of the letters and the button, and the feedback.
    """
    import ipywidgets as widgets

    t, gap = i18n.messages(language)["quiz"], " " if language == "en" else ""  # no space after a Chinese 。
    boxes = []
    for n, q in enumerate(found, 1):
        options = "".join(f"<li>{_inline(o[language])}</li>" for o in q.options)
        text = widgets.HTML(_block(f"<p><strong>{n}.</strong> {_inline(q.text[language])}</p>"
                                   f"<ol type=\"A\">{options}</ol>"))
        choice = widgets.ToggleButtons(options=list(LETTERS[:len(q.options)]), value=None,
                                       style={"button_width": "3em", "font_weight": "bold"})
        check = widgets.Button(description=t["check"], button_style="info", layout=widgets.Layout(width="auto"))
        feedback = widgets.HTML()

        def answer(_, q=q, choice=choice, feedback=feedback):
            if choice.index is None:
                feedback.value = _block(f"<p>{html.escape(t['pick'])}</p>")
                return
            verdict = t["right"] if choice.index == q.right else t["wrong"].format(letter=LETTERS[q.right])
            verdict = t["chose"].format(letter=LETTERS[choice.index]) + gap + verdict
            explain = _inline(q.explain[language])
            feedback.value = _block(f"<p><strong>{html.escape(verdict)}</strong>{gap}{explain}</p>")

        check.on_click(answer)
        # an answer read for one letter must not stay up under another
        choice.observe(lambda _, feedback=feedback: setattr(feedback, "value", ""), names="value")
        row = widgets.HBox([choice, check], layout=widgets.Layout(align_items="center", margin="0 0 0 2em"))
        boxes.append(widgets.VBox([text, row, feedback], layout=widgets.Layout(margin="0 0 1em 0")))
    return widgets.VBox(boxes, layout=widgets.Layout(width="100%"))


def _block(inner: str) -> str:
    """HTML for an ipywidgets HTML area at a reading line height (the widget's own is a fixed 28 px, which spaces
    wrapped lines of its 13 px text as if double-spaced)."""
    return f'<div style="line-height: 1.5">{inner}</div>'


class Html(str):
    """HTML that Jupyter shows rendered (``_repr_html_``), printed as it is elsewhere."""

    def _repr_html_(self) -> str:
        return str(self)


def show(number: str, cfg: dict, paths=None):
    """Notebook ``number``'s quiz in the run's language, for a cell to show: a form in JupyterLab, the questions
    with their answers folded in a report.

    Parameters
    ----------
    number : str
        The notebook's number, ``"01"`` … ``"09"``.
    cfg : dict
        The run's config (its ``language``; and where its artefacts are, to know what data the run has).
    paths : io.RunPaths, optional
        The run's folders; default: from ``cfg``.

    Returns
    -------
    ipywidgets.VBox or Html
        :func:`form` in a kernel JupyterLab started, :func:`to_html` otherwise (papermill, plain Python).
    """
    from custseg import env, io
    from custseg.report import needs

    met = needs.met(cfg, paths if paths is not None else io.run_paths(cfg))
    found, language = questions(number, met), cfg["language"]
    return form(found, language) if env.interactive() else Html(to_html(found, language))
