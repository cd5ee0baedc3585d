"""The package's import graph: no cycles, and every import goes with the flow of the method (never up it).

Function-level imports count too: a cycle hidden inside a function is still a cycle.
"""

import ast
from pathlib import Path

import custseg

PACKAGE = Path(custseg.__file__).parent
# data flows down this list: a module may import modules above it (or of its own package), never below
# (i18n, the catalogues, imports nothing of custseg: every step says what it did in the run's language)
FLOW = ["errors", "env", "i18n", "schema", "stats", "rfm", "reference", "attributes", "relations", "factors",
        "features", "cluster", "config", "io", "engine", "sources", "init", "demo", "collect", "clean", "describe",
        "phrases", "profile",
        "personas", "plots", "rule_segments", "evaluate", "services", "offers", "target", "positioning", "campaign",
        "published",
        "headlines", "pipeline", "scoring", "serve", "report", "exercises",
        "quiz"]  # the notebooks' exercises and quizzes read the needs of custseg.report


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("custseg", *parts[:-1])) if parts[-1] == "__init__" else ".".join(("custseg", *parts))
        out[name] = path
    return out


def imports(path: Path, known: set[str]) -> set[str]:
    """The custseg modules a file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("custseg")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("custseg"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
    return {m for m in found if m in known}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(path, set(mods)) - {name} for name, path in mods.items()}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_has_a_place_in_the_flow():
    unplaced = sorted({layer(m) for m in graph()} - set(FLOW) - {""})
    assert not unplaced, f"add {unplaced} to FLOW in {__file__}"


def test_no_import_cycle():
    g = graph()
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in sorted(g[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " → ".join([*trail[trail.index(nxt):], nxt]))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(g):
        if start not in state:
            visit(start, [start])


def test_no_import_against_the_flow():
    against = []
    for module, targets in graph().items():
        if module == "custseg":
            continue
        for target in targets:
            if target == "custseg":
                continue
            mine, theirs = FLOW.index(layer(module)), FLOW.index(layer(target))
            if theirs > mine:
                against.append(f"{module} imports {target}")
    assert not against, against


def test_the_check_finds_a_cycle(tmp_path, monkeypatch):
    """The cycle finder itself: two modules importing each other inside functions are a cycle."""
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "a.py").write_text("def f():\n    from custseg import b\n")
    (tmp_path / "b.py").write_text("def g():\n    from custseg import a\n")
    monkeypatch.setitem(globals(), "PACKAGE", tmp_path)
    g = graph()
    assert g["custseg.a"] == {"custseg.b"} and g["custseg.b"] == {"custseg.a"}
    try:
        test_no_import_cycle()
    except AssertionError as err:
        assert "custseg.a → custseg.b → custseg.a" in str(err)
    else:
        raise AssertionError("the cycle was not found")


def test_no_module_of_the_package_is_over_500_lines():
    """One job per file: a module that grows past 500 lines is doing more than one and is split by its jobs."""
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 500}
    assert not long, long
