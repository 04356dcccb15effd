"""`fhir-export validate` speed on a corpus bundle, with and without the Python versions of the
two most frequent invariants (ext-1, ref-1), measured in the same run.

    .venv/bin/python benchmarks/validate_speed.py [--repeat N]

Exports every evaluation article (tests/data/articles) as one --merge corpus bundle (R4 and
R5), then validates it N times (default 3) each way and prints the best time of each and the
ratio. "fhirpathpy only" is the baseline: every invariant evaluated by fhirpathpy.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from fhir_export.cli import main as cli
from fhir_export.validation import validate, walk

ROOT = Path(__file__).resolve().parent.parent


def _best(data: bytes, release: str, repeat: int) -> tuple[float, int]:
    times, issues = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        issues = len(validate(data, path="corpus.bundle.json", fhir_version=release))
        times.append(time.perf_counter() - start)
    return min(times), issues


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    fast = dict(walk.FAST)
    for release in ("R4", "R5"):
        with tempfile.TemporaryDirectory() as out:
            result = CliRunner().invoke(cli, [
                "export", str(ROOT / "tests" / "data" / "articles"), "--merge",
                "--fhir-version", release, "--out", out])
            assert result.exit_code == 0, result.stderr
            data = (Path(out) / "corpus.bundle.json").read_bytes()
        walk.FAST = {}
        base, base_issues = _best(data, release, args.repeat)
        walk.FAST = fast
        ours, our_issues = _best(data, release, args.repeat)
        assert base_issues == our_issues
        print(f"{release} corpus bundle ({len(data) // 1024} KiB, {our_issues} issues): "
              f"fhirpathpy only {base:.2f} s, with ext-1/ref-1 in Python {ours:.2f} s "
              f"({base / ours:.2f}x)")


if __name__ == "__main__":
    main()
