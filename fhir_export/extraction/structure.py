"""Facts read from structure rather than from trigger phrases.

- A label/value line ("Brand names  Zentrex", "How it is given: intravenous infusion",
  "Side effects that need medical attention: fast heartbeat; rash") states facts of its
  label's kind about the medicine the line speaks of.
- In a typed section ("Possible side effects", "What is it used for?") a list item, a run of
  short phrases split by semicolons or commas, or a line that is one short noun phrase is a
  fact of the section's kind. A prose sentence without a trigger states nothing here.
- A "treatments for <condition>" section: each medicine the section recommends treats the
  condition its heading names.
- A contraindication ("Do not take if you have ...") is also asked before treatment.

This runs after the trigger phrases (facts.py) and only reads units they left without a fact,
so the two never read one sentence twice. Works for every language with rule packs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..model import BlockKind, Finding, FindingKind, Span
from ..terminology import Lexicon, tokenize
from . import medications, phrases, rules, units
from .facts import CONDITION_KINDS, FRAMED_ITEM, ROUTE_KINDS, escalate, objects, route_end
from .medications import Mention
from .sections import FINDING_OF, NO_MEDICINES, Label, SectionType, label
from .starts import Index
from .triggers import GATED
from .units import Unit, finding

_READ = frozenset(
    {
        FindingKind.INDICATION,
        FindingKind.SIDE_EFFECT,
        FindingKind.WARNING,
        FindingKind.CONTRAINDICATION,
        FindingKind.SCREENING,
    }
)
_INFOBOX = frozenset({"brand", "route", "class"})  # labels read even from a heading-like line
_MAX_RUN_WORDS = 12
_LONG_RUN = 5  # comma parts from which a run of short parts is a list whatever its last part
# a parenthesis of two or more capitalised words at the end of a line names a publisher
_CREDIT = re.compile(
    r"\((?:[A-Z][\w.&'-]*,?\s+(?:(?:and|of|for|the|&)\s+)*){1,6}[A-Z][\w.&'-]*\)\s*$"
)  # a piece of a semicolon run longer than this is prose
_PREFIX = re.compile(r"\s*(?:[A-Z][\w -]{1,40}):\s+(?=\S)")  # "Digestive system: ..."
_BRAND_PART = re.compile(r"[A-Z][\w-]*(?:[ -][A-Z0-9][\w-]*){0,2}[®™]?")
_NOT_BRANDS = frozenset({"others", "other", "generic", "generics", "various", "many", "and"})
_TREATMENT_STOP = re.compile(
    r"\b(?:stop|stopping|avoid|avoiding|irritate|worsen|cause|causes|not)\b", re.I
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Structured:
    findings: tuple[Finding, ...]
    brands: tuple[Mention, ...]  # brands read from label lines, keyed to their medicine


def _top_level_split(text: str, start: int, end: int, sep: str) -> list[tuple[int, int]]:
    out, depth, pos = [], 0, start
    for i in range(start, end):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == sep and depth == 0:
            out.append((pos, i))
            pos = i + 1
    out.append((pos, end))
    return [(s, e) for s, e in out if text[s:e].strip()]


def run_pieces(
    text: str, start: int, end: int, lexicon: Lexicon | None = None, max_words: int = 8
) -> list[tuple[int, int]] | None:
    """A value or line that is a list: pieces split by semicolons, else the whole if it is a
    comma run of short parts or one short phrase. None: prose. With `lexicon`, a line that is
    one phrase counts only when the lexicon knows a condition in it (a bare line in a typed
    section may be a sub-heading: "In an emergency") or a label introduces it."""
    prefix = _PREFIX.match(text, start, end)
    if prefix:
        start = prefix.end()
    pieces = _top_level_split(text, start, end, ";")
    if len(pieces) >= 2:
        pieces = [_unprefixed(text, s, e) for s, e in pieces]
        if all(_short_phrase(text[s:e].strip(" .")) for s, e in pieces):
            return pieces
        return None  # clauses joined by semicolons: prose
    piece = text[start:end].strip(" .;")
    if not piece:
        return None
    if _CREDIT.search(piece):
        return None  # "Burns (Food and Drug Administration)": a link with its publisher
    if (
        phrases.acceptable(piece)
        and len(piece.split()) <= max_words
        # "Nervous system: nightmare;": a label's value needs no lexicon to be a fact
        and (
            lexicon is None
            or prefix is not None
            or lexicon.scan(tokenize(text, start, end), CONDITION_KINDS)
        )
    ):
        return [(start, end)]
    commas = _top_level_split(text, start, end, ",")
    if len(commas) >= 3 and all(len(text[s:e].split()) <= 5 for s, e in commas):
        return [(start, end)]
    if len(commas) < 2:
        # "Dermatologic Reactions: Maculopapular and acneiform skin reactions and isolated
        # cases of photosensitivity and loss of hair": a label's value listed with "and"
        joined = phrases.parts(text, start, end) if prefix is not None else []
        if len(joined) >= 2 and all(
            len(text[s:e].split()) <= 5 and phrases.acceptable(text[s:e]) for s, e in joined
        ):
            return [(start, end)]
        return None
    # "Laryngospasm, bronchospasm and increased depth of respiration": the last comma part
    # is a list too; a long run of short parts may end in a long one ("..., vertigo,
    # exacerbation of psychotic symptoms including hallucinations"), read by objects()
    items = [text[s:e] for s, e in commas[:-1]]
    if len(commas) < _LONG_RUN:
        items += [text[s:e] for s, e in phrases.parts(text, *commas[-1])]
    least = 2 if prefix is not None else 3  # "Body as a whole: malaise, pyrexia"
    if len(items) >= least and all(len(p.split()) <= 5 and phrases.acceptable(p) for p in items):
        return [(start, end)]
    return None


def _short_phrase(piece: str) -> bool:
    words = piece.split()
    return 0 < len(words) <= _MAX_RUN_WORDS and (phrases.acceptable(piece) or len(words) <= 3)


def _unprefixed(text: str, start: int, end: int) -> tuple[int, int]:
    prefix = _PREFIX.match(text, start, end)
    return (prefix.end(), end) if prefix else (start, end)


def _facts_of(
    kind: FindingKind,
    pieces: list[tuple[int, int]],
    text: str,
    unit: Unit,
    lexicon: Lexicon,
    subject: str | None,
    group: str | None,
) -> list[Finding]:
    out: list[Finding] = []
    for s, e in pieces:
        out += objects(
            kind,
            text,
            s,
            e,
            unit,
            lexicon,
            subject,
            group if kind is FindingKind.SCREENING else None,
        )
    return out


def _routes_in(
    unit: Unit,
    text: str,
    lexicon: Lexicon,
    subject: str,
    start: int | None = None,
    end: int | None = None,
) -> list[Finding]:
    s = unit.start if start is None else start
    e = unit.end if end is None else end
    out = []
    for m in lexicon.scan(tokenize(text, s, e), ROUTE_KINDS):
        end = route_end(text, m.end, e)
        out.append(
            Finding(
                kind=FindingKind.ROUTE,
                text=text[m.start : end],
                span=Span(section=unit.section, start=m.start, end=end),
                sentence=unit.span,
                concept=m.concept,
                subject=subject,
            )
        )
    return out


def _carried(units: list[Unit], idx: int) -> str | None:
    """The medicine the unit before this one named, in the same section: a label line right
    after a row or sentence about a medicine ("Reacciones adversas: diarrea" under a row about
    zanamivir) goes on about it."""
    before = units[idx - 1] if idx else None
    if before is None or before.section != units[idx].section:
        return None
    return before.subject if before.subject_source == "mention" else None


def _label_facts(
    unit: Unit,
    lab: Label,
    text: str,
    lexicon: Lexicon,
    group: str | None,
    subject: str | None,
) -> tuple[list[Finding], list[Mention]]:
    s, e = lab.value_start, lab.value_end
    if lab.kind == "brand":
        if subject is None:
            return [], []
        return [], [
            Mention(
                key=subject,
                concept=None,
                start=s + m.start(),
                end=s + m.end(),
                brand=m.group().rstrip("®™"),
            )
            for m in _BRAND_PART.finditer(text[s:e])
            if m.group().lower() not in _NOT_BRANDS
        ]
    if lab.kind == "route":
        if subject is None:
            return [], []
        return _routes_in(unit, text, lexicon, subject, s, e), []
    if lab.kind == "class":
        if subject is None:
            return [], []
        first = _top_level_split(text, s, e, ",")[0]
        part = phrases.trim(text, *first)
        if part is None or not any(ch.isalpha() for ch in text[part[0] : part[1]]):
            return [], []  # "Wirkstoffklasse | |||||": an infobox's empty cells
        return [
            Finding(
                kind=FindingKind.DRUG_CLASS,
                text=text[part[0] : part[1]],
                span=Span(section=unit.section, start=part[0], end=part[1]),
                sentence=unit.span,
                subject=subject,
            )
        ], []
    kind = FINDING_OF.get(lab.kind)
    if kind not in _READ or (subject is None and kind is not FindingKind.SCREENING):
        return [], []
    pieces = run_pieces(text, s, e) or [(s, e)]
    return _facts_of(kind, pieces, text, unit, lexicon, subject, group), []


def structured(
    units: list[Unit],
    text: str,
    lexicon: Lexicon,
    language: str,
    types: tuple[SectionType, ...],
    earlier: list[Finding],
    main: str | None,
    labels: tuple[Label | None, ...],
    named: frozenset[int] = frozenset(),
    index: Index | None = None,
) -> Structured:
    """`labels`: each unit's label (labels_of); `named`: the units that name a medicine;
    `index`: the text's starts.Index (made here when not given)."""
    index = Index(text) if index is None else index
    # a sentence read as a warning in its own words may still hold a screening question
    read = {(f.sentence.start, f.sentence.end) for f in earlier if not f.whole}
    out: list[Finding] = []
    brands: list[Mention] = []
    headings = {u.section: u for u in units if u.kind is BlockKind.HEADING}
    last_label: str | None = None
    for idx, unit in enumerate(units):
        if (
            (unit.start, unit.end) in read
            or unit.kind is BlockKind.ROW
            or unit.is_credit_link
            or unit.is_caption
            or unit.is_run_on
        ):
            continue
        group = unit.subject or main
        lab = labels[idx]
        if (
            lab is None
            and unit.subject is not None
            and (unit.section_kind == "route" or (last_label == "route" and len(unit.tokens) <= 3))
        ):
            # "How it is given" sections, and the lines that continue a route label
            # ("Voie d'administration Orale" / "Intraveineuse" / "Intramusculaire")
            routes = _routes_in(unit, text, lexicon, unit.subject)
            out += routes
            last_label = "route" if routes and last_label == "route" else None
            if routes:
                continue
        last_label = lab.kind if lab is not None else None
        english = language.split("-")[0].lower() == "en"
        if (
            not english
            and lab is None
            and unit.subject_source in ("mention", "anaphora")
            and unit.subject
        ):
            # other languages: a route word in a sentence that names its medicine
            out += _routes_in(unit, text, lexicon, unit.subject)
        if lab is not None and unit.kind is BlockKind.HEADING and lab.kind not in _INFOBOX:
            lab = None  # "Warning: low blood sugar" over a section is its title, not a fact
        carried = _carried(units, idx)
        if lab is not None:
            found, labelled = _label_facts(
                unit, lab, text, lexicon, group, unit.subject or carried
            )
            out += found
            brands += labelled
            if found or labelled or english:
                continue
            # "Avertissements et précautions : adressez-vous à votre médecin ... si vous avez
            # de l'asthme": a label whose value is a sentence; its prose is read
        kind = FINDING_OF.get(unit.section_kind or "")
        if (
            english
            and unit.kind is BlockKind.HEADING
            and kind in _NAMED_BY_HEADING
            and unit.subject
            and types[unit.section].rule is None  # a sub-heading; its section's own names it
        ):
            out += _heading_effect(unit, text, lexicon, kind, idx in named)
        if unit.kind is BlockKind.HEADING or (english and unit.kind is BlockKind.ITEM):
            continue  # in English, facts.py reads list items with their lead-ins
        if unit.kind is BlockKind.ITEM:
            kind = _led(unit, language, kind)
            framed = _framed_item(unit, text, lexicon, language, kind, group)
            if framed is not None:
                out += framed
                continue
        # a sentence, or an item with no framing of its own that says what it is ("informe a
        # su médico si tiene enfermedad pulmonar" under "Antes de tomar X,")
        if unit.subject is not None:
            brands += _prose_brands(unit, text, language)
        prose = _prose(unit, text, lexicon, language, group, carried)
        if prose:
            out += prose
            continue
        if kind not in _READ or kind is None:
            continue
        if unit.section_kind == "treatment":
            out += _treated(unit, text, types[unit.section], headings.get(unit.section))
            continue
        if unit.subject is None and kind is not FindingKind.SCREENING:
            continue
        if (
            unit.is_lead_in
            or idx in named
            or any(
                index.may_start(g, unit.start, unit.end)
                and g.search(unit.text, 0, len(unit.text)) is not None
                for g in GATED.values()
            )
        ):
            continue  # "Common side effects include:", a sub-heading naming a medicine
        pieces = run_pieces(
            text,
            unit.start,
            unit.end,
            None if unit.kind is BlockKind.ITEM else lexicon,
            8 if english else 6,
        )
        if pieces is None:
            continue
        out += _facts_of(kind, pieces, text, unit, lexicon, unit.subject, group)
    return Structured(findings=tuple(out), brands=tuple(brands))


