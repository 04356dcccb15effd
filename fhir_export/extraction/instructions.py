"""Warnings in their own words: in a section typed as warnings, a list item or a short sentence
that is an instruction ("avoid alcoholic drinks", "Keep out of reach of children") or says what
may happen ("you may get drowsy") is one warning, whole. The wordings are rules/<lang>/
instructions.toml; a Drug Facts item holding two of them ("you may get drowsy • avoid alcoholic
drinks") gives two.
"""

from __future__ import annotations

import re
from functools import cache

from ..model import BlockKind, Finding, FindingKind
from . import rules
from .units import Unit, finding

_PIECES = re.compile(r"[^•●▪.!?;]+(?:[.!?]|$)?")  # sentences and inline-bulleted parts
_MAX_WORDS = 20  # a longer sentence is prose the triggers read


# a sentence that only leads into what follows: "Do not use if you have", "Stop use and ask a
# doctor if", "Ask a doctor before use if you are taking"
_UNFINISHED = re.compile(r"(?::|\b(?:if|if you(?: have| are)?(?: taking)?|use|have))\s*$", re.I)


@cache
def _pattern(language: str, item: bool) -> re.Pattern[str] | None:
    pack = rules.load("instructions", language)
    source = "|".join(s for s in (pack.joined("instruction"), item and pack.joined("item")) if s)
    return re.compile(rf"\s*(?:{source})", re.I) if source else None


def instructions(unit: Unit, text: str, subject: str, language: str) -> list[Finding]:
    pattern = _pattern(language.split("-")[0].lower(), unit.kind is BlockKind.ITEM)
    if pattern is None:
        return []  # a lead-in's own words are told apart by how they end (_UNFINISHED)
    out: list[Finding] = []
    for piece in _PIECES.finditer(text, unit.start, unit.end):
        start, end = piece.start(), piece.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and (text[end - 1].isspace() or text[end - 1] in ".!?;"):
            end -= 1
        words = text[start:end].split()
        if len(words) < 2 or len(words) > _MAX_WORDS or not pattern.match(text, start, end):
            continue
        if _UNFINISHED.search(text, start, piece.end()):
            continue
        out.append(finding(FindingKind.WARNING, text, start, end, unit, None, subject, whole=True))
    return out


@cache
def _none(language: str) -> re.Pattern[str] | None:
    source = rules.load("instructions", language).joined("none")
    return re.compile(rf"\s*(?:{source})", re.I) if source else None


def states_nothing(unit: Unit, text: str, language: str) -> bool:
    """A list item that sends the reader elsewhere or gives a dose: no fact of its section."""
    pattern = _none(language.split("-")[0].lower())
    return bool(pattern and pattern.match(text, unit.start, unit.end))
