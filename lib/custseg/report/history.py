"""The history of a config's runs (动态更新 · 持续优化): every published run of the config on one page —
segment sizes and value shares over time, how each run relates to the one before (assigned with its model,
refitted and matched, or fitted afresh), who moved between them and what the drift said.

It reads what each run published (``reports/<run>/run.json`` and ``model/``); :func:`render` builds the
page ``reports/<config name>-history.html`` that every run's index links to.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from custseg import i18n, io, published
from custseg.report import figures


def page_name(cfg: dict) -> str:
    """The history page's file name, next to the runs' report folders.

    Parameters
    ----------
    cfg : dict
        The config (its ``name`` names the page).

    Returns
    -------
    str
        ``<config name>-history.html``.
    """
    return f"{cfg['name']}-history.html"


def runs(reports: Path, name: str, language: str = "en") -> list[dict]:
    """Every published run of the config ``name`` under ``reports/`` (with a model), oldest snapshot first.

    Parameters
    ----------
    reports : Path
        The folder of the runs' report folders.
    name : str
        The config's name.
    language : str
        The language in which ``fit`` says how each run's segments were formed.

    Returns
    -------
    list of dict
        Per run: ``run``, ``snapshot``, ``published``, ``k``, ``segments``, ``features``, ``baseline``,
        ``fit`` and ``against`` (07's comparison with the baseline).
    """
    t = i18n.messages(language)["ui"]
    found = []
    for folder in sorted(p for p in reports.iterdir() if p.is_dir() and (p / "run.json").is_file()):
        record = io.read_json(folder / "run.json")
        card_path = folder / published.MODEL_DIR / published.CARD_FILE
        if record.get("config", {}).get("name") != name or not card_path.is_file():
            continue
        card = io.read_json(card_path)
        baseline = (record.get("config", {}).get("cluster") or {}).get("baseline")
        against = ((record.get("stages") or {}).get("07_evaluate") or {}).get("baseline")
        refit = bool((record.get("config", {}).get("cluster") or {}).get("refit"))
        fit = (t["history_fitted"] if not baseline else t["history_refitted" if refit else "history_assigned"]
               .format(baseline=baseline))
        found.append({"run": folder.name, "snapshot": card["snapshot_date"], "published": card["published"],
                      "k": card["k"], "segments": card["segments"], "features": card["features"],
                      "baseline": baseline, "fit": fit,
                      "against": against})
    return sorted(found, key=lambda r: (r["snapshot"], r["published"]))


def sizes(history: list[dict]) -> pd.DataFrame:
    """One row per run and segment: run, snapshot, segment id and name, customers, share, value share.

    Parameters
    ----------
    history : list of dict
        From :func:`runs`.

    Returns
    -------
    pandas.DataFrame
        The segments' sizes, runs in the order given.
    """
    rows = [{"run": r["run"], "snapshot": r["snapshot"], **s} for r in history
            for s in sorted(r["segments"], key=lambda s: s["segment_id"])]
    return pd.DataFrame(rows, columns=["run", "snapshot", "segment_id", "segment_name", "customers", "share",
                                       "value_share"])


KEY_FEATURES = 3  # the first clustered numeric features drawn over the runs


def feature_means(reports: Path, history: list[dict], n: int = KEY_FEATURES) -> pd.DataFrame:
    """One row per run, segment and key feature: the segment's mean of that feature in that run.

    Parameters
    ----------
    reports : Path
        The folder of the runs' report folders.
    history : list of dict
        From :func:`runs`.
    n : int
        How many key features: the first ``n`` numeric features the latest run clustered on.

    Returns
    -------
    pandas.DataFrame
        Columns ``run``, ``segment_id``, ``feature``, ``mean``.
    """
    rows = []
    for r in history:  # what each run published; its model (and the versions it needs) is not loaded
        numeric = [f["name"] for f in r["features"] if f["kind"] == "numeric"]
        rows.append((r["run"], published.customers(reports / r["run"]), numeric))
    if not rows:
        return pd.DataFrame(columns=["run", "segment_id", "feature", "mean"])
    key = rows[-1][2][:n]
    out = [pd.DataFrame({"run": run, "segment_id": means.index, "feature": feature, "mean": means.to_numpy()})
           for run, customers, _ in rows for feature in key if feature in customers
           for means in [customers.groupby("segment")[feature].mean()]]
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["run", "segment_id", "feature", "mean"])


def render(cfg: dict, reports: Path) -> str:
    """The history page of ``cfg``'s config (every published run under ``reports``) as HTML.

    Parameters
    ----------
    cfg : dict
        The config (its name and language).
    reports : Path
        The folder of the runs' report folders.

    Returns
    -------
    str
        The page, its charts embedded (it stands alone).
    """
    from custseg import plots

    history = runs(reports, cfg["name"], cfg["language"])
    table = sizes(history)
    plots.style()  # the house style, and a CJK font for Chinese segment names
    several = table["run"].nunique() > 1
    chart = figures.figure_data_uri(plots.history(table)) if several else None
    means = feature_means(reports, history) if several else None
    features = figures.figure_data_uri(plots.history_features(means)) if means is not None and len(means) else None
    return i18n.render("history.html.j2", cfg["language"], cfg=cfg, history=history, table=table, chart=chart,
                       features=features)
