"""The built site: links and anchors, the map and chart, the feed, head tags, indexes."""

from __future__ import annotations

import datetime
import html
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import feedparser
import markupsafe
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from conftest import FIXTURE, REPO, copy_survey
from generator.build import analyse
from generator.cli import main
from generator.feed import feed_context, xml_text
from generator.figures import MAP_HEIGHT, MAP_WIDTH, legend, survey_map, year_chart
from generator.indexes import _merge_targets, abbreviates, author_index, keyword_index, name_tokens
from generator.models import Overrides, Paper, Section, SectionSpec, Survey
from generator.pages import edit_url, render_pages, venue_series
from generator.render import SiteSettings, environment, page_url, url_relative

ROOT = "http://site.test/"
SVG = "{http://www.w3.org/2000/svg}"
ATOM = "{http://www.w3.org/2005/Atom}"


class Links(HTMLParser):
    """Collect a page's ids, links, and the attributes of its <meta> and <link> tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, dict[str, str]]] = []
        self.meta: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        for name in ("href", "src"):
            if name in values:
                self.links.append((tag, values[name], values))
        if tag == "meta":
            self.meta.append(values)

    handle_startendtag = handle_starttag


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def url_of(site: Path, page: Path) -> str:
    relative = page.relative_to(site).as_posix()
    return ROOT + (relative[: -len("index.html")] if relative.endswith("index.html") else relative)


def target_of(site: Path, url: str) -> Path:
    path = unquote(urlsplit(url).path)[len(urlsplit(ROOT).path):]
    file = site / path
    return file / "index.html" if path.endswith("/") or path == "" or file.is_dir() else file


def broken_links(site: Path) -> list[str]:
    """Return every link inside the site that misses its file or its anchor."""
    pages = {p: parse(p) for p in sorted(site.rglob("*.html")) if p.name != "404.html"}
    broken = []
    for page, parser in pages.items():
        for tag, link, _ in parser.links:
            url = urljoin(url_of(site, page), link)
            if not url.startswith(ROOT):
                continue
            target = target_of(site, url)
            anchor = unquote(urlsplit(url).fragment)
            where = f"{page.relative_to(site)}: <{tag}> {link}"
            if not target.is_file():
                broken.append(f"{where}: no file {target.relative_to(site)}")
            elif anchor and target.suffix == ".html" and anchor not in pages[target].ids:
                broken.append(f"{where}: no anchor #{anchor}")
    return broken


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture survey (with its hostile paper), built once."""
    root = copy_survey(FIXTURE, tmp_path_factory.mktemp("fixture-site"))
    assert main(["-C", str(root), "build"]) == 0
    return root


def test_every_link_in_the_fixture_site_lands_on_a_file_and_anchor(fixture_site: Path) -> None:
    assert broken_links(fixture_site / "site") == []


def test_links_hold_without_directory_urls(tmp_path: Path) -> None:
    """Raw-HTML links (map, table, indexes) follow `use_directory_urls: false` like MkDocs' own."""
    root = copy_survey(FIXTURE, tmp_path / "flat")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "use_directory_urls: false\n", encoding="utf-8")
    assert main(["-C", str(root), "build"]) == 0
    assert (root / "site" / "authors.html").is_file()
    assert broken_links(root / "site") == []
    assert 'href="sections/merging.html#' in (root / "site" / "index.html").read_text(encoding="utf-8")


def test_every_link_in_the_shipped_site_lands_on_a_file_and_anchor(shipped_site: Path) -> None:
    assert broken_links(shipped_site / "site") == []


def map_links(site: Path) -> list[tuple[str, str]]:
    text = (site / "index.html").read_text(encoding="utf-8")
    svg = text[text.index('<svg class="survey-map"'):]
    svg = svg[: svg.index("</svg>") + len("</svg>")]
    return re.findall(r'<a href="([^"]+)" class="survey-point [^"]*" data-key="([^"]+)"', svg)


@pytest.mark.parametrize("which", ["fixture_site", "shipped_site"])
def test_every_paper_is_one_point_on_the_map_linking_to_its_anchor(which: str, request: pytest.FixtureRequest) -> None:
    root: Path = request.getfixturevalue(which)
    site = root / "site"
    data = json.loads((site / "survey.json").read_text(encoding="utf-8"))
    links = map_links(site)
    assert sorted(key for _, key in links) == sorted(p["id"] for p in data["papers"])
    for href, key in links:
        url = urljoin(ROOT, href)
        assert urlsplit(url).fragment == key
        target = target_of(site, url)
        assert target.is_file(), href
        assert key in parse(target).ids, href


