"""Plain, release-neutral data passed between stages.

Everything before mapping/ is made of these frozen dataclasses; fhir.resources appears only at
the FHIR boundary (mapping/, bundling, serialization/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    ITEM = "item"  # a list item
    ROW = "row"  # a table row, cells joined by " | "
    LINE = "line"  # plain text: a line whose role segmentation decides


@dataclass(frozen=True, slots=True, kw_only=True)
class RawBlock:
    """A block as a reader found it, before segmentation decides what it is."""

    kind: BlockKind
    text: str
    level: int = 0  # heading level (1-6) or list nesting depth (1-based)
    cells: tuple[str, ...] = ()  # for ROW
    header: bool = False  # for ROW: a header row (th cells)
    topic: str | None = None  # HEADING: the section kind the markup states (an SPL LOINC code)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceHints:
    """Metadata a reader could take from the markup itself (HTML <title>, lang, meta)."""

    title: str | None = None
    language: str | None = None
    publisher: str | None = None
    author: str | None = None
    date: str | None = None  # ISO date from machine-readable markup (<time datetime>, meta)
    url: str | None = None  # its canonical URL (link rel=canonical, og:url, front matter)


class ProductField(StrEnum):
    """The labels of the rows a reader writes for structured product data (`label | value`):
    mapping finds each value's offsets in the text by them."""

    NAME = "Proprietary name"
    GENERIC = "Non-proprietary name"
    FORM = "Dosage form"
    ROUTE = "Route of administration"
    NDC = "NDC product code"
    ACTIVE = "Active ingredient"
    SUBSTANCE = "Indexed substance"


