"""The Dask example (fhir_export/dask_bag.py) on Dask's local schedulers gives the resources
`export --format ndjson` gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ARTICLES

from fhir_export import pipeline
from fhir_export.dask_bag import ndjson_partitions  # imports dask when called
from fhir_export.options import BundleType, ExportOptions, OutputFormat

pytest.importorskip("dask", reason="the dask extra is not installed (pip install '.[dask]')")

NAMES = ("warfarin-hospital-guide.html", "amlodipine-leaflet-uk.txt", "infliximab-guide.md",
         "adalimumab-drug-page.html", "atorvastatin-encyclopedia.md",
         "apixaban-vs-rivaroxaban.html")


def _lines(folder: Path) -> list[str]:
    return [line for p in sorted(folder.glob("*.ndjson"))
            for line in p.read_text("utf-8").splitlines()]


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_dask_gives_the_resources_the_command_line_gives(tmp_path: Path, scheduler: str) -> None:
    articles = tmp_path / "articles"
    (articles / "sub").mkdir(parents=True)
    for n, name in enumerate(NAMES):
        shutil.copyfile(ARTICLES / name, articles / ("sub" if n % 2 else "") / name)
    (articles / "empty.txt").write_text("", encoding="utf-8")  # fails in both

    cli = tmp_path / "cli"
    report = pipeline.export_ndjson([str(articles)], cli, ExportOptions(
        output_format=OutputFormat.NDJSON, bundle_type=BundleType.BATCH, jobs=1))
    out = tmp_path / "dask"
    errors = ndjson_partitions([str(articles)], str(out), npartitions=3, scheduler=scheduler)

    assert errors == [e.line() for e in report.errors]
    assert len(list(out.glob("part-*.ndjson"))) == 3
    ours = _lines(out)
    theirs = _lines(cli)
    assert sorted(ours) == sorted(theirs)  # the same resources, byte for byte, each once
    keys = [(r["resourceType"], r["id"]) for r in map(json.loads, ours)]
    assert len(keys) == len(set(keys))
    assert all(p.read_bytes().endswith(b"}\n") for p in out.glob("*.ndjson"))
