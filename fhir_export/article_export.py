"""One article, in memory: bytes -> read -> segment -> extract -> map -> bundle -> serialize.

`export_article` is the public, pure form (the library function any engine can map over
articles, and what every `export` worker runs); nothing here reads or writes a file.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import bundling, limits, segmentation
from .errors import ExportError, InternalError, UsageError, display
from .extraction import extract
from .identity import identify
from .mapping import r4, r5
from .mapping.r4.article import MapContext
from .model import Article
from .options import ExportOptions, OutputFormat
from .report import ArticleResult, ExportReport, Yield
from .serialization import SERIALIZERS
from .sources import parse_article, read_file
from .terminology import Lexicon, default_lexicon

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ArticleExport:
    """What `export_article` returns for one article; picklable, so it can cross processes."""

    identity: str  # the article's identifier value: canonical URL, SPL set id, or its path
    bundle: JSON  # the validated Bundle as FHIR JSON, keys in specification order
    outputs: dict[str, bytes]  # per requested format ('json', 'xml' or 'ndjson'): its bytes
    result: ArticleResult  # what it yielded and left unmapped, for the run's report
    seconds: dict[str, float]  # time spent per stage

    @property
    def resources(self) -> list[JSON]:
        """The article's resources, in the Bundle's order."""
        return [entry["resource"] for entry in self.bundle["entry"]]


def export_article(
    data: bytes, name: str, options: ExportOptions, *, path: str | None = None
) -> ArticleExport:
    """One article's bytes -> its validated Bundle and its bytes in each format options ask
    for (OutputFormat.NDJSON: the resources as NDJSON lines, relative references when
    options.bundle_type is batch). `name` is its path below its input root ('a/index.html'):
    the suffix picks the reader, and it identifies an article that states no canonical URL.
    `path` is what error messages name (default: name). Pure: the same arguments give the same
    bytes; the only state kept is the per-process cache of the lexicon.

    Raises ExportError (SourceError for an article that cannot be read, ...) for what the
    article or the options get wrong, InternalError (naming the stage) for a bug."""
    seconds: dict[str, float] = {}
    shown = path if path is not None else name
    try:
        resources, result = map_article(data, name, options, seconds, path=shown)
        with timed(seconds, "bundle"):
            bundle = bundle_resources(resources, options)
        outputs: dict[str, bytes] = {}
        if options.output_format is OutputFormat.NDJSON:
            with timed(seconds, "serialize-ndjson"):
                outputs["ndjson"] = b"".join(line for _, _, line in ndjson_lines(bundle))
        for fmt in options.output_format.suffixes():
            with timed(seconds, f"serialize-{fmt}"):
                outputs[fmt] = SERIALIZERS[fmt](bundle)
    except InternalError as exc:
        exc.path = exc.path or shown
        raise
    assert result.identifier is not None  # noqa: S101 (map_article sets it)
    return ArticleExport(result.identifier[1], bundle, outputs, result, seconds)


def ndjson_lines(bundle: JSON) -> list[tuple[str, str, bytes]]:
    """(resourceType, id, NDJSON line) for every resource of a Bundle, in its order."""
    return [
        (
            entry["resource"]["resourceType"],
            entry["resource"]["id"],
            (json.dumps(entry["resource"], ensure_ascii=False, separators=(",", ":")) + "\n")
            .encode("utf-8"),
        )
        for entry in bundle["entry"]
    ]


def recorded_time(article: Article, options: ExportOptions) -> str:
    if options.recorded:
        return options.recorded
    if options.source_date_epoch is not None:
        stamp = datetime.fromtimestamp(options.source_date_epoch, tz=UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    if article.date and len(article.date) == 10:
        return f"{article.date}T00:00:00Z"
    return "1970-01-01T00:00:00Z"


@contextmanager
def cycles_uncollected() -> Iterator[None]:
    """Python's cycle collector paused while the block runs. Extraction makes no reference
    cycles (every object it makes is freed by its count; a test checks it), but it keeps
    hundreds of thousands of objects alive at once, and each full collection while it runs
    walks them all (a tenth of a 1 MB article's time). Resumed after, if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@contextmanager
def timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    """Time a stage into `seconds`; an unexpected exception in it becomes an InternalError
    naming the stage (its path is filled in by the caller)."""
    start = time.perf_counter()
    try:
        yield
    except ExportError:
        raise
    except Exception as exc:
        raise InternalError(exc, path=None, stage=stage) from exc
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + (time.perf_counter() - start)


def map_article(
    data: bytes,
    name: str,
    options: ExportOptions,
    seconds: dict[str, float],
    lexicon: Lexicon | None = None,
    *,
    path: str | None = None,
) -> tuple[list[JSON], ArticleResult]:
    """One article's bytes read, segmented, extracted and mapped: its resources, not yet
    bundled (the first, its DocumentReference, carries the article's key as '@key')."""
    shown = path if path is not None else name
    lexicon = lexicon or default_lexicon(options.lexicons)
    with timed(seconds, "read"):
        raw = parse_article(
            data, name=name.rsplit("/", 1)[-1], shown=display(shown), max_bytes=options.max_bytes,
            encoding=options.encoding,
        )
    with timed(seconds, "segment"):
        article = segmentation.segment(raw)
        article = replace(article, identifier=identify(article, name))
    with timed(seconds, "extract"), cycles_uncollected():
        extraction, limited = limits.cap(extract(article, lexicon))
    with timed(seconds, "map"):
        mapper = {"R4": r4.map_article, "R5": r5.map_article}.get(options.fhir_version)
        if mapper is None:
            raise UsageError(f"unknown FHIR version {options.fhir_version!r}", hint="Use R4 or R5.")
        resources = mapper(
            article, extraction, MapContext(recorded=recorded_time(article, options))
        )
    result = ArticleResult(
        path=shown,
        resources=len(resources),
        medications=len(extraction.medications),
        unmapped=extraction.unmapped,
        unmapped_texts=tuple(f.text for f in extraction.unmapped),
        unmapped_sentences=tuple(
            article.text[f.sentence.start : f.sentence.end].strip() for f in extraction.unmapped
        ),
        yielded=Yield.of(extraction),
        limited=limited,
    )
    first = resources[0]["identifier"][0]  # its DocumentReference's: the article's identity
    result.identifier = (str(first["system"]), str(first["value"]))
    return resources, result


def bundle_resources(resources: list[JSON], options: ExportOptions) -> JSON:
    """An article's resources (as map_article returned them) as its validated Bundle."""
    return bundling.build(
        resources,
        bundle_type=options.bundle_type,
        key=display(article_key(resources)),
        fhir_version=options.fhir_version,
    )


def article_key(resources: list[JSON]) -> str:
    """The key of the article that `resources` (as map_article returned them) come from."""
    return str(resources[0]["@key"])


# -- the same from a file (tests, and the corpus modes) ----------------------------------------


def map_resources(
    path: Path,
    options: ExportOptions,
    report: ExportReport,
    lexicon: Lexicon | None = None,
    *,
    relative: str | None = None,
) -> tuple[list[JSON], ArticleResult]:
    """map_article for an article file; `relative` is its path below its input root
    (default: its file name, as for a file given on its own)."""
    with timed(report.stage_seconds, "read"):
        data = read_file(path, max_bytes=options.max_bytes)
    return map_article(
        data, relative or path.name, options, report.stage_seconds, lexicon, path=str(path)
    )


def render(
    path: Path,
    options: ExportOptions,
    report: ExportReport,
    lexicon: Lexicon | None = None,
    *,
    relative: str | None = None,
) -> tuple[dict[str, bytes], ArticleResult]:
    """One article file, in memory: every requested format's bytes, nothing written."""
    resources, result = map_resources(path, options, report, lexicon, relative=relative)
    with timed(report.stage_seconds, "bundle"):
        bundle = bundle_resources(resources, options)
    outputs: dict[str, bytes] = {}
    for fmt in options.output_format.suffixes():
        with timed(report.stage_seconds, f"serialize-{fmt}"):
            outputs[fmt] = SERIALIZERS[fmt](bundle)
    return outputs, result
