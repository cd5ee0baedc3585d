"""How the columns of a customer table relate: labels nested in other columns, blanks another column explains and
columns that are (nearly) the product of two others — three traps real exports carry that no column shows alone.

:mod:`custseg.attributes` types each column by its own values. Some facts only show between columns:

* **Nested labels.** A label that one column implies in others: "No internet service" in six add-on columns
  exactly where internet service is No, "No phone service" in multiple lines exactly where phone service is No.
  The one fact ("no internet") then sits in seven columns and counts seven times in the distances.
* **Structural blanks.** A blank that another column explains: total charges are blank for exactly the customers
  of tenure 0. They are not unknown: nothing has been billed yet. The median would make brand-new customers look
  like two-year ones.
* **Derived columns.** A column that is (nearly) the product of two others (total charges ≈ tenure × monthly
  charges) adds no information and counts its factors twice.

:func:`find` looks for them in the encoded columns (:func:`custseg.attributes.encode`) from the values only,
never by column names; :func:`apply` fills and recodes as found, in the same way at every cutoff; :func:`notes`
says what was found and done, in the report's language (English or 简体中文). The findings travel with the kinds
table (its ``relations`` column, :func:`with_findings` / :func:`from_kinds`), which 04 writes as ``attributes.csv``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from custseg.attributes import BINARY

MIN_NESTED_ROWS = 5  # a level shared by fewer customers can coincide by chance
EXPLAINED = 0.9  # a value explains the blanks when they all have it and at least this share of its rows is blank
RISES_WITH = 0.5  # rank correlation from which an amount grows with the column that explains its blanks
DERIVED_R = 0.98  # correlation with the product of two other columns from which a column is derived from them
DERIVED_GAIN = 0.02  # ... and by which the product beats each factor alone (a copy of one column is not a product)
SEARCH_ROWS = 20_000  # derived columns are searched on this many customers (every n-th row: deterministic)
MAX_NUMBERS = 40  # numeric columns searched for products (the first ones, in the table's order)
PARENT_KINDS = ("binary", "ordinal", "categorical")
TRAPS = ("nested", "structural", "derived")


def _no_labels(labels) -> list[str]:
    """The labels that say "no" (No, N, false, 否, 无 …: :data:`custseg.attributes.BINARY` at 0)."""
    return [str(v) for v in labels if BINARY.get(str(v).strip().lower()) == 0.0]


def _shown(raw: pd.DataFrame | None, column: str, rows: np.ndarray, encoded) -> str:
    """The value of ``column`` on ``rows`` as the export writes it (Yes/No rather than 1/0)."""
    if raw is not None and column in raw:
        values = raw[column].iloc[np.flatnonzero(rows)[:1]].astype("str").str.strip()
        if len(values):
            return str(values.iloc[0])
    value = encoded[column].iloc[int(np.flatnonzero(rows)[0])]
    return f"{value:g}" if isinstance(value, float) else str(value)


def nested_labels(encoded: pd.DataFrame, kinds: pd.DataFrame, raw: pd.DataFrame | None = None) -> list[dict]:
    """The labels one column implies in others, and how each is collapsed.

    A level set is **nested** when several columns have a value on exactly the same customers (at least
    :data:`MIN_NESTED_ROWS`, not all): "No internet service" in OnlineSecurity, OnlineBackup … on the customers
    whose InternetService is No. A column of the group is a *child* when its value there is a text label and it
    has a "no" label besides (No, 否 …): the label is recoded to that "no" label. The others are *parents*: they
    keep the fact (InternetService keeps No; a 0/1 PhoneService keeps its 0). With no parent, the first column
    keeps it.

    Why recode the child label to its "no" rather than drop the child, blank it or merge the columns: the child
    still says one true thing, whether the customer holds the add-on, and a customer without internet holds none.
    After the recode, a customer without internet and one with internet but no add-ons differ in one column
    (internet service) instead of seven, so the fact is counted once; customers with internet still differ by the
    add-ons they hold. Blanking the child would have it imputed with its most frequent label (a guess where the
    truth is known); dropping it loses which internet customers hold the add-on; leaving it counts the fact seven
    times, and k-means then spends two of its segments on "no internet" and "no phone" exactly.

    Parameters
    ----------
    encoded : DataFrame
        The encoded attributes (:func:`custseg.attributes.encode`), one row per customer.
    kinds : DataFrame
        Their kinds (:func:`custseg.attributes.infer`).
    raw : DataFrame, optional
        The columns as exported, to name a parent's value as written (Yes/No rather than 1/0).

    Returns
    -------
    list of dict
        One per collapsed group: ``parent`` and ``value`` (the fact), ``label`` (the nested label), ``children``
        (column → the "no" label it becomes), ``rows`` (customers with the fact).
    """
    kind = kinds.set_index("column")["kind"].to_dict() if not kinds.empty else {}
    n = len(encoded)
    levels, by_count = {}, {}
    for column in encoded.columns:
        if kind.get(column) not in PARENT_KINDS:
            continue
        codes, uniques = pd.factorize(encoded[column])
        if len(uniques) < 2 or len(uniques) > 50:
            continue
        levels[column] = (codes, uniques)
        for level, count in enumerate(np.bincount(codes[codes >= 0], minlength=len(uniques))):
            if MIN_NESTED_ROWS <= count < n:
                by_count.setdefault(int(count), []).append((column, level))
    groups: dict[bytes, list[tuple[str, int]]] = {}
    for members in by_count.values():
        for i, (column, level) in enumerate(members):
            rows = levels[column][0] == level
            key = np.packbits(rows).tobytes()
            if key in groups:
                continue
            same = [(other, lvl) for other, lvl in members[i + 1:] if other != column
                    and bool((levels[other][0][rows] == lvl).all())]
            if same:
                groups[key] = [(column, level), *same]
    found = []
    order = {c: i for i, c in enumerate(encoded.columns)}
    for members in groups.values():
        members = sorted(members, key=lambda m: order[m[0]])
        children, parents = {}, []
        for column, level in members:
            codes, uniques = levels[column]
            label = uniques[level]
            others = _no_labels(u for i, u in enumerate(uniques) if i != level)
            if kind[column] == "categorical" and isinstance(label, str) and others:
                children[column] = (str(label), others[0])
            else:
                parents.append((column, level))
        if not children:
            continue
        if not parents:  # every column could be recoded: the first keeps the fact
            first = next(iter(children))
            parents = [(first, next(lvl for c, lvl in members if c == first))]
            children.pop(first)
            if not children:
                continue
        parent, level = parents[0]
        rows = levels[parent][0] == level
        labels = {label for label, _ in children.values()}
        found.append({"parent": parent, "value": _shown(raw, parent, rows, encoded),
                      "label": " / ".join(sorted(labels)), "children": {c: into for c, (_, into) in children.items()},
                      "nested": {c: label for c, (label, _) in children.items()}, "rows": int(rows.sum())})
    return sorted(found, key=lambda g: order[g["parent"]])


def _searched(encoded: pd.DataFrame, kinds: pd.DataFrame, kinds_of=("numeric",), levels: int = 2) -> list[str]:
    """The first :data:`MAX_NUMBERS` number columns of these kinds with more than ``levels`` distinct values (by
    default not flags: a product of amounts, a blank amount)."""
    kind = kinds.set_index("column")["kind"].to_dict() if not kinds.empty else {}
    return [c for c in encoded.columns if kind.get(c) in kinds_of and pd.api.types.is_numeric_dtype(encoded[c])
            and encoded[c].nunique() > levels][:MAX_NUMBERS]


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return 0.0
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def derived_products(encoded: pd.DataFrame, kinds: pd.DataFrame) -> list[dict]:
    """The numeric columns that are (nearly) the product of two others, from the values.

    A column ``x`` is derived from ``y`` and ``z`` when it correlates with ``y × z`` at :data:`DERIVED_R` or more
    and better than with ``y`` or ``z`` alone by :data:`DERIVED_GAIN` (total charges ≈ tenure × monthly charges,
    up to price changes). It adds no information to its factors and, clustered on, counts them twice: 05 leaves it
    out of the default features (it still describes the segments). Searched on :data:`SEARCH_ROWS` customers
    among the first :data:`MAX_NUMBERS` numeric columns (counts, amounts, durations: not flags or codes).

    Returns
    -------
    list of dict
        ``column``, ``factors`` (the two columns), ``r`` (the correlation with their product, rounded) and
        ``scale`` (x ≈ scale × y × z, fitted through the origin).
    """
    columns = _searched(encoded, kinds)
    if len(columns) < 3:
        return []
    step = max(1, len(encoded) // SEARCH_ROWS)
    sample = {c: encoded[c].to_numpy(dtype="float64")[::step] for c in columns}
    found = []
    for x in columns:
        best = None
        for i, y in enumerate(columns):
            for z in columns[i + 1:]:
                if x in (y, z):
                    continue
                product = sample[y] * sample[z]
                r = _corr(sample[x], product)
                if r >= DERIVED_R and r - max(abs(_corr(sample[x], sample[y])), abs(_corr(sample[x], sample[z]))) \
                        >= DERIVED_GAIN and (best is None or r > best[0]):
                    best = (r, y, z)
        if best is not None:
            r, y, z = best
            product = encoded[y].to_numpy(dtype="float64") * encoded[z].to_numpy(dtype="float64")
            values = encoded[x].to_numpy(dtype="float64")
            ok = np.isfinite(values) & np.isfinite(product)
            scale = float((values[ok] * product[ok]).sum() / (product[ok] ** 2).sum())
            found.append({"column": x, "factors": [y, z], "r": round(r, 4), "scale": round(scale, 6)})
    return found


def structural_blanks(encoded: pd.DataFrame, kinds: pd.DataFrame, derived: list[dict] | None = None
                      ) -> list[dict]:
    """The blanks of a numeric column that another column explains, and the rule that fills them.

    The blanks of ``x`` are explained by ``y = v`` when every blank customer has ``y = v`` and at least
    :data:`EXPLAINED` of the customers with ``y = v`` are blank (total charges blank ⇔ tenure 0). They are filled
    by the rule, not the median:

    * ``product`` — ``x`` is derived from ``y`` and another column (:func:`derived_products`): scale × y × z, which is
      0 for a tenure of 0;
    * ``zero`` — ``v`` is 0 and ``x`` is a non-negative amount that rises with ``y`` (rank correlation at least
      :data:`RISES_WITH`): nothing has accumulated yet.

    Blanks that no column explains, or whose rule is unknown, keep the median (05's imputation).

    Returns
    -------
    list of dict
        ``column``, ``blanks`` (how many), ``by`` and ``value`` (what explains them), ``rule`` (product or zero),
        ``factors`` (for the product rule) and ``median`` (what the blanks would have got).
    """
    products = {d["column"]: d for d in derived or []}
    explaining = _searched(encoded, kinds, ("numeric", "binary", "ordinal"), levels=1)
    found = []
    for x in _searched(encoded, kinds):
        values = encoded[x]
        blank = values.isna().to_numpy()
        if not blank.any() or blank.all():
            continue
        for y in [c for c in explaining if c != x]:
            at_blanks = encoded[y].to_numpy(dtype="float64")[blank]
            if np.isnan(at_blanks).any() or np.ptp(at_blanks) != 0:
                continue
            v = float(at_blanks[0])
            with_v = encoded[y].to_numpy(dtype="float64") == v
            if blank.sum() < EXPLAINED * with_v.sum():
                continue
            product = products.get(x)
            if product is not None and y in product["factors"]:
                rule = "product"
            elif v == 0 and values.min() >= 0 and values.corr(encoded[y], method="spearman") >= RISES_WITH:
                rule = "zero"
            else:
                continue
            found.append({"column": x, "blanks": int(blank.sum()), "by": y, "value": f"{v:g}", "rule": rule,
                          "factors": product["factors"] if rule == "product" else [],
                          "scale": product["scale"] if rule == "product" else None,
                          "median": float(values.median())})
            break
    return found


def find(encoded: pd.DataFrame, kinds: pd.DataFrame, raw: pd.DataFrame | None = None) -> dict[str, list[dict]]:
    """Every trap of :data:`TRAPS` in the encoded attributes: ``{"nested": …, "structural": …, "derived": …}``
    (:func:`nested_labels`, :func:`structural_blanks`, :func:`derived_products`)."""
    derived = derived_products(encoded, kinds)
    return {"nested": nested_labels(encoded, kinds, raw), "structural": structural_blanks(encoded, kinds, derived),
            "derived": derived}


def apply(encoded: pd.DataFrame, found: dict[str, list[dict]]) -> pd.DataFrame:
    """The encoded attributes with the structural blanks filled by their rule and the nested labels recoded.

    Applied to whatever customers ``encoded`` holds (the table at the snapshot or at an earlier cutoff), by the
    findings of :func:`find`; a column the findings name but ``encoded`` lacks is skipped.
    """
    out = encoded.copy()
    for blank in found.get("structural", []):
        x = blank["column"]
        if x not in out or any(f not in out for f in blank["factors"]):
            continue
        fill = (blank["scale"] * out[blank["factors"][0]] * out[blank["factors"][1]] if blank["rule"] == "product"
                else pd.Series(0.0, index=out.index))
        out[x] = out[x].fillna(fill)
    for group in found.get("nested", []):
        for child, into in group["children"].items():
            if child in out:
                out[child] = out[child].where(out[child] != group["nested"][child], into)
    return out


def with_findings(kinds: pd.DataFrame, found: dict[str, list[dict]]) -> pd.DataFrame:
    """The kinds table with a ``relations`` column: per column, the JSON of the findings that concern it (empty
    when none), so that ``attributes.csv`` carries them to every later cutoff and stage."""
    per: dict[str, dict] = {}
    for group in found.get("nested", []):
        per.setdefault(group["parent"], {}).setdefault("nested", []).append(group)
    for trap in ("structural", "derived"):
        for item in found.get(trap, []):
            per.setdefault(item["column"], {})[trap] = item
    return kinds.assign(relations=[json.dumps(per[c], ensure_ascii=False) if c in per else ""
                                   for c in kinds["column"]])


def from_kinds(kinds: pd.DataFrame | None) -> dict[str, list[dict]]:
    """The findings a kinds table carries (:func:`with_findings`); none when it has no ``relations`` column."""
    found: dict[str, list[dict]] = {trap: [] for trap in TRAPS}
    if kinds is None or kinds.empty or "relations" not in kinds:
        return found
    for text in kinds["relations"]:
        if isinstance(text, str) and text:
            item = json.loads(text)
            found["nested"] += item.get("nested", [])
            found["structural"] += [item["structural"]] if "structural" in item else []
            found["derived"] += [item["derived"]] if "derived" in item else []
    return found


def gates(kinds: pd.DataFrame | None) -> dict[str, list[str]]:
    """The columns whose "no" other columns repeat as a nested label, from a kinds table: the gate of each group
    (PhoneService = No exactly where MultipleLines says "No phone service") → its children. A gate says whether
    the customer holds the base the children's add-ons need, not an add-on itself (08 offers add-ons)."""
    return {g["parent"]: list(g["children"]) for g in from_kinds(kinds)["nested"]
            if BINARY.get(str(g["value"]).strip().lower()) == 0.0}


def derived_columns(kinds: pd.DataFrame | None) -> list[str]:
    """The columns :func:`derived_products` found, from a kinds table: 05 leaves them out of its default features."""
    return [d["column"] for d in from_kinds(kinds)["derived"]]


def _times(columns: list[str]) -> str:
    return " × ".join(columns)


def _join(items: list[str], messages: dict) -> str:
    return items[0] if len(items) == 1 else messages["list_sep"].join(items[:-1]) + messages["list_and"] + items[-1]


def _number(x: float) -> str:
    return f"{x:,.1f}" if abs(x) < 100 else f"{x:,.0f}"


def notes(kinds: pd.DataFrame | None, messages: dict, traps: tuple = TRAPS, say_none: bool = False) -> list[str]:
    """What was found between the columns and done about it, one sentence per finding: the nested labels (naming
    their columns), the structural blanks and the derived columns.

    Parameters
    ----------
    kinds : DataFrame or None
        The kinds table with its ``relations`` (04's ``attributes``).
    messages : dict
        The catalogue of the report's language, ``custseg.i18n.messages(language)`` (English or 简体中文).
    traps : tuple
        The traps to speak of (some of :data:`TRAPS`).
    say_none : bool
        With no finding, one sentence saying so (else an empty list).
    """
    everything, text = from_kinds(kinds), messages["relations"]
    found = {trap: everything[trap] if trap in traps else [] for trap in TRAPS}
    out = []
    for group in found["nested"]:
        children = list(group["children"])
        out.append(text["nested"].format(label=group["label"], columns=_join(children, messages),
                                         parent=group["parent"], value=group["value"], rows=f"{group['rows']:,}",
                                         into=" / ".join(sorted(set(group["children"].values()))),
                                         before=len(children) + 1))
    for blank in found["structural"]:
        rule = (text["rule_product"].format(factors=_times(blank["factors"])) if blank["rule"] == "product"
                else text["rule_zero"])
        out.append(text["structural"].format(column=blank["column"], blanks=f"{blank['blanks']:,}", by=blank["by"],
                                             value=blank["value"], rule=rule, median=_number(blank["median"])))
    for item in found["derived"]:
        out.append(text["derived"].format(column=item["column"], factors=_times(item["factors"]),
                                          r=f"{item['r']:.3f}"))
    return out or ([text["none"]] if say_none else [])


def summary(kinds: pd.DataFrame | None) -> dict:
    """04's record of the findings: the recoded columns, the filled blanks and the derived columns."""
    found = from_kinds(kinds)
    return {"nested_columns": sorted(c for g in found["nested"] for c in g["children"]),
            "structural_blanks": int(sum(b["blanks"] for b in found["structural"])),
            "derived_columns": [d["column"] for d in found["derived"]]}
