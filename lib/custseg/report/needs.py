"""What a notebook's prose needs from the data: the ``needs-…`` cell tags, whether a run meets them, and the
nbconvert preprocessor that leaves out of the HTML report the cells whose needs the run does not meet.

A markdown cell that applies only to some data carries one or more ``needs-…`` tags and starts with one short
italic line saying so in the cell's language (:func:`applies_line`), so a reader in JupyterLab sees it at the top.
The report replaces such a cell, when the run lacks what it needs, by one line: what was left out, what it needs
and what brings it — or by nothing, when the cell also carries :data:`QUIET_TAG` (an addition whose absence says
nothing, such as the log's entries in a list of references).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from custseg import io, relations, schema


@dataclass(frozen=True)
class Need:
    """One need: what the run must have (English and 简体中文) and the config key or data that brings it."""

    en: str
    zh: str
    brings: str


NEEDS: dict[str, Need] = {
    "needs-log": Need("a transaction log", "交易流水", "sources.transactions"),
    "needs-holdout": Need("a holdout period (a log long enough to split)", "验证期（足够长、可切分的交易流水）",
                          "features.holdout_start / features.holdout_days"),
    "needs-survey": Need("a survey", "问卷调查数据", "sources.survey"),
    "needs-outcomes": Need("declared outcome columns", "声明的结果变量列", "outcomes:"),
    "needs-value": Need("a value to share out (a value column such as monthly charges, or the spend in a log)",
                        "可分摊的价值（月费等价值列，或交易流水中的消费额）", "value_column"),
    "needs-campaign": Need("campaign results with a control group", "带对照组的营销活动结果", "sources.campaign"),
    "needs-baseline": Need("a baseline run", "基线运行", "cluster.baseline (custseg run --baseline RUN)"),
    "needs-later-snapshot": Need("a later snapshot", "后续快照", "evaluate.later_snapshot"),
    "needs-rule-segments": Need("rule segments", "规则细分", "rule_segments"),
    "needs-baskets": Need("baskets (categories or product ids in the log)", "购物篮（交易流水中的品类或商品编号）",
                          "offers.items"),
    "needs-nested-labels": Need("a label that one column implies in others (found by 04_features)",
                                "由某一列决定、在其他列中重复出现的标签（由 04_features 发现）", "sources.customers"),
    "needs-structural-blanks": Need("blanks another column explains, or a column derived from two others (found by "
                                    "04_features)", "可由其他列解释的空值，或由两列推导出的列（由 04_features 发现）",
                                    "sources.customers"),
    "needs-crm": Need("a customer table (a CRM or subscriber export)", "客户表（CRM 或用户导出表）",
                      "sources.customers"),
    "needs-attributes": Need("customer attributes (columns of the customer table beyond the id)",
                             "客户属性（客户表中客户编号以外的列）", "sources.customers"),
    "needs-services": Need("services customers hold (yes/no service columns)",
                           "客户持有的服务（是/否服务列）", "offers.services"),
    "needs-compositions": Need("variables that describe the customers (a customer table's columns, or a log's "
                               "channels or categories)", "描述客户的变量（客户表中的列，或交易流水中的渠道或品类）",
                               "sources.customers"),
}
# the needs a shape of data meets or not (the others come with a config option, on any data: OPTION_NEEDS)
DATA_NEEDS = ("needs-log", "needs-holdout", "needs-crm", "needs-attributes", "needs-survey", "needs-value",
              "needs-baskets", "needs-services", "needs-nested-labels", "needs-structural-blanks",
              "needs-compositions")
OPTION_NEEDS = tuple(t for t in NEEDS if t not in DATA_NEEDS)


@dataclass(frozen=True)
class Shape:
    """A shape of data a run can have: its shipped example (``configs/<example>.yaml``) and the data needs
    (:data:`DATA_NEEDS`) a run of that example meets (the e2e runs of each example check them)."""

    example: str
    meets: frozenset[str]


SHAPES: dict[str, Shape] = {
    "log": Shape("log_only_example", frozenset({"needs-log", "needs-holdout", "needs-value"})),
    "log_crm": Shape("demo", frozenset({"needs-log", "needs-holdout", "needs-value", "needs-baskets", "needs-crm",
                                        "needs-attributes", "needs-survey", "needs-compositions"})),
    "table": Shape("subscribers_example", frozenset({"needs-crm", "needs-attributes", "needs-value", "needs-services",
                                                     "needs-nested-labels", "needs-structural-blanks",
                                                     "needs-compositions"})),
    "survey": Shape("survey_example", frozenset({"needs-crm", "needs-attributes", "needs-survey",
                                                 "needs-compositions"})),
}
BASKET_ITEMS = ("category", "product_id")  # the items of a log's baskets (08 with a log; "services" without one)
PREFIX = "needs-"
LEFT_OUT_TAG = "left-out"
QUIET_TAG = "quiet"  # with needs-… tags: left out without a line of its own


def _json(paths: io.RunPaths, name: str) -> dict:
    return io.read_optional(paths, name) or {}


def met(cfg: dict, paths: io.RunPaths) -> dict[str, bool]:
    """Whether this run meets each need, decided from its own artefacts (a stage not yet run meets nothing).

    Parameters
    ----------
    cfg : dict
        The run's validated config.
    paths : io.RunPaths
        The run's folders.

    Returns
    -------
    dict[str, bool]
        Every tag of :data:`NEEDS` → whether the run has what it needs.
    """
    kinds = io.read_optional(paths, "attributes")
    evaluated, found = _json(paths, "evaluate"), relations.from_kinds(kinds)
    return {
        "needs-log": bool(_json(paths, "collect_counts").get("has_log")),
        "needs-holdout": _json(paths, "holdout").get("holdout_start") is not None,
        "needs-survey": io.exists(paths, "collected_survey") or _survey_in_table(kinds),
        "needs-outcomes": bool(cfg["outcomes"]),
        "needs-value": _has_value(paths),
        "needs-campaign": bool(_json(paths, "measure").get("measured")),
        "needs-baseline": bool(_json(paths, "cluster").get("baseline")),
        "needs-later-snapshot": evaluated.get("migration") is not None,
        "needs-rule-segments": evaluated.get("rules") is not None,
        "needs-nested-labels": bool(found["nested"]),
        "needs-structural-blanks": bool(found["structural"] or found["derived"]),
        "needs-baskets": _json(paths, "target").get("items") in BASKET_ITEMS,
        "needs-crm": bool(_json(paths, "collect_counts").get("has_crm")),
        "needs-attributes": bool(attribute_columns(paths)),
        "needs-services": _json(paths, "target").get("items") == "services",
        "needs-compositions": _has_rows(paths, "compositions"),
    }


def _has_rows(paths: io.RunPaths, name: str) -> bool:
    """Whether a table artefact exists and has a row (06's compositions: none on a log of id, date and amount)."""
    table = io.read_optional(paths, name)
    return table is not None and len(table) > 0


def _survey_in_table(kinds) -> bool:
    """Whether the customer table is (also) a survey: Likert columns enough for 04's factor analysis (the survey
    example has its answers there, with no ``sources.survey``)."""
    from custseg.features import MIN_FACTOR_ITEMS, likert_columns

    return kinds is not None and len(likert_columns(kinds)) >= MIN_FACTOR_ITEMS


def _has_value(paths: io.RunPaths) -> bool:
    """Whether 06 shared a value out between the segments (its profile has a value share: net spend with a log, a
    customer table's value column without one)."""
    prof = io.read_optional(paths, "profile")
    return prof is not None and "value_share" in prof.columns


def attribute_columns(paths: io.RunPaths) -> list[str]:
    """The cleaned customer table's columns beyond the customer id that hold a value (03 describes them): read
    from the Parquet metadata (row and null counts), never the rows; none before 02 has run."""
    if not io.exists(paths, "customers"):
        return []
    import pyarrow.dataset as ds  # a Parquet file, or the directory Spark writes

    dataset = ds.dataset(io.artefact_path(paths, "customers"), format="parquet")
    nulls = {f.name: 0 for f in dataset.schema if f.name not in schema.RESERVED  # the id, and cleaning's flags
             and str(f.type) != "null"}  # a column of nothing but nulls
    rows = 0
    for fragment in dataset.get_fragments():
        meta = fragment.metadata
        rows += meta.num_rows
        for g in range(meta.num_row_groups):
            for j in range(meta.row_group(g).num_columns):
                column = meta.row_group(g).column(j)
                stats = column.statistics
                if column.path_in_schema in nulls and stats is not None and stats.has_null_count:
                    nulls[column.path_in_schema] += stats.null_count
    return [c for c, n in nulls.items() if n < rows]


def tags_of(cell) -> list[str]:
    """The ``needs-…`` tags of a notebook cell, in their order."""
    return [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith(PREFIX)]


def _join(words: list[str], language: str) -> str:
    if language == "zh":
        return "、".join(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def applies_line(tags: list[str], language: str = "en") -> str:
    """The italic line a tagged cell starts with, in its language: ``*With a transaction log.*`` (``en``),
    ``*有交易流水时适用。*`` (``zh``, the line of a 简体中文 twin)."""
    if language == "zh":
        return f"*有{_join([NEEDS[t].zh for t in tags], 'zh')}时适用。*"
    return f"*With {_join([NEEDS[t].en for t in tags], 'en')}.*"


_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.M)


def heading(source: str) -> str | None:
    """The first markdown heading of a cell, without its ``#`` marks (None when it has none)."""
    found = _HEADING.search(source)
    return found.group(1) if found else None


def left_out_line(about: str, unmet: list[str], language: str) -> str:
    """The one line the report shows in place of left-out cells.

    Parameters
    ----------
    about : str
        What the section is about (its heading).
    unmet : list[str]
        The tags the run does not meet.
    language : str
        ``"en"`` or ``"zh"``.

    Returns
    -------
    str
        A markdown line, in italics.
    """
    keys = _join([f"`{NEEDS[t].brings}`" for t in unmet], language)
    if language == "zh":
        return f"*已略去：{about} —— 需要{_join([NEEDS[t].zh for t in unmet], 'zh')}；{keys} 可以提供。*"
    verb = "brings it" if len(unmet) == 1 else "bring them"
    return f"*Left out: {about} — it needs {_join([NEEDS[t].en for t in unmet], 'en')}; {keys} {verb}.*"
