"""Push throughput against a local HAPI FHIR JPA server: sequential vs --concurrency N.

Starts the HAPI server the tests build (tests/hapi-server/target, scripts/build_hapi.sh), or
uses --server URL. The corpus is the R4 golden bundles, copied --copies times with fresh ids
per copy (one transaction per article, as `export` writes them). Each concurrency setting
gets a corpus of its own (fresh ids again), so every run creates the same number of new
resources; then the same corpus is pushed again (all unchanged). Prints the figures; asserts
nothing.

    .venv/bin/python benchmarks/push_throughput.py [--copies 10] [--concurrency 1 4]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden"
TARGET = ROOT / "tests" / "hapi-server" / "target"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def start_hapi(release: str = "R4", *flags: str) -> tuple[subprocess.Popen[str], str]:
    """The test HAPI server (`flags` as HapiServer takes them: --no-client-ids)."""
    classpath = os.pathsep.join(
        [str(TARGET / "classes"), (TARGET / "classpath.txt").read_text("utf-8").strip()])
    process = subprocess.Popen(  # noqa: S603
        ["java", "-Xmx2g", "-cp", classpath, "fhirexport.HapiServer", release, "0",  # noqa: S607
         "--watch-stdin", *flags],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("READY "):
            return process, line.split()[1]
    raise SystemExit("the HAPI server did not start")


def corpus(folder: Path, copies: int, salt: str) -> int:
    """The goldens, `copies` times, every UUID replaced per copy; returns the entry count."""
    entries = 0
    for copy in range(copies):
        for path in sorted(GOLDEN.glob("*.json")):
            text = UUID.sub(lambda m, c=copy: str(uuid.uuid5(
                uuid.NAMESPACE_URL, f"{salt}:{c}:{m.group(0)}")), path.read_text("utf-8"))
            (folder / f"{copy:03d}-{path.name}").write_text(text, "utf-8")
            entries += text.count('"request"')
    return entries


def push(folder: Path, server: str, concurrency: int) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "fhir_export", "push", str(folder), "--server", server,
         "--concurrency", str(concurrency)],
        capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return seconds, done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--server", default=None, help="a running server instead of HAPI")
    args = parser.parse_args()
    process, server = (None, args.server) if args.server else start_hapi()
    try:
        rows = []
        for n in args.concurrency:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                entries = corpus(folder, args.copies, f"bench-{n}-{time.time_ns()}")
                bundles = len(list(folder.glob("*.json")))
                first, summary = push(folder, server, n)
                again, _ = push(folder, server, n)
                rows.append((n, bundles, entries, first, again, summary))
                print(f"--concurrency {n}: {summary}", file=sys.stderr)
        print(f"{'concurrency':>11} {'bundles':>7} {'entries':>7} {'new s':>7} "
              f"{'entries/s':>9} {'again s':>7} {'bundles/s':>9}")
        for n, bundles, entries, first, again, _ in rows:
            print(f"{n:>11} {bundles:>7} {entries:>7} {first:>7.1f} "
                  f"{entries / first:>9.0f} {again:>7.1f} {bundles / again:>9.1f}")
    finally:
        if process is not None and process.stdin is not None:
            process.stdin.close()
            process.wait(timeout=60)


if __name__ == "__main__":
    main()
