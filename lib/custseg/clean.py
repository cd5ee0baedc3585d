r"""Cleaning rules with an audit: every input row is kept or quarantined with a reason code.

Everything runs in the engine (Ibis). Customers, checked in this order:

========================  =====================================================================
reason / flag             rule
========================  =====================================================================
missing_customer_id       no id, or an id written as a missing-value word (``ids.null_tokens``:
                          NULL, N/A, -, 空 …) (quarantined)
duplicate_customer_exact  an exact copy of another CRM row (quarantined)
duplicate_customer        same id after normalisation (custseg.schema.normalise_id): the most complete,
                          earliest row is kept, the others quarantined
test_account              id or PII matched ``clean.test_account_patterns`` (quarantined)
implausible_age           birth date giving an age outside ``clean.min_age``–``max_age``: the
                          birth date is set to missing, the customer kept
city_spelling_normalised  ``上海市``, ``shanghai``, ``Shanghai Shi`` → ``Shanghai`` (kept)
========================  =====================================================================

Transactions (order lines), checked in this order — the first rule that matches is the reason:

=======================  ======================================================================
reason                   rule
=======================  ======================================================================
duplicate_line           an exact copy of an earlier line (double-loaded export)
near_duplicate_line      a copy once the customer id is normalised (` c01` vs `C01`)
missing_order            the line's order header does not exist
cancelled_order          order status ``cancelled`` (never paid, so not a purchase)
excluded_product         product id in ``clean.exclude_products`` (postage, fees, adjustments)
test_account             the customer is an internal test account
missing_customer_id      no customer id (anonymous purchase: cannot be attributed)
unknown_customer         the customer id is not in the CRM after normalisation
implausible_date         timestamp missing or unparseable, after the snapshot date, or before
                         ``clean.earliest_date`` (default: Jan 1 of the CRM's first signup year)
invalid_amount           amount missing or quantity 0
non_positive_price       unit price ≤ 0 (free samples, data-entry errors, bad-debt adjustments)
non_positive_amount      a purchase (quantity > 0) whose amount is ≤ 0 after discount
bulk_outlier             \|quantity\| > ``clean.max_line_quantity`` or unit price >
                         ``clean.max_unit_price`` (wholesale / reseller lines that would dominate
                         consumer spend; ``null`` switches a threshold off)
return_without_purchase  a return with no kept purchase of that customer at or before it (the
                         purchase predates the data: netting it would make spend negative)
=======================  ======================================================================

A return (status ``returned`` or a negative quantity, :func:`custseg.schema.is_return`) written with a
positive amount (quantity −1, amount 50) gives money back all the same: its amount is made negative (and a
derived negative unit price positive), counted in the audit as ``return_sign_turned``
(:func:`custseg.schema.signed_amount`), before the rules above are checked.

Returns are otherwise *kept*: they are netted against
purchases when features are computed, so monetary value is what the customer really spent.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pandas as pd

from custseg.errors import SourceError, StageError
from custseg.reference import CITIES, city_aliases
from custseg.schema import LINE_RULES, contradicts_sign, ids_case_sensitive, is_return, normalise_id, signed_amount

DEFAULT_EARLIEST = dt.date(1990, 1, 1)
# one quarantine reason taking more than this share of the order lines or of the money stops 02: an export read
# wrongly (ids or dates written once per merged block, a mapped column that is not the one meant) looks like that
MAX_QUARANTINE_SHARE = 0.2
# the data-quality dimension (数据质量维度) each rule checks; "relevance" marks rows that are valid data but
# not consumer purchases, and "netting" the kept returns
DIMENSIONS = ("completeness", "validity", "uniqueness", "consistency", "timeliness", "accuracy", "relevance")
RULE_DIMENSIONS = {
    "duplicate_customer_exact": "uniqueness", "duplicate_customer": "uniqueness", "test_account": "relevance",
    "implausible_age": "accuracy", "city_spelling_normalised": "consistency", "city_unknown_spelling": "consistency",
    "duplicate_line": "uniqueness", "near_duplicate_line": "uniqueness", "missing_order": "completeness",
    "cancelled_order": "relevance", "excluded_product": "relevance", "missing_customer_id": "completeness",
    "unknown_customer": "consistency", "implausible_date": "timeliness", "invalid_amount": "completeness",
    "non_positive_price": "validity", "non_positive_amount": "validity", "bulk_outlier": "accuracy",
    "return_without_purchase": "consistency", "return_sign_turned": "consistency", "return_netted": "netting",
}


def clean_customers(customers: ir.Table, snapshot: dt.date, min_age: int, max_age: int,
                    case_sensitive: bool = False) -> tuple[ir.Table, ir.Table, pd.DataFrame]:
    """Normalise, deduplicate and validate the customer table (rules in the module docstring):
    :func:`flag_customers`, then :func:`split_customers`.

    Every use of the returned tables evaluates the rules again; on a large table, write :func:`flag_customers`'s
    table once and split the written copy instead (02_clean does).

    Parameters
    ----------
    customers : ibis Table
        Collected customers (:func:`custseg.collect.collect`): canonical columns and ``looks_like_test``.
    snapshot : date
        Ages are measured at it.
    min_age, max_age : int
        The plausible ages (``clean.min_age``, ``clean.max_age``).
    case_sensitive : bool
        Compare ids with their case (:func:`custseg.schema.ids_case_sensitive`).

    Returns
    -------
    kept, quarantined : ibis Table
        Quarantined rows carry ``raw_id`` and a ``reason`` column; kept + quarantined = rows in.
    audit : DataFrame
        One row per rule: its data-quality dimension, rows affected and what happened to them.
    """
    return split_customers(flag_customers(customers, snapshot, min_age, max_age, case_sensitive))


def flag_customers(customers: ir.Table, snapshot: dt.date, min_age: int, max_age: int,
                   case_sensitive: bool = False) -> ir.Table:
    """Every customer row with its normalised id and values, ``raw_id``, the ``reason`` it is quarantined (null:
    kept) and the ``implausible`` and ``city_flag`` the audit counts (parameters as :func:`clean_customers`)."""
    aliases = ibis.memtable(pd.DataFrame({"city_key": list(city_aliases()), "city_canonical": list(
        city_aliases().values())}))
    geo = ibis.memtable(pd.DataFrame({"city_canonical": list(CITIES),
                                      "province_canonical": [v[0] for v in CITIES.values()],
                                      "tier_canonical": [v[1] for v in CITIES.values()]}))
    base = [c for c in customers.columns if c != "looks_like_test"]
    t = customers.mutate(
        exact_copy=ibis.row_number().over(group_by=base),
        raw_id=customers.customer_id,
        customer_id=normalise_id(customers.customer_id, case_sensitive),
        birth=customers.birth_date.cast("date"),
        signup=customers.signup_date.cast("date"),
        city_key=customers.city.cast("string").strip().lower().re_replace(r"[\s']", "").re_replace(
            "(市|shi)$", ""),
    )
    # keep the most complete, earliest row of each normalised id; an exact id match wins ties, and of
    # exact copies the first; then the row's own values (so that the same row of every id is kept, whatever
    # the engine's order)
    order = [(t.raw_id != t.customer_id).cast("int8"), t.birth.isnull().cast("int8"), t.signup, t.exact_copy,
             t.raw_id, *(t[c] for c in base if c != "customer_id")]
    t = t.mutate(dup_rank=ibis.row_number().over(group_by=t.customer_id, order_by=order))
    t = t.left_join(aliases, "city_key").drop("city_key_right").left_join(geo, "city_canonical").drop(
        "city_canonical_right")
    age = (ibis.literal(snapshot).epoch_days() - t.birth.epoch_days()) / 365.25
    implausible = t.birth.notnull() & ((age < min_age) | (age > max_age))
    reason = ibis.cases((t.customer_id.isnull(), "missing_customer_id"),
                        (t.exact_copy > 0, "duplicate_customer_exact"), (t.dup_rank > 0, "duplicate_customer"),
                        (t.looks_like_test, "test_account"), else_=ibis.null("string"))
    t = t.mutate(
        reason=reason,
        city_flag=ibis.cases((t.city.isnull(), "missing"), (t.city_canonical.isnull(), "unknown_spelling"),
                             (t.city.strip() != t.city_canonical, "normalised"), else_=ibis.null("string")),
    )
    out = t.mutate(
        birth_date=ibis.ifelse(implausible, ibis.null("date"), t.birth),
        signup_date=t.signup,
        city=t.city_canonical.fill_null(t.city.strip()),
        province=t.province_canonical.fill_null(t.province),
        city_tier=t.tier_canonical.fill_null(t.city_tier),
        implausible=implausible,
    )
    return out.select(*base, "raw_id", "reason", "implausible", "city_flag")


def split_customers(out: ir.Table) -> tuple[ir.Table, ir.Table, pd.DataFrame]:
    """The kept and the quarantined customers of :func:`flag_customers`'s table ``out``, and the audit (as
    :func:`clean_customers` returns them)."""
    base = [c for c in out.columns if c not in ("raw_id", "reason", "implausible", "city_flag")]
    kept = out.filter(out.reason.isnull()).select(*base)
    quarantined = out.filter(out.reason.notnull()).select(*base, "raw_id", "reason")
    rules = [
        ("missing_customer_id", out.reason == "missing_customer_id", "quarantined"),
        ("duplicate_customer_exact", out.reason == "duplicate_customer_exact", "quarantined"),
        ("duplicate_customer", out.reason == "duplicate_customer", "quarantined"),
        ("test_account", out.reason == "test_account", "quarantined"),
        ("implausible_age", out.reason.isnull() & out.implausible, "kept, birth date set to missing"),
        ("city_spelling_normalised", out.reason.isnull() & (out.city_flag == "normalised"),
         "kept, city renamed to canonical"),
        ("city_unknown_spelling", out.reason.isnull() & (out.city_flag == "unknown_spelling"),
         "kept as is (add it to custseg.reference)"),
    ]
    # a rule on a column no customer has a value in checked nothing (a log of id, date and amount has no birth
    # dates or cities): it is not listed, rather than listed as finding nothing
    birth, city = out.birth_date.notnull() | out.implausible.fill_null(False), out.city.notnull()
    checks = {"implausible_age": birth, "city_spelling_normalised": city, "city_unknown_spelling": city}
    return kept, quarantined, _audit_counts(out, rules, checks)


def _audit_counts(t: ir.Table, rules: list[tuple[str, ir.BooleanValue, str]],
                  checks: dict[str, ir.BooleanValue] | None = None) -> pd.DataFrame:
    """The rows each rule caught, counted in one pass; a rule of ``checks`` (rule → the rows it can check) that had
    no row to check is left out."""
    checks = checks or {}
    sums = [cond.fill_null(False).cast("int64").sum().name(name) for name, cond, _ in rules]
    sums += [cond.fill_null(False).cast("int64").sum().name(f"checkable_{name}") for name, cond in checks.items()]
    counts = t.aggregate(sums).execute().iloc[0]
    rules = [r for r in rules if r[0] not in checks or counts[f"checkable_{r[0]}"] > 0]
    return _with_dimension(pd.DataFrame({"rule": [r[0] for r in rules], "rows": [int(counts[r[0]]) for r in rules],
                                         "action": [r[2] for r in rules]}))


def _with_dimension(audit: pd.DataFrame) -> pd.DataFrame:
    """Insert the data-quality dimension of each rule (:data:`RULE_DIMENSIONS`) after the rule."""
    audit.insert(1, "dimension", audit["rule"].map(RULE_DIMENSIONS))
    return audit


def transaction_options(cfg: dict) -> dict:
    """The keyword arguments of :func:`clean_transactions` from a run config's ``clean`` section."""
    c = cfg["clean"]
    return {"max_line_quantity": c["max_line_quantity"], "max_unit_price": c["max_unit_price"],
            "earliest": None if c["earliest_date"] is None else dt.date.fromisoformat(str(c["earliest_date"])),
            "exclude_products": list(c["exclude_products"]), "rules_off": tuple(c["rules_off"]),
            "case_sensitive": ids_case_sensitive(cfg["sources"])}


