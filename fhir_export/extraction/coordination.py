"""Coordinations that share a head stay one fact; bare words are never facts.

"pink, red or brown urine" names one finding (urine of those colours), not "pink" and "red";
"broken bones in the hip, wrist or spine" names one finding, not "wrist" and "spine". The word
classes come from the language's `words` rule pack.
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import phrases, rules

_MODIFIERS = frozenset({"colour", "modifier"})
_LEADING = _MODIFIERS | {"body-part"}  # words that can share the head of the part after them
# "fatal and non-fatal", not "sudden, severe"
_AND_OR = re.compile(r"^\s*,?\s*(?:and|or)\s+$", re.I)
_COMMA = re.compile(r"^\s*,\s*$")
_OTHER = re.compile(r"other\s+", re.I)
_JOIN = re.compile(
    r"^\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+|/\s*)(?:the\s+|your\s+)?$", re.I
)  # "yellowing of the skin or the whites of the eyes"


@lru_cache(maxsize=1 << 16)
def _kind(word: str, language: str) -> str | None:
    """The word class of a word (cached: every part of every list asks, mostly the same)."""
    rule = rules.load("words", language).first(word.strip().lower())
    return rule.kind if rule else None


def bare(phrase: str, language: str = "en") -> bool:
    """A phrase that is only a colour, a body part, a modifier ("slow", left over from "slow
    or irregular heartbeat"), a population or a function word."""
    return _kind(phrase, language) not in (None, "idiom", "state")


def state(phrase: str, language: str = "en") -> bool:
    """'pregnant', 'breastfeeding': what a patient is, asked about, never an effect."""
    return _kind(" ".join(phrase.split()), language) == "state"


def rejoin(
    text: str, spans: list[tuple[int, int]], language: str = "en"
) -> tuple[list[tuple[int, int]], set[tuple[int, int]]]:
    """Merge runs of coordinated parts that share one head; also returns the merged spans
    (each one finding however many words it has). Bare words left over are dropped."""
    out: list[tuple[int, int]] = []
    merged: set[tuple[int, int]] = set()
    i = 0
    while i < len(spans):
        if i + 1 < len(spans) and _joined(text, spans[i], spans[i + 1]):
            pair = text[spans[i][0] : spans[i + 1][1]]
            other = _OTHER.match(pair)  # "or other aches and pains": the idiom is the fact
            if _kind(" ".join(pair[other.end() if other else 0 :].split()), language) == "idiom":
                out.append((spans[i][0] + (other.end() if other else 0), spans[i + 1][1]))
                merged.add(out[-1])
                i += 2
                continue
        j = _run_end(text, spans, i, language)
        if j > i:
            out.append((spans[i][0], spans[j][1]))
            merged.add(out[-1])
        elif out and _more_people(text, out[-1], spans[i], language):
            # "Tourette's Disorder in children and adults": the people it is for, all of them
            out[-1] = (out[-1][0], spans[i][1])
            merged.add(out[-1])
        elif not bare(text[spans[i][0] : spans[i][1]], language):
            out.append(spans[i])
        i = j + 1
    return out, merged


def _more_people(text: str, a: tuple[int, int], b: tuple[int, int], language: str) -> bool:
    """'X in children' and 'adults': one more population after the one a part ends with."""
    return (
        phrases.FOR_PEOPLE.search(text, a[0], a[1]) is not None
        and _kind(text[a[0] : a[1]].split()[-1], language) == "population"
        and _kind(text[b[0] : b[1]], language) == "population"
        and bool(_AND_OR.match(text[a[1] : b[0]]))
    )


def _joined(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    return bool(_JOIN.match(text[a[1] : b[0]]))


def _run_end(text: str, spans: list[tuple[int, int]], i: int, language: str) -> int:
    """The last part of a coordination starting at part i that shares one head, else i."""
    words = [text[s:e] for s, e in spans]
    # "pink, red or brown urine": colours before one head; "head and neck cancer": body
    # parts before one head
    j = i
    # "Serious cardiovascular, cerebrovascular, and vascular events": the run may open with
    # a part that ends in a modifier
    if (
        j + 1 < len(spans)
        and len(words[j].split()) > 1
        and _kind(words[j].split()[-1], language) in _MODIFIERS
        and _kind(words[j + 1], language) in _MODIFIERS
    ):
        j += 1
    while j < len(spans) and _kind(words[j], language) in _LEADING:
        if j > i and not _joined(text, spans[j - 1], spans[j]):
            return i
        j += 1
    if (
        j > i
        and j < len(spans)
        and _joined(text, spans[j - 1], spans[j])
        and len(words[j].split()) > 1
        and _kind(words[j].split()[0], language) in _LEADING
    ):
        return j
    # "reduce the duration and severity of attacks": a measure, then a measure of something
    if (
        i + 1 < len(spans)
        and _kind(words[i].split()[-1], language) == "measure"
        and _kind(words[i + 1].split()[0], language) == "measure"
        and re.match(r"\S+\s+of\s+\S", words[i + 1])
        and bool(_AND_OR.match(text[spans[i][1] : spans[i + 1][0]]))
    ):
        return i + 1
    # "broken bones in the hip, wrist or spine": one head before its places
    if len(words[i].split()) > 1 and _kind(words[i].split()[-1], language) == "body-part":
        j = i
        while (
            j + 1 < len(spans)
            and _kind(words[j + 1], language) == "body-part"
            and _joined(text, spans[j], spans[j + 1])
            and not _opens_own_run(text, spans, words, j + 1, language)
        ):
            j += 1
        return j
    return i


def _opens_own_run(
    text: str, spans: list[tuple[int, int]], words: list[str], k: int, language: str
) -> bool:
    """'upset stomach, muscle and joint pain': the body part at k leads a head of its own
    (the next part opens with a body part before that head), not a place of the part before."""
    return (
        k + 1 < len(spans)
        and _joined(text, spans[k], spans[k + 1])
        and len(words[k + 1].split()) > 1
        and _kind(words[k + 1].split()[0], language) == "body-part"
        and not words[k + 1].split()[1].startswith("(")  # "throat (angioedema)": a place
    )


def shares_modifier(
    text: str, a: tuple[int, int], b: tuple[int, int], language: str = "en"
) -> bool:
    """'involuntary muscle spasms or movements': a lone plural noun after a phrase that opens
    with a modifier takes the modifier too (the caller checks it names nothing on its own)."""
    first, second = text[a[0] : a[1]].split(), text[b[0] : b[1]].split()
    return (
        len(first) >= 2
        and len(second) == 1
        and second[0].isalpha()
        and second[0].endswith("s")
        and _kind(first[0], language) in _MODIFIERS
        and _kind(second[0], language) is None
        and _joined(text, a, b)
    )


def modifier_before_head(
    text: str, a: tuple[int, int], b: tuple[int, int], language: str = "en"
) -> bool:
    """'reduce the risk of fatal and non-fatal stroke': a part that ends in a modifier, then
    one that opens with a modifier before its head, share that head. Joined by a bare comma
    only when the first part cannot end there ('behavior problems in children of combative,
    explosive hyperexcitability': a preposition and a modifier, no head). So do the people a
    form of a disease is of: 'some forms of adult and childhood chronic myelogenous leukemia'."""
    first, second = text[a[0] : a[1]].split(), text[b[0] : b[1]].split()
    gap = text[a[1] : b[0]]
    return (
        len(first) >= 2
        and len(second) >= 2
        and _kind(first[-1], language) in (*_MODIFIERS, "population")
        and _kind(second[0], language) in _MODIFIERS
        and (
            bool(_AND_OR.match(gap))
            or (bool(_COMMA.match(gap)) and _kind(first[-2], language) == "preposition")
        )
    )


def shares_difficulty(
    text: str, a: tuple[int, int], b: tuple[int, int], language: str = "en"
) -> bool:
    """'difficulty swallowing or breathing', 'trouble sleeping or concentrating': a lone verb
    of doing after a difficulty with one takes the difficulty too; never 'breathing' alone."""
    first, second = text[a[0] : a[1]].split(), text[b[0] : b[1]].split()
    return (
        len(first) == 2
        and len(second) == 1
        and _kind(first[0], language) == "difficulty"
        and first[1].lower().endswith("ing")
        and second[0].isalpha()
        and second[0].lower().endswith("ing")
        and bool(_AND_OR.match(text[a[1] : b[0]]))
    )


def slash_alternative(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """'ocular swelling/pressure', 'vitreous traction/detachment': one word after an unspaced
    slash is another wording of the part's head (the caller checks it names nothing alone)."""
    return text[a[1] : b[0]] == "/" and len(text[b[0] : b[1]].split()) == 1


def names_a_vaccine(phrase: str) -> bool:
    """'any other measles, mumps or rubella vaccine': about a vaccine, not its diseases."""
    words = phrase.split()
    return bool(words) and _kind(words[-1].strip(".,;:?!"), "en") == "vaccine-head"


def shares_vaccine(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """'a tetanus, diphtheria and polio vaccination', 'any other measles, mumps or rubella
    vaccine': diseases listed before the vaccine (or vaccination) they share are one vaccine.
    Not 'fever, headache and a sore arm after the vaccine': the last part is a short name."""
    first, second = text[a[0] : a[1]].split(), text[b[0] : b[1]].split()
    return (
        1 <= len(first) <= 2
        and 2 <= len(second) <= 6  # "diphtheria and polio vaccination", joined before
        and _kind(second[-1], "en") == "vaccine-head"
        and not any(_kind(w, "en") in ("vaccine-head", "preposition") for w in first)
        and not any(_kind(w, "en") == "preposition" for w in second)
        and bool(_AND_OR.match(text[a[1] : b[0]]) or _COMMA.match(text[a[1] : b[0]]))
    )


def shares_complement(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """'tics and vocal utterances of Tourette's Disorder': a lone plural noun, 'and' or 'or',
    then a noun with its 'of X' share X (the caller checks the lone word names nothing on its
    own); so do a noun of change and its part ('sudden decrease or loss of hearing'). Not an
    adjective: 'a personal or family history of X' is another coordination."""
    first = text[a[0] : a[1]]
    words = first.split()
    lone = len(words) == 1 and first.isalpha() and first.endswith("s")
    # "sudden decrease or loss of hearing": a noun of change (after a word of its own)
    change = 1 <= len(words) <= 2 and _kind(words[-1], "en") == "change"
    return (
        (lone or change)
        and bool(_AND_OR.match(text[a[1] : b[0]]))
        and bool(phrases.OF_COMPLEMENT.match(text, b[0], b[1]))
    )


def population_only(phrase: str, language: str = "en") -> bool:
    """'hyperactive children': who a use is for, with no condition of theirs named (that
    would follow a preposition: 'HIV infection in children')."""
    words = phrase.lower().split()
    return (
        1 <= len(words) <= 3
        and _kind(words[-1], language) == "population"
        and not any(_kind(w, language) == "preposition" for w in words)
    )
