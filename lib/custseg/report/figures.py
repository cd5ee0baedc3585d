"""The run's figures: a PNG in ``reports/<run>/figures/`` carries its title and alt text as metadata, which the
index page shows as caption and alt text; a page that must stand alone (the history page) embeds its figures.

The notebooks save every figure with :func:`save_figure`.
"""

from __future__ import annotations

import base64
import io as stdio
from pathlib import Path

from custseg.io import RunPaths

DPI = 110


def describe_figure(fig) -> tuple[str, str]:
    """A figure's title and alt text, from the figure itself.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.

    Returns
    -------
    title : str
        The suptitle, else the first axes title.
    alt : str
        The title plus the first labelled axes' x and y labels.
    """
    axes = [ax for ax in fig.axes if ax.get_title() or ax.get_xlabel() or ax.get_ylabel()]
    title = fig.get_suptitle() or next((ax.get_title() for ax in axes if ax.get_title()), "")
    labels = [f"x: {ax.get_xlabel()}" if ax.get_xlabel() else "" for ax in axes[:1]]
    labels += [f"y: {ax.get_ylabel()}" if ax.get_ylabel() else "" for ax in axes[:1]]
    return title, "; ".join(x for x in [title, *labels] if x)


def save_figure(fig, paths: RunPaths, name: str, alt: str | None = None) -> Path:
    """Save a matplotlib figure as ``figures/<name>.png`` of the run.

    The PNG carries the figure's title and an alt text as metadata, which the report's index page shows as
    caption and alt text (see :func:`figure_info`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    paths : RunPaths
        The run's folders.
    name : str
        The file name without ``.png`` (``NN_what``: the notebook's number first).
    alt : str, optional
        The alt text; by default the title and axis labels (:func:`describe_figure`).

    Returns
    -------
    Path
        The PNG written.
    """
    paths.figures.mkdir(parents=True, exist_ok=True)
    path = paths.figures / f"{name}.png"
    title, described = describe_figure(fig)
    fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Title": title, "Description": alt or described})
    return path


def figure_data_uri(fig) -> str:
    """A figure as a PNG data URI, for a page that must stand alone (the history page).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        What to embed. It is closed once encoded: it was drawn for the page only, and a run draws
        many figures.

    Returns
    -------
    str
        ``data:image/png;base64,…``.
    """
    import matplotlib.pyplot as plt

    buffer = stdio.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def figure_info(path: Path) -> dict[str, str]:
    """Title and alt text stored in a figure by :func:`save_figure`.

    Parameters
    ----------
    path : Path
        A PNG in the run's ``figures/``.

    Returns
    -------
    dict
        ``name`` (the file name), ``title`` and ``alt``; both fall back to the file name without the
        notebook number when the PNG has no metadata.
    """
    from PIL import Image

    with Image.open(path) as img:
        text = dict(img.text)
    fallback = path.stem[3:].replace("_", " ") if path.stem[:2].isdigit() else path.stem.replace("_", " ")
    return {"name": path.name, "title": text.get("Title") or fallback, "alt": text.get("Description") or fallback}
