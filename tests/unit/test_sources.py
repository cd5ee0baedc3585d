"""Sources: every reader and option gives the same canonical table; every bad input gives one clear error."""

import datetime as dt
import sqlite3

import pandas as pd
import pytest
import yaml

from custseg import collect, config, engine, io, schema
from custseg.collect import SourceError
from custseg.config import ConfigError

# the same four order lines in every format below
LINES = pd.DataFrame({
    "cust": ["A1", "A1", "B2", "C3"],
    "when": ["2024-01-31", "2024-02-15", "2024-03-01", "2024-12-24"],
    "value": [10.5, 20.0, 1234.25, -5.5],
})
TOTAL = LINES["value"].sum()
MAPPING = {"customer_id": "cust", "order_ts": "when", "amount": "value"}


def make_cfg(tmp_path, transactions: dict, **more) -> dict:
    """A validated config whose sources live in ``tmp_path``."""
    user = {"name": "t", "paths": {"raw": str(tmp_path), "workdir": str(tmp_path)}, "demo": {"enabled": False},
            "sources": {"transactions": transactions, **more.pop("sources", {})}, **more}
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(user, allow_unicode=True), encoding="utf-8")
    return config.load(path)


def collected(cfg):
    return collect.collect(engine.connect(), cfg)


def write_bytes(tmp_path, name, data: bytes):
    (tmp_path / name).write_bytes(data)
    return name


def csv_text(df, sep=",", decimal=".", header=True):
    return df.to_csv(sep=sep, decimal=decimal, index=False, header=header)


def _sqlite(path, df, table="sales"):
    with sqlite3.connect(path) as db:
        df.to_sql(table, db, index=False)


def good_sources(tmp_path):
    """(id, transactions source) pairs that all describe LINES."""
    t = tmp_path
    dayfirst = LINES.assign(when=pd.to_datetime(LINES["when"]).dt.strftime("%d/%m/%Y"))
    compact = LINES.assign(when=pd.to_datetime(LINES["when"]).dt.strftime("%Y%m%d"))
    (t / "plain.csv").write_text(csv_text(LINES), encoding="utf-8")
    (t / "tabs.tsv").write_text(csv_text(LINES, sep="\t"), encoding="utf-8")
    (t / "euro.csv").write_text(csv_text(dayfirst, sep=";", decimal=","), encoding="utf-8")
    (t / "gb.csv").write_bytes(csv_text(LINES.assign(cust=["张三", "张三", "李四", "王五"])).encode("gb18030"))
    (t / "gbk.tsv").write_bytes(csv_text(LINES.assign(cust=["张三", "张三", "李四", "王五"]), sep="\t").encode("gbk"))
    (t / "noheader.csv").write_text(csv_text(LINES, header=False), encoding="utf-8")
    (t / "compact.csv").write_text(csv_text(compact), encoding="utf-8")
    (t / "spaces.txt").write_text("cust   when        value\n" + "\n".join(
        f"{c}\t{w}   {v}" for c, w, v in LINES.itertuples(index=False)) + "\n\n", encoding="utf-8")
    (t / "spaces_noheader.txt").write_text("\n".join(
        f"{c} {w} {v}" for c, w, v in LINES.itertuples(index=False)), encoding="utf-8")
    LINES.assign(when=pd.to_datetime(LINES["when"])).to_parquet(t / "typed.parquet")
    compact.assign(when=compact["when"].astype("int64")).to_parquet(t / "intdate.parquet")
    io.write_excel(LINES, t / "book.xlsx", sheet="sales")
    io.write_duckdb(t / "shop.duckdb", {"sales": LINES})
    _sqlite(t / "shop.sqlite", LINES)
    amount_only = {"columns": MAPPING}
    return [
        ("csv", {"path": "plain.csv", **amount_only}),
        ("tsv", {"path": "tabs.tsv", **amount_only}),
        ("semicolon-decimal-comma-dayfirst", {"path": "euro.csv", "delimiter": ";", "decimal": ",", "dayfirst": True,
                                              **amount_only}),
        ("gb18030", {"path": "gb.csv", "encoding": "gb18030", **amount_only}),
        ("gbk-tsv", {"path": "gbk.tsv", "encoding": "gbk", **amount_only}),
        ("no-header", {"path": "noheader.csv", "header": False, "names": ["cust", "when", "value"], **amount_only}),
        ("no-header-default-names", {"path": "noheader.csv", "header": False, "columns": {
            "customer_id": "column0", "order_ts": "column1", "amount": "column2"}}),
        ("yyyymmdd-string", {"path": "compact.csv", "date_format": "%Y%m%d", **amount_only}),
        ("yyyymmdd-detected", {"path": "compact.csv", **amount_only}),
        ("whitespace-text", {"path": "spaces.txt", **amount_only}),
        ("whitespace-text-no-header", {"kind": "text", "path": "spaces_noheader.txt", "header": False,
                                       "columns": {"customer_id": "column0", "order_ts": "column1",
                                                   "amount": "column2"}}),
        ("parquet", {"path": "typed.parquet", **amount_only}),
        ("yyyymmdd-integer", {"path": "intdate.parquet", "date_format": "%Y%m%d", **amount_only}),
        ("excel", {"path": "book.xlsx", "sheet": "sales", **amount_only}),
        ("duckdb-table", {"path": "shop.duckdb", "table": "sales", **amount_only}),
        ("duckdb-query", {"path": "shop.duckdb", "query": "SELECT * FROM sales WHERE value > -1000", **amount_only}),
        ("sqlite-table", {"kind": "sqlite", "path": "shop.sqlite", "table": "sales", **amount_only}),
        ("sqlite-query", {"kind": "sqlite", "path": "shop.sqlite", "query": "SELECT cust, \"when\", value FROM sales",
                          **amount_only}),
        ("url", {"url": f"sqlite://{t / 'shop.sqlite'}", "table": "sales", **amount_only}),
        ("url-query", {"url": f"sqlite://{t / 'shop.sqlite'}", "query": "SELECT * FROM sales", **amount_only}),
    ]


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    t = tmp_path_factory.mktemp("good")
    return t, dict(good_sources(t))


