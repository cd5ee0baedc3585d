"""Messy inputs through the real command line, as a user meets them: every run either publishes a report or
prints one error line (what, where, what to change) and exits 1 — never a traceback."""

import json

import pandas as pd
import pytest
import yaml
from tests.unit.test_messy_exports import FORMULAS, SALES, workbook, zipped

from custseg import config, io, pipeline
from custseg.errors import StageError
from custseg.report.cli import main

H = "customer_id,order_ts,amount\n"


def lines(*rows, header=H):
    return header + "".join(",".join(r) + "\n" for r in rows)


def setup(tmp_path, files: dict, source: dict | None = None, **more) -> str:
    for name, content in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content, encoding="utf-8")
    user = {"name": "messy", "paths": {"raw": str(tmp_path)}, "demo": {"enabled": False},
            "sources": {"transactions": {"path": "t.csv", **(source or {})}, **more.pop("sources", {})},
            "privacy": {"pii_columns": []}, "cluster": {"features": ["recency_days", "frequency", "monetary"]},
            **more}
    path = tmp_path / "messy.yaml"
    path.write_text(yaml.safe_dump(user, allow_unicode=True), encoding="utf-8")
    return str(path)


def cli(capsys, *argv) -> tuple[int, str]:
    code = main(["run", *argv])
    return code, capsys.readouterr().err


def one_error(err: str) -> str:
    errors = [line for line in err.splitlines() if line.startswith("custseg: error:")]
    assert len(errors) == 1 and "Traceback" not in err, err
    return err[err.index("custseg: error:"):]


GOOD = lines(("A", "2024-01-01", "1"), ("B", "2024-01-02", "2"))
# (id, files, source, more config, extra CLI arguments, fragments of the one error message)
CASES = [
    ("override-not-yaml", {"t.csv": GOOD}, {}, {}, ["--set", "x=[a"], ["override 'x=[a'", "not valid YAML"]),
    ("unknown-key", {"t.csv": GOOD}, {}, {"cluster": {"kmax": 3}}, [], ["unknown config key 'cluster.kmax'"]),
    ("bad-date-override", {"t.csv": GOOD}, {}, {}, ["--set", "snapshot_date=2025-13-01"],
     ["config key 'snapshot_date' must be a date"]),
    ("unknown-stage", {"t.csv": GOOD}, {}, {}, ["--from", "12"], ["unknown stage '12'"]),
    ("bad-decimal-setting", {"t.csv": GOOD}, {"decimal": "x"}, {}, [], ["sources.transactions.decimal"]),
    ("ambiguous-thousands", {"t.csv": lines(("A", "2024-01-01", '"1,234"'), ("B", "2024-01-02", '"5,000"'))}, {}, {},
     [], ["01_collect", "could be thousands or decimals", "sources.transactions.thousands"]),
    ("scientific-ids", {"t.csv": lines(("1.23457E+11", "2024-01-01", "1"), ("1.23457E+11", "2024-01-02", "2"))},
     {}, {}, [], ["ids are in scientific notation", "export the ids as text"]),
    ("title-rows", {"t.csv": "Report,,\n" + GOOD}, {}, {}, [], ["the header seems to be on line 2",
                                                             "sources.transactions.skip_rows: 1"]),
    ("leading-zeros", {"t.csv": lines(("100", "2024-01-01", "1"), ("101", "2024-01-02", "2")),
                       "c.csv": "customer_id,city\n00100,x\n00101,y\n"}, {},
     {"sources": {"customers": {"path": "c.csv"}}}, [], ["ids.strip_leading_zeros: true"]),
    ("future-dates", {"t.csv": lines(("A", "2031-01-01", "1"), ("B", "2031-02-01", "2"))}, {}, {}, [],
     ["02_clean", "no order line is dated on or before today", "date_format"]),
    ("nothing-kept", {"t.csv": lines(("A", "2024-01-01", "-1"), ("B", "2024-01-02", "-2"))}, {}, {}, [],
     ["02_clean kept none of the 2 order lines", "returns whose purchase is not in the export",
      "the export seems to start after the purchases", "export a window that starts earlier",
      "clean.rules_off: [return_without_purchase]"]),
    ("unknown-language", {"t.csv": GOOD}, {}, {}, ["--set", "language=fr"], ["config key 'language'", "en, zh"]),
    ("rule-that-cannot-be-off", {"t.csv": GOOD}, {}, {}, ["--set", "clean.rules_off=[invalid_amount]"],
     ["invalid_amount cannot be switched off"]),
    ("quote-too-long", {"t.csv": GOOD}, {"quote": "''"}, {}, [], ["sources.transactions.quote", "one character"]),
    ("bad-thousands-setting", {"t.csv": GOOD}, {"thousands": "_"}, {}, [], ["sources.transactions.thousands"]),
    ("formulas-not-calculated", {"t.xlsx": workbook(("Sales", SALES), formulas=FORMULAS)}, {"path": "t.xlsx"}, {}, [],
     ["01_collect", "2 formula cells without a saved value", "column C 'amount'", "Excel or WPS"]),
    ("data-on-second-sheet", {"t.xlsx": workbook(("Cover", [["Sales 2024"]]), ("Orders", SALES))}, {"path": "t.xlsx"},
     {}, [], ["sheet 'Orders' has them", "set sources.transactions.sheet: 'Orders'"]),
    ("zip-of-two-files", {"t.zip": zipped(**{"a.csv": GOOD, "b.csv": GOOD})}, {"path": "t.zip"}, {}, [],
     ["the zip archive holds 2 files", "sources.transactions.member"]),
    ("header-one-name-short", {"t.csv": H + "x,A,2024-01-01,1\ny,B,2024-01-02,2\n"}, {}, {}, [],
     ["not a column-mapping problem", "sources.transactions.header: false"]),
]


