"""MkDocs hook: the configuration and stage references and the glossary, generated from the code at build time.

* ``reference/configuration.md`` from :data:`custseg.config.DEFAULTS` — every key, its default and type —,
  the comments written beside each key in ``config/defaults.py`` and the allowed values (``config.CHOICES`` and any
  other mapping of dotted keys to a tuple of values, ``ENGINES``, ``LANGUAGES``, ``DATE_KEYS``);
* ``reference/stages.md`` from the registry :data:`custseg.pipeline.STAGES` (``name, reads, writes, config,
  maybe_reads, maybe_writes``; any other attribute of a stage is listed as it is) and the artefacts of
  :data:`custseg.io.ARTEFACTS` (``folder, file, format, doc``);
* ``method/glossary.md`` from ``lib/custseg/templates/glossary.yaml`` (:func:`custseg.report.glossary.markdown`):
  the method's terms in English and 简体中文, the same glossary every report shows as ``glossary.html``.

The pages exist only in the build (``on_files`` adds them as generated files): nothing is written into
``docs/``. ``python docs/hooks/reference.py DIR`` writes them into DIR to read them without MkDocs.
"""

from __future__ import annotations

import ast
import dataclasses
import io as _io
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG_PAGE = "reference/configuration.md"
STAGES_PAGE = "reference/stages.md"
GLOSSARY_PAGE = "method/glossary.md"
# where each run folder of an artefact is (custseg.io.run_paths)
FOLDERS = {"interim": "data/interim/<run>/", "processed": "data/processed/<run>/", "reports": "reports/<run>/",
           "raw": "data/raw/<name>/"}
KNOWN_STAGE_FIELDS = ("name", "doc", "reads", "maybe_reads", "writes", "maybe_writes", "scratch", "config")


def _import():
    """custseg from this checkout (the docs describe the code next to them, whatever the venv has installed)."""
    lib = str(ROOT / "lib")
    if lib not in sys.path:
        sys.path.insert(0, lib)
    from custseg import config, io, pipeline

    return config, io, pipeline


# ------------------------------------------------------------------------------------------- configuration


def _comments(source: str) -> tuple[dict[int, str], set[int]]:
    """Comments by line, and the lines that hold nothing but a comment."""
    found, alone = {}, set()
    for tok in tokenize.generate_tokens(_io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            row = tok.start[0]
            found[row] = tok.string.lstrip("#").strip()
            if not tok.line[: tok.start[1]].strip():
                alone.add(row)
    return found, alone


def key_docs(source: str) -> dict[str, str]:
    """``{dotted key: text}`` from the comments beside the keys of the ``DEFAULTS`` literal (config/defaults.py).

    A key's text is the block of comment lines right above it plus the comment at the end of its entry.
    Keys of a mapping built by a helper function of the module (``_source(...)``) are read from the mapping
    that function returns. Anything not written this way is simply left undocumented (never an error).
    """
    try:
        tree = ast.parse(source)
        comments, alone = _comments(source)
    except (SyntaxError, tokenize.TokenError):
        return {}
    helpers = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Return) and isinstance(sub.value, ast.Dict):
                    helpers[node.name] = sub.value
    docs: dict[str, str] = {}

    def text_for(start: int, end: int, shared_lines: set[int], parent_lines: set[int]) -> str:
        above = []
        row = start - 1
        while row in alone and start not in parent_lines:  # a key on its parent's line has the parent's comments
            above.insert(0, comments[row])
            row -= 1
        trailing = comments.get(end) if end not in alone | shared_lines | parent_lines else None
        return " ".join([*above, *([trailing] if trailing else [])]).strip()

    def walk(entries: list[tuple[str, ast.AST, ast.AST]], prefix: str, parent_lines: set[int]) -> None:
        starts = [key_node.lineno for _, key_node, _ in entries]
        ends = [value.end_lineno for _, _, value in entries]
        for i, (name, key_node, value) in enumerate(entries):
            others = set(starts[:i] + starts[i + 1:]) | set(ends[:i] + ends[i + 1:])
            dotted = f"{prefix}{name}"
            doc = text_for(key_node.lineno, value.end_lineno, others, parent_lines)
            if doc:
                docs[dotted] = doc
            here = {key_node.lineno, value.end_lineno}
            if isinstance(value, ast.Dict):
                walk(_entries(value), dotted + ".", here)
            elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in helpers:
                inner = _entries(helpers[value.func.id])
                inner += [(kw.arg, kw, kw.value) for kw in value.keywords if kw.arg]
                walk(inner, dotted + ".", here)

    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        if isinstance(target, ast.Name) and target.id == "DEFAULTS" and isinstance(node.value, ast.Dict):
            walk(_entries(node.value), "", set())
    return docs


