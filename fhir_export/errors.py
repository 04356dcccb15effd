"""Errors and exit codes. Every error a user can cause is an ExportError with an exit code."""

from __future__ import annotations

import os
import re
import traceback
from enum import IntEnum
from pathlib import PurePath
from typing import Any, TypeVar

# what a path may not print raw: C0 and C1 controls (newlines, terminal escapes), DEL
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def display(path: str | PurePath) -> str:
    """A path as it can be printed, written to JSON and hashed: bytes that are not UTF-8
    (surrogate-escaped by Python) as \\xNN, control characters as \\n, \\x1b, ... Ordinary
    names come back unchanged, and an already displayed name too."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)


class ExitCode(IntEnum):
    """Process exit codes, documented in the README."""

    OK = 0
    INPUT_FAILED = 1  # some inputs failed; every other input was written
    USAGE = 2  # bad command line (click's own code for usage errors)
    NO_INPUT = 3  # nothing to export: no article found at the given paths
    OUTPUT_FAILED = 4  # the output location cannot be written
    SERVER_FAILED = 5  # push: the FHIR server cannot be reached
    MANIFEST_MISMATCH = 6  # push: a folder's files disagree with its manifest.json
    INTERNAL_ERROR = 123  # a bug: some input raised an unexpected exception (as black does)
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it): what was written is listed


class ExportError(Exception):
    """An expected failure, reported as one line `Error: <path>: <problem>. <hint>`."""

    exit_code: ExitCode = ExitCode.INPUT_FAILED
    stage: str = "export"

    def __init__(self, message: str, *, path: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.hint = hint

    def line(self) -> str:
        where = f"{display(self.path)}: " if self.path else ""
        text = self.message.rstrip(".")
        hint = f" {self.hint}" if self.hint else ""
        return f"Error: {where}{text}.{hint}"

    @property
    def code(self) -> str:
        """The error's kind as a stable word for machines: `source`, `usage`, `no-input`,
        `output`, `lexicon`, `internal`, `server`, ... (the class name, kebab-cased)."""
        name = type(self).__name__.removesuffix("Error") or "export"
        return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()

    def fields(self) -> dict[str, Any]:
        """The error as JSON fields (the `--report` row's and `--log-format json`'s)."""
        return {
            "code": self.code,
            "stage": self.stage,
            "exit_code": int(self.exit_code),
            "message": display(self.message),
            "hint": self.hint,
        }


class SourceError(ExportError):
    """An article cannot be read: empty, binary, undecodable, malformed, too large."""

    stage = "read"


class TimeLimitError(ExportError):
    """An article took longer than --article-timeout: it fails alone, nothing of it written."""

    stage = "timeout"


class UsageError(ExportError):
    """The command asks for something that cannot be done as asked."""

    exit_code = ExitCode.USAGE
    stage = "usage"


class NoInputError(ExportError):
    """The given paths hold no article."""

    exit_code = ExitCode.NO_INPUT
    stage = "read"


class OutputError(ExportError):
    """The output location cannot be written."""

    exit_code = ExitCode.OUTPUT_FAILED
    stage = "write"


class LexiconError(ExportError):
    """A lexicon file is malformed."""

    exit_code = ExitCode.USAGE
    stage = "terminology"


_SHOWN = 300  # characters of an unexpected exception's message on its error line


E = TypeVar("E", bound=BaseException)


def unpinned(exc: E) -> E:
    """exc as a run keeps it until its end (its report lists every failed input): without its
    traceback, nor the exceptions it was raised while handling. A traceback holds the frames
    where it was raised and everything they held: a refused article's bundle, 200 KB, kept
    for each of thousands of refused copies (3 GB at 100,000 files). An InternalError keeps
    its traceback as text."""
    exc.__traceback__ = None
    exc.__context__ = None
    exc.__cause__ = None
    return exc


class InternalError(ExportError):
    """An unexpected exception while handling one input: a bug in this tool, reported as one
    line for that input (the other inputs go on), with the traceback kept for the report."""

    exit_code = ExitCode.INTERNAL_ERROR

    def __init__(self, exc: BaseException, *, path: str | None, stage: str = "export") -> None:
        detail = display(" ".join(str(exc).split()))
        if len(detail) > _SHOWN:
            detail = detail[: _SHOWN - 1] + "…"
        kind = type(exc).__name__
        super().__init__(f"{kind}: {detail}" if detail else kind, path=path)
        self.stage = stage
        self.traceback = "".join(traceback.format_exception(exc))

    def line(self) -> str:
        where = f"{display(self.path)}: " if self.path else ""
        return f"Error: {where}internal error ({self.message}); please report it with this file"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its fields (a worker process sends it to the run): the exception it
        was made from is not, its message and traceback are."""
        return (_internal_error, (dict(self.__dict__),))


def _internal_error(fields: dict[str, Any]) -> InternalError:
    error = InternalError.__new__(InternalError, fields["message"])
    error.__dict__.update(fields)
    return error
