"""Progress and per-article lines (issue 14): the bar on a terminal, one line per article off
it (text or JSON), -q, Ctrl-C's summary."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from fhir_export import parallel
from fhir_export.cli import main
from fhir_export.discovery import Input
from fhir_export.errors import ExitCode
from fhir_export.options import ExportOptions
from fhir_export.progress import BAR, LINES, QUIET, Reporter, choose_mode, duration, plural

ARTICLES = Path(__file__).parent / "data" / "articles"
LEAFLET = "Rituximab (Rituxan) is a medicine given as an infusion into a vein.\n"


def run(*args: object, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env, prog_name="fhir-export")


def corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "a-leaflet.txt").write_text(LEAFLET, encoding="utf-8")
    (folder / "b-blank.txt").write_text("", encoding="utf-8")
    shutil.copy(ARTICLES / "knee-arthroscopy.txt", folder / "c-knee.txt")
    return folder


def test_off_a_terminal_one_text_line_per_article_in_input_order(tmp_path: Path) -> None:
    src = corpus(tmp_path / "in")
    result = run("export", src, "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.INPUT_FAILED
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"exported {src / 'a-leaflet.txt'}: 1 medicine (1 coded), 2 facts, "
        "0 screening questions, 0 unmapped terms"
    )
    assert lines[1] == f"Error: {src / 'b-blank.txt'}: file is empty."
    assert lines[2] == f"empty {src / 'c-knee.txt'}: no medicine, fact or screening question"
    assert lines[-1].startswith("3 articles (1 with content, 1 empty, 1 failed)")
    assert "\r" not in result.stderr  # no bar off a terminal


def test_json_log_is_one_object_per_line_with_error_code_and_counts(tmp_path: Path) -> None:
    src = corpus(tmp_path / "in")
    result = run("export", src, "--out", tmp_path / "out", "--log-format", "json")
    records = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    a, b, c = records[:3]
    assert a == {
        "path": str(src / "a-leaflet.txt"),
        "status": "exported",
        "error": None,
        "counts": {
            "medicines": {"coded": 1, "uncoded": 0},
            "facts": {"brand": 1, "drug-class": 0, "indication": 0, "side-effect": 0,
                      "warning": 0, "contraindication": 0, "route": 1, "monitoring": 0},
            "screening": 0,
            "unmapped": 0,
        },
        "outputs": [str(tmp_path / "out" / "a-leaflet.bundle.json")],
    }
    assert b["status"] == "failed" and b["counts"] is None
    assert b["error"] == {"code": "source", "stage": "read", "exit_code": 1,
                          "message": "file is empty", "hint": None}
    assert c["status"] == "empty"
    assert records[-1]["counts"] == {"articles": 3, "with_content": 1, "empty": 1, "failed": 1}
    assert records[-1]["message"].startswith("3 articles (1 with content")


def test_jobs_do_not_change_the_lines(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for article in sorted(ARTICLES.glob("*.txt"))[:8]:
        shutil.copy(article, src / article.name)
    one = run("export", src, "--out", tmp_path / "o1", "--jobs", "1")
    two = run("export", src, "--out", tmp_path / "o2", "--jobs", "2")
    assert one.exit_code == two.exit_code == ExitCode.OK
    assert len(one.stderr.splitlines()) == 8 + 1 + ("yielded no" in one.stderr)
    assert one.stderr == two.stderr.replace(str(tmp_path / "o2"), str(tmp_path / "o1"))


def test_quiet_prints_errors_only(tmp_path: Path) -> None:
    src = corpus(tmp_path / "in")
    result = run("export", src, "--out", tmp_path / "out", "-q")
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert result.stdout == ""
    assert result.stderr == f"Error: {src / 'b-blank.txt'}: file is empty.\n"
    assert (tmp_path / "out" / "a-leaflet.bundle.json").is_file()


def test_progress_bar_when_forced(tmp_path: Path) -> None:
    src = corpus(tmp_path / "in")
    result = run("export", src, "--out", tmp_path / "out",
                 env={"FHIR_EXPORT_PROGRESS": "always"})
    err = result.stderr
    assert "\r\x1b[K[" in err  # a bar redrawn in place
    assert "0/3 articles" in err and "3/3 articles" in err and "/s" in err
    # the error is printed above the bar, on its own line; no per-article lines
    assert f"\r\x1b[KError: {src / 'b-blank.txt'}: file is empty.\n" in err
    assert "exported " not in err
    assert err.splitlines()[-1].startswith("3 articles (1 with content")
    assert result.stdout.splitlines() == [
        str(tmp_path / "out" / "a-leaflet.bundle.json"),
        str(tmp_path / "out" / "c-knee.bundle.json"),
    ]


def test_progress_option_never_and_auto_off_a_terminal() -> None:
    assert choose_mode("auto", False, "text", io.StringIO()) == LINES
    assert choose_mode("always", False, "text", io.StringIO()) == BAR
    assert choose_mode("always", True, "text", io.StringIO()) == QUIET

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert choose_mode("auto", False, "text", Tty()) == BAR
    assert choose_mode("never", False, "text", Tty()) == LINES
    assert choose_mode("auto", False, "json", Tty()) == LINES


def test_bar_counts_rate_and_eta() -> None:
    now = [0.0]
    err = io.StringIO()
    say = Reporter(mode=BAR, err=err, out=io.StringIO(), clock=lambda: now[0])
    say.start(10)
    for _ in range(4):
        now[0] += 0.5
        say.item("", {}, label="x.html")
    text = say.bar_text()
    assert "4/10 articles" in text and "2.0/s" in text and "ETA 0:03" in text
    assert text.startswith("[########------------]") and text.endswith("x.html")
    assert duration(3725) == "1:02:05"
    assert plural(1, "unmapped term") == "1 unmapped term"
    assert plural(0, "medicine") == "0 medicines"


def test_ctrl_c_lists_what_was_written_and_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c"):
        (src / f"{name}.txt").write_text(LEAFLET, encoding="utf-8")
    real = parallel.run_one
    calls: list[Any] = []

    def interrupted(source: Any, options: Any) -> Any:
        calls.append(source)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(source, options)

    monkeypatch.setattr(parallel, "run_one", interrupted)
    result = run("export", src, "--out", tmp_path / "out", "--jobs", "1",
                 "--report", tmp_path / "run.json")
    assert result.exit_code == ExitCode.INTERRUPTED == 130
    # the report holds the articles finished before Ctrl-C
    report = json.loads((tmp_path / "run.json").read_text("utf-8"))
    assert [(a["path"], a["status"]) for a in report["articles"]] == [
        (str(src / "a.txt"), "exported")]
    written = tmp_path / "out" / "a.bundle.json"
    assert result.stdout == f"{written}\n"
    assert result.stderr.splitlines()[-1] == (
        f"Interrupted: 1 of 3 articles finished (1 exported, 0 failed); 1 file written "
        f"into {tmp_path / 'out'} (listed above); manifest.json not updated. Run the "
        "command again to finish."
    )


@pytest.mark.skipif(sys.platform != "linux", reason="SIGINT to a process group")
@pytest.mark.parametrize(("jobs", "format"), [("1", "json"), ("2", "json"), ("2", "ndjson")])
def test_real_sigint_to_the_process_group(tmp_path: Path, jobs: str, format: str) -> None:
    """As a terminal's Ctrl-C: SIGINT to the whole group (workers too); no traceback."""
    src = tmp_path / "in"
    src.mkdir()
    article = (ARTICLES / "warfarin-hospital-guide.html").read_bytes()
    for n in range(400):
        (src / f"a{n:03d}.html").write_bytes(article)
    first, out, _ = _interrupted_group(
        "export", src, "--out", tmp_path / "out", "--jobs", jobs, "--format", format
    )
    assert first.startswith(b"exported ")  # an article finished: the run was under way
    assert len(out.splitlines()) >= (format == "json")  # NDJSON files are written at the end


