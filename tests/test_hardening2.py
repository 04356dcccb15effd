"""Hardening, part 2 (issue #15): hostile FHIR for convert and validate, symlinks and bounds,
operator mistakes. Every hostile input is written by the test itself; the contract is the one
of tests/test_hardening.py: one `Error: <path>: ...` line per bad input, never a traceback,
the other inputs still handled, the documented exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_hardening import NAMES, _bundles, assert_no_traceback, error_lines, run, three_articles

from fhir_export.errors import ExitCode

XHTML = "http://www.w3.org/1999/xhtml"


def _patient(div: Any) -> str:
    return json.dumps({"resourceType": "Patient", "text": {"status": "generated", "div": div}})


# each of these once ended `convert` with a traceback
HOSTILE: dict[str, tuple[str, str]] = {
    "empty-div.json": (_patient(""), "the narrative Patient.text.div is empty"),
    "doctype-div.json": (
        _patient(f'<!DOCTYPE x [<!ENTITY a "aaaa">]><div xmlns="{XHTML}">&a;</div>'),
        "the narrative Patient.text.div has a DOCTYPE or ENTITY declaration (refused; entities "
        "are never expanded)",
    ),
    "entity-div.json": (
        _patient(f'<div xmlns="{XHTML}">&a;</div>'),
        "the narrative Patient.text.div is not well-formed XHTML (Entity 'a' not defined, "
        "line 1, column 46)",
    ),
    "extra-after-div.json": (
        _patient(f'<div xmlns="{XHTML}">x</div><p>more</p>'),
        "the narrative Patient.text.div is not well-formed XHTML (Extra content at the end of "
        "the document, line 1, column 50)",
    ),
    "deep.json": ("[" * 100_000 + "]" * 100_000, "JSON nested deeper than 100 levels"),
    "deep-inside.json": (
        '{"resourceType": "Patient", "extension": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "JSON nested deeper than 100 levels",
    ),
    "type-error.json": (  # the models raise TypeError on a number as an entry's resourceType
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": {"resourceType": 5}}],
            }
        ),
        'not valid FHIR R4 or R5 (can only concatenate str (not "int") to str)',
    ),
    "wrong-type.json": (
        json.dumps({"resourceType": "Patient", "name": 5}),
        "not valid FHIR R4 or R5 (name: Input should be a valid list)",
    ),
    "doctype.xml": (
        '<?xml version="1.0"?><!DOCTYPE Patient [<!ENTITY a "aaaa">]>'
        '<Patient xmlns="http://hl7.org/fhir"><id value="&a;"/></Patient>',
        "XML with a DOCTYPE is refused (entities are never expanded)",
    ),
    "deep-elements.xml": (
        '<Patient xmlns="http://hl7.org/fhir">' + "<extension>" * 150 + "</extension>" * 150
        + "</Patient>",
        "XML nested deeper than 100 levels",
    ),
}


def test_convert_reports_hostile_fhir_one_line_each_and_converts_the_rest(
    tmp_path: Path,
) -> None:
    good = _bundles(tmp_path)
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    for name, (content, _) in HOSTILE.items():
        (hostile / name).write_text(content, encoding="utf-8")
    paths = [good[0], *(hostile / name for name in HOSTILE), good[1]]
    result = run("convert", *paths, "--to", "xml", "--out", tmp_path / "xml")
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(result) == [
        f"Error: {hostile / name}: {problem}." for name, (_, problem) in HOSTILE.items()
    ]
    assert sorted(p.name for p in (tmp_path / "xml").iterdir()) == [
        "aspirin.bundle.xml",
        "ibuprofen.bundle.xml",
    ]
    assert result.stderr.splitlines()[-1] == f"2 converted, {len(HOSTILE)} failed"


@pytest.mark.parametrize("name", ["empty-div.json", "deep.json", "type-error.json"])
def test_convert_to_stdout_reports_hostile_fhir_in_one_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(HOSTILE[name][0], encoding="utf-8")
    result = run("convert", path, "--to", "xml", "--out", "-")
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(result) == [f"Error: {path}: {HOSTILE[name][1]}."]
    assert result.stdout == ""


def test_validate_reports_hostile_fhir_as_issues_and_validates_the_rest(tmp_path: Path) -> None:
    good = _bundles(tmp_path)
    for name, (content, _) in HOSTILE.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    result = run("validate", good[0], *(tmp_path / n for n in HOSTILE), good[1])
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(result) == []  # no internal error: each is an issue of its file
    for name in HOSTILE:
        assert f"{tmp_path / name}: error: " in result.stdout
        assert f"{tmp_path / name}: 0 errors" not in result.stderr
    assert f"{good[0]}: 0 errors" in result.stderr
    assert f"{good[1]}: 0 errors" in result.stderr


def test_validate_reads_no_more_than_its_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file is read with a cap (so /dev/zero is not read to the end before the size check):
    one byte over the limit is enough to refuse it."""
    from fhir_export.convert import MAX_BYTES

    big = tmp_path / "big.json"
    with big.open("wb") as handle:  # sparse: no disk used
        handle.truncate(3 * MAX_BYTES)
    sizes: list[int] = []
    real_open = open

    def spy(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(path, mode, *args, **kwargs)
        if str(path) == str(big):
            original = handle.read

            def read(n: int = -1) -> Any:
                sizes.append(n)
                return original(n)

            handle.read = read
        return handle

    monkeypatch.setattr("builtins.open", spy)
    result = run("validate", big)
    assert_no_traceback(result)
    assert sizes == [MAX_BYTES + 1]
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert result.stdout == f"{big}: error: (document): file is over the {MAX_BYTES} byte limit\n"


# --------------------------------------------------------------------------------------------
# security: symlinks out of the input root, symlink loops, folders that cannot be listed
# --------------------------------------------------------------------------------------------

DIARY = "Secret diary: warfarin is a medicine used to prevent clots.\n"


def _linked_tree(tmp_path: Path) -> Path:
    """in/ with three articles, a symlinked file and a symlinked folder leading out of it, and
    two symlink loops."""
    root = tmp_path / "in"
    three_articles(root / "sub")
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "diary.txt").write_text(DIARY, encoding="utf-8")
    (root / "sub" / "diary.txt").symlink_to(outside / "diary.txt")
    (root / "private").symlink_to(outside, target_is_directory=True)
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "sub" / "self").symlink_to(root / "sub", target_is_directory=True)
    return root


