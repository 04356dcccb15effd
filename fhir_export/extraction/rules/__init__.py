"""Rule packs: extraction rules kept as data, one TOML file per concern and language.

    fhir_export/extraction/rules/<lang>/<pack>.toml

A pack holds `[[rule]]` tables. Every rule names an `id` (unique in its pack), a `kind` (what it
decides: a section kind, a finding kind, a modifier...), a `pattern` (a regular expression,
matched case-insensitively unless `case = true`) or a list of `phrases` (matched as whole
words, any amount of space between words), and the sentences it must fire on (`examples`) and
must not (`counter_examples`). tests/test_rules.py turns every example into a test, so that
deleting or breaking a rule fails one. Keys a pack does not know are refused, as medspaCy's
ConText `from_dict` refuses them: a typo must not silently switch a rule off.

Modifier rules (negation, hedging, hypothetical) also carry their scope in the manner of
ConText: `direction` (forward | backward | bidirectional), `window` (words) and `terminators`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

RULE_KEYS = frozenset(
    {
        "id",
        "kind",
        "pattern",
        "phrases",
        "case",
        "examples",
        "counter_examples",
        "note",
        "direction",
        "window",
        "terminators",
        "anchor",
    }
)
PACK_KEYS = frozenset({"language", "pack", "description", "rule"})
DIRECTIONS = frozenset({"forward", "backward", "bidirectional"})
ANCHORS = frozenset({"search", "start", "end", "full"})


class RuleError(ValueError):
    """A rule pack that cannot be used: unknown key, bad pattern, missing field."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    id: str
    kind: str
    pattern: re.Pattern[str]
    source: str  # the pattern as written (or built from phrases), for messages
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    note: str = ""
    direction: str = "forward"
    window: int = 0  # words; 0 = to the end of the sentence
    terminators: tuple[str, ...] = ()
    anchor: str = "search"  # search | start | end | full

    def match(self, text: str) -> re.Match[str] | None:
        if self.anchor == "start":
            return self.pattern.match(text)
        if self.anchor == "full":
            return self.pattern.fullmatch(text)
        return self.pattern.search(text)

    def fires(self, text: str) -> bool:
        return self.match(text) is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Pack:
    language: str
    name: str
    rules: tuple[Rule, ...]

    def by_kind(self, kind: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind == kind)

    def first(self, text: str) -> Rule | None:
        """The first rule (in file order) that fires on text."""
        return next((r for r in self.rules if r.fires(text)), None)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)


def phrase_pattern(phrases: list[str]) -> str:
    """Whole-word alternatives, longest first, any run of spaces between words."""
    words = sorted({p.strip() for p in phrases if p.strip()}, key=lambda p: (-len(p), p))
    alts = [r"\s+".join(re.escape(w) for w in p.split()) for p in words]
    return r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])"


def _rule(raw: dict[str, object], where: str) -> Rule:
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("id", "kind"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise RuleError(f"{where}: '{key}' is required")
    rid = str(raw["id"])
    where = f"{where} ({rid})"
    if ("pattern" in raw) == ("phrases" in raw):
        raise RuleError(f"{where}: give either 'pattern' or 'phrases'")
    if "phrases" in raw:
        phrases = raw["phrases"]
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise RuleError(f"{where}: 'phrases' must be a list of strings")
        source = phrase_pattern(phrases)
    else:
        if not isinstance(raw["pattern"], str):
            raise RuleError(f"{where}: 'pattern' must be a string")
        source = raw["pattern"]
    flags = re.M if raw.get("case") else re.I | re.M
    try:
        pattern = re.compile(source, flags)
    except re.error as err:
        raise RuleError(f"{where}: bad pattern: {err}") from None
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("examples", "counter_examples", "terminators"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RuleError(f"{where}: '{key}' must be a list of strings")
        lists[key] = tuple(value)
    if not lists["examples"]:
        raise RuleError(f"{where}: a rule needs at least one example it fires on")
    direction = str(raw.get("direction", "forward"))
    if direction not in DIRECTIONS:
        raise RuleError(f"{where}: direction must be one of {sorted(DIRECTIONS)}")
    anchor = str(raw.get("anchor", "search"))
    if anchor not in ANCHORS:
        raise RuleError(f"{where}: anchor must be one of {sorted(ANCHORS)}")
    window = raw.get("window", 0)
    if not isinstance(window, int) or window < 0:
        raise RuleError(f"{where}: window must be a whole number of words")
    return Rule(
        id=rid,
        kind=str(raw["kind"]),
        pattern=pattern,
        source=source,
        examples=lists["examples"],
        counter_examples=lists["counter_examples"],
        note=str(raw.get("note", "")),
        direction=direction,
        window=window,
        terminators=lists["terminators"],
        anchor=anchor,
    )


def parse(data: dict[str, object], where: str, *, language: str, name: str) -> Pack:
    unknown = set(data) - PACK_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise RuleError(f"{where}: 'rule' must be an array of tables ([[rule]])")
    rules = tuple(_rule(r, f"{where}: rule {i + 1}") for i, r in enumerate(raw_rules))
    ids = [r.id for r in rules]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise RuleError(f"{where}: rule id used twice: {', '.join(twice)}")
    return Pack(language=language, name=name, rules=rules)


@cache
def load(name: str, language: str = "en") -> Pack:
    """The pack `name` for `language` (a BCP-47 tag; its primary subtag picks the folder). A
    language without that pack gets an empty one: no rule fires, nothing is invented."""
    lang = language.split("-")[0].lower()
    path = resources.files(__package__).joinpath(lang, f"{name}.toml")
    if not path.is_file():
        return Pack(language=lang, name=name, rules=())
    where = f"rules/{lang}/{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise RuleError(f"{where}: {err}") from None
    return parse(data, where, language=lang, name=name)


def available() -> tuple[tuple[str, str], ...]:
    """Every (language, pack) shipped, sorted."""
    root = resources.files(__package__)
    out = []
    for folder in root.iterdir():
        if folder.is_dir() and not folder.name.startswith("_"):
            for file in folder.iterdir():
                if file.name.endswith(".toml"):
                    out.append((folder.name, file.name[: -len(".toml")]))
    return tuple(sorted(out))