def test_the_home_page_figures_are_well_formed_svg_with_escaped_titles(fixture_site: Path) -> None:
    text = (fixture_site / "site" / "index.html").read_text(encoding="utf-8")
    figures = re.findall(r"<svg class=\"survey-(?:map|years)\".*?</svg>", text, re.DOTALL)
    assert len(figures) == 2
    titles = []
    for figure in figures:
        root = ET.fromstring(figure)  # well-formed XML, or this raises
        titles += ["".join(t.itertext()) for t in root.iter(f"{SVG}title")]
    assert any(t.startswith("Über {Braces} & 100% of $x_1$ #1 ~ LoRA^2 <script>alert(1)</script>") for t in titles)
    assert "<script>alert" not in text.replace("&lt;script&gt;alert", "")
    assert 'data-search-exclude' in text[text.index('<div class="survey-figure"') - 10:][:80]


def test_a_screen_reader_hears_the_papers_per_year(fixture_site: Path) -> None:
    text = (fixture_site / "site" / "index.html").read_text(encoding="utf-8")
    chart = ET.fromstring(re.search(r'<svg class="survey-years".*?</svg>', text, re.DOTALL).group(0))
    (desc,) = chart.iter(f"{SVG}desc")
    assert chart.get("aria-describedby") == desc.get("id")
    bars = ["".join(g.find(f"{SVG}title").itertext()) for g in chart.iter(f"{SVG}g")]
    assert bars and desc.text == "; ".join(bars) + "."  # "2021: 2 papers; …; 2026: 1 paper."


def test_every_page_links_the_feed_favicon_and_social_tags(fixture_site: Path) -> None:
    site = fixture_site / "site"
    for page in sorted(site.rglob("index.html")):
        parser = parse(page)
        heads = {(v.get("rel"), v.get("type")): v["href"] for tag, _, v in parser.links if tag == "link" and "rel" in v}
        feed = heads.get(("alternate", "application/atom+xml"))
        assert feed and target_of(site, urljoin(url_of(site, page), feed)) == site / "feed.xml", page
        icon = heads.get(("icon", None))
        assert icon and target_of(site, urljoin(url_of(site, page), icon)).name == "favicon.svg", page
        meta = {m.get("property") or m.get("name"): m.get("content", "") for m in parser.meta}
        assert meta.get("og:title"), page
        assert meta.get("og:description"), page
        # A page that is a section of many papers carries no citation_* tags: those are for one paper.
        assert not any(str(name).startswith("citation_") for name in meta), page
    assert (site / "assets" / "favicon.svg").read_text(encoding="utf-8").lstrip().startswith("<svg")


def test_head_tags_escape_hostile_section_text(tmp_path: Path) -> None:
    root = copy_survey(FIXTURE, tmp_path / "hostile")
    overrides = root / "content" / "overrides.yaml"
    data = yaml.safe_load(overrides.read_text(encoding="utf-8"))
    hostile = 'Tom & "Jerry" <b>bold</b> </title><script>alert(1)</script> \' end'
    data["sections"][0]["title"] = hostile
    data["sections"][0]["description"] = hostile + " description"
    overrides.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["-C", str(root), "build"]) == 0
    page = root / "site" / "sections" / "merging" / "index.html"
    meta = {m.get("property") or m.get("name"): m.get("content", "") for m in parse(page).meta}
    assert meta["description"] == hostile + " description"
    assert meta["og:description"] == hostile + " description"
    assert meta["og:title"].startswith(hostile)
    text = page.read_text(encoding="utf-8")
    assert "<b>bold</b>" not in text and "<script>alert(1)" not in text
    assert html.unescape(re.search(r"<title>(.*?)</title>", text, re.DOTALL)[1]).startswith(hostile)


