"""``custseg init``: a commented config proposed from the user's own files.

For each file it decides how to read it (:mod:`custseg.init.read`: encoding, delimiter or whitespace, title rows,
header; read with custseg's readers as 01 will), what shape it is (an order log, a customer table, a survey), which
canonical column each of its columns is (:mod:`custseg.init.roles`, from names in English and Chinese and from the
values), the kinds 04 will infer for a customer table's other columns (:func:`custseg.attributes.infer`), which
columns are outcomes (:func:`custseg.attributes.direction`) and which hold personal data
(:func:`custseg.sources.privacy.pii_kind`); :mod:`custseg.init.render` writes it all as YAML with the reason of
every choice in a comment, and what it could not decide as questions at the top.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from custseg import attributes, config, io
from custseg.config.reader import parse
from custseg.errors import ConfigError, SourceError
from custseg.init import render
from custseg.init import roles as R
from custseg.init.proposal import Column, Proposal, Source
from custseg.init.read import Reading, plan, read_sample
from custseg.init.roles import SHAPES
from custseg.schema import normalise_id
from custseg.sources.privacy import pii_kind

LIKERT_ITEMS = 3  # Likert columns from which a table is a survey (as factor analysis needs, custseg.factors)


def run_name(path: Path) -> str:
    """A run name from a file's name: ``Orders 2024.csv`` → ``Orders_2024`` (one plain folder name)."""
    name = re.sub(r"[^\w-]+", "_", path.stem).strip("_.") or "mydata"
    return config.check_run_name(name, "the file name")


