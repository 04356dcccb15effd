"""Structure first: what each section states, read from its heading, and label/value lines.

A section's kind is the one its markup states (Section.topic, from an SPL LOINC section
code) when it has one; else it comes from the first rule of the language's `sections` pack
that fires on its heading ("Possible side effects" -> side-effect); a heading that says
nothing of its own ("Common", "More information") takes its parent section's kind. A
label/value line ("Brand names  Zentrex", "Trade namesZentrex, Zolva", "How it is given: by
injection") is read with the `labels` pack: its kind and where its value starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..model import Article, FindingKind
from . import rules

# The finding kind that a section's (or a label's) items are, without any trigger phrase.
FINDING_OF = {
    "indication": FindingKind.INDICATION,
    "treatment": FindingKind.INDICATION,
    "side-effect": FindingKind.SIDE_EFFECT,
    "warning": FindingKind.WARNING,
    "contraindication": FindingKind.CONTRAINDICATION,
    "screening": FindingKind.SCREENING,
    "route": FindingKind.ROUTE,
    "class": FindingKind.DRUG_CLASS,
    "brand": FindingKind.BRAND,
}
# Sections whose names are never medicines of the article (excipients, interaction partners
# are at most optional), and sections that state no facts at all.
NO_MEDICINES = frozenset({"ingredients"})
NO_FACTS = frozenset({"ingredients", "storage", "dosage", "interactions"})
SILENT = frozenset({"reporting"})  # no fact of any kind: "To report suspected adverse reactions"
# A label's pharmacology ("12.1 Mechanism of Action", "Pharmacokinetics") says what the
# medicine does in the body, not what happens to a patient: "inhibition of PDE5 causes
# increased levels of cGMP" is no side effect. Its classes and routes stay.
NO_EFFECTS = frozenset({"pharmacology"})
EFFECT_KINDS = frozenset(
    {
        FindingKind.SIDE_EFFECT,
        FindingKind.WARNING,
        FindingKind.CONTRAINDICATION,
        FindingKind.SCREENING,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionType:
    index: int
    kind: str | None  # a sections-pack kind, or None: the heading says nothing
    rule: str | None  # the id of the rule that decided (None: inherited or none)
    condition: tuple[int, int] | None = None  # "treatment": the condition's offsets

    @property
    def finding(self) -> FindingKind | None:
        return FINDING_OF.get(self.kind or "")


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    kind: str
    rule: str
    value_start: int  # offset into the text of the value after the label
    value_end: int


def classify(article: Article) -> tuple[SectionType, ...]:
    pack = rules.load("sections", article.language)
    out: list[SectionType] = []
    stack: list[tuple[int, SectionType]] = []
    numbered: dict[str, SectionType] = {}  # "5" -> the type of "5 WARNINGS AND PRECAUTIONS"
    for section in article.sections:
        own: SectionType | None = None
        if section.topic:  # the markup states it (an SPL LOINC section code): before the heading
            own = SectionType(index=section.index, kind=section.topic, rule=f"code:{section.topic}")
        elif section.heading:
            rule = pack.first(section.heading)
            if rule is not None:
                condition = None
                match = rule.match(section.heading)
                if match is not None and rule.kind == "treatment":
                    group = next((g for g, v in match.groupdict().items() if v), None)
                    if group:
                        s, e = match.span(group)
                        condition = (section.start + s, section.start + e)
                own = SectionType(
                    index=section.index, kind=rule.kind, rule=rule.id, condition=condition
                )
        while stack and stack[-1][0] >= section.level:
            stack.pop()
        number = _NUMBER.match(section.heading or "")
        if own is None and number and "." in number.group(1):
            # "5.1 Hypersensitivity" under "5 WARNINGS AND PRECAUTIONS" when the layout gave
            # both the same level (a PDF): the numbering says whose part it is
            parent_type = numbered.get(number.group(1).rsplit(".", 1)[0])
            if parent_type is not None and parent_type.kind in _NUMBERED_KINDS:
                own = SectionType(
                    index=section.index, kind=parent_type.kind, rule=None,
                    condition=parent_type.condition,
                )
        if own is None:
            parent = stack[-1][1] if stack else None
            own = SectionType(
                index=section.index,
                kind=parent.kind if parent else None,
                rule=None,
                condition=parent.condition if parent else None,
            )
        out.append(own)
        stack.append((section.level, own))
        if number:
            numbered[number.group(1)] = own
    return tuple(out)


# a label's numbered heading: "5 WARNINGS AND PRECAUTIONS", "5.1 Hypersensitivity"
_NUMBER = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(?=[A-Za-z])")
# the kinds whose numbered parts are of the same kind ("2.1 Testing Before Initiating" under
# "2 DOSAGE AND ADMINISTRATION" states no route)
_NUMBERED_KINDS = frozenset({"indication", "side-effect", "warning", "contraindication"})

_EXPLICIT = re.compile(r"[:|\t–—-]|\s{2,}")
_VALUE_TRIM = re.compile(r"^[\s:|\-–—.]+")


@cache
def _any_label(language: str) -> re.Pattern[str] | None:
    """Every rule of the labels pack as one pattern: a line that none of them starts (most
    lines) is told by one match, not one per rule. None when the rules cannot be joined."""
    pack = rules.load("labels", language)
    if not pack.rules or len({r.flags for r in pack.rules}) != 1:
        return None
    try:
        return re.compile("|".join(f"(?:{r.source})" for r in pack.rules), pack.rules[0].flags)
    except re.error:  # pragma: no cover - two rules naming one group
        return None


def label(text: str, start: int, end: int, language: str) -> Label | None:
    """A label/value line: the labels-pack rule that fires at its start, and its value."""
    piece = text[start:end]
    joined = _any_label(language)
    if joined is not None and joined.match(piece) is None:
        return None  # no rule fires (each rule's own match is tried below only if one does)
    pack = rules.load("labels", language)
    for rule in pack.rules:
        match = rule.pattern.match(piece)
        if match is None:
            continue
        value = match.end()
        if piece.isupper() and not _EXPLICIT.search(piece, max(0, value - 3), value + 2):
            continue  # in capitals, "SIDE EFFECTS OF AC" is a heading, not a label
        trim = _VALUE_TRIM.match(piece, value)
        if trim:
            value = trim.end()
        stripped = piece.rstrip(" .;")
        if value >= len(stripped):
            return None  # a label with no value: a heading, not a fact
        return Label(
            kind=rule.kind, rule=rule.id, value_start=start + value, value_end=start + len(stripped)
        )
    return None
