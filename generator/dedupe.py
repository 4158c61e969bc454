"""Find papers that are the same work: same arXiv id, same DOI, or near-identical title."""

from __future__ import annotations

import difflib
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .keys import ARABIC_PARTICLES, NON_WORD, PARTICLES, SUFFIXES, fold_letters, split_name

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
    field: str  # what the two share: "arxiv", "doi" or "title"


def title_words(title: str) -> tuple[str, ...]:
    """Return a title's words, folded to lowercase (Latin letters without accents; see keys.fold_letters)."""
    return tuple(w for w in (fold_letters(p) for p in NON_WORD.split(title)) if w)


@functools.lru_cache(maxsize=1 << 17)
def _folded(title: str) -> tuple[tuple[str, ...], str, tuple[int, ...]]:
    """Return a title's words, the words joined, and their character counts (worked out once per title)."""
    words = title_words(title)
    joined = " ".join(words)
    return words, joined, _profile(joined)


def _arxiv_base(arxiv: str | None) -> str | None:
    return _VERSION.sub("", arxiv) if arxiv else None


# The DOI arXiv gives every paper since 2022 (Zotero and DataCite export it): the same paper.
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
# Patterns applied to every paper, compiled once.
_VERSION = re.compile(r"v\d+$")
_HOMONYM_NUMBER = re.compile(r"\s+\d{4}$")  # DBLP's "Wei Zhang 0001"
_NAME_BREAK = re.compile(r"[\s,.-]+")
_UMLAUT = re.compile(r"([aou])e")


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
    first: frozenset[str] = frozenset()  # the words of its first author's family name (see `family_words`); empty when not known
    year: int | None = None


# Words of family names that say nothing of who: particles ("van", "Le", "Al") and suffixes.
_NOT_FAMILY = frozenset(PARTICLES | ARABIC_PARTICLES | {s.rstrip(".") for s in SUFFIXES})


def family_words(authors: Sequence[str]) -> frozenset[str]:
    """Return what the first author is compared by: the words of the family name, folded, without
    particles, suffixes or DBLP's homonym numbers ("Wei Zhang 0001"), and those words joined
    with the particles ("Le Cun" gives "cun" and "lecun", as "LeCun" gives "lecun"); a long
    word's "oe" read as "ö" ("Schoelkopf" is "Schölkopf"). A name of two words also gives them
    in the other order ("Zhang Si" and "Si Zhang", a name written family first), marked "~"."""
    if not authors:
        return frozenset()
    name = _HOMONYM_NUMBER.sub("", authors[0].strip())
    given, family, _ = split_name(name)

    def words(text: str) -> list[str]:
        return [_spelled(w) for w in (fold_letters(part) for part in _NAME_BREAK.split(text)) if w and not w.isdigit()]

    found = {w for w in words(family) if len(w) > 1 and w not in _NOT_FAMILY}
    found.add("".join(words(family)))
    if given and len(given.split()) == 1 and len(family.split()) == 1:
        found.add("~" + " ".join(sorted(words(f"{given} {family}"))))
    return frozenset(w for w in found if w)


def _spelled(word: str) -> str:
    """Return a folded word with a long word's "oe", "ae", "ue" as the vowel alone ("schoelkopf" is "scholkopf")."""
    return _UMLAUT.sub(r"\1", word) if len(word) >= 6 else word


def _different_works(a: Record, b: Record) -> bool:
    """Tell whether two records name different works: two arXiv ids, two DOIs, or two first
    authors of different family names in different years.

    Yearly series ("Findings of the WMT 2019 …", "… 2020 …") and overviews of one track in two
    years have near-identical titles; their ids tell them apart. Without ids, two papers of one
    title whose first authors have different family names, in different years, are two works
    ("Deep Learning" by LeCun, 2015, and by Goodfellow, 2016); the same family name however it
    is written, or the same year, keeps them one ("OpenAI" and its staff in one year).
    """
    arxiv_a, arxiv_b = _arxiv_id(a), _arxiv_id(b)
    if arxiv_a and arxiv_b:
        return arxiv_a != arxiv_b
    doi_a, doi_b = (a.doi or "").lower(), (b.doi or "").lower()
    if doi_a and doi_b and doi_a != doi_b and not _ARXIV_DOI.match(doi_a) and not _ARXIV_DOI.match(doi_b):
        return True
    return bool(a.first and b.first and not a.first & b.first and a.year and b.year and a.year != b.year)


