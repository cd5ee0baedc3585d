"""Messy real exports, table-driven: every case is parsed correctly (exact totals), a clear error (source, column,
what to change) or a quarantined row with its reason — never a silent guess with money or identities.

The degenerate data sets that need the whole pipeline, and the cases run through the real command line, are in
tests/e2e/test_messy_cli.py.
"""

import sqlite3

import pandas as pd
import pytest
import yaml

from custseg import collect, config, engine, io, pipeline
from custseg.errors import ConfigError, SourceError

H = "customer_id,order_ts,amount\n"


def lines(*rows, header=H, sep=","):
    """A CSV log from rows of (customer, date, amount text)."""
    return header.replace(",", sep) + "".join(sep.join(r) + "\n" for r in rows)


def make_cfg(tmp_path, source: dict, **more) -> dict:
    user = {"name": "m", "paths": {"raw": str(tmp_path), "workdir": str(tmp_path)}, "demo": {"enabled": False},
            "sources": {"transactions": {"path": "t.csv", **source}, **more.pop("sources", {})},
            "privacy": {"pii_columns": []}, **more}
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(user, allow_unicode=True), encoding="utf-8")
    return config.load(path)


def write(tmp_path, files: dict) -> None:
    for name, content in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        elif isinstance(content, pd.DataFrame):
            if name.endswith(".xlsx"):
                content.to_excel(target, index=False, header=False)
            else:
                content.to_parquet(target)
        else:
            target.write_text(content, encoding="utf-8")


def excel_rows(*rows) -> pd.DataFrame:
    """A sheet written cell by cell (header included), so titles and repeated names stay as they are."""
    return pd.DataFrame(list(rows))


def sqlite_file(tmp_path) -> bytes:
    path = tmp_path / "_db.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE x (a)")
    return path.read_bytes()


# a quoted delimiter first seen beyond the 20,480 lines DuckDB's sniffer reads: it fails, then custseg reads again
LATE_QUOTE = H.replace("amount", "amount,product") + "".join(f"C{i},2024-01-{i % 28 + 1:02d},1,Mug\n"
                                                              for i in range(30_000)) + 'Z,2024-02-01,5,"Mug, blue"\n'
