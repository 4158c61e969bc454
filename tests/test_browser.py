"""What a reader does on the built site, in Debian's chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.resources
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import feedparser
import pytest
from playwright.sync_api import Browser, Download, Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from test_pagination import build as build_paged

from conftest import FIXTURE, copy_survey
from generator.cli import main
from generator.indexes import family_first
from generator.keys import split_name
from generator.load import load_papers

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"
# The README's picture; rewritten only when SURVEY_REFRESH_SCREENSHOT=1, so a test run leaves git clean.
README_SHOT = Path(__file__).parent.parent / ".github" / "screenshot.png"
SECTION = "sections/modular-adapters/"  # LoRI's section
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LORI = "LoRI: Reducing Cross-Task Interference in Multi-Task Low-Rank Adaptation"

pytestmark = pytest.mark.browser


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serve files without logging every request."""

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(folder: Path) -> Iterator[str]:
    """Serve a built site on a free localhost port; yield its root URL until the fixture ends."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="session")
def base(shipped_site: Path) -> Iterator[str]:
    """Serve the shipped site on a free localhost port; yield its root URL."""
    yield from serve(shipped_site / "site")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium; a missing browser is a failure, not a skip."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, base: str) -> Iterator[Page]:
    """A fresh desktop-sized page whose clipboard the site may read and write."""
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base.rstrip("/"))
    page = context.new_page()
    yield page
    context.close()


def search(page: Page, base: str, query: str, title: str) -> None:
    """Type a query into Material's search box on the home page and open the result titled so."""
    page.goto(base)
    page.locator("input.md-search__input").click()
    page.keyboard.type(query, delay=20)
    item = page.locator("li.md-search-result__item").filter(has_text=title).first
    item.wait_for()
    more = item.locator("details.md-search-result__more > summary")
    link = item.locator("a.md-search-result__link").filter(has_text=title).first
    if not link.is_visible() and more.count():
        more.click()  # Material folds a page's further matches into a <details>
    link.click()
    page.wait_for_load_state()


@pytest.mark.parametrize(
    ("query", "title", "key"),
    [
        ("Goldstein", LORI, "zhang2025lori"),
        ("hypercomplex", "Compacter: Efficient Low-Rank Hypercomplex Adapter Layers",
         "karimimahabadi2021compacter"),
        ("olfactory", "FlyLoRA", "zou2025flylora"),
        # A pasted title: lunr read "MEGA-Bench:" as a field name, and quotes made stop words required; both found nothing.
        ("MEGA-Bench: Scaling Multimodal Evaluation to over 500 Real-World Tasks", "MEGA-Bench", "chen2024megabench"),
        ('"Which LLM should I use?": Evaluating LLMs for tasks', "Which LLM should I use?", "llm2024"),
        # An arXiv id (also as written in a citation), a citation key, and a name typed without its accent.
        ("1502.05698", "Towards AI-Complete Question Answering", "weston2015aicomplete"),
        ("arXiv:1502.05698", "Towards AI-Complete Question Answering", "weston2015aicomplete"),
        ("kurtic2023ziplm", "ZipLM", "kurtic2023ziplm"),
        ("Kurtic", "ZipLM", "kurtic2023ziplm"),
    ],
)
def test_search_lands_on_paper(page: Page, base: str, query: str, title: str, key: str) -> None:
    """Searching an author, a title word, an abstract word, a pasted title, an arXiv id or a key leads to the paper's heading."""
    search(page, base, query, title)
    assert page.url.endswith(f"#{key}"), page.url
    heading = page.locator(f"h2[id='{key}']")
    assert heading.is_visible()
    assert title in heading.inner_text()


def cite_block(page: Page, key: str) -> Locator:
    """The "Cite" <details> that follows a paper's heading."""
    return page.locator(f"xpath=//h2[@id='{key}']/following-sibling::details[summary='Cite'][1]")


def test_cite_block_copies_bibtex(page: Page, base: str) -> None:
    """Opening "Cite" shows LoRI's BibTeX, and Material's copy button puts it on the clipboard."""
    page.goto(base + SECTION + "#zhang2025lori")
    cite = cite_block(page, "zhang2025lori")
    cite.locator("summary").click()
    code = cite.locator("pre > code")
    code.wait_for()
    text = code.inner_text()
    assert text.lstrip().startswith("@") and "{zhang2025lori," in text
    assert [e.key for e in bibtexparser.parse_string(text).entries] == ["zhang2025lori"]
    button = cite.locator("button.md-code__button[data-md-type='copy']")
    assert button.count() == 1, "Material's copy button is missing (content.code.copy)"
    button.hover()
    button.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "@" in copied and "zhang2025lori" in copied
    assert copied.strip() == text.strip()


