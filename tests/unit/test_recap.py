""""What we did" (custseg.report.recap): written from a run's stage records, it states what happened with the
recorded numbers, in English and 简体中文, and claims no step the data could not have — on records of each shape
(log + CRM, log only, a customer table, a survey) and on the tiny run's real records."""

import copy
import re

import pandas as pd
import pytest

from custseg import headlines, i18n, pipeline
from custseg.report import index, recap

STAGES = [s.name for s in pipeline.STAGES]
# what a run without a log never did (allowed only on the one line saying what was left out and why)
NO_LOG_WORDS = re.compile(r"\border lines?\b|\bRFM\b|\bnet spend\b|\bholdout\b|\bbaskets?\b|\breturns\b", re.I)
LEFT_OUT = re.compile(r"^\*(Left out: |已略去：)")

LOG_CRM = {
    "01_collect": {"customers": 1200, "transactions": 30412, "survey": 0, "has_crm": True, "has_log": True,
                   "row_ids": False, "pii_columns": ["name", "phone"], "pii_action": "drop", "pseudonymised_ids": False,
                   "gaps": {"CRM customers (distinct ids)": 1200, "customers with orders (distinct ids)": 1105,
                            "ordering customers missing from the CRM": 17, "CRM customers without any order": 112,
                            "order lines": 30412}},
    "02_clean": {"snapshot_date": "2025-12-31", "lines_in": 30412, "lines_kept": 29870, "lines_quarantined": 542,
                 "customers_in": 1210, "customers_kept": 1195, "customers_quarantined": 15, "has_log": True,
                 "customer_rules": {"quarantined": {"duplicate_customer": 9, "test_account": 6},
                                    "kept": {"implausible_age": 4}},
                 "line_rules": {"quarantined": {"duplicate_line": 301, "unknown_customer": 241},
                                "kept": {"return_netted": 812}}},
    "03_describe": {"customers": 1195, "lines": 29870, "top20_share": 0.583},
    "04_features": {"customers": 1088, "snapshot": "2025-12-31", "holdout_start": "2025-07-04", "reason": None,
                    "features": 31, "has_log": True, "groups": {"demographic": 2, "geographic": 1, "psychographic": 0,
                                                                "behavioural": 27},
                    "outcomes": [], "kinds": {}, "rfm_segments": 9, "calibration_customers": 804,
                    "factors": {"items": 0, "respondents": 0, "kmo": None, "names": None, "reason": "no items"}},
    "05_cluster": {"k": 5, "stability_mean_ari": 0.87, "stability": "stable", "algorithm": "kmeans",
                   "features": ["recency_days", "frequency", "monetary"], "smallest_share": 0.081, "customers": 1088,
                   "k_tried": [3, 8], "expected_value": True, "baseline": None, "doubtful_segments": [2]},
    "06_personas": {"segments": 5, "customers": 1088, "rule_fidelity": 0.912,
                    "names": ["Young regulars", "Lapsed high spenders", "First-time buyers", "Regulars", "Silver"],
                    "crm_columns": ["customer_id", "segment_id", "segment_name", "rfm_segment", "predicted_spend"]},
    "07_evaluate": {"segments_keep": 4, "k": 5, "segments_review": 1, "segments_rethink": 0, "usable": "usable",
                    "wins": 3, "verdict": "wins", "holdout_start": "2025-07-04",
                    "results": {"spend": "wins", "log_spend": "wins", "orders": "tie", "churn": "wins"},
                    "outcomes": {}, "rivals": {"churn single": {
                        "outcome": "churn", "rival": "single", "rule": "recency_days", "result": "clusters win",
                        "segments": 4, "margin": 0.05, "eta2_rule": 0.21, "eta2_clusters": 0.26}},
                    "rival_winner": None, "rule_segments": {"k": 3, "segments_keep": 2, "usable": "usable with care"},
                    "drift": None, "baseline": None, "later_snapshot": None},
    "08_target": {"strategy": "differentiated", "targets": [0, 3], "offers": 7, "audience_customers": 402,
                  "audiences": 2, "segmentations": ["clusters", "RFM grid", "rules"], "value": "monetary",
                  "reach_measured": True, "growth_measured": True, "baskets": True, "segments": 5},
    "09_measure": {"measured": True, "verdict": "worked", "worked": [0], "no_effect": [3], "harmed": [],
                   "uplift": 0.031, "quarantined": 4},
}


