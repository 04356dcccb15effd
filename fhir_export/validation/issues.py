"""Validation issues, their one-line form and the FHIR OperationOutcome form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEVERITIES = ("error", "warning", "information")
DOCUMENT = "(document)"  # location of problems with the file as a whole


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem. `location` is a FHIRPath such as `Bundle.entry[3].resource.status`, or
    "(document)" for the file as a whole; `code` is the OperationOutcome issue type."""

    severity: str  # error | warning | information
    location: str
    message: str
    code: str = "invalid"

    def line(self, path: str) -> str:
        """`path: severity: location: message`, the command's text output, on one line and
        with control characters (from the file's content) escaped."""
        return _printable(f"{path}: {self.severity}: {self.location}: {self.message}")


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def has_errors(issues: list[Issue]) -> bool:
    return any(issue.severity == "error" for issue in issues)


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    """A FHIR (R4 and R5) OperationOutcome JSON object holding the issues. An empty list gives
    the single informational issue FHIR asks for (OperationOutcome.issue is 1..*)."""
    entries: list[dict[str, Any]] = []
    for issue in issues:
        entry: dict[str, Any] = {
            "severity": issue.severity,
            "code": issue.code,
            "diagnostics": issue.message,
        }
        if issue.location != DOCUMENT:
            entry["expression"] = [issue.location]
        entries.append(entry)
    if not entries:
        entries.append(
            {"severity": "information", "code": "informational", "diagnostics": "No issues found"}
        )
    return {"resourceType": "OperationOutcome", "issue": entries}
