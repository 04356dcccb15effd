"""Shared by test_review.py and test_review_browser.py: the review sites they look at.

`exported(tmp)` exports the seed (R4 and R5), a hostile article and an article without a
medicine, then returns the folders; the Bundles are read back by the tests' own walker
(`derivations`), not by fhir_export.review, so a highlight the site forgets is noticed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conftest import ARTICLES, DATA, SEED

__all__ = ["SEED"]

from fhir_export.options import ExportOptions, OutputFormat
from fhir_export.pipeline import export
from fhir_export.review.site import LFORMS_FILES

HOSTILE = DATA / "review" / "hostile-article.txt"
NO_MEDICINE = ARTICLES / "knee-arthroscopy.txt"
DERIVATION = "http://hl7.org/fhir/StructureDefinition/derivation-reference"
# what the hostile article's scripts would set if one ever ran
PWNED = "__pwned"


def export_into(out: Path, fhir_version: str, *paths: Path, fmt: str = "json") -> Path:
    options = ExportOptions(fhir_version=fhir_version, output_format=OutputFormat(fmt))
    report = export([str(p) for p in paths], out, options)
    assert not report.errors, [e.line() for e in report.errors]
    return out


def exported(tmp: Path) -> dict[str, Path]:
    return {
        "R4": export_into(tmp / "r4", "R4", SEED, HOSTILE, NO_MEDICINE),
        "R5": export_into(tmp / "r5", "R5", SEED, HOSTILE),
    }


def fake_lforms(tmp: Path) -> Path:
    """A folder with every LHC-Forms file name (empty files): enough for the pure tests."""
    for name in LFORMS_FILES:
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_bytes(b"")
    return tmp


def entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"]]


def rendition(bundle: dict[str, Any]) -> str:
    doc = next(r for r in entries(bundle) if r["resourceType"] == "DocumentReference")
    return base64.b64decode(doc["content"][1]["attachment"]["data"]).decode("utf-8")


def derivations(value: Any) -> Iterator[tuple[int, int]]:
    """(start, end) of every derivation-reference with offsets inside a resource."""
    if isinstance(value, dict):
        if value.get("url") == DERIVATION:
            parts = {e["url"]: e for e in value.get("extension", [])}
            if "offset" in parts:
                start = parts["offset"]["valueInteger"]
                yield start, start + parts["length"]["valueInteger"]
        for inner in value.values():
            yield from derivations(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from derivations(inner)


def facts(bundle: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(card anchor, start, end) of every fact of the bundle."""
    return sorted(
        {
            (f"{r['resourceType']}-{r['id']}", start, end)
            for r in entries(bundle)
            for start, end in derivations(r)
        }
    )


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data
