"""Fuzz the whole pipeline: mutations of real articles, in worker processes (issue #15).

    .venv/bin/python scripts/fuzz.py                 # 100,000 inputs, all cores
    .venv/bin/python scripts/fuzz.py -n 5000 --seconds 600 --jobs 2 --show 5

Seeds are tests/data/articles/* and ../shared/realworld/articles/* (read in place, never
copied). Each input is one seed mutated (bytes flipped, inserted, deleted or repeated;
hostile snippets spliced in: noncharacters, controls, charsets, BOMs, JSON-LD, front matter,
deep nesting, a huge line), exported in memory with export_article and its JSON checked by
our own validate. Printed per category with the first examples:

- crash: an exception other than ExportError (InternalError included: a bug);
- hang: over --timeout seconds (default 5) of CPU time for one input (CPU, not wall clock: a
  worker starved by other work on the machine is no hang), or over 12 times that of wall clock;
- invalid: an output our own validate finds errors in;
- loss: text in (letters, no error) and neither text nor title out, without a word.

Deterministic for a given --seed. Exit 1 if anything but refusals was found.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED_DIRS = (
    ROOT / "tests" / "data" / "articles",
    ROOT.parent / "shared" / "realworld" / "articles",
)
SUFFIXES = (".txt", ".html", ".htm", ".xhtml", ".md", ".markdown", ".xml", ".pdf", ".docx")
MAX_SEED = 300_000  # bytes of a seed used (PDF and SPL labels are larger; their head is read)
SNIPPETS = [
    b"\xef\xbf\xbe", b"\xef\xbf\xbf", b"\xef\xb7\x90", b"\x00", b"\x1b[31m", b"\xc2\x85",
    b"\xed\xa0\x80", b"\xff\xfe", b"\xef\xbb\xbf", b"\xfe\xff", b"\r", b"\x0c", b"<", b"&",
    b"&#xFFFE;", b"&#0;", b"]]>", b"<![CDATA[", b"<!--", b"-->", b"<script>", b"</script>",
    b'<meta charset="rot13">', b'<meta charset="utf-16">', b'<meta charset="x-klingon">',
    b'<meta charset="punycode">', b'<html lang=" 2024-01-01">',
    b'<script type="application/ld+json">{"@graph": [1, null, "x"], "headline": ["a"]}</script>',
    b'<script type="application/ld+json">"text"</script>', b"---\nlang: 2024-01-01\n---\n",
    b"---\ntitle: [1, 2]\n---\n", b"<div>" * 300, b"<b>" * 400, b"[" * 2000,
    b'<div class="related-content">', b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"&a;",
    b"\n- aspirin may cause nausea" * 50, b"aspirin may cause bleeding, " * 2000,
]


def _seeds() -> list[tuple[str, bytes]]:
    seeds = []
    for folder in SEED_DIRS:
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix.lower() in SUFFIXES and path.is_file():
                    seeds.append((path.name, path.read_bytes()[:MAX_SEED]))
    return seeds


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3, 5, 10))):
        where = rng.randrange(len(out) + 1)
        kind = rng.randrange(6)
        if kind == 0 and out:
            out[min(where, len(out) - 1)] = rng.randrange(256)
        elif kind == 1:
            out[where:where] = rng.choice(SNIPPETS)
        elif kind == 2:
            out[where : where + rng.randrange(1, 200)] = b""
        elif kind == 3 and out:
            piece = bytes(out[where : where + rng.randrange(1, 100)])
            out[where:where] = piece * rng.randrange(1, 50)
        elif kind == 4:
            out[where:where] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20)))
        else:
            out[where:where] = rng.choice(SNIPPETS) * rng.randrange(1, 20)
    return bytes(out)


def _alarm(*_: Any) -> None:
    raise TimeoutError


def check(job: tuple[int, str, bytes]) -> tuple[int, str, str, str]:
    """(number, name, category, detail): category ok, refused, crash, hang, invalid, loss."""
    from fhir_export import segmentation, validation
    from fhir_export.article_export import export_article
    from fhir_export.errors import ExportError, InternalError
    from fhir_export.options import ExportOptions
    from fhir_export.sources import parse_article

    number, name, data = job
    signal.signal(signal.SIGPROF, _alarm)  # the process's CPU time
    signal.signal(signal.SIGALRM, _alarm)  # wall clock: a stage blocked without computing
    signal.setitimer(signal.ITIMER_PROF, TIMEOUT)
    signal.alarm(12 * TIMEOUT)
    try:
        try:
            exported = export_article(data, name, ExportOptions())
        except InternalError as exc:  # the alarm, raised inside a stage, arrives wrapped
            hang = exc.message.startswith("TimeoutError")
            return number, name, "hang" if hang else "crash", exc.message
        except ExportError:
            return number, name, "refused", ""
        except TimeoutError:
            return number, name, "hang", ""
        except Exception as exc:
            return number, name, "crash", f"{type(exc).__name__}: {exc}"[:200]
        issues = validation.validate(exported.outputs["json"], path=name)
        errors = [i for i in issues if i.severity == "error"]
        if errors:
            return number, name, "invalid", errors[0].line(name)[:200]
        if name.endswith((".txt", ".md", ".html", ".htm")):
            raw = parse_article(data, name=name, shown=name, max_bytes=10 * 1024 * 1024)
            article = segmentation.segment(raw)
            letters = any(c.isalpha() for c in data.decode("utf-8", "ignore")[:5000])
            if letters and not (article.text.strip() or (article.title or "").strip()):
                return number, name, "loss", "no text and no title"
        return number, name, "ok", ""
    except TimeoutError:
        return number, name, "hang", ""
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.alarm(0)


TIMEOUT = 5


def main() -> int:
    global TIMEOUT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="inputs to run")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--timeout", type=int, default=5, help="CPU seconds before a hang")
    parser.add_argument("--show", type=int, default=3, help="examples printed per category")
    parser.add_argument("--save", type=Path, default=None, help="write failing inputs here")
    args = parser.parse_args()
    TIMEOUT = args.timeout
    seeds = _seeds()
    if not seeds:
        print("no seed articles found", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)

    def jobs() -> Any:
        for number in range(args.n):
            name, data = rng.choice(seeds)
            yield number, f"fuzz-{number}{Path(name).suffix.lower()}", mutate(data, rng)

    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    saved: dict[int, bytes] = {}
    start = time.monotonic()
    with multiprocessing.Pool(args.jobs, maxtasksperchild=200) as pool:
        pending = jobs()
        for number, name, category, detail in pool.imap_unordered(check, pending, chunksize=4):
            counts[category] += 1
            if category not in ("ok", "refused"):
                examples.setdefault(category, []).append(f"{name}: {detail}")
                saved[number] = b""
            done = sum(counts.values())
            if done % 1000 == 0:
                print(f"{done} inputs, {time.monotonic() - start:.0f} s: {dict(counts)}",
                      file=sys.stderr, flush=True)
            if args.seconds is not None and time.monotonic() - start > args.seconds:
                pool.terminate()
                break
    elapsed = time.monotonic() - start
    total = sum(counts.values())
    rate = total / max(elapsed, 1e-9)
    print(f"{total} inputs in {elapsed:.0f} s ({rate:.1f}/s), seed {args.seed}")
    for category in ("ok", "refused", "crash", "hang", "invalid", "loss"):
        print(f"  {category}: {counts[category]}")
    for category, lines in sorted(examples.items()):
        signatures = Counter(line.split(": ", 1)[1][:80] for line in lines)
        print(f"{category}: {len(signatures)} signatures")
        for signature, n in signatures.most_common(args.show):
            print(f"  {n} x {signature}")
    if args.save is not None and saved:
        _save(args, seeds, saved)
    return 1 if any(counts[c] for c in ("crash", "hang", "invalid", "loss")) else 0


def _save(
    args: argparse.Namespace, seeds: list[tuple[str, bytes]], wanted: dict[int, bytes]
) -> None:
    """Regenerate the failing inputs (the same seed gives the same inputs) into args.save."""
    rng = random.Random(args.seed)
    args.save.mkdir(parents=True, exist_ok=True)
    for number in range(max(wanted) + 1):
        name, data = rng.choice(seeds)
        mutated = mutate(data, rng)
        if number in wanted:
            (args.save / f"fuzz-{number}{Path(name).suffix.lower()}").write_bytes(mutated)


if __name__ == "__main__":
    sys.exit(main())
