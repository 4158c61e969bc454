"""Render Markdown pages from Jinja2 templates (the survey's own, else the packaged ones), and
read what the pages need from mkdocs.yml and the template and asset folders. All markup is in
the templates; the Python side builds their contexts."""

from __future__ import annotations

import base64
import functools
import html
import importlib.resources
import json
import posixpath
import re
import traceback
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2
import markupsafe
from markupsafe import Markup

from . import cache
from .load import not_utf8
from .models import InputError, Problem
from .project import SiteSettings, read_settings

# The folder of a survey's own templates (and of the packaged ones).
TEMPLATES = "site_templates"
# Characters that mean something to Markdown, HTML or the enabled extensions anywhere
# in a line become numeric entities, so untrusted text always reads as text; "@" too, so that
# a title in `survey diff`'s pull-request comment mentions nobody on GitHub.
_MARKDOWN_ESCAPES = {ord(c): f"&#{ord(c)};" for c in "\\`*_{}[]<>#|&~@"}
_MARKDOWN_ESCAPES[ord("\n")] = " "
# At the start of a line these would open a list, a quote, a heading, a fence or an admonition.
_LINE_START = re.compile(r"^(\d+)([.)])|^([-+=:>!?])")


def md(value: Any) -> Markup:
    """Escape text for a Markdown line: headings, paragraphs, table cells, link text."""
    text = str(value).translate(_MARKDOWN_ESCAPES)
    text = _LINE_START.sub(lambda m: f"{m.group(1)}&#{ord(m.group(2))};" if m.group(1) else f"&#{ord(m.group(3))};", text)
    return Markup(text)


def md_paragraphs(value: Any) -> Markup:
    """Escape text that may hold paragraphs separated by blank lines."""
    paragraphs = [str(md(p)) for p in str(value).split("\n\n")]
    return Markup("\n\n".join(paragraphs))


def pre(value: Any) -> Markup:
    """Escape text for a <pre> block kept on one line: line breaks become `&#10;`."""
    return Markup(str(Markup.escape(value)).replace("\n", "&#10;"))


def data_url(value: Any, media_type: str) -> str:
    """Return text (and a final line break) as a `data:` URL.

    A paper's BibTeX download is such a link with a `download` file name: a survey of
    100,000 papers would otherwise write, and MkDocs copy, 100,000 small files. Base64 keeps
    it shorter than percent-encoding BibTeX's braces, spaces and line breaks (405 bytes against
    492 for an entry of 300), and nothing in it can be markup.
    """
    encoded = base64.b64encode((str(value) + "\n").encode("utf-8")).decode("ascii")
    return f"data:{media_type};charset=utf-8;base64,{encoded}"


def count(value: int) -> str:
    """Write a count for readers, with thousands separated: 12,500."""
    return f"{value:,}"


def fence(value: Any) -> str:
    """Return a backtick fence longer than any run of backticks in the text."""
    longest = max((len(run) for run in re.findall(r"`+", str(value))), default=0)
    return "`" * max(3, longest + 1)


@functools.lru_cache(maxsize=1 << 16)
def _relpath(target: str, start: str) -> str:
    """Return `posixpath.relpath(target, start)` for paths inside the docs folder, without its
    per-call look at the working directory: pages link to each other hundreds of thousands of
    times in a large survey."""
    to = [part for part in target.split("/") if part not in ("", ".")]
    origin = [part for part in start.split("/") if part not in ("", ".")]
    if ".." in to or ".." in origin or target.startswith("/") or start.startswith("/"):
        return posixpath.relpath(target, start)
    common = 0
    while common < min(len(to), len(origin)) and to[common] == origin[common]:
        common += 1
    return "/".join([".."] * (len(origin) - common) + to[common:]) or "."


def relative(target: str, page: str) -> str:
    """Return the link from one generated page to another file of the docs folder."""
    return _relpath(target, posixpath.dirname(page) or ".")


