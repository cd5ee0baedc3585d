"""Assign customers to the segments of a published run (给新客户分群): from Python (:func:`assign`), the
``custseg assign`` command and the HTTP app (:mod:`custseg.serve`). The run's model and model card are those
``custseg run`` published with its report (:mod:`custseg.published`).

A customer is assigned from a table of the run's feature columns, or from a transaction log: then the run's
own stages 01–04 compute the features (the same config, cleaning rules and snapshot rule), so a customer
gets the segment the run would have given them.
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path

import pandas as pd

from custseg import io
from custseg.config import PROJECT_ROOT
from custseg.errors import ConfigError, SourceError
from custseg.published import SavedRun, load


def check(saved: SavedRun, table: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The run's features of ``table`` typed as the model needs them, and each row's problem (None if none).

    A number that does not parse, or a label the run never saw, is a problem: the row is not assigned (a
    missing value is not: the model fills it as it did in the run, with the median or the most frequent label).

    Raises
    ------
    SourceError
        When a feature column is missing altogether.
    """
    missing = [f for f in saved.features if f not in table.columns]
    if missing:
        raise SourceError(f"the input has no column for the run's feature(s) {', '.join(missing)}; it has "
                          f"{', '.join(map(str, table.columns[:20]))}. Give a table with the run's feature columns "
                          "(model.json lists them), or a transaction log")
    notes: dict = {}
    out = {}
    for feature in saved.card["features"]:
        name, values = feature["name"], table[feature["name"]]
        if feature["kind"] == "numeric":
            numbers = pd.to_numeric(values, errors="coerce") if not pd.api.types.is_numeric_dtype(values) else values
            bad = values.notna() & numbers.isna()
            note = f"{name}: not a number"
            out[name] = numbers.astype("float64")
        else:
            labels = values.astype("str").where(values.notna())
            bad = labels.notna() & ~labels.isin(feature["labels"])
            note = f"{name}: a label the run never saw"
            out[name] = labels
        for i in bad[bad].index:
            notes.setdefault(i, []).append(f"{note} ({values[i]!r})")
    problems = pd.Series({i: "; ".join(n) for i, n in notes.items()}, index=table.index, dtype="object")
    return pd.DataFrame(out, index=table.index), problems


def assign(run: SavedRun | str | Path, table: pd.DataFrame, id_column: str = "customer_id") -> pd.DataFrame:
    """Assign customers to the segments of a published run.

    Parameters
    ----------
    run : SavedRun, str or Path
        The run (see :func:`load`).
    table : DataFrame
        One row per customer: ``id_column`` and the run's feature columns (``model.json``).
    id_column : str
        The column naming the customer.

    Returns
    -------
    DataFrame
        ``customer_id``, ``segment_id`` and ``segment_name`` (empty for a row that could not be assigned),
        and ``problem``: why a row was not assigned (a value that is not a number, an unknown label, an id
        given twice), else empty. Every input row has an output row.
    """
    saved = run if isinstance(run, SavedRun) else load(run)
    if id_column not in table.columns:
        raise SourceError(f"the input has no id column '{id_column}'; it has {', '.join(map(str, table.columns[:20]))}")
    features, problems = check(saved, table)
    ids = table[id_column].astype("str").where(table[id_column].notna())
    repeated = ids.notna() & ids.duplicated(keep=False)
    problems[repeated] = [f"{p}; the id is given more than once" if isinstance(p, str) else
                          "the id is given more than once" for p in problems[repeated]]
    problems[ids.isna()] = "no customer id"
    segment = pd.Series(pd.NA, index=table.index, dtype="Int64")
    ok = problems.isna()
    if ok.any():
        segment[ok] = saved.segmenter.predict(features[ok])
    names = saved.names
    return pd.DataFrame({"customer_id": ids, "segment_id": segment,
                         "segment_name": segment.map(lambda s: names.get(int(s)) if pd.notna(s) else None),
                         "problem": problems}).reset_index(drop=True)


# a table with more customers than this is assigned inside the engine when the run's model allows it
IN_ENGINE_ROWS = 200_000