_NAMED_BY_HEADING = frozenset({FindingKind.SIDE_EFFECT, FindingKind.WARNING})
_HEADING_NUMBER = re.compile(r"\s*\d+(?:\.\d+)*\.?\s+")  # "5.4 Hearing Loss"
_HEADING_WORDS = 5
_HEADING_GLOSS = re.compile(r"\s*\([^()]{1,12}\)\s*$")  # "Extrapyramidal Symptoms (EPS)"


def _heading_effect(
    unit: Unit, text: str, lexicon: Lexicon, kind: FindingKind, names_medicine: bool
) -> list[Finding]:
    """A sub-heading of an adverse reactions or warnings section that names an effect of the
    medicine: a condition the lexicon knows, or a short name that is no topic and no medicine
    ("Tardive Dyskinesia", "Neuroleptic Malignant Syndrome (NMS)"); "Cardiovascular Effects"
    names none. Its number ("5.4") is left out; "Serious ..." makes it a warning."""
    number = _HEADING_NUMBER.match(text, unit.start, unit.end)
    start = number.end() if number else unit.start
    gloss = _HEADING_GLOSS.search(text, start, unit.end)
    end = gloss.start() if gloss else unit.end
    name = text[start:end].strip()
    concept = lexicon.lookup(name, CONDITION_KINDS)
    if concept is None and (
        len(name.split()) > _HEADING_WORDS
        or not phrases.acceptable(name)
        or phrases.TOPIC.search(name)
        or names_medicine
    ):
        return []
    return [
        Finding(
            kind=escalate(kind, name),  # "Serious infections" under "Side effects"
            text=text[start : unit.end].strip(),
            span=Span(section=unit.section, start=start, end=unit.end),
            sentence=unit.span,
            concept=concept,
            subject=unit.subject,
        )
    ]


