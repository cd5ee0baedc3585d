"""Ids as every stage compares them, the sign of a line, the quarantine that takes most of the data and offers
with one item (issue 30): the building blocks, on data made here with the traps real exports carry."""

import datetime as dt

import ibis
import pandas as pd
import pytest

from custseg import clean, collect, config, offers, schema
from custseg.errors import ConfigError, SourceError, StageError
from custseg.sources.privacy import protect_ids

# one customer written five ways (full-width, NBSP, zero-width space, BOM, ideographic padding), two case-sensitive
# codes, a lower-case typing, a blank and a missing id
RAW = ["C01", "Ｃ０１", "C01\u00a0", "\u200bC01", "\ufeffC01", "\u3000C01 ", "Bn9Ke3", "BN9Ke3", "c01", "  ", None]


def _engine(values: list, case_sensitive: bool) -> list:
    table = ibis.memtable(pd.DataFrame({"x": pd.Series(values, dtype="str")}))
    return table.select(y=schema.normalise_id(table.x, case_sensitive)).execute()["y"].tolist()


@pytest.mark.parametrize("case_sensitive", [False, True])
def test_normalise_id_is_the_same_in_the_engine_and_in_pandas(case_sensitive):
    got = schema.normalise_id(pd.Series(RAW, dtype="str"), case_sensitive)
    assert got.tolist()[:6] == ["C01"] * 6, "full-width, NBSP, zero-width and padded spellings are one id"
    assert got.iloc[-2:].isna().all(), "a blank id is a missing id"
    engine = _engine(RAW, case_sensitive)
    assert [None if pd.isna(v) else v for v in engine] == [None if pd.isna(v) else v for v in got]
    if case_sensitive:
        assert got.iloc[6:9].tolist() == ["Bn9Ke3", "BN9Ke3", "c01"]
    else:
        assert got.iloc[6:9].tolist() == ["BN9KE3", "BN9KE3", "C01"]


def test_pseudonyms_follow_the_normalisation():
    privacy = {"pseudonymise_ids": True, "key_env": "UNSET_ENV_FOR_TEST", "key": "k"}
    table = ibis.memtable(pd.DataFrame({"x": pd.Series(RAW[:8], dtype="str")}))
    folded = table.select(p=protect_ids(table.x, privacy)).execute()["p"]
    kept = table.select(p=protect_ids(table.x, privacy, None, True)).execute()["p"]
    assert folded.iloc[:6].nunique() == 1 and folded.iloc[6] == folded.iloc[7]
    assert kept.iloc[:6].nunique() == 1 and kept.iloc[6] != kept.iloc[7], "case-sensitive codes stay two people"


def test_ids_differing_only_by_case_stop_the_run_until_the_config_says_how_to_compare_them():
    cfg = config.from_dict({"sources": {"transactions": {"path": "t.csv"}}})
    table = ibis.memtable(pd.DataFrame({"customer_id": pd.Series(RAW * 3, dtype="str")}))
    with pytest.raises(SourceError, match="2 customer ids of column customer_id are written in spellings that differ "
                                          "only by case") as caught:
        collect.check_id_case(cfg, "transactions", table)
    message = str(caught.value)
    assert "BN9Ke3 / Bn9Ke3" in message and "C01 / c01" in message, message
    assert "sources.transactions.id_case" in message
    one_way = ibis.memtable(pd.DataFrame({"customer_id": pd.Series(RAW[:6] + ["Bn9Ke3", None], dtype="str")}))
    collect.check_id_case(cfg, "transactions", one_way)  # padded and full-width spellings are one id: no question
    said = config.from_dict({"sources": {"transactions": {"path": "t.csv", "id_case": "sensitive"}}})
    collect.check_id_case(said, "transactions", table)


def test_id_case_is_a_choice_and_sources_must_agree():
    base = {"sources": {"transactions": {"path": "t.csv"}, "customers": {"path": "c.csv"}}}
    cfg = config.from_dict(base)
    assert cfg["sources"]["transactions"]["id_case"] == "detect" and not schema.ids_case_sensitive(cfg["sources"])
    one = config.from_dict({"sources": {"transactions": {"path": "t.csv", "id_case": "sensitive"},
                                        "customers": {"path": "c.csv"}}})
    assert schema.ids_case_sensitive(one["sources"]), "one case-sensitive source makes the comparison sensitive"
    assert schema.id_case(cfg["sources"]) == "detect" and schema.id_case(one["sources"]) == "sensitive"
    other = config.from_dict({"sources": {"transactions": {"path": "t.csv"},
                                          "customers": {"path": "c.csv", "id_case": "insensitive"}}})
    assert schema.id_case(other["sources"]) == "insensitive", "one source's choice is every source's"
    with pytest.raises(ConfigError, match="sources.transactions.id_case' must be one of detect"):
        config.from_dict({"sources": {"transactions": {"path": "t.csv", "id_case": "upper"}}})
    with pytest.raises(ConfigError, match="disagree .*one choice holds for all"):
        config.from_dict({"sources": {"transactions": {"path": "t.csv", "id_case": "sensitive"},
                                      "customers": {"path": "c.csv", "id_case": "insensitive"}}})


def _lines(rows) -> ibis.Table:
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "status", "quantity", "unit_price", "amount"])
    frame = frame.assign(line_no=1, order_ts=pd.Timestamp("2025-03-01"), channel="web", category="x",
                         product_id="p", discount=0.0, order_missing=False,
                         quantity=frame["quantity"].astype(float), unit_price=frame["unit_price"].astype(float),
                         amount=frame["amount"].astype(float))
    return ibis.memtable(frame[list(schema.TRANSACTION_COLUMNS)])


