"""Facts about medicines: indications, side effects, warnings, contraindications, routes,
classes, and the screening questions asked before treatment.

A fact is read only where the text states it: a trigger phrase in the sentence, or a list
whose lead-in ("Side effects include:") or section heading says what its items are. Negated
and hedged statements are skipped. Every Finding points at its phrase and its sentence.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_left, bisect_right
from functools import lru_cache

from ..model import BlockKind, Concept, Finding, FindingKind
from ..terminology import Lexicon, Match, tokenize
from . import coordination, phrases
from .instructions import instructions, states_nothing
from .medications import DRUG_KINDS, Found, Mention, group_of
from .sections import FINDING_OF
from .starts import Gated, Index
from .triggers import (
    CONTINUATION,
    FOR_CONDITION,
    GATED,
    GATED_BEFORE_TREATMENT,
    GATED_HEDGED,
    GATED_MONITORING,
    GATED_NEGATION,
    HAPPENS,
    LIST_LEADS,
    NEGATION,
    TRIGGERS,
)
from .units import Unit, finding, tokens_in

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
_OR_IF = re.compile(r",?\s*\bor\s+(?=(?:if|when) you\b)", re.I)
# what joins the members of a coordination ("hands, feet, ankles or lower legs")
_MEMBER_JOIN = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", re.I)
# "Gabapentin is in a class of medications called anticonvulsants" (MedlinePlus): the sentence
# says the words after "called" are a class, whatever their head
_IN_CLASS_CALLED = re.compile(
    r"\s*(?:\([^)]{0,60}\)\s*)?(?:is|are|belongs to|belong to)\s+(?:also\s+)?(?:in\s+)?"
    r"(?:a|one of (?:a|the))\s+(?:class|group|family|type|kind)\s+of\s+"
    r"(?:medications?|medicines?|drugs?)\s+(?:called|known as)\s+(?:an?\s+)?"
    r"(?P<cls>[A-Za-z][\w ()/-]*?)(?=\s*[.,;:]|\s+(?:that|which|and|it)\b|\s*$)",
    re.I,
)
_DRUG_CLASS_KEY = re.compile(r"^\s*(?:drug|medicine|pharmacologic|therapeutic) class\s*:\s*", re.I)


def objects(
    kind: FindingKind,
    text: str,
    start: int,
    end: int,
    unit: Unit,
    lexicon: Lexicon,
    subject: str | None,
    group: str | None = None,
    index: Index | None = None,
) -> list[Finding]:
    """The facts of `kind` named from `start` on ("... may cause" -> "nausea and headache"):
    the parts of the clause there; `index` is the text's starts.Index, if made."""
    kinds = SCREENING_KINDS if kind is FindingKind.SCREENING else CONDITION_KINDS
    label = phrases.ORGAN_CLASS.match(text, start, end)  # "Immune system disorders: ..."
    if label and kind is not FindingKind.SCREENING:
        start = label.end()
    # "... if you have any of the following: X; Y"
    colon = _COLON.match(text, start, end) or phrases.FOLLOWING.match(text, start, end)
    if colon:
        start = colon.end()
    c_start, c_end = phrases.clause(text, start, end, index)
    if (
        c_end < end
        and text[c_end] == ";"
        and (colon or text[max(0, start - 3) : start].strip() == ":")
    ):
        # "any of the following: changes in heart rate; fever; shortness of breath, ...":
        # after a colon, semicolons part a list; it ends where its sentence does
        stop = _SENTENCE_STOP.search(text, c_end, end)
        c_end = stop.start() if stop else end
    see = phrases.CROSS_REFERENCE.search(text, c_start, c_end)
    if see:
        c_end = see.start()  # "or shivering [see Warnings and Precautions (5.1)]"
    asks_more = None  # where "..., or if you are on hemodialysis" asks one more question
    if kind is FindingKind.SCREENING:
        more = _OR_IF.search(text, c_start, c_end)
        framed = more and phrases.IF_YOU.match(text, more.end(), c_end)
        if more and framed and framed.end() < c_end:
            c_end, asks_more = more.start(), framed.end()
    out: list[Finding] = []
    examples = kind is FindingKind.SCREENING or (
        kind is FindingKind.SIDE_EFFECT and bool(_SYMPTOMS.search(text, c_start, c_end))
    )
    spans = phrases.parts(text, c_start, c_end, split_or=True, examples=examples)
    serious = spans and phrases.SERIOUS.search(text[spans[0][0] : spans[0][1]])
    if kind is FindingKind.WARNING and (serious or _in_warning_section(unit)):
        spans = phrases.parts(text, c_start, c_end, split_or=True, examples=True)
    if kind is FindingKind.SIDE_EFFECT and serious:
        kind = FindingKind.WARNING  # "serious infections, including TB": all of it a warning
        spans = phrases.parts(text, c_start, c_end, split_or=True, examples=True)
    examples_at = (
        _medicine_examples(text, spans, c_start, c_end, lexicon)
        if kind is FindingKind.SCREENING
        else None
    )
    spans, merged = coordination.rejoin(text, spans)
    if (
        len(spans) >= 2
        and coordination.shares_modifier(text, spans[-2], spans[-1])
        and not lexicon.scan(tokens_in(unit, text, *spans[-1]), kinds)
    ):
        spans[-2:] = [(spans[-2][0], spans[-1][1])]
        merged.add(spans[-1])
    for k in range(len(spans) - 2, -1, -1):
        if (
            coordination.modifier_before_head(text, spans[k], spans[k + 1])
            or coordination.shares_vaccine(text, spans[k], spans[k + 1])
            or coordination.shares_difficulty(text, spans[k], spans[k + 1])
            or (
                k == 0  # "laryngospasm, bronchospasm and increased depth of respiration": a list
                and coordination.shares_complement(text, spans[k], spans[k + 1])
                and not lexicon.scan(tokens_in(unit, text, *spans[k]), kinds)
            )
            or (
                coordination.slash_alternative(text, spans[k], spans[k + 1])
                and not lexicon.scan(tokens_in(unit, text, *spans[k + 1]), kinds)
            )
            or _shares_medicine_head(text, spans[k], spans[k + 1])
        ):
            spans[k : k + 2] = [(spans[k][0], spans[k + 1][1])]
            merged.add(spans[k])
    gloss_end = -1  # where the last gloss ended
    # "a tuberculosis skin test, a chickenpox vaccine or ...": when the first part has its
    # article too, ", a" goes on the list instead of glossing the part before it
    listed = bool(spans) and _ARTICLE_BEFORE.search(text, max(0, spans[0][0] - 4), spans[0][0])
    for s, e in spans:
        if out and (
            (not listed and phrases.APPOSITIVE.search(text, max(0, s - 6), s))
            or phrases.GLOSS_LEAD.match(text, s)
            or (gloss_end >= 0 and _OR_AND.match(text, gloss_end, s))
        ):
            # "deep vein thrombosis (DVT), a blood clot in a deep vein": a gloss, and
            # "myopathy, defined as muscle aches or muscle weakness": all of it
            gloss_end = e
            continue
        gloss_end = -1
        phrase = text[s:e]
        if kind is FindingKind.INDICATION and coordination.population_only(phrase):
            continue  # "treatment of hyperactive children who ...": people, not a use
        if kind in _EFFECTS and coordination.state(phrase):
            continue  # "Tell your provider right away if you are pregnant": no effect
        tokens = tokens_in(unit, text, s, e)
        matches = lexicon.scan(tokens, kinds)
        whole = lexicon.whole(matches, tokens)  # lookup(phrase), without a second scan
        if whole is None and kind is FindingKind.SCREENING:
            # "Has your child had a chickenpox vaccine?": asked about the vaccine, not about
            # the disease its name holds
            whole = lexicon.whole(lexicon.scan(tokens, DRUG_KINDS), tokens) or None
        if (
            whole is None
            and kind in _NAMES_NO_MEDICINE
            and (
                lexicon.whole(lexicon.scan(tokens, DRUG_KINDS), tokens)  # lookup(phrase, ...)
                or _medicine_taken(phrase, lexicon)
            )
        ):
            continue  # "adverse reactions have been associated with VEKLURY": not an effect
        one = (s, e) in merged and phrases.acceptable(
            _IN_WHOM.sub("", _GLOSS.sub("", phrase)).replace(",", " "),
            len(_MEMBER_JOIN.findall(phrase)),
        )
        # "lower the risk of stroke in patients with diabetes": what is prevented is the part
        prevented = risk_lowered(phrase) if kind is FindingKind.INDICATION else None
        if (
            one
            or (kind is FindingKind.SCREENING and phrases.CATCH_ALL.fullmatch(phrase))
            or (
                phrases.acceptable(prevented or phrase)
                and (
                    _size(phrase) <= 5
                    or whole
                    or not matches
                    or (kind is FindingKind.INDICATION and _OR_OTHER.match(phrase))
                )
            )
        ):
            same = {m.concept.id for m in matches}
            concept = (
                whole
                or (
                    matches[0].concept
                    if len(same) == 1
                    and not phrases.OTHER_HEAD.search(text, matches[-1].end, e)
                    and (
                        kind is FindingKind.INDICATION
                        or not phrases.MEDICINE_FOR.search(text, s, matches[0].start)
                    )
                    else None
                )
                or _head_concept(phrase, s, matches)
            )
            out.append(finding(escalate(kind, phrase), text, s, e, unit, concept, subject, group))
        elif len(phrase.split()) > 5 and not coordination.names_a_vaccine(phrase):
            # a long clause: only the terms the lexicon knows in it (not the diseases named
            # before a vaccine: 'any other measles, mumps or rubella vaccine')
            who = phrases.PEOPLE_WITH.search(phrase) if kind is FindingKind.INDICATION else None
            if who and phrases.BURDEN.match(phrase) and phrases.acceptable(phrase[who.end() :]):
                # "reduce the frequency of attacks in people with relapsing forms of MS": the
                # condition of the people it is for
                a = s + who.end()
                named = lexicon.lookup(text[a:e], kinds)
                inner = {m.concept.id: m.concept for m in matches if m.start >= a}
                if named is None and len(inner) == 1:
                    named = next(iter(inner.values()))  # "relapsing forms of MS": MS
                out.append(finding(kind, text, a, e, unit, named, subject, group))
                continue
            # "slow long-term kidney damage in people with type 2 diabetes": the use is the
            # damage; the condition of the people it is for is no use of its own
            people = e
            if who and any(m.start < s + who.start() for m in matches):
                people = s + who.start()
            for m in _glossed(text, matches):
                if m.start >= people:
                    continue
                if not phrases._HEDGE.search(text[s : m.start]) and not _modifies(text, m.end, e):
                    out.append(finding(kind, text, m.start, m.end, unit, m.concept, subject, group))
    if examples_at is not None and any(f.span.end <= examples_at for f in out):
        out = [f for f in out if f.span.start < examples_at]
    if asks_more is not None:
        out += objects(kind, text, asks_more, end, unit, lexicon, subject, group, index)
    return _share_lead(text, out) if kind is FindingKind.INDICATION else out