def _interrupted_group(*args: object) -> tuple[bytes, bytes, bytes]:
    """`fhir-export ARGS` in a session of its own, SIGINT to the whole group (as a
    terminal's Ctrl-C) once its first stderr line is out: (that line, stdout, stderr). It
    must exit 130 with an 'Interrupted:' line and no traceback."""
    exe = Path(sys.executable).parent / "fhir-export"
    proc = subprocess.Popen(
        [exe, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        env={**os.environ, "FHIR_EXPORT_PROGRESS": "never"},
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()
    os.killpg(proc.pid, signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=120)
    finally:  # a hang fails this test alone: nothing of it left running into the next
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    assert err.splitlines()[-1].startswith(b"Interrupted: ")
    return first, out, err


def _sources(tmp_path: Path, count: int) -> list[Input]:
    article = ARTICLES / "warfarin-hospital-guide.html"
    return [Input.of(article, f"a{n:03d}.html") for n in range(count)]


@pytest.mark.skipif(sys.platform != "linux", reason="SIGINT to a worker process")
def test_ctrl_c_reaching_the_workers_is_not_theirs_to_handle(tmp_path: Path) -> None:
    """A terminal's Ctrl-C reaches the workers too; the parent handles it. A worker that
    raised KeyboardInterrupt inside a queue operation could leave a lock taken or a result
    half-sent, and the run hung after its 'Interrupted' line (seen once in CI)."""
    options = ExportOptions(jobs=2)
    done = parallel.outcomes(_sources(tmp_path, 80), options)
    first = next(done)
    workers = multiprocessing.active_children()
    assert len(workers) == 2
    for worker in workers:
        os.kill(worker.pid, signal.SIGINT)  # type: ignore[arg-type]
    rest = list(done)
    assert [o.error for o in [first, *rest]] == [None] * 80
    assert multiprocessing.active_children() == []


def test_a_consumer_that_stops_early_leaves_no_worker_behind(tmp_path: Path) -> None:
    """Ctrl-C in the parent, or a caller that stops reading: the chunks not started are
    cancelled, the running ones finish, and every worker is joined."""
    done = parallel.outcomes(_sources(tmp_path, 400), ExportOptions(jobs=2))
    next(done)
    assert len(multiprocessing.active_children()) == 2
    done.close()
    assert multiprocessing.active_children() == []


def test_validate_lines_json_and_quiet(tmp_path: Path) -> None:
    golden = Path(__file__).parent / "data" / "golden" / "immunotherapy.json"
    bad = tmp_path / "observation.json"
    bad.write_text('{"resourceType": "Observation", "status": "final"}', encoding="utf-8")
    text = run("validate", golden, bad)
    assert text.exit_code == ExitCode.INPUT_FAILED
    first, second = text.stderr.splitlines()
    assert first == f"{golden}: 0 errors, 0 other issues"
    assert second == f"{bad}: 1 error, 0 other issues"  # singular
    as_json = run("validate", golden, bad, "--log-format", "json")
    a, b = (json.loads(line) for line in as_json.stderr.splitlines())
    assert a == {"path": str(golden), "status": "valid", "error": None, "errors": 0,
                 "other_issues": 0}
    assert b["status"] == "invalid" and b["errors"] == 1
    quiet = run("validate", golden, bad, "-q")
    assert quiet.stderr.splitlines() == [second]  # only the file with errors
    assert quiet.stdout == text.stdout  # the issues are validate's result: still printed
    bar = run("validate", golden, bad, env={"FHIR_EXPORT_PROGRESS": "always"})
    assert "2/2 files" in bar.stderr and f"\r\x1b[K{second}\n" in bar.stderr


def test_one_of_a_kind_is_singular(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps({
        "resourceType": "Bundle", "type": "transaction",
        "entry": [{"fullUrl": "urn:uuid:0b7e1c8e-5a55-4a0e-9a47-6f0b0c1d2e3f",
                   "resource": {"resourceType": "Organization", "id": "o1", "name": "A"},
                   "request": {"method": "PUT", "url": "Organization/o1"}}],
    }), encoding="utf-8")
    dry = run("push", one, "--server", "http://127.0.0.1:9/fhir", "--dry-run")
    assert dry.exit_code == ExitCode.OK, dry.stderr
    assert dry.stdout.startswith("POST http://127.0.0.1:9/fhir application/fhir+json "
                                 f"transaction 1 entry ({one})")
    assert dry.stderr.startswith("dry run: 1 request, 1 entry, ")
    checked = run("validate", one)
    assert checked.stderr.splitlines()[-1].startswith(f"{one}: 0 errors, ")


def test_ctrl_c_in_validate_exits_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fhir_export import validation

    golden = Path(__file__).parent / "data" / "golden" / "immunotherapy.json"
    real = validation.validate
    calls: list[str] = []

    def interrupted(data: bytes, **kwargs: Any) -> Any:
        calls.append(kwargs["path"])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(data, **kwargs)

    monkeypatch.setattr(validation, "validate", interrupted)
    result = run("validate", golden, golden, golden, "--jobs", "1")  # Ctrl-C in this process
    assert result.exit_code == ExitCode.INTERRUPTED
    assert result.stderr.splitlines() == [
        f"{golden}: 0 errors, 0 other issues",
        "Interrupted: 1 of 3 files validated (each listed above).",
    ]


@pytest.mark.skipif(sys.platform != "linux", reason="SIGINT to a process group")
def test_real_sigint_to_validate_with_workers(tmp_path: Path) -> None:
    """validate --jobs 2 and a terminal's Ctrl-C (SIGINT to the group, workers too): exit
    130, the files validated so far listed, no traceback, no worker left running."""
    golden = (Path(__file__).parent / "data" / "golden" / "immunotherapy.json").read_bytes()
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(600):
        (folder / f"b{n:03d}.json").write_bytes(golden)
    first, _, err = _interrupted_group("validate", folder, "--jobs", "2")
    assert first.endswith(b": 0 errors, 0 other issues\n")  # a file was validated
    assert b" of 600 files validated" in err.splitlines()[-1]


def test_convert_lines_json_quiet_and_bar(tmp_path: Path) -> None:
    golden = Path(__file__).parent / "data" / "golden" / "immunotherapy.json"
    good = tmp_path / "good.json"
    good.write_bytes(golden.read_bytes())
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Organization", "active": "perhaps"}', encoding="utf-8")
    out = tmp_path / "out"
    text = run("convert", good, bad, "--to", "xml", "--out", out)
    assert text.exit_code == ExitCode.INPUT_FAILED
    first, second, summary = text.stderr.splitlines()
    assert first == f"converted {good} to {out / 'good.xml'}"
    assert second.startswith(f"Error: {bad}: not valid FHIR R4")
    assert summary == "1 converted, 1 failed"
    assert text.stdout == f"{out / 'good.xml'}\n"
    as_json = run("convert", good, bad, "--to", "xml", "--out", out, "--log-format", "json")
    a, b, c = (json.loads(line) for line in as_json.stderr.splitlines())
    assert a == {"path": str(good), "status": "converted", "error": None,
                 "outputs": [str(out / "good.xml")]}
    assert b["status"] == "failed" and b["error"]["code"] == "source"
    assert b["error"]["exit_code"] == 1 and b["outputs"] == []
    assert c == {"message": "1 converted, 1 failed", "converted": 1, "failed": 1}
    quiet = run("convert", good, bad, "--to", "xml", "--out", out, "-q")
    assert quiet.stderr.splitlines() == [second]
    assert quiet.stdout == ""
    bar = run("convert", good, bad, "--to", "xml", "--out", out, "--progress", "always")
    assert "\r\x1b[K[" in bar.stderr and "2/2 files" in bar.stderr
    assert f"\r\x1b[K{second}\n" in bar.stderr and "converted " not in bar.stderr


def test_ctrl_c_in_convert_exits_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fhir_export import convert

    golden = Path(__file__).parent / "data" / "golden" / "immunotherapy.json"
    files = []
    for name in ("a", "b", "c"):
        files.append(tmp_path / f"{name}.json")
        files[-1].write_bytes(golden.read_bytes())
    real = convert.convert

    def interrupted(data: bytes, **kwargs: Any) -> Any:
        if kwargs["path"].endswith("b.json"):
            raise KeyboardInterrupt
        return real(data, **kwargs)

    monkeypatch.setattr(convert, "convert", interrupted)
    result = run("convert", *files, "--to", "xml")
    assert result.exit_code == ExitCode.INTERRUPTED
    assert result.stderr.splitlines() == [
        f"converted {files[0]} to {tmp_path / 'a.xml'}",
        "Interrupted: 1 of 3 files converted (each listed above).",
    ]
    assert not (tmp_path / "b.xml").exists()


def test_preview_lines_json_quiet_and_bar(tmp_path: Path) -> None:
    src = corpus(tmp_path / "in")
    out = tmp_path / "out"
    run("export", src, "--out", out, "-q")
    (out / "broken.bundle.json").write_text("{", encoding="utf-8")
    site = tmp_path / "site"
    env = {"FHIR_EXPORT_LFORMS": None}
    text = run("preview", out, "--out", site, env=env)
    assert text.exit_code == ExitCode.INPUT_FAILED
    lines = text.stderr.splitlines()
    assert lines[0] == f"page articles/a-leaflet.html of {out / 'a-leaflet.bundle.json'}"
    assert lines[1].startswith(f"Error: {out / 'broken.bundle.json'}: neither FHIR JSON nor XML")
    assert lines[2] == f"page articles/c-knee.html of {out / 'c-knee.bundle.json'}"
    assert lines[3].startswith("review site: 2 article pages in ")
    assert text.stdout == f"{site / 'index.html'}\n"
    as_json = run("preview", out, "--out", site, "--log-format", "json", env=env)
    a, b, c, d = (json.loads(line) for line in as_json.stderr.splitlines())
    assert a == {"path": str(out / "a-leaflet.bundle.json"), "status": "page", "error": None,
                 "page": "articles/a-leaflet.html"}
    assert b["status"] == "failed" and b["error"]["exit_code"] == 1
    assert c["status"] == "page"
    assert d["pages"] == 2 and d["failed"] == 1 and d["message"].startswith("review site: ")
    quiet = run("preview", out, "--out", site, "-q", env=env)
    assert quiet.stderr.splitlines() == [lines[1]] and quiet.stdout == ""
    bar = run("preview", out, "--out", site, "--progress", "always", env=env)
    assert "0/3 bundles" in bar.stderr and "3/3 bundles" in bar.stderr
    assert f"\r\x1b[K{lines[1]}\n" in bar.stderr and "page articles/" not in bar.stderr
