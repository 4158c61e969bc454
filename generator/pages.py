"""Lay out the generated docs folder: pages, feed, BibTeX downloads and the JSON export."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import jinja2

from . import bibtex, csl, figures
from .feed import feed_context
from .indexes import Author, Keyword, author_index, display_name, keyword_index
from .models import Overrides, Paper, Survey
from .render import SiteSettings, render

SECTIONS_DIR = "sections"
BIB_DIR = "bib"
NEWEST = 6
AUTHORS_PAGE = "authors.md"
KEYWORDS_PAGE = "keywords.md"
PAPERS_PAGE = "papers.md"
FEED_FILE = "feed.xml"
# "NeurIPS 2024 (Datasets and Benchmarks track)" -> "NeurIPS": the series a reader filters by.
_VENUE_YEAR = re.compile(r"\s*[\s'’]((?:19|20)\d\d)\b.*$")
PREPRINT = "Preprint"


def section_page(section_id: str) -> str:
    """Return the docs path of a section's page."""
    return f"{SECTIONS_DIR}/{section_id}.md"


def paper_bib(key: str) -> str:
    """Return the docs path of one paper's BibTeX download."""
    return f"{BIB_DIR}/papers/{key}.bib"


def venue_series(venue: str | None) -> str:
    """Return a venue without its year and track, for filtering: "Findings of ACL 2025" -> "Findings of ACL"."""
    if not venue:
        return PREPRINT
    return _VENUE_YEAR.sub("", venue).strip() or venue


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


def edit_url(paper: Paper, settings: SiteSettings, overrides: Overrides) -> str | None:
    """Return the link that edits a paper's file in the repository, when one is configured."""
    repository = settings.repo_url or overrides.repository
    if not repository or not paper.path:
        return None
    return f"{repository.rstrip('/')}/edit/{settings.edit_branch}/{paper.path}"


def _papers_context(survey: Survey, overrides: Overrides, settings: SiteSettings, author_anchors: dict[str, str], keyword_anchors: dict[str, str]) -> dict[str, dict[str, Any]]:
    by_key = {p.key: p for p in survey.papers}
    section_of = {key: section for section in survey.sections for key in section.papers}
    order = {section.id: index for index, section in enumerate(survey.sections)}
    contexts = {}
    for paper in survey.papers:
        section = section_of[paper.key]
        contexts[paper.key] = {
            "key": paper.key,
            "title": paper.title,
            "authors": [{"name": display_name(a), "anchor": author_anchors.get(a)} for a in paper.authors],
            "et_al": paper.et_al,
            "year": paper.year,
            "venue": paper.venue,
            "venue_series": venue_series(paper.venue),
            "badge": paper.venue or (PREPRINT if paper.arxiv else None),
            "abstract": paper.abstract,
            "links": _links(paper),
            "keywords": [{"word": w, "anchor": keyword_anchors.get(w)} for w in survey.paper_keywords.get(paper.key, ())],
            "tags": list(paper.tags),
            "page": section_page(section.id),
            "section": section.id,
            "section_title": section.title,
            "section_order": order[section.id],
            "added": paper.added.isoformat() if paper.added else None,
            "bibtex": bibtex.write_bibtex([paper]).strip(),
            "bib_file": paper_bib(paper.key),
            "edit_url": edit_url(paper, settings, overrides),
            "related": [
                {"key": other, "title": by_key[other].title, "page": section_page(section_of[other].id)}
                for other in survey.related.get(paper.key, ())
            ],
        }
    return contexts


def newest(papers: list[Paper], count: int = NEWEST) -> list[Paper]:
    """Return the papers added last; among those added the same day, the most recent first."""
    dated = [p for p in papers if p.added]
    return sorted(dated, key=lambda p: (-p.added.toordinal(), -(p.year or 0), p.title.casefold(), p.key))[:count]  # type: ignore[union-attr]


