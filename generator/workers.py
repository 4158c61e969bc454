"""Share independent jobs between this process and forked copies of it, on every core.

A job renders some files of the docs folder; its files are the same bytes whichever process
makes them. Copies are forked (Linux): they start with everything this process has built,
nothing is sent to them but job numbers. Elsewhere, with one core, or with
SURVEY_PROCESSES=1, every job runs here, one after another.

`aside` has one copy compute something (read the content, draw the map) while this process
goes on with other work, where a core would otherwise stay idle.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import multiprocessing
import os
import pickle
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from .write import Staged, fresh_folder, stage

T = TypeVar("T")
R = TypeVar("R")

# prctl's request to be sent a signal when the parent process ends (linux/prctl.h).
PR_SET_PDEATHSIG = 1
# More processes than this gain little: the parent still has to receive and write every file.
MAX_PROCESSES = 4
# Items handed out together by `map_items`.
RUN = 256


@dataclass(frozen=True, slots=True)
class Job:
    """Files to make: `make(*args)` yields (path, text or bytes); `cost` is a rough size of the work.

    `name` tells the job from the others of a build, and the same job in the next build (see reuse.py).
    `fields`, for a page made from one template, names every field that template may read (see
    render.template_fields): the page is kept when those are unchanged (see reuse.py).
    """

    cost: int
    make: Callable[..., Iterable[tuple[str, str | bytes]]]
    args: tuple[Any, ...] = ()
    name: str = ""
    fields: frozenset[str] | None = None

    def files(self, into: Path | None = None) -> list[tuple[str, bytes | Staged]]:
        """Make the job's files, as UTF-8; with `into`, each is staged there as it is made (see write.stage)."""
        made: list[tuple[str, bytes | Staged]] = []
        for path, text in self.make(*self.args):
            data = text if isinstance(text, bytes) else text.encode("utf-8")
            made.append((path, data if into is None else stage(into, path, data)))
        return made


def available() -> int:
    """Return how many processes may share jobs: SURVEY_PROCESSES, or this machine's cores."""
    wanted = os.environ.get("SURVEY_PROCESSES", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return min(int(wanted), MAX_PROCESSES)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, MAX_PROCESSES))


# The work of the current run, set before the copies are forked: they inherit it.
_WORK: Callable[[int], Any] | None = None
# Whether this process has forked copies to share work (for `survey -v`'s memory line).
_FORKED = False


def shared_flag(value: bool = True) -> Any:
    """Return a flag, `.value`, that this process and the copies it forks from now on all see."""
    return multiprocessing.Value("b", value, lock=False)


def forked() -> bool:
    """Tell whether this process has shared work with forked copies of itself."""
    return _FORKED


