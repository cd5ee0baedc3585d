"""Prepare customer features for clustering: choose the columns, transform skewed ones, scale, one-hot encode."""

from __future__ import annotations

import fnmatch

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, QuantileTransformer, StandardScaler

from custseg import features
from custseg.attributes import is_flag, is_levels
from custseg.cluster.defaults import TRANSFORMS

# a feature whose most common value is shared by at least this share of customers tells almost nobody apart
NEAR_CONSTANT = 0.995
# a 0/1 flag is centred, not standardised, and weighted √2: two customers who differ on it are at squared
# distance 2, as with the one-hot pair of a two-label category (see categorical_weights)
FLAG_WEIGHT = float(np.sqrt(2))


def available_columns(df: pd.DataFrame, patterns: list[str]) -> tuple[list[str], list[str]]:
    """The patterns (names or globs) that match a column of ``df``, and those that match none."""
    hit = [p for p in patterns if any(fnmatch.fnmatchcase(c, p) for c in df.columns)]
    return hit, [p for p in patterns if p not in hit]


def select_columns(df: pd.DataFrame, patterns: list[str], dimensions: list[str] | tuple = ()) -> list[str]:
    """Columns matching the patterns (names or globs like ``share_cat_*``), then every column of the dimensions.

    Parameters
    ----------
    df : DataFrame
        The customer table.
    patterns : list of str
        Exact names or globs, in order.
    dimensions : list of str
        Segmentation dimensions (see :func:`custseg.features.feature_groups`) whose columns are added.

    Raises
    ------
    KeyError
        If a pattern matches no column (the message lists the available columns) or a dimension is unknown.
    ValueError
        If nothing is selected.
    """
    chosen: list[str] = []
    for pattern in patterns:
        hits = [c for c in df.columns if fnmatch.fnmatchcase(c, pattern)]
        if not hits:
            raise KeyError(f"cluster feature '{pattern}' matches no column. Available: {', '.join(df.columns)}")
        chosen += [c for c in hits if c not in chosen]
    groups = features.feature_groups(df) if dimensions else {}
    for dimension in dimensions:
        if dimension not in groups:
            raise KeyError(f"unknown dimension '{dimension}'; use {', '.join(features.DIMENSIONS)}")
        chosen += [c for c in groups[dimension] if c not in chosen]
    if not chosen:
        raise ValueError("no cluster features: set cluster.features and/or cluster.dimensions")
    return chosen


def flag_columns(df: pd.DataFrame) -> list[str]:
    """The numeric columns holding only 0 and 1 (missing aside): yes/no flags, two-label categories."""
    return [c for c in df.select_dtypes("number").columns if is_flag(df[c])]


def skewed_columns(df: pd.DataFrame, threshold: float = 1.0) -> list[str]:
    """Non-negative numeric columns with skewness above ``threshold``, and the durations, counts and money of
    :data:`custseg.features.LOG_SCALE` whatever their skew (they get the log or quantile transform).

    A 0/1 flag is never among them, however rare its 1s (:func:`flag_columns`): it is a two-label category,
    not a skewed number. Nor are the codes of ordered labels — Likert scores, band codes, a declared order, or
    any column of at most ten whole numbers between 0 and 10 (:func:`custseg.attributes.is_levels`): their steps
    are the order of the labels, and a log would squeeze the upper ones together; they are standardised as they are.
    """
    num = df.select_dtypes("number")
    flags = flag_columns(num)
    return [c for c in num.columns if c not in flags and num[c].min() >= 0
            and (c in features.LOG_SCALE or (not is_levels(num[c]) and num[c].skew() > threshold))]


