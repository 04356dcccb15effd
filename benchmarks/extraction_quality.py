"""Extraction quality over the evaluation articles: precision and recall per kind of fact.

    .venv/bin/python benchmarks/extraction_quality.py [-v]

Reads tests/data/articles/* and their expectations (tests/data/expectations/*.json), the same
data and scoring as tests/test_quality.py, and prints a table; -v also lists every miss and
every extra, article by article.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from quality import evaluate_all  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses and extras")
    args = parser.parse_args()
    articles = ROOT / "tests" / "data" / "articles"
    expectations = ROOT / "tests" / "data" / "expectations"
    totals, forbidden = evaluate_all(articles, expectations)
    count = len(list(expectations.glob("*.json")))
    print(f"Extraction quality over {count} evaluation articles\n")
    print(f"  {'kind':14} {'precision':>9} {'recall':>7} {'tp':>5} {'fp':>5} {'fn':>5}")
    for kind, score in totals.items():
        print(f"  {kind:14} {score.precision:9.3f} {score.recall:7.3f} {score.tp:5d} "
              f"{score.fp:5d} {score.fn:5d}")
    print(f"\n  names that must not appear but did: {len(forbidden)}")
    for line in forbidden:
        print(f"    {line}")
    if args.verbose:
        for kind, score in totals.items():
            for miss in score.misses:
                print(f"  miss   {kind:13} {miss}")
            for extra in score.extras:
                print(f"  extra  {kind:13} {extra}")


if __name__ == "__main__":
    main()
