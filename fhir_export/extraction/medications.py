"""Medicines and medicine classes an article names, their brands, and who each sentence is about.

Known medicines come from the lexicon (exact, longest match). A medicine missing from the
lexicon is recognised by its WHO INN stem (-mab, -tinib, -pril, ...) and stays text-only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from ..model import Article, BlockKind, Concept, Product
from ..terminology import Lexicon, Match, Token, normalize, tokenize, unmarked
from . import rules
from .units import Unit

DRUG_KINDS = frozenset({"drug", "drug-class"})
_INN_STEM = re.compile(
    r"^[a-z]{3,}(?:mab|nib|ciclib|parib|cept|kinra|leukin|platin|taxel|rubicin|mycin|cillin|"
    r"cycline|floxacin|conazole|vir|sartan|pril|olol|dipine|statin|gliptin|gliflozin|glutide|"
    r"parin|xaban|gatran|oxetine|azepam|triptan|profen|dronate|semide|thiazide|tidine|prazole|"
    r"lukast|olone|asone|nisone|tisone|trexate|fenac|setron|lamide|citinib|limus|tinib)"
    r"(?:e|a|o)?$"  # French and Spanish spellings: amoxicilline, metformina, aciclovir
)
_NOT_DRUGS = frozenset(
    {
        "concept",
        "except",
        "accept",
        "intercept",
        "april",
        "percept",
        "nevir",
        "november",
    }
)
_BRAND_AFTER = re.compile(
    r"\s*\(\s*(?P<brand>[A-Z][A-Za-z0-9]+(?:[ -][A-Z][A-Za-z0-9]+)?)\s*[®™]?\s*\)"
)
_ANAPHORA = re.compile(
    # a bare "This" may point at the illness just named ("Type 2 diabetes ... This can cause"):
    # only "this/these" with a medicine noun points at a medicine
    r"^(?:[\"“]?)(?:it|they|(?:this|these|the) (?:medicines?|drugs?|medications?|treatments?|"
    r"therap(?:y|ies)|tablets?|injections?|vaccines?)|"
    # German, Spanish, French: "Es ist ...", "Este medicamento ...", "Il est ..."
    r"(?-i:Es|Er|Il|Elle)|(?:dieses|das) (?:Arzneimittel|Medikament)|"
    r"(?:este|el) (?:medicamento|fármaco)|(?:ce|le) médicament)\b",
    re.I,
)
_RISK_TOPIC = re.compile(r"\b(?:can|may|might|could) (?:\w+ )?have side effects\s*[.:]?\s*$", re.I)
_PLURAL = re.compile(
    r"^(?:[\"“]?)(?:they|these|both|either|all)\b(?:\s+(?:medicines|drugs|medications|"
    r"treatments|of them|of these))?",
    re.I,
)
_BRAND_LIST = re.compile(
    r"(?:\b(?:brand|trade)[- ]names?\b(?:\s+(?:include|includes|are|is|such as))?\s*:?|"
    r"\balso (?:known|sold|marketed) as\b(?: the brand)?)\s*(?P<list>[^.;()]+)"
)
_LISTED_NAME = re.compile(
    r"\s*(?P<name>[A-Z][A-Za-z0-9-]+(?: [A-Z][A-Za-z0-9-]+)?)[®™]?"
    r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+|\s*$)"
)
_BRAND_BEFORE = re.compile(
    r"(?P<brand>[A-Z][A-Za-z0-9]+(?:[ -][A-Z][A-Za-z0-9]+)?)\s*[®™]?\s*\(\s*$"
)


@dataclass(slots=True)
class Mention:
    key: str
    concept: Concept | None
    start: int
    end: int
    brand: str | None = None
    heading: bool = False  # named in a heading (running text is preferred for the name)
    ambiguous: bool = False  # an 'ambiguous'-tier name: a class word or dual-use substance
    discussed: bool = False  # its sentence says it works, or names it as a kind of medicine


@dataclass(slots=True)
class Found:
    """Medication mentions per unit, in article order."""

    per_unit: dict[int, list[Mention]] = field(default_factory=dict)
    names: dict[str, Mention] = field(default_factory=dict)  # first mention per key
    brands: dict[str, list[Mention]] = field(default_factory=dict)


def _unknown_stems(unit: Unit, taken: list[Match], lexicon: Lexicon, text: str) -> list[Mention]:
    """Names the lexicon lacks: a word with a medicine's stem (text-only), or a medicine's
    name with a typing slip ("Chlorpheniramin maleate 2 mg") where the text treats it as a
    medicine (coded as the medicine it misspells)."""
    out = []
    covered = {i for m in taken for i in range(m.first, m.last + 1)}
    for i, tok in enumerate(unit.tokens):
        if i in covered:
            continue
        word = tok.norm
        if word in _NOT_DRUGS:
            continue
        if _INN_STEM.match(word):
            out.append(Mention(key=word, concept=None, start=tok.start, end=tok.end))
            continue
        entry = lexicon.near(word)
        if entry is not None and _medicine_cue(unit, tok.start, tok.end, text):
            out.append(
                Mention(key=entry.concept.id, concept=entry.concept, start=tok.start, end=tok.end)
            )
    return out


def find(units: list[Unit], lexicon: Lexicon, text: str, language: str = "en") -> Found:
    found = Found()
    last_class: Mention | None = None
    for idx, unit in enumerate(units):
        scanned = lexicon.scan(unit.tokens, DRUG_KINDS, ambiguous=True)
        discussed = {id(m) for m in scanned if m.ambiguous and _discussed(m, unit, text, language)}
        matches = [
            m
            for m in scanned
            if not m.ambiguous or id(m) in discussed or _treated_as_medicine(m, unit, text)
        ]
        mentions = [
            Mention(
                key=m.concept.id,
                concept=m.concept,
                start=m.start,
                end=m.end,
                brand=m.entry.brand,
                ambiguous=m.ambiguous,
                discussed=id(m) in discussed,
            )
            for m in matches
        ]
        mentions += _unknown_stems(unit, matches, lexicon, text)
        mentions.sort(key=lambda m: m.start)
        mentions = _class_brands(mentions, text, unit.end)
        if last_class is not None and _THESE_INCLUDE.match(unit.text):
            # "A class of drugs called benzodiazepines ... These drugs include Klonopin, ..."
            mentions = _class_brands([last_class, *mentions], text, unit.end, unit.start)[1:]
        classes = [m for m in mentions if m.concept and m.concept.kind == "drug-class"]
        last_class = classes[-1] if len(classes) == 1 else None
        _paired_brands(mentions, text, unit)
        if mentions:
            found.per_unit[idx] = mentions
        for mention in mentions:
            if mention.brand:
                found.brands.setdefault(mention.key, []).append(mention)
            elif mention.key not in found.names or (
                found.names[mention.key].heading and unit.kind is not BlockKind.HEADING
            ):
                mention.heading = unit.kind is BlockKind.HEADING
                found.names[mention.key] = mention  # prefer a mention in running text
    _aliases(units, found, text)
    # a medicine only ever named by its brand still gets a name
    for key, brands in found.brands.items():
        found.names.setdefault(key, brands[0])
    return found


# What makes a name that is also a food, salt, vitamin or body chemical a medicine: a dose or
# strength, a dosage form, a medicine verb, or being named as a medicine ("potassium chloride
# tablets", "take 400 micrograms of folic acid", "medicines called statins").
_MEDICINE_CUE = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|micrograms?|milligrams?|g|ml|units?|iu|mmol|%)\b|"
    r"\b(?:tablets?|capsules?|injections?|infusions?|supplements?|inhalers?|lozenges?|patch(?:es)?|"
    r"syrups?|suspension|solution|drops|chewing gum|gum|sprays?|creams?|gels?|ointments?|"
    r"suppositor(?:y|ies)|pills?|prescri\w*|dose|doses|dosage|take|takes|taking|took|"
    r"given|giving|use[ds]?|using|treat\w*|medicines?|medications?|drugs?|therap(?:y|ies)|"
    r"antidote|replacement|relie\w+|recommend\w*|such as|including|called|known as|"
    r"side effects?|adverse|"
    # Spanish, German, French
    r"tom[ae]r?|toma|usar?|inyect\w*|medicamentos?|medicinas?|pastillas?|tabletas?|dosis|"
    r"tratamiento|einnehmen|Einnahme|Tabletten?|Spritzen?|Arzneimittel\w*|Medikament\w*|"
    r"Behandlung|prendre|comprimés?|médicaments?|traitement)\b",
    re.I,
)
# "Nasal decongestants - unclog a stuffy nose": a name, a dash and what it does
_DASH_CUE = re.compile(
    r"\s[–—-]\s+(?:unclog|quiet|loosen|stop|ease|relieve|treat|prevent|reduce|lower|control|"
    r"calm|clear|soothe|dry up)s?\b",
    re.I,
)
# "antihistamines (Benadryl, Atarax, Vistaril)": a class named with its products
_PRODUCTS_AFTER = re.compile(r"\s*\(\s*[A-Z][\w-]*(?:\s*,\s*(?:and\s+|or\s+)?[A-Z][\w-]*)+\s*\)")
_CLASS_CUE_WINDOW = 60  # characters either side of the name


def _treated_as_medicine(match: Match, unit: Unit, text: str) -> bool:
    """An 'ambiguous'-tier name (lexicon tier) counts only where the text treats it as a
    medicine: a cue word near it in its sentence, or its list's lead-in."""
    end = min(unit.end, match.end + _CLASS_CUE_WINDOW)
    if (
        _medicine_cue(unit, match.start, match.end, text)
        or _DASH_CUE.match(text, match.end, end)
        or _PRODUCTS_AFTER.match(text, match.end, unit.end)
    ):
        return True
    lead = unit.lead
    return lead is not None and bool(_MEDICINE_CUE.search(lead.text))