def _log_only():
    r = copy.deepcopy(LOG_CRM)
    r["01_collect"].update(customers=1105, has_crm=False, pii_columns=[],
                           gaps={"customers with orders (distinct ids)": 1105, "order lines": 30412})
    r["06_personas"]["names"] = ["A", "B", "C", "D", "E"]
    r["07_evaluate"]["rule_segments"] = None
    r["08_target"].update(segmentations=["clusters", "RFM grid"], baskets=False, offers=0, reach_measured=False)
    r["09_measure"] = {"measured": False}
    return r


TABLE = {
    "01_collect": {"customers": 2500, "transactions": 0, "survey": 0, "has_crm": True, "has_log": False,
                   "row_ids": True, "pii_columns": [], "pii_action": "drop", "pseudonymised_ids": False,
                   "gaps": {"customers (distinct ids)": 2500, "customer rows": 2500}},
    "02_clean": {"snapshot_date": "2026-01-31", "lines_in": 0, "lines_kept": 0, "lines_quarantined": 0,
                 "customers_in": 2500, "customers_kept": 2500, "customers_quarantined": 0, "has_log": False,
                 "customer_rules": {"quarantined": {}, "kept": {}}, "line_rules": {}},
    "03_describe": {"customers": 2500, "lines": 0, "top20_share": None},
    "04_features": {"customers": 2500, "snapshot": "2026-01-31", "holdout_start": None, "reason": "no log",
                    "features": 24, "has_log": False, "groups": {"demographic": 2, "geographic": 0,
                                                                 "psychographic": 0, "behavioural": 21, "outcome": 1},
                    "outcomes": ["Churn"], "kinds": {"binary": 11, "categorical": 5, "numeric": 3, "ordinal": 1},
                    "rfm_segments": 0, "calibration_customers": 0,
                    "factors": {"items": 0, "respondents": 0, "kmo": None, "names": None, "reason": "0 items"}},
    "05_cluster": {"k": 4, "stability_mean_ari": float("nan"), "stability": "not measured", "algorithm": "kmeans",
                   "features": ["tenure", "Contract", "MonthlyCharges"], "smallest_share": 0.14, "customers": 2500,
                   "k_tried": None, "expected_value": False, "baseline": None},
    "06_personas": {"segments": 4, "customers": 2500, "rule_fidelity": 0.88, "names": ["W", "X", "Y", "Z"],
                    "crm_columns": ["customer_id", "segment_id", "segment_name"]},
    "07_evaluate": {"segments_keep": 4, "k": 4, "segments_review": 0, "segments_rethink": 0, "usable": "usable",
                    "wins": None, "verdict": None, "holdout_start": None, "results": {},
                    "outcomes": {"Churn": {"eta2": 0.14, "separated": True, "kind": "rate", "highest": 2,
                                           "highest_value": 0.47, "lowest": 0, "lowest_value": 0.06, "base": 0.26}},
                    "rivals": {"Churn single": {"outcome": "Churn", "rival": "single", "rule": "Contract",
                                                "result": "rule wins", "segments": 3, "margin": -0.03,
                                                "eta2_rule": 0.168, "eta2_clusters": 0.14}},
                    "rival_winner": {"outcome": "Churn", "rule": "Contract", "rival": "single"},
                    "rule_segments": None, "drift": None, "baseline": None, "later_snapshot": None},
    "08_target": {"strategy": "concentrated", "targets": [1], "offers": 0, "audience_customers": 610,
                  "audiences": 1, "segmentations": ["clusters"], "value": "MonthlyCharges", "reach_measured": False,
                  "growth_measured": False, "baskets": False, "segments": 4, "win_back_customers": 153,
                  "win_back_files": ["segment_1_win_back.csv"], "win_back_by": ["Churn"], "positioned": [1],
                  "positioning_rows": 4},
    "09_measure": {"measured": False},
}


