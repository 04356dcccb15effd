"""The pipeline: read -> segment -> extract -> map -> bundle -> serialize -> write.

The only module that writes files. One bad article never stops the others; every output file
is written to a temporary file beside it and renamed into place, so a file is either the old
one or the new one, never half-written.
"""

from __future__ import annotations

import ctypes
import hashlib
import marshal
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from contextlib import closing, suppress
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any, ParamSpec, TypeVar

from . import bundling, convert, manifest, parallel
from .article_export import export_article, map_resources, render, timed
from .article_export import recorded_time as recorded_time  # re-exported, as it was here
from .article_types import SUFFIXES
from .deadline import deadline
from .discovery import Input, Inputs, discover
from .errors import (
    ExportError,
    InternalError,
    NoInputError,
    OutputError,
    SourceError,
    UsageError,
    display,
    unpinned,
)
from .mapping import merge
from .options import BundleType, ExportOptions
from .report import ArticleResult, ExportReport, RunEvents
from .serialization import LISTED, spliced
from .spool import Remembered, Spool, Store, Streamed, dumps, json_list, tee
from .terminology import Lexicon, default_lexicon


def _articles(
    paths: Iterable[str], report: ExportReport, options: ExportOptions,
    events: RunEvents | None = None,
) -> Inputs:
    """The article files at paths; paths that name none are errors in the report (and told
    to `events` as finished), and no article at all is a NoInputError."""
    paths = list(paths)
    skipped: list[Path] = []
    links: list[tuple[Path, str]] = []
    files, errors = discover(
        paths, skipped=skipped, not_followed=links, follow_symlinks=options.follow_symlinks
    )
    report.errors += errors
    report.skipped += [str(p) for p in skipped]
    report.not_followed += [(str(p), why) for p, why in links]
    if not files and not errors:
        others = f"; skipped {len(skipped)} of other types" if skipped else ""
        raise NoInputError(
            f"no article found (looked for {', '.join(SUFFIXES)} files{others})",
            path=", ".join(map(str, paths)),
        )
    if events is not None:
        events.started(len(files) + len(errors))
        for error in errors:
            events.finished(error)
    return files


def _announce(report: ExportReport, events: RunEvents | None, results: int, errors: int) -> None:
    """Tell `events` of the results and errors added to the report since these counts."""
    if events is None:
        return
    for result in report.results[results:]:
        events.finished(result)
    for error in report.errors[errors:]:
        events.finished(error)


_T = TypeVar("_T")
_P = ParamSpec("_P")


