"""End to end: `custseg run` on the demo at its default size, asserting on the artifacts."""

import json
import os
import re
import shutil
import subprocess
import tempfile

import nbformat
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from custseg import config, io
from custseg.report import cli, languages, runner

DEMO = config.PROJECT_ROOT / "configs" / "demo.yaml"


@pytest.mark.slow
def test_planted_personas_are_recovered(demo_run):
    workdir, reports = demo_run
    segments = pd.read_csv(reports / "segments.csv")
    truth = pd.read_csv(workdir / "data" / "raw" / "demo" / "ground_truth.csv")
    both = segments.merge(truth, on="customer_id", validate="one_to_one")
    assert len(both) > 0.95 * len(segments)
    ours = adjusted_rand_score(both["persona"], both["segment_id"])
    # the demo is not trivial: the personas overlap, most customers buy once, and R, F, M alone do not find them
    processed = workdir / "data" / "processed" / "e2e"
    features = pd.read_parquet(processed / "features.parquet").merge(truth, on="customer_id")
    rfm = StandardScaler().fit_transform(features[["recency_days", "frequency", "monetary"]])
    textbook = adjusted_rand_score(features["persona"], KMeans(6, n_init=10, random_state=0).fit_predict(rfm))
    assert ours >= 0.35 and textbook < 0.1, (ours, textbook)


@pytest.mark.slow
def test_custseg_beats_every_rival_on_the_demo_holdout(demo_run):
    workdir, _ = demo_run
    processed = workdir / "data" / "processed" / "e2e"
    metrics = json.loads((processed / "stages" / "07_evaluate.json").read_text())["metrics"]
    cluster = json.loads((processed / "cluster.json").read_text())
    assert cluster["k"] >= 3 and min(cluster["sizes"].values()) >= 0.02 * sum(cluster["sizes"].values())
    assert metrics["verdict"] == "wins" and set(metrics["same_k"].values()) == {"wins"}
    for outcome in ("spend", "log_spend"):
        assert metrics["margins"][outcome]["low"] > 0, metrics["margins"][outcome]


# planted persona -> words its segment's name or tagline must contain (the report names what we planted). The
# silver shoppers share their segments with value families (same categories, one age among 18 features).
PLANTED = {"affluent_loyalists": ["high spenders"], "young_trend_seekers": ["Young", "trend-seeking"],
           "value_families": ["grocery"], "dormant_one_timers": ["one-time"],
           "health_enthusiasts": ["Health-conscious", "sports"]}


@pytest.mark.slow
def test_persona_names_match_the_planted_personas(demo_run):
    workdir, reports = demo_run
    segments = pd.read_csv(reports / "segments.csv")
    truth = pd.read_csv(workdir / "data" / "raw" / "demo" / "ground_truth.csv")
    processed = workdir / "data" / "processed" / "e2e"
    cards = {c["segment"]: c for c in json.loads((processed / "personas.json").read_text())}
    majority = segments.merge(truth, on="customer_id").groupby("persona")["segment_id"].agg(lambda s: s.mode().iloc[0])
    for persona, words in PLANTED.items():
        card = cards[majority[persona]]
        for word in words:
            assert word in card["name"] + " · " + card["tagline"], f"{persona} → {card['name']} · {card['tagline']}"
    for card in cards.values():
        assert card["name"] and card["narrative"] and card["strategy"] and card["kpis"] and card["rule"]
    rules = json.loads((processed / "rules.json").read_text())
    assert rules["fidelity"] >= 0.7, "a depth-3 tree should describe most of the demo's overlapping segments"


@pytest.fixture(scope="module")
def zh_run(demo_run, tmp_path_factory):
    """Notebook 06 again on the demo run's outputs with `language: zh` (run e2e-zh): (workdir, reports)."""
    workdir, _ = demo_run
    for stage in ("interim", "processed"):
        shutil.copytree(workdir / "data" / stage / "e2e", workdir / "data" / stage / "e2e-zh")
    books = tmp_path_factory.mktemp("books")
    shutil.copy(runner.NOTEBOOK_DIR / "06_personas.ipynb", books)
    reports = runner.run(config.PROJECT_ROOT / "configs" / "demo.yaml", "e2e-zh", {"language": "zh"}, workdir,
                      progress=False, notebook_dir=books)
    return workdir, reports