def in_engine_reason(saved: SavedRun) -> str | None:
    """None when the run's model can assign inside the engine (:func:`assign_in_engine`), else why not."""
    seg = saved.segmenter
    if seg.algorithm not in ("kmeans", "minibatch"):
        return f"its segments come from {seg.algorithm}, which has no closed form in SQL"
    if seg.skew_transform == "quantile":
        return "it uses the quantile transform, which has no closed form in SQL"
    if getattr(seg, "value_model_", None) is not None:
        return ("it clusters on each customer's expected value, a gradient-boosted model (a run with "
                "cluster.expected_value: false assigns in the engine)")
    return None


def assign_in_engine(saved: SavedRun, table, id_column: str = "customer_id"):
    """:func:`assign` inside the engine: an Ibis table in, an Ibis table out (``customer_id``, ``segment_id``,
    ``segment_name``, ``problem``), with the same checks and the same answers, so a table of any size is
    assigned without reading it into memory.

    Raises
    ------
    SourceError
        When the id or a feature column is missing.
    ValueError
        When the model cannot assign in the engine (:func:`in_engine_reason` says why).
    """
    import ibis

    from custseg.cluster.in_engine import predict_in_engine

    why = in_engine_reason(saved)
    if why:
        raise ValueError(f"run {saved.folder} cannot assign inside the engine: {why}")
    missing = [c for c in (id_column, *saved.features) if c not in table.columns]
    if missing:
        raise SourceError(f"the input has no column for {', '.join(missing)}; it has "
                          f"{', '.join(map(str, table.columns[:20]))}")
    typed, notes = {}, []
    for feature in saved.card["features"]:
        name, values = feature["name"], table[feature["name"]]
        text = values.cast("string")
        if feature["kind"] == "numeric":
            typed[name] = values.cast("float64") if values.type().is_numeric() else values.try_cast("float64")
            bad, note = values.notnull() & typed[name].isnull(), f"{name}: not a number ('"
        else:
            typed[name] = text
            bad, note = text.notnull() & ~text.isin(feature["labels"]), f"{name}: a label the run never saw ('"
        notes.append(ibis.ifelse(bad, ibis.literal(note) + text + "')", ibis.null("string")))
    ids = table[id_column].cast("string")
    # one mutate: the notes read the raw values, the typed features replace them
    t = table.mutate(_id=ids, _n=ids.count().over(ibis.window(group_by=ids)), **typed,
                     **{f"_note{i}": note for i, note in enumerate(notes)})
    t = t.mutate(_repeated=ibis.ifelse(t._id.notnull() & (t._n > 1), "the id is given more than once",
                                       ibis.null("string")))
    joined = ibis.literal("; ").join([*[t[f"_note{i}"] for i in range(len(notes))], t._repeated])
    t = t.mutate(problem=ibis.ifelse(t._id.isnull(), "no customer id", joined.nullif("")))
    t = predict_in_engine(saved.segmenter, t)
    segment = ibis.ifelse(t.problem.isnull(), t.segment, ibis.null("int64"))
    name = ibis.cases(*[(segment == k, v) for k, v in saved.names.items()], else_=ibis.null("string"))
    return t.select(customer_id=t._id, segment_id=segment, segment_name=name, problem=t.problem)


def features_from_log(saved: SavedRun, log: Path, kind: str | None = None) -> pd.DataFrame:
    """The run's features of every customer of a transaction log, computed by the run's own stages 01–04.

    The log is read with the run's ``sources.transactions`` settings (delimiter, column mapping, …), the
    run's other sources (CRM, survey) as configured, in a temporary work folder.
    """
    from custseg import pipeline

    if not saved.card["has_log"]:
        raise ConfigError(f"run {saved.folder} was formed on a customer table, not a log: give a table with its "
                          "feature columns")
    cfg = copy.deepcopy(saved.config)
    privacy = cfg["privacy"]
    if (privacy["key"] == "***" and not os.environ.get(privacy["key_env"])
            and (privacy["pseudonymise_ids"] or privacy["pii_action"] == "pseudonymise")):
        # the saved config hides the key: pseudonyms made with another key would be other customers
        raise ConfigError(f"run {saved.folder} pseudonymised ids with a key written in its config, which a run "
                          f"does not save: set the same key in the environment variable {privacy['key_env']}")
    old_workdir = Path(cfg["paths"]["workdir"] or PROJECT_ROOT)
    raw = Path(cfg["paths"]["raw"])
    spec = cfg["sources"]["transactions"]
    spec.update(path=str(Path(log).resolve()), url="", kind=kind or (spec["kind"] if Path(log).suffix ==
                                                                    Path(spec["path"] or "").suffix else None))
    with tempfile.TemporaryDirectory(prefix="custseg-assign-") as tmp:
        cfg["paths"].update(raw=str(raw if raw.is_absolute() else old_workdir / raw), workdir=tmp)
        cfg["demo"]["enabled"] = False
        cfg["run"] = "assign"
        out = pipeline.run_stages(cfg, io.run_paths(cfg).make(), "04_features")
        return out["04_features"].table