@pytest.mark.parametrize("case", ["csv", "tsv", "semicolon-decimal-comma-dayfirst", "gb18030", "gbk-tsv",
                                  "no-header", "no-header-default-names", "yyyymmdd-string", "yyyymmdd-detected",
                                  "whitespace-text", "whitespace-text-no-header", "parquet", "yyyymmdd-integer",
                                  "excel", "duckdb-table", "duckdb-query", "sqlite-table", "sqlite-query", "url",
                                  "url-query"])
def test_every_reader_gives_the_canonical_table(good, case):
    tmp, sources = good
    got = collected(make_cfg(tmp, sources[case])).transactions.order_by(["order_ts"]).execute()
    assert list(got.columns) == collect.TRANSACTION_COLUMNS
    assert got["amount"].sum() == pytest.approx(TOTAL)
    assert [t.date() for t in got["order_ts"]] == [dt.date.fromisoformat(d) for d in LINES["when"]]
    expected_ids = ["张三", "张三", "李四", "王五"] if case.startswith("gb") else LINES["cust"].tolist()
    assert got["customer_id"].tolist() == expected_ids
    # only an amount: one unit per line, returns as -1 unit; one order per customer and timestamp
    assert got["quantity"].tolist() == [1.0, 1.0, 1.0, -1.0]
    assert (got["quantity"] * got["unit_price"]).sum() == pytest.approx(TOTAL)
    assert got["order_id"].nunique() == 4
    assert set(got["channel"]) == {"unknown"} and set(got["status"]) == {"completed"}
    assert (got["discount"] == 0).all() and not got["order_missing"].any()


def test_quantity_price_discount_orders_and_status_prefix(tmp_path):
    lines = pd.DataFrame({"Invoice": ["1", "1", "C2", "3"], "Qty": ["2", "1", "-1", "3"],
                          "Price": ["5", "10", "5", "4"], "Off": ["1", "", "", "0"],
                          "Kunde": ["17850.0", "17850.0", "17850", " 42 "],
                          "Datum": ["12/1/2010 8:26", "12/1/2010 8:26", "12/3/2010 9:00", "1/4/2011 10:00"]})
    (tmp_path / "log.csv").write_text(csv_text(lines), encoding="utf-8")
    cfg = make_cfg(tmp_path, {"path": "log.csv", "date_format": "%m/%d/%Y %H:%M", "status_by_order_prefix": {
        "C": "returned"}, "columns": {"order_id": "Invoice", "quantity": "Qty", "unit_price": "Price",
                                      "discount": "Off", "customer_id": "Kunde", "order_ts": "Datum"}})
    got = collected(cfg).transactions.order_by(["order_ts", "amount"]).execute()
    assert got["amount"].tolist() == [9.0, 10.0, -5.0, 12.0]  # 2 × 5 − 1
    assert got["customer_id"].tolist() == ["17850"] * 3 + ["42"]  # ids read as floats / with spaces
    assert got["status"].tolist() == ["completed", "completed", "returned", "completed"]
    assert got["order_ts"].iloc[0] == pd.Timestamp("2010-12-01 08:26")