@pytest.mark.parametrize("files, source, more, argv, fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_messy_input_gives_one_line(tmp_path, capsys, files, source, more, argv, fragments):
    code, err = cli(capsys, setup(tmp_path, files, source, **more), "--workdir", str(tmp_path / "w"), *argv)
    assert code == 1
    message = one_error(err)
    for fragment in fragments:
        assert fragment in message, message
    assert not (tmp_path / "w" / "reports" / "messy").exists(), "no report is published from a failed run"


def test_config_file_in_gbk(tmp_path, capsys):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("name: 演示\n".encode("gbk"))
    code, err = cli(capsys, str(path))
    assert code == 1 and "is not UTF-8 text" in one_error(err)


def test_debug_shows_the_traceback(tmp_path, capsys):
    path = setup(tmp_path, {"t.csv": GOOD})
    for argv in (["--debug", "run", path, "--set", "x=[a"], ["run", path, "--set", "x=[a", "--debug"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "Traceback (most recent call last)" in err and "custseg: error: override 'x=[a'" in err


def test_workdir_under_a_file(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    code, err = cli(capsys, setup(tmp_path, {"t.csv": GOOD}), "--workdir", str(tmp_path / "file" / "w"))
    assert code == 1 and "cannot write the run's folders" in one_error(err)


def test_at_least_fifteen_messy_inputs_through_the_cli():
    assert len(CASES) + 2 >= 15


def test_a_messy_log_with_one_day_of_data_publishes_an_honest_report(tmp_path, capsys):
    """Thousands separators, currency, missing-id words and a trailing-minus return, all on one day: the run
    publishes a report, the money is right, the holdout test is said to be left out, and nothing crashes."""
    rows = [(f"C{i:03d}", "2024-03-01", f'"¥{1000 + i * 37:,}.50"') for i in range(30)]
    rows += [("NULL", "2024-03-01", "9.99"), ("C000", "2024-03-01", "100.00-")]
    path = setup(tmp_path, {"t.csv": lines(*rows)})
    code, err = cli(capsys, path, "--workdir", str(tmp_path / "w"))
    assert code == 0, err
    reports = tmp_path / "w" / "reports" / "messy"
    meta = json.loads((reports / "run.json").read_text())
    stages = meta["stages"]
    assert stages["02_clean"]["lines_in"] == 32 and stages["02_clean"]["lines_quarantined"] == 1  # the NULL id
    features = pd.read_parquet(tmp_path / "w" / "data" / "processed" / "messy" / "features.parquet")
    expected = sum(1000 + i * 37 + 0.5 for i in range(30)) - 100.0
    assert features["monetary"].sum() == pytest.approx(expected)
    assert stages["04_features"]["holdout_start"] is None and stages["07_evaluate"]["wins"] is None
    index = (reports / "index.html").read_text(encoding="utf-8")
    # no holdout item: one line says what was left out and why (07), and 04's line says why there is no holdout
    assert "holdout test against the simple rivals</div>" not in index and "the holdout test is left out" in index
    assert "<em>Left out: the test on a later holdout period of the log, against the RFM grid and k-means on log RFM " \
           "— it needs a holdout period" in index
    assert config.load(path)["sources"]["transactions"]["decimal"] is None, "nothing was configured by hand"
    # a log with only id, date and amount: the report says nothing about what the log does not have
    cards = [p.read_text(encoding="utf-8") for p in (reports / "personas").glob("*.md")]
    for text in [index, *cards]:
        for word in ("unknown", "(missing)", ">nan<", " nan ", "index –)"):
            assert word not in text, word
    cluster = json.loads((tmp_path / "w" / "data" / "processed" / "messy" / "cluster.json").read_text())
    assert cluster["features"] == ["monetary"], "recency and frequency are the same for everybody: not clustered on"
    assert cluster["dropped_constant"] == ["recency_days", "frequency"]


def test_a_report_style_workbook_inside_a_zip_publishes_the_right_money(tmp_path, capsys):
    """Ids and dates written once per merged block, the workbook zipped: read as Excel shows it, every line kept,
    and the validation report says which columns had merged cells filled."""
    rows = [[f"C{k:02d}" if i == 0 else None, f"2024-{1 + k % 12:02d}-{1 + k % 27:02d}" if i == 0 else None,
             float(5 + k * 3 + i)] for k in range(30) for i in range(3)]
    book = workbook(("Export", [["customer_id", "order_ts", "amount"], *rows]),
                    merge=[f"{c}{2 + 3 * k}:{c}{4 + 3 * k}" for k in range(30) for c in "AB"])
    path = setup(tmp_path, {"t.zip": zipped(**{"export.xlsx": book})}, {"path": "t.zip"})
    code, err = cli(capsys, path, "--workdir", str(tmp_path / "w"))
    assert code == 0, err
    stages = json.loads((tmp_path / "w" / "reports" / "messy" / "run.json").read_text())["stages"]
    assert stages["02_clean"]["lines_in"] == 90 and stages["02_clean"]["lines_quarantined"] == 0
    features = pd.read_parquet(tmp_path / "w" / "data" / "processed" / "messy" / "features.parquet")
    assert features["monetary"].sum() == pytest.approx(sum(r[2] for r in rows)) and len(features) == 30
    validation = pd.read_csv(next((tmp_path / "w" / "data").rglob("validation.csv"))).set_index("canonical")
    assert "merged cells filled" in validation.loc["customer_id", "notes"]
    assert "merged cells filled" in validation.loc["order_ts", "notes"]
    assert "read from 'export.xlsx' inside the zip archive" in validation.loc["customer_id", "notes"]
    assert "merged" not in str(validation.loc["amount", "notes"])


def test_custseg_run_shows_one_clear_error_for_a_bad_source(tmp_path, capsys):
    """What a user sees from `custseg run`: one message naming source, column, examples and the fix."""
    (tmp_path / "t.csv").write_text("customer_id,order_ts,amount\nA,31/12/2024,1\nB,30/11/2024,2\n", encoding="utf-8")
    path = setup(tmp_path, {})
    assert main(["run", path, "--workdir", str(tmp_path / "w")]) == 1
    err = capsys.readouterr().err
    message = [line for line in err.splitlines() if line.startswith("custseg: error:")]
    assert len(message) == 1, err
    for fragment in ("01_collect", "SourceError: source 'transactions'", str(tmp_path / "t.csv"), "'order_ts'",
                     "'31/12/2024'", "To fix: set sources.transactions.dayfirst: true"):
        assert fragment in message[0], message[0]
    assert "Traceback" not in err


def _pipeline(tmp_path, text: str, upto: str = "07_evaluate", **more):
    """The stages up to ``upto`` in this process (no notebooks) on a log-only CSV: (results, paths)."""
    cfg = config.load(setup(tmp_path, {"t.csv": text}, **more))
    cfg["paths"]["workdir"], cfg["run"] = str(tmp_path / "w"), "messy"
    paths = io.run_paths(cfg).make()
    return pipeline.run_stages(cfg, paths, upto), paths


def test_too_few_customers_stop_in_05_with_the_fix(tmp_path):
    with pytest.raises(StageError, match=r"05_cluster: 3 customers are too few to form 3 segments .*RFM scores"):
        _pipeline(tmp_path, lines(("A", "2024-01-01", "1"), ("B", "2024-01-02", "2"), ("C", "2024-02-01", "5")),
                  "05_cluster")


def test_identical_customers_have_nothing_to_segment_on(tmp_path):
    same = lines(*[(f"C{i}", "2024-05-01", "10") for i in range(30)])
    with pytest.raises(StageError, match="has the same value for \\(nearly\\) all customers"):
        _pipeline(tmp_path, same, "05_cluster")


def test_a_constant_holdout_outcome_is_left_out_not_a_crash(tmp_path):
    """Every customer buys again in the holdout, so nobody churns: churn is left out of the contest."""
    rows = [(f"C{i}", f"2024-{1 + i % 6:02d}-{1 + i % 27:02d}", f"{5 + i * 3}") for i in range(60)]
    rows += [(f"C{i}", f"2024-12-{20 + i % 3}", f"{10 + i}") for i in range(60)]  # spend and orders vary
    rows += [(f"C{i}", "2024-12-29", "7") for i in range(0, 60, 4)]
    results, paths = _pipeline(tmp_path, lines(*rows))
    contest = results["07_evaluate"].contest
    assert contest["constant"] == ["churn"] and "churn: the same for every customer" in contest["text"]
    assert set(contest["best"]) == {"spend", "log_spend", "orders"}


def test_few_customers_cap_k_with_a_reason(tmp_path):
    rows = [(f"C{i}", f"2024-{1 + i % 12:02d}-01", f"{(i + 1) ** 2}") for i in range(9)]
    results, _ = _pipeline(tmp_path, lines(*rows), "05_cluster")
    segmenter = results["05_cluster"].segmenter
    assert 3 <= segmenter.k_ <= 4 and "k was tried up to 4 only (cluster.k_max is 8)" in segmenter.reason_
