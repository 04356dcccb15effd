"""What a run did: per-article results, errors, and the exit code they add up to."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ExitCode, ExportError
from .model import Finding


@dataclass(slots=True)
class ArticleResult:
    path: str
    outputs: list[str] = field(default_factory=list)
    resources: int = 0
    medications: int = 0
    unmapped: tuple[Finding, ...] = ()
    unmapped_texts: tuple[str, ...] = ()


@dataclass(slots=True)
class ExportReport:
    results: list[ArticleResult] = field(default_factory=list)
    errors: list[ExportError] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def articles(self) -> int:
        return len(self.results) + len(self.errors)

    @property
    def resources(self) -> int:
        return sum(r.resources for r in self.results)

    @property
    def unmapped(self) -> int:
        return sum(len(r.unmapped) for r in self.results)

    @property
    def exit_code(self) -> ExitCode:
        if not self.errors:
            return ExitCode.OK
        return max((e.exit_code for e in self.errors), default=ExitCode.INPUT_FAILED)

    def summary(self) -> str:
        return (
            f"{self.articles} article{'s' if self.articles != 1 else ''}, "
            f"{self.resources} resources, {len(self.errors)} failed, "
            f"{self.unmapped} unmapped terms"
        )
