"""Lay out the generated docs folder: pages, feed, BibTeX downloads and the JSON export."""

from __future__ import annotations

import functools
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import jinja2

from . import bibtex, csl, figures, workers
from .cache import Memo, lasting, memo
from .feed import feed_context
from .indexes import (
    Author,
    AuthorIndex,
    Keyword,
    author_index,
    display_name,
    family_first,
    keyword_index,
    plain_words,
    remember_author_index,
)
from .models import Overrides, Paper, Survey
from .paging import (
    initial,
    is_large,
    letter_anchor,
    letter_page,
    page_index,
    pager,
    paper_pages,
    section_page,
    split_pages,
)
from .render import Record, SiteSettings, render, template_fields
from .reuse import Reuse
from .schema import BLANK_LINE
from .workers import Job
from .write import Kept, Staged, stage

BIB_DIR = "bib"
NEWEST = 6
AUTHORS_PAGE = "authors.md"
KEYWORDS_PAGE = "keywords.md"
# From this many papers the keyword index is made by a forked copy (see `_jobs`): at 1,000 the
# copy takes 0.11 s to start, work and send it back, and the index 0.05 s here; at 10,000, 0.5 s.
KEYWORDS_ASIDE_FROM = 3000
PAPERS_PAGE = "papers.md"
# The table of all papers is written into its page up to this many papers; beyond, the page
# would be megabytes, so the reader's browser builds it from PAPERS_JSON.
TABLE_ROWS = 2000
PAPERS_JSON = "papers.json"
FEED_FILE = "feed.xml"
CSL_FILE = "bibliography.json"
# Search covers abstracts up to this many papers (`extra.survey.search: auto`); beyond, the
# index would pass ~10 MB, which every reader's browser downloads and indexes on first search.
SEARCH_ABSTRACTS_UP_TO = 3000
# "NeurIPS 2024 (Datasets and Benchmarks track)" -> "NeurIPS": the series a reader filters by.
_VENUE_YEAR = re.compile(r"\s*[\s'’]((?:19|20)\d\d)\b.*$")
PREPRINT = "Preprint"
# What rendering costs, per paper a file shows (in tens of microseconds, measured at 10,000
# papers): processes sharing the jobs take the largest first (see workers.py). A BibTeX file
# costs one per paper: its entries are written before the jobs start.
COST_SECTION = 27
COST_HOME = 7
COST_INDEX_LINE = 3
COST_TABLE_ROW = 3
COST_SURVEY_JSON = 4
COST_CSL = 12
# JSON items encoded together (see `_dump`).
JSON_BLOCK = 1024


def search_abstracts(settings: SiteSettings, paper_count: int) -> bool:
    """Tell whether search indexes abstracts: `full`, `light`, or by the survey's size."""
    if settings.search in ("full", "light"):
        return settings.search == "full"
    return paper_count <= SEARCH_ABSTRACTS_UP_TO


@functools.lru_cache(maxsize=1 << 12)
def venue_series(venue: str | None) -> str:
    """Return a venue without its year and track, for filtering: "Findings of ACL 2025" -> "Findings of ACL"."""
    if not venue:
        return PREPRINT
    return _VENUE_YEAR.sub("", venue).strip() or venue


def _links(paper: Paper) -> list[Record]:
    links = []
    if paper.arxiv:
        links.append(Record({"label": "arXiv", "href": f"https://arxiv.org/abs/{paper.arxiv}"}))
        links.append(Record({"label": "PDF", "href": f"https://arxiv.org/pdf/{paper.arxiv}"}))
    if paper.doi:
        links.append(Record({"label": "DOI", "href": f"https://doi.org/{paper.doi}"}))
    if paper.url:
        links.append(Record({"label": "Project page" if paper.arxiv or paper.doi else "Paper", "href": paper.url}))
    if paper.code:
        links.append(Record({"label": "Code", "href": paper.code}))
    return links


