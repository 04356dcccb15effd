"""Facts about medicines: indications, side effects, warnings, contraindications, routes,
classes, and the screening questions asked before treatment.

A fact is read only where the text states it: a trigger phrase in the sentence, or a list
whose lead-in ("Side effects include:") or section heading says what its items are. Negated
and hedged statements are skipped. Every Finding points at its phrase and its sentence.
"""

from __future__ import annotations

import re

from ..model import BlockKind, Concept, Finding, FindingKind, Span
from ..terminology import Lexicon, tokenize
from . import phrases
from .medications import Found, Mention
from .triggers import BEFORE_TREATMENT, HEDGED, LIST_LEADS, NEGATION, SECTION_KINDS, TRIGGERS
from .units import Unit

CONDITION_KINDS = frozenset({"condition", "finding"})
SCREENING_KINDS = frozenset({"screening", "condition", "finding"})
ROUTE_KINDS = frozenset({"route"})
_CLASS_HEADS = re.compile(
    r"\b(?:antibody|antibodies|inhibitor|inhibitors|blocker|blockers|agent|agents|biologic|"
    r"biologics|modifier|modifiers|analog|analogue|antagonist|agonist|immunosuppressant|"
    r"cytokine|vaccine|steroid|corticosteroid|antibiotic|antiviral|chemotherapy|"
    r"immunotherapy|interferon|anticoagulant|antidepressant|statin|hormone)$",
    re.I,
)
_IS_A = re.compile(
    r"\s*(?:\([^)]{0,60}\)\s*)?(?:,[^,.]{0,60},\s*)?(?:is|are|belongs to)\s+(?:a|an|one of)\s+"
    r"(?:(?:type|kind|class|group) of (?:medicines? |drugs? )?(?:called |known as )?)?"
    r"(?P<cls>[A-Za-z][\w ()-]*?)(?=\s*[.,;:]|\s+(?:that|which|used|given|for|to|made|and|it)\b)"
)
_DRUG_CLASS_KEY = re.compile(r"^\s*(?:drug|medicine|pharmacologic|therapeutic) class\s*:\s*", re.I)


def _finding(
    kind: FindingKind,
    text: str,
    start: int,
    end: int,
    unit: Unit,
    concept: Concept | None,
    subject: str | None,
    group: str | None = None,
) -> Finding:
    return Finding(
        kind=kind,
        text=text[start:end],
        span=Span(section=unit.section, start=start, end=end),
        sentence=unit.span,
        concept=concept,
        subject=subject,
        group=group,
    )


def _objects(
    kind: FindingKind,
    text: str,
    start: int,
    end: int,
    unit: Unit,
    lexicon: Lexicon,
    subject: str | None,
    group: str | None = None,
) -> list[Finding]:
    kinds = SCREENING_KINDS if kind is FindingKind.SCREENING else CONDITION_KINDS
    c_start, c_end = phrases.clause(text, start, end)
    out: list[Finding] = []
    for s, e in phrases.parts(text, c_start, c_end, split_or=True):
        phrase = text[s:e]
        matches = lexicon.scan(tokenize(text, s, e), kinds)
        whole = lexicon.lookup(phrase, kinds)
        if phrases.acceptable(phrase) and (len(phrase.split()) <= 5 or whole or not matches):
            same = {m.concept.id for m in matches}
            concept = whole or (matches[0].concept if len(same) == 1 else None)
            out.append(_finding(_escalate(kind, phrase), text, s, e, unit, concept, subject, group))
        else:
            for m in matches:
                if not phrases._HEDGE.search(text[s : m.start]):
                    out.append(
                        _finding(kind, text, m.start, m.end, unit, m.concept, subject, group)
                    )
    return out


_SERIOUS = re.compile(r"^(?:serious|severe|life-threatening|fatal)\b", re.I)


def _escalate(kind: FindingKind, phrase: str) -> FindingKind:
    """A side effect the text calls serious is a warning."""
    return (
        FindingKind.WARNING if kind is FindingKind.SIDE_EFFECT and _SERIOUS.search(phrase) else kind
    )


