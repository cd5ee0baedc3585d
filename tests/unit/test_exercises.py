"""Exercises that check themselves (custseg.exercises): every check on small generated inputs — its solution
passes, a wrong answer fails with a message that says why, in English and 简体中文 — the run-facing helper
(unanswered, unavailable, answers of the wrong kind), and the notebooks' Exercises sections with the student
edition's contract."""

import ast
import math
import re

import nbformat
import pandas as pd
import pytest

from custseg import config, exercises, i18n, io
from custseg.exercises import checks
from custseg.exercises.feedback import Feedback, _BadAnswer
from custseg.report import languages, needs, runner

NOTEBOOKS = ["01_collect", "02_clean", "03_describe", "04_features", "05_cluster", "06_personas", "07_evaluate",
             "08_target", "09_measure"]
WRONG = {"en": "not correct yet", "zh": "还不对"}


def _frame(**columns):
    return pd.DataFrame(columns)


def _audit():
    rows = [("duplicate_customer", "uniqueness", 3, "quarantined", "customers", math.nan),
            ("test_account", "relevance", 1, "quarantined", "customers", math.nan),
            ("cancelled_order", "relevance", 40, "quarantined", "transactions", 500.0),
            ("bulk_outlier", "accuracy", 2, "quarantined", "transactions", 900.0),
            ("non_positive_price", "validity", 5, "quarantined", "transactions", -1000.0),
            ("return_netted", "netting", 80, "kept, netted against purchases", "transactions", -5000.0)]
    return pd.DataFrame(rows, columns=["rule", "dimension", "rows", "action", "table", "amount"])


def _totals():
    return _frame(source=["transactions", "customers"], rows=[100, 40], customers=[30, 38])


def _sweep():
    return _frame(k=[3, 4, 5], silhouette=[0.2, 0.3, 0.25], smallest_share=[0.2, 0.1, 0.05])


def _profile():
    return _frame(segment=["0", "1", "all"], customers=[80, 20, 100], share=[0.8, 0.2, 1.0],
                  value_share=[0.5, 0.5, 1.0], monetary=[200.0, 50.0, 100.0], age=[30.0, 40.0, 35.0],
                  factor_price=[0.5, -2.0, 0.001])


def _scorecard():
    return _frame(segment=[0, 1, 2], top_feature=["recency_days", "age", "monetary"], top_effect=[2.1, -0.4, 1.0],
                  verdict=["keep: meets every measured criterion", "review: not accessible",
                           "keep: meets every measured criterion (accessible not measured)"])


def _targeting():
    return _frame(segmentation=["clusters", "clusters", "rules"], segment=["0", "1", "0"], share=[0.3, 0.2, 0.5],
                  attractiveness=[0.4, 0.7, 0.9])


def _basket_rules(n=12):
    base = _frame(segment=["all customers"] * n, antecedent=[f"a{i}" for i in range(n)],
                  consequent=[f"c{i}" for i in range(n)], support=[0.12 - 0.01 * i for i in range(n)],
                  lift=[1.0 + 0.1 * i for i in range(n)])
    return pd.concat([base, _frame(segment=["0"], antecedent=["a0"], consequent=["c0"], support=[0.5], lift=[9.0])],
                     ignore_index=True)


def _services():
    return _frame(segment=["all customers"] * 3 + ["0"], antecedent=["StreamingTV", "StreamingMovies", "TechSupport",
                                                                     "TechSupport"],
                  consequent=["StreamingMovies", "StreamingTV", "OnlineBackup", "OnlineBackup"],
                  support=[0.2, 0.2, 0.1, 0.3], lift=[2.0, 2.0, 1.5, 3.0])


def _campaign():
    return _frame(segment=["0", "1", "all"], uplift=[0.05, -0.01, 0.02], uplift_low=[0.01, -0.05, -0.001],
                  uplift_high=[0.09, 0.03, 0.04])