def _discussed(match: Match, unit: Unit, text: str, language: str) -> bool:
    """Whether the sentence says an 'ambiguous'-tier name works for patients ("Phosphate
    binders seem to help some people") or names it as a kind of medicine ("The most powerful
    pain relievers are opioids"): rules/<lang>/mentions.toml."""
    pack = rules.load("mentions", language)
    after, before = text[match.end : unit.end], text[unit.start : match.start]
    return any(r.match(after) for r in pack.by_kind("works")) or any(
        r.match(before) for r in pack.by_kind("named-as")
    )


def _medicine_cue(unit: Unit, start: int, end: int, text: str) -> bool:
    """A dose, dosage form or medicine word within _CLASS_CUE_WINDOW characters of a name."""
    return bool(
        _MEDICINE_CUE.search(
            text,
            max(unit.start, start - _CLASS_CUE_WINDOW),
            min(unit.end, end + _CLASS_CUE_WINDOW),
        )
    )


def without(found: Found, skip: frozenset[int]) -> Found:
    """`found` without the mentions in the units `skip` (an ingredients list names
    excipients, never the article's medicines); a medicine named elsewhere too stays."""
    if not skip:
        return found
    kept = Found()
    for idx, mentions in found.per_unit.items():
        if idx in skip:
            continue
        kept.per_unit[idx] = mentions
        for mention in mentions:
            if mention.brand:
                kept.brands.setdefault(mention.key, []).append(mention)
    names = {m.key for ms in kept.per_unit.values() for m in ms}
    for key, first in found.names.items():
        if key in names:
            kept.names[key] = (
                first
                if any(first is m for ms in kept.per_unit.values() for m in ms)
                else next(m for ms in kept.per_unit.values() for m in ms if m.key == key)
            )
    return kept


