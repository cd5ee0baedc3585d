"""Every config key a user may set, its default, its type and what it means (:data:`DEFAULTS`), and the keys
with a fixed set of values (:data:`CHOICES`).

Where a module owns a key's values (the RFM binnings, the clustering algorithms, the feature dimensions …) or
its default (the :class:`~custseg.cluster.Segmenter`'s parameters), they are imported from it, not restated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from custseg import features, rfm, schema
from custseg.cluster.defaults import ALGORITHMS, SEGMENTER, TRANSFORMS
from custseg.i18n import LANGUAGES  # noqa: F401  (the languages with a catalogue: en, zh)

# One entry per allowed key: its default value. ``ANY_OF`` marks leaves whose default is None or
# whose allowed types are wider than the default's type.


@dataclass(frozen=True)
class ANY_OF:  # noqa: N801 - reads as a type spec in DEFAULTS
    types: tuple
    default: Any = None


_DATE = (dt.date, str)
_NUM = (int, float)


def _source(**extra: Any) -> dict[str, Any]:
    """The keys of one source in ``sources``: location, reader options and the column mapping."""
    return {
        "kind": ANY_OF((str,), None),  # one of SOURCE_KINDS; None: from the file suffix (or url)
        "path": ANY_OF((str,), ""),  # file, relative to paths.raw
        "url": ANY_OF((str,), ""),  # any Ibis connection URL, e.g. postgres://user@host/db
        "table": ANY_OF((str,), None),  # table in a database file or URL
        "query": ANY_OF((str,), None),  # or a SQL query run on that database
        "sheet": ANY_OF((str, int), 0),  # Excel sheet name or index
        "member": ANY_OF((str,), None),  # a .zip archive: the file inside it to read (None: its one data file)
        "delimiter": ANY_OF((str,), None),  # csv: None detects it; text: always whitespace
        "header": True,  # csv/text: the first line holds the column names
        "names": ANY_OF((list,), None),  # column names of a file without header
        "skip_rows": 0,  # csv/text/excel: lines above the header to skip (a title, a date, blank lines)
        "quote": ANY_OF((str,), None),  # csv: the quote character (None: detected; '"' in most exports)
        "escape": ANY_OF((str,), None),  # csv: the escape character inside quotes (None: detected)
        "encoding": "utf-8",  # e.g. gb18030 / gbk for Chinese exports, latin-1, utf-16
        "date_format": ANY_OF((str,), None),  # strptime format, e.g. '%Y%m%d'; None: ISO dates
        "dayfirst": False,  # dates like 31/12/2024 (day before month)
        # how numbers are written: null reads it off the values (1,234.56 and 1.234,56 both; a contradiction
        # is an error); '.' or ',' for the decimal mark; thousands ',', '.', ' ', "'" or '' (none)
        "decimal": ANY_OF((str,), None),
        "thousands": ANY_OF((str,), None),
        # this source's columns renamed ({old: new}) or dropped ([name, ...]) as it is read, before columns: maps
        # them (which, like attributes, outcomes and cluster.features, then uses the new names). A column named
        # like one custseg adds (share, segment, index, expected_value: custseg.schema.RESERVED) is renamed
        # NAME_src unless renamed here; the validation report notes it
        "rename": ANY_OF((dict,), None),
        "drop": ANY_OF((list,), None),  # [name, ...]: columns never read
        "columns": ANY_OF((dict,), None),  # canonical name -> this source's column name
        # customer ids that differ only by case (c01 / C01, Bn9Ke3 / BN9Ke3): detect (stop and ask when both
        # spellings occur) | insensitive (one customer: ids are upper-cased) | sensitive (two customers, case
        # kept). Ids are compared across sources: set it on one source (or the same on each)
        "id_case": "detect",
        **extra,
    }

DEFAULTS: dict[str, Any] = {
    "name": "demo",
    "description": "",
    "language": ANY_OF((str,), "en"),  # en | zh: persona cards, report index and 06 figures
    # the engine of the transaction-grain stages (collect, clean, features): duckdb (embedded) | pyspark
    "engine": "duckdb",
    "duckdb": {
        # engine: duckdb — the threads it runs on (null: one per core); every result is the same on any number
        "threads": ANY_OF((int,), None),
        # the memory it uses before it spills to disk (under $TMPDIR), e.g. 1GB, 16GB
        "memory_limit": "4GB",
    },
    "spark": {
        # engine: pyspark — where Spark runs: local[N], yarn, k8s://https://host:443, spark://host:7077
        "master": "local[2]",
        "app_name": "custseg",
        # any Spark settings, e.g. {spark.executor.memory: 8g, spark.sql.shuffle.partitions: 64}
        "conf": ANY_OF((dict,), None),
    },
    "paths": {
        # raw inputs (read only); data/interim, data/processed and reports/ go under workdir
        "raw": "data/raw/demo",
        "workdir": ANY_OF((str,), ""),
    },
    "demo": {
        # when set, `custseg run` generates the demo data into paths.raw if it is missing
        "enabled": True,
        # retailer (CRM + orders DuckDB + survey) | online_retail (one CSV, UCI shape) |
        # log_only (one CSV: customer_id, order_date, amount) | subscribers (a telecom subscriber table, no log) |
        # survey (a survey study: demographics and Likert answers as text, no log)
        "shape": "retailer",
        "n_customers": 20000,
        "seed": 7,
        "start": ANY_OF(_DATE, "2023-01-01"),
        "end": ANY_OF(_DATE, "2025-12-31"),
        # planted shift for the migration view: from shift_date on, shift_share of this persona's customers
        # stop buying (null: no shift; the data before shift_date is the same as without it)
        "shift_persona": ANY_OF((str,), None),
        "shift_share": ANY_OF(_NUM, 0.5),
        "shift_date": ANY_OF(_DATE, None),
    },
    # Each source: where it is (path or url), how to read it and which of its columns is which
    # canonical custseg column (custseg.schema.SCHEMAS). A source with neither path nor url is not used.
    "sources": {
        "transactions": _source(status_by_order_prefix=ANY_OF((dict,), None)),  # required
        "orders": _source(),  # optional order headers, joined to transactions on order_id
        # optional CRM / customer attributes, joined on customer_id; row_ids: true when a table without a log
        # has no id column (its customers are then numbered 1, 2, … in the order of the file)
        "customers": _source(row_ids=False),
        "survey": _source(row_ids=False),  # optional survey answers, joined on respondent_id = customer_id
        # optional campaign results, read by 09_measure: customer_id, group (treatment / control), responded,
        # and optionally contacted, revenue, cost (custseg.campaign)
        "campaign": _source(),
    },
    "privacy": {
        # columns (in any source) holding personal data: dropped or pseudonymised before anything is written
        "pii_columns": ["name", "phone", "email"],
        "pii_action": "drop",  # drop | pseudonymise (keyed hash, HMAC-SHA256)
        "pseudonymise_ids": False,  # replace customer ids by their keyed hash in every output
        "key_env": "CUSTSEG_PII_KEY",  # environment variable holding the key
        "key": ANY_OF((str,), None),  # or the key itself (prefer the environment variable)
        # customer-table columns holding sensitive traits, beyond those recognised by name (ethnicity, race,
        # religion, health, political views, union membership, 民族, 宗教, 健康 …): never clustered on, never in a
        # rule or a persona name; described only in aggregate, with a note
        "sensitive_columns": [],
    },
    "ids": {
        # customer ids spelled like one of these (in any case) are missing ids: their rows are quarantined
        # with a reason (missing_customer_id), never made into a customer called NULL
        "null_tokens": ["", "NULL", "N/A", "NA", "None", "-", "nan", "#N/A", "null", "空", "无"],
        # 00100 and 100 are one customer (one system exported the ids as numbers, another as text)
        "strip_leading_zeros": False,
    },
    "validation": {
        # a column whose share of unparseable values is above this is a config error; below it the
        # values become missing (and are counted) so cleaning can quarantine their rows
        "max_invalid_share": ANY_OF(_NUM, 0.01),
        "examples": 3,  # example values shown in an error message
    },
    "snapshot_date": ANY_OF(_DATE, None),  # None: the day after the last transaction
    "clean": {
        "test_account_patterns": ["test", "测试", "qa_"],
        "earliest_date": ANY_OF(_DATE, None),  # None: Jan 1 of the first signup year (else 1990-01-01)
        "exclude_products": [],  # product ids that are not purchases (postage, fees, manual adjustments)
        # line rules to switch off (custseg.clean), e.g. [duplicate_line, near_duplicate_line] for a log without
        # order or line ids, where identical lines on one day can be real repeat purchases (an exact copy is also
        # a copy once ids are normalised); the audit lists them as switched off
        "rules_off": [],
        # one quarantine reason taking more than this share of the order lines or of the money stops 02_clean
        # with the reason and examples (an export read wrongly); null: custseg.clean.MAX_QUARANTINE_SHARE (0.2)
        "max_quarantine_share": ANY_OF(_NUM, None),
        "max_line_quantity": ANY_OF(_NUM, 50),
        "max_unit_price": ANY_OF(_NUM, 20000),
        "min_age": 16,
        "max_age": 100,
    },
    "features": {
        "age_bands": [18, 25, 35, 45, 55, 65],
        # CLV-convention summary: period D (day) or W (week, from Monday); recency and T are divided by the scaler
        "clv_time_unit": "D",
        "clv_time_scaler": ANY_OF(_NUM, 1),
        # calibration/holdout split (04_features and 07_evaluate): purchases from holdout_start on are the
        # holdout; null: the last holdout_days days up to the snapshot (at most the second half of the data)
        "holdout_start": ANY_OF(_DATE, None),
        "holdout_days": schema.DEFAULT_HOLDOUT_DAYS,
        # survey items (3 or more): factor analysis, and factor scores as the psychographic features
        # (custseg.factors); false: the items themselves
        "factor_analysis": True,
    },
    # the kind of customer-table columns, where the inferred one is wrong (04_features shows what was inferred):
    # {column: numeric | binary | ordinal | categorical | date | text | id, or [labels, lowest first]}
    "attributes": ANY_OF((dict,), None),
    # customer-table columns that segments are judged by (churned, responded, revenue), never formed on: a list of
    # names, each optionally a one-key mapping to its direction ([Churn, {Purchase: higher_is_better}]), or a
    # mapping name -> higher_is_better | lower_is_better | null; null reads the direction off the name (churn,
    # cancelled, default, 流失 … lower is better; purchase, accepted, converted, 购买 … higher), else unknown
    "outcomes": ANY_OF((list, dict), None),
    # the customer-table column that measures what each customer is worth (monthly charges, revenue, ARPU): it is
    # shared out in 06's size-and-value view, weighs in 08's attractiveness and gives the cards their value line.
    # null: net spend with a transaction log; without one, a column of numbers found by its name (charges, revenue,
    # spend, ARPU, 消费, 金额 …; a rate per month before a total), and 03 says which it took
    "value_column": ANY_OF((str,), None),
    # customer-table columns the business sets (a contract, a service, a price): the cards' strategies and KPIs
    # name only these, never a description such as tenure, age or senior citizen. {column: true | false} where the
    # default (custseg.attributes.is_lever: labels and prices are levers; tenure, demographics, outcomes, usage are
    # not) is wrong for a column
    "levers": ANY_OF((dict,), None),
    "rfm": {
        "bins": 5,  # 3, 4 or 5 scores
        "binning": "quantile",  # quantile | fixed
        "ties": "first",  # quantile ties: first (equal-sized scores) | keep (equal values share a score)
        # fixed binning: bins - 1 increasing edges per metric, e.g. {frequency: [2, 3, 5, 10], ...}
        "thresholds": ANY_OF((dict,), None),
        # named segments: [{segment: Champions, r: 5, f: "4-5", m: optional, action: ...}, ...]; null: default
        "grid": ANY_OF((list,), None),
    },
    "cluster": {
        # kmeans | minibatch | gmm | ward | hdbscan | kprototypes (see custseg.cluster); the defaults of the
        # Segmenter's parameters are custseg.cluster.defaults.SEGMENTER (here seed for its random_state)
        "algorithm": SEGMENTER["algorithm"],
        # exact column names or globs over the customer table (see custseg.features)
        "features": ["recency_days", "frequency", "monetary", "avg_order_value", "discount_share", "age",
                     "share_channel_*", "share_cat_*"],
        # plus every column of these dimensions: demographic, geographic, psychographic, behavioural
        "dimensions": [],
        # a customer table without a log: cluster on its demographics (gender, age, birth date, marital status …)
        # too; false: they describe the segments but do not form them (the default features only)
        "use_demographics": False,
        # transform of skewed non-negative features (and always of recency, frequency, spend, tenure):
        # log | quantile | none
        "skew_transform": SEGMENTER["skew_transform"],
        # cluster on each customer's expected value too: a model of next-period spend learned from the data
        # (custseg.cluster.value), weighted as much as all the other features together
        "expected_value": True,
        "k": ANY_OF((int,), SEGMENTER["k"]),  # null: chosen in k_min..k_max
        # the business range k is chosen in (see custseg.cluster.select_k: what the segments predict decides)
        "k_min": SEGMENTER["k_min"],
        "k_max": SEGMENTER["k_max"],
        "seed": SEGMENTER["random_state"],
        "silhouette_sample": SEGMENTER["silhouette_sample"],  # rows the silhouette is computed on, beyond it
        "stability_runs": SEGMENTER["stability_runs"],  # subsample refits per k and for the chosen solution; 0: skip
        # solutions with a smaller segment (share of customers) are not recommended; HDBSCAN's minimum group size
        "min_segment_share": ANY_OF(_NUM, SEGMENTER["min_segment_share"]),
        # ward and hdbscan are fitted on a sample of this size, the rest assigned
        "max_fit_rows": SEGMENTER["max_fit_rows"],
        # beyond this many customers the k sweep and the model are fitted on a random sample of this size, and
        # every customer is then assigned to the nearest segment (05 says so)
        "sample_rows": SEGMENTER["sample_rows"],
        # an earlier published run of this config (its name, or its report folder): its saved model assigns
        # this run's customers, so segment numbers and names keep their meaning (custseg run --baseline)
        "baseline": ANY_OF((str,), None),
        # with a baseline: fit afresh and match the new segments to the baseline's (custseg run --refit)
        "refit": False,
    },
    "evaluate": {
        # scorecard (07_evaluate): substantial = share of customers or of value ≥ min_share; differentiable /
        # actionable = |Cohen's d| ≥ min_effect on some feature / on a lever; accessible = reachable share ≥ min_reach
        "min_share": ANY_OF(_NUM, 0.05),
        "min_effect": ANY_OF(_NUM, 0.5),
        "min_reach": ANY_OF(_NUM, 0.5),
        # CRM columns that make a customer reachable (contact field or opt-in flag), when the data has them
        "contact_columns": ["email", "phone", "wechat_id", "email_opt_in", "sms_opt_in", "wechat_opt_in",
                            "marketing_opt_in"],
        # predictive validation on the holdout of features.holdout_start / holdout_days: custseg against the
        # RFM grid (whole and pooled to custseg's k), k-means on log RFM at custseg's k and at baseline_k;
        # bootstrap resamples for the interval on custseg's margin over the best rival
        "baseline_k": 4,
        "bootstrap": 200,
        # migration: features again at this later date from the same cleaning rules (null: no migration view)
        "later_snapshot": ANY_OF(_DATE, None),
        "psi_bins": 10,
        "psi_watch": ANY_OF(_NUM, schema.PSI_WATCH),  # PSI conventions: < 0.1 stable, 0.1-0.25 watch, ≥ 0.25 re-fit
        "psi_refit": ANY_OF(_NUM, schema.PSI_REFIT),
    },
    # segments marketing declares (custseg.rule_segments), compared side by side with the clusters in 07 and 08:
    # one variable (variable: age, bands: [30, 45, 60]; or variable: city_tier, one segment per value) or
    # named conditions (segments: [{name: Young tier 1, when: "city_tier == 'tier 1' and age < 30"},
    # {name: Everyone else, when: other}])
    "rule_segments": {
        "variable": ANY_OF((str,), None),
        "bands": ANY_OF((list,), None),
        "segments": ANY_OF((list,), None),
    },
    # targeting (08_target, custseg.target): growth is net spend in the last growth_days against the same span
    # before; a margin column of the customer table replaces the value (value_column) there; segments pins the
    # targets
    "target": {
        "growth_days": 182,
        "margin_column": ANY_OF((str,), None),
        "segments": ANY_OF((list,), None),
        # how much each criterion weighs in the attractiveness score (custseg.target.ATTRACTIVENESS_CRITERIA);
        # outcomes: each outcome of known direction (a high churn rate makes a segment less attractive, a high
        # purchase rate more)
        "weights": {"share": ANY_OF(_NUM, 1), "value_share": ANY_OF(_NUM, 1), "value_index": ANY_OF(_NUM, 1),
                    "growth": ANY_OF(_NUM, 1), "outcomes": ANY_OF(_NUM, 1)},
    },
    # next-best offers (08_target, custseg.offers): association rules on baskets of one order (or of one
    # customer's window); items: category, product_id or auto (categories when the log has them)
    "offers": {
        "items": "auto",
        "basket": "order",
        "min_support": ANY_OF(_NUM, 0.002),
        "min_confidence": ANY_OF(_NUM, 0.05),
        "min_baskets": 20,
        # a rule is an offer only from this lift (1.2: A makes C at least 20 % more likely than in the base); 08
        # says how many rules with a lift above 1 it left out
        "min_lift": ANY_OF(_NUM, 1.2),
        "top": 3,
        # a customer table without a log: the yes/no columns of services customers hold, which act as the items
        # (each customer one basket); null: found from the values (0/1 flags and Yes/No columns, with labels such
        # as "No internet service" counted as no; never outcomes, demographics, household or billing columns, nor
        # the gate an add-on needs, such as PhoneService for MultipleLines: 08 says which it left out)
        "services": ANY_OF((list,), None),
    },
    # campaign measurement (09_measure, custseg.campaign), from sources.campaign
    "campaign": {
        "cost_per_contact": ANY_OF(_NUM, None),  # when the results have no cost column
        "bootstrap": 1000,  # resamples for the interval on revenue per customer
        "min_group": 30,  # treated and control customers a segment needs to be judged
        "seed": 0,
    },
}



ENGINES = ("duckdb", "pyspark")
CHOICES = {
    "features.clv_time_unit": tuple(features.TIME_UNITS),
    "rfm.bins": rfm.BINS,
    "rfm.binning": rfm.BINNINGS,
    "rfm.ties": rfm.TIES,
    "cluster.algorithm": ALGORITHMS,
    "cluster.skew_transform": TRANSFORMS,
    "cluster.dimensions": features.DIMENSIONS,
    "demo.shape": ("retailer", "online_retail", "log_only", "subscribers", "survey"),
    "privacy.pii_action": ("drop", "pseudonymise"),
    "offers.items": ("auto", "category", "product_id"),
    "offers.basket": ("order", "customer"),
}



def _date_keys(spec: dict, where: str = "") -> list[str]:
    """The dotted keys of ``spec`` whose values are dates."""
    keys = []
    for key, value in spec.items():
        dotted = f"{where}.{key}" if where else key
        if isinstance(value, dict):
            keys += _date_keys(value, dotted)
        elif isinstance(value, ANY_OF) and value.types == _DATE:
            keys.append(dotted)
    return keys


DATE_KEYS = tuple(_date_keys(DEFAULTS))  # validation turns their values into datetime.date