def _triggered(unit: Unit, text: str, lexicon: Lexicon, group: str | None) -> list[Finding]:
    out: list[Finding] = []
    hedged = bool(HEDGED.search(unit.text))
    taken: list[tuple[int, int]] = []
    for kind, pattern in TRIGGERS.items():
        for trig in pattern.finditer(text, unit.start, unit.end):
            if any(s <= trig.start() < e for s, e in taken):
                continue
            if NEGATION.search(text, unit.start, trig.start()):
                continue
            if hedged and kind in (FindingKind.SIDE_EFFECT, FindingKind.INDICATION):
                continue
            subject = unit.subject
            if kind is not FindingKind.SCREENING and subject is None:
                continue
            found = _objects(
                kind,
                text,
                trig.end(),
                unit.end,
                unit,
                lexicon,
                subject,
                group if kind is FindingKind.SCREENING else None,
            )
            if found:
                taken.append((trig.start(), max(f.span.end for f in found)))
            out += found
    return out


def _list_kind(unit: Unit) -> FindingKind | None:
    if unit.lead is not None:
        for kind, pattern in LIST_LEADS:
            if pattern.search(unit.lead.text + " "):
                return kind
        return None
    for kind, pattern in SECTION_KINDS:
        if unit.heading and pattern.search(unit.heading):
            return kind
    return None


def facts(
    units: list[Unit], found: Found, text: str, lexicon: Lexicon, main: str | None
) -> list[Finding]:
    out: list[Finding] = []
    context: dict[int, str | None] = {}
    for idx, unit in enumerate(units):
        mentions = found.per_unit.get(idx, [])
        if BEFORE_TREATMENT.search(unit.text) and unit.lead is None:
            context[unit.section] = mentions[0].key if mentions else None
        group = mentions[0].key if mentions else context.get(unit.section, main)
        if unit.kind is BlockKind.ITEM or (unit.kind is BlockKind.ROW and unit.lead is not None):
            kind = _list_kind(unit)
            own = _triggered(unit, text, lexicon, group)
            if own:
                out += own
            elif kind is not None and (unit.subject or kind is FindingKind.SCREENING):
                if unit.lead is not None and BEFORE_TREATMENT.search(unit.lead.text):
                    group = unit.lead.subject or group
                out += _objects(
                    kind,
                    text,
                    unit.start,
                    unit.end,
                    unit,
                    lexicon,
                    unit.subject,
                    group if kind is FindingKind.SCREENING else None,
                )
        else:
            out += _triggered(unit, text, lexicon, group)
        out += _routes(unit, lexicon)
        out += _classes(unit, mentions, text)
    return out


def _routes(unit: Unit, lexicon: Lexicon) -> list[Finding]:
    if unit.subject is None:
        return []
    return [
        Finding(
            kind=FindingKind.ROUTE,
            text=unit.text[m.start - unit.start : m.end - unit.start],
            span=Span(section=unit.section, start=m.start, end=m.end),
            sentence=unit.span,
            concept=m.concept,
            subject=unit.subject,
        )
        for m in lexicon.scan(unit.tokens, ROUTE_KINDS)
        if not NEGATION.search(unit.text[: m.start - unit.start])
    ]


def _classes(unit: Unit, mentions: list[Mention], text: str) -> list[Finding]:
    out = []
    key_value = _DRUG_CLASS_KEY.match(unit.text)
    if key_value and unit.subject:
        start = unit.start + key_value.end()
        end = unit.end - (len(unit.text) - len(unit.text.rstrip(" .")))
        out.append(_finding(FindingKind.DRUG_CLASS, text, start, end, unit, None, unit.subject))
    for mention in mentions:
        if mention.brand:
            continue
        match = _IS_A.match(text, mention.end, unit.end)
        if match and _CLASS_HEADS.search(match.group("cls").strip()):
            cls = match.group("cls").strip()
            start = match.start("cls")
            out.append(
                _finding(
                    FindingKind.DRUG_CLASS, text, start, start + len(cls), unit, None, mention.key
                )
            )
            break
    return out
