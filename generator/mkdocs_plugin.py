"""MkDocs plugin `survey`: navigation from the generated survey.json; regenerate while serving."""

from __future__ import annotations

import html
import json
import logging
import re
import sys
import threading
from pathlib import Path
from typing import Any

from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files, InclusionLevel

log = logging.getLogger("mkdocs.plugins.survey")


# Index pages after the sections, when `survey generate` wrote them.
INDEX_PAGES = (("All papers", "papers.md"), ("Authors", "authors.md"), ("Keywords", "keywords.md"))
# Later pages of a long section (sections/<id>/2.md) and the letters of a large index
# (authors/k.md): reached from their first page, never listed in the navigation.
LATER_PAGE = re.compile(r"(sections/[^/]+/\d+|authors/[^/]+|keywords/[^/]+)\.md")

# Markup that templates pass through Markdown in comments (site_templates/_defer.j2): deferred
# markup comes out for search to index, late markup only once search is done, and text that
# only search reads goes once search is done.
DEFERRED, LATE, LATE_TAG, END = "<!--survey-html\n", "<!--survey-late\n", "survey-late>", "-->"
SEARCHED, SEARCHED_END = "<survey-search>", "</survey-search>"


# Set by `survey serve -v`: each regeneration prints its stage timings, as the first build did.
_TIMINGS = threading.Event()
# The mkdocs.yml (path, and its modification time and size) that `survey serve` generated the
# pages from just before MkDocs starts: its first build need not generate them again.
_GENERATED_FROM: dict[str, tuple[int, int] | None] = {}


def show_timings() -> None:
    """Have every regeneration while serving print how long each stage took (`survey serve -v`)."""
    _TIMINGS.set()


def generated_from(config_file: Path, stamp: tuple[int, int] | None) -> None:
    """Record that the pages were just generated from this mkdocs.yml, as it was when `stamp`
    was taken (`survey serve` generates them before MkDocs serves; `mkdocs serve` alone does
    not, and its first build generates them)."""
    _GENERATED_FROM[str(config_file)] = stamp


def config_stamp(path: Path) -> tuple[int, int] | None:
    """Return a file's modification time and size, or None when it cannot be read."""
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size)


def is_later_page(src_uri: str) -> bool:
    """Tell whether a page continues another page, so it stays out of the navigation."""
    return LATER_PAGE.fullmatch(src_uri) is not None


def first_page(src_uri: str) -> str:
    """Return the page a later page continues: sections/x/2.md -> sections/x.md, authors/k.md -> authors.md."""
    return src_uri.rsplit("/", 1)[0] + ".md"


