import datetime as dt
import tempfile
from pathlib import Path

import ibis
import pandas as pd
import pytest

from custseg import clean, collect, describe, engine, io, pipeline, schema
from custseg.reference import city_aliases, city_key

SNAP = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def cleaned(tiny_sources, tiny_cfg):
    c = tiny_cfg["clean"]
    kc, qc, ac = clean.clean_customers(tiny_sources["customers"], SNAP, c["min_age"], c["max_age"])
    kt, qt, at = clean.clean_transactions(tiny_sources["transactions"], kc, qc.filter(qc.reason == "test_account"),
                                          SNAP, **clean.transaction_options(tiny_cfg))
    return {"kc": kc.execute(), "qc": qc.execute(), "ac": ac, "kt": kt.execute(), "qt": qt.execute(), "at": at}


def test_pii_is_dropped_and_test_accounts_flagged(tiny_sources):
    customers = tiny_sources["customers"]
    assert not {"name", "phone", "email"} & set(customers.columns)
    flagged = customers.filter(customers.looks_like_test).customer_id.execute()
    assert len(flagged) >= 3 and all(i.startswith("T") for i in flagged)


def test_the_customer_preview_shows_the_columns_the_sources_hold():
    """A subscriber export has no birth date or city: the preview shows its own columns, not a row of blanks."""
    con = engine.connect()
    table = collect.complete_customers(con.create_table("subs", pd.DataFrame(
        {"customer_id": ["1001-A", "1002-B"], "gender": ["Male", None], "Contract": ["One year", "Two year"]})))
    assert "birth_date" in table.columns and "city" in table.columns
    shown = collect.preview(table)
    assert list(shown.columns) == ["customer_id", "gender", "Contract"] and len(shown) == 2


def test_reconciliation_finds_the_planted_gaps(tiny_sources):
    rec = collect.reconcile(tiny_sources["customers"], tiny_sources["transactions"], tiny_sources["survey"])
    counts = dict(zip(rec["check"], rec["count"], strict=True))
    assert counts["ordering customers missing from the CRM"] > 0  # U… ids
    assert counts["survey respondents missing from the CRM"] >= 3  # X… ids


def test_reconciliation_says_how_many_id_spellings_were_counted_as_another_customer():
    """A log whose export writes c01 beside C01 (and ' C02'): the totals count 4 raw ids, every later stage 2
    customers; the reconciliation row says the difference, and is left out when the case tells them apart."""
    con = engine.connect()
    log = con.create_table("log", pd.DataFrame({"customer_id": ["C01", "c01", "C02", " C02", None],
                                                "order_missing": [False] * 5}))
    crm = log.select("customer_id").distinct()
    spellings = int(log.customer_id.nunique().execute())  # as source_totals counts them
    assert spellings == 4
    for sensitive, folded in ((False, 2), (True, 1)):
        rec = collect.reconcile(crm, log, None, has_crm=False, case_sensitive=sensitive, spellings=spellings)
        counts = dict(zip(rec["check"], rec["count"], strict=True))
        assert counts[collect.FOLDED_SPELLINGS] == folded
        assert counts["customers with orders (distinct ids)"] == 4 - folded
        assert list(rec["check"][:2]) == ["customers with orders (distinct ids)", collect.FOLDED_SPELLINGS]
    clean_log = log.filter(log.customer_id.isin(["C01", "C02"]))
    rec = collect.reconcile(crm, clean_log, None, has_crm=False, spellings=2)
    assert collect.FOLDED_SPELLINGS not in set(rec["check"])  # nothing folded: no row
    table = collect.reconcile(crm, log, None, has_log=False, spellings=spellings)  # a customer table, no log
    assert dict(zip(table["check"], table["count"], strict=True))[collect.FOLDED_SPELLINGS] == 2


def test_every_row_is_kept_or_quarantined(cleaned, tiny_sources):
    rows_in = tiny_sources["transactions"].count().execute()
    assert len(cleaned["kt"]) + len(cleaned["qt"]) == rows_in
    audit = cleaned["at"]
    assert audit.loc[audit["action"] == "quarantined", "rows"].sum() == len(cleaned["qt"])
    assert audit.set_index("rule").loc["return_netted", "rows"] == (cleaned["kt"]["quantity"] < 0).sum() > 0
    customers_in = tiny_sources["customers"].count().execute()
    assert len(cleaned["kc"]) + len(cleaned["qc"]) == customers_in