def packaged_folder(name: str = "") -> Path:
    """Return a folder of the templates that ship with the package (or this checkout)."""
    installed = Path(str(importlib.resources.files("generator"))) / "site_templates"
    base = installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "site_templates"
    return base / name if name else base


@functools.lru_cache(maxsize=1 << 16)
def page_address(page: str, directory_urls: bool = True) -> str:
    """Return the URL path MkDocs gives a Markdown page: `sections/a.md` -> `sections/a/`."""
    stem = page[: -len(".md")]
    if not directory_urls:
        return f"{stem}.html"
    if posixpath.basename(stem) == "index":
        folder = posixpath.dirname(stem)
        return f"{folder}/" if folder else ""
    return f"{stem}/"


@functools.lru_cache(maxsize=1 << 12)
def _folder_of(page: str, directory_urls: bool) -> str:
    address = page_address(page, directory_urls)
    return address.rstrip("/") if address.endswith("/") or not address else posixpath.dirname(address)


def url_relative(target: str, page: str, directory_urls: bool = True) -> str:
    """Return a link to a file for raw HTML, which MkDocs leaves alone: relative to the page's URL."""
    return _relpath(target, _folder_of(page, directory_urls) or ".")


@functools.lru_cache(maxsize=1 << 16)
def page_url(target: str, page: str, directory_urls: bool = True) -> str:
    """Return a link to another page for raw HTML (and SVG): relative to the page's URL.

    Remembered: a large survey's pages link between the same few hundred pages hundreds of
    thousands of times (every author, keyword and related paper of every entry)."""
    address = page_address(target, directory_urls)
    link = _relpath(address or ".", _folder_of(page, directory_urls) or ".")
    return f"{link}/" if (address.endswith("/") or not address) and not link.endswith("/") else link


def front_matter_text(value: Any) -> Markup:
    """Return text as a YAML string for a page's front matter, HTML-escaped.

    MkDocs' theme templates do not escape, and Material writes `page.meta.description`
    straight into an attribute, so the value carries its own entities.
    """
    return Markup(json.dumps(html.escape(" ".join(str(value).split())), ensure_ascii=False))


class Record(dict[str, Any]):
    """A dict that templates read by attribute (`paper.title`) directly.

    Jinja2 tries an attribute before an item, and a failed attribute lookup costs an exception:
    with tens of thousands of papers that was a large share of rendering.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.__dict__ = self


class TemplateUnreadable(jinja2.TemplateError):
    """A template file that is not UTF-8: the problem names its file and the line of the first bad byte."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


class _TemplateFolder(jinja2.FileSystemLoader):
    """Jinja2's loader of a folder, whose file that is not UTF-8 is a template problem, not a crash."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as error:
            path = Path(self.searchpath[0]) / template
            raise TemplateUnreadable(not_utf8(_template_path(str(path)), path.read_bytes(), error)) from None


def template_loader(root: Path) -> jinja2.BaseLoader:
    """Prefer the survey's own `site_templates/`, fall back to the packaged ones."""
    folders = [root / "site_templates", packaged_folder()]
    return jinja2.ChoiceLoader([_TemplateFolder(str(f)) for f in folders if f.is_dir()])