TITLED_SHEET = excel_rows(["Sales report", None, None], ["customer_id", "order_ts", "amount"], ["A", "2024-01-01", 4.5])
# (id, files, transactions source, more config, expected)
#   expected: ("parsed", {"amount": total, "customers": distinct ids, "lines": rows})
#             ("error", error type, [fragments of the message])
CASES = [
    # ---- money
    ("thousands-comma", {"t.csv": lines(("A", "2024-01-01", '"7,649.70"'), ("B", "2024-01-02", "764.97"))}, {}, {},
     ("parsed", {"amount": 8414.67, "customers": 2, "lines": 2})),
    ("thousands-dot-decimal-comma", {"t.csv": lines(("A", "2024-01-01", "7.649,70"), ("B", "2024-01-02", "764,97"),
                                                    sep=";")}, {"delimiter": ";"}, {},
     ("parsed", {"amount": 8414.67, "customers": 2, "lines": 2})),
    ("decimal-comma-set", {"t.csv": lines(("A", "2024-01-01", "7.649,70"), ("B", "2024-01-02", "764,97"), sep=";")},
     {"delimiter": ";", "decimal": ","}, {}, ("parsed", {"amount": 8414.67, "customers": 2, "lines": 2})),
    ("decimal-comma-only", {"t.csv": lines(("A", "2024-01-01", "10,50"), ("B", "2024-01-02", "3,20"), sep=";")},
     {"delimiter": ";"}, {}, ("parsed", {"amount": 13.70, "customers": 2, "lines": 2})),
    ("millions-grouped", {"t.csv": lines(("A", "2024-01-01", '"1,234,567.89"'), ("B", "2024-01-02", "0.11"))}, {}, {},
     ("parsed", {"amount": 1234568.00, "customers": 2, "lines": 2})),
    ("dot-groups-only", {"t.csv": lines(("A", "2024-01-01", "1.234.567"), ("B", "2024-01-02", "3"), sep=";")},
     {"delimiter": ";"}, {}, ("parsed", {"amount": 1234570.0, "customers": 2, "lines": 2})),
    ("apostrophe-thousands", {"t.csv": lines(("A", "2024-01-01", "1'234.50"), ("B", "2024-01-02", "10.00"))}, {}, {},
     ("parsed", {"amount": 1244.50, "customers": 2, "lines": 2})),
    ("space-thousands", {"t.csv": lines(("A", "2024-01-01", "1 234,50"), ("B", "2024-01-02", "5,50"), sep=";")},
     {"delimiter": ";"}, {}, ("parsed", {"amount": 1240.0, "customers": 2, "lines": 2})),
    ("nbsp-thousands", {"t.csv": lines(("A", "2024-01-01", "1\u00a0234,50"), ("B", "2024-01-02", "5,50"), sep=";")},
     {"delimiter": ";"}, {}, ("parsed", {"amount": 1240.0, "customers": 2, "lines": 2})),
    ("currency-prefix", {"t.csv": lines(("A", "2024-01-01", "¥1234.50"), ("B", "2024-01-02", "$ 10"),
                                        ("C", "2024-01-03", "￥5"), ("D", "2024-01-04", "€2.50"))}, {}, {},
     ("parsed", {"amount": 1252.0, "customers": 4, "lines": 4})),
    ("currency-suffix", {"t.csv": lines(("A", "2024-01-01", "100元"), ("B", "2024-01-02", "20 CNY"),
                                        ("C", "2024-01-03", "RMB 3"))}, {}, {},
     ("parsed", {"amount": 123.0, "customers": 3, "lines": 3})),
    ("trailing-minus-return", {"t.csv": lines(("A", "2024-01-01", "50.00"), ("A", "2024-01-05", "12.50-"))}, {}, {},
     ("parsed", {"amount": 37.50, "customers": 1, "lines": 2})),
    ("bracket-negative", {"t.csv": lines(("A", "2024-01-01", "50.00"), ("A", "2024-01-05", "(3.00)"))}, {}, {},
     ("parsed", {"amount": 47.0, "customers": 1, "lines": 2})),
    ("full-width-digits", {"t.csv": lines(("A", "2024-01-01", "１２３．５０"), ("B", "2024-01-02", "１"))}, {}, {},
     ("parsed", {"amount": 124.5, "customers": 2, "lines": 2})),
    ("plus-sign", {"t.csv": lines(("A", "2024-01-01", "+5.00"), ("B", "2024-01-02", "7"))}, {}, {},
     ("parsed", {"amount": 12.0, "customers": 2, "lines": 2})),
    ("both-conventions", {"t.csv": lines(("A", "2024-01-01", '"1,234.56"'), ("B", "2024-01-02", '"1.234,56"'))}, {},
     {}, ("error", SourceError, ["column 'amount'", "both conventions", "'1,234.56'", "'1.234,56'",
                                 "sources.transactions.decimal"])),
    ("decimal-comma-set-but-dots", {"t.csv": lines(("A", "2024-01-01", "7.50"), ("B", "2024-01-02", "1.5"))},
     {"decimal": ","}, {}, ("error", SourceError, ["decimal is set to ','", "decimal point", "'7.50'"])),
    ("decimal-dot-set-but-commas", {"t.csv": lines(("A", "2024-01-01", "1.234,56"), ("B", "2024-01-02", "7,5"),
                                                   sep=";")}, {"delimiter": ";", "decimal": "."}, {},
     ("error", SourceError, ["decimal is set to '.'", "decimal comma"])),
    ("thousands-or-decimal", {"t.csv": lines(("A", "2024-01-01", '"1,234"'), ("B", "2024-01-02", '"5,000"'))}, {}, {},
     ("error", SourceError, ["could be thousands or decimals", "'1,234'", "sources.transactions.thousands"])),
    ("thousands-set-parses-them", {"t.csv": lines(("A", "2024-01-01", '"1,234"'), ("B", "2024-01-02", '"5,000"'))},
     {"decimal": ".", "thousands": ","}, {}, ("parsed", {"amount": 6234.0, "customers": 2, "lines": 2})),
    ("bad-digit-groups", {"t.csv": lines(("A", "2024-01-01", '"12,34.5"'), ("B", "2024-01-02", '"1,234.5"'))}, {},
     {}, ("error", SourceError, ["1 of 2 values are not numbers", "'12,34.5'"])),
    ("words-in-amount", {"t.csv": lines(("A", "2024-01-01", "ten"), ("B", "2024-01-02", "n/a"))}, {}, {},
     ("error", SourceError, ["column 'amount'", "not numbers", "'ten'"])),
    ("same-decimal-and-thousands", {"t.csv": lines(("A", "2024-01-01", "1"))}, {"decimal": ",", "thousands": ","},
     {}, ("error", ConfigError, ["decimal' and", "both ','"])),
    ("unknown-decimal-setting", {"t.csv": lines(("A", "2024-01-01", "1"))}, {"decimal": "x"}, {},
     ("error", ConfigError, ["sources.transactions.decimal", "'.' or ','"])),
    ("unknown-thousands-setting", {"t.csv": lines(("A", "2024-01-01", "1"))}, {"thousands": "_"}, {},
     ("error", ConfigError, ["sources.transactions.thousands"])),
    # ---- identity
    ("null-id-words", {"t.csv": lines(("NULL", "2024-01-01", "1"), ("N/A", "2024-01-02", "2"),
                                      ("-", "2024-01-03", "4"), ("None", "2024-01-04", "8"), ("空", "2024-01-05", "16"),
                                      ("A", "2024-01-06", "32"))}, {}, {},
     ("parsed", {"amount": 63.0, "customers": 1, "lines": 6, "missing_ids": 5})),
    ("null-id-words-any-case", {"t.csv": lines(("null", "2024-01-01", "1"), ("n/a", "2024-01-02", "2"),
                                               ("A", "2024-01-06", "4"))}, {}, {},
     ("parsed", {"amount": 7.0, "customers": 1, "lines": 3, "missing_ids": 2})),
    ("custom-null-token", {"t.csv": lines(("UNKNOWN", "2024-01-01", "1"), ("A", "2024-01-06", "4"))}, {},
     {"ids": {"null_tokens": ["UNKNOWN"]}}, ("parsed", {"amount": 5.0, "customers": 1, "lines": 2, "missing_ids": 1})),
    ("all-ids-are-null-words", {"t.csv": lines(("NULL", "2024-01-01", "1"), ("N/A", "2024-01-02", "2"))}, {}, {},
     ("error", SourceError, ["column 'customer_id'", "empty", "missing-value words"])),
    ("scientific-ids", {"t.csv": lines(("1.23457E+11", "2024-01-01", "1"), ("1.23457E+11", "2024-01-02", "2"),
                                       ("4711", "2024-01-03", "3"))}, {}, {},
     ("error", SourceError, ["column 'customer_id'", "2 of 3 ids are in scientific notation", "'1.23457E+11'",
                             "export the ids as text"])),
    ("ids-as-floats", {"t.csv": lines(("17850.0", "2024-01-01", "1"), ("17850", "2024-01-02", "2"))}, {}, {},
     ("parsed", {"amount": 3.0, "customers": 1, "lines": 2})),
    ("leading-zeros-across-sources", {"t.csv": lines(("100", "2024-01-01", "1"), ("101", "2024-01-02", "2")),
                                      "c.csv": "customer_id,city\n00100,x\n00101,y\n"}, {},
     {"sources": {"customers": {"path": "c.csv"}}},
     ("error", SourceError, ["source 'customers'", "2 of 2 ordering customers are not in the CRM",
                             "match once leading zeros are removed", "ids.strip_leading_zeros: true"])),
    ("leading-zeros-stripped", {"t.csv": lines(("100", "2024-01-01", "1"), ("101", "2024-01-02", "2")),
                                "c.csv": "customer_id,city\n00100,x\n00101,y\n"}, {},
     {"sources": {"customers": {"path": "c.csv"}}, "ids": {"strip_leading_zeros": True}},
     ("parsed", {"amount": 3.0, "customers": 2, "lines": 2})),
    ("no-id-in-common", {"t.csv": lines(("A1", "2024-01-01", "1"), ("A2", "2024-01-02", "2")),
                         "c.csv": "customer_id,city\nZ9,x\nZ8,y\n"}, {}, {"sources": {"customers": {"path": "c.csv"}}},
     ("error", SourceError, ["none of the 2 customer ids of the transactions is in the CRM", "'A1'", "'Z8'",
                             "sources.customers.columns.customer_id"])),
    # ---- columns
    ("duplicate-amount-header", {"t.csv": "customer_id,amount,order_ts,amount\nA,1,2024-01-01,2\n"}, {}, {},
     ("error", SourceError, ["repeats column names", "'amount' in columns 2, 4"])),
    ("duplicate-id-header", {"t.csv": "customer_id,order_ts,customer_id,amount\nA,2024-01-01,B,2\n"}, {}, {},
     ("error", SourceError, ["'customer_id' in columns 1, 3"])),
    ("duplicate-header-excel", {"t.xlsx": excel_rows(["customer_id", "amount", "order_ts", "amount"],
                                                     ["A", 1, "2024-01-01", 2])}, {"path": "t.xlsx"}, {},
     ("error", SourceError, ["'amount' in columns 2, 4"])),
    ("bom-in-header", {"t.csv": "\ufeff" + lines(("A", "2024-01-01", "1"))}, {}, {},
     ("parsed", {"amount": 1.0, "customers": 1, "lines": 1})),
    ("crlf-and-padding", {"t.csv": (H + " A , 2024-01-01 , 1.5 \r\nB,2024-01-02,2\r\n\r\n").replace("\n", "\r\n")
                          .replace("\r\r", "\r")}, {}, {}, ("parsed", {"amount": 3.5, "customers": 2, "lines": 2})),
    ("utf16-export", {"t.csv": lines(("张三", "2024-01-01", "1"), ("李四", "2024-01-02", "2")).encode("utf-16")},
     {"encoding": "utf-16"}, {}, ("parsed", {"amount": 3.0, "customers": 2, "lines": 2})),
    # ---- survey items
    ("likert-english", {"t.csv": lines(("A", "2024-01-01", "1")),
                        "s.csv": "respondent_id,q1\nA,Strongly agree\nB,disagree\nC,Neutral\n"}, {},
     {"sources": {"survey": {"path": "s.csv"}}}, ("parsed", {"amount": 1.0, "customers": 1, "lines": 1,
                                                            "survey_q1": [5.0, 2.0, 3.0]})),
    ("likert-chinese", {"t.csv": lines(("A", "2024-01-01", "1")),
                        "s.csv": "respondent_id,q1\nA,非常同意\nB,不同意\nC,一般\n"}, {},
     {"sources": {"survey": {"path": "s.csv"}}}, ("parsed", {"amount": 1.0, "customers": 1, "lines": 1,
                                                            "survey_q1": [5.0, 2.0, 3.0]})),
    ("likert-with-na", {"t.csv": lines(("A", "2024-01-01", "1")), "s.csv": "respondent_id,q1\nA,4\nB,n/a\nC,2\n"},
     {}, {"sources": {"survey": {"path": "s.csv"}}},
     ("parsed", {"amount": 1.0, "customers": 1, "lines": 1, "survey_q1": [4.0, None, 2.0]})),
    ("likert-unknown-labels", {"t.csv": lines(("A", "2024-01-01", "1")),
                               "s.csv": "respondent_id,q1\nA,agree\nB,kinda agree\nC,agree\nD,meh\n"}, {},
     {"sources": {"survey": {"path": "s.csv"}}},
     ("error", SourceError, ["survey item 'q1'", "2 of 4 answers are not known Likert labels", "'kinda agree'"])),
    ("survey-free-text", {"t.csv": lines(("A", "2024-01-01", "1")),
                          "s.csv": "respondent_id,comment\nA,great shop\nB,too slow\n"}, {},
     {"sources": {"survey": {"path": "s.csv"}}}, ("parsed", {"amount": 1.0, "customers": 1, "lines": 1,
                                                            "survey_text": "comment"})),
    # ---- files
    ("folder-not-file", {"exports/a.txt": "x", "exports/b.txt": "y"}, {"path": "exports", "kind": "csv"}, {},
     ("error", SourceError, ["is a folder, not a file", "'a.txt'", "sources.transactions.path"])),
    ("parquet-dataset-folder", {"lake/part-0.parquet": pd.DataFrame({"customer_id": ["A"], "order_ts": ["2024-01-01"],
                                                                     "amount": [2.0]}),
                                "lake/part-1.parquet": pd.DataFrame({"customer_id": ["B"], "order_ts": ["2024-01-02"],
                                                                     "amount": [3.0]})},
     {"path": "lake", "kind": "parquet"}, {}, ("parsed", {"amount": 5.0, "customers": 2, "lines": 2})),
    ("parquet-folder-as-csv", {"lake/part-0.parquet": pd.DataFrame({"a": [1]})}, {"path": "lake", "kind": "csv"}, {},
     ("error", SourceError, ["folder of 1 Parquet files", "sources.transactions.kind: parquet"])),
    ("xlsx-named-csv", {"t.csv": b"PK\x03\x04" + b"\x00" * 60}, {}, {},
     ("error", SourceError, ["this is an Excel workbook", "sources.transactions.kind: excel"])),
    ("parquet-named-csv", {"t.csv": b"PAR1" + b"\x00" * 60}, {}, {},
     ("error", SourceError, ["this is a Parquet file", "sources.transactions.kind: parquet"])),
    ("sqlite-named-csv", {"t.csv": "SQLITE"}, {}, {}, ("error", SourceError, ["this is an SQLite database",
                                                                             "kind: sqlite"])),
    ("csv-named-parquet", {"t.parquet": lines(("A", "2024-01-01", "1"))}, {"path": "t.parquet"}, {},
     ("error", SourceError, ["this is a text file", "sources.transactions.kind: csv"])),
    ("typo-in-file-name", {"sales_2024.csv": lines(("A", "2024-01-01", "1"))}, {"path": "sales_2042.csv"}, {},
     ("error", SourceError, ["file not found", "did you mean 'sales_2024.csv'"])),
    ("title-rows", {"t.csv": "Sales report 2024,,\nexported 2025-01-02,,\n" + lines(("A", "2024-01-01", "1"))}, {}, {},
     ("error", SourceError, ["looks like a title", "the header seems to be on line 3",
                             "sources.transactions.skip_rows: 2"])),
    ("title-rows-skipped", {"t.csv": "Sales report 2024,,\nexported 2025-01-02,,\n" + lines(("A", "2024-01-01", "1"))},
     {"skip_rows": 2}, {}, ("parsed", {"amount": 1.0, "customers": 1, "lines": 1})),
    ("title-rows-excel", {"t.xlsx": TITLED_SHEET}, {"path": "t.xlsx"}, {},
     ("error", SourceError, ["the header seems to be on line 2", "skip_rows: 1"])),
    ("title-rows-excel-skipped", {"t.xlsx": TITLED_SHEET},
     {"path": "t.xlsx", "skip_rows": 1}, {}, ("parsed", {"amount": 4.5, "customers": 1, "lines": 1})),
    ("quoted-delimiter-late", {"t.csv": LATE_QUOTE}, {}, {},
     ("parsed", {"amount": 30_005.0, "customers": 30_001, "lines": 30_001})),
    ("single-quotes", {"t.csv": "customer_id;order_ts;amount\n'A;1';2024-01-01;1\n'B';2024-01-02;2\n"},
     {"delimiter": ";", "quote": "'"}, {}, ("parsed", {"amount": 3.0, "customers": 2, "lines": 2})),
    ("quote-too-long", {"t.csv": lines(("A", "2024-01-01", "1"))}, {"quote": "''"}, {},
     ("error", ConfigError, ["sources.transactions.quote", "one character"])),
    # ---- dates
    ("excel-serial-dates", {"t.csv": lines(("A", "45360", "1"), ("B", "45361.5", "2"))}, {}, {},
     ("parsed", {"amount": 3.0, "customers": 2, "lines": 2, "first_day": "2024-03-09"})),
    ("excel-serial-declared", {"t.csv": lines(("A", "45360", "1"))}, {"date_format": "excel"}, {},
     ("parsed", {"amount": 1.0, "customers": 1, "lines": 1, "first_day": "2024-03-09"})),
    ("mixed-date-formats", {"t.csv": lines(*[("A", f"2024-01-{d:02d}", "1") for d in range(1, 20)],
                                           *[("B", f"{d:02d}/02/2024", "1") for d in range(13, 25)])}, {}, {},
     ("error", SourceError, ["12 of 31 values are not dates", "mixes date formats", "19 ISO year-month-day",
                             "12 day or month first"])),
    ("month-first-with-dayfirst", {"t.csv": lines(("A", "12/31/2024", "1"), ("B", "11/30/2024", "1"))},
     {"dayfirst": True}, {}, ("error", SourceError, ["dayfirst is already set", "'%m/%d/%Y'"])),
]


