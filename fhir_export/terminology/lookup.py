"""Exact lexicon matching: normalized tokens, longest match first, never fuzzy.

Normalization folds case, dashes, quotes, (R)/(TM) marks, possessive 's and a final plural,
so "Interferons", "Non-Hodgkin's lymphoma" and "HUMIRA®" find their entries. Terms written
in capitals in the lexicon (TB, CLL, IL-2) only match text written in capitals.

Tiers: a medicine whose name is also a food, salt, excipient or body chemical (water, potassium
chloride, sucrose, caffeine, iron) carries `"tier": "ambiguous"` and a `tier_reason`. Its names
(not its brands: "K-Tab" is always a medicine) match only when the caller asks for them with
`scan(..., ambiguous=True)`; each such match has `Match.ambiguous` set, so the caller keeps it
only where the text treats the substance as a medicine (a dose, a route, a brand, "take ...").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import LexiconError
from ..model import Coding, Concept

EMITTED = frozenset({"V", "V2"})  # confidence grades whose codes reach the output
# A word, with its inner apostrophes and hyphens ("Crohn's", "anti-TNF"); a French elided
# article or pronoun is a word of its own ("l'amoxicilline", "d'ibuprofène": "l'", then the
# name), where its letter starts the word.
_TOKEN = re.compile(r"(?:[cdjlmnstCDJLMNST]|[qQ][uU])['’](?=[^\W\d_])|\w+(?:['’\-‐‑–]\w+)*")
_MARKS = dict.fromkeys(map(ord, "®™©℠"), None)
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−"), "-")
_QUOTES = dict.fromkeys(map(ord, "’‘`´"), "'")
FILES = ("drugs", "conditions", "routes", "screening")


class Token(NamedTuple):  # a tuple, not a dataclass: a 1 MB article makes a million of them
    norm: str
    surface: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Entry:
    concept: Concept
    brand: str | None  # the brand name when the term is a brand of this drug
    exact_case: str | None  # the term as written, when it must match case
    ambiguous: bool = False  # also a food, salt, excipient or body chemical: see tiers above


@dataclass(frozen=True, slots=True)
class Match:
    entry: Entry
    start: int
    end: int
    first: int  # token index range in the scanned token list
    last: int

    @property
    def concept(self) -> Concept:
        return self.entry.concept

    @property
    def ambiguous(self) -> bool:
        """The term names a medicine only where the text treats it as one (tier 'ambiguous')."""
        return self.entry.ambiguous


@lru_cache(maxsize=1 << 16)
def unmarked(text: str) -> str:
    """The text without its accents and other marks ("ibuprofène" -> "ibuprofene")."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def normalize(word: str) -> str:
    if word.isascii():  # the common case: no marks, dashes or curly quotes to fold
        word = word.replace("`", "'").lower()
    else:
        word = unicodedata.normalize("NFKC", word).translate(_MARKS).translate(_DASHES)
        word = word.translate(_QUOTES).casefold()
    if word.endswith("'s"):
        word = word[:-2]
    return word.rstrip("'")


@lru_cache(maxsize=1 << 16)
def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_NEW_TOKEN = tuple.__new__  # Token(...) without the call through NamedTuple's own __new__


_NORMS: dict[str, str] = {}  # normalize()'s answers, bounded (the same words come back)


def _norm(word: str) -> str:
    norm = _NORMS.get(word)
    if norm is None:
        norm = normalize(word)
        if len(word) <= _KEPT_CHARS and len(_NORMS) < _NEAR_SEEN_MAX:
            _NORMS[word] = norm
    return norm


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    end = len(text) if end is None else end
    get = _NORMS.get
    return [
        _NEW_TOKEN(Token, (get(word) or _norm(word), word, m.start(), m.end()))
        for m in _TOKEN.finditer(text, start, end)
        for word in (m.group(),)
    ]


def _term_tokens(term: str) -> list[str]:
    """The normalized words of a lexicon term (what tokenize gives, without offsets)."""
    if term.isascii() and "'" not in term and "`" not in term:
        return _TOKEN.findall(term.lower())  # the common case: normalize is lower-casing
    return [normalize(w) for w in _TOKEN.findall(term)]


def _key(tokens: list[str]) -> tuple[str, ...]:
    return (*tokens[:-1], _singular(tokens[-1])) if tokens else ()


