"""Every rule is needed by its own examples: deleting any one rule of a shipped pack (in memory,
from the parsed TOML) changes what the pack does on at least one of that rule's examples, so a
generated example test (tests/test_rules.py) fails.

What the pack does is its outcome as the engine applies it (rule_outcomes.py): the match of a
kind's joined pattern, the kind of the first rule that fires, the scoped cue, the word set. A
rule whose examples are all still decided the same way by the others would be dead weight, or
its examples would not show what it is for. A rule that others include ({{carer}}) is needed
when the pack refuses to load without it.
"""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest
from rule_outcomes import KNOWN, expected, outcome

from fhir_export.extraction import rules

# Packs read rule by rule (not in rule_outcomes.KNOWN) are left out: there, deleting a rule only
# deletes its tests; their engine would have to say how it applies them first.
DELETIONS = [
    (lang, name, rule.id)
    for lang, name in rules.available()
    if name in KNOWN
    for rule in rules.load(name, lang)
]


def _without(lang: str, name: str, rule_id: str) -> rules.Pack | None:
    """The pack parsed again from its TOML less one rule; None when it no longer loads."""
    text = resources.files(rules).joinpath(lang, f"{name}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    data["rule"] = [r for r in data["rule"] if r["id"] != rule_id]
    try:
        return rules.parse(data, f"{lang}/{name}.toml", language=lang, name=name)
    except rules.RuleError:
        return None


def missed(pack: rules.Pack, rule: rules.Rule, without: rules.Pack | None) -> list[str]:
    """The rule's examples that the pack without it decides alike: all of them when the rule
    is not needed, none when it is."""
    if without is None:
        return []
    same = [e for e in rule.examples if outcome(without, rule.kind, e) == expected(pack, rule, e)]
    return same if len(same) == len(rule.examples) else []


@pytest.mark.parametrize(
    ("lang", "pack", "rule_id"),
    DELETIONS,
    ids=[f"{lang}/{name}/{rid}" for lang, name, rid in DELETIONS],
)
def test_deleting_a_rule_fails_one_of_its_examples(lang: str, pack: str, rule_id: str) -> None:
    loaded = rules.load(pack, lang)
    rule = next(r for r in loaded if r.id == rule_id)
    same = missed(loaded, rule, _without(lang, pack, rule_id))
    assert not same, f"without {rule_id} the {lang}/{pack} pack decides its examples alike: {same}"


def test_there_is_something_to_delete() -> None:
    assert len(DELETIONS) > 100


def _parse(name: str, *raw: dict[str, object]) -> rules.Pack:
    return rules.parse({"rule": list(raw)}, "t.toml", language="en", name=name)


def test_a_rule_the_others_cover_is_found() -> None:
    """The check itself: a rule whose examples another rule decides alike is reported."""
    used = {"id": "used", "kind": "indication", "pattern": r"\bused to treat\s+"}
    to_treat = {"id": "to-treat", "kind": "indication", "pattern": r"\bto treat\s+"}
    pack = _parse(
        "triggers",
        {**used, "examples": ["It is used to treat gout."]},
        {**to_treat, "examples": ["It helps to treat gout."]},
    )
    # "used to treat" matches earlier than "to treat": used is needed for its example
    assert missed(pack, pack.rules[0], pack.without("used")) == []
    # a second rule that only repeats the first one's wording is not
    twice = _parse(
        "triggers",
        {**used, "examples": ["It is used to treat gout."]},
        {**used, "id": "again", "examples": ["It is used to treat gout."]},
    )
    assert missed(twice, twice.rules[1], twice.without("again")) == ["It is used to treat gout."]
    words = _parse(
        "phrases",
        {"id": "a", "kind": "adjective", "phrases": ["severe", "mild"], "examples": ["mild"]},
        {"id": "b", "kind": "adjective", "phrases": ["mild"], "examples": ["mild"]},
    )
    assert missed(words, words.rules[1], words.without("b")) == ["mild"]


def test_an_included_rule_is_needed_by_the_pack_loading() -> None:
    assert _without("en", "triggers", "carer") is None
    assert _without("en", "triggers", "indication.treats") is not None
