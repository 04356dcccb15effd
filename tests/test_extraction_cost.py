"""What makes extraction cheap without changing what it reads (issue #15 "Cost", issue #12).

Nothing here is timed (benchmarks/linear_cost.py and export_speed.py are): these tests pin
what the speed-ups rely on.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from conftest import ARTICLES

from fhir_export import segmentation
from fhir_export.article_export import cycles_uncollected
from fhir_export.extraction import extract
from fhir_export.sources import parse_article
from fhir_export.terminology import default_lexicon

ARTICLE_FILES = sorted(p for p in ARTICLES.iterdir() if p.suffix in {".txt", ".md", ".html"})


@pytest.mark.parametrize("path", ARTICLE_FILES, ids=lambda p: p.name)
def test_extraction_makes_no_reference_cycles(path: Path) -> None:
    """Extraction runs with the cycle collector paused: all it makes must be freed by
    reference counting, or a corpus run would grow."""
    article = segmentation.segment(
        parse_article(path.read_bytes(), name=path.name, shown=path.name, max_bytes=1 << 24)
    )
    lexicon = default_lexicon()
    extract(article, lexicon)  # what is made once per process (rules, caches) made here
    gc.collect()
    was_on = gc.isenabled()
    gc.disable()
    try:
        extraction = extract(article, lexicon)
        del extraction
        assert gc.collect() == 0  # no object of the extraction left in a cycle
    finally:
        if was_on:
            gc.enable()


def test_the_collector_is_resumed_as_it_was() -> None:
    was_on = gc.isenabled()
    try:
        for on in (True, False):
            (gc.enable if on else gc.disable)()
            with cycles_uncollected():
                assert not gc.isenabled()
            assert gc.isenabled() is on
            with pytest.raises(KeyError), cycles_uncollected():
                raise KeyError("x")
            assert gc.isenabled() is on
    finally:
        (gc.enable if was_on else gc.disable)()
