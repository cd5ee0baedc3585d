"""The definitions every stage shares: canonical columns, what counts as a return or a purchase, how ids
are normalised, the verdict bands of stability and drift, and the default holdout.

One definition each, so that cleaning, features, evaluation and reconciliation cannot disagree. This
module imports nothing from custseg.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Col:
    """A canonical column: its type (id, text, number, date, timestamp), whether a source must have it."""

    type: str
    required: bool = False
    doc: str = ""


# the customer-grain columns the stages name (custseg.features.behaviour computes the RFM ones): one spelling each
CUSTOMER_ID = "customer_id"
SEGMENT = "segment"
RECENCY, FREQUENCY, MONETARY = "recency_days", "frequency", "monetary"
TENURE = "tenure_days"

# canonical columns per source role; the config's ``columns`` maps these names to the source's own
SCHEMAS: dict[str, dict[str, Col]] = {
    "transactions": {
        "customer_id": Col("id", True, "who bought"),
        "order_ts": Col("timestamp", True, "when (date, or date and time)"),
        "amount": Col("number", False, "line value after discount (else quantity × unit_price − discount)"),
        "quantity": Col("number", False, "units; negative for returns"),
        "unit_price": Col("number"),
        "discount": Col("number", False, "discount on the line (0 when absent)"),
        "order_id": Col("id", False, "order / invoice number (else one order per customer and timestamp)"),
        "line_no": Col("number"),
        "product_id": Col("id", False, "product / stock code"),
        "category": Col("text"),
        "channel": Col("text"),
        "status": Col("text", False, "completed (default), cancelled or returned"),
    },
    "orders": {
        "order_id": Col("id", True), "customer_id": Col("id"), "order_ts": Col("timestamp"),
        "channel": Col("text"), "status": Col("text"),
    },
    "customers": {
        "customer_id": Col("id", True), "gender": Col("text"), "birth_date": Col("date"), "city": Col("text"),
        "province": Col("text"), "city_tier": Col("text"), "signup_date": Col("date"),
        "acquisition_channel": Col("text"), "membership_tier": Col("text"),
    },
    "survey": {"respondent_id": Col("id", True, "the customer id of the respondent"),
               "submitted_on": Col("timestamp")},
    # the results of a campaign (09_measure): one row per customer in it
    "campaign": {"customer_id": Col("id", True), "group": Col("text", True, "treatment or control"),
                 "responded": Col("text", True, "yes/no, 1/0 or true/false"),
                 "contacted": Col("text", False, "yes/no: reached by the campaign"),
                 "revenue": Col("number", False, "revenue from the customer in the campaign period"),
                 "cost": Col("number", False, "cost of treating the customer")},
}
# roles whose other (non-canonical) columns are kept: customer attributes, survey items
KEEP_EXTRA = {"customers", "survey"}
STATUSES = ("completed", "cancelled", "returned")
# values filling canonical columns a source does not have (the contract of custseg.features)
FILL = {"category": "unknown", "channel": "unknown", "status": "completed", "discount": 0.0}
TRANSACTION_COLUMNS = ["order_id", "line_no", "customer_id", "order_ts", "channel", "status", "product_id",
                       "category", "quantity", "unit_price", "discount", "order_missing", "amount"]

SOURCE_KINDS = ["csv", "text", "parquet", "excel", "duckdb", "sqlite", "url"]
SUFFIX_KIND = {".csv": "csv", ".tsv": "csv", ".txt": "text", ".dat": "text", ".parquet": "parquet",
               ".pq": "parquet", ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel", ".duckdb": "duckdb",
               ".ddb": "duckdb", ".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite"}


def configured(spec: dict) -> bool:
    """True when a source has a location (``path`` or ``url``)."""
    return bool(spec["path"] or spec["url"])


def source_kind(spec: dict) -> str:
    """The configured ``kind``, else guessed from the URL or the file suffix."""
    if spec["kind"]:
        return spec["kind"]
    if spec["url"]:
        return "url"
    path = Path(spec["path"])
    if path.suffix.lower() == ".zip":  # the kind of the file inside: the member's, sales.csv.zip's, else csv
        path = Path(spec.get("member") or path.stem)
        return SUFFIX_KIND.get(path.suffix.lower(), "csv")
    return SUFFIX_KIND.get(path.suffix.lower(), "")


# Likert answers written as text: label (lower case) -> score; agreement and satisfaction, English and Chinese
LIKERT = {
    **dict.fromkeys(["strongly disagree", "completely disagree", "非常不同意", "完全不同意", "very dissatisfied",
                     "非常不满意"], 1),
    **dict.fromkeys(["disagree", "somewhat disagree", "不同意", "比较不同意", "dissatisfied", "不满意"], 2),
    **dict.fromkeys(["neutral", "neither agree nor disagree", "neither", "一般", "中立", "说不清",
                     "neither satisfied nor dissatisfied"], 3),
    **dict.fromkeys(["agree", "somewhat agree", "同意", "比较同意", "satisfied", "满意"], 4),
    **dict.fromkeys(["strongly agree", "completely agree", "非常同意", "完全同意", "very satisfied", "非常满意"], 5),
}
CUSTOMER_IDS = ("customer_id", "respondent_id")  # the canonical columns that name a customer

# the cleaning rules for order lines, in the order they are checked (custseg.clean); the first that matches is
# the reason a line is quarantined
LINE_RULES = ["duplicate_line", "near_duplicate_line", "missing_order", "cancelled_order", "excluded_product",
              "test_account", "missing_customer_id", "unknown_customer", "implausible_date", "invalid_amount",
              "non_positive_price", "non_positive_amount", "bulk_outlier", "return_without_purchase"]
# lines these rules catch cannot be used at all (no customer, no date, no amount), so they cannot be switched off
REQUIRED_RULES = ("missing_customer_id", "implausible_date", "invalid_amount")


# ---------------------------------------------------------------------------------------------- rules


def normalise_id(ids):
    """Customer ids as every stage compares them: text, trimmed, upper case (`` c01`` and ``C01`` are one).

    Works on an Ibis column (in the engine) and on a pandas Series (missing stays missing).
    """
    if isinstance(ids, pd.Series):
        return ids.astype("str").str.strip().str.upper()
    return ids.cast("string").strip().upper()


def is_return(lines):
    """Lines that give money back: status ``returned`` or a negative quantity (an Ibis boolean column)."""
    return (lines.status.lower() == "returned") | (lines.quantity < 0)


def is_purchase(lines):
    """Lines that are purchases: every line that is not a return (cancelled lines never reach features)."""
    return ~is_return(lines)


# ---------------------------------------------------------------------------------------------- bands

# stability of a solution refitted on subsamples: mean adjusted Rand index (ARI) ...
STABLE_ARI, UNSTABLE_ARI = 0.8, 0.6
# ... and per segment, the best Jaccard overlap (Hennig: ≥ 0.75 stable, ≤ 0.5 dissolves)
STABLE_JACCARD, DISSOLVED_JACCARD = 0.75, 0.5
# population stability index: < 0.1 stable, 0.1–0.25 watch, ≥ 0.25 re-fit (the usual convention)
PSI_WATCH, PSI_REFIT = 0.1, 0.25


def stability_verdict(ari: float) -> str:
    """'stable' (ARI ≥ 0.8), 'moderately stable' (≥ 0.6) or 'unstable'."""
    return "stable" if ari >= STABLE_ARI else "moderately stable" if ari >= UNSTABLE_ARI else "unstable"


def jaccard_verdict(jaccard: float) -> str:
    """'stable' (≥ 0.75), 'doubtful' (> 0.5) or 'dissolves' for one segment's mean best Jaccard overlap."""
    return "stable" if jaccard >= STABLE_JACCARD else "doubtful" if jaccard > DISSOLVED_JACCARD else "dissolves"