def _entries(node: ast.Dict) -> list[tuple[str, ast.AST, ast.AST]]:
    return [(k.value, k, v) for k, v in zip(node.keys, node.values, strict=True)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)]


def _choices(config, leaves: set[str]) -> dict[str, tuple]:
    """Allowed values per dotted key: every module-level mapping of config keys to a tuple or list of values
    (``CHOICES`` today), plus ``engine`` and ``language``."""
    out: dict[str, tuple] = {}
    for value in vars(config).values():
        if isinstance(value, dict) and value and all(isinstance(k, str) and k in leaves for k in value) \
                and all(isinstance(v, (tuple, list, set, frozenset)) for v in value.values()):
            out.update({k: tuple(v) for k, v in value.items()})
    for key, name in (("engine", "ENGINES"), ("language", "LANGUAGES")):
        if isinstance(getattr(config, name, None), (tuple, list)):
            out.setdefault(key, tuple(getattr(config, name)))
    return out


def _yaml(value) -> str:
    import yaml

    if isinstance(value, str) and value == "":
        return "''"
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    return text.removesuffix("...").strip()


def _prose(text: str) -> str:
    """Comment text as Markdown prose: braces escaped (attr_list would read a trailing {…} as attributes)."""
    return text.replace("{", "\\{").replace("}", "\\}")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if "`" not in text else _cell(text)


def _leaf(config, spec):
    """(default, type text) of one DEFAULTS leaf."""
    any_of = getattr(config, "ANY_OF", None)
    if any_of is not None and isinstance(spec, any_of):
        names = [_type_name(t) for t in spec.types]
        return spec.default, " · ".join(dict.fromkeys([*names, "null"]))
    return spec, _type_name(type(spec))


def _type_name(t) -> str:
    import datetime as dt

    return {bool: "true/false", int: "number", float: "number", str: "text", list: "list", dict: "mapping",
            dt.date: "date"}.get(t, getattr(t, "__name__", str(t)))


def _is_section(config, spec) -> bool:
    return isinstance(spec, dict)


def _rows(config, spec: dict, prefix: str, docs, choices, dates) -> list[str]:
    rows = []
    for key, value in spec.items():
        dotted = f"{prefix}{key}"
        if _is_section(config, value):
            if docs.get(dotted):
                rows.append(f"| **`{dotted}.*`** | | | {_cell(_prose(docs[dotted]))} |")
            rows += _rows(config, value, dotted + ".", docs, choices, dates)
            continue
        default, kind = _leaf(config, value)
        if dotted in dates:
            kind = "date" + (" · null" if "null" in kind else "")
        allowed = choices.get(dotted)
        if allowed and None not in allowed:
            kind = kind.replace(" · null", "")  # validated against its choices: null is not one of them
        doc = _prose(docs.get(dotted, ""))
        if allowed:
            one = "each one of" if isinstance(default, list) else "one of"
            doc = f"{doc} *({one}: {', '.join(f'`{_cell(str(a))}`' for a in allowed)})*".strip()
        shown = str(default) if dotted in dates and default is not None else _yaml(default)
        rows.append(f"| `{dotted}` | {_code(shown)} | {kind} | {_cell(doc)} |")
    return rows


HEADER = "| key | default | type | what it does |\n|---|---|---|---|"


