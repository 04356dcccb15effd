"""A 1,000-article corpus into a local HAPI FHIR JPA server: export, push, push again, rename
every file and push again, push the merged output, push per-article again.

The articles are copies of the seed (source/immunotherapy.txt) as Markdown, each with a
canonical URL of its own in its front matter (so each is its own article, with its own ids
and identifiers). Exported (R4 by default), pushed into the HAPI server the tests build
(started here; --no-client-ids starts it with client ids NOT_ALLOWED, pushed with --id-mode
conditional), pushed again; then every file is renamed (its canonical URL keeps its identity),
re-exported into the same folder and pushed; then the corpus is exported with --merge into a
folder of its own and pushed, and the per-article folder pushed once more; then counted on the
server: every resource of every exported type read back and keyed by its identifier, else our
id (carried as a tag after a conditional push). Prints the figures and exits 1 if a re-push or
the push after the rename created or updated anything, if the merged push or the per-article
push after it updated anything (one id, one content), or if the server does not hold every
exported resource exactly once by that key (a duplicate or a loss).

    .venv/bin/python benchmarks/push_corpus.py [--articles 1000] [--fhir-version R4]
        [--no-client-ids] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from push_throughput import start_hapi  # benchmarks/ is on sys.path when run as a script

from fhir_export.push_ids import TAG_SYSTEM, business_identifier

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "source" / "immunotherapy.txt"


def run(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "fhir_export", *args], capture_output=True, text=True,
        check=False, cwd=ROOT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"fhir-export {args[0]} exited {done.returncode}")
    return seconds, done.stderr.strip().splitlines()[-1]


def key(resource: dict[str, Any]) -> str:
    """'Type identifier|system|value', else 'Type id|<our id>' (its id, or after a
    conditional push the tag that carries it): how a resource of ours is found on the server
    in either id mode."""
    kind = resource["resourceType"]
    found = business_identifier(resource)
    if found is not None:
        return f"{kind} identifier|{found[0]}|{found[1]}"
    tags = [t["code"] for t in (resource.get("meta") or {}).get("tag") or []
            if t.get("system") == TAG_SYSTEM]
    return f"{kind} id|{tags[0] if tags else resource['id']}"


def held_keys(url: str, kind: str) -> list[str]:
    """key() of every `kind` resource the server holds (every page of a search, no cache)."""
    keys: list[str] = []
    page: str | None = f"{url}/{kind}?_elements=identifier,meta&_count=1000"
    while page is not None:
        answer = httpx.get(page, headers={"Cache-Control": "no-cache"}, timeout=300).json()
        keys += [key(e["resource"]) for e in answer.get("entry") or []]
        page = next((link["url"] for link in answer.get("link") or []
                     if link["relation"] == "next"), None)
    return keys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--fhir-version", default="R4", choices=["R4", "R5"])
    parser.add_argument("--no-client-ids", action="store_true")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    seed = SEED.read_text("utf-8")
    with tempfile.TemporaryDirectory(prefix="push-corpus-") as tmp:
        articles, out, merged = Path(tmp) / "articles", Path(tmp) / "out", Path(tmp) / "merged"
        articles.mkdir()
        for n in range(args.articles):
            (articles / f"a{n:04d}.md").write_text(
                f"---\ncanonical: https://example.org/corpus/{n:04d}\n---\n{seed}", "utf-8")
        seconds, line = run("export", str(articles), "--out", str(out), "--fhir-version",
                            args.fhir_version, "--jobs", "2")
        print(f"export: {args.articles} articles in {seconds:.1f} s ({line})")
        exported: set[str] = set()  # distinct resources, as keyed by key()
        for path in out.glob("*.bundle.json"):
            exported |= {key(entry["resource"])
                         for entry in json.loads(path.read_text("utf-8"))["entry"]}
        flags = ["--no-client-ids"] if args.no_client_ids else []
        mode = ["--id-mode", "conditional"] if args.no_client_ids else []
        process, url = start_hapi(args.fhir_version, *flags)
        try:
            push = ["push", str(out), "--server", url, "--concurrency", str(args.concurrency),
                    *mode]
            first, first_line = run(*push)
            print(f"push: {first:.1f} s: {first_line}")
            again, again_line = run(*push)
            print(f"push again: {again:.1f} s: {again_line}")
            for path in sorted(articles.glob("*.md")):
                path.rename(path.with_name(f"renamed-{path.name}"))
            seconds, line = run("export", str(articles), "--out", str(out), "--fhir-version",
                                args.fhir_version, "--jobs", "2")
            print(f"export after renaming every file: {seconds:.1f} s ({line})")
            renamed, renamed_line = run(*push)
            print(f"push after the rename: {renamed:.1f} s: {renamed_line}")
            seconds, line = run("export", str(articles), "--out", str(merged), "--merge",
                                "--fhir-version", args.fhir_version)
            print(f"export --merge: {seconds:.1f} s ({line})")
            for path in merged.glob("*.json"):
                if path.name != "manifest.json":
                    exported |= {key(entry["resource"])
                                 for entry in json.loads(path.read_text("utf-8"))["entry"]}
            per_type = Counter(k.split(" ")[0] for k in exported)
            push_merged = ["push", str(merged), "--server", url, "--concurrency",
                           str(args.concurrency), *mode]
            whole, whole_line = run(*push_merged)
            print(f"push merged: {whole:.1f} s: {whole_line}")
            last, last_line = run(*push)
            print(f"push per-article after merged: {last:.1f} s: {last_line}")
            started = time.perf_counter()
            held = Counter(k for kind in sorted(per_type) for k in held_keys(url, kind))
            print(f"read back every resource's key: {time.perf_counter() - started:.1f} s")
        finally:
            assert process.stdin is not None
            process.stdin.close()
            process.wait(60)
    held_types = Counter(k.split(" ")[0] for k in held)
    twice = sorted(k for k, n in held.items() if n > 1)
    lost = sorted(exported - set(held))
    print("on the server per type (exported distinct / held): " + ", ".join(
        f"{kind} {per_type[kind]}/{held_types[kind]}" for kind in sorted(per_type)))
    print(f"by identifier, else our id: {len(exported)} exported, {len(twice)} held twice or "
          f"more, {len(lost)} not held" + "".join(f"\n  twice: {k}" for k in twice[:10])
          + "".join(f"\n  lost: {k}" for k in lost[:10]))
    still = r" 0 created, 0 updated, \d+ unchanged, 0 failed"
    ok = (
        all(re.search(still, line) for line in (again_line, renamed_line, last_line))
        and re.search(r" 0 updated, .* 0 failed", whole_line)
        and set(held) == exported and not twice
    )
    print("converged: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
