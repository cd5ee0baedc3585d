import os

import pytest

from custseg import collect, config, demo, engine, run


def pytest_configure():
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures drawn in-process need no display


@pytest.fixture(scope="session")
def tiny_cfg(tmp_path_factory):
    """The tiny config with its demo data generated into a temp work dir."""
    cfg = config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml")
    cfg["paths"]["workdir"] = str(tmp_path_factory.mktemp("tiny"))
    cfg["run"] = "tiny"
    demo.ensure(cfg)  # writes the marker too, so the pipeline does not generate it again
    return cfg


@pytest.fixture(scope="session")
def tiny_sources(tiny_cfg):
    """Collected tiny sources (PII removed) on one DuckDB connection."""
    con = engine.connect()
    got = collect.collect(con, tiny_cfg)
    return {"con": con, "customers": got.customers, "transactions": got.transactions, "survey": got.survey,
            "collected": got}


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """`custseg run configs/demo.yaml` (English) into a temp work dir: (workdir, reports/e2e)."""
    workdir = tmp_path_factory.mktemp("demo-run")
    assert run.main(["run", str(config.PROJECT_ROOT / "configs" / "demo.yaml"), "--workdir", str(workdir),
                     "--name", "e2e"]) == 0
    return workdir, workdir / "reports" / "e2e"


@pytest.fixture(scope="session")
def tiny_run(tiny_cfg):
    """Every stage of the pipeline run in this process on the tiny demo (run 'pipeline'): (cfg, paths, results)."""
    import copy

    from custseg import io, pipeline

    cfg = copy.deepcopy(tiny_cfg)
    cfg["run"] = "pipeline"
    paths = io.run_paths(cfg).make()
    return cfg, paths, pipeline.run_stages(cfg, paths)
