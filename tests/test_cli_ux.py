"""CLI conventions of issue 14: `-` for standard input (--name), --encoding, examples in every
--help, validate over NDJSON files and folders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from fhir_export.cli import main
from fhir_export.errors import ExitCode

LEAFLET = b"Warfarin (Coumadin) is a blood thinner taken by mouth. It can cause bleeding.\n"
CAFE = b"<html><body><h1>Caf\xe9 au lait</h1><p>Warfarin (Coumadin) can cause bleeding.</p>"


def run(*args: object, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], input=stdin, prog_name="fhir-export")


def doc(bundle: dict[str, Any]) -> dict[str, Any]:
    return dict(bundle["entry"][0]["resource"])


def test_stdin_to_stdout_with_the_default_name() -> None:
    result = run("export", "-", "--out", "-", stdin=LEAFLET)
    assert result.exit_code == ExitCode.OK, result.stderr
    bundle = json.loads(result.stdout)
    assert doc(bundle)["identifier"][0]["value"] == "stdin.txt"  # the documented default
    assert result.stderr.splitlines()[0].startswith("exported <stdin>: 1 medicine (1 coded)")


def test_stdin_with_a_name_into_a_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("export", "-", "--name", "guides/warfarin.html", "--out", out,
                 stdin=b"<h1>Warfarin</h1><p>" + LEAFLET + b"</p>")
    assert result.exit_code == ExitCode.OK, result.stderr
    target = out / "guides" / "warfarin.bundle.json"
    assert result.stdout == f"{target}\n"
    bundle = json.loads(target.read_text("utf-8"))
    assert doc(bundle)["identifier"][0]["value"] == "guides/warfarin.html"
    assert doc(bundle)["content"][0]["attachment"]["contentType"].startswith("text/html")
    assert (out / "manifest.json").is_file()
    # the same bytes from a file of that name below a root give the same bundle
    src = tmp_path / "src" / "guides"
    src.mkdir(parents=True)
    (src / "warfarin.html").write_bytes(b"<h1>Warfarin</h1><p>" + LEAFLET + b"</p>")
    again = run("export", tmp_path / "src", "--out", tmp_path / "out2")
    assert again.exit_code == ExitCode.OK, again.stderr
    assert (tmp_path / "out2" / "guides" / "warfarin.bundle.json").read_bytes() == (
        target.read_bytes())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-", "other.txt"), "- (standard input) is one article: give no other path"),
        (("-", "--format", "ndjson"), "- (standard input) writes one article's Bundle: not "
         "with --merge or --format ndjson (nor both with --out -)"),
        (("-", "--name", "page.exe"), "Invalid value for '--name': its suffix says how to "
         "read it: one of "),
        (("-", "--name", "../x.txt"), "Invalid value for '--name': a relative file name "
         "such as page.html or a/index.html"),
    ],
)
def test_stdin_usage_errors(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    result = run("export", *args, "--out", tmp_path / "out", stdin=LEAFLET)
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.splitlines()[-1].startswith(f"Error: {message}")
    assert not (tmp_path / "out").exists()


def test_empty_stdin_is_one_error_line() -> None:
    result = run("export", "-", "--out", "-", stdin=b"")
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert result.stderr.splitlines()[0] == "Error: <stdin>: file is empty."


def test_encoding_overrides_detection(tmp_path: Path) -> None:
    page = tmp_path / "cafe.html"
    page.write_bytes(CAFE)
    detected = run("export", page, "--out", "-")
    assert detected.exit_code == ExitCode.INPUT_FAILED
    assert "not valid UTF-8 (byte 0xe9 at offset" in detected.stderr
    assert "give --encoding" in detected.stderr
    forced = run("export", page, "--out", "-", "--encoding", "Windows-1252")
    assert forced.exit_code == ExitCode.OK, forced.stderr
    document = doc(json.loads(forced.stdout))
    assert document["description"] == "Café au lait"
    assert document["content"][0]["attachment"]["contentType"] == (
        "text/html; charset=windows-1252")
    piped = run("export", "-", "--name", "cafe.html", "--out", "-", "--encoding", "latin1",
                stdin=CAFE)
    assert doc(json.loads(piped.stdout))["description"] == "Café au lait"


def test_encoding_that_names_no_text_encoding_is_a_usage_error() -> None:
    result = run("export", "-", "--encoding", "rot13", stdin=LEAFLET)
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--encoding': 'rot13' names no text encoding (use a label "
        "such as utf-8, windows-1252, iso-8859-1, shift_jis, utf-16le)")


def test_wrong_encoding_is_reported_with_a_hint(tmp_path: Path) -> None:
    page = tmp_path / "a.txt"
    page.write_bytes(b"\xff\xfe\xfd" * 3)
    result = run("export", page, "--out", "-", "--encoding", "utf-8")
    assert result.stderr.splitlines()[0] == (
        f"Error: {page}: not valid UTF-8 as --encoding says (byte 0xff at offset 0). "
        "Check --encoding, or leave it out to detect the encoding.")


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("command", _commands(main), ids=" ".join)
def test_every_help_ends_with_examples(command: tuple[str, ...]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    text = result.stdout.rstrip()
    examples = text[text.rindex("Examples:"):].splitlines()[1:]
    lines = [line.strip() for line in examples if line.strip()]
    assert lines and all(line.startswith(("fhir-export ", "curl ", "FHIR_EXPORT_"))
                         for line in lines)


def test_validate_reads_ndjson_and_folders(tmp_path: Path) -> None:
    bulk = tmp_path / "bulk"
    exported = run("export", "-", "--format", "ndjson", "--out", bulk, stdin=LEAFLET)
    assert exported.exit_code == ExitCode.USAGE  # stdin is one Bundle; folders give NDJSON
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(LEAFLET)
    assert run("export", src, "--format", "ndjson", "--out", bulk).exit_code == 0
    good = run("validate", bulk)
    assert good.exit_code == ExitCode.OK, good.stdout + good.stderr
    names = [line.split(":")[0] for line in good.stderr.splitlines()]
    assert names == sorted(str(p) for p in bulk.glob("*.ndjson"))  # not manifest.json
    bad = tmp_path / "mixed.ndjson"
    bad.write_text(
        '{"resourceType": "Patient", "id": "p1"}\n\n'
        '{"resourceType": "Observation", "id": "o1", "status": "final"}\n', encoding="utf-8")
    result = run("validate", bad)
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert f"{bad}: error: Observation.code: line 3: Field required" in result.stdout
    assert result.stderr.splitlines() == [f"{bad}: 1 error, 1 other issue"]
    empty = tmp_path / "empty.ndjson"
    empty.write_text("\n", encoding="utf-8")
    assert run("validate", empty).stdout == (
        f"{empty}: error: (document): no resource: the NDJSON file is empty\n")


def test_operationoutcome_of_several_files_is_one_valid_bundle(tmp_path: Path) -> None:
    from fhir_export import validation

    golden = Path(__file__).parent / "data" / "golden" / "immunotherapy.json"
    bad = tmp_path / "observation.json"
    bad.write_text('{"resourceType": "Observation", "status": "final"}', encoding="utf-8")
    result = run("validate", golden, bad, "--format", "operationoutcome")
    assert result.exit_code == ExitCode.INPUT_FAILED
    bundle = json.loads(result.stdout)  # one JSON document, not two
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    assert [e["fullUrl"] for e in bundle["entry"]] == [golden.resolve().as_uri(),
                                                       bad.resolve().as_uri()]
    assert bundle["entry"][1]["resource"]["issue"][0]["severity"] == "error"
    issues = validation.validate(result.stdout_bytes, path="outcomes.json")
    assert not validation.has_errors(issues), issues
    single = run("validate", bad, "--format", "operationoutcome")
    assert json.loads(single.stdout)["resourceType"] == "OperationOutcome"  # as before


def test_stdin_honours_report_and_refuses_html(tmp_path: Path) -> None:
    report = tmp_path / "run.json"
    result = run("export", "-", "--out", "-", "--report", report, stdin=LEAFLET)
    assert result.exit_code == ExitCode.OK, result.stderr
    (row,) = json.loads(report.read_text("utf-8"))["articles"]
    assert (row["path"], row["status"], row["medicines"]) == (
        "<stdin>", "exported", {"coded": 1, "uncoded": 0})
    html = run("export", "-", "--out", tmp_path / "out", "--html", tmp_path / "site",
               stdin=LEAFLET)
    assert html.exit_code == ExitCode.USAGE
    assert "run `fhir-export preview OUT` on the output folder instead" in html.stderr
