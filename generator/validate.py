"""Checks across files: duplicates, sections and exclusions that name nothing."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Sequence

from . import cache
from .dedupe import Duplicate, Index, Record, family_words, find_duplicates
from .keys import NOT_KEY_STYLE, follows_key_style, make_key
from .models import Overrides, Paper, Problem, closest, did_you_mean
from .schema import Raw


def paper_record(paper: Paper) -> Record:
    """Return what identifies a paper, named by its file."""
    return Record(paper.path, paper.title, paper.arxiv, paper.doi, family_words(paper.authors), paper.year)


# The duplicates among the same papers (same keys, titles and ids) are looked for once per
# process: `survey serve` validates again after every edit, most of which change neither.
_DUPLICATES: cache.Memo[tuple[Record, ...], list[Duplicate]] = cache.memo(limit=2)


def _unread_duplicates(raws: Sequence[Raw], records: Sequence[Record]) -> list[Problem]:
    """Return the duplicates among the survey's papers of files that could not be read as papers."""
    if not raws:
        return []
    index = Index()
    for record in records:
        index.add(record)
    problems = []
    for raw in raws:
        title, arxiv, doi = (raw.data.get(name) for name in ("title", "arxiv", "doi"))
        record = Record(raw.path, title if isinstance(title, str) else "", arxiv if isinstance(arxiv, str) else None, doi if isinstance(doi, str) else None)
        duplicate = index.find(record)
        if duplicate is not None:
            problems.append(Problem(raw.path, raw.line_of(duplicate.field), duplicate.field, f"duplicate of {duplicate.existing} ({duplicate.reason})"))
    return problems


def duplicates(papers: Sequence[Paper], published: tuple[str, Sequence[tuple[int, str]]] = ("", ()), unread_raws: Sequence[Raw] = ()) -> list[Problem]:
    """Return the papers that repeat another: the later addition is the duplicate.

    `unread_raws` are the fields of paper files that could not be read as papers: one that
    repeats a paper of the survey is said so now, not after its other mistakes are fixed
    (another round of a pull request's checks).
    """
    by_path = {paper.path: paper for paper in papers}
    released_keys = {key for _, key in published[1]}
    # The copy is the newcomer: a published key is the original, then the earlier addition.
    oldest_first = sorted(papers, key=lambda p: (p.key not in released_keys, p.added or datetime.date.max, p.key))
    records = tuple(paper_record(p) for p in oldest_first)
    problems = []
    for duplicate in _DUPLICATES.get(records, find_duplicates, records):
        paper = by_path[duplicate.new]
        problems.append(Problem(paper.path, paper.line_of(duplicate.field), duplicate.field, f"duplicate of {duplicate.existing} ({duplicate.reason})"))
    return problems + _unread_duplicates(unread_raws, records)


def validate(
    papers: Sequence[Paper],
    overrides: Overrides,
    published: tuple[str, Sequence[tuple[int, str]]] = ("", ()),
    unread: Collection[str] = (),
    unread_sections: Sequence[tuple[str, int, str]] = (),
    sections_read: bool = True,
) -> list[Problem]:
    """Return the problems that only show when all files are read together, but for duplicates (see `duplicates`).

    `unread` are the keys of paper files that exist but could not be read (their own problems
    say why): the overrides and the released keys may name them. `unread_sections` are the
    sections such files name, as (file, line, section id). Without `sections_read` (an error
    in the overrides file left some of its sections unread; it is reported on its own) no
    paper's `section:` is called unknown: one mistake there made an error of every pinned
    paper, and an annotation on every file of a pull request.
    """
    problems: list[Problem] = []
    path, released = published
    section_ids = [spec.id for spec in overrides.sections]
    pinned = [(paper.path, paper.line_of("section"), paper.section) for paper in papers if paper.section]
    for where, line, section in [*pinned, *unread_sections] if sections_read else []:
        if section not in section_ids:
            problems.append(Problem(where, line, "section", unknown_section(section, section_ids)))
    keys = {paper.key for paper in papers} | set(unread)
    for key in overrides.exclude:
        if key not in keys:
            problems.append(Problem(overrides.path, overrides.line_of("exclude"), "exclude", f"excludes '{key}', but there is no paper file '{key}.yaml'{did_you_mean(key, keys, cutoff=0.75)}"))
    # A file renamed by a pull request is most likely the new key nearest the one that went.
    unreleased = keys - {key for _, key in released}
    for line, key in released:
        if key not in keys:
            close = closest(key, unreleased, cutoff=0.75)
            renamed = f" (renamed to content/papers/{close}.yaml? rename it back)" if close else ""
            problems.append(Problem(path, line, "", f"published key '{key}' has no paper file any more{renamed}: citation keys never change once released, so restore content/papers/{key}.yaml (use `exclude` in the overrides to hide a paper)"))
    return problems + key_style(papers, {key for _, key in released})


def key_style(papers: Sequence[Paper], released: Collection[str], releasing: bool = False) -> list[Problem]:
    """Warn of keys not yet released that do not name the first author's family and the year.

    Once released a key never changes: before, the file can still be renamed (`releasing` says
    that it is being released now, as it is).
    """
    problems = []
    offending = [paper for paper in papers if paper.key not in released and not follows_key_style(paper.key, paper.authors, paper.year)]
    taken = {paper.key for paper in papers} if offending else set()
    for paper in offending:
        if releasing:
            advice = "released as it is: the key never changes now"
        else:
            advice = f"rename it to '{make_key(paper.title, paper.authors, paper.year, taken - {paper.key})}.yaml' before `survey release` makes the key permanent"
        problems.append(Problem(paper.path, 1, "", f"file name '{paper.key}.yaml' {NOT_KEY_STYLE}: {advice}", "warning"))
    return problems


def unknown_section(section: str, known: Sequence[str]) -> str:
    """Say that a section id is not one of the curator's, with the closest one and the list."""
    listed = ", ".join(known) if known else "none: define sections in the overrides file"
    return f"unknown section '{section}'{did_you_mean(section, known, cutoff=0.75)} (known sections: {listed})"
