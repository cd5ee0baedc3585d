"""The same config gives the same segments: each shipped example runs twice in fresh work folders, once with
DuckDB on one thread and once on two, and its segments, k sweep and stability figures match byte for byte."""

import copy

import pytest

from custseg import config, demo, io, pipeline

# the examples at a size that keeps the four pairs of runs near a minute (still thousands of order lines)
EXAMPLES = {"tiny": None, "log_only_example": 2000, "subscribers_example": 1500, "survey_example": None}
COMPARED = ("segments_csv", "k_sweep", "cluster")


def _run(name: str, n_customers: int | None, workdir, threads: int) -> dict[str, bytes]:
    cfg = config.load(config.PROJECT_ROOT / "configs" / f"{name}.yaml")
    cfg = copy.deepcopy(cfg)
    cfg["paths"]["workdir"], cfg["run"] = str(workdir), "twice"
    cfg["duckdb"]["threads"] = threads
    if n_customers:
        cfg["demo"]["n_customers"] = n_customers
    demo.ensure(cfg)
    paths = io.run_paths(cfg).make()
    pipeline.run_stages(cfg, paths, until="06_personas")
    return {artefact: io.artefact_path(paths, artefact).read_bytes() for artefact in COMPARED}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_an_example_gives_the_same_segments_on_one_thread_and_on_two(name, tmp_path):
    one = _run(name, EXAMPLES[name], tmp_path / "one", threads=1)
    two = _run(name, EXAMPLES[name], tmp_path / "two", threads=2)
    for artefact in COMPARED:
        assert one[artefact] == two[artefact], f"{name}: {artefact} differs between the two runs"
    assert b"segment_id" in one["segments_csv"] and one["k_sweep"].count(b"\n") > 2


def test_duckdb_runs_on_the_configured_threads(tmp_path):
    from custseg import engine

    cfg = config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml")
    cfg["duckdb"].update(threads=1, memory_limit="256MB")
    con = engine.connect(cfg)
    assert con.raw_sql("SELECT current_setting('threads')").fetchone()[0] == 1
    assert con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0] == "244.1 MiB"


@pytest.mark.parametrize(("duckdb", "words"), [({"threads": 0}, "duckdb.threads"),
                                               ({"memory_limit": "lots"}, "duckdb.memory_limit"),
                                               ({"memory_limit": "1GB'; DROP"}, "duckdb.memory_limit")])
def test_bad_duckdb_settings_are_config_errors(duckdb, words):
    with pytest.raises(config.ConfigError, match=words):
        config.from_dict({"sources": {"customers": {"path": "c.csv"}}, "duckdb": duckdb})