def _prose(
    unit: Unit,
    text: str,
    lexicon: Lexicon,
    language: str,
    group: str | None,
    carried: str | None = None,
) -> list[Finding]:
    """The language's prose triggers (rules/<lang>/prose.toml; in English read after the
    triggers of facts.py): the fact follows its trigger up to the end of its clause, split at
    the language's conjunctions. `carried`: the medicine the unit before named; a line that
    opens with a trigger and names no medicine ("Reacciones adversas: diarrea" under a row
    about zanamivir) goes on about it."""
    pack = rules.load("prose", language)
    negation = pack.by_kind("negation")
    out: list[Finding] = []
    for rule in pack.rules:
        kind = FINDING_OF.get(rule.kind)
        if kind is FindingKind.DRUG_CLASS and unit.subject is not None:
            out += _class_named(rule.pattern, pack, text, unit, lexicon)
            continue
        if kind not in _READ:
            continue  # negation, break, conjunction: how a pack reads, not what it finds
        subject = unit.subject
        if kind is FindingKind.CONTRAINDICATION and subject is None:
            kind = FindingKind.SCREENING  # no medicine to hold it: still asked before treatment
        if kind is None or (
            subject is None and carried is None and kind is not FindingKind.SCREENING
        ):
            continue
        for match in rule.pattern.finditer(text, unit.start, unit.end):
            before = text[unit.start : match.start()]
            subject = unit.subject
            if subject is None and kind is not FindingKind.SCREENING:
                if before.strip():
                    continue
                subject = carried
            if any(n.pattern.search(before) for n in negation):
                continue
            pieces = _object_pieces(pack, text, match.end(), unit.end, lexicon)
            if pieces:  # "Selten kann Ibuprofen Magenblutungen verursachen": not its name
                pieces[0] = (_past_medicine(text, *pieces[0], lexicon), pieces[0][1])
            out += _facts_of(kind, pieces, text, unit, lexicon, subject, group)
    return out


