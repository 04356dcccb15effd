"""Articles through export_article, in this process or in worker processes (--jobs).

Workers get chunks of articles and send back, per article, its bytes per format (or its NDJSON
lines), its identity and its report row, or its error: never the bundle, and they write
nothing. The run consumes the outcomes in input order, so what it writes, prints and reports
is the same whatever the number of jobs. At most a few chunks per worker are in flight, so
memory stays flat however many articles there are.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing.context import BaseContext
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

_IN_FLIGHT = 2  # chunks per worker submitted ahead of the one being consumed
_CHUNK = 16  # articles per chunk at most


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
    there is one article), else in min(jobs, articles) worker processes."""
    workers = min(options.jobs, len(sources))
    if workers <= 1:
        for source in sources:
            yield run_one(source, options)
        return
    size = max(1, min(_CHUNK, len(sources) // (workers * 4)))
    chunks = (sources[i : i + size] for i in range(0, len(sources), size))  # as consumed
    with ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=_warm, initargs=(options,)
    ) as pool:
        try:
            yield from _in_order(pool, chunks, options, workers)
        except BaseException:  # Ctrl-C, or the consumer stopped (GeneratorExit): stop now
            _abandon(pool)
            raise


def _in_order(
    pool: ProcessPoolExecutor, chunks: Iterator[Sequence[Source]], options: ExportOptions,
    workers: int,
) -> Iterator[Outcome]:
    pending: deque[tuple[Sequence[Source], Future[list[Outcome]]]] = deque(
        (chunk, pool.submit(run_chunk, chunk, options))
        for chunk in islice(chunks, workers * _IN_FLIGHT)
    )
    while pending:
        chunk, future = pending.popleft()
        following = next(chunks, None)
        if following is not None:
            pending.append((following, pool.submit(run_chunk, following, options)))
        try:
            done = future.result()
        except Exception as exc:  # a worker died (killed, out of memory): its articles fail
            done = [
                Outcome(error=InternalError(exc, path=str(s.path), stage="worker"))
                for s in chunk
            ]
        yield from done


def _abandon(pool: ProcessPoolExecutor) -> None:
    """The chunks not yet started are cancelled; the ones running finish (at most one per
    worker and one queued: a worker ended mid-result could leave the pipe half-written and
    the pool's reader waiting forever), and the workers are joined, none left behind."""
    pool.shutdown(wait=True, cancel_futures=True)


def _context() -> BaseContext:
    """fork where it is safe (Linux): workers start at once with the models and the lexicon
    already loaded; elsewhere the platform's default, each worker loading them once."""
    return multiprocessing.get_context("fork" if sys.platform == "linux" else None)


def _warm(options: ExportOptions) -> None:
    """Worker start: the lexicon, loaded once per worker (a cache hit after fork). Ctrl-C
    (SIGINT to the terminal's process group) is the parent's to handle: a worker interrupted
    inside a queue operation leaves its lock taken or a result half-sent, and the run hangs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
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