def clean_transactions(transactions: ir.Table, customers: ir.Table, test_ids: ir.Table, snapshot: dt.date,
                       max_line_quantity: float | None = None, max_unit_price: float | None = None,
                       earliest: dt.date | None = None, exclude_products: list[str] | tuple = (),
                       rules_off: tuple = (), case_sensitive: bool = False) -> tuple[ir.Table, ir.Table, pd.DataFrame]:
    """Apply the line rules (module docstring) to the transactions: :func:`flag_lines`, then :func:`split_lines`.

    Every use of the returned tables evaluates the rules again; on a large log, write :func:`flag_lines`'s
    table once and split the written copy instead (02_clean does).
    """
    flagged = flag_lines(transactions, customers, test_ids, snapshot, max_line_quantity, max_unit_price, earliest,
                         exclude_products, rules_off, case_sensitive)
    return split_lines(flagged, rules_off)


def flag_lines(transactions: ir.Table, customers: ir.Table, test_ids: ir.Table, snapshot: dt.date,
               max_line_quantity: float | None = None, max_unit_price: float | None = None,
               earliest: dt.date | None = None, exclude_products: list[str] | tuple = (),
               rules_off: tuple = (), case_sensitive: bool = False) -> ir.Table:
    """Every transaction line with the ``reason`` it is quarantined for (null: kept) and ``is_return``.

    Parameters
    ----------
    transactions : ibis Table
        Lines from :func:`custseg.collect.read_transactions`.
    customers : ibis Table
        Cleaned (kept) customers, with normalised ids.
    test_ids : ibis Table
        Column ``customer_id`` of the test accounts.
    snapshot : date
        Lines after this date are implausible.
    max_line_quantity, max_unit_price : float, optional
        The bulk-outlier thresholds; None switches one off.
    earliest : date, optional
        Lines before it are implausible; default Jan 1 of the first signup year, else 1990-01-01.
    exclude_products : list of str
        Product ids that are not purchases.
    rules_off : tuple of str
        Rules switched off (``clean.rules_off``): their lines are kept, or caught by a later rule.
    case_sensitive : bool
        Compare ids with their case (:func:`custseg.schema.ids_case_sensitive`).

    Returns
    -------
    ibis Table
        The columns of ``transactions`` (customer ids normalised) plus ``reason`` and ``is_return``.
    """
    columns = list(transactions.columns)
    t = transactions.mutate(exact_copy=ibis.row_number().over(group_by=columns))
    t = t.mutate(customer_id=normalise_id(t.customer_id, case_sensitive))
    t = t.mutate(copy_no=ibis.row_number().over(group_by=columns, order_by=t.exact_copy))
    known = customers.select("customer_id").distinct().mutate(known=ibis.literal(True))
    tests = test_ids.select("customer_id").distinct().mutate(is_test=ibis.literal(True))
    t = t.left_join(known, "customer_id").drop("customer_id_right")
    t = t.left_join(tests, "customer_id").drop("customer_id_right")
    if earliest is None:
        first_signup = customers.signup_date.min().execute()
        earliest = DEFAULT_EARLIEST if pd.isna(first_signup) else dt.date(pd.Timestamp(first_signup).year, 1, 1)
    turned = contradicts_sign(t).fill_null(False)
    t = t.mutate(amount=signed_amount(t), unit_price=turned.ifelse(t.unit_price.abs(), t.unit_price), turned=turned)
    returned = is_return(t)
    too_big = ibis.literal(False)
    if max_line_quantity is not None:
        too_big = too_big | (t.quantity.abs() > max_line_quantity)
    if max_unit_price is not None:
        too_big = too_big | (t.unit_price > max_unit_price)
    excluded = t.product_id.isin(list(exclude_products)) if exclude_products else ibis.literal(False)
    rules = [
        (t.exact_copy > 0, "duplicate_line"),
        (t.copy_no > 0, "near_duplicate_line"),
        (t.order_missing, "missing_order"),
        (t.status == "cancelled", "cancelled_order"),
        (excluded.fill_null(False), "excluded_product"),
        (t.is_test.fill_null(False), "test_account"),
        (t.customer_id.isnull(), "missing_customer_id"),
        (t.known.isnull(), "unknown_customer"),
        (t.order_ts.isnull() | (t.order_ts.date() > snapshot) | (t.order_ts.date() < earliest),
         "implausible_date"),
        (t.amount.isnull() | (t.quantity == 0), "invalid_amount"),
        (t.unit_price <= 0, "non_positive_price"),
        (~returned & (t.amount <= 0), "non_positive_amount"),
        (too_big, "bulk_outlier"),
    ]
    reason = ibis.cases(*[(cond, name) for cond, name in rules if name not in rules_off], else_=ibis.null("string"))
    t = t.mutate(reason=reason, is_return=returned)
    # returns need a kept purchase of the same customer at or before them to be netted against
    first_buy = (t.filter(t.reason.isnull() & ~t.is_return).group_by("customer_id")
                 .aggregate(first_buy=ibis._.order_ts.min()))
    t = t.left_join(first_buy, "customer_id").drop("customer_id_right")
    if "return_without_purchase" not in rules_off:
        orphan = t.reason.isnull() & t.is_return & (t.first_buy.isnull() | (t.first_buy > t.order_ts))
        t = t.mutate(reason=ibis.ifelse(orphan, "return_without_purchase", t.reason))
    return t.select(*columns, "reason", "is_return", "turned")