def templates_stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Return every template file with its size and modification time: a changed template changes it."""
    found = []
    for folder in (root / "site_templates", packaged_folder()):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                status = path.stat()
                found.append((str(path), status.st_size, status.st_mtime_ns))
    return tuple(found)


# An environment compiles each template once; `survey serve` keeps it between builds, and Jinja2
# compiles a template again when its file changes.
_ENVIRONMENTS: cache.Memo[tuple[Path, SiteSettings, tuple[str, ...]], jinja2.Environment] = cache.memo(limit=4)


def environment(root: Path, settings: SiteSettings | None = None) -> jinja2.Environment:
    """Return the Jinja2 environment: autoescaping on, undefined names an error.

    The site's settings (read from the survey's mkdocs.yml unless given) are the global
    `settings`; links between pages follow its `use_directory_urls`.
    """
    settings = settings if settings is not None else read_settings(root)
    own = root / "site_templates"
    # A template added to the survey's own folder hides a packaged one: that is a new environment.
    names = tuple(sorted(p.relative_to(own).as_posix() for p in own.rglob("*"))) if own.is_dir() else ()
    return _ENVIRONMENTS.get((root, settings, names), _environment, root, settings)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Return Jinja2's store of compiled templates, in a temporary folder only this user may use
    (a fresh process compiled every template again: 0.2 s); None where no such folder is safe."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (RuntimeError, OSError):
        return None


# MarkupSafe's own escaping of a value (3.0 and later): C code behind two Python calls.
_ESCAPE_INNER: Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)
_NEW_STR = str.__new__


def _escape(value: Any) -> Markup:
    """Return `markupsafe.escape(value)`, for text and whole numbers without its two Python calls.

    A page's every shown value is escaped: a million times at 10,000 papers, where MarkupSafe's
    `escape` and `Markup()` took a third of a second.
    """
    if type(value) is str and _ESCAPE_INNER is not None:
        return _NEW_STR(Markup, _ESCAPE_INNER(value))
    if type(value) is int:  # a year, a count: digits and a sign need no escaping
        return _NEW_STR(Markup, str(value))
    return markupsafe.escape(value)


class _Template(jinja2.Template):
    """A template whose shown values are escaped by `_escape`: the same text, sooner."""

    @classmethod
    def from_code(cls, environment: jinja2.Environment, code: CodeType, globals: MutableMapping[str, Any], uptodate: Callable[[], bool] | None = None) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        # The compiled template calls the `escape` of its own module's namespace.
        template.root_render_func.__globals__["escape"] = _escape
        return template


def _environment(root: Path, settings: SiteSettings) -> jinja2.Environment:
    env = jinja2.Environment(
        bytecode_cache=_bytecode_cache(),
        loader=template_loader(root),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.template_class = _Template
    urls = settings.directory_urls
    env.filters.update(
        md=md,
        md_paragraphs=md_paragraphs,
        fence=fence,
        count=count,
        data_url=data_url,
        pre=pre,
        rel=relative,
        url_rel=functools.partial(url_relative, directory_urls=urls),
        page_url=functools.partial(page_url, directory_urls=urls),
        front_matter=front_matter_text,
    )
    env.globals["settings"] = settings
    return env


# What a template may do that reads a record as a whole, not field by field: then no list of
# the fields it reads can be given (see `template_fields`).
_WHOLE_FILTERS = frozenset({"attr", "dictsort", "items", "list", "pprint", "string", "tojson", "xmlattr"})
_WHOLE_METHODS = frozenset({"items", "keys", "values", "get", "__dict__", "__getitem__"})
# The fields each template was found to read, with the template objects it was worked out from.
FIELDS_KEPT = 64
_FIELDS: dict[tuple[int, str], tuple[tuple[jinja2.Template, ...], frozenset[str] | None]] = {}


def template_fields(env: jinja2.Environment, name: str) -> frozenset[str] | None:
    """Return every name a template, with the templates it imports or includes, may read a field by.

    Attribute names (`paper.title`), constant subscripts (`paper["title"]`) and every constant
    string (`map(attribute="name")`) count, so the set holds more than the fields read, never
    fewer. None when the template reads fields by a name worked out as it renders, reads a record
    whole (`tojson`, `.items()`), or names a template by a variable: then it may read anything.
    """
    known = _FIELDS.get((id(env), name))
    if known is not None and all(_unchanged(env, t) for t in known[0]):
        return known[1]
    names: set[str] = set()
    done: list[jinja2.Template] = []
    waiting = [name]
    found: frozenset[str] | None = None
    while waiting:
        current = waiting.pop()
        if any(t.name == current for t in done):
            continue
        try:
            done.append(env.get_template(current))
            tree = env.parse(env.loader.get_source(env, current)[0]) if env.loader else None
        except jinja2.TemplateNotFound:
            tree = None  # rendering says which template includes it, and where
        except jinja2.TemplateError as error:
            raise template_problem(error) from None
        if tree is None or not _read_fields(tree, names, waiting):
            break
    else:
        found = frozenset(names)
    if len(_FIELDS) >= FIELDS_KEPT:
        _FIELDS.clear()
    _FIELDS[(id(env), name)] = (tuple(done), found)
    return found


def _unchanged(env: jinja2.Environment, template: jinja2.Template) -> bool:
    """Tell whether a template is still the one the environment loads (its file is unchanged)."""
    if not template.name:
        return True
    try:
        return env.get_template(template.name) is template
    except jinja2.TemplateNotFound:
        return False
    except jinja2.TemplateError as error:
        raise template_problem(error) from None


def _read_fields(tree: jinja2.nodes.Template, names: set[str], templates: list[str]) -> bool:
    """Add the names a parsed template reads fields by, and the templates it uses; False when it may read anything."""
    nodes = jinja2.nodes
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Const, nodes.Filter, nodes.Keyword, nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        if isinstance(node, nodes.Getattr):
            if node.attr in _WHOLE_METHODS:
                return False
            names.add(node.attr)
        elif isinstance(node, nodes.Getitem):
            if not isinstance(node.arg, nodes.Const | nodes.Slice):
                return False
        elif isinstance(node, nodes.Const):
            if isinstance(node.value, str):
                names.add(node.value)
        elif isinstance(node, nodes.Filter):
            if node.name in _WHOLE_FILTERS:
                return False
        elif isinstance(node, nodes.Keyword):
            if node.key == "attribute" and not isinstance(node.value, nodes.Const):
                return False
        elif isinstance(node, nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends):
            if not (isinstance(node.template, nodes.Const) and isinstance(node.template.value, str)):
                return False
            templates.append(node.template.value)
    return True


def render(env: jinja2.Environment, template: str, context: Mapping[str, Any]) -> str:
    """Render one template to text; a template that cannot be read or rendered is a problem of the
    survey's input (its own `site_templates/`), named by file and line (see `template_problem`)."""
    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateError as error:
        raise template_problem(error) from None