def configuration_page() -> str:
    config, _, _ = _import()
    defaults = config.DEFAULTS
    where = Path(getattr(getattr(config, "defaults", None), "__file__", None) or config.__file__)
    try:
        source = where.read_text(encoding="utf-8")
    except OSError:
        source = ""
    docs = key_docs(source)
    leaves = set(_flatten(config, defaults))
    choices = _choices(config, leaves)
    dates = set(getattr(config, "DATE_KEYS", ()))
    out = [
        "# Configuration reference",
        "",
        "*Generated from `custseg.config.DEFAULTS` when the site is built (`make docs`): the keys, their defaults",
        "and types are the code's; the text is the comment written beside each key in "
        f"`{where.relative_to(ROOT) if where.is_relative_to(ROOT) else where.name}`.*",
        "",
        "A config is a YAML file merged over these defaults. An unknown key or a value of the wrong type is an",
        "error that names the key; `custseg run CONFIG --set KEY=VALUE` overrides any key by its dotted name (the",
        "value is YAML). *null* means the key may be left empty; a date may be written quoted or not.",
        "",
    ]
    top = {k: v for k, v in defaults.items() if not _is_section(config, v)}
    if top:
        out += ["## Top-level keys {#top-level-keys}", "", HEADER, *_rows(config, top, "", docs, choices, dates), ""]
    for key, value in defaults.items():
        if not _is_section(config, value):
            continue
        out += [f"## `{key}` {{#{key}}}", ""]
        if docs.get(key):
            out += [_prose(docs[key]), ""]
        children = list(value.values())
        if len(children) >= 2 and all(isinstance(c, dict) for c in children):
            out += _shared_section(config, key, value, docs, choices, dates)
        else:
            out += [HEADER, *_rows(config, value, key + ".", docs, choices, dates), ""]
    return "\n".join(out) + "\n"


def _shared_section(config, key, value, docs, choices, dates) -> list[str]:
    """A section whose entries all have the same shape (``sources``): the shared keys once, then each entry's own."""
    shared = set.intersection(*(set(c) for c in value.values()))
    first = next(iter(value))
    out = ["| entry | its own keys | what it is |", "|---|---|---|"]
    for name, spec in value.items():
        own = [k for k in spec if k not in shared]
        out.append(f"| `{key}.{name}` | {', '.join(f'`{k}`' for k in own) or '—'} | "
                   f"{_cell(_prose(docs.get(f'{key}.{name}', '')))} |")
    out += ["", f"### Keys of every entry of `{key}`", "",
            f"Shown for `{key}.{first}`; the same keys, defaults and meaning hold for every entry.", "",
            HEADER]
    out += _rows(config, {k: v for k, v in value[first].items() if k in shared}, f"{key}.{first}.",
                 docs, choices, dates)
    own_rows = []
    for name, spec in value.items():
        own = {k: v for k, v in spec.items() if k not in shared}
        own_rows += _rows(config, own, f"{key}.{name}.", docs, choices, dates)
    if own_rows:
        out += ["", f"### Keys of one entry of `{key}`", "", HEADER, *own_rows]
    return [*out, ""]


