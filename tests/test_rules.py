"""Every rule of every shipped rule pack proves itself: it fires on each of its examples and on
none of its counter-examples. Packs read first-rule-wins (sections, labels, columns) also decide
each example as the rule's own kind, so a rule placed after one that swallows it fails here; packs
whose rules are joined into one pattern per kind (triggers, phrases) must give the same match on
each example as the rule alone, so the example is decided by its own rule (rule_outcomes.py)."""

from __future__ import annotations

import re
import tomllib
from importlib import resources

import pytest
from rule_outcomes import expected, outcome

from fhir_export.extraction import rules

PACKS = rules.available()
CASES = [
    (lang, name, rule.id, example, True)
    for lang, name in PACKS
    for rule in rules.load(name, lang)
    for example in rule.examples
] + [
    (lang, name, rule.id, example, False)
    for lang, name in PACKS
    for rule in rules.load(name, lang)
    for example in rule.counter_examples
]


def test_packs_are_shipped() -> None:
    langs = {lang for lang, _ in PACKS}
    assert {"en", "de", "es", "fr"} <= langs
    assert ("en", "sections") in PACKS and ("en", "labels") in PACKS


@pytest.mark.parametrize(
    ("lang", "pack", "rule_id", "example", "fires"),
    CASES,
    ids=[f"{c[0]}/{c[1]}/{c[2]}/{'ex' if c[4] else 'counter'}:{c[3][:40]}" for c in CASES],
)
def test_rule_example(lang: str, pack: str, rule_id: str, example: str, fires: bool) -> None:
    loaded = rules.load(pack, lang)
    rule = next(r for r in loaded if r.id == rule_id)
    alone = expected(loaded, rule, example)
    assert (alone not in (None, False)) is fires, f"{rule.id} ({rule.source}) on {example!r}"
    if fires:
        whole = outcome(loaded, rule.kind, example)
        assert whole == alone, (
            f"{example!r}: the {pack} pack gives {whole}, {rule.id} alone {alone}: "
            "another rule decides this example"
        )


def test_unknown_keys_are_refused() -> None:
    bad = {"rule": [{"id": "x", "kind": "k", "pattern": "a", "examples": ["a"], "exmples": []}]}
    with pytest.raises(rules.RuleError, match="unknown key"):
        rules.parse(bad, "t.toml", language="en", name="t")
    with pytest.raises(rules.RuleError, match="unknown key"):
        rules.parse({"rules": []}, "t.toml", language="en", name="t")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"id": "x", "kind": "k", "examples": ["a"]}, "either 'pattern' or 'phrases'"),
        ({"id": "x", "kind": "k", "pattern": "(", "examples": ["a"]}, "bad pattern"),
        ({"id": "x", "kind": "k", "pattern": "a"}, "at least one example"),
        (
            {"id": "x", "kind": "k", "pattern": "a", "examples": ["a"], "direction": "up"},
            "direction",
        ),
        ({"kind": "k", "pattern": "a", "examples": ["a"]}, "'id' is required"),
    ],
)
def test_bad_rules_are_refused(raw: dict[str, object], message: str) -> None:
    with pytest.raises(rules.RuleError, match=message):
        rules.parse({"rule": [raw]}, "t.toml", language="en", name="t")


def test_rule_ids_are_unique() -> None:
    raw = {"id": "x", "kind": "k", "pattern": "a", "examples": ["a"]}
    with pytest.raises(rules.RuleError, match="used twice"):
        rules.parse({"rule": [raw, raw]}, "t.toml", language="en", name="t")


def test_phrases_match_whole_words() -> None:
    pack = rules.parse(
        {
            "rule": [
                {
                    "id": "p",
                    "kind": "k",
                    "phrases": ["side effect"],
                    "examples": ["a side  effect"],
                    "counter_examples": ["side effective"],
                }
            ]
        },
        "t.toml",
        language="en",
        name="t",
    )
    rule = pack.rules[0]
    assert rule.fires("a side  effect") and not rule.fires("side effective")


def test_a_language_without_a_pack_fires_nothing() -> None:
    assert rules.load("sections", "zz").rules == ()


def test_packs_of_this_step_are_shipped() -> None:
    for name in ("triggers", "modifiers", "phrases", "columns"):
        assert ("en", name) in PACKS


def _pack(*raw: dict[str, object]) -> rules.Pack:
    return rules.parse({"rule": list(raw)}, "t.toml", language="en", name="t")


def test_words_are_the_lower_cased_phrases_of_a_kind() -> None:
    pack = _pack(
        {"id": "a", "kind": "adj", "phrases": ["Severe", " mild "], "examples": ["severe"]},
        {"id": "b", "kind": "adj", "phrases": ["life-threatening"], "examples": ["x"]},
        {"id": "c", "kind": "other", "phrases": ["rare"], "examples": ["rare"]},
    )
    assert pack.words("adj") == frozenset({"severe", "mild", "life-threatening"})
    assert pack.words("none") == frozenset()
    assert pack.kinds() == ("adj", "other")


