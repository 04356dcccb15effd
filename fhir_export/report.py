"""What a run did: per-article results, errors, and the exit code they add up to."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from .errors import ExitCode, ExportError, InternalError, display
from .model import Extraction, Finding, SectionYield
from .spool import Spool, Streamed, dumps, streamed_json

if TYPE_CHECKING:
    from .manifest import FileRecord

# what a medicine's facts are, by the Medication field that holds them
FACT_KINDS = {
    "brands": "brand",
    "classes": "drug-class",
    "indications": "indication",
    "side_effects": "side-effect",
    "warnings": "warning",
    "contraindications": "contraindication",
    "routes": "route",
    "monitoring": "monitoring",
}
_LISTED = 10  # articles named in the summary's line of empty ones


@dataclass(frozen=True, slots=True)
class Yield:
    """What extraction gave for one article, counted: the quality signal of the report."""

    coded: int = 0  # medicines with a lexicon code
    uncoded: int = 0
    facts: tuple[tuple[str, int], ...] = tuple((kind, 0) for kind in FACT_KINDS.values())
    screening: int = 0
    empty_sections: tuple[SectionYield, ...] = ()  # typed sections that gave no fact

    @classmethod
    def of(cls, extraction: Extraction) -> Yield:
        meds = extraction.medications
        coded = sum(m.concept is not None for m in meds)
        facts = tuple(
            (kind, sum(len(getattr(m, name)) for m in meds)) for name, kind in FACT_KINDS.items()
        )
        empty = tuple(s for s in extraction.sections if s.kind and not s.facts)
        return cls(coded, len(meds) - coded, facts, len(extraction.screening), empty)

    @property
    def no_medicine(self) -> bool:
        return self.coded + self.uncoded == 0

    @property
    def no_fact(self) -> bool:
        return not any(n for _, n in self.facts)

    @property
    def no_screening(self) -> bool:
        return self.screening == 0

    @property
    def empty(self) -> bool:
        return self.no_medicine and self.no_fact and self.no_screening

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "empty" if self.empty else "exported",
            "medicines": {"coded": self.coded, "uncoded": self.uncoded},
            "facts": dict(self.facts),
            "screening": self.screening,
            "no_medicine": self.no_medicine,
            "no_fact": self.no_fact,
            "no_screening": self.no_screening,
            "empty_sections": [{"heading": s.heading, "kind": s.kind} for s in self.empty_sections],
        }


@dataclass(frozen=True, slots=True)
class RunEvents:
    """What a run tells its caller while it runs (cli.py draws progress from it): the number
    of articles found, then each article as it finishes (its result, or its error), in input
    order, from the run's own process."""

    started: Callable[[int], None] = lambda total: None
    finished: Callable[[ArticleResult | ExportError], None] = lambda item: None


@dataclass(slots=True, weakref_slot=True)
class ArticleResult:
    path: str
    outputs: list[str] = field(default_factory=list)
    resources: int = 0
    medications: int = 0
    unmapped: tuple[Finding, ...] = ()
    unmapped_texts: tuple[str, ...] = ()
    unmapped_sentences: tuple[str, ...] = ()  # the sentence each unmapped term was read in
    yielded: Yield | None = None  # None: not an extracted article (convert)
    limited: tuple[str, ...] = ()  # the per-article caps it hit (limits.py), one note each
    identifier: tuple[str, str] | None = None  # the article's identity: (system, value)
    # the manifest's record of each output (not manifest.json), made from the bytes written
    records: list[FileRecord] = field(default_factory=list)


@dataclass(slots=True)
class Retired:
    """What a report keeps of the results it let go of (ExportReport.retire): their counts,
    the unmapped terms' counts, the paths of the empty ones, and their rows of the report,
    serialized into a Spool (on disk)."""

    results: int = 0
    resources: int = 0
    unmapped: int = 0
    terms: dict[str, int] = field(default_factory=dict)  # casefolded text -> count
    empty: list[str] = field(default_factory=list)  # paths of the empty articles
    rows: Spool | None = None


