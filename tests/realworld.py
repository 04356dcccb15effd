"""Extraction quality on the real-world development corpus (../shared/realworld).

Shared by tests/test_realworld.py (floors that cannot drop silently) and
benchmarks/extraction_quality.py (prints the figures). Each article is exported in memory with
the library (the R4 Bundle JSON the CLI would write, byte for byte) and scored by the corpus's
own score.py, imported from the shared folder and run in-process: the figures are score.py's,
not a re-implementation. The totals are summed and rounded as score_corpus.py does.

The articles stay in the shared folder: they are third-party publications and are never copied
into this repository. Every article is scored (text, Markdown, HTML, FDA SPL XML and PDF); the
floors hold on the text, Markdown and HTML ones (FLOORED_SUFFIXES), and the SPL labels and PDF
leaflets and consent forms are scored beside them until their figures reach the floors.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import json
import os
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from fhir_export.errors import ExportError
from fhir_export.extraction import extract
from fhir_export.model import Extraction
from fhir_export.options import ExportOptions, OutputFormat
from fhir_export.pipeline import render
from fhir_export.report import ExportReport
from fhir_export.segmentation import segment
from fhir_export.sources import read_article
from fhir_export.terminology import default_lexicon

ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "FHIR_EXPORT_REALWORLD"
SCORED_SUFFIXES = (".txt", ".md", ".html", ".xml", ".pdf")
# The floors (tests/data/quality_floors.toml) were set on these; FDA SPL labels (.xml) and PDFs
# are exported, snapshot and scored beside them, and held to the floors once they reach them.
FLOORED_SUFFIXES = (".txt", ".md", ".html")
PDF_SUFFIXES = (".pdf",)
# score_corpus.py's kinds, in its order; brands and routes have no precision there
KINDS = ("medicines", "brands", "indications", "side_effects", "routes", "screening")


def realworld_dir() -> Path:
    """$FHIR_EXPORT_REALWORLD, else <repo>/../shared/realworld (it may not exist)."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured) if configured else (ROOT.parent / "shared" / "realworld").resolve()


def missing_reason(corpus: Path) -> str | None:
    """Why the corpus cannot be scored, or None when it can."""
    for part in ("score.py", "articles", "golden"):
        if not (corpus / part).exists():
            return (f"real-world corpus not found: {corpus / part} is missing "
                    f"(set {ENV_VAR} or put it at <repo>/../shared/realworld)")
    return None


@cache
def score_module(corpus: Path) -> ModuleType:
    """The corpus's score.py, imported as a module (its functions, not a copy of them)."""
    spec = importlib.util.spec_from_file_location("realworld_score", corpus / "score.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {corpus / 'score.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def score_bundle(corpus: Path, bundle_json: str, golden: Path) -> dict[str, Any]:
    """score.py's metrics for one Bundle: its main() run in-process on in-memory files, exactly
    as `score.py BUNDLE GOLDEN --json` prints them."""
    module = score_module(corpus)
    files = {"<bundle>": bundle_json, str(golden): golden.read_text("utf-8")}
    setattr(module, "open", lambda name, *_a, **_k: io.StringIO(files[str(name)]))  # noqa: B010
    argv, out = sys.argv, io.StringIO()
    sys.argv = ["score.py", "<bundle>", str(golden), "--json"]
    try:
        with contextlib.redirect_stdout(out):
            module.main()
    finally:
        sys.argv = argv
        delattr(module, "open")
    metrics: dict[str, Any] = json.loads(out.getvalue())
    return metrics


def articles(corpus: Path, suffixes: tuple[str, ...] = SCORED_SUFFIXES) -> list[Path]:
    """The scored articles (files with one of `suffixes`) that have a golden file."""
    golden = corpus / "golden"
    return sorted(p for p in (corpus / "articles").iterdir()
                  if p.suffix in suffixes and (golden / f"{p.stem}.json").exists())


@dataclass
class Run:
    """One scoring run over the corpus, in score_corpus.py's terms."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # slug -> score.py metrics
    failures: dict[str, str] = field(default_factory=dict)  # slug -> export error
    extractions: dict[str, Extraction] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    suffixes: dict[str, str] = field(default_factory=dict)  # slug -> the article's suffix

    def add(self, slug: str, metrics: dict[str, Any]) -> None:
        self.rows[slug] = metrics
        for k, v in metrics.items():
            if isinstance(v, int) and not isinstance(v, bool):
                self.totals[k] = self.totals.get(k, 0) + v

    def subset(self, suffixes: tuple[str, ...]) -> Run:
        """The same run over the articles with one of `suffixes` only (totals summed again)."""
        part = Run()
        for slug, metrics in self.rows.items():
            if self.suffixes.get(slug) in suffixes:
                part.suffixes[slug] = self.suffixes[slug]
                part.add(slug, metrics)
                if slug in self.extractions:
                    part.extractions[slug] = self.extractions[slug]
        part.failures = {s: e for s, e in self.failures.items() if self.suffixes.get(s) in suffixes}
        return part

    def ratio(self, found: str, of: str) -> float | None:
        t = self.totals
        return round(t.get(found, 0) / t[of], 3) if t.get(of) else None

    @property
    def kinds(self) -> dict[str, dict[str, float | None]]:
        """{kind: {"recall": r, "precision": p}} as score_corpus.py --json reports them."""
        t = self.totals
        out: dict[str, dict[str, float | None]] = {"medicines": {
            "recall": self.ratio("meds_found", "meds_required"),
            "precision": round((t.get("mk_total", 0) - t.get("mk_unmatched", 0)) / t["mk_total"], 3)
            if t.get("mk_total") else None}}
        for k in KINDS[1:]:
            out[k] = {"recall": self.ratio(f"{k}_found", f"{k}_required"),
                      "precision": self.ratio(f"{k}_extracted_ok", f"{k}_extracted")}
        return out

    @property
    def invented(self) -> list[str]:
        return [f"{slug}: {a}" for slug, m in self.rows.items() for a in m["absent_violations"]]


def evaluate(corpus: Path | None = None, suffixes: tuple[str, ...] = SCORED_SUFFIXES) -> Run:
    """Export and score every scored article of the corpus with one of `suffixes` (about 7 s
    for 36 articles)."""
    corpus = corpus or realworld_dir()
    lexicon = default_lexicon()
    options = ExportOptions(output_format=OutputFormat.JSON)  # the CLI's defaults: R4, json
    run = Run()
    for path in articles(corpus, suffixes):
        slug = path.stem
        run.suffixes[slug] = path.suffix
        try:
            outputs, _ = render(path, options, ExportReport(), lexicon)
            raw = read_article(path, max_bytes=options.max_bytes)
            run.extractions[slug] = extract(segment(raw), lexicon)
        except ExportError as exc:
            run.failures[slug] = str(exc)
            continue
        run.add(slug, score_bundle(corpus, outputs["json"].decode("utf-8"),
                                   corpus / "golden" / f"{slug}.json"))
    return run


def nested_functions(corpus: Path, *names: str) -> dict[str, Any]:
    """Functions score.py defines inside its main() (parts, matches, ...), compiled from its own
    source at module level over score.py's globals, so they can be called on their own."""
    module = score_module(corpus)
    tree = ast.parse((corpus / "score.py").read_text("utf-8"))
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    defs = [n for n in main.body if isinstance(n, ast.FunctionDef) and n.name in names]
    namespace = dict(vars(module))
    exec(compile(ast.Module(body=defs, type_ignores=[]), "score.py", "exec"), namespace)  # noqa: S102
    return {name: namespace[name] for name in names}
