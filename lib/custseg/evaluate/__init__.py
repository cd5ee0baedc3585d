"""Evaluate segments and keep them alive: scorecard, predictive validation, migration over time.

Three questions, three parts:

* **Is it a good segmentation?** — :func:`scorecard` and :func:`solution_summary` rate every segment on the
  classic criteria: *measurable* (可衡量性: the defining features are known for its customers), *substantial*
  (可盈利性: big or valuable enough), *accessible* (可进入性: share reachable through a contact channel or
  opt-in, when the data has one), *differentiable* (可区分性: a large effect size on some feature, with
  Kruskal–Wallis / ANOVA tests per feature in :func:`separation`), *actionable* (it differs on a lever
  marketing can pull: recency, discount, channel or category) and *stable* (bootstrap Jaccard from
  :class:`custseg.cluster.Segmenter`), with a plain verdict.
* **Does it predict?** — :func:`compare`, :func:`margins` and :func:`winner`: segments built on a calibration
  period, judged by how well they separate what customers did in the holdout period (spend, log spend,
  orders, churn: eta², lift of the best segment, rank order), side by side with the named RFM grid (whole,
  and pooled to the same k in value order) and k-means on log R, F, M, with a bootstrap interval on the
  margin over the best rival.
* **Is it still valid?** — :func:`transitions`, :func:`flows` and :func:`drift`: customers assigned at a
  later snapshot with the saved model, the segment-to-segment transition matrix, new and gone customers,
  and the population stability index (PSI) of every feature per segment, with a re-fit recommendation
  (:func:`recommendation`; PSI < 0.1 stable, 0.1–0.25 watch, ≥ 0.25 re-fit by convention).

Functions here are pure (:mod:`~custseg.evaluate.scorecard`, :mod:`~custseg.evaluate.holdout`,
:mod:`~custseg.evaluate.migration`): the notebook reads and writes files through :mod:`custseg.io`.
Both snapshots' customer tables come from :func:`custseg.features.customer_features`, as in notebook 04.
"""

from custseg.evaluate import contest, outcomes, record, rivals, rules
from custseg.evaluate.holdout import (
    OUTCOMES,
    compare,
    kmeans_log_rfm,
    margins,
    outcome_separation,
    pooled_rfm,
    winner,
)
from custseg.evaluate.migration import (
    activity,
    drift,
    flows,
    match_segments,
    psi,
    recommendation,
    transitions,
)
from custseg.evaluate.scorecard import (
    SEGMENT_CRITERIA,
    contacts,
    reach,
    scorecard,
    separation,
    solution_summary,
    solution_verdict,
    verdict,
    verdicts,
)

# the splits' helpers live with the features (features never import evaluate); kept here for callers
from custseg.features.split import align, holdout_outcomes, with_outcomes
from custseg.stats import eta_squared

__all__ = ["OUTCOMES", "SEGMENT_CRITERIA", "activity", "align", "compare", "contacts", "contest", "drift",
           "eta_squared", "flows", "holdout_outcomes", "kmeans_log_rfm", "margins", "match_segments",
           "outcome_separation", "outcomes", "pooled_rfm", "psi", "reach", "recommendation", "record", "rivals",
           "rules", "scorecard", "separation", "solution_summary", "solution_verdict", "transitions", "verdict",
           "verdicts", "winner", "with_outcomes"]
