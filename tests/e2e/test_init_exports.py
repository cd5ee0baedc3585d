"""First contact through the command line: eight exports of different shapes (generated here, a few hundred rows
each), `custseg init --yes` on each, the roles, outcomes and personal data each written config proposes, 01's
reading of every one of them, whole `custseg run`s on three (one started from the file alone: `custseg run
FILE`), and config mistakes that stop before any notebook or right after 01 reads the headers."""

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

from custseg import config, io, pipeline
from custseg.report.cli import main

LIKERT = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
FAST = ["--set", "cluster.stability_runs=0", "--set", "evaluate.bootstrap=20"]


def _log(rng, n=300, customers=60, days=400):
    ids = rng.integers(1, customers + 1, n)
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, days, n), unit="D")
    return ids, dates, rng.integers(1, 5, n), rng.choice([9.9, 19.5, 35.0, 120.25], n)


def make_exports(folder) -> dict:
    """Eight exports: {shape: [files]}."""
    rng = np.random.default_rng(3)
    folder.mkdir(parents=True, exist_ok=True)
    ids, dates, qty, price = _log(rng)
    (folder / "cdnow.txt").write_text("".join(f"{i:05d} {d:%Y%m%d} {q} {q * p:.2f}\n"
                                              for i, d, q, p in zip(ids, dates, qty, price, strict=True)))
    ids, dates, qty, price = _log(rng)
    channels = rng.choice(["天猫", "京东", "门店"], len(ids))
    rows = "".join(f"<tr><td>VIP{i:04d}</td><td>{d:%Y/%m/%d}</td><td>{q}</td><td>{q * p:.2f}</td><td>{c}</td></tr>"
                   for i, d, q, p, c in zip(ids, dates, qty, price, channels, strict=True))
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head><body><table>'
            '<tr><td colspan="5">2024年销售明细报表</td></tr>'
            "<tr><td>会员编号</td><td>下单日期</td><td>数量</td><td>实付金额</td><td>渠道</td></tr>" + rows
            + "</table></body></html>")
    (folder / "销售明细.xls").write_bytes(html.encode("gbk"))
    ids, dates, qty, price = _log(rng)
    (folder / "umsatz.csv").write_text("KundenNr;Datum;Betrag\n" + "".join(
        f"K{i:03d};{d:%d.%m.%Y};{f'{q * p:.2f}'.replace('.', ',')}\n"
        for i, d, q, p in zip(ids, dates, qty, price, strict=True)))
    n = 300
    tenure, monthly = rng.integers(0, 72, n), rng.uniform(20, 110, n).round(2)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.5, 0.3, 0.2])
    pd.DataFrame({"customerID": [f"{1000 + i}-{''.join(rng.choice(list('ABCDEFGHJK'), 5))}" for i in range(n)],
                  "gender": rng.choice(["Female", "Male"], n), "SeniorCitizen": rng.choice([0, 1], n, p=[.85, .15]),
                  "Partner": rng.choice(["Yes", "No"], n), "tenure": tenure, "Contract": contract,
                  "PaymentMethod": rng.choice(["Electronic check", "Mailed check", "Credit card"], n),
                  "MonthlyCharges": monthly, "TotalCharges": (monthly * tenure).round(2),
                  "Email": [f"user{i}@example.com" for i in range(n)],
                  "Churn": np.where((contract == "Month-to-month") & (rng.random(n) < 0.5), "Yes", "No")
                  }).to_csv(folder / "telco.csv", index=False)
    base = rng.integers(0, 5, 200)
    survey = pd.DataFrame({"respondent": [f"R{i:04d}" for i in range(200)], "age": rng.integers(18, 70, 200),
                           "gender": rng.choice(["F", "M"], 200)})
    for j in range(6):
        survey[f"q{j + 1}"] = [LIKERT[s] for s in np.clip(base + rng.integers(-1, 2, 200), 0, 4)]
    survey.to_csv(folder / "survey.csv", index=False)
    ids, dates, qty, price = _log(rng, n=400)
    pd.DataFrame({"InvoiceNo": [f"{536365 + k // 3}" for k in range(len(ids))],
                  "StockCode": rng.choice(["85123A", "71053", "84406B", "22752"], len(ids)), "Quantity": qty,
                  "InvoiceDate": [f"{d:%m/%d/%Y} 10:{k % 60:02d}" for k, d in enumerate(dates)], "UnitPrice": price,
                  "CustomerID": [f"{12000 + i}" for i in ids]}).to_csv(folder / "retail.csv", index=False)
    ids, dates, qty, price = _log(rng)
    pd.DataFrame({"cust_id": [f"C{i:03d}" for i in ids], "order_date": dates.strftime("%Y-%m-%d"),
                  "amount": (qty * price).round(2), "channel": rng.choice(["web", "store"], len(ids))}
                 ).to_csv(folder / "orders.csv", index=False)
    pd.DataFrame({"cust_id": [f"C{i:03d}" for i in range(1, 61)], "name": [f"Name {i}" for i in range(60)],
                  "phone": [f"138{rng.integers(10**7, 10**8)}" for _ in range(60)],
                  "gender": rng.choice(["F", "M"], 60),
                  "birthday": pd.to_datetime(rng.integers(-3000, 12000, 60), unit="D").strftime("%Y-%m-%d"),
                  "city": rng.choice(["Shanghai", "Beijing", "Chengdu"], 60)}).to_csv(folder / "crm.csv", index=False)
    ids, dates, qty, price = _log(rng)
    with sqlite3.connect(folder / "shop.sqlite") as con:
        pd.DataFrame({"user_id": ids, "created_at": dates.strftime("%Y-%m-%d %H:%M:%S"),
                      "total": (qty * price).round(2)}).to_sql("orders", con, index=False)
    return {"cdnow": ["cdnow.txt"], "gbk_xls": ["销售明细.xls"], "semicolon": ["umsatz.csv"], "telco": ["telco.csv"],
            "survey": ["survey.csv"], "retail": ["retail.csv"], "pair": ["orders.csv", "crm.csv"],
            "sqlite": ["shop.sqlite"]}