def _survey():
    r = copy.deepcopy(TABLE)
    r["01_collect"].update(survey=900, row_ids=False, pii_configured=False,
                           gaps={"customers (distinct ids)": 900, "customer rows": 900, "survey respondents": 900,
                                 "survey respondents missing from the customer table": 12})
    r["04_features"].update(outcomes=[], kinds={}, groups={"demographic": 3, "psychographic": 3, "behavioural": 0},
                            factors={"items": 12, "respondents": 888, "kmo": 0.81,
                                     "names": ["factor_price", "factor_quality", "factor_novelty"], "reason": None})
    r["05_cluster"]["features"] = ["factor_price", "factor_quality", "factor_novelty"]
    r["07_evaluate"].update(outcomes={}, rivals={}, rival_winner=None)
    return r


SHAPES = {"log + CRM": LOG_CRM, "log only": _log_only(), "customer table": TABLE, "survey": _survey()}


def _all(records, language="en"):
    return {s: recap.sentences(s, records, language) for s in STAGES}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_stage_says_what_it_did_in_both_languages(shape, language):
    said = _all(SHAPES[shape], language)
    for stage, lines in said.items():
        assert lines and all(line.strip() for line in lines), stage
        assert not [line for line in lines if re.search(r"\{\w+\}|\bnan\b|\bNone\b(?! of the)", line)], (stage, lines)
        if language == "zh":
            assert all(re.search(r"[\u4e00-\u9fff]", line) for line in lines), (stage, lines)


@pytest.mark.parametrize("shape", ["customer table", "survey"])
def test_without_a_log_no_sentence_claims_what_a_log_brings(shape):
    for stage, lines in _all(SHAPES[shape]).items():
        claims = [line for line in lines if NO_LOG_WORDS.search(line) and not LEFT_OUT.match(line)]
        assert not claims, (stage, claims)
    said = _all(SHAPES[shape])
    assert LEFT_OUT.match(said["04_features"][-1]) and "RFM" in said["04_features"][-1]
    assert any(LEFT_OUT.match(line) and "holdout" in line for line in said["07_evaluate"])
    assert "sources.transactions" in said["02_clean"][-1]


def test_the_numbers_are_the_recorded_ones():
    said = {s: " ".join(lines) for s, lines in _all(LOG_CRM).items()}
    assert "Of 30,412 order lines, 29,870 were kept and 542 (1.8%) quarantined (`duplicate_line` 301, " \
           "`unknown_customer` 241)" in said["02_clean"]
    assert "812 returns were kept" in said["02_clean"] and "`implausible_age` 4" in said["02_clean"]
    assert "17 ordering customers are missing" in said["01_collect"] and "112 of its customers" in said["01_collect"]
    assert "1,088 customers with a kept purchase" in said["04_features"] and "9 named segments" in said["04_features"]
    assert "Calibration before 2025-07-04" in said["04_features"] and "804 customers" in said["04_features"]
    assert "into 5 segments; k was chosen among 3–8" in said["05_cluster"] and "ARI of 0.87" in said["05_cluster"]
    assert "expected value" in said["05_cluster"] and "8.1%" in said["05_cluster"]
    assert "Segment(s) 2 hold together less well over the refits (Jaccard below 0.75)" in said["05_cluster"]
    assert "the RFM-grid segment and the predicted typical spend" in said["06_personas"]
    assert "spend custseg wins" in said["07_evaluate"] and "orders a tie" in said["07_evaluate"]
    assert "2 of 3 to keep (usable with care)" in said["07_evaluate"]
    assert "target segments 0 and 3" in said["08_target"] and "7 offers" in said["08_target"]
    assert "value (`monetary`), growth and reach" in said["08_target"]
    assert "The same criteria rated the RFM grid and the rule segments." in said["08_target"]
    assert "it worked overall, uplift 3.1%" in said["09_measure"] and "It worked in segment 0" in said["09_measure"]
    assert "Left out" not in " ".join(said.values()), "a run with everything leaves nothing out"


