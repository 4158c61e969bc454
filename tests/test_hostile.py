"""Hostile and broken input: nothing runs in a reader's browser, nothing escapes, nothing is lost.

The hostile corpus (tests/fixtures/hostile/) is added to the fixture survey and built once; each
attack then has its own test, checked on the built HTML with the standard library's parser.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import shutil
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import bibtexparser
import pytest
import yaml

from conftest import FIXTURE, bibtex_downloads, copy_survey, run
from generator.cli import main, parser
from generator.indexes import display_name
from generator.load import MAX_DEPTH, MAX_FILE_BYTES, _read_at_most
from generator.schema import MAX_TEXT, clean_text
from generator.write import MANIFEST, replace_folder

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
MARKER = "xss"  # every payload that would run says it

# ---------------------------------------------------------------------------------------------
# A small DOM on top of html.parser, and the checks every built page must pass.

VOID = frozenset(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"])


@dataclass(eq=False)
class Element:
    """One element of a parsed page, with its attributes in the order written."""

    tag: str
    attributes: list[tuple[str, str]]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        return next((v for k, v in self.attributes if k == name), default)

    @property
    def classes(self) -> set[str]:
        return set(self.get("class").split())

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str, cls: str | None = None, **attributes: str) -> list[Element]:
        return [
            e for e in self.iter()
            if e.tag == tag and (cls is None or cls in e.classes) and all(e.get(k) == v for k, v in attributes.items())
        ]

    def find(self, tag: str, cls: str | None = None, **attributes: str) -> Element:
        found = self.find_all(tag, cls, **attributes)
        assert found, f"no <{tag} class={cls} {attributes}>"
        return found[0]

    def elements(self) -> list[Element]:
        return [c for c in self.children if isinstance(c, Element)]

    def text(self) -> str:
        """Return the text a reader sees, without permalink signs, white space folded."""
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif "headerlink" not in child.classes:
                parts.append(child.text())
        return " ".join("".join(parts).split())

    def ancestors(self) -> Iterator[Element]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", [])
        self.current = self.root
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, [(k, v or "") for k, v in attrs], self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Element(tag, [(k, v or "") for k, v in attrs], self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node is not self.root and node.tag != tag:
            node = node.parent
        if node is not None and node is not self.root:
            self.current = node.parent or self.root

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_pi(self, data: str) -> None:
        self.comments.append(data)

    def unknown_decl(self, data: str) -> None:
        self.comments.append(data)


def parse(html: str) -> tuple[Element, list[str]]:
    """Return a page's element tree and its comments and declarations."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root, builder.comments


URL_ATTRIBUTES = frozenset(["href", "src", "action", "formaction", "xlink:href", "srcset", "poster", "data", "background", "cite", "ping", "manifest", "icon"])
# Never on a survey page, whoever wrote it.
FORBIDDEN_TAGS = frozenset(["iframe", "frame", "frameset", "object", "embed", "applet", "style", "base", "template", "portal"])
# What the Markdown in the templates (and Python-Markdown's extensions) turn into.
MARKDOWN_TAGS = frozenset(["article", "h1", "h2", "p", "a", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "details", "summary", "div", "pre", "code", "span"])
TEMPLATES = Path(__file__).parent.parent / "site_templates"


def template_tags() -> frozenset[str]:
    """Return every element the survey's templates write; inside a page's article, only these may appear."""
    tags = set(MARKDOWN_TAGS)
    for path in TEMPLATES.rglob("*"):
        if path.suffix in (".j2", ".html"):
            text = re.sub(r"{#.*?#}", "", path.read_text(encoding="utf-8"), flags=re.S)
            tags |= {t.lower() for t in re.findall(r"<([a-zA-Z][\w-]*)", text)}
    return frozenset(tags)


# A paper's BibTeX download: BibTeX text, base64-encoded into a data: URL that the browser saves.
BIBTEX_DATA = re.compile(r"data:application/x-bibtex;charset=utf-8;base64,[A-Za-z0-9+/]*={0,2}")


def _scheme(value: str) -> str | None:
    compact = re.sub(r"[\x00-\x20\x7f]+", "", value).lower()
    found = re.match(r"^([a-z][a-z0-9+.\-]*):", compact)
    return found.group(1) if found else None


