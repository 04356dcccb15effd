"""Extraction quality against hand-written expectations (tests/data/expectations/*.json).

Shared by tests/test_quality.py (floors that cannot drop silently) and
benchmarks/extraction_quality.py (prints the figures). Wording is matched as the real-world
corpus's scorer (../shared/realworld/score.py) matches it, and tests/test_realworld.py proves
these functions equal to score.py's: normalized tokens compared on their first six characters,
a parenthetical gives alternative wordings, and a fragment is no hit. A found
"moderate to severe rheumatoid arthritis" is a hit for the expected "rheumatoid arthritis"; a
found "head" is none for "head and neck cancer", and "H" none for "H. pylori infection".

- recall: an expected item is found when all its tokens occur in one found item of its kind
  (score.py's phrase_in);
- precision: a found item is right when it names an expected item of its kind, or is most of
  one (at least half its tokens: "heart failure" for "congestive heart failure");
- screening: score.py's concept match (an alternative split on "/", "or", ",", or a token of
  five letters or more);
- medicines: matched by name or brand either way, as score.py matches MedicationKnowledge.
Each item counts on its own, as in score.py: recall = expected found / expected, precision =
found items that are right / found items.

`snapshot()` lists what an article yields, one line per fact, for tests/data/snapshots/.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fhir_export.extraction import extract
from fhir_export.model import Concept, Extraction, Finding
from fhir_export.segmentation import segment
from fhir_export.sources import read_article
from fhir_export.terminology import default_lexicon

KINDS = ("medications", "brands", "indications", "side_effects", "warnings", "routes",
         "screening")

# ---- score.py's matching (tests/test_realworld.py proves these equal to it) -----------------

STOP = {"the", "and", "or", "of", "a", "an", "to", "for", "in", "with", "other", "certain", "types",
        "type", "kinds", "kind", "some", "any", "not", "that", "are", "is", "be", "by", "on", "as",
        "your", "you", "have", "has", "had", "ever", "history", "disease", "diseases", "disorder",
        "problems", "problem", "condition", "conditions", "such", "including", "like"}


def norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", str(s)).lower()
    s = s.replace("®", " ").replace("™", " ").replace("’", "'")
    s = re.sub(r"'s\b", "", s)
    s = re.sub(r"[^a-z0-9äöüßéèáíóúñ\-]+", " ", s)
    return " " + re.sub(r"\s+", " ", s).strip() + " "


def toks(s: str) -> list[str]:
    return [t for t in norm(s).split() if t not in STOP and len(t) > 1]


def alternatives(phrase: str) -> list[str]:
    head = re.sub(r"\([^)]*\)", " ", phrase).strip()
    inner = re.findall(r"\(([^)]*)\)", phrase)
    return [phrase] + ([head] if head and head != phrase else []) + [i for i in inner if toks(i)]


def phrase_in(phrase: str, texts: list[str]) -> bool:
    """Every token of phrase (or of one of its alternatives) occurs in one of texts."""
    wants = [[t[:6] for t in toks(alt)] for alt in alternatives(str(phrase))]
    if not any(wants):
        return True
    for s in texts:
        have = {t[:6] for t in toks(s)}
        if any(w and all(x in have for x in w) for w in wants):
            return True
    return False


def parts(item: str) -> list[str]:
    """An expected item, its clauses, and each member of a parenthesised list inside it."""
    out = [item] + [c for c in re.split(r"\s*;\s*", item) if c]
    for inner in re.findall(r"\(([^)]*)\)", item):
        out += [m for m in re.split(r"\s*,\s*|\s+or\s+|\s+and\s+", inner) if toks(m)]
    return out


def matches(pred: str, golds: list[str]) -> bool:
    """score.py's precision test: the prediction names a golden item, or is most of it."""
    return any(phrase_in(c, [pred]) or (phrase_in(pred, [c]) and
               2 * len(set(toks(pred))) >= len(set(toks(c)))) for gi in golds for c in parts(gi))


# ---- scoring --------------------------------------------------------------------------------


def concept_in(concept: str, texts: list[str]) -> bool:
    """score.py's screening match: an alternative of the concept ("/", "or", ",") in a text,
    or one of its tokens of five letters or more."""
    alts = re.split(r"\s*/\s*|\s+or\s+|,\s*", concept)
    return any(alt and phrase_in(alt, texts) for alt in alts) or \
        any(len(t) >= 5 and phrase_in(t, texts) for t in toks(concept))


def _found_by(expected: str, found: list[str]) -> bool:
    return phrase_in(expected, [f for f in found if toks(f)])


def _right(found: str, expected: list[str]) -> bool:
    return bool(toks(found)) and matches(found, expected)


def _screening_found_by(expected: str, found: list[str]) -> bool:
    return concept_in(expected, found)


