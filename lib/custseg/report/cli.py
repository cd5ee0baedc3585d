"""The ``custseg`` command: ``custseg run CONFIG`` (:func:`custseg.report.runner.run`), ``custseg assign RUN FILE``
and ``custseg serve RUN`` (:mod:`custseg.scoring`, :mod:`custseg.serve`). Every error is one message and a
non-zero exit; ``--debug`` shows the traceback.
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
from custseg.errors import CustsegError, Terminated
from custseg.report import runner


def parser() -> argparse.ArgumentParser:
    """The ``custseg`` command's arguments: the subcommands ``run``, ``assign`` and ``serve``.

    Returns
    -------
    argparse.ArgumentParser
        The parser :func:`main` uses.
    """
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
    return parser


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
        with sigterm_stops():
            out = runner.run(args.config, args.name, overrides, args.workdir, start=args.start)
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