def _attempt(
    report: ExportReport,
    path: str,
    work: Callable[_P, _T],
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> _T | None:
    """work(*args) for one input; any failure, expected or not, becomes that input's error in
    the report (None returned), so one input never stops the others."""
    try:
        return work(*args, **kwargs)
    except InternalError as exc:
        exc.path = exc.path or path
        report.errors.append(unpinned(exc))
    except ExportError as exc:
        report.errors.append(unpinned(exc))
    except Exception as exc:
        report.errors.append(InternalError(exc, path=path))
    return None


def _identity(doc: dict[str, Any]) -> str:
    """The identity an article's DocumentReference carries (its first identifier's value)."""
    return str(doc["identifier"][0]["value"])


def _digest(text: str) -> bytes:
    """A short stand-in for a long string in a run-long dict (16 bytes: no two of a run
    collide in practice), so that memory per article stays small."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _check_identity(seen: Remembered, identity: str, source: Input) -> None:
    """Refuses an article whose identity an earlier article of this run has (the same
    canonical URL, or the same path below two input roots): they would share ids."""
    earlier = seen.setdefault(_digest(identity), str(source.path))
    if earlier is not None:
        raise SourceError(
            f"has the same identity as {earlier} ({identity}), so their resources "
            "would share ids",
            path=str(source.path),
            hint="Export their common folder (paths below it tell them apart), or one of them.",
        )


def export_corpus(
    paths: Iterable[str], out_dir: Path, options: ExportOptions, events: RunEvents | None = None,
    report: ExportReport | None = None,
) -> ExportReport:
    """--merge: one Bundle (corpus.bundle.<format>) for all articles, one MedicationKnowledge
    per medicine with every article as a source (see mapping/merge.py). Streamed: each
    article is merged as it is mapped, what merging leaves alone goes to a Spool (on disk)
    at once, and the Bundle is checked and written entry by entry (see _corpus_targets)."""
    report = ExportReport() if report is None else report
    lexicon = default_lexicon(options.lexicons)
    files = _articles(paths, report, options, events)
    kept = Spool()  # the resources merging leaves alone, in Bundle order (_keep_in)
    corpus = merge.Corpus(lambda item: _keep_in(kept, item), store=Store(),
                          relative=options.bundle_type is BundleType.BATCH)
    seen = Remembered()  # identities on disk, as the per-article paths keep them
    run = RunFiles(out_dir, "merge")
    for source in files:
        before = len(report.errors)
        mapped = _attempt(
            report, str(source.path), _mapped_checked, source, options, report, lexicon, seen
        )
        if mapped is not None:
            report.results.append(mapped[1])
        _announce(report, events, len(report.results) - (mapped is not None), before)
        for result in report.results[1:]:  # the corpus Bundle's resources are the first's
            result.resources = 0
        run.retire(report)
        if mapped is None:
            continue
        with timed(report.stage_seconds, "bundle"):  # merging, as before
            corpus.add(mapped[0])
    if not corpus.articles:
        return report
    with timed(report.stage_seconds, "bundle"):
        bundle = bundling.Stream(
            bundle_type=options.bundle_type, key="corpus", fhir_version=options.fhir_version
        )
    targets = _corpus_targets(out_dir, corpus, kept, bundle, options, report.stage_seconds)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        inner = ("bundle", *(f"serialize-{fmt}" for fmt in options.output_format.suffixes()))
        spent = sum(report.stage_seconds.get(stage, 0.0) for stage in inner)
        start = time.perf_counter()
        write_atomic(targets)  # checks and serializes as it writes
        spent = sum(report.stage_seconds.get(stage, 0.0) for stage in inner) - spent
        stages = report.stage_seconds
        stages["write"] = stages.get("write", 0.0) + time.perf_counter() - start - spent
    except OSError as exc:
        report.errors.append(OutputError(f"cannot write ({exc.strerror})", path=str(out_dir)))
        return report
    except OutputError as exc:  # a broken Bundle (InternalError, as before) is raised
        report.errors.append(unpinned(exc))
        return report
    first = report.results[0]
    for target, written in targets.items():
        first.outputs.append(str(target))
        first.records.append(manifest.record_of(
            out_dir, target, written.digest.hexdigest(), written.size, bundle.counts()))
    for result in report.results:
        result.resources = 0
    first.resources = bundle.entries
    _finish_run(out_dir, report, options, "merge", run=run)
    return report


def _keep_in(kept: Spool, item: dict[str, Any] | int) -> None:
    """merge.Corpus's `keep`: a finished resource (marshalled: our own data, read back by
    this run only) or the place of a merged one (its index), in Bundle order."""
    if isinstance(item, int):
        kept.add(b"%d" % item, "merged")
    else:
        kept.add(marshal.dumps(item), "")


class _Hashed:
    """Chunks of bytes as they are read, with their sha256 and size (for the manifest)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks, self.digest, self.size = chunks, hashlib.sha256(), 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.digest.update(chunk)
            self.size += len(chunk)
            yield chunk


def _corpus_targets(
    out_dir: Path, corpus: merge.Corpus, kept: Spool, bundle: bundling.Stream,
    options: ExportOptions, seconds: dict[str, float],
) -> dict[Path, _Hashed]:
    """The corpus Bundle's files, each a stream of chunks in the entry order bundling.build
    gives (the resources in the order merging first met them): its shell, then each entry,
    read back from `kept` or one of the merged resources, checked (bundle.entry: a broken
    one stops the writing, and write_atomic removes what it wrote) and serialized in every
    format at once (the formats after the first spooled until their turn, spool.tee)."""
    formats = options.output_format.suffixes()

    def entries() -> Iterator[tuple[dict[str, Any], list[bundling.Splice]]]:
        for kind, data in kept.records():
            with timed(seconds, "bundle"):
                if kind:  # a merged resource: its sources checked as they are written
                    entry = bundle.spliced(corpus.take(int(data)), corpus.load)
                else:
                    entry = bundle.entry(marshal.loads(data)), []  # noqa: S302
            yield entry
        with timed(seconds, "bundle"):
            bundle.finish()

    def pieces() -> Iterator[tuple[bytes, ...]]:
        writers = [LISTED[fmt](bundle.shell, "entry") for fmt in formats]
        yield tuple(writer.head() for writer in writers)
        for entry, splices in entries():
            chunks = []
            for fmt, writer in zip(formats, writers, strict=True):
                with timed(seconds, f"serialize-{fmt}"):
                    chunks.append(writer.item(entry))
            if splices:  # a merged resource, written a source at a time
                with timed(seconds, "bundle"):
                    yield from spliced(writers, chunks, splices)
            else:
                yield tuple(chunks)
        yield tuple(writer.tail() for writer in writers)

    streams = tee(pieces(), len(formats))
    return {out_dir / f"corpus.bundle.{fmt}": _Hashed(chunks)
            for fmt, chunks in zip(formats, streams, strict=True)}


# Temporary files are named '.fhir-export-<8 random>.tmp' beside their target: short, so that a
# target name of up to 255 bytes still fits, and recognizable, so that the ones a killed run
# left behind (older than this run) are removed when a run next writes into their folder.
TEMP_PREFIX, TEMP_SUFFIX = ".fhir-export-", ".tmp"
_TEMP = re.compile(rf"{re.escape(TEMP_PREFIX)}[a-z0-9_]{{8}}{re.escape(TEMP_SUFFIX)}")
_RUN_STARTED = time.time()
_swept: set[Path] = set()


