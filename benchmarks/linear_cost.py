"""Does an article's cost grow linearly with its size? (issue #15, "Cost")

A benchmark, not a test: it asserts nothing and pytest never collects it. Run it with

    cd /path/to/repo && .venv/bin/python benchmarks/linear_cost.py [--kb 16] [--steps 7]

For each shape of article below (a run-on paragraph in lower case, lower-case sentences full
of side effects, ordinary sentences, one sentence of repeated facts, a real article's text
repeated, a long list of facts), it builds an article of
--kb kilobytes, doubles it --steps times, and exports each size in memory (JSON, the whole
pipeline through serialization, nothing written; best of --repeat). It prints the size, the
seconds and the ratio to the size before: about 2 means linear, about 4 quadratic.

The 1 MB figures of the README: `--kb 1024 --steps 0` (one size per shape).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from fhir_export.options import ExportOptions
from fhir_export.pipeline import render
from fhir_export.report import ExportReport
from fhir_export.terminology import default_lexicon

SHAPES = {
    # one run-on paragraph: no capital letter, no full stop
    "run-on": "the patient took aspirin for pain and then felt better, and then ",
    # sentences that start in lower case: to the sentence splitter one long run
    "lower-case": "aspirin may cause bleeding, nausea and headache; ibuprofen can cause ulcers. ",
    # ordinary sentences
    "sentences": "Aspirin may cause bleeding, nausea and headache. It is used to treat pain. ",
    # one sentence of repeated facts: every 'may cause' read every part after it (quadratic)
    "repeated": "aspirin may cause nausea, ",
    # a real article (a US Medication Guide, tests/data/articles) repeated end to end
    "article": (
        Path(__file__).resolve().parent.parent / "tests/data/articles/metformin-fda-medguide.txt"
    ).read_text(encoding="utf-8"),
    # one long bulleted list of facts
    "list": "- aspirin may cause nausea and headache\n",
}


def article(shape: str, size: int) -> str:
    unit = SHAPES[shape]
    return "Aspirin: a guide\n\n" + unit * (size // len(unit) + 1) + "\n"


def seconds(path: Path, repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of `repeat` exports (on a loaded machine the CPU
    time is the steadier figure)."""
    lexicon = default_lexicon(())
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        render(path, ExportOptions(max_bytes=1 << 30), ExportReport(), lexicon)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best, best_cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=int, default=16, help="size of the smallest article")
    parser.add_argument("--steps", type=int, default=7, help="how many times to double it")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per size; best counts")
    parser.add_argument("--shape", choices=sorted(SHAPES), action="append", help="(repeatable)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.txt"
        warm.write_text(article("sentences", 1000), encoding="utf-8")
        seconds(warm, 1)
        print(f"{'shape':<12} {'KB':>7} {'seconds':>9} {'cpu':>7} {'ratio':>6}")
        for shape in args.shape or list(SHAPES):
            before = None
            for step in range(args.steps + 1):
                size = args.kb * 1024 * 2**step
                path = Path(tmp) / f"{shape}-{size}.txt"
                path.write_text(article(shape, size), encoding="utf-8")
                took, cpu = seconds(path, args.repeat)
                ratio = f"{took / before:6.2f}" if before else ""
                line = f"{shape:<12} {size // 1024:>7} {took:>9.3f} {cpu:>7.3f} {ratio:>6}"
                print(line, flush=True)
                before = took
    sys.stdout.flush()


if __name__ == "__main__":
    main()