def _medicine_taken(phrase: str, lexicon: Lexicon) -> bool:
    """'statin use', 'LIPITOR therapy': the taking of a medicine (the cause of an effect)."""
    taking = phrases.MEDICINE_USE.search(phrase)
    if taking is None:
        return False
    tokens = tokenize(phrase[: taking.start()])
    # a class that is also a word elsewhere ("statins") is a medicine where it is taken
    return lexicon.whole(lexicon.scan(tokens, DRUG_KINDS, ambiguous=True), tokens) is not None


def _share_lead(text: str, out: list[Finding]) -> list[Finding]:
    """'lower the risk for heart attack, stroke and chest pain': each use after the first
    lowers the risk of it too, and is no use for the condition itself. Its text is the lead's
    words and its own ('lower the risk for stroke'), and it points at both."""
    first = out[0] if out else None
    lead = phrases.LOWERS_RISK.match(first.text) if first else None
    if first is None or lead is None:
        return out
    to = _TO.match(first.text)
    start = first.span.start + (to.end() if to else 0)
    at = dataclasses.replace(first.span, start=start, end=first.span.start + len(lead[0].rstrip()))
    words = text[at.start : at.end]
    return [first] + [
        f
        if f.span.start < first.span.end or _own_lead(f.text)
        else dataclasses.replace(f, text=f"{words} {f.text}", lead=at)
        for f in out[1:]
    ]