def _run_one(number: int, spool: str) -> str:
    """Do one piece in a copy; leave its result in a file of the spool folder, and return its name.

    A result sent back through the pool's pipe would be read by a thread of the parent that
    waits for the interpreter lock at every 64 KiB: with megabytes of pages the copies stalled.
    """
    assert _WORK is not None
    path = os.path.join(spool, f"{number}.pickle")
    with open(path, "wb") as out:
        pickle.dump(_WORK(number), out, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _collect(path: str) -> Any:
    with open(path, "rb") as spooled:
        result = pickle.load(spooled)
    os.unlink(path)
    return result


def _spool_folder() -> str:
    """Return a fresh folder for results, in memory (/dev/shm) where the machine has one.

    Its name carries this process's id, so that the next build clears what a killed one left.
    """
    memory = "/dev/shm"
    return str(fresh_folder(Path(memory if os.access(memory, os.W_OK) else tempfile.gettempdir()), "survey-spool-"))


def _end_with_parent(parent: int) -> None:
    """In a copy: end when the process that forked it ends, however it ends (Linux).

    A copy waits for work on a pipe; with its parent killed it waited forever, holding the
    memory it inherited (700 MB at 5,000 papers). Ctrl-C, or a SIGTERM sent to the whole
    process group (a service manager, a cancelled job), ends a copy at once and quietly: as
    KeyboardInterrupt, which the parent's handler raised in it, each copy printed a traceback,
    and the parent says that the build was interrupted.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the request was made
        os._exit(1)


class _Copies:
    """Forked copies that make pieces of the current work, and the folder of their results."""

    def __init__(self, pool: ProcessPoolExecutor, spool: str):
        self.pool, self.spool = pool, spool
        self._futures: list[Future[Any]] = []

    def submit(self, function: Callable[..., R], *args: Any) -> Future[R]:
        """Have a copy call `function(*args)` (the copies are forked at the first call)."""
        future = self.pool.submit(function, *args)
        self._futures.append(future)
        return future

    def end(self) -> None:
        """Let the copies go: they start nothing more, and those whose work is done end.

        A copy still at work is waited for, so that it leaves nothing in the spool folder once
        that is gone. The others are not: each took 10-20 ms to exit, a tenth of a second a
        build at 10,000 papers, and they exit as well while this process goes on.
        """
        self.pool.shutdown(wait=not all(future.done() for future in self._futures), cancel_futures=True)


@contextlib.contextmanager
def _copies(work: Callable[[int], Any], count: int) -> Iterator[_Copies]:
    """Fork `count` copies that make pieces of `work` (see `_run_one`); yield them.

    The copies never run the cycle collector over what they inherited (`gc.freeze`): that
    would copy memory they otherwise share with this process. Afterwards, and after a failure,
    the copies start nothing more and their folder goes.
    """
    global _WORK, _FORKED
    _WORK, _FORKED = work, True
    spool = _spool_folder()
    gc.freeze()
    copies = _Copies(ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("fork"), initializer=_end_with_parent, initargs=(os.getpid(),)), spool)
    try:
        yield copies
    finally:
        copies.end()
        gc.unfreeze()
        _WORK = None
        shutil.rmtree(spool, ignore_errors=True)


# The pieces of the current run, largest first, and how many of them are taken (shared with the copies).
_QUEUE: tuple[list[int], Any] | None = None


def _next() -> int | None:
    """Take the next piece of the current run, in this process or a copy; None when all are taken."""
    assert _QUEUE is not None
    order, taken = _QUEUE
    with taken.get_lock():
        place = taken.value
        taken.value = place + 1
    return order[place] if place < len(order) else None


def _serve(spool: str) -> list[tuple[int, str]]:
    """In a copy: make pieces until none is left; return their numbers and result files."""
    done = []
    while (number := _next()) is not None:
        done.append((number, _run_one(number, spool)))
    return done


def _shared(count: int, costs: Sequence[int], work: Callable[[int], Any], processes: int) -> Iterator[tuple[int, Any]]:
    """Yield (n, `work(n)`) for n in 0..count-1, each computed once, here or in a copy.

    Every process takes the largest piece nobody has taken yet, one at a time, as it comes free
    (a counter shared with the copies), so all finish at about the same time however wrong the
    costs are. A piece handed to a pool's copy waits in its queue where nobody else can take
    it: with the pool's own queue this process stopped early while a copy still had pieces.
    """
    global _QUEUE
    order = sorted(range(count), key=lambda number: (-costs[number], number))
    taken = multiprocessing.get_context("fork").Value("q", 0)
    with _copies(work, processes - 1) as forked:
        _QUEUE = (order, taken)
        try:
            serving = [forked.submit(_serve, forked.spool) for _ in range(processes - 1)]
            while (number := _next()) is not None:
                yield number, work(number)
            for copy in serving:
                for number, path in copy.result():
                    yield number, _collect(path)
        finally:
            with taken.get_lock():
                taken.value = len(order)  # after a failure the copies take nothing more
            _QUEUE = None


def _parallel(count: int, processes: int) -> bool:
    return processes > 1 and count > 1 and sys.platform.startswith("linux")


def run(jobs: Sequence[Job], processes: int = 1, into: Path | None = None) -> Iterator[tuple[str, bytes | Staged]]:
    """Yield every job's files; with more than one process, forked copies make a share of them.

    With `into`, files are staged in that folder as they are made, and only where they are
    comes back: neither this process nor a copy holds the pages.
    """
    for _, files in run_each(jobs, processes, into):
        yield from files


def run_each(jobs: Sequence[Job], processes: int = 1, into: Path | None = None) -> Iterator[tuple[int, list[tuple[str, bytes | Staged]]]]:
    """Yield (n, the files of job n) for every job, in no set order (see `run`)."""
    if not _parallel(len(jobs), processes):
        for number, job in enumerate(jobs):
            yield number, job.files(into)
        return
    yield from _shared(len(jobs), [job.cost for job in jobs], lambda number: jobs[number].files(into), processes)


@dataclass(frozen=True, slots=True)
class Pending(Generic[R]):
    """A result that may still be in the making: call it for the result, waiting if need be.

    `done` tells whether calling it now would wait for another process.
    """

    result: Callable[[], R]
    done: Callable[[], bool] = lambda: True

    def __call__(self) -> R:
        return self.result()


@contextlib.contextmanager
def aside(function: Callable[..., R], *args: Any, processes: int = 1) -> Iterator[Pending[R]]:
    """Compute `function(*args)` in a forked copy while this process goes on.

    Yields the pending result; the copy ends once the result is taken. With one process the
    result is computed here, when asked for.
    """
    if not _parallel(2, processes):
        yield Pending(functools.partial(function, *args))
        return
    work = [functools.partial(function, *args)]
    with _copies(lambda _number: work[0](), 1) as copy:
        future = copy.submit(_run_one, 0, copy.spool)  # the copy is forked here
        gc.unfreeze()
        # The copy has its own image of the arguments: this process lets go of them (a survey's
        # features, hundreds of megabytes at 100,000 papers), whatever it does meanwhile.
        work.clear()
        del args

        @functools.cache
        def result() -> R:
            value: R = _collect(future.result())
            copy.end()  # the copy ends now, not at the end of the block, and its memory goes as it exits
            return value

        yield Pending(result, future.done)


def map_items(function: Callable[[T], R], items: Sequence[T], processes: int = 1) -> list[R]:
    """Return `[function(item) for item in items]`, computed by `processes` processes."""
    if not _parallel(len(items), processes):
        return [function(item) for item in items]
    # Items go out in runs, so that each piece is worth a trip to another process.
    runs = [list(range(start, min(start + RUN, len(items)))) for start in range(0, len(items), RUN)]
    results: list[Any] = [None] * len(items)
    for number, values in _shared(len(runs), [len(r) for r in runs], lambda n: [function(items[i]) for i in runs[n]], processes):
        for index, value in zip(runs[number], values, strict=True):
            results[index] = value
    return results
