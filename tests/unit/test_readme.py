"""The README is the first screen: short, every command in it exercised by a named test, every link alive."""

import ast
import re
import tomllib

import yaml

from custseg import config
from custseg.config import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
MAX_LINES = 120
# executables whose lines in a code block, or inline code spans, are commands
EXECUTABLES = ("make", "custseg", "cp", "conda", "pip", "python", "jupyter", "mkdocs", "pytest")

# Every command the README shows -> the tests that exercise it ("path::function"). A new command in the README
# needs a row here, and the row needs tests that exist.
TESTED_BY = {
    "make report": [  # `custseg run configs/demo.yaml`, which the demo_run fixture runs
        "tests/unit/test_readme.py::test_make_report_runs_the_demo_config",
        "tests/e2e/test_run.py::test_artifacts",
        "tests/e2e/test_run.py::test_planted_personas_are_recovered",
        "tests/e2e/test_run.py::test_report_loads_in_chromium",
    ],
    "make test": [
        "tests/unit/test_readme.py::test_make_test_runs_every_tier_and_ci_runs_it",
    ],
    "make bench": [  # the harness on small logs: the contenders agree, failures are rows, targets judged
        "tests/unit/test_bench.py::test_contenders_return_the_same_customers",
        "tests/unit/test_bench.py::test_targets_are_judged",
        "tests/unit/test_bench.py::test_the_cost_curve_draws_each_series_and_reports_its_slope",
    ],
    "make docs": [
        "tests/unit/test_docs.py::test_make_docs_installs_the_extra_and_builds_strict",
        "tests/unit/test_docs.py::test_the_site_builds_strict",
        "tests/unit/test_docs.py::test_the_configuration_reference_lists_every_key_and_its_choices",
        "tests/unit/test_docs.py::test_the_stage_reference_lists_every_stage_and_artefact",
    ],
    "conda env create -f environment.yml": [
        "tests/unit/test_packaging.py::test_environment_yml_installs_this_package_with_the_lock",
    ],
    "cp configs/log_only_example.yaml configs/mystore.yaml": [
        "tests/unit/test_readme.py::test_the_first_run_edits_keys_the_example_has",
        "tests/unit/test_config.py::test_shipped_configs_are_valid",
        "tests/e2e/test_log_only.py::test_custseg_beats_the_same_k_rivals_on_a_log_only_holdout",
    ],
    "custseg run orders.csv": [  # a user's export with no config: init writes it, then the run publishes
        "tests/e2e/test_init_exports.py::test_custseg_run_file_writes_the_config_and_publishes_a_report",
        "tests/e2e/test_init_exports.py::test_written_configs_run_and_publish",
    ],
    "custseg init orders.csv customers.xlsx": [  # init only: the proposal, the prompt, never overwriting
        "tests/unit/test_init.py::test_init_through_the_cli_asks_on_stdin",
        "tests/unit/test_init.py::test_the_written_config_is_commented_valid_and_never_overwritten",
        "tests/e2e/test_init_exports.py::test_init_proposes_the_roles_outcomes_and_personal_data",
    ],
    "custseg run configs/mystore.yaml": [  # a user's own log (demo off) through the CLI, and its errors
        "tests/e2e/test_messy_cli.py::test_a_messy_log_with_one_day_of_data_publishes_an_honest_report",
        "tests/e2e/test_messy_cli.py::test_custseg_run_shows_one_clear_error_for_a_bad_source",
        "tests/e2e/test_runner.py::test_cli_prints_one_line_and_no_traceback",
    ],
}


def _normalise(command: str) -> str:
    command = re.sub(r"\s+#.*$", "", command.strip())
    command = re.sub(r"^(\./)?\.venv/bin/", "", command)
    return " ".join(command.split())


def _is_command(text: str) -> bool:
    first = _normalise(text).split(" ", 1)[0] if text.strip() else ""
    return first in EXECUTABLES and " " in _normalise(text)


def readme_commands(text: str) -> list[str]:
    """The commands of a README: each line of a bash/sh/console code block, and inline code that is a command."""
    found = []
    for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M):
        if lang in ("bash", "sh", "shell", "console", ""):
            found += [_normalise(line.removeprefix("$ ")) for line in body.splitlines()
                      if line.strip() and not line.lstrip().startswith("#")]
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    found += [_normalise(span) for span in re.findall(r"`([^`\n]+)`", prose) if _is_command(span)]
    return list(dict.fromkeys(found))


