"""`fhir-export lexicon check`: code formats and check digits, duplicates, dangling links.

Checks the shipped lexicon and any user lexicon files without loading them into a matcher, so
every problem is reported (not just the first), each on one line naming file, entry and code.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .lookup import EMITTED, FILES, _problem, _shipped, tokenize

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ATC = "http://www.whocc.no/atc"
UNII = "http://fdasis.nlm.nih.gov"
GRADES = frozenset({"V", "V2", "P", "U"})

_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_ok(number: str) -> bool:
    """SNOMED CT identifiers end in a Verhoeff check digit."""
    check = 0
    for i, digit in enumerate(reversed(number)):
        check = _D[check][_P[i % 8][int(digit)]]
    return check == 0


def loinc_ok(code: str) -> bool:
    """LOINC codes end in a mod-10 check digit after the hyphen."""
    match = re.fullmatch(r"(\d{1,7})-(\d)", code)
    if not match:
        return False
    digits = match.group(1)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n // 10 + n % 10
    return (10 - total % 10) % 10 == int(match.group(2))


def code_problem(system: str, code: str) -> str | None:
    if system == SNOMED:
        if not re.fullmatch(r"\d{6,18}", code) or not verhoeff_ok(code):
            return "is not a SNOMED CT identifier (format or Verhoeff check digit)"
    elif system == LOINC:
        if not loinc_ok(code):
            return "is not a LOINC code (format or mod-10 check digit)"
    elif system == RXNORM:
        if not re.fullmatch(r"[1-9]\d{0,8}", code):
            return "is not an RxCUI (digits)"
    elif system == ATC:
        if not re.fullmatch(r"[A-Z](\d\d([A-Z]([A-Z](\d\d)?)?)?)?", code):
            return "is not an ATC code"
    elif system == UNII:
        if not re.fullmatch(r"[A-Z0-9]{10}", code):
            return "is not a UNII (10 letters and digits)"
    elif system == ICD10CM:
        if not re.fullmatch(r"[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?", code):
            return "is not an ICD-10-CM code"
    return None


@dataclass(frozen=True, slots=True)
class Issue:
    where: str
    severity: str  # error | warning
    entry: str
    message: str

    def line(self) -> str:
        return f"{self.where}: {self.severity}: {self.entry}: {self.message}"


def _entries(path: Path) -> tuple[list[Any], list[Issue]]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except RecursionError:
        return [], [Issue(str(path), "error", "-", "JSON nested too deeply to be a lexicon")]
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return [], [Issue(str(path), "error", "-", f"cannot read ({exc})")]
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return [], [Issue(str(path), "error", "-", "needs an object with an 'entries' list")]
    return entries, []


def check(paths: tuple[Path, ...] = (), *, shipped: bool = True) -> list[Issue]:
    """Every problem in the shipped lexicon (when asked) and the given files."""
    sources: list[tuple[str, list[Any]]] = []
    issues: list[Issue] = []
    if shipped:
        sources.append(
            ("shipped lexicon (" + ", ".join(f"{f}.json" for f in FILES) + ")", list(_shipped()))
        )
    for path in paths:
        entries, problems = _entries(path)
        issues += problems
        sources.append((str(path), entries))
    terms: dict[str, set[str]] = defaultdict(set)
    ids: dict[str, str] = {}
    known: dict[str, str] = {}
    for where, entries in sources:
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            problem = _problem(entry)
            name = entry.get("id") if isinstance(entry, dict) else None
            label = name if isinstance(name, str) else f"entry {i + 1}"
            if problem:
                issues.append(Issue(where, "error", label, problem))
                continue
            name = str(entry["id"])
            if name in seen:
                issues.append(Issue(where, "error", label, "id used twice in this file"))
            seen.add(name)
            ids[name] = where
            known[name] = entry["kind"]
            issues += _codings(where, entry)
            for term in [
                entry["preferred"],
                *entry.get("synonyms", ()),
                *[b["name"] for b in entry.get("brands", ())],
            ]:
                key = " ".join(t.norm for t in tokenize(term))
                if key:
                    terms[key].add(name)
    for where, entries in sources:
        for entry in entries:
            if isinstance(entry, dict) and not _problem(entry):
                for link in entry.get("classes", ()):
                    if known.get(link) != "drug-class":
                        issues.append(
                            Issue(
                                where,
                                "error",
                                entry["id"],
                                f"names class '{link}', which is no drug-class entry",
                            )
                        )
    for term, owners in sorted(terms.items()):
        if len(owners) > 1:
            issues.append(
                Issue(
                    "lexicon",
                    "error",
                    ", ".join(sorted(owners)),
                    f"the term '{term}' names more than one concept",
                )
            )
    return issues


def _codings(where: str, entry: dict[str, Any]) -> list[Issue]:
    out = []
    codings = list(entry.get("codings", ())) + [
        c for b in entry.get("brands", ()) for c in b.get("codings", ())
    ]
    for coding in codings:
        system, code = coding["system"], coding["code"]
        grade = coding.get("verified")
        if grade not in GRADES:
            out.append(
                Issue(where, "error", entry["id"], f"{code}: 'verified' must be one of V, V2, P, U")
            )
        if grade in EMITTED:
            problem = code_problem(system, code)
            if problem:
                out.append(Issue(where, "error", entry["id"], f"{system}|{code} {problem}"))
            if not coding.get("source"):
                out.append(
                    Issue(
                        where,
                        "warning",
                        entry["id"],
                        f"{system}|{code} has no 'source' saying where it was confirmed",
                    )
                )
    return out
