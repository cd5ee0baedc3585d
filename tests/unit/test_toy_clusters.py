"""05's toy data: the data sets are what the notebook says, and each algorithm succeeds and fails where its prose
says it does (fixed seeds); the figure is drawn in the run's language."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from custseg.cluster import toy
from custseg.report import charts


@pytest.fixture(scope="module")
def grid():
    return toy.grid()


def _groups_of(found: np.ndarray, truth: np.ndarray, group: int) -> np.ndarray:
    """How many points of one true group each found label holds (largest first, noise left out)."""
    inside = found[(truth == group) & (found != toy.NOISE)]
    return np.sort(np.bincount(inside))[::-1]


@pytest.mark.parametrize("name", list(toy.DATASETS))
def test_each_data_set_is_a_few_hundred_standardised_points_from_its_seed(name):
    x, y = toy.DATASETS[name](toy.SEED)
    assert x.shape == (len(y), 2) and 200 <= len(y) <= 600
    np.testing.assert_allclose(x.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(x.std(axis=0), 1)
    again, _ = toy.DATASETS[name](toy.SEED)
    other, _ = toy.DATASETS[name](toy.SEED + 1)
    assert np.array_equal(x, again) and not np.allclose(x, other)


def test_the_sizes_and_spreads_are_as_named():
    _, y = toy.unequal_sizes()
    assert np.bincount(y).tolist() == [400, 40, 40]
    x, y = toy.unequal_densities()
    spread = [x[y == g].std(axis=0).mean() for g in range(3)]
    assert spread[2] > 4 * max(spread[:2])  # one sparse group, two dense ones


def test_on_round_blobs_kmeans_is_exact_and_single_linkage_chains(grid):
    assert grid.ari.loc["blobs", "kmeans"] == pytest.approx(1.0)
    assert grid.ari.loc["blobs", ["ward", "average"]].min() > 0.85
    single = np.bincount(grid.labels["blobs", "single"])
    assert single.max() >= 0.95 * single.sum() and grid.ari.loc["blobs", "single"] < 0.1  # one chain, stray points


def test_on_moons_dbscan_and_single_linkage_follow_the_shapes_and_the_others_cut_straight(grid):
    moons = grid.ari.loc["moons"]
    assert moons["dbscan"] > 0.95 and moons["single"] > 0.95
    assert moons[["kmeans", "ward", "average"]].max() < 0.6
    assert grid.noise["moons"] <= 3


def test_on_unequal_sizes_kmeans_and_ward_cut_the_large_group(grid):
    _, y = grid.data["unequal_sizes"]
    for method in ("kmeans", "ward"):
        held = _groups_of(grid.labels["unequal_sizes", method], y, 0)
        assert held[0] < 0.8 * 400 and held[1] > 50, (method, held)  # the large group is split in two
        assert grid.ari.loc["unequal_sizes", method] < 0.3
    assert grid.ari.loc["unequal_sizes", "average"] > grid.ari.loc["unequal_sizes", ["kmeans", "ward"]].max()


def test_on_unequal_densities_kmeans_merges_the_dense_groups_and_dbscan_leaves_the_sparse_one_as_noise(grid):
    _, y = grid.data["unequal_densities"]
    km = grid.labels["unequal_densities", "kmeans"]
    assert len(set(km[y == 0]) | set(km[y == 1])) == 1  # the two dense groups in one
    assert _groups_of(km, y, 2)[1] > 30  # the sparse one split
    db = grid.labels["unequal_densities", "dbscan"]
    dense = [set(db[y == g]) for g in (0, 1)]
    assert all(len(s) == 1 for s in dense) and dense[0] != dense[1] and toy.NOISE not in dense[0] | dense[1]
    noise = db == toy.NOISE
    assert noise.sum() == grid.noise["unequal_densities"] > 30 and set(y[noise]) == {2}
    assert len(set(db[(y == 2) & ~noise])) >= 3  # what is left of the sparse group falls apart


def test_a_larger_eps_holds_the_sparse_group_together_but_joins_groups_that_lie_close(grid):
    wide, narrow = toy.grid(eps=0.4), toy.grid(eps=0.15)
    assert wide.noise["unequal_densities"] < grid.noise["unequal_densities"] < narrow.noise["unequal_densities"]
    _, y = wide.data["unequal_densities"]
    db = wide.labels["unequal_densities", "dbscan"]
    sparse = db[(y == 2) & (db != toy.NOISE)]
    assert len(set(sparse)) == 1 and len(sparse) > 120  # the sparse group is one group …
    assert sparse[0] in set(db[y == 0]) | set(db[y == 1])  # … merged with a dense one
    assert len(set(wide.labels["blobs", "dbscan"]) - {toy.NOISE}) == 1  # the three blobs are one


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method must be one of kmeans"):
        toy.labels(toy.blobs()[0], "spectral", 3)


@pytest.mark.parametrize("language, title, column", [("en", "Toy data", "single linkage"),
                                                     ("zh", "玩具数据", "单链接")])
def test_the_figure_shows_every_method_on_every_data_set_with_a_title_in_the_language(grid, language, title, column):
    fig = charts.toy_clusters(language, grid)
    try:
        assert fig.get_suptitle().startswith(title)
        axes = fig.axes
        assert len(axes) == len(toy.DATASETS) * (len(toy.METHODS) + 1)
        assert [ax.get_title() for ax in axes[:len(toy.METHODS) + 1]][3] == column
        assert "eps 0.25" in axes[len(toy.METHODS)].get_title()
        # DBSCAN's noise points are drawn in grey, the others in segment colours
        grey = axes[len(toy.METHODS)].collections[0]  # blobs · DBSCAN: the grey points first
        assert len(grey.get_offsets()) == grid.noise["blobs"] > 0
        np.testing.assert_allclose(grey.get_facecolor()[0][:3], [176 / 255] * 3)
    finally:
        plt.close(fig)
