"""A per-article time limit (--article-timeout): a safety net under every stage's own caps.

The limit is a real-time alarm (SIGALRM) in the process that exports the article: this one, or
the worker of --jobs that got it. When it rings, the exception it raises is no Exception, so
no stage can mistake it for its own failure; the article fails with one line, nothing of it
is written, and the next article starts with a fresh limit. Where no alarm can be set (not
the main thread, a platform without SIGALRM) articles run without a limit. A single call into
C code (a regular expression, the PDF or XML parser) is not interrupted: the limit is noticed
when it returns.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from .errors import TimeLimitError


class _Expired(BaseException):
    """The alarm, on its way out of whatever stage was running (not an Exception, so that
    no `except Exception` of a stage or library catches it)."""


def _expire(signum: int, frame: FrameType | None) -> None:
    raise _Expired


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def deadline(seconds: float, path: str) -> Iterator[None]:
    """Run the block within `seconds` (0: no limit), else raise TimeLimitError for `path`."""
    if seconds <= 0 or not _can_alarm():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise TimeLimitError(
            f"timed out after {seconds:g} s (--article-timeout)", path=path
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