def test_planted_mess_is_caught(cleaned):
    kc, qt, kt = cleaned["kc"], cleaned["qt"], cleaned["kt"]
    assert kc["customer_id"].is_unique
    assert (kc["customer_id"] == kc["customer_id"].str.strip().str.upper()).all()
    reasons = set(qt["reason"])
    assert {"duplicate_line", "cancelled_order", "test_account", "unknown_customer", "non_positive_price",
            "bulk_outlier"} <= reasons
    assert set(reasons) <= set(clean.LINE_RULES)
    assert (qt.loc[qt["reason"] == "unknown_customer", "customer_id"].str.startswith("U")).all()
    assert not kt["customer_id"].str.startswith(("T", "U")).any()
    assert (kt["unit_price"] > 0).all() and (kt["quantity"].abs() <= 50).all()
    assert not kt.duplicated(subset=["order_id", "line_no", "quantity"]).any()
    assert (kt["status"] != "cancelled").all()
    assert (kt.loc[kt["status"] == "returned", "quantity"] < 0).all(), "returns are kept for netting"


def test_cities_and_birth_dates(cleaned):
    kc = cleaned["kc"]
    canonical = set(city_aliases().values())
    assert set(kc["city"].dropna()) <= canonical
    age = (pd.Timestamp(SNAP) - pd.to_datetime(kc["birth_date"])).dt.days / 365.25
    assert age.dropna().between(16, 100).all()
    audit = cleaned["ac"].set_index("rule")["rows"]
    assert audit["duplicate_customer"] > 0 and audit["implausible_age"] > 0 and audit["city_spelling_normalised"] > 0
    assert audit["duplicate_customer_exact"] > 0  # the demo double-exports some CRM rows


def test_rules_on_columns_without_a_value_are_not_listed(tiny_sources):
    """A table without birth dates or cities (the ids of a log of id, date and amount) lists no age or city
    rule in 02's audit: a rule that checked nothing did not find nothing."""
    bare = tiny_sources["customers"].mutate(birth_date=ibis.null("date"), city=ibis.null("string"))
    _, _, audit = clean.clean_customers(bare, SNAP, 16, 100)
    assert not {"implausible_age", "city_spelling_normalised", "city_unknown_spelling"} & set(audit["rule"])
    assert {"missing_customer_id", "duplicate_customer", "test_account"} <= set(audit["rule"])


@pytest.mark.parametrize("spelling, city", [("上海市", "Shanghai"), (" shanghai ", "Shanghai"),
                                            ("Shanghai Shi", "Shanghai"), ("PEKING", "Beijing"), ("xian", "Xi'an")])
def test_city_aliases(spelling, city):
    assert city_aliases()[city_key(spelling)] == city


