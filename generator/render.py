"""Render Markdown pages from Jinja2 templates; the Python side only builds contexts."""

from __future__ import annotations

import importlib.resources
import posixpath
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

# Characters that mean something to Markdown, HTML or the enabled extensions anywhere
# in a line become numeric entities, so untrusted text always reads as text.
_MARKDOWN_ESCAPES = {ord(c): f"&#{ord(c)};" for c in "\\`*_{}[]<>#|&~"}
_MARKDOWN_ESCAPES[ord("\n")] = " "
# At the start of a line these would open a list, a quote, a heading or a fence.
_LINE_START = re.compile(r"^(\d+)([.)])|^([-+=:>])")


def md(value: Any) -> Markup:
    """Escape text for a Markdown line: headings, paragraphs, table cells, link text."""
    text = str(value).translate(_MARKDOWN_ESCAPES)
    text = _LINE_START.sub(lambda m: f"{m.group(1)}&#{ord(m.group(2))};" if m.group(1) else f"&#{ord(m.group(3))};", text)
    return Markup(text)


def md_paragraphs(value: Any) -> Markup:
    """Escape text that may hold paragraphs separated by blank lines."""
    paragraphs = [str(md(p)) for p in str(value).split("\n\n")]
    return Markup("\n\n".join(paragraphs))


def fence(value: Any) -> str:
    """Return a backtick fence longer than any run of backticks in the text."""
    longest = max((len(run) for run in re.findall(r"`+", str(value))), default=0)
    return "`" * max(3, longest + 1)


def relative(target: str, page: str) -> str:
    """Return the link from one generated page to another file of the docs folder."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def packaged_folder(name: str = "") -> Path:
    """Return a folder of the templates that ship with the package (or this checkout)."""
    installed = Path(str(importlib.resources.files("generator"))) / "site_templates"
    base = installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "site_templates"
    return base / name if name else base


def url_relative(target: str, page: str) -> str:
    """Return a link for raw HTML, which MkDocs leaves alone: relative to the page's URL."""
    base = posixpath.dirname(page) if posixpath.basename(page) == "index.md" else page[: -len(".md")]
    return posixpath.relpath(target, base or ".")


def template_loader(root: Path) -> jinja2.BaseLoader:
    """Prefer the survey's own `site_templates/`, fall back to the packaged ones."""
    folders = [root / "site_templates", packaged_folder()]
    return jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(f)) for f in folders if f.is_dir()])


def environment(root: Path) -> jinja2.Environment:
    """Return the Jinja2 environment: autoescaping on, undefined names an error."""
    env = jinja2.Environment(
        loader=template_loader(root),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(md=md, md_paragraphs=md_paragraphs, fence=fence, rel=relative, url_rel=url_relative)
    return env


def render(env: jinja2.Environment, template: str, context: Mapping[str, Any]) -> str:
    """Render one template to text."""
    return env.get_template(template).render(**context)


def asset_files(root: Path) -> dict[str, bytes]:
    """Return the static assets (CSS, icons) to copy into the docs folder."""
    for folder in (root / "site_templates" / "assets", packaged_folder("assets")):
        if folder.is_dir():
            return {f"assets/{p.name}": p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    return {}