def _class_words(lexicon: Lexicon, key: str) -> frozenset[tuple[str, ...]]:
    return _class_text_words(str(lexicon.raw.get(key, {}).get("class", "") or ""))


@cache
def _class_text_words(text: str) -> frozenset[tuple[str, ...]]:
    """The word tuples of a class text ("HMG-CoA reductase inhibitor (statin)"), parsed once."""
    out = set()
    for part in re.split(r"[()/;,]| and ", text):
        words = tuple(_singular_norm(t.norm) for t in tokenize(part))
        if words:
            out.add(words)
    return frozenset(out)


def _is_class_of(lexicon: Lexicon, cls: Concept, member: str) -> bool:
    raw = lexicon.raw.get(member, {})
    links = raw.get("classes", ())
    if isinstance(links, list | tuple) and cls.id in links:
        return True
    words = _class_words(lexicon, member)
    names = [cls.preferred, *(lexicon.raw.get(cls.id, {}).get("synonyms", ()) or ())]
    return any(tuple(_singular_norm(t.norm) for t in tokenize(str(n))) in words for n in names)


def class_members(found: Found, lexicon: Lexicon) -> dict[str, tuple[str, ...]]:
    """For each medicine class the article names, the medicines of that class it names."""
    out: dict[str, tuple[str, ...]] = {}
    for key, m in found.names.items():
        if m.concept is None or m.concept.kind != "drug-class":
            continue
        named = tuple(
            k
            for k, o in found.names.items()
            if k != key
            and (o.concept is None or o.concept.kind == "drug")
            and _is_class_of(lexicon, m.concept, k)
        )
        if named:
            out[key] = named
    return out