def test_orders_joined_to_lines_and_crm_and_survey(tmp_path):
    io.write_duckdb(tmp_path / "db.duckdb", {
        "h": pd.DataFrame({"oid": ["o1", "o2"], "cid": ["a", "b"], "ts": ["2024-01-02", "2024-01-03"],
                           "state": ["COMPLETED", "Canceled"]}),
        "l": pd.DataFrame({"oid": ["o1", "o1", "o2", "o9"], "qty": [1, 2, 1, 1], "price": [3.0, 4.0, 5.0, 6.0]})})
    (tmp_path / "crm.csv").write_text("id,name,birthday,city\na,Wang Wei,1990-05-01,上海市\nc,Li Na,,bj\n",
                                      encoding="utf-8")
    io.write_excel(pd.DataFrame({"who": ["a", "x"], "q1": [4, 5], "comment": ["good", "bad"]}), tmp_path / "s.xlsx")
    cfg = make_cfg(tmp_path, {"path": "db.duckdb", "table": "l", "columns": {
        "order_id": "oid", "quantity": "qty", "unit_price": "price"}}, sources={
        "orders": {"path": "db.duckdb", "table": "h", "columns": {"order_id": "oid", "customer_id": "cid",
                                                                    "order_ts": "ts", "status": "state"}},
        "customers": {"path": "crm.csv", "columns": {"customer_id": "id", "birth_date": "birthday"}},
        "survey": {"path": "s.xlsx", "columns": {"respondent_id": "who"}}})
    got = collected(cfg)
    tx = got.transactions.order_by(["order_id", "amount"]).execute()
    assert tx["customer_id"].tolist()[:3] == ["a", "a", "b"] and pd.isna(tx["customer_id"].iloc[3])
    assert tx["order_missing"].tolist() == [False, False, False, True]
    assert tx["status"].tolist()[:3] == ["completed", "completed", "cancelled"]
    customers = got.customers.order_by("customer_id").execute()
    assert "name" not in customers.columns
    assert pd.Timestamp(customers["birth_date"].iloc[0]) == pd.Timestamp("1990-05-01")
    assert customers["city"].tolist() == ["上海市", "bj"]  # normalised by cleaning, not here
    assert list(customers.columns[:9]) == list(schema.SCHEMAS["customers"])  # every canonical column
    survey = got.survey.execute()
    assert survey["q1"].dtype == "float64" and survey["comment"].dtype == "str"
    rec = dict(zip(*collect.reconcile(got.customers, got.transactions, got.survey).T.values, strict=True))
    assert rec["ordering customers missing from the CRM"] == 1  # b
    assert rec["CRM customers without any order"] == 1  # c
    assert rec["survey respondents missing from the CRM"] == 1  # x
    assert rec["order lines without an order header"] == 1
    totals = collect.source_totals(got).set_index("source")
    assert totals.loc["transactions", "rows"] == 4 and totals.loc["transactions", "amount"] == 22.0
    assert totals.loc["customers", "rows"] == 2 and totals.loc["survey", "customers"] == 2


# ------------------------------------------------------------------------------------------ bad inputs

OK = "customer_id,order_ts,amount\nA,2024-01-01,10\nB,2024-01-02,20\n"


def _files(tmp_path, files):
    for name, content in files.items():
        if isinstance(content, bytes):
            (tmp_path / name).write_bytes(content)
        elif isinstance(content, pd.DataFrame):
            io.write_duckdb(tmp_path / name, {"sales": content}) if name.endswith(".duckdb") else \
                io.write_excel(content, tmp_path / name, sheet="data")
        elif name.endswith(".sqlite"):
            _sqlite(tmp_path / name, pd.read_csv(pd.io.common.StringIO(content)))
        else:
            (tmp_path / name).write_text(content, encoding="utf-8")


