"""ExportOptions: everything a run can be told, frozen."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class BundleType(StrEnum):
    TRANSACTION = "transaction"
    BATCH = "batch"
    COLLECTION = "collection"


class OutputFormat(StrEnum):
    JSON = "json"
    XML = "xml"
    BOTH = "both"
    NDJSON = "ndjson"  # FHIR Bulk Data: one file per resource type for the whole run

    def suffixes(self) -> tuple[str, ...]:
        if self is OutputFormat.BOTH:
            return ("json", "xml")
        if self is OutputFormat.NDJSON:
            return ()  # written by pipeline.export_ndjson, not per article
        return (self.value,)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportOptions:
    bundle_type: BundleType = BundleType.TRANSACTION
    output_format: OutputFormat = OutputFormat.JSON
    # Provenance.recorded when the article has no date (ISO 8601); else SOURCE_DATE_EPOCH;
    # else the article's own date. Never the wall clock.
    recorded: str | None = None
    source_date_epoch: int | None = None  # the reproducible-builds convention
    max_bytes: int = 10 * 1024 * 1024  # larger articles are refused, not truncated
    lexicons: tuple[Path, ...] = ()  # user lexicon files, added to the shipped one
    fhir_version: str = "R4"  # "R4" (4.0.1) or "R5" (5.0.0): the release the bundles are in
    follow_symlinks: bool = False  # follow symlinks out of the input root, and symlinked folders
    jobs: int = 1  # worker processes for export and --format ndjson (1: in this process)
    encoding: str | None = None  # --encoding: text articles' codec, over BOM, <meta> and UTF-8
    article_timeout: float = 300.0  # seconds one article may take (read to serialize); 0: none