def test_a_return_written_with_a_positive_amount_gives_money_back():
    customers = ibis.memtable(pd.DataFrame({"customer_id": ["A"], "signup_date": [dt.date(2024, 1, 1)]}))
    tests = ibis.memtable(pd.DataFrame({"customer_id": pd.Series([], dtype="str")}))
    log = _lines([("o1", "A", "completed", 2, 50, 100), ("o1", "A", "completed", 1, 30, 30),
                  ("r1", "A", "completed", -1, 50, 50),      # negative quantity, positive amount
                  ("r2", "A", "returned", 1, 30, 30),        # status returned, everything positive
                  ("r3", "A", "completed", -1, -30, 30),     # a derived (negative) unit price
                  ("r4", "A", "completed", -1, 20, -20)])    # written right: left as it is
    kept, quarantined, audit = clean.clean_transactions(log, customers, tests, dt.date(2026, 1, 1))
    kept = kept.execute().set_index("order_id")
    assert quarantined.count().execute() == 0
    assert kept.loc[["r1", "r2", "r3", "r4"], "amount"].tolist() == [-50.0, -30.0, -30.0, -20.0]
    assert kept.loc["r3", "unit_price"] == 30.0
    assert kept["amount"].sum() == pytest.approx(130 - 130), "net spend: 130 bought, 130 given back"
    turned = audit.set_index("rule").loc["return_sign_turned"]
    assert (turned["rows"], turned["amount"], turned["dimension"]) == (3, -110.0, "consistency")
    assert "amount made negative" in turned["action"]


def _flagged(reasons: list, amounts: list) -> ibis.Table:
    n = len(reasons)
    return ibis.memtable(pd.DataFrame({"reason": pd.Series(reasons, dtype="str"), "amount": amounts,
                                       "order_id": [f"o{i:03d}" for i in range(n)], "customer_id": "A",
                                       "order_ts": pd.Timestamp("2025-01-01"), "status": "completed",
                                       "product_id": "p", "quantity": 1.0, "unit_price": 1.0}))


def test_one_reason_taking_most_of_the_lines_or_the_money_stops_02():
    # 3 of 20 lines (15 %) and little money: under the default share
    clean.refuse_large_quarantine(_flagged(["missing_customer_id"] * 3 + [None] * 17, [1.0] * 20))
    # 5 of 20 lines (25 %)
    with pytest.raises(StageError, match=r"missing_customer_id quarantines 5 of 20 order lines \(25%\).*"
                                         r"sources.transactions.columns.customer_id.*"
                                         r"set clean.max_quarantine_share: 0.26"):
        clean.refuse_large_quarantine(_flagged(["missing_customer_id"] * 5 + [None] * 15, [1.0] * 20))
    # 1 line of 20, but 91 % of the money
    with pytest.raises(StageError, match=r"unknown_customer quarantines 1 of 20 .* holding 91% of the money.*o000"):
        clean.refuse_large_quarantine(_flagged(["unknown_customer"] + [None] * 19, [190.0] + [1.0] * 19))
    # ... except for bulk outliers, removed because their money would dominate
    clean.refuse_large_quarantine(_flagged(["bulk_outlier"] + [None] * 19, [190.0] + [1.0] * 19))
    # the key accepts it
    clean.refuse_large_quarantine(_flagged(["missing_customer_id"] * 5 + [None] * 15, [1.0] * 20), 0.3)
    with pytest.raises(ConfigError, match="clean.max_quarantine_share"):
        config.from_dict({"sources": {"transactions": {"path": "t.csv"}}, "clean": {"max_quarantine_share": 1.5}})


def test_lines_after_a_chosen_snapshot_are_no_sign_of_a_misread_export():
    """A snapshot_date set before the log ends leaves the later lines out as implausible_date: that is the window
    the user chose (the demo's migration view does it), not an export read wrongly."""
    later = _flagged(["implausible_date"] * 8 + [None] * 12, [1.0] * 20).mutate(
        order_ts=ibis.literal(pd.Timestamp("2025-09-01")))
    with pytest.raises(StageError, match="implausible_date quarantines 8 of 20"):
        clean.refuse_large_quarantine(later)
    clean.refuse_large_quarantine(later, chosen_snapshot=dt.date(2025, 7, 1))
    before = later.mutate(order_ts=ibis.literal(pd.Timestamp("1970-01-01")))  # unparseable dates still count
    with pytest.raises(StageError, match="implausible_date quarantines 8 of 20"):
        clean.refuse_large_quarantine(before, chosen_snapshot=dt.date(2025, 7, 1))


def test_no_rule_surviving_is_no_offer_not_an_error():
    rules = pd.DataFrame(columns=["segment", "antecedent", "consequent", "baskets", "support", "confidence", "lift"])
    assert offers.offers(rules, rules[["antecedent", "consequent", "lift"]]).empty


def test_one_category_is_nothing_to_recommend():
    one = ibis.memtable(pd.DataFrame({"category": ["shoes", "shoes"], "product_id": [None, None]}),
                        schema={"category": "string", "product_id": "string"})
    have = offers.item_counts(one)
    assert have == {"category": 1, "product_id": 0} and offers.item_level(one, "auto", have) is None
    assert "only 1 category" in offers.no_items_note(have) and "nothing to recommend" in offers.no_items_note(have)
    none = {"category": 0, "product_id": 0}
    assert "no categories or product ids" in offers.no_items_note(none)
