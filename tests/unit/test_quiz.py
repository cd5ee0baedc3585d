"""Quizzes (custseg.quiz): every notebook's questions, their languages and needs, the folded report and the form."""

import re
from html.parser import HTMLParser

import nbformat
import pytest

from custseg import config, env, i18n, quiz
from custseg.report import languages, needs, runner

NUMBERS = [f"{n:02d}" for n in range(1, 10)]
BOOKS = {b.name[:2]: b for b in runner.notebooks()}
# what a run can have at most: every need, and the items of 08's offers are a log's baskets or held services,
# never both (both needs are read from the one `target.items` of the run: custseg.report.needs.met)
EVERYTHING = [{**dict.fromkeys(needs.NEEDS, True), "needs-services": False},
              {**dict.fromkeys(needs.NEEDS, True), "needs-baskets": False}]


def test_basket_and_service_offers_exclude_each_other():
    assert "services" not in needs.BASKET_ITEMS  # so no run meets both needs-baskets and needs-services


@pytest.mark.parametrize("number", NUMBERS)
def test_each_notebook_has_three_to_five_questions_whatever_the_data(number):
    assert len(quiz.questions(number, {})) >= quiz.MIN_QUESTIONS  # a run that has none of the needs
    for met in EVERYTHING:
        assert quiz.MIN_QUESTIONS <= len(quiz.questions(number, met)) <= quiz.MAX_QUESTIONS


@pytest.mark.parametrize("number", NUMBERS)
def test_every_question_has_one_right_option_an_explanation_and_both_languages(number):
    found = quiz.load(number)
    assert len({q.id for q in found}) == len(found), "question ids are unique in a notebook"
    for q in found:
        assert len(q.options) >= 3 and 0 <= q.right < len(q.options)
        for language in config.LANGUAGES:
            texts = [q.text[language], q.explain[language], *(o[language] for o in q.options)]
            assert all(t.strip() for t in texts)
            assert len({o[language] for o in q.options}) == len(q.options), f"{q.id}: two options say the same"
        # the 简体中文 is Chinese, not a copy of the English
        assert re.search(r"[\u4e00-\u9fff]", q.text["zh"]) and q.text["zh"] != q.text["en"]
        assert re.search(r"[\u4e00-\u9fff]", q.explain["zh"])
        assert set(q.needs) <= set(needs.NEEDS)


@pytest.mark.parametrize("edit, message", [
    ("  - en: Two\n    zh: 二\n    right: true\n", "exactly one option `right: true` (it marks 2)"),
    ("  - en: Two\n    zh: ''\n", "its option B has no text in zh"),
])
def test_a_bad_quiz_file_is_refused_with_the_question_named(tmp_path, edit, message):
    text = ("- id: q1\n  question: {en: 'One?', zh: 一？}\n  explain: {en: Because., zh: 因为。}\n  options:\n"
            "  - en: One\n    zh: 一\n    right: true\n" + edit + "  - en: Three\n    zh: 三\n")
    path = tmp_path / "01.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        quiz.read(path)
    assert "question 'q1'" in str(err.value)


def test_an_unknown_need_is_refused(tmp_path):
    path = tmp_path / "01.yaml"
    path.write_text("- id: q1\n  needs: [needs-a-crystal-ball]\n  question: {en: 'One?', zh: 一？}\n"
                    "  explain: {en: Because., zh: 因为。}\n  options:\n  - {en: One, zh: 一, right: true}\n"
                    "  - {en: Two, zh: 二}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs-a-crystal-ball"):
        quiz.read(path)


def test_a_question_is_left_out_when_the_run_lacks_its_needs():
    ids = lambda met: {q.id for q in quiz.questions("04", met)}  # noqa: E731
    everything = {q.id for q in quiz.load("04")}
    needing_log = {q.id for q in quiz.load("04") if "needs-log" in q.needs}
    needing_survey = {q.id for q in quiz.load("04") if "needs-survey" in q.needs}
    assert needing_log and needing_survey
    assert ids({"needs-log": True}) == everything - needing_survey
    assert ids({"needs-survey": True}) == everything - needing_log
    assert ids(None) == everything


class _Folds(HTMLParser):
    """The text of a quiz page, split into what a reader sees at once (a ``<details>``' summary among it) and what
    sits folded inside ``<details>``."""

    def __init__(self):
        super().__init__()
        self.depth, self.summary, self.open, self.folded, self.questions = 0, 0, [], [], 0

    def handle_starttag(self, tag, attrs):
        self.depth += tag == "details"
        self.summary += tag == "summary"
        self.questions += tag == "li" and ("class", "custseg-quiz-question") in attrs

    def handle_endtag(self, tag):
        self.depth -= tag == "details"
        self.summary -= tag == "summary"

    def handle_data(self, data):
        (self.folded if self.depth and not self.summary else self.open).append(data)


def _text(html_text):
    parser = _Folds()
    parser.feed(html_text)
    return parser, " ".join("".join(parser.open).split()), " ".join("".join(parser.folded).split())


def _plain(text):
    return " ".join(re.sub(r"\*\*|\*|`", "", text).split())


