"""mammoth (what sources/docx.py uses) against python-docx on our own .docx files: what
structure each gives without code of our own, and how fast.

A benchmark, not a test. python-docx is not a dependency; install it to run this:

    .venv/bin/pip install python-docx==1.2.0 && .venv/bin/python benchmarks/docx_converters.py

For each file: milliseconds per conversion (best of 5), and what comes out without our own
code: headings, list items, nested list items, numbered items and table header rows.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import docx_fixtures as fx  # noqa: E402
import mammoth  # type: ignore[import-untyped]  # noqa: E402
from lxml import html  # noqa: E402


def _best(fn: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def with_mammoth(data: bytes) -> dict[str, int]:
    page = mammoth.convert_to_html(io.BytesIO(data)).value
    root = html.fromstring(f"<div>{page}</div>")
    return {
        "headings": len(root.xpath("//h1|//h2|//h3|//h4|//h5|//h6")),
        "items": len(root.xpath("//li")),
        "nested items": len(root.xpath("//li//li")),
        "numbered items": len(root.xpath("//ol/li")),
        "header rows": len(root.xpath("//tr[th]")),
    }


def with_python_docx(data: bytes) -> dict[str, int]:
    import docx  # type: ignore[import-not-found, unused-ignore]

    document = docx.Document(io.BytesIO(data))
    paragraphs = document.paragraphs
    styles = [p.style.name if p.style is not None else "" for p in paragraphs]
    return {  # what the API says; list levels and numbering need our own reading of the XML
        "headings": sum(s.lower().startswith(("heading", "title")) for s in styles),
        "items": sum(s.lower().startswith("list") for s in styles),  # by style name only
        "nested items": 0,  # numPr/ilvl is not in the API
        "numbered items": 0,  # numbering.xml is not in the API
        "header rows": 0,  # w:tblHeader is not in the API
    }


def main() -> None:
    sample = fx.document(*[fx.h(1, f"Section {i}") + fx.p("Lisinopril is used to treat high "
                           "blood pressure. " * 5) + fx.bullets("dizziness", "headache")
                           for i in range(1000)])
    files = {
        "lisinopril-leaflet-word.docx": (ROOT / "tests/data/articles/lisinopril-leaflet-word.docx")
        .read_bytes(),
        "structure.docx": (ROOT / "tests/data/docx/structure.docx").read_bytes(),
        "1000 sections (0.8 MB XML)": fx.package(fx.word(sample, "Long")),
    }
    for name, data in files.items():
        for label, fn in (("mammoth", with_mammoth), ("python-docx", with_python_docx)):
            ms = _best(lambda fn=fn, data=data: fn(data))  # type: ignore[misc]
            sys.stdout.write(f"{name:32} {label:12} {ms:8.1f} ms  {fn(data)}\n")


if __name__ == "__main__":
    main()
