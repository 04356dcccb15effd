"""Facts from tables with a header row: generic | brand | route | use columns."""

from __future__ import annotations

import re

from ..model import Finding, FindingKind, Span
from ..terminology import Lexicon, tokenize
from . import phrases, rules
from .medications import Found
from .units import Unit, finding


def compile_columns(pack: rules.Pack) -> tuple[tuple[FindingKind, re.Pattern[str]], ...]:
    """The rules of the columns pack in file order: the first that fires on a header wins."""
    return tuple((FindingKind(r.kind), re.compile(r.source, re.I)) for r in pack)


_COLUMNS = compile_columns(rules.load("columns"))
_KINDS = {
    FindingKind.ROUTE: frozenset({"route"}),
    FindingKind.INDICATION: frozenset({"condition", "finding"}),
    FindingKind.SIDE_EFFECT: frozenset({"condition", "finding"}),
}


# a row of an adverse reactions table that counts reactions or explains a column
_NO_EFFECT = re.compile(r"\b(?:reactions?|events?|effects?|grades?)\b|=", re.I)


def table_facts(units: list[Unit], found: Found, text: str, lexicon: Lexicon) -> list[Finding]:
    out: list[Finding] = []
    for idx, unit in enumerate(units):
        header = unit.lead
        if header is None or not unit.cells or not header.cells:
            continue
        kinds = []
        for s, e in header.cells:
            label = text[s:e]
            kinds.append(next((k for k, p in _COLUMNS if p.search(label)), None))
        subject = unit.subject
        if subject is None:
            continue
        for (s, e), kind in zip(unit.cells, kinds, strict=False):
            if kind is None or kind is FindingKind.BRAND:
                continue  # brands are paired by medications.find via the row's mentions
            for ps, pe in phrases.parts(text, s, e, split_or=True):
                matches = lexicon.scan(tokenize(text, ps, pe), _KINDS[kind])
                if kind is FindingKind.ROUTE:
                    out += [
                        Finding(
                            kind=kind,
                            text=text[m.start : m.end],
                            span=Span(section=unit.section, start=m.start, end=m.end),
                            sentence=unit.span,
                            concept=m.concept,
                            subject=subject,
                        )
                        for m in matches
                    ]
                elif kind is FindingKind.SIDE_EFFECT and _NO_EFFECT.search(text, ps, pe):
                    continue  # "Serious adverse reactions", "Grades ≥3", "SOC=Standard of care"
                elif phrases.acceptable(text[ps:pe]):
                    concept = lexicon.lookup(text[ps:pe], _KINDS[kind]) or (
                        matches[0].concept if len(matches) == 1 else None
                    )
                    out.append(finding(kind, text, ps, pe, unit, concept, subject))
        del idx
    return out