def split_lines(flagged: ir.Table, rules_off: tuple = ()) -> tuple[ir.Table, ir.Table, pd.DataFrame]:
    """Kept and quarantined lines, and the audit, from :func:`flag_lines`'s table (or a written copy of it).

    Returns
    -------
    kept, quarantined : ibis Table
        Quarantined lines carry ``reason``; ``len(kept) + len(quarantined) == len(flagged)``.
    audit : DataFrame
        Rule, data-quality dimension, rows and amount per reason, in rule order, then the kept returns
        (netted, not quarantined).
    """
    t = flagged
    columns = [c for c in t.columns if c not in ("reason", "is_return", "order_missing", "turned")]
    kept = t.filter(t.reason.isnull()).select(*columns)
    quarantined = t.filter(t.reason.notnull()).select(*columns, "reason")
    agg = (t.group_by("reason").aggregate(rows=ibis._.count(), amount=ibis._.amount.sum(),
                                           returns=ibis._.is_return.sum(),
                                           returned=ibis._.amount.sum(where=ibis._.is_return),
                                           turned=ibis._.turned.sum(), turned_amount=ibis._.amount.sum(
                                               where=ibis._.turned))
           .execute())
    quarantine = agg[agg["reason"].notna()].set_index("reason")
    audit = pd.DataFrame({"rule": LINE_RULES})
    audit["rows"] = audit["rule"].map(quarantine["rows"]).fillna(0).astype("int64")
    audit["amount"] = audit["rule"].map(quarantine["amount"]).fillna(0.0).round(2)
    audit["action"] = ["switched off (clean.rules_off)" if r in rules_off else "quarantined" for r in audit["rule"]]
    kept_row = agg[agg["reason"].isna()]
    returns = pd.DataFrame({"rule": ["return_sign_turned", "return_netted"],
                            "rows": [int(kept_row["turned"].sum()), int(kept_row["returns"].sum())],
                            "amount": [round(float(kept_row["turned_amount"].fillna(0).sum()), 2),
                                       round(float(kept_row["returned"].fillna(0).sum()), 2)],
                            "action": ["kept as returns, amount made negative (it was written positive)",
                                       "kept, netted against purchases"]})
    return kept, quarantined, _with_dimension(pd.concat([audit, returns], ignore_index=True))


