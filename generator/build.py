"""The build, as a recipe: load, validate, analyse, render, write, then MkDocs."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import gc
import importlib.util
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import cache, workers
from .load import (
    keep_parsed,
    load_overrides,
    load_papers,
    load_published,
    paper_file_count,
    parsed,
    sections_complete,
    unread_papers,
    unread_sections,
)
from .models import InputError, Overrides, Paper, Problem, Survey
from .progress import Progress
from .project import Project
from .reuse import Reuse
from .validate import duplicates, validate
from .write import FileData, WriteReport, replace_folder, staging, write_docs

if TYPE_CHECKING:
    from .features import Features
    from .indexes import AuthorIndex
    from .keywords import Kept
    from .pages import Prepared
    from .words import Reader

# From this many papers, rendering is shared between the machine's cores (see workers.py);
# below, forking costs more than it saves.
PARALLEL_FROM = 1000
# From this many papers, related papers are found by a forked copy while this process groups the
# sections and picks keywords; below, the copy's start and reply cost about what it saves.
RELATED_ASIDE_FROM = 3000
# New objects between two runs of the cycle collector while a survey is built (Python's default is 700).
GC_THRESHOLD = 100_000


class SiteError(Exception):
    """MkDocs could not build the site; the message is MkDocs' own."""


@dataclass(frozen=True, slots=True)
class Generated:
    """What `generate` made: the analysed survey, its warnings, what was written, and the overrides it followed."""

    survey: Survey
    warnings: tuple[Problem, ...]
    report: WriteReport
    overrides: Overrides = Overrides()


def errors(problems: Sequence[Problem]) -> list[Problem]:
    """Return only the problems that fail a build."""
    return [p for p in problems if p.severity == "error"]


def check(project: Project) -> tuple[list[Paper], Overrides, list[Problem]]:
    """Load and validate all content; return the papers, overrides and every problem."""
    papers, overrides, problems, repeated = _checked(project)
    return papers, overrides, in_order(problems + repeated())


def _checked(project: Project) -> tuple[list[Paper], Overrides, list[Problem], Callable[[], list[Problem]]]:
    """Load and validate all content but for duplicates; return the papers, overrides and those
    problems, and what finds the duplicates: the costly check, which a build does meanwhile."""
    papers, problems, raws = load_papers(project.content, project.root)
    # A paper file with an error is still there: the overrides and released keys may name it,
    # and its `section:` is checked with the others.
    unread = unread_papers(problems, project.content, project.root)
    sections = unread_sections(raws, problems)
    overrides, found = load_overrides(project.content, project.root)
    problems += found
    published = load_published(project.content, project.root)
    problems += validate(papers, overrides, published, unread, sections, sections_complete(overrides, found))
    problems += project.warnings
    return papers, overrides, problems, functools.partial(duplicates, papers, published, raws)


def in_order(problems: Sequence[Problem]) -> list[Problem]:
    """Return the problems as they are printed: by file, line and field."""
    return sorted(problems, key=lambda p: (p.path, p.line, p.field, _in_number_order(p.message)))


def _in_number_order(text: str) -> list[str | int]:
    """Return a message as it sorts for a reader: "item 9" before "item 12"."""
    return [int(part) if part.isascii() and part.isdigit() else part for part in re.split(r"([0-9]+)", text)]


@dataclass(frozen=True, slots=True)
class Ahead:
    """What the copy that read the content went on to work out while this process imported.

    Each part is None when this process had finished importing before the copy came to it.
    """

    reader: Reader | None = None  # the papers' texts read into words (see words.read_ahead)
    features: Features | None = None
    keywords: dict[str, tuple[str, ...]] | None = None
    related: dict[str, tuple[str, ...]] | None = None
    authors: AuthorIndex | None = None  # the author index, which the pages' preparing copy then finds made
    kept: Kept | None = None  # the paper keywords with the rows they came from, for a process that builds again


def _read(project: Project, wanted: Callable[[], bool], keep: bool = False) -> tuple[tuple[list[Paper], Overrides, list[Problem], Callable[[], list[Problem]]], list[Any], Ahead]:
    """Return what `_checked` returns, the paper files parsed, for this process to keep, and
    what of the analysis could be done while `wanted()` (see `_ahead`)."""
    checked = _checked(project)
    papers, overrides, problems, _ = checked
    if errors(problems) or not wanted():
        return checked, parsed(), Ahead()
    return checked, parsed(), _ahead(included(papers, overrides), overrides, wanted, keep)


