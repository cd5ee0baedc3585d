"""A ``language: zh`` run of the tiny config reads as Chinese: on each page 01–09 the share of Latin-script words
in what a reader reads (prose, printed lines, tables) is below 5 % (:func:`custseg.report.languages.latin_share`),
the figures' titles are Chinese, and the index says how k was chosen in Chinese."""

import re

import pytest

from custseg import config, io
from custseg.report import figures, languages, runner

BOOKS = runner.notebooks()
TINY = config.PROJECT_ROOT / "configs" / "tiny.yaml"


@pytest.fixture(scope="module")
def zh_run(tmp_path_factory):
    """`custseg run configs/tiny.yaml --set language=zh` (run 'zh'): (cfg, paths, report folder)."""
    workdir = tmp_path_factory.mktemp("tiny-zh")
    reports = runner.run(TINY, "zh", overrides={"language": "zh"}, workdir=workdir, progress=False)
    cfg = config.load(TINY, {"language": "zh"})
    cfg["paths"]["workdir"], cfg["run"] = str(workdir), "zh"
    paths = io.run_paths(cfg)
    return cfg, paths, reports, languages.data_words(cfg, paths)


@pytest.mark.parametrize("book", BOOKS, ids=[b.stem for b in BOOKS])
def test_each_page_of_a_chinese_run_reads_as_chinese(book, zh_run):
    cfg, paths, reports, data = zh_run
    html = (reports / f"{book.stem}.html").read_text(encoding="utf-8")
    words, cjk = languages.latin_words(html, data)
    share = len(words) / (len(words) + cjk)
    assert cjk > 200, "the page has Chinese prose"
    assert share < languages.MAX_LATIN_SHARE, f"{share:.1%} Latin words: {' '.join(words)[:2000]}"


def test_the_figures_and_the_index_of_a_chinese_run_are_chinese(zh_run):
    cfg, paths, reports, data = zh_run
    for png in sorted((reports / "figures").glob("0*.png")):
        title = figures.figure_info(png)["title"]
        # a title may name a method as Chinese textbooks do (Ward 法), never be English
        assert languages.latin_share(f"<p>{title}</p>", data) < 0.2 and re.search(r"[\u4e00-\u9fff]", title), \
            f"{png.name}: {title}"
    index = (reports / "index.html").read_text(encoding="utf-8")
    reason = io.read(paths, "cluster")["reason"]
    assert reason in index and languages.latin_share(f"<p>{reason}</p>", data) < languages.MAX_LATIN_SHARE