EXAMPLE_COLUMNS = ("reason", "order_id", "customer_id", "order_ts", "status", "product_id", "quantity", "unit_price",
                   "amount")


def quarantine_examples(quarantined: ir.Table) -> pd.DataFrame:
    """One example line per quarantine reason (the first by order id, then line and every shown column, so the
    same line whatever order the lines are stored in): what each rule actually caught.

    Parameters
    ----------
    quarantined : ibis Table
        The quarantined lines of :func:`split_lines` (with ``reason``).

    Returns
    -------
    DataFrame
        :data:`EXAMPLE_COLUMNS`, one row per reason that caught a line, ordered by reason.
    """
    order = ["order_id", *(c for c in ("line_no", *EXAMPLE_COLUMNS) if c in quarantined.columns and c != "order_id")]
    first = quarantined.mutate(n=ibis.row_number().over(group_by="reason", order_by=order)).filter(
        ibis._.n == 0).drop("n")
    return first.select(*EXAMPLE_COLUMNS).order_by("reason").execute()


def snapshot_date(transactions: ir.Table, configured: dt.date | None) -> dt.date:
    """The configured snapshot date, or the day after the last plausible transaction."""
    if configured is not None:
        return configured
    plausible = transactions.order_ts.notnull() & (transactions.order_ts <= ibis.now())
    last = transactions.filter(plausible).order_ts.max().execute()
    if pd.isna(last):
        latest = transactions.order_ts.max().execute()
        raise SourceError(
            "source 'transactions': no order line is dated on or before today"
            + (f" (they run from {transactions.order_ts.min().execute():%Y-%m-%d} to {latest:%Y-%m-%d})"
               if not pd.isna(latest) else " (no line has a date)")
            + ". To fix: check how the dates are read (sources.transactions.date_format, dayfirst), or set "
              "snapshot_date to the day recency is measured at.")
    return (pd.Timestamp(last) + pd.Timedelta(days=1)).date()


