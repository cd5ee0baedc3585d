"""A customer table described on its own data (custseg.describe): frequency tables, numbers, the cross-tabs of the
most telling attributes with each outcome, and the value column found or declared — on small generated tables."""

import numpy as np
import pandas as pd
import pytest

from custseg import config, describe, i18n
from custseg.errors import ConfigError
from custseg.report import needs


def _subscribers(n=1200, seed=3):
    """A small subscriber table: churn driven by the contract (and a little by tenure), a 0/1 'female' flag instead
    of a gender column, charges as numbers and as text with blanks, a Yes/No service with a nested label."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.5, 0.25, 0.25])
    tenure = rng.integers(0, 72, n)
    p = np.select([contract == "Month-to-month", contract == "One year"], [0.45, 0.12], 0.03) + 0.002 * (72 - tenure)
    internet = rng.choice(["DSL", "Fiber optic", "No"], n)
    monthly = np.round(20 + 40 * (internet != "No") + rng.normal(0, 5, n), 2)
    return pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in range(n)], "female": rng.integers(0, 2, n),
        "Contract": contract, "tenure": tenure, "InternetService": internet,
        "StreamingTV": np.where(internet == "No", "No internet service", rng.choice(["Yes", "No"], n)),
        "MonthlyCharges": monthly, "TotalCharges": np.where(tenure == 0, " ", (monthly * tenure).round(2).astype(str)),
        "PaymentMethod": rng.choice(["Electronic check", "Mailed check", "N/A"], n),
        "Churn": np.where(rng.random(n) < p, "Yes", "No")})


ORDER = {"Contract": ["Month-to-month", "One year", "Two year"]}


@pytest.fixture(scope="module")
def described():
    df = _subscribers()
    return df, describe.customer_table(df, ORDER, {"Churn": None})


def test_every_label_column_gets_a_frequency_table_in_its_order(described):
    df, table = described
    kinds = table.kinds.set_index("column")
    assert kinds.loc["female", "kind"] == "binary" and kinds.loc["female", "described"]  # the gender-like 0/1 flag
    assert set(table.frequencies) == {"female", "Contract", "InternetService", "StreamingTV", "PaymentMethod",
                                      "Churn"}
    contract = table.frequencies["Contract"]
    assert contract["label"].tolist() == ORDER["Contract"]  # an ordinal keeps its order
    assert contract.set_index("label")["customers"].to_dict() == df["Contract"].value_counts().to_dict()
    payment = table.frequencies["PaymentMethod"].set_index("label")
    assert payment.loc["(missing)", "customers"] == (df["PaymentMethod"] == "N/A").sum()  # N/A is missing, not a label
    for frequency in table.frequencies.values():
        assert frequency["share"].sum() == pytest.approx(1.0)
    long = describe.frequency_table(table.frequencies)
    assert long.index.names == ["column", "label"] and len(long) == sum(map(len, table.frequencies.values()))


def test_numbers_are_summarised_and_flags_are_not_numbers(described):
    df, table = described
    assert list(table.numbers.columns) == ["tenure", "MonthlyCharges", "TotalCharges"]
    summary = table.summary
    assert summary.loc["TotalCharges", "missing"] == (df["tenure"] == 0).sum()  # the blanks are missing values
    assert summary.loc["MonthlyCharges", "mean"] == pytest.approx(df["MonthlyCharges"].mean())
    assert "female" not in summary.index  # a 0/1 flag is a label


def test_the_most_telling_attribute_is_the_planted_one_and_its_crosstab_is_right(described):
    df, table = described
    churn = table.outcomes["Churn"]
    assert churn.kind == "rate" and churn.direction == "lower_is_better" and churn.direction_from == "name"
    assert churn.base == pytest.approx((df["Churn"] == "Yes").mean())
    ranked = churn.telling
    assert ranked["column"].iloc[0] == "Contract" and "Churn" not in set(ranked["column"])
    assert ranked["eta2_adjusted"].is_monotonic_decreasing and (ranked["eta2_adjusted"] <= ranked["eta2"]).all()
    assert list(churn.crosstabs) == list(ranked["column"][:describe.TELLING])
    crosstab = churn.crosstabs["Contract"].set_index("label")
    want = (df["Churn"] == "Yes").groupby(df["Contract"]).mean()
    assert crosstab.index.tolist() == ORDER["Contract"]
    for label, rate in want.items():
        assert crosstab.loc[label, "value"] == pytest.approx(rate)
        assert crosstab.loc[label, "low"] < rate < crosstab.loc[label, "high"]
    assert crosstab["customers"].sum() == len(df)
    assert crosstab.loc["Month-to-month", "index"] > 100 > crosstab.loc["Two year", "index"]


def test_a_number_is_cut_into_quartile_bands_and_a_few_values_stay_values():
    values = pd.Series(np.arange(100, dtype=float))
    cut = describe.bands(values)
    assert list(cut.cat.categories) == ["< 24.75", "24.75–49.5", "49.5–74.25", "≥ 74.25"]
    assert cut.value_counts().tolist() == [25, 25, 25, 25] and cut.notna().all()
    few = describe.bands(pd.Series([1.0, 2.0, 2.0, np.nan]))
    assert list(few.cat.categories) == ["1", "2"] and few.isna().sum() == 1


def test_the_value_column_is_found_by_name_a_rate_before_a_total(described):
    _, table = described
    assert table.value == describe.ValueChoice("MonthlyCharges", "name", ("TotalCharges",))
    note = table.value.note(i18n.messages("en"))
    assert "MonthlyCharges" in note and "TotalCharges" in note and "value_column" in note
    assert "MonthlyCharges" in table.value.note(i18n.messages("zh")) and "value_column" in table.value.note(
        i18n.messages("zh"))
    chinese = pd.DataFrame({"客户": ["a", "b"], "累计消费金额": [1210.0, 2020.5], "月消费金额": [58.5, 102.3]})
    assert describe.value_column(None, chinese, False).column == "月消费金额"
    likert = pd.DataFrame({"waits_for_sales": [1.0, 4.0, 5.0, 2.0], "spend_band": [0, 3, 9, 9]})
    assert describe.value_column(None, likert, False).column is None  # answers and band codes are no amounts
    custseg_own = pd.DataFrame({"predicted_spend": [1.0], "share_cat_kids": [0.1], "charged": [1], "age": [30]})
    assert describe.value_column(None, custseg_own, False) == describe.ValueChoice(None, "none")
    assert describe.value_column(None, custseg_own, True) == describe.ValueChoice("monetary", "spend")


def test_a_declared_value_column_is_used_or_refused_clearly():
    table = pd.DataFrame({"customer_id": ["a", "b"], "revenue": [1.0, 2.0], "plan": ["gold", "basic"]})
    assert describe.value_column("revenue", table, True) == describe.ValueChoice("revenue", "declared")
    with pytest.raises(ConfigError, match=r"value_column' names 'ARPU'.*columns of numbers: revenue"):
        describe.value_column("ARPU", table, False)
    with pytest.raises(ConfigError, match=r"value_column': column 'plan' does not hold numbers \(e.g. 'gold'"):
        describe.value_column("plan", table, False)


def test_value_column_and_services_in_the_config_are_checked():
    base = {"name": "t", "sources": {"transactions": {"path": "x.csv"}}}
    assert config.from_dict({**base, "value_column": "MonthlyCharges"})["value_column"] == "MonthlyCharges"
    assert config.from_dict(base)["value_column"] is None and config.from_dict(base)["offers"]["services"] is None
    with pytest.raises(ConfigError, match="'value_column' is empty"):
        config.from_dict({**base, "value_column": " "})
    with pytest.raises(ConfigError, match="'value_column' must be str"):
        config.from_dict({**base, "value_column": 3})
    with pytest.raises(ConfigError, match="'offers.services' must list column names"):
        config.from_dict({**base, "offers": {"services": ["PhoneService", 1]}})


def test_a_customer_table_without_attributes_has_nothing_to_describe():
    ids = pd.DataFrame({"customer_id": ["a", "b", "c"]})
    table = describe.customer_table(ids, has_log=True)
    assert table.kinds.empty and not table.frequencies and table.summary.empty and not table.outcomes
    assert table.value.how == "spend"


def test_the_attributes_need_is_met_by_a_customer_table_with_columns(tmp_path):
    from custseg import io

    cfg = config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml")
    cfg["paths"]["workdir"], cfg["run"] = str(tmp_path), "n"
    paths = io.run_paths(cfg).make()
    assert needs.attribute_columns(paths) == []  # before 02
    io.write(paths, "customers", pd.DataFrame({"customer_id": ["a", "b"], "gender": [None, None], "plan": ["x", None]}))
    assert needs.attribute_columns(paths) == ["plan"]  # a column without a value is no attribute


def test_a_number_that_is_mostly_one_value_is_cut_at_the_next_one():
    cut = describe.bands(pd.Series([0.0] * 90 + [5.0, 7.0, 9.0, 11.0, 13.0] * 2))
    assert list(cut.cat.categories) == ["< 5", "≥ 5"] and cut.value_counts()["< 5"] == 90


def test_a_group_without_any_outcome_gets_an_interval_from_zero_and_its_bar_is_drawn():
    """Blank total charges of the newest subscribers, none of whom churned: 0 of 14 (a crash once: the lower
    bound came out 1e-17 above the rate, a negative error bar)."""
    from custseg import plots, stats

    assert stats.wilson(0, 14)[0] == 0.0 and stats.wilson(14, 14)[1] == 1.0
    low, high = stats.wilson(0, 14)
    table = pd.DataFrame({"label": ["(missing)", "Yes"], "value": [0.0, 0.3], "low": [low, 0.2],
                          "high": [high, 0.4]})
    fig = plots.crosstab_bars({"TotalCharges": table}, 0.2, "Churn", "churn rate")
    assert fig.axes[0].get_title() == "TotalCharges"
