"""Articles cut into units: sentences of paragraphs, list items and table rows.

A list item keeps the sentence that introduced its list ("Side effects include:") and a table
row keeps its header row, so a fact read from a bare item still knows what it is.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..model import Article, Block, BlockKind, Concept, Finding, FindingKind, Span
from ..terminology import Token, tokenize

_SENTENCE_END = re.compile(r"(?<=[.!?;])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])")
_ABBREV = re.compile(
    # titles as written ("Ms. Smith"), not a sentence ending in "MS." or "NO."
    r"\b(?:(?-i:Dr|Mr|Mrs|Ms|No|Fig|Jr|Sr|Prof)|St|vs|e\.g|i\.e|etc|approx|U\.S|inc|Ltd)\.$|"
    r"(?<![\w.])(?-i:[A-Z])\.$",  # an initial: "H. pylori", "E. coli"
    re.I,
)


MAX_SENTENCE_WORDS = 150
_TITLE_WORDS = 8  # a line this long in title case is a caption
_CAPTION = re.compile(  # "Table 1:", in the languages read
    r"\s*(?:Table|Figure|Tabelle|Abbildung|Tabla|Figura|Tableau)\s+\d+[A-Za-z]?\s*[:.]"
)
_CREDIT = re.compile(
    r"\((?:[A-Z][\w.&'’-]*\s+(?:(?:and|of|for|on|the|&)\s+)*){0,8}"
    r"(?:Administration|Institutes?|Foundation|Academy|Association|Society|College|Agency|"
    r"Department|Cent(?:er|re)s?|Organi[sz]ation|Service|Council|Library|Office|Network|"
    r"Alliance|Federation|Board|Coalition|Program(?:me)?)(?:\s+[\w&'’-]+){0,6}\)"
    r"(?:\s+Also in Spanish)?\s*$"
)


@dataclass(slots=True)
class Unit:
    section: int
    start: int
    end: int
    kind: BlockKind
    text: str
    tokens: list[Token]
    heading: str | None
    block: int  # index of the block in its section
    lead: Unit | None = None  # the sentence (or header row) that introduced a list item / row
    cells: tuple[tuple[int, int], ...] = ()
    subject: str | None = field(default=None)  # medication key, set by medications.resolve
    subject_source: str = ""  # how: mention | lead | anaphora | main
    section_kind: str | None = None  # what its section states (sections.classify)
    span: Span = field(init=False, repr=False, compare=False)  # made once: every fact has it
    token_starts: list[int] | None = field(default=None, repr=False, compare=False)  # tokens_in

    def __post_init__(self) -> None:
        self.span = Span(section=self.section, start=self.start, end=self.end)

    @property
    def is_run_on(self) -> bool:
        """Longer than any sentence: text whose sentence ends were lost (columns of a PDF
        read across). Which medicine a phrase in it speaks of cannot be told: no facts."""
        return len(self.tokens) > MAX_SENTENCE_WORDS

    @property
    def is_caption(self) -> bool:
        """A table's or figure's caption ("Table 1: Adverse Reactions Reported by >=2% of
        Patients ..."): it names what the table holds and states no fact itself."""
        if _CAPTION.match(self.text):
            return True
        # "Adverse Reactions Reported by ≥2% of Patients Treated with VIAGRA and More Frequent
        # than Placebo in Flexible-Dose Phase II/III Studies": a title in capitals, no list
        words = self.text.split()
        return (
            len(words) >= _TITLE_WORDS
            and not any(ch in self.text for ch in ",:;.")
            and sum(w[0].isupper() for w in words) * 5 >= len(words) * 3
        )

    @property
    def is_credit_link(self) -> bool:
        """A related-reading line: a title and its publisher in brackets ("Topical Pain
        Relievers May Cause Burns (Food and Drug Administration)"). It states no fact."""
        return bool(_CREDIT.search(self.text))

    @property
    def is_lead_in(self) -> bool:
        """Ends like the start of a list: 'Side effects include:', 'Ask a doctor if you have'.
        Only the last sentence before a list is ever taken as its lead."""
        return self.kind is not BlockKind.ITEM and not self.text.rstrip().endswith(
            (".", "!", "?", ")", '"', "”", ";")  # "Nervous system: nightmare;" ends a line
        )


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if _ABBREV.search(text, pos, match.start()):
            continue
        out.append((pos, match.start()))
        pos = match.end()
    out.append((pos, end))
    return [(s, e) for s, e in out if text[s:e].strip()]


@dataclass(slots=True)
class _Parent:
    level: int
    unit: Unit


def _opens_list(text: str) -> bool:
    return text.rstrip(" *_").endswith(":")


def cut(article: Article, kinds: Sequence[str | None] = ()) -> list[Unit]:
    """The units of an article; `kinds[i]` is what section i states (sections.classify)."""
    text = article.text
    units: list[Unit] = []
    for section in article.sections:
        first = len(units)
        lead: Unit | None = None
        header: Unit | None = None
        parents: list[_Parent] = []
        prev: Block | None = None
        if section.heading:
            # headings name medicines and pair brands ("Losartan (Cozaar)"); no facts are read
            # from them
            end = section.start + len(section.heading)
            units.append(
                _unit(
                    article,
                    section.index,
                    section.heading,
                    -1,
                    section.start,
                    end,
                    BlockKind.HEADING,
                    None,
                )
            )
        for i, block in enumerate(section.blocks):
            if block.kind is BlockKind.ITEM:
                if (
                    prev is not None
                    and prev.kind is not BlockKind.ITEM
                    and (lead is None or lead.end != prev.end)
                ):
                    lead = None
                # a nested item belongs to the item above it that reads as a lead-in
                # ("- Used for:" / "  - high blood pressure")
                while parents and parents[-1].level >= block.level:
                    parents.pop()
                parent = parents[-1].unit if parents else None
                own_lead = parent if parent is not None and _opens_list(parent.text) else lead
                unit = _unit(
                    article,
                    section.index,
                    section.heading,
                    i,
                    block.start,
                    block.end,
                    block.kind,
                    own_lead,
                )
                units.append(unit)
                parents.append(_Parent(block.level, unit))
            elif block.kind is BlockKind.ROW:
                unit = _unit(
                    article,
                    section.index,
                    section.heading,
                    i,
                    block.start,
                    block.end,
                    block.kind,
                    header,
                )
                unit.cells = block.cells
                if block.header or header is None:
                    header = unit
                    unit.lead = None
                units.append(unit)
            else:
                header = None
                lead = None
                parents.clear()
                for s, e in _sentences(text, block.start, block.end):
                    unit = _unit(article, section.index, section.heading, i, s, e, block.kind, None)
                    units.append(unit)
                    lead = unit if unit.is_lead_in else None
            prev = block
        kind = kinds[section.index] if section.index < len(kinds) else None
        for unit in units[first:]:
            unit.section_kind = kind
    return units


def _unit(
    article: Article,
    section: int,
    heading: str | None,
    block: int,
    start: int,
    end: int,
    kind: BlockKind,
    lead: Unit | None,
) -> Unit:
    return Unit(
        section=section,
        start=start,
        end=end,
        kind=kind,
        text=article.text[start:end],
        tokens=tokenize(article.text, start, end),
        heading=heading,
        block=block,
        lead=lead,
    )


def tokens_in(unit: Unit, text: str, start: int, end: int) -> list[Token]:
    """tokenize(text, start, end) for a part of the unit's text: its own tokens from start to
    end when neither cuts a word (tokenize finds exactly those then), else tokenized."""
    tokens = unit.tokens
    if unit.start <= start <= end <= unit.end:
        starts = unit.token_starts
        if starts is None:
            starts = unit.token_starts = [token.start for token in tokens]
        i = bisect_left(starts, start)
        j = bisect_left(starts, end, lo=i)
        if (i == 0 or tokens[i - 1].end <= start) and (j == 0 or tokens[j - 1].end <= end):
            return tokens[i:j]
    return tokenize(text, start, end)


def finding(
    kind: FindingKind,
    text: str,
    start: int,
    end: int,
    unit: Unit,
    concept: Concept | None,
    subject: str | None,
    group: str | None = None,
    *,
    whole: bool = False,
) -> Finding:
    """The fact text[start:end], read from `unit`'s sentence."""
    return Finding(
        kind=kind,
        text=text[start:end],
        span=Span(section=unit.section, start=start, end=end),
        sentence=unit.span,
        concept=concept,
        subject=subject,
        group=group,
        whole=whole,
    )


# "Moro PL, Perez-Vilar S, Lewis P, ...": a reference list's authors, surname and initials
_AUTHORS = re.compile(r"^(?:[A-Z][\w'’]+(?:-[A-Z][\w'’]+)? [A-Z]{1,3}[,.]\s*){2,}")


def citation_units(units: list[Unit]) -> frozenset[int]:
    """The units of a block that opens with a list of authors: a citation names the medicines
    of the study it cites ("... Pertussis (DTaP) Vaccines. Pediatrics. 2018"), not the
    article's."""
    cited: set[tuple[int, int]] = set()
    out: set[int] = set()
    for idx, unit in enumerate(units):
        where = (unit.section, unit.block)
        if where not in cited and unit.block >= 0 and _AUTHORS.match(unit.text):
            if idx == 0 or (units[idx - 1].section, units[idx - 1].block) != where:
                cited.add(where)
        if where in cited:
            out.add(idx)
    return frozenset(out)