def survey_nav(docs: Path) -> list[dict[str, Any]] | None:
    """Return the navigation: home, the sections in the curator's order, then the indexes."""
    try:
        data = json.loads((docs / "survey.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    # Material writes navigation titles into the page unescaped: escape the curator's text.
    sections = [{html.escape(str(s["title"])): f"sections/{s['id']}.md"} for s in data.get("sections", [])]
    indexes = [{title: page} for title, page in INDEX_PAGES if (docs / page).is_file()]
    return [{"Home": "index.md"}, {"Sections": sections}, *indexes]


def unwrap(content: str, start: str, end: str = END) -> list[str]:
    """Split a page's HTML at the comments that open with `start`: text, markup, text, markup, ..., text."""
    first, *rest = content.split(start)
    parts = [first]
    for part in rest:  # the markup is escaped, so its first "-->" closes its comment
        inner, _, after = part.partition(end)
        parts += [inner, after]
    return parts


def set_aside(content: str) -> tuple[str, list[str]]:
    """Take deferred markup out of its comments, and set late markup aside behind short placeholders.

    Material's search then reads only what it indexes; `put_back` restores the late markup.
    """
    if DEFERRED in content:
        content = "".join(unwrap(content, DEFERRED)).replace(f"<{LATE_TAG}", LATE).replace(f"</{LATE_TAG}", END)
    if LATE not in content:
        return content, []
    parts = unwrap(content, LATE)
    late = parts[1::2]
    parts[1::2] = [f"{LATE}{number}{END}" for number in range(len(late))]
    return "".join(parts), late


def put_back(content: str, late: list[str]) -> str:
    """Return a page's HTML with its late markup in place of the placeholders, without the text only search reads."""
    if SEARCHED in content:
        content = "".join(unwrap(content, SEARCHED, SEARCHED_END)[::2])
    parts = unwrap(content, LATE)
    parts[1::2] = [late[int(number)] for number in parts[1::2]]
    return "".join(parts)


def theme_overrides() -> Path:
    """Return the folder of the survey's Material template overrides."""
    from .render import packaged_folder

    return packaged_folder("theme")


class SurveyPlugin(BasePlugin):  # type: ignore[type-arg]
    """Fill the navigation from the survey; while serving, rebuild pages when content changes."""

    def __init__(self) -> None:
        self.serving = False
        self.late: dict[str, list[str]] = {}
        # While serving: the watcher of content/ and site_templates/, the mkdocs.yml the pages
        # were last made from, and one regeneration at a time.
        self.watcher: Any = None
        self.config_seen: tuple[int, int] | None = None
        self.regenerating = threading.Lock()
        # The navigation entry lit for a later page while it is rendered (see on_page_context).
        self.lit: Any = None

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.serving = command == "serve"

    def on_config(self, config: Any) -> Any:
        root = Path(config.config_file_path).parent
        # The watcher regenerates after content edits; the build regenerates on the first build
        # and after an edit to mkdocs.yml, whose settings the pages follow.
        if self.serving and self._config_changed(Path(config.config_file_path)):
            self._regenerate(root)
        if config.nav is None:
            config.nav = survey_nav(Path(config.docs_dir))
        # The survey's theme overrides ship with the package; a curator's custom_dir still wins.
        theme_dir = str(theme_overrides())
        if theme_dir not in config.theme.dirs:
            position = 1 if config.theme.custom_dir else 0
            config.theme.dirs.insert(position, theme_dir)
        return config

    def on_files(self, files: Files, config: Any) -> Files:
        for file in files.documentation_pages():
            if file.inclusion == InclusionLevel.INCLUDED and is_later_page(file.src_uri):
                file.inclusion = InclusionLevel.NOT_IN_NAV
        return files

    def on_page_content(self, html: str, *, page: Any, config: Any, files: Files) -> str:
        content, self.late[page.file.src_uri] = set_aside(html)
        return content

    # After every other plugin, so Material's search has indexed the page without the late markup.
    @event_priority(-100)
    def on_page_context(self, context: Any, *, page: Any, config: Any, nav: Any) -> Any:
        late = self.late.pop(page.file.src_uri, [])
        if late or SEARCHED in (page.content or ""):
            page.content = put_back(page.content, late)
        # A later page is in no navigation entry: its first page's entry shows where the reader is.
        if is_later_page(page.file.src_uri):
            self.lit = next((item for item in nav.pages if item.file.src_uri == first_page(page.file.src_uri)), None)
            if self.lit is not None:
                self.lit.active = True
        return context

    def on_post_page(self, output: str, *, page: Any, config: Any) -> str:
        if self.lit is not None:
            self.lit.active = False
            self.lit = None
        return output

    def on_serve(self, server: Any, config: Any, builder: Any) -> Any:
        from .watch import ContentWatcher

        root = Path(config.config_file_path).parent
        # A survey's own site_templates/ is watched from the moment it is made, if it is not there yet.
        folders = [root / "content", root / "site_templates"]
        if self.watcher is None:
            self.watcher = ContentWatcher(folders, lambda: self._regenerate(root, say=True))
            self.watcher.start()
            log.info("Regenerating the pages when a file in %s changes", " or ".join(f"'{folder.name}'" for folder in folders if folder.is_dir()))
        return server

    def on_shutdown(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None

    def _config_changed(self, path: Path) -> bool:
        stamp = config_stamp(path)
        if stamp is None:
            return True
        if self.config_seen is None:
            self.config_seen = _GENERATED_FROM.pop(str(path), None)
        changed, self.config_seen = stamp != self.config_seen, stamp
        return changed

    def _regenerate(self, root: Path, *, say: bool = False) -> None:
        from .build import InputError, generate
        from .progress import Progress
        from .project import ProjectError, open_project

        with self.regenerating:
            progress = Progress(sys.stderr, verbose=True) if _TIMINGS.is_set() else Progress()
            try:
                report = generate(open_project(root), progress, serving=True).report
            except (InputError, ProjectError) as error:
                for problem in error.problems:
                    log.error(str(problem))
                return
            progress.finish()
        if say:
            changed = len(report.written) + len(report.removed)
            log.info("Regenerated the pages in %.2f s: %s", progress.total().wall, f"{changed} file(s) changed" if changed else "no file changed")
