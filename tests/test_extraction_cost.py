"""What makes extraction cheap without changing what it reads (issue #15 "Cost", issue #12).

Nothing here is timed (benchmarks/linear_cost.py and export_speed.py are): these tests pin
what the speed-ups rely on.
"""

from __future__ import annotations

import gc
import unicodedata
from pathlib import Path

import pytest
from conftest import ARTICLES
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_export import segmentation
from fhir_export.article_export import cycles_uncollected
from fhir_export.extraction import extract
from fhir_export.sources import parse_article
from fhir_export.sources.decode import _INVISIBLE, _SPACES, normalize_text
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


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(
            list(
                "ab \n\t.\u00ad\u200b\u200c\u200d\u2060\ufeff\u00a0\u2007\u202f\u2009\u200a"
                "\u3000\u00e9e\u0301"
            )
        ),
        max_size=40,
    )
)
def test_normalize_text_translates_only_what_it_holds(text: str) -> None:
    """normalize_text skips a translation table none of whose characters the text holds:
    the same text as translating every time."""
    every_time = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    assert normalize_text(text) == every_time.translate(_SPACES)


def _subject_before_as_written(text: str, start: int, at: int) -> str:
    """phrases.subject_before before its fast paths: every pattern over the whole head."""
    from fhir_export.extraction import phrases

    head = phrases._GLOSS_END.sub("", phrases._KNOWN_AS.sub("", text[start:at]))
    cuts = [m.end() for m in phrases.SUBJECT_START.finditer(head)]
    piece = head[cuts[-1] :] if cuts else head
    return phrases._ARTICLE.sub("", piece.strip(" \t\n\"'“”‘’‚*-•").lower(), count=1).strip()


_HEAD_PIECES = st.sampled_from(
    [
        "aspirin",
        "the pertussis",
        " (aP)",
        ", also known as “whooping cough,” ",
        " Also Called ",
        "shingles",
        ", ",
        "; ",
        ". ",
        " and ",
        "band",
        " while ",
        "sand",
        " if ",
        "\n",
        " ",
        "nausea",
        "(",
        ")",
        "commonly called x",
        "known",
        " as ",
        "whereas",
        "a",
        "it",
    ]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_HEAD_PIECES, max_size=40), st.integers(0, 10))
def test_subject_before_fast_paths_read_what_the_patterns_read(
    pieces: list[str], skip: int
) -> None:
    """subject_before tries another name only where its words are, a gloss only before a
    closing bracket, and the subject's start from near the end: the same words as every
    pattern over the whole head (run-on texts have long heads)."""
    from fhir_export.extraction import phrases

    text = "".join(pieces) + " may cause"
    at = text.rindex(" may cause")
    start = min(skip, at)
    assert phrases.subject_before(text, start, at) == _subject_before_as_written(text, start, at)


def test_every_known_as_rule_needs_a_word_subject_before_looks_for() -> None:
    from fhir_export.extraction import phrases, rules

    for rule in rules.load("phrases").by_kind("known-as"):
        for example in rule.examples:
            assert any(w in example.lower() for w in phrases._KNOWN_AS_WORDS), (rule.id, example)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(["anti-inflammatory", "don't", " ", ", ", "(X)", "é", "a", "bc", "–", "'"]),
        max_size=20,
    ),
    st.integers(0, 200),
    st.integers(0, 200),
)
def test_tokens_in_a_unit_are_what_tokenize_finds(pieces: list[str], a: int, b: int) -> None:
    """units.tokens_in slices the unit's own tokens: the same tokens as tokenizing the part
    (a part that cuts a word is tokenized)."""
    from fhir_export.extraction.units import Unit, tokens_in
    from fhir_export.model import BlockKind
    from fhir_export.terminology import tokenize

    text = "x " + "".join(pieces) + " y"
    lo, hi = 1, len(text) - 1
    unit = Unit(
        section=0,
        start=lo,
        end=hi,
        kind=BlockKind.PARAGRAPH,
        text=text[lo:hi],
        tokens=tokenize(text, lo, hi),
        heading=None,
        block=0,
    )
    start, end = sorted((min(a, len(text)), min(b, len(text))))
    assert tokens_in(unit, text, start, end) == tokenize(text, start, end)


@pytest.mark.parametrize("language", ["en", "de", "es", "fr"])
def test_the_joined_label_rules_match_where_one_of_them_does(language: str) -> None:
    """sections.label asks one joined pattern first: it must match exactly where one of the
    labels pack's rules does (each rule's examples and counter-examples, and their words
    in capitals and after spaces)."""
    from fhir_export.extraction import rules, sections

    pack = rules.load("labels", language)
    joined = sections._any_label(language)
    assert joined is not None and pack.rules
    lines = [x for r in pack.rules for x in (*r.examples, *r.counter_examples)]
    lines += [x.upper() for x in lines] + ["  " + x for x in lines] + ["", "Aspirin: a guide"]
    for line in lines:
        one = any(r.pattern.match(line) for r in pack.rules)
        assert (joined.match(line) is not None) == one, line
