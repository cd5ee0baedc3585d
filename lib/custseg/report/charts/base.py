"""What every notebook's figures share: how a figure is declared, made and saved, and the "left out" sentences
a notebook prints when the data lacks what a step needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from custseg import i18n
from custseg.io import RunPaths
from custseg.report.figures import save_figure


def left_out(stage: str, gap: str = "log", language: str = "en") -> str:
    """The sentence a notebook prints where the data lacks what a step needs (the catalogue's
    ``printed.left_out``).

    Parameters
    ----------
    stage : str
        The notebook's stage, e.g. ``"03_describe"``.
    gap : str
        What is missing: ``"log"`` (no transaction log), or a column of 03 (``"city_tier"``, ``"gender"``,
        ``"channel"``, ``"category"``, ``"channel_category"``).
    language : {'en', 'zh'}

    Returns
    -------
    str
        E.g. "No transaction log: spend, orders, channels and categories are left out."
    """
    return i18n.messages(language)["printed"]["left_out"][stage][gap]


LEFT_OUT = i18n.messages("en")["printed"]["left_out"]  # stage -> kind of gap -> the sentence (in English)


@dataclass(frozen=True)
class Chart:
    """One figure of a notebook.

    ``draw(result)`` makes it from the stage's result: a matplotlib figure, None when the data lacks what it
    needs, or (a figure per outcome, say) a dict of file name → figure. ``alt(result)``, when given, is its alt
    text; by default the title and axis labels (:func:`custseg.report.figures.describe_figure`).
    """

    draw: Callable
    alt: Callable | None = None


def make(charts: dict[str, Chart], result, paths: RunPaths, names: tuple[str, ...] = (),
         close: bool = False) -> list[Path]:
    """Make and save the figures ``names`` (all when empty; ``*`` patterns allowed) of ``charts``.

    Parameters
    ----------
    charts : dict
        File name (without ``.png``) → :class:`Chart`.
    result : SimpleNamespace
        What the stage function returned.
    paths : RunPaths
        The run's folders (the PNGs go to ``paths.figures``).
    names : tuple of str
        Which figures; a name that matches none of ``charts`` is an error (a typo in a notebook).
    close : bool
        Only save each figure (in-process runs and tests); without it each saved PNG is also shown (a notebook
        shows the file it wrote, not a second drawing of the figure).

    Returns
    -------
    list of Path
        The PNGs written (figures the data does not allow are skipped).
    """
    import matplotlib.pyplot as plt

    unknown = [n for n in names if not any(fnmatch(key, n) for key in charts)]
    if unknown:
        raise KeyError(f"no figure {', '.join(unknown)}; known: {', '.join(charts)}")
    written = []
    for key, chart in charts.items():
        if names and not any(fnmatch(key, n) for n in names):
            continue
        drawn = chart.draw(result)
        for name, fig in (drawn.items() if isinstance(drawn, dict) else [(key, drawn)]):
            if fig is None:
                continue
            written.append(save_figure(fig, paths, name, chart.alt(result) if chart.alt else None))
            if not close:  # a notebook shows the PNG just written: drawing the figure again would double its cost
                from IPython.display import Image, display

                display(Image(filename=str(written[-1])))
            plt.close(fig)
    return written


def for_notebook(stage: str, function: str, charts: dict[str, Chart]) -> Callable:
    """The function that makes and saves the figures of one notebook, named as the stage's function in
    :mod:`custseg.pipeline` (``pipeline.describe(cfg, paths)`` → ``charts.describe(result, paths)``)."""

    def figures(result, paths: RunPaths, *names: str, close: bool = False) -> list[Path]:
        return make(charts, result, paths, names, close)

    figures.__name__ = figures.__qualname__ = function
    figures.charts = charts
    figures.__doc__ = f"""Make and save the figures of {stage} from its stage's result.

    Parameters
    ----------
    result : SimpleNamespace
        What ``pipeline.{function}(cfg, paths)`` returned.
    paths : RunPaths
        The run's folders.
    *names : str
        Which figures (file names without ``.png``, ``*`` patterns allowed): {", ".join(charts)}. All by default.
    close : bool
        Only save each figure (in-process runs and tests); without it each saved PNG is also shown.

    Returns
    -------
    list of Path
        The PNGs written in ``paths.figures``; a figure the data does not allow is left out.
    """
    return figures
