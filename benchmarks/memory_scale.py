"""Does memory stay flat as a run grows? (issue #12, "Memory")

A benchmark, not a test: it asserts nothing and pytest never collects it. Run it with

    cd /path/to/repo && nice -n 19 .venv/bin/python benchmarks/memory_scale.py \
        [--articles 1000 10000] [--mode json ndjson merge] [--jobs 1] [--report] [--short]
        [--again]

For each size it copies one short article (--article, default the UK amlodipine leaflet of
tests/data/articles; --short: a three-line article, a medicine, a use and two side effects,
so that 100,000 copies run in minutes) that many times into a temporary folder (1,000 files
per subfolder, each copy its own identity: its path) and runs the `fhir-export export`
command on it in a child process per mode (`json`: one Bundle per article, `ndjson`:
`--format ndjson`, `merge`: `--merge`), with `--report` when asked; with --again each run
is followed by a second into the same folder ("json again": it reads the first run's
manifest and cleans the folder). It prints the peak RSS
of the largest process of the run (the command, or one of its `--jobs` workers:
`getrusage(RUSAGE_CHILDREN)`), the wall time, the ratio of the peak at each size to the peak
at the first, and the machine and package versions. Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "fhir-export"
ARTICLE = ROOT / "tests" / "data" / "articles" / "amlodipine-leaflet-uk.txt"
PACKAGES = ("fhir-export", "fhir.resources", "fhir.core", "pydantic", "pydantic-core", "lxml")
MODES = {"json": ("--format", "json"), "ndjson": ("--format", "ndjson"),
         "merge": ("--format", "json", "--merge")}
PER_FOLDER = 1000
SHORT = (  # --short: a medicine, a use, two side effects
    "Amlodipine\n"
    "Amlodipine is used to treat high blood pressure.\n"
    "Side effects of amlodipine include headache and swollen ankles.\n"
)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def make_corpus(article: Path, articles: int, folder: Path) -> None:
    """`articles` copies of `article`, 1,000 per subfolder (each path its own article)."""
    data = article.read_bytes()
    for n in range(articles):
        sub = folder / f"d{n // PER_FOLDER:04d}"
        if n % PER_FOLDER == 0:
            sub.mkdir(parents=True)
        (sub / f"a{n:06d}{article.suffix}").write_bytes(data)


@dataclass
class Run:
    mode: str
    articles: int
    seconds: float
    peak_rss_mb: float
    summary: str


def run(cli: list[str], corpus: Path, out_dir: Path, mode: str, articles: int, jobs: int,
        report: Path | None, again: bool = False) -> Run:
    """The command in a child process: wall time and the largest resident set of it and its
    workers. `again`: into the folder as the last run left it (its manifest read, the
    folder cleaned), else into an empty one."""
    if not again:
        shutil.rmtree(out_dir, ignore_errors=True)
    code = (
        "import resource, subprocess, sys, time; start = time.perf_counter(); "
        "err = open(sys.argv[1], 'w+'); "
        "subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=err); "
        "wall = time.perf_counter() - start; "
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; err.seek(0); "
        "last = ''.join(err.readlines()[-1:]).strip(); print(wall, rss, last, sep='\\t')"
    )
    command = [*cli, "export", str(corpus), "--out", str(out_dir),
               *MODES[mode], "--jobs", str(jobs)]
    if report is not None:
        command += ["--report", str(report)]
    out = subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "-c", code, str(out_dir.parent / "stderr.txt"), *command],
        capture_output=True, text=True, check=True,
    ).stdout
    wall, rss_kb, summary = out.rstrip("\n").split("\t")
    return Run(f"{mode} again" if again else mode, articles, float(wall), int(rss_kb) / 1024,
               summary)


def versions() -> list[str]:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        "Packages: " + ", ".join(found),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--mode", nargs="+", choices=sorted(MODES), default=["json"])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--report", action="store_true", help="also write --report")
    parser.add_argument("--article", type=Path, default=ARTICLE)
    parser.add_argument("--short", action="store_true",
                        help="copy a three-line article (amlodipine-short.txt) instead")
    parser.add_argument("--again", action="store_true",
                        help="each run followed by a second into the same folder (which "
                        "reads the first's manifest and cleans the folder)")
    parser.add_argument("--cli", default=str(CLI),
                        help="the command to run (another tree's, to compare), split as a "
                        "shell would")
    args = parser.parse_args()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="fhir-export-memory-") as tmp:
        if args.short:
            args.article = Path(tmp) / "amlodipine-short.txt"
            args.article.write_text(SHORT, encoding="utf-8")
        for articles in args.articles:
            corpus = Path(tmp) / f"corpus-{articles}"
            progress(f"copying {args.article.name} {articles} times")
            make_corpus(args.article, articles, corpus)
            for mode in args.mode:
                progress(f"exporting {articles} articles, {mode}, --jobs {args.jobs}")
                report = Path(tmp) / "report.json" if args.report else None
                for again in (False, True) if args.again else (False,):
                    runs.append(run(shlex.split(args.cli), corpus, Path(tmp) / "out", mode,
                                    articles, args.jobs, report, again))
                    progress(f"  {runs[-1].mode}: {runs[-1].peak_rss_mb:.0f} MB, "
                             f"{runs[-1].seconds:.0f} s")
            shutil.rmtree(corpus)
            shutil.rmtree(Path(tmp) / "out", ignore_errors=True)
    print(f"Peak RSS of `fhir-export export <N copies of {args.article.name}> --jobs "
          f"{args.jobs}{' --report R' if args.report else ''}` (largest process of the run)")
    for line in versions():
        print(f"  {line}")
    print(f"  {'mode':<13}{'articles':>10}{'wall':>10}{'peak RSS':>12}{'ratio':>8}  summary")
    for mode in dict.fromkeys(r.mode for r in runs):
        first = next(r for r in runs if r.mode == mode)
        for r in (r for r in runs if r.mode == mode):
            print(f"  {mode:<13}{r.articles:>10}{r.seconds:>9.0f}s{r.peak_rss_mb:>9.0f} MB"
                  f"{r.peak_rss_mb / first.peak_rss_mb:>7.2f}x  {r.summary}")


if __name__ == "__main__":
    main()