def _screening_right(found: str, expected: list[str]) -> bool:
    return any(concept_in(c, [found]) or phrase_in(found, [c]) for c in expected)


def _same_medicine(expected: list[str], found: str) -> bool:
    """score.py's medicine match: an expected name or brand in the found name, or the found
    name in an expected one. A found name without tokens ("H") matches nothing here, where
    score.py's phrase_in would take it for a hit on anything."""
    return bool(toks(found)) and any(phrase_in(n, [found]) or phrase_in(found, [n])
                                     for n in expected)


@dataclass
class Score:
    """Recall = expected items found / expected; precision = extracted items that are right /
    extracted, each counted on its own as score.py counts them (no one-to-one pairing)."""

    expected: int = 0
    found: int = 0
    extracted: int = 0
    right: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    def add(self, expected: list[str], found: list[str], where: str,
            screening: bool = False) -> None:
        found_by = _screening_found_by if screening else _found_by
        right = _screening_right if screening else _right
        for e in expected:
            self.expected += 1
            if found_by(e, found):
                self.found += 1
            else:
                self.misses.append(f"{where}: {e}")
        for f in found:
            self.extracted += 1
            if right(f, expected):
                self.right += 1
            else:
                self.extras.append(f"{where}: {f}")

    def merge(self, other: Score) -> None:
        self.expected += other.expected
        self.found += other.found
        self.extracted += other.extracted
        self.right += other.right
        self.misses += other.misses
        self.extras += other.extras

    @property
    def precision(self) -> float:
        return self.right / self.extracted if self.extracted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0


def _route_name(text: str, concept_id: str | None) -> str:
    return concept_id or text


def _found(x: Extraction) -> dict[str, dict[str, list[str]]]:
    meds: dict[str, dict[str, list[str]]] = {}
    for m in x.medications:
        name = m.concept.preferred if m.concept else m.name.text
        meds[name] = {
            "brands": [b.text for b in m.brands],
            "indications": [f.text for f in m.indications],
            "side_effects": [f.text for f in m.side_effects],
            "warnings": [f.text for f in (*m.warnings, *m.contraindications)],
            "routes": [_route_name(f.text, f.concept.id if f.concept else None)
                       for f in m.routes],
        }
    return meds


def extraction(article: Path) -> Extraction:
    return extract(segment(read_article(article, max_bytes=10**7)), default_lexicon())


def evaluate(article: Path, expectation: dict[str, Any], x: Extraction | None = None,
             ) -> tuple[dict[str, Score], list[str]]:
    """Scores per kind for one article, and the names that must not appear but did."""
    x = x or extraction(article)
    found = _found(x)
    scores = {k: Score() for k in KINDS}
    expected_meds: dict[str, dict[str, list[str]]] = expectation["medications"]
    names = {e: [e, *facts.get("brands", [])] for e, facts in expected_meds.items()}
    pairs: dict[str, str] = {}  # expected medicine -> found medicine
    for e in expected_meds:
        f = next((f for f in found if f not in pairs.values() and _same_medicine(names[e], f)),
                 None)
        meds = scores["medications"]
        optional = bool(expected_meds[e].get("optional"))  # as score.py: right, never missed
        if not optional:
            meds.expected += 1
        if f is None:
            if not optional:
                meds.misses.append(f"{article.name}: {e}")
        else:
            pairs[e] = f
            meds.found += 0 if optional else 1
    for f in found:
        scores["medications"].extracted += 1
        if f in pairs.values():
            scores["medications"].right += 1
        else:
            scores["medications"].extras.append(f"{article.name}: {f}")
    for name, facts in expected_meds.items():
        got = found.get(pairs.get(name, ""), {})
        for kind in KINDS[1:-1]:
            scores[kind].add(list(facts.get(kind, [])), list(got.get(kind, [])),
                             f"{article.name} {name}")  # "optional" is no kind: not read
    for name, got in found.items():
        if name not in pairs.values():
            for kind in KINDS[1:-1]:
                scores[kind].add([], got[kind], f"{article.name} {name}")
    scores["screening"].add(expectation["screening"], [f.text for f in x.screening],
                            article.name, screening=True)
    texts = [norm(t) for m in found for t in (m, *[v for vs in found[m].values() for v in vs])]
    texts += [norm(f.text) for f in x.screening]
    forbidden = [name for name in expectation["must_not_appear"]
                 if any(norm(name) in t for t in texts)]
    return scores, forbidden


def evaluate_all(articles: Path, expectations: Path) -> tuple[dict[str, Score], list[str]]:
    totals = {k: Score() for k in KINDS}
    forbidden: list[str] = []
    for exp_file in sorted(expectations.glob("*.json")):
        article = next(articles.glob(exp_file.stem + ".*"))
        scores, bad = evaluate(article, json.loads(exp_file.read_text("utf-8")))
        forbidden += [f"{article.name}: {b}" for b in bad]
        for kind, score in scores.items():
            totals[kind].merge(score)
    return totals, forbidden