def test_rules_on_a_hand_made_example():
    customers = ibis.memtable(pd.DataFrame({"customer_id": ["A", "T"], "signup_date": [dt.date(2024, 1, 1)] * 2}))
    rows = [  # order_id, customer, date, status, quantity, unit price, product -> expected reason
        ("o1", " a", "2025-01-01", "completed", 1, 10, "p", None),
        ("o1", " a", "2025-01-01", "completed", 1, 10, "p", "duplicate_line"),
        ("o1", "A", "2025-01-01", "completed", 1, 10, "p", "near_duplicate_line"),
        ("o2", "A", "2025-01-01", "cancelled", 1, 10, "p", "cancelled_order"),
        ("o3", "A", "2025-01-01", "completed", 500, 10, "p", "bulk_outlier"),
        ("o4", "B", "2025-01-01", "completed", 1, 10, "p", "unknown_customer"),
        ("o5", "A", "2025-01-01", "completed", 1, 0, "p", "non_positive_price"),
        ("o6", "A", "2027-01-01", "completed", 1, 10, "p", "implausible_date"),
        ("o6b", "A", "2023-06-01", "completed", 1, 10, "p", "implausible_date"),  # before the first signup year
        ("o7", "A", "2025-02-01", "returned", -1, 10, "p", None),
        ("o8", "A", "2025-01-01", "completed", 1, 10, "POST", "excluded_product"),
        ("o9", None, "2025-01-01", "completed", 1, 10, "p", "missing_customer_id"),
        ("o10", "T", "2025-01-01", "completed", 1, 10, "p", "test_account"),
        ("o11", "A", None, "completed", 1, 10, "p", "implausible_date"),
        ("o12", "A", "2025-01-01", "completed", 1, 10, "p", "missing_order"),
        ("o13", "A", "2025-01-01", "completed", 1, 5, "p", "non_positive_amount"),  # discount 5 below
        ("o14", "A", "2025-01-01", "completed", 0, 5, "p", "invalid_amount"),
    ]
    lines = pd.DataFrame(rows, columns=["order_id", "customer_id", "ts", "status", "quantity", "unit_price",
                                        "product_id", "expected"])
    lines = lines.assign(line_no=1, order_ts=pd.to_datetime(lines.pop("ts")), channel="web", category="x",
                         quantity=lines["quantity"].astype(float), unit_price=lines["unit_price"].astype(float),
                         discount=[5.0 if o == "o13" else 0.0 for o in lines["order_id"]],
                         order_missing=lines["order_id"] == "o12")
    lines["amount"] = lines["quantity"] * lines["unit_price"] - lines["discount"]
    expected = dict(zip(lines["order_id"] + lines.index.astype(str), lines.pop("expected"), strict=True))
    tests = ibis.memtable(pd.DataFrame({"customer_id": ["T"]}))
    kept, quarantined, audit = clean.clean_transactions(ibis.memtable(lines), customers, tests, SNAP, 50, 20000,
                                                        exclude_products=["POST"])
    got = quarantined.execute()
    assert sorted(got["reason"]) == sorted(r for r in expected.values() if isinstance(r, str))
    assert len(kept.execute()) + len(got) == len(lines)
    assert sorted(kept.execute()["order_id"]) == ["o1", "o7"]
    audit = audit.set_index("rule")
    assert audit.loc["bulk_outlier", "amount"] == 5000.0
    assert audit.loc["return_netted", "rows"] == 1 and audit.loc["return_netted", "amount"] == -10.0


def test_one_example_line_per_quarantine_reason(tiny_sources, tiny_cfg):
    c = tiny_cfg["clean"]
    kc, qc, _ = clean.clean_customers(tiny_sources["customers"], SNAP, c["min_age"], c["max_age"])
    _, quarantined, _ = clean.clean_transactions(tiny_sources["transactions"], kc,
                                                 qc.filter(qc.reason == "test_account"), SNAP,
                                                 **clean.transaction_options(tiny_cfg))
    examples = clean.quarantine_examples(quarantined)
    lines = quarantined.execute()
    assert list(examples.columns) == list(clean.EXAMPLE_COLUMNS)
    assert list(examples["reason"]) == sorted(lines["reason"].unique())  # one each, ordered by reason
    first = lines.sort_values("order_id").groupby("reason")["order_id"].first()
    assert examples.set_index("reason")["order_id"].to_dict() == first.to_dict()


def test_return_without_purchase_is_quarantined():
    customers = ibis.memtable(pd.DataFrame({"customer_id": ["A", "B"], "signup_date": [dt.date(2024, 1, 1)] * 2}))
    lines = pd.DataFrame({"order_id": ["r0", "o1", "r1", "r2"], "line_no": 1, "customer_id": ["A", "A", "A", "B"],
                          "order_ts": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-03"]),
                          "channel": "web", "status": ["returned", "completed", "returned", "returned"],
                          "category": "x", "product_id": "p", "quantity": [-1.0, 2.0, -1.0, -1.0],
                          "unit_price": 10.0, "discount": 0.0, "order_missing": False})
    lines["amount"] = lines["quantity"] * lines["unit_price"]
    empty = ibis.memtable(pd.DataFrame({"customer_id": pd.Series([], dtype="str")}))
    kept, quarantined, _ = clean.clean_transactions(ibis.memtable(lines), customers, empty, SNAP)
    got = quarantined.execute().set_index("order_id")["reason"].to_dict()
    assert got == {"r0": "return_without_purchase", "r2": "return_without_purchase"}
    assert sorted(kept.execute()["order_id"]) == ["o1", "r1"]