def markup_problems(html: str) -> list[str]:
    """Return every sign that content reached a page as markup rather than text."""
    root, comments = parse(html)
    problems = []
    for element in root.iter():
        where = f"<{element.tag} {element.attributes}>"
        for name, value in element.attributes:
            if name == "href" and element.tag == "a" and element.get("download") and BIBTEX_DATA.fullmatch(value):
                continue  # nothing in it can be markup: base64 has letters, digits, +, / and =
            if name.startswith("on"):
                problems.append(f"event handler {name} on {where}")
            if name == "style" and not re.fullmatch(r"text-align: (left|right|center);", value):
                problems.append(f"style attribute on {where}")
            if name in URL_ATTRIBUTES and _scheme(value) not in (None, "http", "https"):
                problems.append(f"{name} with scheme {_scheme(value)!r} on {where}")
            # Slugs of content words ("sections/xss/#xss-paper") are plain paths; anything else is not.
            plain_path = name in URL_ATTRIBUTES and re.fullmatch(r"[\w./-]*(#[\w-]*)?", value)
            if MARKER in value.lower() and (name in URL_ATTRIBUTES or name in ("style", "srcdoc")) and not plain_path:
                problems.append(f"content in attribute {name} of {where}")
        if element.tag in FORBIDDEN_TAGS:
            problems.append(f"forbidden element {where}")
        if element.tag == "script":
            source = element.get("src")
            if source and (_scheme(source) or source.startswith("//")):
                problems.append(f"script from elsewhere: {where}")
            if MARKER in element.text().lower():
                problems.append(f"content in a script: {element.text()[:80]}")
        if element.tag == "meta" and element.get("http-equiv"):
            problems.append(f"meta http-equiv: {where}")
    allowed = template_tags()
    for article in root.find_all("article"):
        for element in article.iter():
            if element.tag not in allowed:
                problems.append(f"element <{element.tag}> in the article, and no template writes one")
            if element.tag == "code" and (element.parent is None or element.parent.tag != "pre"):
                problems.append("inline <code> made from content")
            if element.classes & {"admonition", "admonition-title"}:
                problems.append(f"an admonition made from content: {element.text()[:60]!r}")
            if element.tag == "details" and not element.classes & {"abstract", "quote"}:
                problems.append(f"<details class={element.get('class')!r}> made from content")
    problems += [f"comment or declaration: {c[:60]!r}" for c in comments if MARKER in c.lower() or "hidden" in c]
    return problems


def site_problems(site: Path) -> list[str]:
    """Check every page of a built site, and the search index Material shows as HTML."""
    problems = []
    for page in sorted(site.rglob("*.html")):
        problems += [f"{page.relative_to(site)}: {p}" for p in markup_problems(page.read_text(encoding="utf-8"))]
    index = site / "search" / "search_index.json"
    if index.is_file():
        for doc in json.loads(index.read_text(encoding="utf-8"))["docs"]:
            for name in ("title", "text"):
                root, _ = parse(doc[name])
                for element in list(root.iter())[1:]:
                    if element.tag not in ("p", "ul", "ol", "li", "code", "pre", "strong", "em", "table", "tr", "td", "th"):
                        problems.append(f"search index {doc['location']}: <{element.tag}> in {name}")
                    if element.attributes:
                        problems.append(f"search index {doc['location']}: attributes {element.attributes} in {name}")
    return problems


# ---------------------------------------------------------------------------------------------
# The hostile corpus, built once.

PAPERS = sorted(p.stem for p in (HOSTILE / "papers").glob("*.yaml"))
REFUSED = sorted(p.stem for p in (HOSTILE / "refused").glob("*.yaml"))


@dataclass
class Built:
    root: Path
    code: int
    out: str
    err: str

    @property
    def site(self) -> Path:
        return self.root / "site"

    def page(self, relative: str) -> Element:
        return parse((self.site / relative).read_text(encoding="utf-8"))[0]

    def paper(self, key: str) -> dict:
        return yaml.safe_load((self.root / "content" / "papers" / f"{key}.yaml").read_text(encoding="utf-8"))


def quiet_main(*args: str) -> tuple[int, str, str]:
    """Run the command line outside a test function (fixtures that outlive capsys)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = copy_survey(FIXTURE, tmp_path_factory.mktemp("hostile") / "survey")
    shutil.copy(HOSTILE / "overrides.yaml", root / "content" / "overrides.yaml")
    for key in PAPERS:
        shutil.copy(HOSTILE / "papers" / f"{key}.yaml", root / "content" / "papers" / f"{key}.yaml")
    return Built(root, *quiet_main("-C", str(root), "build"))


def entry(page: Element, key: str) -> dict[str, Element]:
    """Return a paper's heading and the blocks below it, by class."""
    heading = page.find("h2", id=key)
    parent = heading.parent
    assert parent is not None
    siblings = parent.elements()
    parts = {"title": heading}
    for element in siblings[siblings.index(heading) + 1:]:
        if element.tag == "h2":
            break
        for cls in element.classes or {element.tag}:
            parts.setdefault(cls, element)
    return parts


def cleaned(value: object, *, paragraphs: bool = False) -> str:
    return clean_text(str(value), keep_newlines=paragraphs)


def test_hostile_corpus_builds(hostile):
    assert hostile.code == 0, hostile.err
    assert "Traceback" not in hostile.err


def test_no_markup_from_content_reaches_any_page(hostile):
    assert hostile.code == 0, hostile.err
    assert site_problems(hostile.site) == []


@pytest.mark.parametrize("key", PAPERS)
def test_each_attack_shows_as_text(hostile, key):
    """The paper's title, authors, venue and abstract read on its section's page exactly as written."""
    assert hostile.code == 0, hostile.err
    fields = hostile.paper(key)
    page = hostile.page(f"sections/{fields['section']}/index.html")
    parts = entry(page, key)
    title = parts["title"]
    assert [e.tag for e in title.elements()] == ["a"], "the title made elements"
    assert title.text() == cleaned(fields["title"])
    authors = parts["paper-meta"].find("span", "paper-authors")
    assert authors.text() == ", ".join(display_name(cleaned(a)) for a in fields["authors"])
    assert all(e.tag == "a" and not e.elements() for e in authors.elements())
    if "venue" in fields:
        venue = parts["paper-meta"].find("span", "paper-venue")
        assert not venue.elements()
        assert venue.text() == cleaned(fields["venue"])
    abstract = parts["abstract"]
    paragraphs = [e for e in abstract.elements() if e.tag != "summary"]
    assert all(p.tag == "p" and not p.elements() for p in paragraphs), [p.tag for p in paragraphs]
    assert [p.text() for p in paragraphs] == cleaned(fields["abstract"], paragraphs=True).split("\n\n")
    # Nothing in the text became a link: the entry links only to the site, the paper's edit page
    # and its BibTeX download, which holds the paper's entry and nothing else.
    for block in parts.values():
        for link in block.find_all("a"):
            href = link.get("href")
            if BIBTEX_DATA.fullmatch(href):
                assert link.get("download") == f"{key}.bib"
                (saved,) = bibtexparser.parse_string(base64.b64decode(href.split(",", 1)[1], validate=True).decode("utf-8")).entries
                assert saved.key == key
                continue
            assert _scheme(href) is None or "/edit/" in href, href


