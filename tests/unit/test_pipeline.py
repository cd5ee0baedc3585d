"""Stage functions: declared inputs and outputs, refusal of missing or stale inputs, fingerprints, records."""

import copy
import datetime as dt
import os

import numpy as np
import pandas as pd
import pytest
import yaml

from custseg import config, demo, io, pipeline, schema
from custseg import target as targeting
from custseg.errors import ConfigError, SourceError, StageError
from custseg.evaluate import contest
from custseg.report import index


def _with(cfg, **dotted):
    out = copy.deepcopy(cfg)
    for key, value in dotted.items():
        config.set_dotted(out, key.replace("__", "."), value)
    return out


def test_every_stage_writes_what_it_declares(tiny_run):
    cfg, paths, _ = tiny_run
    for s in pipeline.STAGES:
        rec = pipeline.check_fresh(cfg, paths, s)
        assert rec["stage"] == s.name and rec["fingerprint"] == pipeline.fingerprint(cfg, s)
        for name in s.writes:
            assert io.exists(paths, name), (s.name, name)
    assert not io.exists(paths, "flagged_lines"), "the transient flagged lines are removed"


def test_every_artefact_read_is_written_by_an_earlier_stage():
    for s in pipeline.STAGES:
        for name in (*s.reads, *s.maybe_reads):
            assert name in io.ARTEFACTS
            assert pipeline.PRODUCER[name].number < s.number, (s.name, name)
        for name in (*s.writes, *s.maybe_writes):
            assert name in io.ARTEFACTS and pipeline.PRODUCER[name] is s


def test_a_stage_refuses_a_missing_input(tiny_cfg, tmp_path):
    cfg = _with(tiny_cfg, run="empty")
    cfg["paths"]["workdir"] = str(tmp_path)
    paths = io.run_paths(cfg).make()
    with pytest.raises(StageError, match=r"02_clean needs artefact 'collected_customers' .* which 01_collect "
                                         r"writes: run 01_collect first \(custseg run CONFIG --from 01_collect\)"):
        pipeline.clean(cfg, paths)


def test_a_stage_refuses_a_stale_input(tiny_run):
    cfg, paths, _ = tiny_run
    changed = _with(cfg, clean__max_line_quantity=40)
    with pytest.raises(StageError, match=r"04_features cannot use the artefacts of 02_clean: .* stale: config "
                                         r"key\(s\) clean.max_line_quantity \(50 → 40\) changed"):
        pipeline.features(changed, paths)
    with pytest.raises(StageError, match=r"06_personas cannot use the artefacts of 05_cluster: .*cluster.k "
                                         r"\(None → 4\)"):
        pipeline.describe_personas(_with(cfg, cluster__k=4), paths)
    pipeline.check_fresh(cfg, paths, pipeline.stage("06_personas"))  # a refusal leaves the run as it was


def test_fingerprints_change_downstream_only():
    cfg = config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml")
    before = {s.name: pipeline.fingerprint(cfg, s) for s in pipeline.STAGES}
    k = {s.name: pipeline.fingerprint(_with(cfg, cluster__k=4), s) for s in pipeline.STAGES}
    assert [n for n in before if before[n] != k[n]] == ["05_cluster", "06_personas", "07_evaluate", "08_target",
                                                        "09_measure"]
    lang = {s.name: pipeline.fingerprint(_with(cfg, language="zh"), s) for s in pipeline.STAGES}
    # 07 and 09 write their index blocks in the report's language
    assert [n for n in before if before[n] != lang[n]] == ["06_personas", "07_evaluate", "08_target", "09_measure"]
    # new campaign results are measured again without collecting anything again
    results = {s.name: pipeline.fingerprint(_with(cfg, sources__campaign__path="june.csv"), s) for s in pipeline.STAGES}
    assert [n for n in before if before[n] != results[n]] == ["09_measure"]
    offers = {s.name: pipeline.fingerprint(_with(cfg, offers__min_support=0.01), s) for s in pipeline.STAGES}
    # 09 reads 08's targets for its feedback, so it is stale when 08 ran with other settings
    assert [n for n in before if before[n] != offers[n]] == ["08_target", "09_measure"]
    cleaned = {s.name: pipeline.fingerprint(_with(cfg, clean__min_age=18), s) for s in pipeline.STAGES}
    assert [n for n in before if before[n] != cleaned[n]] == [s.name for s in pipeline.STAGES[1:]]


