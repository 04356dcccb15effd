"""The source text with every fact highlighted: one <mark> per fact span, linked to the cards
of the resources that carry it.

A span (offset, length) is one highlight however many resources carry it (an R5 indication
sits in the MedicationKnowledge and in its ClinicalUseDefinition; a contraindication is also
a screening question). Spans inside spans nest; a span that crosses another's end is split,
its first piece carrying the id. The text itself is the link to the span's first resource;
further resources get small "also" links (no text of their own, so the source text stays
exactly the article's).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .facts import CARD_TYPES, KINDS, LABELS, ArticleView, Fact
from .markup import Html, el, esc, join


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    kinds: tuple[str, ...]  # the first is the kind shown
    targets: tuple[str, ...]  # card anchors, the first is where the text links

    @property
    def anchor(self) -> str:
        return span_anchor(self.start, self.end)


@dataclass(frozen=True, slots=True)
class _Piece:
    start: int
    end: int
    span: Span
    first: bool


def span_anchor(start: int, end: int) -> str:
    return f"h-{start}-{end}"


def spans(facts: tuple[Fact, ...]) -> list[Span]:
    """One Span per distinct (start, end), its facts ordered by card type (the resource made
    for the fact before the medicine that also lists it), then by kind."""
    grouped: dict[tuple[int, int], list[Fact]] = {}
    for fact in facts:
        grouped.setdefault((fact.start, fact.end), []).append(fact)
    out = []
    for (start, end), found in sorted(grouped.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        found.sort(key=lambda f: (_type_rank(f.card), KINDS.index(f.kind), f.card))
        kinds = tuple(dict.fromkeys(f.kind for f in found))
        targets = tuple(dict.fromkeys(f.card for f in found))
        out.append(Span(start, end, kinds, targets))
    return out


def _type_rank(card: str) -> int:
    resource_type = card.split("-", 1)[0]
    return CARD_TYPES.index(resource_type) if resource_type in CARD_TYPES else len(CARD_TYPES)


def highlighted(view: ArticleView, titles: dict[str, str]) -> Html:
    """The rendition as HTML: escaped text and <mark> elements. `titles`: card anchor -> what
    a reader sees of that resource (for the tooltips)."""
    text = view.text or ""
    pieces = [_Piece(s.start, s.end, s, True) for s in spans(view.facts)]
    return _render(text, pieces, 0, len(text), None, titles)


def _render(
    text: str, pieces: list[_Piece], lo: int, hi: int, owner: Span | None, titles: dict[str, str]
) -> Html:
    out: list[Html] = []
    pos = lo
    pending = sorted(pieces, key=lambda p: (p.start, -p.end))
    while pending:
        piece = pending.pop(0)
        if piece.start > pos:
            out.append(_own(text[pos : piece.start], owner))
        inner, rest = [], []
        for other in pending:
            if other.start >= piece.end:
                rest.append(other)
            elif other.end <= piece.end:
                inner.append(other)
            else:  # crosses this piece's end: split
                inner.append(replace(other, end=piece.end))
                rest.append(replace(other, start=piece.end, first=False))
        pending = sorted(rest, key=lambda p: (p.start, -p.end))
        body = _render(text, inner, piece.start, piece.end, piece.span, titles)
        out.append(_mark(piece, body, _owns_text(piece, inner), titles))
        pos = piece.end
    if pos < hi:
        out.append(_own(text[pos:hi], owner))
    return join(out)


def _owns_text(piece: _Piece, inner: list[_Piece]) -> bool:
    covered = sorted((p.start, p.end) for p in inner)
    pos = piece.start
    for start, end in covered:
        if start > pos:
            return True
        pos = max(pos, end)
    return pos < piece.end


def _own(text: str, owner: Span | None) -> Html:
    if owner is None:
        return esc(text)
    return el("a", {"href": "#" + owner.targets[0]}, text)


def _mark(piece: _Piece, body: Html, owns_text: bool, titles: dict[str, str]) -> Html:
    span = piece.span
    links: list[Html] = [body]
    if piece.first:
        more = span.targets[1:] if owns_text else span.targets
        for target in more:
            links.append(
                el("a", {"class": "also", "href": "#" + target,
                         "aria-label": "also: " + titles.get(target, target)})
            )
    title = "; ".join(
        f"{LABELS[k]}" for k in span.kinds
    ) + " → " + "; ".join(titles.get(t, t) for t in span.targets)
    return el(
        "mark",
        {
            "id": span.anchor if piece.first else None,
            "class": " ".join(["fact", *(f"k-{k}" for k in span.kinds)]),
            "data-kind": span.kinds[0],
            "data-span": span.anchor,
            "data-targets": " ".join(span.targets),
            "title": title,
        },
        *links,
    )
