"""What a rule pack does with one example sentence, applied as the engine applies it.

`outcome(pack, kind, text)` is the observable result of the pack's rules of that kind on text:
the match span of the kind's joined pattern (triggers, phrases), the kind of the first rule that
fires (sections, labels, columns), whether the scoped cue fires (modifiers), or whether the
word is in the set (word lists). `expected(rule, text)` is the same for a pack holding that one
rule. An example of a rule passes when the rule alone fires on it and the whole pack gives the
same outcome, so the example is decided by its own rule; deleting the rule must then change the
outcome of one of its examples (tests/test_rule_mutation.py).
"""

from __future__ import annotations

import re
from functools import cache

from fhir_export.extraction import phrases, rules, tables, triggers

FIRST_WINS = frozenset({"sections", "labels", "columns", "words"})
JOINED = frozenset({"triggers", "modifiers", "phrases"})  # a kind's rules joined into one pattern
# Other packs are read rule by rule: an example must fire its rule, whatever the others do.
KNOWN = FIRST_WINS | JOINED
# Examples of forward modifier rules mark what they modify: "Zentrex is not [used to treat] X".
TARGET = re.compile(r"\[([^\]]+)\]")

Outcome = tuple[int, int] | str | bool | None


@cache
def compiled(pack: rules.Pack) -> dict[str, object]:
    """The pack compiled by the module that applies it (kind -> pattern or word set)."""
    if pack.name == "triggers":
        return dict(triggers.compile_triggers(pack))
    if pack.name == "modifiers":
        return dict(triggers.compile_modifiers(pack))
    if pack.name == "phrases":
        return dict(phrases.compile_phrases(pack))
    if pack.name == "columns":
        return {"columns": tables.compile_columns(pack)}
    return {}


def outcome(pack: rules.Pack, kind: str, text: str) -> Outcome:
    if pack.name not in KNOWN:
        return _each(pack, kind, text)
    if pack.name in FIRST_WINS:
        return _first_kind(pack, text)
    if pack.name == "modifiers":
        return _modified(pack, kind, text)
    if pack.name == "phrases" and kind in phrases.WORD_LISTS:
        return text.strip().lower() in pack.words(kind)
    found = compiled(pack).get(kind)
    pattern = found if isinstance(found, re.Pattern) else pack.combined(kind)
    anchors = {r.anchor for r in pack.by_kind(kind)}
    if "full" in anchors:
        match = pattern.fullmatch(text)
    elif "start" in anchors:
        match = pattern.match(text)
    else:
        match = pattern.search(text)
    return match.span() if match else None


def expected(pack: rules.Pack, rule: rules.Rule, text: str) -> Outcome:
    """The outcome of the pack holding only this rule."""
    return outcome(
        rules.Pack(language=pack.language, name=pack.name, rules=(rule,)), rule.kind, text
    )


def _each(pack: rules.Pack, kind: str, text: str) -> bool:
    """A pack read rule by rule: whether a rule of the kind fires."""
    return any(r.fires(text) for r in pack.by_kind(kind))


def _first_kind(pack: rules.Pack, text: str) -> str | None:
    if pack.name == "columns":
        kind = next((k for k, p in tables.compile_columns(pack) if p.search(text)), None)
        return None if kind is None else str(kind)
    if pack.name == "labels":
        first = next((r for r in pack if r.pattern.match(text)), None)
    else:
        first = pack.first(text)
    return None if first is None else first.kind


def _modified(pack: rules.Pack, kind: str, text: str) -> bool:
    pattern = compiled(pack)[kind]
    assert isinstance(pattern, re.Pattern)
    target = TARGET.search(text)
    directions = {r.direction for r in pack.by_kind(kind)}
    if target is None:
        assert directions == {"bidirectional"}, f"mark the target in [brackets]: {text!r}"
        return pattern.search(text) is not None
    plain = TARGET.sub(r"\1", text)
    start = target.start()
    end = start + len(target.group(1))
    if "forward" in directions:
        return pattern.search(plain, 0, start) is not None
    return pattern.search(plain[end:]) is not None
