"""Two languages from one notebook: twins, stale translations, and the report keeping the run's language."""

import nbformat
import pytest

from custseg.report import languages, needs, runner

# the shipped notebooks whose every prose cell has an up-to-date 简体中文 twin
BILINGUAL = ["00_overview", "01_collect", "02_clean", "03_describe", "04_features", "05_cluster", "06_personas",
             "07_evaluate", "08_target", "09_measure"]


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    for i, (kind, source, tags) in enumerate(cells):
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        cell = make(source, metadata={"tags": list(tags)})
        cell.id = f"c{i}"
        nb.cells.append(cell)
    return nb


def _bilingual():
    return _notebook(("md", "# Collect\n\nWe read the sources.", ["lang-en"]),
                     ("md", "# 数据收集\n\n我们读取数据源。", ["lang-zh"]),
                     ("code", "print(1)", []),
                     ("md", "## Returns\n\nReturns give money back.", ["lang-en", "needs-log"]),
                     ("md", "## 退货\n\n退货会退回金额。", ["lang-zh", "needs-log"]))


def test_a_stamped_bilingual_notebook_has_no_problems_and_a_changed_english_is_stale():
    nb = _bilingual()
    assert len(languages.problems(nb)) == 2  # two twins never stamped: their English is unknown
    assert languages.stamp(nb) == 2 and languages.problems(nb) == []
    assert languages.stamp(nb) == 0
    nb.cells[0].source += "\nAnd we check them."
    assert languages.problems(nb) == ["cell c1: stale translation — the English of cell c0 changed after its twin "
                                      "was written (update the twin, then `stamp`)"]
    nb.cells[0].source = "# Collect\n\nWe read the sources.   \n"  # trailing spaces are no change
    assert languages.problems(nb) == []


@pytest.mark.parametrize("edit, expected", [
    (lambda nb: nb.cells.pop(1), "cell c0: no 简体中文 twin"),
    (lambda nb: nb.cells[3].metadata.update(tags=["needs-log"]), "cell c3: a prose cell needs exactly one of"),
    (lambda nb: nb.cells[4].metadata.update(tags=["lang-zh"]), "cell c4: its needs-… tags [] differ"),
    (lambda nb: nb.cells.pop(3), "cell c4: a lang-zh cell that follows no English cell"),
])
def test_each_kind_of_problem_is_named_with_its_cell(edit, expected):
    nb = _bilingual()
    languages.stamp(nb)
    edit(nb)
    assert any(line.startswith(expected) for line in languages.problems(nb)), languages.problems(nb)


@pytest.mark.parametrize("language, kept, dropped", [("en", "We read the sources", "我们读取数据源"),
                                                     ("zh", "我们读取数据源", "We read the sources")])
def test_the_report_keeps_the_runs_language_and_leaves_out_in_it(tmp_path, language, kept, dropped):
    nb = _bilingual()
    languages.stamp(nb)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    html = runner.to_html(path, tmp_path / "nb.html", met={"needs-log": False}, language=language).read_text()
    assert kept in html and dropped not in html
    left_out = "已略去：退货" if language == "zh" else "Left out: Returns"
    assert html.count(left_out) == 1 and "Returns give money back" not in html


def test_the_stamp_command_writes_the_hashes_and_check_reports(tmp_path, capsys):
    path = tmp_path / "nb.ipynb"
    nbformat.write(_bilingual(), path)
    assert languages.main(["check", str(path)]) == 1
    assert languages.main(["stamp", str(path)]) == 0
    assert "2 twin(s) stamped" in capsys.readouterr().out
    assert languages.problems(nbformat.read(path, as_version=4)) == []


