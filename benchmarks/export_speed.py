"""How fast fhir-export is: the command line with --jobs 1 and 2, its stages, the naive path.

A benchmark, not a test: it asserts nothing and pytest never collects it. Run it with

    cd /path/to/repo && .venv/bin/python benchmarks/export_speed.py [--articles N ...] [--repeat N]

It copies a mixed corpus (the test articles tests/data/articles/* and source/*, and the text,
Markdown and HTML articles of ../shared/realworld, read there) under distinct names into a
temporary folder until it holds --articles files (several sizes: one corpus each), and exports
it (JSON and XML) with the `fhir-export` command, --jobs 1 and --jobs 2, reporting articles per
second and peak RSS (best of --repeat runs) and the machine's load average before and after.
Then it exports the originals once in this process to show where the time
goes per stage, and on the bundles written compares the naive path (fhir.resources
Bundle.model_validate + model_dump_json per bundle) and our serializers with fhir.resources'
model_dump_json / model_dump_xml and a plain json.dumps. Everything runs offline; progress goes
to stderr, the tables to stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from lxml import etree

from fhir_export import bundle_check
from fhir_export.options import ExportOptions, OutputFormat
from fhir_export.pipeline import export
from fhir_export.report import ExportReport
from fhir_export.serialization import SERIALIZERS

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = (ROOT / "tests" / "data" / "articles", ROOT / "source")
REALWORLD = Path(os.environ.get("FHIR_EXPORT_REALWORLD", ROOT.parent / "shared" / "realworld"))
MIXED_SUFFIXES = (".txt", ".md", ".html")  # the mixed corpus: text, Markdown, HTML
# the other formats, timed on their own: name, suffix, what is counted per second
OTHER_FORMATS = (
    ("PDF", ".pdf", "pages"), ("SPL", ".xml", "labels"), ("Word", ".docx", "documents")
)
TARGET_ARTICLES = 1000
CLI = Path(sys.executable).parent / "fhir-export"
STAGES = (
    "read",
    "segment",
    "extract",
    "map",
    "bundle",
    "serialize-json",
    "serialize-xml",
    "write",
)
PACKAGES = ("fhir.resources", "fhir.core", "pydantic", "pydantic-core", "lxml", "dask")
OPTIONS = ExportOptions(output_format=OutputFormat.BOTH)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def originals(suffixes: Sequence[str] = MIXED_SUFFIXES) -> list[Path]:
    """Our test articles and source/, then the real-world articles, of these suffixes."""
    own = sorted(p for folder in SOURCE_DIRS for p in folder.iterdir()
                 if p.is_file() and p.suffix in suffixes)
    real = REALWORLD / "articles"
    if not real.is_dir():
        progress(f"no {real}: the corpus is our test articles only")
        return own
    return own + sorted(p for p in real.iterdir() if p.suffix in suffixes)


def make_corpus(sources: Sequence[Path], articles: int, folder: Path) -> None:
    """`articles` files in folder, copies of sources in turn, named <stem>--cNNN<suffix> so no
    two outputs collide (copies of an article with a canonical URL share its identity: the
    run refuses all but the first, after exporting them in memory like any other)."""
    folder.mkdir()
    for n in range(articles):
        src = sources[n % len(sources)]
        shutil.copyfile(src, folder / f"{src.stem}--c{n // len(sources):03d}{src.suffix}")


# -- 0. the command line, --jobs 1 and 2 -------------------------------------------------------


@dataclass
class CliRun:
    jobs: int
    seconds: float
    peak_rss_mb: float  # the largest process of the run (the command, or one of its workers)
    summary: str


def run_cli(corpus: Path, out_dir: Path, jobs: int) -> CliRun:
    """`fhir-export export corpus --format both --jobs N` in a child process: wall time from
    start to exit (start-up included), and the largest resident set of it and its workers."""
    shutil.rmtree(out_dir, ignore_errors=True)
    code = (
        "import resource, subprocess, sys, time; start = time.perf_counter(); "
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "wall = time.perf_counter() - start; "
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
        "print(wall, rss, p.stderr.strip().splitlines()[-1], sep='\\t')"
    )
    command = [str(CLI), "export", str(corpus), "--out", str(out_dir), "--format", "both",
               "--jobs", str(jobs)]
    out = subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "-c", code, *command], capture_output=True, text=True, check=True
    ).stdout
    wall, rss_kb, summary = out.rstrip("\n").split("\t")
    return CliRun(jobs, float(wall), int(rss_kb) / 1024, summary)


def cli_table(runs: dict[int, list[CliRun]], articles: int) -> list[str]:
    best = {jobs: min(rs, key=lambda r: r.seconds) for jobs, rs in runs.items()}
    lines = [
        f"Command line: fhir-export export <{articles} files> --format both --jobs N "
        "(wall time incl. start-up; best of the runs)",
        f"  {best[min(best)].summary}",
        f"  {'jobs':<6}{'runs (wall)':<28}{'articles/s':>12}{'ms/article':>12}{'peak RSS':>12}",
    ]
    for jobs, run in best.items():
        walls = ", ".join(f"{r.seconds:.1f} s" for r in runs[jobs])
        rss = max(r.peak_rss_mb for r in runs[jobs])
        lines.append(
            f"  {jobs:<6}{walls:<28}{articles / run.seconds:>12.1f}"
            f"{run.seconds / articles * 1e3:>12.2f}{rss:>9.0f} MB"
        )
    if 1 in best and 2 in best:
        lines.append(f"  speed-up --jobs 2 / --jobs 1: {best[1].seconds / best[2].seconds:.2f}x")
    return lines


# -- 0b. the other formats: PDF pages, SPL labels, Word documents per second -------------------


@dataclass
class FormatRun:
    name: str
    unit: str  # what is counted: pages, labels, documents
    files: int
    units: int
    runs: list[CliRun]


def units_in(path: Path, unit: str) -> int:
    """Pages of a PDF (as PDFium counts them); one label or document for the other formats."""
    if unit != "pages":
        return 1
    import pypdfium2  # type: ignore[import-untyped]  # only when PDFs are timed

    document = pypdfium2.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


def run_formats(tmp: Path, copies: int, jobs: int, repeat: int) -> list[FormatRun]:
    """Each format's originals (ours and the real-world ones), `copies` of each, exported on
    their own with `--jobs jobs`, best of `repeat` runs."""
    done = []
    for name, suffix, unit in OTHER_FORMATS:
        sources = originals((suffix,))
        if not sources:
            continue
        corpus = tmp / f"in-{name}"
        make_corpus(sources, len(sources) * copies, corpus)
        units = copies * sum(units_in(p, unit) for p in sources)
        runs = []
        for i in range(repeat):
            progress(f"fhir-export --jobs {jobs}, {name}, run {i + 1}/{repeat} "
                     f"({len(sources) * copies} files)")
            runs.append(run_cli(corpus, tmp / "cli-out", jobs))
        shutil.rmtree(corpus)
        done.append(FormatRun(name, unit, len(sources) * copies, units, runs))
    return done


def format_table(runs: list[FormatRun], copies: int, jobs: int) -> list[str]:
    lines = [
        f"Other formats, each on its own: {copies} copies of each original (ours and the "
        "real-world ones),",
        f"  fhir-export export <files> --format both --jobs {jobs} (wall time incl. start-up; "
        "best of the runs)",
        f"  {'format':<8}{'files':>7}{'counted':>16}{'wall':>9}{'files/s':>10}"
        f"{'counted/s':>11}{'ms/file':>10}{'peak RSS':>10}",
    ]
    for f in runs:
        best = min(f.runs, key=lambda r: r.seconds)
        rss = max(r.peak_rss_mb for r in f.runs)
        lines.append(
            f"  {f.name:<8}{f.files:>7}{f'{f.units} {f.unit}':>16}{best.seconds:>8.1f}s"
            f"{f.files / best.seconds:>10.1f}{f.units / best.seconds:>11.1f}"
            f"{best.seconds / f.files * 1e3:>10.1f}{rss:>7.0f} MB"
        )
    lines += [f"  {f.name}: {min(f.runs, key=lambda r: r.seconds).summary}" for f in runs]
    return lines


# -- 1. the whole pipeline ---------------------------------------------------------------------


@dataclass
class PipelineRun:
    seconds: float
    report: ExportReport


def run_pipeline(corpus: Path, out_dir: Path) -> PipelineRun:
    start = time.perf_counter()
    report = export([str(corpus)], out_dir, OPTIONS)
    return PipelineRun(time.perf_counter() - start, report)


def pipeline_table(runs: list[PipelineRun]) -> list[str]:
    best = min(runs, key=lambda r: r.seconds)
    articles = best.report.articles
    lines = [
        "Whole pipeline (export, output_format=both: read .. write, JSON + XML)",
        f"  articles per run    {articles} ({best.report.exported} exported, "
        f"{len(best.report.errors)} failed, {best.report.resources} resources)",
        "  runs (wall)         " + ", ".join(f"{r.seconds:.2f} s" for r in runs),
        f"  best run            {best.seconds:.2f} s",
        f"  throughput          {articles / best.seconds:.1f} articles/s "
        f"({best.seconds / articles * 1e3:.1f} ms/article)",
        "",
        f"Stages of the best run (report.stage_seconds; % of wall time {best.seconds:.2f} s)",
        f"  {'stage':<16}{'seconds':>10}{'share':>9}{'ms/article':>13}",
    ]
    stages = dict(best.report.stage_seconds)
    names = [s for s in STAGES if s in stages] + sorted(set(stages) - set(STAGES))
    rows = [(name, stages[name]) for name in names]
    rows.append(("other", best.seconds - sum(stages.values())))  # discover, loop, bookkeeping
    for name, seconds in rows:
        lines.append(
            f"  {name:<16}{seconds:>10.3f}{seconds / best.seconds:>9.1%}"
            f"{seconds / articles * 1e3:>13.2f}"
        )
    lines.append(
        f"  {'total':<16}{best.seconds:>10.3f}{1.0:>9.1%}{best.seconds / articles * 1e3:>13.2f}"
    )
    return lines


# -- 2. serializers on the same bundles ---------------------------------------------------------


def best_per_item(fn: Callable[[Any], object], items: Sequence[Any], repeat: int) -> float:
    """Seconds per item: one warm-up pass, then the best of `repeat` timed passes over items."""
    for item in items:
        fn(item)
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return best / len(items)


_UTC = re.compile(r'(value="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)\+00:00"')


def _c14n(data: bytes) -> bytes:
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    return bytes(etree.tostring(etree.fromstring(data, parser), method="c14n2", strip_text=True))


def same_canonical_xml(bundle: dict[str, Any], model: Bundle) -> bool:
    """Ours and fhir.resources' XML carry the same content: fhir.resources writes UTC as
    +00:00 where we keep the JSON's Z, the same instant."""
    theirs = model.model_dump_xml()
    text = theirs.decode("utf-8") if isinstance(theirs, bytes) else str(theirs)
    return _c14n(_UTC.sub(r'\1Z"', text).encode("utf-8")) == _c14n(SERIALIZERS["xml"](bundle))


