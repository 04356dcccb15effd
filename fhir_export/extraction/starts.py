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
from collections.abc import Iterator
from importlib import import_module
from typing import Any

# the parsed form of a pattern: CPython's own parser (re._parser, 3.11+), untyped
sre: Any = import_module("re._constants")
_parser: Any = import_module("re._parser")

_LINE = "<line>"  # a start: the start of a line (longer than any prefix, so never one)
_REACH = 4  # letters of each rule's start that are searched for
_MOST = 4096  # starts per pattern beyond which it is searched as before
_SMALL_CLASS = 6  # a class of at most this many letters ([- ], [sz]) is expanded


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


def _heads(items: list[tuple[Any, Any]], reach: int, first: bool) -> set[str]:
    """The strings (at most `reach` letters, lower case) a match of `items` starts with;
    "" when it may start with anything, _LINE when it starts only at the start of a line
    (`first`: nothing is matched yet, so an anchor here anchors the match)."""
    if reach == 0 or not items:
        return {""}
    (op, av), rest = items[0], items[1:]
    if op is sre.AT:
        if first and av in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING):
            return {_LINE}
        return _heads(rest, reach, first)
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        direction, sub = av
        if first and direction == -1 and _at_line_start(op, list(sub.data)):
            return {_LINE}
        if op is sre.ASSERT and direction == 1:  # (?=...): what follows starts so
            ahead = _heads(list(sub.data), reach, first)
            if "" not in ahead:
                return ahead
        return _heads(rest, reach, first)  # a condition, not a letter of the match
    if op is sre.LITERAL:
        return _then([chr(av)], rest, reach)
    if op is sre.IN:
        members = av
        if len(members) > _SMALL_CLASS or any(o is not sre.LITERAL for o, _ in members):
            return {""}
        return _then([chr(a) for _, a in members], rest, reach)
    if op is sre.BRANCH:
        return set().union(*(_heads(list(alt.data) + rest, reach, first) for alt in av[1]))
    if op is sre.SUBPATTERN:
        return _heads(list(av[3].data) + rest, reach, first)
    if op is sre.ATOMIC_GROUP:
        return _heads(list(av.data) + rest, reach, first)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, high, sub = av
        if sub.getwidth()[0] == 0:
            return {""}  # a part that may match nothing, repeated: not worked out
        once = list(sub.data) + (
            [(op, (max(low - 1, 0), high if high == sre.MAXREPEAT else high - 1, sub))]
            if high != 1
            else []
        )
        more = _heads(once + rest, reach, first)
        return more | _heads(rest, reach, first) if low == 0 else more
    return {""}  # any other part (a category, a negated class, a back reference): any letter


def _then(letters: list[str], rest: list[tuple[Any, Any]], reach: int) -> set[str]:
    if any(not c.isascii() for c in letters):
        return {""}  # matched case-insensitively by other letters than its lower case
    after = _heads(rest, reach - 1, False)
    return {c.lower() + h for c in letters for h in after}


def _at_line_start(op: Any, sub: list[tuple[Any, Any]]) -> bool:
    """(?<=\\n) and (?<![\\s\\S]): a position at the start of a line, or of the text."""
    if op is sre.ASSERT:
        return sub == [(sre.LITERAL, ord("\n"))]
    return len(sub) == 1 and sub[0][0] is sre.IN and set(sub[0][1]) >= {
        (sre.CATEGORY, sre.CATEGORY_SPACE),
        (sre.CATEGORY, sre.CATEGORY_NOT_SPACE),
    }


class Gated:
    """A compiled pattern and what it can start with (see the module's docstring)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.lines = False
        self.heads: re.Pattern[str] | None = None
        try:
            starts = _heads(list(_parser.parse(pattern.pattern, pattern.flags).data), _REACH, True)
        except (RecursionError, re.error):  # pragma: no cover - defensive
            return
        if "" in starts or len(starts) > _MOST:
            return
        self.lines = _LINE in starts
        words = sorted(starts - {_LINE}, key=lambda s: (-len(s), s))
        if words:
            self.heads = re.compile("|".join(re.escape(w) for w in words))
        elif not self.lines:  # pragma: no cover - a pattern that never matches
            return

    @property
    def gated(self) -> bool:
        return self.heads is not None or self.lines

    def finditer(
        self, text: str, start: int, end: int, folded: str | None = None
    ) -> Iterator[re.Match[str]]:
        """pattern.finditer(text, start, end); `folded` is fold(text), made once per text."""
        folded = fold(text) if folded is None else folded
        if not self.gated or len(folded) != len(text):
            yield from self.pattern.finditer(text, start, end)
            return
        pos = start
        while pos <= end:
            at = self._next_start(text, folded, pos, end)
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

    def search(
        self, text: str, start: int, end: int, folded: str | None = None
    ) -> re.Match[str] | None:
        return next(self.finditer(text, start, end, folded), None)

    def _next_start(self, text: str, folded: str, pos: int, end: int) -> int | None:
        """The first place at or after pos where a rule may start."""
        found: int | None = None
        if self.heads is not None:
            hit = self.heads.search(folded, pos, end)
            found = hit.start() if hit else None
        if self.lines:
            if pos == 0 or text[pos - 1] == "\n":
                line: int | None = pos
            else:
                newline = text.find("\n", pos, end)
                line = newline + 1 if newline >= 0 else None
            if line is not None and (found is None or line < found):
                found = line
        return found
