"""A source's own column names never collide with custseg's: sources.<role>.rename and drop, checked in the config
and on the data, and a column spelled like one custseg adds renamed with a note in the validation report."""

import pandas as pd
import pytest
import yaml

from custseg import collect, config, engine, schema
from custseg.cluster import value
from custseg.config import ConfigError

# a customer table without a log, with the names custseg uses itself and an export's usual extras
TABLE = pd.DataFrame({
    "cust_no": ["K1", "K2", "K3", "K4"],
    "share": [0.1, 0.5, 0.25, 0.9],
    "segment": ["gold", "silver", "gold", "bronze"],
    "index": [3, 1, 4, 1],
    "expected_value": [120.0, 80.5, 99.0, 10.0],
    "Tenure Months": [12, 1, 40, 7],
    "export_batch": ["b1", "b1", "b2", "b2"],
})


def load(tmp_path, customers: dict | None = None, table: pd.DataFrame = TABLE, **more) -> dict:
    table.to_csv(tmp_path / "table.csv", index=False)
    spec = {"path": "table.csv", "columns": {"customer_id": "cust_no"}, **(customers or {})}
    user = {"name": "t", "paths": {"raw": str(tmp_path), "workdir": str(tmp_path)}, "demo": {"enabled": False},
            "sources": {"customers": spec}, "privacy": {"pii_columns": ["phone"]}, **more}
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(user, allow_unicode=True), encoding="utf-8")
    return config.load(path)


def collected(cfg):
    got = collect.collect(engine.connect(), cfg)
    return got.customers.execute(), pd.DataFrame(got.validation)


def test_columns_named_like_custsegs_are_renamed_with_a_note(tmp_path):
    customers, report = collected(load(tmp_path))
    for name in ("share", "segment", "index", "expected_value"):
        assert name not in customers.columns and f"{name}_src" in customers.columns
        note = report.loc[report["column"] == name, "notes"].item()
        assert f"renamed {name}_src" in note and f"sources.customers.rename.{name}" in note
    assert customers.set_index("customer_id").loc["K3", "expected_value_src"] == "99.0"  # kept as text, typed in 04
    assert "Tenure Months" in customers.columns and "export_batch" in customers.columns


def test_rename_and_drop_apply_before_the_mapping(tmp_path):
    cfg = load(tmp_path, {"rename": {"share": "wallet_share", "Tenure Months": "tenure_months", "cust_no": "id"},
                          "drop": ["export_batch"], "columns": {"customer_id": "id"}})
    customers, report = collected(cfg)
    assert {"wallet_share", "tenure_months"} <= set(customers.columns)
    assert not {"share", "share_src", "Tenure Months", "export_batch", "cust_no", "id"} & set(customers.columns)
    assert sorted(customers["customer_id"]) == ["K1", "K2", "K3", "K4"]
    notes = report.set_index("column")["notes"]
    assert notes["export_batch"] == "dropped (sources.customers.drop)"
    assert notes["share"] == "renamed wallet_share (sources.customers.rename)"
    assert notes["segment"].startswith("renamed segment_src")  # not renamed in the config: custseg's note


def test_a_swap_of_two_names_is_one_rename(tmp_path):
    customers, _ = collected(load(tmp_path, {"rename": {"share": "export_batch", "export_batch": "share_label"}}))
    assert customers.set_index("customer_id").loc["K1", ["export_batch", "share_label"]].tolist() == ["0.1", "b1"]


@pytest.mark.parametrize(("customers", "words"), [
    ({"drop": ["no_such_column"]}, ["sources.customers.drop", "'no_such_column'", "'cust_no', 'share'"]),
    ({"rename": {"Tenure": "tenure"}}, ["sources.customers.rename", "'Tenure'", "'Tenure Months'"]),
    ({"rename": {"share": "export_batch"}}, ["sources.customers.rename.share", "already has a column 'export_batch'",
                                             "'cust_no'"]),
])
def test_a_rename_or_drop_that_does_not_fit_the_source_names_the_key_and_its_columns(tmp_path, customers, words):
    cfg = load(tmp_path, customers)
    with pytest.raises(ConfigError) as err:
        collected(cfg)
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize(("customers", "words"), [
    ({"rename": {"share": "gender"}}, ["sources.customers.rename.share", "columns.gender: share"]),
    ({"rename": {"share": "segment"}}, ["sources.customers.rename.share", "its own 'segment'"]),
    ({"rename": {"share": "a", "index": "a"}}, ["two columns the name 'a'"]),
    ({"rename": {"share": 3}}, ["sources.customers.rename", "share"]),
    ({"drop": ["share"], "rename": {"share": "s"}}, ["sources.customers.drop", "'share'", "rename"]),
    ({"drop": ["cust_no"]}, ["sources.customers.drop", "'cust_no'", "columns maps"]),
    ({"rename": {"phone": "tel"}}, ["sources.customers.rename.phone", "privacy.pii_columns", "drop"]),
])
def test_bad_rename_and_drop_keys_are_config_errors(tmp_path, customers, words):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, customers)
    for word in words:
        assert word in str(err.value)


def test_the_reserved_names_are_the_ones_custseg_spells():
    assert {value.VALUE_COLUMN, value.SPEND_COLUMN, schema.SEGMENT, schema.CUSTOMER_ID} <= schema.RESERVED
    canonical = {c for role in ("customers", "survey") for c in schema.SCHEMAS[role]} - {schema.CUSTOMER_ID}
    assert not canonical & schema.RESERVED  # a canonical column is never renamed away
