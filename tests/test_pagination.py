"""Large surveys: sections split into pages, indexes split by letter, the table built from JSON, a light search index.

The fixture survey is built with tiny limits (two papers a page), so every layout for a
large survey shows up in a site that builds in seconds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from test_site import ROOT, broken_links, parse, target_of, url_of

from conftest import FIXTURE, copy_survey
from generator import pages, paging
from generator.cli import main
from generator.mkdocs_plugin import is_later_page, put_back, set_aside
from generator.paging import initial, letter_page, pager, section_page, split_pages
from generator.render import read_settings

SMALL = {"PAGE_SIZE": 2, "INDEX_SPLIT": 5}


def build(root: Path) -> Path:
    """Build a survey with tiny page limits; return its site folder."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SMALL.items():
            patch.setattr(paging, name, value)
        patch.setattr(pages, "TABLE_ROWS", 3)
        assert main(["-C", str(root), "build"]) == 0
    return root / "site"


@pytest.fixture(scope="module")
def paged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture survey laid out as a large one, built once (MkDocs' strict mode is on)."""
    return build(copy_survey(FIXTURE, tmp_path_factory.mktemp("paged")))


def survey_data(site: Path) -> dict:
    return json.loads((site / "survey.json").read_text(encoding="utf-8"))


# Pure functions


def test_pages_are_even_and_keep_the_order() -> None:
    keys = [f"k{i}" for i in range(7)]
    assert split_pages(keys, 3) == [("k0", "k1", "k2"), ("k3", "k4"), ("k5", "k6")]
    assert split_pages(keys, 7) == [tuple(keys)]
    assert split_pages([], 3) == [()]
    for size in range(1, 9):
        chunks = split_pages(keys, size)
        assert [k for chunk in chunks for k in chunk] == keys
        assert max(map(len, chunks)) <= size
        assert max(map(len, chunks)) - min(map(len, chunks)) <= 1


def test_page_paths_and_pager() -> None:
    assert section_page("merging") == "sections/merging.md"
    assert section_page("merging", 3) == "sections/merging/3.md"
    paths = [section_page("s", n) for n in (1, 2, 3)]
    middle = pager(paths, 2)
    assert (middle["previous"], middle["next"], middle["count"]) == ("sections/s.md", "sections/s/3.md", 3)
    assert pager(paths, 1)["previous"] is None and pager(paths, 3)["next"] is None
    assert is_later_page("sections/s/2.md") and is_later_page("authors/k.md") and is_later_page("keywords/other.md")
    assert not is_later_page("sections/s.md") and not is_later_page("authors.md") and not is_later_page("index.md")


def test_index_letters() -> None:
    assert initial("Über") == "U" and initial("low-rank") == "L" and initial("3D") == "#" and initial("") == "#"
    assert letter_page("authors.md", "K") == "authors/k.md"
    assert letter_page("keywords.md", "#") == "keywords/other.md"


def test_deferred_markup_comes_out_in_two_steps() -> None:
    html = (
        "<h2 id='a'>A</h2>\n<!--survey-html\n<survey-search><p>Ada · 1843</p></survey-search>"
        "<survey-late><p class='paper-meta'><a href='x'>Ada</a></p></survey-late>-->\n"
        "<!-- a comment of the page's own -->\n<!--survey-late\n<ul><li>late</li></ul>-->"
    )
    searched, late = set_aside(html)
    # What search reads: the searched text, short placeholders, no late markup.
    assert "<p>Ada · 1843</p>" in searched and "paper-meta" not in searched and "late</li>" not in searched
    assert "survey-html" not in searched and len(late) == 2
    final = put_back(searched, late)
    assert "survey-" not in final and "Ada · 1843" not in final
    assert final.index("paper-meta") < final.index("a comment") < final.index("<li>late</li>")


def test_search_setting(tmp_path: Path) -> None:
    root = copy_survey(FIXTURE, tmp_path / "s")
    assert read_settings(root).search == "auto"
    for value, expected in (("light", "light"), ("FULL", "full"), ("sometimes", "auto")):
        config = root / "mkdocs.yml"
        data = config.read_text(encoding="utf-8").replace("    edit_branch: main\n", f"    edit_branch: main\n    search: {value}\n")
        (tmp_path / "c").mkdir(exist_ok=True)
        (tmp_path / "c" / "mkdocs.yml").write_text(data, encoding="utf-8")
        assert read_settings(tmp_path / "c").search == expected
    assert pages.search_abstracts(read_settings(root), pages.SEARCH_ABSTRACTS_UP_TO)
    assert not pages.search_abstracts(read_settings(root), pages.SEARCH_ABSTRACTS_UP_TO + 1)


# The built site


def test_a_paginated_site_builds_strictly_with_every_link_and_anchor_in_place(paged: Path) -> None:
    assert broken_links(paged) == []


def test_every_paper_is_on_exactly_one_page_of_its_section(paged: Path) -> None:
    data = survey_data(paged)
    found: dict[str, list[str]] = {}
    for page in sorted((paged / "sections").rglob("index.html")):
        for key in re.findall(r'<h2 class="paper-title" id="([^"]+)"', page.read_text(encoding="utf-8")):
            found.setdefault(key, []).append(page.relative_to(paged).as_posix())
    assert sorted(found) == sorted(p["id"] for p in data["papers"])
    for section in data["sections"]:
        chunks = split_pages(section["papers"], SMALL["PAGE_SIZE"])
        assert len(chunks) > 1, "the fixture's sections should need more than one page here"
        for number, chunk in enumerate(chunks, start=1):
            where = f"sections/{section['id']}/" + (f"{number}/" if number > 1 else "") + "index.html"
            assert [found[key] for key in chunk] == [[where]] * len(chunk)


def test_later_pages_link_back_and_stay_out_of_the_navigation(paged: Path) -> None:
    home = (paged / "index.html").read_text(encoding="utf-8")
    nav = home[home.index("md-sidebar--primary"):home.index("md-sidebar--secondary")]
    assert not re.search(r'href="sections/[^"/]+/\d+/"', nav)
    assert not re.search(r'href="(authors|keywords)/[^"/]+/"', nav)
    second = paged / "sections" / "adapters" / "2" / "index.html"
    hrefs = {values.get("rel"): urljoin(url_of(paged, second), link) for tag, link, values in parse(second).links if tag == "a" and values.get("rel") in ("prev", "next")}
    assert hrefs == {"prev": ROOT + "sections/adapters/", "next": ROOT + "sections/adapters/3/"}
    text = second.read_text(encoding="utf-8")
    assert "Low-rank adapters (page 2 of 3)" in text
    assert 'aria-current="page">2<' in text
    # Its section's entry in the navigation shows where the reader is, as on the first page;
    # an index's letter page lights its index's entry.
    for later, entry in ((second, "../"), (paged / "authors" / "k" / "index.html", "../")):
        page = later.read_text(encoding="utf-8")
        nav = page[page.index("md-sidebar--primary"):page.index("md-sidebar--secondary")]
        lit = re.findall(r'<li class="md-nav__item md-nav__item--active">\s*<a href="([^"]+)" class="md-nav__link">', nav)
        assert lit == [entry], later


def test_links_to_a_paper_land_on_the_page_that_holds_it(paged: Path) -> None:
    """The map, the feed, the indexes and related papers all name a paper's own page."""
    data = survey_data(paged)
    seen = 0
    for page in [paged / "index.html", *sorted((paged / "authors").rglob("index.html")), *sorted((paged / "keywords").rglob("index.html")), *sorted((paged / "sections").rglob("index.html"))]:
        for tag, link, _ in parse(page).links:
            url = urljoin(url_of(paged, page), link)
            key = urlsplit(url).fragment
            if tag == "a" and key in {p["id"] for p in data["papers"]}:
                assert key in parse(target_of(paged, url)).ids, f"{page.relative_to(paged)}: {link}"
                seen += 1
    assert seen > 50


def test_large_indexes_get_a_page_per_letter(paged: Path) -> None:
    authors = paged / "authors" / "index.html"
    letters = sorted(p.parent.name for p in (paged / "authors").glob("*/index.html"))
    assert letters and all(len(name) == 1 or name == "other" for name in letters)
    text = authors.read_text(encoding="utf-8")
    assert "index-list" not in text, "the first page lists letters, not people"
    assert (paged / "authors" / "k" / "index.html").read_text(encoding="utf-8").count('id="author-rabeeh-karimi-mahabadi"') == 1
    assert sorted(p.parent.name for p in (paged / "keywords").glob("*/index.html"))
    index = json.loads((paged / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not [d for d in index["docs"] if d["location"].startswith(("authors/", "keywords/", "papers/"))]


def test_the_table_of_a_large_survey_comes_from_json(paged: Path) -> None:
    data = survey_data(paged)
    table = json.loads((paged / "papers.json").read_text(encoding="utf-8"))
    assert len(table["papers"]) == len(data["papers"])
    assert [s["id"] for s in table["sections"]] == [s["id"] for s in data["sections"]]
    titles = [row[0] for row in table["papers"]]
    assert titles == sorted(titles, key=str.casefold)
    page = paged / "papers" / "index.html"
    assert "<tbody>\n</tbody>" in page.read_text(encoding="utf-8") or "<tbody> </tbody>" in page.read_text(encoding="utf-8")
    for row in table["papers"]:
        url = urljoin(url_of(paged, page), row[6])
        assert urlsplit(url).fragment in parse(target_of(paged, url)).ids, row[6]


def test_every_paper_is_a_search_result_on_its_own_page(paged: Path) -> None:
    index = json.loads((paged / "search" / "search_index.json").read_text(encoding="utf-8"))
    located = {doc["location"].split("#")[1]: doc["location"].split("#")[0] for doc in index["docs"] if "#" in doc["location"]}
    for section in survey_data(paged)["sections"]:
        for number, chunk in enumerate(split_pages(section["papers"], SMALL["PAGE_SIZE"]), start=1):
            for key in chunk:
                assert located[key] == f"sections/{section['id']}/" + (f"{number}/" if number > 1 else "")
    papers = " ".join(doc["text"] for doc in index["docs"] if doc["location"].split("#")[-1] in located)
    assert "sparsifies the adapter matrices" in papers, "abstracts are searched in a small survey"
    assert "Related papers" not in papers and "@misc{" not in papers and "Download" not in papers and "BibTeX" not in papers


@pytest.mark.parametrize(("setting", "searched"), [("light", False), ("full", True)])
def test_a_light_search_index_leaves_abstracts_out(tmp_path: Path, setting: str, searched: bool) -> None:
    root = copy_survey(FIXTURE, tmp_path / setting)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("    edit_branch: main\n", f"    edit_branch: main\n    search: {setting}\n"), encoding="utf-8")
    assert main(["-C", str(root), "build"]) == 0
    index = json.loads((root / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    texts = " ".join(doc["text"] for doc in index["docs"])
    assert ("sparsifies the adapter matrices" in texts) is searched
    assert "Tom Goldstein" in texts, "authors are always searched"
    page = (root / "site" / "sections" / "adapters" / "index.html").read_text(encoding="utf-8")
    assert "sparsifies the adapter matrices" in page, "the reader always sees the abstract"


def test_the_letter_page_of_names_in_other_scripts_keeps_its_heading(tmp_path: Path) -> None:
    root = copy_survey(FIXTURE, tmp_path)
    (root / "content" / "papers" / "wang2024script.yaml").write_text("title: A paper by one author\nauthors: ['王伟']\nyear: 2024\n", encoding="utf-8")
    page = (build(root) / "authors" / "other" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<h1[^>]*>Authors: (#|&#35;)<", page), "a closing # of the Markdown heading was dropped"
    assert "<title>Authors: # - " in page
    assert re.search(r"<h2[^>]*>(#|&#35;)<", page)
