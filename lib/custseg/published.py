"""A published run's model (``reports/<run>/model/``): written when ``custseg run`` publishes the report,
read back by :mod:`custseg.scoring` (assigning new customers) and by a later run that uses it as its
baseline (``cluster.baseline``).

``segmenter.joblib`` is the fitted model; ``model.json`` is the model card: the features and their kinds,
the segments and their names, the snapshot rule and the versions it was fitted with. The report and its
model always belong together: a later run that fails leaves both as they were.
"""

from __future__ import annotations

import datetime as dt
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from custseg import io
from custseg.config import PROJECT_ROOT, check_run_name, from_dict
from custseg.errors import ConfigError, StageError

MODEL_DIR = "model"
SEGMENTER_FILE, CARD_FILE, FEATURES_FILE = "segmenter.joblib", "model.json", "customers"
# a model pickled by another scikit-learn may load and predict differently; another custseg minor version
# may compute the features differently: a run's model is used only with the versions it was fitted with
PINNED = {"scikit-learn": 3, "custseg": 2}  # package → how many leading parts of the version must match
# the packages a run's results depend on, recorded in run.json and in the model card
VERSIONED = ["custseg", "ibis-framework", "duckdb", "pandas", "scikit-learn", "seaborn", "papermill"]


def versions() -> dict[str, str]:
    """The versions of Python and of the packages a run's results depend on (:data:`VERSIONED`).

    Returns
    -------
    dict
        Package name (and ``python``) → version; ``not installed`` for a package that is not.
    """
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def publish(cfg: dict, paths: io.RunPaths) -> Path:
    """Write the run's fitted model and its model card into the report folder (``model/``).

    Returns
    -------
    Path
        The model folder.
    """
    segmenter = io.read(paths, "segmenter")
    features = io.read(paths, "features")
    snapshot = io.read(paths, "snapshot")
    names = list(segmenter.feature_names_in_)
    kinds = []
    for name in names:
        column = features[name]
        if pd.api.types.is_numeric_dtype(column):
            kinds.append({"name": name, "kind": "numeric"})
        else:
            kinds.append({"name": name, "kind": "categorical", "labels": sorted(column.dropna().astype(str).unique())})
    cards = io.read(paths, "personas")
    total = sum(c["customers"] for c in cards) or 1
    card = {
        "run": cfg["run"],
        "published": dt.datetime.now().isoformat(timespec="seconds"),
        "snapshot_date": snapshot["snapshot_date"],
        "snapshot_rule": (f"snapshot_date {cfg['snapshot_date']} (set in the config)" if cfg["snapshot_date"] else
                          "the day after the last transaction of the input" if snapshot["has_log"] else "today"),
        "has_log": bool(snapshot["has_log"]),
        "algorithm": segmenter.algorithm, "k": int(segmenter.k_),
        "expected_value": getattr(segmenter, "value_model_", None) is not None,
        "features": kinds,
        "segments": [{"segment_id": int(c["segment"]), "segment_name": c["name"], "customers": int(c["customers"]),
                      "share": round(c["customers"] / total, 4),
                      "value_share": None if c.get("value_share") is None else round(float(c["value_share"]), 4)}
                     for c in cards],
        "versions": versions(),
    }
    folder = paths.reports / MODEL_DIR
    io.save_model(segmenter, folder / SEGMENTER_FILE)
    io.write_json(card, folder / CARD_FILE)
    # each customer's features and segment: what a later run's drift and migration compare against
    segments = io.read(paths, "segments")[["customer_id", "segment"]]
    io.write_table(features[["customer_id", *names]].merge(segments, on="customer_id"), folder, FEATURES_FILE)
    return folder


@dataclass(frozen=True)
class SavedRun:
    """A published run's model, model card and config."""

    folder: Path  # reports/<run>/
    card: dict
    segmenter: object
    config: dict

    @property
    def features(self) -> list[str]:
        return [f["name"] for f in self.card["features"]]

    def customers(self) -> pd.DataFrame:
        """The run's customers: id, the features it clustered on and their segment."""
        return customers(self.folder)

    @property
    def names(self) -> dict[int, str]:
        return {s["segment_id"]: s["segment_name"] for s in self.card["segments"]}