def plain_json(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, ensure_ascii=False, indent=2)


def naive(bundle: dict[str, Any]) -> str:
    """What a naive exporter pays for its finished bundle: validate it and serialize it."""
    return Bundle.model_validate(bundle).model_dump_json()


def dump_json(model: Bundle) -> str:
    return model.model_dump_json(indent=2)


def dump_xml(model: Bundle) -> str:
    return model.model_dump_xml(pretty_print=True)


def serializer_table(
    out_dir: Path, stems: Sequence[str], repeat: int
) -> tuple[list[str], dict[str, float]]:
    written = [(out_dir / f"{stem}.bundle.json").read_bytes() for stem in stems]
    dicts = [json.loads(data) for data in written]
    models = [Bundle.model_validate(d) for d in dicts]
    reproduces = all(SERIALIZERS["json"](d) == data for d, data in zip(dicts, written, strict=True))
    entries = sum(len(d.get("entry", ())) for d in dicts) / len(dicts)
    size = sum(len(data) for data in written) / len(written) / 1024

    # key, label, serializer, what it takes
    cases: list[tuple[str, str, Callable[[Any], object], Sequence[Any]]] = [
        ("ours-json", 'ours SERIALIZERS["json"](dict)', SERIALIZERS["json"], dicts),
        ("plain-json", "json.dumps(dict, indent=2)", plain_json, dicts),
        ("model-json", "Bundle.model_dump_json(indent=2)", dump_json, models),
        ("ours-xml", 'ours SERIALIZERS["xml"](dict)', SERIALIZERS["xml"], dicts),
        ("model-xml", "Bundle.model_dump_xml(pretty_print=True)", dump_xml, models),
    ]
    ms: dict[str, float] = {}
    progress("timing the naive path (Bundle.model_validate + model_dump_json) ...")
    ms["naive"] = best_per_item(naive, dicts, repeat) * 1e3
    progress("timing the bundle check against Bundle.model_validate ...")
    ms["validate"] = best_per_item(Bundle.model_validate, dicts, repeat) * 1e3
    ms["check"] = best_per_item(lambda d: bundle_check.check(Bundle, d), dicts, repeat) * 1e3
    passes = f"{repeat} pass" + ("es" if repeat != 1 else "")
    lines = [
        f"Serializers on the same bundles: {len(dicts)} written by the pipeline, one per original",
        f"  article ({entries:.1f} entries, {size:.0f} KiB JSON on average); best of {passes} "
        "after a warm-up.",
        "  Ours take the dict bundling.build() returns, fhir.resources the validated Bundle.",
        f"  {'naive path: Bundle.model_validate + model_dump_json':<52}{ms['naive']:>10.2f}",
        f"  {'Bundle.model_validate alone (what bundling did)':<52}{ms['validate']:>10.2f}",
        f"  {'bundle_check.check (what bundling does)':<52}{ms['check']:>10.2f}"
        f"   {ms['validate'] / ms['check']:.1f}x faster",
        f"  {'serializer':<52}{'ms/bundle':>10}",
    ]
    for key, label, fn, items in cases:
        progress(f"timing {label} ...")
        ms[key] = best_per_item(fn, items, repeat) * 1e3
        lines.append(f"  {label:<52}{ms[key]:>10.2f}")

    def ratio(label: str, ours: str, other: str) -> str:
        r = ms[ours] / ms[other]
        if r < 0.9:
            verdict = f"ours is {1 / r:.1f}x faster"
        elif r > 1.1:
            verdict = f"ours is {r:.1f}x slower"
        else:
            verdict = f"about the same ({r - 1:+.1%})"
        return f"  {label:<36}{r:>8.3f}   {verdict}"

    lines += [
        "",
        f"  {'ratio (time ours / time other)':<36}{'ratio':>8}",
        ratio("ours xml  / model_dump_xml", "ours-xml", "model-xml"),
        ratio("ours json / model_dump_json", "ours-json", "model-json"),
        ratio("ours json / plain json.dumps", "ours-json", "plain-json"),
        "",
        "  ours json reproduces the written files byte for byte: "
        + ("yes" if reproduces else "NO"),
        "  ours xml == model_dump_xml, canonical XML (C14N 2.0; UTC instants compared as "
        "instants): " + ("yes" if all(same_canonical_xml(d, m) for d, m in
                                       zip(dicts, models, strict=True)) else "NO"),
    ]
    return lines, ms


