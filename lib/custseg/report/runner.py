"""What ``custseg run CONFIG`` does: execute the notebooks in order with papermill and publish the report.

One run publishes ``reports/<run>/``: executed notebooks, one HTML per notebook without code (and the course
overview ``00_overview``, run after the stages since it reads no artefact, linked first), the glossary, figures,
persona cards, ``segments.csv``, ``run.json`` (resolved config, versions, timings, row counts, every stage's
headline numbers) and an ``index.html`` that opens with an executive summary and links everything.

The report is built in ``reports/<run>.building/`` and replaces ``reports/<run>/`` only when every notebook
succeeded: a failed or interrupted run leaves the last good report as it was and keeps its partial notebooks in
``reports/<run>.failed/``. ``reports/<run>.lock`` keeps a second run of the same name from starting meanwhile.
``--from STAGE`` reuses the earlier stages of the same run when they are fresh (:mod:`custseg.pipeline`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import time
from pathlib import Path

import nbformat
import papermill as pm
from nbconvert import HTMLExporter
from tqdm.auto import tqdm
from traitlets.config import Config

from custseg import config, io, pipeline
from custseg import published as publishing
from custseg.config import PROJECT_ROOT
from custseg.errors import ConfigError, CustsegError, RunError
from custseg.report import course, glossary, history, index, kernels, languages, leave_out, locks, needs

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"


class NotebookFailed(RunError):
    """A notebook raised; the message names the notebook, the cell and where the partial output is."""


def notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The numbered notebooks of the stages (``NN_*.ipynb``, 01–09) in run order; the course overview
    (``00_overview.ipynb``, :mod:`custseg.report.course`) is no stage.

    Parameters
    ----------
    folder : Path
        Where to look (default: the project's ``notebooks/``).

    Returns
    -------
    list of Path
        The notebooks, sorted by number.

    Raises
    ------
    FileNotFoundError
        The folder has no numbered notebook.
    """
    found = [p for p in course.numbered(folder) if p.stem != course.OVERVIEW]
    if not found:
        raise FileNotFoundError(f"no numbered notebooks (NN_*.ipynb) in {folder}")
    return found


def check_parameters(notebook: Path, parameters: dict) -> None:
    """Fail on parameters the notebook does not declare (papermill itself only warns).

    Parameters
    ----------
    notebook : Path
        The notebook, whose ``parameters`` cell declares what it takes.
    parameters : dict
        What the run will inject.

    Raises
    ------
    ConfigError
        Naming the parameters the notebook does not declare.
    """
    declared = set(pm.inspect_notebook(str(notebook)))
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise ConfigError(f"{notebook.name} has no parameter(s) {unknown}; it declares {sorted(declared)}")


# jupyter_client picks a kernel's ports before the kernel binds them; when another process (a kernel of a run
# beside this one) takes one meanwhile, the kernel dies before its first reply, and is started once more
KERNEL_STARTS = 2


def execute(notebook: Path, output: Path, parameters: dict, progress: bool = False,
            kernel: kernels.AsyncKernelManager | None = None) -> None:
    """Execute one notebook into ``output``; raise :class:`NotebookFailed` with the failing cell.

    Parameters
    ----------
    notebook : Path
        The notebook to run (in its own folder, on the ``python3`` kernel).
    output : Path
        Where the executed notebook goes.
    parameters : dict
        Injected by papermill.
    progress : bool
        Show a bar counting the notebook's cells, so a long cell (a big aggregation) shows where the run
        is rather than a notebook bar that does not move for minutes.
    kernel : AsyncKernelManager, optional
        A kernel of :func:`custseg.report.kernels.start` to run it on (default: one started now); it is
        stopped on return.

    Raises
    ------
    NotebookFailed
        A cell raised: the message names the notebook, the cell and the error.
    KeyboardInterrupt
        Ctrl-C reached the kernel.
    """
    cells = {"desc": notebook.stem, "leave": False} if progress else False
    try:
        for start in range(KERNEL_STARTS):
            km = kernel if kernel is not None and start == 0 else kernels.start(notebook.parent)
            try:
                pm.execute_notebook(str(notebook), str(output), parameters=parameters, kernel_name="python3",
                                    cwd=str(notebook.parent), progress_bar=cells, log_output=False, km=km,
                                    engine_name=kernels.ENGINE)
                break
            except RuntimeError as err:  # no cell ran: the kernel died before its first reply
                if "before replying to kernel_info" not in str(err) or start == KERNEL_STARTS - 1:
                    raise
            finally:
                kernels.stop(km)
    except pm.PapermillExecutionError as err:
        if err.ename == "KeyboardInterrupt":  # Ctrl-C reached the kernel first
            raise KeyboardInterrupt from None
        source = err.source.strip().splitlines()
        first = source[0] if source else ""
        raise NotebookFailed(
            f"{notebook.name} failed in cell {err.cell_index} ('{first[:80]}'): {err.ename}: {err.evalue}"
        ) from None


