"""End to end: `custseg run configs/subscribers_example.yaml` — a customer table without any order log runs
through every notebook, the report shows only what the data has, and churn (never clustered on) separates
the segments."""

import json
import re

import nbformat
import pandas as pd
import pytest
from pages import (
    NO_LOG_WORDS,
    NOT_IN_THIS_DATA,
    NUMERIC_SUFFIX,
    SAYS_WHAT_IS_LEFT_OUT,
    html_lines,
    page_lines,
    squashed,
    what_we_did_is_on_the_pages,
)

from custseg import config, demo
from custseg.report import cli, needs, runner

SUBSCRIBERS = config.PROJECT_ROOT / "configs" / "subscribers_example.yaml"


@pytest.fixture(scope="module")
def subscribers(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("subscribers")
    assert cli.main(["run", str(SUBSCRIBERS), "--workdir", str(workdir), "--name", "subs",
                     "--set", "demo.n_customers=2500"]) == 0
    return workdir, workdir / "reports" / "subs"


def test_every_notebook_runs_without_a_log(subscribers):
    _, reports = subscribers
    for stem in [b.stem for b in runner.notebooks()]:
        executed = nbformat.read(reports / "notebooks" / f"{stem}.ipynb", as_version=4)
        assert not [o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"], stem
        assert (reports / f"{stem}.html").is_file()
    assert (reports / "index.html").is_file()


def test_cards_and_index_show_only_what_the_data_has(subscribers):
    _, reports = subscribers
    for card in (reports / "personas").glob("*.md"):
        text = card.read_text(encoding="utf-8")
        assert not NOT_IN_THIS_DATA.search(text), (card.name, NOT_IN_THIS_DATA.search(text).group())
    index = (reports / "index.html").read_text(encoding="utf-8")
    for table in re.findall(r"<table.*?</table>", index, flags=re.S):
        assert not re.search(r">\s*(nan|NaN|unknown|\(missing\))\s*<", table), table[:300]
    segments = pd.read_csv(reports / "segments.csv")
    assert list(segments.columns) == ["customer_id", "segment_id", "segment_name"]


def test_no_page_teaches_what_a_customer_table_does_not_have(subscribers):
    _, reports = subscribers
    left_out = 0
    for page in [reports / f"{b.stem}.html" for b in runner.notebooks()]:
        lines = page_lines(page)
        left_out += sum(line.startswith("Left out: ") for line in lines)
        found = [(line[:160], m.group()) for line in lines if not SAYS_WHAT_IS_LEFT_OUT.search(line)
                 for m in [NO_LOG_WORDS.search(line)] if m]
        assert not found, (page.name, found[:5])
    assert left_out >= 9  # the left-out sections say so, one line each
    page = page_lines(reports / "04_features.html")
    assert any(line.startswith("Left out: Why RFM? — it needs a transaction log; sources.transactions brings it")
               for line in page)


def test_churn_separates_the_segments_it_was_not_formed_on(subscribers):
    workdir, _ = subscribers
    processed = workdir / "data" / "processed" / "subs"
    cluster = json.loads((processed / "cluster.json").read_text())
    assert "Churn" not in cluster["features"] and cluster["k"] >= 3
    rates = pd.read_csv(processed / "outcome_validation.csv").set_index("segment")
    high, low = rates.loc[rates["value"].idxmax()], rates.loc[rates["value"].idxmin()]
    assert high["low"] > low["high"], "the highest and lowest churn segments' 95% intervals overlap"
    kinds = pd.read_csv(processed / "attributes.csv").set_index("column")["kind"]
    assert kinds["Contract"] == "ordinal" and kinds["Partner"] == "binary" and kinds["PaymentMethod"] == "categorical"


def test_the_nested_labels_and_structural_blanks_are_found_noted_and_taught(subscribers):
    """The generated subscribers carry the traps of the real export: 04 names them under its kinds table, 05 teaches
    them with this run's columns, the features carry the collapsed labels and filled totals, and the derived
    TotalCharges describes the segments without forming them."""
    workdir, reports = subscribers
    processed = workdir / "data" / "processed" / "subs"
    services = ", ".join(demo.SERVICES[:-1]) + " and " + demo.SERVICES[-1]
    notes = (f"“No internet service” in {services} only repeats that InternetService is No",
             "“No phone service” in MultipleLines only repeats that PhoneService is No")
    blanks = re.compile(r"^TotalCharges: its \d+ blanks all belong to customers whose tenure is 0, so they are not "
                        r"unknown: they are filled with tenure × MonthlyCharges")
    for stem in ("04_features", "05_cluster"):
        lines = page_lines(reports / f"{stem}.html")
        for note in notes:
            assert any(note in line for line in lines), (stem, note)
        assert any(blanks.search(line) for line in lines), stem
        assert any(line.startswith("TotalCharges is (nearly) tenure × MonthlyCharges") for line in lines), stem
    taught = page_lines(reports / "05_cluster.html")
    for heading in ("Labels nested in other columns (嵌套标签)",
                    "Blanks another column explains, and derived columns (结构性缺失与派生列)"):
        assert any(line.startswith(heading) for line in taught), heading
    table = pd.read_parquet(processed / "features.parquet")
    assert not table[demo.SERVICES].isin(["No internet service"]).any().any()
    assert "No phone service" not in set(table["MultipleLines"]) and table["TotalCharges"].notna().all()
    cluster = json.loads((processed / "cluster.json").read_text())
    assert "TotalCharges" not in cluster["features"] and cluster["described_only"]["derived"] == ["TotalCharges"]
    assert {"tenure", "MonthlyCharges", "InternetService", "OnlineSecurity"} <= set(cluster["features"])


def test_a_customer_table_run_meets_what_its_shape_says(subscribers):
    """What the course overview's table says of a customer table without a log (custseg.report.needs.SHAPES)."""
    from custseg import io

    workdir, _ = subscribers
    cfg = config.load(SUBSCRIBERS, {"demo.n_customers": 2500})
    cfg["paths"]["workdir"], cfg["run"] = str(workdir), "subs"
    met = needs.met(cfg, io.run_paths(cfg))
    assert {t for t in needs.DATA_NEEDS if met[t]} == needs.SHAPES["table"].meets


def test_the_contract_rule_beats_the_clusters_on_churn_and_the_report_says_so(subscribers):
    """The generated subscribers churn by contract and tenure; no clustering of all their columns separates churn as
    well as the contract alone. 07 finds the rule, judges it on customers it was not chosen on, and the index and
    07's page recommend it with the rule_segments config that adopts it."""
    workdir, reports = subscribers
    rivals = json.loads((workdir / "data" / "processed" / "subs" / "evaluate.json").read_text())["rivals"]
    single = next(r for r in rivals["results"] if r["rival"] == "single")
    assert single["rule"] == "Contract" and single["result"] == "rule wins"
    assert rivals["winner"]["outcome"] == "Churn" and "Contract" in rivals["winner"]["rule"]
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "A rule separates Churn better than the clusters beyond noise" in index
    page = (reports / "07_evaluate.html").read_text(encoding="utf-8")
    assert "rule_segments:" in page and "Contract = Month-to-month" in page


def test_03_describes_the_table_its_numbers_and_its_crosstabs_with_churn(subscribers):
    """03 shows a frequency table of every label column, a histogram of every number and the cross-tabs of the
    attributes that tell most about churn, chosen by adjusted eta² — and says which column measures value."""
    workdir, reports = subscribers
    lines = page_lines(reports / "03_describe.html")
    page = "\n".join(lines)
    for label in ("Month-to-month", "Electronic check", "Fiber optic", "No internet service"):
        assert label in page, label  # the frequency tables of Contract, PaymentMethod, InternetService, add-ons
    assert not [line for line in lines if line.startswith("Left out: Who are the customers?")]
    assert not [line for line in lines if "No gender in the data" in line]
    assert (reports / "figures" / "03_attribute_numbers.png").is_file()
    assert (reports / "figures" / "03_outcome_Churn.png").is_file()
    record = json.loads((workdir / "data" / "processed" / "subs" / "stages" / "03_describe.json").read_text())
    telling = record["metrics"]["telling"]["Churn"]
    assert len(telling) == 3 and telling[0] in ("Contract", "tenure")  # the generator's churn drivers
    assert any(line.startswith("Churn (") and "adjusted eta²" in line for line in lines)
    assert f"Churn by {telling[0]}" in page
    assert record["metrics"]["value_column"] == "MonthlyCharges" and record["metrics"]["value_from"] == "name"
    assert any(line.startswith("Value is MonthlyCharges, found by its name") for line in lines)


def test_the_value_column_feeds_06_and_08_and_targeting_follows_churn(subscribers):
    """Monthly charges are the revenue: 06 shares them out, 08 weighs them with size and churn (lower is better)
    and, resting on more than one criterion, names a strategy; the yes/no services act as 08's items."""
    workdir, reports = subscribers
    processed = workdir / "data" / "processed" / "subs"
    summary = json.loads((processed / "target.json").read_text())
    assert summary["value"] == "MonthlyCharges" and summary["criteria"][:2] == ["size", "value"]
    assert "outcome_Churn" in summary["criteria"] and summary["strategy"] in ("concentrated", "differentiated",
                                                                              "multi-segment")
    table = pd.read_csv(processed / "targeting.csv")
    clusters = table[table["segmentation"] == "clusters"].set_index("segment")
    assert clusters["value_share"].sum() == pytest.approx(1.0) and clusters["outcome_Churn"].notna().all()
    profile = pd.read_csv(processed / "profile.csv").set_index("segment")
    assert profile.loc["all", "value_share"] == 1.0
    cards = json.loads((processed / "personas.json").read_text())
    assert all(c["value_column"] == "MonthlyCharges" and 0 < c["value_share"] < 1 for c in cards)
    page = page_lines(reports / "08_target.html")
    assert any(line.startswith("Value is MonthlyCharges") for line in page)
    assert any("Churn (lower is better, read off the name)" in line for line in page)
    assert summary["items"] == "services" and (processed / "offers.csv").is_file()
    assert any(line.startswith("What to offer: services held together") for line in page)
    assert not any(line.startswith("Left out: What to offer: services held together") for line in page)
    # a draft positioning per target, its price from the monthly charges (in words, as on the cards); a customer
    # table has no sales channel: no channel row, and the page says which data would fill it
    placed = pd.read_csv(processed / "positioning.csv")
    assert set(placed["segment"]) == set(summary["targets"]) and "channel" not in set(placed["element"])
    assert {"statement", "price", "promotion"} <= set(placed["element"])
    assert placed.loc[placed["element"] == "price", "text"].str.contains("monthly charges").all()
    assert any(line.startswith("No channel row: the data has no sales channel") for line in page)
    # the generated services come in bundles, as in real exports: 08 finds offers, and each audience is told who
    found = pd.read_csv(processed / "offers.csv")
    assert len(found) >= 1 and (found["lift"] >= 1.2).all(), "no offer on the subscriber example"
    assert summary["audiences"] and all(a["who"] for a in summary["audiences"]), summary["audiences"]
    assert [None, "InternetService"] in summary["offer_items"].values(), "the phone-only segment is offered internet"
    # 06's size-and-value view draws the value share of the table's own value column
    assert (reports / "figures" / "06_value_share.png").is_file()


def test_persona_cards_read_as_an_analyst_would_write_them(subscribers):
    """Names in plain words, unique, never a numeric suffix or a raw column name; categories and ordinals as label
    shares (never a mean of codes); rules without codes; KPIs that differ where the segments differ (issue 24)."""
    workdir, _ = subscribers
    processed = workdir / "data" / "processed" / "subs"
    cards = json.loads((processed / "personas.json").read_text(encoding="utf-8"))
    kinds = pd.read_csv(processed / "attributes.csv").set_index("column")["kind"]
    camel = [c for c in kinds.index if re.search(r"[a-z][A-Z]", c)]  # InternetService, MonthlyCharges …
    coded = [c for c in kinds.index if kinds[c] in ("ordinal", "categorical", "binary")]
    names = [c["name"] for c in cards]
    assert len(set(names)) == len(names), names
    for card in cards:
        text = " ".join((card["name"], card["who"], card["rule"], card["strategy"], *card["kpis"]))
        assert not NUMERIC_SUFFIX.search(card["name"]) and ":" not in card["name"], names
        assert not [c for c in camel if c in text], (card["name"], [c for c in camel if c in text])
        for column in coded:  # a category's or an ordinal's codes are never averaged on a card
            words = re.sub(r"(?<=[a-z])(?=[A-Z])|_", " ", column).lower()
            assert not re.search(rf"\b{words}: [\d.,]+ on average", card["who"], re.I), card["who"]
    assert any(re.search(r"\d+% have [a-z -]+ contract \(\d+% overall\)", c["who"]) for c in cards), \
        [c["who"] for c in cards]  # the contract as the share of a label, not a mean of its codes
    for rule in json.loads((processed / "rules.json").read_text())["rules"]:
        assert not re.search(r"contract (≤|≥|<|>|=|up to|or more|exactly|above)", rule["rule"], re.I), rule["rule"]
    kpis = {tuple(re.sub(r"[\d.,%]+", "#", k) for k in c["kpis"]) for c in cards}
    assert len(kpis) > 1, "every segment got the same KPIs"
    headlines = {c["strategy_headline"] for c in cards}
    assert len(headlines) > 1 and "act on churn first" in headlines, headlines


def test_what_we_did_is_written_from_the_run_s_records(subscribers):
    """Each notebook's closing "What we did" and each step on the index say what the stage records of this run
    hold, with their numbers, and claim nothing a customer table cannot have (no holdout item on the index)."""
    from custseg import io, pipeline

    workdir, reports = subscribers
    cfg = config.load(SUBSCRIBERS, {"demo.n_customers": 2500})
    cfg["paths"]["workdir"], cfg["run"] = str(workdir), "subs"
    records = pipeline.metrics(io.run_paths(cfg))
    assert set(records) == {s.name for s in pipeline.STAGES} and not records["01_collect"]["has_log"]
    assert what_we_did_is_on_the_pages(cfg, reports) == []
    closing = " ".join(page_lines(reports / "04_features.html"))
    assert f"The {records['04_features']['customers']:,} customers now have one row of" in closing
    assert squashed(["Outcome columns, never clustered on (they judge the segments in 07): Churn."]) in squashed(
        [closing])
    assert f"into {records['05_cluster']['k']} segments" in " ".join(page_lines(reports / "05_cluster.html"))
    page = (reports / "index.html").read_text(encoding="utf-8")
    ours = "\n".join(re.findall(r'<section class="headline".*?</section>|<ol class="steps">.*?</ol>', page, re.S))
    claims = [line for line in html_lines(ours) if NO_LOG_WORDS.search(line)
              and not SAYS_WHAT_IS_LEFT_OUT.search(line)]
    assert not claims, claims[:5]
    assert "holdout test against the simple rivals</div>" not in page
    # the subscriber table holds no date: no snapshot date is shown or claimed, and none is needed
    subtitle = re.search(r'<p class="sub">(.*?)</p>', page, re.S).group(1)
    assert not records["02_clean"]["dated"] and "snapshot" not in subtitle, subtitle
    lines = page_lines(reports / "02_clean.html")
    assert any("holds no dates, so no snapshot date is needed" in line for line in lines)
    assert not any("Ages and days since a date" in line for line in lines)
    assert records["04_features"]["dated"] == records["02_clean"]["dated"], "one decision, read by 04"
    # 08's "What we did" names the win-back list and the positioning it wrote
    target = squashed(page_lines(reports / "08_target.html"))
    if records["08_target"]["win_back_customers"]:
        assert squashed(["are in the win-back list (audiences/segment_"]) in target
    assert records["08_target"]["positioning_rows"] and squashed(["is in positioning.csv"]) in target

