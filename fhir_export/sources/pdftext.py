"""Plain text extracted from a PDF: page furniture out, words the typesetter broke put back.

pdftotext, or a copy from a PDF viewer, leaves marks no author wrote: form feeds between pages,
running headers and footers on every page, page numbers, words hyphenated at a line end,
headings set in letter-spaced capitals ("S I D E  E F F E C T S") and bullets that a symbol font
put in the Private Use Area (U+F0B7). They are repaired here, on lines, before the text reader
decides what a paragraph is. Article.text, which every fact points into, is made from the
repaired lines; the DocumentReference keeps the original bytes.

Hyphenation at a line end ("treat-" / "ment") is joined into one word unless the hyphen is part
of the word: the article itself is the dictionary (a word it spells whole elsewhere is joined, one
it spells hyphenated elsewhere keeps its hyphen); otherwise a one-letter first part (x-ray,
T-cell), a capital or a digit after the hyphen (Guillain-Barré, COVID-19), a first part self- or
non-, or a second part that makes compounds (-term, -up, -related, -free, -dose) keeps it.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter

# "Page 3 of 12", "page 3", "p. 3", "3 of 12", "- 3 -": a line that only numbers its page
_PAGE_MARK = re.compile(
    r"(?:page|pg\.?|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?|\d{1,4}\s+of\s+\d{1,4}"
    r"|[-–—]\s*\d{1,4}\s*[-–—]",
    re.I,
)
_LONE_NUMBER = re.compile(r"\d{1,4}")
_EDGE = 4  # lines at the top and at the bottom of a page where running lines are looked for
_SENTENCE_END = (".", "!", "?", ":", ";")
# four or more letters, each standing alone: "S I D E  E F F E C T S" (words 2+ spaces apart)
_SPACED = re.compile(r"(?<!\S)[^\W\d_](?: {1,3}[^\W\d_]){3,}(?!\S)")
_SPACED_HINT = re.compile(r" [^\W\d_] [^\W\d_] ")  # fast to scan for: it starts with a space
_WORD_GAP = re.compile(r" {2,}")
# a bullet drawn from a symbol font (Symbol, Wingdings) comes out in the Private Use Area
_SYMBOL_BULLET = re.compile(r"^([ \t]*)[\uf000-\uf0ff](?=\s)", re.M)
_WORDS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_HYPHENATED_END = re.compile(r"(?<!\S)(\S*?)([^\W\d_]+)-$")
_NEXT_WORD = re.compile(r"(\S+)\s*")
_NUMBERED = re.compile(r"\d{1,2}[.)]\s")
_COMPOUND_FIRST = frozenset({"self", "non"})  # "low-ers", "all-ergy", "ill-ness" are no compounds
_COMPOUND_SECOND = frozenset(
    "term up in out on off based related free like induced dependent acting release day daily "
    "week weekly month monthly year years old time counter care being threatening limiting "
    "containing lowering thinning known risk dose type specific friendly sensitive resistant "
    "positive negative controlled reported".split()
)


def repair(pages: list[str]) -> list[str]:
    """The lines of an article whose pages (form-feed separated, or one) were given."""
    split = [page.split("\n") for page in pages]
    if len(split) == 1:
        split = _cut_at_page_marks(split[0])
    else:
        split = [_drop_edge_numbers(page) for page in split]
    split = _drop_running_lines(split)
    lines = _join_hyphenated(_join_pages(split))
    whole = "\n".join(lines)  # one search each over the whole text; lines only when it hits
    if _SPACED_HINT.search(whole):
        lines = [_SPACED.sub(_unspace, line) for line in lines]
    if _SYMBOL_BULLET.search(whole):
        lines = [_SYMBOL_BULLET.sub(r"\1•", line) for line in lines]
    return lines


def _is_mark(line: str) -> bool:
    return 0 < len(line) < 40 and bool(_PAGE_MARK.fullmatch(line.strip()))


def _cut_at_page_marks(lines: list[str]) -> list[list[str]]:
    """No form feeds: a page-number line ends a page ("Page 2 of 5"; bare numbers only when they
    count up, each some lines after the last)."""
    marks = [i for i, line in enumerate(lines) if _is_mark(line)]
    if not marks:
        marks = _counted_numbers(lines)
    pages: list[list[str]] = []
    start = 0
    for i in marks:
        pages.append(lines[start:i])
        start = i + 1
    pages.append(lines[start:])
    return pages


def _counted_numbers(lines: list[str]) -> list[int]:
    found = [
        (i, int(line))
        for i, line in enumerate(lines)
        if 0 < len(line) < 12 and _LONE_NUMBER.fullmatch(line.strip())
    ]
    if len(found) < 2:
        return []
    for (i, n), (j, m) in itertools.pairwise(found):
        if m != n + 1 or sum(1 for line in lines[i + 1 : j] if line.strip()) < 5:
            return []
    return [i for i, _ in found]


def _edges(page: list[str]) -> list[int]:
    """Indexes of the first and last few non-blank lines of a page."""
    filled = [i for i, line in enumerate(page) if line.strip()]
    return sorted(set(filled[:_EDGE] + filled[-_EDGE:]))


def _drop_edge_numbers(page: list[str]) -> list[str]:
    filled = [i for i, line in enumerate(page) if line.strip()]
    edge = set(filled[:2] + filled[-2:])
    return [
        line
        for i, line in enumerate(page)
        if not (_is_mark(line) or (i in edge and _LONE_NUMBER.fullmatch(line.strip())))
    ]


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split())).casefold()


def _drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """A line at the top or bottom of at least half the pages (two at least) is a running header
    or footer: it stays once, in the head of the first page or the foot of the last, and goes
    everywhere else."""
    if len(pages) < 2:
        return pages
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({_key(page[i]) for i in _edges(page) if len(page[i]) <= 160})
    needed = max(2, (len(pages) + 1) // 2)
    running = {key for key, n in seen.items() if n >= needed and any(c.isalpha() for c in key)}
    if not running:
        return pages
    out: list[list[str]] = []
    last = len(pages) - 1
    for number, page in enumerate(pages):
        filled = [i for i, line in enumerate(page) if line.strip()]
        keep = set(filled[:_EDGE] if number == 0 else ()) | set(
            filled[-_EDGE:] if number == last else ()
        )
        edges = set(_edges(page))
        out.append(
            [
                line
                for i, line in enumerate(page)
                if i in keep or i not in edges or _key(line) not in running
            ]
        )
    return out


def _join_pages(pages: list[list[str]]) -> list[str]:
    """One list of lines; a sentence a page break cut ("on your usual" / "day. Do not") is one
    line again, other page breaks are paragraph breaks."""
    lines: list[str] = []
    for page in pages:
        body = _trim(page)
        if not body:
            continue
        tail = lines[-1].rstrip() if lines else ""
        head = body[0].lstrip()
        if tail and not tail.endswith(_SENTENCE_END) and head[:1].islower():
            lines[-1] = tail if tail.endswith("-") else f"{tail} "
            lines[-1] += head
            lines += body[1:]
            continue
        if lines:
            lines.append("")
        lines += body
    return lines


def _trim(page: list[str]) -> list[str]:
    filled = [i for i, line in enumerate(page) if line.strip()]
    return page[filled[0] : filled[-1] + 1] if filled else []


def _join_hyphenated(lines: list[str]) -> list[str]:
    ends = [i for i, line in enumerate(lines[:-1]) if line.endswith("-")]
    if not ends:
        return lines
    text = "\n".join(lines).casefold()
    vocabulary = set(_WORDS.findall(text))
    out = list(lines)
    for i in ends:
        match = _HYPHENATED_END.search(out[i])
        nxt = _NEXT_WORD.match(out[i + 1].lstrip())
        if match is None or nxt is None or _NUMBERED.match(out[i + 1].lstrip()):
            continue
        second = nxt.group(1)
        if not (second[0].isalpha() or second[0].isdigit()):
            continue
        lead, first = match.group(1).lstrip("([{\"'“‘"), match.group(2)
        glue = "-" if _keeps_hyphen(lead + first, first, second, vocabulary) else ""
        out[i] = out[i][:-1] + glue + second
        out[i + 1] = out[i + 1].lstrip()[nxt.end() :]
    return [line for i, line in enumerate(out) if line or not lines[i]]


def _keeps_hyphen(before: str, first: str, second: str, vocabulary: set[str]) -> bool:
    word = _WORDS.match(second.casefold())
    rest = word.group(0) if word else ""
    if not rest or not second[0].islower():
        return True  # COVID-19, Guillain-Barré
    if f"{before}{rest}".casefold() in vocabulary:
        return False
    if f"{before}-{rest}".casefold() in vocabulary:
        return True
    low = first.casefold()
    return len(low) == 1 or (low in _COMPOUND_FIRST and len(rest) > 2) or rest in _COMPOUND_SECOND


def _unspace(match: re.Match[str]) -> str:
    run = match.group(0)
    line = match.string.strip()
    if not (run.isupper() or (line.endswith(run) and len(line) - len(run) < 5)):
        return run  # "a b c d" inside a sentence is left alone
    return " ".join(word.replace(" ", "") for word in _WORD_GAP.split(run))