def test_a_changed_export_makes_collect_stale(tiny_cfg):
    cfg = _with(tiny_cfg, demo__enabled=False)
    first = pipeline.fingerprint(cfg, pipeline.stage(1))
    path = io.source_path(cfg, "customers")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    try:
        assert pipeline.fingerprint(cfg, pipeline.stage(1)) != first
    finally:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.mark.parametrize("name", ["05_cluster", "05", "5", 5, "cluster"])
def test_stages_by_name_or_number(name):
    assert pipeline.stage(name).name == "05_cluster"


def test_unknown_stage():
    with pytest.raises(StageError, match="unknown stage '10'.*01_collect, 02_clean"):
        pipeline.stage("10")


def test_the_holdout_is_one_definition(tiny_run):
    _, paths, results = tiny_run
    split = io.read(paths, "holdout")
    recorded = pipeline.metrics(paths)
    assert recorded["04_features"]["holdout_start"] == split["holdout_start"]
    assert recorded["07_evaluate"]["holdout_start"] == split["holdout_start"]
    assert results["07_evaluate"].holdout_start == results["04_features"].holdout_start


def test_holdout_start_rules():
    snap = dt.date(2025, 12, 31)
    assert schema.holdout_start(snap) == snap - dt.timedelta(days=schema.DEFAULT_HOLDOUT_DAYS)
    # never more than the second half of the data
    assert schema.holdout_start(snap, first_day=dt.date(2025, 10, 1)) == dt.date(2025, 11, 15)
    assert schema.holdout_start(snap, start=dt.date(2025, 6, 1)) == dt.date(2025, 6, 1)
    assert schema.holdout_start(snap, start=dt.date(2025, 6, 5), weekly=True) == dt.date(2025, 6, 2)  # a Monday


def test_stage_records_hold_the_headline_numbers(tiny_run):
    _, paths, _ = tiny_run
    m = pipeline.metrics(paths)
    clean = m["02_clean"]
    assert clean["lines_in"] == clean["lines_kept"] + clean["lines_quarantined"] > 0
    assert m["05_cluster"]["k"] == len(m["06_personas"]["names"]) >= 3
    rivals = {"RFM grid", "RFM grid pooled", "k-means log RFM", "rules"} | (
        {"k-means log RFM, k=4"} if m["05_cluster"]["k"] != 4 else set())
    assert set(m["07_evaluate"]["eta2"]) == {"custseg"} | rivals
    margins = m["07_evaluate"]["margins"]
    assert set(margins) == {"spend", "log_spend", "orders", "churn"}
    for outcome, margin in margins.items():
        assert margin["best_rival"] in rivals and margin["low"] <= margin["margin"] <= margin["high"]
        assert m["07_evaluate"]["results"][outcome] == ("wins" if margin["low"] > 0 else
                                                        "loses" if margin["high"] < 0 else "tie")


def test_the_index_says_what_to_try_when_custseg_does_not_win():
    cfg = config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml")
    won = {"verdict": "wins", "best": {"spend": "custseg"}, "results": {"spend": "wins"}}
    assert contest.suggestion(cfg, won, 5) == ""
    assert contest.suggestion(cfg, {**won, "verdict": None}, 5) == ""
    lost = {"verdict": "loses", "best": {"spend": "k-means log RFM", "churn": "RFM grid", "orders": "custseg"},
            "results": {"spend": "loses", "churn": "loses", "orders": "tie"}}
    text = contest.suggestion(cfg, lost, 5)
    assert text.startswith("custseg does not beat the simple rivals beyond noise on this data (it loses on spend, "
                           "churn). To try: ")
    assert "cluster.features: [recency_days, frequency, monetary, tenure_days]" in text
    assert "a larger cluster.k (now 5)" in text and "cluster.expected_value" not in text
    assert text.endswith("to rank customers by future value, k-means log RFM does better here.")
    cfg["cluster"]["expected_value"] = False
    tie = {"verdict": "ties", "best": {"spend": "custseg"}, "results": {"spend": "tie"}}
    text = contest.suggestion(cfg, tie, 3)
    assert "switch on cluster.expected_value" in text and "cluster.features" not in text
    assert "does better here" not in text, "nothing lost: no rival is named as the better predictor"