def fold_classes(found: Found, main: str | None, lexicon: Lexicon) -> Found:
    """On a page about one medicine, its class word ("statins" on an atorvastatin page) speaks
    of that medicine, not of a second, class-level medicine."""
    if main is None or main.startswith(GROUP) or main not in found.names:
        return found
    own = found.names[main]
    folded = {
        key
        for key, m in found.names.items()
        if key != main
        and m.concept is not None
        and m.concept.kind == "drug-class"
        and _is_class_of(lexicon, m.concept, main)
    }
    if not folded:
        return found
    out = Found(brands=found.brands)
    for idx, mentions in found.per_unit.items():
        out.per_unit[idx] = [
            Mention(key=main, concept=own.concept, start=m.start, end=m.end, heading=m.heading)
            if m.key in folded
            else m
            for m in mentions
        ]
    out.names = {k: v for k, v in found.names.items() if k not in folded}
    return out


_EXAMPLES = re.compile(
    r"\s*,?\s*(?:such as|including|like|e\.g\.,?|for example,?)\s+|\s*\(\s*(?=[A-Z])", re.I
)


_THESE_INCLUDE = re.compile(
    r"\s*(?:these|such) (?:\w+ )?(?:drugs|medicines|medications) (?:include|are)\s*:?\s+", re.I
)
_NAME_ITEM = re.compile(
    r"[A-Z][A-Za-z0-9]*(?:[-][A-Za-z0-9]+)*(?: [A-Z0-9][A-Za-z0-9-]*){0,2}[®™]?"
)


def _class_brands(
    mentions: list[Mention], text: str, unit_end: int, list_at: int | None = None
) -> list[Mention]:
    """'Antacids, such as Alka-Seltzer, Maalox and Rolaids': names given as examples of a
    class, all capitalised (no generic among them), are the class's brands. `list_at`: where
    the list of the first mention's class starts, when it is named in the sentence before."""
    out = list(mentions)
    for i, m in enumerate(mentions):
        if m.brand or m.concept is None or m.concept.kind != "drug-class":
            continue
        if i == 0 and list_at is not None:
            lead = _THESE_INCLUDE.match(text, list_at, unit_end)
        else:
            lead = _EXAMPLES.match(text, m.end, unit_end)
        if lead is None:
            continue
        pos, items = lead.end(), []
        while True:
            item = _NAME_ITEM.match(text, pos, unit_end)
            if item is None:
                break
            items.append((item.start(), item.end()))
            join = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+").match(
                text, item.end(), unit_end
            )
            if join is None:
                break
            pos = join.end()
        named = [o for o in out if not o.brand and any(s <= o.start < e for s, e in items)]
        if len(items) < 2 or named:
            continue  # one name, or a generic among them: not a list of the class's brands
        kept = [o for o in out if not any(s <= o.start < e for s, e in items)]
        kept += [
            Mention(key=m.key, concept=m.concept, start=s, end=e, brand=text[s:e].rstrip("®™"))
            for s, e in items
        ]
        out = sorted(kept, key=lambda o: o.start)
    return out


def _paired_brands(mentions: list[Mention], text: str, unit: Unit) -> None:
    """'generic (Brand)' for generics the lexicon has no brand for; 'brand names: A, B'."""
    for mention in list(mentions):
        if mention.brand is not None:
            continue
        brand_span = _brand_after(text, mention) or _brand_before(text, unit, mention)
        if brand_span is None or any(m.start == brand_span[0] for m in mentions):
            continue
        start, end = brand_span
        mentions.append(
            Mention(
                key=mention.key,
                concept=mention.concept,
                start=start,
                end=end,
                brand=text[start:end],
            )
        )
    listed = _BRAND_LIST.search(unit.text)
    named = [m for m in mentions if m.brand is None]
    if listed and named:
        offset = unit.start + listed.start("list")
        pos = 0
        # the names that open the list, one after another: "also known as “whooping cough”"
        # names no brand, and a list ends at its first word that is no name
        while part := _LISTED_NAME.match(listed["list"], pos):
            pos = part.end()
            start = offset + part.start("name")
            if any(m.start <= start < m.end for m in mentions):
                continue
            mentions.append(
                Mention(
                    key=named[0].key,
                    concept=named[0].concept,
                    start=start,
                    end=offset + part.end("name"),
                    brand=part.group("name"),
                )
            )
    mentions.sort(key=lambda m: m.start)