def test_what_differs_between_shapes_is_said_or_left_out():
    log_only, table, survey = (_all(SHAPES[s]) for s in ("log only", "customer table", "survey"))
    assert log_only["01_collect"][0].startswith("We read the transaction log (30,412 order lines of 1,105 customers)")
    assert any("basket offers — it needs baskets" in line for line in log_only["08_target"])
    assert any("customers are numbered in row order" in line for line in table["01_collect"])
    assert "kept as outcomes" not in " ".join(table["04_features"])
    assert any(line.endswith("`Churn`.") for line in table["04_features"]), "Churn is an outcome, not behaviour"
    assert "(among them 2 demographic and 21 behavioural)" in table["04_features"][0]
    assert any("A rule wins: segmenting by `Contract` separates `Churn`" in line for line in table["07_evaluate"])
    assert any("k = 4 was set in the config" in line for line in table["05_cluster"])
    assert any("was not measured" in line for line in table["05_cluster"])
    assert any("12 of the 900 survey respondents are not in the customer table" in line
               for line in survey["01_collect"])
    assert any("found 3 factors" in line and "KMO 0.81" in line for line in survey["04_features"])
    assert "No personal-data columns are configured" in " ".join(survey["01_collect"])
    assert "None of the personal-data columns of privacy.pii_columns is in the data." in log_only["01_collect"]
    assert any(LEFT_OUT.match(line) and "rules as rivals" in line for line in survey["07_evaluate"])


@pytest.mark.parametrize("counts, logged, en, zh", [
    ({"snapshot_date": "2025-12-31", "snapshot_configured": False}, True,
     "Recency is measured to the snapshot date, 2025-12-31 (the day after the last plausible order line).",
     "最近一次购买距今的天数按快照日 2025-12-31 计算（最后一条有效订单行的次日）。"),
    ({"snapshot_date": "2026-12-07", "dated": True, "snapshot_configured": False}, False,
     "Ages and days since a date are measured at 2026-12-07, today: set `snapshot_date` so that a run on another "
     "day gives the same result.", "年龄和距某日期的天数按 2026-12-07 计算，即今天"),
    ({"snapshot_date": "2025-06-30", "dated": True, "snapshot_configured": True}, False,
     "Ages and days since a date are measured at 2025-06-30 (`snapshot_date`).", "（`snapshot_date`）"),
    ({"snapshot_date": "2026-12-07", "dated": False, "snapshot_configured": False}, False,
     "The customer table holds no dates, so no snapshot date is needed: a run on another day gives the same result.",
     "客户表中没有日期"),
])
def test_the_snapshot_line_says_what_the_date_is_for_and_where_it_came_from(counts, logged, en, zh):
    assert recap.snapshot_line(counts, "en", logged) == en
    assert zh in recap.snapshot_line(counts, "zh", logged)
    assert recap.snapshot_line({}, "en", logged) is None


def test_a_stage_that_has_not_run_says_so():
    records = {k: v for k, v in LOG_CRM.items() if k != "07_evaluate"}
    assert recap.sentences("07_evaluate", records) == [
        "Step 07_evaluate has not finished in this run: run it first (custseg run CONFIG --from 07_evaluate)."]
    assert recap.what_we_did("evaluate", LOG_CRM).startswith("- We rated the 5 segments")


def test_html_of_a_sentence():
    line = recap.sentences("09_measure", TABLE)[0]
    assert recap.as_html(line) == ("<em>Left out: the campaign's effect per segment — it needs campaign results with "
                                   "a control group; <code>sources.campaign</code> brings it.</em>")
    assert recap.as_html("a < b `x`") == "a &lt; b <code>x</code>"


