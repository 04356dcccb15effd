"""Articles through export_article, in this process or in worker processes (--jobs).

Workers get chunks of articles and send back, per article, its bytes per format (or its NDJSON
lines), its identity and its report row, or its error: never the bundle, and they write
nothing. The run consumes the outcomes in input order, so what it writes, prints and reports
is the same whatever the number of jobs. At most a few chunks per worker are in flight, so
memory stays flat however many articles there are.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

from .article_export import export_article, timed
from .deadline import deadline
from .errors import ExportError, InternalError
from .manifest import bundle_counts
from .options import ExportOptions, OutputFormat
from .report import ArticleResult
from .sources import read_file
from .terminology import default_lexicon
from .workers import ordered


class Source(Protocol):
    """An article to export: the file, and its path below its input root."""

    @property
    def path(self) -> Path: ...

    @property
    def relative(self) -> str: ...


@dataclass(slots=True)
class Outcome:
    """One article's outcome: what the run needs to check, write and report it."""

    error: ExportError | None = None
    result: ArticleResult | None = None
    identity: str = ""
    outputs: dict[str, bytes] = field(default_factory=dict)  # per format (not NDJSON)
    lines: tuple[tuple[str, str, bytes], ...] = ()  # NDJSON: (resourceType, id, line)
    date: str | None = None  # the article's date (its DocumentReference.date)
    counts: tuple[tuple[str, int], ...] = ()  # resources per type in its bundle, sorted
    seconds: dict[str, float] = field(default_factory=dict)


def outcomes(
    sources: Sequence[Source], options: ExportOptions
) -> Generator[Outcome, None, None]:
    """Every source's outcome, in their order: in this process when options.jobs is 1 (or
    there is one article), else in min(jobs, articles) worker processes (workers.ordered)."""
    workers = min(options.jobs, len(sources))
    if workers <= 1:
        for source in sources:
            yield run_one(source, options)
        return
    yield from ordered(
        partial(run_chunk, options=options), sources, workers, _worker_died, _warm, (options,)
    )


def _worker_died(source: Source, exc: BaseException) -> Outcome:
    return Outcome(error=InternalError(exc, path=str(source.path), stage="worker"))


def _warm(options: ExportOptions) -> None:
    """Worker start: the lexicon, loaded once per worker (a cache hit after fork)."""
    default_lexicon(options.lexicons)


def run_chunk(sources: Sequence[Source], options: ExportOptions) -> list[Outcome]:
    return [run_one(source, options) for source in sources]


def run_one(source: Source, options: ExportOptions) -> Outcome:
    """One article file through export_article within options.article_timeout; any failure,
    expected or not, is its outcome's error (an unexpected one an InternalError naming the
    stage, one over its time a TimeLimitError), never raised."""
    outcome = Outcome()
    path = str(source.path)
    try:
        with deadline(options.article_timeout, path):
            with timed(outcome.seconds, "read"):
                data = read_file(source.path, max_bytes=options.max_bytes)
            exported = export_article(data, source.relative, options, path=path)
    except InternalError as exc:
        exc.path = exc.path or path
        outcome.error = exc
        return outcome
    except ExportError as exc:
        outcome.error = exc
        return outcome
    except Exception as exc:
        outcome.error = InternalError(exc, path=path)
        return outcome
    for stage, seconds in exported.seconds.items():
        outcome.seconds[stage] = outcome.seconds.get(stage, 0.0) + seconds
    outcome.result = exported.result
    outcome.identity = exported.identity
    doc = exported.bundle["entry"][0]["resource"]
    outcome.date = str(doc["date"])[:10] if "date" in doc else None
    outcome.counts = bundle_counts(exported.bundle)
    if options.output_format is OutputFormat.NDJSON:
        entries = exported.bundle["entry"]
        lines = exported.outputs["ndjson"].split(b"\n")[:-1]
        outcome.lines = tuple(
            (e["resource"]["resourceType"], e["resource"]["id"], line + b"\n")
            for e, line in zip(entries, lines, strict=True)
        )
    else:
        outcome.outputs = exported.outputs
    return outcome
