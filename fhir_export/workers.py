"""Items through a function in worker processes, the results in the items' order.

`ordered` hands workers chunks of items and yields their results as the input lists them, so
what a command prints, writes and reports is the same whatever the number of jobs. At most a
few chunks per worker are in flight, so memory stays flat however many items there are. Only
the standard library is imported here: `validate` uses it without loading the exporter.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_IN_FLIGHT = 2  # chunks per worker submitted ahead of the one being consumed
_CHUNK = 16  # items per chunk at most


def ordered(
    run_chunk: Callable[[Sequence[T]], list[R]],
    items: Sequence[T],
    workers: int,
    failed: Callable[[T, BaseException], R],
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[R]:
    """run_chunk's results for every item, in the items' order, from `workers` processes
    (run_chunk and initializer picklable: module functions or partials of them). The items of
    a chunk whose worker died (killed, out of memory) get failed(item, exception). Workers
    ignore SIGINT (see quiet_worker); a consumer that stops, or Ctrl-C in this process,
    cancels what has not started, and every worker is joined before it goes on."""
    size = max(1, min(_CHUNK, len(items) // (workers * 4)))
    chunks = (items[i : i + size] for i in range(0, len(items), size))  # as consumed
    with ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=_started, initargs=(initializer, initargs)
    ) as pool:
        try:
            yield from _in_order(pool, chunks, run_chunk, workers, failed)
        except BaseException:  # Ctrl-C, or the consumer stopped (GeneratorExit): stop now
            _abandon(pool)
            raise


def _in_order(
    pool: ProcessPoolExecutor,
    chunks: Iterator[Sequence[T]],
    run_chunk: Callable[[Sequence[T]], list[R]],
    workers: int,
    failed: Callable[[T, BaseException], R],
) -> Iterator[R]:
    pending: deque[tuple[Sequence[T], Future[list[R]]]] = deque(
        (chunk, pool.submit(run_chunk, chunk)) for chunk in islice(chunks, workers * _IN_FLIGHT)
    )
    while pending:
        chunk, future = pending.popleft()
        following = next(chunks, None)
        if following is not None:
            pending.append((following, pool.submit(run_chunk, following)))
        try:
            done = future.result()
        except Exception as exc:  # a worker died: the items of its chunk fail
            done = [failed(item, exc) for item in chunk]
        yield from done


def _abandon(pool: ProcessPoolExecutor) -> None:
    """The chunks not yet started are cancelled; the ones running finish (at most one per
    worker and one queued: a worker ended mid-result could leave the pipe half-written and
    the pool's reader waiting forever), and the workers are joined, none left behind."""
    pool.shutdown(wait=True, cancel_futures=True)


def _context() -> BaseContext:
    """fork where it is safe (Linux): workers start at once with what this process has
    loaded; elsewhere the platform's default, each worker loading it once."""
    return multiprocessing.get_context("fork" if sys.platform == "linux" else None)


def _started(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    """Worker start. Ctrl-C (SIGINT to the terminal's process group) is the parent's to
    handle: a worker interrupted inside a queue operation leaves its lock taken or a result
    half-sent, and the run hangs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)
