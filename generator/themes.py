"""The `survey themes` table: sections, their keywords, weakest members and uncertain placements."""

from __future__ import annotations

from .models import Placement, Survey
from .sections import OTHER_ID

WEAKEST = 3
TABLE_KEYWORDS = 5
# An unpinned paper whose similarity to its section beats the next section by less than this
# was a close call; the curator may want to pin it.
LOW_MARGIN = 0.02


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [_row(header, widths), _row(["-" * w for w in widths], widths)] + [_row(r, widths) for r in rows]


def _uncertain(placement: Placement) -> bool:
    return placement.section == OTHER_ID or (not placement.pinned and placement.margin < LOW_MARGIN)


def themes_table(survey: Survey, weakest: int = WEAKEST) -> str:
    """Return the text a curator reads to review the sections in a terminal."""
    placements = {p.key: p for p in survey.placements}
    unpinned = [p for p in survey.placements if not p.pinned]
    curated = any(s.curated for s in survey.sections)
    lines = [
        f"{len(survey.papers)} papers in {len(survey.sections)} sections"
        + (f"; {len(unpinned)} placed by their words, not pinned" if curated else "; sections found automatically")
        + ".",
        "",
    ]
    rows = []
    for section in survey.sections:
        members = sorted((placements[k] for k in section.papers if k in placements), key=lambda p: (p.similarity, p.key))
        weak = ", ".join(f"{p.key} ({p.similarity:.2f})" for p in members[:weakest])
        rows.append([section.id, str(len(section.papers)), ", ".join(section.keywords[:TABLE_KEYWORDS]), weak])
    lines += _table(["section", "papers", "keywords", "weakest members (similarity to the rest of the section)"], rows)
    placed = sorted((p for p in unpinned if curated and p.section != OTHER_ID), key=lambda p: (p.section, -p.similarity, p.key))
    if placed:
        lines += ["", "Placed by their words (not pinned):"]
        lines += _table(
            ["paper", "section", "similarity", "margin", ""],
            [[p.key, p.section, f"{p.similarity:.2f}", f"{p.margin:+.2f}", "close call" if _uncertain(p) else ""] for p in placed],
        )
    doubtful = sorted((p for p in survey.placements if _uncertain(p) and (p.section == OTHER_ID or not curated)), key=lambda p: (p.section != OTHER_ID, p.margin, p.key))
    if doubtful:
        lines += ["", "Unplaced or low-confidence papers:"]
        lines += _table(
            ["paper", "section", "similarity", "margin"],
            [[p.key, p.section, f"{p.similarity:.2f}", f"{p.margin:+.2f}"] for p in doubtful],
        )
    else:
        lines += ["", "No unplaced or low-confidence papers."]
    return "\n".join(lines) + "\n"