def _shape(term: str) -> str:
    return "".join(ch for ch in term if ch.isalnum())


class Lexicon:
    def __init__(self, entries: Iterable[dict[str, Any]]) -> None:
        self.concepts: dict[str, Concept] = {}
        self.raw: dict[str, dict[str, Any]] = {}
        self._index: dict[tuple[str, ...], Entry] = {}
        self._first: dict[str, int] = {}  # first token of any term -> its longest term
        self.max_len = 1
        self._near: dict[str, tuple[str, ...]] | None = None
        self._near_longest = 0  # letters of the longest name in the near index
        self._near_seen: dict[str, Entry | None] = {}  # near()'s answers, bounded
        self._unmarked_seen: dict[str, Entry | None] = {}  # _unmarked()'s answers, bounded
        self._longest: dict[str, int] = {}  # scan(): words of the longest term a word opens
        self._scanned: dict[tuple[Any, ...], tuple[tuple[Entry, int, int], ...]] = {}
        for data in entries:
            self._add(data)

    def _add(self, data: dict[str, Any]) -> None:
        try:
            codings = tuple(
                Coding(
                    system=c["system"],
                    code=c["code"],
                    display=c.get("display"),
                    version=c.get("version"),
                )
                for c in data.get("codings", ())
                if c.get("verified") in EMITTED
            )
            concept = Concept(
                id=data["id"], kind=data["kind"], preferred=data["preferred"], codings=codings
            )
        except (KeyError, TypeError) as exc:
            raise LexiconError(f"lexicon entry is malformed ({exc!r})") from None
        self.concepts[concept.id] = concept
        self.raw[concept.id] = data
        terms = [(t, None) for t in (concept.preferred, *data.get("synonyms", ()))]
        terms += [(b["name"], b["name"]) for b in data.get("brands", ())]
        ambiguous = data.get("tier") == "ambiguous"
        index, first = self._index, self._first
        named = Entry(concept, None, None, ambiguous)  # the entry of most of its names
        for term, brand in terms:
            tokens = _term_tokens(term)
            if not tokens:
                continue
            exact = term if len(term) <= 6 and term.isupper() else None
            key = _key(tokens)
            index[key] = (
                named
                if brand is None and exact is None
                else Entry(concept, brand, exact, ambiguous and brand is None)
            )
            size = len(tokens)
            if size > self.max_len:
                self.max_len = size
            if size > first.get(key[0], 0):
                first[key[0]] = size

    def brand_codings(self, concept_id: str, brand: str) -> tuple[Coding, ...]:
        for b in self.raw.get(concept_id, {}).get("brands", ()):
            if b["name"] == brand:
                return tuple(
                    Coding(system=c["system"], code=c["code"], display=c.get("display"))
                    for c in b.get("codings", ())
                    if c.get("verified") in EMITTED
                )
        return ()

    def tier(self, concept_id: str) -> str:
        """'ambiguous' for a medicine that is also a food, salt, excipient or body chemical
        (its reason in `raw[id]['tier_reason']`), else 'medicine'."""
        return str(self.raw.get(concept_id, {}).get("tier", "medicine"))

    def scan(
        self,
        tokens: list[Token],
        kinds: frozenset[str] | None = None,
        *,
        ambiguous: bool = False,
    ) -> list[Match]:
        """Longest-first, non-overlapping matches over a token list. Names of 'ambiguous'
        tier medicines (water, sucrose) match only with ambiguous=True (then Match.ambiguous
        tells them apart)."""
        seen: tuple[tuple[Entry, int, int], ...] | None
        if len(tokens) > _SCANNED_WORDS or (
            tokens and tokens[-1].end - tokens[0].start > _SCANNED_WORDS * _KEPT_CHARS
        ):
            seen = self._scan(tokens, kinds, ambiguous)
        else:  # a short phrase (a part, a name) is scanned once per wording: they come back
            key = (*(t.surface for t in tokens), kinds, ambiguous)
            seen = self._scanned.get(key)
            if seen is None:
                seen = self._scan(tokens, kinds, ambiguous)
                if len(self._scanned) < _SCANNED_MAX:
                    self._scanned[key] = seen
        return _matches(tokens, seen)

    def _scan_uncached(
        self, tokens: list[Token], kinds: frozenset[str] | None, ambiguous: bool
    ) -> list[Match]:
        """scan() without the answers it keeps (what the kept ones are checked against)."""
        return _matches(tokens, self._scan(tokens, kinds, ambiguous))

    def _scan(
        self, tokens: list[Token], kinds: frozenset[str] | None, ambiguous: bool
    ) -> tuple[tuple[Entry, int, int], ...]:
        """scan()'s matches as (entry, first token, last token)."""
        found: list[tuple[Entry, int, int]] = []
        i, n = 0, len(tokens)
        norms = [t.norm for t in tokens]
        first, index, known = self._first, self._index, self._longest
        while i < n:
            norm = norms[i]
            longest = known.get(norm)
            if longest is None:
                longest = max(first.get(norm, 0), first.get(_singular(norm), 0))
                if len(known) < _NEAR_SEEN_MAX:  # bounded, as near()'s answers are
                    known[norm] = longest
            if not longest:  # no term starts with this word: most words, skipped at once
                if not norm.isascii():  # "ibuprofène": a name the lexicon has without marks
                    entry = self._unmarked(norm)
                    if (
                        entry is not None
                        and (kinds is None or entry.concept.kind in kinds)
                        and (ambiguous or not entry.ambiguous)
                    ):
                        found.append((entry, i, i))
                i += 1
                continue
            for size in range(min(longest, n - i), 0, -1):
                entry = index.get(_key(norms[i : i + size]))
                if entry is None or (kinds is not None and entry.concept.kind not in kinds):
                    continue
                if entry.ambiguous and not ambiguous:
                    continue
                if entry.exact_case and _shape(
                    " ".join(t.surface for t in tokens[i : i + size])
                ) != _shape(entry.exact_case):
                    continue
                found.append((entry, i, i + size - 1))
                i += size
                break
            else:
                i += 1
        return tuple(found)

    def _unmarked(self, word: str) -> Entry | None:
        """The one-word term (no brand, no term that must match its capitals) that `word` is
        without its accents and other marks: "ibuprofène" is the lexicon's "ibuprofene",
        "Zwölffingerdarm" would be "zwolffingerdarm". Only where no term starts with `word`
        itself; answers kept, bounded."""
        if word in self._unmarked_seen:
            return self._unmarked_seen[word]
        plain = unmarked(word)
        entry = self._index.get(_key([plain])) if plain and plain != word else None
        if entry is not None and (entry.brand is not None or entry.exact_case is not None):
            entry = None
        if len(self._unmarked_seen) < _NEAR_SEEN_MAX:
            self._unmarked_seen[word] = entry
        return entry

    def near(self, word: str) -> Entry | None:
        """The one medicine (kind drug, tier medicine) whose one-word name is a single typing
        slip away from `word` (a letter left out, added, changed or two swapped), else None:
        "chlorpheniramin" is chlorpheniramine. Only names of NEAR_MIN letters or more, where a
        slip cannot turn one medicine or everyday word into another."""
        if len(word) < NEAR_MIN or not word.isalpha() or word in self._first:
            return None
        if word in self._near_seen:  # the same long words come back in every article
            return self._near_seen[word]
        index = self._near_index()
        if len(word) > self._near_longest + 1:
            return None  # no slip away from any name (and its deletions would cost len**2)
        hits = {name for variant in (word, *_deletions(word)) for name in index.get(variant, ())}
        entries = {self._index[(name,)] for name in sorted(hits) if _one_slip(word, name)}
        found = (
            min(entries, key=lambda e: e.concept.preferred)
            if len({e.concept.id for e in entries}) == 1
            else None
        )
        if len(self._near_seen) < _NEAR_SEEN_MAX:
            self._near_seen[word] = found
        return found

    def _near_index(self) -> dict[str, tuple[str, ...]]:
        if self._near is None:
            index: dict[str, list[str]] = {}
            for key, entry in self._index.items():
                name = key[0]
                if (
                    len(key) == 1
                    and len(name) >= NEAR_MIN
                    and name.isalpha()
                    and entry.brand is None
                    and not entry.ambiguous
                    and entry.concept.kind == "drug"
                ):
                    for variant in (name, *_deletions(name)):
                        index.setdefault(variant, []).append(name)
            self._near = {k: tuple(sorted(set(v))) for k, v in index.items()}
            self._near_longest = max((len(k) for k in self._near), default=0)
        return self._near

    def lookup(self, phrase: str, kinds: frozenset[str] | None = None) -> Concept | None:
        """The concept whose term is exactly this phrase, if any."""
        tokens = tokenize(phrase)
        return self.whole(self.scan(tokens, kinds), tokens)

    @staticmethod
    def whole(matches: list[Match], tokens: list[Token]) -> Concept | None:
        """The concept of the one match that spans all the tokens scanned, if any (what
        lookup answers for their text, from a scan already made)."""
        if len(matches) == 1 and matches[0].first == 0 and matches[0].last == len(tokens) - 1:
            return matches[0].concept
        return None


