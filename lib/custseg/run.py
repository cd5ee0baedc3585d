"""``custseg run CONFIG``: execute the notebooks in order with papermill and assemble the report.

One run writes ``reports/<run>/``: executed notebooks, one HTML per notebook without code, figures,
persona cards, ``segments.csv``, ``run.json`` (resolved config, versions, timings, row counts) and an
``index.html`` that opens with an executive summary and links everything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

import nbformat
import papermill as pm
from nbconvert import HTMLExporter
from tqdm.auto import tqdm

from custseg import config, i18n, io, personas
from custseg.config import PROJECT_ROOT, ConfigError

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
VERSIONED = ["custseg", "ibis-framework", "duckdb", "pandas", "scikit-learn", "seaborn", "papermill"]


class NotebookFailed(RuntimeError):
    """A notebook raised; the message names the notebook, the cell and where the partial output is."""


def notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The numbered notebooks (``NN_*.ipynb``) in run order."""
    found = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise FileNotFoundError(f"no numbered notebooks (NN_*.ipynb) in {folder}")
    return found


def check_parameters(notebook: Path, parameters: dict) -> None:
    """Fail on parameters the notebook does not declare (papermill itself only warns)."""
    declared = set(pm.inspect_notebook(str(notebook)))
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise ConfigError(f"{notebook.name} has no parameter(s) {unknown}; it declares {sorted(declared)}")


def execute(notebook: Path, output: Path, parameters: dict, progress: bool = False) -> None:
    """Execute one notebook into ``output``; raise :class:`NotebookFailed` with the failing cell.

    With ``progress`` a bar counts the notebook's cells, so a long cell (a big aggregation) shows
    where the run is rather than a notebook bar that does not move for minutes.
    """
    cells = {"desc": notebook.stem, "leave": False} if progress else False
    session = os.environ.pop("JPY_SESSION_NAME", None)  # kernels started here are never interactive
    try:
        pm.execute_notebook(str(notebook), str(output), parameters=parameters, kernel_name="python3",
                            cwd=str(notebook.parent), progress_bar=cells, log_output=False,
                            # the kernel's own warnings (e.g. about TCP on localhost) are noise to a user
                            extra_arguments=["--log-level=ERROR"])
    except pm.PapermillExecutionError as err:
        source = err.source.strip().splitlines()
        first = source[0] if source else ""
        raise NotebookFailed(
            f"{notebook.name} failed in cell {err.cell_index} ('{first[:80]}'): {err.ename}: {err.evalue}\n"
            f"The partially executed notebook is kept in {output}"
        ) from None
    finally:
        if session is not None:
            os.environ["JPY_SESSION_NAME"] = session


def to_html(executed: Path, html: Path) -> Path:
    """Render an executed notebook to HTML without code cells or prompts."""
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    return io.write_text(body, html)


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run(config_path: str | Path, name: str | None = None, overrides: dict | None = None,
        workdir: str | Path | None = None, progress: bool = True, notebook_dir: Path = NOTEBOOK_DIR) -> Path:
    """Run every notebook for a config and build the report; returns ``reports/<run>/``.

    Parameters
    ----------
    config_path : path
        The YAML config.
    name : str, optional
        Run name (folder under data/ and reports/); defaults to the config's ``name``.
    overrides : dict, optional
        Dotted config keys, e.g. ``{"cluster.k": 6}`` (validated before any notebook runs).
    workdir : path, optional
        Where ``data/`` and ``reports/`` go; defaults to the config's ``paths.workdir`` or the project.
    notebook_dir : path
        The folder of numbered notebooks to run.
    """
    overrides = overrides or {}
    cfg = config.load(config_path, overrides)  # fail fast on a bad config, before starting kernels
    cfg["run"] = name or cfg["name"]
    if workdir:
        cfg["paths"]["workdir"] = str(Path(workdir).resolve())
    paths = io.run_paths(cfg).make()
    parameters = {"config_path": str(Path(config_path).resolve()), "run_name": cfg["run"],
                  "overrides": json.dumps(overrides), "workdir": str(paths.workdir)}
    books = notebooks(notebook_dir)
    for nb in books:
        check_parameters(nb, parameters)

    timings: dict[str, float] = {}
    started = time.perf_counter()
    bar = tqdm(books, desc=f"custseg run {cfg['run']}", unit="notebook", disable=not progress)
    for nb in bar:
        bar.set_postfix_str(nb.stem)
        t0 = time.perf_counter()
        executed = paths.notebooks / nb.name
        execute(nb, executed, parameters, progress)
        to_html(executed, paths.reports / f"{nb.stem}.html")
        timings[nb.stem] = round(time.perf_counter() - t0, 2)
    timings["total"] = round(time.perf_counter() - started, 2)

    summary = _summary(paths)
    io.write_json({"run": cfg["run"], "config": config.redacted(cfg), "versions": versions(), "timings_s": timings,
                   "row_counts": summary["counts"]}, paths.reports / "run.json")
    io.write_text(render_index(cfg, paths, [nb.stem for nb in books], summary), paths.reports / "index.html")
    return paths.reports