def bib_keys(page: Page, url: str) -> list[str] | str:
    """Fetch a .bib file as the browser would; return its entries' keys, or what went wrong."""
    response = page.request.get(url)
    if not response.ok:
        return f"HTTP {response.status}"
    library = bibtexparser.parse_string(response.text())
    if library.failed_blocks:
        return f"unparsable: {library.failed_blocks}"
    return [entry.key for entry in library.entries]


def click_to_download(page: Page, link: Locator) -> Download:
    """Click a link and return the download it starts.

    Chromium drops a download that comes less than a second after ten others (seen with
    156.0.8078.108): a click with no download is tried once more after that second.
    """
    try:
        with page.expect_download(timeout=3000) as started:
            link.click()
    except PlaywrightTimeoutError:
        page.wait_for_timeout(1500)
        with page.expect_download() as started:
            link.click()
    return started.value


def test_bibtex_downloads(page: Page, base: str, tmp_path: Path) -> None:
    """Every paper's BibTeX link saves its entry as <key>.bib; the section's link serves the section."""
    page.goto(base + SECTION)
    keys = page.eval_on_selector_all("h2.paper-title", "hs => hs.map(h => h.id)")
    links = page.locator("a.paper-link--bib")
    assert links.count() == len(keys) > 1
    saved = {}
    for number in range(links.count()):
        link = links.nth(number)
        link.scroll_into_view_if_needed()
        download = click_to_download(page, link)
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        saved[download.suggested_filename] = [e.key for e in bibtexparser.parse_string(path.read_text(encoding="utf-8")).entries]
    assert saved == {f"{key}.bib": [key] for key in keys}
    section = page.get_by_role("link", name="Download this section's BibTeX")
    assert bib_keys(page, section.evaluate("a => a.href")) == keys


def test_the_whole_survey_and_a_section_download_as_bib_files(page: Page, base: str, tmp_path: Path) -> None:
    """The home page's BibTeX buttons save files, as the papers' own links do; before, they opened the text."""
    page.goto(base)
    download = click_to_download(page, page.get_by_role("link", name="Download the whole survey as BibTeX"))
    assert download.suggested_filename == "bibliography.bib"
    download.save_as(tmp_path / "whole.bib")
    assert len(bibtexparser.parse_file(str(tmp_path / "whole.bib")).entries) == 118
    assert click_to_download(page, page.get_by_role("link", name="CSL-JSON")).suggested_filename == "bibliography.json"
    page.goto(base + SECTION)
    download = click_to_download(page, page.get_by_role("link", name="Download this section's BibTeX"))
    assert download.suggested_filename == "modular-adapters.bib"


def test_a_missing_page_is_named_in_the_browser_tab(page: Page, base: str) -> None:
    page.goto(base + "404.html")  # what a host such as GitHub Pages serves for a missing page
    assert page.title() == "Page not found - Tasks in machine learning: a survey"
    assert "Page not found" in page.locator("article h1").inner_text()
    page.get_by_role("link", name="the table of all papers").click()
    page.wait_for_load_state()
    assert page.url == base + "papers/"


def test_a_paper_title_is_followed_by_its_authors_without_an_empty_line(page: Page, base: str) -> None:
    """Every title's box ends with its text: the hidden permalink never takes a line of its own."""
    page.goto(base + "sections/evaluation-practice/")  # its heading just fills the line at 1280 px
    gaps = page.evaluate("""() => [...document.querySelectorAll('h2.paper-title, article h1')].map(h => {
        const range = document.createRange();
        range.selectNodeContents(h.firstChild);
        const text = [...range.getClientRects()].pop();
        return {id: h.id, gap: h.getBoundingClientRect().bottom - text.bottom};
    })""")
    assert len(gaps) == 10  # the heading and nine papers
    assert all(entry["gap"] < 8 for entry in gaps), gaps


def test_related_paper_link_lands_on_anchor(page: Page, base: str) -> None:
    """The first related paper under LoRI links to an anchor that exists where it lands."""
    page.goto(base + SECTION)
    link = page.locator("xpath=//h2[@id='zhang2025lori']/following-sibling::"
                        "p[@class='paper-related-title'][1]/following-sibling::ul[1]/li[1]/a")
    title = link.inner_text()
    link.click()
    page.wait_for_load_state()
    anchor = page.evaluate("decodeURIComponent(location.hash.slice(1))")
    assert anchor, page.url
    target = page.locator(f"[id='{anchor}']")
    assert target.count() == 1, f"{page.url}: no element with id {anchor!r}"
    assert target.is_visible()
    assert title.strip() in target.inner_text()