def _prose_brands(unit: Unit, text: str, language: str) -> list[Mention]:
    """The brand names a sentence gives its medicine ("Il est commercialisé notamment sous le
    nom de Mopral", the pack's `brand` rules): the capitalised names up to the pack's first
    break."""
    pack = rules.load("prose", language)
    out: list[Mention] = []
    for rule in pack.by_kind("brand"):
        for match in rule.pattern.finditer(text, unit.start, unit.end):
            end = _clause_end(pack, text, match.end(), unit.end)
            out += [
                Mention(
                    key=unit.subject or "",
                    concept=None,
                    start=match.end() + m.start(),
                    end=match.end() + m.end(),
                    brand=m.group().rstrip("®™"),
                )
                for m in _BRAND_PART.finditer(text[match.end() : end])
                if m.group().lower() not in _NOT_BRANDS
            ]
    return out


def _past_medicine(text: str, start: int, end: int, lexicon: Lexicon) -> int:
    """Where a piece starts once a medicine's name in front of it is left out (a verb's
    subject after the verb: "kann Ibuprofen Magenblutungen verursachen")."""
    found = lexicon.scan(tokenize(text, start, end), medications.DRUG_KINDS)
    rest = text[found[0].end : end] if found and found[0].start == start else ""
    return end - len(rest.lstrip()) if rest.strip() else start