def edit_url(paper: Paper, settings: SiteSettings, overrides: Overrides) -> str | None:
    """Return the link that edits a paper's file in the repository, when one is configured."""
    repository = settings.repo_url or overrides.repository
    if not repository or not paper.path:
        return None
    return f"{repository.rstrip('/')}/edit/{settings.edit_branch}/{paper.path}"


# An abstract is split once per process, not once per build (see cache.py).
_PARAGRAPHS: Memo[str, tuple[str, ...]] = memo()


def paragraphs(text: str) -> list[str]:
    """Split text at blank lines into paragraphs, each on one line (raw HTML must not hold a blank line)."""
    return list(_PARAGRAPHS.get(text, _paragraphs, text))


def _whole(text: str) -> tuple[str, ...]:
    """Return a text as its only paragraph: what a checked abstract without blank lines splits into."""
    return (text,) if text else ()


def _paragraphs(text: str) -> tuple[str, ...]:
    if text.count("\n") < 2:  # no blank line: one paragraph (most abstracts)
        if text.isascii() and text.isprintable() and bibtex.single_spaced(text):
            return (text,) if text else ()  # nothing to fold
        return (" ".join(text.split()),) if text.strip() else ()
    return tuple(" ".join(p.split()) for p in BLANK_LINE.split(text) if p.strip())


def _papers_context(survey: Survey, overrides: Overrides, settings: SiteSettings, author_at: dict[str, tuple[str, str]]) -> tuple[dict[str, Record], dict[str, dict[str, Any]]]:
    """Return what the templates show of each paper, and its keywords' records, by keyword.

    `author_at` gives an author's page and anchor in the index; a keyword's record learns its
    own from `_index_keywords`, once the keyword index is made."""
    by_key = {p.key: p for p in survey.papers}
    section_of = {key: section for section in survey.sections for key in section.papers}
    order = {section.id: index for index, section in enumerate(survey.sections)}
    page_of = paper_pages(survey)
    # An author, a keyword or a related paper is the same small record wherever it is shown
    # (templates only read them): made once, not once per paper that shows it.
    people: dict[str, dict[str, Any]] = {}
    words: dict[str, dict[str, Any]] = {}
    others: dict[str, dict[str, Any]] = {}

    def person(name: str) -> dict[str, Any]:
        if name not in people:
            shown = display_name(name)
            people[name] = _entry(shown, author_at.get(name), "name")
            # Search finds "Kurtic" for "Kurtić" too: the name without its accents is indexed.
            people[name]["folded"] = None if shown.isascii() else plain_words(shown)
        return people[name]

    def word(text: str) -> dict[str, Any]:
        if text not in words:
            words[text] = _entry(text, None, "word")
        return words[text]

    def other(key: str) -> dict[str, Any]:
        if key not in others:
            others[key] = Record({"key": key, "title": by_key[key].title, "page": page_of[key]})
        return others[key]

    contexts = {}
    for paper in survey.papers:
        section = section_of[paper.key]
        contexts[paper.key] = Record({
            "key": paper.key,
            "title": paper.title,
            "authors": [person(a) for a in paper.authors],
            "et_al": paper.et_al,
            # The table of all papers names three ("A, B, C et al."), in its HTML and its JSON alike.
            "authors_short": ", ".join(map(display_name, paper.authors[:3])) + (" et al." if len(paper.authors) > 3 or paper.et_al else ""),
            "author_sort": family_first(paper.authors[0]) if paper.authors else "",  # the table sorts by the first author's family name
            "year": paper.year,
            "venue": paper.venue,
            "venue_series": venue_series(paper.venue),
            "badge": paper.venue or (PREPRINT if paper.arxiv else None),
            "arxiv": paper.arxiv,
            "abstract": paper.abstract,
            "abstract_paragraphs": paragraphs(paper.abstract),
            "links": _links(paper),
            "keywords": [word(w) for w in survey.paper_keywords.get(paper.key, ())],
            "tags": list(paper.tags),
            "page": page_of[paper.key],
            "section": section.id,
            "section_page": section_page(section.id),
            "section_title": section.title,
            "section_order": order[section.id],
            "added": paper.added.isoformat() if paper.added else None,
            "bibtex": bibtex.entry(paper),
            "edit_url": edit_url(paper, settings, overrides),
            "related": [other(key) for key in survey.related.get(paper.key, ())],
        })
    return contexts, words


