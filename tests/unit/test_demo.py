import pandas as pd
import pytest

from custseg import demo


@pytest.fixture(scope="module")
def frames():
    return demo.generate(n_customers=600, seed=3)


def test_same_seed_same_data(frames):
    again = demo.generate(n_customers=600, seed=3)
    for name, df in frames.items():
        pd.testing.assert_frame_equal(df, again[name])


def test_personas_planted(frames):
    truth = frames["ground_truth"]
    assert len(truth) == 600
    assert set(truth["persona"]) == {p.name for p in demo.PERSONAS}


def test_mess_is_there(frames):
    c, o, ln = frames["customers"], frames["orders"], frames["order_lines"]
    ids = c["customer_id"]
    assert (ids != ids.str.strip().str.upper()).any(), "id case/space variants"
    assert ids.str.strip().str.upper().duplicated().any(), "duplicate CRM rows"
    assert c["birth_date"].isna().any() and (c["birth_date"] == "1900-01-01").any()
    assert c["city"].str.contains("[\u4e00-\u9fff]").any(), "Chinese city names"
    assert ids.str.startswith("T").any(), "test accounts"
    assert set(o["status"]) == {"completed", "returned", "cancelled"}
    assert (ln["quantity"] < 0).any() and (ln["quantity"] > 150).any() and (ln["unit_price"] == 0).any()
    assert ln.duplicated().any(), "double-loaded lines"
    known = set(ids.str.strip().str.upper())
    assert not o["customer_id"].str.upper().isin(known).all(), "orders of unknown customers"
    returns = o[o["status"] == "returned"]
    assert (ln[ln["order_id"].isin(returns["order_id"])]["quantity"] < 0).all()


def test_personas_differ_in_behaviour(frames):
    o = frames["orders"].merge(frames["ground_truth"], on="customer_id")
    per_customer = o[o["status"] == "completed"].groupby(["persona", "customer_id"]).size()
    orders = per_customer.groupby("persona").median()
    assert orders["dormant_one_timers"] <= 2 < orders["affluent_loyalists"]


def test_a_real_retail_shape(frames):
    """Most customers buy once, a few buy a lot, spend is heavy-tailed and sales peak on Singles' Day."""
    o, ln = frames["orders"], frames["order_lines"]
    completed = o[(o["status"] == "completed") & o["customer_id"].str.startswith("C")]
    per_customer = completed.groupby("customer_id").size()
    assert (per_customer == 1).mean() > 0.4 and per_customer.max() >= 20 * per_customer.median()
    value = (ln["quantity"] * ln["unit_price"]).groupby(ln["order_id"]).sum()
    spend = value.reindex(completed["order_id"]).groupby(completed["customer_id"].to_numpy()).sum()
    assert spend.nlargest(len(spend) // 10).sum() > 0.4 * spend.sum(), "the top 10% bring most of the money"
    months = completed["order_ts"].dt.month.value_counts()
    assert months[11] > 1.5 * months[2]


def test_personas_overlap(frames):
    """No persona owns a category or a channel: each buys most categories, through several channels."""
    o = frames["orders"].merge(frames["ground_truth"], on="customer_id")
    lines = frames["order_lines"].merge(o[["order_id", "persona"]], on="order_id")
    assert (lines.groupby("persona")["category"].nunique() >= 6).all()
    assert (o.groupby("persona")["channel"].nunique() >= 3).all()


def test_log_only_is_id_date_amount():
    log, truth = demo.log_only(400, 3)
    assert list(log.columns) == ["customer_id", "order_date", "amount"]
    assert log["order_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert log["amount"].str.contains(",").any(), "some amounts written with a thousands separator"
    assert log["amount"].str.startswith("-").any(), "returns are negative orders"
    # a customer whose only order was cancelled is not in the log
    assert truth["customer_id"].isin(log["customer_id"].str.strip().str.upper()).mean() > 0.9
    assert (log.groupby("customer_id").size() == 1).mean() > 0.4


def test_rejects_too_few_customers():
    with pytest.raises(ValueError, match="at least 50"):
        demo.generate(n_customers=10)


def test_ensure_regenerates_only_when_settings_change(tmp_path):
    from custseg import config

    cfg = config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml", {"demo.n_customers": 80})
    cfg["paths"]["workdir"] = str(tmp_path)
    assert demo.ensure(cfg) is True
    assert demo.ensure(cfg) is False, "same settings: reuse the files"
    cfg["demo"]["n_customers"] = 90
    assert demo.ensure(cfg) is True
    truth = pd.read_csv(tmp_path / "data" / "raw" / "tiny" / "ground_truth.csv")
    assert len(truth) == 90
    cfg["demo"]["enabled"] = False
    assert demo.ensure(cfg) is False


@pytest.mark.parametrize(("name", "n"), [("online_retail_example", 60), ("subscribers_example", 200),
                                         ("survey_example", 200), ("log_only_example", 100)])
def test_ensure_writes_every_shape_where_its_config_reads(tmp_path, name, n):
    """Each example config's shape is generated into the files its sources name, with the truth if it has one."""
    from custseg import config, io

    cfg = config.load(config.PROJECT_ROOT / "configs" / f"{name}.yaml", {"demo.n_customers": n})
    cfg["paths"]["workdir"] = str(tmp_path)
    assert demo.ensure(cfg) is True
    sources = {role: spec for role, spec in cfg["sources"].items() if spec["path"]}
    assert sources
    for role, spec in sources.items():
        header = pd.read_csv(io.source_path(cfg, role), nrows=5, dtype=str)
        assert len(header) and set(spec["columns"].values()) <= set(header.columns), role
    truth = io.run_paths(cfg).raw / "ground_truth.csv"
    assert truth.is_file() == (cfg["demo"]["shape"] in ("survey", "log_only"))
    assert demo.ensure(cfg) is False
