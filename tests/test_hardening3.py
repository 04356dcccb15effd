"""Hardening, part 3 (issue #15): what scripts/fuzz.py still found, and the time limit.

Every input here is written by the test itself (none is a copied fuzz or corpus file): HTML
nested deep enough to exhaust Python's recursion, characters XML refuses reaching the writer,
sentences whose cost grew with the square of their length, and an article over its
--article-timeout.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_hardening import JOBS, error_lines, run, three_articles

from fhir_export import article_export
from fhir_export.cli import main
from fhir_export.errors import ExitCode
from fhir_export.sources import read_article


def page(body: str, head: str = "<title>Aspirin</title>") -> str:
    return f"<!DOCTYPE html><html lang='en'><head>{head}</head><body>{body}</body></html>"


# --------------------------------------------------------------------------------------------
# deep HTML: no RecursionError, the text is kept
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outer", "inner", "depth"),
    [
        # block elements the walker flattens past depth 200, around inline ones read as text
        ("section", "span", 0),
        ("div", "span", 1),
        ("div", "em", 1),
        ("blockquote", "b", 1),
        ("dd", "q", 1),
        ("x-note", "x-note", 1),  # unknown elements are inline to the walker
    ],
)
@pytest.mark.parametrize("total", [1200, 2000])
def test_nesting_within_what_libxml2_keeps_is_read_without_recursion(
    tmp_path: Path, outer: str, inner: str, depth: int, total: int
) -> None:
    """Nested 1,200 to 2,000 deep (libxml2 keeps 2048, so nothing is flattened first): the
    text under it was read recursively, one Python frame per element (RecursionError)."""
    blocks = total // 2 if depth else total
    nested = (
        f"<{outer}>" * blocks
        + f"<{inner}>" * (total - blocks)
        + "Aspirin is used to treat pain."
        + f"</{inner}>" * (total - blocks)
        + f"</{outer}>" * blocks
    )
    path = tmp_path / "deep.html"
    body = f"<h1>Aspirin</h1>{nested}<p>It may cause stomach bleeding.</p>"
    path.write_text(page(body), encoding="utf-8")
    texts = [b.text for b in read_article(path, max_bytes=10**8).blocks]
    assert "Aspirin is used to treat pain." in texts
    assert "It may cause stomach bleeding." in texts


@pytest.mark.parametrize("tag", ["x-note", "label", "main", "h2"])
def test_any_element_nested_past_what_libxml2_keeps_keeps_its_text(
    tmp_path: Path, tag: str
) -> None:
    """Past 2048 levels libxml2 drops what lies deeper: every element is taken out in turn
    (inline, divs, lists and tables, any other, headings and paragraphs) until the page fits."""
    nested = f"<{tag}>" * 3000 + "Aspirin is used to treat pain." + f"</{tag}>" * 3000
    path = tmp_path / "deep.html"
    path.write_text(page(f"<h1>Aspirin</h1>{nested}<p>It may cause stomach bleeding.</p>"))
    text = " ".join(b.text for b in read_article(path, max_bytes=10**8).blocks)
    assert "Aspirin is used to treat pain." in text
    assert "It may cause stomach bleeding." in text


def test_furniture_stays_dropped_when_the_page_is_flattened(tmp_path: Path) -> None:
    nested = "<x-note>" * 3000 + "Aspirin is used to treat pain." + "</x-note>" * 3000
    body = f"<nav><a href='/'>Home page</a></nav><h1>Aspirin</h1>{nested}"
    path = tmp_path / "deep.html"
    path.write_text(page(body))
    text = " ".join(b.text for b in read_article(path, max_bytes=10**8).blocks)
    assert "Aspirin is used to treat pain." in text
    assert "Home page" not in text


# --------------------------------------------------------------------------------------------
# cost: one sentence of repeated facts was quadratic (each trigger read every part after it)
# --------------------------------------------------------------------------------------------

REPEATED = "aspirin may cause nausea, "
MIXED = "aspirin may cause nausea or headache, and ibuprofen is used to treat fever and pain, "


def _facts(text: str) -> set[tuple[str, str, str]]:
    from fhir_export import segmentation
    from fhir_export.extraction import extract
    from fhir_export.sources import parse_article
    from fhir_export.terminology import default_lexicon

    raw = parse_article(text.encode(), name="a.txt", shown="a.txt", max_bytes=10**8)
    extraction = extract(segmentation.segment(raw), default_lexicon(()))
    return {
        (m.key, kind, f.text)
        for m in extraction.medications
        for kind in ("indications", "side_effects", "warnings")
        for f in getattr(m, kind)
    }


def test_a_sentence_of_repeated_facts_reads_each_part_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """'aspirin may cause nausea, ' x 400 took 7 s, x 2,500 minutes: each 'may cause' read
    every part to the sentence's end. Now a trigger's objects stop before the part that holds
    the next trigger: the characters split into parts grow with the text (2x), not 4x."""
    from fhir_export.extraction import phrases

    original = phrases.parts
    counted = [0]

    def parts(text: str, start: int, end: int, **kwargs: bool) -> list[tuple[int, int]]:
        counted[0] += end - start
        return original(text, start, end, **kwargs)

    monkeypatch.setattr(phrases, "parts", parts)
    split = []
    for repeats in (200, 400):
        counted[0] = 0
        assert _facts("Aspirin\n\n" + REPEATED * repeats) == {("aspirin", "side_effects", "nausea")}
        split.append(counted[0])
    assert split[1] < 2.2 * split[0], split
    assert split[1] < 400 * len(REPEATED), "each character split about once"


def test_each_trigger_of_a_run_on_sentence_reads_its_own_objects() -> None:
    """The first trigger no longer reads (and claims) the objects of those after it."""
    assert _facts("Aspirin and ibuprofen\n\n" + MIXED * 60) == {
        ("aspirin", "side_effects", "nausea"),
        ("aspirin", "side_effects", "headache"),
        ("ibuprofen", "indications", "fever"),
        ("ibuprofen", "indications", "pain"),
    }


# --------------------------------------------------------------------------------------------
# characters XML refuses, written as character references in HTML
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference", ["&#xFFFE;", "&#65535", "&#1;", "&#x1B;", "&#0000031;", "&#xFDD0;", "&#65534;"]
)
def test_a_reference_to_a_character_xml_refuses_is_dropped(
    tmp_path: Path, reference: str
) -> None:
    """libxml2 turns '&#xFFFE;' into U+FFFE; beside an element we drop (a button, a script)
    lxml then refused to join the text around it ('All strings must be XML compatible')."""
    body = (
        "<h1>Aspirin</h1><p>Aspirin is used to treat pain.</p>"
        f"<{reference * 3}button>OK</button>{reference}<script>x()</script>{reference}"
        f"<p>It may cause stomach {reference}bleeding.</p>"
    )
    path = tmp_path / "refs.html"
    path.write_text(page(body, head=f"<title>Aspirin{reference}</title>"), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(path), "--out", str(out), "--format", "both"])
    assert result.exit_code == 0, result.output
    assert "Error" not in result.stderr
    xml = (out / "refs.bundle.xml").read_text(encoding="utf-8")
    assert "It may cause stomach bleeding." in xml
    validated = CliRunner().invoke(main, ["validate", str(out / "refs.bundle.json")])
    assert validated.exit_code == 0, validated.output


def test_a_long_run_of_punctuation_inside_a_word_costs_no_backtracking() -> None:
    """'Interfer[[[[...[[[on alfa-2b is used to treat': the pattern asking whether a sentence
    names its medicine ('It', 'This medicine' after up to three words) split the run of
    brackets between its repeated groups every way (39 KB: 30 s, fuzz). Now one way."""
    import importlib
    import time

    facts = importlib.import_module("fhir_export.extraction.facts")  # not the function
    text = "Interfer" + "[" * 20_000 + "on alfa-2b is used to treat cancer."
    start = time.perf_counter()
    assert not facts._names_the_medicine(text, 0, text.index("used"))
    assert time.perf_counter() - start < 5.0  # was 30 s; wide for a loaded machine
    assert facts._names_the_medicine("So far, it is used to treat pain.", 0, 12)
    assert facts._names_the_medicine("It is used to treat pain.", 0, 6)
    assert not facts._names_the_medicine("  it is used to treat pain.", 0, 8)  # as before


# --------------------------------------------------------------------------------------------
# --article-timeout: one article over its time fails alone, nothing of it written
# --------------------------------------------------------------------------------------------

def _stuck_on_ibuprofen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Extraction never ends for the ibuprofen article: a loop that even swallows every
    Exception, as a stage or library might (the limit must get through anyway)."""
    original = article_export.extract

    def extract(article: Any, lexicon: Any) -> Any:
        if "Ibuprofen" in article.text:
            while True:
                try:
                    while True:
                        pass
                except Exception:  # noqa: S112 (the point: an except that catches everything)
                    continue
        return original(article, lexicon)

    monkeypatch.setattr(article_export, "extract", extract)


