"""05 · The toy-data figure: four small data sets with known groups, clustered by five algorithms side by side
(:mod:`custseg.cluster.toy`), in the run's language. It shows no customer of the run, so it is drawn where 05
shows it and not saved among the run's figures."""

from __future__ import annotations

from custseg import i18n, plots
from custseg.cluster import toy


def toy_clusters(language: str = "en", grid=None):
    """The true groups of :data:`custseg.cluster.toy.DATASETS` and the groups each of
    :data:`custseg.cluster.toy.METHODS` finds, one row per data set, each panel with its adjusted Rand index
    against the true groups (and DBSCAN's number of noise points, drawn in grey).

    Parameters
    ----------
    language : {'en', 'zh'}
        The language of the titles and labels.
    grid : SimpleNamespace, optional
        What :func:`custseg.cluster.toy.grid` returned; fitted with its defaults when not given.

    Returns
    -------
    matplotlib.figure.Figure
    """
    grid = toy.grid() if grid is None else grid
    text = i18n.messages(language)["figures"]["toy"]
    columns = {"truth": text["truth"], **{m: text[m] for m in toy.METHODS}}
    columns["dbscan"] = columns["dbscan"].format(eps=grid.eps, min_samples=grid.min_samples)
    labels = {(name, "truth"): y for name, (_, y) in grid.data.items()} | grid.labels
    notes = {(name, method): text["ari"].format(ari=f"{grid.ari.loc[name, method]:.2f}")
             for name in grid.data for method in toy.METHODS}
    for name, n in grid.noise.items():
        notes[name, "dbscan"] += "\n" + text["noise"].format(n=n)
    return plots.label_grid({name: x for name, (x, _) in grid.data.items()}, labels,
                            {name: text["data"][name] for name in grid.data}, columns, text["title"], notes,
                            noise=toy.NOISE, noise_label=text["noise_legend"])