def _class_named(
    pattern: re.Pattern[str], pack: rules.Pack, text: str, unit: Unit, lexicon: Lexicon
) -> list[Finding]:
    """'La gabapentina pertenece a una clase de medicamentos llamados anticonvulsivos': the
    class the sentence names, up to the pack's first break (its whole name, not split)."""
    for match in pattern.finditer(text, unit.start, unit.end):
        pieces = _object_pieces(pack, text, match.end(), unit.end, lexicon)
        if pieces:
            start, end = pieces[0][0], max(e for _, e in pieces)
            if phrases.acceptable(text[start:end]):
                return [finding(FindingKind.DRUG_CLASS, text, start, end, unit, None,
                                unit.subject)]
    return []


def _clause_end(pack: rules.Pack, text: str, start: int, end: int) -> int:
    """Where what follows a trigger ends: the first of the pack's breaks after `start`."""
    for b in pack.by_kind("break"):
        stop = b.pattern.search(text, start, end)
        if stop and stop.start() > start:
            end = stop.start()
    return end


def _object_pieces(
    pack: rules.Pack, text: str, start: int, end: int, lexicon: Lexicon
) -> list[tuple[int, int]]:
    """What a trigger or an item's framing names, from `start`: up to the first of the pack's
    breaks, split at its conjunctions."""
    end = _clause_end(pack, text, start, end)
    pieces = [(start, end)]
    for j in pack.by_kind("conjunction"):
        pieces = [(a, z) for s, e in pieces for a, z in _split_at(text, s, e, j.pattern)]
    return _shared_heads(pieces, text, lexicon)


def _led(unit: Unit, language: str, kind: FindingKind | None) -> FindingKind | None:
    """What another language's list item is when its lead-in says it in its section's words
    ("Si presenta alguno de los siguientes síntomas, llame a su médico de inmediato:" under
    "efectos secundarios": warnings); else `kind`, its section's."""
    if unit.lead is None:
        return kind
    led = _lead_kind(language, unit.lead.text)
    return led if led in _READ else kind


