"""Remember work between builds in one process, as `survey serve` rebuilds after each edit.

Each memo maps a key that holds every input of a computation (a frozen record, or a hash
of the bytes) to its result, so a hit returns exactly what computing again would. A memo
keeps only what the current build and the one before it asked for: `next_build()`
forgets everything older, so memory follows the survey's size, not the number of edits. A
lasting memo (`lasting`) keeps up to its limit across builds instead, for small results of a
stage that a build which changes nothing skips.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """A dictionary of results for this build and the previous one."""

    def __init__(self, limit: int = 1_000_000):
        self._now: dict[K, V] = {}
        self._before: dict[K, V] = {}
        self._limit = limit  # a process that never calls next_build() still stays bounded

    def get(self, key: K, make: Callable[..., V], *args: Any) -> V:
        """Return the result remembered for a key, or `make(*args)` and remember it."""
        if key in self._now:
            return self._now[key]
        value = self._before.pop(key) if key in self._before else make(*args)
        if len(self._now) >= self._limit:
            self.next_build()
        self._now[key] = value
        return value

    def put(self, key: K, value: V) -> None:
        """Remember a result computed elsewhere (by another process), in place of any remembered before."""
        self._before.pop(key, None)
        if key not in self._now and len(self._now) >= self._limit:
            self.next_build()
        self._now[key] = value

    def recall(self, key: K) -> V | None:
        """Return the result remembered for a key, or None; what is recalled is kept for the next build."""
        if key in self._before and key not in self._now:
            self.put(key, self._before.pop(key))
        return self._now.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._now or key in self._before

    def used(self) -> list[tuple[K, V]]:
        """Return what this build asked for, to `put` in another process's memo."""
        return list(self._now.items())

    def next_build(self) -> None:
        """Forget what the build before last used."""
        self._before, self._now = self._now, {}

    def clear(self) -> None:
        """Forget everything."""
        self._now, self._before = {}, {}

    def __len__(self) -> int:
        return len(self._now) + len(self._before)


_MEMOS: list[Memo] = []
# Memos kept across builds that do not ask for them (see `lasting`).
_LASTING: list[Memo] = []


def memo(limit: int = 1_000_000) -> Memo:
    """Return a new memo that `next_build` and `clear` reach."""
    found: Memo = Memo(limit)
    _MEMOS.append(found)
    return found


def lasting(limit: int) -> Memo:
    """Return a new memo that only its limit and `clear` empty, not `next_build`.

    For small results of a stage that an unchanged survey skips: a build that changes nothing
    does not ask for them, and the build after it, which changes one paper, still finds them.
    """
    found: Memo = Memo(limit)
    _LASTING.append(found)
    return found


def next_build() -> None:
    """Start a build: every memo forgets what the build before last used."""
    for found in _MEMOS:
        found.next_build()


def clear() -> None:
    """Forget every remembered result (for tests that want a cold build)."""
    for found in _MEMOS + _LASTING:
        found.clear()


def digest(*parts: bytes | str) -> str:
    """Return a hash of some bytes or text, to key a memo by content."""
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()