def tour(page: Page, base: str) -> None:
    """Load every kind of page, sort and filter the papers table, hover the map, and run a search."""
    for path in ("", SECTION, "papers/", "authors/", "keywords/"):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
    page.goto(base + "papers/")
    page.get_by_role("button", name="Year", exact=True).click()
    page.locator(".papers-controls select[name='section']").select_option(index=1)
    page.goto(base)
    page.locator("a.survey-point").last.hover()
    search(page, base, "olfactory", "FlyLoRA")
    page.wait_for_load_state("networkidle")


def test_no_request_leaves_the_site(page: Page, base: str) -> None:
    """Pages and search load nothing from other hosts (data: URLs are allowed)."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    tour(page, base)
    assert urls
    assert [u for u in urls if not u.startswith((base, "data:"))] == []


def test_no_console_errors(page: Page, base: str) -> None:
    """Pages and search log no console errors and throw no uncaught exceptions."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    tour(page, base)
    assert errors == []


@pytest.mark.parametrize("path", ["", SECTION, "sections/benchmarks/", "papers/", "authors/", "keywords/"])
def test_phone_has_no_horizontal_scroll(browser: Browser, base: str, path: str) -> None:
    """At 390x844 a page is no wider than the screen."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= PHONE["width"], f"/{path} is {width}px wide"


@pytest.mark.parametrize("path", ["", "papers/"])
def test_without_javascript_a_phone_page_is_no_wider_than_the_screen(browser: Browser, base: str, path: str) -> None:
    """Material wraps wide tables in a scrolling box with JavaScript; without it they must not widen the page."""
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        width = page.locator("article").evaluate("a => Math.max(...[...a.querySelectorAll('table')].map(t => t.getBoundingClientRect().right), 0)")
        assert width <= 375, f"/{path}: a table reaches {width}px"
    finally:
        context.close()


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_screenshots(browser: Browser, base: str, size: str, viewport: dict[str, int]) -> None:
    """Save the home page, a section page, a paper and a search as a reader sees them, for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=viewport, is_mobile=size == "phone")
    page = context.new_page()
    pages = [("home", ""), ("section", SECTION), ("paper", SECTION + "#zhang2025lori"),
             ("papers", "papers/"), ("authors", "authors/"),
             ("search", "?q=Goldstein")]  # Material opens its search with ?q=
    for name, path in pages:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        if name == "search":
            page.locator("li.md-search-result__item").first.wait_for()
        shot = ARTIFACTS / f"{name}-{size}.png"
        page.screenshot(path=str(shot), full_page=name == "home", animations="disabled")
        assert shot.stat().st_size > 1000
        if name == "section" and size == "desktop" and os.environ.get("SURVEY_REFRESH_SCREENSHOT"):
            page.screenshot(path=str(README_SHOT), animations="disabled")
    dark = browser.new_context(viewport=viewport, is_mobile=size == "phone", color_scheme="dark")
    night = dark.new_page()
    night.goto(base)
    night.wait_for_load_state("networkidle")
    night.screenshot(path=str(ARTIFACTS / f"home-dark-{size}.png"), full_page=True, animations="disabled")
    dark.close()
    context.close()