def _index_keywords(words: dict[str, dict[str, Any]], keyword_at: dict[str, tuple[str, str]]) -> None:
    """Give each keyword record shown with papers its page and anchor in the keyword index."""
    for text, record in words.items():
        if text in keyword_at:
            record["page"], record["anchor"] = keyword_at[text]


def _entry(text: str, at: tuple[str, str] | None, name: str) -> dict[str, str | None]:
    return Record({name: text, "page": at[0] if at else None, "anchor": at[1] if at else None})


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


def _by_letter(entries: list[dict[str, Any]], index_page: str, split: bool) -> list[dict[str, Any]]:
    """Group index entries by their letter; a split index gives each letter its own page."""
    letters: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        letters.setdefault(entry["letter"], []).append(entry)
    return [
        Record({"letter": letter, "anchor": letter_anchor(letter), "page": letter_page(index_page, letter) if split else index_page, "entries": grouped})
        for letter, grouped in letters.items()
    ]


def _index_jobs(env: jinja2.Environment, template: str, index_page: str, entries: list[dict[str, Any]], split: bool, context: dict[str, Any]) -> list[Job]:
    """Render an index as one page, or, when large, as a page of letters and a page per letter."""
    letters = _by_letter(entries, index_page, split)

    def cost(groups: list[dict[str, Any]]) -> int:
        return sum(len(entry["papers"]) for group in groups for entry in group["entries"])

    jobs = [Job(COST_INDEX_LINE * cost([] if split else letters), _one, (index_page, env, template, {**context, "page": index_page, "letters": letters, "shown": [] if split else letters, "letter": None}), index_page)]
    if split:
        # A letter's page links to the other letters without their entries: it is then made of
        # its own letter alone, and stays as it is (see reuse.py) when only another letter changed.
        links = [Record({"letter": group["letter"], "anchor": group["anchor"], "page": group["page"]}) for group in letters]
        jobs += [
            Job(COST_INDEX_LINE * cost([group]), _one, (group["page"], env, template, {**context, "page": group["page"], "letters": links, "shown": [group], "letter": group["letter"]}), group["page"])
            for group in letters
        ]
    return jobs


def _author_entries(authors: list[Author], papers: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        Record({"name": a.name, "anchor": a.anchor, "letter": a.letter, "variants": list(a.variants), "papers": [papers[k] for k in a.papers]})
        for a in authors
    ]


