"""Plan an import: new papers get keys and tidy fields; duplicates are reported, not added."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .dedupe import Duplicate, Index, Record, family_words
from .keys import NOT_KEY_STYLE, follows_key_style, is_valid_key, make_key
from .models import Paper, Problem
from .schema import ONE_AUTHOR_EACH, ORGANISATION, Raw, paper_from_raw


@dataclass(frozen=True, slots=True)
class Candidate:
    """A paper offered for import: its fields and where it was read."""

    name: str
    fields: dict[str, Any]
    line: int = 1
    key: str | None = None
    one_author: str = ONE_AUTHOR_EACH  # how this input gives one author ("repeat --authors, one name each")
    organisation: str = ORGANISATION  # and an organisation ("an organisation goes in braces" in a .bib)
    # An input that takes one name at a time (`survey add --authors`) makes a name that looks
    # like two an error: the file is not written with it, and the command is easily run again.
    two_authors: str = "warning"


@dataclass(slots=True)
class ImportPlan:
    """New paper files to write, duplicates skipped, problems found."""

    new: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The keys that differ from the entry's own ("hu_lora_2021" → "hu2021lora"): a document
    # citing the entry's key must cite the new one.
    renamed: dict[str, str] = field(default_factory=dict)


def plan_import(candidates: Sequence[Candidate], existing: Sequence[Paper], added: datetime.date) -> ImportPlan:
    """Decide which candidates become paper files, with which keys."""
    plan = ImportPlan()
    index = Index()
    for known in existing:
        index.add(Record(known.path, known.title, known.arxiv, known.doi, family_words(known.authors), known.year))
    taken = {paper.key for paper in existing}
    ours: set[str] = set()  # the keys this import gives
    for candidate in candidates:
        fields = {k: v for k, v in candidate.fields.items() if v not in (None, "", [], ())}
        where = f"{candidate.name}:{candidate.line}" if candidate.line else candidate.name
        record = Record(where, str(fields.get("title", "")), fields.get("arxiv"), fields.get("doi"), family_words([str(a) for a in fields.get("authors") or ()]), fields.get("year") if isinstance(fields.get("year"), int) else None)
        duplicate = index.find(record)
        if duplicate:
            plan.duplicates.append(duplicate)
            continue
        wanted = candidate.key.lower() if candidate.key else None
        authors, year = [str(a) for a in fields.get("authors") or ()], record.year
        if wanted and is_valid_key(wanted) and wanted not in taken:
            key = wanted
            if not follows_key_style(key, authors, year):
                # Kept, so that a document citing it still finds it; renaming is still free until released.
                ours_would_be = make_key(str(fields.get("title", "")), authors, year, taken | {key})
                plan.problems.append(Problem(candidate.name, candidate.line, "key", f"'{key}' is kept as the entry's key, but it {NOT_KEY_STYLE}: unless a document cites it, rename content/papers/{key}.yaml to '{ours_would_be}.yaml' before `survey release`", "warning"))
        else:
            key = make_key(str(fields.get("title", "")), fields.get("authors", ()), fields.get("year"), taken)
            if wanted and wanted in taken:
                # A document that cites the entry's own key would find another paper under it.
                whose = "an earlier entry's key in this import" if wanted in ours else "another paper's key in this survey"
                plan.problems.append(Problem(candidate.name, candidate.line, "key", f"'{candidate.key}' is {whose}: added as '{key}', so cite it by that key", "warning"))
        if candidate.key and candidate.key != key:
            plan.renamed[key] = candidate.key
        fields.setdefault("added", added)
        paper, problems = paper_from_raw(Raw(candidate.name, fields, {}, candidate.line), key, candidate.two_authors)
        for problem in problems:
            # An author's warning ("Teven Le Scao" may be filed under "Scao") is said now, when
            # the entry is at hand; a missing abstract, which most .bib entries lack, is not.
            if problem.severity == "error" or problem.message.startswith("item "):
                message = problem.message.replace(ONE_AUTHOR_EACH, candidate.one_author).replace(ORGANISATION, candidate.organisation)
                plan.problems.append(Problem(candidate.name, candidate.line, problem.field, message, problem.severity))
        if paper is None:
            continue
        taken.add(key)
        ours.add(key)
        index.add(Record(f"content/papers/{key}.yaml", paper.title, paper.arxiv, paper.doi, family_words(paper.authors), paper.year))
        plan.new.append((key, fields))
    return plan
