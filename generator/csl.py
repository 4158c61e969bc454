"""CSL-JSON: the citation records that Zotero, Pandoc and citeproc read."""

from __future__ import annotations

from collections.abc import Iterable

from generator.bibtex import (
    NameParts,
    arxiv_url,
    bare_doi,
    clean_text,
    clean_url,
    clean_venue,
    entry_type,
    is_preprint_venue,
    split_author,
)
from generator.models import Paper

CSL_TYPES = {
    "inproceedings": "paper-conference",
    "article": "article-journal",
    "misc": "article",  # CSL's type for preprints and other unreviewed papers
}


def csl_name(parts: NameParts) -> dict[str, str]:
    """Return a CSL name; particles such as "van der" are non-dropping.

    An organisation ("World Health Organization," in a paper file: a family name of several
    words and nothing else) is a `literal` name, which CSL styles never invert or abbreviate
    and Zotero imports as one field.
    """
    if " " in parts.family and not (parts.given or parts.particle or parts.suffix):
        return {"literal": parts.family}
    name = {
        "family": parts.family,
        "given": parts.given,
        "non-dropping-particle": parts.particle,
        "suffix": parts.suffix,
    }
    return {key: value for key, value in name.items() if value}


def to_csl_item(paper: Paper) -> dict:
    """Return the CSL-JSON item of one paper, keys in a fixed order."""
    kind = entry_type(paper)
    item: dict = {"id": paper.key, "type": CSL_TYPES[kind], "title": clean_text(paper.title)}
    authors = [csl_name(parts) for parts in map(split_author, paper.authors) if parts.family]
    if authors:
        item["author"] = authors
    if paper.year is not None:
        item["issued"] = {"date-parts": [[paper.year]]}
    venue = clean_venue(paper.venue)
    if venue and not is_preprint_venue(venue):
        item["container-title"] = venue
    if kind == "misc" and paper.arxiv:
        # Zotero records a preprint's server as its publisher and its id as its number.
        item["publisher"] = "arXiv"
        item["number"] = f"arXiv:{clean_text(paper.arxiv)}"
    elif kind == "misc" and is_preprint_venue(venue):
        item["publisher"] = venue
    doi = bare_doi(paper.doi)
    if doi:
        item["DOI"] = doi
    url = clean_url(paper.url) or (arxiv_url(paper.arxiv) if paper.arxiv else "")
    if url:
        item["URL"] = url
    abstract = clean_text(paper.abstract)
    if abstract:
        item["abstract"] = abstract
    if paper.tags:
        # CSL's keyword is one string; Zotero makes a tag of each part between commas.
        item["keyword"] = ", ".join(clean_text(tag) for tag in paper.tags)
    return item


def to_csl(papers: Iterable[Paper]) -> list[dict]:
    """Return the CSL-JSON items of papers, in the order given."""
    return [to_csl_item(paper) for paper in papers]