# WCAG contrast of each element's text on what is painted behind it (its own and its ancestors' backgrounds).
CONTRAST = """(query) => {
  // A selector, or [selector, property, pseudo-element]: a border's colour, a placeholder's, an ::after's.
  const [selector, property, pseudo] = typeof query === "string" ? [query, "color", null] : query;
  function rgba(s) {
    const n = s.match(/[\\d.]+/g).map(Number);
    const scale = s.startsWith("color(") ? 255 : 1;  // color-mix() computes to color(srgb r g b)
    return [n[0] * scale, n[1] * scale, n[2] * scale, n.length > 3 ? n[3] : 1];
  }
  function over(top, under) { return [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]); }
  function lum(c) {
    const v = c.slice(0, 3).map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  return [...document.querySelectorAll(selector)].slice(0, 5).map(el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] === 1) break;
    }
    const bg = layers.reverse().reduce((under, layer) => over(layer, under), [255, 255, 255, 1]);
    const [a, b] = [lum(over(rgba(getComputedStyle(el, pseudo)[property]), bg)), lum(bg)].sort((x, y) => y - x);
    return [el.textContent.trim(), (a + 0.05) / (b + 0.05)];
  });
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_keyword_chips_venues_and_links_read_at_wcag_contrast_in_both_schemes(browser: Browser, base: str, scheme: str) -> None:
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(base + SECTION)
        for selector in (".md-typeset a.chip", ".md-typeset span.chip", ".paper-venue", ".md-typeset a.paper-link"):
            measured = page.evaluate(CONTRAST, selector)
            assert measured and all(ratio >= 4.5 for _, ratio in measured), (selector, measured)
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_papers_tables_controls_and_the_keyword_counts_read_at_wcag_contrast(browser: Browser, base: str, scheme: str) -> None:
    """Text at 4.5:1; a control's edge and the sort arrows, which are no text, at 3:1."""
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(base + "papers/")
        page.locator(".papers-controls input").wait_for()
        for query, least in (
            ([".papers-controls input", "color", "::placeholder"], 4.5),
            ([".papers-controls input", "borderTopColor", None], 3),
            ([".papers-controls select", "borderTopColor", None], 3),
            (["th:not([aria-sort]) .papers-sort", "color", "::after"], 3),
        ):
            measured = page.evaluate(CONTRAST, query)
            assert measured and all(ratio >= least for _, ratio in measured), (query, measured)
        page.goto(base + "keywords/")
        measured = page.evaluate(CONTRAST, ".index-cloud a .index-count")
        assert measured and all(ratio >= 4.5 for _, ratio in measured), measured
    finally:
        context.close()


# axe-core's rules (WCAG 2 A and AA, and its best practices), run in the page; each violation as
# [rule, the elements, what to fix].
AXE = (importlib.resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
AXE_RUN = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
  .map(v => [v.id, v.nodes.map(n => n.target.join(" ")), v.nodes[0].failureSummary])"""


def axe_violations(page: Page) -> list[list[object]]:
    # Colours read halfway through a fade (the search's results fade in) are no colours a reader sees.
    page.evaluate("Promise.all(document.getAnimations().map(animation => animation.finished))")
    page.add_script_tag(content=AXE)
    return page.evaluate(AXE_RUN)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_accessibility_violation_in_what_a_reader_sees(browser: Browser, base: str, scheme: str) -> None:
    """Every kind of page, the search with its results, the filtered table and the phone's menu, in both schemes."""
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    try:
        page = context.new_page()
        found = {}
        for view in ("", SECTION, "papers/", "authors/", "keywords/"):
            page.goto(base + view)
            found[view or "home"] = axe_violations(page)
        page.goto(base + SECTION)
        page.keyboard.press("/")
        page.keyboard.type("merging")
        page.locator(".md-search-result__item").first.wait_for()
        found["search results"] = axe_violations(page)
        page.goto(base + "papers/")
        page.get_by_label("Filter", exact=True).fill("lora")
        found["filtered table"] = axe_violations(page)
        page.set_viewport_size(PHONE)
        page.goto(base + SECTION)
        page.locator("label.md-header__button[for='__drawer']").click()
        page.locator(".md-nav--primary .md-nav .md-nav__title").first.wait_for()
        found["phone menu"] = axe_violations(page)
        assert {view: violations for view, violations in found.items() if violations} == {}
    finally:
        context.close()


def test_the_papers_table_is_labelled_and_says_how_it_is_sorted(page: Page, base: str) -> None:
    page.goto(base + "papers/")
    search = page.get_by_label("Filter", exact=True)
    assert search.is_visible()
    assert page.locator("th[aria-sort]").evaluate_all("hs => hs.map(h => [h.innerText.replace(/\\W+$/, ''), h.getAttribute('aria-sort')])") == [["Paper", "ascending"]]
    names = page.locator("th button.papers-sort").evaluate_all("bs => bs.map(b => b.textContent)")
    assert [page.get_by_role("button", name=name, exact=True).count() for name in names] == [1] * 5
    search.fill("kurtic")
    assert len(visible_rows(page)) == 1
    # The captions of the text box and of the menus stand on one line, and so do the controls.
    tops = page.locator(".papers-controls span, .papers-controls input, .papers-controls select").evaluate_all(
        "es => es.map(e => [e.tagName, Math.round(e.getBoundingClientRect().top), Math.round(e.getBoundingClientRect().bottom)])"
    )
    assert len({(top, bottom) for tag, top, bottom in tops if tag == "SPAN"}) == 1, tops
    assert len({(top, bottom) for tag, top, bottom in tops if tag != "SPAN"}) == 1, tops


def test_on_a_phone_the_papers_table_keeps_every_column(browser: Browser, base: str) -> None:
    """Authors, year, venue and section stay on screen, under each title, as at 200 % zoom."""
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(base + "papers/")
        page.locator(".papers-controls input").wait_for()
        row = page.locator("table[data-papers-table] tbody tr").nth(3)
        for cell in range(5):
            box = row.locator("td").nth(cell).bounding_box()
            assert box and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= 375, (cell, box)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.get_by_label("Filter", exact=True).fill("kurtic")
        assert page.locator("table[data-papers-table] tbody tr:visible").count() == 1
    finally:
        context.close()


def test_the_map_is_one_picture_to_a_screen_reader_not_a_link_per_paper(page: Page, base: str) -> None:
    page.goto(base)
    figure = page.get_by_role("img", name="Map of the survey")
    assert figure.count() == 1
    assert figure.get_by_role("link").count() == 0
    assert page.locator("svg.survey-map a.survey-point").count() == 118  # the mouse still opens papers


def test_readme_screenshot_is_small() -> None:
    """The README's picture exists and stays light enough for the repository."""
    assert README_SHOT.is_file(), "run SURVEY_REFRESH_SCREENSHOT=1 pytest tests/test_browser.py -k screenshots"
    assert README_SHOT.stat().st_size < 300_000


def landed_anchor(page: Page) -> Locator:
    """The element the URL's fragment names; it must exist once and be visible."""
    anchor = page.evaluate("decodeURIComponent(location.hash.slice(1))")
    assert anchor, page.url
    target = page.locator(f"[id='{anchor}']")
    assert target.count() == 1, f"{page.url}: no element with id {anchor!r}"
    assert target.is_visible()
    return target


def test_the_keyboard_passes_the_map_without_stopping_at_every_point(page: Page, base: str) -> None:
    """Every paper is reached from its section; the map's 118 points are no 118 tab stops."""
    page.goto(base)
    where = (
        "(() => { const e = document.activeElement, map = document.querySelector('.survey-map');"
        " return [e.classList.contains('survey-point'), !!(map.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING)]; })()"
    )
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(where))
    assert not any(point for point, _ in stops)
    assert any(after for _, after in stops), "Tab reaches what follows the map"


