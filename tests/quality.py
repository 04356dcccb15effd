"""Extraction quality against hand-written expectations (tests/data/expectations/*.json).

Shared by tests/test_quality.py (floors that cannot drop silently) and
benchmarks/extraction_quality.py (prints the figures). A found fact matches an expected one
when either normalized phrase contains the other ("moderate to severe rheumatoid arthritis"
matches "rheumatoid arthritis").
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fhir_export.extraction import extract
from fhir_export.model import Extraction
from fhir_export.segmentation import segment
from fhir_export.sources import read_article
from fhir_export.terminology import default_lexicon

KINDS = ("medications", "brands", "indications", "side_effects", "warnings", "routes",
         "screening")


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'").replace("®", "")
    text = re.sub(r"[^\w' ]+", " ", text.replace("-", " "))
    return " ".join(text.split())


def _match(a: str, b: str) -> bool:
    a, b = norm(a), norm(b)
    return bool(a) and bool(b) and (a in b or b in a)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    def add(self, expected: list[str], found: list[str], where: str) -> None:
        used: set[int] = set()
        for e in expected:
            hit = next((i for i, f in enumerate(found) if i not in used and _match(e, f)), None)
            if hit is None:
                self.fn += 1
                self.misses.append(f"{where}: {e}")
            else:
                used.add(hit)
                self.tp += 1
        for i, f in enumerate(found):
            if i not in used and not any(_match(e, f) for e in expected):
                self.fp += 1
                self.extras.append(f"{where}: {f}")

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


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


def evaluate(article: Path, expectation: dict[str, Any]) -> tuple[dict[str, Score], list[str]]:
    """Scores per kind for one article, and the names that must not appear but did."""
    lexicon = default_lexicon()
    x = extract(segment(read_article(article, max_bytes=10**7)), lexicon)
    found = _found(x)
    scores = {k: Score() for k in KINDS}
    expected_meds: dict[str, dict[str, list[str]]] = expectation["medications"]
    scores["medications"].add(list(expected_meds), list(found), article.name)
    for name, facts in expected_meds.items():
        key = next((f for f in found if _match(name, f)), None)
        got = found.get(key, {}) if key else {}
        for kind in KINDS[1:-1]:
            scores[kind].add(list(facts.get(kind, [])), list(got.get(kind, [])),
                             f"{article.name} {name}")
    for name, got in found.items():
        if not any(_match(name, e) for e in expected_meds):
            for kind in KINDS[1:-1]:
                scores[kind].add([], got[kind], f"{article.name} {name}")
    scores["screening"].add(expectation["screening"], [f.text for f in x.screening],
                            article.name)
    texts = [norm(t) for m in found for t in (m, *[v for vs in found[m].values() for v in vs])]
    texts += [norm(f.text) for f in x.screening]
    forbidden = [name for name in expectation["must_not_appear"]
                 if any(norm(name) in t.split(" ") or norm(name) == t or f" {norm(name)} " in
                        f" {t} " for t in texts)]
    return scores, forbidden


def evaluate_all(articles: Path, expectations: Path) -> tuple[dict[str, Score], list[str]]:
    totals = {k: Score() for k in KINDS}
    forbidden: list[str] = []
    for exp_file in sorted(expectations.glob("*.json")):
        article = next(articles.glob(exp_file.stem + ".*"))
        scores, bad = evaluate(article, json.loads(exp_file.read_text("utf-8")))
        forbidden += [f"{article.name}: {b}" for b in bad]
        for kind, score in scores.items():
            t = totals[kind]
            t.tp += score.tp
            t.fp += score.fp
            t.fn += score.fn
            t.misses += score.misses
            t.extras += score.extras
    return totals, forbidden