# exercise id -> (inputs of its check, right answers, wrong answers, what a wrong answer's message must name)
CASES = {
    "01-missing": ({"validation": _frame(source=["transactions", "customers"], column=["amount", "gender"],
                                         rows=[100, 50], missing=[2, 5])}, [0.1, 0.099], [0.02, 5], "customers.gender"),
    "01-largest": ({"source_totals": _totals()}, ["transactions", "Transactions "], ["customers", "orders", 3],
                   "transactions"),
    "01-dupes": ({"source_totals": _totals()}, [2], [0, 38], "2"),
    "02-kept": ({"snapshot": {"customers_in": 200, "customers_kept": 190}}, [0.95, 0.951], [0.9, 95], "95.0%"),
    "02-dimension": ({"audit": _audit()}, ["uniqueness", " Uniqueness ", "唯一性"], ["validity", 3], "uniqueness"),
    "02-money": ({"audit": _audit()}, ["non_positive_price"], ["bulk_outlier", "return_netted", "nonsense"],
                 "non_positive_price"),
    "03-number": ({"medians": {"net_spend": 120.5, "tenure": 29.0}}, [("tenure", 29.1), ["net_spend", 120.5]],
                  [("tenure", 35), ("net spend", 120.5), 29], "tenure"),
    "03-pareto": ({"net_spend": pd.Series([100, 50, 30, 10, 10, 0, 0, 0, 0, -5], dtype="float64")}, [0.75],
                  [0.2, 75], "75.0%"),
    "03-label": ({"frequencies": {"plan": _frame(label=["basic", "gold", "(missing)"], customers=[6, 3, 1],
                                                 share=[0.6, 0.3, 0.1]),
                                  "city": _frame(label=["(missing)", "a", "b"], customers=[5, 3, 2],
                                                 share=[0.5, 0.3, 0.2])}, "missing": "(missing)"},
                 [("plan", 0.6), ("city", 0.3)], [("plan", 0.3), ("city", 0.5), ("tier", 0.6)], "basic"),
    "04-dimension": ({"groups": {"demographic": ["a", "b"], "geographic": ["c"], "psychographic": [],
                                 "behavioural": ["d", "e", "f"], "outcome": ["w", "x", "y", "z"]}},
                     ["behavioural", "Behavioral", "行为"], ["demographic", "outcome"], "behavioural"),
    "04-rfm": ({"rfm": _frame(rfm_segment=["Champions"] * 3 + ["Lost"] * 5)}, ["Lost", "lost"],
               ["Champions", "Sleepers"], "Lost"),
    "04-kinds": ({"attributes": _frame(column=["a", "b", "c"], kind=["binary", "binary", "numeric"])},
                 ["binary"], ["numeric", "ordinal"], "binary"),
    "05-k": ({"k_sweep": _sweep()}, [4, 4.0], [3, 9, "four"], "k=4"),
    "05-largest-k": ({"k_sweep": _sweep()}, [0.05], [0.2, 5], "cluster.k=5"),
    "05-smallest": ({"segments": _frame(segment=[0] * 6 + [1] * 3 + [2])}, [0.1], [0.3, 10], "10.0%"),
    "06-index": ({"profile_table": _profile()}, [(0, "monetary"), ("0", "monetary")],
                 [(1, "age"), (0, "factor_price"), (0, "tenure"), (5, "age")], "114"),
    "06-rule": ({"rules": {"rules": [{"segment": 0, "coverage": 0.9}, {"segment": 1, "coverage": 0.5},
                                     {"segment": 1, "coverage": 0.3}]}, "segments": ["0", "1", "2"]},
                [2, "2"], [1, 7], "2"),
    "06-value": ({"profile_table": _profile()}, [1], [0, "all"], "1"),
    "07-keep": ({"scorecard": _scorecard()}, [2], [3, 1.5], "`verdict`"),
    "07-weakest": ({"scorecard": _scorecard()}, [1], [2, 9], "0.4"),
    "07-rules": ({"evaluated": {"solution": {"mean_eta2": 0.3}, "rules": {"mean_eta2": 0.1}}},
                 ["clusters", "Clusters", "聚类"], ["rules", "both"], "0.3"),
    "07-outcome": ({"outcome_validation": _frame(outcome=["churn", "churn", "spend", "spend"], segment=[0, 1, 0, 1],
                                                 value=[0.1, 0.3, 500.0, 100.0])}, [1], [0, 4], "churn"),
    "08-attractive": ({"targeting": _targeting()}, [1], [0, "rules"], "0.7"),
    "08-targets": ({"targeting": _targeting(), "target": {"targets": [1], "strategy": "concentrated"}}, [0.2],
                   [0.5, 20], "20.0%"),
    "08-support": ({"basket_rules": _basket_rules()}, [0.03, 0.025, 0.0303], [0.01, 0.05], "0.03"),
    "08-services": ({"basket_rules": _services()}, [("StreamingTV", "StreamingMovies"), ("streamingmovies",
                                                                                          "StreamingTV")],
                    [("TechSupport", "OnlineBackup"), ("PhoneService", "StreamingTV")], "StreamingTV"),
    "09-low": ({"campaign": _campaign()}, [-0.001, -0.0012], [0.01, -0.1], "-0.1%"),
    "09-interval": ({"campaign": _campaign()}, [[0], ["0"], (0,)], [[], [0, 1], 0], "0"),
}