@dataclass(frozen=True, slots=True, kw_only=True)
class Ingredient:
    """An ingredient of a labelled product, as the label's structured data gives it."""

    name: str
    unii: str | None  # FDA Unique Ingredient Identifier
    active: bool
    role: str = ""  # SPL classCode: ACTIB, ACTIM, ACTIR (active), IACT (inactive)
    # (value, unit) per (value, unit): "10 mg" per "1"
    strength: tuple[tuple[str, str], tuple[str, str]] | None = None

    @property
    def strength_text(self) -> str:
        """As the reader writes it: "10 mg", "5 mg in 1 mL" (empty: no strength)."""
        if self.strength is None:
            return ""
        (value, unit), (per, per_unit) = self.strength
        amount = f"{value} {unit}" if unit != "1" else value
        return amount if (per, per_unit) == ("1", "1") else f"{amount} in {per} {per_unit}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Product:
    """A product of a structured label (SPL): names, codes and ingredients from its data
    elements. Each value a fact uses is also written in the text, in the row `label | value`."""

    name: str | None  # proprietary name
    generic: str | None  # non-proprietary name
    form: Coding | None  # dosage form (NCI Thesaurus)
    routes: tuple[Coding, ...] = ()  # routes of administration (NCI Thesaurus)
    ndc: tuple[str, ...] = ()  # NDC product codes
    ingredients: tuple[Ingredient, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentIdentity:
    """A versioned document's identity (SPL: set id across versions, version number)."""

    set_id: str
    version: str | None = None
    document_id: str | None = None
    type: Coding | None = None  # the document type (SPL: a LOINC document code)


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleIdentifier:
    """What an article is across runs and renames (see identity.py): its canonical URL, a
    versioned document's set id, else its path below the input root. `system` and `value` are
    a FHIR Identifier's; `key` is what every resource id of the article derives from."""

    system: str
    value: str
    key: str
    url: str | None = None  # where the article lives (its canonical URL), when known


@dataclass(frozen=True, slots=True, kw_only=True)
class RawDocument:
    """What a reader returns: the original bytes, how they were decoded, and the blocks."""

    path: str
    name: str  # stable article key: the file name
    media_type: str  # text/plain, text/html, text/markdown
    charset: str
    raw: bytes
    blocks: tuple[RawBlock, ...]
    hints: SourceHints = field(default_factory=SourceHints)
    products: tuple[Product, ...] = ()  # structured product data (SPL)
    identity: DocumentIdentity | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Span:
    """Where a fact was read: character offsets into Article.text."""

    section: int  # index into Article.sections
    start: int
    end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Block:
    kind: BlockKind
    start: int  # offsets into Article.text
    end: int
    level: int = 0
    list_id: int = -1  # ITEM blocks of one list share an id
    cells: tuple[tuple[int, int], ...] = ()  # ROW: offsets of each cell
    header: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    index: int
    heading: str | None
    level: int
    start: int
    end: int
    blocks: tuple[Block, ...]
    topic: str | None = None  # the kind the markup states for it (SPL LOINC code), if any


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    path: str
    name: str
    media_type: str
    charset: str
    raw: bytes
    text: str  # the normalized plain text every Span points into
    title: str
    publisher: str | None
    reviewer: str | None
    date_updated: str | None  # ISO 8601 date
    date_reviewed: str | None
    language: str  # BCP-47
    sections: tuple[Section, ...]
    products: tuple[Product, ...] = ()  # structured product data (SPL)
    identity: DocumentIdentity | None = None
    url: str | None = None  # the canonical URL its metadata states
    identifier: ArticleIdentifier | None = None  # set by the pipeline (identity.identify)

    def span_text(self, span: Span) -> str:
        return self.text[span.start : span.end]

    @property
    def date(self) -> str | None:
        return self.date_updated or self.date_reviewed


class FindingKind(StrEnum):
    MEDICATION = "medication"
    BRAND = "brand"
    DRUG_CLASS = "drug-class"
    INDICATION = "indication"
    SIDE_EFFECT = "side-effect"
    WARNING = "warning"
    CONTRAINDICATION = "contraindication"
    ROUTE = "route"
    SCREENING = "screening"
    MONITORING = "monitoring"  # tests the text says are done during treatment


@dataclass(frozen=True, slots=True, kw_only=True)
class Coding:
    system: str
    code: str
    display: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Concept:
    """A lexicon concept: the stable id and the confirmed codings to emit."""

    id: str
    kind: str  # drug | drug-class | condition | finding | route | screening
    preferred: str
    codings: tuple[Coding, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    kind: FindingKind
    text: str  # the article's own wording
    span: Span  # the phrase itself
    sentence: Span  # the sentence it was read from
    concept: Concept | None = None  # None = text-only CodeableConcept
    subject: str | None = None  # key of the Medication this fact is about
    group: str | None = None  # SCREENING: the therapy the text groups it under
    whole: bool = False  # the sentence itself is the fact (a warning in its own words)
    # INDICATION: the lead a list of uses shares ("lower the risk for" before "heart attack,
    # stroke and chest pain"); the text is then the lead's words and the span's
    lead: Span | None = None
    # SCREENING: the form's own question it was read from ("Does your child have a bleeding
    # disorder?"), when it opens with its verb (extraction/questions.py)
    question: Span | None = None

    @property
    def own(self) -> str:
        """The span's own words, without the lead it shares."""
        return self.text[self.lead.end - self.lead.start + 1 :] if self.lead else self.text


@dataclass(frozen=True, slots=True, kw_only=True)
class Medication:
    """A medicine or medicine class the article names, with everything said about it."""

    key: str  # lexicon id, else normalized name
    name: Finding  # first mention
    other_names: tuple[Finding, ...] = ()  # other wordings the article uses ("aminopyridine")
    concept: Concept | None
    brands: tuple[Finding, ...] = ()
    classes: tuple[Finding, ...] = ()
    indications: tuple[Finding, ...] = ()
    side_effects: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()
    contraindications: tuple[Finding, ...] = ()
    routes: tuple[Finding, ...] = ()
    monitoring: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionYield:
    """What one section of the article gave: its kind (as extraction typed it) and its facts."""

    index: int  # into Article.sections
    heading: str | None
    kind: str | None  # e.g. side-effects, warnings; None = not a typed section
    facts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Extraction:
    """Everything extraction found in one article."""

    medications: tuple[Medication, ...]
    screening: tuple[Finding, ...]
    unmapped: tuple[Finding, ...]  # findings without a lexicon code
    sections: tuple[SectionYield, ...] = ()  # per section, when extraction types sections
