"""Hardening, part 3 (issue #15): what scripts/fuzz.py still found, and the time limit.

Every input here is written by the test itself (none is a copied fuzz or corpus file): HTML
nested deep enough to exhaust Python's recursion, characters XML refuses reaching the writer,
sentences whose cost grew with the square of their length, and an article over its
--article-timeout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