def _defined_tests(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_readme_is_at_most_120_lines():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_LINES, f"README.md has {len(lines)} lines: move the detail into docs/"


def test_every_readme_command_is_tested():
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert "make report" in commands and "make test" in commands
    untested = [c for c in commands if c not in TESTED_BY]
    assert not untested, f"README commands without a row in TESTED_BY: {untested}"
    for command, tests in TESTED_BY.items():
        assert tests, command
        for ref in tests:
            path, name = ref.split("::")
            assert (PROJECT_ROOT / path).is_file(), ref
            assert name in _defined_tests(PROJECT_ROOT / path), f"{ref} (for {command!r}) does not exist"


def test_the_command_extraction_finds_blocks_and_inline_commands():
    text = ("```bash\nmake report   # the demo\n# a comment\n.venv/bin/custseg run x.yaml --set a=1\n```\n"
            "Run `make lab` or `custseg assign reports/demo t.csv`, not `name: x` or `.venv/bin/custseg`.\n"
            "```yaml\nname: demo\n```\n")
    assert readme_commands(text) == ["make report", "custseg run x.yaml --set a=1", "make lab",
                                     "custseg assign reports/demo t.csv"]


def test_readme_links_into_docs_point_to_existing_files():
    text = README.read_text(encoding="utf-8")
    links = [target.split("#", 1)[0] for target in re.findall(r"\]\(([^)\s]+)\)", text)
             if not re.match(r"[a-z]+://", target)]
    assert any(link.startswith("docs/") for link in links), "the README points into docs/"
    missing = [link for link in links if link and not (PROJECT_ROOT / link).is_file()]
    assert not missing, f"README links to files that do not exist: {missing}"
    nav = yaml.safe_load((PROJECT_ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    pages = set(re.findall(r"[\w/.-]+\.md", str(nav)))
    unlisted = [link for link in links if link.startswith("docs/") and link.removeprefix("docs/") not in pages]
    assert not unlisted, f"README links to docs pages that are not in the site's nav: {unlisted}"


def _makefile_recipe(target: str) -> list[str]:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    block = makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.splitlines()[1:] if line.startswith("\t")]


def test_make_report_runs_the_demo_config():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert re.search(r"^CONFIG \?= configs/demo\.yaml$", makefile, re.M)
    assert _makefile_recipe("report") == ["$(BIN)/custseg run $(CONFIG)"]
    demo = config.load(PROJECT_ROOT / "configs" / "demo.yaml")
    assert demo["name"] == "demo" and demo["demo"]["enabled"], "-> generates the data, reports/demo/index.html"


def test_make_test_runs_every_tier_and_ci_runs_it():
    assert _makefile_recipe("test") == ["$(BIN)/python -m pytest -n auto --dist loadgroup"]  # every tier, xdist
    pytest_options = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert pytest_options["testpaths"] == ["tests"]
    assert {p.name for p in (PROJECT_ROOT / "tests").iterdir() if p.is_dir() and p.name != "__pycache__"} \
        >= {"unit", "notebooks", "e2e"}
    ci = (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
    assert "make test" in ci, ".ci/run runs the README's test command"


def test_make_test_keeps_each_group_on_one_worker(request):
    """Each file (and the files sharing a whole run) is one xdist group; under `make test` pytest-xdist must
    really group them: pytest 9.2 silently stopped it (the lock pins 9.1.1), and the shared runs then ran twice
    and the runner tests out of order."""
    assert [m.args for m in request.node.iter_markers("xdist_group")] == [("test_readme.py",)]
    if getattr(request.config.option, "loadgroup", False):  # a worker of `pytest -n N --dist loadgroup`
        assert request.node.nodeid.endswith("@test_readme.py"), "xdist ignored the group: see requirements.lock"


def test_the_first_run_edits_keys_the_example_has():
    """The README's steps name keys of the copied example: each exists there and is a config key."""
    readme = README.read_text(encoding="utf-8")
    steps = readme.split("## A first run on your own data", 1)[1].split("\n## ", 1)[0]
    example = yaml.safe_load((PROJECT_ROOT / "configs" / "log_only_example.yaml").read_text())
    keys = ("name", "demo.enabled", "paths.raw", "sources.transactions.path", "sources.transactions.columns",
            "privacy.pii_columns")
    for key in keys:
        node = example
        for part in key.split("."):
            assert part in node, f"{key} is not in configs/log_only_example.yaml"
            node = node[part]
        assert f"`{key.rsplit('.', 1)[-1]}" in steps or f"`{key}" in steps, key
    assert set(example["sources"]["transactions"]["columns"]) == {"customer_id", "order_ts", "amount"}
    assert config.load(PROJECT_ROOT / "configs" / "log_only_example.yaml", {"demo.enabled": False})


def test_make_test_fast_timing_is_stated_once_the_same_way():
    """The Makefile comment and the docs say the same about the unit tier (they had drifted: 2 min vs 1)."""
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    said = re.search(r"# the unit tier only, for the edit-test loop \((about [^)]+)\)\ntest-fast:", makefile).group(1)
    for page in ("docs/user-guide/installing.md", "docs/developer/tests.md"):
        text = (PROJECT_ROOT / page).read_text(encoding="utf-8")
        assert said in text, page
        assert not re.search(r"test-fast.{0,80}≈", text, re.S), f"{page} states another time for make test-fast"
