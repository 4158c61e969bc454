"""Plan an import: new papers get keys and tidy fields; duplicates are reported, not added."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .dedupe import Duplicate, Index, Record
from .keys import is_valid_key, make_key
from .models import Paper, Problem
from .schema import Raw, paper_from_raw


@dataclass(frozen=True, slots=True)
class Candidate:
    """A paper offered for import: its fields and where it was read."""

    name: str
    fields: dict[str, Any]
    line: int = 1
    key: str | None = None


@dataclass(slots=True)
class ImportPlan:
    """New paper files to write, duplicates skipped, problems found."""

    new: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def plan_import(candidates: Sequence[Candidate], existing: Sequence[Paper], added: datetime.date) -> ImportPlan:
    """Decide which candidates become paper files, with which keys."""
    plan = ImportPlan()
    index = Index()
    for known in existing:
        index.add(Record(known.path, known.title, known.arxiv, known.doi))
    taken = {paper.key for paper in existing}
    for candidate in candidates:
        fields = {k: v for k, v in candidate.fields.items() if v not in (None, "", [], ())}
        where = f"{candidate.name}:{candidate.line}" if candidate.line else candidate.name
        record = Record(where, str(fields.get("title", "")), fields.get("arxiv"), fields.get("doi"))
        duplicate = index.find(record)
        if duplicate:
            plan.duplicates.append(duplicate)
            continue
        wanted = candidate.key.lower() if candidate.key else None
        if wanted and is_valid_key(wanted) and wanted not in taken:
            key = wanted
        else:
            key = make_key(str(fields.get("title", "")), fields.get("authors", ()), fields.get("year"), taken)
            if wanted and wanted in taken:
                # A document that cites the entry's own key would find another paper under it.
                plan.problems.append(Problem(candidate.name, candidate.line, "key", f"'{candidate.key}' is another paper's key in this survey: added as '{key}', so cite it by that key", "warning"))
        fields.setdefault("added", added)
        paper, problems = paper_from_raw(Raw(candidate.name, fields, {}, candidate.line), key)
        for problem in problems:
            if problem.severity == "error":
                plan.problems.append(Problem(candidate.name, candidate.line, problem.field, problem.message))
        if paper is None:
            continue
        taken.add(key)
        index.add(Record(f"content/papers/{key}.yaml", paper.title, paper.arxiv, paper.doi))
        plan.new.append((key, fields))
    return plan
