"""The pipeline: one function per stage, each reading its declared artefacts and writing its own.

* :mod:`~custseg.pipeline.registry` — the stages, the artefacts each reads and writes, fingerprints and freshness
  (the stage reference in the docs is generated from :data:`STAGES`);
* :mod:`~custseg.pipeline.runner` — runs a stage body with exactly its declared inputs and writes exactly what it
  returns;
* :mod:`~custseg.pipeline.stages` — the thin bodies, one module per stage.

The notebooks, ``custseg run`` and the tests call the stage functions below (``pipeline.collect(cfg, paths)``
…); a notebook shows what its stage returns.
"""

from __future__ import annotations

from custseg import io
from custseg.pipeline import stages  # noqa: F401  (registers the bodies)
from custseg.pipeline.registry import (
    PRODUCER,
    STAGES,
    Stage,
    check_fresh,
    check_inputs,
    fingerprint,
    has_log,
    inputs,
    metrics,
    record,
    stage,
)
from custseg.pipeline.runner import Context, Result, open_run, run_stage, stage_function
from custseg.pipeline.runner import run_stages as _run_stages

collect = stage_function("01_collect")
clean = stage_function("02_clean")
describe = stage_function("03_describe")
features = stage_function("04_features")
segment = stage_function("05_cluster")
describe_personas = stage_function("06_personas")
evaluate = stage_function("07_evaluate")
target = stage_function("08_target")
measure = stage_function("09_measure")


def report_cards(paths: io.RunPaths) -> list[dict]:
    """The persona cards of 06 with what 08 added when it ran on them: the offers and whether a segment is a
    target (:func:`custseg.personas.with_targeting`)."""
    from custseg import personas

    made_from = (record(paths, stage("06_personas")) or {}).get("fingerprint")
    return personas.with_targeting(io.read(paths, "personas"), io.read_optional(paths, "target"), made_from)


def write_cards(paths: io.RunPaths) -> None:
    """Write the persona cards of the report (``reports/<run>/personas/``), the one writer of those files."""
    from custseg import personas

    io.write(paths, "persona_cards", personas.card_files(report_cards(paths)))


def run_stages(cfg: dict, paths: io.RunPaths, until: str | int = "09_measure", con=None, skip: tuple = ()) -> dict:
    """:func:`custseg.pipeline.runner.run_stages`, and the persona cards written when 06 ran (as ``custseg run``
    writes them for its report)."""
    out = _run_stages(cfg, paths, until, con, skip)
    if "06_personas" in out:
        write_cards(paths)
    return out


__all__ = ["PRODUCER", "STAGES", "Context", "Result", "Stage", "check_fresh", "check_inputs", "clean", "collect",
           "describe", "describe_personas", "evaluate", "features", "fingerprint", "has_log", "inputs", "measure",
           "metrics", "open_run", "record", "report_cards", "run_stage", "run_stages", "segment", "stage",
           "stage_function", "target", "write_cards"]
