"""The statistics custseg reports, one definition each: effect size (eta²), intervals of a proportion and of
a difference of proportions, the two-proportion test, Holm's correction and the bootstrap helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

Z95 = sps.norm.ppf(0.975)


def eta_squared_resampled(labels, y, rows) -> np.ndarray:
    """eta² (between-group over total sum of squares) of ``y`` by ``labels`` on each resample of customers.

    ``rows`` yields one resample at a time (an index array into ``labels`` and ``y``, e.g. from
    :func:`bootstrap_rows`); NaN where ``y`` does not vary or only one group is present.
    """
    codes = pd.factorize(np.asarray(labels))[0]
    y = np.asarray(y, dtype=float)
    n_groups = int(codes.max()) + 1
    out = []
    for idx in rows:
        g, v = codes[idx], y[idx]
        count = np.bincount(g, minlength=n_groups)
        present = count > 0
        mean = v.mean()
        total = ((v - mean) ** 2).sum()
        value = np.nan
        if total > 0 and present.sum() > 1:
            group_mean = np.bincount(g, weights=v, minlength=n_groups)[present] / count[present]
            value = (count[present] * (group_mean - mean) ** 2).sum() / total
        out.append(value)
    return np.array(out, dtype=float)


def eta_squared(values, groups) -> float:
    """Share of the variance of ``values`` explained by ``groups`` (ANOVA eta² = SS between / SS total).

    Missing values are left out; NaN when fewer than two groups or no variance remain.
    """
    df = pd.DataFrame({"v": np.asarray(values, dtype=float), "g": np.asarray(groups)}).dropna()
    if len(df) < 3:
        return np.nan
    return float(eta_squared_resampled(df["g"], df["v"], [np.arange(len(df))])[0])


# resamples draw at most this many customers (an m-out-of-n bootstrap beyond it): the interval is then that of
# a sample of this size, wider than the full sample's (conservative), at a fraction of the cost on millions
BOOTSTRAP_MAX_ROWS = 100_000


def bootstrap_rows(n: int, count: int, seed: int = 0):
    """``count`` bootstrap resamples of ``n`` customers (index arrays of ``min(n, BOOTSTRAP_MAX_ROWS)`` rows), drawn
    one at a time so that a million customers never need a count × n matrix; the same seed gives the same
    resamples."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield rng.integers(0, n, size=min(n, BOOTSTRAP_MAX_ROWS))


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (NaN for an empty group)."""
    if n == 0:
        return np.nan, np.nan
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # at 0 (or n) successes the bound is exactly 0 (or 1); rounding would leave it a hair off (1e-17 for 0/14),
    # above the rate itself
    return (0.0 if successes == 0 else float(centre - half)), (1.0 if successes == n else float(centre + half))


def newcombe(x1: float, n1: float, x2: float, n2: float, z: float = Z95) -> tuple[float, float, float]:
    """Difference of two proportions x1/n1 − x2/n2 and its hybrid score interval (Newcombe 1998, method 10).

    Returns (difference, low, high); NaN where a group is empty.
    """
    if n1 == 0 or n2 == 0:
        return np.nan, np.nan, np.nan
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    d = p1 - p2
    return (d, d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def two_proportion_p(x1: float, n1: float, x2: float, n2: float) -> float:
    """Two-sided p-value of the pooled two-proportion z test (NaN where a group is empty or nobody responded)."""
    if n1 == 0 or n2 == 0:
        return np.nan
    pooled = (x1 + x2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return np.nan
    return float(2 * sps.norm.sf(abs((x1 / n1 - x2 / n2) / se)))


def bootstrap_mean_difference(treated: np.ndarray, control: np.ndarray, resamples: int = 1000, seed: int = 0,
                              level: float = 0.95, chunk: int = 50) -> tuple[float, float, float]:
    """Mean of ``treated`` minus mean of ``control`` and its percentile bootstrap interval (each group resampled
    with replacement on its own). Returns (difference, low, high)."""
    treated, control = np.asarray(treated, float), np.asarray(control, float)
    if len(treated) == 0 or len(control) == 0:
        return np.nan, np.nan, np.nan
    rng = np.random.default_rng(seed)
    diffs = []
    for start in range(0, resamples, chunk):
        b = min(chunk, resamples - start)
        t = treated[rng.integers(0, len(treated), (b, len(treated)))].mean(axis=1)
        c = control[rng.integers(0, len(control), (b, len(control)))].mean(axis=1)
        diffs.append(t - c)
    diffs = np.concatenate(diffs)
    alpha = (1 - level) / 2
    return (float(treated.mean() - control.mean()), float(np.quantile(diffs, alpha)),
            float(np.quantile(diffs, 1 - alpha)))


def holm(p: pd.Series) -> pd.Series:
    """Holm's step-down adjusted p-values (family-wise error), NaN kept."""
    valid = p.dropna().sort_values()
    m = len(valid)
    adjusted = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * valid.to_numpy()))
    return pd.Series(adjusted, index=valid.index).reindex(p.index)


def adjusted_eta_squared(eta2, n: int, groups: int):
    """eta² corrected for the number of groups (epsilon², as adjusted R² is to R²): more groups explain more of
    the variance by chance alone, (groups − 1) / (n − groups) of it on noise. Comparable across segmentations
    with different numbers of groups; NaN where ``n <= groups``."""
    if n <= groups:
        return np.full_like(np.asarray(eta2, dtype=float), np.nan) if np.ndim(eta2) else np.nan
    eta2 = np.asarray(eta2, dtype=float) if np.ndim(eta2) else float(eta2)
    return eta2 - (1 - eta2) * (groups - 1) / (n - groups)
