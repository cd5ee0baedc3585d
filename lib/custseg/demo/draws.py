"""Random draws the demo's generators share, and the named streams that keep parts of the data independent."""

from __future__ import annotations

import numpy as np

# a generator's main stream is ``default_rng(seed)``; a part drawn from a stream of its own leaves the rest of
# the data as it was when that part changes or is left out (the numbers are part of the generated data)
STREAMS = {"shift": 6, "consent": 7, "campaign": 8, "export": 9}


def stream(seed: int, name: str) -> np.random.Generator:
    """The random stream ``name`` of ``seed``, independent of the main stream and of the others.

    Parameters
    ----------
    seed : int
        The generator's seed.
    name : str
        One of :data:`STREAMS`: ``shift`` (the planted shift), ``consent``, ``campaign`` (who is in it, treated,
        responds) and ``export`` (how an export writes its values).

    Returns
    -------
    numpy.random.Generator
    """
    return np.random.default_rng([seed, STREAMS[name]])


def pick(rng: np.random.Generator, probs: dict[str, float], size: int) -> np.ndarray:
    """Draw ``size`` keys of ``probs`` with the given (not necessarily normalised) probabilities.

    Parameters
    ----------
    rng : numpy.random.Generator
    probs : dict of str to float
        Key → weight.
    size : int

    Returns
    -------
    numpy.ndarray
        The drawn keys.
    """
    keys = list(probs)
    p = np.array([probs[k] for k in keys], dtype=float)
    return np.array(keys)[rng.choice(len(keys), size=size, p=p / p.sum())]


def seasonal_times(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, season: np.ndarray) -> np.ndarray:
    """A random time in each ``[lo, hi]``, busier in the months ``season`` weighs more.

    Parameters
    ----------
    rng : numpy.random.Generator
    lo, hi : numpy.ndarray
        The bounds of each time (datetime64[s]).
    season : numpy.ndarray
        Twelve relative intensities, January first; times are drawn uniformly and kept with probability
        ``season[month] / season.max()`` until every one is kept.

    Returns
    -------
    numpy.ndarray
        datetime64[s], one per bound.
    """
    out = np.empty(len(lo), dtype="datetime64[s]")
    todo = np.arange(len(lo))
    while len(todo):
        span = (hi[todo] - lo[todo]).astype("int64")
        t = lo[todo] + (rng.random(len(todo)) * span).astype("timedelta64[s]")
        month = t.astype("datetime64[M]").astype(int) % 12
        ok = rng.random(len(todo)) < season[month] / season.max()
        out[todo[ok]] = t[ok]
        todo = todo[~ok]
    return out
