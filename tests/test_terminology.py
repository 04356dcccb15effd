"""The shipped lexicon: every emitted code well-formed and confirmed; the matcher exact."""

from __future__ import annotations

import re
import warnings
from collections import defaultdict

import pytest

from fhir_export.terminology import default_lexicon, tokenize
from fhir_export.terminology.lookup import EMITTED, _shipped

with warnings.catch_warnings():  # the package uses a deprecated importlib.resources call
    warnings.simplefilter("ignore", DeprecationWarning)
    import simple_icd_10_cm as icd

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
UNII = "http://fdasis.nlm.nih.gov"

_D = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
      [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
      [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
      [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
      [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
_P = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
      [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
      [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
      [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]


def verhoeff_ok(number: str) -> bool:
    check = 0
    for i, digit in enumerate(reversed(number)):
        check = _D[check][_P[i % 8][int(digit)]]
    return check == 0


def emitted_codings() -> list[tuple[str, dict[str, str]]]:
    return [(e["id"], c) for e in _shipped() for c in e.get("codings", ())
            if c.get("verified") in EMITTED]


CODINGS = emitted_codings()


@pytest.mark.parametrize(("entry", "coding"), CODINGS,
                         ids=[f"{e}-{c['code']}" for e, c in CODINGS])
def test_emitted_code_is_well_formed(entry: str, coding: dict[str, str]) -> None:
    system, code = coding["system"], coding["code"]
    assert coding.get("source"), "every emitted code says where it was confirmed"
    if system == ICD10CM:
        assert icd.is_valid_item(code), code
        assert icd.get_description(code) == coding["display"]
    elif system == SNOMED:
        assert re.fullmatch(r"\d{6,18}", code) and verhoeff_ok(code), code
    elif system == RXNORM:
        assert re.fullmatch(r"\d{1,8}", code), code
    elif system == ATC:
        assert re.fullmatch(r"[A-Z](\d\d([A-Z]([A-Z](\d\d)?)?)?)?", code), code
    elif system == UNII:
        assert re.fullmatch(r"[A-Z0-9]{10}", code), code
    else:
        pytest.fail(f"unexpected code system {system}")


def test_unconfirmed_codes_never_reach_output() -> None:
    lexicon = default_lexicon()
    aldesleukin = lexicon.concepts["aldesleukin"]
    assert RXNORM not in {c.system for c in aldesleukin.codings}  # RxCUI unconfirmed (U)
    etanercept = lexicon.concepts["etanercept"]
    assert "214555" not in {c.code for c in etanercept.codings}  # graded P


def test_no_term_names_two_concepts() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for entry in _shipped():
        terms = [entry["preferred"], *entry.get("synonyms", ()),
                 *[b["name"] for b in entry.get("brands", ())]]
        for term in terms:
            owners[" ".join(t.norm for t in tokenize(term))].add(entry["id"])
    clashes = {t: ids for t, ids in owners.items() if len(ids) > 1}
    assert clashes == {}


def test_ids_are_unique_and_sorted_per_file() -> None:
    ids = [e["id"] for e in _shipped()]
    assert len(ids) == len(set(ids))


def _scan(text: str) -> list[tuple[str, str]]:
    lexicon = default_lexicon()
    return [(text[m.start:m.end], m.concept.id) for m in lexicon.scan(tokenize(text))]


def test_longest_match_case_plural_marks_possessive() -> None:
    assert _scan("HUMIRA® and Interferons for non-Hodgkin's lymphoma") == [
        ("HUMIRA", "adalimumab"), ("Interferons", "interferons"),
        ("non-Hodgkin's lymphoma", "nhl")]
    assert _scan("interferon alfa-2b") == [("interferon alfa-2b", "interferon-alfa-2b")]


def test_acronyms_match_only_in_capitals() -> None:
    assert _scan("TB and CLL") == [("TB", "tuberculosis"), ("CLL", "cll")]
    assert _scan("a tb or cll") == []


def test_never_fuzzy() -> None:
    assert _scan("rituximabb ritux rituxann") == []


def test_ambiguous_tier_names_match_only_when_asked() -> None:
    lexicon = default_lexicon()
    tokens = tokenize("Take potassium chloride with food; K-Tab is a brand.")
    plain = [m.concept.id for m in lexicon.scan(tokens, frozenset({"drug"}))]
    assert plain == ["potassium-chloride"]  # the brand only
    asked = lexicon.scan(tokens, frozenset({"drug"}), ambiguous=True)
    assert [(m.concept.id, m.ambiguous) for m in asked] == [
        ("potassium-chloride", True), ("potassium-chloride", False)]
    assert lexicon.tier("potassium-chloride") == "ambiguous"
    assert lexicon.tier("metformin") == "medicine"


def test_a_kept_scan_answers_as_a_fresh_one() -> None:
    """scan() keeps its answer per wording of a short phrase: the same wording at another
    place gives the matches at that place, another case or kind or tier its own answer, and
    a lexicon that never saw the phrase answers the same."""
    from fhir_export.terminology.lookup import Lexicon, _shipped

    kept, fresh = default_lexicon(), Lexicon(_shipped())
    drug, condition = frozenset({"drug"}), frozenset({"condition"})
    text = "TB or tb. Take potassium chloride for TB. take Potassium Chloride for tb"
    phrases = [(0, 9), (10, 40), (41, len(text)), (0, len(text))]
    for _ in range(2):  # the second round is answered from what the first kept
        for start, end in phrases:
            tokens = tokenize(text, start, end)
            for kinds in (None, drug, condition):
                for ambiguous in (False, True):
                    got = kept.scan(tokens, kinds, ambiguous=ambiguous)
                    assert got == fresh._scan_uncached(tokens, kinds, ambiguous)
    assert [(text[m.start:m.end], m.concept.id) for m in kept.scan(tokenize(text, 0, 9))] == [
        ("TB", "tuberculosis")]


def test_huge_words_are_not_kept() -> None:
    """What tokenize() and scan() keep per wording is bounded in size, not only in number: a
    run of huge words (a fuzzed input) is read, and then forgotten."""
    from fhir_export.terminology import lookup

    lexicon = default_lexicon()
    word = "x" * 5000
    tokens = tokenize(f"{word} aspirin {word}y")
    before = len(lexicon._scanned)
    assert [m.concept.id for m in lexicon.scan(tokens)] == ["aspirin"]
    assert len(lexicon._scanned) == before
    assert word not in lookup._NORMS and f"{word}y" not in lookup._NORMS
    assert "aspirin" in lookup._NORMS  # an ordinary word is kept


def test_a_french_elided_article_is_a_word_of_its_own() -> None:
    text = "L'amoxicilline et d’ibuprofène, qu'il prend"
    assert [t.surface for t in tokenize(text)] == [
        "L'", "amoxicilline", "et", "d’", "ibuprofène", "qu'", "il", "prend",
    ]
    # inside an English word the apostrophe stays: only a word's first letter is elided
    text = "Crohn's, don't, aujourd'hui, O'Brien, l'1"
    assert [t.surface for t in tokenize(text)] == [
        "Crohn's", "don't", "aujourd'hui", "O'Brien", "l'1",
    ]
    text = "Ne prenez jamais d'amoxicilline ni l’ibuprofene."
    found = default_lexicon().scan(tokenize(text), None)
    assert [(m.concept.id, text[m.start : m.end]) for m in found] == [
        ("amoxicillin", "amoxicilline"), ("ibuprofen", "ibuprofene"),
    ]


def test_a_name_with_accents_the_lexicon_has_without_them() -> None:
    """DrugBank spells ibuprofen in French 'ibuprofene': 'ibuprofène' in a text is it. Only
    where no term starts with the word as written, and never a brand."""
    lexicon = default_lexicon()
    found = lexicon.scan(tokenize("L'ibuprofène et la métformine"), None)
    assert [m.concept.id for m in found] == ["ibuprofen", "metformin"]
    assert lexicon.scan(tokenize("la fièvre"), None) == []
