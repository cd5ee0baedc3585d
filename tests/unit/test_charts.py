"""The notebooks' figures made in process from the stages' results (custseg.report.charts), without notebooks."""

import matplotlib.pyplot as plt
import pytest

from custseg import pipeline
from custseg.report import charts, figures


@pytest.fixture(scope="module")
def made(tiny_run):
    """Every notebook's figures of the tiny run: stage → PNGs written."""
    cfg, paths, results = tiny_run
    return paths, {stage: make(results[stage], paths, close=True) for stage, make in charts.BY_STAGE.items()}


def test_every_notebook_figure_is_made_with_a_title(made):
    paths, written = made
    assert set(charts.BY_STAGE) == {s.name for s in pipeline.STAGES} - {"01_collect"}
    for stage, pngs in written.items():
        assert pngs, f"{stage} drew no figure"
        for png in pngs:
            assert png.parent == paths.figures and png.is_file() and png.name.startswith(stage[:3])
            info = figures.figure_info(png)
            assert info["title"] and info["alt"], png.name
    assert not plt.get_fignums(), "every figure closed once saved"
    names = {p.stem for pngs in written.values() for p in pngs}
    assert {"02_quarantine_reasons", "03_city_tier", "03_pareto", "03_monthly_revenue", "04_rfm_grid",
            "04_rfm_revenue", "05_k_criteria", "05_dendrogram", "05_pca", "06_index_heatmap", "06_value_share",
            "07_predictive_validation", "08_targeting"} <= names


def test_titles_and_alt_texts_are_the_notebooks(made):
    paths, _ = made
    info = {p.stem: figures.figure_info(p) for p in paths.figures.glob("*.png")}
    assert info["02_quarantine_reasons"]["title"] == "Quarantined order lines by reason"
    assert info["03_monthly_revenue"]["alt"] == "Net revenue per month; x: month; y: net revenue"
    assert info["07_predictive_validation"]["alt"].startswith("eta² by method and outcome: ")
    assert info["08_targeting"]["alt"].startswith("attractiveness and reach per segment: ")
    assert info["06_value_share"]["alt"].startswith("Share of net spend by segment: ")


def test_one_figure_by_name_and_a_typo_refused(tiny_run, tmp_path):
    cfg, paths, results = tiny_run
    [png] = charts.describe(results["03_describe"], paths, "03_pareto", close=True)
    assert png.name == "03_pareto.png"
    with pytest.raises(KeyError, match="03_paretto"):
        charts.describe(results["03_describe"], paths, "03_paretto")


def test_left_out_sentences():
    assert charts.left_out("03_describe") == "No transaction log: spend, orders, channels and categories are left out."
    assert charts.left_out("04_features") == "No transaction log: RFM, the CLV convention and the holdout are left out."
    assert charts.left_out("02_clean") == "No transaction log: there are no order lines to clean."
    assert charts.left_out("03_describe", "gender") == "No gender in the data: left out."


@pytest.mark.parametrize(("language", "title"), [("en", "Share of MonthlyCharges by segment"),
                                                 ("zh", "各细分群体的 MonthlyCharges 占比")])
def test_the_value_share_of_a_table_without_a_log_is_its_value_column(language, title):
    from types import SimpleNamespace

    cards = [{"segment": s, "name": f"n{s}", "customers": 10, "share": 0.5, "value_share": v}
             for s, v in ((0, 0.7), (1, 0.3))]
    table = SimpleNamespace(has_log=False, value=SimpleNamespace(column="MonthlyCharges"), cards=cards,
                            language=language)
    figure = charts.segments.value_share(table)
    assert figure is not None and charts.segments.value_share_alt(table).startswith(title + ": 0 · n0 70.0%")
    plt.close("all")
    none = SimpleNamespace(has_log=False, value=SimpleNamespace(column=None), cards=cards, language=language)
    assert charts.segments.value_share(none) is None, "no value column: no chart"