def test_every_exercise_has_a_case_and_a_message_in_both_languages():
    assert set(CASES) == set(exercises.EXERCISES)
    for language in ("en", "zh"):
        checks = i18n.messages(language)["exercises"]["checks"]
        assert set(checks) == set(exercises.EXERCISES), language
        assert all({"ok", "wrong"} <= set(checks[e]) for e in checks), language


@pytest.mark.parametrize("exercise_id", list(CASES))
def test_the_solution_passes_and_a_wrong_answer_says_why_in_both_languages(exercise_id):
    inputs, right, wrong, named = CASES[exercise_id]
    check = exercises.EXERCISES[exercise_id].check
    for answer in right:
        feedback = check(answer, **inputs)
        assert feedback.correct, (answer, feedback.message("en"))
        for language in ("en", "zh"):
            text = feedback.message(language)
            assert exercise_id in text and "{" not in text and WRONG[language] not in text
    for answer in wrong:
        feedback = _checked(exercise_id, answer, inputs)
        assert feedback.status == "wrong", (answer, feedback.message("en"))
        en, zh = feedback.message("en"), feedback.message("zh")
        assert WRONG["en"] in en and WRONG["zh"] in zh
        assert "{" not in en and "{" not in zh
        assert re.search(r"[\u4e00-\u9fff]", zh) and zh != en
        # says why: names what the right answer is (or what the choices are), never only "wrong"
        assert len(en.split(WRONG["en"], 1)[1].strip()) > 20
    first_wrong = _checked(exercise_id, wrong[0], inputs)
    assert named in first_wrong.message("en") and named in first_wrong.message("zh"), first_wrong.message("en")


def _checked(exercise_id, answer, inputs):
    """The check of ``exercise_id`` as :func:`custseg.exercises.evaluate` runs it (answers of the wrong kind are
    feedback, not errors), on ``inputs`` instead of a run's artefacts."""
    try:
        return exercises.EXERCISES[exercise_id].check(answer, **inputs)
    except _BadAnswer as err:
        return Feedback(exercise_id, "wrong", "bad_answer", {"kind": err.expected, "answer": repr(answer)})


def test_a_share_given_as_a_percentage_is_named_as_such():
    feedback = checks.check_02_kept(95, {"customers_in": 200, "customers_kept": 190})
    assert feedback.status == "wrong" and feedback.key == "as_fraction"
    assert "0.95" in feedback.message("en") and "0.95" in feedback.message("zh")


def test_the_rule_that_moves_the_most_money_is_compared_by_absolute_amount():
    """A rule that quarantines −1,000 moves more money than one that quarantines +900; a kept rule (netting) is no
    rule to switch off."""
    assert checks.check_02_money("non_positive_price", _audit()).correct
    text = checks.check_02_money("bulk_outlier", _audit()).message("en")
    assert "-1,000" in text and "900" in text