def outcome(tmp_path, files, source, more):
    write(tmp_path, files)
    cfg = make_cfg(tmp_path, source, **more)
    got = collect.collect(engine.connect(), cfg)
    collect.check_ids_match(cfg, got)
    return got


@pytest.mark.parametrize("files, source, more, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_messy_input(tmp_path, files, source, more, expected):
    check(tmp_path, files, source, more, expected)


def check(tmp_path, files, source, more, expected):
    """Read the files as configured and check the outcome: the exact totals, or the error and its message."""
    files = {name: sqlite_file(tmp_path) if isinstance(value, str) and value == "SQLITE" else value
             for name, value in files.items()}
    if expected[0] == "error":
        _, error, fragments = expected
        with pytest.raises(error) as info:
            outcome(tmp_path, files, source, more)
        message = str(info.value)
        for fragment in fragments:
            assert fragment in message, message
        assert len(message) < 1200
        if error is SourceError:
            assert message.startswith("source '") and "To fix:" in message
        return
    got = outcome(tmp_path, files, source, more)
    t = got.transactions.execute()
    want = expected[1]
    assert t["amount"].sum() == pytest.approx(want["amount"], abs=1e-9)
    assert t["customer_id"].nunique() == want["customers"] and len(t) == want["lines"]
    assert t["customer_id"].isna().sum() == want.get("missing_ids", 0)
    if "ids" in want:
        assert sorted(t["customer_id"].dropna().unique()) == want["ids"]
    if "times" in want:
        assert sorted(t["order_ts"].astype(str)) == want["times"]
    for column, note in want.get("notes", {}).items():
        assert note in got.validation.set_index("canonical").loc[column, "notes"], got.validation
    if "first_day" in want:
        assert str(t["order_ts"].min().date()) == want["first_day"]
    if "survey_q1" in want:
        survey = got.survey.order_by("respondent_id").execute()
        assert survey["q1"].dtype == "float64"
        assert [None if pd.isna(v) else v for v in survey["q1"]] == want["survey_q1"]
    if "survey_text" in want:
        row = got.validation.set_index("column").loc[want["survey_text"]]
        assert row["type"] == "text" and "kept as text" in row["notes"]


def test_there_are_at_least_sixty_messy_inputs():
    assert len(CASES) >= 60


def test_null_ids_are_quarantined_with_a_reason(tmp_path):
    """Lines whose id is a missing-value word are quarantined as missing_customer_id, never a customer 'NULL'."""
    write(tmp_path, {"t.csv": lines(("NULL", "2024-01-01", "1"), ("-", "2024-01-02", "2"), ("A", "2024-01-03", "4")),
                     "c.csv": "customer_id,city\nA,x\nN/A,y\n"})
    cfg = make_cfg(tmp_path, {}, sources={"customers": {"path": "c.csv"}})
    cfg["run"] = "m"
    cfg["clean"]["max_quarantine_share"] = 1.0  # 2 of 3 lines: above the default share, accepted here
    paths = io.run_paths(cfg).make()
    pipeline.collect(cfg, paths)
    result = pipeline.clean(cfg, paths)
    reasons = result.quarantine_transactions.reason.value_counts().execute().set_index("reason")["reason_count"]
    assert reasons.to_dict() == {"missing_customer_id": 2}
    assert result.transactions.customer_id.execute().tolist() == ["A"]
    customer_audit = result.customer_audit.set_index("rule")
    assert customer_audit.loc["missing_customer_id", "rows"] == 1
    assert result.customers.customer_id.execute().tolist() == ["A"]
    audit = io.read(paths, "audit")
    assert audit.loc[audit["rule"] == "missing_customer_id", "amount"].sum() == pytest.approx(3.0)


def test_the_audit_counts_the_money_of_trailing_minus_returns(tmp_path):
    write(tmp_path, {"t.csv": lines(("A", "2024-01-01", "50.00"), ("A", "2024-01-05", "12.50-"))})
    cfg = make_cfg(tmp_path, {})
    cfg["run"] = "m"
    paths = io.run_paths(cfg).make()
    pipeline.collect(cfg, paths)
    audit = pipeline.clean(cfg, paths).line_audit.set_index("rule")
    assert audit.loc["return_netted", "rows"] == 1 and audit.loc["return_netted", "amount"] == pytest.approx(-12.5)


def _clean(tmp_path, text, **more):
    write(tmp_path, {"t.csv": text})
    cfg = make_cfg(tmp_path, {}, **more)
    cfg["run"] = "m"
    paths = io.run_paths(cfg).make()
    pipeline.collect(cfg, paths)
    return pipeline.clean(cfg, paths)


SAME_DAY_TWICE = lines(("A", "2024-01-01", "9.90"), ("A", "2024-01-01", "9.90"), ("B", "2024-01-02", "0"))


def test_a_cleaning_rule_can_be_switched_off(tmp_path):
    """Identical lines on one day are double-loaded copies by default; in a log without order or line ids they
    may be two real purchases, and the analyst can say so. The audit shows what was switched off."""
    default = _clean(tmp_path / "on", SAME_DAY_TWICE, clean={"max_quarantine_share": 1.0})  # a 3-line log
    assert default.counts["lines_kept"] == 1
    # an exact copy is also a copy once ids are normalised, and a zero amount has a zero price: four rules
    off = _clean(tmp_path / "off", SAME_DAY_TWICE, clean={"rules_off": [
        "duplicate_line", "near_duplicate_line", "non_positive_amount", "non_positive_price"]})
    assert off.counts["lines_kept"] == 3 and off.counts["lines_quarantined"] == 0
    audit = off.line_audit.set_index("rule")
    assert audit.loc["duplicate_line", "action"] == "switched off (clean.rules_off)"
    assert audit.loc["non_positive_amount", "action"] == "switched off (clean.rules_off)"
    assert audit.loc["bulk_outlier", "action"] == "quarantined" and audit.loc["duplicate_line", "rows"] == 0


@pytest.mark.parametrize("rule, message", [("duplicate_lines", "unknown rule 'duplicate_lines'"),
                                           ("missing_customer_id", "missing_customer_id cannot be switched off")])
def test_rules_that_cannot_be_switched_off(tmp_path, rule, message):
    with pytest.raises(ConfigError, match=message):
        make_cfg(tmp_path, {}, clean={"rules_off": [rule]})
