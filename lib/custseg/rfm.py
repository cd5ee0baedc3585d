"""RFM scoring (1–3, 1–4 or 1–5) with pluggable binning, and the named RFM segment grid.

Scores run from 1 to ``bins``; the highest is best: the most recent buyers (lowest ``recency_days``),
the most orders, the highest net spend. Two binnings:

* ``"quantile"`` — equal shares of customers per score, from the rank of each customer. Many customers
  share a value (e.g. exactly one order), so ties need a rule:

  - ``ties="first"`` splits equal values by row order, so every score holds the same number of
    customers (give the rows a stable order, e.g. by customer id — :func:`custseg.features.behaviour`
    does);
  - ``ties="keep"`` gives equal values the same score (the one their lowest rank falls in), so scores
    can be uneven and some can be empty — honest when 60 % bought once, but less spread.
* ``"fixed"`` — business thresholds in the metric's unit, ``bins - 1`` increasing edges. A value
  scores above every edge it reaches: frequency edges ``[2, 3, 5, 10]`` give 1 order → 1, 2 → 2,
  3–4 → 3, 5–9 → 4, 10+ → 5; recency edges ``[30, 90, 180, 365]`` give under 30 days → 5 … a year or
  more → 1.

The grid maps score cells to named segments, each with a typical action. A rule names a segment and
the R, F and (optionally) M scores it covers; a grid must be **exhaustive and non-overlapping**: every
one of the ``bins³`` cells maps to exactly one segment (:func:`cell_map` checks it and says which
cells fail). The default grids use R and F only; a config can replace them (``rfm.grid``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from custseg.schema import FREQUENCY, MONETARY, RECENCY

BINS = (3, 4, 5)
BINNINGS = ("quantile", "fixed")
TIES = ("first", "keep")
# feature column -> (score column, a higher value is better)
METRICS = {RECENCY: ("r_score", False), FREQUENCY: ("f_score", True), MONETARY: ("m_score", True)}

ACTIONS = {
    "Champions": "reward; early access; ask for reviews and referrals",
    "Loyal": "upsell higher-value products; loyalty programme",
    "Potential Loyalist": "membership offers; recommend related categories",
    "New": "onboarding; make the second purchase easy",
    "Promising": "build the relationship; free trials, small incentives",
    "Need Attention": "limited-time offers based on past purchases",
    "About to Sleep": "reactivate with popular products and discounts",
    "At Risk": "personalised win-back; find out what went wrong",
    "Can't Lose Them": "win them back with your best offers; talk to them",
    "Hibernating": "low-cost reactivation with relevant offers",
    "Lost": "ignore in paid campaigns; one last cheap win-back, then let go",
}

# default grids on (R, F), one per number of bins: (segment, R scores, F scores)
_DEFAULTS: dict[int, list[tuple[str, str, str]]] = {
    5: [("Champions", "5", "4-5"), ("Loyal", "3-4", "4-5"), ("Potential Loyalist", "4-5", "2-3"), ("New", "5", "1"),
        ("Promising", "4", "1"), ("Need Attention", "3", "3"), ("About to Sleep", "3", "1-2"),
        ("At Risk", "1-2", "3-4"), ("Can't Lose Them", "1-2", "5"), ("Hibernating", "2", "1-2"), ("Lost", "1", "1-2")],
    4: [("Champions", "4", "3-4"), ("Loyal", "3", "3-4"), ("Potential Loyalist", "3-4", "2"), ("New", "4", "1"),
        ("Promising", "3", "1"), ("About to Sleep", "2", "1-2"), ("At Risk", "1-2", "3"),
        ("Can't Lose Them", "1-2", "4"), ("Hibernating", "1", "2"), ("Lost", "1", "1")],
    3: [("Champions", "3", "3"), ("Loyal", "2", "3"), ("Potential Loyalist", "3", "2"), ("New", "3", "1"),
        ("Need Attention", "2", "2"), ("About to Sleep", "2", "1"), ("Can't Lose Them", "1", "3"),
        ("At Risk", "1", "2"), ("Lost", "1", "1")],
}


@dataclass(frozen=True)
class Rule:
    """One grid rule: the score cells of a segment (``m=None``: any M score) and its typical action."""

    segment: str
    r: frozenset[int]
    f: frozenset[int]
    m: frozenset[int] | None = None
    action: str = ""

    def covers(self, r: int, f: int, m: int) -> bool:
        return r in self.r and f in self.f and (self.m is None or m in self.m)


def default_grid(bins: int = 5) -> list[dict]:
    """The default grid for ``bins`` scores, in the config's format (a list of mappings)."""
    if bins not in _DEFAULTS:
        raise ValueError(f"RFM bins must be one of {BINS}, got {bins}")
    return [{"segment": s, "r": r, "f": f, "action": ACTIONS[s]} for s, r, f in _DEFAULTS[bins]]


