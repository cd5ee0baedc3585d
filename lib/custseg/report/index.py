"""The run's index page (``reports/<run>/index.html``): an executive summary of the run, links to every step
and its figures, and the headline blocks the notebooks leave for it."""

from __future__ import annotations

from custseg import i18n, io, personas, pipeline
from custseg.report import figures, history, recap


def headlines(paths: io.RunPaths, records: dict | None = None, language: str = "en") -> list[dict]:
    """The headline blocks notebooks leave in ``reports/<run>/headlines/<notebook>.json`` for the index page.

    A generic hook: a notebook writes ``{"title", "text", "items": [{"label", "value"}], "table": [{col: value}]}``
    (every key optional) and its numbers appear on the index (``headline.html.j2``) without the page knowing it.

    Parameters
    ----------
    paths : RunPaths
        The run's folders.
    records : dict, optional
        The run's stage records (stage → metrics, :func:`custseg.pipeline.metrics`): each block of a stage gets
        ``did``, what the stage did in this run (:func:`custseg.report.recap.sentences`, as HTML).
    language : {'en', 'zh'}

    Returns
    -------
    list of dict
        The blocks in notebook order, each with its notebook's name as ``stem``.
    """
    blocks = [{**io.read_json(path), "stem": path.stem}
              for path in sorted((paths.reports / "headlines").glob("*.json"))]
    if records is not None:
        for block in blocks:
            if block["stem"] in recap.WRITERS:
                block["did"] = [recap.as_html(s) for s in recap.sentences(block["stem"], records, language)]
    return blocks


def summary(paths: io.RunPaths) -> dict:
    """What the index page and run.json need from the stage artefacts.

    Parameters
    ----------
    paths : RunPaths
        The run's folders, its stages done.

    Returns
    -------
    dict
        ``snapshot`` (date; None when nothing was measured to it), ``counts`` (customers and lines in, kept,
        quarantined, segmented), ``cluster``,
        ``cards`` (the persona cards) and ``rules`` (None without them).
    """
    snapshot, collected = io.read(paths, "snapshot"), io.read(paths, "collect_counts")
    cards = pipeline.report_cards(paths)
    counts = {"customers_in": collected["customers"], "customers_kept": snapshot["customers_kept"],
              "lines_in": snapshot["lines_in"], "lines_kept": snapshot["lines_kept"],
              "lines_quarantined": snapshot["lines_quarantined"],
              "customers_segmented": sum(c["customers"] for c in cards), "row_ids": collected.get("row_ids", False)}
    dated = snapshot.get("dated", True)  # a customer table without dates has no snapshot date to show
    return {"snapshot": snapshot["snapshot_date"] if dated else None, "counts": counts,
            "cluster": io.read(paths, "cluster"),
            "cards": cards, "rules": io.read_optional(paths, "rules")}


def render(cfg: dict, paths: io.RunPaths, stems: list[str], summary: dict, overview: str | None = None) -> str:
    """The run's index page in the config's language: executive summary (segments table, share-of-spend
    chart, persona cards), links to every step with what it did in this run (from its stage record) and the
    figures with their titles and alt text.

    Parameters
    ----------
    cfg : dict
        The run's resolved config.
    paths : RunPaths
        The run's folders (the figures and headlines are read from its report folder).
    stems : list of str
        The notebooks of the run (``01_collect`` …), in order.
    summary : dict
        From :func:`summary`.
    overview : str, optional
        The course overview's page (``00_overview``): linked first, with the glossary page (``glossary.html``).

    Returns
    -------
    str
        The page's HTML.
    """
    from custseg import plots

    language = cfg["language"]
    names = i18n.messages(language)["ui"]["step_names"]
    steps = [(s, names.get(s.split("_", 1)[1], s.split("_", 1)[1].replace("_", " ").capitalize())) for s in stems]
    colors = plots.segment_colors()
    cards = summary["cards"]
    records = pipeline.metrics(paths)
    blocks = headlines(paths, records, language)
    shown = {b["stem"] for b in blocks}  # a step with a block says what it did there
    did = {stem: [recap.as_html(s) for s in recap.sentences(stem, records, language)] for stem, _ in steps
           if stem in recap.WRITERS and stem not in shown}
    return i18n.render(
        "index.html.j2", language, cfg=cfg, steps=steps, overview=overview,
        course=i18n.messages(language)["course"], colors=colors, history_page=history.page_name(cfg),
        figures=[figures.figure_info(p) for p in sorted(paths.figures.glob("*.png"))], headlines=blocks, did=did,
        cards_html=[personas.render(c, "html", colors[c["segment"] % len(colors)]) for c in cards],
        scale=max([c["value_share"] or 0 for c in cards] + [c["share"] for c in cards] + [1e-9]),
        chart_alt=i18n.messages(language)["list_sep"].join(f"{c['name']} {i18n.percent(c['value_share'] or 0)}"
                                                           for c in cards), **summary)
