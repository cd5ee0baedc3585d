"""The figures of the notebooks that judge and use the segments: 07_evaluate, 08_target and 09_measure.

Each function takes what the notebook's stage function returned (``pipeline.evaluate(cfg, paths)``, say) and
returns a matplotlib figure, or None when the run lacks what the figure needs."""

from __future__ import annotations

from custseg import i18n, plots
from custseg.report.charts.base import Chart, for_notebook


def _text(result, name: str):
    """The words of figure ``name`` in the run's language (the catalogue's ``charts``)."""
    return i18n.messages(result.language)["charts"][name]


def rule_segments_index(result):
    """07 · The rule segments' profile: index vs the whole base (None without rule segments)."""
    if result.rules is None:
        return None
    text = _text(result, "rule_index")
    heat = result.rules.index.T
    if result.language != "en":
        heat.index = [i18n.header(c, result.language) for c in heat.index]
    return plots.index_heatmap(heat, text["title"], xlabel=text["x"])


def predictive_validation(result):
    """07 · Holdout outcomes explained by each segmentation, eta² (None without a holdout comparison)."""
    if not len(result.comparison):
        return None
    text = _text(result, "validation")
    fig = plots.heatmap(i18n.shown(result.eta, result.language, words=True), text["title"], fmt=".3f",
                        center=None, cmap="Blues")
    fig.axes[0].set_xlabel(text["x"])
    fig.axes[0].set_ylabel("")
    return fig


def predictive_validation_alt(result) -> str:
    """The alt text of :func:`predictive_validation`: every method's eta² per outcome."""
    lang = result.language
    return _text(result, "validation")["alt"].format(items="; ".join(
        f"{i18n.word(m, lang)}: " + ", ".join(f"{i18n.header(o, lang)} {v:.3f}" for o, v in row.items())
        for m, row in result.eta.iterrows()))


def outcomes(result) -> dict:
    """07 · One figure per judged outcome column: each segment's mean or rate with its interval.

    Returns
    -------
    dict
        ``07_outcome_<outcome>`` → figure (empty without outcome columns).
    """
    return {f"07_outcome_{row.outcome}": plots.intervals(result.outcomes[result.outcomes["outcome"] == row.outcome],
                                                         row.outcome, row.base, rate=row.kind == "rate",
                                                         language=result.language)
            for row in result.outcome_summary.itertuples()}


def transitions(result):
    """07 · Segment moves from the snapshot to the later one (None without ``evaluate.later_snapshot``)."""
    m = result.migration
    if m is None:
        return None
    return plots.transitions(m.matrix, _text(result, "transitions").format(snapshot=result.snapshot, later=m.later))


def drift(result):
    """07 · Feature drift per segment (PSI) to the later snapshot (None without one)."""
    m = result.migration
    if m is None:
        return None
    return plots.drift(m.drifted, _text(result, "drift").format(snapshot=result.snapshot, later=m.later))


def baseline_transitions(result):
    """07 · Segment moves from a baseline run to this one (None without ``--baseline``)."""
    a = result.against
    if a is None:
        return None
    return plots.transitions(a.matrix, _text(result, "baseline_transitions").format(run=a.summary["run"]))


def baseline_drift(result):
    """07 · Feature drift against a baseline run (None without ``--baseline``)."""
    a = result.against
    return None if a is None else plots.drift(a.drifted, _text(result, "baseline_drift").format(run=a.summary["run"]))


def targeting(result):
    """08 · Each segment's attractiveness against its reach, the targets marked."""
    return plots.targeting(result.tables["clusters"], result.choice["targets"], criteria=result.criteria_short,
                           language=result.language)


def targeting_alt(result) -> str:
    """The alt text of :func:`targeting`: each segment's score and reach."""
    text = _text(result, "targeting_alt")
    return text["text"].format(items="; ".join(
        text["item"].format(segment=r.segment, name=r.name, score=f"{r.attractiveness:.2f}",
                            reach=text["not_measured"] if r.reach != r.reach else f"{r.reach:.0%}")
        for r in result.tables["clusters"].itertuples()))


def uplift(result):
    """09 · Uplift of the response rate per segment with its interval (None without a campaign)."""
    return None if result.table is None else plots.uplift(result.table, language=result.language)


def uplift_alt(result) -> str:
    """The alt text of :func:`uplift`: each segment's uplift and interval."""
    return _text(result, "uplift_alt").format(items="; ".join(
        f"{r.segment}: {r.uplift:+.1%} [{r.uplift_low:+.1%}, {r.uplift_high:+.1%}]" for r in result.table.itertuples()))


evaluate = for_notebook("07_evaluate", "evaluate", {
    "07_rule_segments_index": Chart(rule_segments_index),
    "07_predictive_validation": Chart(predictive_validation, predictive_validation_alt),
    "07_outcome_*": Chart(outcomes), "07_transitions": Chart(transitions), "07_drift": Chart(drift),
    "07_baseline_transitions": Chart(baseline_transitions), "07_baseline_drift": Chart(baseline_drift)})
target = for_notebook("08_target", "target", {"08_targeting": Chart(targeting, targeting_alt)})
measure = for_notebook("09_measure", "measure", {"09_uplift": Chart(uplift, uplift_alt)})