def _not_followed(root: Path) -> str:
    return (
        f"4 symlinks not followed: {root}/private (to a folder outside the input folder; "
        f"--follow-symlinks follows it), {root}/sub/diary.txt (to a file outside the input "
        f"folder; --follow-symlinks follows it), {root}/sub/loop (to a folder inside the input "
        f"folder; --follow-symlinks follows it), {root}/sub/self (to a folder inside the input "
        f"folder; --follow-symlinks follows it)"
    )


def test_symlinks_out_of_the_input_folder_are_not_followed(tmp_path: Path) -> None:
    root = _linked_tree(tmp_path)
    out, report = tmp_path / "out", tmp_path / "report.json"
    result = run("export", root, "--out", out, "--report", report, "--jobs", "1")
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.OK, result.stderr
    assert sorted(p.name for p in (out / "sub").iterdir()) == [
        f"{name}.bundle.json" for name in NAMES
    ]
    assert not (out / "private").exists()
    assert "warfarin" not in "".join(p.read_text("utf-8") for p in out.rglob("*.json"))
    assert result.stderr.splitlines()[-2] == _not_followed(root)
    rows = json.loads(report.read_text("utf-8"))["skipped"]
    assert rows[1] == {
        "path": f"{root}/sub/diary.txt",
        "reason": "to a file outside the input folder; --follow-symlinks follows it",
    }


def test_a_glob_over_symlink_loops_terminates_and_stays_inside(tmp_path: Path) -> None:
    root = _linked_tree(tmp_path)
    result = run("export", f"{root}/**/*.txt", "--out", tmp_path / "out", "--jobs", "1")
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.OK, result.stderr
    assert len(result.stdout.splitlines()) == 3
    assert "4 symlinks not followed" in result.stderr
    one_level = run("export", f"{root}/sub/*.txt", "--out", tmp_path / "out2", "--jobs", "1")
    assert len(one_level.stdout.splitlines()) == 3
    assert f"1 symlink not followed: {root}/sub/diary.txt (" in one_level.stderr


