"""Object phrases: what follows a trigger ("used to treat X, Y and Z"), split into parts.

Every part keeps its offsets into the article text. Generic heads ("other diseases"), hedged
parts ("possibly suicide") and parts that read as clauses are dropped, never guessed at.
"""

from __future__ import annotations

import re

_BREAK = re.compile(
    r"\s+(?:that|which|who|whose|when|because|unless|until|while|whereas|so that|but|"
    r"although|even if|if it|if they|in order to|given|taken|usually|which means|due to|"
    r"after (?:more than|about|over|at least|\d|a (?:year|month|week|few))|"
    r"in (?:adults|children|people|patients|"
    r"combination)|to (?:help|reduce|prevent|lower)|after (?:other|surgery|treatment)|"
    r"before (?:treatment|starting|taking|you)|is (?:done|needed|performed|recommended|"
    r"required|checked)|are (?:done|needed|checked)|during|at least)\b|[.;:!?]|\s+[–—-]\s+",
    re.I,
)
_SEP = re.compile(r"\s*[,;]\s*(?:and\s+|or\s+)?|\s+and\s+|\s+as well as\s+|\s*/\s*|\s*\|\s*", re.I)
_OR = re.compile(r"\s+or\s+", re.I)
_SUCH_AS = re.compile(r"\b(?:such as|including|(?<![\w-])like|for example|e\.g\.,?)\s+", re.I)
_LEAD = re.compile(
    r"^(?:(?:an? (?:increased|higher|small|slightly increased|greater) risk of|"
    r"(?:a )?(?:small |slight )?(?:increase|rise) in the (?:risk|chance) of(?: getting)?|"
    r"(?:an |the )?increased risk of|(?:the |a )?risk of|symptoms of|signs of|"
    r"certain types of|(?:in )?(?:people|adults|children|patients|those)(?: and (?:adults|"
    r"children))? with|treatment of|"
    r"forms? of(?= \w+ \w+)|a|an|the|any|some|certain|many|most|all|your|their|its|of|with|"
    r"having|had|have|been|ever|are|were)\s+)+",
    re.I,
)
_TRAIL = re.compile(r"[\s,.;:!?*]+$")
_GENERIC = re.compile(
    r"^(?:other|various|different|several|many|some|certain)\b|"
    r"^(?:(?:autoimmune|inflammatory|chronic|serious|other|medical|health)(?: and| or|,)?\s*)*"
    r"(?:conditions|diseases|disorders|problems|illnesses|types? of cancer|cancers|"
    r"symptoms|side effects|things|issues|reactions|effects)$|"
    r"^(?:(?:medical|health|serious|severe|other|inherited|genetic|rare|common|long-term|"
    r"chronic|underlying)\s+)?(?:conditions?|diseases?|disorders?|problems?|"
    r"illness|symptoms?|side effects?|things?|issues?|reactions?|effects?)$",
    re.I,
)
_ADJECTIVES = frozenset(
    {
        "new",
        "worsening",
        "severe",
        "serious",
        "mild",
        "sudden",
        "unusual",
        "persistent",
        "life-threatening",
        "sometimes life-threatening",
        "fatal",
        "common",
        "rare",
        "possible",
        "moderate",
        "significant",
        "any",
        "other",
        "ongoing",
        "recurrent",
        "increased",
        "very",
    }
)
_FIRST_WORD_REJECT = frozenset(
    """become becomes feel feels notice get develop start look seem think usually sometimes
    often always given taken used which who take use avoid keep ask see call unwell ill taking
    using plan planning personal to before during including especially people manageable
    missing material early vomit every mostly mainly particularly temporarily contact call tell
    stop go drive""".split()
)
_HEDGE = re.compile(r"\b(?:possibly|rarely|unlikely|uncommonly|not|never|no)\b", re.I)
_CLAUSEY = re.compile(
    r"\b(?:you|we|i|it|they|is|are|was|were|will|would|should|can|could|may|might|must|"
    r"do|does|did|has|have|had|be|been|being|this|these|those)\b",
    re.I,
)
_OBJECT_OF = re.compile(r"\b(?:of|on|in|around|to)\s+(?:your\s+|the\s+)?\w+$", re.I)
MAX_WORDS = 8


def clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The object clause: from start up to the first clause break."""
    match = _BREAK.search(text, start, end)
    return start, (match.start() if match else end)


def parts(
    text: str, start: int, end: int, *, split_or: bool = False, examples: bool = False
) -> list[tuple[int, int]]:
    """Split [start, end) of text into list parts, with offsets; nothing is rewritten.

    "conditions such as X": X is what is meant. "infections, such as colds": the head is the
    fact, and with `examples` (screening) the examples are asked about too."""
    such = _SUCH_AS.search(text, start, end)
    if such:
        head = trim(text, start, such.start())
        if head is None or _GENERIC.search(text[head[0] : head[1]]):
            start = such.end()
        elif examples:
            return [head, *parts(text, such.end(), end, split_or=split_or)]
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
            cut = _OR.search(text, s, e)
            left = text[s : cut.start()].strip().lower() if cut else ""
            left = re.sub(r"^(?:a|an|the|any)\s+", "", left)  # "a new or worse cough"
            right = text[cut.end() : e].split() if cut else []
            if (
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


def acceptable(phrase: str) -> bool:
    """A part that names one thing: short, specific, no hedge, not a clause."""
    words = phrase.split()
    if not words or words[0].lower() in _FIRST_WORD_REJECT or phrase.lower() in _ADJECTIVES:
        return False
    if all(w.lower().strip(",") in _ADJECTIVES for w in words):
        return False
    return (
        0 < len(words) <= MAX_WORDS
        and not _GENERIC.search(phrase)
        and not _HEDGE.search(phrase)
        and not _CLAUSEY.search(phrase)
        and any(ch.isalpha() for ch in phrase)
    )