def test_joined_tries_the_rules_in_file_order() -> None:
    pack = _pack(
        {"id": "long", "kind": "k", "pattern": r"\bused to treat\s+", "examples": ["x"]},
        {"id": "short", "kind": "k", "pattern": r"\bto treat\s+", "examples": ["x"]},
        {"id": "else", "kind": "j", "pattern": "y", "examples": ["y"]},
    )
    assert pack.joined("k") == r"\bused to treat\s+|\bto treat\s+"
    match = pack.combined("k").search("It is used to treat gout")
    assert match is not None and match.group() == "used to treat "
    assert [r.id for r in pack.without("long")] == ["short", "else"]


def test_a_rule_includes_another_by_id() -> None:
    pack = _pack(
        {"id": "carer", "kind": "carer", "pattern": "doctor|nurse", "examples": ["nurse"]},
        {"id": "tell", "kind": "k", "pattern": r"\btell your {{carer}}\b", "examples": ["x"]},
    )
    tell = pack.rules[1]
    assert tell.source == r"\btell your (?:doctor|nurse)\b"
    assert tell.fires("Tell your nurse") and not tell.fires("Tell your friend")
    with pytest.raises(rules.RuleError, match="unknown rule"):
        _pack({"id": "tell", "kind": "k", "pattern": "{{carer}}", "examples": ["x"]})
    with pytest.raises(rules.RuleError, match="too deep"):
        _pack({"id": "loop", "kind": "k", "pattern": "a{{loop}}", "examples": ["x"]})


def test_a_forward_scope_ends_at_the_target_within_its_window() -> None:
    rule = _pack(
        {
            "id": "not",
            "kind": "negation",
            "pattern": r"\bnot\b",
            "direction": "forward",
            "window": 10,
            "window_unit": "characters",
            "terminators": [",", "but"],
            "examples": ["x"],
        }
    ).rules[0]
    scope = re.compile(rules.scope_source(rule), re.I)
    assert scope.search("it is not ")  # the target follows
    assert scope.search("not really ")  # 8 characters after the cue
    assert not scope.search("not for the moment ")  # more than 10
    assert not scope.search("not, ")  # a terminator
    assert not scope.search("not but ")  # a word terminator


def test_a_backward_and_a_bidirectional_scope() -> None:
    back, both = _pack(
        {
            "id": "b",
            "kind": "k",
            "pattern": r"\bis unlikely\b",
            "direction": "backward",
            "window": 0,
            "terminators": ["."],
            "examples": ["x"],
        },
        {
            "id": "h",
            "kind": "h",
            "pattern": r"\brarely\b",
            "direction": "bidirectional",
            "examples": ["x"],
        },
    ).rules
    assert re.search(rules.scope_source(back), " hair loss is unlikely")
    assert not re.search(rules.scope_source(back), ". It is unlikely")
    assert rules.scope_source(both) == r"(?:\brarely\b)"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"direction": "forward", "window": 3}, "window in words"),
        ({"direction": "bidirectional", "window": 3}, "bidirectional window"),
    ],
)
def test_scopes_not_built_yet_are_refused(raw: dict[str, object], message: str) -> None:
    rule = _pack({"id": "x", "kind": "k", "pattern": "a", "examples": ["a"], **raw}).rules[0]
    with pytest.raises(rules.RuleError, match=message):
        rules.scope_source(rule)


def test_a_kind_with_two_directions_is_refused() -> None:
    pack = _pack(
        {"id": "a", "kind": "k", "pattern": "a", "examples": ["a"], "direction": "forward"},
        {"id": "b", "kind": "k", "pattern": "b", "examples": ["b"], "direction": "backward"},
    )
    with pytest.raises(rules.RuleError, match="one direction"):
        pack.scoped("k")


def test_window_unit_is_checked() -> None:
    with pytest.raises(rules.RuleError, match="window_unit"):
        _pack({"id": "x", "kind": "k", "pattern": "a", "examples": ["a"], "window_unit": "km"})


@pytest.mark.parametrize(("lang", "name"), PACKS)
def test_every_shipped_pattern_compiles(lang: str, name: str) -> None:
    """load() compiles a rule's pattern when first used; parse() with check refuses a bad one."""
    text = resources.files(rules).joinpath(lang, f"{name}.toml").read_text(encoding="utf-8")
    checked = rules.parse(tomllib.loads(text), name, language=lang, name=name, check=True)
    assert checked == rules.load(name, lang)
