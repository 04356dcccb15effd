"""How fast fhir-export is: the whole pipeline, its stages, and the serializers.

A benchmark, not a test: it asserts nothing and pytest never collects it. Run it with

    cd /path/to/repo && .venv/bin/python benchmarks/export_speed.py [--copies N] [--repeat N]

It copies the test articles (tests/data/articles/* and source/*) --copies times under distinct
names into a temporary folder, exports them all (JSON and XML) with fhir_export.pipeline.export,
and reports articles per second (best of --repeat runs) and where the time goes per stage. Then,
on the bundles that run wrote (one per original article; copies differ only in names), it
compares our serializers with fhir.resources' own model_dump_json / model_dump_xml and with a
plain json.dumps. Everything runs offline; progress goes to stderr, the tables to stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
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

from fhir_export.options import ExportOptions, OutputFormat
from fhir_export.pipeline import export
from fhir_export.report import ExportReport
from fhir_export.serialization import SERIALIZERS

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = (ROOT / "tests" / "data" / "articles", ROOT / "source")
TARGET_ARTICLES = 200
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
PACKAGES = ("fhir.resources", "fhir.core", "pydantic", "pydantic-core", "lxml")
OPTIONS = ExportOptions(output_format=OutputFormat.BOTH)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def originals() -> list[Path]:
    return sorted(p for folder in SOURCE_DIRS for p in folder.iterdir() if p.is_file())


def make_corpus(sources: Sequence[Path], copies: int, folder: Path) -> None:
    """copies x sources files in folder, named <stem>--cNNN<suffix> so no two outputs collide."""
    folder.mkdir()
    for i in range(copies):
        for src in sources:
            shutil.copyfile(src, folder / f"{src.stem}--c{i:03d}{src.suffix}")


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
        f"  articles per run    {articles} ({len(best.report.results)} exported, "
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


def dump_json(model: Bundle) -> str:
    return model.model_dump_json(indent=2)


def dump_xml(model: Bundle) -> str:
    return model.model_dump_xml(pretty_print=True)


def serializer_table(out_dir: Path, stems: Sequence[str], repeat: int) -> list[str]:
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
    passes = f"{repeat} pass" + ("es" if repeat != 1 else "")
    lines = [
        f"Serializers on the same bundles: {len(dicts)} written by the pipeline, one per original",
        f"  article ({entries:.1f} entries, {size:.0f} KiB JSON on average); best of {passes} "
        "after a warm-up.",
        "  Ours take the dict bundling.build() returns, fhir.resources the validated Bundle.",
        f"  {'serializer':<44}{'ms/bundle':>10}",
    ]
    for key, label, fn, items in cases:
        progress(f"timing {label} ...")
        ms[key] = best_per_item(fn, items, repeat) * 1e3
        lines.append(f"  {label:<44}{ms[key]:>10.2f}")

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
    return lines


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
    default_copies = max(1, math.ceil(TARGET_ARTICLES / sources))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--copies",
        type=int,
        default=default_copies,
        help=f"copies of each of the {sources} test articles "
        f"(default {default_copies}: {default_copies * sources} articles)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="timed pipeline runs and serializer passes; the best counts (default 3)",
    )
    args = parser.parse_args(argv)
    if args.copies < 1 or args.repeat < 1:
        parser.error("--copies and --repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    sources = originals()
    if not sources:
        sys.exit(f"no article found in {', '.join(map(str, SOURCE_DIRS))}")
    args = parse_args(argv, len(sources))
    with tempfile.TemporaryDirectory(prefix="fhir-export-bench-") as tmp:
        corpus, warm_corpus, out_dir = Path(tmp, "in"), Path(tmp, "warm"), Path(tmp, "out")
        make_corpus(sources, args.copies, corpus)
        make_corpus(sources, 1, warm_corpus)

        progress("warm-up export (model classes, lexicon) ...")
        run_pipeline(warm_corpus, Path(tmp, "warm-out"))
        runs = []
        for i in range(args.repeat):
            progress(f"pipeline run {i + 1}/{args.repeat} ({len(sources) * args.copies} articles)")
            runs.append(run_pipeline(corpus, out_dir))

        stems = [f"{src.stem}--c000" for src in sources]
        stems = [s for s in stems if (out_dir / f"{s}.bundle.json").is_file()]
        if stems:
            serializers = serializer_table(out_dir, stems, args.repeat)
        else:
            serializers = ["Serializers: skipped, the pipeline wrote no bundle"]

    title = "fhir-export speed"
    lines = [title, "=" * len(title), "", *pipeline_table(runs), "", *serializers, ""]
    lines += machine_table()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
