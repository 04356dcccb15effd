"""What a run did: per-article results, errors, and the exit code they add up to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
    unmapped_sentences: tuple[str, ...] = ()  # the sentence each unmapped term was read in


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

    def unmapped_report(self) -> dict[str, Any]:
        """The run's unmapped terms: what was found without a code, where, in which sentence.
        For curators extending the lexicon; deterministic (no times, sorted by article)."""
        articles: list[dict[str, Any]] = []
        counts: dict[str, int] = {}
        for result in sorted(self.results, key=lambda r: r.path):
            terms = [
                {
                    "kind": f.kind.value,
                    "text": f.text,
                    "offset": f.span.start,
                    "length": f.span.end - f.span.start,
                    "sentence": sentence,
                }
                for f, sentence in zip(result.unmapped, result.unmapped_sentences, strict=True)
            ]
            articles.append({"path": result.path, "outputs": result.outputs, "unmapped": terms})
            for f in result.unmapped:
                counts[f.text.casefold()] = counts.get(f.text.casefold(), 0) + 1
        return {
            "summary": self.summary(),
            "terms": [
                {"text": t, "count": n}
                for t, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
            ],
            "articles": articles,
            "errors": [e.line() for e in self.errors],
        }

    def summary(self) -> str:
        return (
            f"{self.articles} article{'s' if self.articles != 1 else ''}, "
            f"{self.resources} resources, {len(self.errors)} failed, "
            f"{self.unmapped} unmapped terms"
        )
