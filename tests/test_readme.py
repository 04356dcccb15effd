"""The README stays true: its shell commands run (offline), its synopsis names only options the
commands have, its table of contents lists every section.

Every `fhir-export` command in a ```sh block is run in README order, in a scratch folder holding
a copy of source/: export, validate, convert, preview, --help and --version as written; push
with --dry-run added (it connects to nothing), except those that need a file the README only
names (--ca-bundle corp-ca.pem). A second run sends the pushes for real, into a HAPI FHIR
server started for it (skipped when Java or the built server is missing). Files the README
asks to save ("Save this as `x`:" and the block after it) are written first. `make export` runs
the Makefile's export recipe. Synopsis lines (`[OPTIONS]`, `PATH...`, `json|xml`) are not
run: each option they name must be in that command's --help."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
README_SERVER = "http://127.0.0.1:8080/fhir"  # the README's example server
RUN = {"export", "validate", "convert", "preview", "push", "lexicon", "--help", "--version"}


def _sh_lines() -> list[str]:
    lines = []
    for block in re.findall(r"```(?:sh|bash)\n(.*?)```", README, re.S):
        for line in block.splitlines():
            code = re.sub(r"\s+#.*$", "", line).strip()
            if code and not code.startswith("#"):
                lines.append(code)
    return lines


def _commands() -> list[str]:
    """Every runnable command, one per part of an `&&` chain."""
    found = []
    for line in _sh_lines():
        for part in (p.strip() for p in line.split("&&")):
            part = part.replace(".venv/bin/fhir-export", "fhir-export")
            if part == "make export" or re.match(r"(\w+=\S+ )*fhir-export ", part):
                found.append(part)
    return found


def _is_synopsis(command: str) -> bool:
    command = re.sub(r"^(\w+=\S+ )+", "", command)  # FHIR_TOKEN=... fhir-export push ...
    return bool(re.search(r"\[|\.\.\.|\w\|\w|\b[A-Z]{3,}(?:_[A-Z]+)*\b(?<!FHIR_BASE)", command))


def _subcommand(command: str) -> str:
    words = command.split()
    return words[words.index("fhir-export") + 1]


def _make_export() -> str:
    recipe = re.search(r"^export: .*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert recipe is not None
    return recipe.group(1).replace("$(BIN)/fhir-export", "fhir-export")


def test_readme_has_commands_to_run() -> None:
    runnable = [c for c in _commands() if not _is_synopsis(c)]
    kinds = {_subcommand(c) for c in runnable if c != "make export"}
    assert {"export", "preview", "push"} <= kinds, runnable  # the first screen's three
    assert "make export" in runnable


@pytest.mark.slow
def test_readme_commands_run_offline(tmp_path: Path) -> None:
    ran = _run_readme(tmp_path, "http://127.0.0.1:9/fhir", live=False)
    assert len(ran) >= 12, ran
    assert {_subcommand(c) for c in ran} == RUN  # every kind of command was run
    assert (tmp_path / "output" / "review" / "index.html").is_file()  # the review page
    mouth = (tmp_path / "mouth.bundle.json").read_text("utf-8")  # the user lexicon's code
    assert '"code": "MMW-1"' in mouth


@pytest.mark.slow
def test_readme_push_loads_a_live_server(tmp_path: Path) -> None:
    """The README's commands again, its pushes for real: into a HAPI FHIR R4 JPA server
    started here (tests/test_hapi_server.py's; skipped when Java or the built server is
    missing), its URL in place of the README's http://127.0.0.1:8080/fhir and $FHIR_BASE."""
    from test_hapi_server import _start, _stop

    hapi = _start("R4")
    try:
        ran = _run_readme(tmp_path, hapi.url, live=True)
        pushed = [c for c in ran if _subcommand(c) == "push" and "--dry-run" not in c]
        assert len(pushed) >= 3, ran
        documents = hapi.get("DocumentReference", _summary="count")["total"]
        knowledge = hapi.get("MedicationKnowledge", _summary="count")["total"]
    finally:
        _stop(hapi)
    exported = [b for b in (tmp_path / "output").glob("*.bundle.json")]
    assert documents == len(exported) > 0  # one DocumentReference per article, none twice
    assert knowledge > 0


def _run_readme(tmp_path: Path, server: str, *, live: bool) -> list[str]:
    """Run the README's commands in order in tmp_path; `server` replaces the README's example
    server URL and is $FHIR_BASE; pushes get --dry-run unless `live`. Each must exit 0."""
    shutil.copytree(ROOT / "source", tmp_path / "source")
    for name, text in _saved_files():  # "Save this as `my-terms.json`:" and its block
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "FHIR_BASE": server, "FHIR_EXPORT_PROGRESS": "never"}
    env.pop("FHIR_EXPORT_TOKEN", None)
    ran = []
    for command in _commands():
        if command == "make export":
            command = _make_export()
        if _is_synopsis(command) or _subcommand(command) not in RUN:
            continue
        if _subcommand(command) == "push":
            if "--ca-bundle" in command:
                continue
            command = command.replace(README_SERVER, server)
            if not live and "--dry-run" not in command:
                command += " --dry-run"
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, command
        ran.append(command)
    return ran


def _saved_files() -> list[tuple[str, str]]:
    files = re.findall(r"as `([\w.-]+)`:\n\n```\w*\n(.*?)```", README, re.S)
    assert [name for name, _ in files] == ["my-terms.json", "mouth.txt"]
    return files


def test_synopsis_names_only_real_options() -> None:
    from click.testing import CliRunner

    from fhir_export.cli import main

    helps: dict[str, str] = {}
    synopsis = re.search(r"## Usage\n\n```sh\n(.*?)```", README, re.S)
    assert synopsis is not None
    command = ""
    for line in synopsis.group(1).splitlines():
        if line.startswith("fhir-export "):
            words = line.split()
            command = " ".join(w for w in words[1:3] if w.islower() and w.isalpha())
        if command not in helps:
            result = CliRunner().invoke(main, [*command.split(), "--help"])
            assert result.exit_code == 0, command
            helps[command] = result.stdout
        for option in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", line):
            assert re.search(rf"(?<![\w-]){re.escape(option)}\b", helps[command]), (
                f"README's synopsis names {option} for `fhir-export {command}`")


def test_contents_lists_every_section() -> None:
    contents = README[README.index("## Contents"):]
    toc = contents[: contents.index("\n## ", 1)]
    for title in re.findall(r"^## (.+)$", README, re.M):
        if title != "Contents":
            assert f"- [{title}](#" in toc, title


def test_licence_file_matches_pyproject() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert 'license = "Apache-2.0"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "Apache License 2.0" in README[README.index("## Licence"):]
