"""Object phrases: what follows a trigger ("used to treat X, Y and Z"), split into parts.

Every part keeps its offsets into the article text. Generic heads ("other diseases"), hedged
parts ("possibly suicide") and parts that read as clauses are dropped, never guessed at.
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import rules
from .starts import Gated, Index

# The language's wording is the rules of rules/<lang>/phrases.toml (English today), each kind's
# rules joined in file order, compiled once at import. Punctuation is the same in every
# language this reads, so it stays here: a clause also ends at . ; : ! ? and at a spaced dash
# or a double hyphen or em dash between words ("high blood potassium--nausea, weakness": the
# effect, then its signs),
# and list parts are also separated by a slash or a bar ("tablets / capsules").
# a full stop ends a clause, but not after an initial ("H. pylori") nor inside a number ("3.5 kg")
_CLAUSE_PUNCTUATION = (
    r"(?<!(?<![\w.])[A-Z])(?<!\d)\.|(?<=\d)\.(?!\d)|[;:!?]|\s+[–—-]\s+|--|(?<=\w)—(?=\w)"
)
_LIST_PUNCTUATION = r"\s*/\s*|\s*\|\s*"
_TRAIL = re.compile(r"[\s,.;:!?*]+$")
WORD_LISTS = frozenset({"adjective", "first-word"})  # kinds read as sets of words


def compile_phrases(pack: rules.Pack) -> dict[str, re.Pattern[str]]:
    """Every kind of the phrases pack but the word lists as the pattern the engine applies."""
    out: dict[str, re.Pattern[str]] = {}
    for kind in pack.kinds():
        if kind in WORD_LISTS:
            continue
        joined = pack.joined(kind)
        if kind == "break":
            joined += f"|{_CLAUSE_PUNCTUATION}"
        elif kind == "separator":
            joined += f"|{_LIST_PUNCTUATION}"
        elif kind == "lead":  # any run of lead words at the start of a part
            joined = rf"^(?:(?:{joined})\s+)+"
        elif kind == "tail":  # words at the end of a part that are no part of it
            joined = rf"(?:\s+(?:{joined}))+\s*$"
        out[kind] = re.compile(joined, re.I)
    return out


_PACK = rules.load("phrases")
_COMPILED = compile_phrases(_PACK)
_BREAK = _COMPILED["break"]
_BREAK_GATED = Gated(_BREAK)  # tried only where a break can start (starts.py)
_SEP = _COMPILED["separator"]
_OR = _COMPILED["or"]
_ARTICLE = _COMPILED["article"]
_SUCH_AS = _COMPILED["such-as"]
_LEAD = _COMPILED["lead"]
_GENERIC = _COMPILED["generic"]
_ADJECTIVES = _PACK.words("adjective")
_FIRST_WORD_REJECT = _PACK.words("first-word")
_HEDGE = _COMPILED["hedge"]
_CLAUSEY = _COMPILED["clause"]
_OBJECT_OF = _COMPILED["object-of"]
_TAIL = _COMPILED["tail"]
QUANTITY = _COMPILED["quantity"]  # "100 mg", "3.33 mL": never a fact
POINTER = _COMPILED["pointer"]  # "[see Warnings and Precautions (5.1)]": never a fact
BURDEN = _COMPILED["burden"]  # "reduce the frequency of attacks ..."
TOPIC = _COMPILED["topic"]  # "Cardiovascular Effects": a heading that names no effect
PEOPLE_WITH = _COMPILED["people-with"]  # "... in people with X"
_ITS_PARTS = _COMPILED["its-parts"]  # "or any of its ingredients": part of the question
CAUSE = _COMPILED["cause"]  # "kidney disease caused by type 2 diabetes"
GLOSS_LEAD = _COMPILED["gloss-lead"]  # "pneumonia, meaning pneumonia picked up outside ..."
FOR_PEOPLE = _COMPILED["for-people"]  # "Tourette's Disorder in children"
OF_COMPLEMENT = _COMPILED["of-complement"]  # "vocal utterances of Tourette's Disorder"
LOWERS_RISK = _COMPILED["lowers-risk"]  # "Reduce the risk of stroke"
SERIOUS = _COMPILED["serious"]  # "serious infections": a warning
DEADLY = _COMPILED["deadly"]  # "Lymphoma, some fatal, has been reported": a warning
CATCH_ALL = _COMPILED["catch-all"]  # "any other medical conditions": a form still asks it
OTHER_HEAD = _COMPILED["other-head"]  # "TB skin test": no code of tuberculosis
MEDICINE_FOR = _COMPILED["medicine-for"]  # "oral steroids for their asthma": not asthma
MEDICINE_WORD = _COMPILED["medicine-word"]  # "medicines", "inhalers": a medicine taken
TAKING = _COMPILED["taking"]  # "take medicines called ...": the verb before what is taken
IF_YOU = _COMPILED["if-you"]  # "- if you are allergic to X": an item's framing
DO_NOT_LEAD = _COMPILED["do-not-lead"]  # "Do not take X:" over "- if you ..." items
FOLLOWING = _COMPILED["following"]  # "any of the following in the last 4 weeks: X, Y"
PERSISTS = _COMPILED["persists"]  # "bleeding that will not stop": part of its name
SYMPTOMS_OF = _COMPILED["symptoms-of"]  # "symptoms of asthma" is as long as "asthma"
APPOSITIVE = _COMPILED["appositive"]  # "X, a blood clot in a deep vein": a gloss
SUBJECT_START = _COMPILED["subject-start"]  # where a verb's subject starts
_KNOWN_AS = _COMPILED["known-as"]  # ", also known as “whooping cough,”"
CROSS_REFERENCE = _COMPILED["cross-reference"]  # "[see Warnings (5.1)]"
ORGAN_CLASS = _COMPILED["organ-class"]  # "Immune system disorders:": a label
MEDICINE_USE = _COMPILED["medicine-use"]  # "statin use": a medicine being taken
MAX_WORDS = 8
# a one-word part: lower case, capitalised or an acronym, and three letters unless capitals
_ONE_WORD = re.compile(
    r"^(?:[a-zà-ÿ][a-zà-ÿ'’-]{2,}|[A-ZÀ-Þ][a-zà-ÿ'’-]{2,}|[A-Z0-9][A-Z0-9-]+s?"
    r"|[A-ZÀ-Þ][a-zà-ÿ'’]+(?:-[A-ZÀ-Þ]?[a-zà-ÿ'’]+)+)$"  # "Magen-Darm-Geschwüren"
)


def subject_before(text: str, start: int, at: int) -> str:
    """The words of the subject of the verb at `at` (its clause from `start` on), without an
    article or a gloss: 'Tdap is safe, and the pertussis (aP) can cause' -> 'pertussis'."""
    head = text[start:at]
    # each pattern tried only where it can match (a run-on text's heads are long): another
    # name needs its words, a gloss at the end its closing bracket
    if any(word in head.lower() for word in _KNOWN_AS_WORDS):
        head = _KNOWN_AS.sub("", head)
    if head.rstrip().endswith(")"):
        head = _GLOSS_END.sub("", head)
    piece = head[_last_subject_start(head) :]
    return _ARTICLE.sub("", piece.strip(" \t\n\"'“”‘’‚*-•").lower(), count=1).strip()


def _last_subject_start(head: str) -> int:
    """Where the last SUBJECT_START match in head ends (0: none). Its matches are one mark or
    one whole word, never inside another's, so the last one found from near the end is the
    last of all; only when there is none there is the whole head read."""
    last = None
    for match in SUBJECT_START.finditer(head, max(0, len(head) - _SUBJECT_TAIL)):
        last = match
    if last is None and len(head) > _SUBJECT_TAIL:
        for match in SUBJECT_START.finditer(head):
            last = match
    return last.end() if last else 0


# what every known-as match holds (tests/test_extraction_cost.py)
_KNOWN_AS_WORDS = ("known as", "called")
_SUBJECT_TAIL = 48  # characters


GLOSS = re.compile(r"\s*\([^()]*\)")  # a gloss in brackets: "erectile dysfunction (ED)"
_GLOSS_END = re.compile(rf"(?:{GLOSS.pattern})\s*$")


def clause(text: str, start: int, end: int, index: Index | None = None) -> tuple[int, int]:
    """The object clause: from start up to the first clause break (`index`: the text's
    starts.Index, where the breaks may start, if made)."""
    match = _BREAK_GATED.search(text, start, end, index)
    return start, (match.start() if match else end)


def before_part(text: str, start: int, at: int, end: int) -> int:
    """Where the list parts read from `start` end before the part that holds `at`: at the
    last separator before `at`; with none, that part is the first and ends at the next
    separator (or at `end`, where the trigger after the next one starts)."""
    last = None
    for match in _SEP.finditer(text, start, at):
        last = match
    if last is not None:
        return last.start()
    after = _SEP.search(text, at, end)
    return after.start() if after else end


def parts(
    text: str, start: int, end: int, *, split_or: bool = False, examples: bool = False
) -> list[tuple[int, int]]:
    """Split [start, end) of text into list parts, with offsets; nothing is rewritten.

    "conditions such as X": X is what is meant. "infections, such as colds": the head is the
    fact, and with `examples` (screening) the examples are asked about too."""
    such, head = _examples(text, start, end)
    if such:
        tail = _generic_tail(text, *head) if head is not None else None
        if head is not None and tail is not None:
            # "pain and inflammation in conditions like gout": what the head names and the
            # examples of the generic words after it, each
            before = parts(text, head[0], tail, split_or=split_or)
            return [*before, *parts(text, such.end(), end, split_or=split_or)]
        if head is None:
            start = such.end()
        elif examples:
            # "insomnia, vertigo, psychotic symptoms including hallucinations": each part
            # of the list before the examples is one too
            before = parts(text, head[0], head[1])
            return [*before, *parts(text, such.end(), end, split_or=split_or)]
        else:
            end = such.start()
    spans: list[tuple[int, int]] = []
    pos = start
    for sep in _SEP.finditer(text, start, end):
        if sep.start() > pos and _balanced(text[pos : sep.start()]):
            spans.append((pos, sep.start()))
            pos = sep.end()
    spans.append((pos, end))
    if split_or:
        out = []
        for s, e in spans:
            # the first "or" outside brackets ("saquinavir (Fortovase or Invirase) or
            # atazanavir") that is no comparison ("greater than or equal to")
            cuts = [
                m
                for m in _OR.finditer(text, s, e)
                if _balanced(text[s : m.start()]) and not _COMPARISON.search(text, s, m.start())
            ]
            cut = cuts[0] if cuts else None
            if (
                len(cuts) >= 2
                and len(_ARTICLE.sub("", text[s : cuts[0].start()].strip(), count=1).split()) == 1
                and len(text[cuts[0].end() : cuts[1].start()].split()) >= 2
            ):
                # "fast or irregular heartbeat or fainting": the first "or" joins two words
                # of one name, the second parts the list
                cut = cuts[1]
            left = text[s : cut.start()].strip().lower() if cut else ""
            left = _ARTICLE.sub("", left, count=1)  # "a new or worse cough"
            right = text[cut.end() : e].split() if cut else []
            if cut and _ITS_PARTS.match(text, cut.end(), e):
                # "allergic to remdesivir or any of the ingredients in VEKLURY": what it is
                # made of is part of the first question, never one of its own
                out.append((s, cut.start()))
            elif (
                cut
                and len(right) >= 1
                and not text[cut.end() : e].lower().startswith("other")
                and left not in _ADJECTIVES
                # "a rash on your cheeks or arms": the "or" joins the objects of "on"
                and not (len(right) <= 2 and _OBJECT_OF.search(left))
            ):
                out += [(s, cut.start()), (cut.end(), e)]
            else:
                out.append((s, e))
        spans = out
    return [t for t in (trim(text, s, e) for s, e in spans) if t is not None]


def examples_from(text: str, start: int, end: int) -> int | None:
    """Where the examples of a specific head start ("medicines called HIV protease inhibitors,
    such as ritonavir (Norvir)": after "such as"); None when there are none or the head is
    generic (then the examples are what is meant)."""
    such, head = _examples(text, start, end)
    return such.end() if such and head else None


def _examples(
    text: str, start: int, end: int
) -> tuple[re.Match[str] | None, tuple[int, int] | None]:
    """The "such as" of [start, end), and the specific head before it (None: no head, or a
    generic one, whose examples are what is meant)."""
    # "bullous rashes (including erythema multiforme, ...), rhabdomyolysis": examples in
    # brackets belong to the part they follow, not to the whole list
    such = next(
        (m for m in _SUCH_AS.finditer(text, start, end) if _balanced(text[start : m.start()])),
        None,
    )
    if not such:
        return None, None
    head = trim(text, start, such.start())
    if head is None or _GENERIC.search(text[head[0] : head[1]]):
        return such, None
    return such, head


_PLACE_OF = re.compile(r"\s+(?:in|for|with)\s+")


def _generic_tail(text: str, start: int, end: int) -> int | None:
    """Where a head ends when generic words follow it after a preposition ("pain and
    inflammation in conditions", before "like gout"), else None."""
    for m in _PLACE_OF.finditer(text, start, end):
        after = trim(text, m.end(), end)
        if after is not None and _GENERIC.search(text[after[0] : after[1]]):
            return m.start()
    return None


_COMPARISON = re.compile(r"\b(?:than|less|greater|more)$")


def _balanced(piece: str) -> bool:
    return piece.count("(") == piece.count(")")


def trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    piece = text[start:end]
    lead = _LEAD.match(piece)
    if lead:
        start += lead.end()
    trail = _TRAIL.search(text, start, end)
    if trail:
        end = trail.start()
    tail = _TAIL.search(text, start, end)
    if tail and tail.start() > start:
        end = tail.start()
    while start < end and text[start] in "\"'“‘(*-• ":
        start += 1
    if start >= end:
        return None
    while (
        end > start
        and text[end - 1] == ")"
        and text[start:end].count(")") > text[start:end].count("(")
    ):
        end -= 1
    if text[start:end].count("(") > text[start:end].count(")"):
        end = text.rfind("(", start, end)
        end = start + len(text[start:end].rstrip())
    if end > start and text[end - 1] == ")" and len(text[start:end].split()) > MAX_WORDS:
        # "diabetic ketoacidosis (high levels of ketones in your blood or urine)": the name
        # is the part; a long gloss would make it too long to be one
        opening = text.rfind("(", start, end)
        if opening > start:
            end = start + len(text[start:opening].rstrip())
    return (start, end) if start < end else None


@lru_cache(maxsize=1 << 14)  # the same parts ("nausea", "headache") come back all the time
def acceptable(phrase: str, members: int = 0) -> bool:
    """A part that names one thing: short, specific, no hedge, not a clause. `members`: how
    many more members a coordination that shares one head lists ("swelling of the hands, feet,
    ankles or lower legs": 3), each two words more it may have ("or the whites of the eyes")."""
    words = phrase.split()
    if phrase.rstrip().endswith(("…", "...")):
        return False  # a teaser cut short: "inappropria…"
    if QUANTITY.match(phrase.strip()) or POINTER.search(phrase):
        return False
    if len(words) == 1 and not _ONE_WORD.match(words[0]):
        return False  # "Kt", "MulasURR": a fragment of a formula or of glued text
    if not words or words[0].lower() in _FIRST_WORD_REJECT or phrase.lower() in _ADJECTIVES:
        return False
    if len(words[0]) == 1 and words[0].islower() and words[0] != "a":
        return False  # "r child" of a label's "if you r child is taking": a broken word
    if all(w.lower().strip(",") in _ADJECTIVES for w in words):
        return False
    bare = PERSISTS.sub("", phrase)  # "bleeding that will not stop": no clause, no negation
    return (
        0 < len(words) <= MAX_WORDS + 2 * members
        and not _GENERIC.search(phrase)
        and not _HEDGE.search(bare)
        and not _CLAUSEY.search(bare)
        and any(ch.isalpha() for ch in phrase)
    )


def clausal(phrase: str) -> bool:
    """The part reads as a clause (a verb of the phrases pack's `clause` kind), not a name."""
    return bool(_CLAUSEY.search(phrase))
