"""The survey this repository ships builds into the site the README promises."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import bibtexparser

from conftest import bibtex_downloads


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_site_has_118_papers_in_at_least_8_sections_with_keywords(shipped_site):
    data = load_json(shipped_site / "site" / "survey.json")
    assert len(data["papers"]) == 118
    assert len(data["sections"]) >= 8
    for section in data["sections"]:
        assert len(section["keywords"]) >= 3, section["id"]
        assert section["title"] and section["description"]
    placed = Counter(key for s in data["sections"] for key in s["papers"])
    assert set(placed) == {p["id"] for p in data["papers"]}
    assert set(placed.values()) == {1}, "every paper is in exactly one section"
    for paper in data["papers"]:
        assert set(paper) == {"id", "title", "authors", "et_al", "year", "venue", "arxiv", "doi", "url", "code", "section", "keywords", "tags", "added", "bibtex_key"}
        assert paper["id"] in next(s for s in data["sections"] if s["id"] == paper["section"])["papers"]


def test_at_least_110_papers_carry_authors_and_an_arxiv_id(shipped_site):
    data = load_json(shipped_site / "site" / "survey.json")
    assert sum(1 for p in data["papers"] if p["authors"] and p["arxiv"]) >= 110


def test_bibliography_parses_into_118_entries_with_unique_keys(shipped_site):
    library = bibtexparser.parse_string((shipped_site / "site" / "bibliography.bib").read_text(encoding="utf-8"))
    assert not library.failed_blocks
    keys = [entry.key for entry in library.entries]
    assert len(keys) == 118
    assert len(set(keys)) == 118
    full = bibtexparser.parse_string((shipped_site / "site" / "bibliography-full.bib").read_text(encoding="utf-8"))
    assert len(full.entries) == 118
    assert sum("abstract" in e.fields_dict for e in full.entries) >= 110
    assert not any("abstract" in e.fields_dict for e in library.entries)


def test_every_section_and_paper_has_its_bibtex_download(shipped_site):
    data = load_json(shipped_site / "site" / "survey.json")
    for section in data["sections"]:
        library = bibtexparser.parse_string((shipped_site / "site" / "bib" / f"{section['id']}.bib").read_text(encoding="utf-8"))
        assert [e.key for e in library.entries] == section["papers"]
    downloads = bibtex_downloads(shipped_site / "site" / "sections", "*.html")
    assert sorted(downloads) == sorted(paper["id"] for paper in data["papers"])
    bibliography = (shipped_site / "site" / "bibliography.bib").read_text(encoding="utf-8")
    for key, text in downloads.items():
        assert [e.key for e in bibtexparser.parse_string(text).entries] == [key]
        assert text in bibliography + "\n", "a paper's download is its entry of the bibliography"


def test_search_finds_a_word_that_only_one_abstract_has(shipped_site):
    index = load_json(shipped_site / "site" / "search" / "search_index.json")
    # "olfactory" occurs only in FlyLoRA's abstract ("the fly olfactory circuit").
    hits = [doc for doc in index["docs"] if re.search(r"\bolfactory\b", doc["text"], re.IGNORECASE)]
    assert [doc["location"].split("#")[1] for doc in hits] == ["zou2025flylora"]
    assert hits[0]["title"].startswith("FlyLoRA")


def test_each_paper_is_its_own_search_result(shipped_site):
    index = load_json(shipped_site / "site" / "search" / "search_index.json")
    anchors = {doc["location"].split("#")[1] for doc in index["docs"] if "#" in doc["location"]}
    data = load_json(shipped_site / "site" / "survey.json")
    assert {p["id"] for p in data["papers"]} <= anchors


def test_navigation_does_not_list_papers(shipped_site):
    page = (shipped_site / "site" / "index.html").read_text(encoding="utf-8")
    nav = page[page.index("md-sidebar--primary"):page.index("md-sidebar--secondary")]
    data = load_json(shipped_site / "site" / "survey.json")
    assert not any(f"#{p['id']}\"" in nav for p in data["papers"])
    for section in data["sections"]:
        assert f"sections/{section['id']}/" in nav


def test_site_loads_nothing_from_other_hosts(shipped_site):
    for page in (shipped_site / "site").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for match in re.finditer(r"<(?:script|link|img)\b[^>]*(?:src|href)=\"(https?:)?//([^\"/]+)", html):
            raise AssertionError(f"{page.name} loads from {match.group(2)}")
