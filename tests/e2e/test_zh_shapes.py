"""A ``language: zh`` run of each shipped example that is not the demo (a customer table, a survey, a log of id,
date and amount; the demo's is tests/notebooks/test_zh_pages.py on the tiny config) reads as Chinese: on every page
01–09 the share of Latin words in what a reader reads is below 5 % (terms in brackets, codes and the data's own
words aside: :func:`custseg.report.languages.latin_words`), and "What we did" says what the run's records hold."""

import pytest
from pages import latin_pages, names_problems, what_we_did_is_on_the_pages

from custseg import config
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
