"""Share independent jobs between this process and forked copies of it, on every core.

A job renders some files of the docs folder. Jobs are dealt out by their estimated cost before
any runs, so which process runs a job depends only on the jobs, and a job's files are the same
bytes whichever process made them. Copies are forked (Linux): they start with everything this
process has built, nothing is sent to them but job numbers. Elsewhere, with one core, or with
SURVEY_PROCESSES=1, every job runs here, one after another.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

# More processes than this gain little: the parent still has to receive and write every file.
MAX_PROCESSES = 4
# The parent also receives the copies' files: it takes a smaller share of the work.
PARENT_SHARE = 0.8


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


# The jobs of the current run, set before the copies are forked: they inherit them.
_JOBS: Sequence[Job] = ()


def _run_share(numbers: list[int]) -> list[tuple[str, bytes]]:
    return [file for number in numbers for file in _JOBS[number].files()]


def run(jobs: Sequence[Job], processes: int = 1) -> Iterator[tuple[str, bytes]]:
    """Yield every job's files; with more than one process, forked copies make a share of them."""
    global _JOBS
    if processes <= 1 or len(jobs) < 2 or not sys.platform.startswith("linux"):
        for job in jobs:
            yield from job.files()
        return
    shares = deal([job.cost for job in jobs], processes)
    _JOBS = jobs
    try:
        with ProcessPoolExecutor(max_workers=processes - 1, mp_context=multiprocessing.get_context("fork")) as pool:
            elsewhere = [pool.submit(_run_share, share) for share in shares[1:] if share]
            for number in shares[0]:
                yield from jobs[number].files()
            for result in elsewhere:
                yield from result.result()
    finally:
        _JOBS = ()
