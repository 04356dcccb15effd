"""Extraction: Article -> Extraction (medicines and what the text says about them)."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import replace

from ..model import Article, Extraction, Finding, FindingKind, Medication, SectionYield, Span
from ..terminology import Lexicon, normalize
from . import medications, questions, sections, structure, units
from .facts import facts, risk_lowered
from .phrases import GLOSS
from .starts import Index
from .tables import table_facts

_BY_KIND = {
    FindingKind.INDICATION: "indications",
    FindingKind.SIDE_EFFECT: "side_effects",
    FindingKind.WARNING: "warnings",
    FindingKind.CONTRAINDICATION: "contraindications",
    FindingKind.ROUTE: "routes",
    FindingKind.DRUG_CLASS: "classes",
    FindingKind.MONITORING: "monitoring",
}


# what a medicine must carry for an 'ambiguous'-tier name (a class word, a vitamin) to stand
_DISCUSSED = 3  # mentions (each with a medicine cue) that make a class word a subject itself
_OWN_FACTS = ("indications", "side_effects", "warnings", "contraindications", "routes")


_QUIET_KINDS = frozenset({FindingKind.INDICATION})  # an overdose section names effects


def _short_heading(heading: str | None) -> bool:
    """A heading of a few words ("Dosage", "How to store it"), not a line of capitals that
    a boxed warning broke into ("FEW MONTHS OF TREATMENT OR AFTER A DOSE CHANGE. FAMILY")."""
    return heading is not None and len(heading.split()) <= 6 and not heading.rstrip().endswith(".")


def _key(finding: Finding) -> str:
    if finding.kind is FindingKind.ROUTE and finding.concept:
        return finding.concept.id  # "intravenous (IV) infusions" names one route
    return normalize(finding.text)


def _keys(finding: Finding, lexicon: Lexicon) -> tuple[str, ...]:
    """What makes a fact the same as one already kept: its words, and for a use the concept
    it names when its words name nothing more. "Reduce the risk of stroke" (a label's uses)
    and "lower the risk for stroke" (its leaflet) are one use, as are "erectile dysfunction"
    and "erectile dysfunction (ED)"; a lowered risk of more than a concept is keyed by what it
    prevents."""
    key = _key(finding)
    if finding.kind is not FindingKind.INDICATION:
        return (key,)
    prevented = risk_lowered(finding.text)
    if prevented is None:
        kind, named = "use", GLOSS.sub("", finding.text)
    else:
        kind, named = "risk-of", prevented
    if finding.concept and lexicon.lookup(named) == finding.concept:
        return key, f"{kind}|{finding.concept.id}"
    return (key,) if prevented is None else (key, f"risk-of|{normalize(prevented)}")


def extract(article: Article, lexicon: Lexicon) -> Extraction:
    types = sections.classify(article)
    cut = units.cut(article, [t.kind for t in types])
    labels = structure.labels_of(cut, article.text, article.language)
    found = medications.without(
        medications.find(cut, lexicon, article.text, article.language),
        structure.ingredient_units(cut, labels)
        | structure.reading_list_units(cut)
        | units.citation_units(cut),
    )
    main = medications.main_subject(found, article.title, lexicon)
    if main is None and article.products:
        main = medications.product_subject(found, article.products)
    found = medications.fold_classes(found, main, lexicon)
    medications.resolve(
        cut,
        found,
        main,
        medications.section_subjects(article, found, lexicon),
        medications.class_terms(found, lexicon),
        medications.class_members(found, lexicon),
    )
    index = Index(article.text)  # where each trigger rule may start, found once
    if article.language.split("-")[0].lower() == "en":
        findings = facts(cut, found, article.text, lexicon, main, index) + table_facts(
            cut, found, article.text, lexicon
        )
    else:
        # The trigger phrases are English: in other languages only structure (typed sections,
        # label/value lines) is read, so no fact is invented from patterns that do not fit.
        findings = []
    shaped = structure.structured(
        cut,
        article.text,
        lexicon,
        article.language,
        types,
        findings,
        main,
        labels,
        frozenset(found.per_unit),
        index,
    )
    findings += shaped.findings
    findings += structure.heading_conditions(cut, found, article.text, lexicon, article.language)
    findings += structure.condition_medicines(cut, found, article.text, lexicon, article.language)
    findings += structure.screened(findings)
    for brand in shaped.brands:
        known = found.brands.setdefault(brand.key, [])
        if all(b.start != brand.start for b in known):
            known.append(brand)
        if brand.key not in found.names and brand.key in medications.group_members(brand.key):
            found.names.setdefault(brand.key, brand)
    # a dosing, storage or ingredients section states no use or effect ("must be diluted prior
    # to intravenous infusion", "infusion volumes less than 50 mL")
    quiet = {
        i
        for i, t in enumerate(types)
        if t.kind in sections.NO_FACTS
        and ((t.rule or "").startswith("code:") or _short_heading(article.sections[i].heading))
    }
    silent = {i for i, t in enumerate(types) if t.kind in sections.SILENT}
    mechanism = {i for i, t in enumerate(types) if t.kind in sections.NO_EFFECTS}
    # the names of the label's own products (SPL), once: see _another_products_use
    own_names = (
        {normalize(n) for p in article.products for n in (p.name, p.generic) if n}
        if article.products
        else None
    )
    findings = [
        f
        for f in findings
        if (f.kind not in _QUIET_KINDS or f.span.section not in quiet)
        and f.span.section not in silent
        and (f.kind not in sections.EFFECT_KINDS or f.span.section not in mechanism)
        and not _another_products_use(f, own_names, cut, found)
    ]
    consumed = {
        normalize(article.text[f.span.start : f.span.end])
        for f in findings
        if f.kind is FindingKind.DRUG_CLASS
    }
    mentions_of: dict[str, list[medications.Mention]] = {}  # every mention, by medicine
    for ms in found.per_unit.values():
        for m in ms:
            mentions_of.setdefault(m.key, []).append(m)
    meds: list[Medication] = []
    keys_of: dict[int, tuple[str, ...]] = {}  # each fact's dedup keys (findings live on)
    for key, first in found.names.items():
        mentioned = mentions_of.get(key, [])
        name = _finding_for(_product_named(first, mentioned, article.text), article, cut, found)
        if (
            first.concept
            and first.concept.kind == "drug-class"
            and any(
                normalize(article.text[m.start : m.end]) in c for c in consumed for m in mentioned
            )
        ):
            continue  # only ever named as another medicine's class
        grouped: dict[str, list[Finding]] = {v: [] for v in _BY_KIND.values()}
        seen: set[tuple[str, str]] = set()
        for f in findings:
            if f.subject is None or key not in medications.group_members(f.subject):
                continue
            if f.kind not in _BY_KIND:
                continue
            if id(f) not in keys_of:  # a fact of a group is asked once per member
                keys_of[id(f)] = _keys(f, lexicon)
            markers = [(_BY_KIND[f.kind], k) for k in keys_of[id(f)]]
            if not any(marker in seen for marker in markers):
                seen.update(markers)
                grouped[_BY_KIND[f.kind]].append(f)
        brands: list[Finding] = []
        for b in found.brands.get(key, []):
            if all(normalize(x.text) != normalize(b.brand or "") for x in brands):
                brands.append(_brand_finding(b, article, cut))
        if (
            first.concept is not None
            and lexicon.tier(first.concept.id) == "ambiguous"
            and key not in medications.group_members(main or "")
            and not brands
            and not any(grouped[k] for k in _OWN_FACTS)
            # a class word the article keeps coming back to ("insulin", "antacids", "NSAIDs"),
            # or says works for patients ("steroids can reduce the attacks"), is what the
            # article discusses
            and len(mentioned) < _DISCUSSED
            and not any(m.discussed for m in mentioned)
        ):
            continue  # a class word or dual-use name the article says nothing about
        meds.append(
            Medication(
                key=key,
                name=name,
                other_names=_other_names(mentioned, name, article, cut, found),
                concept=first.concept,
                brands=tuple(brands),
                **{k: tuple(v) for k, v in grouped.items()},
            )
        )
    screening: list[Finding] = []
    asked: set[tuple[str, str]] = set()
    for f in findings:
        if f.kind is FindingKind.SCREENING:
            question = questions.question_of(article.text, f)
            # a topic once per question: "Has your child been diagnosed with asthma?" and
            # "Has your child ever been admitted to intensive care because of their asthma?"
            # are two questions of a form; a statement ("tell your doctor if you have
            # asthma") is asked once however often the article says it
            topic = (_key(f), _question_words(article.text, question))
            if topic not in asked:
                asked.add(topic)
                screening.append(f if question is None else replace(f, question=question))
    facts_all = [m.name for m in meds] + [
        f
        for m in meds
        for f in (*m.indications, *m.side_effects, *m.warnings, *m.contraindications, *m.classes)
    ]
    unmapped = tuple(f for f in (*facts_all, *screening) if f.concept is None)
    per_section: dict[int, int] = {}
    for f in (*facts_all, *screening, *(f for m in meds for f in (*m.routes, *m.brands))):
        if f.kind is not FindingKind.MEDICATION:
            per_section[f.sentence.section] = per_section.get(f.sentence.section, 0) + 1
    yields = tuple(
        SectionYield(
            index=t.index,
            heading=article.sections[t.index].heading,
            kind=t.kind,
            facts=per_section.get(t.index, 0),
        )
        for t in types
        # typed by its own heading (not inherited), as a kind that states facts
        if t.rule is not None and t.kind in sections.FINDING_OF
    )
    return Extraction(
        medications=tuple(meds), screening=tuple(screening), unmapped=unmapped, sections=yields
    )


def _unit_of(cut: list[units.Unit], start: int) -> units.Unit:
    return next(u for u in cut if u.start <= start < u.end)


def _finding_for(
    m: medications.Mention, article: Article, cut: list[units.Unit], found: medications.Found
) -> Finding:
    unit = _unit_of(cut, m.start)
    kind = FindingKind.BRAND if m.brand else FindingKind.MEDICATION
    return Finding(
        kind=kind,
        text=article.text[m.start : m.end],
        span=Span(section=unit.section, start=m.start, end=m.end),
        sentence=unit.span,
        concept=m.concept,
        subject=m.key,
    )


def _question_words(text: str, question: Span | None) -> str:
    return (
        "" if question is None else normalize(" ".join(text[question.start : question.end].split()))
    )


def _another_products_use(
    f: Finding, own: set[str] | None, cut: list[units.Unit], found: medications.Found
) -> bool:
    """In a product's own label (SPL: its products are known), a use stated for another
    product with the same ingredient is that product's, not the label medicine's: VIAGRA's
    label says "REVATIO is used to treat a rare disease called pulmonary arterial hypertension"
    and "Sildenafil is also marketed as REVATIO for the treatment of PAH". The name nearest
    before the use is a brand the label's products (`own`, their names; None: no products
    known) do not carry."""
    if f.kind is not FindingKind.INDICATION or f.subject is None or own is None:
        return False
    i = bisect_right(cut, f.span.start, key=lambda u: u.start) - 1
    before = [m for m in found.per_unit.get(i, []) if m.end <= f.span.start]
    if not before or before[-1].brand is None:
        return False
    nearest = before[-1]
    return normalize(nearest.brand or "") not in own and nearest.key in medications.group_members(
        f.subject
    )


# "flu vaccination", "MMR immunisation": the act of giving a vaccine, not the medicine
_ACT_NAME = re.compile(r"\b(?:vaccinations?|immuni[sz]ations?|Impfung(?:en)?|vacunaci[oó]n)$", re.I)


def _product_named(
    first: medications.Mention, mentioned: list[medications.Mention], text: str
) -> medications.Mention:
    """The mention that names a medicine: the first one, unless it names the act of giving it
    ("Do you agree to your child having the flu vaccination?") and the article also names the
    product ("the alternative flu injection"): a MedicationKnowledge is the vaccine."""
    if first.brand or not _ACT_NAME.search(text[first.start : first.end]):
        return first
    for m in mentioned:
        if not m.brand and not m.heading and not _ACT_NAME.search(text[m.start : m.end]):
            return m
    return first


def _wording(text: str) -> str:
    """A name's wording, whatever its case, plural or curly quotes: "Insulins" is "insulin"."""
    word = normalize(" ".join(text.split()))
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _other_names(
    mentioned: list[medications.Mention],
    name: Finding,
    article: Article,
    cut: list[units.Unit],
    found: medications.Found,
) -> tuple[Finding, ...]:
    """The other wordings the article uses for a medicine, in order of first use ("4-AP" and
    "aminopyridine" for dalfampridine, "paracetamol" beside "acetaminophen"); brands apart."""
    seen = {_wording(name.text)}
    out: list[Finding] = []
    for m in mentioned:
        wording = _wording(article.text[m.start : m.end])
        if m.brand or m.heading or wording in seen:
            continue
        seen.add(wording)
        out.append(_finding_for(m, article, cut, found))
    return tuple(out)


def _brand_finding(m: medications.Mention, article: Article, cut: list[units.Unit]) -> Finding:
    unit = _unit_of(cut, m.start)
    return Finding(
        kind=FindingKind.BRAND,
        text=m.brand or article.text[m.start : m.end],
        span=Span(section=unit.section, start=m.start, end=m.end),
        sentence=unit.span,
        concept=m.concept,
        subject=m.key,
    )