def test_clicking_a_point_on_the_map_opens_its_paper(page: Page, base: str) -> None:
    """The topmost dot links to its paper's heading, and its title shows on hover."""
    page.goto(base)
    point = page.locator("svg.survey-map a.survey-point").last
    key = point.get_attribute("data-key")
    title = point.locator("title").text_content() or ""
    point.click()
    page.wait_for_load_state()
    target = landed_anchor(page)
    assert page.url.endswith(f"#{key}")
    assert title.split(" (")[0].split(" · ")[0] in target.inner_text()


def test_every_map_point_links_to_an_anchor_that_exists(page: Page, base: str) -> None:
    """Each dot's link, followed in the browser, names an element on its page."""
    page.goto(base)
    links = page.eval_on_selector_all("svg.survey-map a.survey-point", "as => as.map(a => new URL(a.getAttribute('href'), document.baseURI).href)")
    assert len(links) == 118
    by_page: dict[str, set[str]] = {}
    for link in links:
        address, _, anchor = link.partition("#")
        by_page.setdefault(address, set()).add(anchor)
    for address, anchors in sorted(by_page.items()):
        page.goto(address)
        ids = set(page.eval_on_selector_all("[id]", "es => es.map(e => e.id)"))
        assert anchors <= ids, f"{address}: missing {sorted(anchors - ids)}"


def visible_rows(page: Page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "table[data-papers-table] tbody tr:not([hidden])", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )


def test_papers_table_sorts_and_filters(page: Page, base: str) -> None:
    """Sort by year both ways, then narrow by section, venue and words; the count follows."""
    page.goto(base + "papers/")
    assert len(visible_rows(page)) == 118
    sort_year = page.get_by_role("button", name="Year", exact=True)
    sort_year.click()
    years = [int(r[2]) for r in visible_rows(page) if r[2]]
    assert years == sorted(years) and years[0] < years[-1]
    sort_year.click()
    years = [int(r[2]) for r in visible_rows(page) if r[2]]
    assert years == sorted(years, reverse=True)
    assert page.locator("th[aria-sort='descending']").count() == 1

    section = page.locator(".papers-controls select[name='section']")
    section.select_option("modular-adapters")
    rows = visible_rows(page)
    assert len(rows) == 11 and {r[4] for r in rows} == {"Multi-task LoRA, mixtures of experts and modular skills"}
    assert page.locator(".papers-controls__count").inner_text() == "11 of 118 papers"
    section.select_option("")

    venue = page.locator(".papers-controls select[name='venue']")
    venue.select_option("NeurIPS")
    rows = visible_rows(page)
    assert rows and all(r[3].startswith("NeurIPS") for r in rows)
    venue.select_option("")

    page.locator(".papers-controls input[type='search']").fill("hypercomplex")
    rows = visible_rows(page)
    assert [r[0] for r in rows] == ["Compacter: Efficient Low-Rank Hypercomplex Adapter Layers"]
    page.locator("table[data-papers-table] tbody tr:not([hidden]) a").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("#karimimahabadi2021compacter")
    landed_anchor(page)


