"""Hardening, part 5 (issue #15): what the 100,000-input fuzz run of scripts/fuzz.py found.

A canonical link whose host is malformed ("http://[x/") ended its article with an internal
error; a 235 KB page whose one 70 KB "sentence" held 430 facts gave a 65 MB bundle, because
each DetectedIssue quoted the whole sentence twice. Every article here is written by the test.
"""

from __future__ import annotations

import json

import pytest

from fhir_export.article_export import export_article
from fhir_export.extraction import phrases
from fhir_export.mapping.common import MAX_QUOTE
from fhir_export.options import ExportOptions
from fhir_export.sources.html_metadata import page_url


@pytest.mark.parametrize(
    ("href", "base"),
    [
        ("http://[x/page", None),
        ("//[::1/page", "https://example.org/"),
        ("page", "http://[broken/"),
    ],
)
def test_a_malformed_host_is_no_url(href: str, base: str | None) -> None:
    assert page_url(href, base) is None


def test_a_page_whose_canonical_link_has_a_malformed_host_exports() -> None:
    page = (
        '<html lang="en"><head><title>Aspirin</title><meta property="og:url" '
        'content="https://example.org/a"><link rel="canonical" href="//[::1/aspirin">'
        "</head><body><h1>Aspirin</h1><p>Aspirin is used to treat pain and fever.</p></body>"
        "</html>"
    )
    result = export_article(page.encode(), "a.html", ExportOptions())
    bundle = json.loads(result.outputs["json"])
    assert any(e["resource"]["resourceType"] == "MedicationKnowledge" for e in bundle["entry"])


def test_a_long_sentence_is_quoted_around_each_fact() -> None:
    effects = ["nausea", "headache", "dizziness", "rash", "vomiting", "diarrhea", "fatigue"]
    run_on = ", ".join(f"{e} in {n} people" for n in range(300) for e in effects)
    text = f"Aspirin\n\nAspirin is used to treat pain.\n\nAspirin may cause {run_on}.\n"
    data = text.encode()
    result = export_article(data, "a.txt", ExportOptions())
    bundle = json.loads(result.outputs["json"])
    issues = [e["resource"] for e in bundle["entry"]
              if e["resource"]["resourceType"] == "DetectedIssue"]
    assert issues
    for issue in issues:
        said, fact = issue["detail"], issue["evidence"][0]["code"][0]["text"]
        assert len(said) <= MAX_QUOTE + 4  # and the ellipses
        assert fact in said
        assert said.startswith("… ") or said.startswith("Aspirin may cause")
    # the bundle grows with the facts, not with the facts times the sentence (whole, each of
    # these would be over 90 KB)
    assert len(result.outputs["json"]) < 10_000 * len(issues) + 1_000_000


@pytest.mark.parametrize("part", ["", "   ", "\n"])
def test_an_empty_part_is_no_name(part: str) -> None:
    """A part left empty once its gloss is taken away ('(DVT)') names nothing; it raised
    IndexError (found reading the change again, not by the fuzzer)."""
    assert phrases.acceptable(part) is False
