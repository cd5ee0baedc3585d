"""custseg init on small generated files: how each file is read, the roles, formats, outcomes and personal data it
proposes (with reasons), the config it writes (valid, commented, never overwritten), and config names checked
against the data before 04 and 05 would fail on them."""

import fnmatch
import io as _io
import sys

import numpy as np
import pandas as pd
import pytest

from custseg import clean, config, init
from custseg.errors import ConfigError, StageError
from custseg.init import roles
from custseg.init.render import render
from custseg.report.cli import main
from custseg.sources.privacy import pii_kind


@pytest.mark.parametrize("name, allowed, role", [
    ("Customer ID", roles.LOG_ROLES, "customer_id"), ("会员编号", roles.LOG_ROLES, "customer_id"),
    ("下单日期", roles.LOG_ROLES, "order_ts"), ("InvoiceDate", roles.LOG_ROLES, "order_ts"),
    ("实付金额", roles.LOG_ROLES, "amount"), ("Unit Price", roles.LOG_ROLES, "unit_price"),
    ("InvoiceNo", roles.LOG_ROLES, "order_id"), ("性别", roles.TABLE_ROLES, "gender"),
    ("会员编号（新）", roles.LOG_ROLES, "customer_id"), ("Churn", roles.TABLE_ROLES, None),
])
def test_roles_by_name_in_english_and_chinese(name, allowed, role):
    found = roles.role_by_name(name, allowed)
    assert (found[0] if found else None) == role


def test_the_specific_name_wins_the_role_over_a_vague_one(tmp_path):
    lines = "id,customer_id,order_date,date_shipped,amount\n" + "".join(
        f"{k},C{k % 7},2024-01-{1 + k % 28:02d},2024-02-01,{k}.5\n" for k in range(40))
    (src,) = init.propose([_write(tmp_path, "o.csv", lines)]).used()
    assert {c.role: c.name for c in src.columns if c.role} == {"customer_id": "customer_id", "order_ts": "order_date",
                                                              "amount": "amount"}


def test_dates_say_their_format_and_why():
    compact = roles.dates(pd.Series(["19970101", "19970312", "19980630"]))
    assert compact.date_format == "%Y%m%d" and compact.why == "8-digit numbers 19970101–19980630: dates %Y%m%d"
    day_first = roles.dates(pd.Series(["31.12.2024", "01.02.2024"]))
    assert day_first.dayfirst and day_first.date_format is None and not day_first.ambiguous
    month_first = roles.dates(pd.Series(["12/31/2024 10:05", "02/01/2024 11:00"]))
    assert month_first.date_format == "%m/%d/%Y %H:%M" and not month_first.dayfirst
    assert roles.dates(pd.Series(["01/02/2024", "03/04/2024"])).ambiguous
    assert roles.dates(pd.Series(["2024-01-05", "2024-02-01"])).date_format is None
    assert roles.dates(pd.Series(["12345678", "99999999"])) is None, "not a calendar date: an id"
    assert roles.dates(pd.Series(["00001", "00002"])) is None and roles.dates(pd.Series(["a", "b"])) is None


def test_numbers_read_their_decimal_mark():
    comma = roles.numbers(pd.Series(["12,50", "1.234,56", "3"]))
    assert (comma.fmt.decimal, comma.fmt.thousands) == (",", ".") and not comma.whole
    plain = roles.numbers(pd.Series(["1", "2", "40"]))
    assert plain.whole and plain.fmt is None and (plain.low, plain.high) == (1, 40)
    assert "thousands or decimals" in roles.numbers(pd.Series(["1,234", "5,000"])).ambiguous
    assert roles.numbers(pd.Series(["Yes", "No"])) is None


def test_personal_data_by_name_and_by_values():
    assert pii_kind("手机号", pd.Series(["x"]))[0] == "phone"
    assert pii_kind("Email", pd.Series(["x"]))[0] == "e-mail"
    assert pii_kind("contact", pd.Series(["a@b.com", "c.d@e.cn", "f@g.org"]))[0] == "e-mail"
    assert pii_kind("c1", pd.Series(["13812345678", "13987654321"]))[0] == "phone"
    assert pii_kind("c2", pd.Series(["11010519491231002X", "110105194912310021"]))[0] == "ID-card number"
    assert pii_kind("customer", pd.Series(["00017", "12345", "99"])) is None
    assert pii_kind("city", pd.Series(["Shanghai", "Beijing"])) is None