_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]+s?$")
_ALIAS_AFTER = re.compile(r"\s*\(\s*(?P<alias>[A-Z][A-Z0-9]+s?)\s*\)")


def _aliases(units: list[Unit], found: Found, text: str) -> None:
    """'proton pump inhibitors (PPIs)': the acronym names the same medicine wherever the
    article uses it later ('Side effects of PPIs include ...')."""
    aliases: dict[str, Mention] = {}
    for mentions in found.per_unit.values():
        for m in mentions:
            after = _ALIAS_AFTER.match(text, m.end)
            if after and not m.brand:
                word = after.group("alias")
                aliases.setdefault(word, m)
                aliases.setdefault(word[:-1] if word.endswith("s") else word + "s", m)
    if not aliases:
        return
    pattern = re.compile(
        r"(?<![\w-])(?:" + "|".join(map(re.escape, sorted(aliases))) + r")(?![\w-])"
    )
    for idx, unit in enumerate(units):
        have = found.per_unit.get(idx, [])
        added = [
            Mention(
                key=aliases[hit.group()].key,
                concept=aliases[hit.group()].concept,
                start=hit.start(),
                end=hit.end(),
                ambiguous=aliases[hit.group()].ambiguous,
            )
            for hit in pattern.finditer(text, unit.start, unit.end)
            if not any(m.start <= hit.start() < m.end + 4 for m in have)
        ]
        if added:
            found.per_unit[idx] = sorted([*have, *added], key=lambda m: m.start)


def _brand_after(text: str, mention: Mention) -> tuple[int, int] | None:
    """'generic (Brand)'."""
    after = _BRAND_AFTER.match(text, mention.end)
    if after is None:
        return None
    brand = after.group("brand")
    if (brand.isupper() and len(brand) <= 4) or _ACRONYM.match(brand):
        return None  # an acronym: (TB), (IV), (PPIs), (H2RAs)
    return after.start("brand"), after.end("brand")


def _brand_before(text: str, unit: Unit, mention: Mention) -> tuple[int, int] | None:
    """'Brand (generic)', for a generic the lexicon does not know (it knows its own brands)."""
    if mention.concept is not None or not text[mention.end : mention.end + 3].lstrip().startswith(
        ")"
    ):
        return None
    before = _BRAND_BEFORE.search(text, max(unit.start, mention.start - 40), mention.start)
    return (before.start("brand"), before.end("brand")) if before else None


GROUP = "group:"


def group_of(keys: Sequence[str]) -> str:
    """The subject key for one or several medicines (inverse of group_members)."""
    return keys[0] if len(keys) == 1 else GROUP + "+".join(keys)


def group_members(key: str) -> tuple[str, ...]:
    return tuple(key[len(GROUP) :].split("+")) if key.startswith(GROUP) else (key,)


def _name(found: Found, key: str) -> str:
    m = found.names[key]
    return normalize(m.concept.preferred if m.concept else key)