# -- 3. the machine ---------------------------------------------------------------------------


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_table() -> list[str]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cpus = f"{os.cpu_count()}" + (f" ({usable} usable)" if usable is not None else "")
    lines = [
        "Machine",
        f"  {'python':<16}{platform.python_implementation()} {platform.python_version()}",
        f"  {'platform':<16}{platform.platform()}",
        f"  {'cpu count':<16}{cpus}",
        "Packages",
    ]
    lines += [f"  {name:<16}{version(name)}" for name in PACKAGES]
    return lines


# -- main -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None, sources: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--articles",
        type=int,
        nargs="+",
        default=[TARGET_ARTICLES],
        help=f"files in the corpus, copies of the {sources} originals; several sizes, one "
        f"corpus each (default {TARGET_ARTICLES})",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="command-line runs per --jobs, in-process runs and serializer passes; the best "
        "counts (default 1)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        nargs="+",
        default=[1, 2],
        help="the --jobs values the command line runs with (default 1 2; a 100,000-file "
        "corpus takes long with --jobs 1)",
    )
    parser.add_argument(
        "--format-copies",
        type=int,
        default=10,
        help="copies of each PDF, SPL and Word original, timed per format with the largest "
        "--jobs (default 10; 0 skips them)",
    )
    args = parser.parse_args(argv)
    if min(args.articles) < 1 or args.repeat < 1 or min(args.jobs) < 1:
        parser.error("--articles, --repeat and --jobs must be at least 1")
    if args.format_copies < 0:
        parser.error("--format-copies must be at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    sources = originals()
    if not sources:
        sys.exit(f"no article found in {', '.join(map(str, SOURCE_DIRS))}")
    args = parse_args(argv, len(sources))
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="fhir-export-bench-") as tmp:
        warm_corpus, out_dir = Path(tmp, "warm"), Path(tmp, "out")
        make_corpus(sources, len(sources), warm_corpus)

        cli_runs: dict[int, dict[int, list[CliRun]]] = {}
        for size in args.articles:
            corpus = Path(tmp, f"in-{size}")
            make_corpus(sources, size, corpus)
            cli_runs[size] = {jobs: [] for jobs in args.jobs}
            for i in range(args.repeat):
                for jobs in cli_runs[size]:
                    progress(f"fhir-export --jobs {jobs}, run {i + 1}/{args.repeat} "
                             f"({size} articles)")
                    cli_runs[size][jobs].append(run_cli(corpus, Path(tmp, "cli-out"), jobs))
            shutil.rmtree(corpus)
        formats = run_formats(Path(tmp), args.format_copies, max(args.jobs), args.repeat) \
            if args.format_copies else []

        progress("warm-up export in this process (model classes, lexicon) ...")
        run_pipeline(warm_corpus, Path(tmp, "warm-out"))
        runs = []
        for i in range(args.repeat):
            progress(f"in-process run {i + 1}/{args.repeat} ({len(sources)} articles)")
            runs.append(run_pipeline(warm_corpus, out_dir))

        stems = [f"{src.stem}--c000" for src in sources]
        stems = [s for s in stems if (out_dir / f"{s}.bundle.json").is_file()]
        ms: dict[str, float] = {}
        if stems:
            serializers, ms = serializer_table(out_dir, stems, args.repeat)
        else:
            serializers = ["Serializers: skipped, the pipeline wrote no bundle"]
    load_after = os.getloadavg()

    title = "fhir-export speed"
    lines = [title, "=" * len(title), "",
             "Load average (1, 5, 15 min) before: " + ", ".join(f"{x:.2f}" for x in load_before)
             + "; after: " + ", ".join(f"{x:.2f}" for x in load_after), ""]
    for size, by_jobs in cli_runs.items():
        lines += [*cli_table(by_jobs, size), ""]
    if formats:
        lines += [*format_table(formats, args.format_copies, max(args.jobs)), ""]
    if "naive" in ms:
        lines += [
            "Against the naive path (fhir.resources Bundle.model_validate + model_dump_json of",
            f"  the same finished bundles, JSON only): {ms['naive']:.2f} ms/bundle on one core",
        ]
        for size, by_jobs in cli_runs.items():
            best = {j: min(r.seconds for r in rs) / size * 1e3 for j, rs in by_jobs.items()}
            lines += [
                f"  ours, whole export of {size} (read .. write JSON + XML), --jobs {j}: "
                f"{m:.2f} ms/article = {ms['naive'] / m:.2f}x the naive path's speed"
                for j, m in best.items()
            ]
        lines.append("")
    lines += ["In this process, --jobs 1, the originals once:", *pipeline_table(runs), ""]
    lines += [*serializers, ""]
    lines += machine_table()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