@pytest.mark.parametrize("key", PAPERS)
def test_each_attack_reads_as_text_wherever_the_paper_is_named(hostile, key):
    """Table of contents, related papers, the newest additions, the tables and indexes, the map."""
    assert hostile.code == 0, hostile.err
    title = cleaned(hostile.paper(key)["title"])
    named = 0
    for page in sorted(hostile.site.rglob("*.html")):
        for link in parse(page.read_text(encoding="utf-8"))[0].find_all("a"):
            if link.get("href").endswith(f"#{key}") and "headerlink" not in link.classes:
                named += 1
                if link.find_all("title"):  # a dot of the map: its tooltip names the paper
                    assert link.find("title").text().startswith(title), page
                else:
                    assert link.text() == title, page
    assert named >= 2


@pytest.mark.parametrize("key", PAPERS)
def test_each_attack_keeps_the_table_of_all_papers(hostile, key):
    assert hostile.code == 0, hostile.err
    fields = hostile.paper(key)
    table = hostile.page("papers/index.html").find("table")
    header = [th.text() for th in table.find("thead").find_all("th")]
    rows = table.find("tbody").find_all("tr")
    assert all(len(row.elements()) == len(header) for row in rows), "a row gained or lost a column"
    (row,) = [r for r in rows if r.elements()[0].find("a").get("href").endswith(f"#{key}")]
    cells = dict(zip(header, row.elements(), strict=True))
    assert cells["Paper"].text() == cleaned(fields["title"]) and not cells["Paper"].find("a").elements()
    names = [display_name(cleaned(a)) for a in fields["authors"]]
    assert cells["Authors"].text() == ", ".join(names[:3]) + (" et al." if len(names) > 3 else "")
    assert cells["Year"].text() == str(fields["year"])