def main_subject(found: Found, title: str, lexicon: Lexicon) -> str | None:
    """The medicine an article is about: named in its title, or the only one it names."""
    # accents folded: "Oméprazole" names omeprazole, "Ibuprofène" ibuprofen
    title_norm = unmarked(normalize(title))
    in_title = [
        k
        for k, m in found.names.items()
        if unmarked(normalize(m.concept.preferred if m.concept else k)) in title_norm
        or any(unmarked(normalize(b.brand or "")) in title_norm for b in found.brands.get(k, []))
    ]
    in_title = [
        k
        for k in in_title
        if not any(k != o and _name(found, k) in _name(found, o) for o in in_title)
    ]  # "Interferon alfa-2b" names interferon alfa-2b, not also the interferon class
    if len(in_title) == 1:
        return in_title[0]
    if 1 < len(in_title) <= 4:
        return GROUP + "+".join(in_title)  # "Apixaban vs rivaroxaban": what is said of both
    drugs = [k for k, m in found.names.items() if not m.concept or m.concept.kind == "drug"]
    if len(found.names) == 1 or (len(drugs) == 1 and len(found.names) <= 2):
        return drugs[0] if drugs else next(iter(found.names))
    if len(drugs) == 1:
        # one medicine, and class words each named once in passing ("if you are taking
        # sedatives"): the article is about the medicine
        named = Counter(m.key for ms in found.per_unit.values() for m in ms)
        if all(named[k] == 1 for k in found.names if k != drugs[0]):
            return drugs[0]
    # a label or leaflet whose title names no medicine ("HIGHLIGHTS OF PRESCRIBING
    # INFORMATION"): the medicine it names far more often than any other
    counts = Counter(m.key for ms in found.per_unit.values() for m in ms).most_common(2)
    if counts and counts[0][0] in drugs and counts[0][1] >= _DOMINANT_MIN and (
        len(counts) == 1 or counts[0][1] >= _DOMINANT_RATIO * counts[1][1]
    ):
        return counts[0][0]
    return None


_DOMINANT_MIN = 10  # mentions
_DOMINANT_RATIO = 4


def product_subject(found: Found, products: Sequence[Product]) -> str | None:
    """A label's product when no one medicine is the article's: its active ingredients (a
    sunscreen of avobenzone, octocrylene and oxybenzone), as its structured data names them."""
    actives = {normalize(i.name) for p in products for i in p.ingredients if i.active}
    keys = [
        k
        for k, m in found.names.items()
        if any(
            a == n or a.startswith(n + " ")
            for a in actives
            for n in (normalize(m.concept.preferred if m.concept else k), normalize(k))
        )
    ]
    if len(keys) == 1:
        return keys[0]
    if 1 < len(keys) <= 4:
        return GROUP + "+".join(keys)
    return None


def section_subjects(article: Article, found: Found, lexicon: Lexicon) -> dict[int, str]:
    """The medicine each section is about, when its heading (or an enclosing section's) names
    exactly one: "## Metoprolol (brand names: ...)" / "### Side effects"."""
    out: dict[int, str] = {}
    stack: list[tuple[int, str | None]] = []
    for section in article.sections:
        named: str | None = None
        if section.heading:
            tokens = tokenize(section.heading)
            keys = {m.concept.id for m in lexicon.scan(tokens, DRUG_KINDS)}
            keys |= {t.norm for t in tokens if t.norm in found.names and _INN_STEM.match(t.norm)}
            keys |= {e.concept.id for t in tokens if (e := lexicon.near(t.norm)) is not None}
            keys &= set(found.names)
            if len(keys) == 1:
                named = next(iter(keys))
            elif 1 < len(keys) <= 4:  # "Side effects of AC (doxorubicin and cyclophosphamide)"
                named = GROUP + "+".join(k for k in found.names if k in keys)
        while stack and stack[-1][0] >= section.level:
            stack.pop()
        inherited = next((k for _, k in reversed(stack) if k), None)
        subject = named or inherited
        if subject:
            out[section.index] = subject
        stack.append((section.level, named or inherited))
    return out


_JOINER = re.compile(
    r"^\s*[)®™]?\s*(?:\([^)]{0,40}\))?\s*(?:,|and|or|&|, and|, or|y|e|o|u|und|oder|et|ou)\s*"
    r"(?:(?:el|la|los|las|der|die|das|le|les|l['’])\s*)?$",
    re.I,
)


_APPOSED = re.compile(r"^\s*(?:treatment|therapy|drug|medicine|medication)?s?\s*,\s*$", re.I)


def _coordinated(unit: Unit, mentions: list[Mention]) -> str:
    """'Both pembrolizumab and nivolumab can cause': the subject is both of them. 'An
    immunosuppressant treatment, Novantrone (mitoxantrone), is approved': the medicine the
    class word describes."""
    if (
        len(mentions) > 1
        and mentions[0].ambiguous
        and not mentions[1].ambiguous
        and _APPOSED.match(unit.text[mentions[0].end - unit.start : mentions[1].start - unit.start])
    ):
        mentions = mentions[1:]
    keys = [mentions[0].key]
    end = mentions[0].end
    for mention in mentions[1:]:
        if mention.key in keys:
            end = max(end, mention.end)
            continue
        if not _JOINER.match(unit.text[end - unit.start : mention.start - unit.start]):
            break
        keys.append(mention.key)
        end = mention.end
    return group_of(keys)


