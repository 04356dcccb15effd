"""`push --send-as batch`: batches in which every reference already exists on the server when
its entry arrives, for servers that take no transactions (Azure API for FHIR).

The entries of a batch are processed independently, in no promised order (FHIR: "there SHALL
be no interdependencies between the different entries in the Bundle"), and a server that
enforces referential integrity (HAPI-1094) checks each entry's references on their own. So
entries are sent in levels: an entry's level is one more than the highest level of what it
refers to, each level goes as batches of its own, and a level starts when the requests that
write what it refers to have finished (push_send.dependencies).

A reference cycle (R4: MedicationKnowledge.contraindication -> DetectedIssue,
DetectedIssue.implicated -> MedicationKnowledge) cannot be written that way. One member of
the cycle (the one most referred to inside it) is first written *reduced*, without its
references into the cycle; then the rest of the cycle in dependency order; then that member
in full, as an update. The reduced version is sent only for members the server does not hold
yet (push_send reads them first), so a second push does not strip and restore them again: it
changes nothing. The reduced version is a real, if short-lived, state on the server: a reader
between the two requests sees a MedicationKnowledge without its contraindications.
"""

from __future__ import annotations

from typing import Any

from .push import (
    _LOCAL_REFERENCE,
    Limits,
    PlannedRequest,
    _bundle,
    _references,
    _size,
    dependency_groups,
)

JSON = dict[str, Any]


def _key(entry: JSON) -> str:
    return str((entry.get("request") or {}).get("url", ""))


def _refs(entry: JSON) -> set[str]:
    return _references(entry.get("resource"), set())


def _points_into(item: Any, targets: set[str]) -> bool:
    """`item` is a Reference to one of `targets`."""
    ref = item.get("reference") if isinstance(item, dict) else None
    match = _LOCAL_REFERENCE.fullmatch(ref) if isinstance(ref, str) else None
    return match is not None and match.group(1) in targets


def reduced(value: Any, targets: set[str]) -> Any:
    """`value` without its references to `targets` (Type/id): a Reference element that
    points at one is dropped, an extension whose value it is goes with it, and an element
    left empty is dropped too."""
    if isinstance(value, list):
        items = [reduced(v, targets) for v in value if not _points_into(v, targets)]
        return [v for v in items if v not in (None, {}, [])]
    if not isinstance(value, dict):
        return value
    out: JSON = {}
    for key, item in value.items():
        if _points_into(item, targets):
            if key == "valueReference":
                return None  # the extension has no value without it
            continue
        kept = reduced(item, targets)
        if kept not in (None, {}, []):
            out[key] = kept
    return out


class _Levels:
    """Entries (and reduced entries) placed in levels."""

    def __init__(self) -> None:
        self.exists: dict[str, int] = {}  # Type/id -> the level at which it first exists
        self.placed: list[tuple[int, bool, JSON]] = []  # (level, reduced, entry)

    def _after(self, refs: set[str]) -> int:
        return 1 + max((self.exists[r] for r in refs if r in self.exists), default=-1)

    def put(self, entry: JSON, refs: set[str], *, is_reduced: bool = False) -> None:
        level = self._after(refs)
        self.placed.append((level, is_reduced, entry))
        self.exists.setdefault(_key(entry), level)

    def group(self, members: list[JSON]) -> None:
        """One strongly connected group of entries, cycles broken as the module says."""
        keys = {_key(e) for e in members}
        if len(members) == 1 and not (_refs(members[0]) & keys):
            self.put(members[0], _refs(members[0]))
            return
        pivot = max(members, key=lambda m: sum(_key(m) in _refs(o) for o in members if o is not m))
        inside = keys - {_key(pivot)}
        short = {**pivot, "resource": reduced(pivot["resource"], keys)}
        self.put(short, _refs(short) - inside, is_reduced=True)
        for sub in dependency_groups([m for m in members if m is not pivot]):
            self.group(sub)
        self.put(pivot, _refs(pivot))


def plan_batches(entries: list[JSON], source: str, limits: Limits) -> list[PlannedRequest]:
    """PUT entries as batch Bundles, level by level (see the module's doc), each within the
    limits; reduced entries of a cycle go in requests of their own, marked `only_absent`."""
    levels = _Levels()
    for group in dependency_groups(entries):
        levels.group(group)
    chunks: list[tuple[bool, list[JSON]]] = []
    for level in sorted({lv for lv, _, _ in levels.placed}):
        for is_reduced in (True, False):
            part: list[JSON] = []
            size = 0
            for lv, red, entry in levels.placed:
                if lv != level or red != is_reduced:
                    continue
                grown = size + _size(entry)
                if part and limits.over([*part, entry], grown):
                    chunks.append((is_reduced, part))
                    part, grown = [], _size(entry)
                part.append(entry)
                size = grown
            if part:
                chunks.append((is_reduced, part))
    out = []
    for n, (is_reduced, part) in enumerate(chunks, 1):
        note = None
        if is_reduced:
            note = (f"{len(part)} entries of reference cycles first written without their "
                    "references into the cycle (only those the server does not hold yet), "
                    "then in full by a later batch")
        out.append(PlannedRequest(source, _bundle("batch", part), part=n, parts=len(chunks),
                                  note=note, only_absent=is_reduced))
    return out