# what a user can change when a rule removes more than expected
RULE_KEYS = {
    "duplicate_line": "identical lines are double-loaded copies; switch it off only if your log really repeats lines",
    "near_duplicate_line": "ids that differ only in case or spaces are normalised, then copies removed",
    "missing_order": "sources.orders (the order headers) and the order_id mapping of both sources",
    "cancelled_order": "the status mapping (sources.*.columns.status)",
    "excluded_product": "clean.exclude_products",
    "test_account": "clean.test_account_patterns",
    "missing_customer_id": "sources.transactions.columns.customer_id, ids.null_tokens",
    "unknown_customer": "the customer_id mapping of the CRM and the log (they must hold the same ids), "
                        "ids.strip_leading_zeros",
    "implausible_date": "sources.transactions.date_format / dayfirst, snapshot_date, clean.earliest_date",
    "invalid_amount": "sources.transactions.columns.amount (or quantity and unit_price), decimal, thousands",
    "non_positive_price": "sources.transactions.columns.unit_price",
    "non_positive_amount": "sources.transactions.columns.amount, the discount mapping",
    "bulk_outlier": "clean.max_line_quantity, clean.max_unit_price (null switches one off)",
    "return_without_purchase": "the window of the export (returns of purchases made before it)",
}


def balance(customers: ir.Table, transactions: ir.Table, tables: dict[str, ir.Table], snapshot: dt.date) -> dict:
    """Rows in, kept and quarantined, for customers and order lines; every row must be in exactly one of the two.

    Raises
    ------
    StageError
        When the counts do not add up (a custseg bug).
    """
    counts = {"snapshot_date": snapshot.isoformat(), "lines_in": int(transactions.count().execute()),
              "lines_kept": int(tables["transactions"].count().execute()),
              "lines_quarantined": int(tables["quarantine_transactions"].count().execute()),
              "customers_in": int(customers.count().execute()),
              "customers_kept": int(tables["customers"].count().execute()),
              "customers_quarantined": int(tables["quarantine_customers"].count().execute())}
    if counts["lines_in"] != counts["lines_kept"] + counts["lines_quarantined"] or \
            counts["customers_in"] != counts["customers_kept"] + counts["customers_quarantined"]:
        raise StageError(f"02_clean lost rows (a custseg bug, please report it): {counts}")
    return counts