@lru_cache(maxsize=1 << 12)
def _lead_kind(language: str, lead: str) -> FindingKind | None:
    """The kind a lead-in's words give (read once per lead-in, not once per item under it)."""
    rule = rules.load("sections", language).first(lead)
    return FINDING_OF.get(rule.kind) if rule is not None else None


def _framed_item(
    unit: Unit, text: str, lexicon: Lexicon, language: str, kind: FindingKind | None,
    group: str | None,
) -> list[Finding] | None:
    """Another language's list item that opens with its pack's item framing under a lead-in
    or in a section that asks before treatment ("Ne prenez jamais X : - si vous avez un
    ulcère de l'estomac", "X darf nicht eingenommen werden, - wenn Sie allergisch gegen X
    sind"): what follows the framing is the fact, a contraindication when `kind` (the lead-in's,
    else the section's: _led) rules the medicine out, a screening question when it asks. None:
    the item has no framing, or is of no such section or lead-in."""
    if kind not in FRAMED_ITEM:
        return None
    pack = rules.load("prose", language)
    for rule in pack.by_kind("item-lead"):
        match = rule.pattern.match(text, unit.start, unit.end)
        if match is None:
            continue
        subject = unit.subject
        if kind is FindingKind.CONTRAINDICATION and subject is None:
            kind = FindingKind.SCREENING  # no medicine to hold it: still asked before treatment
        pieces = _object_pieces(pack, text, match.end(), unit.end, lexicon)
        return _facts_of(kind, pieces, text, unit, lexicon, subject, group)
    return None


_JOINED_BY_WORD = re.compile(r"\s+\w{1,3}\s+$")  # " u ", " o ", " and ": not a comma


