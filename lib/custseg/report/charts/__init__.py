"""The notebooks' figures, made by the package so that in-process runs and tests can make and check them.

One function per figure takes what its stage function returned and gives back a matplotlib figure (None when
the data lacks what it needs); one function per notebook, named as the stage's function in
:mod:`custseg.pipeline`, makes and saves its figures under their file names (all, or those named)::

    result = pipeline.describe(cfg, paths)
    charts.describe(result, paths)                  # every figure of 03_describe
    charts.describe(result, paths, "03_pareto")     # one of them, where the notebook shows it

The modules: :mod:`~custseg.report.charts.data` (02–04), :mod:`~custseg.report.charts.segments` (05–06),
:mod:`~custseg.report.charts.judge` (07–09) and :mod:`~custseg.report.charts.base` (saving, and the "left out"
sentences the notebooks print: :func:`left_out`). :mod:`~custseg.report.charts.toy` draws 05's toy-data figure,
which shows no customer of the run and is not saved among its figures.
"""

from custseg.report.charts.base import LEFT_OUT, Chart, left_out, make
from custseg.report.charts.data import clean, describe, features
from custseg.report.charts.judge import evaluate, measure, target
from custseg.report.charts.segments import describe_personas, principal_components, segment
from custseg.report.charts.toy import toy_clusters

BY_STAGE = {"02_clean": clean, "03_describe": describe, "04_features": features, "05_cluster": segment,
            "06_personas": describe_personas, "07_evaluate": evaluate, "08_target": target, "09_measure": measure}
"""Stage name → the function that makes and saves its notebook's figures (01_collect draws none)."""

__all__ = ["BY_STAGE", "LEFT_OUT", "Chart", "clean", "describe", "describe_personas", "evaluate", "features",
           "left_out", "make", "measure", "principal_components", "segment", "target", "toy_clusters"]