def _log_and_crm(tmp_path, crm_columns: dict, **more) -> dict:
    """A log-only export (300 customers) with a CRM of ``crm_columns`` (name → function of the row number)."""
    log, _ = demo.log_only(n_customers=300, seed=3)
    log.to_csv(tmp_path / "orders.csv", index=False)
    ids = sorted(log["customer_id"].unique())
    crm = pd.DataFrame({"customer_id": ids, **{name: list(map(f, range(len(ids)))) for name, f in crm_columns.items()}})
    crm.to_csv(tmp_path / "crm.csv", index=False)
    user = {"name": "crm", "paths": {"raw": str(tmp_path), "workdir": str(tmp_path / "w")},
            "demo": {"enabled": False},
            "sources": {"transactions": {"path": "orders.csv", "columns": {"order_ts": "order_date"},
                                         "id_case": "insensitive"},  # the demo log types some ids in lower case
                        "customers": {"path": "crm.csv"}},
            "privacy": {"pii_columns": []}, "clean": {"rules_off": ["duplicate_line", "near_duplicate_line"]},
            "cluster": {"stability_runs": 0}, **more}
    path = tmp_path / "crm.yaml"
    path.write_text(yaml.safe_dump(user, allow_unicode=True), encoding="utf-8")
    cfg = config.load(path)
    cfg["run"] = "crm"
    return cfg


CRM = {"plan": lambda i: ["basic", "plus", "NULL"][i % 3], "churned": lambda i: "Yes" if i % 4 == 0 else "No",
       "note": lambda i: f"called on day {i}", "satisfaction": lambda i: ["Agree", "Neutral", "Strongly agree"][i % 3]}


def test_crm_columns_are_typed_into_the_customer_table_and_outcomes_are_never_clustered(tmp_path):
    cfg = _log_and_crm(tmp_path, CRM, outcomes=["churned"],
                       cluster={"features": ["recency_days", "frequency", "monetary", "plan", "satisfaction",
                                             "churn*"], "stability_runs": 0})
    paths = io.run_paths(cfg).make()
    out = pipeline.run_stages(cfg, paths, "05_cluster")
    kinds = io.read(paths, "attributes").set_index("column")["kind"].to_dict()
    assert kinds == {"plan": "categorical", "churned": "binary", "note": "id", "satisfaction": "ordinal"}
    table = out["04_features"].table
    assert set(table["churned"].dropna()) == {0.0, 1.0} and set(table["plan"].dropna()) == {"basic", "plus"}
    assert "note" not in table and table["satisfaction"].isin([3.0, 4.0, 5.0]).all()
    assert out["05_cluster"].columns == ["recency_days", "frequency", "monetary", "plan", "satisfaction"]


def test_an_outcome_must_be_a_binary_or_numeric_column_of_the_customer_table(tmp_path):
    cfg = _log_and_crm(tmp_path, CRM, outcomes=["plan"])
    paths = io.run_paths(cfg).make()
    with pytest.raises(ConfigError, match="column 'plan' is categorical, but an outcome must be binary"):
        pipeline.run_stages(cfg, paths, "04_features")
    cfg["outcomes"] = ["churn"]
    with pytest.raises(ConfigError, match="'outcomes' names 'churn', which is not a column of the customer table"):
        pipeline.features(cfg, paths)
    cfg["outcomes"], cfg["cluster"]["features"] = ["churned"], ["frequency", "churned"]
    pipeline.features(cfg, paths)
    with pytest.raises(StageError, match="churned is in both cluster.features and outcomes"):
        pipeline.segment(cfg, paths)


def _customer_table_only(tmp_path, table: pd.DataFrame, **more) -> dict:
    table.to_csv(tmp_path / "customers.csv", index=False)
    user = {"name": "table", "paths": {"raw": str(tmp_path), "workdir": str(tmp_path / "w")},
            "demo": {"enabled": False}, "sources": {"customers": {"path": "customers.csv", **more.pop("source", {})}},
            "privacy": {"pii_columns": []}, "cluster": {"stability_runs": 2}, "snapshot_date": "2025-06-30", **more}
    path = tmp_path / "table.yaml"
    path.write_text(yaml.safe_dump(user, allow_unicode=True), encoding="utf-8")
    cfg = config.load(path)
    cfg["run"] = "table"
    return cfg


