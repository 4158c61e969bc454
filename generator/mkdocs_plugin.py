"""MkDocs plugin `survey`: navigation from the generated survey.json; regenerate while serving."""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path
from typing import Any

from mkdocs.plugins import BasePlugin

log = logging.getLogger("mkdocs.plugins.survey")


# Index pages after the sections, when `survey generate` wrote them.
INDEX_PAGES = (("All papers", "papers.md"), ("Authors", "authors.md"), ("Keywords", "keywords.md"))


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


def theme_overrides() -> Path:
    """Return the folder of the survey's Material template overrides."""
    from .render import packaged_folder

    return packaged_folder("theme")


class SurveyPlugin(BasePlugin):  # type: ignore[type-arg]
    """Fill the navigation from the survey; while serving, rebuild pages when content changes."""

    def __init__(self) -> None:
        self.serving = False

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.serving = command == "serve"

    def on_config(self, config: Any) -> Any:
        root = Path(config.config_file_path).parent
        if self.serving:
            self._regenerate(root)
        if config.nav is None:
            config.nav = survey_nav(Path(config.docs_dir))
        # The survey's theme overrides ship with the package; a curator's custom_dir still wins.
        theme_dir = str(theme_overrides())
        if theme_dir not in config.theme.dirs:
            position = 1 if config.theme.custom_dir else 0
            config.theme.dirs.insert(position, theme_dir)
        return config

    def on_serve(self, server: Any, config: Any, builder: Any) -> Any:
        root = Path(config.config_file_path).parent
        for folder in (root / "content", root / "site_templates"):
            if folder.is_dir():
                server.watch(str(folder))
        return server

    def _regenerate(self, root: Path) -> None:
        from .build import InputError, generate
        from .project import ProjectError, open_project

        try:
            generate(open_project(root))
        except (InputError, ProjectError) as error:
            for problem in error.problems:
                log.error(str(problem))
