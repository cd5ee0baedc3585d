"""environment.yml (conda) and pip must install the same package with the same pins."""

import tomllib

import yaml

from custseg.config import PROJECT_ROOT


def test_environment_yml_installs_this_package_with_the_lock():
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-c requirements.lock" in pip_section
    assert any(line.startswith("-e .") for line in pip_section)
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11" and python == "python=3.11"


def test_lock_pins_the_fragile_dependencies():
    lock = dict(line.split("==") for line in (PROJECT_ROOT / "requirements.lock").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    major, minor = (int(x) for x in lock["sqlglot"].split(".")[:2])
    assert (major, minor) < (30, 18)
    assert int(lock["duckdb"].split(".")[0]) < 2
    assert int(lock["pandas"].split(".")[0]) >= 3


def test_every_third_party_import_is_a_declared_dependency():
    """A fresh `pip install .` must bring everything the package imports (a local venv can hide a gap)."""
    import ast
    import re
    import sys

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    # the spark and serve extras are imported lazily (engine: pyspark; custseg serve), each with an install hint
    extras = project["optional-dependencies"]
    declared = {re.split(r"[\[<>=~ ;]", d, maxsplit=1)[0].lower().replace("-", "_")
                for d in project["dependencies"] + extras["spark"] + extras["serve"]}
    distribution = {"PIL": "pillow", "yaml": "pyyaml", "sklearn": "scikit_learn", "ibis": "ibis_framework",
                    "bs4": "beautifulsoup4", "IPython": "ipython"}
    imported = set()
    for path in (PROJECT_ROOT / "lib" / "custseg").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m not in ("custseg", "__future__")}
    missing = sorted(m for m in third_party if distribution.get(m, m) not in declared)
    assert not missing, f"imported but not in pyproject dependencies: {missing}"