def drift_status(value: float, watch: float = PSI_WATCH, refit: float = PSI_REFIT) -> str:
    """'stable', 'watch' or 're-fit' for a PSI value."""
    return "re-fit" if value >= refit else "watch" if value >= watch else "stable"


# ---------------------------------------------------------------------------------------------- holdout

DEFAULT_HOLDOUT_DAYS = 180


def holdout_start(snapshot: dt.date, first_day: dt.date | None = None, start: dt.date | None = None,
                  days: int = DEFAULT_HOLDOUT_DAYS, weekly: bool = False) -> dt.date:
    """The first day of the holdout period: the one definition 04_features and 07_evaluate share.

    Parameters
    ----------
    snapshot : date
        The last day of observation.
    first_day : date, optional
        The first day with data; the holdout never takes more than the second half of the window.
    start : date, optional
        A configured start (``features.holdout_start``): used as it is.
    days : int
        Otherwise the holdout is the last ``days`` days up to the snapshot (``features.holdout_days``).
    weekly : bool
        Move the start back to a Monday, so that no week of a weekly CLV summary is split.
    """
    if start is None:
        start = snapshot - dt.timedelta(days=days)
        if first_day is not None:
            start = max(start, first_day + (snapshot - first_day) / 2)
    if weekly:
        start -= dt.timedelta(days=start.weekday())
    return start
