"""Share independent jobs between this process and forked copies of it, on every core.

A job renders some files of the docs folder. Jobs are dealt out by their estimated cost before
any runs, so which process runs a job depends only on the jobs, and a job's files are the same
bytes whichever process made them. Copies are forked (Linux): they start with everything this
process has built, nothing is sent to them but job numbers. Elsewhere, with one core, or with
SURVEY_PROCESSES=1, every job runs here, one after another.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# More processes than this gain little: the parent still has to receive and write every file.
MAX_PROCESSES = 4
# The parent also receives the copies' files: it takes a smaller share of the work.
PARENT_SHARE = 0.8
# Items handed out together by `map_items`.
RUN = 256


@dataclass(frozen=True, slots=True)
class Job:
    """Files to make: `make(*args)` yields (path, text); `cost` is a rough size of the work."""

    cost: int
    make: Callable[..., Iterable[tuple[str, str]]]
    args: tuple[Any, ...] = ()

    def files(self) -> list[tuple[str, bytes]]:
        """Make the job's files, as UTF-8."""
        return [(path, text.encode("utf-8")) for path, text in self.make(*self.args)]


def available() -> int:
    """Return how many processes may share jobs: SURVEY_PROCESSES, or this machine's cores."""
    wanted = os.environ.get("SURVEY_PROCESSES", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return min(int(wanted), MAX_PROCESSES)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, MAX_PROCESSES))


def deal(costs: Sequence[int], processes: int) -> list[list[int]]:
    """Deal jobs out, largest first, each to the process with the least work so far.

    The parent (process 0) weighs its work up, and takes a job only after the copies on a tie.
    """
    shares: list[list[int]] = [[] for _ in range(processes)]
    loads = [0.0] * processes
    for job in sorted(range(len(costs)), key=lambda j: (-costs[j], j)):
        weights = [load / (PARENT_SHARE if number == 0 else 1.0) for number, load in enumerate(loads)]
        chosen = min(range(processes), key=lambda number: (weights[number], number == 0, number))
        shares[chosen].append(job)
        loads[chosen] += costs[job]
    return [sorted(share) for share in shares]


# The work of the current run, set before the copies are forked: they inherit it.
_WORK: Callable[[int], Any] | None = None


def _run_one(number: int) -> Any:
    assert _WORK is not None
    return _WORK(number)


def _shared(count: int, costs: Sequence[int], work: Callable[[int], Any], processes: int) -> Iterator[Any]:
    """Yield (n, `work(n)`) for n in 0..count-1: the parent's share first, then the copies'.

    The copies take their share one piece at a time, so that none holds more than one piece's
    result, and they never run the cycle collector over what they inherited (`gc.freeze`):
    either would copy memory that the copies otherwise share with this process.
    """
    global _WORK
    shares = deal(costs, processes)
    _WORK = work
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=processes - 1, mp_context=multiprocessing.get_context("fork")) as pool:
            elsewhere = [(number, pool.submit(_run_one, number)) for share in shares[1:] for number in share]
            for number in shares[0]:
                yield number, work(number)
            for number, result in elsewhere:
                yield number, result.result()
    finally:
        gc.unfreeze()
        _WORK = None


def _parallel(count: int, processes: int) -> bool:
    return processes > 1 and count > 1 and sys.platform.startswith("linux")


def run(jobs: Sequence[Job], processes: int = 1) -> Iterator[tuple[str, bytes]]:
    """Yield every job's files; with more than one process, forked copies make a share of them."""
    if not _parallel(len(jobs), processes):
        for job in jobs:
            yield from job.files()
        return
    for _, files in _shared(len(jobs), [job.cost for job in jobs], lambda number: jobs[number].files(), processes):
        yield from files


def map_items(function: Callable[[T], R], items: Sequence[T], processes: int = 1) -> list[R]:
    """Return `[function(item) for item in items]`, computed by `processes` processes."""
    if not _parallel(len(items), processes):
        return [function(item) for item in items]
    # Contiguous runs of items, so that each process reads its files in name order.
    runs = [list(range(start, min(start + RUN, len(items)))) for start in range(0, len(items), RUN)]
    results: list[Any] = [None] * len(items)
    for number, values in _shared(len(runs), [len(r) for r in runs], lambda n: [function(items[i]) for i in runs[n]], processes):
        for index, value in zip(runs[number], values, strict=True):
            results[index] = value
    return results
