"""Typed, immutable records that flow through the pipeline."""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, pointing at its file, line and field."""

    path: str
    line: int
    field: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        what = f"field '{self.field}': " if self.field else ""
        level = "" if self.severity == "error" else f"{self.severity}: "
        return visible(f"{where}: {level}{what}{self.message}")


# Characters that a terminal or a CI log would act on rather than show: control characters
# (an escape sequence clears the screen; a line break forges a "file:line: ok" line of its
# own) and the marks that reorder text right to left.
_UNSEEN = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """Return text with the characters a terminal would act on written as escapes (\\x1b, \\n)."""
    return _UNSEEN.sub(lambda found: ascii(found.group())[1:-1], text) if _UNSEEN.search(text) else text


def papers_in_sections(papers: int, sections: int) -> str:
    """Return "118 papers in 12 sections", or "1 paper in 1 section", as the commands say it."""

    def many(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    return f"{many(papers, 'paper')} in {many(sections, 'section')}"


def closest(name: str, known: Iterable[str], cutoff: float = 0.6) -> str | None:
    """Return the known name closest to a mistyped or changed one, if any is close enough."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=cutoff)
    return close[0] if close else None


def did_you_mean(name: str, known: Iterable[str], cutoff: float = 0.6) -> str:
    """Return " — did you mean 'x'?" for the closest known name to a mistyped one, or nothing."""
    close = closest(name, known, cutoff)
    return f" — did you mean '{close}'?" if close else ""


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper of the survey, as read from `content/papers/<key>.yaml`."""

    key: str
    title: str
    authors: tuple[str, ...] = ()
    et_al: bool = False
    year: int | None = None
    abstract: str = ""
    arxiv: str | None = None
    doi: str | None = None
    venue: str | None = None
    entry_type: str | None = None
    url: str | None = None
    code: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    added: datetime.date | None = None
    path: str = ""
    lines: tuple[tuple[str, int], ...] = ()
    # The hash of the fields above, worked out once: a paper keys the memos of several stages
    # (see cache.py), and a survey of 10,000 papers was hashed 160,000 times a build, a tenth of
    # a second. Not compared, and not pickled: another process may hash text differently.
    _hash: int | None = field(default=None, init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        known = self._hash
        if known is None:
            known = hash(tuple(getattr(self, name) for name in _PAPER_FIELDS))
            object.__setattr__(self, "_hash", known)
        return known

    def __getstate__(self) -> list[Any]:
        return [getattr(self, name) for name in _PAPER_FIELDS] + [None]

    def line_of(self, name: str) -> int:
        """Return the line a field was written on, or 1 if it was not written."""
        return dict(self.lines).get(name, 1)


# The fields that make a paper what it is (all but its cached hash).
_PAPER_FIELDS = tuple(f.name for f in fields(Paper) if f.compare)


@dataclass(frozen=True, slots=True)
class SectionSpec:
    """A section the curator defined in `content/overrides.yaml`."""

    id: str
    title: str
    description: str = ""
    order: int = 0
    keywords: tuple[str, ...] = ()
    line: int = 1


# The site's title when the curator gives none.
DEFAULT_TITLE = "A survey"


@dataclass(frozen=True, slots=True)
class Overrides:
    """The curator's file: sections, exclusions, stop words, bounds."""

    sections: tuple[SectionSpec, ...] = ()
    exclude: tuple[str, ...] = ()
    stop_words: tuple[str, ...] = ()
    min_sections: int = 4
    max_sections: int = 14
    min_section_size: int = 3
    title: str = DEFAULT_TITLE
    description: str = ""
    repository: str | None = None
    path: str = ""
    lines: tuple[tuple[str, int], ...] = ()

    def line_of(self, name: str) -> int:
        """Return the line a key was written on, or 1 if it was not written."""
        return dict(self.lines).get(name, 1)

    def keywords(self) -> tuple[str, ...]:
        """Return every curated section's keywords, in the order written."""
        return tuple(k for spec in self.sections for k in spec.keywords)


# The id of the section of papers that fit no other ("Other papers").
OTHER_ID = "other"


@dataclass(frozen=True, slots=True)
class Section:
    """A themed section of the survey with its member papers, in page order."""

    id: str
    title: str
    description: str
    keywords: tuple[str, ...]
    papers: tuple[str, ...]
    curated: bool = False


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one paper went, and how sure the grouping was."""

    key: str
    section: str
    similarity: float
    pinned: bool
    margin: float = 0.0


@dataclass(frozen=True, slots=True)
class Survey:
    """The analysed survey: papers, their sections and derived facts."""

    papers: tuple[Paper, ...]
    sections: tuple[Section, ...]
    paper_keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)
    placements: tuple[Placement, ...] = ()
    coordinates: dict[str, tuple[float, float]] = field(default_factory=dict)


class ProblemsError(Exception):
    """Problems that stop a command, each naming its file, line and field."""

    def __init__(self, problems: Sequence[Problem], summary: str = ""):
        super().__init__(summary or "\n".join(str(p) for p in problems))
        self.problems = list(problems)

    def __reduce__(self) -> tuple[Any, ...]:  # raised in a forked copy, it reaches this process whole
        return (type(self), (self.problems,))


class InputError(ProblemsError):
    """The content has problems the contributor must fix; each names its file and line."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__(problems, f"{len(problems)} problem(s) in the content")
