"""A ``language: zh`` run of each shipped example that is not the demo (a customer table, a survey, a log of id,
date and amount; the demo's is tests/notebooks/test_zh_pages.py on the tiny config, the Online Retail example's
tests/e2e/test_privacy_online_retail.py) and of the demo's loop over snapshots (demo_migration against a baseline
run: demo_monthly's loop) reads as Chinese: on every page 01–09 the share of Latin words in what a reader reads is
below 5 % (terms in brackets, codes and the data's own words aside: :func:`custseg.report.languages.latin_words`),
and "What we did" says what the run's records hold."""

import pytest
from pages import latin_pages, names_problems, published_in_process, what_we_did_is_on_the_pages

from custseg import config, io
from custseg.report import cli, needs

# small sizes: the words are tested here, the numbers at the examples' own sizes elsewhere
SIZES = {"table": 1200, "survey": 600, "log": 1500}
FAST = {"cluster.stability_runs": 0, "evaluate.bootstrap": 20}


@pytest.fixture(scope="module", params=sorted(SIZES))
def zh_run(request, tmp_path_factory):
    """`custseg run configs/<example>.yaml --set language=zh` of one shape: (cfg, report folder)."""
    shape = request.param
    example = config.PROJECT_ROOT / "configs" / f"{needs.SHAPES[shape].example}.yaml"
    overrides = {"language": "zh", "demo.n_customers": SIZES[shape], **FAST}
    workdir = tmp_path_factory.mktemp(f"zh-{shape}")
    argv = ["run", str(example), "--workdir", str(workdir), "--name", shape]
    for key, value in overrides.items():
        argv += ["--set", f"{key}={value}"]
    assert cli.main(argv) == 0
    cfg = config.load(example, overrides)
    cfg["paths"]["workdir"], cfg["run"] = str(workdir), shape
    return cfg, workdir / "reports" / shape


def test_every_page_of_a_chinese_run_reads_as_chinese(zh_run):
    cfg, reports = zh_run
    assert latin_pages(cfg, reports) == []


def test_what_we_did_and_the_names_of_a_chinese_run(zh_run):
    cfg, reports = zh_run
    assert what_we_did_is_on_the_pages(cfg, reports) == []
    assert names_problems(cfg) == []


MIGRATION = config.PROJECT_ROOT / "configs" / "demo_migration.yaml"


@pytest.fixture(scope="module")
def zh_loop(tmp_path_factory):
    """The demo's loop over snapshots in Chinese, small: `custseg run configs/demo_migration.yaml --baseline 2025-03
    --set language=zh` (run '2025-06': the snapshot of 2025-07-01, its later snapshot 2026-01-01) against a run at
    2025-04-01 published in process: (cfg, report folder)."""
    workdir = tmp_path_factory.mktemp("zh-loop")
    overrides = {"language": "zh", "demo.n_customers": 1500, **FAST}
    baseline = config.load(MIGRATION, {**overrides, "snapshot_date": "2025-04-01"})
    baseline["paths"]["workdir"] = str(workdir)
    published_in_process(baseline, "2025-03")
    argv = ["run", str(MIGRATION), "--workdir", str(workdir), "--name", "2025-06", "--baseline", "2025-03"]
    for key, value in overrides.items():
        argv += ["--set", f"{key}={value}"]
    assert cli.main(argv) == 0
    cfg = config.load(MIGRATION, {**overrides, "cluster.baseline": "2025-03"})
    cfg["paths"]["workdir"], cfg["run"] = str(workdir), "2025-06"
    return cfg, workdir / "reports" / "2025-06"


def test_a_chinese_run_against_a_baseline_with_a_later_snapshot_reads_as_chinese(zh_loop):
    cfg, reports = zh_loop
    met = needs.met(cfg, io.run_paths(cfg))
    assert met["needs-baseline"] and met["needs-later-snapshot"], "07's baseline and migration views are on its page"
    assert latin_pages(cfg, reports) == []
    assert what_we_did_is_on_the_pages(cfg, reports) == []
    assert names_problems(cfg) == []
