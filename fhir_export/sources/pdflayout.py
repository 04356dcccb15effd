"""Reading order of a PDF page: glyphs with positions -> lines, columns before rows.

A PDF draws text in whatever order its producer chose: a form may draw all its questions, then
all their hints; a two-column label draws line pairs across the gutter. The reader (pdf.py) gives
each glyph its box, size and weight; here glyphs become fragments (runs on one baseline without a
wide gap), and fragments are put in reading order by a recursive XY-cut: a region is split at
its widest empty band, horizontal (rows, top to bottom) or vertical (columns, left to right), and
each part is ordered the same way. A vertical cut counts only when both sides hold real text
(not just a column of numbers or check-box labels), so "2.1  Testing" or "1  Child's name" stays
one line. Fragments on one baseline in a final region are joined into one line. A line that
starts with a number of one or two digits set apart from its text (a form's field number in
its box, "13   Does your child have a bleeding disorder?") is marked `numbered`.

Geometry only: no library types here, so the order is tested with fragments built in the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

_WIDE_GAP = 1.5  # a gap wider than this many font sizes ends a fragment
_SPACE_GAP = 0.18  # a gap wider than this many font sizes is a space between words
_MIN_GUTTER = 0.9  # a column gutter is at least this many (median) font sizes wide
_SECTION_GAP = 1.2  # an empty row this many font sizes high parts blocks, whatever the columns
_TEXT_SIDE = 12  # a column must hold a fragment of at least this many characters
_APART = 0.6  # a number this many font sizes before the text is set apart (a field number)
_NUMBER = re.compile(r"\d{1,2}")
_MAX_DEPTH = 200  # recursion bound for the XY-cut (a page is never this deep in practice)
_MAX_CUT = 20_000  # a page of more fragments is read top to bottom, uncut (bounded time)


@dataclass(frozen=True, slots=True)
class Glyph:
    char: str
    x0: float
    x1: float
    baseline: float  # PDF y grows upwards
    size: float
    bold: bool


@dataclass(frozen=True, slots=True)
class Fragment:
    text: str
    x0: float
    x1: float
    bottom: float
    top: float
    baseline: float
    size: float
    bold: float  # share of its letters set bold
    numbered: bool = False  # starts with a number set apart: a form's field, a list's number


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    x0: float
    x1: float
    baseline: float
    size: float
    bold: float
    break_before: bool  # not the next line of the same paragraph (a gap, another column)
    numbered: bool = False  # starts with a number set apart ("13   Does your child ...")


def fragments(glyphs: Iterable[Glyph]) -> list[Fragment]:
    """Runs of glyphs in drawing order on one baseline with no wide gap between them."""
    out: list[Fragment] = []
    run: list[Glyph] = []
    text: list[str] = []
    space = False
    numbered = False
    for g in glyphs:
        if g.char == " ":
            space = bool(run)
            continue
        if run:
            last = run[-1]
            size = max(last.size, g.size, 1.0)
            gap = g.x0 - last.x1
            if abs(g.baseline - last.baseline) > 0.5 * size or not -size < gap < _WIDE_GAP * size:
                out.append(_fragment(run, text, numbered))
                run, text, numbered = [], [], False
            elif space or gap > _SPACE_GAP * size:
                apart = gap > _APART * size and bool(_NUMBER.fullmatch("".join(text)))
                numbered = numbered or apart
                text.append(" ")
        space = False
        run.append(g)
        text.append(g.char)
    if run:
        out.append(_fragment(run, text, numbered))
    return [f for f in out if f.text]


def _fragment(run: list[Glyph], text: list[str], numbered: bool = False) -> Fragment:
    letters = run
    size = max(letters, key=lambda g: (sum(h.size == g.size for h in letters), g.size)).size
    baseline = letters[0].baseline
    return Fragment(
        text="".join(text).strip(),
        x0=min(g.x0 for g in run),
        x1=max(g.x1 for g in run),
        bottom=min(g.baseline for g in letters) - 0.2 * size,
        top=max(g.baseline for g in letters) + 0.75 * size,
        baseline=baseline,
        size=size,
        bold=sum(g.bold for g in letters) / len(letters),
        numbered=bool(numbered),
    )


def reading_order(frags: Sequence[Fragment]) -> list[Line]:
    """The page's lines in reading order, each marked when it starts a new paragraph."""
    if not frags:
        return []
    sizes = sorted(f.size for f in frags)
    gutter = _MIN_GUTTER * sizes[len(sizes) // 2]
    groups: list[list[Fragment]] = []
    if len(frags) > _MAX_CUT:
        groups.append(list(frags))
    else:
        _cut(list(frags), gutter, groups, 0)
    lines: list[Line] = []
    for group in groups:
        for line in _lines(group):
            prev = lines[-1] if lines else None
            below = prev is not None and (
                0 < prev.baseline - line.baseline <= 1.6 * max(prev.size, line.size)
                and line.x0 < prev.x1
                and prev.x0 < line.x1
            )
            lines.append(replace(line, break_before=not below))
    return lines


def _cut(frags: list[Fragment], gutter: float, out: list[list[Fragment]], depth: int) -> None:
    if len(frags) == 1 or depth > _MAX_DEPTH:
        out.append(frags)
        return
    row = _widest_gap(frags, vertical=False)
    column = _widest_gap(frags, vertical=True)
    column_ok = column is not None and column[0] >= gutter and _both_text(frags, column[1])
    # a wide empty row (between sections) is cut before columns: a form's boxes below one
    # another share a gutter, but are read box by box
    wide_row = row is not None and row[0] >= _SECTION_GAP * gutter / _MIN_GUTTER
    if column_ok and column is not None and not wide_row and (row is None or column[0] >= row[0]):
        at = column[1]
        parts = [[f for f in frags if f.x1 <= at], [f for f in frags if f.x1 > at]]
    elif row is not None:
        at = row[1]
        parts = [[f for f in frags if f.bottom >= at], [f for f in frags if f.bottom < at]]
    else:
        out.append(frags)
        return
    for part in parts:
        _cut(part, gutter, out, depth + 1)


def _widest_gap(frags: list[Fragment], *, vertical: bool) -> tuple[float, float] | None:
    """(width, position) of the widest empty band across the region, or None.

    Rows are scanned top-down; a tie keeps the first (highest or leftmost) band."""
    if vertical:
        spans = sorted((f.x0, f.x1) for f in frags)
    else:
        spans = sorted((-f.top, -f.bottom) for f in frags)
    best: tuple[float, float] | None = None
    reach = spans[0][1]
    for start, end in spans[1:]:
        if start > reach and (best is None or start - reach > best[0]):
            mid = (start + reach) / 2
            best = (start - reach, mid if vertical else -mid)
        reach = max(reach, end)
    return best


def _both_text(frags: list[Fragment], at: float) -> bool:
    left = any(len(f.text) >= _TEXT_SIDE for f in frags if f.x1 <= at)
    return left and any(len(f.text) >= _TEXT_SIDE for f in frags if f.x1 > at)


def _lines(group: list[Fragment]) -> list[Line]:
    """Fragments of a final region joined into lines: top to bottom, then left to right."""
    ordered = sorted(group, key=lambda f: (-f.baseline, f.x0))
    rows: list[list[Fragment]] = []
    for f in ordered:
        if rows and abs(rows[-1][0].baseline - f.baseline) <= 0.5 * f.size:
            rows[-1].append(f)
        else:
            rows.append([f])
    out = []
    for row in rows:
        row.sort(key=lambda f: f.x0)
        main = max(row, key=lambda f: len(f.text))
        out.append(
            Line(
                text=" ".join(f.text for f in row),
                x0=row[0].x0,
                x1=row[-1].x1,
                baseline=row[0].baseline,
                size=main.size,
                bold=sum(f.bold * len(f.text) for f in row) / sum(len(f.text) for f in row),
                break_before=False,
                numbered=row[0].numbered or (len(row) > 1 and bool(_NUMBER.fullmatch(row[0].text))),
            )
        )
    return out
