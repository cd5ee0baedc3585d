import datetime as dt
import re

import pytest
import yaml

from custseg import config, engine
from custseg.config import ConfigError


def write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_fill_every_key(tmp_path):
    cfg = config.load(write(tmp_path, "name: x\nsources:\n  transactions: {path: t.csv}\n"))
    assert cfg["name"] == "x"
    assert (cfg["cluster"]["k_min"], cfg["cluster"]["k_max"]) == (3, 8)  # the business range
    assert cfg["sources"]["orders"]["path"] == "" and cfg["sources"]["transactions"]["encoding"] == "utf-8"
    assert cfg["engine"] == "duckdb" and cfg["spark"] == {"master": "local[2]", "app_name": "custseg", "conf": None}


@pytest.mark.parametrize("text, key", [
    ("nmae: x\n", "nmae"),
    ("cluster:\n  kmax: 3\n", "cluster.kmax"),
    ("sources:\n  orders:\n    tabel: x\n", "sources.orders.tabel"),
    ("sources:\n  transactions: {path: t.csv, columns: {custid: id}}\n", "sources.transactions.columns.custid"),
])
def test_unknown_key_is_named(tmp_path, text, key):
    with pytest.raises(ConfigError, match=f"unknown config key '{key}'"):
        config.load(write(tmp_path, text))