KINDS = frozenset({"drug", "drug-class", "condition", "finding", "route", "screening"})
NEAR_MIN = 9  # letters: a slip in a shorter name is too likely another word
_NEAR_SEEN_MAX = 1 << 16  # words whose near() answer is kept (memory stays flat on any corpus)
_SCANNED_WORDS = 12  # phrases of up to this many words have their scan() answer kept ...
_SCANNED_MAX = 1 << 15  # ... this many of them (a few MB at most)
_KEPT_CHARS = 40  # a word kept by tokenize() has at most this many letters (a phrase by scan()
# at most _SCANNED_WORDS times as many characters): a run of huge words keeps no memory


def _matches(tokens: list[Token], found: tuple[tuple[Entry, int, int], ...]) -> list[Match]:
    return [Match(entry, tokens[i].start, tokens[last].end, i, last) for entry, i, last in found]


def _deletions(word: str) -> tuple[str, ...]:
    return tuple(word[:i] + word[i + 1 :] for i in range(len(word)))


def _one_slip(a: str, b: str) -> bool:
    """a and b differ by one letter left out, added or changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _problem(entry: Any) -> str | None:
    """What is wrong with one lexicon entry's shape, or None."""
    if not isinstance(entry, dict):
        return "is not an object"
    for key in ("id", "kind", "preferred"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            return f"needs a text '{key}'"
    if entry["kind"] not in KINDS:
        return f"has kind '{entry['kind']}', not one of {', '.join(sorted(KINDS))}"
    if entry.get("tier", "medicine") not in ("medicine", "ambiguous"):
        return "has a 'tier' other than 'medicine' or 'ambiguous'"
    synonyms = entry.get("synonyms", [])
    if not isinstance(synonyms, list) or not all(isinstance(x, str) for x in synonyms):
        return "needs 'synonyms' to be a list of texts"
    brands = entry.get("brands", [])
    if not isinstance(brands, list) or not all(
        isinstance(b, dict) and isinstance(b.get("name"), str) for b in brands
    ):
        return "needs 'brands' to be a list of objects with a 'name'"
    codings = [c for b in brands for c in b.get("codings", ())] + list(entry.get("codings", []))
    if not isinstance(entry.get("codings", []), list) or not all(
        isinstance(c, dict) and isinstance(c.get("system"), str) and isinstance(c.get("code"), str)
        for c in codings
    ):
        return "needs 'codings' to be a list of objects with a 'system' and a 'code'"
    return None


def _load_json(text: str, where: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except RecursionError:
        raise LexiconError("JSON nested too deeply to be a lexicon", path=where) from None
    except ValueError as exc:
        raise LexiconError(f"not valid JSON ({exc})", path=where) from None
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise LexiconError("needs an object with an 'entries' list", path=where)
    for i, entry in enumerate(entries):
        problem = _problem(entry)
        if problem:
            name = entry.get("id") if isinstance(entry, dict) else None
            label = f"entry {i + 1}" + (f" ('{name}')" if isinstance(name, str) else "")
            raise LexiconError(f"{label} {problem}", path=where)
    return entries


@cache
def _shipped() -> tuple[dict[str, Any], ...]:
    folder = resources.files(__package__) / "data"
    entries: list[dict[str, Any]] = []
    for name in FILES:
        entries += _load_json((folder / f"{name}.json").read_text("utf-8"), f"{name}.json")
    return tuple(entries)


@cache
def default_lexicon(extra: tuple[Path, ...] = ()) -> Lexicon:
    """The shipped lexicon plus user files (same id replaces), loaded once per process."""
    entries = {e["id"]: e for e in _shipped()}
    for path in extra:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise LexiconError(f"cannot read lexicon ({exc})", path=str(path)) from None
        entries.update({e["id"]: e for e in _load_json(text, str(path))})
    return Lexicon(entries.values())
