"""Where each page's content goes: long sections split into pages, large indexes into letters.

MkDocs' cost per page grows faster than the page (Python-Markdown and Material's search
re-scan the page's rest at every block), and a reader's browser struggles with a page of
thousands of papers; pages of a bounded size keep both linear.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

from .keys import ascii_fold
from .models import Survey

SECTIONS_DIR = "sections"
# Papers per page of a section; a section of up to this many papers is one page.
PAGE_SIZE = 100
# An author or keyword index that links more papers than this gets one page per initial letter.
INDEX_SPLIT = 3000
OTHER = "#"


def section_page(section_id: str, number: int = 1) -> str:
    """Return the docs path of a section's first page, or of its later page `number`."""
    return f"{SECTIONS_DIR}/{section_id}.md" if number == 1 else f"{SECTIONS_DIR}/{section_id}/{number}.md"


def split_pages(keys: Sequence[str], size: int | None = None) -> list[tuple[str, ...]]:
    """Split a section's papers into pages of at most `size` (PAGE_SIZE), as even as they can be."""
    size = size or PAGE_SIZE
    count = max(1, math.ceil(len(keys) / size))
    share, extra = divmod(len(keys), count)  # the first `extra` pages hold one paper more
    bounds = [number * share + min(number, extra) for number in range(count + 1)]
    return [tuple(keys[start:end]) for start, end in zip(bounds, bounds[1:], strict=False)]


def paper_pages(survey: Survey, size: int | None = None) -> dict[str, str]:
    """Return the docs page that holds each paper."""
    return {
        key: section_page(section.id, number)
        for section in survey.sections
        for number, keys in enumerate(split_pages(section.papers, size), start=1)
        for key in keys
    }


def page_index(section_id: str) -> str:
    """Return the docs path of a long section's index of which page holds each paper."""
    return f"{SECTIONS_DIR}/{section_id}/pages.json"


def pager(pages: Sequence[str], number: int, index: str | None = None) -> dict[str, Any]:
    """Return the links between the pages of one section, seen from page `number` (from 1), and
    the section's page index (see `page_index`)."""
    return {
        "number": number,
        "count": len(pages),
        "index": index,
        "pages": [{"number": n, "page": page} for n, page in enumerate(pages, start=1)],
        "previous": pages[number - 2] if number > 1 else None,
        "next": pages[number] if number < len(pages) else None,
    }


@functools.lru_cache(maxsize=1 << 16)
def initial(word: str) -> str:
    """Return the letter a word is filed under in an index: "Über" -> "U"; digits and symbols -> "#"."""
    first = ascii_fold(word)[:1].upper()
    return first if first.isalpha() else OTHER


@functools.lru_cache(maxsize=1 << 10)
def letter_page(index_page: str, letter: str) -> str:
    """Return the docs path of one letter of a split index: ("authors.md", "K") -> "authors/k.md"."""
    name = letter.lower() if letter.isascii() and letter.isalpha() else "other"
    return f"{index_page[: -len('.md')]}/{name}.md"


def is_large(entries: Sequence[Any]) -> bool:
    """Tell whether an index (of authors or keywords) links so many papers that it gets a page per letter."""
    return sum(len(e.papers) for e in entries) > INDEX_SPLIT


def letter_anchor(letter: str) -> str:
    """Return the anchor of a letter's heading in an index."""
    return f"letter-{letter.lower() if letter.isascii() and letter.isalpha() else 'other'}"