def _write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_a_headerless_whitespace_log_gets_its_roles_from_the_values(tmp_path):
    rng = np.random.default_rng(0)
    rows = [f"{rng.integers(1, 30):05d} 199701{rng.integers(1, 29):02d} {rng.integers(1, 4)} {rng.uniform(5, 90):.2f}"
            for _ in range(120)]
    proposal = init.propose([_write(tmp_path, "cdnow.txt", "\n".join(rows) + "\n")])
    (src,) = proposal.used()
    assert src.role == "transactions" and src.reading.options["kind"] == "text"
    assert src.reading.options["header"] is False
    assert src.reading.options["names"] == ["customer_id", "order_ts", "quantity", "amount"]
    assert src.options["date_format"] == "%Y%m%d" and "8-digit numbers" in src.why["date_format"]
    assert [r for r, _ in proposal.rules_off] == ["duplicate_line", "near_duplicate_line"]


def test_a_gbk_export_with_a_title_row_and_chinese_headers(tmp_path):
    body = "".join(f"V{i % 20:03d},2024/03/{1 + i % 28:02d},{10 + i}.50,天猫\n" for i in range(80))
    path = _write(tmp_path, "销售.csv", "2024年销售报表,,,\n会员编号,下单日期,实付金额,渠道\n" + body, "gbk")
    proposal = init.propose([path])
    (src,) = proposal.used()
    options = src.reading.options
    assert (options["encoding"], options["skip_rows"], options["header"]) == ("gb18030", 1, True)
    assert {c.role: c.name for c in src.columns if c.role} == {"customer_id": "会员编号", "order_ts": "下单日期",
                                                              "amount": "实付金额", "channel": "渠道"}
    assert proposal.language == "zh" and proposal.name == "销售"


