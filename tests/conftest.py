"""Shared fixtures: rendering articles in memory, and the --update-golden switch."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from fhir_export.options import BundleType, ExportOptions, OutputFormat
from fhir_export.pipeline import render
from fhir_export.report import ExportReport

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
ARTICLES = DATA / "articles"
GOLDEN = DATA / "golden"
EXPECTATIONS = DATA / "expectations"
SEED = ROOT / "source" / "immunotherapy.txt"
SNAPSHOTS = DATA / "snapshots"
QUALITY_NOTES = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite tests/data/golden/* from the current output (review the diff).")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[QUALITY_NOTES] = []


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int,
                            config: pytest.Config) -> None:
    """Quality figures far over their floors: printed, never a failure (raise the floor)."""
    notes = config.stash.get(QUALITY_NOTES, [])
    if notes:
        terminalreporter.section("quality floors to raise (tests/data/quality_floors.toml)")
        for note in notes:
            terminalreporter.write_line(note)


@pytest.fixture
def quality_note(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Report a note at the end of the run (see pytest_terminal_summary)."""
    notes = request.config.stash[QUALITY_NOTES]

    def note(text: str) -> None:
        print(text)  # noqa: T201
        if text not in notes:
            notes.append(text)
    return note


def check_snapshot(path: Path, text: str, update: bool) -> None:
    """Compare a one-fact-per-line snapshot; with --update-golden, rewrite it instead."""
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
        return
    assert path.exists(), f"{path} is missing: run pytest --update-golden and review the diff"
    assert path.read_text("utf-8").splitlines() == text.splitlines(), (
        f"{path.name} differs: run pytest --update-golden and review the diff of facts")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def article_paths() -> list[Path]:
    return sorted(p for p in ARTICLES.iterdir() if p.is_file() and not p.name.startswith("."))


def all_articles() -> list[Path]:
    return [SEED, *article_paths()]


def render_both(path: Path, bundle_type: BundleType = BundleType.TRANSACTION,
                ) -> tuple[dict[str, Any], bytes, bytes]:
    """(bundle as parsed JSON, JSON bytes, XML bytes) for one article, nothing written."""
    options = ExportOptions(output_format=OutputFormat.BOTH, bundle_type=bundle_type)
    outputs, _ = render(path, options, ExportReport())
    return json.loads(outputs["json"]), outputs["json"], outputs["xml"]


def resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"]
            if e["resource"]["resourceType"] == resource_type]


@pytest.fixture(scope="session")
def seed_bundle() -> dict[str, Any]:
    return render_both(SEED)[0]


@contextmanager
def local_http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1 in a thread; yields the base URL `http://127.0.0.1:P/fhir`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/fhir"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