def _assign(sample: pd.DataFrame, allowed: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Column → (canonical role, why), by name first (the surest name wins a role), then by the values."""
    out: dict[str, tuple[str, str]] = {}
    found = sorted(((R.role_by_name(c, allowed), i, c) for i, c in enumerate(sample.columns)),
                   key=lambda t: (-(t[0][1] if t[0] else 0), t[1]))
    for hit, _, column in found:
        if hit and hit[0] not in {r for r, _ in out.values()}:
            out[column] = (hit[0], f"its name {column!r} means {hit[0]}")
    return out


def _fill_by_values(sample: pd.DataFrame, out: dict, log: bool, headerless: bool = False) -> None:
    """Give the roles a log needs and no name gave to the columns whose values fit them (a quantity only to a
    file without header: a named column of small numbers is more often a store or a code)."""
    taken = {r for r, _ in out.values()}
    free = [c for c in sample.columns if c not in out]
    if log and "order_ts" not in taken:
        for c in free:
            d = R.dates(sample[c])
            if d is not None:
                out[c] = ("order_ts", d.why)
                free.remove(c)
                break
    nums = {c: R.numbers(sample[c]) for c in free}
    if "customer_id" not in taken:
        for c in free:
            n = nums[c]
            if (n is None or n.whole) and R.repeats(sample[c]) > 0 and c not in out:
                out[c] = ("customer_id", f"the first column whose values repeat ({sample[c].nunique():,} distinct "
                                         f"in {len(sample):,} rows): the customer id")
                break
    if not log:
        return
    if "amount" not in taken and not {"quantity", "unit_price"} <= taken:
        money = [c for c, n in nums.items() if c not in out and n is not None and not n.whole]
        if money:
            n = nums[money[-1]]
            out[money[-1]] = ("amount", f"numbers with decimals {n.low:g}–{n.high:g}: the amount")
    if "quantity" not in taken and headerless:
        for c, n in nums.items():
            if c not in out and n is not None and n.whole and n.high <= 1000 and n.distinct <= 100:
                out[c] = ("quantity", f"small whole numbers {n.low:g}–{n.high:g}: the quantity")
                break


def _is_log(sample: pd.DataFrame, out: dict, named: dict) -> bool:
    """A customer, a date and money, with customers repeating (or a date and money named as a log's)."""
    taken = {r: c for c, (r, _) in out.items()}
    money = "amount" in taken or {"quantity", "unit_price"} <= set(taken)
    said = {r for r, _ in named.values()}
    return "customer_id" in taken and "order_ts" in taken and money and (
        R.repeats(sample[taken["customer_id"]]) > 0 or ("order_ts" in said and bool(said & {"amount", "unit_price"})))


def _source(reading: Reading) -> Source:
    sample = reading.sample
    log_roles = _assign(sample, R.LOG_ROLES)
    trial = dict(log_roles)
    _fill_by_values(sample, trial, log=True, headerless=not reading.options.get("header", True))
    if _is_log(sample, trial, log_roles):
        src = Source(reading, "log", columns=[Column(c, trial.get(c, (None,))[0], trial.get(c, (None, ""))[1])
                                              for c in sample.columns])
    else:
        table = _assign(sample, R.TABLE_ROLES)
        idc = next((c for c, (r, _) in table.items() if r == "customer_id"), None)
        if idc is not None and R.repeats(sample[idc]) > 0.01:  # an id that repeats is no customer table's key
            table.pop(idc)
            idc = None
        if idc is None:  # a column of unique values named like an id, or the first one; else the rows are numbered
            unique = [c for c in sample.columns if c not in table and len(sample) >= 2 and R.repeats(sample[c]) == 0
                      and (R.numbers(sample[c]) is None or R.numbers(sample[c]).whole)
                      and R.dates(sample[c]) is None and pii_kind(c, sample[c]) is None]
            idc = next((c for c in unique if re.search(r"(?i)id$|no$|编号|号$|代码$", str(c))), None)
            why = f"its values are unique and its name {idc!r} ends like an id"
            if idc is None and unique and unique[0] == sample.columns[0]:
                idc, why = unique[0], f"the first column, {sample[unique[0]].nunique():,} values all different"
            if idc is not None:
                table[idc] = ("customer_id", why)
        src = Source(reading, "table", columns=[Column(c, table.get(c, (None,))[0], table.get(c, (None, ""))[1])
                                                for c in sample.columns], row_ids=idc is None)
        other = [c.name for c in src.columns if c.role is None]
        src.kinds = attributes.infer(sample[other]) if other else None
        if src.kinds is not None and (src.kinds["why"].str.startswith("Likert")).sum() >= LIKERT_ITEMS:
            src.shape = "survey"
    _formats(src)
    for c in src.columns:  # a role given by the name: what the values say too
        if c.role in ("order_ts", "birth_date", "signup_date") and c.why.startswith("its name"):
            d = R.dates(sample[c.name])
            c.why += f"; {d.why}" if d is not None else "; but its values are not dates: check it"
        elif c.role in ("amount", "quantity", "unit_price", "discount") and c.why.startswith("its name"):
            n = R.numbers(sample[c.name])
            c.why += f"; numbers {n.low:g}–{n.high:g}" if n is not None else "; but its values are not numbers"
    if not reading.options.get("header", True):  # a file without header: name its columns by their roles
        names = [c.role or c.name for c in src.columns]
        reading.options["names"] = names
        for c, new in zip(src.columns, names, strict=True):
            c.name = new
    return src


def _formats(src: Source) -> None:
    """The source's date format (from its date columns) and number format (from its money columns)."""
    sample = src.reading.sample
    original = dict(zip([c.name for c in src.columns], sample.columns, strict=True))
    for role in ("order_ts", "signup_date", "birth_date"):
        column = src.mapped(role)
        if column is None:
            continue
        d = R.dates(sample[original[column]])
        if d is None:
            src.why["question"] = (f"{src.reading.label}: column {column!r} ({role}) does not look like dates: "
                                   "check it, or map another column")
            continue
        if d.date_format:
            src.options["date_format"], src.why["date_format"] = d.date_format, d.why
        if d.dayfirst:
            src.options["dayfirst"], src.why["dayfirst"] = True, d.why
        if d.ambiguous:
            src.why["question"] = (f"{src.reading.label}: {d.why}; if they are month first, set "
                                   f"sources.{{role}}.date_format (e.g. '%m/%d/%Y') and dayfirst: false")
        break
    for role in ("amount", "unit_price", "discount"):
        column = src.mapped(role)
        n = R.numbers(sample[original[column]]) if column else None
        if n is None:
            continue
        if n.ambiguous:
            src.why["question"] = (f"{src.reading.label}: column {column!r} ({role}): {n.ambiguous}; set "
                                   "sources.{role}.decimal and thousands to how the export writes numbers")
        elif n.fmt is not None and (n.fmt.decimal != "." or n.fmt.thousands):
            src.options["decimal"], src.options["thousands"] = n.fmt.decimal, n.fmt.thousands
            src.why["decimal"] = f"numbers like {R.texts(sample[original[column]]).iloc[0]!r}: {n.fmt.describe()}"
        break


def _credit_notes(src: Source) -> None:
    """Order ids with a letter before the digits of the others (C536379 beside 536365) on lines of negative
    quantity: credit notes, i.e. returns (``status_by_order_prefix``)."""
    order, quantity = src.mapped("order_id"), src.mapped("quantity")
    if src.role != "transactions" or order is None or src.mapped("status") is not None:
        return
    ids = src.reading.sample[_original(src, order)].astype("str").str.strip()
    prefix = ids.str.extract(r"^([A-Za-z]+)\d+$")[0]
    plain = ids.str.fullmatch(r"\d+")
    if prefix.isna().all() or plain.mean() < 0.5 or prefix.dropna().nunique() != 1:
        return
    letter = prefix.dropna().iloc[0]
    if quantity is not None:
        q = pd.to_numeric(src.reading.sample[_original(src, quantity)], errors="coerce")
        if not (q[prefix.notna()] < 0).mean() >= 0.8:
            return
    src.options["status_by_order_prefix"] = {letter: "returned"}
    src.why["status_by_order_prefix"] = (f"{int(prefix.notna().sum()):,} order ids start with {letter!r} "
                                         f"(e.g. {ids[prefix.notna()].iloc[0]!r}) and have negative quantities: "
                                         "credit notes, i.e. returns")


def _outcomes_and_pii(proposal: Proposal) -> None:
    for src in proposal.used():
        sample, original = src.reading.sample, dict(zip([c.name for c in src.columns], src.reading.sample.columns,
                                                        strict=True))
        for c in src.columns:
            found = pii_kind(c.name, sample[original[c.name]])
            if found is None:
                continue
            if c.role in ("customer_id", "respondent_id"):
                proposal.id_pii = f"the customer ids ({c.name!r}) look like personal data: {found[1]}"
            elif c.name not in [p for p, _ in proposal.pii]:
                proposal.pii.append((c.name, f"{src.reading.label}: {found[1]}"))
        if src.kinds is None:
            continue
        personal = {p for p, _ in proposal.pii}
        for row in src.kinds.itertuples():
            way, how = attributes.direction(row.column)
            if how == "name" and row.column not in personal and row.kind in ("binary", "numeric"):
                said = "lower is better" if way == attributes.LOWER else "higher is better"
                proposal.outcomes.append((row.column, way, f"{row.kind}, its name says an outcome ({said}): "
                                                           "segments are judged by it, never formed on it"))


def _join(proposal: Proposal) -> None:
    """Say how the sources join (on the customer id) and how many of the log's ids the other source has."""
    used = proposal.used()
    log = next((s for s in used if s.role == "transactions"), None)
    for other in (s for s in used if s.role in ("customers", "survey") and not s.row_ids):
        key = "respondent_id" if other.role == "survey" else "customer_id"
        base = log or next((s for s in used if s.role == "customers" and s is not other), None)
        if base is None:
            continue
        mine, theirs = (set(normalise_id(pd.Series(s.reading.sample[_original(s, s.mapped(k))], dtype="str")).dropna())
                        for s, k in ((base, "customer_id"), (other, key)))
        shared = len(mine & theirs) / max(len(mine), 1)
        proposal.notes.append(f"sources.{other.role} ({other.reading.label}) joins sources.{base.role} "
                              f"({base.reading.label}) on the customer id: {shared:.0%} of the ids read from "
                              f"{base.reading.label} are in {other.reading.label}")
        if shared < 0.5:
            proposal.questions.append(f"only {shared:.0%} of the customer ids of {base.reading.label} are in "
                                      f"{other.reading.label}: are {base.mapped('customer_id')!r} and "
                                      f"{other.mapped(key)!r} the same ids?")


def _original(src: Source, name: str) -> str:
    return dict(zip([c.name for c in src.columns], src.reading.sample.columns, strict=True))[name]


def propose(paths: list[Path], name: str | None = None) -> Proposal:
    """Read the files and propose a config for them.

    Parameters
    ----------
    paths : list of Path
        The exports: CSV/TSV, whitespace-separated text, Excel (or a web page saved as .xls), Parquet, a DuckDB
        or SQLite file.
    name : str, optional
        The run name (default: the first file's name).

    Returns
    -------
    Proposal
        What :func:`custseg.init.render.render` writes.

    Raises
    ------
    SourceError
        A file cannot be read (the message says why and what to do).
    ConfigError
        No file holds an order log, a customer table or a survey.
    """
    paths = [Path(p).resolve() for p in paths]
    sources = []
    for path in paths:
        for reading in plan(path):
            try:
                read_sample(reading)
            except SourceError as err:
                raise SourceError(f"custseg init could not read {reading.label}: "
                                  f"{str(err).split(': ', 1)[-1]}") from None
            if reading.sample is None or reading.sample.empty:
                continue
            sources.append(_source(reading))
    proposal = Proposal(name or run_name(paths[0]), paths, sources)
    logs = sorted((s for s in sources if s.shape == "log"), key=lambda s: -s.reading.rows)
    tables = [s for s in sources if s.shape == "table"]
    surveys = [s for s in sources if s.shape == "survey"]
    if logs:
        logs[0].role = "transactions"
    if tables:
        tables[0].role = "customers"
    if surveys:
        surveys[0].role = "survey" if tables or logs else "customers"
    for src in [*logs[1:], *tables[1:], *surveys[1:]]:
        proposal.left_out.append(f"{src.reading.label} ({SHAPES[src.shape]}, {src.reading.rows:,} rows) is left "
                                 "out: custseg reads one source of each kind; combine the files into one, or "
                                 "point a source at this one instead")
    if not proposal.used():
        raise ConfigError(f"custseg init: none of {', '.join(p.name for p in paths)} holds an order log (a "
                          "customer id, a date and an amount), a customer table or a survey")
    for src in proposal.used():
        if src.role == "survey":
            for c in src.columns:
                c.role = "respondent_id" if c.role == "customer_id" else None if c.role else c.role
        if src.row_ids and len(proposal.used()) > 1:
            proposal.questions.append(f"{src.reading.label} has no id column to join the other files on: which "
                                      "column identifies the customer? (map it under columns: customer_id)")
            src.role, src.row_ids = "", False
        question = src.why.pop("question", None)
        if question:
            proposal.questions.append(question.replace("{role}", src.role))
        proposal.questions += src.reading.questions
        if src.role == "transactions" and src.mapped("order_id") is None:
            proposal.rules_off = [(rule, "no order or line ids: identical lines on one day are real repeat "
                                         "purchases, not copies") for rule in ("duplicate_line", "near_duplicate_line")]
    for src in proposal.used():
        _credit_notes(src)
    _outcomes_and_pii(proposal)
    _join(proposal)
    names = [c.name for s in proposal.used() for c in s.columns]
    if sum(bool(re.search(r"[\u4e00-\u9fff]", n)) for n in names) * 2 >= len(names):
        proposal.language = "zh"
    return proposal


def check(text: str, where: str) -> dict:
    """The config a written text stands for, validated as ``custseg run`` will (a failure is a custseg bug)."""
    try:
        return config.from_dict(parse(text))
    except ConfigError as err:
        raise ConfigError(f"custseg init wrote a config that does not validate ({err}); please report it, with "
                          f"{where}") from None


def init(paths: list[Path], output: Path, yes: bool = False, force: bool = False, name: str | None = None,
         ask=input, say=print) -> Path | None:
    """``custseg init``: propose a config for ``paths``, show its roles, ask, and write it to ``output``.

    Parameters
    ----------
    paths : list of Path
        The user's exports.
    output : Path
        The config to write.
    yes : bool
        Accept everything without asking.
    force : bool
        Replace ``output`` when it exists (never otherwise).
    name : str, optional
        The run name (default: the first file's name).
    ask, say : callable
        How to ask (``input``) and how to tell (``print``).

    Returns
    -------
    Path or None
        ``output``, or None when the user said no.

    Raises
    ------
    ConfigError
        ``output`` exists (without ``force``), or nothing in the files can be segmented.
    SourceError
        A file cannot be read.
    """
    output = Path(output)
    if output.exists() and not force:
        raise ConfigError(f"{output} exists: custseg init never overwrites a config; pass --force to replace it, or "
                          "-o to write another file")
    proposal = propose(paths, name)
    text = render.render(proposal, str(output))
    check(text, ", ".join(str(p) for p in paths))
    say(render.summary(proposal))
    if not yes:
        try:
            answer = ask(f"Write {output}? [Y/n] ")
        except EOFError:
            answer = "n"
            say("")
        if answer.strip().lower() not in ("", "y", "yes"):
            say("Nothing written (run again with --yes to accept the proposal as it is).")
            return None
    io.write_text(text, output)
    say(f"wrote {output}")
    return output


def written_from(config_path: Path) -> list[str] | None:
    """The files a config says ``custseg init`` wrote it from (its first lines), or None."""
    try:
        head = Path(config_path).read_text(encoding="utf-8").splitlines()[:3]
    except (OSError, UnicodeDecodeError):
        return None
    line = next((h for h in head if h.startswith(render.MARKER)), None)
    return None if line is None else line.removeprefix(render.MARKER).strip().split(" | ")
