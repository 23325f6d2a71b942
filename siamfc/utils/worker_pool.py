"""Process pools whose workers end when their parent does (``siamfc curate``, ``siamfc eval --workers``).

A ``ProcessPoolExecutor`` worker waits on a queue that its parent feeds; if the parent is killed
(``kill -9``, the OOM killer) the worker is re-parented and goes on with the tasks it already
holds, then waits forever: an orphan using CPU and memory. Each worker here runs a watchdog
thread that ends the worker (``os._exit``) within ``PARENT_POLL_S`` of its parent's death.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

#: How often a worker checks that its parent is alive (seconds).
PARENT_POLL_S = 0.5


def exit_when_parent_dies(parent_pid: int, interval: float = PARENT_POLL_S) -> None:
    """Start a daemon thread that ends this process once ``parent_pid`` is no longer its parent."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="siamfc-parent-watch", daemon=True).start()


def _init(parent_pid: int, initializer, initargs) -> None:
    exit_when_parent_dies(parent_pid)
    if initializer is not None:
        initializer(*initargs)


def worker_pool(workers: int, *, initializer=None, initargs=(), mp_context=None) -> ProcessPoolExecutor:
    """A ``ProcessPoolExecutor`` of ``workers`` processes that exit when this process dies."""
    return ProcessPoolExecutor(
        workers, mp_context=mp_context, initializer=_init, initargs=(os.getpid(), initializer, initargs)
    )