def risk_lowered(use: str) -> str | None:
    """What a use lowers the risk of ('Reduce the risk of stroke', 'lower the risk for
    stroke': 'stroke'), or None when it is not worded so."""
    lead = phrases.LOWERS_RISK.match(use)
    return use[lead.end() :] if lead else None


def _own_lead(part: str) -> bool:
    """A part that leads with its own verb ('and treat diabetes', 'to prevent X') or its own
    lowered risk is no object of the lead before it."""
    return bool(
        phrases.LOWERS_RISK.match(part)
        or _TO.match(part)
        or TRIGGERS[FindingKind.INDICATION].match(part)
    )


def _medicine_examples(
    text: str, spans: list[tuple[int, int]], start: int, end: int, lexicon: Lexicon
) -> int | None:
    """Where the medicines named as examples of a group start: 'medicines called HIV protease
    inhibitors, such as ritonavir (Norvir) or indinavir' is one question, about the group,
    when the group is asked about (each example is still a medicine of the article)."""
    at = phrases.examples_from(text, start, end)
    if at is None:
        return None
    rest = [sp for sp in spans if sp[0] >= at]
    if rest and all(lexicon.scan(tokenize(text, *sp), DRUG_KINDS) for sp in rest):
        return at
    return None


@lru_cache(maxsize=1 << 14)  # the same parts come back ("nausea", "headache")
def _size(phrase: str) -> int:
    """The words of a part, less what adds no length to it: "symptoms of X" and "X in adults"
    are as long as X; so is "primary hypercholesterolemia (heterozygous familial and
    nonfamilial)", a gloss in brackets; and "reduce the risk of X"; and "X caused by Y", a
    cause that says which X."""
    bare = phrases.CAUSE.sub("", _GLOSS.sub("", phrases.LOWERS_RISK.sub("", phrase)))
    bare = phrases.PERSISTS.sub("", bare)  # "bleeding that will not stop" is as long as bleeding
    return len(_IN_WHOM.sub("", phrases.SYMPTOMS_OF.sub("", bare)).split())


_MEDICINE_HEAD = re.compile(  # the words of medicine-for's (rules/en/phrases.toml)
    rf"(?:{phrases.MEDICINE_WORD.pattern})\s+(?:for|to treat|against)\s", re.I
)
_JUST_OR_AND = re.compile(r"\s*,?\s*(?:or|and)\s+")


def _shares_medicine_head(text: str, one: tuple[int, int], other: tuple[int, int]) -> bool:
    """'medicines for fungal infections or HIV infection': the second part is what other
    medicines are for, not a condition of its own."""
    return bool(
        _MEDICINE_HEAD.match(text, one[0], one[1])
        and _JUST_OR_AND.fullmatch(text, one[1], other[0])
        and not _MEDICINE_HEAD.match(text, other[0], other[1])
        and len(text[other[0] : other[1]].split()) <= 3
    )


_NEXT_WORD = re.compile(r"\s+[\w-]+")


def _modifies(text: str, at: int, end: int) -> bool:
    """Whether the term ending at `at` only says what kind of test, medicine or disorder the
    word or two after it name ("HIV protease inhibitors", "tuberculosis skin test")."""
    for _ in range(2):
        word = _NEXT_WORD.match(text, at, end)
        if word is None:
            return False
        at = word.end()
        if phrases.OTHER_HEAD.search(text, word.start(), at):
            return True
    return False


def _head_concept(phrase: str, start: int, matches: list[Match]) -> Concept | None:
    """The concept of what a part names before its cause: 'kidney disease caused by type 2
    diabetes' is kidney disease."""
    cause = phrases.CAUSE.search(phrase)
    if cause is None:
        return None
    head = {m.concept.id: m.concept for m in matches if m.end <= start + cause.start()}
    return next(iter(head.values())) if len(head) == 1 else None


def _glossed(text: str, matches: list[Match]) -> list[Match]:
    """Lexicon terms of a long clause, a term and its gloss in brackets as one: 'coronavirus
    disease 2019 (COVID-19) in hospitalized patients' is one fact, not two."""
    out: list[Match] = []
    for m in matches:
        last = out[-1] if out else None
        if (
            last is not None
            and last.concept.id == m.concept.id
            and _GLOSS_GAP.fullmatch(text, last.end, m.start)
            and text.startswith(")", m.end)
        ):
            out[-1] = dataclasses.replace(last, end=m.end + 1)
        else:
            out.append(m)
    return out


_GLOSS_GAP = re.compile(r"\s*\(\s*")
_OR_AND = re.compile(r"\s+(?:or|and)\s+$")  # parts joined without a comma
_COLON = re.compile(r"\s*:\s*")
_ARTICLE_BEFORE = re.compile(r"\b(?:a|an)\s+$", re.I)
_SENTENCE_STOP = re.compile(r"[.!?](?=\s|$)")  # where an item's first sentence ends

_EFFECTS = frozenset({FindingKind.SIDE_EFFECT, FindingKind.WARNING})
# the kinds of a list item read after its framing ("- if you are allergic to X")
FRAMED_ITEM = frozenset({FindingKind.CONTRAINDICATION, FindingKind.SCREENING})
# a use, a side effect or a warning is never a medicine's name
_NAMES_NO_MEDICINE = frozenset(
    {FindingKind.INDICATION, FindingKind.SIDE_EFFECT, FindingKind.WARNING}
)