def _by_day(papers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group papers, newest first, by the day they were added."""
    days: list[dict[str, Any]] = []
    for paper in papers:
        if not days or days[-1]["added"] != paper["added"]:
            days.append({"added": paper["added"], "papers": []})
        days[-1]["papers"].append(paper)
    return days


def _authors_context(authors: list[Author], papers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    letters: dict[str, list[dict[str, Any]]] = {}
    for author in authors:
        letters.setdefault(author.letter, []).append(
            {"name": author.name, "anchor": author.anchor, "variants": list(author.variants), "papers": [papers[k] for k in author.papers]}
        )
    return [{"letter": letter, "anchor": f"letter-{letter.lower() if letter.isalpha() else 'other'}", "authors": people} for letter, people in letters.items()]


def _keywords_context(keywords: list[Keyword], papers: dict[str, dict[str, Any]], sections: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"word": k.word, "anchor": k.anchor, "sections": [sections[s] for s in k.sections], "papers": [papers[p] for p in k.papers]}
        for k in keywords
    ]


def _description(text: str) -> str:
    """Return the first paragraph of a description, for a page's meta description."""
    return text.strip().split("\n\n")[0] if text else ""


def render_pages(env: jinja2.Environment, survey: Survey, overrides: Overrides, settings: SiteSettings | None = None) -> dict[str, str]:
    """Return every generated text file of the docs folder, by path."""
    settings = settings if settings is not None else env.globals.get("settings", SiteSettings())
    authors, author_anchors = author_index(survey.papers)
    keywords = keyword_index(survey)
    papers = _papers_context(survey, overrides, settings, author_anchors, {k.word: k.anchor for k in keywords})
    by_key = {p.key: p for p in survey.papers}
    section_pages = {s.id: section_page(s.id) for s in survey.sections}
    sections = [
        {
            "id": s.id,
            "title": s.title,
            "description": s.description,
            "summary": _description(s.description),
            "keywords": [{"word": w, "anchor": next((k.anchor for k in keywords if k.word == w), None)} for w in s.keywords],
            "papers": [papers[k] for k in s.papers],
            "page": section_pages[s.id],
            "bib_file": f"{BIB_DIR}/{s.id}.bib",
            "colour": figures.colour(i),
        }
        for i, s in enumerate(survey.sections)
    ]
    years = Counter(p.year for p in survey.papers if p.year)
    site = {
        "title": overrides.title,
        "description": overrides.description,
        "summary": _description(overrides.description),
        "paper_count": len(survey.papers),
        "section_count": len(survey.sections),
        "author_count": len(authors),
        "first_year": min(years) if years else None,
        "last_year": max(years) if years else None,
        "newest": _by_day([papers[p.key] for p in newest(list(survey.papers))]),
        "feed": FEED_FILE,
    }
    figure = {
        "map": figures.survey_map(survey, section_pages),
        "years": figures.year_chart(survey),
        "legend": figures.legend(survey, section_pages),
    }
    files = {"index.md": render(env, "index.md.j2", {"page": "index.md", "site": site, "sections": sections, "figure": figure})}
    for section in sections:
        files[section["page"]] = render(env, "section.md.j2", {"page": section["page"], "site": site, "section": section})
    all_papers = sorted(papers.values(), key=lambda p: (p["title"].casefold(), p["key"]))
    files[PAPERS_PAGE] = render(env, "papers.md.j2", {"page": PAPERS_PAGE, "site": site, "papers": all_papers, "sections": sections})
    files[AUTHORS_PAGE] = render(env, "authors.md.j2", {"page": AUTHORS_PAGE, "site": site, "letters": _authors_context(authors, papers)})
    by_section = {s["id"]: s for s in sections}
    files[KEYWORDS_PAGE] = render(env, "keywords.md.j2", {"page": KEYWORDS_PAGE, "site": site, "keywords": _keywords_context(keywords, papers, by_section)})
    files[FEED_FILE] = render(env, "feed.xml.j2", feed_context(survey, papers, overrides.title, overrides.description, settings))
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