BAD = [
    # id, files, transactions source, other config, error type, fragments the message must contain
    ("missing-file", {}, {"path": "nope.csv"}, {}, SourceError, ["'transactions'", "file not found",
                                                                  "sources.transactions.path"]),
    ("empty-file", {"t.csv": ""}, {"path": "t.csv"}, {}, SourceError, ["empty (0 bytes)"]),
    ("header-only", {"t.csv": "customer_id,order_ts,amount\n"}, {"path": "t.csv"}, {}, SourceError, ["no rows"]),
    ("mapped-column-missing", {"t.csv": OK}, {"path": "t.csv", "columns": {"amount": "Betrag"}}, {}, SourceError,
     ["no column 'Betrag'", "sources.transactions.columns.amount", "customer_id", "order_ts"]),
    ("required-column-missing", {"t.csv": "customer_id,amount\nA,1\n"}, {"path": "t.csv"}, {}, SourceError,
     ["no column 'order_ts'", "sources.transactions.columns.order_ts"]),
    ("column-typo-suggested", {"t.csv": "customer_id,order_date,amount\nA,2024-01-01,1\n"},
     {"path": "t.csv", "columns": {"order_ts": "order_dat"}}, {}, SourceError, ["did you mean 'order_date'"]),
    ("wrong-delimiter", {"t.csv": OK.replace(",", ";")}, {"path": "t.csv", "delimiter": ","}, {}, SourceError,
     ["delimiter is wrong", "sources.transactions.delimiter: ';'"]),
    ("unparseable-dates", {"t.csv": "customer_id,order_ts,amount\nA,31/12/2024,1\nB,30/11/2024,2\n"},
     {"path": "t.csv"}, {}, SourceError, ["'order_ts'", "2 of 2 values are not dates", "31/12/2024",
                                          "sources.transactions.dayfirst: true"]),
    ("wrong-date-format", {"t.csv": OK}, {"path": "t.csv", "date_format": "%Y%m%d"}, {}, SourceError,
     ["not dates", "2024-01-01"]),
    ("text-in-amount", {"t.csv": "customer_id,order_ts,amount\nA,2024-01-01,ten\nB,2024-01-02,n/a\n"},
     {"path": "t.csv"}, {}, SourceError, ["column 'amount'", "not numbers", "'ten'",
                                          "sources.transactions.columns.amount"]),
    ("all-null-column", {"t.csv": "customer_id,order_ts,amount\n,2024-01-01,1\n ,2024-01-02,2\n"},
     {"path": "t.csv"}, {}, SourceError, ["column 'customer_id'", "all 2 values are missing"]),
    ("not-utf8", {"t.csv": "customer_id,order_ts,amount\n张三,2024-01-01,1\n".encode("gbk")}, {"path": "t.csv"}, {},
     SourceError, ["line 2", "not valid utf-8", "sources.transactions.encoding", "gb18030"]),
    ("duplicate-order-key", {"l.csv": "order_id,amount\no1,1\n", "h.csv":
                             "order_id,customer_id,order_ts\no1,A,2024-01-01\no1,B,2024-01-02\n"},
     {"path": "l.csv"}, {"sources": {"orders": {"path": "h.csv"}}}, SourceError,
     ["source 'orders'", "duplicate key", "['o1']"]),
    ("lines-without-order-id", {"l.csv": "amount\n1\n", "h.csv": "order_id,customer_id,order_ts\no1,A,2024-01-01\n"},
     {"path": "l.csv"}, {"sources": {"orders": {"path": "h.csv"}}}, SourceError, ["no column 'order_id'"]),
    ("no-amount", {"t.csv": "customer_id,order_ts,quantity\nA,2024-01-01,1\n"}, {"path": "t.csv"}, {}, SourceError,
     ["neither an amount nor quantity and unit_price", "columns.amount"]),
    ("missing-sheet", {"b.xlsx": pd.read_csv(pd.io.common.StringIO(OK))}, {"path": "b.xlsx", "sheet": "Sheet9"}, {},
     SourceError, ["no sheet 'Sheet9'", "['data']", "sources.transactions.sheet"]),
    ("missing-table", {"d.duckdb": pd.read_csv(pd.io.common.StringIO(OK))}, {"path": "d.duckdb", "table": "sale"},
     {}, SourceError, ["no table 'sale'", "did you mean 'sales'"]),
    ("bad-query", {"d.sqlite": OK}, {"kind": "sqlite", "path": "d.sqlite", "query": "SELEC * FROM sales"}, {},
     SourceError, ["query failed", "sources.transactions"]),
    ("corrupt-parquet", {"t.parquet": b"this is not parquet at all"}, {"path": "t.parquet"}, {}, SourceError,
     ["cannot be read as parquet"]),
    ("ragged-text", {"t.txt": "customer_id order_ts amount\nA 2024-01-01 1\nHang Zhou 2024-01-02 2\n"},
     {"path": "t.txt"}, {}, SourceError, ["1 lines do not have 3 fields", "kind: csv"]),
    ("crm-without-id", {"t.csv": OK, "c.csv": "kunde,city\nA,x\n"}, {"path": "t.csv"},
     {"sources": {"customers": {"path": "c.csv"}}}, SourceError, ["source 'customers'", "no column 'customer_id'",
                                                                  "sources.customers.columns.customer_id"]),
    ("survey-without-id", {"t.csv": OK, "s.csv": "who,q1\nA,3\n"}, {"path": "t.csv"},
     {"sources": {"survey": {"path": "s.csv"}}}, SourceError, ["source 'survey'", "respondent_id"]),
    ("unknown-canonical-name", {"t.csv": OK}, {"path": "t.csv", "columns": {"amout": "amount"}}, {}, ConfigError,
     ["sources.transactions.columns.amout"]),
    ("unknown-kind", {"t.csv": OK}, {"path": "t.csv", "kind": "xml"}, {}, ConfigError, ["sources.transactions.kind"]),
    ("unknown-suffix", {"t.json": OK}, {"path": "t.json"}, {}, ConfigError, ["sources.transactions.kind"]),
    ("path-and-url", {"t.csv": OK}, {"path": "t.csv", "url": "sqlite://x"}, {}, ConfigError, ["both path and url"]),
    ("unknown-encoding", {"t.csv": OK}, {"path": "t.csv", "encoding": "klingon"}, {}, ConfigError,
     ["sources.transactions.encoding"]),
    ("database-without-table", {"t.csv": OK}, {"path": "x.duckdb"}, {}, ConfigError, ["needs a table or a query"]),
    ("no-source", {}, {"path": ""}, {}, ConfigError, ["sources.transactions", "sources.customers", "sources.survey"]),
    ("pseudonymise-without-key", {"t.csv": OK}, {"path": "t.csv"},
     {"privacy": {"pseudonymise_ids": True, "key_env": "CUSTSEG_TEST_NO_SUCH_KEY"}}, ConfigError,
     ["CUSTSEG_TEST_NO_SUCH_KEY", "privacy.key"]),
]