def test_a_papers_tags_show_beside_it_are_searched_and_in_survey_json(tmp_path: Path) -> None:
    root = copy_survey(FIXTURE, tmp_path / "tags")
    path = sorted((root / "content" / "papers").glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "tags: [reading-group, must read]\n", encoding="utf-8")
    assert main(["-C", str(root), "build"]) == 0
    paper = json.loads((root / "site" / "survey.json").read_text(encoding="utf-8"))["papers"]
    assert next(p for p in paper if p["id"] == path.stem)["tags"] == ["reading-group", "must read"]
    section = next(p for p in paper if p["id"] == path.stem)["section"]
    page = (root / "site" / "sections" / section / "index.html").read_text(encoding="utf-8")
    assert '<span class="chip chip--tag">reading-group</span> <span class="chip chip--tag">must read</span>' in page
    index = json.loads((root / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    entry = next(d for d in index["docs"] if d["location"].endswith(f"#{path.stem}"))
    assert "reading-group, must read" in entry["text"]


def test_published_under_a_sub_path_the_404_page_and_the_feed_use_the_site_address(shipped_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deploy workflow sets SITE_URL (mkdocs.yml's site_url) to the GitHub Pages address."""
    assert 'href="/assets/' in (shipped_site / "site" / "404.html").read_text(encoding="utf-8")  # built without it
    root = copy_survey(REPO, tmp_path / "published")
    monkeypatch.setenv("SITE_URL", "https://example.org/tasks-survey/")
    assert main(["-C", str(root), "build"]) == 0
    missing = (root / "site" / "404.html").read_text(encoding="utf-8")
    assert 'href="/tasks-survey/assets/' in missing and 'href="/assets/' not in missing
    # It leads back: to the home page (the sections) and the table of all papers, at the site's address.
    assert '<a href="/tasks-survey/">the home page</a>' in missing and '<a href="/tasks-survey/papers/">the table of all papers</a>' in " ".join(missing.split())
    feed = feedparser.parse((root / "site" / "feed.xml").read_bytes())
    assert feed.entries and all(e.link.startswith("https://example.org/tasks-survey/sections/") for e in feed.entries)


def gzip_date(path: Path) -> datetime.date:
    """Return the day a gzip file's header says it was made."""
    stamp = int.from_bytes(path.read_bytes()[4:8], "little")
    return datetime.datetime.fromtimestamp(stamp, datetime.UTC).date()


def test_each_build_is_dated_by_its_own_newest_paper_unless_the_user_chose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = copy_survey(FIXTURE, tmp_path / "first")
    assert main(["-C", str(first), "build"]) == 0
    assert gzip_date(first / "site" / "sitemap.xml.gz") == datetime.date(2026, 11, 25)  # its newest paper's `added`
    second = copy_survey(FIXTURE, tmp_path / "second")
    (second / "content" / "papers" / "lovelace2026later.yaml").write_text("title: Later\nadded: 2026-11-26\n", encoding="utf-8")
    assert main(["-C", str(second), "build"]) == 0  # in the same process
    assert gzip_date(second / "site" / "sitemap.xml.gz") == datetime.date(2026, 11, 26)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "946684800")
    assert main(["-C", str(second), "build"]) == 0
    assert gzip_date(second / "site" / "sitemap.xml.gz") == datetime.date(2000, 1, 1)


def test_a_survey_s_own_asset_replaces_only_that_file(tmp_path: Path) -> None:
    root = copy_survey(FIXTURE, tmp_path / "icon")
    (root / "site_templates" / "assets").mkdir(parents=True)
    (root / "site_templates" / "assets" / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><title>ours</title></svg>\n', encoding="utf-8")
    assert main(["-C", str(root), "build"]) == 0
    assets = root / "site" / "assets"
    assert "<title>ours</title>" in (assets / "favicon.svg").read_text(encoding="utf-8")
    assert (assets / "survey.css").is_file() and (assets / "papers-table.js").is_file()  # mkdocs.yml loads them


def test_feed_is_valid_atom_of_the_newest_papers_by_added_date(fixture_site: Path) -> None:
    site = fixture_site / "site"
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    added = {}
    for path in (FIXTURE / "content" / "papers").glob("*.yaml"):
        paper = yaml.safe_load(path.read_text(encoding="utf-8"))
        if paper.get("added"):
            added[path.stem] = paper["added"]
    assert len(feed.entries) == len(added)
    stamps = [e.updated for e in feed.entries]
    assert stamps == sorted(stamps, reverse=True)
    for entry in feed.entries:
        key = urlsplit(entry.link).fragment
        assert entry.updated == f"{added[key].isoformat()}T00:00:00Z"
        assert entry.id.startswith("urn:uuid:")
        target = target_of(site, urljoin(ROOT, entry.link))
        assert key in parse(target).ids
    hostile = next(e for e in feed.entries if urlsplit(e.link).fragment == "nunezgarcia2026uber")
    assert hostile.title == "Über {Braces} & 100% of $x_1$ #1 ~ LoRA^2 <script>alert(1)</script>"
    assert feed.feed.updated == max(stamps)


def test_feed_is_byte_identical_across_builds(fixture_site: Path, tmp_path: Path) -> None:
    other = copy_survey(FIXTURE, tmp_path / "again")
    assert main(["-C", str(other), "generate"]) == 0
    assert (other / "docs" / "feed.xml").read_bytes() == (fixture_site / "docs" / "feed.xml").read_bytes()


def test_navigation_is_small_and_index_pages_stay_out_of_search(fixture_site: Path) -> None:
    site = fixture_site / "site"
    page = (site / "index.html").read_text(encoding="utf-8")
    nav = page[page.index("md-sidebar--primary"):page.index("md-sidebar--secondary")]
    for title, path in (("All papers", "papers/"), ("Authors", "authors/"), ("Keywords", "keywords/")):
        assert title in nav and f'href="{path}"' in nav
    assert len(re.findall(r'class="md-nav__link', nav)) < 20
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = [doc["location"] for doc in index["docs"]]
    assert not [loc for loc in locations if loc.startswith(("papers/", "authors/", "keywords/"))]
    home = " ".join(doc["text"] for doc in index["docs"] if doc["location"].split("#")[0] == "")
    assert "Merging by Matching Models" not in home, "the map's titles must not flood search"
    # Nor the sections table's keywords or the newest additions' titles: a search finds the
    # section or the paper itself, not the home page as well.
    data = json.loads((site / "survey.json").read_text(encoding="utf-8"))
    assert [p["title"] for p in data["papers"] if p["title"] in home] == []
    assert [s["id"] for s in data["sections"] if ", ".join(s["keywords"][:3]) in home] == []
    assert "Newest additions" in page and "Browse" in home  # the page still shows them; the closing line is searched


def test_papers_table_has_filter_data_and_a_local_script(fixture_site: Path) -> None:
    site = fixture_site / "site"
    text = (site / "papers" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-year="(\d*)" data-section="([\w-]+)" data-section-order="(\d+)" data-venue="([^"]*)" data-authors="([^"]*)" data-author-sort="([^"]*)" data-ids="([^"]*)">', text)
    assert len(rows) == 12
    assert ("2026", "adapters", "1", "Workshop on *Odd* | Titles [x](javascript:alert(1))", "José Ñúñez-García, Ludwig van der Waals, Łukasz Kaiser", "nunez garcia jose", "nunezgarcia2026uber") in [
        tuple(map(html.unescape, row)) for row in rows
    ]
    scripts = re.findall(r'<script src="([^"]+)"', text)
    assert any(s.endswith("assets/papers-table.js") for s in scripts)
    assert (site / "assets" / "papers-table.js").is_file()


def test_author_index_merges_spellings_of_one_name(fixture_site: Path) -> None:
    text = (fixture_site / "site" / "authors" / "index.html").read_text(encoding="utf-8")
    assert text.count('id="author-rabeeh-karimi-mahabadi"') == 1
    assert "José Ñúñez-García" in text


def test_names_in_other_scripts_are_indexed_with_anchors_a_link_can_carry() -> None:
    papers = [paper("a", authors=("张伟", "Иван Петров", "محمد علي", "Jane Doe")), paper("b", authors=("张伟", "Иван Петров"))]
    authors, anchors = author_index(papers)
    by_name = {a.name: a for a in authors}
    assert set(by_name) == {"张伟", "Иван Петров", "محمد علي", "Jane Doe"}
    assert by_name["张伟"].papers == ("a", "b") and by_name["Иван Петров"].papers == ("a", "b")
    assert anchors["张伟"] == "author-u5f20-4f1f"
    assert all(re.fullmatch(r"author-[a-z0-9-]+", a.anchor) for a in authors)
    assert {by_name[name].letter for name in ("张伟", "Иван Петров", "محمد علي")} == {"#"}  # not a page per character


def test_edit_links_follow_repo_url_and_branch(fixture_site: Path) -> None:
    text = (fixture_site / "site" / "sections" / "adapters" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://github.com/example/fixture-survey/edit/main/content/papers/zhang2025lori.yaml"' in text
    # Material's repository widget would ask api.github.com for stars; ours is a plain link.
    assert 'data-md-component="source"' not in text


# Pure functions


def paper(key: str, title: str = "T", **fields: object) -> Paper:
    return Paper(key=key, title=title, **fields)  # type: ignore[arg-type]


def test_name_variants_merge_only_when_one_person_fits() -> None:
    papers = [
        paper("a", authors=("Karimi Mahabadi, Rabeeh", "J. Zhang", "Juzheng Zhang")),
        paper("b", authors=("Rabeeh Karimi Mahabadi", "Jie Zhang", "Colin Raffel", "José Pérez")),
        paper("c", authors=("R. Karimi Mahabadi", "Colin A. Raffel", "Jose Perez", "J.-B. Alayrac", "Jean-Baptiste Alayrac")),
    ]
    authors, anchors = author_index(papers)
    by_name = {a.name: a for a in authors}
    assert by_name["Rabeeh Karimi Mahabadi"].papers == ("a", "b", "c")
    assert by_name["Rabeeh Karimi Mahabadi"].letter == "K"  # "Family, Given" says the family name
    assert by_name["Colin A. Raffel"].papers == ("b", "c")
    assert by_name["José Pérez"].variants == ("Jose Perez",)
    assert by_name["Jean-Baptiste Alayrac"].papers == ("c",)
    # "J. Zhang" could be Jie or Juzheng: kept apart.
    assert {"J. Zhang", "Jie Zhang", "Juzheng Zhang"} <= set(by_name)
    assert anchors["Karimi Mahabadi, Rabeeh"] == anchors["R. Karimi Mahabadi"]
    assert len({a.anchor for a in authors}) == len(authors)


def test_abbreviation_rules() -> None:
    assert abbreviates(name_tokens("J. Smith"), name_tokens("John Smith"))
    assert abbreviates(name_tokens("John Smith"), name_tokens("John A. Smith"))
    assert not abbreviates(name_tokens("Jane Smith"), name_tokens("John Smith"))
    assert not abbreviates(name_tokens("J. Smith"), name_tokens("J. Smyth"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["j", "john", "jo", "a", "ann", "smith", "s"]), min_size=1, max_size=4).map(tuple), max_size=12))
def test_spellings_merge_as_comparing_every_pair_of_alike_spellings_merges_them(spellings: list[tuple[str, ...]]) -> None:
    # _merge_targets compares a spelling without initials only with the spellings `abbreviates` trims.
    spellings = sorted(set(spellings))
    target = {tokens: tokens for tokens in spellings}
    for tokens in spellings:
        longer = [other for other in spellings if (other[-1], other[0][0]) == (tokens[-1], tokens[0][0]) and abbreviates(tokens, other)]
        fullest = [t for t in longer if not any(abbreviates(t, other) for other in longer)]
        if len(fullest) == 1:
            target[tokens] = fullest[0]
    for tokens in spellings:
        end, seen = target[tokens], {tokens}
        while target[end] != end and end not in seen:
            seen.add(end)
            end = target[end]
        target[tokens] = end
    assert _merge_targets(spellings) == target


def small_survey() -> Survey:
    papers = [
        paper("a1", "Merging models by task arithmetic", abstract="task vectors merge models", year=2021, added=datetime.date(2024, 1, 2)),
        paper("a2", "Task vectors for merging", abstract="merge models with task vectors", year=2023, added=datetime.date(2024, 3, 1)),
        paper("b1", "Low-rank adapters", abstract="low-rank adaptation of language models", year=2023),
        paper("b2", "Adapters for many tasks", abstract="adapter layers low-rank multi-task", year=None, added=datetime.date(2024, 3, 1)),
        paper("b3", "Hypercomplex adapters", abstract="low-rank hypercomplex adapter", year=2021),
    ]
    sections = (
        Section("merging", "Merging", "", ("merging", "task vectors"), ("a2", "a1")),
        Section("adapters", "Adapters", "", ("adapter", "low-rank"), ("b1", "b2", "b3")),
    )
    overrides = Overrides(sections=tuple(SectionSpec(s.id, s.title) for s in sections))
    return analyse(papers, overrides)


def test_layout_is_deterministic_and_inside_the_unit_square() -> None:
    survey = small_survey()
    assert set(survey.coordinates) == {p.key for p in survey.papers}
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in survey.coordinates.values())
    assert small_survey().coordinates == survey.coordinates


def test_map_points_stay_inside_the_picture() -> None:
    survey = small_survey()
    figure = survey_map(survey, {s.id: f"sections/{s.id}.md" for s in survey.sections})
    assert figure is not None
    assert [p["key"] for p in figure["points"]] == [k for s in survey.sections for k in s.papers]
    for point in figure["points"]:
        assert figure["radius"] <= point["x"] <= MAP_WIDTH - figure["radius"]
        assert figure["radius"] <= point["y"] <= MAP_HEIGHT - figure["radius"]


def test_the_map_draws_each_section_as_a_region_of_its_own() -> None:
    import numpy as np

    from generator.build import analyse, check
    from generator.project import open_project

    papers, overrides, _ = check(open_project(REPO))
    survey = analyse(papers, overrides)
    section = {k: s.id for s in survey.sections for k in s.papers}
    keys = sorted(survey.coordinates)
    points = np.array([survey.coordinates[k] for k in keys])
    apart = ((points[:, None] - points[None]) ** 2).sum(axis=-1)
    np.fill_diagonal(apart, np.inf)
    nearest = np.argsort(apart, axis=1, kind="stable")[:, :5]
    alike = np.mean([[section[keys[j]] == section[keys[i]] for j in row] for i, row in enumerate(nearest)])
    # 12 sections: by chance about one neighbour in ten would share a paper's section.
    assert alike > 0.55


def test_up_to_fourteen_sections_and_the_other_papers_each_get_a_colour_of_their_own() -> None:
    sections = tuple(Section(f"s{n}", f"Section {n}", "", (), (f"p{n}",)) for n in range(14)) + (Section("other", "Other papers", "", (), ("p99",)),)
    survey = Survey(papers=tuple(paper(k) for s in sections for k in s.papers), sections=sections)
    colours = [entry["colour"] for entry in legend(survey, {s.id: f"sections/{s.id}.md" for s in sections})]
    assert len(set(colours)) == len(colours) == 15 and colours[-1] == "survey-cother"
    css = (REPO / "site_templates" / "assets" / "survey.css").read_text(encoding="utf-8")
    assert all(f".{c} {{ --survey-colour: var(--{c}); }}" in css for c in colours)


def test_year_chart_counts_every_dated_paper_once() -> None:
    survey = small_survey()
    chart = year_chart(survey)
    assert chart is not None
    assert [b["year"] for b in chart["bars"]] == [2021, 2022, 2023]
    assert {b["year"]: b["total"] for b in chart["bars"]} == {2021: 2, 2022: 0, 2023: 2}
    assert chart["undated"] == 1
    for bar in chart["bars"]:
        assert sum(s["count"] for s in bar["segments"]) == bar["total"]
        for segment in bar["segments"]:
            assert segment["y"] >= 0 and segment["y"] + segment["height"] <= chart["bottom"] + 0.1


def test_keyword_index_lists_section_keywords_and_shared_words() -> None:
    survey = small_survey()
    words = {k.word: k for k in keyword_index(survey)}
    assert "task vectors" in words and words["task vectors"].sections == ("merging",)
    assert set(words["task vectors"].papers) == {"a1", "a2"}
    assert len({k.anchor for k in words.values()}) == len(words)


@pytest.mark.parametrize(
    ("target", "page", "directory", "expected"),
    [
        ("sections/b.md", "sections/a.md", True, "../b/"),
        ("index.md", "sections/a.md", True, "../../"),
        ("authors.md", "index.md", True, "authors/"),
        ("index.md", "index.md", True, "./"),
        ("sections/b.md", "sections/a.md", False, "b.html"),
        ("index.md", "sections/a.md", False, "../index.html"),
    ],
)
def test_page_urls_for_raw_html(target: str, page: str, directory: bool, expected: str) -> None:
    assert page_url(target, page, directory) == expected


def test_file_urls_for_raw_html() -> None:
    assert url_relative("bib/papers/k.bib", "sections/a.md") == "../../bib/papers/k.bib"
    assert url_relative("bib/papers/k.bib", "sections/a.md", directory_urls=False) == "../bib/papers/k.bib"
    assert url_relative("bib/papers/k.bib", "index.md") == "bib/papers/k.bib"


def test_venue_series() -> None:
    assert venue_series("Findings of ACL 2025") == "Findings of ACL"
    assert venue_series("NeurIPS 2024 (Datasets and Benchmarks track)") == "NeurIPS"
    assert venue_series("TACL") == "TACL"
    assert venue_series(None) == "Preprint"


def test_edit_url_needs_a_repository() -> None:
    p = paper("k", path="content/papers/k.yaml")
    assert edit_url(p, SiteSettings(), Overrides()) is None
    settings = SiteSettings(repo_url="https://github.com/o/r/", edit_branch="trunk")
    assert edit_url(p, settings, Overrides()) == "https://github.com/o/r/edit/trunk/content/papers/k.yaml"


text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60).filter(lambda s: xml_text(s).strip())


@settings(max_examples=40, deadline=None)
@given(title=text, abstract=st.text(max_size=80), author=text)
def test_feed_and_map_stay_well_formed_for_any_text(title: str, abstract: str, author: str) -> None:
    papers = [paper("k1", title, abstract=abstract, authors=(author,), added=datetime.date(2025, 1, 1), year=2025)]
    survey = Survey(papers=tuple(papers), sections=(Section("s", "S", "", (), ("k1",)),), coordinates={"k1": (0.5, 0.5)})
    env = environment(FIXTURE, SiteSettings(site_name="Test"))
    files = render_pages(env, survey, Overrides(title="Test"))
    feed = feedparser.parse(files["feed.xml"].encode("utf-8"))
    assert not feed.bozo, feed.get("bozo_exception")
    # feedparser "repairs" text that looks like mojibake, so read the title back with ElementTree.
    entry = ET.fromstring(files["feed.xml"].encode("utf-8")).find(f"{ATOM}entry")
    assert entry is not None and entry.findtext(f"{ATOM}title") == xml_text(title)
    index = files["index.md"]
    svg = index[index.index('<svg class="survey-map"'):]
    svg = svg[: svg.index("</svg>") + len("</svg>")]
    root = ET.fromstring(svg.encode("utf-8")) if xml_text(title) == title else None
    if root is not None:
        point = root.find(f".//{SVG}a")
        assert point is not None and "".join(point.itertext()).startswith(title)


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.text(), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False), st.text().map(Markup)))
def test_shown_values_are_escaped_as_markupsafe_escapes_them(value: object) -> None:
    env = environment(FIXTURE, SiteSettings(site_name="Test"))
    shown = env.from_string("{{ value }}").render(value=value)
    assert shown == str(markupsafe.escape(value))


