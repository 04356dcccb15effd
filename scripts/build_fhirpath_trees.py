"""Rebuild fhir_export/validation_data/fhirpath.json: the parse tree fhirpathpy makes of every
FHIRPath constraint in the shipped definitions (r4.json, r5.json).

`fhir-export validate` reads a constraint's tree from there instead of running fhirpathpy's
ANTLR parser in every process (about 70 ms for the 31 expressions a bundle of ours meets).
The trees are fhirpathpy's own output for the pinned version, kept as data:
tests/test_validate.py rebuilds them and fails when the file differs, and the reader ignores
the file under another fhirpathpy version (it then parses, as before).

    .venv/bin/python scripts/build_fhirpath_trees.py          # write the file
    .venv/bin/python scripts/build_fhirpath_trees.py --check  # exit 1 if it differs

Run it after build_validation_data.py has changed r4.json or r5.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "fhir_export" / "validation_data"


def expressions() -> list[str]:
    """Every constraint expression of the shipped definitions, both releases, sorted."""
    found: set[str] = set()
    for release in ("r4", "r5"):
        data = json.loads((DATA / f"{release}.json").read_text("utf-8"))
        for entry in data["types"].values():
            found.update(c["expression"] for c in entry["constraints"])
            for element in entry.get("elements", {}).values():
                found.update(c["expression"] for c in element.get("constraints", ()))
    return sorted(found)


def trees() -> dict[str, Any]:
    """{"fhirpathpy": version, "trees": {expression: its tree as compact JSON text}}; an
    expression fhirpathpy cannot parse has no tree (the reader then lets fhirpathpy fail)."""
    from fhirpathpy.parser import parse

    out: dict[str, str] = {}
    for expression in expressions():
        try:
            tree = parse(expression)
        except Exception:  # noqa: S112 (eld-11 in R5: skipped by the walk, see fhirpath.py)
            continue
        out[expression] = json.dumps(tree, sort_keys=True, separators=(",", ":"))
    return {"fhirpathpy": version("fhirpathpy"), "trees": out}


def render(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=0) + "\n").encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs")
    args = parser.parse_args(argv)
    target = DATA / "fhirpath.json"
    new = render(trees())
    if args.check:
        same = target.is_file() and target.read_bytes() == new
        print(f"{target.relative_to(ROOT)}: {'up to date' if same else 'DIFFERS'}")  # noqa: T201
        return 0 if same else 1
    target.write_bytes(new)
    print(f"wrote {target.relative_to(ROOT)} ({len(new)} bytes)")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
