"""Files through validate, in this process or in worker processes (`validate --jobs`).

A worker reads and validates whole files and sends back each file's issues, or the error that
stopped it; the command prints them in the files' order, so its output is the same for any
number of jobs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial

from ..errors import ExportError, InternalError, SourceError
from ..workers import ordered
from .issues import Issue


@dataclass(slots=True)
class Checked:
    """One file's issues, or what kept it from being validated: unreadable (SourceError) or a
    bug (InternalError)."""

    path: str
    issues: list[Issue] = field(default_factory=list)
    error: ExportError | None = None


def check_file(path: str, fhir_version: str | None) -> Checked:
    """One file validated; never raises. Over the size limit is an issue; /dev/zero is not
    read; NDJSON is read line by line."""
    from ..convert import read_capped
    from . import validate, validate_ndjson

    ndjson = path.lower().endswith(".ndjson")
    try:
        handle = open(path, "rb") if ndjson else None  # closed below
        data = b"" if ndjson else read_capped(path)
    except OSError as exc:
        return Checked(path, error=SourceError(f"cannot read file ({exc.strerror})", path=path))
    try:
        if handle is not None:
            with handle:
                return Checked(path, validate_ndjson(handle, path=path, fhir_version=fhir_version))
        return Checked(path, validate(data, path=path, fhir_version=fhir_version))
    except Exception as exc:  # a bug: this file is reported, the others still validated
        return Checked(path, error=InternalError(exc, path=path, stage="validate"))


def check_files(paths: Sequence[str], fhir_version: str | None, jobs: int) -> Iterator[Checked]:
    """Every file checked, in their order: in this process when jobs is 1 (or there is one
    file), else in min(jobs, files) worker processes."""
    workers = min(jobs, len(paths))
    if workers <= 1:
        for path in paths:
            yield check_file(path, fhir_version)
        return
    yield from ordered(partial(_check_chunk, fhir_version=fhir_version), paths, workers, _died)


def _check_chunk(paths: Sequence[str], fhir_version: str | None) -> list[Checked]:
    return [check_file(path, fhir_version) for path in paths]


def _died(path: str, exc: BaseException) -> Checked:
    return Checked(path, error=InternalError(exc, path=path, stage="worker"))