def test_papers_table_works_without_javascript(browser: Browser, base: str) -> None:
    """With scripts off the table is complete, sorted by title, and the controls stay hidden."""
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "papers/")
    titles = page.eval_on_selector_all("table[data-papers-table] tbody tr td:first-child", "cs => cs.map(c => c.textContent.trim())")
    context.close()
    assert len(titles) == 118
    assert titles == sorted(titles, key=str.casefold)


def test_every_page_links_a_feed_that_parses(page: Page, base: str) -> None:
    """The head's Atom link works from any page, and feedparser reads the feed cleanly."""
    for path in ("", SECTION, "authors/"):
        page.goto(base + path)
        href = page.eval_on_selector("link[rel='alternate'][type='application/atom+xml']", "l => l.href")
        assert href == base + "feed.xml"
    response = page.request.get(base + "feed.xml")
    assert response.ok
    feed = feedparser.parse(response.body())
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) >= 10


def test_author_and_keyword_links_land_on_their_entries(page: Page, base: str) -> None:
    """An author's name under a paper opens the author index at that person; a chip opens its keyword."""
    page.goto(base + SECTION + "#zhang2025lori")
    meta = page.locator("xpath=//h2[@id='zhang2025lori']/following-sibling::p[@class='paper-meta'][1]")
    meta.get_by_role("link", name="Tom Goldstein").click()
    page.wait_for_load_state()
    assert "Tom Goldstein" in landed_anchor(page).inner_text()
    assert LORI in landed_anchor(page).inner_text()
    page.goto(base + SECTION)
    chip = page.locator("p.section-keywords a.chip").first
    word = chip.inner_text()
    chip.click()
    page.wait_for_load_state()
    assert landed_anchor(page).inner_text().startswith(word)


def test_a_reader_finds_cites_and_wanders(page: Page, base: str) -> None:
    """The issue's journey: search, land, copy BibTeX, follow a related paper, click the map — quietly and locally."""
    errors: list[str] = []
    urls: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("request", lambda request: urls.append(request.url))
    for query, title, key in (("Goldstein", LORI, "zhang2025lori"),
                              ("hypercomplex", "Compacter: Efficient Low-Rank Hypercomplex Adapter Layers",
                               "karimimahabadi2021compacter")):
        search(page, base, query, title)
        assert page.url.endswith(f"#{key}")
        assert title in landed_anchor(page).inner_text()
        cite = cite_block(page, key)
        cite.locator("summary").click()
        button = cite.locator("button.md-code__button[data-md-type='copy']")
        button.hover()
        button.click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert [e.key for e in bibtexparser.parse_string(copied).entries] == [key]
        related = page.locator(f"xpath=//h2[@id='{key}']/following-sibling::p[@class='paper-related-title'][1]"
                               "/following-sibling::ul[1]/li[1]/a")
        other = related.inner_text().strip()
        related.click()
        page.wait_for_load_state()
        assert other in landed_anchor(page).inner_text()
    page.goto(base)
    page.locator("svg.survey-map a.survey-point").first.scroll_into_view_if_needed()
    page.locator("svg.survey-map a.survey-point").last.click()
    page.wait_for_load_state("networkidle")
    landed_anchor(page)
    assert errors == []
    assert [u for u in urls if not u.startswith((base, "data:"))] == []


# A large survey: pages of a section, links across pages, the table built from JSON.


UNLISTED = "hu2021lora"  # the paper whose authors are left out of the surveys below


def without_authors(root: Path) -> Path:
    """Leave out one paper's authors, as a paper whose authors are not known yet has none."""
    path = root / "content" / "papers" / f"{UNLISTED}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("authors:")), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def paged_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the fixture survey laid out as a large one (see test_pagination.py), one paper without authors."""
    yield from serve(build_paged(without_authors(copy_survey(FIXTURE, tmp_path_factory.mktemp("paged")))))