def test_feed_context_without_dates_has_a_fixed_stamp() -> None:
    survey = Survey(papers=(paper("k"),), sections=(Section("s", "S", "", (), ("k",)),))
    context = feed_context(survey, {}, "T", "", SiteSettings())
    assert context["entries"] == [] and context["updated"] == "2000-01-01T00:00:00Z"


def test_counts_of_a_large_survey_are_written_with_thousands_separated() -> None:
    papers = tuple(paper(f"k{n:04d}", f"Paper {n}", year=2020, authors=(f"Ada Author{n}",)) for n in range(1234))
    survey = Survey(papers=papers, sections=(Section("s", "S", "", (), tuple(p.key for p in papers)),))
    files = render_pages(environment(FIXTURE, SiteSettings(site_name="Test")), survey, Overrides(title="Test"))
    assert "<strong>1,234</strong> papers in <strong>1</strong> section by <strong>1,234</strong> authors" in files["index.md"]
    assert "| 1,234 |" in files["index.md"]
    assert re.search(r"1,234 papers, 1,\d{3}–1,234 on this page", files["sections/s/13.md"])


def test_a_name_in_chinese_japanese_or_korean_script_reads_family_name_first(tmp_path: Path) -> None:
    """"张, 伟" is 张伟 on the page, as it is written in Chinese, not "伟 张"; a name in Latin letters keeps its order."""
    root = copy_survey(FIXTURE, tmp_path / "cjk")
    (root / "content" / "papers" / "zhang2024script.yaml").write_text("title: A paper by three authors\nauthors: ['张, 伟', '山田, 太郎', 'Zhang, Wei', '김 철수']\nyear: 2024\nsection: adapters\n", encoding="utf-8")
    assert main(["-C", str(root), "build"]) == 0
    page = (root / "site" / "sections" / "adapters" / "index.html").read_text(encoding="utf-8")
    entry = page[page.index('id="zhang2024script"') :]
    names = re.findall(r'class="paper-author"[^>]*>([^<]+)<', entry[: entry.index("</p>")])
    assert names == ["张伟", "山田太郎", "Wei Zhang", "김 철수"]  # without a comma, as written
