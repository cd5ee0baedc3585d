"""Typing customer attributes: each kind inferred from its values (English and Chinese labels), declared kinds
win, free text and ids are never clustered, and values that do not fit their kind are one clear error."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from custseg import attributes
from custseg.errors import SourceError

N = 40


def table():
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "customerID": [f"{i:04d}-X{rng.integers(1000)}" for i in range(N)],
        "monthly_charges": rng.normal(70, 20, N).round(2),
        "tenure_text": [str(v) for v in rng.integers(0, 72, N)],
        "partner": rng.choice(["Yes", "No"], N),
        "paperless": rng.choice(["是", "否"], N),
        "senior": rng.choice([0, 1], N),
        "satisfaction": rng.choice(["Strongly agree", "Agree", "Neutral", "disagree", "Strongly Disagree"], N),
        "推荐意愿": rng.choice(["非常同意", "同意", "一般", "不同意", "非常不同意"], N),
        "contract": rng.choice(["Month-to-month", "One year", "Two year"], N),
        "birth_date": [f"19{rng.integers(50, 99)}-0{rng.integers(1, 9)}-1{rng.integers(0, 9)}" for _ in range(N)],
        "comment": [f"free text answer number {i}" for i in range(N)],
        "nothing": ["NULL"] * N,
        "plan": rng.choice(["basic", "plus", "NULL", "N/A"], N),
    })


def test_each_kind_is_inferred_with_a_reason_and_a_config_line():
    kinds = attributes.infer(table(), skip=("customerID",)).set_index("column")
    expected = {"monthly_charges": "numeric", "tenure_text": "numeric", "partner": "binary", "paperless": "binary",
                "senior": "binary", "satisfaction": "ordinal", "推荐意愿": "ordinal", "contract": "categorical",
                "birth_date": "date", "comment": "id", "nothing": "empty", "plan": "categorical"}
    assert kinds["kind"].to_dict() == expected
    assert kinds.loc["contract", "config"] == "contract: categorical"
    assert "Likert" in kinds.loc["推荐意愿", "why"] and kinds.loc["nothing", "missing_share"] == 1.0
    assert kinds.loc["plan", "missing_share"] > 0.3, "NULL and N/A are missing, not labels"
    assert "customerID" not in kinds.index


def test_encoding_gives_numbers_and_labels_and_leaves_text_out():
    t = table()
    kinds = attributes.infer(t, skip=("customerID",))
    out = attributes.encode(t, kinds, snapshot=dt.date(2025, 1, 1))
    assert set(out.columns) == {"monthly_charges", "tenure_text", "partner", "paperless", "senior", "satisfaction",
                                "推荐意愿", "contract", "age", "plan"}
    assert out["partner"].tolist() == (t["partner"] == "Yes").astype(float).tolist()
    assert out["paperless"].tolist() == (t["paperless"] == "是").astype(float).tolist()
    likert = {"Strongly agree": 5, "Agree": 4, "Neutral": 3, "disagree": 2, "Strongly Disagree": 1}
    assert out["satisfaction"].tolist() == t["satisfaction"].map(likert).astype(float).tolist()
    assert out["推荐意愿"].max() == 5 and out["推荐意愿"].min() == 1
    assert out["age"].between(25, 75).all() and out["contract"].isin(["Month-to-month", "One year", "Two year"]).all()
    assert out["plan"].isna().any() and set(out["plan"].dropna()) == {"basic", "plus"}


def test_declared_kinds_and_orders_win():
    t = table().assign(size=np.random.default_rng(1).choice(["S", "M", "L"], N))
    declared = {"senior": "categorical", "size": ["S", "M", "L"], "comment": "text"}
    kinds = attributes.infer(t, declared, skip=("customerID",)).set_index("column")
    assert kinds.loc["senior", "kind"] == "categorical" and kinds.loc["senior", "declared"]
    assert kinds.loc["size", "kind"] == "ordinal" and kinds.loc["size", "config"] == "size: ['S', 'M', 'L']"
    out = attributes.encode(t, kinds.reset_index(), declared)
    assert out["size"].tolist() == t["size"].map({"S": 1.0, "M": 2.0, "L": 3.0}).tolist()
    with pytest.raises(SourceError, match="'attributes.senior' must be one of"):
        attributes.infer(t, {"senior": "flag"})
    with pytest.raises(SourceError, match="names 'no_such', which the customer table does not have"):
        attributes.infer(t, {"no_such": "numeric"})


@pytest.mark.parametrize("column, values, declared, fragments", [
    ("charges", ["12.5"] * 30 + ["n/a"] * 2 + ["twelve", "1,234"], {},
     ["column 'charges'", "2 value(s) are not numbers", "'twelve'", "thousands", "attributes.charges"]),
    ("agree", ["Agree", "Disagree", "Meh"] * 10, {"agree": "ordinal"},
     ["column 'agree'", "not known labels of the scale", "'Meh'"]),
    ("flag", ["Yes", "No", "Maybe"] * 10, {"flag": "binary"}, ["not yes/no values", "'Maybe'"]),
    ("size", ["S", "M", "XL"] * 10, {"size": ["S", "M", "L"]}, ["not known labels of the scale (S, M, L)", "'XL'"]),
])
def test_a_value_that_does_not_fit_its_kind_is_one_clear_error(column, values, declared, fragments):
    t = pd.DataFrame({column: values})
    with pytest.raises(SourceError) as caught:
        attributes.encode(t, attributes.infer(t, declared), declared)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_the_kinds_table_lists_every_column_in_a_scrollable_box():
    # an insurance export's 86 columns: the table must show them all, each with the line that corrects it
    rng = np.random.default_rng(86)
    table = pd.DataFrame({f"M{i:03d}X": rng.integers(0, 10, 200) for i in range(85)} | {"CARAVAN": [0, 1] * 100})
    kinds = attributes.infer(table)
    html = attributes.kinds_html(kinds)
    assert html.count("<tr") == 87 and "…" not in html and "..." not in html  # header + 86 rows, none elided
    assert "overflow:auto" in html and "M084X: ordinal" in html and "CARAVAN: binary" in html
    assert "86 columns" in html and "attributes:" in html