# "hay fever or other upper respiratory allergies": one fact, a named case and its kind
_OR_OTHER = re.compile(r"^\S+(?: \S+){0,3} (?:or|and) other \S+(?: \S+){0,3}$")

_NEEDS_REFERENCE = (FindingKind.INDICATION, FindingKind.SIDE_EFFECT)
# "Pain relievers are medicines that relieve headaches": the relative clause is the medicine's
_DEFINES = re.compile(
    r"\b(?:is|are)\s+(?:an?\s+)?(?:\w+\s+)?(?:medicines?|drugs?|medications?|treatments?|"
    r"therap(?:y|ies))\s+(?:that|which)\s+(?:\w+\s+){0,2}$",
    re.I,
)
# ... and so is "Losartan is an angiotensin II receptor blocker (ARB) that is used to treat":
# what the medicine named just before "is" is, then what it does (not "Lupus is an autoimmune
# disease that causes joint pain; hydroxychloroquine ...": the disease's doing)
_IS_A_THAT = re.compile(
    r"\s*(?:\([^()]{1,30}\)\s*)?(?:is|are)\s+(?:an?|one of the)\s+(?:[\w'-]+\s+){0,5}"
    r"(?:\([^()]{1,20}\)\s+)?(?:that|which)\s+(?:is\s+|are\s+)?(?:\w+\s+)?$",
    re.I,
)
_IT_IS_A_THAT = re.compile(r"\b(?:it|this medicine|this drug)" + _IS_A_THAT.pattern, re.I)


def _defines_the_medicine(text: str, lo: int, at: int, mentions: list[Mention]) -> bool:
    """The relative clause before a trigger at `at` says what a medicine does: a medicine
    class's own ("medicines that relieve"), or the medicine named just before "is a ... that"
    ("Losartan is an ARB that is used to treat"; "It is ...")."""
    if _DEFINES.search(text, lo, at):
        return True
    for m in mentions:
        if lo <= m.end <= at and _IS_A_THAT.match(text, m.end, at):
            return True
    return bool(_IT_IS_A_THAT.search(text, lo, at))
# ... but "You should know that gabapentin may make you drowsy": "that" after a verb of
# knowing opens what is known, no relative clause
_RELATIVE = re.compile(
    r"(?<!\bknow )(?<!\baware )(?<!\bnote )(?<!\bremember )(?<!\bmeans )(?<!\bshown )"
    r"\b(?:that|which)\s+(?:\w+\s+){0,2}$",
    re.I,
)
_MED_REF = re.compile(
    r"^(?:\W*\w+\W+(?:\w+\W+){0,2}?)?(?:it|this (?:medicine|drug|medication|treatment|injection|"
    r"infusion)|the (?:medicine|drug|medication|injection|infusion|treatment))\b|"
    r"\b(?:side effects?|adverse (?:effects|reactions))\b|"
    r"^\s*(?:route|drug class|brand names?|generic name|(?:common |main )?uses?|"
    r"indications?|side effects?|how (?:it is )?(?:given|taken))\s*:|"
    r"^\s*uses?\s+(?=(?-i:[a-z]))",  # a Drug Facts label run into its text: "Uses relieves"
    re.I,
)


# the kind of finding a section's own sentences state without naming the medicine
_SECTION_OF = {**FINDING_OF, "warning": FindingKind.SIDE_EFFECT}


def _names_the_medicine(text: str, start: int, trigger: int) -> bool:
    """A sentence that names no medicine speaks of the article's medicine only when it says
    so ('It can cause', 'This medicine is used for', 'Side effects include')."""
    return bool(_MED_REF.search(text[start : trigger + 40]))


_IN_WHOM = re.compile(
    r"\s+in (?:adults|children|people|patients|women|men|teenagers|infants|those|individuals)\b.*$",
    re.I,
)
_GLOSS = phrases.GLOSS
_TO = re.compile(r"to\s+", re.I)


def escalate(kind: FindingKind, phrase: str) -> FindingKind:
    """A side effect the text calls serious is a warning."""
    if kind is FindingKind.SIDE_EFFECT and phrases.SERIOUS.search(phrase):
        return FindingKind.WARNING
    return kind


_RUN_ON_REACH = 150  # characters: how far back a run-on text's medicine may be named


class _Nearest:
    """In a run-on text, the medicine named closest before a position, if close enough: of
    the mentions that end within _RUN_ON_REACH before it, the last one listed. Indexed once
    by where mentions end, so each question costs the few mentions in reach, not all."""

    def __init__(self, mentions: list[Mention]) -> None:
        self.mentions = mentions
        self.order = sorted(range(len(mentions)), key=lambda i: mentions[i].end)
        self.ends = [mentions[i].end for i in self.order]

    def __call__(self, at: int) -> str | None:
        lo = bisect_left(self.ends, at - _RUN_ON_REACH)
        hi = bisect_right(self.ends, at)
        return self.mentions[max(self.order[lo:hi])].key if hi > lo else None


Triggers = dict[FindingKind, list[re.Match[str]]]


def _asked_before(
    group: str | None,
    fallback: str | None,
    mentions: list[Mention] | None,
    text: str,
    asked_from: int,
    end: int,
) -> str | None:
    """The therapy a question is asked before: the unit's first medicine, unless it is named
    only in what the question asks about (from `asked_from` to the question's end)."""
    if not mentions or mentions[0].key != group or mentions[0].start < asked_from:
        return group
    stop = _SENTENCE_STOP.search(text, asked_from, end)
    return fallback if mentions[0].start < (stop.end() if stop else end) else group


def _says(gated: Gated, unit: Unit, index: Index) -> bool:
    """gated.pattern.search(unit.text), tried only where one of its rules can start (the
    article's index tells most sentences apart at once)."""
    if not index.may_start(gated, unit.start, unit.end):
        return False
    return gated.search(unit.text, 0, len(unit.text)) is not None