def test_min_support_too_high_keeps_fewer_rules_than_asked_and_fewer_rules_than_ten_are_all_kept():
    too_high = checks.check_08_support(0.05, _basket_rules())
    assert too_high.key == "too_high" and "only 8 of the 12" in too_high.message("en")
    few = _basket_rules(4)  # supports 0.12, 0.11, 0.10, 0.09: keeping all four allows at most 0.09
    assert checks.check_08_support(0.09, few).correct
    assert not checks.check_08_support(0.1, few).correct


def test_an_interval_that_includes_zero_says_so():
    text = checks.check_09_low(-0.001, _campaign()).message("en")
    assert "includes zero" in text and "no clear effect" in text
    assert "包含零" in checks.check_09_low(-0.001, _campaign()).message("zh")


def _paths(tmp_path, language="en"):
    cfg = config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml")
    cfg["paths"]["workdir"], cfg["run"], cfg["language"] = str(tmp_path), "ex", language
    return cfg, io.run_paths(cfg).make()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_an_unanswered_exercise_says_so_and_never_raises(tmp_path, capsys, language):
    cfg, paths = _paths(tmp_path, language)
    for exercise_id in exercises.EXERCISES:
        feedback = exercises.check(exercise_id, ..., cfg, paths)
        assert feedback.status == "not_answered" and not feedback.correct
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(exercises.EXERCISES)
    assert all(("not answered yet" if language == "en" else "尚未作答") in line for line in printed)


def test_a_run_without_what_a_check_reads_says_what_is_missing_and_what_brings_it(tmp_path, capsys):
    cfg, paths = _paths(tmp_path)
    k = exercises.check("05-k", 4, cfg, paths)  # no k sweep: cluster.k was set, or 05 has not run
    assert k.status == "unavailable" and "k_sweep.csv" in k.message("en") and "cluster.k" in k.message("en")
    assert "cluster.k" in k.message("zh") and "k_sweep.csv" in k.message("zh")
    money = exercises.check("02-money", "bulk_outlier", cfg, paths)  # the run has no log (nothing collected yet)
    assert money.status == "unavailable"
    assert "a transaction log" in money.message("en") and "sources.transactions" in money.message("en")
    assert "交易流水" in money.message("zh")
    assert "this run cannot check it" in capsys.readouterr().out


def test_an_answer_of_the_wrong_kind_is_feedback_not_an_error(tmp_path):
    cfg, paths = _paths(tmp_path)
    io.write(paths, "k_sweep", _sweep())
    for answer, kind in (("four", "a whole number"), (None, "a whole number"), (4.5, "a whole number")):
        feedback = exercises.evaluate("05-k", answer, cfg, paths)
        assert feedback.status == "wrong" and kind in feedback.message("en"), feedback.message("en")
    assert exercises.evaluate("05-k", 4, cfg, paths).correct  # read from the run's artefact


def test_a_check_that_fails_on_unforeseen_data_says_so_and_never_raises(tmp_path):
    cfg, paths = _paths(tmp_path)
    io.write(paths, "k_sweep", _frame(k=[3, 4], inertia=[2.0, 1.0]))  # a sweep without a silhouette column
    feedback = exercises.evaluate("05-k", 4, cfg, paths)
    assert feedback.status == "unavailable" and "KeyError" in feedback.message("en")
    assert "silhouette" in feedback.message("zh") and "报告" in feedback.message("zh")


def test_the_student_edition_replaces_each_solution_region_by_one_line():
    source = ("x = 1\n### BEGIN SOLUTION\nv = table\nanswer = v.max()\n### END SOLUTION\n"
              'exercises.check("05-k", answer, cfg, paths)')
    student = exercises.student_source(source)
    assert student == f'x = 1\n{exercises.STUDENT_LINE}\nexercises.check("05-k", answer, cfg, paths)'
    assert exercises.student_source(student) == student