def make_preprocessor(df: pd.DataFrame, transform: str = "log", weighted: dict[str, float] | None = None,
                      random_state: int = 0) -> ColumnTransformer:
    """Transform skewed counts/spend, impute (median) and scale numbers; impute and one-hot encode categories;
    centre 0/1 flags and weigh them like a two-label category (:data:`FLAG_WEIGHT`), never log-transformed.

    Parameters
    ----------
    df : DataFrame
        The features to cluster on.
    transform : {"log", "quantile", "none"}
        For skewed non-negative columns and recency, frequency, spend and tenure (:func:`skewed_columns`):
        ``log1p``; a quantile transform to a normal shape (rank-based,
        robust to any outlier, but equal values stay tied and distances become rank distances); or nothing.
    weighted : dict, optional
        Numeric columns scaled as they are (no transform) and then multiplied by a weight, in a part of
        their own (``weighted``), e.g. the expected value (:mod:`custseg.cluster.value`).
    random_state : int
        The seed of the quantile transform's subsample (``cluster.seed``).
    """
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}, got {transform!r}")
    weighted = weighted or {}
    flags = [c for c in flag_columns(df) if c not in weighted]
    numeric = [c for c in df.select_dtypes("number").columns if c not in weighted]
    skewed = skewed_columns(df) if transform != "none" else []
    plain = [c for c in numeric if c not in skewed and c not in flags]
    categorical = [c for c in df.columns if c not in numeric and c not in weighted]
    parts, weights = [], {}
    if skewed:
        shape = (FunctionTransformer(np.log1p, feature_names_out="one-to-one") if transform == "log" else
                 QuantileTransformer(output_distribution="normal", n_quantiles=min(1000, len(df)),
                                     random_state=random_state))
        parts.append(("skewed", make_pipeline(SimpleImputer(strategy="median"), shape, StandardScaler()), skewed))
    if plain:
        parts.append(("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), plain))
    if categorical:
        parts.append(("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                           OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                      categorical))
    if flags:
        parts.append(("flag", make_pipeline(SimpleImputer(strategy="most_frequent"), StandardScaler(with_std=False)),
                      flags))
        weights["flag"] = FLAG_WEIGHT
    for column, weight in weighted.items():
        parts.append((f"weighted_{column}", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                      [column]))
        weights[f"weighted_{column}"] = weight
    return ColumnTransformer(parts, verbose_feature_names_out=False, transformer_weights=weights or None)


def categorical_weights(df: pd.DataFrame) -> pd.Series:
    """How much each categorical column weighs in the distances, relative to one standardised number.

    The one-hot columns stay 0/1 (they are not standardised). Two customers with different labels are
    at squared distance 2, with the same label at 0, so a column whose labels have shares p contributes
    2 (1 − Σ p²) on average, while a standardised number contributes 2: the weight 1 − Σ p² is at most 1,
    however many labels the column has (standardising the dummies would make a 10-label column weigh as
    much as about 10 numbers). Missing labels count as the most frequent one, as in :func:`make_preprocessor`.
    """
    categorical = [c for c in df.columns if c not in df.select_dtypes("number").columns]
    weights = {}
    for c in categorical:
        filled = df[c].fillna(df[c].mode().iloc[0]) if df[c].notna().any() else df[c]
        weights[c] = 1 - float((filled.value_counts(normalize=True) ** 2).sum())
    return pd.Series(weights, name="weight", dtype="float64")


def categorical_blocks(preprocessor: ColumnTransformer) -> list[tuple[int, int]]:
    """The (start, stop) output columns of each one-hot encoded category of a fitted preprocessor."""
    if "cat" not in preprocessor.named_transformers_:
        return []
    start = preprocessor.output_indices_["cat"].start
    blocks = []
    for values in preprocessor.named_transformers_["cat"][-1].categories_:
        blocks.append((start, start + len(values)))
        start += len(values)
    return blocks


def constant_columns(df: pd.DataFrame, share: float = NEAR_CONSTANT) -> list[str]:
    """Columns that are constant or nearly so: one value (missing included) for at least ``share`` of the rows.

    Clustering on them adds nothing but noise in the distances (a log without returns has ``return_rate``
    0 for everybody), so they are dropped before clustering, with a note.
    """
    if df.empty:
        return []
    return [c for c in df.columns if df[c].value_counts(dropna=False, normalize=True).iloc[0] >= share]
