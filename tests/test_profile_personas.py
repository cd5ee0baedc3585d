import pandas as pd
import pytest

from custseg import personas, profile, rfm


@pytest.fixture()
def customers():
    return pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(8)],
        "segment": [0, 0, 0, 0, 1, 1, 2, 2],
        "monetary": [100.0, 100, 100, 100, 1000, 1000, 10, 10],
        "frequency": [2.0, 2, 2, 2, 10, 10, 1, 1],
        "recency_days": [20.0, 20, 20, 20, 10, 10, 400, 400],
        "avg_order_value": [50.0, 50, 50, 50, 100, 100, 10, 10],
        "share_cat_luxury": [0.0, 0, 0, 0, 0.8, 0.8, 0, 0],
        "city_tier": ["tier 2"] * 4 + ["tier 1"] * 2 + ["tier 3"] * 2,
        "gender": ["F", "F", "M", "F", "M", "M", "F", "F"],
    })


def test_profile_shares_and_index(customers):
    prof = profile.profile(customers)
    assert prof.loc[0, "customers"] == 4 and prof.loc[0, "share"] == 0.5
    assert prof.loc[1, "value_share"] == pytest.approx(2000 / 2420)
    assert prof.loc["all", "monetary"] == pytest.approx(2420 / 8)
    idx = profile.index_table(prof)
    assert idx.loc[1, "monetary"] == round(1000 / (2420 / 8) * 100)
    assert "all" not in idx.index


def test_names_and_write_up_follow_the_numbers(customers):
    prof = profile.profile(customers)
    idx = profile.index_table(prof)
    assert profile.name_segment(idx.loc[1], prof.loc[1]) == "High-value active · luxury"
    assert profile.name_segment(idx.loc[2], prof.loc[2]).startswith("Low-value one-time")
    text = profile.write_up(1, prof, idx, customers)
    assert "2 customers (25% of the base) bring 83% of net spend" in text
    assert "100% live in tier 1 cities" in text and "100% are men" in text
    top = profile.distinguishing(customers, top=2)
    assert set(top["segment"]) == {0, 1, 2}
    assert top.loc[top["segment"] == 1, "feature"].iloc[0] in ("share_cat_luxury", "monetary", "frequency")


def test_cards_csv_and_rendering(customers):
    prof = profile.profile(customers)
    idx = profile.index_table(prof)
    scores = rfm.rfm_table(customers.assign(recency_days=customers["recency_days"]), 5)
    cards = personas.build(customers, prof, idx, scores)
    assert [c["segment"] for c in cards] == [0, 1, 2], "largest first"
    for card in cards:
        assert card["name"] and card["narrative"] and card["strategy"] and card["kpis"]
    assert len({c["name"] for c in cards}) == len(cards)
    assert "Reward and retain" in next(c for c in cards if c["segment"] == 1)["strategy"]
    md, html = personas.render(cards[1], "md"), personas.render(cards[1], "html")
    assert md.startswith(f"# Segment {cards[1]['segment']} — {cards[1]['name']}")
    assert '<article class="persona"' in html and cards[1]["narrative"] in html
    crm = personas.crm_export(customers[["customer_id", "segment"]], scores, cards)
    assert list(crm.columns) == ["customer_id", "segment_id", "segment_name", "rfm_segment"]
    assert crm["segment_name"].notna().all() and len(crm) == len(customers)
    with pytest.raises(ValueError, match="not available"):
        personas.build(customers, prof, idx, scores, language="fr")


def test_duplicate_names_are_numbered():
    cards = [{"name": "Low-value active"}, {"name": "Low-value active"}, {"name": "High-value active"}]
    personas._disambiguate(cards)
    assert [c["name"] for c in cards] == ["Low-value active (1)", "Low-value active (2)", "High-value active"]
