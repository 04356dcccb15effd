"""`fhir-export validate` speed: today's path (the code this branch started from) against this
tree, in the same run, from the command line, with the ratio.

    .venv/bin/python benchmarks/validate_speed.py [--bundles N] [--base REV] [--realworld DIR]

Cases, each validated by `fhir-export validate` in a fresh process (start-up included), timed
in CPU seconds of that process (user + system):

* N per-article bundles (default 500): every evaluation article (tests/data/articles) and
  every text, Markdown and HTML article of ../shared/realworld exported to JSON (R4, then
  R5), copied round-robin to N files in one folder: ms per bundle;
* the merged corpus bundle (`export --merge`) of the same articles, R4 and R5: seconds.

"today" is REV's fhir_export (default: the merge-base of HEAD and main), unpacked with
`git archive` into a temporary folder and run with the same interpreter. Both must report the
same number of issues of each severity.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "tests" / "data" / "articles"
REALWORLD = ROOT.parent / "shared" / "realworld" / "articles"
TEXT_SUFFIXES = (".txt", ".md", ".html")


def _git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True,  # noqa: S603, S607
                          capture_output=True).stdout


def _unpack(revision: str, into: Path) -> None:
    archive = _git("archive", "--format=tar", revision, "fhir_export")
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def _cli(package_root: Path, *args: str) -> tuple[float, float, str, str]:
    """(CPU seconds, wall seconds, stdout, stderr) of `python -m fhir_export ARGS` importing
    package_root's. CPU time is user + system of the process and its workers: on a shared
    machine the wall time mostly measures the other jobs; on a quiet one it is what a user
    waits (and what --jobs shortens)."""
    env = {**os.environ, "PYTHONPATH": str(package_root), "FHIR_EXPORT_PROGRESS": "never"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fhir_export", *args],  # noqa: S603
                          cwd=package_root, env=env, capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, done.stdout, done.stderr


def _severities(stdout: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in stdout.splitlines():
        parts = line.split(": ")
        if len(parts) > 2 and parts[1] in ("error", "warning", "information"):
            counts[parts[1]] = counts.get(parts[1], 0) + 1
    return counts


def _sources(work: Path, realworld: Path) -> Path:
    source = work / "articles"
    source.mkdir()
    for path in sorted(ARTICLES.iterdir()):
        if path.suffix in TEXT_SUFFIXES:
            shutil.copy(path, source / path.name)
    if realworld.is_dir():
        for path in sorted(realworld.iterdir()):
            if path.suffix in TEXT_SUFFIXES:
                shutil.copy(path, source / f"rw-{path.name}")
    return source


def _export(source: Path, out: Path, release: str, *merge: str) -> None:
    _, _, _, stderr = _cli(ROOT, "export", str(source), "--out", str(out),
                              "--fhir-version", release, "--jobs", "1", "-q", *merge)
    assert out.is_dir(), stderr


def _compare(label: str, base: Path, files: list[str], count: int, unit: str,
             extra: tuple[str, ...] = ()) -> None:
    old, old_wall, old_out, _ = _cli(base, "validate", *files, *extra)
    new, new_wall, new_out, _ = _cli(ROOT, "validate", *files, *extra)
    same = _severities(old_out) == _severities(new_out)
    scale = 1000 / count if unit == "ms/bundle" else 1.0
    print(f"{label}: today {old * scale:.1f} {unit}, now {new * scale:.1f} {unit} CPU "
          f"({old / new:.1f}x); wall today {old_wall * scale:.1f}, now "
          f"{new_wall * scale:.1f} {unit} ({old_wall / new_wall:.1f}x, --jobs default); "
          f"issues today {_severities(old_out)}, now "
          f"{_severities(new_out)}{'' if same else '  DIFFERENT'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundles", type=int, default=500)
    parser.add_argument("--base", default=None, help="today's revision (default: merge-base)")
    parser.add_argument("--realworld", type=Path, default=REALWORLD)
    args = parser.parse_args()
    base_rev = args.base or _git("merge-base", "HEAD", "main").decode().strip()
    print(f"{platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; today = {base_rev[:10]}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = work / "base"
        _unpack(base_rev, base)
        source = _sources(work, args.realworld)
        print(f"{len(list(source.iterdir()))} articles")
        for release in ("R4", "R5"):
            out = work / f"out-{release}"
            _export(source, out, release)
            bundles = sorted(out.glob("*.bundle.json"))
            many = work / f"many-{release}"
            many.mkdir()
            for number in range(args.bundles):
                shutil.copy(bundles[number % len(bundles)], many / f"{number:05d}.bundle.json")
            _compare(f"{release} {args.bundles} bundles ({len(bundles)} distinct)", base,
                     [str(many)], args.bundles, "ms/bundle")
            merged = work / f"merged-{release}"
            _export(source, merged, release, "--merge")
            corpus = merged / "corpus.bundle.json"
            resources = corpus.read_text("utf-8").count('"fullUrl"')
            _compare(f"{release} corpus bundle ({resources} resources, "
                     f"{corpus.stat().st_size // 1024} KiB)", base, [str(corpus)], 1, "s")
            if release == "R5":
                _compare("R5 corpus bundle with --fhir-version R5", base, [str(corpus)], 1,
                         "s", ("--fhir-version", "R5"))


if __name__ == "__main__":
    main()
