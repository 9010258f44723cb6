"""Rebuilding the report store's file after reporters write, so that its layout carries no arrival order.

SQLite appends: a new report's pages go to the end of the file, its cell to the top of a page's content
area, its frames to the end of the WAL. Anyone holding a copy of the file could then rank reports by
arrival. ``ReportStore.compact`` empties the WAL and rewrites the whole file with VACUUM, which copies every
table in key order, and the keys are random report ids: afterwards page numbers, offsets inside pages and
blob positions follow the ids, not time.

A ``Compactor`` runs that rebuild in one background thread, a random few seconds after the first write of a
batch (so several reports written close together are rebuilt at once, and the moment of a rebuild does not
mark the moment of one report), and never more than a bounded share of the time on a large file. Routine
rebuilds are not logged: a time-stamped line per rebuild would itself date the reports.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

DEFAULT_DELAY = (2.0, 20.0)  # seconds from the first write of a batch to its rebuild, uniformly random
REST_FACTOR = 9.0  # after a rebuild of d seconds, wait 9·d: rebuilding takes at most ~10% of the time
RETRY_SECONDS = 30.0  # after a failed or incomplete rebuild (the file busy)
_RANDOM = secrets.SystemRandom()  # the OS's randomness: the delay must not be predictable from outside


class Compactor:
    """Runs ``compact`` (True when the file was fully rebuilt) in a background thread after writes."""

    def __init__(
        self,
        compact: Callable[[], bool],
        delay: tuple[float, float] = DEFAULT_DELAY,
        rest_factor: float = REST_FACTOR,
        uniform: Callable[[float, float], float] = _RANDOM.uniform,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= delay[0] <= delay[1]:
            raise ValueError("delay must be (low, high) with 0 <= low <= high")
        self._compact = compact
        self._delay = delay
        self._rest_factor = rest_factor
        self._uniform = uniform
        self._clock = clock
        self._cond = threading.Condition()
        self._dirty = False
        self._due = 0.0  # when the pending rebuild may run (monotonic seconds)
        self._rested_until = 0.0
        self._running = False
        self._stopping = False
        self._flush = False
        self._failed_once = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the background thread (once)."""
        with self._cond:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._loop, name="qingfeng-compactor", daemon=True)
            self._thread.start()

    def written(self) -> None:
        """A reporter's write landed: schedule a rebuild (joins the pending one, if any)."""
        with self._cond:
            if not self._dirty:
                self._dirty = True
                self._due = max(self._clock() + self._uniform(*self._delay), self._rested_until)
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is pending or running; False if ``timeout`` seconds passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._dirty or self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def stop(self, flush: bool = True, timeout: float = 600.0) -> None:
        """Stop the thread; with ``flush``, first run a pending rebuild now, so the file is left without order."""
        with self._cond:
            self._stopping = True
            self._flush = flush
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        elif flush and self._dirty:
            self._run_once()  # never started (a short-lived process): rebuild in the caller's thread

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._dirty and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    if not (self._dirty and self._flush):
                        return  # nothing pending, or stop(flush=False): the next start rebuilds
                    self._flush = False  # one last attempt, now
                else:
                    while not self._stopping and self._clock() < self._due:
                        self._cond.wait(self._due - self._clock())
                    if self._stopping:
                        continue
            self._run_once()

    def _run_once(self) -> None:
        with self._cond:
            self._dirty = False  # writes from now on need another rebuild
            self._running = True
        started = self._clock()
        try:
            done = self._compact()
        except Exception as exc:  # the file locked for too long, the disk full: try again later
            done = False
            if not self._failed_once:
                self._failed_once = True
                log.warning("could not rebuild the report store (%s); retrying", type(exc).__name__)
        took = self._clock() - started
        with self._cond:
            self._running = False
            self._rested_until = self._clock() + took * self._rest_factor
            if not done:
                self._dirty = True
                self._due = max(self._clock() + RETRY_SECONDS, self._rested_until)
            elif self._dirty:  # written during the rebuild
                self._due = max(self._due, self._rested_until)
            self._cond.notify_all()
