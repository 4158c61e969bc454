"""What a change does to the survey: papers added, removed, edited, moved, renamed."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields

from .dedupe import Index, Record, family_words
from .models import Paper, Survey

COMPARED = tuple(f.name for f in fields(Paper) if f.compare and f.name not in ("key", "path", "lines", "added"))


@dataclass(frozen=True, slots=True)
class Change:
    """One line of the diff: a paper or a section, and what happened to it."""

    key: str
    title: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SurveyDiff:
    """Everything a reviewer wants to know about a change, grouped."""

    added: tuple[Change, ...]
    removed: tuple[Change, ...]
    renamed: tuple[Change, ...]
    edited: tuple[Change, ...]
    moved: tuple[Change, ...]
    sections: tuple[Change, ...]
    counts: tuple[tuple[str, str, int, int], ...]

    @property
    def empty(self) -> bool:
        """Tell whether the change leaves the survey as it was."""
        return not (self.added or self.removed or self.renamed or self.edited or self.moved or self.sections)


def _section_map(survey: Survey) -> dict[str, str]:
    return {key: s.id for s in survey.sections for key in s.papers}


def _renamed_sections(before: Survey, after: Survey) -> dict[str, str]:
    """Return the sections whose id changed, new id → old id: a section gone and a new one that
    holds more than half of its papers and is more than half made of them."""
    old = {s.id: set(s.papers) for s in before.sections}
    new = {s.id: set(s.papers) for s in after.sections}
    gone = sorted(set(old) - set(new))
    renamed: dict[str, str] = {}
    for section_id in sorted(set(new) - set(old)):
        shared = {was: len(old[was] & new[section_id]) for was in gone if was not in renamed.values()}
        was = max(shared, key=lambda candidate: (shared[candidate], candidate), default=None)
        if was is not None and 2 * shared[was] > max(len(old[was]), len(new[section_id])):
            renamed[section_id] = was
    return renamed


def _section_changes(before: Survey, after: Survey, renamed: dict[str, str]) -> list[Change]:
    """Return the sections added, removed, renamed, retitled, described anew or put elsewhere in the order."""
    old = {s.id: s for s in before.sections}
    new = {s.id: s for s in after.sections}
    was = {section_id: renamed.get(section_id, section_id) for section_id in new}
    kept = [s.id for s in after.sections if was[s.id] in old]
    place_before = {s.id: number for number, s in enumerate(before.sections, start=1)}
    place_after = {s.id: number for number, s in enumerate(after.sections, start=1)}
    # The sections that keep their order among themselves (the longest common subsequence)
    # stayed; only the others moved: one section put first is one change, not twelve.
    order_before = sorted(kept, key=lambda section_id: place_before[was[section_id]])
    in_place = {section_id for section_id in kept if place_after[section_id] == place_before[was[section_id]]}
    stayed = _longest_common(order_before, kept, in_place)
    changes = []
    for section_id in sorted(set(old) | set(new)):
        if section_id not in new:
            if section_id not in renamed.values():
                changes.append(Change(section_id, old[section_id].title, "section removed"))
            continue
        section = new[section_id]
        if was[section_id] not in old:
            changes.append(Change(section_id, section.title, "new section"))
            continue
        earlier = old[was[section_id]]
        details = []
        if section_id in renamed:
            details.append(f"id renamed from “{renamed[section_id]}”: the section's page moves, and links to its old address break")
        if earlier.title != section.title:
            details.append(f"retitled from “{earlier.title}”")
        if earlier.description != section.description:
            details.append("description changed")
        if section_id not in stayed:
            details.append(f"now {_ordinal(place_after[section_id])} in the order, was {_ordinal(place_before[was[section_id]])}")
        if details:
            changes.append(Change(section_id, section.title, "; ".join(details)))
    return changes


def _longest_common(first: list[str], second: list[str], keep: Collection[str] = ()) -> set[str]:
    """Return the items of a longest common subsequence of two orders of the same items; among
    equally long ones, the one with the most items of `keep` (those whose place did not change,
    so that a swap names the section that moved to another place)."""
    def weight(item: str) -> int:
        return 1000 + (item in keep)

    best = [[0] * (len(second) + 1) for _ in range(len(first) + 1)]
    for i in range(len(first) - 1, -1, -1):
        for j in range(len(second) - 1, -1, -1):
            best[i][j] = max(best[i + 1][j], best[i][j + 1], best[i + 1][j + 1] + weight(first[i]) if first[i] == second[j] else 0)
    common, i, j = set(), 0, 0
    while i < len(first) and j < len(second):
        if first[i] == second[j] and best[i][j] == best[i + 1][j + 1] + weight(first[i]):
            common.add(first[i])
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return common


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def diff_surveys(before: Survey, after: Survey) -> SurveyDiff:
    """Compare two analysed surveys."""
    old = {p.key: p for p in before.papers}
    new = {p.key: p for p in after.papers}
    gone = sorted(set(old) - set(new))
    came = sorted(set(new) - set(old))
    index = Index()
    for key in gone:
        index.add(Record(key, old[key].title, old[key].arxiv, old[key].doi, family_words(old[key].authors), old[key].year))
    renamed, renamed_from = [], {}
    for key in came:
        match = index.find(Record(key, new[key].title, new[key].arxiv, new[key].doi, family_words(new[key].authors), new[key].year))
        if match and match.existing not in renamed_from:
            renamed_from[match.existing] = key
            renamed.append(Change(key, new[key].title, f"was {match.existing} ({match.reason})"))
    added = [Change(k, new[k].title) for k in came if k not in renamed_from.values()]
    removed = [Change(k, old[k].title) for k in gone if k not in renamed_from]
    renamed_sections = _renamed_sections(before, after)
    edited = []
    for key in sorted(set(old) & set(new)):
        changed = [name for name in COMPARED if getattr(old[key], name) != getattr(new[key], name)]
        if "section" in changed and old[key].section and renamed_sections.get(new[key].section or "") == old[key].section:
            changed.remove("section")  # only the section's id changed
        if changed:
            edited.append(Change(key, new[key].title, ", ".join(changed)))
    before_sections, after_sections = _section_map(before), _section_map(after)
    titles_before = {s.id: s.title for s in before.sections}
    titles_after = {s.id: s.title for s in after.sections}
    moved = [
        Change(key, new[key].title, f"{titles_before.get(before_sections[key], before_sections[key])} → {titles_after.get(after_sections[key], after_sections[key])}")
        for key in sorted(set(before_sections) & set(after_sections))
        if before_sections[key] not in (after_sections[key], renamed_sections.get(after_sections[key]))
    ]
    sections = _section_changes(before, after, renamed_sections)
    sizes_before = {s.id: len(s.papers) for s in before.sections}
    was = {s.id: renamed_sections.get(s.id, s.id) for s in after.sections}
    counts = tuple(
        (s.id, s.title, sizes_before.get(was[s.id], 0), len(s.papers))
        for s in after.sections
        if sizes_before.get(was[s.id], 0) != len(s.papers)
    ) + tuple((s.id, s.title, len(s.papers), 0) for s in before.sections if s.id not in titles_after and s.id not in renamed_sections.values())
    return SurveyDiff(tuple(added), tuple(removed), tuple(renamed), tuple(edited), tuple(moved), tuple(sections), counts)