def customers(folder: Path) -> pd.DataFrame:
    """A published run's customers (``folder``: its report folder): id, the features it clustered on and their
    segment. Reading them needs neither the model nor its versions."""
    return io.read_table(folder / MODEL_DIR / f"{FEATURES_FILE}.parquet")


def load(run: str | Path, workdir: str | Path | None = None) -> SavedRun:
    """A published run: its report folder (``reports/<run>/``), or its name under ``workdir``'s ``reports/``.

    Raises
    ------
    ConfigError
        No such published run (``run`` is neither a report folder nor a plain run name), a run published
        without a model, or a model fitted with another scikit-learn than the one installed (it may predict
        differently).
    """
    folder = Path(run)
    if not (folder / "run.json").is_file():  # then it is a name under reports/, never a way out of it
        check_run_name(str(run), f"there is no run.json in '{run}', and")
        folder = Path(workdir or PROJECT_ROOT) / "reports" / str(run)
    if not (folder / "run.json").is_file():
        raise ConfigError(f"no published run '{run}': give its report folder (reports/<run>/, holding run.json) "
                          f"or its name with --workdir (looked in {folder.parent})")
    model = folder / MODEL_DIR
    if not (model / CARD_FILE).is_file():
        raise ConfigError(f"run {folder} was published without its model (by an older custseg): run it again "
                          "with `custseg run CONFIG` to publish one")
    card = io.read_json(model / CARD_FILE)
    installed = versions()
    differ = [f"{name} {card['versions'].get(name)} (the run) vs {installed.get(name)} (installed)"
              for name, parts in PINNED.items() if str(card["versions"].get(name)).split(".")[:parts] !=
              str(installed.get(name)).split(".")[:parts]]
    if differ:
        raise ConfigError(f"run {folder} was fitted with another version: {'; '.join(differ)}. Install the run's "
                          "versions (pip install scikit-learn==… custseg==…) or run the config again to refit")
    config = from_dict(io.read_json(folder / "run.json")["config"])
    return SavedRun(folder, card, io.load_model(model / SEGMENTER_FILE), config)


def baseline(run: str, workdir: str | Path, table: pd.DataFrame) -> SavedRun:
    """The baseline run of ``cluster.baseline`` (:func:`load`), checked against this run's features: the same
    columns of the same kinds.

    Raises
    ------
    StageError
        Naming what cannot be loaded or what differs.
    """
    try:
        saved = load(run, workdir)
    except ConfigError as err:
        raise StageError(f"05_cluster: cluster.baseline: {err}") from None
    missing = [f for f in saved.features if f not in table.columns]
    kinds = {f["name"]: f["kind"] for f in saved.card["features"]}
    differ = [f"{name} ({kinds[name]} then, not now)" for name in saved.features if name in table.columns and
              (kinds[name] == "numeric") != pd.api.types.is_numeric_dtype(table[name])]
    if missing or differ:
        what = "; ".join(filter(None, [f"missing now: {', '.join(missing)}" if missing else "",
                                       f"of another kind: {', '.join(differ)}" if differ else ""]))
        raise StageError(f"05_cluster: the baseline run '{run}' was formed on other features ({what}); "
                         "compare runs of the same config, or drop cluster.baseline to segment afresh")
    return saved


def match_to_baseline(segmenter, table: pd.DataFrame, saved: SavedRun, run: str) -> tuple[dict, str]:
    """Renumber a refitted ``segmenter``'s segments after the baseline's by their shared customers (the most
    overlap, one to one; new segments numbered after). Returns the matching and a sentence saying so."""
    from custseg.evaluate import match_segments

    matched = match_segments(segmenter.labels_, saved.segmenter.predict(table[saved.features]))
    segmenter.relabel_ = np.array([matched[s] for s in segmenter.relabel_])
    segmenter.labels_ = np.array([matched.get(s, s) for s in segmenter.labels_])
    if segmenter.segment_stability_ is not None:
        segmenter.segment_stability_["segment"] = segmenter.segment_stability_["segment"].map(matched)
    new = sorted(set(matched.values()) - set(saved.names))
    return matched, (f" Refitted, and matched to the segments of the baseline run '{run}' by their customers (the "
                     "most overlap, one to one)" + (f"; new segments: {', '.join(map(str, new))}." if new else
                                                   "; every segment has its counterpart."))