def _scores(spec, bins: int, where: str) -> frozenset[int]:
    """Scores from ``5``, ``"4-5"`` or ``[3, 4]``, checked to lie within 1..bins."""
    values: set[int] = set()
    if isinstance(spec, int) and not isinstance(spec, bool):
        values = {spec}
    elif isinstance(spec, str) and (match := re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", spec)):
        lo, hi = int(match[1]), int(match[2] or match[1])
        values = set(range(lo, hi + 1))
    elif isinstance(spec, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in spec):
        values = set(spec)
    if not values or not values <= set(range(1, bins + 1)):
        raise ValueError(f"{where} must be scores within 1-{bins} like 5, \"4-5\" or [3, 4], got {spec!r}")
    return frozenset(values)


def make_grid(spec: list[dict] | None = None, bins: int = 5) -> list[Rule]:
    """Parse a grid (config format: mappings with ``segment``, ``r``, ``f``, optional ``m`` and ``action``).

    Parameters
    ----------
    spec : list of dict, optional
        The rules; None gives :func:`default_grid` for ``bins``.
    bins : int
        Scores run 1..bins.

    Raises
    ------
    ValueError
        If a rule is malformed or the grid is not exhaustive and non-overlapping (see :func:`cell_map`).
    """
    spec = default_grid(bins) if spec is None else spec
    if not isinstance(spec, list) or not spec:
        raise ValueError(f"rfm.grid must be a non-empty list of rules, got {spec!r}")
    rules = []
    for i, item in enumerate(spec):
        where = f"rfm.grid[{i}]"
        if not isinstance(item, dict) or not {"segment", "r", "f"} <= set(item) or set(item) - {
                "segment", "r", "f", "m", "action"}:
            raise ValueError(f"{where} must be a mapping with segment, r, f and optional m, action; got {item!r}")
        m = None if item.get("m") is None else _scores(item["m"], bins, f"{where}.m")
        rules.append(Rule(str(item["segment"]), _scores(item["r"], bins, f"{where}.r"),
                          _scores(item["f"], bins, f"{where}.f"), m,
                          str(item.get("action") or ACTIONS.get(str(item["segment"]), ""))))
    cell_map(rules, bins)
    return rules


def cell_map(grid: list[Rule], bins: int = 5) -> dict[tuple[int, int, int], str]:
    """Every (R, F, M) score cell → its segment.

    Raises
    ------
    ValueError
        Naming the cells that map to no segment or to more than one.
    """
    uses_m = any(rule.m is not None for rule in grid)
    cells, problems = {}, {}
    for r, f, m in itertools.product(range(1, bins + 1), repeat=3):
        names = [rule.segment for rule in grid if rule.covers(r, f, m)]
        if len(names) == 1:
            cells[(r, f, m)] = names[0]
        else:
            cell = f"R={r} F={f}" + (f" M={m}" if uses_m else "")
            problems[cell] = f"{cell} → {' and '.join(names) if names else 'no segment'}"
    if problems:
        listed = list(problems.values())
        raise ValueError(f"the RFM grid must map every score cell to exactly one segment; {len(listed)} of "
                         f"{bins ** (3 if uses_m else 2)} cells do not: "
                         + "; ".join(listed[:6]) + ("; …" if len(listed) > 6 else ""))
    return cells


GRID: list[Rule] = make_grid()


def _edges(edges, bins: int, where: str = "thresholds") -> np.ndarray:
    try:
        out = np.asarray(edges if edges is not None else [], dtype=float)
    except (TypeError, ValueError):
        out = np.array([])
    if out.ndim != 1 or len(out) != bins - 1 or (np.diff(out) <= 0).any():
        raise ValueError(f"{where} must be {bins - 1} increasing numbers for {bins} fixed bins, got {edges!r}")
    return out


def check_thresholds(thresholds: dict | None, bins: int) -> dict[str, np.ndarray]:
    """Validate fixed-binning thresholds: ``bins - 1`` increasing edges for each of :data:`METRICS`."""
    if not isinstance(thresholds, dict) or set(thresholds) != set(METRICS):
        raise ValueError(f"fixed binning needs rfm.thresholds with edges for each of {', '.join(METRICS)}; "
                         f"got {thresholds!r}")
    return {m: _edges(e, bins, f"rfm.thresholds.{m}") for m, e in thresholds.items()}


def score(values: pd.Series, bins: int = 5, higher_is_better: bool = True, binning: str | Callable = "quantile",
          ties: str = "first", thresholds: list[float] | None = None) -> pd.Series:
    """Scores 1..bins for one metric (the module docstring explains binnings and ties).

    Parameters
    ----------
    values : Series
        The metric, one value per customer.
    bins : int
        Number of scores.
    higher_is_better : bool
        False for recency: fewer days scores higher.
    binning : {"quantile", "fixed"} or callable
        A callable gets ``(values, bins, higher_is_better)`` and returns integer scores 1..bins.
    ties : {"first", "keep"}
        Quantile tie rule.
    thresholds : list of float
        The ``bins - 1`` increasing edges of the fixed binning.
    """
    if callable(binning):
        out = pd.Series(binning(values, bins, higher_is_better), index=values.index).astype("int64")
        if not out.between(1, bins).all():
            raise ValueError(f"the binning function must return scores 1..{bins}")
        return out
    if binning == "fixed":
        above = np.searchsorted(_edges(thresholds, bins), values.to_numpy(dtype=float), side="right")
        return pd.Series(1 + above if higher_is_better else bins - above, index=values.index, dtype="int64")
    if binning != "quantile" or ties not in TIES:
        raise ValueError(f"binning must be one of {BINNINGS} or a function and ties one of {TIES}; "
                         f"got {binning!r}, {ties!r}")
    ranks = values.rank(method="first" if ties == "first" else "min", ascending=higher_is_better)
    return np.ceil(ranks * bins / len(values)).clip(1, bins).astype("int64")


def rfm_table(features: pd.DataFrame, bins: int = 5, binning: str | Callable = "quantile", ties: str = "first",
              thresholds: dict[str, list[float]] | None = None, grid: list[dict] | list[Rule] | None = None
              ) -> pd.DataFrame:
    """R, F, M scores, the RFM code (e.g. ``'545'``), the grid segment and its action for every customer.

    The keyword arguments are the config's ``rfm`` section: ``rfm_table(table, **cfg["rfm"])``.

    Parameters
    ----------
    features : DataFrame
        Needs ``customer_id``, ``recency_days``, ``frequency`` and ``monetary``.
    bins, binning, ties
        See :func:`score`.
    thresholds : dict, optional
        For fixed binning: edges per metric, keyed ``recency_days``, ``frequency``, ``monetary``.
    grid : list, optional
        Rules (config mappings or :class:`Rule`); None uses the default grid for ``bins``.
    """
    rules = grid if grid and isinstance(grid[0], Rule) else make_grid(grid, bins)
    cells = cell_map(rules, bins)
    if binning == "fixed":
        check_thresholds(thresholds, bins)
    out = features[["customer_id", *METRICS]].copy()
    for metric, (column, up) in METRICS.items():
        edges = (thresholds or {}).get(metric)
        out[column] = score(out[metric], bins, up, binning, ties, edges)
    out["rfm_code"] = out["r_score"].astype("str") + out["f_score"].astype("str") + out["m_score"].astype("str")
    out["rfm_segment"] = [cells[c] for c in zip(out["r_score"], out["f_score"], out["m_score"], strict=True)]
    actions = {}
    for rule in rules:
        actions.setdefault(rule.segment, rule.action)
    out["rfm_action"] = out["rfm_segment"].map(actions)
    return out


def grid_table(rfm: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (R, F) grid as scored: segment name and share of customers per cell, R descending.

    A cell whose customers fall in several segments (a grid that also uses M) shows them joined by '/'.
    """
    g = rfm.groupby(["r_score", "f_score"])
    names = g["rfm_segment"].agg(lambda s: " / ".join(sorted(s.unique()))).unstack()
    shares = (g.size() / len(rfm)).unstack()
    order = sorted(names.index, reverse=True)
    return names.loc[order], shares.loc[order]


def segment_summary(rfm: pd.DataFrame) -> pd.DataFrame:
    """Size, share, mean R/F/M, share of net spend and the typical action of each grid segment."""
    g = rfm.groupby("rfm_segment").agg(customers=("customer_id", "size"), recency_days=("recency_days", "mean"),
                                       frequency=("frequency", "mean"), monetary=(MONETARY, "mean"),
                                       revenue=(MONETARY, "sum"), action=("rfm_action", "first"))
    g["share"] = g["customers"] / g["customers"].sum()
    g["revenue_share"] = g["revenue"] / g["revenue"].sum()
    g = g[["customers", "recency_days", "frequency", MONETARY, "revenue", "share", "revenue_share", "action"]]
    return g.sort_values("revenue", ascending=False).drop(columns="revenue").reset_index()