@pytest.mark.parametrize("language", config.LANGUAGES)
def test_the_report_shows_the_questions_and_folds_the_answers(language):
    found = quiz.questions("06", {"needs-value": True})
    parser, shown, folded = _text(quiz.to_html(found, language))
    assert parser.questions == len(found)
    for q in found:
        assert _plain(q.text[language]) in shown
        assert all(_plain(o[language]) in shown for o in q.options)  # the options are read before answering
        assert _plain(q.explain[language]) in folded and _plain(q.explain[language]) not in shown
        right = quiz.LETTERS[q.right]
        answer = i18n.messages(language)["quiz"]["answer"].format(letter=right, option="")
        assert answer.strip() in folded and answer.strip() not in shown
    assert i18n.messages(language)["quiz"]["show"] in shown  # the summary a reader clicks


def test_text_is_escaped_and_inline_markdown_rendered():
    assert quiz._inline("an *index* of `a<b` & **more**") == \
        "an <em>index</em> of <code>a&lt;b</code> &amp; <strong>more</strong>"
    # between Chinese characters too
    assert quiz._inline("用来*描述*细分，2 * 3 * 4") == "用来<em>描述</em>细分，2 * 3 * 4"


def _shown(monkeypatch, number, language, met, interactive=False):
    """What ``quiz.show`` gives the cell to show, for a run of ``language`` that meets ``met``."""
    monkeypatch.setattr(needs, "met", lambda cfg, paths: met)
    monkeypatch.setattr(env, "interactive", lambda: interactive)
    return quiz.show(number, {"language": language}, paths=object())


@pytest.mark.parametrize("language, other", [("en", "zh"), ("zh", "en")])
def test_the_quiz_cell_shows_only_the_runs_language_and_the_questions_its_data_supports(monkeypatch, language,
                                                                                        other):
    page = _shown(monkeypatch, "04", language, {"needs-log": True})._repr_html_()
    for q in quiz.load("04"):
        kept = all(t == "needs-log" for t in q.needs)
        assert (_plain(q.text[language]) in _text(page)[1]) == kept, q.id
        for text in (q.text[other], q.explain[other], *(o[other] for o in q.options)):
            assert _plain(text) not in _text(page)[1] + _text(page)[2]


@pytest.mark.parametrize("language", config.LANGUAGES)
def test_in_jupyterlab_the_form_says_whether_an_answer_is_right_and_why(monkeypatch, language):
    form = _shown(monkeypatch, "09", language, {}, interactive=True)
    t = i18n.messages(language)["quiz"]
    q = quiz.questions("09", {})[0]
    _, row, feedback = form.children[0].children
    choice, check = row.children  # the letters and the button on one row
    assert choice.index is None  # nothing chosen before the student chooses
    check.click()
    assert t["pick"] in feedback.value
    other = (q.right + 1) % len(q.options)
    choice.index = other
    check.click()
    wrong = t["wrong"].format(letter=quiz.LETTERS[q.right])
    assert wrong in feedback.value and _plain(q.explain[language])[:20] in feedback.value
    assert t["chose"].format(letter=quiz.LETTERS[other]) in feedback.value
    choice.index = q.right
    assert feedback.value == "", "the answer to the letter before is not left under this one"
    check.click()
    assert t["right"] in feedback.value and wrong not in feedback.value
    assert "line-height: 1.5" in feedback.value and "line-height: 1.5" in form.children[0].children[0].value
    assert len(form.children) == len(quiz.questions("09", {}))


@pytest.mark.parametrize("number", NUMBERS)
def test_every_notebook_has_its_quiz_section_right_before_its_references(number):
    nb = nbformat.read(BOOKS[number], as_version=4)
    assert languages.problems(nb) == []
    ids = [c.get("id") for c in nb.cells]
    at = ids.index(f"{number}-quiz")
    en, zh, code, after = nb.cells[at:at + 4]
    assert en.source.startswith("## Quiz") and "lang-en" in en.metadata.tags
    assert zh.source.startswith("## 小测验") and "lang-zh" in zh.metadata.tags
    assert code.cell_type == "code" and f'quiz.show("{number}", cfg, paths)' in code.source
    assert after.source.startswith("## References")
    assert not [t for c in (en, zh, code) for t in c.metadata.get("tags", []) if t.startswith(needs.PREFIX)]


def test_the_template_has_a_quiz_section():
    nb = nbformat.read(runner.NOTEBOOK_DIR / "TEMPLATE.ipynb", as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Quiz"))
    assert 'quiz.show("NN", cfg, paths)' in nb.cells[at + 1].source


@pytest.mark.parametrize("language, other", [("en", "zh"), ("zh", "en")])
def test_the_report_page_keeps_the_folded_quiz_in_the_runs_language(tmp_path, language, other):
    """The page nbconvert writes (custseg.report.runner.to_html) keeps the quiz's <details> and its heading in the
    run's language only."""
    book = nbformat.read(BOOKS["05"], as_version=4)
    at = [c.get("id") for c in book.cells].index("05-quiz")
    nb = nbformat.v4.new_notebook(cells=book.cells[at:at + 3])
    nb.cells[2].outputs = [nbformat.v4.new_output("display_data", data={
        "text/html": quiz.to_html(quiz.questions("05", {}), language), "text/plain": "<quiz>"})]
    executed = tmp_path / "05.ipynb"
    nbformat.write(nb, executed)
    page = runner.to_html(executed, tmp_path / "05.html", {}, language).read_text(encoding="utf-8")
    parser, shown, folded = _text(page[page.index("<body"):])
    assert parser.questions == len(quiz.questions("05", {}))
    assert ("小测验" in shown) == (language == "zh") and ("Quiz" in shown) == (language == "en")
    q = quiz.questions("05", {})[0]
    assert _plain(q.explain[language]) in folded and _plain(q.explain[other]) not in shown + folded