def template_problem(error: jinja2.TemplateError) -> Exception:
    """Return a template's error as an input problem: the template's file and line, and why."""
    if isinstance(error, TemplateUnreadable):
        return InputError([error.problem])
    if isinstance(error, jinja2.TemplateSyntaxError):
        where, line, why = error.filename or error.name or "", error.lineno, f"template syntax error: {error.message}"
    else:
        # Jinja2 gives each rendered template line a frame of its own in the traceback.
        frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename.endswith(".j2")]
        where, line = (frames[-1].filename, frames[-1].lineno or 0) if frames else ("", 0)
        message = f"no template named {error.name!r}" if isinstance(error, jinja2.TemplateNotFound) else error.message or type(error).__name__
        missing = re.search(r"has no attribute '(.+)'$", message)
        why = f"the template could not be rendered: {f'no field {missing.group(1)!r} here' if missing else message}"
    return InputError([Problem(_template_path(where), line or 0, "", why)])


def _template_path(filename: str) -> str:
    """Return a template's file as the curator knows it: `site_templates/authors.md.j2`."""
    parts = Path(filename).parts
    if TEMPLATES not in parts:
        return filename or TEMPLATES
    last = len(parts) - 1 - parts[::-1].index(TEMPLATES)
    return "/".join(parts[last:])


def asset_files(root: Path) -> dict[str, bytes]:
    """Return the static assets (CSS, script, icon) to copy into the docs folder.

    File by file, as templates are: a survey's own `site_templates/assets/favicon.svg` replaces
    the packaged icon and leaves the packaged stylesheet and script, which mkdocs.yml loads.
    """
    files: dict[str, bytes] = {}
    for folder in (packaged_folder("assets"), root / "site_templates" / "assets"):
        if folder.is_dir():
            files.update({f"assets/{p.name}": p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()})
    return dict(sorted(files.items()))
