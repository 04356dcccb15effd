"""Extraction quality: precision and recall per kind of fact, on both evaluation sets.

    .venv/bin/python benchmarks/extraction_quality.py [--own | --realworld] [-v]

--own: our evaluation articles (tests/data/articles/*, expectations in
tests/data/expectations/*.json), scored as tests/test_quality.py scores them (score.py's
matching: a fragment is no hit). --realworld: the text, Markdown and HTML articles of
../shared/realworld (or $FHIR_EXPORT_REALWORLD), exported in memory and scored by that folder's
score.py, as tests/test_realworld.py does. Neither flag: both. Each figure is printed with its
floor and target from tests/data/quality_floors.toml. -v also lists every miss and extra
(own set), or each article's misses, unmatched medicines and inventions (real-world set).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import quality  # noqa: E402
import realworld  # noqa: E402


def _cell(which: str, kind: str, metric: str, value: float | None) -> str:
    entry = quality.floors(which).get(kind, {}).get(metric)
    shown = "    -" if value is None else f"{value:.3f}"
    if entry is None or value is None:
        return f"{shown:>6} {'':13}"
    mark = "!" if round(value, 3) < entry["floor"] else " "
    return f"{shown:>6}{mark}({entry['floor']:.2f}/{entry['target']:.2f})"


def own(verbose: bool) -> None:
    data = ROOT / "tests" / "data"
    articles, expectations = data / "articles", data / "expectations"
    totals, forbidden = quality.evaluate_all(articles, expectations)
    count = len(list(expectations.glob("*.json")))
    print(f"Own evaluation articles ({count}), score.py matching; (floor/target), ! under floor\n")
    print(f"  {'kind':14} {'precision':>20} {'recall':>20} {'right/extracted':>16} "
          f"{'found/expected':>15}")
    for kind, s in totals.items():
        print(f"  {kind:14} {_cell('own', kind, 'precision', s.precision)} "
              f"{_cell('own', kind, 'recall', s.recall)} {s.right:7d}/{s.extracted:<8d} "
              f"{s.found:6d}/{s.expected:<8d}")
    print(f"\n  names that must not appear but did: {len(forbidden)}")
    for line in forbidden:
        print(f"    {line}")
    if verbose:
        for kind, s in totals.items():
            for miss in s.misses:
                print(f"  miss   {kind:13} {miss}")
            for extra in s.extras:
                print(f"  extra  {kind:13} {extra}")


def _misses(corpus: Path, slug: str, run: realworld.Run) -> list[str]:
    """Required golden facts of one article that nothing extracted for its medicine names.
    Diagnostics only, close to score.py (which searches every text of the medicine's resources,
    so a fact of another kind can count): the figures above are score.py's own."""
    score = realworld.score_module(corpus)
    gold: dict[str, Any] = json.loads((corpus / "golden" / f"{slug}.json").read_text("utf-8"))
    x = run.extractions[slug]
    out = []
    for g in gold.get("medications", []):
        if g.get("optional"):
            continue
        names = [g["name"], *g.get("aliases", []), *g.get("brands", [])]
        # as score.py matches: a golden name among ours, or our first name within a golden one
        med = next((m for m in x.medications
                    if any(score.phrase_in(n, [m.name.text, *(b.text for b in m.brands),
                                               m.concept.preferred if m.concept else ""])
                           or score.phrase_in(m.name.text, [n])
                           for n in names)), None)
        own_names: list[str] = []
        texts: list[str] = []
        if med:
            own_names = [med.name.text, *(b.text for b in med.brands)]
            own_names += [med.concept.preferred] if med.concept else []
            facts = [f for v in vars_of(med) for f in v]
            texts = own_names + [f.text for f in facts]
            texts += [f.concept.preferred for f in facts if f.concept]
        for field in ("brands", "indications", "side_effects", "warnings", "routes"):
            items = g.get(field) or []
            items = items if field == "brands" else score.required(items)
            have = own_names if field == "brands" else texts
            out += [f"{field:12} {g['name']}: {it}" for it in items
                    if not score.phrase_in(it, have)]
    screening = [f.text for f in x.screening] + [f.concept.preferred for f in x.screening
                                                 if f.concept]
    for q in gold.get("screening_questions", []):
        alts = re.split(r"\s*/\s*|\s+or\s+|,\s*", q["concept"])
        hit = any(a and score.phrase_in(a, screening) for a in alts) or any(
            len(t) >= 5 and score.phrase_in(t, screening) for t in score.toks(q["concept"]))
        if not q.get("optional") and not hit:
            out.append(f"{'screening':12} {q['concept']}")
    return out


