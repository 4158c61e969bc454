"""What a change does to the survey: papers added, removed, edited, moved, renamed."""

from __future__ import annotations

from dataclasses import dataclass, fields

from .dedupe import Index, Record
from .models import Paper, Survey

COMPARED = tuple(f.name for f in fields(Paper) if f.name not in ("key", "path", "lines", "added"))


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


def diff_surveys(before: Survey, after: Survey) -> SurveyDiff:
    """Compare two analysed surveys."""
    old = {p.key: p for p in before.papers}
    new = {p.key: p for p in after.papers}
    gone = sorted(set(old) - set(new))
    came = sorted(set(new) - set(old))
    index = Index()
    for key in gone:
        index.add(Record(key, old[key].title, old[key].arxiv, old[key].doi))
    renamed, renamed_from = [], {}
    for key in came:
        match = index.find(Record(key, new[key].title, new[key].arxiv, new[key].doi))
        if match and match.existing not in renamed_from:
            renamed_from[match.existing] = key
            renamed.append(Change(key, new[key].title, f"was {match.existing} ({match.reason})"))
    added = [Change(k, new[k].title) for k in came if k not in renamed_from.values()]
    removed = [Change(k, old[k].title) for k in gone if k not in renamed_from]
    edited = []
    for key in sorted(set(old) & set(new)):
        changed = [name for name in COMPARED if getattr(old[key], name) != getattr(new[key], name)]
        if changed:
            edited.append(Change(key, new[key].title, ", ".join(changed)))
    before_sections, after_sections = _section_map(before), _section_map(after)
    titles_before = {s.id: s.title for s in before.sections}
    titles_after = {s.id: s.title for s in after.sections}
    moved = [
        Change(key, new[key].title, f"{titles_before.get(before_sections[key], before_sections[key])} → {titles_after.get(after_sections[key], after_sections[key])}")
        for key in sorted(set(before_sections) & set(after_sections))
        if before_sections[key] != after_sections[key]
    ]
    sections = []
    for section_id in sorted(set(titles_before) | set(titles_after)):
        if section_id not in titles_before:
            sections.append(Change(section_id, titles_after[section_id], "new section"))
        elif section_id not in titles_after:
            sections.append(Change(section_id, titles_before[section_id], "section removed"))
        elif titles_before[section_id] != titles_after[section_id]:
            sections.append(Change(section_id, titles_after[section_id], f"retitled from “{titles_before[section_id]}”"))
    sizes_before = {s.id: len(s.papers) for s in before.sections}
    counts = tuple(
        (s.id, s.title, sizes_before.get(s.id, 0), len(s.papers))
        for s in after.sections
        if sizes_before.get(s.id, 0) != len(s.papers)
    )
    return SurveyDiff(tuple(added), tuple(removed), tuple(renamed), tuple(edited), tuple(moved), tuple(sections), counts)
