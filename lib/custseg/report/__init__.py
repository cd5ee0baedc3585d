"""The published report: ``custseg run`` executes the notebooks and publishes ``reports/<run>/``.

:mod:`~custseg.report.runner` executes the notebooks with papermill (each on a kernel of
:mod:`~custseg.report.kernels`, started while the notebook before it runs), reuses fresh stages and builds the
report before publishing it; :mod:`~custseg.report.cli` is the ``custseg`` command (``run``, ``assign``,
``serve``, ``notebooks``); :mod:`~custseg.report.needs` decides which prose the run's data supports (the
``needs-…`` tags) and leaves the rest out of the pages; :mod:`~custseg.report.recap` writes what each stage did in
the run from its stage record (each notebook's closing "What we did" and the index's steps);
:mod:`~custseg.report.index` renders the index page, :mod:`~custseg.report.history` the page of a config's runs,
:mod:`~custseg.report.figures` saves the figures with their captions and :mod:`~custseg.report.locks` keeps two
processes from writing the same report at once.
For teaching: :mod:`~custseg.report.course` builds the tables of the course overview (``00_overview``),
:mod:`~custseg.report.glossary` the glossary page (from ``templates/glossary.yaml``) and
:mod:`~custseg.report.editions` a class's copies of the notebooks (``custseg notebooks DIR``: one language, the
student edition).
"""
