"""The wording that introduces each kind of fact, and the wording that cancels it."""

from __future__ import annotations

import re

from ..model import FindingKind
from . import rules
from .starts import Gated

# The patterns are the rules of rules/<lang>/triggers.toml and modifiers.toml (English today),
# each kind's rules joined in file order: compiled once, at import.
TRIGGER_KINDS = (  # the order in which a sentence's triggers are read: a later kind's trigger
    # inside the object of an earlier one is skipped (facts._triggered)
    FindingKind.INDICATION,
    FindingKind.SIDE_EFFECT,
    FindingKind.WARNING,
    FindingKind.CONTRAINDICATION,
    FindingKind.SCREENING,
)


def compile_triggers(pack: rules.Pack) -> dict[str, re.Pattern[str]]:
    """Every kind of the triggers pack as the one pattern the engine applies. With re.M a label
    rule's ^ starts any line ("Uses: ..."); the kinds with anchor = "start" are only ever
    matched at the start of a sentence (HAPPENS.match), where re.M changes nothing."""
    return {kind: pack.combined(kind, re.I | re.M) for kind in pack.kinds()}


def compile_modifiers(pack: rules.Pack) -> dict[str, re.Pattern[str]]:
    """Every kind of the modifiers pack as its cues with their scope (rules.scope_source)."""
    return {kind: pack.scoped(kind, re.I) for kind in pack.kinds()}


_TRIGGERS = compile_triggers(rules.load("triggers"))
_MODIFIERS = compile_modifiers(rules.load("modifiers"))

TRIGGERS: dict[FindingKind, re.Pattern[str]] = {kind: _TRIGGERS[kind] for kind in TRIGGER_KINDS}
# the same, each tried only where one of its rules can start (starts.py): what facts.py reads
GATED: dict[FindingKind, Gated] = {kind: Gated(p) for kind, p in TRIGGERS.items()}
# "regular blood tests to check your liver": the whole phrase is the monitoring fact.
MONITORING = _TRIGGERS["monitoring"]
# Wording just before a trigger that turns it around; searched for in the text before it.
NEGATION = _MODIFIERS["negation"]
HEDGED = _MODIFIERS["hedged"]
# the same, tried only where one of their rules can start (starts.py): what facts.py reads
GATED_NEGATION = Gated(NEGATION)
GATED_HEDGED = Gated(HEDGED)
GATED_MONITORING = Gated(MONITORING)

# Lead-ins and headings that say what a list is, when the list items carry no trigger.
LIST_LEADS: tuple[tuple[FindingKind, re.Pattern[str]], ...] = (
    (FindingKind.WARNING, TRIGGERS[FindingKind.WARNING]),
    (FindingKind.CONTRAINDICATION, TRIGGERS[FindingKind.CONTRAINDICATION]),
    (FindingKind.SCREENING, TRIGGERS[FindingKind.SCREENING]),
    (FindingKind.SIDE_EFFECT, TRIGGERS[FindingKind.SIDE_EFFECT]),
    (FindingKind.INDICATION, TRIGGERS[FindingKind.INDICATION]),
)
SECTION_KINDS: tuple[tuple[FindingKind, re.Pattern[str]], ...] = (
    (
        FindingKind.WARNING,
        re.compile(
            r"\bserious (?:side effects|risks)|\bwarnings?\b|"
            r"\bimportant safety|\bwhen to (?:call|get)|"
            r"\bget (?:medical|emergency) help",
            re.I,
        ),
    ),
    (FindingKind.SIDE_EFFECT, re.compile(r"\bside[- ]effects?\b|\badverse\b", re.I)),
    (FindingKind.INDICATION, re.compile(r"\bused for\b|\buses\b|\bindications?\b", re.I)),
    (
        FindingKind.SCREENING,
        re.compile(
            r"\bbefore (?:you|taking|starting|using|receiving|"
            r"treatment)\b",
            re.I,
        ),
    ),
)
# "Serious infections, including tuberculosis, can happen." The fact comes before the verb.
HAPPENS = _TRIGGERS["happens"]
# "For HER2-positive breast cancer, trastuzumab is added": the condition comes first.
FOR_CONDITION = _TRIGGERS["for-condition"]
# "X can cause serious conditions. These include A, B and C."
CONTINUATION = _TRIGGERS["continuation"]
BEFORE_TREATMENT = _TRIGGERS["before-treatment"]
GATED_BEFORE_TREATMENT = Gated(BEFORE_TREATMENT)