def sweep_stale_temporaries(folder: Path, before: float | None = None) -> list[Path]:
    """Remove our own temporary files in folder that are older than `before` (default: the
    start of this process): what a run killed while writing left behind. Nothing else is
    touched. Returns what was removed."""
    cutoff = _RUN_STARTED if before is None else before
    removed = []
    try:
        with os.scandir(folder) as listing:
            stale = [
                Path(e.path)
                for e in listing
                if _TEMP.fullmatch(e.name)
                and e.is_file(follow_symlinks=False)
                and e.stat(follow_symlinks=False).st_mtime < cutoff
            ]
    except OSError:
        return []
    for path in stale:
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            continue
    return removed


def write_atomic(targets: Mapping[Path, bytes | Iterable[bytes]], *,
                 synced: Synced | None = None) -> None:
    """Write every target or none: each goes to a temporary file beside it first, and only
    when all are complete are they renamed into place, so a killed run leaves each target
    old or new, never half-written. Each temporary file is fsynced before its rename, unless
    `synced` is given: then the run makes them durable in batches (see Synced). A target's
    bytes may come in chunks (an iterable of bytes), written as they come."""
    temps: list[tuple[str, Path]] = []
    current = next(iter(targets), Path())
    try:
        for target, data in targets.items():
            current = target
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.parent not in _swept:
                _swept.add(target.parent)
                sweep_stale_temporaries(target.parent)
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=target.parent)
            temps.append((tmp, target))
            try:
                os.fchmod(fd, 0o644)
                for chunk in (data,) if isinstance(data, bytes) else data:
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view):]
                if synced is None:
                    os.fsync(fd)
            finally:
                os.close(fd)
        for tmp, target in temps:
            current = target
            os.replace(tmp, target)
    except BaseException as exc:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write ({exc.strerror})", path=str(current)) from None
        raise
    if synced is not None:
        synced.written([target for _, target in temps])


class Synced:
    """Files renamed into place without their own fsync, made durable together: one syncfs
    of their file system (Linux; elsewhere an fsync per file) every `every` seconds and at
    the end of the run (`sync`, before its manifest is written). A killed process loses
    nothing it wrote (the kernel has the bytes); a power cut or an OS crash during a run may
    lose the files of its last `every` seconds: they are missing, empty or as before."""

    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self.pending: list[Path] = []
        self.last = time.monotonic()

    def written(self, paths: list[Path]) -> None:
        self.pending += paths
        if time.monotonic() - self.last >= self.every:
            self.sync()

    def sync(self) -> None:
        """Everything written so far on disk; OutputError naming a folder when it cannot be."""
        pending, self.pending, self.last = self.pending, [], time.monotonic()
        if pending:
            sync_files(pending)


def sync_files(paths: list[Path]) -> None:
    folders = {path.parent for path in paths}
    try:
        syncfs = _syncfs()
        if syncfs is None:
            for path in (*paths, *folders):
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            return
        devices: dict[int, Path] = {}
        for folder in folders:
            devices.setdefault(folder.stat().st_dev, folder)
        for folder in devices.values():
            fd = os.open(folder, os.O_RDONLY)
            try:
                if syncfs(fd) != 0:
                    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
            finally:
                os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write ({exc.strerror})", path=str(min(folders))) from None


@cache
def _syncfs() -> Any:
    """libc's syncfs(2) (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


def _out_folder(out_dir: Path, report: ExportReport) -> bool:
    """Create the output folder; False (the error in the report) when it cannot be."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        report.errors.append(
            OutputError(f"cannot create output folder ({exc.strerror})", path=str(out_dir))
        )
        return False
    return True


def export(
    paths: Iterable[str], out_dir: Path, options: ExportOptions, events: RunEvents | None = None,
    report: ExportReport | None = None,
) -> ExportReport:
    """Export every article found at paths into out_dir as <relative stem>.bundle.<format>:
    an article's path below its input root, mirrored ('a/index.html' -> 'a/index.bundle.json').
    With options.jobs > 1 articles are exported in worker processes; files are written here,
    in input order, so the run's files, lines and report do not depend on the jobs."""
    report = ExportReport() if report is None else report
    default_lexicon(options.lexicons)  # a bad lexicon stops the run, once
    files = _articles(paths, report, options, events)
    if not _out_folder(out_dir, report):
        return report
    collisions = _collisions(files)
    done = parallel.outcomes(
        Inputs(s for n, s in enumerate(files) if n not in collisions) if collisions else files,
        options,
    )
    seen = Remembered()
    synced = Synced()
    run = RunFiles(out_dir, "per-article")
    with closing(done):  # its workers joined here, not whenever the generator is collected
        for index, item in enumerate(files):
            counts = len(report.results), len(report.errors)
            if index in collisions:
                report.errors.append(collisions[index])
            else:
                _attempt(report, str(item.path), _write_article, item, next(done),
                         out_dir, report, seen, synced)
            _announce(report, events, *counts)
            run.retire(report)
    _attempt(report, str(out_dir), synced.sync)
    _finish_run(out_dir, report, options, "per-article", run=run)
    return report