def test_customer_duplicates_exact_and_normalised():
    crm = pd.DataFrame({"customer_id": ["A", "A", " a", "B"], "gender": "F",
                        "birth_date": [dt.date(1990, 1, 1)] * 3 + [dt.date(1800, 1, 1)],
                        "city": ["上海市", "上海市", "shanghai", "Peking"], "province": None, "city_tier": None,
                        "signup_date": [dt.date(2024, 1, 1)] * 4, "looks_like_test": False})
    kept, quarantined, audit = clean.clean_customers(ibis.memtable(crm), SNAP, 16, 100)
    kept = kept.execute().sort_values("customer_id")
    assert kept["customer_id"].tolist() == ["A", "B"] and kept["city"].tolist() == ["Shanghai", "Beijing"]
    assert kept["city_tier"].tolist() == ["tier 1", "tier 1"] and pd.isna(kept["birth_date"].iloc[1])
    assert sorted(quarantined.execute()["reason"]) == ["duplicate_customer", "duplicate_customer_exact"]
    counts = audit.set_index("rule")["rows"]
    assert counts["implausible_age"] == 1 and counts["city_spelling_normalised"] == 2


def test_every_audited_rule_names_its_quality_dimension(cleaned):
    for audit in (cleaned["ac"], cleaned["at"]):
        assert list(audit.columns[:2]) == ["rule", "dimension"]
        assert audit["dimension"].notna().all(), audit
        assert set(audit["dimension"]) <= {*clean.DIMENSIONS, "netting"}
    assert set(clean.LINE_RULES) <= set(clean.RULE_DIMENSIONS)


@pytest.mark.parametrize(("session", "progress", "expected"), [
    (None, None, False),  # plain Python, papermill: no bar in the report
    ("/work/notebooks/01_collect.ipynb", None, True),  # JupyterLab: DuckDB's widget on long queries
    ("/work/notebooks/01_collect.ipynb", False, False),  # asked for explicitly
])
def test_duckdb_progress_bar_only_where_someone_watches(monkeypatch, session, progress, expected):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    if session:
        monkeypatch.setenv("JPY_SESSION_NAME", session)
    con = engine.connect(progress=progress)
    assert con.raw_sql("SELECT current_setting('enable_progress_bar')").fetchone()[0] is expected


def test_duckdb_spills_to_the_private_temp_folder():
    """DuckDB's default is ./.tmp, and papermill runs the notebooks in notebooks/: a big run would spill there."""
    con = engine.connect(memory_limit="64MB")
    assert con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0] == "61.0 MiB"
    spill = Path(con.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0])
    assert spill.parent.name.startswith("custseg-staging-") and spill.is_relative_to(tempfile.gettempdir())


def test_staged_tables_are_the_collected_ones_read_from_parquet(tiny_sources, tmp_path):
    """01 materialises the collected tables: what follows scans the written Parquet, not the raw sources."""
    collected = tiny_sources["collected"]
    cfg = {"name": "staged", "paths": {"workdir": str(tmp_path), "raw": "raw"}}
    paths = io.run_paths(cfg).make()
    ctx = pipeline.Context(cfg, paths, pipeline.stage("01_collect"), tiny_sources["con"])
    for name in ("customers", "transactions", "survey"):
        before = getattr(collected, name).execute()
        staged = ctx.materialise(f"collected_{name}", getattr(collected, name))
        after = staged.execute()
        order = [c for c in ("customer_id", "respondent_id", "order_id", "line_no", "amount") if c in before]
        pd.testing.assert_frame_equal(after.sort_values(order, ignore_index=True),
                                      before.sort_values(order, ignore_index=True))
        sources = staged.op().find(ibis.expr.operations.DatabaseTable)
        assert [op.name for op in sources] == [f"collected_{name}"], "a scan of the written file, not the raw sources"
    assert ctx.materialised == {"collected_customers", "collected_transactions", "collected_survey"}