@dataclass(slots=True)
class ExportReport:
    results: list[ArticleResult] = field(default_factory=list)
    errors: list[ExportError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files found that are not articles
    not_followed: list[tuple[str, str]] = field(default_factory=list)  # symlinks: (path, why)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # clean runs: files of an earlier run removed, and files found in the output folder
    # that this run did not write, left alone (each with why), see pipeline._finish_run
    removed: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)
    retired: Retired = field(default_factory=Retired)  # results let go of (retire)

    def retire(self, keep: int = 1) -> None:
        """Let go of every result after the first `keep` (a run amends its first result at
        its end): their counts and report rows are kept (see Retired), not the results, so
        a run's memory does not grow with its articles. Summary, counts and report are the
        same as with the results held."""
        if len(self.results) <= keep:
            return
        retired = self.retired
        if retired.rows is None:
            retired.rows = Spool()
        for result in self.results[keep:]:
            row = result_row(result)
            retired.rows.add(dumps(row), _row_key(row))
            retired.results += 1
            retired.resources += result.resources
            retired.unmapped += len(result.unmapped)
            for f in result.unmapped:
                retired.terms[f.text.casefold()] = retired.terms.get(f.text.casefold(), 0) + 1
            if result.yielded is not None and result.yielded.empty:
                retired.empty.append(result.path)
        del self.results[keep:]

    @property
    def exported(self) -> int:
        """Articles exported (with content or empty)."""
        return len(self.results) + self.retired.results

    @property
    def articles(self) -> int:
        return self.exported + len(self.errors)

    @property
    def resources(self) -> int:
        return sum(r.resources for r in self.results) + self.retired.resources

    @property
    def unmapped(self) -> int:
        return sum(len(r.unmapped) for r in self.results) + self.retired.unmapped

    @property
    def exit_code(self) -> ExitCode:
        if not self.errors:
            return ExitCode.OK
        return max((e.exit_code for e in self.errors), default=ExitCode.INPUT_FAILED)

    @property
    def empty(self) -> list[str]:
        """The paths of the articles exported although extraction found nothing in them."""
        def empty(results: list[ArticleResult]) -> list[str]:
            return [r.path for r in results if r.yielded is not None and r.yielded.empty]

        return empty(self.results[:1]) + self.retired.empty + empty(self.results[1:])

    def empty_line(self) -> str | None:
        """`2 articles yielded no medicine, fact or screening question: a.html, b.txt`."""
        empty = self.empty
        if not empty:
            return None
        names = [display(PurePath(path).name) for path in empty]
        more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
        return (
            f"{_count(len(names), 'article')} yielded no medicine, fact or screening question: "
            f"{', '.join(names[:_LISTED])}{more}"
        )

    def skipped_line(self) -> str | None:
        """`2 files skipped, not of a supported type: in/logo.png, in/notes.doc`."""
        if not self.skipped:
            return None
        more = f" and {len(self.skipped) - _LISTED} more" if len(self.skipped) > _LISTED else ""
        return (
            f"{_count(len(self.skipped), 'file')} skipped, not of a supported type: "
            f"{', '.join(map(display, self.skipped[:_LISTED]))}{more}"
        )

    def not_followed_line(self) -> str | None:
        """`1 symlink not followed: in/a.txt (to a file outside the input folder; ...)`."""
        if not self.not_followed:
            return None
        listed = [f"{display(p)} ({why})" for p, why in self.not_followed[:_LISTED]]
        extra = len(self.not_followed) - _LISTED
        more = f" and {extra} more" if extra > 0 else ""
        count = _count(len(self.not_followed), "symlink")
        return f"{count} not followed: {', '.join(listed)}{more}"

    def unmapped_report(self) -> dict[str, Any]:
        """The run's report as a dict (see document)."""
        return dict(json.loads(b"".join(self.document())))

    def counts(self) -> dict[str, int]:
        empty = len(self.empty)
        return {"articles": self.articles, "with_content": self.exported - empty,
                "empty": empty, "failed": len(self.errors)}

    def document(self) -> Iterator[bytes]:
        """The run's report, as JSON bytes: per article its status and what it yielded (the
        quality signal), and the unmapped terms: what was found without a code, where, in
        which sentence. For curators extending the lexicon; deterministic (no times, sorted
        by article). Read as it is written: the rows of retired results come from their
        Spool."""
        counts = dict(self.retired.terms)
        for result in self.results:
            for f in result.unmapped:
                counts[f.text.casefold()] = counts.get(f.text.casefold(), 0) + 1
        rows = [error_row(e) for e in self.errors] + [result_row(r) for r in self.results]
        held = [(_row_key(row), dumps(row)) for row in rows]
        spool = self.retired.rows
        articles = (spool.sorted(held) if spool is not None
                    else (data for _, data in sorted(held, key=lambda item: item[0])))
        return streamed_json({
            "summary": self.summary(),
            "counts": self.counts(),
            "terms": [
                {"text": t, "count": n}
                for t, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
            ],
            "articles": Streamed(articles),
            "errors": [e.line() for e in self.errors],
            "skipped": [
                {
                    "path": display(p),
                    "reason": f"unsupported file type '{display(PurePath(p).suffix)}'",
                }
                for p in self.skipped
            ]
            + [{"path": display(p), "reason": why} for p, why in self.not_followed],
        })

    def summary(self) -> str:
        """`3 articles (1 with content, 1 empty, 1 failed), 13 resources, 1 unmapped term`."""
        empty = len(self.empty)
        return (
            f"{_count(self.articles, 'article')} ({self.exported - empty} with content, "
            f"{empty} empty, {len(self.errors)} failed), {_count(self.resources, 'resource')}, "
            f"{_count(self.unmapped, 'unmapped term')}"
        )