def rule_counts(audit: pd.DataFrame) -> dict[str, dict[str, int]]:
    """The rules of an audit that touched rows, as 02's stage record keeps them: ``quarantined`` (rule → rows
    moved to the quarantine) and ``kept`` (rule → rows kept, corrected or netted)."""
    touched = audit[audit["rows"] > 0]
    moved = touched["action"] == "quarantined"
    return {"quarantined": {r.rule: int(r.rows) for r in touched[moved].itertuples()},
            "kept": {r.rule: int(r.rows) for r in touched[~moved].itertuples()}}


def refuse_empty(counts: dict, line_audit: pd.DataFrame, audit_path) -> None:
    """Stop a run whose rules kept no order line, naming the rules that removed the most and the key of each."""
    removed = line_audit[(line_audit["action"] == "quarantined") & (line_audit["rows"] > 0)].nlargest(3, "rows")
    reasons = "; ".join(f"{r.rule}: {r.rows:,} lines (see {RULE_KEYS.get(r.rule, 'the audit')})"
                        for r in removed.itertuples())
    if not removed.empty and removed.iloc[0]["rule"] == "return_without_purchase" \
            and 2 * int(removed.iloc[0]["rows"]) > counts["lines_in"]:
        n = int(removed.iloc[0]["rows"])
        raise StageError(f"02_clean kept none of the {counts['lines_in']:,} order lines: {n:,} of them are returns "
                         "whose purchase is not in the export (return_without_purchase), so the export seems to "
                         "start after the purchases. To fix: export a window that starts earlier, so that it holds "
                         "the purchases too (a log of returns alone has nothing to segment); if these lines are "
                         "purchases, not returns, check the sign of the quantity and amount and the status mapping "
                         "(sources.transactions.columns.status); clean.rules_off: [return_without_purchase] keeps "
                         f"returns without their purchase. The audit is in {audit_path}")
    raise StageError(f"02_clean kept none of the {counts['lines_in']:,} order lines. Most were removed by "
                     f"{reasons}. The audit is in {audit_path}")


