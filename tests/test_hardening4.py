"""Hardening, part 4 (issue #15): text a list or table holds outside its items or cells.

Text placed straight inside <ul>, <ol>, <dl>, <table>, <tbody> or <tr> (no <li>, <dd> or <td>
around it), a <caption>, a list nested in a list without an item, or a list deep inside an
item was dropped from the article without a word. Every page here is written by the test.
"""

from __future__ import annotations

import random
import re

import pytest

from fhir_export import segmentation
from fhir_export.sources import html, parse_article

FILLER = "<p>" + "Aspirin is a medicine used to treat pain and fever in adults. " * 5 + "</p>"
SENTENCE = "aspirin may cause nausea and stomach bleeding in some people."


def _article_text(body: str) -> str:
    page = f"<html lang='en'><head><title>Aspirin</title></head><body><h1>Aspirin</h1>{body}"
    raw = parse_article(page.encode(), name="a.html", shown="a.html", max_bytes=10**7)
    return segmentation.segment(raw).text


@pytest.mark.parametrize(
    "holder",
    [
        "<ul>{s}<li>Take it with food.</li></ul>",
        "<ul><li>Take it with food.</li>{s}</ul>",
        "<ol><li>Take it with food.</li><p>{s}</p></ol>",
        "<ul><li>Take it with food.</li><ul><li>{s}</li></ul></ul>",  # no <li> around the list
        "<ul><li>Take it with food.<div><div><ul><li>{s}</li></ul></div></div></li></ul>",
        "<ul><li>Take it with food.<dl><dt>Warning</dt><dd>{s}</dd></dl></li></ul>",
        "<dl>{s}<dt>Warning</dt><dd>Take it with food.</dd></dl>",
        "<dl><div><dt>Take it with food.</dt><dd>{s}</dd></div></dl>",
        "<table>{s}<tr><td>Take it</td><td>with food.</td></tr></table>",
        "<table><tbody>{s}<tr><td>Take it</td><td>with food.</td></tr></tbody></table>",
        "<table><caption>{s}</caption><tr><td>Take it</td><td>with food.</td></tr></table>",
        "<table><tr><td>Take it</td><td>with food.</td></tr><p>{s}</p></table>",
    ],
)
def test_text_outside_items_and_cells_is_kept_as_its_own_line(holder: str) -> None:
    text = _article_text(FILLER + holder.format(s=SENTENCE) + FILLER)
    assert SENTENCE in text.splitlines(), "kept, on a line of its own: not run into an item"


def test_the_text_of_a_row_outside_its_cells_is_read() -> None:
    """The walker keeps it; the row is read apart from it (the main-content filter, which
    may leave a short line it cannot place, is not asked here)."""
    doc = html.read_with(None)(
        "a.html", "a.html", b"", f"<table><tr>{SENTENCE}<td>Take it</td>with food.</tr></table>"
    )
    assert [b.text for b in doc.blocks] == ["Take it", SENTENCE, "with food."]


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_a_table_inside_a_cell_is_read_once(depth: int) -> None:
    """Each row is read with the text of its own cells only: a table nested in a cell is
    read as rows of its own, its sentences never repeated in the row around it (the walker;
    the main-content filter is not asked here)."""
    inner = f"<table><tr><td>{SENTENCE}</td><td>Take it with food.</td></tr></table>"
    for level in range(depth):
        inner = f"<table><tr><td>Outer cell {level}. {inner}</td><td>Cell {level}</td></tr></table>"
    doc = html.read_with(None)("a.html", "a.html", b"", inner)
    text = "\n".join(b.text for b in doc.blocks)
    assert text.count(SENTENCE) == 1, text
    assert text.count("Take it with food.") == 1, text
    for level in range(depth):
        assert text.count(f"Outer cell {level}.") == 1, text
        assert f"Outer cell {level}. | Cell {level}" in text.splitlines(), text


# --------------------------------------------------------------------------------------------
# property: every text node of a hostile page is read, unless it is furniture or a script
# --------------------------------------------------------------------------------------------

_CONTAINERS = (
    # no <article> or <main>: the reader then reads that element alone, as it should
    "div", "p", "span", "b", "em", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead",
    "tbody", "tfoot", "tr", "td", "th", "caption", "section", "blockquote", "h2", "h3",
    "figure", "figcaption", "details", "summary", "header", "x-note",
)  # fmt: skip
_DROPPED = ("script", "style", "nav", "footer", "aside", "form", "noscript")


def _hostile_page(rng: random.Random) -> tuple[str, list[str], list[str]]:
    """(page, words that must be read, words that must not): every text and tail a word of
    its own, elements nested at random whatever the HTML content model allows."""
    kept: list[str] = []
    hidden: list[str] = []

    def word(into: list[str]) -> str:
        into.append(f"w{len(kept) + len(hidden)}x{rng.randrange(10**6)}")
        return f" {into[-1]} "

    def element(depth: int) -> str:
        if depth > 2 and rng.random() < 0.1:
            tag = rng.choice(_DROPPED)
            return f"<{tag}>{word(hidden)}</{tag}>"
        if rng.random() < 0.08:
            return "<br>"
        tag = rng.choice(_CONTAINERS)
        inner = word(kept) if rng.random() < 0.7 else ""
        if depth < 6:
            for _ in range(rng.randrange(4)):
                inner += element(depth + 1)
                if rng.random() < 0.6:
                    inner += word(kept)
        return f"<{tag}>{inner}</{tag}>"

    body = "".join(element(0) for _ in range(rng.randrange(1, 5)))
    return f"<html><head><title>t</title></head><body>{body}</body></html>", kept, hidden


@pytest.mark.parametrize("seed", range(8))
def test_every_text_node_of_a_hostile_page_is_read(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - a test page, no secret
    read = html.read_with(None)  # the walker alone: main-content selection is another test's
    for _ in range(60):
        page, kept, hidden = _hostile_page(rng)
        text = "\n".join(b.text for b in read("a.html", "a.html", b"", page).blocks)
        words = set(re.findall(r"\S+", text))
        missing = [w for w in kept if w not in words]
        assert not missing, (missing, page)
        assert not [w for w in hidden if w in text], page
