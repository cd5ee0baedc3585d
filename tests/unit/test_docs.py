"""The documentation site: the generated references cover the code, and `make docs` builds with --strict."""

import dataclasses
import importlib.util
import os
import re
import subprocess
import sys

import pytest

from custseg import config, io, pipeline
from custseg.config import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"


def _hook():
    spec = importlib.util.spec_from_file_location("docs_reference_hook", DOCS / "hooks" / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hook():
    return _hook()


@pytest.fixture(scope="module")
def pages(hook):
    return hook.pages()


def _leaves(spec, prefix=""):
    for key, value in spec.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def test_the_configuration_reference_lists_every_key_and_its_choices(pages):
    page = pages["reference/configuration.md"]
    first_source = next(iter(config.DEFAULTS["sources"]))
    for key in _leaves(config.DEFAULTS):
        if key.startswith("sources."):
            role, leaf = key.split(".")[1:]
            shared = all(leaf in spec for spec in config.DEFAULTS["sources"].values())
            key = f"sources.{first_source}.{leaf}" if shared else key  # the shared keys are listed once
        assert f"| `{key}` |" in page, key
    for key, allowed in config.CHOICES.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{key}` |"))
        assert all(f"`{value}`" in row for value in allowed), key
    assert "| `cluster.k_max` | `8` | number |" in page, "defaults and types come from DEFAULTS"
    assert "ward and hdbscan are fitted on a sample" in page, "the comment beside a key is its text"


def test_the_stage_reference_lists_every_stage_and_artefact(pages):
    page = pages["reference/stages.md"]
    for s in pipeline.STAGES:
        assert f"## `{s.name}` {{#{s.name}}}" in page
        for name in (*s.reads, *s.writes, *s.maybe_reads, *s.maybe_writes):
            assert f"`{name}`" in page, (s.name, name)
    for name, art in io.ARTEFACTS.items():
        assert f"| `{name}` | `" in page and art.file in page, name


def test_the_stage_reference_tolerates_new_stage_attributes(hook):
    @dataclasses.dataclass(frozen=True)
    class Stage:  # the registry's shape, plus an attribute the generator has never heard of
        name: str
        reads: tuple
        writes: tuple
        config: tuple
        maybe_reads: tuple = ()
        maybe_writes: tuple = ()
        body: object = None
        timeout_s: int = 60

    page = hook.stages_page([Stage("01_collect", (), ("validation", "not_an_artefact"), ("privacy",),
                                   body=len)], io.ARTEFACTS, {"privacy"})
    assert "**body**: `builtins.len`" in page and "**timeout s**: `60`" in page
    assert "`not_an_artefact`" in page and "[`privacy`](configuration.md#privacy)" in page


def test_key_docs_survive_a_config_written_otherwise(hook):
    assert hook.key_docs("DEFAULTS = build_defaults()\n") == {}
    assert hook.key_docs("this is not python (") == {}
    source = 'DEFAULTS = {\n    # the run\n    "name": "x",  # its folder\n}\n'
    assert hook.key_docs(source) == {"name": "the run its folder"}


def test_the_generated_pages_are_not_committed(hook):
    for uri in (hook.CONFIG_PAGE, hook.STAGES_PAGE):
        assert not (DOCS / uri).exists(), f"docs/{uri} is generated at build time: do not commit it"
    assert "/site/" in (PROJECT_ROOT / ".gitignore").read_text().splitlines()


def test_make_docs_installs_the_extra_and_builds_strict():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    recipe = makefile.split("\ndocs: ", 1)[1].split("\n\n", 1)[0]
    assert '-c requirements.lock -e ".[docs]"' in recipe and "mkdocs build --strict" in recipe
    assert re.search(r"^make docs$", (PROJECT_ROOT / ".ci" / "run").read_text(), re.M), "CI builds the site"
    import tomllib

    extra = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["docs"]
    lock = {line.split("==")[0].lower() for line in (PROJECT_ROOT / "requirements.lock").read_text().splitlines()
            if "==" in line}
    for requirement in extra:
        assert re.split(r"[<>=~ \[]", requirement, maxsplit=1)[0].lower() in lock, requirement


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
                    reason="mkdocs is not installed: make docs installs the docs extra")
def test_the_site_builds_strict(tmp_path):
    """What `make docs` runs, into a temp dir: a broken link, anchor or nav entry fails it."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    config_page = (tmp_path / "site" / "reference" / "configuration.html").read_text(encoding="utf-8")
    assert "cluster.k_max" in config_page
    assert (tmp_path / "site" / "reference" / "stages.html").is_file()
    assert not (tmp_path / "site" / "hooks").exists(), "the hook is not published"
