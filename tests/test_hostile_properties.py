"""Property tests: arbitrary paper records (any Unicode) build a safe site or fail cleanly.

Every example is a small survey of generated papers. The build either succeeds — then the BibTeX
parses into one entry per paper and no input reaches a page as markup — or stops with messages
that name the files (exit 1); it never crashes (exit 2) or prints a traceback.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import bibtexparser
import markdown
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mkdocs.utils.meta import get_data
from test_hostile import entry, markup_problems, parse, quiet_main, site_problems

from conftest import FIXTURE, bibtex_downloads
from generator.mkdocs_plugin import put_back, set_aside
from generator.schema import clean_text

# Fragments that mean something to HTML, Markdown, Jinja2, YAML, BibTeX or TeX, mixed into
# arbitrary Unicode so that examples hit the interesting cases often.
NASTY = [
    "<script>alert('xss')</script>", "<img src=x onerror=alert('xss')>", "</title>", "<!--", "-->",
    "{{ 7*7 }}", "{% raw %}", "{#", "[x](javascript:alert('xss'))", "![i](data:x)", "<https://x.org>",
    "```", "~~~", "`", "|", "#", "##", "---", "===", "***", "!!! danger", "??? note", "{: .x }",
    "{#id}", "&lt;", "&amp;", "&#60;", "\\", "%", "$", "^", "_", "~", "{", "}", "}}", "@misc{",
    "\\input{x}", "\n", "\n\n", "\t", "    ", "\u202e", "\u200b", "\u2028", "\x00", "\x85", "\ufeff",
    "é", "ß", "日本", "🙂", "ﷺ", "\u0301",
]
TEXT = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(NASTY)), min_size=1, max_size=8).map("".join)
NAME = st.lists(st.one_of(st.text(max_size=8), st.sampled_from(NASTY)), min_size=1, max_size=4).map("".join)


def readable(strategy: st.SearchStrategy[str], word: str) -> st.SearchStrategy[str]:
    """Mostly a word first, so that most examples are valid and build; else raw or markup first."""
    worded = strategy.map(lambda text: f"{word} {text}")
    leading = st.tuples(st.sampled_from(NASTY), strategy).map(lambda pair: f"{pair[0]} {word} {pair[1]}")
    return st.one_of(worded, worded, strategy, leading)


@st.composite
def records(draw: st.DrawFn, number: int) -> dict:
    record: dict = {"title": draw(readable(TEXT, f"Paper {number}"))}
    if draw(st.booleans()):
        record["authors"] = draw(st.lists(readable(NAME, "Ann"), max_size=4))
    if draw(st.booleans()):
        record["venue"] = draw(readable(TEXT, "Venue"))
    if draw(st.booleans()):
        record["abstract"] = draw(st.lists(readable(TEXT, "Words"), min_size=1, max_size=4).map("\n\n".join))
    if draw(st.booleans()):
        record["year"] = draw(st.integers(1990, 2025))
    return record


@st.composite
def surveys(draw: st.DrawFn) -> tuple[list[dict], dict | None]:
    papers = [draw(records(number)) for number in range(draw(st.integers(1, 4)))]
    overrides = None
    if draw(st.booleans()):
        overrides = {
            "title": draw(readable(TEXT, "Survey")),
            "description": draw(readable(TEXT, "About")),
            "sections": [{"id": "only", "title": draw(readable(TEXT, "Only")), "description": draw(readable(TEXT, "About"))}],
        }
    return papers, overrides


def write_survey(root: Path, papers: list[dict], overrides: dict | None) -> list[str]:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE / "mkdocs.yml", root / "mkdocs.yml")
    folder = root / "content" / "papers"
    folder.mkdir(parents=True)
    keys = []
    for number, paper in enumerate(papers):
        key = f"fuzz2024paper{chr(ord('a') + number)}"
        (folder / f"{key}.yaml").write_text(yaml.safe_dump(paper, allow_unicode=True), encoding="utf-8")
        keys.append(key)
    if overrides is not None:
        (root / "content" / "overrides.yaml").write_text(yaml.safe_dump(overrides, allow_unicode=True), encoding="utf-8")
    return keys


def assert_clean_failure(code: int, err: str) -> None:
    assert code == 1, f"exit {code}: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    assert "content/" in err, err


def assert_bibtex(docs: Path, keys: list[str]) -> None:
    for name in ("bibliography.bib", "bibliography-full.bib"):
        library = bibtexparser.parse_string((docs / name).read_text(encoding="utf-8"))
        assert not library.failed_blocks, [b.error for b in library.failed_blocks]
        assert sorted(e.key for e in library.entries) == sorted(keys)
    downloads = bibtex_downloads(docs / "sections")
    assert sorted(downloads) == sorted(keys)
    for key in keys:
        single = bibtexparser.parse_string(downloads[key])
        assert [e.key for e in single.entries] == [key] and not single.failed_blocks


def property_settings(examples: int, phases: tuple[Phase, ...] = tuple(Phase)) -> settings:
    """Few examples, no deadline, the same examples on every run (no example database)."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        # Shrinking a failure costs a build per step; the failing example is reported as found.
        phases=phases,
    )


