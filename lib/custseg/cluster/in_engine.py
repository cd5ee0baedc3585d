"""Assign segments inside the engine (DuckDB or Spark) with a fitted k-means :class:`Segmenter`."""

from __future__ import annotations

import ibis

from custseg.cluster.segmenter import Segmenter


def predict_in_engine(segmenter: Segmenter, table):
    """Assign segments to every customer of an Ibis table inside its engine, with a fitted k-means Segmenter.

    The fitted preprocessing is written out as Ibis expressions — median / most-frequent imputation,
    ``log1p`` of the skewed columns, standard scaling, one-hot categories (unknown values: all zeros) —
    and each customer goes to the nearest centroid (ties to the lower centroid, as scikit-learn), numbered
    as :meth:`Segmenter.predict` numbers them. So a saved model scores a customer table of any size in
    DuckDB or Spark without pulling it into pandas.

    Parameters
    ----------
    segmenter : Segmenter
        Fitted with ``algorithm`` ``kmeans`` or ``minibatch`` and ``skew_transform`` ``log`` or ``none``.
    table : ibis Table
        Customers with (at least) the columns the segmenter was fitted on.

    Returns
    -------
    ibis Table
        ``table`` with an int64 ``segment`` column.

    Raises
    ------
    ValueError
        For another algorithm or the quantile transform (they have no closed form in SQL: use ``predict``).
    KeyError
        When the table lacks a fitted column.
    """
    if segmenter.algorithm not in ("kmeans", "minibatch") or segmenter.skew_transform == "quantile":
        raise ValueError(f"predict_in_engine needs a k-means segmenter with skew_transform log or none, got "
                         f"algorithm {segmenter.algorithm!r} with {segmenter.skew_transform!r}: use "
                         f"Segmenter.predict on a pandas frame instead")
    if getattr(segmenter, "value_model_", None) is not None:
        raise ValueError("predict_in_engine cannot compute the expected value (a gradient-boosted model) in SQL: "
                         "use Segmenter.predict on a pandas frame, or fit with cluster.expected_value: false")
    missing = [c for c in segmenter.feature_names_in_ if c not in table.columns]
    if missing:
        raise KeyError(f"cannot assign segments: columns {missing} are missing from the table")
    z, weights = [], segmenter.preprocessor_.transformer_weights or {}
    for name, steps, columns in segmenter.preprocessor_.transformers_:
        if name == "remainder":
            continue
        imputer = steps.named_steps["simpleimputer"]
        for i, col in enumerate(columns):
            fill = imputer.statistics_[i]
            if name == "cat":
                value = table[col].cast("string").fill_null(str(fill))
                for category in steps.named_steps["onehotencoder"].categories_[i]:
                    z.append(ibis.ifelse(value == str(category), 1.0, 0.0))
                continue
            x = table[col].cast("float64")
            x = ibis.ifelse(x.isnull() | x.isnan().fill_null(False), float(fill), x)
            if name == "skewed" and segmenter.skew_transform == "log":
                x = (x + 1.0).ln()
            scaler = steps.named_steps["standardscaler"]
            scale = 1.0 if scaler.scale_ is None else float(scaler.scale_[i])  # flags are centred only
            z.append((x - float(scaler.mean_[i])) / scale * float(weights.get(name, 1.0)))
    centres = segmenter.model_.cluster_centers_
    if len(z) != centres.shape[1]:
        raise ValueError(f"the preprocessing gives {len(z)} columns but the model has {centres.shape[1]}")
    # in steps, so that every expression appears once in the SQL
    originals = list(table.columns)
    t = table.mutate(**{f"_z{i}": expr for i, expr in enumerate(z)})
    t = t.mutate(**{f"_d{j}": sum(((t[f"_z{i}"] - float(c)) ** 2 for i, c in enumerate(centre)), ibis.literal(0.0))
                    for j, centre in enumerate(centres)})
    dist = [t[f"_d{j}"] for j in range(len(centres))]
    t = t.mutate(_nearest=ibis.least(*dist) if len(dist) > 1 else dist[0])
    segment = ibis.cases(*[(d == t._nearest, int(segmenter.relabel_[j])) for j, d in enumerate(dist)], else_=-1)
    return t.mutate(segment=segment.cast("int64")).select(*originals, "segment")