def test_a_subscriber_table_without_a_log_is_segmented_and_judged_by_churn(tmp_path):
    table = demo.subscribers(1500, seed=2)
    cfg = _customer_table_only(tmp_path, table, source={"columns": {"customer_id": "customerID"}},
                               outcomes=["Churn"])
    paths = io.run_paths(cfg).make()
    out = pipeline.run_stages(cfg, paths)
    assert out["01_collect"].counts == {"customers": 1500, "transactions": 0, "survey": 0, "has_crm": True,
                                        "has_log": False, "row_ids": False}
    assert out["02_clean"].snapshot == dt.date(2025, 6, 30)
    features = out["04_features"]
    assert len(features.table) == 1500 and "recency_days" not in features.table and features.scores.empty
    assert features.holdout["holdout_start"] is None and "no transaction log" in features.holdout["reason"]
    clustered = out["05_cluster"].columns
    assert "Churn" not in clustered and "customer_id" not in clustered
    assert {"Contract", "tenure", "MonthlyCharges", "InternetService"} <= set(clustered)
    assert "TotalCharges" not in clustered  # ≈ tenure × MonthlyCharges: it would count them twice
    assert out["05_cluster"].segmenter.k_ >= 3
    cards = out["06_personas"].cards
    text = " ".join(c["name"] + c["narrative"] + c["strategy"] + " ".join(c["kpis"]) for c in cards)
    for word in ("spend", "RFM", "channel", "categor", "unknown", "(missing)", "nan", "orders"):
        assert word not in text, word
    assert all(c["spend"] is None and "Churn" in c["outcomes"] for c in cards)
    assert len({c["name"] for c in cards}) == len(cards)
    crm = out["06_personas"].crm
    assert list(crm.columns[:3]) == ["customer_id", "segment_id", "segment_name"] and "rfm_segment" not in crm
    judged = out["07_evaluate"].outcome_summary.set_index("outcome")
    # churn was never clustered on, yet the segments differ in it beyond their 95% intervals
    assert judged.loc["Churn", "separated"] and judged.loc["Churn", "highest_value"] > 2 * judged.loc[
        "Churn", "lowest_value"]
    assert out["07_evaluate"].contest["verdict"] is None
    card = out["07_evaluate"].card
    assert "value_share" not in card and not card[["substantial", "differentiable"]].isna().any().any()


def test_a_survey_without_a_customer_table_or_log_is_segmented_on_its_factors(tmp_path):
    from tests.unit.test_factors import likert_items

    items = likert_items(600, seed=5).rename(columns=lambda c: c.removeprefix("survey_"))
    labels = {1: "Strongly disagree", 2: "Disagree", 3: "Neutral", 4: "Agree", 5: "Strongly agree"}
    answers = items.apply(lambda col: col.map(labels)).assign(respondent=[f"R{i}" for i in range(600)])
    answers.to_csv(tmp_path / "survey.csv", index=False)
    user = {"name": "survey", "paths": {"raw": str(tmp_path), "workdir": str(tmp_path / "w")},
            "demo": {"enabled": False}, "privacy": {"pii_columns": []}, "cluster": {"stability_runs": 0},
            "sources": {"survey": {"path": "survey.csv", "columns": {"respondent_id": "respondent"}}}}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(user), encoding="utf-8")
    cfg = config.load(tmp_path / "s.yaml")
    cfg["run"] = "survey"
    out = pipeline.run_stages(cfg, io.run_paths(cfg).make(), "06_personas")
    assert len(out["04_features"].table) == 600
    assert out["04_features"].factor_model.n_factors_ == 3
    assert out["05_cluster"].columns == out["04_features"].factor_model.names_
    assert len(out["06_personas"].cards) == out["05_cluster"].segmenter.k_


def test_the_survey_example_finds_the_planted_factors_and_segments_on_them(tmp_path):
    cfg = config.load(config.PROJECT_ROOT / "configs" / "survey_example.yaml",
                      {"demo.n_customers": 1500, "cluster.stability_runs": 0})
    cfg["paths"]["workdir"], cfg["run"] = str(tmp_path), "survey"
    paths = io.run_paths(cfg).make()
    out = pipeline.run_stages(cfg, paths)
    kinds = out["04_features"].attributes.set_index("column")
    assert kinds.loc["compares_prices", "kind"] == kinds.loc["follows_trends", "kind"] == "ordinal"  # en and zh
    model = out["04_features"].factor_model
    assert model.n_factors_ == 3 and out["04_features"].factors["suitability"]["suitable"]
    primary = model.primary()
    for items in demo.STUDY_ITEMS.values():
        assert primary[items].nunique() == 1, primary
    assert primary.nunique() == 3
    assert out["05_cluster"].columns == model.names_
    judged = out["07_evaluate"].outcome_summary.set_index("outcome")
    assert judged.loc["likely_to_recommend", "separated"]


