"""Extraction quality on the real-world corpus (../shared/realworld), scored by its score.py.

The text, Markdown, HTML and FDA SPL XML articles (36) are exported in memory and scored
in-process by the corpus's own score.py (tests/realworld.py); the floors are in
tests/data/quality_floors.toml ([realworld.*]) next to the issue's targets and hold on the 30
text, Markdown and HTML articles they were set on (SPL XML is scored beside them). Without the
corpus these tests skip with the reason, except under CI=true, where its absence is a failure.
Per-article snapshots (tests/data/snapshots/realworld/<slug>.txt) list what each article
yields, one derived fact per line (short phrases, not the article's text):
`pytest --update-golden` rewrites them.

    .venv/bin/python benchmarks/extraction_quality.py --realworld -v   # the figures, the misses
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import quality
import realworld
from conftest import SNAPSHOTS, check_snapshot

# (kind, metric): (recorded, target). Recorded: measured when the gate was built (2026-12-06,
# main at ab32496; score_corpus.py gives the same); floors never go under it, the invented
# ceiling never over it. Target: the issue's (#10), which the floors file must keep.
ISSUE: dict[tuple[str, str], tuple[float, float]] = {
    ("medicines", "precision"): (0.862, 0.95), ("medicines", "recall"): (0.456, 0.90),
    ("brands", "recall"): (0.569, 0.85),
    ("indications", "precision"): (0.811, 0.85), ("indications", "recall"): (0.163, 0.75),
    ("side_effects", "precision"): (0.903, 0.85), ("side_effects", "recall"): (0.109, 0.75),
    ("routes", "recall"): (0.167, 0.75),
    ("screening", "precision"): (0.773, 0.85), ("screening", "recall"): (0.571, 0.75),
    ("invented", "count"): (5, 0),
}
RECORDED = {figure: recorded for figure, (recorded, _) in ISSUE.items()}
TARGETS = {figure: target for figure, (_, target) in ISSUE.items()}
FIGURES = [(k, m) for k, metrics in quality.floors("realworld").items() for m in metrics]
SNAPSHOT_DIR = SNAPSHOTS / "realworld"


@pytest.fixture(scope="module")
def corpus() -> Path:
    path = realworld.realworld_dir()
    reason = realworld.missing_reason(path)
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; under CI=true the corpus is required")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def run(corpus: Path) -> realworld.Run:
    return realworld.evaluate(corpus)


@pytest.fixture(scope="module")
def floored(run: realworld.Run) -> realworld.Run:
    """The articles the floors were set on (SPL XML is scored beside them, not yet floored)."""
    return run.subset(realworld.FLOORED_SUFFIXES)


def test_floors_file_matches_the_record_and_the_targets() -> None:
    assert set(FIGURES) == set(RECORDED)
    assert quality.ratchet_violations("realworld", RECORDED) == []
    table = quality.floors("realworld")
    assert {(k, m): table[k][m]["target"] for k, m in FIGURES} == TARGETS


def test_every_text_markdown_html_and_spl_article_exports(corpus: Path, run: realworld.Run) -> None:
    scored = realworld.articles(corpus)
    every = [p for p in (corpus / "articles").iterdir() if p.suffix in realworld.SCORED_SUFFIXES]
    assert len(scored) == len(every) >= 36  # each has its golden file
    assert sum(p.suffix == ".xml" for p in scored) >= 6
    assert run.failures == {}
    assert sorted(run.rows) == sorted(p.stem for p in scored)


def test_every_pdf_article_exports(corpus: Path) -> None:
    pdfs = realworld.articles(corpus, realworld.PDF_SUFFIXES)
    assert len(pdfs) == len(list((corpus / "articles").glob("*.pdf"))) >= 5
    run = realworld.evaluate(corpus, realworld.PDF_SUFFIXES)
    assert run.failures == {}
    assert sorted(run.rows) == sorted(p.stem for p in pdfs)
    assert all(m["doc"] for m in run.rows.values())
    # title read: the FDA label's title is not (the reader takes its first line, "HIGHLIGHTS OF
    # PRESCRIBING INFORMATION"); it passed only while DocumentReference.context.related
    # displays named the product. Listed so that a fix, or a new miss, fails here.
    assert {slug for slug, m in run.rows.items() if not m.get("doc_title")} == {
        "fda-pi-veklury-remdesivir-2020-10"
    }
    assert run.invented == []


@pytest.mark.parametrize(("kind", "metric"), FIGURES, ids=[f"{k}-{m}" for k, m in FIGURES])
def test_floor(kind: str, metric: str, floored: realworld.Run,
               quality_note: Callable[[str], None]) -> None:
    run = floored
    if kind == "invented":
        value: float | None = len(run.invented)
        detail: object = run.invented
    else:
        value = run.kinds[kind][metric]
        detail = "benchmarks/extraction_quality.py --realworld -v lists the misses"
    failure, note = quality.gate("realworld", kind, metric, value)
    if note:
        quality_note(note)
    assert failure is None, (failure, detail)


# The SPL labels and PDFs, floored on their own (2026-12-06): the figures measured at the start
# of the session that floored them (main at 6eff5b1); their floors never go under these.
FORMAT_RECORDED: dict[str, dict[tuple[str, str], float]] = {
    "spl": {
        # 0.942 when recorded; 0.931 since a combination product is a MedicationKnowledge of
        # its own, which no golden file lists (tests/data/quality_floors.toml)
        ("medicines", "precision"): 0.931, ("medicines", "recall"): 1.0,
        ("brands", "recall"): 1.0,
        ("indications", "precision"): 0.360, ("indications", "recall"): 0.500,
        ("side_effects", "precision"): 0.466, ("side_effects", "recall"): 0.478,
        ("routes", "recall"): 1.0,
        ("screening", "precision"): 0.700, ("screening", "recall"): 0.808,
        ("invented", "count"): 0,
    },
    "pdf": {
        ("medicines", "precision"): 0.944, ("medicines", "recall"): 1.0,
        ("brands", "recall"): 1.0,
        ("indications", "precision"): 0.571, ("indications", "recall"): 1.0,
        ("side_effects", "precision"): 0.579, ("side_effects", "recall"): 0.533,
        ("routes", "recall"): 0.0,
        ("screening", "precision"): 0.750, ("screening", "recall"): 0.686,
        ("invented", "count"): 0,
    },
}
FORMAT_FIGURES = [
    (which, k, m)
    for which in FORMAT_RECORDED
    for k, ms in quality.floors(which).items()
    for m in ms
]


def test_format_floors_match_the_record_and_the_targets() -> None:
    for which, recorded in FORMAT_RECORDED.items():
        assert {(k, m) for w, k, m in FORMAT_FIGURES if w == which} == set(recorded)
        assert quality.ratchet_violations(which, recorded) == []
        table = quality.floors(which)
        assert {f: table[f[0]][f[1]]["target"] for f in recorded} == TARGETS


@pytest.fixture(scope="module")
def by_format(corpus: Path, run: realworld.Run) -> dict[str, realworld.Run]:
    return {"spl": run.subset((".xml",)), "pdf": realworld.evaluate(corpus, realworld.PDF_SUFFIXES)}


@pytest.mark.parametrize(
    ("which", "kind", "metric"), FORMAT_FIGURES, ids=[f"{w}-{k}-{m}" for w, k, m in FORMAT_FIGURES]
)
def test_format_floor(which: str, kind: str, metric: str, by_format: dict[str, realworld.Run],
                      quality_note: Callable[[str], None]) -> None:
    fmt = by_format[which]
    value = float(len(fmt.invented)) if kind == "invented" else fmt.kinds[kind][metric]
    failure, note = quality.gate(which, kind, metric, value)
    if note:
        quality_note(note)
    assert failure is None, (failure, "benchmarks/extraction_quality.py --realworld -v")


def test_snapshots(corpus: Path, run: realworld.Run, update_golden: bool) -> None:
    """One file per scored article, one line per fact; none left over."""
    for slug, x in run.extractions.items():
        check_snapshot(SNAPSHOT_DIR / f"{slug}.txt", quality.snapshot(x), update_golden)
    stray = sorted(p.name for p in SNAPSHOT_DIR.glob("*.txt") if p.stem not in run.extractions)
    if update_golden:
        for name in stray:
            (SNAPSHOT_DIR / name).unlink()
    else:
        assert stray == []


def test_own_matching_equals_score_py(corpus: Path, run: realworld.Run) -> None:
    """tests/quality.py re-implements score.py's matching for the own set: prove it equal, on
    each article's golden items against the facts extracted from it, both ways."""
    score = realworld.score_module(corpus)
    nested = realworld.nested_functions(corpus, "parts", "matches", "concept_in")
    pairs = 0
    for slug, x in sorted(run.extractions.items()):
        data = json.loads((corpus / "golden" / f"{slug}.json").read_text("utf-8"))
        golds: list[str] = []
        for med in data.get("medications", []):
            golds.append(med["name"])
            for field in ("brands", "aliases", "indications", "side_effects", "warnings",
                          "routes"):
                golds += [str(score.val(v)) for v in med.get(field) or []]
        golds += [q["concept"] for q in data.get("screening_questions", [])]
        golds += data.get("expected_absent", [])
        preds = sorted({line.split(": ", 1)[-1].split(" [")[0]
                        for line in quality.snapshot(x).splitlines()})
        preds += ["H", "head", "H. pylori infection", "Ärzte’s ® (x, y); z"]
        for s in [*golds, *preds]:
            assert quality.norm(s) == score.norm(s), s
            assert quality.toks(s) == score.toks(s), s
            assert quality.alternatives(s) == score.alternatives(s), s
            assert quality.parts(s) == nested["parts"](s), s
        for g in golds:
            assert quality.phrase_in(g, preds) == score.phrase_in(g, preds), g
            for p in preds:
                pairs += 1
                assert quality.phrase_in(p, [g]) == score.phrase_in(p, [g]), (p, g)
                assert quality.phrase_in(g, [p]) == score.phrase_in(g, [p]), (g, p)
        for p in preds:
            assert quality.matches(p, golds) == nested["matches"](p, golds), p
            assert quality.concept_in(p, golds) == nested["concept_in"](p, golds), p
        for g in golds:
            assert quality.concept_in(g, preds) == nested["concept_in"](g, preds), g
    assert pairs > 5000


@pytest.mark.slow
def test_in_process_scores_equal_score_corpus(corpus: Path, run: realworld.Run,
                                              tmp_path: Path) -> None:
    """The in-process run (library export, score.py imported) gives exactly what
    score_corpus.py gives with the CLI over the same articles: every total, kind and name."""
    for sub in ("articles", "golden"):
        (tmp_path / sub).mkdir()
    for path in realworld.articles(corpus):
        (tmp_path / "articles" / path.name).symlink_to(path)
        (tmp_path / "golden" / f"{path.stem}.json").symlink_to(
            corpus / "golden" / f"{path.stem}.json")
    cli = shutil.which("fhir-export", path=str(Path(sys.executable).parent))
    assert cli, "fhir-export is not installed beside this Python"
    done = subprocess.run(
        [sys.executable, str(corpus / "score_corpus.py"), cli, "--corpus", str(tmp_path),
         "--keep", str(tmp_path / "work"), "--json"],
        capture_output=True, text=True, check=True, timeout=300)
    theirs = json.loads(done.stdout)
    assert (theirs["scored"], theirs["no_output"]) == (len(run.rows), [])
    assert theirs["kinds"] == run.kinds
    assert theirs["totals"] == run.totals
    assert theirs["invented"] == run.invented