@pytest.mark.slow
def test_chinese_report(zh_run):
    workdir, reports = zh_run
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in index and "执行摘要" in index and "客户画像" in index
    cards = json.loads((workdir / "data" / "processed" / "e2e-zh" / "personas.json").read_text(encoding="utf-8"))
    assert all(re.search(r"[\u4e00-\u9fff]", c["name"]) and c["language"] == "zh" for c in cards)
    assert index.count('<article class="persona"') == len(cards)
    raw = (reports / "segments.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "a byte-order mark, so that Excel shows the Chinese names"
    segments = pd.read_csv(reports / "segments.csv")
    assert list(segments.columns) == ["customer_id", "segment_id", "segment_name", "rfm_segment", "predicted_spend"]
    assert set(segments["segment_name"]) == {c["name"] for c in cards}
    # 06's page reads as Chinese: what its cells print and its tables' headers too (custseg.report.languages)
    cfg = config.load(config.PROJECT_ROOT / "configs" / "demo.yaml", {"language": "zh"})
    cfg["paths"]["workdir"], cfg["run"] = str(workdir), "e2e-zh"
    page = (reports / "06_personas.html").read_text(encoding="utf-8")
    data = languages.data_words(cfg, io.run_paths(cfg))
    assert languages.latin_share(page, data) < languages.MAX_LATIN_SHARE, " ".join(languages.latin_words(page, data)[0])


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Injected into a copy of the page: records script errors and images that failed to load.
PROBE = """<script>
window.__errors = [];
window.addEventListener("error",
  e => window.__errors.push(e.message || ("resource " + (e.target.src || e.target.href))), true);
window.addEventListener("load", () => {
  const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute("src"));
  document.body.dataset.broken = broken.join(" ");
  document.body.dataset.errors = window.__errors.join(" | ");
  document.body.dataset.loaded = "yes";
});
</script>"""


def load_in_chromium(page):
    """Open a report page in headless Chromium; return the DOM after load (with the probe's findings)."""
    browser = os.environ.get("CUSTSEG_CHROMIUM") or next(filter(None, map(shutil.which, BROWSERS)), None)
    if browser is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it when root)")
    probe = page.with_name("_probe_" + page.name)
    probe.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--window-size=1200,3000", "--virtual-time-budget=15000",
             "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=180)
    probe.unlink()
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("which", ["en", "zh"])
def test_report_loads_in_chromium(which, request):
    workdir, reports = request.getfixturevalue("demo_run" if which == "en" else "zh_run")
    dom = load_in_chromium(reports / "index.html")
    body = re.search(r"<body([^>]*)>", dom).group(1)
    assert 'data-loaded="yes"' in body, "the page did not finish loading"
    assert 'data-errors=""' in body, body
    assert 'data-broken=""' in body, body
    cards = json.loads((workdir / "data" / "processed" / reports.name / "personas.json").read_text(encoding="utf-8"))
    assert dom.count('<article class="persona"') == len(cards) >= 5
    for card in cards:
        assert card["name"] in dom and f'id="segment-{card["segment"]}"' in dom


@pytest.mark.slow
def test_artifacts(demo_run):
    workdir, reports = demo_run
    stems = [nb.stem for nb in runner.notebooks()]
    for stem in stems:
        html = (reports / f"{stem}.html").read_text(encoding="utf-8")
        assert "from custseg import" not in html, f"{stem}.html must not show code"
        executed = nbformat.read(reports / "notebooks" / f"{stem}.ipynb", as_version=4)
        assert not any(o.get("output_type") == "error" for c in executed.cells for o in c.get("outputs", []))
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert index.count('class="persona"') >= 5
    for stem in stems:
        assert f'href="{stem}.html"' in index
    segments = pd.read_csv(reports / "segments.csv")
    assert list(segments.columns) == ["customer_id", "segment_id", "segment_name", "rfm_segment", "predicted_spend"]
    assert segments["customer_id"].is_unique and segments.notna().all().all()
    meta = json.loads((reports / "run.json").read_text())
    assert set(meta) >= {"config", "versions", "timings_s", "row_counts"}
    assert meta["row_counts"]["customers_segmented"] == len(segments)
    assert meta["row_counts"]["lines_in"] == meta["row_counts"]["lines_kept"] + meta["row_counts"]["lines_quarantined"]
    assert set(meta["timings_s"]) == {*stems, "00_overview", "total"}  # the course overview runs too (no stage)
    # the headline numbers every stage recorded, in one place
    stages = meta["stages"]
    assert list(stages) == stems
    assert stages["02_clean"]["lines_kept"] == meta["row_counts"]["lines_kept"]
    assert stages["05_cluster"]["k"] == segments["segment_id"].nunique() == len(stages["06_personas"]["names"])
    assert stages["06_personas"]["customers"] == len(segments) == stages["04_features"]["customers"]
    assert len(list((reports / "figures").glob("*.png"))) >= 8
    assert len(list((reports / "personas").glob("*.md"))) == segments["segment_id"].nunique()
    # nothing was written into the repository's own data/ or reports/ folders
    assert not (config.PROJECT_ROOT / "reports" / "e2e").exists()