@pytest.mark.parametrize("files, source, more, error, fragments", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_gives_one_clear_error(tmp_path, files, source, more, error, fragments):
    _files(tmp_path, files)
    with pytest.raises(error) as info:
        collected(make_cfg(tmp_path, source, **more))
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in message and len(message) < 1200
    if error is SourceError:
        assert message.startswith("source '") and "To fix:" in message
        assert info.value.__cause__ is None or isinstance(info.value.__cause__, SourceError)


def test_there_are_at_least_twenty_bad_inputs():
    assert len(BAD) >= 20


def test_a_few_bad_values_become_missing_and_are_reported(tmp_path):
    rows = "\n".join(f"C{i},2024-01-{i % 28 + 1:02d},{i}" for i in range(200))
    (tmp_path / "t.csv").write_text(f"customer_id,order_ts,amount\n{rows}\nX,not a date,1\n", encoding="utf-8")
    got = collected(make_cfg(tmp_path, {"path": "t.csv"}))
    report = got.validation.set_index("canonical")
    assert report.loc["order_ts", "unparseable"] == 1 and report.loc["order_ts", "examples"] == ["not a date"]
    assert got.transactions.order_ts.isnull().sum().execute() == 1


def test_redact_url():
    assert config.redact_url("postgres://me:s3cret@db.example/shop") == "postgres://me:***@db.example/shop"
    assert config.redact_url("sqlite:///tmp/x.sqlite") == "sqlite:///tmp/x.sqlite"


def test_the_blanks_of_a_customer_table_s_own_columns_are_counted(tmp_path):
    """01's validation lists every column of a customer table, its own columns too (a plan, a Likert answer), with
    their missing values: blanks and missing-value words (NULL, N/A)."""
    (tmp_path / "t.csv").write_text(OK, encoding="utf-8")
    (tmp_path / "c.csv").write_text("customer_id,plan,tries_new\nA,basic,agree\nB,,NULL\nC,pro,N/A\nD,pro,agree\n",
                                    encoding="utf-8")
    cfg = make_cfg(tmp_path, {"path": "t.csv"}, sources={"customers": {"kind": "csv", "path": "c.csv"}})
    report = collected(cfg).validation.set_index(["source", "column"])
    assert report.loc[("customers", "plan"), "missing"] == 1
    row = report.loc[("customers", "tries_new")]
    assert row["missing"] == 2 and row["rows"] == 4