def test_a_customer_table_proposes_outcomes_and_personal_data_never_as_features(tmp_path):
    n = 60
    frame = pd.DataFrame({"customerID": [f"{7000 + i}-AB" for i in range(n)], "gender": ["F", "M"] * (n // 2),
                          "tenure": range(n), "Contract": ["Month-to-month", "One year", "Two year"] * (n // 3),
                          "Mobile": [f"139{10_000_000 + i}" for i in range(n)],
                          "Churn": ["Yes", "No", "No"] * (n // 3)})
    frame.to_csv(tmp_path / "telco.csv", index=False)
    proposal = init.propose([tmp_path / "telco.csv"])
    (src,) = proposal.used()
    assert src.role == "customers" and src.shape == "table" and not src.row_ids
    assert [(c, w) for c, w, _ in proposal.outcomes] == [("Churn", "lower_is_better")]
    assert [c for c, _ in proposal.pii] == ["Mobile"]
    cfg = init.check(render(proposal, "configs/telco.yaml"), "test")
    assert cfg["outcomes"] == {"Churn": "lower_is_better"} and cfg["privacy"]["pii_columns"] == ["Mobile"]
    assert cfg["sources"]["customers"]["columns"] == {"customer_id": "customerID", "gender": "gender"}
    kinds = src.kinds.set_index("column")["kind"]
    assert kinds["Contract"] == "categorical" and kinds["tenure"] == "numeric"


def test_likert_items_make_a_survey_and_a_table_without_ids_is_numbered(tmp_path):
    labels = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
    frame = pd.DataFrame({f"q{j}": [labels[(i + j) % 5] for i in range(40)] for j in range(4)})
    frame.assign(age=range(20, 60)).to_csv(tmp_path / "study.csv", index=False)
    (src,) = init.propose([tmp_path / "study.csv"]).used()
    assert src.shape == "survey" and src.role == "customers" and src.row_ids
    assert (src.kinds["why"].str.startswith("Likert")).sum() == 4


def test_the_written_config_is_commented_valid_and_never_overwritten(tmp_path):
    log = "cust_id;order_date;amount\n" + "".join(f"C{i % 9};2024-01-{1 + i % 28:02d};{i},50\n" for i in range(60))
    path = _write(tmp_path, "orders.csv", log)
    out = tmp_path / "configs" / "orders.yaml"
    answers, said = iter(["n"]), []
    assert init.init([path], out, ask=lambda _: next(answers), say=said.append) is None and not out.exists()
    assert init.init([path], out, ask=lambda _: "", say=said.append) == out
    text = out.read_text(encoding="utf-8")
    assert "# Next: custseg run" in text and "decimal: ','" in text and "# numbers like" in text
    cfg = config.load(out)
    assert cfg["sources"]["transactions"]["delimiter"] == ";" and not cfg["demo"]["enabled"]
    assert init.written_from(out) == [str(path.resolve())]
    with pytest.raises(ConfigError, match="never overwrites a config; pass --force"):
        init.init([path], out, yes=True, say=said.append)
    assert init.init([path], out, yes=True, force=True, say=said.append) == out
    assert any("customer_id" in line and "cust_id" in line for line in said[0].splitlines())


def test_init_through_the_cli_asks_on_stdin(tmp_path, monkeypatch, capsys):
    path = _write(tmp_path, "o.csv", "customer_id,order_ts,amount\nA,2024-01-01,1\nB,2024-01-02,2\nA,2024-02-01,3\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", _io.StringIO("no\n"))
    assert main(["init", str(path)]) == 1 and not (tmp_path / "configs" / "o.yaml").exists()
    monkeypatch.setattr(sys, "stdin", _io.StringIO(""))  # no answer at all: nothing written
    assert main(["init", str(path)]) == 1 and "Nothing written" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", _io.StringIO("y\n"))
    assert main(["init", str(path)]) == 0 and (tmp_path / "configs" / "o.yaml").is_file()
    assert "next: custseg run configs/o.yaml" in capsys.readouterr().out
    assert main(["init", str(path), "--yes"]) == 1
    assert "pass --force" in capsys.readouterr().err


LOG = {"sources": {"transactions": {"path": "t.csv"}}}


def test_a_feature_typo_fails_when_the_config_is_loaded():
    with pytest.raises(ConfigError, match=r"'frequncy'.*did you mean 'frequency'\?"):
        config.from_dict({**LOG, "cluster": {"features": ["recency_days", "frequncy"]}})
    with pytest.raises(ConfigError, match=r"rule_segments.variable.*did you mean 'monetary'"):
        config.from_dict({**LOG, "rule_segments": {"variable": "monetray"}})
    assert config.from_dict({**LOG, "cluster": {"features": ["Contract", "share_cat_*", "tenure"]}})  # a table's


@pytest.mark.parametrize("user, message", [
    ({"attributes": {"Contrat": "categorical"}}, r"'attributes.Contrat'.*did you mean 'Contract'"),
    ({"outcomes": ["Chrun"]}, r"'outcomes' names 'Chrun'.*did you mean 'Churn'"),
    ({"cluster": {"features": ["MonthlyCharge"]}}, r"'MonthlyCharge'.*did you mean 'MonthlyCharges'"),
    ({"cluster": {"features": ["Contrakt_*"]}}, r"'Contrakt_\*'"),
    ({"rule_segments": {"segments": [{"name": "a", "when": "tenure < 3 and Contrat == 'x'"},
                                     {"name": "b", "when": "other"}]}}, r"names 'Contrat'.*did you mean 'Contract'"),
    ({"target": {"margin_column": "margn"}}, r"did you mean 'margin'"),
    ({"privacy": {"pii_columns": ["emial"]}}, r"'emial', which no source has \(did you mean 'email'\?\)"),
    ({"privacy": {"sensitive_columns": ["Religon"]}}, r"did you mean 'Religion'"),
])
def test_names_are_checked_against_the_columns_once_the_headers_are_read(user, message):
    cfg = config.from_dict({"sources": {"customers": {"path": "c.csv"}}, **user})
    columns = {"customers": ["customer_id", "Contract", "Churn", "MonthlyCharges", "tenure", "margin", "email",
                             "Religion"]}
    with pytest.raises(ConfigError, match=message):
        config.check_names(cfg, columns)


def test_names_that_the_data_has_pass():
    cfg = config.from_dict({"sources": {"customers": {"path": "c.csv"}}, "outcomes": ["Churn"],
                            "attributes": {"Contract": ["Month-to-month", "One year"]},
                            "cluster": {"features": ["tenure", "Contract", "survey_q1", "factor_*"]},
                            "privacy": {"pii_columns": ["name", "phone", "email"]}})
    config.check_names(cfg, {"customers": ["customer_id", "Contract", "Churn", "tenure", "q1"]})


def test_the_k_range_message_says_which_value_is_the_default():
    with pytest.raises(ConfigError, match=r"k_min \(3, the default\) must be ≤ cluster.k_max \(2\).*set "
                                          r"cluster.k_min too"):
        config.from_dict({**LOG, "cluster": {"k_max": 2}})
    with pytest.raises(ConfigError, match=r"k_min \(1\) must be ≥ 2"):
        config.from_dict({**LOG, "cluster": {"k_min": 1}})


def test_a_log_of_returns_only_says_the_export_starts_after_the_purchases():
    audit = pd.DataFrame({"rule": ["return_without_purchase", "duplicate_line"], "action": ["quarantined"] * 2,
                          "rows": [40, 2]})
    with pytest.raises(StageError, match="the export seems to start after the purchases.*export a window that "
                                         r"starts earlier.*clean.rules_off: \[return_without_purchase\]"):
        clean.refuse_empty({"lines_in": 42}, audit, "audit.csv")


def test_behaviour_feature_names_are_the_catalogue():
    """Every column features.behaviour computes is in the catalogue the config's names are checked against."""
    from tests.unit.test_features_rfm import SNAP, lines

    from custseg import features
    from custseg.config.names import FEATURE_NAMES, FEATURE_PATTERNS

    columns = features.behaviour(lines(), SNAP).columns.drop("customer_id")
    assert any(c.startswith("share_") for c in columns)
    unknown = [c for c in columns if c not in FEATURE_NAMES and not any(fnmatch.fnmatch(c, p)
                                                                          for p in FEATURE_PATTERNS)]
    assert not unknown


def test_parquet_and_every_table_of_a_duckdb_file(tmp_path):
    import duckdb

    log = pd.DataFrame({"member_id": [f"M{i % 9}" for i in range(50)],
                        "paid_at": pd.date_range("2024-01-01", periods=50, freq="D"), "payment": np.arange(50) + 0.5})
    log.to_parquet(tmp_path / "log.parquet")
    (src,) = init.propose([tmp_path / "log.parquet"]).used()
    assert src.reading.options == {"kind": "parquet"} and src.mapped("order_ts") == "paid_at"
    with duckdb.connect(str(tmp_path / "shop.duckdb")) as con:
        con.register("log", log)
        con.execute("CREATE TABLE orders AS SELECT * FROM log")
        con.execute("CREATE TABLE members AS SELECT DISTINCT member_id, 'gold' AS tier FROM log")
    proposal = init.propose([tmp_path / "shop.duckdb"])
    assert {(s.role, s.reading.options["table"]) for s in proposal.used()} == {("transactions", "orders"),
                                                                             ("customers", "members")}
    cfg = init.check(render(proposal, "configs/shop.yaml"), "test")
    assert cfg["sources"]["customers"]["columns"] == {"customer_id": "member_id", "membership_tier": "tier"}


def test_credit_notes_are_returns_by_their_order_prefix(tmp_path):
    rows = [f"{536365 + k},85123A,{1 + k % 3},12/{1 + k % 28}/2010 8:26,2.55,{17850 + k % 5}" for k in range(30)]
    rows += [f"C{536400 + k},85123A,-1,12/{20 + k}/2010 9:00,2.55,{17850 + k % 5}" for k in range(5)]
    text = "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n" + "\n".join(rows) + "\n"
    (src,) = init.propose([_write(tmp_path, "retail.csv", text)]).used()
    assert src.options["status_by_order_prefix"] == {"C": "returned"}
    assert "5 order ids start with 'C'" in src.why["status_by_order_prefix"]
    assert src.options["date_format"] == "%m/%d/%Y %H:%M"