def test_no_raw_pii_in_outputs(demo_run):
    workdir, reports = demo_run
    crm = pd.read_csv(workdir / "data" / "raw" / "demo" / "customers.csv", dtype=str)
    emails = set(crm["email"].sample(200, random_state=0))
    phones = set(crm["phone"].sample(200, random_state=0))
    names = set(crm["name"].sample(200, random_state=0))
    for folder in (workdir / "data" / "interim", workdir / "data" / "processed", reports):
        for path in folder.rglob("*"):
            if path.suffix in {".csv", ".html", ".md", ".json", ".ipynb"}:
                text = path.read_text(encoding="utf-8")
                assert not any(e in text for e in emails), path
                assert not any(p in text for p in phones), path
                assert not any(n in text for n in names), path


KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def test_failing_notebook_names_notebook_and_cell(tmp_path):
    books = tmp_path / "books"
    books.mkdir()
    nb = nbformat.v4.new_notebook(metadata=KERNEL)
    params = nbformat.v4.new_code_cell('config_path = ""\nrun_name = ""\noverrides = ""\nworkdir = ""\n'
                                       'report_dir = ""', metadata={"tags": ["parameters"]})
    nb.cells = [params, nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("raise ValueError('boom')")]
    nbformat.write(nb, books / "01_fail.ipynb")
    with pytest.raises(runner.NotebookFailed, match=r"01_fail.ipynb failed in cell \d+ \('raise ValueError.*boom"):
        runner.run(config.PROJECT_ROOT / "configs" / "tiny.yaml", "fail", workdir=tmp_path, progress=False,
                notebook_dir=books)
    assert (tmp_path / "reports" / "fail.failed" / "notebooks" / "01_fail.ipynb").exists(), "partial output kept"
    assert not (tmp_path / "reports" / "fail").exists(), "nothing published"


def test_unknown_parameter_is_an_error(tmp_path):
    books = tmp_path / "books"
    books.mkdir()
    nb = nbformat.v4.new_notebook(metadata=KERNEL)
    nb.cells = [nbformat.v4.new_code_cell('config_path = ""', metadata={"tags": ["parameters"]})]
    nbformat.write(nb, books / "01_x.ipynb")
    with pytest.raises(config.ConfigError, match=r"01_x.ipynb has no parameter\(s\) \['overrides'"):
        runner.run(config.PROJECT_ROOT / "configs" / "tiny.yaml", "x", workdir=tmp_path, notebook_dir=books)


