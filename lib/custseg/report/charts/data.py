"""The figures of the data notebooks: 02_clean, 03_describe and 04_features.

Each function takes what the notebook's stage function returned (``pipeline.describe(cfg, paths)``, say) and
returns a matplotlib figure, or None when the data lacks what the figure needs."""

from __future__ import annotations

import pandas as pd

from custseg import describe as describing
from custseg import plots, rfm
from custseg.report.charts.base import Chart, for_notebook


def quarantine_reasons(result):
    """02 · Quarantined order lines per rule (None without a transaction log)."""
    if not result.has_log:
        return None
    audit = result.line_audit
    shown = audit[(audit["rows"] > 0) & (audit["action"] == "quarantined")]
    return plots.bar(shown, "rule", "rows", "Quarantined order lines by reason", xlabel="order lines", ylabel="",
                     horizontal=True)


def _has(result, column: str) -> bool:
    """True when the order log exists and holds values of ``column``."""
    return result.has_log and describing.has_values(result.transactions, column)


def city_tier(result):
    """03 · Share of customers per city tier (None when the customers have no city tier)."""
    if not describing.has_values(result.customers, "city_tier"):
        return None
    tiers = describing.frequency(result.customers, "city_tier")
    return plots.bar(tiers, "city_tier", "share", "Customers by city tier", xlabel="city tier", ylabel="share",
                     percent=True)


def channel_spend(result):
    """03 · Share of net spend per sales channel (None without a channel in the order log)."""
    if not _has(result, "channel"):
        return None
    channels = describing.frequency(result.transactions, "channel", weight="amount")
    return plots.bar(channels, "channel", "share", "Net spend by channel", xlabel="channel",
                     ylabel="share of spend", percent=True)


def channel_category(result):
    """03 · Category mix per channel, % of order lines (None unless the log has both columns)."""
    if not (_has(result, "channel") and _has(result, "category")):
        return None
    xt = describing.crosstab(result.transactions, "channel", "category")
    return plots.heatmap(xt * 100, "Category mix per channel (% of lines)", center=None, cmap="Blues")


def spend_hist(result):
    """03 · Histogram of net spend per customer on a log scale (None without a transaction log)."""
    if not result.has_log:
        return None
    return plots.histogram(result.per_customer["net_spend"], "Net spend per customer (log scale)", "net spend",
                           log=True)


def pareto(result):
    """03 · Pareto curve of net spend per customer (None without a transaction log)."""
    return plots.pareto(result.per_customer["net_spend"]) if result.has_log else None


def monthly_revenue(result):
    """03 · Net revenue per month as a line (None without a transaction log)."""
    if not result.has_log:
        return None
    import matplotlib.pyplot as plt

    monthly = result.monthly
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(monthly["month"], monthly["revenue"], marker=".")
    ax.set_title("Net revenue per month")
    ax.set_xlabel("month")
    ax.set_ylabel("net revenue")
    return fig


def attribute_numbers(result):
    """03 · A histogram of each number of the customer table (None when it has none)."""
    numbers = result.table.numbers
    return None if numbers.empty else plots.histograms(numbers, "The customer table's numbers")


def outcome_crosstabs(result) -> dict:
    """03 · For each outcome, its rate (or mean) per group of the attributes that tell most about it.

    Returns
    -------
    dict
        ``03_outcome_<outcome>`` → figure (empty without outcomes, or without an attribute of two groups).
    """
    out = {}
    for outcome, judged in result.table.outcomes.items():
        if judged.crosstabs:
            rate = judged.kind == "rate"
            out[f"03_outcome_{outcome}"] = plots.crosstab_bars(
                judged.crosstabs, judged.base, f"{outcome} by the attributes that tell most about it",
                f"{outcome} ({'rate' if rate else 'mean'}, 95% interval; dashed: all)", rate=rate)
    return out


def scree(result):
    """04 · Scree plot of the survey items' factor analysis (None when it was not attempted)."""
    return plots.scree(pd.DataFrame(result.factors["scree"])) if "scree" in result.factors else None


def loadings(result):
    """04 · Varimax loadings of the survey items (None without a factor model)."""
    if result.factor_model is None:
        return None
    return plots.heatmap(result.factor_model.loadings_, "Varimax loadings of the survey items", fmt=".2f", center=0)


def rfm_grid(result):
    """04 · The RFM segment of each (R, F) cell with its share of customers (None without a transaction log)."""
    if not result.has_log:
        return None
    return plots.rfm_grid(*rfm.grid_table(result.scores))


def rfm_revenue(result):
    """04 · Share of net spend per RFM segment (None without a transaction log)."""
    if not result.has_log:
        return None
    return plots.bar(rfm.segment_summary(result.scores), "rfm_segment", "revenue_share",
                     "Share of net spend by RFM segment", xlabel="share of net spend", ylabel="", percent=True,
                     horizontal=True)


clean = for_notebook("02_clean", "clean", {"02_quarantine_reasons": Chart(quarantine_reasons)})
describe = for_notebook("03_describe", "describe", {
    "03_city_tier": Chart(city_tier), "03_channel_spend": Chart(channel_spend),
    "03_channel_category": Chart(channel_category), "03_spend_hist": Chart(spend_hist), "03_pareto": Chart(pareto),
    "03_monthly_revenue": Chart(monthly_revenue), "03_attribute_numbers": Chart(attribute_numbers),
    "03_outcome_*": Chart(outcome_crosstabs)})
features = for_notebook("04_features", "features", {
    "04_scree": Chart(scree), "04_loadings": Chart(loadings), "04_rfm_grid": Chart(rfm_grid),
    "04_rfm_revenue": Chart(rfm_revenue)})
