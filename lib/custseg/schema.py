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
EXPECTED_VALUE, PREDICTED_SPEND = "expected_value", "predicted_spend"  # custseg.cluster.value
# the names custseg gives the columns it adds beside a customer table's own (the segment, shares and indices of
# the profiles, the expected value, the holdout outcomes, cleaning's flags): a source column spelled like one is
# renamed when it is read (custseg.sources.mapping.clashing), with a note in the validation report
RESERVED = frozenset({
    CUSTOMER_ID, SEGMENT, "segment_id", "segment_name", "share", "value_share", "value_index", "index", "customers",
    "n", EXPECTED_VALUE, PREDICTED_SPEND, "holdout_spend", "holdout_orders", "holdout_log_spend", "looks_like_test",
    "reason", "raw_id", "exact_copy", "dup_rank", "implausible",
})

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


# how a source's customer ids are compared (sources.<role>.id_case): detect stops when two ids that differ only by
# case both occur in one source (Bn9Ke3 / BN9Ke3, c01 / C01): custseg cannot know whether they are one customer;
# insensitive upper-cases (c01 = C01); sensitive keeps the case (Bn9Ke3 and BN9Ke3 are two customers). Ids are
# compared across sources, so one source's choice is every source's (config validation refuses two choices)
ID_CASES = ("detect", "insensitive", "sensitive")
# what provably writes the same id: full-width forms (Ｃ０１, the IME's full-width mode) are the ASCII ones, the
# ideographic space is a space; invisible characters (soft hyphen, zero-width spaces and joiners, word joiner, BOM)
# are nothing; padding (spaces, tabs, NBSP, ideographic spaces) is trimmed. Written as translate and regex, which
# DuckDB, Spark and pandas all run natively.
_FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_ASCII = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
_INVISIBLE = "[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]"
_PADDING = "^[\\s\u00a0\u3000]+|[\\s\u00a0\u3000]+$"


def id_case(sources: dict) -> str:
    """How the run compares customer ids (one of :data:`ID_CASES`): the choice a configured source makes, else
    ``detect``. Ids are compared across sources, so one source's choice is every source's."""
    return next((spec["id_case"] for spec in sources.values()
                 if configured(spec) and spec.get("id_case", "detect") != "detect"), "detect")


def ids_case_sensitive(sources: dict) -> bool:
    """Whether the run compares customer ids with their case (:func:`id_case` is ``sensitive``)."""
    return id_case(sources) == "sensitive"


def normalise_id(ids, case_sensitive: bool = False):
    """Customer ids as every stage compares them: what is provably the same id is made one.

    Full-width forms become ASCII (``Ｃ０１`` is ``C01``), invisible characters
    (zero-width spaces, BOM, soft hyphens) are removed, padding (spaces, NBSP, ideographic spaces) is trimmed,
    and an id left empty is missing. Unless ``case_sensitive``, ids are upper-cased (`` c01`` and ``C01`` are
    one; see :data:`ID_CASES` and :func:`ids_case_sensitive`).

    Parameters
    ----------
    ids : ibis column or pandas Series
        In the engine, or in pandas (missing stays missing); both apply the same translation and patterns.
    case_sensitive : bool
        Keep the case (``sources.<role>.id_case: sensitive``).

    Returns
    -------
    ibis string column or pandas Series of dtype str
    """
    if isinstance(ids, pd.Series):
        text = ids.astype("str").where(ids.notna())
        text = (text.str.translate(str.maketrans(_FULL_WIDTH, _ASCII)).str.replace(_INVISIBLE, "", regex=True)
                .str.replace(_PADDING, "", regex=True))
        text = text if case_sensitive else text.str.upper()
        return text.mask(text == "")
    text = ids.cast("string").translate(_FULL_WIDTH, _ASCII).re_replace(_INVISIBLE, "").re_replace(_PADDING, "")
    return (text if case_sensitive else text.upper()).nullif("")


def is_return(lines):
    """Lines that give money back: status ``returned`` or a negative quantity (an Ibis boolean column)."""
    return (lines.status.lower() == "returned") | (lines.quantity < 0)


def contradicts_sign(lines):
    """Returns (:func:`is_return`) written with a positive amount, e.g. quantity −1 and amount 50: the sign of a
    line is decided from its quantity (and status) and its amount together (an Ibis boolean column)."""
    return is_return(lines) & (lines.amount > 0)


def signed_amount(lines):
    """The amount with the sign a line's kind gives it: a return gives money back, so its amount is negative
    (:func:`contradicts_sign` lines are turned round; every other amount is as written)."""
    return contradicts_sign(lines).ifelse(-lines.amount, lines.amount)


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


SILHOUETTE_CLEAR, SILHOUETTE_WEAK = 0.5, 0.25  # above 0.5 clear structure, 0.25–0.5 moderate, below 0.25 weak


def separation_verdict(silhouette: float) -> str:
    """'clearly separated' (silhouette > 0.5), 'moderately separated' (≥ 0.25) or 'weakly separated': how far
    apart the segments are, which stability does not say (stable segments of a continuum overlap)."""
    return ("clearly separated" if silhouette > SILHOUETTE_CLEAR else "moderately separated"
            if silhouette >= SILHOUETTE_WEAK else "weakly separated")


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


# A table leaves the engine in one order and with its decimals rounded, so that every step after it (the
# seeded k-means++ of the sweep, subsamples, bootstraps) sees the same input on every run. Engines add up in
# different orders (DuckDB's threads, Spark's partitions): a sum differs in its last bits from run to run, and
# a learned model splits equal values apart. Sums of money are exact to far fewer places than these.
DECIMALS = 9
ORDER_KEYS = ("customer_id", "respondent_id", "order_id", "line_no", "order_ts")  # the leading sort columns


def round_decimals(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its float columns rounded to :data:`DECIMALS` places."""
    floats = frame.select_dtypes("float").columns
    return frame.assign(**{c: frame[c].round(DECIMALS) for c in floats})


def in_fixed_order(table):
    """An Ibis table ordered by its :data:`ORDER_KEYS`, then by every other plain column: a total order (rows
    that tie on every column are identical), so a written or fetched table has the same rows in the same
    order whatever the engine's threads did."""
    keys = [c for c in ORDER_KEYS if c in table.columns]
    plain = [c for c, t in table.schema().items() if c not in keys
             and (t.is_numeric() or t.is_string() or t.is_temporal() or t.is_boolean())]
    return table.order_by([*keys, *plain])


def line_grain(table) -> bool:
    """Whether a table holds order lines (``order_id`` and ``order_ts``): every use of lines aggregates them in
    the engine, whose results do not depend on the order the lines are stored in."""
    return {"order_id", "order_ts"} <= set(table.columns)


def fetch(table) -> pd.DataFrame:
    """An Ibis table as a pandas frame in :func:`in_fixed_order`, its decimals rounded (:func:`round_decimals`)."""
    return round_decimals(in_fixed_order(table).execute())
