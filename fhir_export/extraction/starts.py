"""A trigger pattern tried only where one of its rules can start.

A kind's trigger pattern (its rules joined with `|`) is case-insensitive, and re tries such a
pattern at every position of the text: a 1 MB article is a million tries of every rule of every
kind. Most positions cannot start any rule: `\\bused to treat` starts only at "used".

From the parsed pattern, `Gated` derives what every rule (alternative) can begin with: its first
few letters as written (each branch and optional part expanded: "used", "prov", "the ", ...),
or the start of a line (`^`, `(?<=\\n)`). The letters are searched for all at once,
case-sensitively, in a lower-cased copy of the text (`fold`), which re scans in C for their
first letters; the whole pattern is then matched at each such place in turn, as finditer
would try it. The matches are the same, in the same order: a rule can only match where its
first letters are, so the positions skipped are ones where the pattern fails. A pattern whose
starts cannot be told (a rule that may begin with any letter, `[^.]`, `\\w+ly`) is searched
as before.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from importlib import import_module
from typing import Any

# the parsed form of a pattern: CPython's own parser (re._parser, 3.11+), untyped
sre: Any = import_module("re._constants")
_parser: Any = import_module("re._parser")

Start = tuple[str, ...]  # what a rule starts with: regex pieces, one per letter ("u", "\\s")
_ANY: Start = ()  # a rule that may start with anything
_LINE = "^"  # first piece of a rule that starts only at the start of a line (never a letter's)
_REACH = 8  # letters of each rule's start that are searched for
_MOST = 4096  # starts per pattern beyond which it is searched as before
_SMALL_CLASS = 6  # a class of at most this many letters ([- ], [sz]) is expanded
_SPACE = {(sre.CATEGORY, sre.CATEGORY_SPACE): r"\s", (sre.CATEGORY, sre.CATEGORY_DIGIT): r"\d"}


def fold(text: str) -> str:
    """The text with every character that a case-insensitive ASCII letter matches as that
    lower-case letter, the same length: re's IGNORECASE lets [a-z] also match U+0130 (İ),
    U+0131 (ı), U+017F (ſ) and U+212A (Kelvin sign)."""
    low = text.lower()
    if len(low) != len(text):  # "İ".lower() is two characters
        low = text.replace("\u0130", "i").lower()
    if not low.isascii():
        low = low.replace("\u0131", "i").replace("\u017f", "s")
    return low


def _heads(items: list[tuple[Any, Any]], reach: int, first: bool) -> set[Start]:
    """What a match of `items` starts with: its first letters (at most `reach`, lower case;
    a space or digit class as one piece), _ANY when it may start with anything; _LINE first
    when it starts only at the start of a line (`first`: nothing is matched yet, so an anchor
    here anchors the match)."""
    if reach == 0 or not items:
        return {_ANY}
    (op, av), rest = items[0], items[1:]
    if op is sre.AT:
        if first and av in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING):
            return {(_LINE, *h) for h in _heads(rest, reach, False)}
        return _heads(rest, reach, first)
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        direction, sub = av
        if first and direction == -1 and _at_line_start(op, list(sub.data)):
            return {(_LINE, *h) for h in _heads(rest, reach, False)}
        after = _heads(rest, reach, first)  # a condition, not a letter of the match
        if op is sre.ASSERT and direction == 1:  # (?=...): what follows also starts so
            return _narrower(_heads(list(sub.data), reach, first), after)
        return after
    if op is sre.LITERAL:
        return _then([re.escape(chr(av))] if chr(av).isascii() else [], rest, reach)
    if op is sre.IN:
        if len(av) == 1 and tuple(av[0]) in _SPACE:
            return _then([_SPACE[tuple(av[0])]], rest, reach)
        if len(av) > _SMALL_CLASS or any(o is not sre.LITERAL or a > 127 for o, a in av):
            return {_ANY}
        return _then([re.escape(chr(a)) for _, a in av], rest, reach)
    if op is sre.BRANCH:
        return set().union(*(_heads(list(alt.data) + rest, reach, first) for alt in av[1]))
    if op is sre.SUBPATTERN:
        return _heads(list(av[3].data) + rest, reach, first)
    if op is sre.ATOMIC_GROUP:
        return _heads(list(av.data) + rest, reach, first)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, high, sub = av
        if sub.getwidth()[0] == 0:
            return {_ANY}  # a part that may match nothing, repeated: not worked out
        once = list(sub.data) + (
            [(op, (max(low - 1, 0), high if high == sre.MAXREPEAT else high - 1, sub))]
            if high != 1
            else []
        )
        more = _heads(once + rest, reach, first)
        return more | _heads(rest, reach, first) if low == 0 else more
    return {_ANY}  # any other part (a category, a negated class, a back reference): any letter


def _then(pieces: list[str], rest: list[tuple[Any, Any]], reach: int) -> set[Start]:
    """Each of `pieces` (a letter as a pattern, lower case), then what `rest` starts with;
    no pieces: a letter matched case-insensitively by others than its lower case (non-ASCII),
    so anything."""
    if not pieces:
        return {_ANY}
    after = _heads(rest, reach - 1, False)
    return {(p.lower(), *h) for p in pieces for h in after}


def _narrower(one: set[Start], other: set[Start]) -> set[Start]:
    """Of two things a match must start with, the one that leaves fewer places to try."""

    def reach(starts: set[Start]) -> int:
        return -1 if _ANY in starts else min(_REACH if s[0] == _LINE else len(s) for s in starts)

    return one if reach(one) > reach(other) else other


def _at_line_start(op: Any, sub: list[tuple[Any, Any]]) -> bool:
    """(?<=\\n) and (?<![\\s\\S]): a position at the start of a line, or of the text."""
    if op is sre.ASSERT:
        return sub == [(sre.LITERAL, ord("\n"))]
    return (
        len(sub) == 1
        and sub[0][0] is sre.IN
        and set(sub[0][1])
        >= {
            (sre.CATEGORY, sre.CATEGORY_SPACE),
            (sre.CATEGORY, sre.CATEGORY_NOT_SPACE),
        }
    )


def _trie(starts: set[Start]) -> str:
    """A pattern that matches where one of `starts` does, as a tree of their shared first
    pieces ("also\\s\\s\\sa|also\\s\\s\\sc" as "also\\s\\s\\s(?:a|c)"): re reads each piece once
    instead of once per start. Only whether it matches counts (a lookahead, or match()), so a
    start that ends at a branch makes the longer ones under it needless."""
    if () in starts:
        return ""
    after: dict[str, set[Start]] = {}
    for start in starts:
        after.setdefault(start[0], set()).add(start[1:])
    branches = [piece + _trie(rest) for piece, rest in sorted(after.items())]
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


class Gated:
    """A compiled pattern and what it can start with (see the module's docstring)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.lines = False
        self.heads: re.Pattern[str] | None = None  # its rules' first letters (one long)
        self.line_heads: re.Pattern[str] | None = None  # after a line start (None: anything)
        try:
            starts = _heads(list(_parser.parse(pattern.pattern, pattern.flags).data), _REACH, True)
        except (RecursionError, re.error):  # pragma: no cover - defensive
            return
        if _ANY in starts or len(starts) > _MOST:
            return
        lines = {start[1:] for start in starts if start[0] == _LINE}
        self.lines = bool(lines)
        if lines and () not in lines:  # what a line must start with
            self.line_heads = re.compile(_trie(lines))
        # each first letter, then what may follow it, zero-width: a match is one letter long,
        # so that finditer finds starts that overlap ("the" in "tthe") and re scans for the
        # first letters in C
        follow: dict[str, set[Start]] = {}
        for start in starts:
            if start[0] != _LINE:
                follow.setdefault(start[0], set()).add(start[1:])
        words = "|".join(
            head if () in rest else f"{head}(?={_trie(rest)})"
            for head, rest in sorted(follow.items())
        )
        if words:
            self.heads = re.compile(words)

    @property
    def gated(self) -> bool:
        return self.heads is not None or self.lines

    def finditer(
        self, text: str, start: int, end: int, index: Index | None = None
    ) -> Iterator[re.Match[str]]:
        """pattern.finditer(text, start, end). With an `index` of the text, the places a rule
        may start are the index's (found once for the whole text); without, they are searched
        for in the part read."""
        if not self.gated:
            yield from self.pattern.finditer(text, start, end)
            return
        next_start = self._starts(text, start, end, index)
        if next_start is None:
            yield from self.pattern.finditer(text, start, end)
            return
        pos = start
        while pos <= end:
            at = next_start(pos)
            if at is None:
                return
            match = self.pattern.match(text, at, end)
            if match is None:
                pos = at + 1
                continue
            yield match
            while match.end() == match.start():
                # an empty match: the next one may start at the same place only if it is not
                # empty, which re's own search loop tells
                rest = self.pattern.finditer(text, at, end)
                next(rest)  # the same empty match
                following = next(rest, None)
                if following is None:
                    return
                match = following
                at = match.start()
                yield match
            pos = match.end()

    def matches(self, text: str, start: int, end: int, index: Index) -> list[re.Match[str]]:
        """list(finditer(...)), at once when the index has no place to try in the part."""
        if not (self.gated and index.folds(text)):
            return list(self.finditer(text, start, end, index))
        places = index.starts(self)
        i, n = bisect_left(places, start), len(places)
        found: list[re.Match[str]] = []
        match_at = self.pattern.match
        # finditer's walk over the listed places, without its generator (most sentences
        # hold one or two places to try)
        while i < n and places[i] <= end:
            match = match_at(text, places[i], end)
            if match is None:
                i += 1
                continue
            if match.end() == match.start():  # an empty match: finditer knows what follows
                return found + list(self.finditer(text, places[i], end, index))
            found.append(match)
            i = bisect_left(places, match.end(), i + 1)
        return found

    def search(
        self, text: str, start: int, end: int, index: Index | None = None
    ) -> re.Match[str] | None:
        if not (self.gated and index is not None and index.folds(text)):
            return next(self.finditer(text, start, end, index), None)
        places = index.starts(self)
        i, n = bisect_left(places, start), len(places)
        match_at = self.pattern.match
        while i < n and places[i] <= end:  # the first match at a listed place (finditer's)
            match = match_at(text, places[i], end)
            if match is not None:
                return match
            i += 1
        return None

    def _starts(
        self, text: str, start: int, end: int, index: Index | None
    ) -> Callable[[int], int | None] | None:
        """The function giving the first place at or after a position (up to end) where a
        rule may start; None when the text cannot be folded letter for letter."""
        if index is not None and index.folds(text):
            places = index.starts(self)

            def listed(pos: int) -> int | None:
                i = bisect_left(places, pos)
                return places[i] if i < len(places) and places[i] <= end else None

            return listed
        folded = fold(text[start:end])  # only the part read: its offsets are less `start`
        if len(folded) != end - start:  # pragma: no cover - no such letter in Unicode 15
            return None

        def searched(pos: int) -> int | None:
            found: int | None = None
            if self.heads is not None:
                hit = self.heads.search(folded, pos - start)
                found = hit.start() + start if hit else None
            if not self.lines:
                return found
            limit = end if found is None else found  # a line start before the letters found
            line: int | None = pos if pos == 0 or text[pos - 1] == "\n" else None
            if line is None:
                newline = text.find("\n", pos, limit)
                line = newline + 1 if newline >= 0 else None
            while line is not None:
                if self.line_heads is None or self.line_heads.match(folded, line - start):
                    return line
                newline = text.find("\n", line, limit)
                line = newline + 1 if newline >= 0 else None
            return found

        return searched

    def places(self, index: Index) -> list[int]:
        """Every place in the index's text where one of the rules may start, in order."""
        found = [m.start() for m in self.heads.finditer(index.folded)] if self.heads else []
        if self.lines:
            heads, folded = self.line_heads, index.folded
            lines = [p for p in index.line_starts() if heads is None or heads.match(folded, p)]
            found = sorted({*found, *lines})
        return found


class Index:
    """A text folded once (see fold), and where each gated pattern may start in it, found on
    first use for the whole text: reading its sentences then costs no search of their own."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)
        self._lines: list[int] | None = None
        self._places: dict[Gated, list[int]] = {}

    def folds(self, text: str) -> bool:
        """Whether this index is of `text`, folded letter for letter (its places are then
        offsets into it)."""
        return self.text is text and len(self.folded) == len(text)

    def starts(self, gated: Gated) -> list[int]:
        found = self._places.get(gated)
        if found is None:
            found = self._places[gated] = gated.places(self)
        return found

    def may_start(self, gated: Gated, start: int, end: int) -> bool:
        """False when gated.pattern.search(text[start:end]) finds nothing for sure: no rule
        can start in that part, read as a string of its own (where its first character also
        starts a line)."""
        if not gated.gated or len(self.folded) != len(self.text):
            return True
        places = self.starts(gated)
        i = bisect_left(places, start)
        if i < len(places) and places[i] <= end:
            return True
        return gated.lines and (
            gated.line_heads is None or gated.line_heads.match(self.folded, start, end) is not None
        )

    def line_starts(self) -> list[int]:
        if self._lines is None:
            self._lines = [0, *(m.end() for m in re.finditer("\n", self.text))]
        return self._lines
