"""Clean runs: every export writes manifest.json (files, inputs, sha256, counts, errors); files
an earlier run wrote and this one did not are removed, others are left alone and reported;
`push DIR` sends exactly what the manifest lists and refuses a folder that disagrees with it."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import ARTICLES, SEED
from test_push import FakeFhir, fhir  # noqa: F401 - the fake server fixture

from fhir_export.cli import main

SECOND = ARTICLES / "interferon-leaflet.txt"


def _inputs(tmp_path: Path, *articles: Path) -> Path:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    shutil.copy(articles[0], folder / articles[0].name)
    for article in articles[1:]:
        shutil.copy(article, folder / "sub" / article.name)
    return folder


def _export(source: Path, out: Path, *extra: str, code: int = 0) -> Result:
    result = CliRunner().invoke(
        main, ["export", str(source), "--out", str(out), "--jobs", "1", *extra])
    assert result.exit_code == code, result.stderr
    return result


def _run(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "manifest.json").read_text("utf-8"))
    return dict(data["extension"]["fhir-export"])


def _push(*args: str) -> Result:
    return CliRunner().invoke(main, ["push", *args], env={})


@pytest.mark.parametrize("extra", [(), ("--format", "xml"), ("--format", "both"), ("--merge",),
                                   ("--format", "ndjson")])
def test_every_format_writes_a_deterministic_manifest(tmp_path: Path,
                                                      extra: tuple[str, ...]) -> None:
    source = _inputs(tmp_path, SEED, SECOND)
    _export(source, tmp_path / "a", *extra)
    _export(source, tmp_path / "b", *extra)
    first, second = (tmp_path / "a/manifest.json", tmp_path / "b/manifest.json")
    assert first.read_bytes() == second.read_bytes()
    run = _run(tmp_path / "a")
    on_disk = sorted(p.relative_to(tmp_path / "a").as_posix()
                     for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert sorted([f["path"] for f in run["files"]] + ["manifest.json"]) == on_disk
    for item in run["files"]:
        data = (tmp_path / "a" / item["path"]).read_bytes()
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
        assert item["bytes"] == len(data)
        assert sum(item["resources"].values()) >= 1
    assert [i["path"] for i in run["inputs"]] == [
        str(source / SEED.name), str(source / "sub" / SECOND.name)]
    assert all(i["status"] == "exported" and i["outputs"] for i in run["inputs"])
    assert run["errors"] == [] and run["version"] == 1
    assert "Time" not in json.dumps(run)  # no wall clock in our part
    if "ndjson" in extra:  # the Bulk Data shape stays, ours beside it
        bulk = json.loads((tmp_path / "a/manifest.json").read_text("utf-8"))
        assert {"transactionTime", "request", "requiresAccessToken", "output", "error"} <= set(bulk)
        assert [f["path"] for f in run["files"]] == [o["url"] for o in bulk["output"]]


def test_per_article_counts_and_inputs(tmp_path: Path) -> None:
    source = _inputs(tmp_path, SEED, SECOND)
    _export(source, tmp_path / "out", "--format", "both")
    run = _run(tmp_path / "out")
    assert [f["path"] for f in run["files"]] == [
        "immunotherapy.bundle.json", "immunotherapy.bundle.xml",
        "sub/interferon-leaflet.bundle.json", "sub/interferon-leaflet.bundle.xml"]
    bundle = json.loads((tmp_path / "out/immunotherapy.bundle.json").read_text("utf-8"))
    kinds: dict[str, int] = {}
    for entry in bundle["entry"]:
        kinds[entry["resource"]["resourceType"]] = kinds.get(entry["resource"]["resourceType"],
                                                             0) + 1
    assert run["files"][0]["resources"] == run["files"][1]["resources"] == dict(sorted(
        kinds.items()))
    assert run["inputs"][0]["outputs"] == ["immunotherapy.bundle.json",
                                           "immunotherapy.bundle.xml"]


def test_clean_run_removes_earlier_outputs_and_leaves_others_alone(tmp_path: Path) -> None:
    source = _inputs(tmp_path, SEED, SECOND)
    out = tmp_path / "out"
    _export(source, out)
    (out / "x.json").write_text("{}", "utf-8")  # the user's own file
    (out / "notes.txt").write_text("mine", "utf-8")  # push never reads it: not reported
    (source / "sub" / SECOND.name).unlink()  # an article deleted since
    result = _export(source, out)
    assert not (out / "sub").exists()  # its bundle and the folder mirrored for it
    lines = result.stderr.splitlines()
    assert f"removed: {out / 'sub' / 'interferon-leaflet.bundle.json'}, written by an earlier " \
           "run, not by this one" in lines
    assert f"left alone: {out / 'x.json'}, not written by fhir-export" in lines
    assert (out / "x.json").exists() and (out / "notes.txt").exists()
    # then --merge into the same folder: the per-article bundle goes, the corpus stays alone
    merged = _export(source, out, "--merge")
    assert sorted(p.name for p in out.iterdir()) == [
        "corpus.bundle.json", "manifest.json", "notes.txt", "x.json"]
    assert f"removed: {out / 'immunotherapy.bundle.json'}, written by an earlier run, not " \
           "by this one" in merged.stderr
    # an output the user changed since is not removed
    corpus = out / "corpus.bundle.json"
    corpus.write_bytes(corpus.read_bytes() + b" ")
    again = _export(source, out)
    assert corpus.exists()
    assert f"left alone: {corpus}, changed since fhir-export wrote it" in again.stderr
    # the same run again removes nothing and reports the same
    same = _export(source, out)
    assert "removed:" not in same.stderr


def test_failed_article_keeps_its_previous_output_listed(tmp_path: Path) -> None:
    source = _inputs(tmp_path, SEED, SECOND)
    out = tmp_path / "out"
    _export(source, out)
    before = _run(out)
    (source / "sub" / SECOND.name).write_bytes(b"")  # now fails: an empty file
    result = _export(source, out, code=1)
    assert "removed:" not in result.stderr
    run = _run(out)
    assert [f["path"] for f in run["files"]] == [f["path"] for f in before["files"]]
    failed = [i for i in run["inputs"] if i["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["outputs"] == ["sub/interferon-leaflet.bundle.json"]
    assert len(run["errors"]) == 1 and run["errors"][0].startswith("Error: ")


def test_push_sends_what_the_manifest_lists_in_order(fhir: FakeFhir, tmp_path: Path) -> None:  # noqa: F811
    source = _inputs(tmp_path, SEED, SECOND)
    out = tmp_path / "out"
    _export(source, out, "--format", "both")
    stray = out / "stray.bundle.json"  # not listed: not sent
    shutil.copy(out / "immunotherapy.bundle.json", stray)
    result = _push(str(out), "--server", fhir.url)
    assert result.exit_code == 0, result.stderr
    sent = [seen.body for seen in fhir.seen]
    assert sent == [json.loads((out / name).read_text("utf-8")) for name in (
        "immunotherapy.bundle.json", "sub/interferon-leaflet.bundle.json")]  # no XML twice


def test_push_refuses_a_folder_that_disagrees_with_its_manifest(
    fhir: FakeFhir, tmp_path: Path  # noqa: F811
) -> None:
    source = _inputs(tmp_path, SEED, SECOND)
    out = tmp_path / "out"
    _export(source, out)
    changed = out / "sub" / "interferon-leaflet.bundle.json"
    changed.write_bytes(changed.read_bytes().replace(b'"transaction"', b'"batch"', 1))
    result = _push(str(out), "--server", fhir.url)
    assert result.exit_code == 6
    assert result.stderr.splitlines() == [
        f"Error: {out / 'manifest.json'}: sub/interferon-leaflet.bundle.json is not the file "
        "it lists (sha256 differs: changed since the export). Export again into this folder, "
        "or push the files by name."]
    changed.unlink()
    missing = _push(str(out), "--server", fhir.url)
    assert missing.exit_code == 6
    assert missing.stderr.splitlines() == [
        f"Error: {out / 'manifest.json'}: lists sub/interferon-leaflet.bundle.json, which is "
        "missing. Export again into this folder, or push the files by name."]
    assert fhir.seen == []  # nothing sent


def test_push_ndjson_sends_only_listed_files(fhir: FakeFhir, tmp_path: Path) -> None:  # noqa: F811
    source = _inputs(tmp_path, SEED)
    out = tmp_path / "bulk"
    _export(source, out, "--format", "ndjson")
    (out / "Patient.ndjson").write_text(  # a previous run's or someone else's file
        '{"resourceType": "Patient", "id": "p1"}\n', "utf-8")
    listed = sum(len((out / o["url"]).read_text("utf-8").splitlines())
                 for o in json.loads((out / "manifest.json").read_text("utf-8"))["output"])
    result = _push(str(out), "--server", fhir.url)
    assert result.exit_code == 0, result.stderr
    sent = [e["request"]["url"] for seen in fhir.seen for e in seen.body["entry"]]
    assert len(sent) == listed and "Patient/p1" not in sent
    # a Bulk Data manifest without our record (an earlier release, another exporter):
    # only its listed files, checked to exist
    bulk = json.loads((out / "manifest.json").read_text("utf-8"))
    del bulk["extension"]
    bulk["output"].append({"type": "Basic", "url": "Basic.ndjson", "count": 1})
    (out / "manifest.json").write_text(json.dumps(bulk), "utf-8")
    gone = _push(str(out), "--server", fhir.url)
    assert gone.exit_code == 6 and "lists Basic.ndjson, which is missing" in gone.stderr


@pytest.mark.parametrize("mode", [[], ["--merge"], ["--format", "ndjson"]],
                         ids=["per-article", "merge", "ndjson"])
def test_inputs_record_their_identity_and_the_identities_they_had(
    tmp_path: Path, mode: list[str]
) -> None:
    """An article whose identity changes (it gains a canonical URL, then another) keeps the
    earlier ones in its input record, newest first, for push to look for (push_prune), in
    every output mode (--merge recorded none before)."""
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    text = (ARTICLES / "atorvastatin-encyclopedia.md").read_text("utf-8")
    article = source / "a.md"
    path_identity = {"system": "urn:uuid:d30eb587-a42c-53b6-9425-5c3233160b53", "value": "a.md"}
    seen = []
    for url in (None, "https://example.org/one", "https://example.org/two",
                "https://example.org/two"):
        article.write_text(f"---\ncanonical: {url}\n---\n{text}" if url else text, "utf-8")
        _export(source, out, *mode)
        (row,) = _run(out)["inputs"]
        seen.append((row["identity"], row.get("previousIdentities", [])))
    one = {"system": "urn:ietf:rfc:3986", "value": "https://example.org/one"}
    two = {"system": "urn:ietf:rfc:3986", "value": "https://example.org/two"}
    assert seen == [(path_identity, []), (one, [path_identity]), (two, [one, path_identity]),
                    (two, [one, path_identity])]
