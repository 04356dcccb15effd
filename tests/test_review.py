"""The review site (fhir-export preview, export --html), read as HTML by lxml: every fact has a
highlight linking to an existing resource card and back, the source text is the article's
text exactly, hostile article text stays text, and the same Bundles give the same bytes.
tests/test_review_browser.py opens the same pages in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree
from lxml import html as lxml_html
from review_site import (
    HOSTILE,
    PWNED,
    SEED,
    entries,
    export_into,
    exported,
    facts,
    fake_lforms,
    load,
    rendition,
)

from fhir_export.cli import main
from fhir_export.review.facts import ArticleView, Fact
from fhir_export.review.highlight import highlighted
from fhir_export.review.site import build, write_site

ARTICLE_PAGES = ("immunotherapy", "hostile-article")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return exported(tmp_path_factory.mktemp("review-runs"))


@pytest.fixture(scope="module")
def lforms(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fake_lforms(tmp_path_factory.mktemp("lforms"))


def _page(site: dict[str, bytes], name: str) -> Any:
    return lxml_html.document_fromstring(site[f"articles/{name}.html"])


def _cases(runs: dict[str, Path], lforms: Path) -> list[tuple[str, str, Any, dict[str, Any]]]:
    out = []
    for release, folder in runs.items():
        site = build(folder, lforms).files
        for name in ARTICLE_PAGES:
            bundle = load(folder / f"{name}.bundle.json")
            out.append((release, name, _page(site, name), bundle))
    return out


def test_every_fact_has_a_highlight_linked_to_its_resource_card(
    runs: dict[str, Path], lforms: Path
) -> None:
    for release, name, page, bundle in _cases(runs, lforms):
        text = rendition(bundle)
        found = facts(bundle)
        assert len(found) > 5, (release, name)
        for card, start, end in found:
            where = f"{release} {name} {card} {start}-{end}"
            mark = page.get_element_by_id(f"h-{start}-{end}", None)
            assert mark is not None and mark.tag == "mark", where
            assert card in mark.get("data-targets").split(), where
            # the mark's own links (not those of marks nested in it) reach this card
            own = [a for a in mark.iter("a") if next(a.iterancestors("mark")) is mark]
            assert own, where
            assert f"#{card}" in {a.get("href") for a in own}, where
            for a in own:
                assert page.get_element_by_id(a.get("href")[1:], None) is not None, where
            # the highlighted words are the fact's words (all pieces of a split highlight)
            pieces = page.xpath(f'//mark[@data-span="h-{start}-{end}"]'
                                '[not(ancestor::mark[@data-span="h-{0}-{1}"])]'.format(start, end))
            assert "".join(p.text_content() for p in pieces) == text[start:end], where
            assert "fact" in mark.get("class").split()
            assert any(c.startswith("k-") for c in mark.get("class").split()), where


def test_every_card_links_back_to_each_of_its_highlights(
    runs: dict[str, Path], lforms: Path
) -> None:
    for release, name, page, bundle in _cases(runs, lforms):
        cards = {c for c, _, _ in facts(bundle)}
        for card in cards:
            section = page.get_element_by_id(card, None)
            assert section is not None and section.tag == "section", (release, name, card)
            backs = {a.get("href") for a in section.iter("a") if "back" in a.classes}
            wanted = {f"#h-{s}-{e}" for c, s, e in facts(bundle) if c == card}
            assert wanted <= backs, (release, name, card, wanted - backs)
        for a in page.iter("a"):
            href = a.get("href")
            if href and href.startswith("#"):
                assert page.get_element_by_id(href[1:], None) is not None, (name, href)
        # every medicine has its card, with its codes and names
        for mk in (r for r in entries(bundle) if r["resourceType"] == "MedicationKnowledge"):
            section = page.get_element_by_id(f"MedicationKnowledge-{mk['id']}")
            shown = section.text_content()
            for coding in mk["code"].get("coding", []):
                assert coding["code"] in shown
            for other in [*mk.get("synonym", []), *mk.get("name", [])]:
                assert other in shown


def test_the_source_text_is_the_rendition_exactly(runs: dict[str, Path], lforms: Path) -> None:
    for _, name, page, bundle in _cases(runs, lforms):
        (source,) = page.find_class("source")
        assert source.text_content() == rendition(bundle), name


def test_hostile_article_text_stays_text(runs: dict[str, Path], lforms: Path) -> None:
    raw = HOSTILE.read_text("utf-8")
    assert "<script>" in raw and "onerror=" in raw and "javascript:" in raw
    assert "</textarea>" in raw
    for release, folder in runs.items():
        site = build(folder, lforms).files
        data = site["articles/hostile-article.html"].decode("utf-8")
        page = lxml_html.document_fromstring(data)
        # the article's markup is in the text, as text
        (source,) = page.find_class("source")
        assert "<script>window.__pwned" in source.text_content()
        assert '<img src=x onerror="window.__pwned' in source.text_content()
        # ... and nowhere as markup: the only scripts are the site's files and JSON blocks
        for script in page.iter("script"):
            assert script.get("src", "").startswith("../assets/") or (
                script.get("type") == "application/json" and not script.get("src")
            ), etree.tostring(script)[:200]
        for element in page.iter():
            if not isinstance(element.tag, str):
                continue
            assert element.tag not in ("img", "svg", "iframe", "base", "style", "textarea")
            for attribute, value in element.attrib.items():
                assert not attribute.startswith("on"), (element.tag, attribute)
                assert not re.match(r"\s*javascript:", value, re.I), (element.tag, value)
        assert "http-equiv=\"refresh\"" not in data
        assert PWNED in data  # the words are shown ...
        assert "<script>window" not in data  # ... never as a tag
        # the Questionnaire's JSON block cannot be ended by the article's '</script>'
        for block in page.xpath('//script[@type="application/json"]'):
            assert "</" not in block.text and "<" not in block.text
            questionnaire = json.loads(block.text)
            bundle = load(folder / "hostile-article.bundle.json")
            assert questionnaire in entries(bundle), release
        # the title is text too
        assert page.find(".//title").text.startswith("Ibuprofen <script>")


def test_every_page_has_a_restrictive_content_security_policy(
    runs: dict[str, Path], lforms: Path
) -> None:
    site = build(runs["R4"], lforms).files
    pages = [n for n in site if n.endswith(".html")]
    assert len(pages) == 4  # the index and three articles
    for name in pages:
        page = lxml_html.document_fromstring(site[name])
        (csp,) = page.xpath('//meta[@http-equiv="Content-Security-Policy"]')
        policy = dict(d.partition(" ")[::2] for d in csp.get("content").split("; "))
        assert policy["default-src"] == "'none'"
        assert policy["script-src"] == "'self'"  # no inline script, no eval, no host
        assert policy["base-uri"] == "'none'" and policy["object-src"] == "'none'"
        assert policy["form-action"] == "'none'"
        assert "http" not in csp.get("content")
        for script in page.iter("script"):
            assert script.get("src") or script.get("type") == "application/json", name
            assert not (script.get("src") or "").startswith(("http:", "https:", "//")), name
        for link in page.iter("link"):
            assert not link.get("href").startswith(("http:", "https:", "//")), name


def test_index_has_a_sortable_row_per_article_with_counts_and_flags(
    runs: dict[str, Path], lforms: Path
) -> None:
    site = build(runs["R4"], lforms).files
    index = lxml_html.document_fromstring(site["index.html"])
    headers = index.xpath("//table[@id='articles']/thead/tr/th")
    assert all(th.find("button") is not None and th.get("data-type") for th in headers)
    assert index.xpath("//script/@src") == ["assets/review.js"]
    rows = index.xpath("//table[@id='articles']/tbody/tr")
    assert len(rows) == 3
    by_file = {r.xpath("td[2]")[0].text_content(): r for r in rows}
    assert set(by_file) == {
        "immunotherapy.bundle.json", "hostile-article.bundle.json", "knee-arthroscopy.bundle.json"
    }
    columns = [th.text_content() for th in headers]
    seed = by_file["immunotherapy.bundle.json"]
    cells = dict(zip(columns, seed.xpath("td"), strict=True))
    assert cells["Title"].text_content() == "Immunotherapy"
    assert cells["Medicines"].get("data-value") == "5"
    assert cells["side effect"].get("data-value") == "3"
    assert cells["screening question"].get("data-value") == "3"
    assert cells["Flags"].text_content() == ""
    empty = dict(zip(columns, by_file["knee-arthroscopy.bundle.json"].xpath("td"), strict=True))
    assert "no medicine" in empty["Flags"].text_content()
    for row in rows:
        href = row.xpath("td[1]/a/@href")[0]
        assert href in site, href


def test_without_lhc_forms_the_questionnaire_is_a_plain_list_and_says_so(
    runs: dict[str, Path],
) -> None:
    bundle = load(runs["R4"] / "immunotherapy.bundle.json")
    (questionnaire,) = (r for r in entries(bundle) if r["resourceType"] == "Questionnaire")
    site = build(runs["R4"], None)
    assert not site.copies
    page = _page(site.files, "immunotherapy")
    assert not [s for s in page.xpath("//script/@src") if "lforms" in s or "form.js" in s]
    (note,) = page.find_class("lforms-status")
    assert note.get("data-status") == "absent" and "plain list" in note.text_content()
    card = page.get_element_by_id(f"Questionnaire-{questionnaire['id']}")
    shown = {li.get("data-link-id") for li in card.iter("li")}

    def link_ids(items: list[dict[str, Any]]) -> set[str]:
        return {i["linkId"] for i in items} | {
            x for i in items for x in link_ids(i.get("item", []))
        }

    assert shown == link_ids(questionnaire["item"])
    # ... and with LHC-Forms, the page loads it from the site's own folder
    with_forms = build(runs["R4"], fake_lforms(runs["R4"].parent / "lf"))
    scripts = _page(with_forms.files, "immunotherapy").xpath("//script/@src")
    assert "../assets/lforms/webcomponent/lhc-forms.js" in scripts
    assert set(with_forms.copies) >= {"assets/lforms/webcomponent/lhc-forms.js",
                                     "assets/lforms/fhir/R4/lformsFHIR.min.js"}


def test_same_bundles_same_bytes(runs: dict[str, Path], lforms: Path, tmp_path: Path) -> None:
    first = write_site(runs["R5"], tmp_path / "a", lforms)
    again = build(runs["R5"], lforms)
    assert first.files == again.files
    # a copy of the output folder elsewhere gives the same site, byte for byte
    shutil.copytree(runs["R5"], tmp_path / "copy")
    write_site(tmp_path / "copy", tmp_path / "b", lforms)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*"))
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*"))
    for name in files:
        if (tmp_path / "a" / name).is_file():
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_xml_bundles_give_the_same_page(runs: dict[str, Path], lforms: Path,
                                        tmp_path: Path) -> None:
    xml = export_into(tmp_path / "xml", "R4", SEED, fmt="xml")
    page = _page(build(xml, lforms).files, "immunotherapy")
    json_page = _page(build(runs["R4"], lforms).files, "immunotherapy")
    assert [m.get("id") for m in page.iter("mark") if m.get("id")] == [
        m.get("id") for m in json_page.iter("mark") if m.get("id")
    ]


def test_nested_and_crossing_highlights_keep_the_text_and_every_link() -> None:
    text = "SSRI antidepressant pills"
    facts_ = (
        Fact("drug-class", 0, 19, "MedicationKnowledge-a"),  # SSRI antidepressant
        Fact("other-name", 0, 4, "MedicationKnowledge-b"),  # SSRI, nested
        Fact("route", 5, 25, "MedicationKnowledge-c"),  # crosses the first one's end
        Fact("side-effect", 0, 4, "DetectedIssue-d"),  # same words, another resource
    )
    view = ArticleView(file="x", fhir_version="R4", title="t", doc_id="d", text=text,
                       facts=facts_, misplaced=(), cards=())
    fragment = lxml_html.fragment_fromstring(f"<div>{highlighted(view, {})}</div>")
    assert fragment.text_content() == text
    for fact in facts_:
        mark = fragment.get_element_by_id(f"h-{fact.start}-{fact.end}")
        assert f"#{fact.card}" in {a.get("href") for a in mark.iter("a")}
    assert len(fragment.xpath("//mark[@data-span='h-5-25']")) == 2  # split in two pieces
    assert len(fragment.xpath("//mark[@id='h-5-25']")) == 1


def _run(*args: str | Path) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="fhir-export",
                              env={"FHIR_EXPORT_LFORMS": None})


def test_preview_command(runs: dict[str, Path], tmp_path: Path) -> None:
    result = _run("preview", runs["R4"], "--out", tmp_path / "site")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path / 'site' / 'index.html'}\n"
    lines = result.stderr.splitlines()
    assert lines[:3] == [
        f"page articles/{name}.html of {runs['R4'] / name}.bundle.json"
        for name in sorted(p.name.split(".")[0] for p in runs["R4"].glob("*.bundle.json"))
    ]
    assert lines[3].startswith("review site: 3 article pages in ")
    assert (tmp_path / "site" / "articles" / "immunotherapy.html").is_file()

    (tmp_path / "empty").mkdir()
    result = _run("preview", tmp_path / "empty")
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {tmp_path / 'empty'}: holds no *.bundle.json or *.bundle.xml. "
        "Give the --out folder of an export.\n"
    )
    assert not (tmp_path / "empty" / "review").exists()

    (tmp_path / "lf").mkdir()
    result = _run("preview", runs["R4"], "--out", tmp_path / "s2", "--lforms", tmp_path / "lf")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {tmp_path / 'lf'}: is not an LHC-Forms folder (")

    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "broken.bundle.json").write_text("{", "utf-8")
    shutil.copy(runs["R4"] / "immunotherapy.bundle.json", tmp_path / "bad")
    result = _run("preview", tmp_path / "bad")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        f"Error: {tmp_path / 'bad' / 'broken.bundle.json'}: neither FHIR JSON nor XML")
    index = (tmp_path / "bad" / "review" / "index.html").read_text("utf-8")
    assert "broken.bundle.json" in index and "immunotherapy.html" in index


def test_export_html_writes_the_site_of_the_run(tmp_path: Path) -> None:
    result = _run("export", SEED, "--out", tmp_path / "out", "--html", tmp_path / "site")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        str(tmp_path / "out" / "immunotherapy.bundle.json"),
        str(tmp_path / "site" / "index.html"),
    ]
    assert "review site: 1 article page in" in result.stderr
    assert (tmp_path / "site" / "articles" / "immunotherapy.html").is_file()
    for bad in (["--merge"], ["--format", "ndjson"]):
        result = _run("export", SEED, "--out", tmp_path / "o2", "--html", tmp_path / "s", *bad)
        assert result.exit_code == 2
        assert "--html reviews per-article Bundles" in result.stderr
        assert not (tmp_path / "s").exists()