def triggers_in(unit: Unit, text: str, index: Index) -> Triggers:
    """Every kind's trigger phrases in the unit, found once (a run-on text is long); `index`
    is the text's starts.Index."""
    return {kind: g.matches(text, unit.start, unit.end, index) for kind, g in GATED.items()}


def _triggered(
    unit: Unit,
    text: str,
    lexicon: Lexicon,
    group: str | None,
    mentions: list[Mention] | None,
    by_kind: Triggers,
    index: Index,
    fallback: str | None = None,
) -> list[Finding]:
    """The facts of the unit's trigger phrases. `group`: the therapy its screening questions
    come before (its first medicine), `fallback` when that medicine is what is asked about
    ("Does your child take regular aspirin?" is not asked before treatment with aspirin)."""
    out: list[Finding] = []
    run_on = unit.is_run_on
    hedged = not run_on and _says(GATED_HEDGED, unit, index)
    # where a trigger's objects were already read: a byte per character of the unit (within
    # one kind these spans never overlap, so marking them all costs a few passes at most)
    taken = bytearray(unit.end - unit.start)
    nearest = _Nearest(mentions or []) if run_on else None
    # In a run-on text a trigger's objects end before the part that holds the next trigger
    # ('aspirin may cause nausea, ibuprofen may cause headache, ...': 'nausea'); that part and
    # what follows are the next trigger's to read. Each part is read once, not once for every
    # trigger before it (the cost was the square of the text's length).
    # where every trigger phrase of any kind starts, in order
    starts = sorted({m.start() for ms in by_kind.values() for m in ms}) if run_on else []
    opening = len(text) - len(text[unit.start : unit.end].lstrip()) - (len(text) - unit.end)
    for kind, matches in by_kind.items():
        for trig in matches:
            at = trig.start()
            if taken[at - unit.start]:
                continue
            # A sentence is read from its start; a run-on text (its sentence ends lost) only
            # as far back as its medicine may be named, so that its cost stays linear and a
            # 'not' pages before does not negate what follows.
            lo = max(unit.start, at - _RUN_ON_REACH) if run_on else unit.start
            if GATED_NEGATION.search(text, lo, at, index):
                continue
            if kind in (FindingKind.SIDE_EFFECT, FindingKind.INDICATION) and (
                GATED_HEDGED.search(text, lo, at, index) if run_on else hedged
            ):
                continue
            if nearest is not None:  # sentence ends lost: only a medicine named just before
                subject = nearest(at)
            else:
                subject = _clause_subject(unit, text, mentions or [], at)
            if kind is not FindingKind.SCREENING and subject is None:
                continue
            if (
                unit.subject_source in ("main", "section")
                and kind in _NEEDS_REFERENCE
                and not _names_the_medicine(text, lo, at)
                # under "Uses", a sentence that starts with its verb ("temporarily relieves");
                # under "Warnings", one that starts with the signs of its reaction
                and not (_SECTION_OF.get(unit.section_kind or "") is kind and opening >= at)
            ):
                continue
            if (
                kind in _NEEDS_REFERENCE
                and _RELATIVE.search(text, lo, at)
                and not _defines_the_medicine(text, lo, at, mentions or [])
            ):
                continue  # "the immune system that causes pain": not the medicine's doing
            if kind in _EFFECTS and lexicon.lookup(
                phrases.subject_before(text, lo, at), CONDITION_KINDS
            ):
                continue  # "Pertussis can cause violent coughing": the disease's doing
            if kind is FindingKind.SIDE_EFFECT and _in_warning_section(unit):
                kind = FindingKind.WARNING  # "What serious side effects can X cause?"
            end = unit.end
            if starts:
                following = bisect_left(starts, trig.end())
                if following < len(starts):
                    after = starts[following + 1] if following + 1 < len(starts) else unit.end
                    end = phrases.before_part(text, trig.end(), starts[following], after)
            found = objects(
                kind,
                text,
                trig.end(),
                end,
                unit,
                lexicon,
                subject,
                _asked_before(group, fallback, mentions, text, trig.end(), unit.end)
                if kind is FindingKind.SCREENING
                else None,
                index,
            )
            if found:
                stop = min(max(f.span.end for f in found), unit.end) - unit.start
                taken[at - unit.start : stop] = b"\x01" * (stop - (at - unit.start))
            out += found
    return out


# "Montelukast is used to:" / "- prevent asthma symptoms": the lead-in's verb is in the item
_USED_TO = re.compile(r"\b(?:used|prescribed|given|taken|helps?|approved)\s+to\s*:\s*$", re.I)
_ITEM_VERB = re.compile(
    r"^\s*(?:treat|prevent|relieve|control|manage|lower|reduce|ease)\s+"
    r"(?:(?:the )?(?:risk|symptoms|chance|signs) of\s+)?",
    re.I,
)


# "- Nasal decongestants - unclog a stuffy nose": a medicine, a dash, and what it is for
_DASH_USE = re.compile(
    r"^\W{0,3}[^–—-]{2,60}?\s[–—-]\s+(?:unclog|quiet|loosen|stop|ease|relieve|treat|prevent|"
    r"reduce|lower|control|calm|clear|soothe|dry up)s?\s+(?:a |an |the |your )?",
    re.I,
)


def _dash_use(unit: Unit, text: str, lexicon: Lexicon, mentions: list[Mention]) -> list[Finding]:
    match = _DASH_USE.match(unit.text)
    if match is None or not mentions or mentions[0].start - unit.start > 4:
        return []
    start = unit.start + match.end()
    return objects(FindingKind.INDICATION, text, start, unit.end, unit, lexicon, mentions[0].key)


def _used_to(unit: Unit, text: str, lexicon: Lexicon) -> list[Finding]:
    if unit.lead is None or unit.subject is None or not _USED_TO.search(unit.lead.text):
        return []
    verb = _ITEM_VERB.match(unit.text)
    if verb is None:
        return []
    start = unit.start + verb.end()
    return objects(FindingKind.INDICATION, text, start, unit.end, unit, lexicon, unit.subject)


