"""What the columns of a customer table say about each other (custseg.relations): nested labels found from the
values and collapsed, structural blanks filled by their rule, derived (product) columns flagged and kept out of the
default features, and no 0/1 flag or ordinal code log-transformed on any shape."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from custseg import attributes, demo, features, i18n, relations
from custseg.cluster import make_preprocessor, skewed_columns

N = 300


def services(n=N, seed=0):
    """Made-up names and labels (none of the telecom export's): a broadband column, two add-ons that say
    'sin red' exactly where broadband is 无, a line flag and a second line that says 'no line' where it is 0."""
    rng = np.random.default_rng(seed)
    broadband = rng.choice(["光纤", "铜缆", "无"], n, p=[0.5, 0.3, 0.2])
    line = rng.random(n) < 0.8
    out = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "broadband": broadband,
                        "line": np.where(line, "Y", "N"), "second_line": np.where(
                            line, rng.choice(["Yes", "No"], n), "no line")})
    for addon in ("addon_a", "addon_b"):
        out[addon] = np.where(broadband == "无", "sin red", rng.choice(["是", "否"], n))
    # a label that matches broadband = 无 on all but one customer is not nested (it says something else)
    loose = np.where(broadband == "无", "nothing", rng.choice(["Yes", "No"], n))
    loose[np.flatnonzero(broadband != "无")[0]] = "nothing"
    out["loose"] = loose
    return out


def _found(table):
    kinds = attributes.infer(table, skip=("customer_id",))
    encoded = attributes.encode(table, kinds)
    return kinds, encoded, relations.find(encoded, kinds, table)


def test_nested_labels_are_found_from_the_values_and_recoded_to_the_columns_no():
    table = services()
    kinds, encoded, found = _found(table)
    groups = {g["parent"]: g for g in found["nested"]}
    assert set(groups) == {"broadband", "line"}
    assert groups["broadband"]["children"] == {"addon_a": "否", "addon_b": "否"}
    assert groups["broadband"]["value"] == "无" and groups["broadband"]["rows"] == (table["broadband"] == "无").sum()
    assert groups["line"]["children"] == {"second_line": "No"} and groups["line"]["value"] == "N"  # as written
    collapsed = relations.apply(encoded, found)
    assert set(collapsed["addon_a"]) == {"是", "否"} and set(collapsed["second_line"]) == {"Yes", "No"}
    assert (collapsed.loc[table["broadband"] == "无", ["addon_a", "addon_b"]] == "否").all().all()
    kept = table["broadband"] != "无"
    assert (collapsed.loc[kept, "addon_a"] == encoded.loc[kept, "addon_a"]).all()  # the others keep their labels
    assert (collapsed["loose"] == encoded["loose"]).all() and (collapsed["broadband"] == encoded["broadband"]).all()
    # the one fact now sets those customers apart in one column instead of three
    three = collapsed[["broadband", "addon_a", "addon_b"]]
    z = make_preprocessor(three).fit(three).transform(three)
    none = np.flatnonzero((table["broadband"] == "无").to_numpy())[0]
    bare = np.flatnonzero(((table["broadband"] != "无") & (collapsed["addon_a"] == "否")
                           & (collapsed["addon_b"] == "否")).to_numpy())[0]
    assert ((z[none] - z[bare]) ** 2).sum() == pytest.approx(2)  # one two-label difference: squared distance 2


def test_nested_findings_travel_with_the_kinds_and_are_named_in_both_languages():
    table = services()
    kinds, encoded, found = _found(table)
    carried = relations.with_findings(kinds, found)
    assert relations.from_kinds(carried)["nested"] == found["nested"]
    written = pd.read_csv(pd.io.common.StringIO(carried.to_csv(index=False)))  # as attributes.csv comes back
    assert relations.from_kinds(written)["nested"] == found["nested"]
    en, zh = (relations.notes(carried, i18n.messages(lang), ("nested",)) for lang in ("en", "zh"))
    assert len(en) == len(zh) == 2
    assert "“sin red” in addon_a and addon_b only repeats that broadband is 无" in en[0]
    assert "in 3 columns at once" in en[0] and "sin red" in zh[0] and "broadband" in zh[0]
    assert relations.summary(carried)["nested_columns"] == ["addon_a", "addon_b", "second_line"]
    assert "relations" not in attributes.kinds_html(carried)  # the box shows kinds; the notes say the rest


def test_a_table_without_nested_labels_finds_none():
    rng = np.random.default_rng(1)
    table = pd.DataFrame({"customer_id": range(N), "plan": rng.choice(["a", "b", "c"], N),
                          "addon": rng.choice(["Yes", "No", "n/a service"], N)})
    _, _, found = _found(table)
    assert found == {"nested": [], "structural": [], "derived": []}
    assert relations.notes(None, i18n.messages("en"), say_none=True) == [i18n.messages("en")["relations"]["none"]]


def charges(n=N, seed=2, blanks="tenure"):
    """Tenure, monthly and total charges (≈ tenure × monthly within ±5 %), totals blank as ``blanks`` says."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 72, n)
    tenure[:6] = 0
    monthly = rng.uniform(20, 110, n).round(2)
    total = (tenure * monthly * rng.uniform(0.95, 1.05, n)).round(2)
    blank = tenure == 0 if blanks == "tenure" else rng.random(n) < 0.03
    return pd.DataFrame({"customer_id": range(n), "tenure": tenure, "monthly": monthly,
                         "total": np.where(blank, " ", total.astype(str)), "noise": rng.gamma(2, 30, n).round(1)})


def test_a_product_column_is_flagged_and_its_blanks_at_tenure_0_are_filled_by_its_rule():
    table = charges()
    kinds, encoded, found = _found(table)
    assert [(d["column"], d["factors"]) for d in found["derived"]] == [("total", ["tenure", "monthly"])]
    assert found["derived"][0]["r"] >= relations.DERIVED_R and found["derived"][0]["scale"] == pytest.approx(1, 0.02)
    [blank] = found["structural"]
    assert (blank["column"], blank["by"], blank["value"], blank["rule"]) == ("total", "tenure", "0", "product")
    assert blank["blanks"] == (table["tenure"] == 0).sum() and blank["median"] > 1000
    filled = relations.apply(encoded, found)
    assert filled["total"].notna().all() and (filled.loc[table["tenure"] == 0, "total"] == 0).all()
    assert (filled.loc[table["tenure"] > 0, "total"] == encoded.loc[table["tenure"] > 0, "total"]).all()
    carried = relations.with_findings(kinds, found)
    assert relations.derived_columns(carried) == ["total"]
    en = relations.notes(carried, i18n.messages("en"))
    assert any(line.startswith("total: its 6 blanks all belong to customers whose tenure is 0") for line in en)
    assert any(line.startswith("total is (nearly) tenure × monthly") for line in en)
    assert len(relations.notes(carried, i18n.messages("zh"))) == len(en) == 2


def test_a_copy_of_a_column_is_not_a_product():
    rng = np.random.default_rng(5)
    a, b = rng.uniform(1, 50, N), rng.uniform(1, 50, N)
    table = pd.DataFrame({"customer_id": range(N), "a": a, "b": b, "twice_a": 2 * a + rng.normal(0, 0.01, N)})
    assert _found(table)[2]["derived"] == []


def test_blanks_no_column_explains_keep_the_median():
    _, encoded, found = _found(charges(blanks="random"))
    assert found["structural"] == [] and [d["column"] for d in found["derived"]] == ["total"]
    assert relations.apply(encoded, found)["total"].isna().sum() == encoded["total"].isna().sum() > 0


def test_an_amount_blank_where_its_count_is_0_is_filled_with_0():
    rng = np.random.default_rng(3)
    visits = rng.poisson(3, N)
    spend = np.where(visits == 0, np.nan, visits * rng.gamma(3, 20, N) + rng.gamma(2, 40, N)).round(2)
    table = pd.DataFrame({"customer_id": range(N), "visits": visits, "spend": spend,
                          "age": rng.integers(18, 80, N)})
    kinds, encoded, found = _found(table)
    [blank] = found["structural"]
    assert (blank["column"], blank["by"], blank["rule"]) == ("spend", "visits", "zero")
    assert (relations.apply(encoded, found).loc[visits == 0, "spend"] == 0).all()


def test_the_customer_table_is_encoded_with_its_relations_applied():
    table = demo.subscribers(600, seed=6)
    declared = {"Contract": ["Month-to-month", "One year", "Two year"]}
    customers = table.rename(columns={"customerID": "customer_id"})
    assert (customers["tenure"] == 0).sum() == (customers["TotalCharges"] == " ").sum() > 0  # the generator's trap
    kinds = features.attribute_kinds(customers, declared)
    found = relations.from_kinds(kinds)
    nested = {g["parent"]: sorted(g["children"]) for g in found["nested"]}
    assert nested == {"InternetService": sorted(demo.SERVICES), "PhoneService": ["MultipleLines"]}
    assert relations.derived_columns(kinds) == ["TotalCharges"]
    encoded = features.with_attributes(customers[["customer_id"]], customers, kinds, declared, dt.date(2025, 6, 30))
    assert not (encoded[demo.SERVICES] == "No internet service").any().any()
    assert "No phone service" not in set(encoded["MultipleLines"])
    assert encoded["TotalCharges"].notna().all()
    assert (encoded.loc[customers["tenure"] == 0, "TotalCharges"] == 0).all()


def test_flags_and_ordinal_codes_are_never_log_transformed():
    rng = np.random.default_rng(4)
    n = 500
    frame = pd.DataFrame({
        "rare_flag": (rng.random(n) < 0.03).astype(float),  # very skewed, but a two-label category
        "band": np.minimum(rng.geometric(0.5, n) - 1, 9).astype(float),  # codes 0-9, skewed
        "likert": np.where(rng.random(n) < 0.9, 1.0, rng.integers(2, 6, n)),  # scores 1-5, skewed
        "amount": rng.lognormal(3, 1.2, n),  # a skewed amount: the log is for this one
    })
    assert skewed_columns(frame) == ["amount"]
    assert attributes.is_levels(frame["band"]) and attributes.is_levels(frame["likert"])
    assert not attributes.is_levels(frame["amount"]) and not attributes.is_levels(pd.Series([0, 5, 12, 3]))


@pytest.mark.parametrize("shape", ["subscribers", "survey"])
def test_no_flag_or_ordinal_is_log_transformed_on_the_table_shapes(shape):
    if shape == "subscribers":
        customers = demo.subscribers(800, seed=6).rename(columns={"customerID": "customer_id"})
        declared = {"Contract": ["Month-to-month", "One year", "Two year"]}
    else:
        customers = demo.survey_study(800, seed=6)[0].rename(columns={"respondent": "customer_id"})
        declared = {}
    kinds = features.attribute_kinds(customers, declared)
    table = features.with_attributes(customers[["customer_id"]], customers, kinds, declared, dt.date(2025, 6, 30))
    coded = set(kinds.loc[kinds["kind"].isin(["binary", "ordinal"]), "column"])
    numbers = table.drop(columns="customer_id").select_dtypes("number")
    assert coded and coded <= set(numbers.columns)
    assert not coded & set(skewed_columns(numbers)), shape


def test_no_flag_or_ordinal_is_log_transformed_on_the_log_shape(tiny_run):
    _, _, results = tiny_run
    segmented = results["05_cluster"]
    table = segmented.table[segmented.columns]
    logged = set(skewed_columns(table))
    coded = {c for c in table.select_dtypes("number") if attributes.is_levels(table[c]) and c not in features.LOG_SCALE}
    assert logged and not logged & coded
    assert not logged & {c for c in table if attributes.is_flag(table[c])}
