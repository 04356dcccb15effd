"""Main-content extractors for HTML: quality and cost per page, against our own reader.

    .venv/bin/python benchmarks/main_content.py [--repeat N] [--realworld DIR]

Each extractor is plugged into the HTML reader the way the shipped one is
(`fhir_export.sources.html.read_with`): it reads the subtree our own boilerplate removal kept
and returns its main text; the reader keeps the blocks whose words that text holds, in order,
and falls back to its own removal when too little is left. The baseline, measured in the same
run, is our own boilerplate removal as it was before (no extractor, links not judged); the
second row adds only our link rules (link-only headings, paragraphs and loose text, lists of
headline links).

Quality, on two sets:
- the real pages (../shared/realworld/articles/*.html with golden/): on the negative controls
  (golden without any medicine) the medicines (must be 0), the other facts (screening
  questions, unmapped terms) and the characters of text read (navigation pages: less is
  better); invented names (expected_absent that came out as medicines); on the other pages the
  medicines matching a golden name (kept) or not (other), and their golden section headings
  still in the text;
- our HTML test articles (tests/data/articles/*.html with tests/data/expectations): precision
  and recall per kind of fact, scored as tests/test_quality.py scores them, and the number of
  names that must not appear but did.

Cost: ms per page to read (parse, extract, walk, select), per page the best of --repeat
reads, for our articles and the real pages separately, and the ratio to the baseline.
Extractors not installed are listed as missing
(`pip install trafilatura justext readability-lxml`; Resiliparse is a dependency).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from quality import KINDS, Score, evaluate  # noqa: E402

from fhir_export import sources  # noqa: E402
from fhir_export.extraction import extract  # noqa: E402
from fhir_export.segmentation import segment  # noqa: E402
from fhir_export.sources import html, main_content  # noqa: E402
from fhir_export.sources.decode import decode  # noqa: E402
from fhir_export.terminology import default_lexicon  # noqa: E402


def _trafilatura() -> Callable[[str], str]:
    import trafilatura

    def run(page: str) -> str:
        return trafilatura.extract(page, include_tables=True, include_comments=False) or ""

    return run


def _justext() -> Callable[[str], str]:
    import justext

    stoplist = justext.get_stoplist("English")

    def run(page: str) -> str:
        paragraphs = justext.justext(page.encode("utf-8"), stoplist)
        return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)

    return run


def _readability() -> Callable[[str], str]:
    import lxml.html
    from readability import Document

    def run(page: str) -> str:
        summary = Document(page).summary(html_partial=True)
        return str(lxml.html.fromstring(summary).text_content()) if summary.strip() else ""

    return run


EXTRACTORS: dict[str, Callable[[], Callable[[str], str] | None]] = {
    "baseline: own removal": lambda: None,  # links not judged: the reader before, but for #15
    "own removal + link rules": lambda: None,
    "resiliparse (shipped)": lambda: main_content.resiliparse_main_text,
    "trafilatura": _trafilatura,
    "justext": _justext,
    "readability-lxml": _readability,
}


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _realworld(corpus: Path, pages: list[Path]) -> dict[str, int]:
    lexicon = default_lexicon()
    keys = ("negative_meds", "negative_facts", "negative_chars", "invented", "golden_meds_kept",
            "other_meds", "sections")
    out = dict.fromkeys((*keys, "sections_found"), 0)
    for page in pages:
        golden = json.loads((corpus / "golden" / f"{page.stem}.json").read_text("utf-8"))
        x = extract(segment(sources.read_article(page, max_bytes=10**8)), lexicon)
        names = {_norm(m.name.text) for m in x.medications}
        names |= {_norm(m.concept.preferred) for m in x.medications if m.concept}
        absent = {_norm(a) for a in golden.get("expected_absent", [])}
        out["invented"] += len(names & absent)
        if not golden["medications"]:
            out["negative_meds"] += len(x.medications)
            out["negative_facts"] += len(x.screening) + len(x.unmapped)
            out["negative_chars"] += len(segment(sources.read_article(page, max_bytes=10**8)).text)
        else:
            wanted = {
                _norm(n)
                for m in golden["medications"]
                for n in (m["name"], *m.get("aliases", []), *m.get("brands", []))
            }
            for m in x.medications:
                said = {_norm(m.name.text)} | ({_norm(m.concept.preferred)} if m.concept else set())
                hit = any(w == s or f" {w} " in f" {s} " for w in wanted for s in said)
                out["golden_meds_kept" if hit else "other_meds"] += 1
        article = segment(sources.read_article(page, max_bytes=10**8))
        text = _norm(article.text)
        for heading in golden.get("sections", []) if golden["medications"] else ():
            out["sections"] += 1
            out["sections_found"] += _norm(heading) in text
    return out


def _own(articles: Path, expectations: Path) -> tuple[dict[str, Score], int]:
    totals = {k: Score() for k in KINDS}
    forbidden = 0
    for page in sorted(articles.glob("*.html")):
        exp = json.loads((expectations / f"{page.stem}.json").read_text("utf-8"))
        scores, bad = evaluate(page, exp)
        forbidden += len(bad)
        for kind, score in scores.items():
            totals[kind].tp += score.tp
            totals[kind].fp += score.fp
            totals[kind].fn += score.fn
    return totals, forbidden


def _cost(pages: list[tuple[Path, bytes, str]], read: Any, repeat: int) -> float:
    """ms per page: per page the best of `repeat` reads (the machine may be shared)."""
    total = 0.0
    for path, raw, content in pages:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            read(str(path), path.name, raw, content)
            best = min(best, time.perf_counter() - start)
        total += best
    return total * 1000 / len(pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--realworld", type=Path, default=ROOT.parent / "shared" / "realworld")
    args = parser.parse_args()
    own_dir = ROOT / "tests" / "data" / "articles"
    expectations = ROOT / "tests" / "data" / "expectations"
    real = sorted((args.realworld / "articles").glob("*.html"))
    all_pages = sorted(own_dir.glob("*.html")) + real
    loaded = []
    for p in all_pages:
        raw = p.read_bytes()
        loaded.append((p, raw, decode(raw, path=str(p), media_type="text/html")[0]))
    print(f"{len(all_pages) - len(real)} own HTML articles, {len(real)} real pages "
          f"({args.realworld})\n")
    rows: list[tuple[str, float, float, dict[str, int], dict[str, Score], int]] = []
    original = sources.READERS[".html"], html._is_page_link
    own_count = len(all_pages) - len(real)
    try:
        for name, make in EXTRACTORS.items():
            try:
                main_text = make()
            except ImportError:
                print(f"  {name}: not installed")
                continue
            html._is_page_link = (lambda _: False) if name.startswith("baseline") else original[1]
            read = html.read_with(main_text)
            sources.READERS[".html"] = ("text/html", read)
            _cost(loaded[:3], read, 1)  # warm-up (imports, stoplists, models)
            own_ms = _cost(loaded[:own_count], read, args.repeat)
            real_ms = _cost(loaded[own_count:], read, args.repeat) if real else 0.0
            totals, forbidden = _own(own_dir, expectations)
            quality = _realworld(args.realworld, real)
            rows.append((name, own_ms, real_ms, quality, totals, forbidden))
    finally:
        sources.READERS[".html"], html._is_page_link = original
    base_own, base_real = rows[0][1], rows[0][2] or 1.0
    print(f"  {'':26}{'ms/page (x baseline)':^26} {'real pages':^65} own HTML articles")
    print(f"  {'extractor':26}{'own':>12} {'real':>13} {'neg meds':>9} {'neg facts':>9} "
          f"{'neg chars':>9} {'invented':>9} {'kept':>5} {'other':>5} {'sections':>9}   "
          "P/R per kind; forbidden names")
    for name, own_ms, real_ms, rw, totals, forbidden in rows:
        own = "  ".join(f"{k[:4]} {s.precision:.2f}/{s.recall:.2f}" for k, s in totals.items())
        print(f"  {name:26}{own_ms:5.2f} ({own_ms / base_own:4.2f}) "
              f"{real_ms:5.2f} ({real_ms / base_real:4.2f}) {rw['negative_meds']:9d} "
              f"{rw['negative_facts']:9d} {rw['negative_chars']:9d} "
              f"{rw['invented']:9d} {rw['golden_meds_kept']:5d} {rw['other_meds']:5d} "
              f"{rw['sections_found']:4d}/{rw['sections']:<4d}   {own}; {forbidden}")


if __name__ == "__main__":
    main()
