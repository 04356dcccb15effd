"""PDF text libraries compared on the real PDFs of ../shared/realworld (speed and reading order).

    .venv/bin/python benchmarks/pdf_libraries.py [CORPUS_DIR]

For each PDF and library: milliseconds per page (best of 3 runs, whole document: open, text of
every page) and reading-order quality, measured with the corpus's golden files: the section
headings and screening questions the golden lists (the printed wording, in printed order) are
looked for in the extracted text, whitespace collapsed. `found` counts those that come out
whole (a question interleaved with a hint or with the other column is not found); `in order`
counts consecutive pairs of found probes that come out in the printed order. Libraries not
installed are skipped; `pip install pdfplumber pdfminer.six` to compare them all.

Rows: pypdfium2 (its text page in drawing order), pdfplumber (extract_text, lines sorted top to
bottom across the page), pdfminer.six (extract_text with its default layout analysis, text
boxes), and fhir-export's reader (pypdfium2 glyphs + its own XY-cut reading order, pdflayout.py).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import realworld  # noqa: E402


def _pypdfium2(raw: bytes) -> tuple[str, int]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(raw)
    texts = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    return "\n".join(texts), len(texts)


def _pdfplumber(raw: bytes) -> tuple[str, int]:
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(raw)) as pdf:
        texts = [page.extract_text() or "" for page in pdf.pages]
    return "\n".join(texts), len(texts)


def _pdfminer(raw: bytes) -> tuple[str, int]:
    import io

    from pdfminer.high_level import extract_text

    text = extract_text(io.BytesIO(raw))
    return text, text.count("\f") or 1


def _fhir_export(raw: bytes) -> tuple[str, int]:
    import pypdfium2 as pdfium

    from fhir_export.sources import pdf

    doc = pdf.read("x.pdf", "x.pdf", raw)
    pages = len(pdfium.PdfDocument(raw))
    return "\n".join(b.text for b in doc.blocks), pages


LIBRARIES: dict[str, tuple[str, Callable[[bytes], tuple[str, int]]]] = {
    "pypdfium2": ("pypdfium2", _pypdfium2),
    "pdfplumber": ("pdfplumber", _pdfplumber),
    "pdfminer.six": ("pdfminer", _pdfminer),
    "fhir-export (pypdfium2 + XY-cut)": ("pypdfium2", _fhir_export),
}


def _norm(text: str) -> str:
    text = re.sub(r"-\s*\n\s*", "", text)  # a word hyphenated at a line end
    return " ".join(re.sub(r"[^\w?]+", " ", text.casefold()).split())


def probes(golden: Path) -> list[str]:
    data = json.loads(golden.read_text("utf-8"))
    out = [str(s) for s in data.get("sections", [])]
    out += [str(q["text"]) for q in data.get("screening_questions", []) if q.get("text")]
    return [p for p in (_norm(p) for p in out) if len(p) > 3]


def quality(text: str, wanted: list[str]) -> tuple[int, int]:
    flat = _norm(text)
    positions = [flat.find(p) for p in wanted]
    found = [p for p in positions if p >= 0]
    in_order = sum(a < b for a, b in itertools.pairwise(found))
    return len(found), in_order


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else realworld.realworld_dir()
    pdfs = sorted((corpus / "articles").glob("*.pdf"))
    if not pdfs:
        sys.exit(f"no PDF in {corpus / 'articles'}")
    print(f"{'article':44} {'library':34} {'pages':>5} {'ms/page':>8} {'found':>7} {'in order':>8}")
    totals: dict[str, list[float]] = {}
    for path in pdfs:
        raw = path.read_bytes()
        wanted = probes(corpus / "golden" / f"{path.stem}.json")
        for name, (module, extract) in LIBRARIES.items():
            if importlib.util.find_spec(module) is None:
                print(f"{path.stem[:44]:44} {name:34} (not installed)")
                continue
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                text, pages = extract(raw)
                best = min(best, time.perf_counter() - start)
            found, ordered = quality(text, wanted)
            ms = best * 1000 / pages
            row = totals.setdefault(name, [0.0, 0.0, 0.0, 0.0, 0.0])
            row[0] += best * 1000
            row[1] += pages
            row[2] += found
            row[3] += len(wanted)
            row[4] += ordered
            print(
                f"{path.stem[:44]:44} {name:34} {pages:5} {ms:8.1f} "
                f"{found:3}/{len(wanted):<3} {ordered:8}"
            )
    print()
    for name, (ms, pages, found, wanted, ordered) in totals.items():
        print(
            f"{'all PDFs':44} {name:34} {int(pages):5} {ms / pages:8.1f} "
            f"{int(found):3}/{int(wanted):<3} {int(ordered):8}"
        )


if __name__ == "__main__":
    main()
