"""Bounds on what one article can yield, so its output stays proportional to a real article.

A real patient leaflet or label names at most a few dozen medicines and a few hundred facts
(the largest of ../shared/realworld: 34 medicines, 125 facts, 45 screening questions); a file
of 100,000 short lines, each a fact, once gave 100,004 resources, 4.4 GB of memory and four
minutes. Past these caps the first items in the article's order are kept and the rest are
dropped with a note ("kept the first 5,000 facts of 100,000"), reported on the article's own
line and in the --report JSON; what is kept is exactly what the same article cut short gives.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .model import Extraction, Finding, Medication
from .report import FACT_KINDS

MAX_MEDICINES = 500
MAX_FACTS = 5_000  # brands, classes, indications, side effects, warnings, ... of all medicines
MAX_SCREENING = 500  # screening questions (the items of the article's Questionnaire)


def _note(kept: int, total: int, what: str) -> str:
    return f"kept the first {kept:,} {what} of {total:,} (the limit per article)"


def cap(extraction: Extraction) -> tuple[Extraction, tuple[str, ...]]:
    """The extraction within the caps, and one note per cap it hit (none: unchanged)."""
    notes: list[str] = []
    medications = extraction.medications
    if len(medications) > MAX_MEDICINES:
        notes.append(_note(MAX_MEDICINES, len(medications), "medicines"))
        medications = medications[:MAX_MEDICINES]
    facts = [
        (finding.span.section, finding.span.start, number, finding)
        for number, medication in enumerate(medications)
        for name in FACT_KINDS
        for finding in getattr(medication, name)
    ]
    if len(facts) > MAX_FACTS:
        notes.append(_note(MAX_FACTS, len(facts), "facts"))
        kept = {id(f[3]) for f in sorted(facts, key=lambda f: f[:3])[:MAX_FACTS]}
        medications = tuple(_keep(m, kept) for m in medications)
    screening = extraction.screening
    if len(screening) > MAX_SCREENING:
        notes.append(_note(MAX_SCREENING, len(screening), "screening questions"))
        screening = screening[:MAX_SCREENING]
    if not notes:
        return extraction, ()
    present = set(screening) | {f for m in medications for f in _findings(m)}
    unmapped = tuple(f for f in extraction.unmapped if f in present)
    capped = replace(
        extraction, medications=medications, screening=screening, unmapped=unmapped
    )
    return capped, tuple(notes)


def _keep(medication: Medication, kept: set[int]) -> Medication:
    changes: dict[str, Any] = {
        name: tuple(f for f in getattr(medication, name) if id(f) in kept) for name in FACT_KINDS
    }
    return replace(medication, **changes)


def _findings(medication: Medication) -> list[Finding]:
    found = [medication.name, *medication.other_names]
    for name in FACT_KINDS:
        found += getattr(medication, name)
    return found