def test_a_table_without_an_id_column_is_numbered_by_row_when_asked(tmp_path):
    table = demo.subscribers(300, seed=3).drop(columns="customerID")
    cfg = _customer_table_only(tmp_path, table, outcomes=["Churn"])
    with pytest.raises(SourceError, match=r"has no column 'customer_id'.*set sources.customers.row_ids: true"):
        pipeline.collect(cfg, io.run_paths(cfg).make())
    cfg["sources"]["customers"]["row_ids"] = True
    paths = io.run_paths(cfg).make()
    out = pipeline.run_stages(cfg, paths, "06_personas")
    assert out["01_collect"].counts["row_ids"]
    page = index.render(cfg, paths, ["01_collect"], index.summary(paths))
    assert "numbered 1, 2, … in the order of its rows" in page
    row = out["01_collect"].validation.set_index("canonical").loc["customer_id"]
    assert row["column"] == "(row number)" and "numbered 1 to 300" in row["notes"]
    features = out["04_features"].table.set_index("customer_id")
    assert sorted(features.index, key=int) == [str(i) for i in range(1, 301)]
    # row i of the file is customer i
    assert features.loc["1", "tenure"] == table["tenure"].iloc[0]
    assert features.loc["300", "tenure"] == table["tenure"].iloc[-1]


