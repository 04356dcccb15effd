"""Every rule of every shipped rule pack proves itself: it fires on each of its examples and on
none of its counter-examples. Packs read first-rule-wins (sections, labels) also decide each
example as the rule's own kind, so a rule placed after one that swallows it fails here."""

from __future__ import annotations

import pytest

from fhir_export.extraction import rules

FIRST_WINS = {"sections", "labels"}
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
    if pack == "labels":
        hit = rule.pattern.match(example) is not None
    else:
        hit = rule.fires(example)
    assert hit is fires, f"{rule.id} ({rule.source}) on {example!r}"
    if fires and pack in FIRST_WINS:
        first = next(
            r
            for r in loaded
            if (r.pattern.match(example) if pack == "labels" else r.fires(example))
        )
        assert first.kind == rule.kind, f"{example!r} is decided by {first.id}, not {rule.id}"


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