def _row_key(row: dict[str, Any]) -> str:
    """The order of the report's rows: by path, then status."""
    return f"{row['path']}\x00{row.get('status', '')}"


def error_row(error: ExportError) -> dict[str, Any]:
    """A failed article's row of the report."""
    row: dict[str, Any] = {
        "path": display(error.path or ""),
        "status": "failed",
        "error": error.line(),
        "error_code": error.code,
        "error_stage": error.stage,
        "error_message": display(error.message),
        "error_hint": error.hint,
        "exit_code": int(error.exit_code),
        "outputs": [],
        "unmapped": [],
    }
    if isinstance(error, InternalError):  # a bug: what a maintainer needs to fix it
        row |= {"stage": error.stage, "traceback": error.traceback}
    return row


def result_row(result: ArticleResult) -> dict[str, Any]:
    """An exported article's row of the report."""
    terms = [
        {
            "kind": f.kind.value,
            "text": f.own,
            "offset": f.span.start,
            "length": f.span.end - f.span.start,
            "sentence": sentence,
        }
        for f, sentence in zip(result.unmapped, result.unmapped_sentences, strict=True)
    ]
    entry: dict[str, Any] = {
        "path": display(result.path),
        "outputs": [display(o) for o in result.outputs],
        "resources": result.resources,
        "unmapped": terms,
    }
    if result.limited:
        entry["limited"] = list(result.limited)
    return entry | (result.yielded.as_json() if result.yielded else {})


def article_text(item: ArticleResult | ExportError) -> str:
    """An article's line as it finishes (stderr, off a terminal): `exported a.html: 2 medicines
    (1 coded), 7 facts, 3 screening questions, 1 unmapped term`, `empty b.html: no medicine,
    fact or screening question`, or a failed article's error line."""
    if isinstance(item, ExportError):
        return item.line()
    shown = display(item.path)
    yielded = item.yielded
    if yielded is None:
        return f"done {shown}"
    if yielded.empty:
        return f"empty {shown}: no medicine, fact or screening question"
    medicines = yielded.coded + yielded.uncoded
    facts = sum(n for _, n in yielded.facts)
    return (
        f"exported {shown}: {_count(medicines, 'medicine')} ({yielded.coded} coded), "
        f"{_count(facts, 'fact')}, {_count(yielded.screening, 'screening question')}, "
        f"{_count(len(item.unmapped), 'unmapped term')}"
    )


def article_record(item: ArticleResult | ExportError) -> dict[str, Any]:
    """An article's line as JSON (`--log-format json`): path, status, error (code, stage,
    exit_code, message, hint) or null, counts, outputs."""
    if isinstance(item, ExportError):
        return {"path": display(item.path or ""), "status": "failed", "error": item.fields(),
                "counts": None, "outputs": []}
    yielded = item.yielded
    counts: dict[str, Any] | None = None
    if yielded is not None:
        counts = {
            "medicines": {"coded": yielded.coded, "uncoded": yielded.uncoded},
            "facts": dict(yielded.facts),
            "screening": yielded.screening,
            "unmapped": len(item.unmapped),
        }
    status = "empty" if yielded is not None and yielded.empty else "exported"
    return {"path": display(item.path), "status": status, "error": None, "counts": counts,
            "outputs": [display(o) for o in item.outputs]}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