def _collisions(files: Inputs) -> dict[int, ExportError]:
    """By their index, the files whose outputs would be an earlier file's (the same stem):
    the names are remembered on disk, only the collisions in memory."""
    stems = Remembered()
    found: dict[int, ExportError] = {}
    for index, source in enumerate(files):
        first = stems.setdefault(source.stem, str(source.path))
        if first is not None:
            found[index] = SourceError(
                f"has the same name as {first}, so their outputs would collide",
                path=str(source.path),
                hint="Rename one of them."
                if Path(first).parent == source.path.parent
                else "Export their common folder (outputs mirror the paths below it).",
            )
    return found


def _outcome(outcome: parallel.Outcome, source: Input, report: ExportReport,
             seen: Remembered) -> ArticleResult:
    """An article's outcome, refused when it failed or an earlier article of the run had its
    identity."""
    for stage, seconds in outcome.seconds.items():
        report.stage_seconds[stage] = report.stage_seconds.get(stage, 0.0) + seconds
    if outcome.error is not None:
        raise outcome.error
    assert outcome.result is not None  # noqa: S101 (an outcome has an error or a result)
    _check_identity(seen, outcome.identity, source)
    return outcome.result


def _mapped_checked(
    source: Input,
    options: ExportOptions,
    report: ExportReport,
    lexicon: Lexicon,
    seen: Remembered,
) -> tuple[list[dict[str, Any]], ArticleResult]:
    """map_resources for one input within options.article_timeout, refused when an earlier
    article of the run had its identity."""
    with deadline(options.article_timeout, str(source.path)):
        resources, result = map_resources(
            source.path, options, report, lexicon, relative=source.relative
        )
    _check_identity(seen, _identity(resources[0]), source)
    return resources, result


def _write_article(
    source: Input,
    outcome: parallel.Outcome,
    out_dir: Path,
    report: ExportReport,
    seen: Remembered,
    synced: Synced,
) -> None:
    result = _outcome(outcome, source, report, seen)
    out_base = out_dir / source.stem
    targets = {Path(f"{out_base}.bundle.{fmt}"): data for fmt, data in outcome.outputs.items()}
    with timed(report.stage_seconds, "write"):
        write_atomic(targets, synced=synced)
    _written(result, out_dir, targets, outcome.counts)
    report.results.append(result)


def _written(result: ArticleResult, out_dir: Path, targets: dict[Path, bytes],
             counts: tuple[tuple[str, int], ...] | None = None) -> None:
    """The files written for result: its outputs, and their manifest records made from the
    bytes written (resources per type: `counts`, else read from the bytes, as the first
    JSON file's serve the XML one)."""
    known = counts
    for target, data in targets.items():
        if not known and (counts is None or not target.name.endswith(".bundle.xml")):
            counts = manifest.resource_counts(target.name, data)
        result.outputs.append(str(target))
        result.records.append(manifest.record(out_dir, target, data, counts))