def _ahead(shown: tuple[Paper, ...], overrides: Overrides, wanted: Callable[[], bool], keep: bool = False) -> Ahead:
    """Work out the survey's features, then each paper's keywords, its related papers and the
    author index, for as long as `wanted()`. None of this needs scikit-learn, which this process
    is importing meanwhile. (Preparing the BibTeX here too was slower: its modules were imported
    twice.)"""
    from .features import featurize
    from .indexes import author_index
    from .keywords import kept as keywords_kept
    from .keywords import paper_keywords
    from .related import related_papers
    from .words import adopt, read_ahead

    reader = read_ahead(shown, wanted)
    if not wanted():
        return Ahead(reader)
    adopt(reader)
    features = featurize(shown, overrides.stop_words, overrides.keywords())
    if not wanted():
        return Ahead(reader, features)
    keywords, kept = paper_keywords(features, keep=keep), keywords_kept()
    if not wanted():
        return Ahead(reader, features, keywords, kept=kept)
    related = related_papers(features)
    if not wanted():
        return Ahead(reader, features, keywords, related, kept=kept)
    return Ahead(reader, features, keywords, related, author_index(shown), kept)


# An unchanged survey (the same papers and overrides) is analysed once per process.
_ANALYSED: cache.Memo[tuple[tuple[Paper, ...], Overrides], Survey] = cache.memo(limit=4)


def analyse(papers: Sequence[Paper], overrides: Overrides, progress: Progress | None = None) -> Survey:
    """Featurize, group into sections, and find keywords, related papers and map positions."""
    with analysing(papers, overrides, progress) as (_, whole):
        return whole()


@contextlib.contextmanager
def analysing(
    papers: Sequence[Paper], overrides: Overrides, progress: Progress | None = None, ahead: Ahead = Ahead(), keep: bool = False
) -> Iterator[tuple[Survey, workers.Pending[Survey]]]:
    """Analyse the survey as `analyse` does, but yield it before its map is drawn.

    Yields the survey without map positions, and the pending whole survey: a large survey's map
    is drawn by a forked copy, and only the home page needs it (see pages.page_files). What a
    copy worked out `ahead` for these papers is not worked out again.
    """
    progress = progress or Progress()
    shown = included(papers, overrides)
    known = _ANALYSED.recall((shown, overrides))
    if known is not None:
        yield dataclasses.replace(known, coordinates={}), workers.Pending(lambda: known)
        return
    if ahead.features is not None and ahead.features.keys != tuple(p.key for p in shown):
        ahead = Ahead()
    with _analysing(shown, overrides, progress, ahead, keep) as (survey, drawn):

        def whole() -> Survey:
            with progress.stage("layout"):
                coordinates = drawn()
            return _ANALYSED.get((shown, overrides), functools.partial(dataclasses.replace, survey, coordinates=coordinates))

        yield survey, workers.Pending(functools.cache(whole), drawn.done)


def included(papers: Sequence[Paper], overrides: Overrides) -> tuple[Paper, ...]:
    """Return the papers the survey shows: all but those the curator excluded."""
    return tuple(p for p in papers if p.key not in overrides.exclude)


@contextlib.contextmanager
def _analysing(
    included: tuple[Paper, ...], overrides: Overrides, progress: Progress, ahead: Ahead, keep: bool
) -> Iterator[tuple[Survey, workers.Pending[dict[str, tuple[float, float]]]]]:
    # The analysis stages pull in scikit-learn and SciPy: `survey check` never loads them.
    from .features import featurize
    from .keywords import paper_keywords
    from .layout import drawing
    from .related import related_papers
    from .sections import assign_sections

    with progress.stage("featurize"):
        features = featurize(included, overrides.stop_words, overrides.keywords()) if ahead.features is None else ahead.features
    # Related papers need only the features: a large survey's are found by a forked copy
    # meanwhile; "related" is then the time left to wait for them.
    aside = processes(len(included)) if len(included) >= RELATED_ASIDE_FROM and ahead.related is None else 1
    with workers.aside(related_papers, features, processes=aside) as finding:
        with progress.stage("sections"):
            sections, placements = assign_sections(included, features, overrides)
        # A large survey's map is drawn by a forked copy while keywords are found here, and
        # pages rendered; "layout" is then the time left to wait for it.
        with drawing(features, sections, processes(len(included))) as drawn:
            with progress.stage("keywords"):
                keywords = paper_keywords(features, keep=keep) if ahead.keywords is None else ahead.keywords
            with progress.stage("related"):
                related = finding() if ahead.related is None else ahead.related
            del features  # pages are rendered meanwhile: the memory is theirs
            yield Survey(papers=included, sections=tuple(sections), paper_keywords=keywords, related=related, placements=tuple(placements)), drawn


