"""The figures of the data notebooks: 02_clean, 03_describe and 04_features.

Each function takes what the notebook's stage function returned (``pipeline.describe(cfg, paths)``, say) and
returns a matplotlib figure, or None when the data lacks what the figure needs."""

from __future__ import annotations

import pandas as pd

from custseg import describe as describing
from custseg import i18n, plots, rfm
from custseg.report.charts.base import Chart, for_notebook


def _text(result, name: str):
    """The words of figure ``name`` in the run's language (the catalogue's ``charts``)."""
    return i18n.messages(result.language)["charts"][name]


def quarantine_reasons(result):
    """02 · Quarantined order lines per rule (None without a transaction log)."""
    if not result.has_log:
        return None
    audit = result.line_audit
    shown = audit[(audit["rows"] > 0) & (audit["action"] == "quarantined")]
    text = _text(result, "quarantine")
    return plots.bar(shown, "rule", "rows", text["title"], xlabel=text["x"], ylabel="", horizontal=True)


def _has(result, column: str) -> bool:
    """True when the order log exists and holds values of ``column``."""
    return result.has_log and describing.has_values(result.transactions, column)


def city_tier(result):
    """03 · Share of customers per city tier (None when the customers have no city tier)."""
    if not describing.has_values(result.customers, "city_tier"):
        return None
    tiers = describing.frequency(result.customers, "city_tier")
    text = _text(result, "city_tier")
    return plots.bar(tiers, "city_tier", "share", text["title"], xlabel=text["x"], ylabel=text["y"], percent=True)


def channel_spend(result):
    """03 · Share of net spend per sales channel (None without a channel in the order log)."""
    if not _has(result, "channel"):
        return None
    channels = describing.frequency(result.transactions, "channel", weight="amount")
    text = _text(result, "channel_spend")
    return plots.bar(channels, "channel", "share", text["title"], xlabel=text["x"], ylabel=text["y"], percent=True)


def channel_category(result):
    """03 · Category mix per channel, % of order lines (None unless the log has both columns)."""
    if not (_has(result, "channel") and _has(result, "category")):
        return None
    xt = describing.crosstab(result.transactions, "channel", "category")
    return plots.heatmap(xt * 100, _text(result, "channel_category")["title"], center=None, cmap="Blues")


def spend_hist(result):
    """03 · Histogram of net spend per customer on a log scale (None without a transaction log)."""
    if not result.has_log:
        return None
    text = _text(result, "spend_hist")
    return plots.histogram(result.per_customer["net_spend"], text["title"], text["x"], log=True,
                           ylabel=_text(result, "customers"))


def pareto(result):
    """03 · Pareto curve of net spend per customer (None without a transaction log)."""
    return plots.pareto(result.per_customer["net_spend"], language=result.language) if result.has_log else None


def monthly_revenue(result):
    """03 · Net revenue per month as a line (None without a transaction log)."""
    if not result.has_log:
        return None
    import matplotlib.pyplot as plt

    monthly = result.monthly
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(monthly["month"], monthly["revenue"], marker=".")
    text = _text(result, "monthly")
    ax.set_title(text["title"])
    ax.set_xlabel(text["x"])
    ax.set_ylabel(text["y"])
    return fig


def attribute_numbers(result):
    """03 · A histogram of each number of the customer table (None when it has none)."""
    numbers = result.table.numbers
    return None if numbers.empty else plots.histograms(numbers, _text(result, "numbers")["title"],
                                                       ylabel=_text(result, "customers"))


def outcome_crosstabs(result) -> dict:
    """03 · For each outcome, its rate (or mean) per group of the attributes that tell most about it.

    Returns
    -------
    dict
        ``03_outcome_<outcome>`` → figure (empty without outcomes, or without an attribute of two groups).
    """
    out, text = {}, _text(result, "outcome_crosstab")
    for outcome, judged in result.table.outcomes.items():
        if judged.crosstabs:
            rate = judged.kind == "rate"
            out[f"03_outcome_{outcome}"] = plots.crosstab_bars(
                judged.crosstabs, judged.base, text["title"].format(outcome=outcome),
                text["rate" if rate else "mean"].format(outcome=outcome), rate=rate)
    return out


def scree(result):
    """04 · Scree plot of the survey items' factor analysis (None when it was not attempted)."""
    return (plots.scree(pd.DataFrame(result.factors["scree"]), result.language) if "scree" in result.factors
            else None)


def loadings(result):
    """04 · Varimax loadings of the survey items (None without a factor model)."""
    if result.factor_model is None:
        return None
    loadings = result.factor_model.loadings_
    if result.language != "en":  # the items' and factors' names, a factor's items one per line
        loadings = loadings.set_axis([i18n.header(i, result.language) for i in loadings.index], axis=0).set_axis(
            [i18n.header(f, result.language).replace("：", "：\n").replace("、", "、\n") for f in loadings.columns],
            axis=1)
    return plots.heatmap(loadings, _text(result, "loadings")["title"], fmt=".2f", center=0)


def rfm_grid(result):
    """04 · The RFM segment of each (R, F) cell with its share of customers (None without a transaction log)."""
    if not result.has_log:
        return None
    names, shares = rfm.grid_table(result.scores)
    if result.language != "en":  # the grid's segment names in the run's language (" / " joins a cell's names)
        names = names.map(lambda v: " / ".join(i18n.value_label("rfm", n, result.language) for n in v.split(" / "))
                          if isinstance(v, str) else v)
    return plots.rfm_grid(names, shares, language=result.language)


def rfm_revenue(result):
    """04 · Share of net spend per RFM segment (None without a transaction log)."""
    if not result.has_log:
        return None
    text, summary = _text(result, "rfm_revenue"), rfm.segment_summary(result.scores)
    if result.language != "en":
        summary["rfm_segment"] = [i18n.value_label("rfm", n, result.language) for n in summary["rfm_segment"]]
    return plots.bar(summary, "rfm_segment", "revenue_share", text["title"], xlabel=text["x"], ylabel="",
                     percent=True, horizontal=True)


clean = for_notebook("02_clean", "clean", {"02_quarantine_reasons": Chart(quarantine_reasons)})
describe = for_notebook("03_describe", "describe", {
    "03_city_tier": Chart(city_tier), "03_channel_spend": Chart(channel_spend),
    "03_channel_category": Chart(channel_category), "03_spend_hist": Chart(spend_hist), "03_pareto": Chart(pareto),
    "03_monthly_revenue": Chart(monthly_revenue), "03_attribute_numbers": Chart(attribute_numbers),
    "03_outcome_*": Chart(outcome_crosstabs)})
features = for_notebook("04_features", "features", {
    "04_scree": Chart(scree), "04_loadings": Chart(loadings), "04_rfm_grid": Chart(rfm_grid),
    "04_rfm_revenue": Chart(rfm_revenue)})
