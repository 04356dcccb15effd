"""export_article on Dask: a bag over article files, written as NDJSON partitions.

Needs the `dask` extra (`pip install 'fhir-export[dask]'`). Nothing here is Dask-specific but
`ndjson_partitions`: `article_lines` is a plain function of picklable arguments that any
engine can map (Spark's mapPartitions, Ray, a process pool), see the README, *Scale out*.

Each article becomes its resources as NDJSON lines (relative references, as `export --format
ndjson` writes them). The lines of resources that name their article's DocumentReference are
the article's own: no other article of the run makes them (the caller keeps article identities
unique, as `export` does by refusing a second article of the same identity), so they go to the
partitions as they are. The others (the tool's Device, a publisher's Organization) repeat
across articles: they go through `distinct` by (type, id), a small set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter
from pathlib import Path
from typing import Any

from .article_export import export_article
from .discovery import discover
from .errors import ExportError, InternalError
from .options import BundleType, ExportOptions, OutputFormat
from .sources import read_file


@dataclass(frozen=True, slots=True)
class ArticleLines:
    """One article's NDJSON lines (without newlines), or the one-line error it failed with."""

    own: list[str] = field(default_factory=list)  # resources made from this article
    shared: list[str] = field(default_factory=list)  # resources other articles may make too
    error: str | None = None


def article_files(roots: Sequence[str]) -> list[tuple[str, str]]:
    """(path, name below its input root) of every article below roots, as `export` finds
    them: the names give the same identities, so the same ids, as `export roots`."""
    files, errors = discover(roots)
    if errors:
        raise errors[0]
    return [(str(f.path), f.relative) for f in files]


def ndjson_options(options: ExportOptions | None = None) -> ExportOptions:
    """options as `export --format ndjson` uses them: NDJSON lines, relative references."""
    return replace(options or ExportOptions(), output_format=OutputFormat.NDJSON,
                   bundle_type=BundleType.BATCH, jobs=1)


def article_lines(item: tuple[str, str], options: ExportOptions) -> ArticleLines:
    """One article file (path, name) -> its lines; an article that fails is its error line,
    never an exception, so one bad article does not stop a partition."""
    path, name = item
    try:
        data = read_file(Path(path), max_bytes=options.max_bytes)
        exported = export_article(data, name, options, path=path)
    except ExportError as exc:
        return ArticleLines(error=exc.line())
    except Exception as exc:  # a bug: reported, with its traceback, as export reports it
        return ArticleLines(error=InternalError(exc, path=path).line())
    lines = exported.outputs["ndjson"].decode("utf-8").splitlines()
    doc = exported.resources[0]["id"]
    own, shared = [lines[0]], list[str]()
    for line in lines[1:]:
        (own if doc in line else shared).append(line)
    return ArticleLines(own=own, shared=shared)


def type_and_id(line: str) -> tuple[str, str]:
    """(resourceType, id) of an NDJSON line: the key to keep a shared resource once."""
    import json

    resource = json.loads(line)
    return resource["resourceType"], resource["id"]


def ndjson_partitions(
    roots: Sequence[str],
    out_dir: str,
    options: ExportOptions | None = None,
    *,
    npartitions: int | None = None,
    **compute: Any,
) -> list[str]:
    """Export every article below roots with Dask into out_dir: part-N.ndjson per partition
    (each article's own resources) and shared-0.ndjson (the resources articles share, each
    once). `compute` goes to dask.compute (scheduler="synchronous", "threads", a distributed
    Client's ...). Returns the error lines of the articles that failed."""
    from importlib import import_module

    dask: Any = import_module("dask")  # untyped: the extra, imported when used
    db: Any = import_module("dask.bag")

    options = ndjson_options(options)
    files = article_files(roots)
    if not files:
        return []
    bag = db.from_sequence(files, npartitions=npartitions or min(len(files), 64))
    results = bag.map(article_lines, options)
    own = results.map(attrgetter("own")).flatten()
    shared = results.map(attrgetter("shared")).flatten().distinct(key=type_and_id)
    errors = results.map(attrgetter("error")).filter(lambda line: line is not None)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    writes = [
        own.to_textfiles(f"{out_dir}/part-*.ndjson", compute=False, last_endline=True),
        shared.to_textfiles(f"{out_dir}/shared-*.ndjson", compute=False, last_endline=True),
    ]
    _, failed = dask.compute(writes, errors, **compute)
    return list(failed)
