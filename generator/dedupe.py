"""Find papers that are the same work: same arXiv id, same DOI, or near-identical title."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .keys import ascii_fold

TITLE_SIMILARITY = 0.93
# The characters of folded titles, counted one by one for a cheap bound on their likeness.
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 "


def _profile(text: str) -> tuple[int, ...]:
    """Count each character of a folded title, and all others together (the last count)."""
    counts = [text.count(c) for c in _ALPHABET]
    return (*counts, len(text) - sum(counts))


def _bound(a: tuple[int, ...], b: tuple[int, ...], total: int) -> float:
    """Return an upper bound of SequenceMatcher's ratio from character counts (its quick_ratio, or above)."""
    return 2.0 * sum(map(min, a, b)) / total if total else 1.0


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A record that repeats one already known, and why."""

    new: str
    existing: str
    reason: str


def title_words(title: str) -> tuple[str, ...]:
    """Return a title's words, folded to lowercase ASCII."""
    return tuple(w for w in (ascii_fold(p) for p in re.split(r"\W+", title)) if w)


def _arxiv_base(arxiv: str | None) -> str | None:
    return re.sub(r"v\d+$", "", arxiv) if arxiv else None


# The DOI arXiv gives every paper since 2022 (Zotero and DataCite export it): the same paper.
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)


def _arxiv_id(record: Record) -> str | None:
    """Return a record's arXiv id without version, from its arxiv field or its arXiv DOI."""
    found = _ARXIV_DOI.match(record.doi or "")
    return _arxiv_base(record.arxiv or (found.group(1) if found else None))


@dataclass(frozen=True, slots=True)
class Record:
    """What identifies a paper: its name for messages, ids and title."""

    name: str
    title: str
    arxiv: str | None = None
    doi: str | None = None


class Index:
    """Known papers, looked up by arXiv id, DOI and title."""

    def __init__(self) -> None:
        self._arxiv: dict[str, str] = {}
        self._doi: dict[str, str] = {}
        self._titles: dict[tuple[str, ...], str] = {}
        self._by_prefix: dict[tuple[str, ...], list[tuple[str, tuple[int, ...], str]]] = defaultdict(list)

    def find(self, record: Record) -> Duplicate | None:
        """Return the known paper a record repeats, if any."""
        arxiv = _arxiv_id(record)
        if arxiv and arxiv in self._arxiv:
            return Duplicate(record.name, self._arxiv[arxiv], f"same arXiv id {arxiv}")
        if record.doi and record.doi.lower() in self._doi:
            return Duplicate(record.name, self._doi[record.doi.lower()], f"same DOI {record.doi}")
        words = title_words(record.title)
        if words in self._titles:
            return Duplicate(record.name, self._titles[words], "same title")
        joined = " ".join(words)
        profile = _profile(joined)
        matcher: difflib.SequenceMatcher[str] | None = None
        for other_joined, other_profile, other in self._by_prefix.get(words[:2], []):
            # Cheap upper bounds first (lengths, then character counts): the same answer with far
            # fewer full comparisons.
            total = len(joined) + len(other_joined)
            if 2.0 * min(len(joined), len(other_joined)) < TITLE_SIMILARITY * total or _bound(profile, other_profile, total) < TITLE_SIMILARITY:
                continue
            if matcher is None:
                # SequenceMatcher indexes its second sequence: index the new title once, not every known one.
                matcher = difflib.SequenceMatcher(None, autojunk=False)
                matcher.set_seq2(joined)
            matcher.set_seq1(other_joined)
            ratio = matcher.ratio()
            if ratio >= TITLE_SIMILARITY:
                return Duplicate(record.name, other, f"near-identical title ({ratio:.0%} alike)")
        return None

    def add(self, record: Record) -> None:
        """Remember a paper."""
        arxiv = _arxiv_id(record)
        if arxiv:
            self._arxiv.setdefault(arxiv, record.name)
        if record.doi:
            self._doi.setdefault(record.doi.lower(), record.name)
        words = title_words(record.title)
        self._titles.setdefault(words, record.name)
        joined = " ".join(words)
        self._by_prefix[words[:2]].append((joined, _profile(joined), record.name))


def find_duplicates(records: Iterable[Record], known: Sequence[Record] = ()) -> list[Duplicate]:
    """Return every record that repeats a known one or an earlier record."""
    index = Index()
    for record in known:
        index.add(record)
    found = []
    for record in records:
        duplicate = index.find(record)
        if duplicate:
            found.append(duplicate)
        else:
            index.add(record)
    return found
