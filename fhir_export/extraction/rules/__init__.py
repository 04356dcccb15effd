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
ConText: `direction` (forward | backward | bidirectional), `window` (words, or characters with
`window_unit = "characters"`) and `terminators`; `scope_source` turns that into a pattern.

A pattern may include another rule of its pack by id, `{{carer}}`: a word list kept once and
used by several rules. Deleting the included rule makes the pack refuse to load.

How a pack is applied is the engine's business: first rule wins (sections, labels), or the
sources of a kind's rules joined with `|` in file order into one pattern (`Pack.joined`,
`Pack.combined`), or the phrases of a kind's rules as a set of words (`Pack.words`).
"""

from __future__ import annotations

import re
import sys
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
        "window_unit",
    }
)
PACK_KEYS = frozenset({"language", "pack", "description", "rule"})
DIRECTIONS = frozenset({"forward", "backward", "bidirectional"})
ANCHORS = frozenset({"search", "start", "end", "full"})
WINDOW_UNITS = frozenset({"words", "characters"})
_INCLUDE = re.compile(r"\{\{([\w.-]+)\}\}")


class RuleError(ValueError):
    """A rule pack that cannot be used: unknown key, bad pattern, missing field."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    id: str
    kind: str
    source: str  # the pattern as written (or built from phrases, includes expanded)
    flags: int = re.I | re.M
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    note: str = ""
    direction: str = "forward"
    window: int = 0  # words; 0 = to the end of the sentence
    terminators: tuple[str, ...] = ()
    anchor: str = "search"  # search | start | end | full
    phrases: tuple[str, ...] = ()  # as written, for rules given as a phrase list
    window_unit: str = "words"  # words | characters

    @property
    def pattern(self) -> re.Pattern[str]:
        """The rule's own pattern, compiled when first used: the engine joins the sources of a
        kind's rules into one pattern and never needs most of them one by one."""
        return _compiled(self.source, self.flags)

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """The rule on text[pos:endpos], without copying it: a long text's tail read once per
        mention would cost the square of its length (the pattern's `$` matches at endpos)."""
        if self.anchor == "start":
            return self.pattern.match(text, pos, endpos)
        if self.anchor == "full":
            return self.pattern.fullmatch(text, pos, endpos)
        return self.pattern.search(text, pos, endpos)

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

    def kinds(self) -> tuple[str, ...]:
        """The kinds of the pack's rules, in file order of their first rule."""
        return tuple(dict.fromkeys(r.kind for r in self.rules))

    def words(self, kind: str) -> frozenset[str]:
        """The lower-cased phrases of the rules of that kind, for a pack read as word sets."""
        return frozenset(p.strip().lower() for r in self.by_kind(kind) for p in r.phrases)

    def joined(self, kind: str) -> str:
        """The sources of the rules of that kind joined with `|` in file order: one pattern
        that tries them in that order, as the alternatives of one regular expression do."""
        return "|".join(r.source for r in self.by_kind(kind))

    def combined(self, kind: str, flags: int = re.I | re.M) -> re.Pattern[str]:
        return re.compile(self.joined(kind), flags)

    def scoped(self, kind: str, flags: int = re.I) -> re.Pattern[str]:
        """The modifier rules of that kind with their scope (see `scope_source`), joined."""
        rules = self.by_kind(kind)
        if len({r.direction for r in rules}) > 1:
            raise RuleError(f"{self.name}: the '{kind}' rules must share one direction")
        return re.compile("|".join(scope_source(r) for r in rules), flags)

    def without(self, rule_id: str) -> Pack:
        """The pack less one rule (for showing that every rule is needed)."""
        return Pack(
            language=self.language,
            name=self.name,
            rules=tuple(r for r in self.rules if r.id != rule_id),
        )