def class_terms(found: Found, lexicon: Lexicon) -> dict[tuple[str, ...], str]:
    """Class words of the medicines an article names ("statin" for simvastatin, pravastatin
    and rosuvastatin), each pointing at the medicines of that class, so that "side effects of
    statins" speaks of all of them. Only classes the lexicon gives the named medicines."""
    members: dict[tuple[str, ...], list[str]] = {}
    for key, mention in found.names.items():
        if mention.concept is None:
            continue
        for words in sorted(_class_words(lexicon, mention.concept.id)):
            if len(words) <= 3:
                members.setdefault(words, []).append(key)
    out = {}
    for words, keys in members.items():
        out[words] = group_of(keys)
    return out


def _singular_norm(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _class_subject(unit: Unit, classes: dict[tuple[str, ...], str]) -> str | None:
    words = [_singular_norm(t.norm) for t in unit.tokens]
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            hit = classes.get(tuple(words[i : i + size]))
            if hit:
                return hit
    return None


def resolve(
    units: list[Unit],
    found: Found,
    main: str | None,
    sections: dict[int, str] | None = None,
    classes: dict[tuple[str, ...], str] | None = None,
    members: dict[str, tuple[str, ...]] | None = None,
) -> None:
    """Set each unit's subject: named in it, pointed at ('It', 'This medicine'), named by its
    class ('statins'), the medicine its section is about, or the article's. `members`: the
    medicines the article names of each class it names; what the text says of the class is
    said of them too."""
    sections = sections or {}
    classes = classes or {}
    members = members or {}
    if main in members:  # a page about a class that names its members
        main = GROUP + "+".join((main, *members[main]))
    previous: dict[int, str | None] = {}
    topic: tuple[tuple[int, int], str] | None = None  # (section, block), medicine
    for idx, unit in enumerate(units):
        mentions = found.per_unit.get(idx)
        by_class = None if mentions else _class_subject(unit, classes)
        if by_class:  # "PPIs" for the proton pump inhibitors named, and their class if named
            named = set(group_members(by_class))
            extra = [k for k, ms in members.items() if set(ms) <= named and k not in named]
            if extra:
                by_class = GROUP + "+".join((*extra, *group_members(by_class)))
        # "H. pylori infection, together with antibiotics": a class word in a list item does
        # not take the item from the medicine its lead-in speaks of
        if (
            unit.lead is not None
            and unit.lead.subject is not None
            and (not mentions or all(m.ambiguous for m in mentions))
        ):
            unit.subject, unit.subject_source = unit.lead.subject, "lead"
        elif by_class:
            unit.subject, unit.subject_source = by_class, "mention"
        elif mentions:
            subject = _coordinated(unit, mentions)
            if subject in members:  # "Statins can cause muscle pain": the class and the
                subject = GROUP + "+".join((subject, *members[subject]))  # statins named
            unit.subject, unit.subject_source = subject, "mention"
        elif _PLURAL.match(unit.text) and main and main.startswith(GROUP):
            unit.subject, unit.subject_source = main, "anaphora"  # "Both medicines...", "They"
        elif _ANAPHORA.match(unit.text) and previous.get(unit.section):
            unit.subject, unit.subject_source = previous[unit.section], "anaphora"
        elif topic is not None and topic[0] == (unit.section, unit.block):
            # "Antacids can have side effects. Magnesium salt can lead to diarrhea": the
            # paragraph goes on about the side effects of the medicine it named
            unit.subject, unit.subject_source = topic[1], "anaphora"
        elif unit.section in sections:
            unit.subject, unit.subject_source = sections[unit.section], "section"
        else:
            unit.subject, unit.subject_source = main, "main"
        if mentions and _RISK_TOPIC.search(unit.text) and unit.subject:
            topic = ((unit.section, unit.block), unit.subject)
        elif topic is not None and topic[0] != (unit.section, unit.block):
            topic = None
        if mentions:
            first = mentions[0].key
            previous[unit.section] = unit.subject if first in members else first
        elif by_class:
            previous[unit.section] = by_class


def tokens_between(tokens: list[Token], start: int, end: int) -> list[Token]:
    return [t for t in tokens if t.start >= start and t.end <= end]