def test_search_index_shows_titles_as_text(hostile):
    assert hostile.code == 0, hostile.err
    docs = json.loads((hostile.site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    titles = {doc["location"].rsplit("#", 1)[-1]: parse(doc["title"])[0].text() for doc in docs}
    for key in PAPERS:
        assert titles[key] == cleaned(hostile.paper(key)["title"])


def test_survey_title_and_description_show_as_text(hostile):
    assert hostile.code == 0, hostile.err
    overrides = yaml.safe_load((HOSTILE / "overrides.yaml").read_text(encoding="utf-8"))
    page = hostile.page("index.html")
    article = page.find("article")
    heading = article.find("h1")
    assert heading.text() == cleaned(overrides["title"])
    siblings = article.elements()
    description = [p.text() for p in siblings[siblings.index(heading) + 1:] if p.tag == "p" and not p.classes]
    assert description[:3] == cleaned(overrides["description"], paragraphs=True).split("\n\n")


@pytest.mark.parametrize("position", [0, 1, 2])
def test_section_titles_and_descriptions_show_as_text(hostile, position):
    """In the heading, the page's <title>, the navigation and the home page's table."""
    assert hostile.code == 0, hostile.err
    overrides = yaml.safe_load((HOSTILE / "overrides.yaml").read_text(encoding="utf-8"))
    section = overrides["sections"][position]
    title = cleaned(section["title"])
    page = hostile.page(f"sections/{section['id']}/index.html")
    article = page.find("article")
    heading = article.find("h1")
    assert heading.text() == title
    siblings = article.elements()
    assert siblings[siblings.index(heading) + 1].text() == cleaned(section["description"])
    (head,) = page.find_all("title")
    assert not head.elements(), "markup in <title>"
    assert head.text() == f"{title} - Fixture survey"
    links = [a for a in page.find_all("a") if a.get("href") in ("./", f"../{section['id']}/")]
    assert links and all(a.text() == title for a in links), [a.text() for a in links]
    home = hostile.page("index.html").find("table")
    (cell,) = [a for a in home.find_all("a") if a.get("href") == f"sections/{section['id']}/"]
    assert cell.text() == title


def test_bibtex_of_the_hostile_corpus_parses(hostile):
    assert hostile.code == 0, hostile.err
    for name in ("bibliography.bib", "bibliography-full.bib"):
        text = (hostile.root / "docs" / name).read_text(encoding="utf-8")
        library = bibtexparser.parse_string(text)
        assert not library.failed_blocks, [b.error for b in library.failed_blocks]
        keys = [e.key for e in library.entries]
        assert len(keys) == len(set(keys)) == len(PAPERS) + 12
        assert not re.search(r"\\(input|include|write18|immediate)\b", text)
    bib = bibtexparser.parse_string(bibtex_downloads(hostile.root / "docs")["bibtexbreak2024"])
    (single,) = bib.entries
    assert single.key == "bibtexbreak2024" and not bib.failed_blocks


def test_hostile_refused_corpus_files_are_the_only_failures(survey, capsys):
    """All refused files at once: every one named, nothing else wrong, no site written."""
    for key in REFUSED:
        shutil.copy(HOSTILE / "refused" / f"{key}.yaml", survey / "content" / "papers")
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1, err
    named = {line.split(":")[0] for line in err.splitlines() if line.startswith("content/")}
    assert named == {f"content/papers/{key}.yaml" for key in REFUSED}
    assert not (survey / "site").exists()


@pytest.mark.parametrize("key", REFUSED)
def test_each_refused_attack_names_its_file(survey, capsys, key):
    source = HOSTILE / "refused" / f"{key}.yaml"
    expected = source.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    shutil.copy(source, survey / "content" / "papers")
    started = time.monotonic()
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    assert f"content/papers/{key}.yaml{expected}" in err, err
    assert "Traceback" not in err and "internal error" not in err
    assert time.monotonic() - started < 10


# ---------------------------------------------------------------------------------------------
# Paths: nothing names a place outside content/ or the output folders.


def add(survey: Path, key: str, text: str | bytes) -> Path:
    path = survey / "content" / "papers" / f"{key}.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def set_overrides(survey: Path, old: str, new: str) -> None:
    path = survey / "content" / "overrides.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("section_id", ["../escape", "../../etc/passwd", "/tmp/evil", "a/b", "..", "C:\\evil", "évil"])
def test_a_section_id_that_names_a_path_is_refused(survey, capsys, section_id):
    set_overrides(survey, "  - id: benchmarks", f"  - id: {json.dumps(section_id)}")
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1
    assert "content/overrides.yaml:12: field 'id': expected a section id of lowercase letters, digits and hyphens" in err
    assert not (survey / "site").exists() and not (survey / "docs").exists()


def test_a_linked_paper_file_is_refused(survey, capsys, tmp_path):
    outside = tmp_path / "secret.yaml"
    outside.write_text("title: A secret outside the survey\n", encoding="utf-8")
    (survey / "content" / "papers" / "linked2024secret.yaml").symlink_to(outside)
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1
    assert "content/papers/linked2024secret.yaml:1: is a symbolic link" in err
    assert "A secret" not in err


def test_a_linked_overrides_file_is_refused(survey, capsys, tmp_path):
    outside = tmp_path / "passwd"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    overrides = survey / "content" / "overrides.yaml"
    overrides.unlink()
    overrides.symlink_to(outside)
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    assert "content/overrides.yaml:1: is a symbolic link" in err
    assert "root:x" not in err


def test_a_linked_published_keys_file_is_refused(survey, capsys, tmp_path):
    outside = tmp_path / "passwd"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (survey / "content" / "published-keys.txt").symlink_to(outside)
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    assert "content/published-keys.txt:1: is a symbolic link" in err
    assert "root:x" not in err


@pytest.mark.parametrize("linked", ["content", "content/papers"])
def test_a_linked_content_folder_is_refused(survey, capsys, tmp_path, linked):
    elsewhere = tmp_path / "elsewhere"
    shutil.move(survey / linked, elsewhere)
    (survey / linked).symlink_to(elsewhere)
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1
    assert f"{linked}:" in err and "symbolic link" in err
    assert not (survey / "site").exists()


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("docs_dir", "../outside"),
        ("docs_dir", "/tmp"),
        ("site_dir", "../outside"),
        ("site_dir", "/tmp/survey-site"),
        ("site_dir", "."),
        ("site_dir", "content"),
        ("site_dir", "content/site"),
        ("docs_dir", "content"),
        ("site_dir", "docs"),
        ("docs_dir", "site_templates"),
        ("site_dir", ".git"),
    ],
)
def test_output_folders_outside_the_survey_or_over_its_sources_are_refused(survey, capsys, setting, value):
    config = survey / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(rf"^{setting}: .*$", f"{setting}: {value}", text, flags=re.M), encoding="utf-8")
    before = sorted(p.relative_to(survey) for p in survey.rglob("*"))
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1, err
    named = "site_dir" if value == "docs" else setting
    line = next(number for number, row in enumerate(config.read_text(encoding="utf-8").splitlines(), start=1) if row.startswith(f"{named}:"))
    assert f"mkdocs.yml:{line}: field '{named}':" in err
    assert sorted(p.relative_to(survey) for p in survey.rglob("*")) == before
    assert not (survey.parent / "outside").exists()


@pytest.mark.parametrize("command", ["build", "check"])
def test_a_site_folder_that_holds_other_files_is_refused_not_replaced(survey, capsys, command):
    """A build swaps a whole new site in for site_dir: a folder of notes named there would be lost."""
    notes = survey / "notes"
    notes.mkdir()
    (notes / "plan.md").write_text("The curator's own notes.\n", encoding="utf-8")
    config = survey / "mkdocs.yml"
    config.write_text(re.sub(r"^site_dir: .*$", "site_dir: notes", config.read_text(encoding="utf-8"), flags=re.M), encoding="utf-8")
    line = next(number for number, row in enumerate(config.read_text(encoding="utf-8").splitlines(), start=1) if row.startswith("site_dir:"))
    code, _, err = run(capsys, "-C", str(survey), command)
    assert code == 1, err
    assert f"mkdocs.yml:{line}: field 'site_dir': 'notes' holds files but no built site (no index.html), and a build replaces the whole folder" in err
    assert [p.name for p in notes.iterdir()] == ["plan.md"]
    (notes / "plan.md").unlink()  # an empty folder, or one holding a site built before, is the build's
    assert run(capsys, "-C", str(survey), "build")[0] == 0 and (notes / "index.html").is_file()
    assert run(capsys, "-C", str(survey), "build")[0] == 0