@pytest.mark.parametrize("name", BILINGUAL)
def test_every_prose_cell_of_a_bilingual_notebook_has_an_up_to_date_twin(name):
    nb = nbformat.read(runner.NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    assert languages.problems(nb) == [], "every prose cell, the closing ones included, has its twin"


def test_04_cautions_that_factor_names_are_interpretations_where_it_shows_the_loadings():
    """Issue 25: right after the loadings, 04 teaches that a factor's name is to be checked against its items, in
    both languages, in survey runs only (needs-survey, like the factor analysis it belongs to)."""
    cells = nbformat.read(runner.NOTEBOOK_DIR / "04_features.ipynb", as_version=4).cells
    loadings = next(i for i, c in enumerate(cells) if c.cell_type == "code" and '"04_loadings"' in c.source)
    section = needs.heading(next(c.source for c in reversed(cells[:loadings]) if c.cell_type == "markdown"
                                 and languages.TAGS["en"] in c.metadata["tags"] and needs.heading(c.source)))
    en, zh = cells[loadings + 1], cells[loadings + 2]
    assert needs.heading(en.source) is None, "part of the factor-analysis section, no section of its own"
    assert section.startswith("Factor analysis")
    for cell, language, words in ((en, "en", ("interpretation", "loadings", "items")),
                                  (zh, "zh", ("解读", "载荷", "题项"))):
        assert cell.cell_type == "markdown" and languages.TAGS[language] in cell.metadata["tags"]
        assert needs.tags_of(cell) == ["needs-survey"]
        assert all(word in cell.source for word in words), (language, cell.source[:200])
    assert "Kaiser" in en.source and "Horn" in en.source  # the KMO and parallel analysis 04 uses, cited
    refs = next(c.source for c in cells if "Horn, J. L. (1965)" in c.source
                and languages.TAGS["en"] in c.metadata["tags"])
    assert "Kaiser, H. F. (1974)" in refs


# a report page as nbconvert writes it: prose cells, a printed line, a table, a code block, references
_PAGE = """<html><head><title>05_cluster</title><style>.jp-Cell {{ color: red }}</style>
<script>var MathJax = {{ tex: {{ inlineMath: [['$', '$']] }} }};</script></head><body>
<div class="jp-Cell jp-MarkdownCell"><div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput">
<h2 id="x">{heading}<a class="anchor-link" href="#x">¶</a></h2><p>{prose}</p>
<pre><code>custseg run configs/tiny.yaml --set cluster.k=4</code></pre></div></div>
<div class="jp-Cell jp-CodeCell"><div class="jp-RenderedText jp-OutputArea-output"><pre>{printed}</pre></div>
<div class="jp-RenderedHTMLCommon jp-RenderedHTML jp-OutputArea-output"><table><thead><tr><th>{header}</th>
<th>city_tier</th></tr></thead><tbody><tr><td>2</td><td>tier 1</td></tr></tbody></table></div></div>
<div class="jp-Cell jp-MarkdownCell"><div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput">
<h2 id="r">参考文献<a class="anchor-link" href="#r">¶</a></h2><ul><li>Ward, J. H., Jr. (1963). Hierarchical grouping
to optimize an objective function. <em>Journal of the American Statistical Association</em>, 58, 236–244.</li></ul>
</div></div></body></html>"""


def _page(heading="选择细分数目", prose="我们用轮廓系数 (silhouette) 和 <code>k_sweep.csv</code> 比较各个 k 的 "
          "RFM 方案。", printed="共 1,500 位客户，k=4", header="客户数"):
    return _PAGE.format(heading=heading, prose=prose, printed=printed, header=header)


def test_a_chinese_page_has_a_small_latin_share_and_what_is_legitimately_latin_is_not_counted():
    words, cjk = languages.latin_words(_page(), data=["city_tier", "tier 1"])
    # not counted: the code span and block, the bracketed term, k and numbers, RFM, the data, the references, the
    # page's script and style
    assert words == [] and cjk > 20
    assert languages.latin_share(_page(), data=["city_tier", "tier 1"]) == 0.0
    # the user's data is left out only when it is named as data
    assert languages.latin_words(_page())[0] == ["city_tier", "tier"]


@pytest.mark.parametrize("part, english", [
    ("prose", "The segments were chosen by what they predict: the smallest k within one standard error of the best."),
    ("printed", "k=4 was chosen for what it predicts: segments formed on the earlier part explain 12% of it."),
    ("heading", "How many segments"),
    ("header", "calinski_harabasz"),
])
def test_english_in_the_prose_printed_lines_headings_or_headers_is_counted(part, english):
    html = _page(**{part: english})
    words, _ = languages.latin_words(html, data=["city_tier", "tier 1"])
    assert words and all(w in english for w in words)
    assert languages.latin_share(html, data=["city_tier", "tier 1"]) > 0


def test_an_english_page_fails_the_measure():
    english = _page(heading="Choosing k", prose="We compare the silhouette and the usefulness of every k. " * 4,
                    printed="1,500 customers, k=4: the smallest segment holds 12% of customers", header="customers")
    assert languages.latin_share(english) > 0.8 > languages.MAX_LATIN_SHARE
    assert languages.latin_share("<p></p>") == 0.0
    # a term in brackets is allowed after a Chinese word only, not as a sentence of its own
    assert languages.latin_words("<p>轮廓系数（silhouette）(higher is better)</p>")[0] == ["higher", "is", "better"]


def test_references_in_later_cells_printed_structures_and_paths_are_not_words():
    later = _page().replace("</body>", """<div class="jp-Cell jp-MarkdownCell"><div class="jp-RenderedMarkdown">
<ul><li>Hughes, A. M. (1994). Strategic Database Marketing. Probus.</li></ul></div></div>
<div class="jp-Cell jp-CodeCell"><div class="jp-RenderedText"><pre>{'transactions': 14357, 'customers': 1541}</pre>
<pre>run 'zh' — config /work/x/configs/tiny.yaml</pre></div></div>
<div class="jp-Cell jp-MarkdownCell"><div class="jp-RenderedMarkdown"><h2>What we did</h2></div></div></body>""")
    assert languages.latin_words(later, data=["city_tier", "tier 1"])[0] == ["run", "zh", "config", "What", "we",
                                                                             "did"]
