"""One glossary of the method's terms (templates/glossary.yaml): the catalogues take their terms from it and never
disagree with it, the notebooks' Chinese uses its preferred terms, and it is shown as a page (report and docs)."""

import importlib.util

import nbformat
import pytest

from custseg import i18n
from custseg.config import PROJECT_ROOT
from custseg.evaluate import SEGMENT_CRITERIA
from custseg.report import glossary

# a catalogue value that is the same English word as a term but another sense: path -> why it is not the term
OTHER_SENSE = {"ui.stable.stable": "the verdict of the stability check (结果稳定), not the criterion 稳定性"}
# uses of another textbook's name in a notebook's Chinese that wait for the words helper (only words edits existing
# prose): a new one fails the test; remove an entry once its cell names the preferred term
PENDING: set[str] = set()


def _leaves(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}".lstrip("."))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, node


def test_every_term_has_both_languages_a_meaning_and_distinct_alternatives():
    data = i18n.glossary_file()
    assert len(data["terms"]) >= 40
    for key, entry in data["terms"].items():
        assert entry["group"] in data["groups"], key
        for field in ("en", "zh", "en_means", "zh_means"):
            assert isinstance(entry[field], str) and entry[field].strip(), (key, field)
        assert entry["zh"] not in entry["zh_also"] and len(set(entry["zh_also"])) == len(entry["zh_also"]), key
    preferred = {e["zh"] for e in data["terms"].values()}
    also = [a for e in data["terms"].values() for a in e["zh_also"]]
    assert not preferred & set(also), "a term's other name is no other term's preferred name"
    # the terms the issue names, with the Chinese textbooks' alternatives it names
    for key in ("stp", "rfm", "index", "lift", "support", "confidence", "silhouette", "holdout", "uplift", "persona",
                "positioning", "marketing_mix", *SEGMENT_CRITERIA):
        assert key in data["terms"], key
    assert i18n.term("substantial", "zh") == "可盈利性" and "足量性" in data["terms"]["substantial"]["zh_also"]
    assert i18n.term("accessible", "zh") == "可进入性" and "可接近性" in data["terms"]["accessible"]["zh_also"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_catalogues_take_the_criteria_names_from_the_glossary(language):
    names = i18n.messages(language)["criteria"]
    assert list(names) == list(SEGMENT_CRITERIA)
    assert names == {c: i18n.term(c, language) for c in SEGMENT_CRITERIA}
    raw = (i18n.TEMPLATES / language / "messages.yaml").read_text(encoding="utf-8")
    assert all(f'"@{c}"' in raw for c in SEGMENT_CRITERIA), "derived from the glossary, not copied"
    assert not [(p, v) for p, v in _leaves(i18n.messages(language)) if isinstance(v, str) and v.startswith("@")]


def test_a_reference_to_no_term_is_an_error_naming_it():
    with pytest.raises(ValueError, match=r"headers\.uplift is '@upflit', but templates/glossary.yaml has no term"):
        i18n._resolve({"headers": {"uplift": "@upflit"}}, "zh", "")
    assert i18n._resolve({"a": ["@lift", "@ not a reference"]}, "zh", "") == {"a": ["提升度", "@ not a reference"]}


def test_no_catalogue_names_a_term_otherwise_than_the_glossary():
    """Where the English catalogue says a term of the glossary (a column header "uplift", a strategy "concentrated"),
    the Chinese catalogue says the glossary's Chinese term at the same place; and the Chinese catalogue never uses
    another textbook's name of a term (处理组 for 实验组)."""
    en, zh = i18n.messages("en"), i18n.messages("zh")
    by_word = {e["en"].lower(): key for key, e in i18n.terms().items()}
    zh_at = dict(_leaves(zh))
    disagree, matched = [], 0
    for path, value in _leaves(en):
        key = by_word.get(value.lower()) if isinstance(value, str) else None
        if key is None or path in OTHER_SENSE:
            continue
        matched += 1
        if zh_at.get(path) != i18n.term(key, "zh"):
            disagree.append((path, value, zh_at.get(path), i18n.term(key, "zh")))
    assert not disagree, disagree
    assert matched >= 15, "the check reads the catalogues' terms"
    also = {a: e["zh"] for e in i18n.terms().values() for a in e["zh_also"]}
    used = [(path, a) for path, value in _leaves(zh) if isinstance(value, str) for a in also if a in value]
    assert not used, used


def test_the_notebooks_chinese_uses_the_preferred_terms():
    found = set(glossary.problems())
    assert found <= PENDING, sorted(found - PENDING)


def _book(folder, *zh):
    nb = nbformat.v4.new_notebook()
    for i, text in enumerate(zh):
        en = nbformat.v4.new_markdown_cell(f"# {i}", metadata={"tags": ["lang-en"]})
        cell = nbformat.v4.new_markdown_cell(text, metadata={"tags": ["lang-zh"]})
        en.id, cell.id = f"e{i}", f"z{i}"
        nb.cells += [en, cell]
    nbformat.write(nb, folder / "05_cluster.ipynb")


def test_an_alternative_is_allowed_beside_the_preferred_term_only(tmp_path):
    _book(tmp_path, "可盈利性（又称足量性）：规模足够大。", "层次聚类（也叫系统聚类）", "这个细分的足量性不够。")
    assert glossary.problems(tmp_path) == ["05_cluster cell z2: '足量性' without the glossary's '可盈利性' "
                                           "(substantial; templates/glossary.yaml)"]
    assert glossary.used_in(tmp_path)["substantial"] == ["05"] and glossary.used_in(tmp_path)["lift"] == []


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_report_glossary_page_lists_every_term_in_its_language(language):
    page = glossary.render(language)
    assert f'<html lang="{"zh-CN" if language == "zh" else "en"}">' in page
    assert i18n.messages(language)["course"]["glossary"]["title"] in page
    for key, entry in i18n.terms().items():
        assert f'id="{key}"' in page and entry["en"].replace("'", "&#39;") in page and entry["zh"] in page, key
        assert entry[f"{language}_means"].replace("'", "&#39;").replace('"', "&#34;")[:30] in page, key
        assert all(a in page for a in entry["zh_also"]), key
    assert 'href="index.html"' in page and 'href="00_overview.html"' in page


def test_the_docs_site_has_the_glossary_page_generated_not_committed():
    spec = importlib.util.spec_from_file_location("docs_hook", PROJECT_ROOT / "docs" / "hooks" / "reference.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    page = hook.pages()[hook.GLOSSARY_PAGE]
    assert not (PROJECT_ROOT / "docs" / hook.GLOSSARY_PAGE).exists(), "generated at build time"
    assert f"Glossary (术语表): {hook.GLOSSARY_PAGE}" in (PROJECT_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for entry in i18n.terms().values():
        assert f"| **{entry['en']}** | {entry['zh']} |" in page, entry["en"]
    assert "| **substantial** | 可盈利性 | 足量性 |" in page