def vars_of(med: Any) -> list[tuple[Any, ...]]:
    """Every tuple of findings of a Medication (brands, indications, warnings, ...)."""
    return [getattr(med, f.name) for f in dataclasses.fields(med)
            if isinstance(getattr(med, f.name), tuple)]


def _table(run: realworld.Run, which: str = "realworld") -> None:
    print(f"  {'kind':14} {'precision':>20} {'recall':>20}")
    for kind, v in run.kinds.items():
        print(f"  {kind:14} {_cell(which, kind, 'precision', v['precision'])} "
              f"{_cell(which, kind, 'recall', v['recall'])}")


def real(verbose: bool) -> realworld.Run | None:
    corpus = realworld.realworld_dir()
    reason = realworld.missing_reason(corpus)
    if reason:
        print(f"Real-world corpus: skipped, {reason}")
        return None
    start = time.perf_counter()
    run = realworld.evaluate(corpus)
    took = time.perf_counter() - start
    floored = run.subset(realworld.FLOORED_SUFFIXES)
    print(f"Real-world corpus ({corpus}): {len(run.rows)} articles scored by its score.py in "
          f"{took:.1f} s. The {len(floored.rows)} text/Markdown/HTML articles against the "
          "floors: (floor/target), ! under floor\n")
    _table(floored)
    entry = quality.floors("realworld")["invented"]["count"]
    print(f"\n  invented names: {len(run.invented)} (ceiling {entry['ceiling']:g}, "
          f"target {entry['target']:g})")
    for line in run.invented:
        print(f"    {line}")
    spl, pdf = run.subset((".xml",)), run.subset(realworld.PDF_SUFFIXES)
    for which, fmt, what in (("spl", spl, "FDA SPL XML labels"), ("pdf", pdf, "PDFs")):
        print(f"\n  The {len(fmt.rows)} {what} against their own floors:\n")
        _table(fmt, which)
    print(f"\n  FDA SPL XML ({len(spl.rows)} labels), PDF ({len(pdf.rows)} articles) and all "
          f"{len(run.rows)} articles:\n")
    print(f"  {'kind':14} {'SPL P':>7} {'SPL R':>7} {'PDF P':>7} {'PDF R':>7} {'all P':>7} "
          f"{'all R':>7}")
    for kind, every in run.kinds.items():
        cells = [spl.kinds[kind]["precision"], spl.kinds[kind]["recall"],
                 pdf.kinds[kind]["precision"], pdf.kinds[kind]["recall"],
                 every["precision"], every["recall"]]
        print(f"  {kind:14} " + " ".join(f"{'-' if c is None else f'{c:.3f}':>7}"
                                         for c in cells))
    for slug, error in run.failures.items():
        print(f"  export failed: {slug}: {error}")
    if verbose:
        print("\n  per article: missed (required golden facts), unmatched (medicines the golden "
              "does not have), invented")
        for slug, m in run.rows.items():
            lines = [f"missed medicine: {n}" for n in m["missed_meds"]]
            lines += [f"unmatched medicine: {n[0]}" for n in m["unmatched_mk_names"] if n]
            lines += [f"invented: {n}" for n in m["absent_violations"]]
            lines += [f"missed {line}" for line in _misses(corpus, slug, run)
                      if not any(line.endswith(f": {n}") for n in m["missed_meds"])]
            if lines:
                print(f"  {slug}")
                for line in lines:
                    print(f"    {line}")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--own", action="store_true", help="only our evaluation articles")
    group.add_argument("--realworld", action="store_true", help="only ../shared/realworld")
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses and extras")
    args = parser.parse_args()
    if not args.realworld:
        own(args.verbose)
    if not args.own:
        if not args.realworld:
            print()
        real(args.verbose)


if __name__ == "__main__":
    main()
