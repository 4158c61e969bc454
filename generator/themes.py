"""The `survey themes` table: sections, their keywords, weakest members and uncertain placements."""

from __future__ import annotations

from .models import OTHER_ID, Overrides, Placement, Survey, papers_in_sections

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


# At most this many unpinned papers are listed by a build; `survey themes` lists them all.
PLACED_SHOWN = 20


def _uncertain(placement: Placement) -> bool:
    """Tell whether a paper went to "Other", or was placed by a margin that reads as a close call."""
    return placement.section == OTHER_ID or (not placement.pinned and round(placement.margin, 2) <= LOW_MARGIN)


def _placed_line(placement: Placement) -> str:
    call = ", a close call: pin it if it belongs elsewhere" if _uncertain(placement) else ""
    return f"placed {placement.key} in '{placement.section}' by its words (similarity {placement.similarity:.2f}, margin {placement.margin:+.2f}{call})"


def build_notes(survey: Survey, overrides: Overrides) -> list[str]:
    """Return what a build tells the curator about the grouping: where each unpinned paper went
    and how sure that was (with curated sections), papers that fit no section, curated sections
    left empty, and automatic sections the bounds asked for but the papers do not hold."""
    notes = []
    if any(s.curated for s in survey.sections):
        placed = sorted((p for p in survey.placements if not p.pinned and p.section != OTHER_ID), key=lambda p: (p.margin, p.key))
        notes += [_placed_line(p) for p in placed[:PLACED_SHOWN]]
        if len(placed) > PLACED_SHOWN:
            notes.append(f"… and {len(placed) - PLACED_SHOWN} more papers placed by their words: `survey themes` lists them all")
    others = [p.key for p in survey.placements if p.section == OTHER_ID]
    if others:
        shown = ", ".join(others[:PLACED_SHOWN]) + (", …" if len(others) > PLACED_SHOWN else "")
        notes.append(f"{len(others)} paper(s) fit no section and are in 'Other papers': {shown}")
    return notes + section_notes(survey, overrides)


def section_notes(survey: Survey, overrides: Overrides) -> list[str]:
    """Return what is wrong with the sections as a whole: curated ones left empty, or fewer or more
    automatic ones than the bounds ask for (the papers hold no more groups of the minimum size)."""
    if any(s.curated for s in survey.sections):
        return [f"section '{s.id}' has no papers: none pins it with `section: {s.id}` and none fits it best" for s in survey.sections if s.curated and not s.papers]
    found = sum(1 for s in survey.sections if s.id != OTHER_ID)
    if overrides.min_sections <= found <= overrides.max_sections or len(survey.papers) < 3:
        return []
    where = overrides.path or "content/overrides.yaml"
    # An overrides file that was read has lines; without one the bounds are the defaults.
    asked = f"automatic_sections in {where} asks for" if overrides.lines else f"the default bounds (automatic_sections in {where}) ask for"
    return [
        f"found {found} automatic section(s) of at least {overrides.min_section_size} papers, but {asked} "
        f"{overrides.min_sections} to {overrides.max_sections}: these papers hold no more groups of that size"
    ]


def themes_table(survey: Survey, weakest: int = WEAKEST, overrides: Overrides | None = None) -> str:
    """Return the text a curator reads to review the sections in a terminal."""
    placements = {p.key: p for p in survey.placements}
    unpinned = [p for p in survey.placements if not p.pinned]
    curated = any(s.curated for s in survey.sections)
    lines = [
        papers_in_sections(len(survey.papers), len(survey.sections))
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
            ["paper", "section", "similarity", "margin", "note"],
            [[p.key, p.section, f"{p.similarity:.2f}", f"{p.margin:+.2f}", "close call" if _uncertain(p) else ""] for p in placed],
        )
    doubtful = sorted((p for p in survey.placements if _uncertain(p)), key=lambda p: (p.section != OTHER_ID, p.margin, p.key))
    if doubtful:
        lines += ["", "Unplaced or low-confidence papers:"]
        lines += _table(
            ["paper", "section", "similarity", "margin"],
            [[p.key, p.section, f"{p.similarity:.2f}", f"{p.margin:+.2f}"] for p in doubtful],
        )
    else:
        lines += ["", "No unplaced or low-confidence papers."]
    notes = section_notes(survey, overrides) if overrides is not None else []
    if notes:
        lines += ["", *(note[0].upper() + note[1:] + "." for note in notes)]
    return "\n".join(lines) + "\n"
