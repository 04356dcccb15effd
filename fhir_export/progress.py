"""What a long run says while it runs, on stderr: a progress bar on a terminal, else one line
per item as it finishes (text, or one JSON object per line); quiet: errors only.

The run's parent process is the only writer (workers send their outcomes back), so lines never
interleave whatever the number of jobs. This module never decides where it writes: cli.py gives
it the streams and the mode (see `choose_mode`).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

BAR, LINES, QUIET = "bar", "lines", "quiet"
TEXT, JSON = "text", "json"
_REDRAW = 0.1  # seconds between two redraws of the bar at most
_CLEAR = "\r\x1b[K"


def choose_mode(progress: str, quiet: bool, log_format: str, stderr: TextIO) -> str:
    """`-q` wins; `--progress always` (or FHIR_EXPORT_PROGRESS=always) forces the bar, `never`
    the lines; `auto` draws the bar when stderr is a terminal and the log format is text."""
    if quiet:
        return QUIET
    if progress == "always":
        return BAR
    if progress == "never" or log_format == JSON:
        return LINES
    return BAR if _isatty(stderr) and os.environ.get("TERM") != "dumb" else LINES


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`1 unmapped term`, `2 unmapped terms`, `0 medicines`."""
    return f"{n} {noun if n == 1 else many or noun + 's'}"


def duration(seconds: float) -> str:
    """`0:07`, `12:30`, `1:02:03`."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Reporter:
    """The stderr side of one command: `start(total)`, then `item(...)` per finished item,
    `message(...)` for other lines, `out(...)` for stdout result lines, `close()` at the end."""

    def __init__(
        self,
        *,
        mode: str,
        log_format: str = TEXT,
        noun: str = "article",
        err: TextIO,
        out: TextIO,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.mode, self.format, self.noun = mode, log_format, noun
        self.err, self.stdout, self.clock = err, out, clock
        self.total = 0
        self.done = 0
        self.started = clock()
        self._drawn = 0.0
        self._shown = False  # the bar is on the screen
        self._label = ""
        self._closed = False
        self._lock = threading.RLock()  # push tells of retries from its sending threads

    # -- the bar --------------------------------------------------------------------------

    def start(self, total: int) -> None:
        self.total = total
        self.started = self.clock()
        self._draw(force=True)

    def bar_text(self) -> str:
        """`[#########-----------]  12/40 articles  3.1/s  ETA 0:09  a/b.html`."""
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.done / elapsed
        total = max(self.total, self.done)
        width = 20
        filled = width * self.done // total if total else 0
        parts = [
            f"[{'#' * filled}{'-' * (width - filled)}]",
            f"{self.done}/{plural(total, self.noun)}",
            f"{rate:.1f}/s",
        ]
        if self.done and total > self.done:
            parts.append(f"ETA {duration((total - self.done) / rate)}")
        elif total and self.done >= total:
            parts.append(f"in {duration(elapsed)}")
        if self._label:
            parts.append(self._label)
        text = "  ".join(parts)
        columns = shutil.get_terminal_size((100, 24)).columns
        return text[: max(columns - 1, 20)]

    def _draw(self, force: bool = False) -> None:
        if self.mode != BAR or self._closed:
            return
        now = self.clock()
        if not force and now - self._drawn < _REDRAW:
            return
        self._drawn = now
        self.err.write(_CLEAR + self.bar_text())
        self.err.flush()
        self._shown = True

    def _above(self, stream: TextIO, line: str) -> None:
        """A line printed above the bar (which is redrawn below it)."""
        with self._lock:
            self._above_unlocked(stream, line)

    def _above_unlocked(self, stream: TextIO, line: str) -> None:
        if self._shown:
            self.err.write(_CLEAR)
            self.err.flush()
            self._shown = False
        stream.write(line + "\n")
        stream.flush()
        if self.mode == BAR and self.total and not self._closed:
            self._draw(force=True)

    # -- lines ----------------------------------------------------------------------------

    def item(self, text: str, record: dict[str, Any], *, failed: bool = False,
             label: str = "") -> None:
        """One item finished: the bar advances (and a failure prints above it); off a
        terminal its line (`text`, or `record` as JSON); quiet: only a failure."""
        self.done += 1
        self._label = label
        if self.format == JSON:
            line = json.dumps(record, ensure_ascii=False, sort_keys=False)
        else:
            line = text
        if self.mode == LINES or (failed and self.mode in (QUIET, BAR)):
            self._above(self.err, line)
        else:
            with self._lock:
                self._draw(force=self.done >= self.total)

    def message(self, text: str, *, error: bool = False, **fields: Any) -> None:
        """A line not tied to one item (a summary, a skipped file, a retry); quiet shows only
        errors. As JSON: {"message": text} or {"error": text}, with the fields given."""
        if self.mode == QUIET and not error:
            return
        if self.format == JSON:
            text = json.dumps({"error" if error else "message": text} | fields,
                              ensure_ascii=False)
        self._above(self.err, text)

    def out(self, line: str) -> None:
        """A result line on stdout (a written path); quiet prints none."""
        if self.mode == QUIET:
            return
        if self.mode == BAR and not _isatty(self.stdout):  # not on the bar's screen
            self.stdout.write(line + "\n")
            self.stdout.flush()
            return
        self._above(self.stdout, line)

    def close(self) -> None:
        """The bar, finished, stays on its own line."""
        if self.mode == BAR and self._shown:
            self.err.write("\n")
            self.err.flush()
            self._shown = False
        self._closed = True


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