def _shared_heads(
    pieces: list[tuple[int, int]], text: str, lexicon: Lexicon
) -> list[tuple[int, int]]:
    """A lone word the lexicon does not know, after a phrase of several words, shares that
    phrase's head: "edema facial u orofaríngeo" is one fact, not "edema facial" and
    "orofaríngeo"."""
    out: list[tuple[int, int]] = []
    for s, e in pieces:
        words = text[s:e].split()
        if (
            out
            and len(words) == 1
            and _JOINED_BY_WORD.match(text, out[-1][1], s)
            and len(text[out[-1][0] : out[-1][1]].split()) >= 2
            and not lexicon.scan(tokenize(text, s, e), CONDITION_KINDS)
        ):
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _split_at(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    out, pos = [], start
    for sep in pattern.finditer(text, start, end):
        piece = text[pos : sep.start()]
        if sep.start() > pos and piece.count("(") == piece.count(")"):  # not inside brackets
            out.append((pos, sep.start()))
            pos = sep.end()
    out.append((pos, end))
    return [(s, e) for s, e in out if text[s:e].strip()]


def _treated(unit: Unit, text: str, section: SectionType, heading: Unit | None) -> list[Finding]:
    """'What are the treatments for gout?' / '... colchicine can relieve ...': colchicine
    treats gout. Only a sentence that names its medicine, and does not stop or avoid it."""
    if (
        section.condition is None
        or heading is None
        or unit.subject_source != "mention"
        or unit.subject is None
        or _TREATMENT_STOP.search(unit.text)
    ):
        return []
    s, e = section.condition
    return [
        Finding(
            kind=FindingKind.INDICATION,
            text=text[s:e],
            span=Span(section=unit.section, start=s, end=e),
            sentence=heading.span,
            subject=unit.subject,
        )
    ]


def reading_list_units(units: list[Unit]) -> frozenset[int]:
    """Related-reading lists: a section whose list items are mostly titles credited to their
    publishers ("Cortisone Shots (Mayo Clinic)"). None of its items names the article's
    medicines, even one whose credit was cut off."""
    items: dict[int, list[int]] = {}
    for idx, unit in enumerate(units):
        if unit.kind is BlockKind.ITEM or unit.is_credit_link:
            items.setdefault(unit.section, []).append(idx)
    out: set[int] = set()
    for members in items.values():
        credited = sum(1 for i in members if units[i].is_credit_link)
        if credited >= 2 and 2 * credited >= len(members):
            out.update(members)
    return frozenset(out)


def labels_of(units: list[Unit], text: str, language: str) -> tuple[Label | None, ...]:
    """Each unit's label/value reading (sections.label), read once per article."""
    return tuple(label(text, unit.start, unit.end, language) for unit in units)


def ingredient_units(units: list[Unit], labels: tuple[Label | None, ...]) -> frozenset[int]:
    """The units that list ingredients: in an ingredients section, or an ingredients label."""
    return frozenset(
        idx
        for idx, (unit, lab) in enumerate(zip(units, labels, strict=True))
        if unit.section_kind in NO_MEDICINES or (lab is not None and lab.kind in NO_MEDICINES)
    )


def screened(findings: list[Finding]) -> list[Finding]:
    """Each contraindication is also a question asked before treatment."""
    return [
        Finding(
            kind=FindingKind.SCREENING,
            text=f.text,
            span=f.span,
            sentence=f.sentence,
            concept=f.concept,
            subject=f.subject,
            group=f.subject,
        )
        for f in findings
        if f.kind is FindingKind.CONTRAINDICATION and phrases.acceptable(f.text)
    ]


# a line that reads as a heading though no markup says so: a few capitalised words, no
# sentence end ("Itching (Pruritus)", "Sleep Disorders")
_HEADING_LINE = re.compile(r"^[A-Z][\w'’-]*(?: [\w'’()-]+){0,5}$")


def heading_conditions(
    cut: list[Unit], found: medications.Found, text: str, lexicon: Lexicon, language: str
) -> list[Finding]:
    """'Itching (Pruritus)' ... 'Phosphate binders seem to help some people': a medicine said
    to help, with no object, helps with the condition its section's heading names
    (rules/<lang>/mentions.toml, kind helps-alone). The fact is the heading's words."""
    helps = rules.load("mentions", language).by_kind("helps-alone")
    if not helps:
        return []
    heading_of: dict[int, Unit] = {}  # unit index -> the heading it is under
    last: Unit | None = None
    for idx, unit in enumerate(cut):
        if last is not None and last.section != unit.section:
            last = None
        if unit.kind is BlockKind.HEADING or _HEADING_LINE.match(unit.text):
            last = unit
        elif last is not None:
            heading_of[idx] = last
    out: list[Finding] = []
    for idx, mentions in sorted(found.per_unit.items()):
        unit = cut[idx]
        heading = heading_of.get(idx)
        if heading is None:
            continue
        for mention in mentions:
            if mention.brand or not any(r.match(text, mention.end, unit.end) for r in helps):
                continue
            named = lexicon.scan(heading.tokens, CONDITION_KINDS)
            if named:
                concept = named[0].concept if len({m.concept.id for m in named}) == 1 else None
                out.append(
                    units.finding(
                        FindingKind.INDICATION, text, heading.start, heading.end, heading,
                        concept, mention.key,
                    )
                )
    return out


def condition_medicines(
    cut: list[Unit], found: medications.Found, text: str, lexicon: Lexicon, language: str
) -> list[Finding]:
    """'two main types of OTC pain medicines: acetaminophen (Tylenol) and NSAIDs': each
    medicine listed after '<condition> medicines' is for that condition (rules/<lang>/
    mentions.toml, kind condition-medicines; the condition must be one the lexicon knows)."""
    lists = rules.load("mentions", language).by_kind("condition-medicines")
    out: list[Finding] = []
    for idx, mentions in sorted(found.per_unit.items()):
        unit = cut[idx]
        for rule in lists:
            for match in rule.pattern.finditer(text, unit.start, unit.end):
                a, e = match.span("cond")
                while a < e and text[a:e].split()[0].lower() in _NOT_CONDITION_WORDS:
                    a += len(text[a:e].split()[0]) + 1
                named = lexicon.lookup(text[a:e], CONDITION_KINDS)
                if a >= e or named is None:
                    continue
                for mention in mentions:
                    if mention.start >= match.end() and not mention.brand:
                        out.append(
                            units.finding(
                                FindingKind.INDICATION, text, a, e, unit, named, mention.key
                            )
                        )
    return out


_NOT_CONDITION_WORDS = frozenset({"otc", "prescription", "the", "of", "your", "common", "other"})