def test_row_ids_are_refused_where_the_ids_must_join_another_source(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("demo: {enabled: false}\nsources:\n  customers: {path: c.csv, row_ids: true}\n"
                    "  transactions: {path: t.csv}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="row_ids' numbers the rows .* works only for a table used alone"):
        config.load(path)
    path.write_text("demo: {enabled: false}\nsources:\n  customers: {path: c.csv, row_ids: true, "
                    "columns: {customer_id: id}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="row_ids' is true but 'sources.customers.columns.customer_id' maps"):
        config.load(path)


def test_duplicate_ids_in_a_table_without_a_log_are_quarantined_with_a_reason(tmp_path):
    table = demo.subscribers(400, seed=4)
    copies = table.iloc[:5].assign(customerID=lambda t: " " + t["customerID"].str.lower())  # same id, other spelling
    cfg = _customer_table_only(tmp_path, pd.concat([table, copies], ignore_index=True),
                               source={"columns": {"customer_id": "customerID"}, "id_case": "insensitive"})
    paths = io.run_paths(cfg).make()
    out = pipeline.run_stages(cfg, paths, "02_clean")
    quarantined = out["02_clean"].quarantine_customers.execute()
    assert (quarantined["reason"] == "duplicate_customer").sum() == 5
    assert out["02_clean"].counts["customers_kept"] == 400


def test_targeting_offers_and_the_campaign_run_on_the_tiny_demo(tiny_run):
    from custseg import target

    cfg, paths, results = tiny_run
    t = results["08_target"]
    assert set(t.tables) == {"clusters", "RFM grid", "rules"}
    assert t.choice["strategy"] in target.STRATEGIES and t.choice["targets"]
    table = io.read(paths, "targeting")
    clusters = table[table["segmentation"] == "clusters"]
    assert clusters["share"].sum() == pytest.approx(1) and clusters["value_share"].sum() == pytest.approx(1)
    assert clusters["reach"].between(0, 1).all()  # the demo CRM has consent columns
    # an audience per target, of the segment's customers the offer fits (bought A but not C), said in words
    segments = results["05_cluster"].segments
    for a in t.audiences:
        audience = pd.read_csv(io.artefact_path(paths, "audiences") / a["file"], encoding="utf-8-sig")
        members = set(segments.loc[segments["segment"] == a["segment"], "customer_id"])
        assert len(audience) == a["customers"] and set(audience["customer_id"]) <= members and a["who"]
        assert {"customer_id", "segment_id", "offer", "channel", "email_opt_in"} <= set(audience.columns)
    offered = io.read(paths, "offers")
    assert len(offered) and (offered["lift"] > 1).all()
    assert ((offered["lift"] > offered["base_lift"]) | offered["base_lift"].isna()).all()
    card = (io.artefact_path(paths, "persona_cards") / f"segment_{t.choice['targets'][0]}.md").read_text()
    assert "What to offer" in card and "lift" in card and "A target segment" in card
    assert any(c.get("offers") for c in pipeline.report_cards(paths))
    # a draft positioning and marketing mix per target, on its persona card too
    placed = io.read(paths, "positioning")
    assert set(placed["segment"]) == set(t.choice["targets"]) and set(placed["element"]) >= {"statement", "product"}
    assert "Positioning and marketing mix" in card and "[our brand]" in card
    # rule segments are scored and contested beside the clusters
    assert set(io.read(paths, "rule_segments")["segment_name"]) <= {"Gold members", "Young (under 30)",
                                                                     "Tier-1 cities", "Everyone else"}
    assert results["07_evaluate"].rules.summary["k"] == 4
    m = results["09_measure"]
    assert m.summary["measured"] and set(m.table["segment"].astype(str)) >= {"all"}
    reasons = set(io.read(paths, "campaign_quarantine")["reason"])
    assert {"missing_customer_id", "in_both_groups", "not_segmented"} <= reasons  # the demo's planted mess


def test_without_campaign_results_measure_says_how_to_add_them(tiny_run, tmp_path):
    cfg, paths, _ = tiny_run
    cfg = _with(cfg, sources__campaign__path="")
    out = pipeline.measure(cfg, paths)
    assert not out.summary["measured"] and "sources.campaign" in out.summary["text"]
    assert not io.exists(paths, "campaign_results")
    pipeline.measure(tiny_run[0], paths)  # leave the session's run as it was


def test_campaign_results_without_a_control_group_stop_09_with_the_reason(tiny_run, tmp_path):
    cfg, paths, _ = tiny_run
    results = pd.read_csv(io.source_path(cfg, "campaign"))
    treated_only = tmp_path / "treated.csv"
    results[results["group"].str.lower() == "treatment"].to_csv(treated_only, index=False)
    with pytest.raises(SourceError, match="no control group"):
        pipeline.measure(_with(cfg, sources__campaign__path=str(treated_only)), paths)
    renamed = tmp_path / "renamed.csv"
    results.rename(columns={"group": "arm"}).to_csv(renamed, index=False)
    with pytest.raises(SourceError, match="group"):
        pipeline.measure(_with(cfg, sources__campaign__path=str(renamed)), paths)
    mapped = pipeline.measure(_with(cfg, sources__campaign__path=str(renamed),
                                    sources__campaign__columns={"group": "arm"}), paths)
    assert mapped.summary["measured"]
    pipeline.measure(cfg, paths)  # leave the session's run as it was


def test_the_report_shows_08s_offers_only_on_the_cards_08_saw(tiny_run):
    cfg, paths, _ = tiny_run
    assert any(c.get("offers") for c in pipeline.report_cards(paths))
    pipeline.describe_personas(_with(cfg, language="zh"), paths)  # 06 again, in another language
    assert not any(c.get("offers") for c in pipeline.report_cards(paths))
    pipeline.describe_personas(cfg, paths)  # leave the session's run as it was
    pipeline.target(cfg, paths)
    assert any(c.get("offers") for c in pipeline.report_cards(paths))


def test_targeting_values_customers_by_the_margin_column_when_given(tiny_run):
    cfg, _, _ = tiny_run
    customers = pd.DataFrame({"customer_id": ["a"], "monetary": [10.0], "margin": [3.0]})
    assert targeting.value_column(cfg["target"]["margin_column"], customers)[0] == "monetary"
    column, note = targeting.value_column("margin", customers)
    assert column == "margin" and "margin (target.margin_column)" in note
    with pytest.raises(ConfigError, match="no column 'gross'"):
        targeting.value_column("gross", customers)
    assert targeting.value_column(cfg["target"]["margin_column"], customers.drop(columns="monetary"))[0] == ""


def test_sensitive_columns_are_never_clustered_named_or_in_a_rule_and_demographics_only_describe(tmp_path):
    table = demo.subscribers(800, seed=3)
    rng = np.random.default_rng(3)
    # planted where they would be tempting: each tracks the contract, the strongest structure in the table
    table["ethnicity"] = np.where(table["Contract"] == "Month-to-month", "group A", rng.choice(["group B", "group C"],
                                                                                               len(table)))
    table["民族"] = np.where(table["Contract"] == "Two year", "汉族", "其他")
    table["community"] = table["Contract"].map({"Month-to-month": "north", "One year": "south", "Two year": "east"})
    cfg = _customer_table_only(tmp_path, table, source={"columns": {"customer_id": "customerID"}},
                               outcomes=["Churn"], privacy={"pii_columns": [], "sensitive_columns": ["community"]},
                               cluster={"stability_runs": 2, "k": 4})  # k given: no sweep, the test stays fast
    paths = io.run_paths(cfg).make()
    out = pipeline.run_stages(cfg, paths, until="06_personas")
    barred = {"ethnicity", "民族", "community"}
    summary = out["05_cluster"].summary
    assert not barred & set(summary["features"]) and set(summary["described_only"]["sensitive"]) == barred
    assert {"gender", "SeniorCitizen"} <= set(summary["described_only"]["demographic"])
    assert not {"gender", "SeniorCitizen"} & set(summary["features"]) and "Contract" in summary["features"]
    assert "describe the segments but do not form them" in out["05_cluster"].used
    rules = " ".join(out["06_personas"].rules.rules["rule"])
    names = " ".join(c["name"] for c in out["06_personas"].cards)
    for column in barred:
        assert column not in rules and column not in names, column
    assert "sensitive traits" in out["06_personas"].used
    assert {"ethnicity", "民族"} <= set(out["06_personas"].compositions["variable"]), "described in aggregate"
    # the config may cluster on the demographics, never on a sensitive trait
    cfg["cluster"]["use_demographics"] = True
    assert "gender" in pipeline.segment(cfg, paths).summary["features"]
    cfg["cluster"]["features"] = ["ethnicity", "tenure"]
    with pytest.raises(StageError, match="ethnicity holds a sensitive trait"):
        pipeline.segment(cfg, paths)


def test_whether_a_table_holds_dates_is_decided_once_on_every_row_and_04_reads_it(tmp_path, monkeypatch):
    """02 decides it on every row of the columns that can hold dates (a table whose dates all come after the first
    10,000 rows holds dates), records it, and 04 reads 02's record instead of deciding again."""
    from custseg import features as featuring

    n = 10_050
    table = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "plan": np.where(np.arange(n) % 2, "a", "b"),
                          "spend": np.arange(n) % 97 + 1.0,
                          "joined": [""] * 10_000 + ["2024-03-0" + str(1 + i % 9) for i in range(n - 10_000)]})
    assert featuring.date_candidates({"customer_id": "string", "plan": "string", "spend": "float64",
                                      "joined": "string", "birth_date": "date"}) == ["plan", "joined", "birth_date"]
    cfg = _customer_table_only(tmp_path, table, source={"columns": {"customer_id": "customer_id"}})
    paths = io.run_paths(cfg).make()
    pipeline.run_stages(cfg, paths, "02_clean")
    assert pipeline.metrics(paths)["02_clean"]["dated"], "the dates after the first 10,000 rows count"
    monkeypatch.setattr(featuring, "dated_columns", lambda *a: pytest.fail("04 decides again"))
    pipeline.features(cfg, paths)
    assert pipeline.metrics(paths)["04_features"]["dated"] is True


def test_the_cluster_record_says_how_far_apart_the_segments_are(tiny_run):
    """Stability is not separation: cluster.json carries the chosen k's silhouette from the sweep and its verdict on
    05's scale, and the index says both."""
    from custseg.report import index

    cfg, paths, _ = tiny_run
    summary, sweep = io.read(paths, "cluster"), io.read(paths, "k_sweep")
    chosen = float(sweep.loc[sweep["k"] == summary["k"], "silhouette"].iloc[0])
    assert summary["silhouette"] == pytest.approx(chosen, abs=1e-4)
    assert summary["separation"] == schema.separation_verdict(chosen)
    page = index.render(cfg, paths, ["05_cluster"], index.summary(paths))
    assert f"their silhouette is {chosen:.2f}" in page and summary["separation"] in page
    assert [schema.separation_verdict(s) for s in (0.6, 0.3, 0.1)] == ["clearly separated", "moderately separated",
                                                                         "weakly separated"]
