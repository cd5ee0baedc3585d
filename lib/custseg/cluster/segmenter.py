"""The :class:`Segmenter`: preprocessing, the model and the choice of k in one scikit-learn estimator."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from threadpoolctl import threadpool_limits

from custseg.cluster.defaults import ALGORITHMS, SEGMENTER
from custseg.cluster.models import make_model
from custseg.cluster.preprocess import categorical_blocks, make_preprocessor
from custseg.cluster.select_k import recommend_k, subsample_stability, sweep
from custseg.cluster.value import SPEND_COLUMN, VALUE_COLUMN, ExpectedValue, out_of_fold, value_weight
from custseg.env import interactive
from custseg.schema import UNSTABLE_ARI


class TooFewCustomers(ValueError):
    """The data has fewer customers (or distinct customers) than the segments asked for need."""


class UnstableSegmentsWarning(UserWarning):
    """The chosen solution changes too much when it is refitted on subsamples."""


# up to this many fitted rows k-means runs on one thread: a second one saves nothing there (0.28 s vs 0.31 s for
# 20,000 rows on 2 cores), and threads waiting on each other stall beside any other busy process
ONE_THREAD_ROWS = 30_000


class Segmenter(ClusterMixin, BaseEstimator):
    """Preprocess customer features and cluster them, choosing k when not given, and check stability.

    The defaults are :data:`custseg.cluster.defaults.SEGMENTER`, which are also the config's (``cluster:``).

    Parameters
    ----------
    algorithm : str
        One of :data:`ALGORITHMS` (module docstring).
    k : int, optional
        Number of segments; None sweeps ``k_min..k_max`` and uses :func:`recommend_k` (HDBSCAN finds k).
    k_min, k_max : int
        The sweep range.
    skew_transform : {"log", "quantile", "none"}
        For skewed non-negative features (:func:`make_preprocessor`).
    min_segment_share : float
        Solutions with a smaller segment are not recommended; HDBSCAN's minimum group size.
    stability_runs : int
        Subsample refits per k in the sweep and for the chosen solution (0: no stability check).
    silhouette_sample : int
        Rows sampled for the silhouette beyond this size.
    max_fit_rows : int
        Ward and HDBSCAN are fitted on a sample of this many customers.
    sample_rows : int
        Beyond this many customers the sweep, the stability refits and the model are fitted on a random sample
        of this size (and ``early`` is sampled to it); every customer is then assigned (``labels_``).
    random_state : int
        Seed: the same data, parameters and seed give identical labels.
    progress : bool
        Show a progress bar during the sweep.

    Attributes
    ----------
    preprocessor_ : ColumnTransformer
    model_ : estimator
        The fitted clustering model (on the preprocessed matrix).
    labels_ : ndarray
        Segment of each training row, numbered by decreasing size (0 = largest); −1 is HDBSCAN's noise.
    k_, reason_ : int, str
        The number of segments and why.
    sweep_ : DataFrame or None
        Criteria per k when k was chosen automatically.
    stability_ : DataFrame or None
        ARI of each subsample refit of the chosen solution.
    segment_stability_ : DataFrame or None
        Per segment: customers and mean/min best Jaccard overlap over the refits.
    stability_ari_ : float
        Mean ARI (NaN without a stability check).
    fitted_rows_ : int
        The customers the model was fitted on (all of them up to ``sample_rows``).
    value_model_ : ExpectedValue or None
        The model of the expected value (fitted with ``value_from``), applied again by ``predict``.
    """

    def __init__(self, algorithm: str = SEGMENTER["algorithm"], k: int | None = SEGMENTER["k"],
                 k_min: int = SEGMENTER["k_min"], k_max: int = SEGMENTER["k_max"],
                 skew_transform: str = SEGMENTER["skew_transform"],
                 min_segment_share: float = SEGMENTER["min_segment_share"],
                 stability_runs: int = SEGMENTER["stability_runs"],
                 silhouette_sample: int = SEGMENTER["silhouette_sample"],
                 max_fit_rows: int = SEGMENTER["max_fit_rows"], sample_rows: int = SEGMENTER["sample_rows"],
                 random_state: int = SEGMENTER["random_state"], progress: bool = True):
        self.algorithm = algorithm
        self.k = k
        self.k_min = k_min
        self.k_max = k_max
        self.skew_transform = skew_transform
        self.min_segment_share = min_segment_share
        self.stability_runs = stability_runs
        self.silhouette_sample = silhouette_sample
        self.max_fit_rows = max_fit_rows
        self.sample_rows = sample_rows
        self.random_state = random_state
        self.progress = progress

    @classmethod
    def from_config(cls, cluster: dict, **overrides) -> Segmenter:
        """A Segmenter from the config's ``cluster`` section; ``overrides`` win (e.g. ``k=4, stability_runs=0``).

        The progress bar of the k sweep shows in JupyterLab and never in a report.
        """
        params = {key: cluster[key] for key in SEGMENTER if key != "random_state"}
        params.update(random_state=cluster["seed"], progress=interactive())
        return cls(**{**params, **overrides})

    def _model_params(self, n: int) -> dict:
        fitted = min(n, self.max_fit_rows)
        return {"max_rows": self.max_fit_rows, "categorical": tuple(categorical_blocks(self.preprocessor_)),
                "min_cluster_size": max(5, int(np.ceil(self.min_segment_share * fitted)))}

    def fit(self, X: pd.DataFrame, y=None, value_from: tuple | None = None, early: pd.DataFrame | None = None,
            later=None, later_label: str = "", language: str = "en") -> Segmenter:
        """Fit on the customer features ``X``, choosing k when it is not set.

        Parameters
        ----------
        X : DataFrame
            One row per customer, the clustering features.
        value_from : (DataFrame, array-like), optional
            Customers' features at an earlier cutoff and their log(1 + spend) after it: the expected value
            (:mod:`custseg.cluster.value`) is learned from them and clustered on with ``X``'s features.
        early, later : DataFrame and array-like, optional
            For choosing k by what it predicts: the same features at an earlier cutoff (``early``) and each
            of those customers' outcome after it (``later``, e.g. log spend), see
            :func:`~custseg.cluster.select_k.recommend_k`. Without them k is chosen by the consensus of the
            criteria.
        later_label : str
            The later outcome in words, for ``reason_``.
        language : {'en', 'zh'}
            The language of ``reason_`` (the catalogue's ``printed.k``).
        """
        # k-means runs on OpenMP threads; BLAS threads beside them oversubscribe the cores (on 2 cores a demo-sized
        # fit takes twice as long with them), and on small data a second OpenMP thread saves nothing
        fitted = min(len(X), self.sample_rows)
        with (threadpool_limits(limits=1, user_api="blas"),
              threadpool_limits(limits=1 if fitted <= ONE_THREAD_ROWS else None, user_api="openmp")):
            return self._fit(X, value_from, early, later, later_label, language)

    def _fit(self, X: pd.DataFrame, value_from: tuple | None, early: pd.DataFrame | None, later, later_label: str,
             language: str) -> Segmenter:
        from custseg import i18n

        say = lambda key, **kw: i18n.text(f"k.{key}", language, **kw)  # noqa: E731
        sep = i18n.messages(language)["sentence_sep"]
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"unknown algorithm {self.algorithm!r}; use one of {', '.join(ALGORITHMS)}")
        fewest = max(self.k or self.k_min, 2)
        if len(X) < 2 * fewest:
            most = len(X) // 2  # each segment needs at least 2 customers
            which = "cluster.k" if self.k else "cluster.k_min"
            raise TooFewCustomers(f"{len(X):,} customer{'s are' if len(X) != 1 else ' is'} too few to form {fewest} "
                                  "segments (each needs at least 2 customers" + (
                                      f"): set {which}: {most} or fewer, or bring more customers" if most >= 2 else
                                      ", so even 2 segments need 4): bring more customers or a longer window"))
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.value_model_ = None
        if value_from is not None:
            self.value_model_ = ExpectedValue(self.skew_transform, self.random_state).fit(
                value_from[0][list(X.columns)], value_from[1])
        with_value = self._with_value(X)
        self.preprocessor_ = self._fit_preprocessor(with_value)
        z = self.preprocessor_.transform(with_value)
        fit_rows = self._sample(len(z))
        zf = z if len(fit_rows) == len(z) else z[fit_rows]
        self.fitted_rows_ = len(zf)
        distinct = len(np.unique(np.round(zf, 9), axis=0))  # what a sweep on the fitted rows can tell apart
        if distinct < fewest and zf is not z:
            distinct = len(np.unique(np.round(z, 9), axis=0))
        if distinct < fewest:
            raise TooFewCustomers(f"the {len(X)} customers have only {distinct} distinct combination(s) of the "
                                  f"clustering features, too few to form {fewest} segments")
        params = self._model_params(len(X))
        seed = self.random_state
        self.sweep_ = None
        if self.algorithm == "hdbscan":
            k = None
        elif self.k is None:
            k_max = min(self.k_max, len(X) // 2, distinct)
            ks = range(self.k_min, k_max + 1)
            z_early = None
            if early is not None and len(early) >= 2 * k_max:
                picked = self._sample(len(early))
                early, later = early[list(X.columns)].iloc[picked], np.asarray(later)[picked]
                if self.value_model_ is not None:  # each early customer's value from a model that did not see them
                    early = early.assign(**{VALUE_COLUMN: out_of_fold(early, later, self.skew_transform, seed)})
                z_early = self._fit_preprocessor(early).transform(early)
            self.sweep_ = sweep(zf, ks, self.algorithm, seed, self.silhouette_sample, self.stability_runs,
                                self.progress, early=z_early, later=None if z_early is None else later, **params)
            k, self.reason_ = recommend_k(self.sweep_, self.min_segment_share, later=later_label, language=language)
            if k_max < self.k_max:
                self.reason_ += sep + say("tried_up_to", customers=f"{len(X):,}", distinct=f"{distinct:,}",
                                          k_max=k_max, config_k_max=self.k_max)
        else:
            k, self.reason_ = self.k, say("set", k=self.k)
        self.model_ = make_model(self.algorithm, k, seed, **params).fit(zf)
        raw = self.model_.predict(z)
        if self.fitted_rows_ < len(z):
            self.reason_ += sep + say("sampled", rows=f"{self.fitted_rows_:,}", customers=f"{len(z):,}")
        sizes = np.bincount(raw[raw >= 0], minlength=max(k or 0, int(raw.max()) + 1))
        order = np.argsort(-sizes, kind="stable")
        self.relabel_ = np.empty(len(order), dtype=int)
        self.relabel_[order] = np.arange(len(order))
        self.labels_ = self._relabel(raw)
        self.k_ = int((sizes > 0).sum())
        if self.algorithm == "hdbscan":
            if self.k_ < 2:
                raise ValueError(f"HDBSCAN found {self.k_} dense group(s) of at least {params['min_cluster_size']} "
                                 "customers: lower cluster.min_segment_share or use another algorithm")
            self.reason_ = say("hdbscan", k=self.k_, size=params["min_cluster_size"],
                               fitted=f"{min(len(X), self.max_fit_rows):,}", noise=f"{np.mean(self.labels_ == -1):.0%}")
        self.stability_ = self.segment_stability_ = None
        self.stability_ari_ = np.nan
        if self.stability_runs:
            self.stability_, seg = subsample_stability(zf, raw if zf is z else raw[fit_rows], self.algorithm, k,
                                                       self.stability_runs, seed=seed, **params)
            seg["segment"] = self._relabel(seg["segment"].to_numpy())
            self.segment_stability_ = seg.sort_values("segment", ignore_index=True)
            self.stability_ari_ = float(self.stability_["ari"].mean())
            if self.stability_ari_ < UNSTABLE_ARI:
                message = (f"the {self.k_}-segment solution is unstable: refitted on subsamples it agrees with "
                           f"itself only at ARI {self.stability_ari_:.2f} (< {UNSTABLE_ARI}); consider fewer "
                           "segments, other features or another algorithm")
                self.reason_ += sep + say("unstable", k=self.k_, ari=f"{self.stability_ari_:.2f}",
                                          threshold=UNSTABLE_ARI)
                warnings.warn(message, UnstableSegmentsWarning, stacklevel=2)
        return self

    def _sample(self, n: int) -> np.ndarray:
        """The rows fitted on: all of them up to ``sample_rows``, else that many drawn at random (in order)."""
        if n <= self.sample_rows:
            return np.arange(n)
        return np.sort(np.random.default_rng(self.random_state).choice(n, self.sample_rows, replace=False))

    def _fit_preprocessor(self, X: pd.DataFrame):
        """The preprocessing fitted on ``X``; the expected value (when ``X`` has it) gets its own part, weighted
        by :func:`~custseg.cluster.value.value_weight` of the number of other output columns."""
        if VALUE_COLUMN not in X:
            return make_preprocessor(X, self.skew_transform, random_state=self.random_state).fit(X)
        part = f"weighted_{VALUE_COLUMN}"
        pre = make_preprocessor(X, self.skew_transform, {VALUE_COLUMN: 1.0}, self.random_state).fit(X)
        n_other = sum(s.stop - s.start for name, s in pre.output_indices_.items() if name != part)
        return pre.set_params(transformer_weights={**(pre.transformer_weights or {}), part: value_weight(n_other)})

    def _with_value(self, X: pd.DataFrame) -> pd.DataFrame:
        """The features with the expected value added (as they are without a value model)."""
        if self.value_model_ is None or VALUE_COLUMN in X:
            return X
        return X.assign(**{VALUE_COLUMN: self.value_model_.predict(X)})

    def _relabel(self, raw: np.ndarray) -> np.ndarray:
        return np.where(raw >= 0, self.relabel_[np.maximum(raw, 0)], -1)

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The preprocessed (transformed, scaled, one-hot) feature matrix."""
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise KeyError(f"cannot assign segments: columns {missing} are missing")
        return self.preprocessor_.transform(self._with_value(X[list(self.feature_names_in_)]))

    def predicted_spend(self, X: pd.DataFrame) -> pd.Series | None:
        """Each customer's expected spend in the next period (money; None without a value model)."""
        if self.value_model_ is None:
            return None
        value = self.value_model_.predict(X[list(self.feature_names_in_)])
        return pd.Series(np.expm1(np.maximum(value, 0)), index=X.index, name=SPEND_COLUMN)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Assign customers (new or old) to segments with the same preprocessing and numbering."""
        return self._relabel(self.model_.predict(self.transform(X)))