def _cells(stem):
    return nbformat.read(runner.NOTEBOOK_DIR / f"{stem}.ipynb", as_version=4).cells


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_every_notebook_has_an_exercises_section_then_its_quiz_before_its_references(stem):
    cells = _cells(stem)
    ids = [c.get("id", "") for c in cells]
    nn = stem[:2]
    english = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and languages.TAGS["en"] in c.metadata.get(
        "tags", [])]
    start = next(i for i in english if cells[i].source.split("\n\n")[-1].startswith("Each exercise checks itself")
                 or needs.heading(cells[i].source) == "Exercises")
    refs = next(i for i in english if needs.heading(cells[i].source) == "References")
    after = next(i for i in english if i > start and needs.heading(cells[i].source) in ("Quiz", "References"))
    assert needs.heading(cells[start].source) == "Exercises" and needs.heading(cells[start + 1].source) == "练习"
    assert all(re.fullmatch(rf"{nn}-ex-[a-z0-9-]+", ids[i]) for i in range(start, after)), ids[start:after]
    assert after == max(i for i, c in enumerate(ids) if c.startswith(f"{nn}-ex-")) + 1, "Exercises, then Quiz"
    assert after == refs or all(ids[i].startswith(f"{nn}-quiz") for i in range(after, refs)), "Quiz, then References"
    checks = [c for c in cells if c.cell_type == "code" and "exercises.check(" in c.source]
    found = [re.search(r'exercises\.check\("([^"]+)"', c.source).group(1) for c in checks]
    assert len(found) >= 2 and len(found) == len(set(found))
    assert found == [e.id for e in exercises.of_notebook(stem)], "each exercise of the notebook, once, in order"
    for cell, exercise_id in zip(checks, found, strict=True):
        exercise = exercises.EXERCISES[exercise_id]
        assert exercise.notebook == stem
        task = cells[cells.index(cell) - 2]
        assert f"Exercise {exercise_id}" in task.source and f"练习 {exercise_id}" in cells[cells.index(cell) - 1].source
        for c in (task, cells[cells.index(cell) - 1], cell):  # every cell of the exercise: the needs of its data
            assert needs.tags_of(c) == list(exercise.needs), (c.id, needs.tags_of(c), exercise.needs)
        assert cell.id == f"{nn}-ex-{exercise_id.split('-', 1)[1]}-check"


@pytest.mark.parametrize("stem", [*NOTEBOOKS, "TEMPLATE"])
def test_each_solution_region_ends_by_assigning_answer_and_the_student_edition_still_runs_the_check(stem):
    for cell in [c for c in _cells(stem) if c.cell_type == "code" and exercises.BEGIN in c.source]:
        lines = cell.source.splitlines()
        begin, end = lines.index(exercises.BEGIN), lines.index(exercises.END)
        region = ast.parse("\n".join(lines[begin + 1:end]))
        last = region.body[-1]
        assert isinstance(last, ast.Assign) and [t.id for t in last.targets] == ["answer"], cell.id
        student = exercises.student_source(cell.source)
        assert exercises.BEGIN not in student and exercises.STUDENT_LINE in student
        assert "exercises.check(" in student.splitlines()[-1]
        compile(student, cell.id, "exec")


def _meets(shape: str) -> set[str]:
    """The needs a run of a shape's shipped example meets: its data needs (custseg.report.needs.SHAPES, checked on
    each example's run in e2e) and the option needs its config sets."""
    cfg = config.load(config.PROJECT_ROOT / "configs" / f"{needs.SHAPES[shape].example}.yaml")
    options = {"needs-outcomes": bool(cfg["outcomes"]), "needs-campaign": bool(cfg["sources"].get("campaign")),
               "needs-rule-segments": bool((cfg.get("rule_segments") or {}).get("segments"))}
    return set(needs.SHAPES[shape].meets) | {tag for tag, on in options.items() if on}


@pytest.mark.parametrize("shape", list(needs.SHAPES))
def test_every_page_keeps_two_or_three_exercises_on_every_shape(shape):
    met = _meets(shape)
    for stem in NOTEBOOKS:
        shown = [e.id for e in exercises.of_notebook(stem) if set(e.needs) <= met]
        if stem == "09_measure" and "needs-campaign" not in met:
            assert shown == [], "09 measures a campaign: without one its page (and its exercises) is left out"
            continue
        assert 2 <= len(shown) <= 3, (shape, stem, shown)
