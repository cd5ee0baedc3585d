"""Rule-based segments (单一变量法 / 组合变量法): the segments marketing already declares, checked like the
RFM grid and judged by the same criteria as the clusters.

Two ways to declare them in the config (``rule_segments``):

- **one variable** (``variable`` and optionally ``bands``): numeric cut points make bands (``bands: [30, 45,
  60]`` on age gives "age < 30", "30 ≤ age < 45", "45 ≤ age < 60", "age ≥ 60"); without bands each value of a
  categorical column (city tier, membership tier) is a segment;
- **combined variables** (``segments``): a list of ``{name, when}``, where ``when`` is a condition on the
  customer table's columns in pandas query syntax (``city_tier == 'tier 1' and age < 30``), and
  ``when: other`` takes every customer no other rule covers.

The rules must be **exhaustive and non-overlapping** over the data: every customer in exactly one segment.
:func:`assign` says which customers no rule covers, or which two rules cover, with examples.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from custseg.attributes import declared_labels, is_flag
from custseg.errors import ConfigError

OTHER = "other"
KEY = "rule_segments"


def configured(spec: dict) -> bool:
    """True when the config declares rule segments."""
    return bool(spec.get("variable") or spec.get("segments"))


def declared_rules(spec: dict, columns: list[str] | pd.Index) -> list[dict]:
    """The rules as ``[{name, when}]`` (``when`` a query, or :data:`OTHER`), from either form of the config."""
    if spec.get("variable") and spec.get("segments"):
        raise ConfigError(f"{KEY}: set either 'variable' (one variable, optionally with 'bands') or 'segments' "
                          "(named conditions), not both")
    if spec.get("segments"):
        rules = []
        for i, rule in enumerate(spec["segments"]):
            if not isinstance(rule, dict) or set(rule) != {"name", "when"}:
                raise ConfigError(f"{KEY}.segments[{i}] must be a mapping with 'name' and 'when', e.g. "
                                  "{name: Young tier 1, when: \"city_tier == 'tier 1' and age < 30\"}; got "
                                  f"{rule!r}")
            rules.append({"name": str(rule["name"]), "when": str(rule["when"]).strip()})
        names = [r["name"] for r in rules]
        if len(set(names)) < len(names):
            raise ConfigError(f"{KEY}.segments: names must be unique, got {names}")
        if sum(r["when"].lower() == OTHER for r in rules) > 1:
            raise ConfigError(f"{KEY}.segments: at most one rule may say 'when: other'")
        return rules
    variable = spec["variable"]
    if variable not in columns:
        raise ConfigError(f"{KEY}.variable: the customer table has no column {variable!r} (it has: "
                          f"{', '.join(map(str, list(columns)[:30]))})")
    bands = spec.get("bands")
    if not bands:
        return [{"name": None, "when": None, "variable": variable}]  # one segment per value
    edges = sorted(float(b) for b in bands)
    if len(set(edges)) < len(edges):
        raise ConfigError(f"{KEY}.bands must be distinct cut points, got {bands}")
    v, shown = f"`{variable}`", [f"{e:g}" for e in edges]
    rules = [{"name": f"{variable} < {shown[0]}", "when": f"{v} < {edges[0]!r}"}]
    rules += [{"name": f"{shown[i]} ≤ {variable} < {shown[i + 1]}", "when": f"{edges[i]!r} <= {v} < {edges[i + 1]!r}"}
              for i in range(len(edges) - 1)]
    rules.append({"name": f"{variable} ≥ {shown[-1]}", "when": f"{v} >= {edges[-1]!r}"})
    return rules


FLAG_LABELS = {0.0: "No", 1.0: "Yes"}  # a 0/1 flag as rules read it


def readable(customers: pd.DataFrame, declared: dict | None = None, columns: list | None = None) -> pd.DataFrame:
    """The customer table as rules read it: the ordinals declared in ``attributes`` (coded 1, 2, … in the
    features) by their labels and the 0/1 flags (:func:`custseg.attributes.is_flag`: SeniorCitizen, a Partner
    encoded from Yes/No) as Yes / No (:data:`FLAG_LABELS`), so a rule says ``Contract == 'Month-to-month'`` and
    ``SeniorCitizen == 'Yes'`` as a person would, never a code. ``columns``: only these (the attributes rules may
    use; outcomes stay numbers); default every column."""
    out = customers
    ordered = declared_labels(declared)
    for column in out.columns if columns is None else [c for c in columns if c in out]:
        values = out[column]
        if column == "customer_id" or not pd.api.types.is_numeric_dtype(values):
            continue
        if column in ordered:
            out = out.assign(**{column: values.astype("float64").map(ordered[column]).astype("str")})
        elif is_flag(values):
            out = out.assign(**{column: values.astype("float64").map(FLAG_LABELS).astype("str")})
    return out


def _flag_as_number(rules: list[dict], customers: pd.DataFrame, original: pd.DataFrame) -> None:
    """Refuse a condition that compares a yes/no column with a number (``SeniorCitizen == 1``): the rules read it
    as Yes / No (:func:`readable`), and the number would match nobody."""
    for column in [c for c in customers.columns if c in original and customers[c].dtype != original[c].dtype
                   and set(customers[c].dropna().unique()) <= set(FLAG_LABELS.values())]:
        pattern = re.compile(rf"(`{re.escape(str(column))}`|\b{re.escape(str(column))}\b)\s*(==|!=|<=|>=|<|>)\s*"
                             r"-?\d")
        for rule in rules:
            if rule.get("when") and pattern.search(rule["when"]):
                raise ConfigError(f"{KEY}: the condition of {rule['name']!r} ({rule['when']}) compares the yes/no "
                                  f"column {column} with a number; rules read it as 'Yes' or 'No'. To fix: write "
                                  f"{column} == 'Yes' (or == 'No')")


def _examples(customers: pd.DataFrame, mask: np.ndarray, columns: list[str], n: int = 3) -> str:
    shown = customers.loc[mask, ["customer_id", *[c for c in columns if c in customers]]].head(n)
    return "; ".join(", ".join(f"{k}={v}" for k, v in row.items()) for row in shown.to_dict("records"))


def _columns_of(rules: list[dict], columns) -> list[str]:
    text = " ".join(r["when"] or "" for r in rules)
    return [c for c in columns if c in text and c != "customer_id"]


def assign(customers: pd.DataFrame, spec: dict, declared: dict | None = None) -> pd.DataFrame:
    """Each customer's rule segment.

    Parameters
    ----------
    customers : DataFrame
        The customer table (``customer_id`` and the columns the rules use).
    spec : dict
        The config's ``rule_segments``.
    declared : dict, optional
        The config's ``attributes``: the rules read its ordinals by their labels (:func:`readable`).

    Returns
    -------
    DataFrame
        ``customer_id``, ``segment`` (0, 1, … in the order of the rules) and ``segment_name``.

    Raises
    ------
    ConfigError
        A condition that does not evaluate (naming it and the columns there are), customers no rule covers, or
        customers two rules cover — with how many, examples and the rules involved.
    """
    rules = declared_rules(spec, customers.columns)
    used = [spec["variable"]] if spec.get("variable") else _columns_of(rules, customers.columns)
    original, customers = customers, readable(customers, declared, used)
    _flag_as_number(rules, customers, original)
    if spec.get("variable") and customers[spec["variable"]].isna().any():
        variable = spec["variable"]
        missing = customers[variable].isna()
        raise ConfigError(f"{KEY}: {int(missing.sum()):,} customers have no {variable} (e.g. "
                          f"{_examples(customers, missing.to_numpy(), [variable])}); no rule covers them. To fix: "
                          f"declare {KEY}.segments with a rule \"{variable}.isna()\" or 'when: other'")
    if rules[0].get("variable"):
        variable = rules[0]["variable"]
        values = customers[variable]
        names = sorted(values.astype("str").unique())
        if len(names) > 20:
            raise ConfigError(f"{KEY}.variable {variable!r} has {len(names)} values: too many segments. To fix: "
                              f"give {KEY}.bands (numeric cut points) or declare {KEY}.segments")
        code = pd.Categorical(values.astype("str"), categories=names).codes
        return pd.DataFrame({"customer_id": customers["customer_id"].to_numpy(), "segment": code.astype("int64"),
                             "segment_name": np.array(names)[code]})
    code = codes(customers, rules)
    return pd.DataFrame({"customer_id": customers["customer_id"].to_numpy(), "segment": code,
                         "segment_name": np.array([r["name"] for r in rules])[code]})


def codes(customers: pd.DataFrame, rules: list[dict]) -> np.ndarray:
    """The index of the rule that covers each customer (int64), for ``{name, when}`` rules (:func:`assign`).

    Raises
    ------
    ConfigError
        As :func:`assign`.
    """
    data = customers.reset_index(drop=True)
    hits = np.zeros((len(data), len(rules)), dtype=bool)
    for j, rule in enumerate(rules):
        if rule["when"].lower() == OTHER:
            continue
        try:
            mask = data.eval(rule["when"], engine="python")
        except Exception as err:  # noqa: BLE001 - any failure of a user's condition is a config error
            raise ConfigError(f"{KEY}: the condition of {rule['name']!r} ({rule['when']}) cannot be evaluated: "
                              f"{type(err).__name__}: {err}. Columns available: "
                              f"{', '.join(map(str, data.columns[:40]))}") from None
        mask = pd.Series(mask, index=data.index)
        if mask.dtype != bool and not pd.api.types.is_bool_dtype(mask):
            raise ConfigError(f"{KEY}: the condition of {rule['name']!r} ({rule['when']}) is not true/false per "
                              "customer (write a comparison, e.g. age < 30)")
        hits[:, j] = mask.fillna(False).to_numpy(dtype=bool)
    other = [j for j, r in enumerate(rules) if r["when"].lower() == OTHER]
    if other:
        hits[:, other[0]] = ~hits.any(axis=1)
    used = _columns_of(rules, data.columns)
    count = hits.sum(axis=1)
    if (count == 0).any():
        n = int((count == 0).sum())
        raise ConfigError(f"{KEY}: {n:,} of {len(data):,} customers are covered by no rule (e.g. "
                          f"{_examples(data, count == 0, used)}). The rules must cover everyone. To fix: widen a "
                          "condition or add a rule with 'when: other'")
    if (count > 1).any():
        first = np.flatnonzero(count > 1)[0]
        both = [rules[j]["name"] for j in np.flatnonzero(hits[first])]
        n = int((count > 1).sum())
        raise ConfigError(f"{KEY}: {n:,} customers are covered by more than one rule (e.g. "
                          f"{_examples(data, count > 1, used)} is in {' and '.join(map(repr, both))}). A customer "
                          "belongs to one segment. To fix: make the conditions exclusive")
    return hits.argmax(axis=1).astype("int64")
