"""starts.Gated: a pattern tried only where one of its rules can start finds exactly what
re's own finditer finds (same spans, same groups, same order), for the shipped trigger
patterns and for patterns built to be awkward (empty matches, lookaheads, line anchors,
classes, case folding)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_export.extraction import rules
from fhir_export.extraction.starts import Gated, Index, fold
from fhir_export.extraction.triggers import compile_triggers

SHIPPED = compile_triggers(rules.load("triggers"))
AWKWARD = [
    r"\b(?=(?:reduce|lower)s?\s+the\s+risk\b)",  # only ever empty
    r"(?:^|(?<=\n))\s*(?=helps? prevent\s)|\btreats?\s+",  # empty at a line start, or not
    r"(?<!birth control )\bto (?:treat|prevent)\s+|^\s*uses?\s*:",
    r"(?:(?<![\s\S])|(?<=\n)|(?<=[.!?]\s))(?:the )?signs? include",
    r"\b(?:(?:may|can)\s+)*cause[sd]?\s+|side[- ]effects?",
    r"\bK(?-i:ey)\b|\bstudy\b|\bİnfo",
    r"a?b?c?|x",  # may match nothing anywhere: searched as before
    r"\w+ly used",  # may start with any letter: searched as before
]
CHECKS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PIECES = st.sampled_from(
    ["used to treat", "Used", " to prevent", "Helps prevent ", "helps prevent", "reduces the risk",
     "lower the risk of", "may cause ", "can cause", "side-effects", "Side effects", "Uses:",
     "signs include", "The signs include", "birth control to treat", "treats ", "\n", ". ", " ",
     "İ", "ı", "ſ", "K", "KEY", "Key", "study", "STUDY", "info", "İnfo", "xy", "abc", "usually",
     "tell your doctor if", "do not take if", "uſed to treat", "ſide effects", "ıs indicated for",
     "İndicated for", "Kall", "sKy", "call your doctor", "is indicated for", ":", ","]
)
TEXTS = st.lists(PIECES, max_size=14).map("".join)


def _found(matches: object) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
    return [(m.span(), m.groupdict()) for m in matches]  # type: ignore[attr-defined]


def _same(pattern: re.Pattern[str], text: str, start: int, end: int) -> None:
    gated = Gated(pattern)
    expected = _found(pattern.finditer(text, start, end))
    assert _found(gated.finditer(text, start, end)) == expected
    assert _found(gated.finditer(text, start, end, Index(text))) == expected
    assert _found(gated.matches(text, start, end, Index(text))) == expected


@CHECKS
@given(text=TEXTS, cut=st.tuples(st.integers(0, 200), st.integers(0, 200)))
def test_gated_finds_what_finditer_finds(text: str, cut: tuple[int, int]) -> None:
    start, end = sorted(min(c, len(text)) for c in cut)
    for pattern in [*SHIPPED.values(), *(re.compile(p, re.I | re.M) for p in AWKWARD)]:
        _same(pattern, text, start, end)
        _same(pattern, text, 0, len(text))


@CHECKS
@given(text=TEXTS, cut=st.tuples(st.integers(0, 200), st.integers(0, 200)))
def test_index_rules_out_only_parts_where_nothing_is_found(text: str, cut: tuple[int, int]) -> None:
    """Index.may_start is False only where a search of the part as a string of its own finds
    nothing (its first character starts a line there, its lookbehinds see nothing)."""
    start, end = sorted(min(c, len(text)) for c in cut)
    index = Index(text)
    for pattern in [*SHIPPED.values(), *(re.compile(p, re.I | re.M) for p in AWKWARD)]:
        if not index.may_start(Gated(pattern), start, end):
            assert pattern.search(text[start:end]) is None


def test_a_part_read_alone_starts_a_line() -> None:
    """'Uses: pain' cut out of the middle of a line matches `^\\s*uses?:` as a string of its
    own, so the index must not rule it out."""
    pattern = Gated(re.compile(AWKWARD[2], re.I | re.M))
    text = "Side effects. Uses: pain"
    start = text.index("Uses")
    assert pattern.pattern.search(text[start:]) is not None
    assert Index(text).may_start(pattern, start, len(text))
    assert not Index(text).may_start(pattern, 0, start - 1)


def test_the_shipped_trigger_kinds_are_gated() -> None:
    """Every kind facts.py reads is tried only where its rules start (else the speed-up is
    lost silently when a rule is added that may start anywhere)."""
    from fhir_export.extraction.triggers import GATED

    assert all(g.gated for g in GATED.values())


@pytest.mark.parametrize("source", [r"a?b?c?|x", r"\w+ly used", r"[^.]{3}ing"])
def test_a_pattern_that_may_start_anywhere_is_not_gated(source: str) -> None:
    assert not Gated(re.compile(source, re.I)).gated


def test_fold_keeps_length_and_letters_re_folds() -> None:
    text = "İbuprofen ıs ſafe at 300 K, É"
    assert len(fold(text)) == len(text)
    assert fold(text) == "ibuprofen is safe at 300 k, é"


def test_starts_are_searched_as_a_tree_of_their_shared_pieces() -> None:
    from fhir_export.extraction.starts import _trie

    tree = _trie({tuple("also a"), tuple("also c"), tuple("al"), tuple("be"), tuple("bed")})
    # "al" ends where "also a" and "also c" go on: whatever follows it, a start is there
    assert tree == "(?:al|be)"
    shared = _trie({("u", "s", "e", "d"), ("u", "s", "e", "s"), ("t", r"\s", "x")})
    assert shared == r"(?:t\sx|use(?:d|s))"
    for text, found in [("used", True), ("uses", True), ("t x", True), ("use", False),
                        ("tx", False)]:
        assert bool(re.match(shared, text)) is found