def headlines(paths: io.RunPaths) -> list[dict]:
    """The headline blocks notebooks leave in ``reports/<run>/headlines/<notebook>.json`` for the index page.

    A generic hook: a notebook writes ``{"title", "text", "items": [{"label", "value"}], "table": [{col: value}]}``
    (every key optional) and its numbers appear on the index (``headline.html.j2``) without the page knowing it.
    """
    return [{**io.read_json(path), "stem": path.stem} for path in sorted((paths.reports / "headlines").glob("*.json"))]


def _summary(paths: io.RunPaths) -> dict:
    """What the index page and run.json need from the stage outputs."""
    snapshot = io.read_json(paths.processed / "snapshot.json")
    collected = io.read_json(paths.interim / "counts.json")
    cluster = io.read_json(paths.processed / "cluster.json")
    cards = io.read_json(paths.processed / "personas.json")
    rules = paths.processed / "rules.json"
    counts = {"customers_in": collected["customers"], "customers_kept": snapshot["customers_kept"],
              "lines_in": snapshot["lines_in"], "lines_kept": snapshot["lines_kept"],
              "lines_quarantined": snapshot["lines_quarantined"],
              "customers_segmented": sum(c["customers"] for c in cards)}
    return {"snapshot": snapshot["snapshot_date"], "counts": counts, "cluster": cluster, "cards": cards,
            "rules": io.read_json(rules) if rules.is_file() else None}


def render_index(cfg: dict, paths: io.RunPaths, stems: list[str], summary: dict) -> str:
    """The run's index page in the config's language: executive summary (segments table, share-of-spend
    chart, persona cards), links to every step and the figures with their titles and alt text."""
    from custseg import plots

    language = cfg["language"]
    names = i18n.messages(language)["ui"]["step_names"]
    steps = [(s, names.get(s.split("_", 1)[1], s.split("_", 1)[1].replace("_", " ").capitalize())) for s in stems]
    colors = plots.segment_colors()
    cards = summary["cards"]
    return i18n.render(
        "index.html.j2", language, cfg=cfg, steps=steps, colors=colors,
        figures=[io.figure_info(p) for p in sorted(paths.figures.glob("*.png"))], headlines=headlines(paths),
        cards_html=[personas.render(c, "html", colors[c["segment"] % len(colors)]) for c in cards],
        scale=max([c["value_share"] for c in cards] + [c["share"] for c in cards] + [1e-9]),
        chart_alt=i18n.messages(language)["list_sep"].join(f"{c['name']} {i18n.percent(c['value_share'])}"
                                                           for c in cards), **summary)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="custseg", description="Customer segmentation workbook")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run every notebook for a config and build reports/<run>/")
    r.add_argument("config", help="YAML config, e.g. configs/demo.yaml")
    r.add_argument("--name", help="run name (default: the config's name)")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set cluster.k=6 (repeatable)")
    r.add_argument("--workdir", help="where data/ and reports/ go (default: the project root)")
    args = parser.parse_args(argv)
    try:
        overrides = dict(config.parse_override(item) for item in args.overrides)
        out = run(args.config, args.name, overrides, args.workdir)
    except (ConfigError, NotebookFailed, FileNotFoundError) as err:
        print(f"custseg: error: {err}", file=sys.stderr)
        return 1
    print(f"report: {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
