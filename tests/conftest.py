import pytest

from custseg import collect, config, demo


@pytest.fixture(scope="session")
def tiny_cfg(tmp_path_factory):
    """The tiny config with its demo data generated into a temp work dir."""
    cfg = config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml")
    cfg["paths"]["workdir"] = str(tmp_path_factory.mktemp("tiny"))
    cfg["run"] = "tiny"
    demo.write(cfg)
    return cfg


@pytest.fixture(scope="session")
def tiny_sources(tiny_cfg):
    """Collected tiny sources (PII removed) on one DuckDB connection."""
    con = collect.connect()
    customers = collect.protect_pii(collect.read_customers(con, tiny_cfg), tiny_cfg["privacy"]["pii_columns"],
                                    tiny_cfg["clean"]["test_account_patterns"])
    return {"con": con, "customers": customers, "transactions": collect.read_transactions(con, tiny_cfg),
            "survey": collect.read_survey(con, tiny_cfg)}