@pytest.mark.parametrize("jobs", JOBS)
def test_an_article_over_its_time_fails_alone_and_keeps_its_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    src = three_articles(tmp_path / "in")
    out, report = tmp_path / "out", tmp_path / "report.json"
    first = run("export", tmp_path / "in", "--out", out, "--jobs", jobs)
    assert first.exit_code == 0, first.output
    before = (out / "ibuprofen.bundle.json").read_bytes()
    _stuck_on_ibuprofen(monkeypatch)
    result = run("export", tmp_path / "in", "--out", out, "--report", report, "--jobs", jobs,
                  "--article-timeout", "0.3")
    assert "Traceback" not in result.output
    assert result.exit_code == ExitCode.INPUT_FAILED == 1
    assert error_lines(result) == [f"Error: {src[1]}: timed out after 0.3 s (--article-timeout)."]
    assert (out / "ibuprofen.bundle.json").read_bytes() == before  # nothing half-written
    assert sorted(p.name for p in out.glob("*.bundle.json")) == [
        "aspirin.bundle.json", "ibuprofen.bundle.json", "naproxen.bundle.json"]
    assert not list(out.glob(".fhir-export-*"))
    rows = {Path(r["path"]).name: r for r in json.loads(report.read_text())["articles"]}
    assert rows["ibuprofen.txt"]["status"] == "failed"
    assert "timed out after 0.3 s" in json.dumps(rows["ibuprofen.txt"])
    assert rows["naproxen.txt"]["status"] != "failed"
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no alarm left behind
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL


