"""``custseg run CONFIG``: execute the notebooks in order with papermill and publish the report.

One run publishes ``reports/<run>/``: executed notebooks, one HTML per notebook without code, figures,
persona cards, ``segments.csv``, ``run.json`` (resolved config, versions, timings, row counts, every stage's
headline numbers) and an ``index.html`` that opens with an executive summary and links everything.

The report is built in ``reports/<run>.building/`` and replaces ``reports/<run>/`` only when every notebook
succeeded: a failed or interrupted run leaves the last good report as it was and keeps its partial notebooks in
``reports/<run>.failed/``. ``reports/<run>.lock`` keeps a second run of the same name from starting meanwhile.
``--from STAGE`` reuses the earlier stages of the same run when they are fresh (:mod:`custseg.pipeline`).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import os
import shutil
import socket
import sys
import time
import traceback
from pathlib import Path

import nbformat
import papermill as pm
from nbconvert import HTMLExporter
from tqdm.auto import tqdm

from custseg import config, history, i18n, io, personas, pipeline, scoring
from custseg import published as publishing
from custseg.config import PROJECT_ROOT
from custseg.errors import ConfigError, CustsegError, RunError

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"


class NotebookFailed(RunError):
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
        if err.ename == "KeyboardInterrupt":  # Ctrl-C reached the kernel first
            raise KeyboardInterrupt from None
        source = err.source.strip().splitlines()
        first = source[0] if source else ""
        raise NotebookFailed(
            f"{notebook.name} failed in cell {err.cell_index} ('{first[:80]}'): {err.ename}: {err.evalue}"
        ) from None
    finally:
        if session is not None:
            os.environ["JPY_SESSION_NAME"] = session


def to_html(executed: Path, html: Path) -> Path:
    """Render an executed notebook to HTML without code cells or prompts."""
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    return io.write_text(body, html)


@contextlib.contextmanager
def lock(reports: Path) -> None:
    """Hold ``reports/<run>.lock`` while a run builds its report; refuse when another live run holds it.

    A lock left by a run that no longer exists (killed, machine restarted) is taken over.
    """
    path = reports.with_name(reports.name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    me = f"{os.getpid()} {socket.gethostname()} {dt.datetime.now().isoformat(timespec='seconds')}"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            holder = path.read_text().split() if path.is_file() else []
            if holder and _alive(holder):
                raise RunError(f"run '{reports.name}' is already running (process {holder[0]} on {holder[1]}, started "
                               f"{holder[2] if len(holder) > 2 else '?'}): wait for it to finish, or give this run "
                               f"another --name. If no such run exists, remove {path}") from None
            path.unlink(missing_ok=True)  # a stale lock
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(me)
        break
    else:  # another run took the stale lock between our two attempts
        raise RunError(f"run '{reports.name}' was started by another process at the same moment: wait for it, or "
                       f"give this run another --name")
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _alive(holder: list[str]) -> bool:
    if len(holder) < 2 or holder[1] != socket.gethostname():
        return len(holder) >= 2  # another machine's run: assume it is alive
    try:
        os.kill(int(holder[0]), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def _reuse(books: list[Path], start: int, cfg: dict, published: Path, building: Path) -> dict[str, float]:
    """Check that the stages before ``start`` are fresh and copy their pages from the last good report.

    Freshness is checked against the last good report, where the report-folder artefacts of those stages are.
    """
    paths = dataclasses.replace(io.run_paths(cfg), reports=published)
    reused = {}
    for nb in books:
        s = pipeline.stage(nb.stem)
        if s.number >= start:
            continue
        rec = pipeline.check_fresh(cfg, paths, s)
        page = published / f"{nb.stem}.html"
        if not page.is_file():
            raise RunError(f"--from: the last good report {published} has no {page.name} to reuse (there is no "
                           f"good report of this run yet, or it was made by other notebooks): run without --from")
        shutil.copy2(page, building / page.name)
        shutil.copy2(published / "notebooks" / nb.name, building / "notebooks" / nb.name)
        for fig in (published / "figures").glob(f"{nb.stem[:2]}_*.png"):
            shutil.copy2(fig, building / "figures" / fig.name)
        headline = published / "headlines" / f"{nb.stem}.json"
        if headline.is_file():
            (building / "headlines").mkdir(exist_ok=True)
            shutil.copy2(headline, building / "headlines" / headline.name)
        for name in s.writes:  # what the stage put in the report folder itself (segments.csv, persona cards)
            art = io.ARTEFACTS[name]
            if art.folder == "reports":
                source, target = published / art.file, building / art.file
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(source, target) if source.is_dir() else shutil.copy2(source, target)
        reused[nb.stem] = rec["seconds"]
    return reused


def _publish(building: Path, published: Path) -> None:
    """Replace the last good report by the new one (two renames: never a mixed folder under the final name)."""
    old = published.with_name(published.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if published.exists():
        published.rename(old)
    building.rename(published)
    shutil.rmtree(old, ignore_errors=True)


def run(config_path: str | Path, name: str | None = None, overrides: dict | None = None,
        workdir: str | Path | None = None, progress: bool = True, notebook_dir: Path = NOTEBOOK_DIR,
        start: str | int | None = None) -> Path:
    """Run the notebooks for a config and publish the report; returns ``reports/<run>/``.

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
    start : str or int, optional
        Re-run from this stage (``05_cluster``, ``5``, ``cluster``), reusing the earlier stages' artefacts and
        pages when they are fresh.

    Raises
    ------
    ConfigError, StageError, RunError
        A bad config, a stage that cannot be reused, a notebook that failed (its partial notebooks are kept
        in ``reports/<run>.failed/``), another run of the same name in progress.
    """
    overrides = overrides or {}
    cfg = config.load(config_path, overrides)  # fail fast on a bad config, before starting kernels
    cfg["run"] = name or cfg["name"]
    if cfg["cluster"]["baseline"] in (cfg["run"], str(Path(cfg["paths"]["workdir"] or PROJECT_ROOT) / "reports" /
                                                        cfg["run"])):
        raise ConfigError(f"cluster.baseline names this run ('{cfg['run']}'): give an earlier run, and this one "
                          "another --name")
    if workdir:
        cfg["paths"]["workdir"] = str(Path(workdir).resolve())
    try:
        paths = io.run_paths(cfg)
        paths.reports.parent.mkdir(parents=True, exist_ok=True)
    except (NotADirectoryError, FileExistsError, PermissionError) as err:
        raise ConfigError(f"cannot write the run's folders under {cfg['paths']['workdir'] or PROJECT_ROOT}: "
                          f"{err.strerror} ({err.filename}); set --workdir or paths.workdir to a folder") from None
    published = paths.reports
    building = published.with_name(published.name + ".building")
    failed = published.with_name(published.name + ".failed")
    books = notebooks(notebook_dir)
    first = pipeline.stage(start).number if start is not None else 1
    parameters = {"config_path": str(Path(config_path).resolve()), "run_name": cfg["run"],
                  "overrides": config.overrides_json(overrides), "workdir": str(paths.workdir),
                  "report_dir": str(building)}
    for nb in books:
        check_parameters(nb, parameters)

    with lock(published):
        shutil.rmtree(building, ignore_errors=True)
        cfg["_report_dir"] = str(building)
        io.run_paths(cfg).make()
        timings: dict[str, float] = {}
        started, executed_any = time.perf_counter(), False
        try:
            reused = _reuse(books, first, cfg, published, building) if first > 1 else {}
            todo = [nb for nb in books if nb.stem not in reused]
            bar = tqdm(todo, desc=f"custseg run {cfg['run']}", unit="notebook", disable=not progress)
            for nb in bar:
                executed_any = True
                bar.set_postfix_str(nb.stem)
                t0 = time.perf_counter()
                executed = building / "notebooks" / nb.name
                execute(nb, executed, parameters, progress)
                to_html(executed, building / f"{nb.stem}.html")
                timings[nb.stem] = round(time.perf_counter() - t0, 2)
            timings["total"] = round(time.perf_counter() - started, 2)
            build_paths = io.run_paths(cfg)
            publishing.publish(cfg, build_paths)  # the model goes with its report: `custseg assign` reads it there
            summary = _summary(build_paths)
            io.write_json({"run": cfg["run"], "config": config.redacted(cfg), "versions": io.versions(),
                           "timings_s": timings, "reused": sorted(reused), "row_counts": summary["counts"],
                           "stages": pipeline.metrics(build_paths)}, building / "run.json")
            io.write_text(render_index(cfg, build_paths, [nb.stem for nb in books], summary),
                          building / "index.html")
        except BaseException as err:
            if executed_any:  # keep what this run did, for debugging; nothing ran: nothing worth keeping
                shutil.rmtree(failed, ignore_errors=True)
                building.rename(failed)
            shutil.rmtree(building, ignore_errors=True)
            kept = (f"The last good report {published} is unchanged" if published.exists()
                    else "No report was published")
            where = f"; this run's partial notebooks are in {failed / 'notebooks'}" if executed_any else ""
            if isinstance(err, NotebookFailed):
                raise NotebookFailed(f"{err}\n{kept}{where}.") from None
            if isinstance(err, KeyboardInterrupt):
                raise KeyboardInterrupt(f"{kept}{where}.") from None
            if isinstance(err, CustsegError):
                raise type(err)(f"{err}\n{kept}{where}.") from None
            raise
        _publish(building, published)
        shutil.rmtree(failed, ignore_errors=True)
        page = published.parent / history.page_name(cfg)
        with io.exclusive(page.with_name(f".{page.name}.lock")):  # a run of another name may be writing it
            io.write_text(history.render(cfg, published.parent), page)
    return published


def headlines(paths: io.RunPaths) -> list[dict]:
    """The headline blocks notebooks leave in ``reports/<run>/headlines/<notebook>.json`` for the index page.

    A generic hook: a notebook writes ``{"title", "text", "items": [{"label", "value"}], "table": [{col: value}]}``
    (every key optional) and its numbers appear on the index (``headline.html.j2``) without the page knowing it.
    """
    return [{**io.read_json(path), "stem": path.stem} for path in sorted((paths.reports / "headlines").glob("*.json"))]


def _summary(paths: io.RunPaths) -> dict:
    """What the index page and run.json need from the stage artefacts."""
    snapshot, collected = io.read(paths, "snapshot"), io.read(paths, "collect_counts")
    cards = pipeline.report_cards(paths)
    counts = {"customers_in": collected["customers"], "customers_kept": snapshot["customers_kept"],
              "lines_in": snapshot["lines_in"], "lines_kept": snapshot["lines_kept"],
              "lines_quarantined": snapshot["lines_quarantined"],
              "customers_segmented": sum(c["customers"] for c in cards), "row_ids": collected.get("row_ids", False)}
    return {"snapshot": snapshot["snapshot_date"], "counts": counts, "cluster": io.read(paths, "cluster"),
            "cards": cards, "rules": io.read_optional(paths, "rules")}


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
        "index.html.j2", language, cfg=cfg, steps=steps, colors=colors, history_page=history.page_name(cfg),
        figures=[io.figure_info(p) for p in sorted(paths.figures.glob("*.png"))], headlines=headlines(paths),
        cards_html=[personas.render(c, "html", colors[c["segment"] % len(colors)]) for c in cards],
        scale=max([c["value_share"] or 0 for c in cards] + [c["share"] for c in cards] + [1e-9]),
        chart_alt=i18n.messages(language)["list_sep"].join(f"{c['name']} {i18n.percent(c['value_share'] or 0)}"
                                                           for c in cards), **summary)


def main(argv: list[str] | None = None) -> int:
    """The ``custseg`` command. Every error is one message and a non-zero exit (``--debug``: the traceback)."""
    parser = argparse.ArgumentParser(prog="custseg", description="Customer segmentation workbook")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the notebooks for a config and publish reports/<run>/")
    r.add_argument("config", help="YAML config, e.g. configs/demo.yaml")
    r.add_argument("--name", help="run name (default: the config's name)")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set cluster.k=6 (repeatable; the value is YAML)")
    r.add_argument("--workdir", help="where data/ and reports/ go (default: the project root)")
    r.add_argument("--from", dest="start", metavar="STAGE",
                   help="re-run from this stage (05_cluster, 5 or cluster), reusing the earlier stages of the same "
                        "run when their inputs have not changed")
    r.add_argument("--baseline", metavar="RUN",
                   help="an earlier run of this config: its saved model assigns this run's customers (segment "
                        "numbers and names keep their meaning) and 07 compares the two runs (cluster.baseline)")
    r.add_argument("--refit", action="store_true",
                   help="with --baseline: fit the segments afresh and match them to the baseline's (cluster.refit)")
    r.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback")
    a = sub.add_parser("assign", help="assign the customers of a file to the segments of a published run")
    a.add_argument("run", help="the run's report folder (reports/<run>/) or its name")
    a.add_argument("input", help="a customer table with the run's feature columns, or a transaction log")
    a.add_argument("-o", "--output", help="CSV or .parquet to write (default: INPUT.segments.csv next to INPUT)")
    a.add_argument("--workdir", help="where the run's reports/ folder is, when RUN is a name")
    a.add_argument("--log", dest="as_log", action="store_const", const=True, default=None,
                   help="INPUT is a transaction log (default: decided from its columns)")
    a.add_argument("--table", dest="as_log", action="store_const", const=False, help="INPUT is a customer table")
    a.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback")
    s_ = sub.add_parser("serve", help="serve a published run's segments over HTTP (POST /assign)")
    s_.add_argument("run", help="the run's report folder (reports/<run>/) or its name")
    s_.add_argument("--workdir", help="where the run's reports/ folder is, when RUN is a name")
    s_.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    s_.add_argument("--port", type=int, default=8000)
    s_.add_argument("--api-key-env", metavar="VAR",
                    help="environment variable holding a token every request must send (Authorization: Bearer …)")
    s_.add_argument("--max-customers", type=int, default=1000, help="customers per request (default 1000)")
    s_.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback")
    args = parser.parse_args(argv)
    try:
        if args.command == "assign":
            saved = scoring.load(args.run, args.workdir)
            output, result = scoring.assign_file(saved, Path(args.input), args.output, args.as_log)
            print(f"{scoring.summary(result)}: {output}")
            return 0
        if args.command == "serve":
            from custseg import serve

            serve.main(scoring.load(args.run, args.workdir), args.host, args.port, args.api_key_env,
                       args.max_customers)
            return 0
        overrides = dict(config.parse_override(item) for item in args.overrides)
        if args.baseline:
            overrides["cluster.baseline"] = args.baseline
        if args.refit:
            overrides["cluster.refit"] = True
        out = run(args.config, args.name, overrides, args.workdir, start=args.start)
    except KeyboardInterrupt as err:
        print(f"custseg: interrupted. {err}".rstrip(), file=sys.stderr)
        return 130
    except (CustsegError, FileNotFoundError) as err:
        if args.debug:
            traceback.print_exc()
        print(f"custseg: error: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # a bug: still one message, the traceback on request
        if args.debug:
            traceback.print_exc()
        print(f"custseg: internal error: {type(err).__name__}: {err} (run again with --debug for the traceback, "
              "and please report it)", file=sys.stderr)
        return 2
    print(f"report: {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