@pytest.fixture(scope="module")
def unlisted_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the fixture survey, one paper without authors."""
    root = without_authors(copy_survey(FIXTURE, tmp_path_factory.mktemp("unlisted")))
    assert main(["-C", str(root), "build"]) == 0
    yield from serve(root / "site")


def authors_column(page: Page) -> list[str]:
    return [row[1] for row in visible_rows(page)]


@contextlib.contextmanager
def table_page(browser: Browser, base: str) -> Iterator[Page]:
    """Open the table of all papers, once its rows are there (filled from JSON in a large survey)."""
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(base + "papers/")
        page.locator("table[data-papers-table] tbody tr").first.wait_for()
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("survey", ["unlisted_base", "paged_base"])
def test_a_paper_without_authors_says_so_in_the_table_and_sorts_last(browser: Browser, survey: str, request: pytest.FixtureRequest) -> None:
    """In the table made in the page and in the one a large survey's script fills from JSON."""
    base = request.getfixturevalue(survey)
    with table_page(browser, base) as page:
        row = page.locator(f"table[data-papers-table] tbody tr:has(a[href$='#{UNLISTED}'])")
        assert row.locator("td").nth(1).inner_text() == "Authors not listed"
        sort = page.get_by_role("button", name="Authors", exact=True)
        orders = []
        for _ in ("ascending", "descending"):
            sort.click()
            names = authors_column(page)
            assert names[-1] == "Authors not listed" and "Authors not listed" not in names[:-1]
            orders.append(names[:-1])
        assert orders[1] == orders[0][::-1] and orders[0] != orders[1]
        row.locator("a").first.click()  # to the paper's entry, on whichever page of its section
        page.wait_for_load_state()
        entry = page.locator(f"xpath=//h2[@id='{UNLISTED}']/following-sibling::p[@class='paper-meta'][1]")
        assert entry.inner_text().startswith("Authors not listed")


@pytest.mark.parametrize("survey", ["unlisted_base", "paged_base"])
def test_the_table_finds_a_paper_by_any_author_and_sorts_by_family_name(browser: Browser, survey: str, request: pytest.FixtureRequest) -> None:
    """The table shows three authors, but the filter searches all; sorting follows family names."""
    base = request.getfixturevalue(survey)
    papers, _, _ = load_papers(FIXTURE / "content", FIXTURE)
    listed = [p for p in papers if p.authors and p.key != UNLISTED]
    fourth = next(p for p in listed if len(p.authors) > 3)
    hidden = split_name(fourth.authors[3])[1]  # "Goldstein": not shown in the table
    expected = [p.key for p in sorted(listed, key=lambda p: (family_first(p.authors[0]), p.title.casefold()))]
    assert expected != [p.key for p in sorted(listed, key=lambda p: (p.authors[0].casefold(), p.title.casefold()))]
    with table_page(browser, base) as page:
        page.locator(".papers-controls input[type='search']").fill(hidden)
        assert [r[0] for r in visible_rows(page)] == [fourth.title] and hidden not in visible_rows(page)[0][1]
        page.locator(".papers-controls input[type='search']").fill("")
        page.get_by_role("button", name="Authors", exact=True).click()
        keys = page.eval_on_selector_all("table[data-papers-table] tbody tr:not([hidden]) td:first-child a", "links => links.map(a => a.hash.slice(1))")
        assert keys[: len(expected)] == expected


@pytest.mark.parametrize("survey", ["unlisted_base", "paged_base"])
def test_the_table_filter_ignores_accents_and_case_as_a_reader_types(browser: Browser, survey: str, request: pytest.FixtureRequest) -> None:
    base = request.getfixturevalue(survey)
    with table_page(browser, base) as page:
        search = page.locator(".papers-controls input[type='search']")
        for typed in ("nunez garcia", "ÑÚÑEZ", "uber braces"):
            search.fill(typed)
            assert [r[0] for r in visible_rows(page)] == ["Über {Braces} & 100% of $x_1$ #1 ~ LoRA^2 <script>alert(1)</script>"], typed
        search.fill("low-rank adapters")  # a section's title is no paper's words
        assert all("low-rank adapters" in r[0].lower() for r in visible_rows(page))