def _flatten(config, spec: dict, prefix: str = ""):
    for key, value in spec.items():
        if _is_section(config, value):
            yield from _flatten(config, value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


# ------------------------------------------------------------------------------------------------ stages


def _stage_fields(stage) -> list[str]:
    """The stage's attributes: its dataclass fields (or public non-callable attributes), known ones first."""
    if dataclasses.is_dataclass(stage):
        names = [f.name for f in dataclasses.fields(stage)]
    else:
        names = [n for n, v in vars(stage).items() if not n.startswith("_")]
    return [n for n in KNOWN_STAGE_FIELDS if hasattr(stage, n)] + [n for n in names if n not in KNOWN_STAGE_FIELDS]


def _value_text(value) -> str:
    if callable(value):
        return f"`{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', repr(value))}`".replace("`.", "`")
    if isinstance(value, (tuple, list, set, frozenset)):
        return ", ".join(f"`{v}`" for v in value) or "—"
    return f"`{value}`" if value not in (None, "") else "—"


def _config_link(dotted: str, sections: set[str]) -> str:
    head = dotted.split(".", 1)[0]
    anchor = head if head in sections else "top-level-keys"
    return f"[`{dotted}`](configuration.md#{anchor})"


def _artefact_line(name: str, artefacts: dict) -> str:
    art = artefacts.get(name)
    if art is None:
        return f"- `{name}`"
    folder = FOLDERS.get(getattr(art, "folder", ""), f"{getattr(art, 'folder', '')}/")
    doc = getattr(art, "doc", "")
    return f"- `{name}` — `{folder}{getattr(art, 'file', '')}` ({getattr(art, 'format', '')})" + \
        (f": {doc}" if doc else "")


def stages_page(stages=None, artefacts=None, sections=None) -> str:
    if stages is None or artefacts is None or sections is None:
        config, io, pipeline = _import()
        stages = pipeline.STAGES if stages is None else stages
        artefacts = io.ARTEFACTS if artefacts is None else artefacts
        sections = {k for k, v in config.DEFAULTS.items() if isinstance(v, dict)} if sections is None else sections
    labels = {"reads": "Reads", "maybe_reads": "Reads when they exist", "writes": "Writes",
              "maybe_writes": "Writes when the data or config has them",
              "scratch": "Writes and reads back within the stage (removed when it ends)"}
    out = [
        "# Stage reference",
        "",
        "*Generated from the pipeline registry `custseg.pipeline.STAGES` and the artefacts of `custseg.io.ARTEFACTS`",
        "when the site is built (`make docs`).*",
        "",
        "Each stage is one notebook. It refuses to run when an input is missing or was made with another",
        "configuration, naming the stage to run first; its fingerprint covers the config keys listed under",
        "*Depends on*, so changing one of them makes this stage and the stages after it stale",
        "(`custseg run --from` says which).",
        "",
        "| stage | reads | writes | depends on |",
        "|---|---|---|---|",
    ]
    for s in stages:
        reads = [*getattr(s, "reads", ()), *(f"({n})" for n in getattr(s, "maybe_reads", ()))]
        writes = [*getattr(s, "writes", ()), *(f"({n})" for n in getattr(s, "maybe_writes", ()))]
        out.append(f"| [`{s.name}`](#{s.name}) | {', '.join(reads) or '—'} | {', '.join(writes) or '—'} | "
                   f"{', '.join(getattr(s, 'config', ())) or '—'} |")
    out += ["", "In brackets: read or written only when they exist (a survey, a holdout, a configured campaign).", ""]
    for s in stages:
        out += [f"## `{s.name}` {{#{s.name}}}", ""]
        for field in _stage_fields(s):
            if field == "name":
                continue
            value = getattr(s, field)
            if field == "doc":
                out += [value, ""] if value else []
            elif field in labels:
                if value:
                    out += [f"**{labels[field]}**", "", *(_artefact_line(n, artefacts) for n in value), ""]
            elif field == "config":
                links = ", ".join(_config_link(k, sections) for k in value) or "no config key"
                out += [f"**Depends on** {links}", ""]
            else:
                out += [f"**{field.replace('_', ' ')}**: {_value_text(value)}", ""]
    producer = {n: s.name for s in stages for n in (*getattr(s, "writes", ()), *getattr(s, "maybe_writes", ()))}
    readers: dict[str, list[str]] = {}
    for s in stages:
        for n in (*getattr(s, "reads", ()), *getattr(s, "maybe_reads", ())):
            readers.setdefault(n, []).append(s.name)
    out += ["## Every artefact {#artefacts}", "",
            "| artefact | file | format | what | written by | read by |", "|---|---|---|---|---|---|"]
    for name, art in artefacts.items():
        folder = FOLDERS.get(getattr(art, "folder", ""), f"{getattr(art, 'folder', '')}/")
        out.append(f"| `{name}` | `{folder}{getattr(art, 'file', '')}` | {getattr(art, 'format', '')} | "
                   f"{_cell(getattr(art, 'doc', ''))} | {producer.get(name, '—')} | "
                   f"{', '.join(readers.get(name, [])) or '—'} |")
    return "\n".join(out) + "\n"


def glossary_page() -> str:
    _import()
    from custseg.report import glossary

    return glossary.markdown()


def pages() -> dict[str, str]:
    return {CONFIG_PAGE: configuration_page(), STAGES_PAGE: stages_page(), GLOSSARY_PAGE: glossary_page()}


# ------------------------------------------------------------------------------------------------ mkdocs


def on_files(files, config):
    from mkdocs.structure.files import File

    for uri, text in pages().items():
        existing = files.get_file_from_path(uri)
        if existing is not None:  # a stale copy in docs/: the generated page wins
            files.remove(existing)
        files.append(File.generated(config, uri, content=text))
    return files


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    for uri, text in pages().items():
        path = target / uri
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(path)
