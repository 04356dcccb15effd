"""Extraction quality floors over the hand-written evaluation articles.

The floors sit just under today's measured figures (benchmarks/extraction_quality.py prints
them): a change that makes extraction worse fails here instead of passing silently. Raise a
floor when quality improves; never lower one without saying why in the commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ARTICLES, EXPECTATIONS
from quality import KINDS, Score, evaluate_all

# kind: (precision floor, recall floor), measured over the evaluation articles
FLOORS: dict[str, tuple[float, float]] = {
    "medications": (0.97, 0.95),
    "brands": (0.97, 0.95),
    "indications": (0.90, 0.85),
    "side_effects": (0.90, 0.85),
    "warnings": (0.76, 0.63),
    "routes": (0.97, 0.88),
    "screening": (0.90, 0.85),
}
# The extraction-quality issue's targets: every floor above is at or over its target.
TARGETS: dict[str, tuple[float, float]] = {
    "medications": (0.97, 0.95),
    "brands": (0.97, 0.95),
    "indications": (0.90, 0.85),
    "side_effects": (0.90, 0.85),
    "screening": (0.90, 0.85),
}


@pytest.fixture(scope="module")
def measured() -> tuple[dict[str, Score], list[str]]:
    return evaluate_all(Path(ARTICLES), Path(EXPECTATIONS))


@pytest.mark.parametrize("kind", KINDS)
def test_precision_and_recall_floors(kind: str,
                                     measured: tuple[dict[str, Score], list[str]]) -> None:
    score = measured[0][kind]
    precision, recall = FLOORS[kind]
    assert score.tp > 0
    assert score.precision >= precision, (score.precision, score.extras)
    assert score.recall >= recall, (score.recall, score.misses)


def test_no_name_that_must_not_appear(measured: tuple[dict[str, Score], list[str]]) -> None:
    assert measured[1] == []


def test_every_article_has_an_expectation() -> None:
    articles = {p.name.rsplit(".", 1)[0] for p in Path(ARTICLES).iterdir()}
    expectations = {p.stem for p in Path(EXPECTATIONS).glob("*.json")}
    assert articles == expectations


def test_floors_meet_the_targets() -> None:
    for kind, (precision, recall) in TARGETS.items():
        assert FLOORS[kind][0] >= precision and FLOORS[kind][1] >= recall, kind
