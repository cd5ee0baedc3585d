"""Reading a published report as its reader does, for the e2e tests of each data shape: the visible lines of a
page, the words a shape's pages must not teach, and the checks every shape's report must pass; and a run
published without its notebooks, to be the baseline of another."""

import copy
import html
import json
import re

from custseg import config, io, pipeline
from custseg import published as publishing
from custseg.report import languages, recap, runner

# prose about what a data set without an order log does not have: allowed only on the lines that say what was left
# out and why (RFM in capitals: rfm.parquet in a list of what a notebook writes with a log is not prose about RFM)
NO_LOG_WORDS = re.compile(r"\border lines?\b|(?-i:\bRFM\b)|\bnet spend\b|\bholdout\b|\bbaskets?\b"
                          r"|\breturn rate\b|\breturns and\b|\bcancell?ations?\b", re.I)
# prose about what a log of id, date and amount does not have: what custseg finds in a customer table's columns (its
# kinds, flags, ordered codes, nested labels, structural blanks) and a subscriber's contract and services
NO_TABLE_WORDS = re.compile(r"\bcontracts?\b|\binternet\b|\bYes/No\b|\b0/1 flags?\b|\bLikert\b"
                            r"|\bnested labels?\b|\bstructural blanks?\b|\bsenior citizen\b", re.I)
SAYS_WHAT_IS_LEFT_OUT = re.compile(r"^Left out: |\bno transaction log\b|\bare left out\b|^No (product|channel) row\b",
                                   re.I)
# a line that says which shape it speaks of ("with a customer table: …") teaches that shape, claims nothing of this one
NAMES_ITS_SHAPE = re.compile(r"\b(with|on|in) a (customer|subscriber) table\b|\bwith a survey\b", re.I)
NUMERIC_SUFFIX = re.compile(r"[(（]\s*\d+\s*[)）]\s*$")
# on a card of a data set without a log: a missing value shown as a word, spend, RFM, channels or categories
NOT_IN_THIS_DATA = re.compile(r"\bunknown\b|\(missing\)|\bnan\b|\bNaN\b|net spend|RFM|channel|categor", re.I)


def html_lines(text: str) -> list[str]:
    """The visible text of HTML, one line per block."""
    text = re.sub(r"<(/p|br|/li|/h\d|/tr|/div|/pre)\b[^>]*>", "\n", text, flags=re.I)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def page_lines(page) -> list[str]:
    """The visible text of a report page, one line per block (scripts, styles and tags removed)."""
    return html_lines(re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.S | re.I))


def squashed(lines) -> str:
    """The text without spaces, backticks and asterisks (markup changes the spacing)."""
    return re.sub(r"[\s`*]", "", " ".join(lines))


def pages(reports) -> list:
    """The notebook pages of a report, 01–09."""
    return [reports / f"{b.stem}.html" for b in runner.notebooks()]


def taught_but_absent(reports, words: re.Pattern) -> list[tuple[str, str, str]]:
    """(page, line, word) for each line of a page that speaks of what ``words`` names, other than the lines that
    say what was left out and why and those that say which shape they teach (:data:`NAMES_ITS_SHAPE`)."""
    return [(page.name, line[:160], m.group()) for page in pages(reports) for line in page_lines(page)
            if not SAYS_WHAT_IS_LEFT_OUT.search(line) and not NAMES_ITS_SHAPE.search(line)
            for m in [words.search(line)] if m]


def what_we_did_is_on_the_pages(cfg: dict, reports) -> list[tuple[str, str]]:
    """(stage, sentence) for each sentence of a stage's "What we did" (:func:`custseg.report.recap.sentences`, from
    the run's stage records) missing from its page or from the index."""
    records = pipeline.metrics(io.run_paths(cfg))
    index = squashed(page_lines(reports / "index.html"))
    missing = []
    for stem in records:
        page = squashed(page_lines(reports / f"{stem}.html"))
        missing += [(stem, s) for s in recap.sentences(stem, records, cfg["language"])
                    if squashed([s]) not in page or squashed([s]) not in index]
    return missing


def names_problems(cfg: dict) -> list[str]:
    """What is wrong with the persona names of a run: two segments of one name, a numeric suffix ("(2)"), a colon."""
    names = [c["name"] for c in json.loads(io.artefact_path(io.run_paths(cfg), "personas").read_text("utf-8"))]
    bad = [n for n in names if NUMERIC_SUFFIX.search(n) or ":" in n]
    return bad + ([f"not unique: {names}"] if len(set(names)) != len(names) else [])


def latin_pages(cfg: dict, reports) -> list[tuple[str, float, str]]:
    """(page, share, words) of each page 01–09 of a ``language: zh`` run whose share of Latin words reaches
    :data:`custseg.report.languages.MAX_LATIN_SHARE`, or that has hardly any Chinese."""
    data = languages.data_words(cfg, io.run_paths(cfg))
    out = []
    for page in pages(reports):
        words, cjk = languages.latin_words(page.read_text(encoding="utf-8"), data)
        share = len(words) / (len(words) + cjk) if words or cjk else 0.0
        if share >= languages.MAX_LATIN_SHARE or cjk < 200:
            out.append((page.name, round(share, 3), " ".join(words)[:600]))
    return out


def published_in_process(cfg: dict, name: str, **cluster) -> tuple[dict, io.RunPaths, dict]:
    """Every stage of run ``name`` in this process (03 only describes: left out), then published as `custseg run`
    publishes it, with ``cluster`` settings and no stability refits: (cfg, paths, stage results)."""
    cfg = copy.deepcopy(cfg)
    cfg["run"] = name
    cfg["cluster"].update(stability_runs=0, **cluster)
    paths = io.run_paths(cfg).make()
    out = pipeline.run_stages(cfg, paths, skip=("03_describe",))
    io.write_json({"config": config.redacted(cfg), "stages": pipeline.metrics(paths)}, paths.reports / "run.json")
    publishing.publish(cfg, paths)
    return cfg, paths, out