@pytest.mark.parametrize("text, key", [
    ("cluster:\n  k_min: two\n", "cluster.k_min"),
    ("cluster:\n  k: 2.5\n", "cluster.k"),
    ("demo:\n  enabled: 3\n", "demo.enabled"),
    ("cluster:\n  seed: true\n", "cluster.seed"),
    ("paths: [1, 2]\n", "paths"),
    ("snapshot_date: not-a-date\n", "snapshot_date"),
    ("language: fr\n", "language"),
    ("rfm:\n  bins: 6\n", "rfm.bins"),
    ("rfm:\n  ties: average\n", "rfm.ties"),
    ("rfm:\n  grid: [{segment: All, r: 1-5, f: 1-4}]\n", "rfm"),
    ("rfm:\n  binning: fixed\n  thresholds: {recency_days: [30, 90], frequency: [2, 3, 5, 10], "
     "monetary: [1, 2, 3, 4]}\n", "rfm"),
    ("features:\n  clv_time_unit: ME\n", "features.clv_time_unit"),
    ("features:\n  holdout_start: soon\n", "features.holdout_start"),
    ("cluster:\n  algorithm: dbscan\n", "cluster.algorithm"),
    ("cluster:\n  dimensions: [behavioral]\n", "cluster.dimensions"),
    ("privacy:\n  pii_action: hide\n", "privacy.pii_action"),
    ("demo:\n  shape: bank\n", "demo.shape"),
    ("sources:\n  transactions: {path: t.csv, decimal: ';'}\n", "sources.transactions.decimal"),
    ("engine: spark\n", "engine"),
    ("spark:\n  master: 2\n", "spark.master"),
    ("spark:\n  conf: [spark.executor.memory]\n", "spark.conf"),
    ("spark:\n  conf: {spark.executor.memory: [8g]}\n", "spark.conf.spark.executor.memory"),
])
def test_wrong_type_is_named(tmp_path, text, key):
    with pytest.raises(ConfigError, match=f"'{key}'"):
        config.load(write(tmp_path, text))


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        config.load(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        config.load(write(tmp_path, "a: [\n"))


def test_overrides_and_env(tmp_path, monkeypatch):
    path = write(tmp_path, "name: x\nsources:\n  transactions: {path: t.csv}\n")
    cfg = config.load(path, {"cluster.k": 6})
    assert cfg["cluster"]["k"] == 6
    key, value = config.parse_override("cluster.k=4")
    assert (key, value) == ("cluster.k", 4)
    with pytest.raises(ConfigError, match="key=value"):
        config.parse_override("cluster.k")
    monkeypatch.setenv("CUSTSEG_CONFIG", str(path))
    monkeypatch.setenv("CUSTSEG_WORKDIR", str(tmp_path))
    nb = config.load_for_notebook(overrides='{"cluster.k_max": 5}')
    assert nb["name"] == "x" and nb["run"] == "x"
    assert nb["paths"]["workdir"] == str(tmp_path)
    assert nb["cluster"]["k_max"] == 5


@pytest.mark.parametrize("name", sorted(p.name for p in (config.PROJECT_ROOT / "configs").glob("*.yaml")))
def test_shipped_configs_are_valid(name):
    path = config.PROJECT_ROOT / "configs" / name
    assert isinstance(yaml.safe_load(path.read_text()), dict)
    assert config.load(path)["name"]


def test_redacted_config_hides_the_key_and_url_passwords(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("privacy: {key: s3cret-key}\nsources:\n  transactions: {path: t.csv}\n"
                    "  customers: {url: 'postgres://me:pw123@db.example/crm', table: members}\n")
    cfg = config.load(path)
    safe = config.redacted(cfg)
    assert "s3cret-key" not in str(safe) and "pw123" not in str(safe)
    assert safe["sources"]["customers"]["url"] == "postgres://me:***@db.example/crm"
    assert cfg["privacy"]["key"] == "s3cret-key", "the config itself is not changed"


INPUTS_GUIDE = config.PROJECT_ROOT / "docs" / "user-guide" / "inputs.md"


def test_docs_own_data_example_is_a_valid_config(tmp_path):
    guide = INPUTS_GUIDE.read_text(encoding="utf-8")
    section = guide.split("## Run on your own data", 1)[1].split("\n## ", 1)[0]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    cfg = config.load(write(tmp_path, example))
    assert cfg["sources"]["transactions"]["columns"]["customer_id"] == "会员编号"
    assert cfg["sources"]["survey"]["url"].startswith("postgres://") and cfg["privacy"]["pseudonymise_ids"]


def test_pyspark_engine_without_pyspark_says_how_to_install(tmp_path, monkeypatch):
    import sys


    source = "sources:\n  transactions: {path: t.csv}\n"
    cfg = config.load(write(tmp_path, "engine: pyspark\nspark: {master: 'local[1]'}\n" + source))
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(ConfigError, match=r"pip install 'custseg\[spark\]'.*Java 17"):
        engine.connect(cfg)
    assert engine.connect(config.load(write(tmp_path, source))).name == "duckdb"


def test_interactive_only_in_a_jupyter_server_kernel(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert not config.interactive()
    monkeypatch.setenv("JPY_SESSION_NAME", "/work/notebooks/06_personas.ipynb")
    assert config.interactive()


@pytest.mark.parametrize("text", ["holdout_start: 2025-10-01", "holdout_start: '2025-10-01'",
                                  'holdout_start: "2025-10-01"'])
def test_dates_quoted_or_not_are_dates(tmp_path, text):
    path = write(tmp_path, f"sources:\n  transactions: {{path: t.csv}}\nfeatures:\n  {text}\n")
    assert config.load(path)["features"]["holdout_start"] == dt.date(2025, 10, 1)


def test_dates_through_set_reach_the_notebooks_as_dates():
    key, value = config.parse_override("features.holdout_start=2025-10-01")
    assert value == "2025-10-01", "text until validation parses it (and names the key if it is no date)"
    assert config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml", {key: value})["features"]["holdout_start"] \
        == dt.date(2025, 10, 1)
    passed = config.overrides_json({key: value, "evaluate.later_snapshot": "2026-01-01"})
    cfg = config.load_for_notebook(str(config.PROJECT_ROOT / "configs" / "tiny.yaml"), overrides=passed)
    assert cfg["features"]["holdout_start"] == dt.date(2025, 10, 1)
    assert cfg["evaluate"]["later_snapshot"] == dt.date(2026, 1, 1)


def test_a_bad_date_names_the_key():
    with pytest.raises(ConfigError, match=r"config key 'features.holdout_start' must be a date like 2025-12-31, "
                                          r"got '2025-13-01'"):
        config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml", {"features.holdout_start": "2025-13-01"})


@pytest.mark.parametrize("item, value", [("cluster.features=[recency_days, frequency]", ["recency_days", "frequency"]),
                                         ("spark.conf={spark.sql.shuffle.partitions: 4}",
                                          {"spark.sql.shuffle.partitions": 4}),
                                         ("cluster.k=null", None), ("name='007'", "007")])
def test_set_takes_lists_mappings_and_null(item, value):
    key, parsed = config.parse_override(item)
    assert parsed == value
    config.load(config.PROJECT_ROOT / "configs" / "tiny.yaml", {key: parsed})  # and they validate


@pytest.mark.parametrize("item, message", [("x=[a", "not valid YAML"), ("=3", "no key"), ("cluster.k", "key=value")])
def test_bad_overrides_are_config_errors(item, message):
    with pytest.raises(ConfigError, match=message):
        config.parse_override(item)


def test_config_file_in_another_encoding(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("description: 演示零售商\n".encode("gbk"))
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        config.load(path)


def test_an_impossible_date_in_the_file_names_its_key(tmp_path):
    path = write(tmp_path, "sources:\n  transactions: {path: t.csv}\nsnapshot_date: 2025-13-01\n")
    with pytest.raises(ConfigError, match="'snapshot_date' must be a date like 2025-12-31, got '2025-13-01'"):
        config.load(path)


def test_docs_customer_table_example_is_a_valid_config(tmp_path):
    guide = INPUTS_GUIDE.read_text(encoding="utf-8")
    section = guide.split("## Segment a customer table", 1)[1].split("\n## ", 1)[0]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    cfg = config.load(write(tmp_path, "name: subs\n" + example))
    assert not cfg["sources"]["transactions"]["path"] and cfg["outcomes"] == {"Churn": None}
    assert cfg["attributes"]["Contract"] == ["Month-to-month", "One year", "Two year"]


def test_text_files_are_replaced_whole_and_a_lock_is_exclusive(tmp_path):
    import threading
    import time

    from custseg import io
    from custseg.report import locks

    page = tmp_path / "reports" / "demo-history.html"
    io.write_text("old", page)
    io.write_text("new", page)
    assert page.read_text() == "new" and sorted(p.name for p in page.parent.iterdir()) == ["demo-history.html"]
    held, order = tmp_path / ".lock", []

    def second():
        with locks.exclusive(held):
            order.append("second")

    with locks.exclusive(held):
        waiting = threading.Thread(target=second)
        waiting.start()
        time.sleep(0.2)
        order.append("first")
    waiting.join(5)
    assert order == ["first", "second"]


SOURCE = "sources:\n  transactions: {path: t.csv}\n"
# nine aliases of nine aliases …: 8 levels stand for 9**9 (387 million) strings in under 1 KB
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True))


@pytest.mark.parametrize("text, message", [
    ("name: a\n" + SOURCE + "name: b\n", r"line 4: the key 'name' is set twice \(on lines 1 and 4\)"),
    (SOURCE + "cluster:\n  k_min: 3\n  k_max: 8\n  k_min: 4\n",
     r"line 6: the key 'cluster.k_min' is set twice \(on lines 4 and 6\)"),
    ("sources:\n  transactions: {path: t.csv, path: u.csv}\n",
     r"line 2: the key 'sources.transactions.path' is set twice \(on line 2\)"),
    (SOURCE + "rfm:\n  grid:\n  - {segment: All, r: 1-5, f: 1-5}\n  - segment: B\n    r: 1\n    segment: C\n",
     r"line 8: the key 'rfm.grid\[1\].segment' is set twice \(on lines 6 and 8\)"),
])
def test_a_key_set_twice_is_refused_with_both_lines(tmp_path, text, message):
    path = write(tmp_path, text)
    where = re.escape(str(path))
    with pytest.raises(ConfigError, match=f"config file {where}, {message}; YAML would silently keep only the last"):
        config.load(path)


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path):
    assert len(ALIAS_BOMB) < 1024
    path = write(tmp_path, SOURCE + ALIAS_BOMB)
    where = re.escape(str(path))
    with pytest.raises(ConfigError, match=rf"config file {where}, line 4: the YAML alias \*a is not allowed in a "
                                          "config: aliases .* can make a small file expand into an enormous structure"):
        config.load(path)
    with pytest.raises(ConfigError, match=r"line 3: the YAML alias \*k"):  # any alias, however small
        config.load(write(tmp_path, SOURCE + "cluster: {k_min: &k 3, k_max: *k}\n"))
    assert config.load(write(tmp_path, SOURCE + "name: &n x\n"))["name"] == "x", "an anchor alone repeats nothing"


@pytest.mark.parametrize("item, message", [("spark.conf={a: 1, a: 2}", "the key 'a' is set twice"),
                                           ("cluster.features=[&f a, *f]", r"the YAML alias \*f is not allowed")])
def test_an_override_may_not_repeat_a_key_or_use_an_alias(item, message):
    with pytest.raises(ConfigError, match=f"override '{re.escape(item)}': {message}"):
        config.parse_override(item)


@pytest.mark.parametrize("text, message", [(SOURCE + ALIAS_BOMB, r"line 4: the YAML alias \*a"),
                                           ("name: a\n" + SOURCE + "name: b\n", "line 4: the key 'name' is set twice")])
def test_custseg_run_refuses_them_in_one_line(tmp_path, capsys, text, message):
    from custseg.report import cli

    path = write(tmp_path, text)
    assert cli.main(["run", str(path), "--workdir", str(tmp_path / "w")]) == 1
    err = capsys.readouterr().err
    assert re.search(f"^custseg: error: config file {re.escape(str(path))}, {message}", err), err
    assert "Traceback" not in err and not (tmp_path / "w").exists()


@pytest.mark.parametrize(("outcomes", "expected"), [
    ("[Churn]", {"Churn": None}),
    ("[Churn, {Purchase: higher_is_better}]", {"Churn": None, "Purchase": "higher_is_better"}),
    ("{churned: lower_is_better, revenue: null}", {"churned": "lower_is_better", "revenue": None}),
])
def test_outcomes_take_names_and_directions(tmp_path, outcomes, expected):
    source = "sources:\n  customers: {path: c.csv}\n"
    cfg = config.load(write(tmp_path, f"{source}outcomes: {outcomes}\n"))
    assert cfg["outcomes"] == expected
    assert config.from_dict(cfg)["outcomes"] == expected, "a saved run's config validates again"


@pytest.mark.parametrize(("outcomes", "message"), [
    ("[{Purchase: up}]", "'outcomes.Purchase' must be higher_is_better or lower_is_better"),
    ("[{a: higher_is_better, b: lower_is_better}]", "one-key mapping"),
    ("[Churn, Churn]", "names 'Churn' twice"),
    ("[[Churn]]", "each entry is a column name"),
])
def test_bad_outcome_directions_are_named(tmp_path, outcomes, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        config.load(write(tmp_path, f"sources:\n  customers: {{path: c.csv}}\noutcomes: {outcomes}\n"))