def test_lines_flagged_once_and_split_from_the_written_copy(tiny_sources, tiny_cfg, cleaned, tmp_path):
    """02_clean writes the flagged lines, then splits the written copy: same lines and audit as in one go."""
    c = tiny_cfg["clean"]
    kc, qc, _ = clean.clean_customers(tiny_sources["customers"], SNAP, c["min_age"], c["max_age"])
    flagged = clean.flag_lines(tiny_sources["transactions"], kc, qc.filter(qc.reason == "test_account"), SNAP,
                               **clean.transaction_options(tiny_cfg))
    assert {"reason", "is_return"} <= set(flagged.columns)
    io.write_ibis(flagged, tmp_path, "flagged_lines")
    kept, quarantined, audit = clean.split_lines(io.read_ibis(tiny_sources["con"], tmp_path, "flagged_lines"))
    pd.testing.assert_frame_equal(audit, cleaned["at"])
    for got, expected in ((kept.execute(), cleaned["kt"]), (quarantined.execute(), cleaned["qt"])):
        key = ["order_id", "line_no", "customer_id", "amount", *(["reason"] if "reason" in got else [])]  # copies
        pd.testing.assert_frame_equal(got.sort_values(key, ignore_index=True),
                                      expected.sort_values(key, ignore_index=True))


def test_descriptive_summaries_match_pandas(tiny_sources):
    t = tiny_sources["transactions"].filter(ibis._.customer_id.notnull() & ibis._.order_ts.notnull())
    lines = t.execute()
    per = describe.per_customer(t).set_index("customer_id").sort_index()
    expected = lines.groupby("customer_id").agg(orders=("order_id", "nunique"), net_spend=("amount", "sum"))
    pd.testing.assert_frame_equal(per, expected, check_dtype=False)
    month = lines.assign(month=lines["order_ts"].dt.to_period("M").dt.start_time.dt.date)
    expected = month.groupby("month").agg(orders=("order_id", "nunique"), customers=("customer_id", "nunique"),
                                          revenue=("amount", "sum")).reset_index()
    got = describe.monthly(t)
    got["month"] = pd.to_datetime(got["month"]).dt.date
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_customer_tables_are_written_in_one_order_and_order_lines_as_the_engine_gives_them(tmp_path):
    """A customer-grain table is written in its fixed order whatever order it came in (the steps after it see the
    same rows in the same order); order lines skip that sort (every use aggregates them in the engine), and the
    example line per quarantine reason does not depend on their stored order."""
    con = ibis.duckdb.connect()
    people = pd.DataFrame({"customer_id": ["c3", "c1", "c2"], "age": [30.0, 41.0, 25.0]})
    for frame in (people, people.iloc[::-1]):
        io.write_ibis(con.create_table("people", frame, overwrite=True), tmp_path, "people")
        assert pd.read_parquet(tmp_path / "people.parquet")["customer_id"].tolist() == ["c1", "c2", "c3"]
    lines = pd.DataFrame({"order_id": ["o2", "o1", "o1"], "line_no": [1, 2, 1], "customer_id": ["c1", "c2", "c2"],
                          "order_ts": pd.to_datetime(["2025-01-02", "2025-01-01", "2025-01-01"]),
                          "status": "completed", "product_id": ["p1", "p2", "p3"], "quantity": 1.0,
                          "unit_price": [5.0, 6.0, 7.0], "amount": [5.0, 6.0, 7.0], "reason": "duplicate_line"})
    assert schema.line_grain(con.create_table("l", lines)) and not schema.line_grain(con.create_table("p", people))
    picked = set()
    for frame in (lines, lines.iloc[::-1]):
        io.write_ibis(con.create_table("lines", frame, overwrite=True), tmp_path, "lines")
        assert len(pd.read_parquet(tmp_path / "lines.parquet")) == 3
        example = clean.quarantine_examples(io.read_ibis(con, tmp_path, "lines"))
        picked.add(tuple(example[["order_id", "product_id"]].iloc[0]))
    assert picked == {("o1", "p3")}, "the first line of the first order, however the lines are stored"
