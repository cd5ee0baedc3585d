"""Exercises that check themselves: each notebook's ``## Exercises`` section, and the checks behind it.

Every exercise has an id (``"05-k"``), the notebook it belongs to, the ``needs-…`` tags of the data it relies on
(the same tags as the prose it practises, :mod:`custseg.report.needs`), the artefacts its check reads and a pure
check function ``check(answer, **inputs) -> Feedback``. The expected answer is always computed from the run's own
artefacts (the numbers the page shows), never written down, so an exercise is right on every shape of data. The
notebook calls :func:`check`, which loads the inputs through :mod:`custseg.io`, prints the feedback in the run's
language (the ``exercises:`` block of ``templates/{en,zh}/messages.yaml``) and returns it; it never raises, so a
student's notebook runs from top to bottom.

The cells of an exercise (ids ``NN-ex-…``, the 简体中文 twins ``…-zh``): a prose cell with the task (English,
then its twin) and a code cell::

    ### BEGIN SOLUTION
    answer = ...  # the computation a student would write, with what the page already loaded
    ### END SOLUTION
    exercises.check("05-k", answer, cfg, paths)

**The student edition's contract** (``make student``, built by the course's student-edition writer): every region
from a line ``### BEGIN SOLUTION`` to a line ``### END SOLUTION`` (markers included) is replaced by the single line
:data:`STUDENT_LINE` (``answer = ...  # your answer / 你的答案``). So each solution region ends by assigning
``answer``, the rest of the cell (the check) stays, and :func:`check` treats ``...`` (Ellipsis) as "not answered
yet" (:func:`student_source` is that replacement, for the writer and the tests).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from custseg import i18n, io
from custseg.exercises import checks
from custseg.exercises.feedback import Feedback, _BadAnswer

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUDENT_LINE = "answer = ...  # your answer / 你的答案"
_REGION = re.compile(rf"^([ \t]*){re.escape(BEGIN)}[ \t]*\n.*?^[ \t]*{re.escape(END)}[ \t]*$", re.M | re.S)


def student_source(source: str) -> str:
    """A code cell as the student edition shows it: each solution region replaced by :data:`STUDENT_LINE` (kept at
    the region's indentation)."""
    return _REGION.sub(lambda m: m.group(1) + STUDENT_LINE, source)


@dataclass(frozen=True)
class Exercise:
    """One exercise: its notebook, the ``needs-…`` tags of its cells, the artefacts its check reads and how."""

    id: str
    notebook: str
    needs: tuple[str, ...]
    reads: tuple[str, ...]
    check: Callable[..., Feedback]
    load: Callable[[dict, io.RunPaths], dict]


def _artefacts(**names: str) -> Callable[[dict, io.RunPaths], dict]:
    """A loader giving each keyword the artefact it names."""
    return lambda cfg, paths: {key: io.read(paths, name) for key, name in names.items()}


def _per_customer(paths: io.RunPaths):
    from custseg import describe, engine

    return describe.per_customer(io.read(paths, "transactions", engine.connect()))


def _customer_table(cfg: dict, paths: io.RunPaths):
    from custseg import describe
    from custseg.pipeline.registry import has_log

    missing = i18n.messages(cfg["language"])["describe"]["missing"]
    return describe.customer_table(io.read(paths, "customers"), cfg["attributes"], None, cfg["value_column"],
                                   has_log(cfg), missing=missing), missing


def _load_03_number(cfg: dict, paths: io.RunPaths) -> dict:
    from custseg import describe
    from custseg.pipeline.registry import has_log

    table, _ = _customer_table(cfg, paths)
    medians = {} if table.summary.empty else table.summary["50%"].to_dict()
    if has_log(cfg):
        medians.update(describe.numeric_summary(_per_customer(paths))["50%"].to_dict())
    return {"medians": medians}


def _load_03_label(cfg: dict, paths: io.RunPaths) -> dict:
    table, missing = _customer_table(cfg, paths)
    return {"frequencies": table.frequencies, "missing": missing}


def _load_04_dimension(cfg: dict, paths: io.RunPaths) -> dict:
    from custseg import features

    items = features.likert_columns(io.read(paths, "attributes"))
    return {"groups": features.feature_groups(io.read(paths, "features"), list(cfg["outcomes"] or []), items)}


def _load_06_rule(cfg: dict, paths: io.RunPaths) -> dict:
    prof = io.read(paths, "profile")
    return {"rules": io.read(paths, "rules"), "segments": [s for s in prof["segment"].astype("str") if s != "all"]}


EXERCISES: dict[str, Exercise] = {e.id: e for e in (
    Exercise("01-missing", "01_collect", (), ("validation",), checks.check_01_missing,
             _artefacts(validation="validation")),
    Exercise("01-largest", "01_collect", (), ("source_totals",), checks.check_01_largest,
             _artefacts(source_totals="source_totals")),
    Exercise("01-dupes", "01_collect", ("needs-crm",), ("source_totals",), checks.check_01_dupes,
             _artefacts(source_totals="source_totals")),
    Exercise("02-kept", "02_clean", (), ("snapshot",), checks.check_02_kept, _artefacts(snapshot="snapshot")),
    Exercise("02-dimension", "02_clean", (), ("audit",), checks.check_02_dimension, _artefacts(audit="audit")),
    Exercise("02-money", "02_clean", ("needs-log",), ("audit",), checks.check_02_money, _artefacts(audit="audit")),
    Exercise("03-number", "03_describe", (), ("customers", "transactions"), checks.check_03_number, _load_03_number),
    Exercise("03-pareto", "03_describe", ("needs-log",), ("transactions",), checks.check_03_pareto,
             lambda cfg, paths: {"net_spend": _per_customer(paths)["net_spend"]}),
    Exercise("03-label", "03_describe", ("needs-attributes",), ("customers",), checks.check_03_label, _load_03_label),
    Exercise("04-dimension", "04_features", (), ("features",), checks.check_04_dimension, _load_04_dimension),
    Exercise("04-rfm", "04_features", ("needs-log",), ("rfm",), checks.check_04_rfm, _artefacts(rfm="rfm")),
    Exercise("04-kinds", "04_features", ("needs-attributes",), ("attributes",), checks.check_04_kinds,
             _artefacts(attributes="attributes")),
    Exercise("05-k", "05_cluster", (), ("k_sweep",), checks.check_05_k, _artefacts(k_sweep="k_sweep")),
    Exercise("05-largest-k", "05_cluster", (), ("k_sweep",), checks.check_05_largest_k, _artefacts(k_sweep="k_sweep")),
    Exercise("05-smallest", "05_cluster", (), ("segments",), checks.check_05_smallest, _artefacts(segments="segments")),
    Exercise("06-index", "06_personas", (), ("profile",), checks.check_06_index, _artefacts(profile_table="profile")),
    Exercise("06-rule", "06_personas", (), ("rules", "profile"), checks.check_06_rule, _load_06_rule),
    Exercise("06-value", "06_personas", ("needs-value",), ("profile",), checks.check_06_value,
             _artefacts(profile_table="profile")),
    Exercise("07-keep", "07_evaluate", (), ("scorecard",), checks.check_07_keep, _artefacts(scorecard="scorecard")),
    Exercise("07-weakest", "07_evaluate", (), ("scorecard",), checks.check_07_weakest,
             _artefacts(scorecard="scorecard")),
    Exercise("07-rules", "07_evaluate", ("needs-rule-segments",), ("evaluate",), checks.check_07_rules,
             _artefacts(evaluated="evaluate")),
    Exercise("07-outcome", "07_evaluate", ("needs-outcomes",), ("outcome_validation",), checks.check_07_outcome,
             _artefacts(outcome_validation="outcome_validation")),
    Exercise("08-attractive", "08_target", (), ("targeting",), checks.check_08_attractive,
             _artefacts(targeting="targeting")),
    Exercise("08-targets", "08_target", (), ("targeting", "target"), checks.check_08_targets,
             _artefacts(targeting="targeting", target="target")),
    Exercise("08-support", "08_target", ("needs-baskets",), ("basket_rules",), checks.check_08_support,
             _artefacts(basket_rules="basket_rules")),
    Exercise("08-services", "08_target", ("needs-services",), ("basket_rules",), checks.check_08_services,
             _artefacts(basket_rules="basket_rules")),
    Exercise("09-low", "09_measure", ("needs-campaign",), ("campaign_results",), checks.check_09_low,
             _artefacts(campaign="campaign_results")),
    Exercise("09-interval", "09_measure", ("needs-campaign",), ("campaign_results",), checks.check_09_interval,
             _artefacts(campaign="campaign_results")),
)}


def of_notebook(notebook: str) -> list[Exercise]:
    """The exercises of a notebook (``"05_cluster"``), in their order."""
    return [e for e in EXERCISES.values() if e.notebook == notebook]


def evaluate(exercise_id: str, answer, cfg: dict, paths: io.RunPaths) -> Feedback:
    """The feedback on ``answer`` to exercise ``exercise_id`` of this run, without printing it; never raises for
    an answer or a run (an unknown id is a programming error: KeyError)."""
    exercise = EXERCISES[exercise_id]
    if answer is ...:
        return Feedback(exercise_id, "not_answered", "not_answered")
    if exercise.needs:
        from custseg.report import needs

        met = needs.met(cfg, paths)
        unmet = [t for t in exercise.needs if not met.get(t, False)]
        if unmet:
            return Feedback(exercise_id, "unavailable", "needs", {"tags": unmet})
    missing = [name for name in exercise.reads if not io.exists(paths, name)]
    if missing:
        return Feedback(exercise_id, "unavailable", "unavailable", {"files": [io.ARTEFACTS[n].file for n in missing]})
    try:
        return exercise.check(answer, **exercise.load(cfg, paths))
    except _BadAnswer as err:
        return Feedback(exercise_id, "wrong", "bad_answer", {"kind": err.expected, "answer": repr(answer)[:80]})
    except Exception as err:  # data the check did not foresee: say so, and let the student's notebook go on
        return Feedback(exercise_id, "unavailable", "failed", {"error": f"{type(err).__name__}: {err}"[:200]})


def check(exercise_id: str, answer, cfg: dict, paths: io.RunPaths) -> Feedback:
    """Check a student's answer against this run's artefacts, print the feedback in the run's language
    (``cfg["language"]``) and return it.

    Parameters
    ----------
    exercise_id : str
        The exercise (a key of :data:`EXERCISES`, e.g. ``"05-k"``).
    answer : object
        The answer; ``...`` (Ellipsis, what the student edition starts with) is "not answered yet".
    cfg : dict
        The run's config (from the notebook's setup cell).
    paths : io.RunPaths
        The run's folders.

    Returns
    -------
    Feedback
        Correct or not, and why (:meth:`Feedback.message`).
    """
    feedback = evaluate(exercise_id, answer, cfg, paths)
    print(feedback.message(cfg["language"]))
    return feedback