# "Spasticity, which ..., is usually treated with baclofen and tizanidine": the condition is
# the subject, the medicines come after the passive verb
_TREATED_WITH = re.compile(
    r"^(?P<np>[^,.;:]{3,80}?)(?:,\s*(?:which|that|a|an)\b[^;:]{0,200}?,)?\s+"
    r"(?:is|are|can be|may be|should be|is often|are often)\s+"
    r"(?:usually |often |commonly |typically |generally |also |best |mainly |first )?"
    r"(?:treated|managed|controlled|relieved|eased|prevented)\s+(?:with|by|using)\b",
    re.I,
)


def _treated_with(
    unit: Unit, text: str, lexicon: Lexicon, mentions: list[Mention]
) -> list[Finding]:
    match = _TREATED_WITH.match(unit.text)
    if match is None or NEGATION.search(unit.text, 0, match.end()):
        return []
    return _condition_of_listed(unit, match, text, lexicon, mentions)


def _condition_of_listed(
    unit: Unit, match: re.Match[str], text: str, lexicon: Lexicon, mentions: list[Mention]
) -> list[Finding]:
    """The condition the match names (group `np`) is the use of the medicines named after it."""
    after = [m for m in mentions if m.start >= unit.start + match.end() and not m.brand]
    keys = list(dict.fromkeys(m.key for m in after))
    if not keys:
        return []
    start, end = unit.start + match.start("np"), unit.start + match.end("np")
    return objects(FindingKind.INDICATION, text, start, end, unit, lexicon, group_of(keys))


# "Other drugs that may reduce fatigue in some patients include amantadine and pemoline"
_DRUGS_THAT = re.compile(
    r"\b(?:drugs|medicines|medications|treatments)\s+(?:that|which)\s+(?:may |can |might |"
    r"also |often )*(?:reduce|treat|relieve|ease|help(?: with)?|prevent|control|lower)s?\s+"
    r"(?P<np>[^,.;:]{3,60}?)(?:\s+in\s+[^.;:]{0,40}?)?(?:,[^.;:]{0,40},)?\s+include\b",
    re.I,
)


def _drugs_that(unit: Unit, text: str, lexicon: Lexicon, mentions: list[Mention]) -> list[Finding]:
    match = _DRUGS_THAT.search(unit.text)
    if match is None or NEGATION.search(unit.text, 0, match.start("np")):
        return []
    return _condition_of_listed(unit, match, text, lexicon, mentions)


def _for_condition(unit: Unit, text: str, lexicon: Lexicon) -> list[Finding]:
    """'For HER2-positive breast cancer, trastuzumab is added': an indication stated first."""
    match = FOR_CONDITION.match(unit.text)
    if match is None or NEGATION.search(unit.text):
        return []
    group = next(g for g in ("np", "np2", "np3") if match.group(g) is not None)
    start, end = unit.start + match.start(group), unit.start + match.end(group)
    return objects(FindingKind.INDICATION, text, start, end, unit, lexicon, unit.subject)


def _happens(unit: Unit, text: str, lexicon: Lexicon) -> list[Finding]:
    """'Serious infections, including TB, can happen.': a risk named before its verb."""
    match = HAPPENS.match(unit.text)
    if match is None:
        return []
    group = "np" if match.group("np") is not None else "np2"
    start = unit.start + match.start(group)
    end = unit.start + match.end(group)
    if (
        unit.subject_source == "main"
        and _MED_REF.search(text[start:end]) is None
        and not (
            _in_warning_section(unit)
            or unit.section_kind == "side-effect"  # "Tachycardia has been reported."
            or phrases.SERIOUS.search(text[start:end])
        )
    ):
        return []
    warning = _in_warning_section(unit) or phrases.DEADLY.search(unit.text)
    kind = FindingKind.WARNING if warning else FindingKind.SIDE_EFFECT
    return objects(kind, text, start, end, unit, lexicon, unit.subject)


def _kind_of_trigger(unit: Unit, by_kind: Triggers) -> FindingKind | None:
    for kind in (FindingKind.SIDE_EFFECT, FindingKind.WARNING):
        if by_kind[kind]:
            return FindingKind.WARNING if _in_warning_section(unit) else kind
    return None


def _in_warning_section(unit: Unit) -> bool:
    return unit.section_kind == "warning"


# the kinds of fact a typed section's list items are, without a trigger of their own
_LIST_FACTS = frozenset(
    {
        FindingKind.INDICATION,
        FindingKind.SIDE_EFFECT,
        FindingKind.WARNING,
        FindingKind.CONTRAINDICATION,
        FindingKind.SCREENING,
    }
)


def _section_fact(unit: Unit) -> FindingKind | None:
    kind = FINDING_OF.get(unit.section_kind or "")
    return kind if kind in _LIST_FACTS else None


_FREQUENCY = re.compile(
    r"^(?:very |less |more )?(?:common|uncommon|rare|frequent|not known)\b|\bmay affect\b|"
    r"\bup to \d+ in \d+",
    re.I,
)


# "flu-like symptoms, such as fever and chills": the examples are side effects too
_SYMPTOMS = re.compile(r"\b(?:symptoms|reactions),?\s+(?:such as|including|like)\b", re.I)
_INCLUDES = re.compile(r"\b(?:may|can|might|could) include\b|\binclude:?\s*$", re.I)


# "... in adults who have risk factors such as:": the list names risk factors, whatever the
# lead-in said before them
_RISK_FACTORS = re.compile(r"\brisk factors?\b[^.:;]{0,40}:?\s*$", re.I)
# "... if the following findings are present:": the list holds criteria, not facts
_CRITERIA = re.compile(
    r"\b(?:following|these) (?:findings|criteria|conditions)\b[^.:;]{0,30}"
    r"\b(?:are|is) (?:present|met)\s*:?\s*$",
    re.I,
)


