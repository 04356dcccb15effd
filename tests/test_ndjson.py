"""NDJSON bulk output: one file per resource type, one resource per line, and a manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conformance import require_schemas, validate_r4_json
from conftest import ARTICLES, EXPECTATIONS, SEED

from fhir_export.cli import main


def _export(tmp_path: Path, *extra: str) -> tuple[Path, dict]:  # type: ignore[type-arg]
    out = tmp_path / "bulk"
    result = CliRunner().invoke(main, ["export", str(SEED.parent), str(ARTICLES), "--format",
                                       "ndjson", "--out", str(out), *extra])
    assert result.exit_code == 0, result.stderr
    return out, json.loads((out / "manifest.json").read_text("utf-8"))


def test_manifest_lists_every_file_with_its_count(tmp_path: Path) -> None:
    out, manifest = _export(tmp_path)
    dates = [json.loads(p.read_text("utf-8"))["date"] for p in EXPECTATIONS.glob("*.json")]
    newest = max(d for d in dates if d)  # the newest article's date, as expectations state it
    assert manifest["transactionTime"] == f"{newest}T00:00:00Z"
    assert manifest["requiresAccessToken"] is False and manifest["error"] == []
    files = sorted(p.name for p in out.glob("*.ndjson"))
    assert [o["url"] for o in manifest["output"]] == files
    for item in manifest["output"]:
        lines = (out / item["url"]).read_text("utf-8").splitlines()
        assert len(lines) == item["count"] > 0
        assert all(json.loads(line)["resourceType"] == item["type"] for line in lines)


def test_each_resource_once_references_relative_and_resolvable(tmp_path: Path) -> None:
    require_schemas()
    out, _ = _export(tmp_path)
    held: set[str] = set()
    resources = []
    for path in out.glob("*.ndjson"):
        for line in path.read_text("utf-8").splitlines():
            resource = json.loads(line)
            key = f"{resource['resourceType']}/{resource['id']}"
            assert key not in held
            held.add(key)
            resources.append(resource)
            assert validate_r4_json(resource) == []

    def refs(value: object) -> list[str]:
        if isinstance(value, dict):
            own = [value["reference"]] if isinstance(value.get("reference"), str) else []
            return own + [r for v in value.values() for r in refs(v)]
        if isinstance(value, list):
            return [r for v in value for r in refs(v)]
        return []

    found = [r for resource in resources for r in refs(resource)]
    assert found and all(not r.startswith("urn:uuid:") for r in found)
    assert set(found) <= held


def test_deterministic_and_recorded_option(tmp_path: Path) -> None:
    first, _ = _export(tmp_path / "a")
    second, _ = _export(tmp_path / "b")
    for path in [*first.glob("*.ndjson"), first / "manifest.json"]:
        assert path.read_bytes() == (second / path.name).read_bytes()
    _, manifest = _export(tmp_path / "c", "--recorded", "2025-01-01T00:00:00Z")
    assert manifest["transactionTime"] == "2025-01-01T00:00:00Z"


@pytest.mark.parametrize("extra", [["--out", "-"]])
def test_ndjson_cannot_go_to_stdout(tmp_path: Path, extra: list[str]) -> None:
    result = CliRunner().invoke(main, ["export", str(SEED), "--format", "ndjson", *extra])
    assert result.exit_code == 2