def read_table(saved: SavedRun, path: Path):
    """A customer table in any source kind custseg reads (csv, parquet, excel, …), as an Ibis table (nothing
    is read into memory until it is executed)."""
    from custseg import engine
    from custseg.sources.readers import open_source

    cfg = copy.deepcopy(saved.config)
    cfg["sources"]["customers"].update(path=str(Path(path).resolve()), url="", kind=None, table=None, query=None,
                                       columns=None, row_ids=False)
    cfg["engine"] = "duckdb"
    return open_source(engine.connect(cfg), cfg, "customers")


def assign_file(saved: SavedRun, path: Path, output: Path | None = None, as_log: bool | None = None
                ) -> tuple[Path, pd.DataFrame]:
    """``custseg assign``: assign every customer of a file (a table of the features, or a log) and write
    the result (CSV, or Parquet when ``output`` ends in .parquet). ``as_log`` None decides from the columns."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"input {path} does not exist")
    table = None
    if as_log is not True:
        try:
            table = read_table(saved, path)
        except SourceError:
            if as_log is False or not saved.card["has_log"]:
                raise
        if as_log is None and table is not None and saved.card["has_log"] and any(
                f not in table.columns for f in saved.features):
            table = None  # not the run's features: a log (decided from the columns, before reading any row)
    output = Path(output) if output else path.with_name(f"{path.stem}.segments.csv")
    if table is not None and in_engine_reason(saved) is None and table.count().execute() > IN_ENGINE_ROWS:
        result = assign_in_engine(saved, table)  # the table never leaves the engine
        if output.suffix == ".parquet":
            io.write_ibis(result, output.parent, output.stem)
        else:
            io.write_ibis_csv(result, output)
        return output, result
    table = features_from_log(saved, path) if table is None else table.execute()
    result = assign(saved, table)
    if output.suffix == ".parquet":
        io.write_table(result, output.parent, output.stem)
    else:
        io.write_csv(result, output)
    return output, result


def summary(result) -> str:
    """One line on what :func:`assign` did (on an Ibis table from :func:`assign_in_engine`: counted in the
    engine)."""
    if isinstance(result, pd.DataFrame):
        counts = result[["segment_id", "problem"]].assign(n=1)
    else:
        counts = result.group_by(["segment_id", "problem"]).aggregate(n=result.count()).to_pandas()
    done = counts["segment_id"].notna()
    k = counts.loc[done, "segment_id"].nunique()
    n_done, n = int(counts.loc[done, "n"].sum()), int(counts["n"].sum())
    text = f"assigned {n_done:,} of {n:,} customers to {k} segment{'s' if k != 1 else ''}"
    if n_done < n:
        why = counts.loc[~done, "problem"].str.replace(r" \(.*?\)", "", regex=True)
        # most frequent first, ties in alphabetical order (the engine returns its groups in no set order)
        reasons = counts.loc[~done, "n"].groupby(why).sum().sort_values(ascending=False, kind="stable")
        text += (f"; {n - n_done:,} not assigned (" + ", ".join(f"{w:,}× {p}" for p, w in reasons.head(3).items())
                 + "; see the problem column)")
    return text


__all__ = ["SavedRun", "assign", "assign_file", "assign_in_engine", "check", "features_from_log", "in_engine_reason",
           "load", "summary"]