# what each written config must say: {shape: (source role → columns mapped, outcomes, pii, other keys)}
EXPECTED = {
    "cdnow": ({"transactions": {"customer_id": "customer_id", "order_ts": "order_ts", "quantity": "quantity",
                                "amount": "amount"}}, None, [],
              {"sources.transactions.kind": "text", "sources.transactions.header": False,
               "sources.transactions.date_format": "%Y%m%d",
               "clean.rules_off": ["duplicate_line", "near_duplicate_line"]}),
    "gbk_xls": ({"transactions": {"customer_id": "会员编号", "order_ts": "下单日期", "quantity": "数量",
                                  "amount": "实付金额", "channel": "渠道"}}, None, [],
                {"sources.transactions.kind": "excel", "sources.transactions.skip_rows": 1, "language": "zh"}),
    "semicolon": ({"transactions": {"customer_id": "KundenNr", "order_ts": "Datum", "amount": "Betrag"}}, None, [],
                  {"sources.transactions.delimiter": ";", "sources.transactions.decimal": ",",
                   "sources.transactions.dayfirst": True}),
    "telco": ({"customers": {"customer_id": "customerID", "gender": "gender"}}, {"Churn": "lower_is_better"},
              ["Email"], {}),
    "survey": ({"customers": {"customer_id": "respondent", "gender": "gender"}}, None, [], {}),
    "retail": ({"transactions": {"order_id": "InvoiceNo", "product_id": "StockCode", "quantity": "Quantity",
                                 "order_ts": "InvoiceDate", "unit_price": "UnitPrice", "customer_id": "CustomerID"}},
               None, [], {"sources.transactions.date_format": "%m/%d/%Y %H:%M", "clean.rules_off": []}),
    "pair": ({"transactions": {"customer_id": "cust_id", "order_ts": "order_date", "amount": "amount",
                               "channel": "channel"},
              "customers": {"customer_id": "cust_id", "gender": "gender", "birth_date": "birthday", "city": "city"}},
             None, ["name", "phone"], {}),
    "sqlite": ({"transactions": {"customer_id": "user_id", "order_ts": "created_at", "amount": "total"}}, None, [],
               {"sources.transactions.table": "orders", "sources.transactions.kind": "sqlite"}),
}
RUN = ("cdnow", "telco", "gbk_xls")  # run whole; the others are read by 01 only


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    top = tmp_path_factory.mktemp("init")
    exports = make_exports(top / "exports")
    configs = {}
    for shape, files in exports.items():
        configs[shape] = top / "written" / f"{shape}.yaml"
        code = main(["init", *[str(top / "exports" / f) for f in files], "-o", str(configs[shape]), "--yes"])
        assert code == 0, shape
    return top, exports, configs


def _get(cfg: dict, dotted: str):
    for part in dotted.split("."):
        cfg = cfg[part]
    return cfg


def test_eight_shapes_are_exported(written):
    assert len(written[1]) == 8


@pytest.mark.parametrize("shape", list(EXPECTED))
def test_init_proposes_the_roles_outcomes_and_personal_data(written, shape):
    top, _, configs = written
    cfg = config.load(configs[shape])
    mapped, outcomes, pii, more = EXPECTED[shape]
    used = {role for role, spec in cfg["sources"].items() if spec["path"]}
    assert used == set(mapped)
    for role, columns in mapped.items():
        assert cfg["sources"][role]["columns"] == columns, role
    assert cfg["outcomes"] == outcomes and cfg["privacy"]["pii_columns"] == pii
    for key, value in more.items():
        assert _get(cfg, key) == value, key
    text = configs[shape].read_text(encoding="utf-8")
    assert f"# Next: custseg run {configs[shape]}" in text
    mappings = [line for line in text.splitlines() if line.startswith("      ") and ":" in line]
    assert mappings and all(" # " in line for line in mappings), "every role says why"