def _list_kind(
    unit: Unit, lead_kinds: dict[int, tuple[bool, FindingKind | None]]
) -> FindingKind | None:
    """What the items of a list are; `lead_kinds` keeps what each lead-in says (read once,
    not once per item: a long lead-in over many items cost the square of its length)."""
    if unit.lead is None:
        return _section_fact(unit)
    if id(unit.lead) not in lead_kinds:
        lead_kinds[id(unit.lead)] = _lead_says(unit.lead)
    decided, kind = lead_kinds[id(unit.lead)]
    return kind if decided else _section_fact(unit)


def _lead_says(first: Unit) -> tuple[bool, FindingKind | None]:
    """(True, the kind or None) when a lead-in (or the chain of items above a nested list)
    says what its items are or that they are nothing; (False, None) to leave it to the
    section."""
    lead: Unit | None = first
    if _RISK_FACTORS.search(first.text) or _CRITERIA.search(first.text):
        return True, None
    while lead is not None:
        for kind, pattern in LIST_LEADS:
            if pattern.search(lead.text + " ") or pattern.search(lead.text.rstrip(":; ") + " "):
                return True, kind
        if lead.kind is not BlockKind.ITEM and not (
            _FREQUENCY.search(lead.text) or _INCLUDES.search(lead.text)
        ):
            return True, None  # a lead-in that says nothing about its list
        if lead.kind is not BlockKind.ITEM:
            break  # "Common (may affect up to 1 in 10 people):": the section says what
        lead = lead.lead  # a nested list under "- relieves aches due to:" inherits its kind
    return False, None


def facts(
    units: list[Unit],
    found: Found,
    text: str,
    lexicon: Lexicon,
    main: str | None,
    index: Index | None = None,
) -> list[Finding]:
    """Every fact the units state; `index` is the text's starts.Index (made here if not
    given)."""
    out: list[Finding] = []
    context: dict[int, str | None] = {}
    last_kind: FindingKind | None = None
    lead_kinds: dict[int, tuple[bool, FindingKind | None]] = {}  # per lead-in (its id)
    index = Index(text) if index is None else index
    for idx, unit in enumerate(units):
        mentions = found.per_unit.get(idx, [])
        if unit.lead is None and _says(GATED_BEFORE_TREATMENT, unit, index):
            context[unit.section] = mentions[0].key if mentions else unit.subject
        group = mentions[0].key if mentions else context.get(unit.section, main)
        # what _triggered reads the unit with; `fallback`: see _asked_before
        reading = (unit, text, lexicon, group, mentions)
        fallback = context.get(unit.section, main)
        if unit.kind is BlockKind.HEADING and unit.text.rstrip().endswith("?"):
            # a form's health question set as a heading: "Does your child have asthma?"
            out += [
                f
                for f in _triggered(*reading, triggers_in(unit, text, index), index, fallback)
                if f.kind is FindingKind.SCREENING
            ]
            continue
        if (
            unit.kind is BlockKind.ROW
            or unit.kind is BlockKind.HEADING
            or unit.is_credit_link
            or unit.is_caption
        ):
            continue  # tables.py reads rows column by column; headings state no facts
        if unit.kind is BlockKind.ITEM:
            kind = _list_kind(unit, lead_kinds)
            framed = phrases.IF_YOU.match(text, unit.start, unit.end)
            if (
                kind is None
                and framed
                and unit.lead is not None
                and phrases.DO_NOT_LEAD.search(unit.lead.text)
            ):
                kind = FindingKind.CONTRAINDICATION  # "Do not take X: - if you are ..."
            own = (
                _triggered(*reading, triggers_in(unit, text, index), index, fallback)
                or _used_to(unit, text, lexicon)
                or _dash_use(unit, text, lexicon, mentions)
            )
            said = (
                instructions(unit, text, unit.subject, "en")
                if kind is FindingKind.WARNING and unit.subject and _in_warning_section(unit)
                else []
            )
            answers = own or said
            out += answers
            # what the item says in its own words may come after it answers its lead-in
            # ("are pregnant or planning to become pregnant. LIPITOR may harm your unborn
            # baby."): its first sentence still does
            first_end = unit.end
            if answers:
                stop = _SENTENCE_STOP.search(text, unit.start, unit.end)
                first_end = stop.start() if stop else unit.end
            if (
                (
                    not answers
                    or (
                        all(f.span.start >= first_end for f in answers)
                        # "VIAGRA contains sildenafil, ...": about a medicine, no answer
                        and not any(m.start < first_end for m in mentions)
                    )
                )
                and kind is not None
                and (unit.subject or kind is FindingKind.SCREENING)
                and not states_nothing(unit, text, "en")
            ):
                if unit.lead is not None and (
                    # "Haloperidol should be administered cautiously to patients: - receiving
                    # anticoagulants": the question is the medicine's its lead-in names, not
                    # the one it asks about
                    (kind is FindingKind.SCREENING and unit.lead.subject_source == "mention")
                    or _says(GATED_BEFORE_TREATMENT, unit.lead, index)
                ):
                    group = unit.lead.subject or group
                elif kind is FindingKind.SCREENING and unit.lead is not None and mentions:
                    # "Tell your doctor if you have ever had: - an electrolyte imbalance (such
                    # as high levels of potassium)": a medicine the item names is asked about;
                    # the form is still before the article's therapy
                    group = unit.lead.subject or fallback
                start = unit.start
                who = phrases.PEOPLE_WITH.search(text, unit.start, unit.end)
                if (
                    kind is FindingKind.INDICATION
                    and who
                    and not lexicon.scan(
                        tokens_in(unit, text, unit.start, who.start()), CONDITION_KINDS
                    )
                ):
                    # "to reduce total-C and LDL-C in patients with homozygous familial
                    # hypercholesterolemia": the use is for the condition of those patients
                    start = who.end()
                subject = unit.subject
                if framed and start == unit.start and kind in FRAMED_ITEM:
                    start = framed.end()  # "- if you are allergic to X": "allergic to X"
                taking = phrases.TAKING.match(text, start, first_end)
                if taking and kind in FRAMED_ITEM:
                    # "Do not take VIAGRA if you: - take medicines called nitrates": what is
                    # taken is the answer, not the taking, and the medicine it rules out is
                    # the lead-in's, not the one taken
                    start = taking.end()
                    if (
                        kind is FindingKind.CONTRAINDICATION
                        and unit.lead is not None
                        and unit.lead.subject_source == "mention"
                        and unit.lead.subject
                    ):
                        subject = unit.lead.subject
                out += objects(
                    kind,
                    text,
                    start,
                    first_end,
                    unit,
                    lexicon,
                    subject,
                    group if kind is FindingKind.SCREENING else None,
                    index,
                )
        else:
            found_here = triggers_in(unit, text, index)
            own = _triggered(*reading, found_here, index, fallback)
            if unit.is_run_on:
                out += own
                continue  # nothing else is read from a run-on text
            if not own and unit.subject and not _says(GATED_HEDGED, unit, index):
                own = _happens(unit, text, lexicon)
            if not own and unit.subject and _in_warning_section(unit):
                own = instructions(unit, text, unit.subject, "en")
            if unit.subject_source == "mention":
                own += _for_condition(unit, text, lexicon)
                own += _treated_with(unit, text, lexicon, mentions)
                own += _drugs_that(unit, text, lexicon, mentions)
            cont = CONTINUATION.match(unit.text)
            if not own and cont and last_kind is not None and unit.subject:
                own = objects(
                    last_kind, text, unit.start + cont.end(), unit.end, unit, lexicon, unit.subject
                )
            out += own
            last_kind = _kind_of_trigger(unit, found_here) if unit.lead is None else None
        out += _routes(unit, lexicon, text, index, mentions)
        out += _monitoring(unit, text, index)
        out += _classes(unit, mentions, text)
    return out