def test_an_output_folder_linked_outside_is_refused(survey, capsys, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (survey / "site").symlink_to(tmp_path / "elsewhere")
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1
    assert "mkdocs.yml:5: field 'site_dir': 'site' must be a folder inside the survey folder" in err  # the line that names it
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_a_link_inside_the_docs_folder_that_points_outside_is_refused(survey, capsys, tmp_path):
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    (tmp_path / "elsewhere").mkdir()
    shutil.rmtree(survey / "docs" / "bib")
    (survey / "docs" / "bib").symlink_to(tmp_path / "elsewhere")
    code, _, err = run(capsys, "-C", str(survey), "generate")
    assert code == 1
    assert "docs/bib/" in err and "refusing to write outside docs/" in err
    assert list((tmp_path / "elsewhere").iterdir()) == []


# ---------------------------------------------------------------------------------------------
# YAML: errors with line and column, bombs and oversized files refused quickly, encodings.


def timed_check(capsys: pytest.CaptureFixture[str], survey: Path) -> tuple[int, str, float]:
    started = time.monotonic()
    code, _, err = run(capsys, "-C", str(survey), "check")
    return code, err, time.monotonic() - started


YAML_CASES = {
    "syntax error": ("title: A paper\nauthors: [A B\nyear: 2024\n", ":3: YAML syntax error at column 5: expected ',' or ']', but got ':' (while parsing a flow sequence on line 2)"),
    "unclosed quote": ("title: A paper\nvenue: 'ICML\nyear: 2024\n", ":2: YAML syntax error at column 8: found unexpected end of stream (while scanning a quoted scalar; it is never closed)"),
    "bad indentation": ("title: A paper\n  year: 2024\n", ":2: YAML syntax error at column 7: mapping values are not allowed here"),
    "tab indentation": ("title: A\nauthors:\n\t- A B\n", ":3: YAML syntax error at column 1"),
    "two documents": ("title: A\n---\ntitle: B\n", ":2: YAML syntax error at column 1"),
    "nul byte": (b"title: A\x00B\n", ":1: character U+0000 is not allowed in YAML; remove it"),
    "latin-1": (b"title: A caf\xe9 paper\n", ":1: file is not UTF-8 (byte 0xe9 at offset 12); save it as UTF-8"),
    "utf-16": ("title: A paper\n".encode("utf-16"), ":1: file is not UTF-8 (byte 0xff at offset 0)"),
    "impossible date": ("title: A\nadded: 2024-02-30\n", ":2: field 'added': cannot read value: day is out of range for month"),
    "huge number": ("title: A\nyear: " + "9" * 5000 + "\n", ":2: field 'year': expected a whole number, got '9999"),
    "superscript year": ("title: A\nyear: '²⁰²⁴'\n", ":2: field 'year': expected a whole number, got '²⁰²⁴'"),
    "not a mapping": ("just a sentence\n", ":1: expected a paper (lines of 'field: value'), got a scalar"),
    "null title": ("title:\nyear: 2024\n", ":1: field 'title': required field 'title' is missing"),
    "binary title": ("title: !!binary aGVsbG8=\n", ":1: field 'title': expected text, got bytes"),
    "python tag": ("title: !!python/name:os.system\n", ":1: field 'title': cannot read value: could not determine a constructor"),
    "merge key": ("<<: {title: Merged}\n", ":1: field '<<': unknown field '<<'"),
}


@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_broken_yaml_gets_a_message_with_its_line(survey, capsys, case):
    text, expected = YAML_CASES[case]
    add(survey, "broken2024yaml", text)
    code, err, _ = timed_check(capsys, survey)
    assert code == 1
    assert f"content/papers/broken2024yaml.yaml{expected}" in err, err
    assert "Traceback" not in err and "internal error" not in err


TEMPLATE_CASES = {
    "syntax error": ("# Authors\n{% for group in %}\n", "site_templates/authors.md.j2:2: template syntax error: Expected an expression"),
    "a field no page has": ("# Authors\n\n{{ site.doi }}\n", "site_templates/authors.md.j2:3: the template could not be rendered: no field 'doi' here"),
    "a missing template": ('# Authors\n\n{% include "nothere.j2" %}\n', "site_templates/authors.md.j2:3: the template could not be rendered: no template named 'nothere.j2'"),
    "not UTF-8": (b"# Authors\n\n{{ site.title }} caf\xe9\n", "site_templates/authors.md.j2:3: file is not UTF-8 (byte 0xe9 at offset 31); save it as UTF-8"),
}


@pytest.mark.parametrize("forked", [False, True])
@pytest.mark.parametrize("case", sorted(TEMPLATE_CASES))
def test_a_broken_template_of_the_survey_s_own_is_named_with_its_line(survey, capsys, monkeypatch, case, forked):
    """Whether the page is rendered here or by a forked copy; the docs and the site stay as they were."""
    from generator import build

    text, expected = TEMPLATE_CASES[case]
    if forked:
        monkeypatch.setattr(build, "PARALLEL_FROM", 1)
        monkeypatch.setenv("SURVEY_PROCESSES", "2")
    assert run(capsys, "-C", str(survey), "build")[0] == 0
    before = {p: p.read_bytes() for folder in ("docs", "site") for p in (survey / folder).rglob("*") if p.is_file()}
    (survey / "site_templates").mkdir()
    (survey / "site_templates" / "authors.md.j2").write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1 and expected in err, err
    assert "Traceback" not in err and "internal error" not in err
    assert {p: p.read_bytes() for folder in ("docs", "site") for p in (survey / folder).rglob("*") if p.is_file()} == before


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\ntitle: *a{levels - 1}\n"


BOMBS = {
    "billion laughs": (billion_laughs(), ":2: YAML aliases (*name) are not allowed in content files"),
    "deep flow nesting": ("title: " + "[" * 100_000 + "\n", f":1: YAML nested more than {MAX_DEPTH} levels deep"),
    "deep block nesting": ("title:\n" + "".join(" " * i + "- \n" for i in range(200)), f":{MAX_DEPTH + 1}: YAML nested more than {MAX_DEPTH} levels deep"),
    "oversized": ("title: Big\nabstract: " + "x" * MAX_FILE_BYTES + "\n", f":1: file is larger than the limit of 256 KiB ({MAX_FILE_BYTES} bytes)"),
}


@pytest.mark.parametrize("case", sorted(BOMBS))
def test_yaml_bombs_and_oversized_files_are_refused_quickly(survey, capsys, case):
    text, expected = BOMBS[case]
    add(survey, "bomb2024yaml", text)
    code, err, seconds = timed_check(capsys, survey)
    assert code == 1
    assert f"content/papers/bomb2024yaml.yaml{expected}" in err, err
    assert seconds < 5, f"took {seconds:.1f}s"


def test_a_paper_file_of_exactly_the_limit_is_read(survey, capsys):
    head = "title: Big\nauthors: [Size Limit]\nabstract: Merging task vectors.\n# "
    add(survey, "limit2024paper", head + "x" * (MAX_FILE_BYTES - len(head) - 1) + "\n")
    assert (survey / "content" / "papers" / "limit2024paper.yaml").stat().st_size == MAX_FILE_BYTES
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 0, err


@pytest.mark.parametrize("name", ["overrides.yaml", "published-keys.txt"])
def test_a_named_pipe_in_place_of_a_content_file_is_refused_without_waiting(survey, capsys, name):
    path = survey / "content" / name
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    code, err, seconds = timed_check(capsys, survey)
    assert code == 1
    assert f"content/{name}:1: is not a regular file" in err, err
    assert seconds < 5


def test_a_bomb_in_the_overrides_is_refused_quickly(survey, capsys):
    (survey / "content" / "overrides.yaml").write_text(billion_laughs(), encoding="utf-8")
    code, err, seconds = timed_check(capsys, survey)
    assert code == 1
    assert "content/overrides.yaml:2: YAML aliases (*name) are not allowed" in err
    assert seconds < 5


def test_a_byte_order_mark_is_accepted(survey, capsys):
    add(survey, "bom2024paper", "\ufefftitle: A paper saved with a byte order mark\nauthors: [Byte Order]\nabstract: Merging task vectors.\n")
    (survey / "content" / "overrides.yaml").write_bytes(b"\xef\xbb\xbf" + (survey / "content" / "overrides.yaml").read_bytes())
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 0, err
    assert "A paper saved with a byte order mark" in (survey / "docs" / "papers.md").read_text(encoding="utf-8")


def test_a_file_that_is_not_a_file_is_refused(survey, capsys):
    os.mkfifo(survey / "content" / "papers" / "fifo2024paper.yaml")
    (survey / "content" / "overrides.yaml").unlink()
    (survey / "content" / "overrides.yaml").mkdir()
    code, err, seconds = timed_check(capsys, survey)
    assert code == 1
    assert "content/papers/fifo2024paper.yaml:1: only '<key>.yaml' paper files belong in this folder" in err
    assert "content/overrides.yaml:1: is not a regular file" in err
    assert seconds < 5


def test_broken_mkdocs_yml_gets_a_message(survey, capsys):
    (survey / "mkdocs.yml").write_bytes(b"site_name: caf\xe9\n")
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1 and "mkdocs.yml:1: file is not UTF-8" in err
    (survey / "mkdocs.yml").write_text("site_name: [unclosed\n", encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1 and "mkdocs.yml:2: YAML syntax error" in err


# ---------------------------------------------------------------------------------------------
# Odd surveys: each builds a working site or stops with a clear message.


def odd_survey(survey: Path, papers: dict[str, str], overrides: str | None = None) -> Path:
    for path in (survey / "content" / "papers").iterdir():
        path.unlink()
    for key, text in papers.items():
        add(survey, key, text)
    if overrides is None:
        (survey / "content" / "overrides.yaml").unlink()
    else:
        (survey / "content" / "overrides.yaml").write_text(overrides, encoding="utf-8")
    return survey


STOP = "the and of a an to in is it this that with for on as by was were be been"
ODD_SURVEYS: dict[str, tuple[dict[str, str], str | None]] = {
    "one paper without an abstract": ({"alone2024paper": "title: A lonely paper\n"}, None),
    "one paper in a curated section": ({"alone2024paper": "title: A lonely paper\nsection: only\n"}, "sections:\n  - id: only\n    title: Only\n  - id: empty\n    title: Empty\n"),
    "two papers": ({"first2024paper": "title: First paper\nabstract: alpha beta\n", "second2024paper": "title: Second paper\nabstract: gamma delta\n"}, None),
    "very long abstracts": ({f"long2024paper{c}": f"title: Long paper {c}\nabstract: " + ("lorem ipsum dolor " * 2000)[: MAX_TEXT - 10] + "\n" for c in "abcde"}, None),
    "stop-word abstracts": ({f"stop2024paper{c}": f"title: The {c} of it\nabstract: {STOP}\n" for c in "abcdefghijkl"}, None),
    "only numbers and symbols": ({f"num2024paper{c}": f"title: '{n} + {n}'\nabstract: '1 2 3 % $ #'\n" for n, c in enumerate("abcdefghijkl")}, None),
    "no Latin letters": ({f"cjk2024paper{c}": f"title: 日本語の論文 {c}\nabstract: 中文摘要，没有英文。\n" for c in "abcdefghijkl"}, None),
    "every paper excluded": ({"alone2024paper": "title: A lonely paper\n"}, "exclude: [alone2024paper]\n"),
}


@pytest.mark.parametrize("case", sorted(ODD_SURVEYS))
def test_odd_surveys_build_a_working_site(survey, capsys, case):
    papers, overrides = ODD_SURVEYS[case]
    odd_survey(survey, papers, overrides)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 0, err
    assert [str(w.message) for w in caught] == []  # a library's warning would reach the curator's terminal
    assert (survey / "site" / "index.html").is_file()
    assert site_problems(survey / "site") == []
    library = bibtexparser.parse_string((survey / "docs" / "bibliography.bib").read_text(encoding="utf-8"))
    excluded = "exclude" in (overrides or "")
    assert len(library.entries) == (0 if excluded else len(papers)) and not library.failed_blocks


ODD_REFUSALS: dict[str, tuple[dict[str, str], str]] = {
    "no papers": ({}, "content/papers: the survey has no papers yet"),
    "identical papers": ({f"same2024paper{c}": "title: The same paper\nabstract: The same words.\n" for c in "abc"}, "content/papers/same2024paperb.yaml:1: field 'title': duplicate of content/papers/same2024papera.yaml"),
    "abstract over the limit": ({"long2024paper": "title: Long\nabstract: " + "word " * (MAX_TEXT // 5 + 1) + "\n"}, f"content/papers/long2024paper.yaml:2: field 'abstract': expected at most {MAX_TEXT} characters"),
    "title of only control characters": ({"ctrl2024paper": 'title: "\\x01\\x02\\u200b"\n'}, "content/papers/ctrl2024paper.yaml:1: field 'title': must not be empty"),
}


@pytest.mark.parametrize("case", sorted(ODD_REFUSALS))
def test_odd_surveys_that_cannot_build_say_why(survey, capsys, case):
    papers, expected = ODD_REFUSALS[case]
    odd_survey(survey, papers, None)
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1, err
    assert expected in err
    assert "Traceback" not in err and "internal error" not in err


def test_the_no_papers_message_names_a_command_that_exists(survey, capsys):
    odd_survey(survey, {}, None)
    _, _, err = run(capsys, "-C", str(survey), "build")
    subcommands = next(a for a in parser()._actions if a.dest == "command").choices
    named = re.findall(r"`survey (\w+)", err)
    assert all(command in subcommands for command in named), (named, sorted(subcommands))


# ---------------------------------------------------------------------------------------------
# Atomic output: a failed build leaves the last good site; generate deletes only its own files.


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def built(survey: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, dict[str, bytes]]:
    assert run(capsys, "-C", str(survey), "build")[0] == 0
    return survey, snapshot(survey / "site")


def leftovers(survey: Path) -> list[str]:
    return sorted(p.name for p in survey.iterdir() if p.name.startswith(".site"))


def test_a_yaml_error_leaves_the_last_good_site_byte_for_byte(built, capsys):
    survey, before = built
    add(survey, "broken2024paper", "title: 'unclosed\n")
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1 and "broken2024paper.yaml:1: YAML syntax error" in err
    assert snapshot(survey / "site") == before
    assert leftovers(survey) == []


def test_an_mkdocs_error_leaves_the_last_good_site(built, capsys):
    survey, before = built
    config = survey / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("  - survey\n", "  - survey\n  - no-such-plugin\n"), encoding="utf-8")
    add(survey, "new2024paper", "title: A new paper about merging\n")
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1
    assert "the site was not built, the previous site/ is unchanged" in err
    assert snapshot(survey / "site") == before
    assert leftovers(survey) == []


def test_ctrl_c_during_mkdocs_leaves_the_last_good_site(built, capsys, monkeypatch):
    import mkdocs.commands.build

    survey, before = built

    def interrupted(config, **_):
        Path(config.site_dir, "index.html").write_text("half a site", encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(mkdocs.commands.build, "build", interrupted)
    add(survey, "new2024paper", "title: A new paper about merging\n")
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 130
    assert "interrupted" in err and "Traceback" not in err
    assert snapshot(survey / "site") == before
    assert leftovers(survey) == []


def test_ctrl_c_while_swapping_folders_keeps_the_last_good_site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("old", encoding="utf-8")
    real_replace = os.replace

    def replace(source, target):
        if Path(target) == site and ".new-" in Path(source).name:
            raise KeyboardInterrupt
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        replace_folder(site, lambda folder: (folder / "index.html").write_text("new", encoding="utf-8"))
    assert (site / "index.html").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_site_lost_mid_swap_by_a_killed_build_comes_back(tmp_path):
    (tmp_path / ".site.old").mkdir()
    (tmp_path / ".site.old" / "index.html").write_text("old", encoding="utf-8")

    def fail(folder: Path) -> None:
        raise RuntimeError("mkdocs failed")

    with pytest.raises(RuntimeError):
        replace_folder(tmp_path / "site", fail)
    assert (tmp_path / "site" / "index.html").read_text(encoding="utf-8") == "old"


def test_a_file_or_link_where_the_site_folder_goes_is_kept_and_named(survey, capsys, tmp_path):
    site = survey / "site"
    site.write_text("the curator's notes", encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1
    assert "site: is a file where survey puts its built site folder: move it away" in err
    assert site.read_text(encoding="utf-8") == "the curator's notes"
    site.unlink()
    (tmp_path / "elsewhere").mkdir()
    site.symlink_to(tmp_path / "elsewhere")
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1 and "field 'site_dir': 'site' must be a folder inside the survey folder" in err  # mkdocs.yml's check
    assert site.is_symlink()


def test_a_file_an_older_swap_retired_does_not_block_the_next(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / ".site.old").write_text("left by an interrupted build", encoding="utf-8")

    def fill(folder: Path) -> None:
        (folder / "index.html").write_text("new", encoding="utf-8")

    for _ in range(2):
        replace_folder(tmp_path / "site", fill)
        assert (tmp_path / "site" / "index.html").read_text(encoding="utf-8") == "new"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_folders_a_killed_build_left_are_cleared_and_a_running_build_s_are_not(survey, capsys):
    # A build killed mid-way never ran its clean-up: its staging folders stay beside docs/ and site/.
    dead = 4_194_305  # above Linux's largest process id
    left = [f".site.new-{dead}-x1", ".site.new-k2j3", f".docs.staging-{dead}-y2"]
    running = [f".site.new-{os.getpid()}-z3", f".docs.staging-{os.getpid()}-z4"]
    for name in left + running:
        (survey / name / "assets").mkdir(parents=True)
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 0, err
    hidden = sorted(p.name for p in survey.iterdir() if p.name.startswith("."))
    assert hidden == sorted(running)
    assert (survey / "site" / "index.html").is_file()


def test_generate_never_deletes_or_overwrites_a_file_it_did_not_write(survey, capsys):
    docs = survey / "docs"
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    mine = {"notes.md": b"my notes", "sections/extra.md": b"# Mine", "bib/papers/mine.bib": b"@misc{mine}"}
    for relative, data in mine.items():
        (docs / relative).parent.mkdir(parents=True, exist_ok=True)
        (docs / relative).write_bytes(data)
    # A section leaves the survey with its papers, so its generated BibTeX goes; the curator's files stay.
    section = yaml.safe_load((survey / "content" / "papers" / "hu2021lora.yaml").read_text(encoding="utf-8"))["section"]
    generated = f"bib/{section}.bib"
    assert (docs / generated).is_file()
    members = [p for p in (survey / "content" / "papers").glob("*.yaml") if yaml.safe_load(p.read_text(encoding="utf-8")).get("section") == section]
    overrides_file = survey / "content" / "overrides.yaml"
    kept = {path: path.read_bytes() for path in [*members, overrides_file]}
    overrides = yaml.safe_load(kept[overrides_file])
    overrides["sections"] = [s for s in overrides["sections"] if s["id"] != section]
    overrides_file.write_text(yaml.safe_dump(overrides), encoding="utf-8")
    for path in members:
        path.unlink()
    code, _, err = run(capsys, "-C", str(survey), "generate")
    assert code == 0, err
    assert not (docs / generated).exists()
    assert {relative: (docs / relative).read_bytes() for relative in mine} == mine
    # The section comes back, but a file of the curator's now stands where its BibTeX goes.
    (docs / generated).write_bytes(b"% hand-written")
    run(capsys, "-C", str(survey), "generate")  # a failed run must not change the manifest either
    for path, data in kept.items():
        path.write_bytes(data)
    code, _, err = run(capsys, "-C", str(survey), "generate")
    assert code == 1
    assert f"docs/{generated}: exists but was not written by survey" in err
    assert (docs / generated).read_bytes() == b"% hand-written"
    assert {relative: (docs / relative).read_bytes() for relative in mine} == mine


def test_a_tampered_manifest_cannot_delete_files_outside_the_docs_folder(survey, capsys):
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    docs = survey / "docs"
    manifest = json.loads((docs / MANIFEST).read_text(encoding="utf-8"))
    targets = ["../content/papers/hu2021lora.yaml", "/etc/hostname", str(survey / "mkdocs.yml"), "sections/../../mkdocs.yml"]
    (docs / MANIFEST).write_text(json.dumps(manifest + targets), encoding="utf-8")
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    assert (survey / "content" / "papers" / "hu2021lora.yaml").is_file()
    assert (survey / "mkdocs.yml").is_file()


def test_a_file_that_grows_while_it_is_read_is_read_to_the_limit(tmp_path):
    # `_read_at_most` is told the size the file had when it was opened; one that grew since is still read whole, up to the limit.
    path = tmp_path / "growing.yaml"
    path.write_bytes(b"x" * 100_000)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert _read_at_most(fd, 300_000, 10) == b"x" * 100_000
    finally:
        os.close(fd)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert _read_at_most(fd, 50_001, 10) == b"x" * 50_001
    finally:
        os.close(fd)
