"""Per-customer features, computed in the engine (Ibis) from cleaned transactions: one row per customer.

Definitions (marketing RFM at a snapshot date):

* ``recency_days`` — days from the last purchase to the snapshot date;
* ``frequency`` — number of distinct purchase orders;
* ``monetary`` — total net spend: purchases minus returns, after discounts.

Behaviour: ``avg_order_value`` (gross purchase spend / orders), ``tenure_days`` (snapshot − first
purchase), ``interpurchase_days`` (mean days between orders; null for one order), ``return_rate``
(returned / gross spend), ``discount_share`` (discounts / list value), ``share_channel_*`` (share of
orders per channel; an order counts once, in the channel of its purchase lines, so the shares sum to 1) and
``share_cat_*`` (share of gross spend per category).

The CLV convention (lifetimes / pymc-marketing ``rfm_summary``) is in :func:`clv_summary` and
:func:`calibration_holdout`: purchases are collapsed to one per period (day or week), ``frequency`` is
the number of *repeat* periods, ``recency`` the age at the last purchase period (last − first), ``T``
the age at the end of observation (end − first) and ``monetary_value`` the mean spend of the repeat
periods. Returns are not purchases there: they create no period and do not reduce spend.

Columns are grouped by the four classic segmentation dimensions in :func:`feature_groups`.

The package: :mod:`~custseg.features.behaviour` (RFM and behaviour in the engine), :mod:`~custseg.features.clv`
(the CLV convention), :mod:`~custseg.features.table` (the customer table and its dimensions),
:mod:`~custseg.features.survey` (factor scores) and :mod:`~custseg.features.split` (the calibration/holdout
splits that 04 writes and 05 and 07 read).
"""

from custseg.features.behaviour import LOG_SCALE, behaviour
from custseg.features.clv import (
    TIME_UNITS,
    beside_table,
    bought_again_by_history,
    calibration_holdout,
    clv_summary,
    repeats_within_orders,
)
from custseg.features.split import align, holdout_outcomes, with_outcomes
from custseg.features.survey import FACTOR_FIT_ROWS, MIN_FACTOR_ITEMS, survey_factors, with_factors
from custseg.features.table import (
    DEMOGRAPHIC,
    DIMENSIONS,
    GEOGRAPHIC,
    NOT_DEFAULT,
    attribute_columns,
    attribute_kinds,
    customer_features,
    customer_table,
    date_candidates,
    dated_columns,
    demographics,
    feature_groups,
    has_dates,
    likert_columns,
    psychographics,
    with_attributes,
)

__all__ = ["DEMOGRAPHIC", "DIMENSIONS", "FACTOR_FIT_ROWS", "GEOGRAPHIC", "LOG_SCALE", "MIN_FACTOR_ITEMS",
           "NOT_DEFAULT", "TIME_UNITS", "align", "attribute_columns", "attribute_kinds", "behaviour",
           "beside_table", "bought_again_by_history", "calibration_holdout", "clv_summary", "customer_features",
           "customer_table", "date_candidates", "dated_columns", "demographics", "feature_groups", "has_dates",
           "holdout_outcomes", "likert_columns",
           "psychographics", "repeats_within_orders", "survey_factors", "with_attributes", "with_factors",
           "with_outcomes"]
