"""The home page's pictures as numbers: the map of the papers and papers per year by section.

Python measures; the SVG markup lives in `site_templates/_map.svg.j2` and `_years.svg.j2`, and
the papers' places on the map come from layout.py. Colours are CSS classes (`survey-c0` ...),
so light and dark mode pick them.
"""

from __future__ import annotations

import math
from typing import Any

from .models import OTHER_ID, Survey

PALETTE = 14  # colours defined in assets/survey.css as --survey-c0 ... --survey-c13: one each up to the default 14 sections
# "Other papers" are in no section: a neutral colour of their own, not the first section's.
OTHER_COLOUR = "survey-cother"

MAP_WIDTH, MAP_HEIGHT, MAP_RADIUS = 720, 420, 6.5
MAP_PADDING = 16  # room for a dot that grows under the pointer
CHART_WIDTH, CHART_HEIGHT = 720, 260
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 40, 8, 10, 28
MAX_YEAR_LABELS = 12


def colour(index: int, section: str = "") -> str:
    """Return the CSS class of a section's colour: by its place, the "Other" papers' apart."""
    return OTHER_COLOUR if section == OTHER_ID else f"survey-c{index % PALETTE}"


def legend(survey: Survey, pages: dict[str, str]) -> list[dict[str, Any]]:
    """Return the sections with their colours, for the figures' shared legend."""
    return [
        {"id": s.id, "title": s.title, "colour": colour(i, s.id), "count": len(s.papers), "page": pages[s.id]}
        for i, s in enumerate(survey.sections)
    ]


def survey_map(survey: Survey, pages: dict[str, str]) -> dict[str, Any] | None:
    """Return the map's points in SVG units, drawn section by section, and how many papers the
    sections hold (the map may show a share of them); None without coordinates."""
    if not survey.coordinates:
        return None
    by_key = {p.key: p for p in survey.papers}
    pad = MAP_PADDING
    points = []
    for index, section in enumerate(survey.sections):
        for key in section.papers:
            if key not in survey.coordinates:
                continue
            x, y = survey.coordinates[key]
            paper = by_key[key]
            points.append(
                {
                    "key": key,
                    "title": paper.title,
                    "year": paper.year,
                    "section": section.title,
                    "page": pages[section.id],
                    "colour": colour(index, section.id),
                    "x": round(pad + x * (MAP_WIDTH - 2 * pad), 1),
                    "y": round(pad + (1 - y) * (MAP_HEIGHT - 2 * pad), 1),
                }
            )
    total = sum(len(section.papers) for section in survey.sections)
    return {"width": MAP_WIDTH, "height": MAP_HEIGHT, "radius": MAP_RADIUS, "points": points, "papers": total}


def _tick_step(largest: int) -> int:
    """Return a round step that gives at most five gridlines up to the largest bar."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if largest / step <= 5:
            return step
    return 10 ** len(str(largest))


def year_chart(survey: Survey) -> dict[str, Any] | None:
    """Return stacked bars of papers per year, one segment per section; None without years."""
    year_of = {p.key: p.year for p in survey.papers}
    years = sorted({y for y in year_of.values() if y})
    if not years:
        return None
    span = list(range(years[0], years[-1] + 1))
    counts = {year: [0] * len(survey.sections) for year in span}
    for index, section in enumerate(survey.sections):
        for key in section.papers:
            if year_of.get(key):
                counts[year_of[key]][index] += 1  # type: ignore[index]
    largest = max(sum(c) for c in counts.values())
    step = _tick_step(largest)
    top = step * math.ceil(largest / step)
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = plot_width / len(span)
    bar = slot * 0.72
    every = math.ceil(len(span) / MAX_YEAR_LABELS)
    bottom = CHART_TOP + plot_height

    def height(value: int) -> float:
        return value * plot_height / top

    bars = []
    for position, year in enumerate(span):
        x = CHART_LEFT + position * slot + (slot - bar) / 2
        stacked = 0
        segments = []
        for index, section in enumerate(survey.sections):
            value = counts[year][index]
            if value:
                segments.append(
                    {
                        "section": section.title,
                        "colour": colour(index, section.id),
                        "count": value,
                        "y": round(bottom - height(stacked + value), 1),
                        "height": round(height(value), 1),
                    }
                )
                stacked += value
        bars.append(
            {
                "year": year,
                "total": stacked,
                "x": round(x, 1),
                "width": round(bar, 1),
                "centre": round(x + bar / 2, 1),
                "label": position % every == 0,
                "segments": segments,
            }
        )
    ticks = [{"value": v, "y": round(bottom - height(v), 1)} for v in range(0, top + 1, step)]
    undated = sum(1 for y in year_of.values() if not y)
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - CHART_RIGHT,
        "bottom": bottom,
        "label_y": CHART_HEIGHT - 8,
        "bars": bars,
        "ticks": ticks,
        "undated": undated,
    }