def test_the_tiny_run_says_what_its_records_hold(tiny_run):
    cfg, paths, _ = tiny_run
    records = pipeline.metrics(paths)
    said = {s: " ".join(recap.sentences(s, records, cfg["language"])) for s in STAGES}
    clean, cluster = records["02_clean"], records["05_cluster"]
    assert f"Of {clean['lines_in']:,} order lines, {clean['lines_kept']:,} were kept" in said["02_clean"]
    assert f"into {cluster['k']} segments" in said["05_cluster"]
    assert all(f"“{name}”" in said["06_personas"] for name in records["06_personas"]["names"])
    assert f"holdout period from {records['04_features']['holdout_start']}" in said["07_evaluate"]
    assert "Left out" not in said["04_features"] + said["07_evaluate"]


def test_the_evaluation_headline_has_no_holdout_item_without_a_holdout():
    solution = {"segments_keep": 4, "k": 4, "verdict": "usable: 4 of 4 segments meet every measured criterion"}
    none = {"verdict": None, "text": "there is no transaction log (sources.transactions), so the holdout test is "
                                     "left out"}
    empty = pd.DataFrame(columns=["method"])
    block = headlines.evaluate(solution, none, empty, {}, None, "2026-01-31", None)
    assert [i["label"] for i in block["items"]] == ["segments to keep"]
    assert "holdout" not in block["text"].lower()
    won = {**none, "verdict": "wins", "text": "custseg wins on spend."}
    block = headlines.evaluate(solution, won, empty, {}, "2025-07-01", "2025-12-31", None, language="zh")
    assert block["title"] == i18n.messages("zh")["headlines"]["evaluate"]["title"]
    assert block["items"][1] == {"label": "验证期上与简单对手的比较", "value": "custseg 胜出"}
    assert block["items"][0]["value"] == "4 个中 4 个"


def test_the_index_blocks_carry_what_their_stage_did(tmp_path):
    from custseg import config, io

    cfg = config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml")
    cfg["paths"]["workdir"], cfg["run"] = str(tmp_path), "h"
    paths = io.run_paths(cfg).make()
    io.write_json({"title": "Evaluation", "text": "detail"}, paths.reports / "headlines" / "07_evaluate.json")
    [block] = index.headlines(paths, TABLE, "zh")
    assert block["did"] == [recap.as_html(s) for s in recap.sentences("07_evaluate", TABLE, "zh")]
    page = i18n.render("headline.html.j2", "zh", h=block)
    assert "规则胜出" in page and "detail" not in page, "the English detail is not shown on a Chinese page"
    assert "detail" in i18n.render("headline.html.j2", "en", h=index.headlines(paths, TABLE, "en")[0])


@pytest.mark.parametrize("language, win_back, positioning", [
    ("en", "153 customers of the targets whose `Churn` says they left are in the win-back list "
           "(`audiences/segment_1_win_back.csv`), not in the cross-sell audience.",
     "A draft positioning and marketing mix of segment 1 (4 rows) is in `positioning.csv`."),
    ("zh", "目标细分中有 153 位客户的 `Churn` 表明他们已经离开，他们在挽回名单（`audiences/segment_1_win_back.csv`）中",
     "（4 行）在 `positioning.csv` 中。"),
])
def test_08_says_where_the_win_back_list_and_the_positioning_went(language, win_back, positioning):
    said = recap.sentences("08_target", TABLE, language)
    assert any(line.startswith(win_back) for line in said), said
    assert any(line.endswith(positioning) for line in said), said
    quiet = copy.deepcopy(TABLE)
    quiet["08_target"].update(win_back_customers=0, win_back_files=[], positioned=[], positioning_rows=0)
    said = " ".join(recap.sentences("08_target", quiet, language))
    assert "win-back" not in said and "挽回" not in said and "positioning.csv" not in said, "nothing claimed of none"


def test_the_expected_value_sentence_names_the_window_05_and_07_use():
    """05's "What we did" words the expected value's window as 05's note does: 04's holdout start and snapshot."""
    for language in ("en", "zh"):
        said = " ".join(recap.sentences("05_cluster", LOG_CRM, language))
        assert "2025-07-04" in said and "2025-12-31" in said, said