def scope_source(rule: Rule) -> str:
    """A modifier's cue with its scope, as a pattern to search for in the sentence:

    forward (the cue comes before what it modifies, "not used to treat"): search in the text
    before the target; the pattern ends at the target, after at most `window` characters none
    of which is a terminator. backward (the cue follows, "... is unlikely"): search in the text
    after the target, the pattern starting at it. bidirectional with window 0: the cue anywhere
    in the sentence. A window of 0 reaches to the end of the sentence (or to a terminator)."""
    cue = f"(?:{rule.source})"
    if rule.direction == "bidirectional":
        if rule.window:
            raise RuleError(f"{rule.id}: a bidirectional window is not built yet; use window = 0")
        return cue
    if rule.window and rule.window_unit != "characters":
        raise RuleError(f"{rule.id}: a window in words is not built yet; count characters")
    chars = "".join(re.escape(t) for t in rule.terminators if len(t) == 1)
    words = [re.escape(t) for t in rule.terminators if len(t) > 1]
    step = f"[^{chars}]" if chars else "."
    if words:
        step = f"(?:(?!{'|'.join(words)}){step})"
    reach = f"{step}{{0,{rule.window}}}" if rule.window else f"{step}*"
    return f"{cue}{reach}$" if rule.direction == "forward" else f"^{reach}{cue}"


def phrase_pattern(phrases: list[str]) -> str:
    """Whole-word alternatives, longest first, any run of spaces between words."""
    words = sorted({p.strip() for p in phrases if p.strip()}, key=lambda p: (-len(p), p))
    alts = [r"\s+".join(re.escape(w) for w in p.split()) for p in words]
    return r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])"


def _include(source: str, fragments: dict[str, str], where: str) -> str:
    """Expand `{{id}}` with the pattern of that rule of the pack (grouped), a few levels deep."""
    for _ in range(5):
        if not _INCLUDE.search(source):
            return source
        missing = sorted(set(_INCLUDE.findall(source)) - set(fragments))
        if missing:
            raise RuleError(f"{where}: includes unknown rule(s) {', '.join(missing)}")
        source = _INCLUDE.sub(lambda m: f"(?:{fragments[m.group(1)]})", source)
    raise RuleError(f"{where}: includes nest too deep (a loop?)")


@cache
def _compiled(source: str, flags: int) -> re.Pattern[str]:
    return re.compile(source, flags)


def _rule(
    raw: dict[str, object], where: str, fragments: dict[str, str] | None = None, check: bool = True
) -> Rule:
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
    phrase_list: tuple[str, ...] = ()
    if "phrases" in raw:
        phrases = raw["phrases"]
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise RuleError(f"{where}: 'phrases' must be a list of strings")
        source = phrase_pattern(phrases)
        phrase_list = tuple(phrases)
    else:
        if not isinstance(raw["pattern"], str):
            raise RuleError(f"{where}: 'pattern' must be a string")
        source = _include(raw["pattern"], fragments or {}, where)
    flags = re.M if raw.get("case") else re.I | re.M
    if check:
        try:
            _compiled(source, flags)
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
    window_unit = str(raw.get("window_unit", "words"))
    if window_unit not in WINDOW_UNITS:
        raise RuleError(f"{where}: window_unit must be one of {sorted(WINDOW_UNITS)}")
    return Rule(
        id=rid,
        kind=str(raw["kind"]),
        flags=flags,
        source=source,
        examples=lists["examples"],
        counter_examples=lists["counter_examples"],
        note=str(raw.get("note", "")),
        direction=direction,
        window=window,
        terminators=lists["terminators"],
        anchor=anchor,
        phrases=phrase_list,
        window_unit=window_unit,
    )


def parse(
    data: dict[str, object], where: str, *, language: str, name: str, check: bool = True
) -> Pack:
    """The pack in data. With check, every rule's pattern is compiled now and a bad one refused;
    `load` leaves that to first use, as the shipped packs' examples (tests/test_rules.py) compile
    every rule anyway and the engine only needs each kind's joined pattern."""
    unknown = set(data) - PACK_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise RuleError(f"{where}: 'rule' must be an array of tables ([[rule]])")
    fragments = {
        str(r["id"]): r["pattern"]
        for r in raw_rules
        if isinstance(r, dict)
        and isinstance(r.get("id"), str)
        and isinstance(r.get("pattern"), str)
    }
    rules = tuple(
        _rule(r, f"{where}: rule {i + 1}", fragments, check) for i, r in enumerate(raw_rules)
    )
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
    return parse(data, where, language=lang, name=name, check=False)


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