def _clause_subject(unit: Unit, text: str, mentions: list[Mention], at: int) -> str | None:
    """'Antihistamines may help; also, capsaicin cream may relieve itching': after a
    semicolon, the medicines named in that clause are what it speaks of."""
    cut = text.rfind(";", unit.start, at)
    if cut < 0:
        return unit.subject
    named = [m for m in mentions if cut < m.start < at and not m.brand]
    if not named:
        return unit.subject
    return group_of(list(dict.fromkeys(m.key for m in named)))


def _routes(
    unit: Unit, lexicon: Lexicon, text: str, index: Index, mentions: list[Mention] | None = None
) -> list[Finding]:
    if unit.subject is None:
        return []
    out = []
    for m in lexicon.scan(unit.tokens, ROUTE_KINDS):
        if GATED_NEGATION.search(text, unit.start, m.start, index):
            continue
        if _QUOTE_OPEN.search(text, max(unit.start, m.start - 32), m.start) and _QUOTE_CLOSE.match(
            text, m.end
        ):
            continue  # 'a diuretic or "water pill"': a quoted name, no route
        if unit.subject_source == "main" and not _names_the_medicine(text, unit.start, m.start):
            continue
        subject = _clause_subject(unit, text, mentions or [], m.start)
        # "the oral typhoid vaccine", "intravenous methylprednisolone": the route word is the
        # name's own adjective
        subject = next(
            (
                x.key
                for x in mentions or []
                if x.start >= m.end and not text[m.end : x.start].strip()
            ),
            subject,
        )
        end = route_end(text, m.end, unit.end)
        out.append(finding(FindingKind.ROUTE, text, m.start, end, unit, m.concept, subject))
    return out


_QUOTE_OPEN = re.compile(r"[\"“‘][^\"“”‘’.;:]{0,30}$")
_QUOTE_CLOSE = re.compile(r"s?[\"”’]")
# "intravenous (IV) infusion": an abbreviation inside the route's wording stays in its text
_GLOSSED_ROUTE = re.compile(r"\s*\([A-Z]{2,4}\)\s+(?:infusion|injection|drip)\b")


def route_end(text: str, end: int, limit: int) -> int:
    glossed = _GLOSSED_ROUTE.match(text, end, limit)
    return glossed.end() if glossed else end


def _monitoring(unit: Unit, text: str, index: Index) -> list[Finding]:
    """Tests during treatment; a test before treatment is screening, not monitoring."""
    if unit.subject is None or unit.kind is BlockKind.ROW:
        return []
    if _says(GATED_BEFORE_TREATMENT, unit, index) or unit.section_kind == "screening":
        return []
    out = []
    for match in GATED_MONITORING.finditer(text, unit.start, unit.end, index):
        if GATED_NEGATION.search(text, unit.start, match.start(), index):
            continue
        start, end = phrases.clause(text, match.start(), match.end(), index)
        if end > start:
            out.append(finding(FindingKind.MONITORING, text, start, end, unit, None, unit.subject))
    return out


def _classes(unit: Unit, mentions: list[Mention], text: str) -> list[Finding]:
    out = []
    key_value = _DRUG_CLASS_KEY.match(unit.text)
    if key_value and unit.subject:
        start = unit.start + key_value.end()
        end = unit.end - (len(unit.text) - len(unit.text.rstrip(" .")))
        out.append(finding(FindingKind.DRUG_CLASS, text, start, end, unit, None, unit.subject))
    for mention in mentions:
        if mention.brand:
            continue
        match = _IN_CLASS_CALLED.match(text, mention.end, unit.end)
        if match is None:
            match = _IS_A.match(text, mention.end, unit.end)
            if match and not _CLASS_HEADS.search(match.group("cls").strip()):
                match = None
        if match:
            cls = match.group("cls").strip()
            start = match.start("cls")
            out.append(
                finding(
                    FindingKind.DRUG_CLASS, text, start, start + len(cls), unit, None, mention.key
                )
            )
            break
    return out