@pytest.mark.parametrize("survey", ["unlisted_base", "paged_base"])
def test_the_table_finds_a_paper_by_its_arxiv_id_or_citation_key(browser: Browser, survey: str, request: pytest.FixtureRequest) -> None:
    base = request.getfixturevalue(survey)
    with table_page(browser, base) as page:
        search = page.locator(".papers-controls input[type='search']")
        for typed in ("2106.09685", "hu2021lora"):
            search.fill(typed)
            assert [r[0] for r in visible_rows(page)] == ["LoRA: Low-Rank Adaptation of Large Language Models"], typed


def test_a_table_whose_list_cannot_be_loaded_says_so(browser: Browser, paged_base: str) -> None:
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.route("**/papers.json", lambda route: route.abort())
        page.goto(paged_base + "papers/")
        note = page.locator(".papers-unavailable")
        note.wait_for()
        assert "could not be loaded" in note.inner_text() and "browse the sections" in note.inner_text()
    finally:
        context.close()


def test_a_link_to_a_paper_on_another_page_of_its_section_goes_on_to_that_page(browser: Browser, paged_base: str) -> None:
    """A bookmark made before the section grew names a page that no longer holds the paper."""
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(paged_base + "sections/adapters/")
        here = page.eval_on_selector_all("h2.paper-title", "hs => hs.map(h => h.id)")
        page.goto(paged_base + "sections/adapters/2/")
        there = page.eval_on_selector_all("h2.paper-title", "hs => hs.map(h => h.id)")
        assert there and not set(here) & set(there)
        for start, key, end in ((paged_base + "sections/adapters/", there[-1], "sections/adapters/2/"), (paged_base + "sections/adapters/2/", here[0], "sections/adapters/")):
            page.goto(f"{start}#{key}")
            page.wait_for_url(f"{paged_base}{end}#{key}")
            assert page.locator(f"h2[id='{key}']").is_visible()
        page.goto(paged_base + "sections/adapters/#no-such-paper")  # stays, as any page with an unknown anchor does
        page.wait_for_load_state("networkidle")
        assert page.url == paged_base + "sections/adapters/#no-such-paper"
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_accessibility_violation_in_a_large_survey_s_pages(browser: Browser, paged_base: str, scheme: str) -> None:
    """A section's first, middle and last pages (a pager above the papers and one below), the
    table that loads its rows, and the index pages of one letter."""
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    try:
        page = context.new_page()
        found = {}
        for view in ("sections/adapters/", "sections/adapters/2/", "sections/adapters/3/", "papers/", "authors/", "authors/s/", "keywords/", "keywords/m/"):
            page.goto(paged_base + view)
            page.wait_for_load_state("networkidle")
            found[view] = axe_violations(page)
        assert {view: violations for view, violations in found.items() if violations} == {}
    finally:
        context.close()


def test_a_reader_pages_through_a_section_and_follows_links_across_pages(browser: Browser, paged_base: str) -> None:
    errors: list[str] = []
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        page.goto(paged_base + "sections/adapters/")
        assert page.locator("h2.paper-title").count() == 2
        page.locator("nav.section-pager a[rel='next']").first.click()
        page.wait_for_load_state()
        assert page.url == paged_base + "sections/adapters/2/"
        # Every related paper's link, followed, lands on a visible heading, whichever page holds it.
        links = page.eval_on_selector_all("ul.paper-related a", "as => as.map(a => [a.href, a.textContent])")
        assert links
        for href, title in links:
            page.goto(href)
            anchor = page.evaluate("decodeURIComponent(location.hash.slice(1))")
            heading = page.locator(f"h2[id='{anchor}']")
            assert heading.count() == 1 and heading.is_visible(), href
            assert title.strip() in heading.inner_text()
        # The table of all papers is filled from JSON, sorts, filters, and its links land.
        page.goto(paged_base + "papers/")
        rows = page.locator("table[data-papers-table] tbody tr:not([hidden])")
        rows.first.wait_for()
        assert rows.count() == 12
        page.get_by_role("button", name="Year", exact=True).click()
        page.locator(".papers-controls input[type='search']").fill("hypercomplex")
        assert rows.count() == 1
        rows.first.locator("a").first.click()
        page.wait_for_load_state()
        assert page.url.endswith("#karimimahabadi2021compacter")
        assert page.locator("h2[id='karimimahabadi2021compacter']").is_visible()
        # An author's name opens the author's letter page at the author.
        page.locator("xpath=//h2[@id='karimimahabadi2021compacter']/following-sibling::p[@class='paper-meta'][1]//a").first.click()
        page.wait_for_load_state()
        assert re.search(r"/authors/[a-z]+/#author-", page.url), page.url
    finally:
        context.close()
    assert errors == []
