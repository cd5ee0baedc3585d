"""Issue 30 through the command line: ids that differ only by case, ids written several ways, a quarantine that
would take most of the data, returns written with a positive amount and a log with one category."""

import json

import pandas as pd
import pytest
from test_messy_cli import cli, lines, one_error, setup

from custseg import config, io, pipeline

# 20 case-sensitive codes and, for each, another customer whose code differs only by case
CODES = [f"Bn{i}Ke{i % 7}" for i in range(20)]
PAIRS = CODES + [c[:1] + c[1].upper() + c[2:] for c in CODES]


def _log(ids, days=3):
    return lines(*[(i, f"2024-0{1 + d}-1{k % 9}", f"{10 + k}.5") for k, i in enumerate(ids) for d in range(days)])


def _customers_after_02(tmp_path, text, **more):
    cfg = config.load(setup(tmp_path, {"t.csv": text}, **more))
    cfg["paths"]["workdir"], cfg["run"] = str(tmp_path / "w"), "messy"
    results = pipeline.run_stages(cfg, io.run_paths(cfg).make(), "02_clean")
    return results["02_clean"].transactions.customer_id.nunique().execute()


def test_ids_differing_only_by_case_stop_with_examples_and_the_key(tmp_path, capsys):
    code, err = cli(capsys, setup(tmp_path, {"t.csv": _log(PAIRS)}), "--workdir", str(tmp_path / "w"))
    message = one_error(err)
    assert code == 1
    for fragment in ("01_collect", "20 customer ids", "differ only by case", "BN0Ke0 / Bn0Ke0",
                     "sources.transactions.id_case: insensitive", "or sensitive if the case tells"):
        assert fragment in message, message
    assert not (tmp_path / "w" / "reports" / "messy").exists()


@pytest.mark.parametrize("case, customers", [("sensitive", 40), ("insensitive", 20)])
def test_id_case_decides_how_many_customers(tmp_path, case, customers):
    source = {"transactions": {"path": "t.csv", "id_case": case}}
    assert _customers_after_02(tmp_path, _log(PAIRS), sources=source) == customers


def test_ids_written_several_ways_are_one_customer(tmp_path):
    """Full-width forms, padding and invisible characters provably write the same id; the case is the config's."""
    ways = ["C{:02d}", "Ｃ{}", "C{:02d}\u00a0", "\u200bC{:02d}", " C{:02d}\u3000", "c{:02d}"]
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    ids = [w.format(f"{i:02d}".translate(full)) if w == "Ｃ{}" else w.format(i) for i in range(40) for w in ways]
    source = {"transactions": {"path": "t.csv", "id_case": "insensitive"}}
    assert _customers_after_02(tmp_path, _log(ids, days=1), sources=source) == 40
    assert _customers_after_02(tmp_path / "upper", _log([i for i in ids if not i.startswith("c")], days=1)) == 40


def test_an_id_typed_in_lower_case_beside_its_upper_case_stops_too(tmp_path, capsys):
    """c01 beside C01 is most often one customer typed twice, but custseg cannot know it: the user says so."""
    ids = [f"C{i:02d}" for i in range(30)] + [f"c{i:02d}" for i in range(0, 30, 3)]
    code, err = cli(capsys, setup(tmp_path, {"t.csv": _log(ids)}), "--workdir", str(tmp_path / "w"))
    message = one_error(err)
    assert code == 1
    for fragment in ("01_collect", "10 customer ids", "C00 / c00", "sources.transactions.id_case: insensitive",
                     "sensitive"):
        assert fragment in message, message


def test_a_quarantine_that_takes_most_of_the_lines_stops_02(tmp_path, capsys):
    """An export whose id is written once per block (merged cells): most lines have no id."""
    rows = [("" if k % 4 else f"C{k:03d}", f"2024-02-{1 + k % 27:02d}", f"{10 + k}.5") for k in range(80)]
    path = setup(tmp_path, {"t.csv": lines(*rows)})
    code, err = cli(capsys, path, "--workdir", str(tmp_path / "w"))
    message = one_error(err)
    assert code == 1
    for fragment in ("02_clean", "missing_customer_id quarantines 60 of 80 order lines (75%)",
                     "holding 76% of the money", "clean.max_quarantine_share: 0.77", "ids.null_tokens"):
        assert fragment in message, message
    assert not (tmp_path / "w" / "reports" / "messy").exists()


def test_one_category_and_returns_written_positive_publish_a_right_report(tmp_path, capsys):
    header = "customer_id,order_id,order_ts,category,quantity,unit_price,amount\n"
    rows = []
    for i in range(60):
        for k in range(1 + i % 4):
            rows.append((f"C{i:03d}", f"O{i}-{k}", f"2024-{1 + (i + k * 3) % 12:02d}-{1 + i % 27:02d}", "shoes",
                         "2", "25", "50"))
    returns = [(f"C{i:03d}", f"R{i}", "2024-12-30", "shoes", "-1", "25", "25") for i in range(0, 60, 6)]
    code, err = cli(capsys, setup(tmp_path, {"t.csv": lines(*rows, *returns, header=header)}),
                    "--workdir", str(tmp_path / "w"))
    assert code == 0, err
    processed = tmp_path / "w" / "data" / "processed" / "messy"
    features = pd.read_parquet(processed / "features.parquet")
    assert features["monetary"].sum() == pytest.approx(50 * len(rows) - 25 * len(returns)), "returns give money back"
    audit = pd.read_csv(processed / "audit.csv").set_index("rule")
    assert audit.loc["return_sign_turned", "rows"] == len(returns)
    assert audit.loc["return_sign_turned", "amount"] == pytest.approx(-25.0 * len(returns))
    target = json.loads((processed / "target.json").read_text())
    assert any("only 1 category" in n and "nothing to recommend" in n for n in target["notes"]), target["notes"]