def _numbers(words: tuple[str, ...]) -> list[str]:
    """Return the words of a title that hold digits (years, editions, versions), sorted."""
    return sorted(word for word in words if any(char.isdigit() for char in word))


# A leading article is no part of what a title is about: "The NADI 2021 …" repeats "NADI 2021 …".
_ARTICLES = frozenset(["the", "a", "an"])


def _blocks(words: tuple[str, ...]) -> set[tuple[str, ...]]:
    """Return the keys under which a title is compared with others: its first two words (after
    an article) and its last two. Titles alike enough to be one work share one of them."""
    start = 1 if len(words) > 2 and words[0] in _ARTICLES else 0
    return {words[start : start + 2], words[-2:]}


class Index:
    """Known papers, looked up by arXiv id, DOI and title."""

    def __init__(self) -> None:
        self._arxiv: dict[str, str] = {}
        self._doi: dict[str, str] = {}
        self._titles: dict[tuple[str, ...], list[Record]] = defaultdict(list)
        self._blocks: dict[tuple[str, ...], list[tuple[str, tuple[int, ...], Record]]] = defaultdict(list)

    def find(self, record: Record) -> Duplicate | None:
        """Return the known paper a record repeats, if any."""
        arxiv = _arxiv_id(record)
        if arxiv and arxiv in self._arxiv:
            # The id is the record's own, or read from its arXiv DOI (10.48550/arXiv.…).
            return Duplicate(record.name, self._arxiv[arxiv], f"same arXiv id {arxiv}", "arxiv" if record.arxiv else "doi")
        if record.doi and record.doi.lower() in self._doi:
            return Duplicate(record.name, self._doi[record.doi.lower()], f"same DOI {record.doi}", "doi")
        words, joined, profile = _folded(record.title)
        if not words:  # a title of no letters or digits ("!!!") says nothing about which work it is
            return None
        same = next((other for other in self._titles.get(words, ()) if not _different_works(record, other)), None)
        if same is not None:
            return Duplicate(record.name, same.name, "same title", "title")
        matcher: difflib.SequenceMatcher[str] | None = None
        seen: set[str] = set()
        for block in sorted(_blocks(words)):
            for other_joined, other_profile, other in self._blocks.get(block, []):
                if other.name in seen:
                    continue
                seen.add(other.name)
                # Cheap upper bounds first (lengths, then character counts): the same answer with
                # far fewer full comparisons.
                total = len(joined) + len(other_joined)
                if 2.0 * min(len(joined), len(other_joined)) < TITLE_SIMILARITY * total or _bound(profile, other_profile, total) < TITLE_SIMILARITY:
                    continue
                if _different_works(record, other) or _numbers(words) != _numbers(_folded(other.title)[0]):
                    continue  # "Overview of the TREC 2023 …" and "… 2024 …" are two editions
                if matcher is None:
                    # SequenceMatcher indexes its second sequence: index the new title once, not every known one.
                    matcher = difflib.SequenceMatcher(None, autojunk=False)
                    matcher.set_seq2(joined)
                matcher.set_seq1(other_joined)
                ratio = matcher.ratio()
                if ratio >= TITLE_SIMILARITY:
                    return Duplicate(record.name, other.name, f"near-identical title, {ratio:.0%} alike", "title")
        return None

    def add(self, record: Record) -> None:
        """Remember a paper."""
        arxiv = _arxiv_id(record)
        if arxiv:
            self._arxiv.setdefault(arxiv, record.name)
        if record.doi:
            self._doi.setdefault(record.doi.lower(), record.name)
        words, joined, profile = _folded(record.title)
        if not words:
            return
        self._titles[words].append(record)
        for block in _blocks(words):
            self._blocks[block].append((joined, profile, record))


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