def refuse_large_quarantine(flagged: ir.Table, max_share: float | None = None, n_examples: int = 3,
                            chosen_snapshot: dt.date | None = None) -> None:
    """Stop when one quarantine reason takes more than ``max_share`` of the order lines or of the money.

    Lines dated after a ``chosen_snapshot`` (the config's ``snapshot_date``) are outside the window the user chose,
    not a sign that the export was read wrongly: they do not count.

    Parameters
    ----------
    flagged : ibis Table
        :func:`flag_lines`'s table (every line, ``reason`` null when kept).
    max_share : float, optional
        ``clean.max_quarantine_share``; None: :data:`MAX_QUARANTINE_SHARE`.
    n_examples : int
        Example lines shown (``validation.examples``).

    Raises
    ------
    StageError
        Naming the reason, its shares, example lines, what to check (:data:`RULE_KEYS`) and the key that
        accepts the quarantine (``clean.max_quarantine_share``).
    """
    limit = MAX_QUARANTINE_SHARE if max_share is None else max_share
    if chosen_snapshot is not None:
        flagged = flagged.filter(~((flagged.reason == "implausible_date")
                                   & (flagged.order_ts.date() > ibis.literal(chosen_snapshot))).fill_null(False))
    money = flagged.amount.abs().fill_null(0)
    per = (flagged.mutate(money=money).group_by("reason").aggregate(rows=ibis._.count(), money=ibis._.money.sum())
           .execute())
    lines, total = per["rows"].sum(), per["money"].sum()
    per = per[per["reason"].notna()].copy()
    per["line_share"], per["money_share"] = per["rows"] / lines, per["money"] / total if total else 0.0
    # bulk outliers are removed because their money would dominate: only their share of the lines counts
    per.loc[per["reason"] == "bulk_outlier", "money_share"] = 0.0
    over = per[(per["line_share"] > limit) | (per["money_share"] > limit)]
    if over.empty:
        return
    worst = over.assign(top=over[["line_share", "money_share"]].max(axis=1)).nlargest(1, "top").iloc[0]
    examples = (flagged.filter(flagged.reason == worst["reason"]).order_by("order_id").limit(n_examples)
                .select(*EXAMPLE_COLUMNS[1:]).execute())
    shown = [{k: v for k, v in row.items() if pd.notna(v)} for row in examples.astype("str").to_dict("records")]
    raise StageError(
        f"02_clean: the rule {worst['reason']} quarantines {int(worst['rows']):,} of {int(lines):,} order lines "
        f"({worst['line_share']:.0%}) holding {worst['money_share']:.0%} of the money, more than "
        f"clean.max_quarantine_share ({limit:.0%}) allows: the export is probably read wrongly. Examples: {shown}. "
        f"To fix: check {RULE_KEYS.get(worst['reason'], 'the audit')}; if these lines really are to be left out, "
        f"set clean.max_quarantine_share: {min(1.0, float(worst['top']) + 0.01):.2f}")