def _keyword_entries(keywords: list[Keyword], papers: Mapping[str, dict[str, Any]], sections: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    entries = [
        Record({"word": k.word, "anchor": k.anchor, "letter": initial(k.word), "sections": [sections[s] for s in k.sections], "papers": [papers[p] for p in k.papers]})
        for k in keywords
    ]
    # Letters A to Z, then words that start with a digit or a symbol.
    return sorted(entries, key=lambda e: e["letter"] == "#")


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the pages show of the papers alone: their new BibTeX entries, the author index, and
    the files made of nothing else (the CSL-JSON bibliography)."""

    entries: list[tuple[str, str]]
    authors: AuthorIndex
    files: tuple[tuple[str, bytes | Staged], ...]
    # The abstracts that are not their own only paragraph, split, by paper (the others need not
    # come back: they are the text itself).
    paragraphs: dict[str, tuple[str, ...]]


def prepare(papers: Sequence[Paper], into: Path | None = None, remember: bool = False) -> Prepared:
    """Make what the pages show of the papers alone, before the survey is analysed.

    A process's first build has a forked copy make it while this process analyses the survey
    (see workers.aside), then hands it to `page_files`. With `into`, files are staged there.
    With `remember` (a process that builds again: `survey serve`), each paper's CSL-JSON and
    paragraphs are kept, and only a changed paper's are made again.
    """
    bibliography = _csl_json(papers, remember)
    files = ((CSL_FILE, bibliography if into is None else stage(into, CSL_FILE, bibliography)),)
    split = {p.key: cut for p in papers if (cut := _PARAGRAPHS.get(p.abstract, _paragraphs, p.abstract) if remember else _paragraphs(p.abstract)) != _whole(p.abstract)}
    return Prepared(bibtex.new_entries(papers), author_index(papers), files, split)


def _remember(papers: Sequence[Paper], prepared: Prepared) -> None:
    """Keep what `prepare` made, so that rendering these papers uses it."""
    bibtex.remember_entries(papers, prepared.entries)
    remember_author_index(papers, prepared.authors)
    for paper in papers:
        _PARAGRAPHS.put(paper.abstract, prepared.paragraphs[paper.key] if paper.key in prepared.paragraphs else _whole(paper.abstract))


def _description(text: str) -> str:
    """Return the first paragraph of a description, for a page's meta description."""
    return text.strip().split("\n\n")[0] if text else ""


def render_pages(env: jinja2.Environment, survey: Survey, overrides: Overrides, settings: SiteSettings | None = None) -> dict[str, str]:
    """Return every generated text file of the docs folder, by path."""
    # Without a staging folder every file comes back as bytes.
    return {path: data.decode("utf-8") for path, data in page_files(env, survey, overrides, settings) if isinstance(data, bytes)}


def page_files(
    env: jinja2.Environment,
    survey: Survey,
    overrides: Overrides,
    settings: SiteSettings | None = None,
    processes: int = 1,
    into: Path | None = None,
    prepared: Prepared | None = None,
    reuse: Reuse | None = None,
    whole: workers.Pending[Survey] | None = None,
) -> Iterator[tuple[str, bytes | Staged | Kept]]:
    """Yield every generated text file of the docs folder as (path, UTF-8 bytes).

    The pages are rendered by `processes` processes (see workers.py). With `into`, each file
    is staged in that folder as it is made and only its place comes back: a large survey's
    pages are gigabytes of text. What `prepare` made of these papers is used, not made again.
    With `reuse`, a page made of what it was made of in the last build keeps its file.
    With `whole`, `survey` has no map yet: the home page, which shows it, is rendered once
    `whole` gives the survey with its map, last if a copy is still drawing it.
    """
    if prepared is not None:
        _remember(survey.papers, prepared)
        yield from prepared.files
    whole = whole or workers.Pending(lambda: survey)
    # A map already drawn is taken at once, so that the copy that drew it ends, and with it the
    # memory it would come to hold as this process changes what they shared.
    drawn = whole() if whole.done() else None
    jobs, home = _jobs(env, survey, overrides, settings, processes, prepared is None, reuse)
    if drawn is not None:
        jobs.insert(0, home(drawn))
    yield from _run(jobs, processes, into, reuse)
    if drawn is None:
        yield from _run([home(whole())], processes, into, reuse)


def _run(jobs: list[Job], processes: int, into: Path | None, reuse: Reuse | None) -> Iterator[tuple[str, bytes | Staged | Kept]]:
    """Yield the files of the jobs: those kept from the last build, then those rendered.

    A page made from one template (an index, the table, the home page) is kept when the fields
    its template reads are unchanged, whatever else changed in the papers it lists.
    """
    if reuse is not None and reuse.remembers:
        jobs = [replace(job, fields=template_fields(job.args[1], job.args[2])) if job.make is _one else job for job in jobs]
    kept, jobs = reuse.split(jobs) if reuse is not None else ([], jobs)
    yield from kept
    for number, files in workers.run_each(jobs, processes, into):
        if reuse is not None:
            reuse.made(jobs[number], [path for path, _ in files])
        yield from files


def _jobs(
    env: jinja2.Environment, survey: Survey, overrides: Overrides, settings: SiteSettings | None, processes: int = 1, bibliography: bool = True, reuse: Reuse | None = None
) -> tuple[list[Job], Callable[[Survey], Job]]:
    """Build what the templates show, then return the rendering of every file as a job (the
    CSL-JSON bibliography too, unless `bibliography` is false: `prepare` made it), but the
    home page's, returned as what makes its job from the survey with its map."""
    bibtex.prepare_entries(survey.papers, processes)
    # render.environment puts the site's SiteSettings in the globals; jinja2 types them as objects.
    settings = settings if settings is not None else cast(SiteSettings, env.globals.get("settings", SiteSettings()))
    # A large survey's keyword index is made by a forked copy while the papers' contexts are made here.
    aside = processes if len(survey.papers) >= KEYWORDS_ASIDE_FROM else 1
    with workers.aside(keyword_index, survey, processes=aside) as indexed:
        authors, author_anchors = author_index(survey.papers)
        split_authors = is_large(authors)
        author_pages = {a.anchor: letter_page(AUTHORS_PAGE, a.letter) if split_authors else AUTHORS_PAGE for a in authors}
        author_at = {name: (author_pages[anchor], anchor) for name, anchor in author_anchors.items()}
        papers, words = _papers_context(survey, overrides, settings, author_at)
        keywords = indexed()
    split_keywords = is_large(keywords)
    keyword_at = {k.word: (letter_page(KEYWORDS_PAGE, initial(k.word)) if split_keywords else KEYWORDS_PAGE, k.anchor) for k in keywords}
    _index_keywords(words, keyword_at)
    if reuse is not None:
        papers = reuse.records(papers)
    by_key = {p.key: p for p in survey.papers}
    section_pages = {s.id: section_page(s.id) for s in survey.sections}
    sections = [
        Record({
            "id": s.id,
            "title": s.title,
            "description": s.description,
            "summary": _description(s.description),
            "keywords": [_entry(w, keyword_at.get(w), "word") for w in s.keywords],
            "papers": [papers[k] for k in s.papers],
            "page": section_pages[s.id],
            "bib_file": f"{BIB_DIR}/{s.id}.bib",
            "colour": figures.colour(i, s.id),
        })
        for i, s in enumerate(survey.sections)
    ]
    years = Counter(p.year for p in survey.papers if p.year)
    site = Record({
        "title": overrides.title,
        "description": overrides.description,
        "summary": _description(overrides.description),
        "paper_count": len(survey.papers),
        "section_count": len(survey.sections),
        "author_count": len(authors),
        "first_year": min(years) if years else None,
        "last_year": max(years) if years else None,
        "feed": FEED_FILE,
        "search_abstracts": search_abstracts(settings, len(survey.papers)),
    })
    count = len(survey.papers)
    by_section = {s["id"]: s for s in sections}
    ordered = sorted((by_key[k] for s in survey.sections for k in s.papers), key=lambda p: p.key)
    # Only the home page lists the newest papers: on every page's `site` a change to one of them
    # (its related papers) made a warm build render every section again.
    home_site = Record({**site, "newest": _by_day([papers[p.key] for p in newest(list(survey.papers))])})
    home = functools.partial(_home_job, env, home_site, sections, section_pages, papers)
    return [
        *(Job(COST_SECTION * len(section["papers"]), _section_files, (env, site, section), f"section {section['id']}") for section in sections),
        *_table_jobs(env, site, papers, sections),
        *_index_jobs(env, "authors.md.j2", AUTHORS_PAGE, _author_entries(authors, papers), split_authors, {"site": site}),
        *_index_jobs(env, "keywords.md.j2", KEYWORDS_PAGE, _keyword_entries(keywords, papers, by_section), split_keywords, {"site": site}),
        Job(COST_SECTION * NEWEST, _one, (FEED_FILE, env, "feed.xml.j2", feed_context(survey, papers, overrides.title, overrides.description, settings)), FEED_FILE),
        Job(count, _text, ("bibliography.bib", bibtex.write_bibtex, ordered), "bibliography.bib"),
        Job(count, _text, ("bibliography-full.bib", _full_bibtex, ordered), "bibliography-full.bib"),
        *(Job(len(s.papers), _text, (f"{BIB_DIR}/{s.id}.bib", bibtex.write_bibtex, [by_key[k] for k in s.papers]), f"{BIB_DIR}/{s.id}.bib") for s in survey.sections),
        Job(COST_SURVEY_JSON * count, _text, ("survey.json", survey_json, survey), "survey.json"),
        *([Job(COST_CSL * count, _text, (CSL_FILE, _csl_json, survey.papers), CSL_FILE)] if bibliography else []),
    ], home


def _home_job(env: jinja2.Environment, site: Record, sections: list[Record], section_pages: dict[str, str], papers: dict[str, Record], survey: Survey) -> Job:
    """Return the rendering of the home page, with the survey's map and chart."""
    figure = {
        "map": _map_to_pages(figures.survey_map(survey, section_pages), papers),
        "years": figures.year_chart(survey),
        "legend": figures.legend(survey, section_pages),
    }
    context = {"page": "index.md", "site": site, "sections": sections, "figure": figure}
    return Job(COST_HOME * len(survey.papers), _one, ("index.md", env, "index.md.j2", context), "index.md")


def _one(path: str, env: jinja2.Environment, template: str, context: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield path, render(env, template, context)


def _text(path: str, make: Callable[..., str | bytes], *args: Any) -> Iterator[tuple[str, str | bytes]]:
    yield path, make(*args)


def _full_bibtex(papers: Sequence[Paper]) -> str:
    return bibtex.write_bibtex(papers, abstract=True)


def _csl_json(papers: Sequence[Paper], remember: bool = False) -> bytes:
    """Return the CSL-JSON bibliography, by key; with `remember`, joined from each paper's kept line."""
    ordered = sorted(papers, key=lambda p: p.key)
    if not remember:
        return _dump(csl.to_csl(ordered))
    return _lines([_CSL_LINES.get(p, _csl_line, p) for p in ordered])


# Each paper's line of the CSL-JSON bibliography, in a process that builds again (see `prepare`);
# kept also through builds prepared by a copy, whose use of them this process does not see.
_CSL_LINES: Memo[Paper, str] = lasting(limit=200_000)


def _csl_line(paper: Paper) -> str:
    return _line(csl.to_csl_item(paper))


def _lines(lines: Sequence[str]) -> bytes:
    """Return a list whose items are already encoded, one a line (see `_line`), as `_dump` writes it."""
    return ("[\n" + ",\n".join("  " + line for line in lines) + "\n]\n").encode("utf-8") if lines else b"[]\n"


def _map_to_pages(figure: dict[str, Any] | None, papers: Mapping[str, dict[str, Any]]) -> dict[str, Any] | None:
    """Point each dot of the map at the page of its section that holds its paper."""
    if figure is None:
        return None
    return {**figure, "points": [{**point, "page": papers[point["key"]]["page"]} for point in figure["points"]]}


def _section_files(env: jinja2.Environment, site: dict[str, Any], section: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Render a section as one page, or as pages of at most `paging.PAGE_SIZE` papers."""
    chunks = split_pages([p["key"] for p in section["papers"]])
    pages = [section_page(section["id"], n) for n in range(1, len(chunks) + 1)]
    # Which page holds each paper: a section grows and its papers move between pages, so a link
    # made before (a bookmark, the feed) is sent on from the page it names (see section.md.j2).
    index = page_index(section["id"]) if len(chunks) > 1 else None
    if index:
        yield index, json.dumps({key: number for number, keys in enumerate(chunks, start=1) for key in keys}, separators=(",", ":")) + "\n"
    start = 0
    for number, (page, keys) in enumerate(zip(pages, chunks, strict=True), start=1):
        shown = section["papers"][start : start + len(keys)]
        context = {"page": page, "site": site, "section": section, "papers": shown, "first": start + 1, "pager": pager(pages, number, index)}
        yield page, render(env, "section.md.j2", context)
        start += len(keys)


def _table_jobs(env: jinja2.Environment, site: dict[str, Any], papers: Mapping[str, dict[str, Any]], sections: Sequence[dict[str, Any]]) -> list[Job]:
    """Render the table of all papers: in the page, or, for a large survey, built by the browser from JSON."""
    rows = sorted(papers.values(), key=lambda p: (p["title"].casefold(), p["key"]))
    inline = len(rows) <= TABLE_ROWS
    context = {"page": PAPERS_PAGE, "site": site, "papers": rows if inline else [], "sections": sections, "source": None if inline else PAPERS_JSON}
    jobs = [Job(COST_TABLE_ROW * len(rows) if inline else 1, _one, (PAPERS_PAGE, env, "papers.md.j2", context), PAPERS_PAGE)]
    if not inline:
        jobs.append(Job(COST_TABLE_ROW * len(rows), _text, (PAPERS_JSON, _table_json, env, rows, sections), PAPERS_JSON))
    return jobs


def _ids(paper: dict[str, Any]) -> str:
    """Return what else the table's filter finds a paper by: its citation key and arXiv id."""
    return f"{paper['key']} {paper['arxiv']}" if paper["arxiv"] else paper["key"]


def _table_json(env: jinja2.Environment, rows: list[dict[str, Any]], sections: Sequence[dict[str, Any]]) -> str:
    """Return the rows of the table of all papers, links relative to the table's page, for its script."""
    page_url = env.filters["page_url"]
    order = {s["id"]: i for i, s in enumerate(sections)}
    data = {
        "sections": [{"id": s["id"], "title": s["title"], "href": page_url(s["page"], PAPERS_PAGE)} for s in sections],
        "papers": [
            [p["title"], p["authors_short"],
             p["year"] or "", p["badge"] or "", order[p["section"]], p["venue_series"], f"{page_url(p['page'], PAPERS_PAGE)}#{p['key']}",
             ", ".join(a["name"] for a in p["authors"]), p["author_sort"], _ids(p)]
            for p in rows
        ],
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def _dump(value: Any) -> bytes:
    """Return a list, or a mapping of lists, as JSON in UTF-8 with one item a line.

    Each item (a paper, a section) is encoded on its own line by the json module's C encoder;
    indenting every level went through its pure-Python encoder, 0.8 s for the CSL-JSON of 10,000
    papers, and spread each paper over dozens of lines. Items are encoded a block at a time, so
    that no string of the whole file is made (200 MB at 100,000 papers).
    """
    out = io.BytesIO()

    def items(values: list[Any], indent: str) -> None:
        out.write(b"[")
        for start in range(0, len(values), JSON_BLOCK):
            block = values[start : start + JSON_BLOCK]
            lead = ",\n" if start else "\n"
            out.write((lead + ",\n".join(indent + "  " + _line(item) for item in block)).encode("utf-8"))
        out.write(f"\n{indent}]".encode() if values else b"]")

    if isinstance(value, dict):
        out.write(b"{")
        for number, (key, inner) in enumerate(value.items()):
            out.write(f"{',' if number else ''}\n  {_line(key)}: ".encode())
            if isinstance(inner, list):
                items(inner, "  ")
            else:
                out.write(_line(inner).encode("utf-8"))
        out.write(b"\n}\n" if value else b"}\n")
    else:
        items(value, "")
        out.write(b"\n")
    return out.getvalue()


def _line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def survey_json(survey: Survey) -> bytes:
    """Return the machine-readable export of the survey: every fact of every paper but its abstract
    (in the pages and bibliography-full.bib), with its section and keywords."""
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
                    "et_al": p.et_al,
                    "year": p.year,
                    "venue": p.venue,
                    "arxiv": p.arxiv,
                    "doi": p.doi,
                    "url": p.url,
                    "code": p.code,
                    "section": section_of[p.key],
                    "keywords": list(survey.paper_keywords.get(p.key, ())),
                    "tags": list(p.tags),
                    "added": p.added.isoformat() if p.added else None,
                    "bibtex_key": p.key,
                }
                for p in (by_key[k] for s in survey.sections for k in s.papers)
            ],
        }
    )
