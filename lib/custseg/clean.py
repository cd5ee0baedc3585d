r"""Cleaning rules with an audit: every input row is kept or quarantined with a reason code.

Customers: ids normalised (trim + upper case), duplicates after normalisation quarantined, birth
dates outside the plausible age range set to null (kept, counted), cities mapped to one canonical
spelling, test accounts quarantined.

Transactions (order lines), checked in this order — the first rule that matches is the reason:

==================  ==========================================================================
reason              rule
==================  ==========================================================================
duplicate_line      an exact copy of an earlier line (double-loaded export)
missing_order       the line's order header does not exist
cancelled_order     order status ``cancelled`` (never paid, so not a purchase)
test_account        the customer is an internal test account
unknown_customer    the customer id is not in the CRM after normalisation
implausible_date    timestamp missing, after the snapshot date or before the CRM's first signup year
non_positive_price  unit price ≤ 0 (free samples, data-entry errors)
bulk_outlier        \|quantity\| > ``clean.max_line_quantity`` or price > ``clean.max_unit_price``
                    (wholesale / reseller purchases that would dominate consumer spend)
==================  ==========================================================================

Returns (status ``returned``, negative quantities) are *kept*: they are netted against purchases
when features are computed, so monetary value is what the customer really spent.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pandas as pd

from custseg.reference import CITIES, city_aliases

LINE_RULES = ["duplicate_line", "missing_order", "cancelled_order", "test_account", "unknown_customer",
              "implausible_date", "non_positive_price", "bulk_outlier"]


def normalise_id(col: ir.StringValue) -> ir.StringValue:
    return col.cast("string").strip().upper()


def clean_customers(customers: ir.Table, snapshot: dt.date, min_age: int, max_age: int
                    ) -> tuple[ir.Table, ir.Table, pd.DataFrame]:
    """Normalise, deduplicate and validate the CRM table.

    Returns
    -------
    kept, quarantined : ibis Table
        Quarantined rows carry a ``reason`` column.
    audit : DataFrame
        One row per rule: rows affected and what happened to them.
    """
    aliases = ibis.memtable(pd.DataFrame({"city_key": list(city_aliases()), "city_canonical": list(
        city_aliases().values())}))
    geo = ibis.memtable(pd.DataFrame({"city_canonical": list(CITIES),
                                      "province_canonical": [v[0] for v in CITIES.values()],
                                      "tier_canonical": [v[1] for v in CITIES.values()]}))
    t = customers.mutate(
        raw_id=customers.customer_id,
        customer_id=normalise_id(customers.customer_id),
        birth=customers.birth_date.cast("string").try_cast("date"),
        signup=customers.signup_date.cast("string").try_cast("date"),
        city_key=customers.city.cast("string").strip().lower().re_replace(r"[\s']", "").re_replace(
            "(市|shi)$", ""),
    )
    # keep the most complete, earliest row of each normalised id; an exact id match wins ties
    order = [(t.raw_id != t.customer_id).cast("int8"), t.birth.isnull().cast("int8"), t.signup]
    t = t.mutate(dup_rank=ibis.row_number().over(group_by=t.customer_id, order_by=order))
    t = t.left_join(aliases, "city_key").drop("city_key_right").left_join(geo, "city_canonical").drop(
        "city_canonical_right")
    age = (ibis.literal(snapshot).epoch_days() - t.birth.epoch_days()) / 365.25
    implausible = t.birth.notnull() & ((age < min_age) | (age > max_age))
    unparsed = t.birth_date.notnull() & t.birth.isnull()
    reason = (ibis.cases((t.dup_rank > 0, "duplicate_customer"), (t.looks_like_test, "test_account"),
                         else_=ibis.null("string")))
    t = t.mutate(
        reason=reason,
        birth_date_flag=ibis.cases((implausible, "implausible_age"), (unparsed, "unparseable"),
                                   else_=ibis.null("string")),
        city_flag=ibis.cases((t.city.isnull(), "missing"), (t.city_canonical.isnull(), "unknown_spelling"),
                             (t.city.strip() != t.city_canonical, "normalised"), else_=ibis.null("string")),
    )
    out = t.mutate(
        birth_date=ibis.ifelse(implausible | unparsed, ibis.null("date"), t.birth),
        signup_date=t.signup,
        city=t.city_canonical.fill_null(t.city.strip()),
        province=t.province_canonical.fill_null(t.province),
        city_tier=t.tier_canonical.fill_null(t.city_tier),
    )
    base = [c for c in customers.columns if c != "looks_like_test"]
    kept = out.filter(out.reason.isnull()).select(*base)
    quarantined = out.filter(out.reason.notnull()).select(*base, "raw_id", "reason")
    audit = _audit_counts(out, [
        ("duplicate_customer", out.reason == "duplicate_customer", "quarantined"),
        ("test_account", out.reason == "test_account", "quarantined"),
        ("implausible_age", out.reason.isnull() & (out.birth_date_flag == "implausible_age"),
         "birth date set to null"),
        ("unparseable_birth_date", out.reason.isnull() & (out.birth_date_flag == "unparseable"),
         "birth date set to null"),
        ("city_spelling_normalised", out.reason.isnull() & (out.city_flag == "normalised"),
         "city renamed to canonical"),
        ("city_unknown_spelling", out.reason.isnull() & (out.city_flag == "unknown_spelling"),
         "kept as is (add to the alias table)"),
    ])
    return kept, quarantined, audit


def _audit_counts(t: ir.Table, rules: list[tuple[str, ir.BooleanValue, str]]) -> pd.DataFrame:
    counts = t.aggregate([cond.cast("int64").sum().name(name) for name, cond, _ in rules]).execute().iloc[0]
    return pd.DataFrame({"rule": [r[0] for r in rules], "rows": [int(counts[r[0]]) for r in rules],
                         "action": [r[2] for r in rules]})


def clean_transactions(transactions: ir.Table, customers: ir.Table, test_ids: ir.Table,
                       snapshot: dt.date, max_line_quantity: float, max_unit_price: float
                       ) -> tuple[ir.Table, ir.Table, pd.DataFrame]:
    """Apply the line rules (module docstring) to the transactions.

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

    Returns
    -------
    kept, quarantined : ibis Table
        Quarantined lines carry ``reason``; ``len(kept) + len(quarantined) == len(transactions)``.
    audit : DataFrame
        Rows and amount per reason, in rule order.
    """
    t = transactions.mutate(customer_id=normalise_id(transactions.customer_id))
    same = [c for c in transactions.columns]
    t = t.mutate(copy_no=ibis.row_number().over(group_by=same))
    known = customers.select("customer_id").mutate(known=ibis.literal(True))
    tests = test_ids.select("customer_id").distinct().mutate(is_test=ibis.literal(True))
    first_signup = customers.signup_date.min()
    t = t.left_join(known, "customer_id").drop("customer_id_right")
    t = t.left_join(tests, "customer_id").drop("customer_id_right")
    earliest = ibis.date(first_signup.year(), 1, 1)
    reason = ibis.cases(
        (t.copy_no > 0, "duplicate_line"),
        (t.order_missing, "missing_order"),
        (t.status.lower() == "cancelled", "cancelled_order"),
        (t.is_test.fill_null(False), "test_account"),
        (t.known.isnull(), "unknown_customer"),
        (t.order_ts.isnull() | (t.order_ts.date() > snapshot) | (t.order_ts.date() < earliest),
         "implausible_date"),
        (t.unit_price <= 0, "non_positive_price"),
        ((t.quantity.abs() > max_line_quantity) | (t.unit_price > max_unit_price), "bulk_outlier"),
        else_=ibis.null("string"),
    )
    t = t.mutate(reason=reason)
    kept = t.filter(t.reason.isnull()).select(*transactions.columns).drop("order_missing")
    quarantined = t.filter(t.reason.notnull()).select(*transactions.columns, "reason").drop("order_missing")
    agg = (quarantined.group_by("reason")
           .aggregate(rows=quarantined.count(), amount=quarantined.amount.sum()).execute().set_index("reason"))
    audit = pd.DataFrame({"rule": LINE_RULES})
    audit["rows"] = audit["rule"].map(agg["rows"]).fillna(0).astype("int64")
    audit["amount"] = audit["rule"].map(agg["amount"]).fillna(0.0).round(2)
    audit["action"] = "quarantined"
    return kept, quarantined, audit


def snapshot_date(transactions: ir.Table, configured: dt.date | None) -> dt.date:
    """The configured snapshot date, or the day after the last plausible transaction."""
    if configured is not None:
        return configured
    plausible = transactions.order_ts.notnull() & (transactions.order_ts <= ibis.now())
    last = transactions.filter(plausible).order_ts.max().execute()
    return (pd.Timestamp(last) + pd.Timedelta(days=1)).date()
