"""Keep the pages whose inputs did not change since the last build (`survey serve`).

After one edit most pages of a survey are made of exactly what they were made of before. A
job (see workers.Job) whose name and arguments equal those of the last build, rendered with
the same templates, keeps the files it made then, as long as they are still in the docs folder
as they were written. Everything else is rendered again. A cold build (`survey build`) never
reuses anything: only a process that has built this survey before remembers what it rendered.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from . import cache
from .workers import Job
from .write import Kept

T = TypeVar("T")

# What a file of the docs folder looked like when this process last wrote or checked it.
Stamp = tuple[int, int, int]  # size, modification time (ns), inode


@dataclass(frozen=True, slots=True)
class _Rendered:
    """One job of the last build: its arguments and the files it made, as they were left."""

    args: tuple[Any, ...]
    files: tuple[tuple[str, Stamp], ...]


@dataclass(frozen=True, slots=True)
class _Memory:
    """What the last successful build rendered into a docs folder, with which templates."""

    docs: Path
    templates: tuple[Any, ...]
    jobs: dict[str, _Rendered]
    records: dict[str, Any]


# The last successful build's jobs; set only once a build is written (see `Reuse.commit`).
_LAST: cache.Memo[str, _Memory] = cache.lasting(limit=1)


def _stamp(path: Path) -> Stamp | None:
    try:
        status = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ino)


def _equal(old: Any, new: Any) -> bool:
    """Tell whether two jobs' arguments are equal; values that cannot say (arrays) are not."""
    try:
        return bool(old == new)
    except (TypeError, ValueError):
        return False


def _same(old: Any, new: Any, fields: frozenset[str]) -> bool:
    """Tell whether two values are equal in the given fields of every mapping in them.

    Compared whole first; only where that finds a difference are the fields looked at one by
    one, so a page whose papers are unchanged costs no more than before.
    """
    if old is new or _equal(old, new):
        return True
    if isinstance(old, dict) and isinstance(new, dict):
        shown = new.keys() & fields
        return old.keys() & fields == shown and all(_same(old[key], new[key], fields) for key in shown)
    if isinstance(old, list | tuple) and isinstance(new, list | tuple) and type(old) is type(new):
        return len(old) == len(new) and all(_same(a, b, fields) for a, b in zip(old, new, strict=True))
    return False


def _unchanged(before: tuple[Any, ...], job: Job) -> bool:
    """Tell whether a job would make what it made in the last build, whose arguments were `before`.

    A page made from one template is compared by the fields its template reads (`job.fields`):
    an author index is kept when a listed paper's abstract or related papers change. Its
    context's own names (`site`, `letters`) are all compared.
    """
    if _equal(before, job.args):
        return True
    if job.fields is None or len(before) != len(job.args):
        return False
    *head, context = job.args
    *old_head, old_context = before
    return (
        _equal(old_head, head)
        and isinstance(old_context, dict)
        and old_context.keys() == context.keys()
        and all(_same(old_context[name], value, job.fields) for name, value in context.items())
    )


class Reuse:
    """What one build may keep of the last one, and what it made itself, to remember if it succeeds."""

    def __init__(self, docs: Path, templates: tuple[Any, ...], remember: bool):
        last = _LAST.recall("last")
        self._docs = docs
        self._templates = templates
        same = last is not None and last.docs == docs and last.templates == templates
        self._last = last.jobs if last is not None and same else {}
        self._last_records = last.records if last is not None and same else {}
        self._remember = remember
        self._now: dict[str, tuple[tuple[Any, ...], tuple[str, ...]]] = {}
        self._records: dict[str, Any] = {}

    def records(self, made: dict[str, T]) -> dict[str, T]:
        """Return what the pages show of each paper, the last build's object where it is equal.

        Pages hold the same paper many times (its section, the indexes, the table): with the
        objects shared, comparing a page's arguments with the last build's finds each unchanged
        paper by identity at once, instead of comparing it field by field on every page.
        """
        if not self._remember:
            return made
        last = self._last_records
        settled = {key: last[key] if key in last and _equal(last[key], record) else record for key, record in made.items()}
        self._records = settled
        return settled

    @property
    def remembers(self) -> bool:
        """Tell whether this build is remembered for the next one (see `records`)."""
        return self._remember

    def split(self, jobs: Sequence[Job]) -> tuple[list[tuple[str, Kept]], list[Job]]:
        """Return the files kept from the last build, and the jobs to run again."""
        kept: list[tuple[str, Kept]] = []
        todo: list[Job] = []
        for job in jobs:
            before = self._last.get(job.name) if job.name else None
            if before is not None and _unchanged(before.args, job) and all(_stamp(self._docs / path) == stamp for path, stamp in before.files):
                kept += [(path, Kept(stamp[0])) for path, stamp in before.files]
                self.made(job, [path for path, _ in before.files])
            else:
                todo.append(job)
        return kept, todo

    def made(self, job: Job, paths: Iterable[str]) -> None:
        """Note the files a job made (or kept) in this build."""
        if self._remember and job.name:
            self._now[job.name] = (job.args, tuple(paths))

    def commit(self) -> None:
        """Remember this build's jobs, once their files are in the docs folder."""
        _LAST.clear()
        if not self._remember:
            return
        jobs = {}
        for name, (args, paths) in self._now.items():
            stamps = [(path, _stamp(self._docs / path)) for path in paths]
            if all(found is not None for _, found in stamps):
                jobs[name] = _Rendered(args, tuple((path, found) for path, found in stamps if found is not None))
        _LAST.put("last", _Memory(self._docs, self._templates, jobs, self._records))
