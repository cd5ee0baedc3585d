"""The figures of the segment notebooks: 05_cluster and 06_personas.

Each function takes what the notebook's stage function returned (``pipeline.segment(cfg, paths)``, say) and
returns a matplotlib figure, or None when the data lacks what the figure needs."""

from __future__ import annotations

import numpy as np

from custseg import cluster, i18n, personas, plots
from custseg.attributes import is_flag
from custseg.report.charts.base import Chart, for_notebook


def features_matrix(result) -> np.ndarray:
    """The clustering features as the segmenter sees them (scaled, transformed, one-hot).

    Parameters
    ----------
    result : SimpleNamespace
        What ``pipeline.segment`` returned.

    Returns
    -------
    ndarray
        One row per customer of ``result.table``.
    """
    return result.segmenter.transform(result.table[result.columns])


def principal_components(result) -> tuple[np.ndarray, float] | None:
    """The customers on the first two principal components of :func:`features_matrix`.

    Parameters
    ----------
    result : SimpleNamespace
        What ``pipeline.segment`` returned (its segmenter, table and clustering columns).

    Returns
    -------
    (coords, kept) or None
        The two coordinates per customer and the share of the variance they keep; None with one clustering
        feature only (there is no second axis).
    """
    from sklearn.decomposition import PCA

    z = features_matrix(result)
    if z.shape[1] < 2:
        return None
    pca = PCA(n_components=2, random_state=0).fit(z)
    return pca.transform(z), float(pca.explained_variance_ratio_.sum())


def log_transform(result):
    """05 · One skewed feature before and after its log transform (None when no feature is skewed)."""
    skewed = cluster.skewed_columns(result.table[result.columns])
    if not skewed:
        return None
    show = "monetary" if "monetary" in skewed else skewed[0]
    text = i18n.messages(result.language)["charts"]["log_transform"]
    shown = i18n.header(show, result.language)
    return plots.before_after(result.table[show], text["title"].format(column=shown), shown,
                              language=result.language)


def k_criteria(result):
    """05 · The criteria of the k sweep, the chosen k marked (None when k was not swept)."""
    segmenter = result.segmenter
    return None if segmenter.sweep_ is None else plots.k_criteria(segmenter.sweep_, segmenter.k_, result.language)


def dendrogram(result):
    """05 · Ward dendrogram: the fitted one for ``ward``, else one of a sample of customers."""
    segmenter = result.segmenter
    if segmenter.algorithm == "ward":
        linkage = segmenter.model_.linkage_
    else:
        linkage = cluster.sample_linkage(features_matrix(result), max_rows=min(2000, segmenter.max_fit_rows),
                                         seed=segmenter.random_state)
    return plots.dendrogram(linkage, segmenter.k_ if segmenter.k_ >= 2 else None, language=result.language)


def pca(result):
    """05 · The segments on the first two principal components (None with one clustering feature)."""
    projection = principal_components(result)
    if projection is None:
        return None
    segmenter = result.segmenter
    title = i18n.messages(result.language)["charts"]["pca"]["title"].format(k=segmenter.k_)
    return plots.scatter_2d(projection[0], segmenter.labels_, title, language=result.language)


def index_rows(result):
    """06 · The rows of the index heatmap: each segment's index per feature (100 = the average customer) and, for
    a category or an ordered scale, per label (its share in the segment against its share overall: "month-to-month
    contract"), with their names in the persona language; the names of what the segments were not formed on end in
    " †" (outcomes, demographics, survey scores).

    Returns
    -------
    DataFrame
        Rows (feature or label names) × segments.
    """
    import pandas as pd

    from custseg import phrases, profile

    idx, clustered_on, language = result.index, result.clustered_on, result.language
    customers, labels = result.customers, getattr(result, "labels", {}) or {}
    logged = ("recency_days", "frequency", "monetary", "avg_order_value", "discount_share", "return_rate",
              "tenure_days", "age")
    shown = [c for c in idx.columns if (c in logged or c.startswith(("share_", "survey_"))
                                        or (not result.has_log and c != "customer_id"))
             and not str(c).startswith("factor_")]  # a factor score's mean is 0: an index of nothing
    mark = lambda c: "" if c in clustered_on else " †"  # noqa: E731
    heat = idx[shown].T
    heat.index = [phrases.plain_label(c, language) + mark(c) for c in shown]
    if result.has_log:
        return heat
    categories = [c for c in profile.label_columns(customers, labels) if not is_flag(customers[c])]
    comps = profile.compositions(customers, columns=categories, labels=labels, language=language)
    rows = []
    for col, part in comps.groupby("variable", sort=False):
        values = list(dict.fromkeys(part["value"]))
        has = [v for v in values if phrases.holding(col, v, language)[0] == "has"]
        for value in values:
            if has and phrases.holding(col, value, language)[0] == "lacks":  # Yes/No: the yes row says it
                continue
            row = part[part["value"] == value].set_index("segment")["index"]
            rows.append(row.rename(phrases.label_phrase(col, value, language) + mark(col)))
    return pd.concat([heat, pd.DataFrame(rows)]) if rows else heat


def index_heatmap(result):
    """06 · Each segment's index per feature and label (:func:`index_rows`), in the persona language; the axis
    says what † marks only when a row carries it."""
    heat = index_rows(result)
    text = i18n.messages(result.language)["figures"]["index"]
    marked = any(str(name).endswith(" †") for name in heat.index)
    return plots.index_heatmap(heat, text["title"], text["x"], text["y"] if marked else text["y_plain"])


def _value_table(result):
    """Each persona's share of net spend, named 'segment · persona'."""
    return personas.value_table(result.cards).assign(name=lambda d: d["segment"].astype("str") + " · " + d["name"])


def _value_words(result) -> dict:
    """The title and axis of :func:`value_share`: net spend with a log, else the table's value column by name."""
    figures = i18n.messages(result.language)["figures"]
    if result.has_log:
        return figures["value_share"]
    return {k: v.format(column=result.value.column) for k, v in figures["value_share_of"].items()}


def value_share(result):
    """06 · Each persona's share of the value: net spend with a log, a customer table's value column (monthly
    charges, revenue: ``value_column`` or found by its name) without one; None when there is no value."""
    if not result.has_log and not result.value.column:
        return None
    text = _value_words(result)
    return plots.bar(_value_table(result), "name", "value_share", text["title"], xlabel=text["x"], ylabel="",
                     percent=True, horizontal=True)


def value_share_alt(result) -> str:
    """The alt text of :func:`value_share`: the title, then each persona's share."""
    values = _value_table(result)
    return _value_words(result)["title"] + ": " + "; ".join(
        f"{n} {v:.1%}" for n, v in zip(values["name"], values["value_share"], strict=True))


segment = for_notebook("05_cluster", "segment", {
    "05_log_transform": Chart(log_transform), "05_k_criteria": Chart(k_criteria),
    "05_dendrogram": Chart(dendrogram), "05_pca": Chart(pca)})
describe_personas = for_notebook("06_personas", "describe_personas", {
    "06_index_heatmap": Chart(index_heatmap), "06_value_share": Chart(value_share, value_share_alt)})