def _transaction_time(options: ExportOptions, dates: list[str]) -> str:
    if options.recorded:
        return options.recorded
    if options.source_date_epoch is not None:
        stamp = datetime.fromtimestamp(options.source_date_epoch, tz=UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    full = sorted(d for d in dates if len(d) == 10)
    return f"{full[-1]}T00:00:00Z" if full else "1970-01-01T00:00:00Z"


def export_ndjson(
    paths: Iterable[str], out_dir: Path, options: ExportOptions, events: RunEvents | None = None,
    report: ExportReport | None = None,
) -> ExportReport:
    """FHIR Bulk Data output for the whole run: <Type>.ndjson (one resource per line, relative
    references, each resource once) and manifest.json in the shape of an $export manifest.
    Lines are written as articles finish, to a temporary file per type that is renamed into
    place at the end (so a killed run leaves the previous files); nothing per article is
    kept but its report row (see NdjsonFiles)."""
    options = replace(options, bundle_type=BundleType.BATCH)  # relative references
    report = ExportReport() if report is None else report
    default_lexicon(options.lexicons)
    files = _articles(paths, report, options, events)
    if not _out_folder(out_dir, report):
        return report
    latest = ""  # the latest full date of an article (transactionTime)
    seen = Remembered()
    ndjson = NdjsonFiles(out_dir)
    run = RunFiles(out_dir, "ndjson")
    done = parallel.outcomes(files, options)
    try:
        for source, outcome in zip(files, done, strict=True):
            counts = len(report.results), len(report.errors)
            result = _attempt(report, str(source.path), _outcome, outcome, source, report, seen)
            if result is not None:
                with timed(report.stage_seconds, "write"):
                    ndjson.add(outcome.lines)
                if outcome.date is not None and len(outcome.date) == 10:
                    latest = max(latest, outcome.date)
                report.results.append(result)
            _announce(report, events, *counts)
            run.retire(report)
        with timed(report.stage_seconds, "write"):
            targets = ndjson.finish()
    except ExportError as exc:
        report.errors.append(unpinned(exc))
        return report
    finally:
        done.close()  # its workers joined here (Ctrl-C), not whenever it is collected
        ndjson.abort()
    bulk = {
        "transactionTime": _transaction_time(options, [latest] if latest else []),
        "request": "fhir-export export --format ndjson",
        "requiresAccessToken": False,
        "output": [
            {"type": kind, "url": f"{kind}.ndjson", "count": count}
            for kind, count in sorted(ndjson.counts.items())
        ],
        "error": [],
    }
    if report.results:
        report.results[0].outputs += [str(t) for t in targets]
        report.results[0].records += [ndjson.record(t) for t in targets]
    written = _finish_run(out_dir, report, options, "ndjson", bulk, run)
    if report.results and written is not None:
        report.results[0].outputs.append(str(written))
    return report


class NdjsonFiles:
    """The <Type>.ndjson files of a run, written line by line as articles finish: a temporary
    file per type beside its target, fsynced and renamed into place by finish().

    Each resource once: a resource that names its article's DocumentReference (its
    derivation, evidence or Provenance target), and that DocumentReference, are made from
    the article's identity, which no other article of the run has (the run refuses a second
    article of the same identity), so they cannot repeat; only the others (the tool's Device,
    a publisher's Organization) are remembered to drop repeats. So memory does not grow with
    the articles (tests/test_speed.py checks the premise on the test articles)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.temps: dict[str, tuple[int, str]] = {}  # type -> (fd, temporary path)
        self.counts: dict[str, int] = {}
        self.shared: set[tuple[str, str]] = set()
        self.digests: dict[str, Any] = {}  # type -> sha256 of the lines written
        self.sizes: dict[str, int] = {}

    def record(self, target: Path) -> manifest.FileRecord:
        """The manifest's record of one of the files finish() put in place, made from the
        lines written (not read back)."""
        kind = target.name.removesuffix(".ndjson")
        return manifest.record_of(self.folder, target, self.digests[kind].hexdigest(),
                                  self.sizes[kind], ((kind, self.counts[kind]),))

    def add(self, lines: Iterable[tuple[str, str, bytes]]) -> None:
        lines = list(lines)
        if not lines:
            return
        doc = lines[0][1].encode("ascii")  # the article's DocumentReference comes first
        for index, (kind, rid, line) in enumerate(lines):
            if index and doc not in line:
                if (kind, rid) in self.shared:
                    continue
                self.shared.add((kind, rid))
            self._write(kind, line)

    def _write(self, kind: str, line: bytes) -> None:
        target = self.folder / f"{kind}.ndjson"
        try:
            if kind not in self.temps:
                if self.folder not in _swept:
                    _swept.add(self.folder)
                    sweep_stale_temporaries(self.folder)
                fd, tmp = tempfile.mkstemp(
                    prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=self.folder
                )
                self.temps[kind] = (fd, tmp)
                os.fchmod(fd, 0o644)
            view = memoryview(line)
            while view:
                view = view[os.write(self.temps[kind][0], view):]
        except OSError as exc:
            raise OutputError(f"cannot write ({exc.strerror})", path=str(target)) from None
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.digests.setdefault(kind, hashlib.sha256()).update(line)
        self.sizes[kind] = self.sizes.get(kind, 0) + len(line)

    def finish(self) -> list[Path]:
        """Every file on disk and renamed into place (types in name order)."""
        done: list[Path] = []
        current = self.folder
        try:
            for kind in sorted(self.temps):
                current = self.folder / f"{kind}.ndjson"
                os.fsync(self.temps[kind][0])
            for kind in sorted(self.temps):
                fd, tmp = self.temps.pop(kind)
                os.close(fd)
                current = self.folder / f"{kind}.ndjson"
                os.replace(tmp, current)
                done.append(current)
        except OSError as exc:
            raise OutputError(f"cannot write ({exc.strerror})", path=str(current)) from None
        return done

    def abort(self) -> None:
        """Remove what finish() did not rename into place."""
        for fd, tmp in self.temps.values():
            with suppress(OSError):
                os.close(fd)
            Path(tmp).unlink(missing_ok=True)
        self.temps.clear()


def write_report(report: ExportReport, target: Path) -> None:
    """The run's report (per article what it yielded, and the unmapped terms), as JSON,
    written atomically."""
    write_atomic({target: report.document()})


STDIN = "<stdin>"  # what lines and reports name an article read from standard input


def export_data(
    data: bytes, name: str, out_dir: Path | None, options: ExportOptions
) -> tuple[bytes, ExportReport]:
    """One article given as bytes (`export -`, standard input) under the file name `name`
    (its suffix picks the reader; it is the article's identity when it states no URL): its
    bundle in the first requested format, and, with out_dir, its files written there as an
    article file of that name would be (<stem>.bundle.<format>, manifest.json, clean run)."""
    report = ExportReport()
    default_lexicon(options.lexicons)
    exported = export_article(data, name, options, path=STDIN)
    for stage, seconds in exported.seconds.items():
        report.stage_seconds[stage] = report.stage_seconds.get(stage, 0.0) + seconds
    result = exported.result
    report.results.append(result)
    if out_dir is None:
        return exported.outputs[options.output_format.suffixes()[0]], report
    stem = name.rsplit(".", 1)[0] if "." in PurePosixPath(name).name else name
    targets = {out_dir / f"{stem}.bundle.{fmt}": blob for fmt, blob in exported.outputs.items()}
    try:
        write_atomic(targets)
    except ExportError as exc:
        report.results.remove(result)
        report.errors.append(unpinned(exc))
        return b"", report
    _written(result, out_dir, targets, manifest.bundle_counts(exported.bundle))
    _finish_run(out_dir, report, options, "per-article")
    return b"", report


def export_one(path: str, options: ExportOptions) -> tuple[bytes, ExportReport]:
    """A single article's bundle in memory (for `--out -`)."""
    report = ExportReport()
    lexicon = default_lexicon(options.lexicons)
    skipped: list[Path] = []
    links: list[tuple[Path, str]] = []
    files, errors = discover(
        [path], skipped=skipped, not_followed=links, follow_symlinks=options.follow_symlinks
    )
    report.skipped += [str(p) for p in skipped]
    report.not_followed += [(str(p), why) for p, why in links]
    if errors:
        raise errors[0]
    if not files:
        raise NoInputError("no article found", path=path)
    if len(files) != 1:
        raise UsageError(
            f"--out - writes one article, but this names {len(files)}",
            path=path,
            hint="Name one file.",
        )
    rendered = _attempt(report, str(files[0].path), _render_in_time, files[0], options, report,
                        lexicon)
    if rendered is None:
        raise report.errors[-1]
    outputs, result = rendered
    report.results.append(result)
    return outputs[options.output_format.suffixes()[0]], report


def _render_in_time(
    source: Input, options: ExportOptions, report: ExportReport, lexicon: Lexicon
) -> tuple[dict[str, bytes], ArticleResult]:
    with deadline(options.article_timeout, str(source.path)):
        return render(source.path, options, report, lexicon, relative=source.relative)


def convert_files(
    paths: Iterable[str], to: str, out_dir: Path | None, fhir_version: str | None,
    finished: Callable[[str, ArticleResult | ExportError], None] | None = None,
) -> ExportReport:
    """FHIR JSON <-> XML for each file; written beside it (or into out_dir), atomically. Two
    inputs that would be written to one file are refused (the second), never overwritten.
    `finished` hears of each file as it is done: its result or its error."""
    report = ExportReport()
    written: dict[Path, str] = {}
    for raw in paths:
        converted = _attempt(report, raw, _convert_file, raw, to, out_dir, fhir_version, written)
        if converted is not None:
            report.results.append(converted)
        if finished is not None:
            finished(raw, converted if converted is not None else report.errors[-1])
    return report


def _convert_file(
    raw: str, to: str, out_dir: Path | None, fhir_version: str | None, written: dict[Path, str]
) -> ArticleResult:
    path = Path(raw)
    suffix = ".json" if to == "json" else ".xml"
    target = (out_dir or path.parent) / (path.name.rsplit(".", 1)[0] + suffix)
    try:
        if not path.is_file():
            raise SourceError("no such file", path=raw)
        first = written.setdefault(target.resolve(), raw)
        if first != raw:
            raise SourceError(
                f"would be written to {target}, as {first} is",
                path=raw,
                hint="Convert them into different folders, or one at a time.",
            )
        if target.resolve() == path.resolve():
            raise SourceError(
                f"is already {to.upper()}", path=raw, hint="Convert to the other format."
            )
        data = convert.read_capped(raw)
    except OSError as exc:
        raise SourceError(f"cannot read file ({exc.strerror})", path=raw) from None
    write_atomic({target: convert.convert(data, to=to, path=raw, fhir_version=fhir_version)})
    return ArticleResult(path=raw, outputs=[str(target)])


# --- the run manifest and clean runs (see manifest.py) ----------------------------------------

_LISTED_FILES = 10  # files named one per line, then "and N more"


class RunFiles:
    """The run manifest's rows of the results a run let go of (ExportReport.retire), kept as
    they finish: each file's record (made from the bytes written, see ArticleResult.records)
    and each input's row serialized into Spools (on disk), the names written as hashes (to
    tell this run's files from others when the folder is cleaned). Made when the run starts
    (it reads the earlier run's manifest then)."""

    def __init__(self, out_dir: Path, mode: str) -> None:
        self.out_dir, self.mode = out_dir, mode
        self.previous = manifest.read_previous(out_dir)
        self.files = Spool()  # records, in the order written
        self.inputs = Spool()  # input rows, keyed by path
        self.every: list[str] = []  # names of the files spooled (not per-article runs)
        self.written = Remembered()  # each file system name written
        self.real_out = out_dir.resolve()
        self.inside = Remembered()  # the real paths of the articles that are inside out_dir

    def retire(self, report: ExportReport) -> None:
        """report.retire(), the manifest's rows of the results it lets go of kept here."""
        for result in report.results[1:]:
            row = _input_row(result, self.previous)
            self.inputs.add(dumps(row), f"{row['path']}\x000")
            for record in result.records:
                self.files.add(dumps(record.as_json()))
                self.written.add(record.name)
                if self.mode != "per-article":
                    self.every.append(record.path)
            real = Path(result.path).resolve()
            if self.real_out in real.parents:
                self.inside.add(str(real))
        report.retire()


def _finish_run(
    out_dir: Path, report: ExportReport, options: ExportOptions, mode: str,
    bulk: dict[str, Any] | None = None, run: RunFiles | None = None,
) -> Path | None:
    """Write the run's manifest.json into out_dir, then clean the folder: a file an earlier
    run's manifest lists that this run did not write is removed when it still holds the bytes
    fhir-export wrote; any other file push could pick up (*.json, *.xml, *.ndjson) that this
    run did not write is left alone and reported. A failed article keeps its previous output,
    listed again. Returns the manifest's path (None when it cannot be written)."""
    run = run or RunFiles(out_dir, mode)
    previous = run.previous
    first = report.results[0].records if report.results else []
    later = [r for result in report.results[1:] for r in result.records]
    every = [r.path for r in first] + run.every + [r.path for r in later]
    rows = [(f"{row['path']}\x000", row) for row in (
        _input_row(result, previous) for result in report.results)]
    if mode != "per-article":  # one set of files made from every article
        for _, row in rows:
            row["outputs"] = every
    errors, kept_records, kept = _failed_rows(out_dir, report, mode, previous)
    listed = b'"outputs": ' + b"".join(json_list((dumps(name) for name in every), 1))

    def inputs() -> Iterator[bytes]:
        """The rows sorted by path; the spooled ones of a run that is not per article get
        the run's files as outputs (none of a failed input: its row is not spooled)."""
        extras = [(key, dumps(row)) for key, row in rows] + errors
        for data in run.inputs.sorted(extras):
            if mode != "per-article" and b'"status": "failed"' not in data:
                data = data.replace(b'"outputs": []', listed, 1)
            yield data

    def files() -> Iterator[bytes]:
        """The records in the order written (push's order), then the kept ones."""
        yield from (dumps(r.as_json()) for r in first)
        yield from (data for _, data in run.files.records())
        yield from (dumps(r.as_json()) for r in (*later, *kept_records))

    record = manifest.run_record(
        mode=mode,
        options={
            "format": options.output_format.value,
            "fhirVersion": options.fhir_version,
            "bundleType": options.bundle_type.value,
        },
        files=Streamed(files()),
        inputs=Streamed(inputs()),
        errors=[e.line() for e in report.errors],
    )
    target = out_dir / manifest.NAME
    try:
        write_atomic({target: manifest.document(record, bulk)})
    except ExportError as exc:
        report.errors.append(unpinned(exc))
        return None
    written = run.written
    for name in (r.name for r in (*first, *later, *kept_records)):
        written.add(name)
    _remove_earlier(out_dir, report, previous, written)
    for name in kept:
        written.add(name)
    _report_foreign(out_dir, report, written, run.inside)
    return target


def _identities(
    identifier: tuple[str, str], previous: manifest.Previous | None, path: str
) -> dict[str, Any]:
    """An input's identity, and the identities an earlier run gave the same input path (so
    that push can tell which of an article's resources a server holds under an identity it
    no longer has, see push_prune)."""
    now = {"system": identifier[0], "value": identifier[1]}
    earlier = previous.identities.get(path, []) if previous is not None else []
    before = [i for n, i in enumerate(earlier) if i != now and i not in earlier[:n]]
    return {"identity": now, **({"previousIdentities": before} if before else {})}


def _input_row(result: ArticleResult, previous: manifest.Previous | None) -> dict[str, Any]:
    """An exported input's row of the manifest: its status, outputs and identities."""
    status = "empty" if result.yielded is not None and result.yielded.empty else "exported"
    row: dict[str, Any] = {"path": display(result.path), "status": status,
                           "outputs": [r.path for r in result.records]}
    if result.identifier is not None:
        row.update(_identities(result.identifier, previous, row["path"]))
    return row


def _failed_rows(
    out_dir: Path, report: ExportReport, mode: str, previous: manifest.Previous | None
) -> tuple[list[tuple[str, bytes]], list[manifest.FileRecord], set[str]]:
    """Per failed input its row (keyed for the manifest's order), and the records and names
    of the previous outputs it keeps (read back: this run did not write them)."""
    rows: list[tuple[str, bytes]] = []
    records: list[manifest.FileRecord] = []
    kept: set[str] = set()
    for error in report.errors:
        if error.path is None or isinstance(error, OutputError):
            continue
        row: dict[str, Any] = {"path": display(error.path), "status": "failed",
                               "error": error.line(), "outputs": []}
        earlier = previous.identities.get(row["path"], []) if previous is not None else []
        if earlier:  # its identities as they were: the history is not lost
            row["identity"] = earlier[0]
            row.update({"previousIdentities": earlier[1:]} if earlier[1:] else {})
        if mode == "per-article" and previous is not None:  # its previous output stays
            for name in previous.inputs.get(row["path"], []):
                old = previous.records.get(name)
                real = manifest.listed_name(old) if old is not None else None
                member = manifest.safe_member(out_dir, real) if real is not None else None
                if old is None or member is None or not member.is_file():
                    continue
                data = member.read_bytes()
                if manifest.sha256(data) == old.get("sha256"):
                    records.append(manifest.record(out_dir, member, data, tuple(
                        sorted((old.get("resources") or {}).items()))))
                    row["outputs"].append(name)
                    kept.add(str(real))
        rows.append((f"{row['path']}\x001", dumps(row)))
    return rows, records, kept


def _remove_earlier(
    out_dir: Path, report: ExportReport, previous: manifest.Previous | None,
    written: Container[str],
) -> None:
    """Remove what an earlier run wrote and this one did not (`written`: the names), if it
    is still as written."""
    if previous is None:
        return
    for name, digest in previous.files.items():
        path = manifest.safe_member(out_dir, name)
        if name in written or path is None or path.is_symlink() or not path.is_file():
            continue
        try:
            if digest is not None and manifest.sha256(path.read_bytes()) != digest:
                report.left_alone.append(f"{display(path)}, changed since fhir-export wrote it")
                continue
            path.unlink()
        except OSError as exc:
            report.left_alone.append(f"{display(path)}, cannot be removed ({exc.strerror})")
            continue
        report.removed.append(display(path))
        for folder in path.parents:  # folders the outputs mirrored, when now empty
            if folder == out_dir or out_dir not in folder.parents:
                break
            try:
                folder.rmdir()
            except OSError:
                break


def _tree(folder: Path) -> Iterator[Path]:
    """Everything below folder, in the order sorted(folder.rglob('*')) gives, one folder's
    listing in memory at a time."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted((e.name, e.is_dir(follow_symlinks=False)) for e in listing)
    except OSError:
        return
    for name, is_dir in entries:
        path = folder / name
        yield path
        if is_dir:
            yield from _tree(path)


def _report_foreign(out_dir: Path, report: ExportReport, ours: Container[str],
                    inside: Container[str]) -> None:
    """Files in out_dir that push could take for bundles but this run did not write (`ours`:
    the names written) (its own articles aside, when exported into their folder: `inside`,
    their real paths, with the ones the report holds)."""
    held = {str(Path(r.path).resolve()) for r in report.results} | {
        str(Path(e.path).resolve()) for e in report.errors if e.path}
    removed = set(report.removed)
    for path in _tree(out_dir):
        relative = path.relative_to(out_dir)
        if (
            relative.as_posix() in ours
            or path.name == manifest.NAME
            or path.suffix.lower() not in (".json", ".xml", ".ndjson")
            or any(part.startswith(".") for part in relative.parts)
            or not path.is_file()
            or str(path.resolve()) in held
            or str(path.resolve()) in inside
            or display(path) in removed
        ):
            continue
        report.left_alone.append(f"{display(path)}, not written by fhir-export")


def clean_run_lines(report: ExportReport) -> list[str]:
    """The lines that tell what a clean run removed and left alone (stderr)."""
    lines = [f"removed: {p}, written by an earlier run, not by this one"
             for p in report.removed[:_LISTED_FILES]]
    if len(report.removed) > _LISTED_FILES:
        lines.append(f"removed {len(report.removed) - _LISTED_FILES} more files of earlier runs")
    lines += [f"left alone: {p}" for p in report.left_alone[:_LISTED_FILES]]
    if len(report.left_alone) > _LISTED_FILES:
        lines.append(f"left alone {len(report.left_alone) - _LISTED_FILES} more files")
    return lines
