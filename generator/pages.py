"""Lay out the generated docs folder: pages, BibTeX downloads and the JSON export."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import jinja2

from . import bibtex, csl
from .keys import split_name
from .models import Overrides, Paper, Survey
from .render import render

SECTIONS_DIR = "sections"
BIB_DIR = "bib"
NEWEST = 5


def section_page(section_id: str) -> str:
    """Return the docs path of a section's page."""
    return f"{SECTIONS_DIR}/{section_id}.md"


def paper_bib(key: str) -> str:
    """Return the docs path of one paper's BibTeX download."""
    return f"{BIB_DIR}/papers/{key}.bib"


def display_name(name: str) -> str:
    """Return an author as a reader writes it: "Rabeeh Karimi Mahabadi"."""
    given, family, suffix = split_name(name)
    return " ".join(part for part in (given, family) if part) + (f", {suffix}" if suffix else "")


def _links(paper: Paper) -> list[dict[str, str]]:
    links = []
    if paper.arxiv:
        links.append({"label": "arXiv", "href": f"https://arxiv.org/abs/{paper.arxiv}"})
        links.append({"label": "PDF", "href": f"https://arxiv.org/pdf/{paper.arxiv}"})
    if paper.doi:
        links.append({"label": "DOI", "href": f"https://doi.org/{paper.doi}"})
    if paper.url:
        links.append({"label": "Project page" if paper.arxiv or paper.doi else "Paper", "href": paper.url})
    if paper.code:
        links.append({"label": "Code", "href": paper.code})
    return links


def _papers_context(survey: Survey, overrides: Overrides) -> dict[str, dict[str, Any]]:
    by_key = {p.key: p for p in survey.papers}
    section_of = {key: section.id for section in survey.sections for key in section.papers}
    contexts = {}
    for paper in survey.papers:
        contexts[paper.key] = {
            "key": paper.key,
            "title": paper.title,
            "authors": [display_name(a) for a in paper.authors],
            "et_al": paper.et_al,
            "year": paper.year,
            "venue": paper.venue,
            "abstract": paper.abstract,
            "links": _links(paper),
            "keywords": list(survey.paper_keywords.get(paper.key, ())),
            "tags": list(paper.tags),
            "page": section_page(section_of[paper.key]),
            "section": section_of[paper.key],
            "bibtex": bibtex.write_bibtex([paper]).strip(),
            "bib_file": paper_bib(paper.key),
            "edit_url": f"{overrides.repository.rstrip('/')}/edit/main/{paper.path}" if overrides.repository else None,
            "related": [
                {"key": other, "title": by_key[other].title, "page": section_page(section_of[other])}
                for other in survey.related.get(paper.key, ())
            ],
        }
    return contexts


def render_pages(env: jinja2.Environment, survey: Survey, overrides: Overrides) -> dict[str, str]:
    """Return every generated text file of the docs folder, by path."""
    papers = _papers_context(survey, overrides)
    by_key = {p.key: p for p in survey.papers}
    sections = [
        {
            "id": s.id,
            "title": s.title,
            "description": s.description,
            "keywords": list(s.keywords),
            "papers": [papers[k] for k in s.papers],
            "page": section_page(s.id),
            "bib_file": f"{BIB_DIR}/{s.id}.bib",
        }
        for s in survey.sections
    ]
    newest = sorted(survey.papers, key=lambda p: (p.added is None, -(p.added.toordinal() if p.added else 0), p.key))[:NEWEST]
    years = Counter(p.year for p in survey.papers if p.year)
    site = {
        "title": overrides.title,
        "description": overrides.description,
        "paper_count": len(survey.papers),
        "section_count": len(survey.sections),
        "first_year": min(years) if years else None,
        "last_year": max(years) if years else None,
        "newest": [papers[p.key] for p in newest],
    }
    files = {"index.md": render(env, "index.md.j2", {"page": "index.md", "site": site, "sections": sections})}
    for section in sections:
        files[section["page"]] = render(env, "section.md.j2", {"page": section["page"], "site": site, "section": section})
    all_papers = sorted(papers.values(), key=lambda p: (p["title"].casefold(), p["key"]))
    files["papers.md"] = render(env, "papers.md.j2", {"page": "papers.md", "site": site, "papers": all_papers, "sections": sections})
    ordered = [by_key[k] for s in survey.sections for k in s.papers]
    files["bibliography.bib"] = bibtex.write_bibtex(sorted(ordered, key=lambda p: p.key))
    files["bibliography-full.bib"] = bibtex.write_bibtex(sorted(ordered, key=lambda p: p.key), abstract=True)
    for section in survey.sections:
        files[f"{BIB_DIR}/{section.id}.bib"] = bibtex.write_bibtex([by_key[k] for k in section.papers])
    for paper in survey.papers:
        files[paper_bib(paper.key)] = papers[paper.key]["bibtex"] + "\n"
    files["survey.json"] = survey_json(survey)
    files["bibliography.json"] = _dump(csl.to_csl(sorted(survey.papers, key=lambda p: p.key)))
    return files


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def survey_json(survey: Survey) -> str:
    """Return the machine-readable export of the survey."""
    by_key = {p.key: p for p in survey.papers}
    section_of = {key: s.id for s in survey.sections for key in s.papers}
    return _dump(
        {
            "sections": [
                {"id": s.id, "title": s.title, "description": s.description, "keywords": list(s.keywords), "papers": list(s.papers)}
                for s in survey.sections
            ],
            "papers": [
                {
                    "id": p.key,
                    "title": p.title,
                    "authors": list(p.authors),
                    "year": p.year,
                    "venue": p.venue,
                    "arxiv": p.arxiv,
                    "url": p.url,
                    "code": p.code,
                    "section": section_of[p.key],
                    "keywords": list(survey.paper_keywords.get(p.key, ())),
                    "bibtex_key": p.key,
                }
                for p in (by_key[k] for s in survey.sections for k in s.papers)
            ],
        }
    )