def processes(papers: int) -> int:
    """Return how many processes share the work on a survey of this many papers."""
    return workers.available() if papers >= PARALLEL_FROM else 1


# Whether this process has imported the analysis and page modules (a build before this one did).
_IMPORTED = False


def _import_stages() -> None:
    """Import the analysis and page modules (NumPy, SciPy's sparse matrices, Jinja2), so their start-up is timed apart."""
    global _IMPORTED
    _defer_unused_numpy_modules()
    from . import features, keywords, layout, pages, related, render, sections  # noqa: F401

    _IMPORTED = True


# NumPy's submodules that `survey` never uses, but that importing SciPy's sparse matrices loads.
UNUSED_NUMPY_MODULES = ("f2py", "testing")


def _defer_unused_numpy_modules() -> None:
    """Have NumPy's f2py and testing load only if used (Python's LazyLoader).

    SciPy's sparse matrices, on import, look up every name NumPy has (its vendored
    array-api-compat copies NumPy's namespace), and the lookup loads each submodule NumPy itself
    loads only when asked for: f2py's Fortran parser and the testing tools, 0.04 s of every
    build's start. A module so deferred loads at its first use, as it would have.
    """
    import numpy

    for name in UNUSED_NUMPY_MODULES:
        full = f"numpy.{name}"
        spec = importlib.util.find_spec(full) if full not in sys.modules else None
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            continue
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[full] = module
        setattr(numpy, name, module)  # what `import numpy.f2py` and `numpy.f2py` then find
        spec.loader.exec_module(module)


def _grouped_automatically(project: Project) -> bool:
    """Tell whether the survey's sections are found automatically: the curator defined none."""
    overrides, problems = load_overrides(project.content, project.root)
    return not overrides.sections and not errors(problems)