@pytest.mark.parametrize("mode", ["--merge", "ndjson", "stdout"])
def test_the_time_limit_holds_in_every_export_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    src = three_articles(tmp_path / "in")
    _stuck_on_ibuprofen(monkeypatch)
    out = tmp_path / "out"
    args: list[str | Path] = ["export", "--article-timeout", "0.3", "--jobs", "1"]
    if mode == "stdout":
        args += [src[1], "--out", "-"]
    else:
        args += [tmp_path / "in", "--out", out]
        args += ["--merge"] if mode == "--merge" else ["--format", "ndjson"]
    result = run(*args)
    assert "Traceback" not in result.output
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(result) == [f"Error: {src[1]}: timed out after 0.3 s (--article-timeout)."]
    if mode == "--merge":
        corpus = (out / "corpus.bundle.json").read_text(encoding="utf-8")
        assert "Naproxen" in corpus and "Ibuprofen" not in corpus


def test_no_limit_with_zero_and_a_generous_default() -> None:
    from fhir_export.deadline import deadline
    from fhir_export.options import ExportOptions

    assert ExportOptions().article_timeout == 300
    with deadline(0, "a.txt"):
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with deadline(60, "a.txt"):
        assert 59 < signal.getitimer(signal.ITIMER_REAL)[0] <= 60
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    help_text = run("export", "--help").output
    assert "--article-timeout SECONDS" in help_text


def test_a_huge_word_is_no_typing_slip_of_a_medicine_name() -> None:
    """A 40,000-letter word: its one-letter deletions (what a slip is looked up by) were
    40,000 strings of 40,000 letters (30 s). No name is that long: it is no slip of any."""
    import time

    from fhir_export.terminology import default_lexicon

    lexicon = default_lexicon(())
    start = time.perf_counter()
    assert lexicon.near("chlorphenirami" + "n" * 40_000) is None
    assert time.perf_counter() - start < 5.0  # wide for a loaded machine
    assert lexicon.near("chlorpheniramin") is not None  # a slip of chlorpheniramine


def test_a_long_lead_in_is_read_once_for_all_its_items(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each item of a list asked its lead-in's whole text what the items are: 500 items under
    a 40 KB lead-in scanned 20 MB (fuzz: 10 s for 50 KB). The answer is kept per lead-in."""
    import importlib

    facts = importlib.import_module("fhir_export.extraction.facts")  # not the function
    asked = []
    original = facts._lead_says
    monkeypatch.setattr(facts, "_lead_says", lambda lead: asked.append(1) or original(lead))
    lead = "Aspirin may cause " + "very " * 8_000 + "many side effects, including:"
    items = "".join(f"\n- side effect number {i}" for i in range(500))
    found = _facts(f"Aspirin\n\n{lead}{items}\n")
    assert len(asked) == 1
    assert ("aspirin", "side_effects", "side effect number 7") in found