# ---- snapshots: one line per fact -----------------------------------------------------------

_SYSTEMS = {"rxnorm": "RxNorm", "snomed": "SNOMED", "atc": "ATC", "icd-10": "ICD-10-CM",
            "fdasis": "UNII", "loinc": "LOINC", "mesh": "MeSH", "ncit": "NCIt"}


def _code(concept: Concept | None) -> str:
    if concept is None:
        return ""
    if not concept.codings:
        return f" [{concept.id}]"
    c = concept.codings[0]
    system = next((v for k, v in _SYSTEMS.items() if k in c.system), c.system)
    return f" [{system} {c.code}]"


_ORDER = ("medication", "brand", "drug-class", "indication", "side-effect", "warning",
          "contraindication", "route", "monitoring", "screening")
Line = tuple[str, int, str, int, str]  # sort key (about, kind, text, offset) and the line


def _line(kind: str, about: str, f: Finding) -> Line:
    text = " ".join(f.text.split())
    rank = _ORDER.index(kind) if kind in _ORDER else len(_ORDER)
    return (about, rank, text.casefold(), f.span.start,
            f"{kind} {about}: {text}{_code(f.concept)}")


def snapshot(x: Extraction) -> str:
    """Every fact of an extraction, one line each, grouped by medicine in a stable order:
    `medication rituximab [RxNorm 121191]`, then its facts such as
    `indication rituximab: non-Hodgkin lymphoma [SNOMED 118601006]`. No text offsets: a change
    in segmentation shifts every offset and would hide the facts that moved in the diff (the
    Bundle goldens carry the offsets)."""
    lines: list[Line] = []
    for m in x.medications:
        name = m.concept.preferred if m.concept else " ".join(m.name.text.split())
        lines.append((name, -1, "", m.name.span.start,
                      f"medication {name}{_code(m.concept)}"))
        for fld in dataclasses.fields(m):
            value = getattr(m, fld.name)
            if isinstance(value, tuple):
                lines += [_line(f.kind.value, name, f) for f in value if isinstance(f, Finding)]
    lines += [_line("screening", f.group or "-", f) for f in x.screening]
    return "".join(f"{line[-1]}\n" for line in sorted(lines))


# ---- floors: tests/data/quality_floors.toml -------------------------------------------------

FLOORS_FILE = Path(__file__).resolve().parent / "data" / "quality_floors.toml"
WIDE_MARGIN = 0.03  # a figure this far over its floor is reported: raise the floor


def floors(which: str) -> dict[str, dict[str, dict[str, float]]]:
    """{kind: {metric: {"floor"|"ceiling": x, "target": y}}} for "own" or "realworld"."""
    with FLOORS_FILE.open("rb") as handle:
        table: dict[str, dict[str, dict[str, dict[str, float]]]] = tomllib.load(handle)
    return table[which]


def gate(which: str, kind: str, metric: str, measured: float | None) -> tuple[str | None,
                                                                              str | None]:
    """(failure, note) for one measured figure against its floor (or count ceiling)."""
    entry = floors(which)[kind][metric]
    name = f"{which} {kind} {metric}"
    if measured is None:
        return f"{name}: nothing measured", None
    if "ceiling" in entry:
        ceiling = entry["ceiling"]
        if measured > ceiling:
            return f"{name} {measured:g} is over its ceiling {ceiling:g}", None
        if measured < ceiling:
            return None, (f"{name} {measured:g} is under its ceiling {ceiling:g} "
                          f"(target {entry['target']:g}): lower the ceiling in {FLOORS_FILE.name}")
        return None, None
    value, floor = round(measured, 3), entry["floor"]
    if value < floor:
        return f"{name} {value:.3f} is under its floor {floor:.3f}", None
    if value - floor >= WIDE_MARGIN:
        return None, (f"{name} {value:.3f} beats its floor {floor:.3f} (target "
                      f"{entry['target']:.3f}): raise the floor in {FLOORS_FILE.name}")
    return None, None


def ratchet_violations(which: str, recorded: dict[tuple[str, str], float]) -> list[str]:
    """Floors under (or ceilings over) the values recorded when the gate was built."""
    table = floors(which)
    out = []
    for (kind, metric), value in recorded.items():
        entry = table.get(kind, {}).get(metric)
        if entry is None:
            out.append(f"{which} {kind} {metric}: missing from {FLOORS_FILE.name}")
        elif "ceiling" in entry and entry["ceiling"] > value:
            out.append(f"{which} {kind} {metric}: ceiling {entry['ceiling']} over {value}")
        elif "floor" in entry and entry["floor"] < value:
            out.append(f"{which} {kind} {metric}: floor {entry['floor']} under {value}")
    return out