@pytest.mark.parametrize("shape", [s for s in EXPECTED if s not in RUN])
def test_01_reads_every_written_config(written, shape):
    top, _, configs = written
    cfg = config.load(configs[shape])
    cfg["paths"]["workdir"], cfg["run"] = str(top / "work" / shape), shape
    paths = io.run_paths(cfg).make()
    collected = pipeline.run_stages(cfg, paths, "01_collect")["01_collect"]
    counts = collected.counts
    assert counts["customers"] >= 50, counts
    if "transactions" in EXPECTED[shape][0]:
        assert counts["transactions"] >= 300 and counts["has_log"]
    kept = set(collected.collected.customers.columns)
    assert not set(EXPECTED[shape][2]) & kept, "personal data is dropped in 01"
    if shape == "survey":
        assert {f"q{j}" for j in range(1, 7)} <= kept


@pytest.mark.slow
def test_custseg_run_file_writes_the_config_and_publishes_a_report(written, monkeypatch, capsys):
    """`custseg run cdnow.txt` with no config: init writes configs/cdnow.yaml (said on screen), the run publishes."""
    top, exports, _ = written
    monkeypatch.chdir(top)
    code = main(["run", str(top / "exports" / "cdnow.txt"), "--workdir", str(top / "w"), *FAST])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "custseg init writes configs/cdnow.yaml" in err and (top / "configs" / "cdnow.yaml").is_file()
    meta = json.loads((top / "w" / "reports" / "cdnow" / "run.json").read_text())
    assert meta["stages"]["02_clean"]["lines_in"] == 300 and (top / "w" / "reports" / "cdnow" / "index.html").is_file()
    # the same file again: the config init wrote is reused, never overwritten (a bad override stops it at once)
    (top / "configs" / "cdnow.yaml").write_text((top / "configs" / "cdnow.yaml").read_text() + "# edited\n")
    assert main(["run", str(top / "exports" / "cdnow.txt"), "--workdir", str(top / "w"), "--set", "cluster.k=1"]) == 1
    assert "using configs/cdnow.yaml, which custseg init wrote earlier" in capsys.readouterr().err
    assert (top / "configs" / "cdnow.yaml").read_text().endswith("# edited\n")


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["telco", "gbk_xls"])
def test_written_configs_run_and_publish(written, shape, capsys):
    top, _, configs = written
    code = main(["run", str(configs[shape]), "--workdir", str(top / "w"), *FAST])
    assert code == 0, capsys.readouterr().err
    report = top / "w" / "reports" / config.load(configs[shape])["name"]
    meta = json.loads((report / "run.json").read_text())
    assert (report / "index.html").is_file() and meta["stages"]["05_cluster"]["k"] >= 2
    segments = pd.read_csv(report / "segments.csv")
    assert not set(EXPECTED[shape][2]) & set(segments.columns), "no personal data in the published segments"
    if shape == "telco":
        assert meta["config"]["outcomes"] == {"Churn": "lower_is_better"}
        clustered = json.loads((top / "w" / "data" / "processed" / "telco" / "cluster.json").read_text())["features"]
        assert "Contract" in " ".join(clustered) and not any("Churn" in f or "Email" in f for f in clustered)


def _error(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("custseg: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return err


def test_a_feature_typo_stops_before_any_notebook(written, capsys):
    top, _, configs = written
    code = main(["run", str(configs["semicolon"]), "--workdir", str(top / "typo"),
                 "--set", "cluster.features=[recency_days, frequncy]"])
    assert code == 1 and "did you mean 'frequency'?" in _error(capsys)
    assert not (top / "typo" / "reports").exists() or not any((top / "typo" / "reports").iterdir()), \
        "no notebook ran"


@pytest.mark.parametrize("override, said", [
    ("sources.transactions.columns.amount=Betrg", "did you mean 'Betrag'?"),
    ("outcomes=[Kunde]", "config key 'outcomes' names 'Kunde'"),
])
def test_a_column_typo_stops_right_after_01_reads_the_headers(written, capsys, override, said):
    top, _, configs = written
    code = main(["run", str(configs["semicolon"]), "--workdir", str(top / "typo2"), "--set", override])
    message = _error(capsys)
    assert code == 1 and said in message and "01_collect" in message


def test_an_outcome_typo_on_a_customer_table_is_suggested(written, capsys):
    top, _, configs = written
    code = main(["run", str(configs["telco"]), "--workdir", str(top / "typo3"), "--set", "outcomes=[Chrun]"])
    message = _error(capsys)
    assert code == 1 and "did you mean 'Churn'?" in message and "01_collect" in message


@pytest.mark.slow
def test_two_customers_are_said_to_be_too_few_for_three_segments(tmp_path, monkeypatch, capsys):
    """Through the CLI with no config (the user set no k): the message says why and what would do, not a k range."""
    (tmp_path / "two.csv").write_text("customer,date,amount\nA,2024-01-01,10\nB,2024-01-05,20\nA,2024-02-01,5\n")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "two.csv", "--workdir", str(tmp_path / "w")]) == 1
    message = _error(capsys)
    assert "2 customers are too few to form 3 segments" in message and "even 2 segments need 4" in message
    assert "k_max" not in message
