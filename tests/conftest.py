import os

# before scikit-learn loads OpenMP: the test workers share the cores, and OpenMP threads that spin while they wait
# stall each other (custseg.report.kernels.kernel_env gives the notebook kernels the same)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402

from custseg import collect, config, demo, engine  # noqa: E402
from custseg.report import cli, runner  # noqa: E402

TIERS = ("unit", "notebooks", "e2e")


def pytest_configure():
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures drawn in-process need no display


# session fixtures that run a whole pipeline: the tests using one share a worker under pytest-xdist, so each
# runs once (the tiny report's runner tests also need the notebooks tier's checks to have run first)
SHARED_RUNS = ("demo_run", "tiny_report", "tiny_run")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    """Fast tiers first (unit, notebooks, e2e): a broken unit fails in seconds, and the notebooks tier checks
    the tiny run before the runner tests in e2e re-run it. For ``pytest -n N --dist loadgroup`` (``make test``)
    each test file is one group, so its module-scoped runs happen once, and the files that use one of
    :data:`SHARED_RUNS` are one group."""
    items.sort(key=lambda item: next((i for i, tier in enumerate(TIERS) if f"/tests/{tier}/" in str(item.path)),
                                     len(TIERS)))
    shared = {}
    for item in items:
        run = next((f for f in SHARED_RUNS if f in item.fixturenames), None)
        if run:
            shared[item.path] = run
    for item in items:
        item.add_marker(pytest.mark.xdist_group(shared.get(item.path, item.path.name)))


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
    assert cli.main(["run", str(config.PROJECT_ROOT / "configs" / "demo.yaml"), "--workdir", str(workdir),
                     "--name", "e2e"]) == 0
    return workdir, workdir / "reports" / "e2e"


@pytest.fixture(scope="session")
def tiny_report(tmp_path_factory):
    """`custseg run configs/tiny.yaml` (run 'r', every notebook): (workdir, report folder). The notebooks tier
    checks each executed notebook; the runner tests in e2e then fail, re-run and interrupt it."""
    workdir = tmp_path_factory.mktemp("tiny-report")
    return workdir, runner.run(config.PROJECT_ROOT / "configs" / "tiny.yaml", "r", workdir=workdir, progress=False)


@pytest.fixture(scope="session")
def tiny_run(tiny_cfg):
    """Every stage of the pipeline run in this process on the tiny demo (run 'pipeline'): (cfg, paths, results)."""
    import copy

    from custseg import io, pipeline

    cfg = copy.deepcopy(tiny_cfg)
    cfg["run"] = "pipeline"
    paths = io.run_paths(cfg).make()
    return cfg, paths, pipeline.run_stages(cfg, paths)