def test_follow_symlinks_reads_them_once_even_over_loops(tmp_path: Path) -> None:
    root = _linked_tree(tmp_path)
    out = tmp_path / "out"
    result = run("export", root, "--out", out, "--follow-symlinks", "--jobs", "1")
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.OK, result.stderr
    written = sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*.json") if p.name != "manifest.json"
    )
    assert written == [
        "private/diary.bundle.json",
        *(f"sub/{n}.bundle.json" for n in NAMES[:1]),
        "sub/diary.bundle.json",
        *(f"sub/{n}.bundle.json" for n in NAMES[1:]),
    ]
    assert result.stderr.splitlines()[-2] == (
        f"2 symlinks not followed: {root}/sub/loop (a loop: its folder is already read), "
        f"{root}/sub/self (a loop: its folder is already read)"
    )


def test_a_symlink_named_on_the_command_line_is_read(tmp_path: Path) -> None:
    root = _linked_tree(tmp_path)
    result = run("export", root / "sub" / "diary.txt", "--out", "-")
    assert result.exit_code == ExitCode.OK, result.stderr
    assert "warfarin" in result.stdout


def test_a_folder_that_cannot_be_listed_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(As root chmod cannot lock a folder: the listing itself is made to fail.)"""
    import os

    from fhir_export import discovery

    three_articles(tmp_path / "in" / "ok")
    locked = tmp_path / "in" / "locked"
    three_articles(locked)
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    for args in ([tmp_path / "in"], [f"{tmp_path}/in/**/*.txt"]):
        result = run("export", *args, "--out", tmp_path / "out", "--jobs", "1")
        assert_no_traceback(result)
        assert result.exit_code == ExitCode.INPUT_FAILED
        assert error_lines(result) == [f"Error: {locked}: cannot read folder (Permission denied)."]
        assert len(result.stdout.splitlines()) == 3


# --------------------------------------------------------------------------------------------
# bounds: what one article yields is capped, and the cap is reported
# --------------------------------------------------------------------------------------------

MEDS = ("Aspirin", "Ibuprofen", "Naproxen", "Warfarin", "Metformin", "Lisinopril")
EFFECTS = ("nausea", "headache", "dizziness", "rash")


def test_an_article_of_many_facts_keeps_the_first_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fhir_export import limits

    monkeypatch.setattr(limits, "MAX_FACTS", 5)
    monkeypatch.setattr(limits, "MAX_MEDICINES", 4)
    monkeypatch.setattr(limits, "MAX_SCREENING", 2)
    lines = ["Medicines and side effects", ""]
    lines += [f"{m} may cause {e}." for m in MEDS for e in EFFECTS]
    lines += ["", "Before you start", ""]
    lines += [f"Do you take {m.lower()}?" for m in MEDS]
    src = tmp_path / "many.txt"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, report = tmp_path / "out", tmp_path / "report.json"
    result = run("export", src, "--out", out, "--report", report, "--jobs", "1")
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.OK, result.stderr
    row = json.loads(report.read_text("utf-8"))["articles"][0]
    notes = [line.removeprefix(f"{src}: ") for line in result.stderr.splitlines()
             if line.startswith(f"{src}: ")]
    assert notes == row["limited"]
    assert notes[0] == "kept the first 4 medicines of 6 (the limit per article)"
    assert notes[1].startswith("kept the first 5 facts of ")
    assert notes[2] == "kept the first 2 screening questions of 6 (the limit per article)"
    assert sum(row["facts"].values()) == 5
    assert row["screening"] == 2
    assert row["medicines"]["coded"] + row["medicines"]["uncoded"] <= 4
    bundle = json.loads((out / "many.bundle.json").read_text("utf-8"))
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("MedicationKnowledge") <= 4
    assert run("validate", out / "many.bundle.json").exit_code == 0
    # the first facts in the article's order are the ones kept
    text = json.dumps(bundle)
    assert "nausea" in text and "Lisinopril may cause rash" not in text


def test_the_caps_are_far_above_any_real_article() -> None:
    """The largest of ../shared/realworld: 34 medicines, 125 facts, 45 screening questions
    (measured with --report over every article there and in tests/data/articles)."""
    from fhir_export import limits

    assert (limits.MAX_MEDICINES, limits.MAX_FACTS, limits.MAX_SCREENING) == (500, 5000, 500)
    assert limits.MAX_MEDICINES > 10 * 34 and limits.MAX_FACTS > 10 * 125
    assert limits.MAX_SCREENING > 10 * 45


# --------------------------------------------------------------------------------------------
# operator mistakes: full device, closed pipe, long names, killed runs, a deep lexicon
# --------------------------------------------------------------------------------------------


def _cli(*args: str | Path, stdout: Any) -> Any:
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "fhir_export", *map(str, args)],
        stdout=stdout,
        stderr=subprocess.PIPE,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_out_dash_into_a_full_device_is_one_line(tmp_path: Path) -> None:
    src = three_articles(tmp_path / "in")[0]
    with open("/dev/full", "wb") as full:
        process = _cli("export", src, "--out", "-", stdout=full)
        _, err = process.communicate(timeout=60)
    assert process.returncode == ExitCode.OUTPUT_FAILED == 4
    assert err.decode().splitlines() == ["Error: <stdout>: cannot write (No space left on device)."]


def test_out_dash_into_a_pipe_closed_early_fails_quietly(tmp_path: Path) -> None:
    import subprocess

    src = three_articles(tmp_path / "in")[0]
    process = _cli("export", src, "--out", "-", stdout=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before anything is written
    _, err = process.communicate(timeout=60)
    assert process.returncode == ExitCode.OUTPUT_FAILED
    assert err == b""


def test_writing_onto_a_full_disk_is_one_line_per_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from fhir_export import pipeline

    def full(fd: int, data: object = None) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    three_articles(tmp_path / "in")
    monkeypatch.setattr(pipeline.os, "write", full)  # the bundles
    monkeypatch.setattr(pipeline.os, "fsync", full)  # the manifest
    out = tmp_path / "out"
    result = run("export", tmp_path / "in", "--out", out, "--jobs", "1")
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.OUTPUT_FAILED
    assert error_lines(result) == [
        *(f"Error: {out}/{name}.bundle.json: cannot write (No space left on device)."
          for name in NAMES),
        f"Error: {out}/manifest.json: cannot write (No space left on device).",
    ]
    assert list(out.iterdir()) == []  # no temporary left behind


@pytest.mark.parametrize("length", [232, 238, 243])
def test_long_output_names_are_written(tmp_path: Path, length: int) -> None:
    """Article names of 232-243 characters give output names of up to 251 (of the 255 a name
    may have): the temporary file's name stays short (it once added 14 to the output's)."""
    src = tmp_path / "in" / ("a" * (length - len(".txt")) + ".txt")
    src.parent.mkdir()
    src.write_text(ARTICLE_TEXT, encoding="utf-8")
    out = tmp_path / "out"
    result = run("export", src, "--out", out, "--format", "both", "--jobs", "1")
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.OK, result.stderr
    names = [p.name for p in out.iterdir() if p.name != "manifest.json"]
    assert sorted(len(n) for n in names) == [length + 7, length + 8]


ARTICLE_TEXT = "Aspirin\n\nAspirin is a medicine used to treat pain. It may cause bleeding.\n"


def test_stale_temporaries_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    import os

    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".fhir-export-k9x2ab7q.tmp"  # ours, from before this run
    fresh = out / ".fhir-export-zz00aa11.tmp"  # ours, written during this run (another run)
    others = [out / ".aspirin.bundle.json.tmp", out / "notes.tmp", out / ".fhir-export-x.tmp"]
    for path in (stale, fresh, *others):
        path.write_bytes(b"{")
    for path in (stale, *others):
        os.utime(path, (0, 0))
    three_articles(tmp_path / "in")
    result = run("export", tmp_path / "in", "--out", out, "--jobs", "1")
    assert result.exit_code == ExitCode.OK, result.stderr
    assert not stale.exists()
    assert fresh.exists()
    assert all(p.exists() for p in others)


def test_a_deeply_nested_lexicon_is_a_usage_error(tmp_path: Path) -> None:
    lexicon = tmp_path / "deep.json"
    lexicon.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    src = three_articles(tmp_path / "in")[0]
    result = run("export", src, "--out", tmp_path / "out", "--lexicon", lexicon)
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.USAGE
    assert error_lines(result) == [f"Error: {lexicon}: JSON nested too deeply to be a lexicon."]
    checked = run("lexicon", "check", lexicon, "--no-shipped")
    assert_no_traceback(checked)
    assert checked.stdout == f"{lexicon}: error: -: JSON nested too deeply to be a lexicon\n"
