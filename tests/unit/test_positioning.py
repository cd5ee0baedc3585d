"""08's draft positioning and marketing mix: filled from each target segment's numbers, nothing the data lacks."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from custseg import offers, positioning
from custseg import target as targeting


def _customers(channels: bool = True, seed: int = 0) -> pd.DataFrame:
    """Three segments: 0 small and rich (kids, store, little discount), 1 average, 2 many and poor (grocery, web,
    much discount, churning)."""
    rng = np.random.default_rng(seed)
    sizes = {0: 60, 1: 120, 2: 220}
    parts = []
    for seg, n in sizes.items():
        kids = {0: 0.5, 1: 0.2, 2: 0.05}[seg]
        grocery = {0: 0.1, 1: 0.3, 2: 0.6}[seg]
        frame = pd.DataFrame({
            "customer_id": [f"c{seg}-{i}" for i in range(n)], "segment": seg,
            "monetary": rng.normal({0: 3000, 1: 800, 2: 150}[seg], 10, n),
            "avg_order_value": rng.normal({0: 400, 1: 150, 2: 40}[seg], 5, n),
            "discount_share": rng.normal({0: 0.02, 1: 0.10, 2: 0.25}[seg], 0.005, n),
            "share_cat_kids": np.full(n, kids), "share_cat_grocery": np.full(n, grocery),
            "share_cat_home": np.full(n, 1 - kids - grocery),
            "Churn": (rng.random(n) < {0: 0.05, 1: 0.15, 2: 0.40}[seg]).astype("float")})
        if channels:
            frame["share_channel_store"] = (rng.random(n) < {0: 0.9, 1: 0.4, 2: 0.1}[seg]).astype("float")
            frame["share_channel_web"] = 1 - frame["share_channel_store"]
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def _cards():
    return [{"segment": 0, "name": "Rich parents", "offer": "toys", "strategy_headline": "reward and retain"},
            {"segment": 1, "name": "Middle", "offer": "", "strategy_headline": "grow"},
            {"segment": 2, "name": "Thrifty grocers", "offer": "", "strategy_headline": "win back"}]


def _draft(customers, targets=(0, 2), found=None, language="en", value="monetary", outcomes=None, cards=None):
    outcomes = {"Churn": "lower_is_better"} if outcomes is None else outcomes
    cards = _cards() if cards is None else cards
    reach = pd.Series(customers["segment"] != 2, index=customers.index)  # segment 2 has no consent
    table = targeting.table(customers, value, reachable=reach, names={c["segment"]: c["name"] for c in _cards()},
                            outcomes=outcomes)
    return positioning.draft(table, cards, list(targets), customers, found, value, outcomes, ["email_opt_in"],
                             language)


def _text(p, seg, element):
    rows = p.table[(p.table["segment"] == seg) & (p.table["element"] == element)]
    assert len(rows) <= 1
    return rows["text"].iloc[0] if len(rows) else None


def test_the_statement_and_the_mix_follow_each_targets_numbers():
    p = _draft(_customers())
    assert set(p.table["segment"]) == {0, 2}, "only the target segments"
    for seg in (0, 2):
        assert list(p.table.loc[p.table["segment"] == seg, "element"]) == list(positioning.ELEMENTS)
    assert p.missing == []
    # product: the category each over-buys (against the base), and the offer when there is one
    assert "kids (50%;" in _text(p, 0, "product") and "Offer next: toys." in _text(p, 0, "product")
    assert "grocery (60%;" in _text(p, 2, "product") and "kids" not in _text(p, 2, "product")
    assert "No offer stands out" in _text(p, 2, "product")
    # price: the value per customer sets the level, the discount share the sensitivity
    assert "a premium level" in _text(p, 0, "price") and "pay the full price" in _text(p, 0, "price")
    assert "a low level" in _text(p, 2, "price") and "they respond to price" in _text(p, 2, "price")
    # channel: where each buys, most used first
    assert _text(p, 0, "channel").index("store") < _text(p, 0, "channel").index("web")
    assert _text(p, 2, "channel").index("web") < _text(p, 2, "channel").index("store")
    # promotion: the persona's strategy, churn against the base in its direction, reach only where measured
    assert "win back" in _text(p, 2, "promotion") and "lower is better" in _text(p, 2, "promotion")
    assert "0% of them can be contacted" in _text(p, 2, "promotion")
    assert "100% of them can be contacted (email_opt_in)" in _text(p, 0, "promotion")
    statement = _text(p, 0, "statement")
    assert statement.startswith("For Rich parents (") and "[our brand]" in statement
    assert "kids" in statement and "adds toys" in statement and "worth" in statement  # the value index as reason
    assert "grocery" in _text(p, 2, "statement"), "what they buy is the need, before the outcome"


def test_no_channel_row_without_channel_data_and_the_note_says_what_would_fill_it():
    p = _draft(_customers(channels=False))
    assert "channel" not in set(p.table["element"])
    assert len(p.missing) == 1 and "sales channel" in p.missing[0] and "sources.transactions" in p.missing[0]
    assert all(len(mix["mix"]) == 3 for mix in p.on_cards().values()) and p.notes() == p.missing


def test_no_price_row_without_value_or_order_amounts_and_no_product_row_without_items():
    customers = _customers().drop(columns=["avg_order_value", "discount_share", "share_cat_kids",
                                           "share_cat_grocery", "share_cat_home"])
    p = _draft(customers, value="_none", cards=[{**c, "offer": ""} for c in _cards()])  # no items, no offers
    assert set(p.table["element"]) == {"statement", "channel", "promotion"}
    assert any("value_column" in line for line in p.missing)
    assert any("what they buy or hold" in line for line in p.missing)
    # the statement rests on what there is: the worse outcome (churn) for the segment that churns
    assert "churn 4" in _text(p, 2, "statement") and "[our brand]" in _text(p, 2, "statement")


def test_services_a_customer_table_holds_fill_the_product_row():
    customers = _customers(channels=False).drop(columns=["share_cat_kids", "share_cat_grocery", "share_cat_home"])
    customers["StreamingTV"] = np.where(customers["segment"] == 0, "Yes", "No")
    customers["PhoneService"] = 1
    base = pd.DataFrame({"segment": offers.ALL, "antecedent": ["PhoneService"], "consequent": ["StreamingTV"],
                         "lift": [1.0]})
    rule = pd.DataFrame({"segment": [0], "antecedent": ["PhoneService"], "consequent": ["StreamingTV"],
                         "confidence": [1.0], "lift": [2.5], "base_lift": [1.0]})
    found = SimpleNamespace(item=offers.SERVICES, base=base, offers=rule,
                            under_bought=pd.DataFrame(columns=["segment", "item"]))
    p = _draft(customers, found=found)
    assert "They hold more often" in _text(p, 0, "product") and "streaming TV (100%; 15% overall)" in \
        _text(p, 0, "product")
    assert "lift 2.50" in _text(p, 0, "statement"), "the offer's rule is the reason"
    assert "phone service" not in _text(p, 0, "product"), "held by everyone: nothing that sets them apart"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_word_comes_from_the_catalogue_in_the_runs_language(language):
    p = _draft(_customers(), language=language)
    shown = p.shown()
    element = "要素" if language == "zh" else "element"
    assert list(shown.columns) == [*shown.columns[:2], element, shown.columns[3]]
    if language == "zh":
        assert set(shown[element]) == {"定位陈述", "产品", "价格", "渠道", "推广"}
        assert _text(p, 0, "statement").startswith("面向Rich parents（") and "［品牌名］" in _text(p, 0, "statement")
        assert "高价位" in _text(p, 0, "price") and "For " not in " ".join(p.table["text"])
    else:
        assert set(shown[element]) == {"positioning statement", "product", "price", "channel", "promotion"}
    cards = p.on_cards()
    assert set(cards) == {"0", "2"} and cards["0"]["statement"] == _text(p, 0, "statement")
    assert [label for label, _ in cards["0"]["mix"]] == list(shown[element].iloc[1:5])


def test_no_target_no_rows():
    p = _draft(_customers(), targets=())
    assert p.table.empty and list(p.table.columns) == positioning.COLUMNS
    assert p.missing == [] and len(p.notes()) == 1 and p.notes()[0].startswith("No target segment")


def test_no_discount_claim_without_discounts_and_a_better_outcome_can_be_the_need():
    customers = _customers().assign(discount_share=0.0).drop(columns=["share_cat_kids", "share_cat_grocery",
                                                                       "share_cat_home"])
    p = _draft(customers, cards=[{**c, "offer": ""} for c in _cards()])
    assert "Discounts" not in _text(p, 0, "price") and "Typical order" in _text(p, 0, "price")
    # no items: segment 0 is told by its churn, lower than the base (the right way), and not called worse
    assert "who stand out on churn 2" in _text(p, 0, "statement") and "asks for it" not in _text(p, 0, "statement")