_MARKDOWN: list[tuple[list, dict]] = []


def _markdown_config(config_file: Path) -> tuple[list, dict]:
    """Return the site's Markdown extensions and their settings, as MkDocs reads them (once)."""
    from mkdocs.config import load_config

    if not _MARKDOWN:
        config = load_config(config_file=str(config_file))
        _MARKDOWN.append((list(config.markdown_extensions), dict(config.mdx_configs)))
    return _MARKDOWN[0]


def render_docs(docs: Path) -> dict[str, str]:
    """Convert every generated page with the site's Markdown extensions and the `survey` plugin's unwrapping, as MkDocs would."""
    extensions, configs = _markdown_config(docs.parent / "mkdocs.yml")
    pages = {}
    for page in sorted(docs.rglob("*.md")):
        source, _ = get_data(page.read_text(encoding="utf-8"))
        body = markdown.Markdown(extensions=extensions, extension_configs=configs).convert(source)
        body = put_back(*set_aside(body))
        pages[page.relative_to(docs).as_posix()] = f'<article class="md-content__inner md-typeset">{body}</article>'
    return pages


@property_settings(60)
@given(surveys())
def test_generated_pages_never_carry_markup_and_bibtex_parses(survey):
    """Fast: `survey generate`, then the pages through Python-Markdown with the site's extensions."""
    papers, overrides = survey
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "survey"
        keys = write_survey(root, papers, overrides)
        code, _, err = quiet_main("-C", str(root), "generate")
        if code != 0:
            assert_clean_failure(code, err)
            return
        assert_bibtex(root / "docs", keys)
        for name, html in render_docs(root / "docs").items():
            assert markup_problems(html) == [], name


@property_settings(12, phases=(Phase.explicit, Phase.generate))
@given(surveys())
def test_arbitrary_papers_build_a_safe_site_or_fail_cleanly(survey):
    """Slow: the whole `survey build`, checked on the HTML MkDocs and Material wrote."""
    papers, overrides = survey
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "survey"
        keys = write_survey(root, papers, overrides)
        code, _, err = quiet_main("-C", str(root), "build")
        if code != 0:
            assert_clean_failure(code, err)
            assert not (root / "site").exists()
            return
        assert_bibtex(root / "docs", keys)
        assert site_problems(root / "site") == []
        sections = [p for p in (root / "site" / "sections").glob("*/index.html")]
        pages = [parse(p.read_text(encoding="utf-8"))[0] for p in sections]
        for key, paper in zip(keys, papers, strict=True):
            (page,) = [p for p in pages if p.find_all("h2", id=key)]
            parts = entry(page, key)
            assert parts["title"].text() == clean_text(paper["title"])
            if clean_text(paper.get("abstract") or "", keep_newlines=True):
                paragraphs = [e.text() for e in parts["abstract"].elements() if e.tag == "p"]
                assert paragraphs == clean_text(paper["abstract"], keep_newlines=True).split("\n\n")