def _render(project: Project, survey: Survey, whole: workers.Pending[Survey], overrides: Overrides, staging: Path, prepared: Prepared, reuse: Reuse) -> dict[str, FileData]:
    """Return every file of the docs folder: the rendered pages, made in `staging`, and the packaged assets."""
    from .pages import page_files
    from .render import asset_files, environment

    made = page_files(environment(project.root, project.settings), survey, overrides, processes=processes(len(survey.papers)), into=staging, prepared=prepared, reuse=reuse, whole=whole)
    return {**dict(made), **asset_files(project.root)}


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run Python's cycle collector less often while the survey is built.

    The collector looks at every live object each time enough new ones were made: with a
    large survey's millions of long-lived records that was a fifth of rendering.
    """
    before = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def generate(project: Project, progress: Progress | None = None, *, serving: bool = False) -> Generated:
    """Write the Markdown pages, BibTeX and JSON into the docs folder.

    `serving` says that more builds follow in this process (`survey serve`): the pages made are
    remembered, so that the next build keeps those whose inputs did not change (see reuse.py).
    A process's later builds always remember.
    """
    with fewer_collections():
        return _generate(project, progress or Progress(), serving)


def _generate(project: Project, progress: Progress, serving: bool) -> Generated:
    cache.next_build()
    # Automatic sections are grouped with scikit-learn, whose import takes over half a second:
    # a process's first build of such a survey imports it while a forked copy reads a large
    # survey's content. A curated survey needs no scikit-learn, and its content is read here at
    # once: a copy would only add the time to send the papers back. Later builds (`survey
    # serve`) find the libraries imported.
    again = _IMPORTED
    grouping = not again and _grouped_automatically(project)
    readers = processes(paper_file_count(project.content)) if grouping else 1
    remember = again or serving
    # Once the content is read, the copy goes on with the work that needs no scikit-learn for as
    # long as this process still imports it (see `_ahead`).
    importing = workers.shared_flag()
    with workers.aside(_read, project, lambda: bool(importing.value), remember, processes=readers) as read:
        with progress.stage("imports"):
            _import_stages()
            if grouping:
                from .sections import import_clustering

                import_clustering()
        importing.value = False
        with progress.stage("load"):
            (papers, overrides, problems, repeated), files, ahead = read()
            keep_parsed(files)
            if ahead.reader is not None:
                from .words import adopt

                adopt(ahead.reader)
            if ahead.kept is not None:
                from .keywords import adopt as adopt_keywords

                adopt_keywords(ahead.kept)
    if errors(problems):  # the duplicates too: every problem is told in one round
        raise InputError(errors(in_order(problems + repeated())))
    if not papers:
        raise InputError([Problem(f"{project.content.name}/papers", 0, "", "the survey has no papers yet: add one with `survey add`")])
    from .indexes import author_index_known, remember_author_index
    from .pages import prepare
    from .render import templates_stamp

    shown = included(papers, overrides)
    if ahead.authors is not None:
        remember_author_index(shown, ahead.authors)  # the copy that prepares the pages finds it made
    # A process that builds again (`survey serve`) keeps the pages whose inputs did not change;
    # a single build remembers nothing, so its memory is free for MkDocs.
    reuse = Reuse(project.docs, templates_stamp(project.root), remember=remember)
    with staging(project.docs) as folder:
        # What the pages show of each paper alone (its BibTeX, the author index, the CSL-JSON
        # bibliography) is made by a forked copy while this process analyses the survey. A later
        # build (`survey serve`) makes it here, where it kept the last build's of every paper,
        # unless the author index must be made again (an author, title or year changed: a second
        # at 10,000 papers).
        aside = 1 if again and author_index_known(shown) else processes(len(shown))
        # Duplicates are looked for meanwhile by a copy (a third of a second at 10,000 papers),
        # and the pages are written only if there are none; a later build (`survey serve`)
        # looks for them here, where it remembers them.
        looking = 1 if again else processes(len(shown))
        with (
            workers.aside(repeated, processes=looking) as found,
            workers.aside(prepare, shown, folder, again, processes=aside) as prepared,
            analysing(papers, overrides, progress, ahead, remember) as (survey, whole),
        ):
            with progress.stage("render"):
                made = _render(project, survey, whole, overrides, folder, prepared(), reuse)
            survey = whole()
            with progress.stage("duplicates"):
                problems = in_order(problems + found())
        if errors(problems):
            raise InputError(errors(problems))
        with progress.stage("write"):
            report = write_docs(project.docs, made)
    reuse.commit()
    return Generated(survey, tuple(problems), report, overrides)


class _Collector(logging.Handler):
    """Keep the warnings and errors MkDocs logs during a build."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname}: {record.getMessage()}")


def build_date(papers: Sequence[Paper]) -> int:
    """Return the survey's date for reproducible builds: the day its newest paper was added."""
    days = [p.added for p in papers if p.added]
    newest = max(days) if days else datetime.date(2000, 1, 1)
    return int(datetime.datetime(newest.year, newest.month, newest.day, tzinfo=datetime.UTC).timestamp())


def build_site(project: Project, survey: Survey, *, strict: bool = True) -> None:
    """Run MkDocs into a fresh folder and swap it in for `site/` only when it succeeded."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    def fill(folder: Path) -> None:
        # MkDocs logs the reason for a failure and raises a bare "Aborted"; keep the reason.
        reasons = _Collector()
        logger = logging.getLogger("mkdocs")
        logger.setLevel(logging.WARNING)
        logger.addHandler(reasons)
        try:
            config = load_config(config_file=str(project.config_file), site_dir=str(folder), strict=strict)
            mkdocs_build(config)
        except MkDocsException as error:
            raise SiteError("\n".join([*reasons.messages, str(error)])) from None
        except SystemExit as error:  # MkDocs' strict mode aborts this way
            raise SiteError("\n".join([*reasons.messages, f"MkDocs stopped: {error}"])) from None
        finally:
            logger.removeHandler(reasons)

    with source_date(survey.papers):
        replace_folder(project.site, fill)


@contextlib.contextmanager
def source_date(papers: Sequence[Paper]) -> Iterator[None]:
    """Date MkDocs' sitemap and its gzip by the survey, not the clock (SOURCE_DATE_EPOCH), unless
    the user set that date; afterwards the environment is as it was, so that a later build in
    this process is dated by its own survey."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = str(build_date(papers))
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
