"""A progress line on stderr for long runs: rows done, rows per second, time left."""

from __future__ import annotations

import os
import sys
import time


class Progress:
    """Rows done, rows/s and time left on stderr, redrawn at most every ``interval`` s.

    Silent unless ``stream`` is a terminal (and not ``quiet``, and not in CI: ``$CI`` set);
    nothing is drawn during the first ``delay`` seconds, so short jobs print nothing. Call it
    with the rows done so far, or :meth:`advance` by the rows of each batch.
    """

    def __init__(self, total: int | None = None, *, stream=None, quiet: bool = False,
                 interval: float = 0.5, delay: float = 2.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        ci = os.environ.get("CI", "").lower() not in ("", "0", "false")
        self.enabled = not quiet and not ci and bool(isatty and isatty())
        self.done = 0
        self.total = total
        self.interval = interval
        self.delay = delay
        self.start = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int | None = None, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        elapsed = now - self.start
        if not final and (elapsed < self.delay or now - self.last < self.interval):
            return
        if final and not self.drawn:
            return
        self.last = now
        total = total if total is not None else self.total
        rate = done / elapsed if elapsed > 0 else 0.0
        if total:
            line = f"geoverify: {done:,} of {total:,} rows ({100.0 * min(done / total, 1.0):.0f}%)"
        else:
            line = f"geoverify: {done:,} rows"
        line += f", {rate:,.0f} rows/s"
        if total and rate > 0 and done < total:
            left = (total - done) / rate
            line += f", {int(left // 60)}:{int(left % 60):02d} left"
        width = max(len(line), getattr(self, "_width", 0))
        self._width = width
        self.stream.write("\r" + line.ljust(width) + ("\n" if final else ""))
        self.stream.flush()
        self.drawn = True

    def advance(self, rows: int) -> None:
        """Add ``rows`` to the rows done and redraw if it is time."""
        self.done += rows
        self(self.done)

    def finish(self) -> None:
        """Draw the final line (only when a line was drawn before)."""
        self(self.done, final=True)
