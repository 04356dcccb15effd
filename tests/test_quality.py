"""Extraction quality floors over the hand-written evaluation articles, and their snapshots.

Scored with the real-world scorer's matching (tests/quality.py: a fragment is no hit). The
floors live in tests/data/quality_floors.toml ([own.*]): a change that makes extraction worse
fails here instead of passing silently; a figure far over its floor is reported at the end of
the run, so the floor can be raised. tests/data/snapshots/<article>.txt lists what each
article yields, one line per fact: a rule change shows as a diff of facts
(`pytest --update-golden` rewrites them; review the diff).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ARTICLES, EXPECTATIONS, SNAPSHOTS, article_paths, check_snapshot
from quality import (
    KINDS,
    Score,
    evaluate_all,
    extraction,
    floors,
    gate,
    ratchet_violations,
    snapshot,
    toks,
)

# Measured when the gate was built (score.py matching, 2026-12-06, main at ab32496). Floors never
# go under these
# (ceilings never over): raise a floor in quality_floors.toml, never lower it past its record.
RECORDED: dict[tuple[str, str], float] = {
    ("medications", "precision"): 0.978, ("medications", "recall"): 1.000,
    ("brands", "precision"): 1.000, ("brands", "recall"): 0.980,
    ("indications", "precision"): 0.913, ("indications", "recall"): 0.836,
    ("side_effects", "precision"): 0.897, ("side_effects", "recall"): 0.876,
    ("warnings", "precision"): 0.636, ("warnings", "recall"): 0.441,
    ("routes", "precision"): 1.000, ("routes", "recall"): 0.889,
    ("screening", "precision"): 0.967, ("screening", "recall"): 0.928,
    ("forbidden", "count"): 0,
}
FIGURES = [(kind, metric) for kind, metrics in floors("own").items() for metric in metrics]


@pytest.fixture(scope="module")
def measured() -> tuple[dict[str, Score], list[str]]:
    return evaluate_all(Path(ARTICLES), Path(EXPECTATIONS))


@pytest.mark.parametrize(("kind", "metric"), FIGURES, ids=[f"{k}-{m}" for k, m in FIGURES])
def test_floor(kind: str, metric: str, measured: tuple[dict[str, Score], list[str]],
               quality_note: Callable[[str], None]) -> None:
    if kind == "forbidden":
        value: float = len(measured[1])
        detail: list[str] = measured[1]
    else:
        score = measured[0][kind]
        assert score.found > 0
        value = score.precision if metric == "precision" else score.recall
        detail = score.extras if metric == "precision" else score.misses
    failure, note = gate("own", kind, metric, value)
    if note:
        quality_note(note)
    assert failure is None, (failure, detail)


def test_every_kind_has_floors() -> None:
    assert {k for k, _ in FIGURES} == {*KINDS, "forbidden"}
    assert set(FIGURES) == set(RECORDED)


def test_floors_never_under_the_record() -> None:
    assert ratchet_violations("own", RECORDED) == []


def test_every_article_has_an_expectation() -> None:
    articles = {p.name.rsplit(".", 1)[0] for p in Path(ARTICLES).iterdir()}
    expectations = {p.stem for p in Path(EXPECTATIONS).glob("*.json")}
    assert articles == expectations


def test_expectations_are_well_formed() -> None:
    """Every expected item has a token the scorer can match (no "H", no "-")."""
    for path in sorted(Path(EXPECTATIONS).glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        items = [*data["screening"], *data["must_not_appear"]]
        for name, facts in data["medications"].items():
            lists = [vs for k, vs in facts.items() if k not in ("optional", "note")]
            items += [name, *(v for vs in lists for v in vs)]
        assert [i for i in items if not toks(i)] == [], path.name


@pytest.mark.parametrize("article", article_paths(), ids=lambda p: p.name)
def test_snapshot(article: Path, update_golden: bool) -> None:
    check_snapshot(SNAPSHOTS / f"{article.stem}.txt", snapshot(extraction(article)), update_golden)


def test_no_stray_snapshot() -> None:
    stems = {p.stem for p in article_paths()}
    assert sorted(p.name for p in SNAPSHOTS.glob("*.txt") if p.stem not in stems) == []