def to_html(executed: Path, html: Path, met: dict[str, bool] | None = None, language: str = "en") -> Path:
    """Render an executed notebook to HTML without code cells or prompts, in the report's language only
    (:mod:`custseg.report.languages`), leaving out the prose whose needs the run does not meet
    (:mod:`custseg.report.needs`).

    Parameters
    ----------
    executed : Path
        The executed notebook.
    html : Path
        The page to write.
    met : dict[str, bool], optional
        Need tag → whether the run meets it (:func:`custseg.report.needs.met`); None keeps every cell.
    language : str
        The report's language: its prose twins are kept, and the "left out" lines are in it.

    Returns
    -------
    Path
        ``html``.
    """
    # the run's language only: the other language's prose twins are left out before the needs are
    c = Config()
    c.TagRemovePreprocessor.update(enabled=True, remove_cell_tags=languages.other_language_tags(language))
    exporter = HTMLExporter(config=c, exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    if met is not None:
        exporter.register_preprocessor(leave_out.LeaveOutPreprocessor(met=met, language=language, enabled=True),
                                       enabled=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    return io.write_text(body, html)


def _reuse(books: list[Path], start: int, cfg: dict, published: Path, building: Path) -> dict[str, float]:
    """Check that the stages before ``start`` are fresh and copy their pages from the last good report.

    Freshness is checked against the last good report, where the report-folder artefacts of those stages are.
    """
    paths = dataclasses.replace(io.run_paths(cfg), reports=published)
    made = published / "run.json"
    was = io.read_json(made)["config"].get("language", "en") if made.is_file() else cfg["language"]
    if was != cfg["language"]:  # its pages and the text its stages wrote are in that language
        raise RunError(f"--from: the last good report {published} is in language '{was}', this run asks for "
                       f"'{cfg['language']}': run without --from to write every page in '{cfg['language']}'")
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
        for name in s.writes:  # what the stage put in the report folder itself (segments.csv, audiences)
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
    cfg["run"] = cfg["name"] if name is None else config.check_run_name(name, "--name")
    baseline = cfg["cluster"]["baseline"]
    if baseline in (cfg["run"], str(Path(cfg["paths"]["workdir"] or PROJECT_ROOT) / "reports" / cfg["run"])):
        raise ConfigError(f"cluster.baseline names this run ('{cfg['run']}'): give an earlier run, and this one "
                          "another --name")
    if baseline and not (Path(baseline) / "run.json").is_file():  # a name, read under reports/
        config.check_run_name(baseline, f"--baseline (cluster.baseline): there is no run.json in '{baseline}', and")
    if workdir:
        cfg["paths"]["workdir"] = str(Path(workdir).resolve())
    try:
        paths = io.run_paths(cfg)
        paths.reports.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _unwritable(cfg, err) from None
    published = paths.reports
    building = published.with_name(published.name + ".building")
    failed = published.with_name(published.name + ".failed")
    books = notebooks(notebook_dir)
    first = pipeline.stage(start).number if start is not None else 1
    parameters = {"config_path": str(Path(config_path).resolve()), "run_name": cfg["run"],
                  "overrides": config.overrides_json(overrides), "workdir": str(paths.workdir),
                  "report_dir": str(building)}
    overview = notebook_dir / f"{course.OVERVIEW}.ipynb"
    overview = overview if overview.is_file() else None
    for nb in [*books, *([overview] if overview else [])]:
        check_parameters(nb, parameters)

    with contextlib.ExitStack() as held:
        try:
            held.enter_context(locks.run_lock(published))
            shutil.rmtree(building, ignore_errors=True)  # a killed run's, whose lock was just taken over
            cfg["_report_dir"] = str(building)
            io.run_paths(cfg).make()
        except OSError as err:  # the lock or the run's folders (FileExistsError of the lock is handled there)
            raise _unwritable(cfg, err) from None
        timings: dict[str, float] = {}
        started, executed_any = time.perf_counter(), False
        try:
            reused = _reuse(books, first, cfg, published, building) if first > 1 else {}
            todo = [nb for nb in books if nb.stem not in reused]
            ahead = held.enter_context(contextlib.closing(kernels.Ahead(notebook_dir, len(todo) + bool(overview))))
            bar = tqdm(todo, desc=f"custseg run {cfg['run']}", unit="notebook", disable=not progress)
            for nb in bar:
                executed_any = True
                bar.set_postfix_str(nb.stem)
                t0 = time.perf_counter()
                executed = building / "notebooks" / nb.name
                execute(nb, executed, parameters, progress, ahead.take())
                met = needs.met(cfg, io.run_paths(cfg))  # what this run has, as far as it has run
                to_html(executed, building / f"{nb.stem}.html", met, cfg["language"])
                timings[nb.stem] = round(time.perf_counter() - t0, 2)
            if overview is not None:  # the course overview, in the run's language (it reads no artefact)
                t0 = time.perf_counter()
                execute(overview, building / "notebooks" / overview.name, parameters, kernel=ahead.take())
                to_html(building / "notebooks" / overview.name, building / f"{overview.stem}.html",
                        language=cfg["language"])
                timings[overview.stem] = round(time.perf_counter() - t0, 2)
            timings["total"] = round(time.perf_counter() - started, 2)
            build_paths = io.run_paths(cfg)
            if io.exists(build_paths, "personas"):
                pipeline.write_cards(build_paths)  # 06's cards with what 08 added to them
            publishing.publish(cfg, build_paths)  # the model goes with its report: `custseg assign` reads it there
            summary = index.summary(build_paths)
            io.write_json({"run": cfg["run"], "config": config.redacted(cfg), "versions": publishing.versions(),
                           "timings_s": timings, "reused": sorted(reused), "row_counts": summary["counts"],
                           "stages": pipeline.metrics(build_paths)}, building / "run.json")
            io.write_text(glossary.render(cfg["language"], notebook_dir), building / "glossary.html")
            io.write_text(index.render(cfg, build_paths, [nb.stem for nb in books], summary,
                                       overview=overview.stem if overview else None), building / "index.html")
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
            if isinstance(err, KeyboardInterrupt):  # Ctrl-C, or SIGTERM (errors.Terminated) under `custseg run`
                raise type(err)(f"{kept}{where}.") from None
            if isinstance(err, CustsegError):
                raise type(err)(f"{err}\n{kept}{where}.") from None
            raise
        _publish(building, published)
        shutil.rmtree(failed, ignore_errors=True)
        page = published.parent / history.page_name(cfg)
        try:  # a run of another name may be writing it
            with locks.exclusive(page.with_name(f".{page.name}.lock"), wait_s=locks.WAIT_S):
                io.write_text(history.render(cfg, published.parent), page)
        except RunError as err:
            raise RunError(f"the report {published} is published, but the history page {page} was not updated: "
                           f"{err}") from None
    return published


def _unwritable(cfg: dict, err: OSError) -> ConfigError:
    """The one message for a run folder that cannot be made or written: which, why, and what to change."""
    workdir = cfg["paths"]["workdir"] or PROJECT_ROOT
    where = Path(err.filename) if err.filename else Path(workdir)
    fix = f"make {where.parent} writable by this user, or set" if isinstance(err, PermissionError) else "set"
    return ConfigError(f"cannot write the run's folders under {workdir}: {err.strerror or err} ({where}); {fix} "
                       "--workdir (or paths.workdir) to a folder you can write")
