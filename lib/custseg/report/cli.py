"""The ``custseg`` command: ``custseg init FILE…`` (a commented config from the user's files, :mod:`custseg.init`),
``custseg run CONFIG`` or ``custseg run FILE…`` (:func:`custseg.report.runner.run`; with files and no config, init
writes ``configs/<file>.yaml`` first), ``custseg assign RUN FILE`` and ``custseg serve RUN`` (:mod:`custseg.scoring`,
:mod:`custseg.serve`), ``custseg notebooks DIR`` (a class's copies of the notebooks,
:mod:`custseg.report.editions`). Every error is one message and a non-zero exit; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

from custseg import config, scoring
from custseg.errors import ConfigError, CustsegError, Terminated
from custseg.report import runner


def parser() -> argparse.ArgumentParser:
    """The ``custseg`` command's arguments: the subcommands ``init``, ``run``, ``assign``, ``serve`` and
    ``notebooks``.

    Returns
    -------
    argparse.ArgumentParser
        The parser :func:`main` uses.
    """
    parser = argparse.ArgumentParser(prog="custseg", description="Customer segmentation workbook")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True)
    i = sub.add_parser("init", help="write a commented config for your files (roles, formats, outcomes, personal "
                                    "data), to check and then run")
    i.add_argument("files", nargs="+", metavar="FILE",
                   help="your exports: CSV/TSV, whitespace-separated text, Excel, Parquet, a DuckDB or SQLite file")
    i.add_argument("-o", "--output", help="the config to write (default: configs/<first file's name>.yaml)")
    i.add_argument("--name", help="the run name (default: the first file's name)")
    i.add_argument("--yes", action="store_true", help="accept everything without asking")
    i.add_argument("--force", action="store_true", help="replace the config when it exists")
    i.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback")
    r = sub.add_parser("run", help="run the notebooks for a config (or for your files: init writes the config "
                                   "first) and publish reports/<run>/")
    r.add_argument("config", nargs="+", metavar="CONFIG | FILE",
                   help="a YAML config, e.g. configs/demo.yaml; or your exports (orders.csv …): custseg init "
                        "writes configs/<file>.yaml for them first, then the run starts")
    r.add_argument("--force", action="store_true",
                   help="with files: write configs/<file>.yaml again even when it exists")
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
    n = sub.add_parser("notebooks", help="write copies of the notebooks 00-09 for a class: in one language, or a "
                                         "student edition without the exercises' solutions")
    n.add_argument("dir", metavar="DIR", help="where the copies go (e.g. lab/zh or student; not under git)")
    n.add_argument("--language", choices=config.LANGUAGES,
                   help="keep only this language's prose; the copies run in it in JupyterLab")
    n.add_argument("--student", action="store_true",
                   help="replace each solution (### BEGIN SOLUTION ... ### END SOLUTION) by a line to fill in, "
                        "keeping the checks")
    n.add_argument("--force", action="store_true",
                   help="replace the copies already in DIR (default: keep them, with the work done in them)")
    n.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback")
    return parser


def default_config(files: list[str]) -> Path:
    """Where ``custseg init`` and ``custseg run FILE`` write the config of ``files``: configs/<first file>.yaml."""
    from custseg.init import run_name

    return Path("configs") / f"{run_name(Path(files[0]))}.yaml"


def config_for(files: list[str], force: bool) -> Path:
    """``custseg run FILE…``: the config init writes for the files (said on screen), or the one it wrote before
    for the same files.

    Raises
    ------
    ConfigError
        ``configs/<file>.yaml`` exists but was not written by init for these files (never overwritten without
        ``--force``).
    """
    from custseg import init

    target = default_config(files)
    wanted = [str(Path(f).resolve()) for f in files]
    if target.exists() and not force:
        if init.written_from(target) != wanted:
            raise ConfigError(f"{target} exists and was not written by custseg init for {', '.join(files)}: run "
                              f"custseg run {target}, or pass --force to write it again for these files")
        print(f"custseg run: using {target}, which custseg init wrote earlier for these files (--force writes it "
              "again)", file=sys.stderr)
        return target
    print(f"custseg run: no config given: custseg init writes {target} for {', '.join(files)}", file=sys.stderr)
    init.init([Path(f) for f in files], target, yes=True, force=force, say=lambda text: print(text, file=sys.stderr))
    print(f"custseg run: the run starts; to change a choice, edit {target} and run custseg run {target}",
          file=sys.stderr)
    return target


def is_config(argument: str) -> bool:
    """Whether a ``custseg run`` argument is a config rather than a data file (one of the suffixes custseg reads:
    .csv, .txt, .xlsx, .parquet, .duckdb, .sqlite …, :data:`custseg.schema.SUFFIX_KIND`, or a .zip)."""
    from custseg.schema import SUFFIX_KIND

    suffix = Path(argument).suffix.lower()
    return suffix not in SUFFIX_KIND and suffix != ".zip"


@contextlib.contextmanager
def sigterm_stops() -> Iterator[None]:
    """While the block runs, SIGTERM stops it as Ctrl-C does (:class:`~custseg.errors.Terminated`), so that a
    killed run releases its lock and keeps its partial notebooks; a second SIGTERM ends the process at once.

    Yields
    ------
    None
        Nothing; outside the main thread (where Python cannot handle signals) the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Terminated()

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def main(argv: list[str] | None = None) -> int:
    """The ``custseg`` command. Every error is one message and a non-zero exit (``--debug``: the traceback).

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: the command line's).

    Returns
    -------
    int
        The exit code: 0 done, 1 an error (a bad config, a failed notebook …), 2 an internal error,
        130 interrupted (Ctrl-C), 143 stopped by SIGTERM.
    """
    args = parser().parse_args(argv)
    try:
        if args.command == "init":
            from custseg import init

            output = Path(args.output) if args.output else default_config(args.files)
            written = init.init([Path(f) for f in args.files], output, yes=args.yes, force=args.force, name=args.name)
            if written is None:
                return 1
            print(f"next: custseg run {written}")
            return 0
        if args.command == "assign":
            saved = scoring.load(args.run, args.workdir)
            output, result = scoring.assign_file(saved, Path(args.input), args.output, args.as_log)
            print(f"{scoring.summary(result)}: {output}")
            return 0
        if args.command == "notebooks":
            from custseg.report import editions

            written, kept = editions.write(Path(args.dir), args.language, args.student, args.force)
            kind = " ".join(filter(None, [{"en": "English", "zh": "简体中文"}.get(args.language),
                                          "student edition" if args.student else None])) or "both languages"
            print(f"wrote {len(written)} notebooks ({kind}) to {args.dir}")
            if kept:
                print(f"kept {len(kept)} already there ({', '.join(p.name for p in kept)}): --force replaces them")
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
        configs = [a for a in args.config if is_config(a)]
        if configs and len(args.config) > 1:
            raise ConfigError(f"custseg run takes one config or data files, got {args.config}: run custseg run "
                              f"{configs[0]}")
        path = configs[0] if configs else config_for(args.config, args.force)
        with sigterm_stops():
            out = runner.run(path, args.name, overrides, args.workdir, start=args.start)
    except Terminated as err:
        print(f"custseg: stopped (SIGTERM). {err}".rstrip(), file=sys.stderr)
        return 128 + signal.SIGTERM
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
