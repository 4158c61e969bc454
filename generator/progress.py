"""Say how far a build has got: a status line on a terminal, stage timings when asked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from . import workers

try:
    import resource
except ImportError:  # Windows has no getrusage; timings are shown without memory
    resource = None  # type: ignore[assignment]

CLEAR = "\r\x1b[K"


@dataclass(frozen=True, slots=True)
class Timing:
    """How long one stage took, by the clock and in processor time."""

    stage: str
    wall: float
    cpu: float


def peak_memory_mb(copies: bool = False) -> float | None:
    """Return this process's peak resident memory in MB (or, with `copies`, the largest of the
    processes it started and waited for), where the system says."""
    if resource is None:
        return None
    peak = resource.getrusage(resource.RUSAGE_CHILDREN if copies else resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if 0 < peak < 1 << 40 else None  # Linux reports KiB


class Progress:
    """Time the stages of a run; show a status line on a terminal and, if verbose, each timing.

    Without a stream it only records; with a stream that is not a terminal it prints only
    the timings asked for with `verbose`, so logs and pipes stay clean.
    """

    def __init__(self, stream: TextIO | None = None, *, verbose: bool = False):
        self.stream = stream
        self.verbose = verbose and stream is not None
        self.live = stream is not None and _is_terminal(stream)
        self.timings: list[Timing] = []
        self._start = time.perf_counter(), time.process_time()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage of the run."""
        if self.live:
            elapsed = time.perf_counter() - self._start[0]
            self._write(f"{CLEAR}survey: {name} … ({elapsed:.1f} s so far)")
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            timing = Timing(name, time.perf_counter() - wall, time.process_time() - cpu)
            self.timings.append(timing)
            if self.live:
                self._write(CLEAR)
            if self.verbose:
                self._write(_line(timing.stage, timing.wall, timing.cpu) + "\n")

    def total(self) -> Timing:
        """Return the time since this progress began."""
        return Timing("total", time.perf_counter() - self._start[0], time.process_time() - self._start[1])

    def finish(self) -> None:
        """Print the total, with the peak memory, when verbose."""
        if self.verbose:
            total = self.total()
            peak, copies = peak_memory_mb(), peak_memory_mb(copies=True)
            memory = f", peak memory {peak:,.0f} MB" if peak is not None else ""
            if peak is not None and copies is not None and workers.forked():
                # The copies that shared the work (workers.py) share much of this process's memory.
                memory += f" (and up to {copies:,.0f} MB in a copy that shared the work)"
            self._write(_line(total.stage, total.wall, total.cpu) + memory + "\n")

    def _write(self, text: str) -> None:
        assert self.stream is not None
        self.stream.write(text)
        self.stream.flush()


def _line(stage: str, wall: float, cpu: float) -> str:
    return f"survey: {stage:<12} {wall:7.2f} s  (cpu {cpu:.2f} s)"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False