def test_cli_reports_bad_config(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("cluster:\n  kmax: 3\n")
    assert cli.main(["run", str(bad)]) == 1
    assert "unknown config key 'cluster.kmax'" in capsys.readouterr().err
    assert cli.main(["run", str(config.PROJECT_ROOT / "configs" / "tiny.yaml"), "--set", "cluster.k"]) == 1
    assert "key=value" in capsys.readouterr().err


def test_papermill_kernels_stay_static_inside_jupyterlab(tmp_path, monkeypatch, capfd):
    """`custseg run` started from a JupyterLab kernel (JPY_SESSION_NAME set) must not make widgets or DuckDB
    progress bars in the report; the terminal shows a bar over the notebook's cells instead."""
    monkeypatch.setenv("JPY_SESSION_NAME", "/work/notebooks/06_personas.ipynb")
    monkeypatch.setenv("MPLBACKEND", "Agg")  # a shell's setting: the report's figures need the inline backend
    nb = nbformat.v4.new_notebook(metadata=KERNEL)
    nb.cells = [nbformat.v4.new_code_cell("from custseg import config, engine\nassert not config.interactive()"),
                nbformat.v4.new_code_cell("import matplotlib, sys\nassert 'inline' in matplotlib.get_backend()\n"
                                          "assert 'custseg.pipeline' in sys.modules, 'imported as the kernel started'\n"
                                          "assert not {'custseg', 'pipeline'} & set(dir()), 'but bound nowhere'"),
                nbformat.v4.new_code_cell("con = engine.connect()\n"
                                          "setting = \"SELECT current_setting('enable_progress_bar')\"\n"
                                          "assert con.raw_sql(setting).fetchone()[0] is False")]
    nbformat.write(nb, tmp_path / "01_static.ipynb")
    runner.execute(tmp_path / "01_static.ipynb", tmp_path / "out.ipynb", {}, progress=True)
    assert os.environ["JPY_SESSION_NAME"] == "/work/notebooks/06_personas.ipynb", "the caller's is untouched"
    err = capfd.readouterr().err
    assert re.search(r"01_static: 100%.*3/3 \[", err), "a bar over the notebook's 3 cells"
    assert "WARNING" not in err, "no kernel log lines between the bars"


@pytest.mark.slow
def test_report_notebook_has_no_widgets(demo_run):
    _, reports = demo_run
    executed = nbformat.read(reports / "notebooks" / "06_personas.ipynb", as_version=4)
    outputs = [o for c in executed.cells for o in c.get("outputs", [])]
    assert outputs and not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
NAME = re.compile(r"\b[A-Z][a-zA-Z]+ [A-Z][a-zA-Z]+\b")


def test_no_raw_pii_in_any_file_of_a_run(demo_run):
    """Every file a run writes — tables, reports, notebooks, figures, the fitted model — holds no CRM PII."""
    workdir, reports = demo_run
    crm = pd.read_csv(workdir / "data" / "raw" / "demo" / "customers.csv", dtype=str)
    pii = {v.lower() for col in ("name", "phone", "email") for v in crm[col].dropna()}
    assert len(pii) > 3 * 0.9 * len(crm) / 2  # many distinct values to look for
    files = [p for folder in (workdir / "data" / "interim", workdir / "data" / "processed", reports)
             for p in folder.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files) and any(p.suffix == ".png" for p in files)
    for path in files:
        if path.suffix == ".parquet":
            df = pd.read_parquet(path)
            for col in df.select_dtypes(exclude=["number", "bool", "datetime"]).columns:
                assert not {str(v).lower() for v in df[col].dropna()} & pii, (path, col)
        else:  # every other file, text or binary: its ASCII runs hold no e-mail, phone or name of the CRM
            text = path.read_bytes().decode("latin-1")
            found = {m.lower() for rx in (EMAIL, PHONE, NAME) for m in rx.findall(text)}
            assert not found & pii, (path, sorted(found & pii)[:3])


@pytest.mark.slow
def test_the_planted_campaign_uplift_is_recovered_and_the_segment_that_buys_anyway_is_flagged(demo_run):
    workdir, reports = demo_run
    processed = workdir / "data" / "processed" / "e2e"
    truth = pd.read_csv(workdir / "data" / "raw" / "demo" / "ground_truth.csv")
    segments = pd.read_parquet(processed / "segments.parquet").merge(truth, on="customer_id")
    # treatment was randomised, so a segment's true uplift is the mean planted uplift of its customers
    planted = segments.groupby("segment")["campaign_uplift"].mean()
    measured = pd.read_csv(processed / "campaign.csv")
    per = measured[measured["segment"] != "all"].astype({"segment": "int64"}).set_index("segment")
    for seg, row in per.iterrows():
        assert row["uplift_low"] <= planted[seg] <= row["uplift_high"], (seg, planted[seg], row.to_dict())
    buys_anyway = planted.idxmin()
    assert planted[buys_anyway] < 0.01 and per.loc[buys_anyway, "verdict"] != "worked"
    assert per.loc[buys_anyway, "response_control"] > per["response_control"].median()  # a high rate, no uplift
    assert (per["verdict"] == "worked").any()
    overall = measured[measured["segment"] == "all"].iloc[0]
    results = pd.read_csv(workdir / "data" / "raw" / "demo" / "campaign.csv")
    inside = segments[segments["customer_id"].isin(results["customer_id"].str.strip().str.upper())]
    assert overall["uplift_low"] <= inside["campaign_uplift"].mean() <= overall["uplift_high"]
    # the index shows the targeting choice and the campaign's result; the audiences are there
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "Targeting: whom to serve and what to offer" in index and "Campaign: did it work, and where?" in index
    target = json.loads((processed / "target.json").read_text())
    for seg in target["targets"]:
        assert (reports / "audiences" / f"segment_{seg}.csv").is_file()
        assert (reports / "audiences" / f"segment_{seg}.md").is_file()
    assert "What to offer" in (reports / "personas" / f"segment_{target['targets'][0]}.md").read_text()
