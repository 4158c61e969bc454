"""The `survey` command: init, build, generate, check, add, import, diff, themes, release, serve."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import errno
import io
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

# Only light modules load here, so that `survey check` and `--help` start at once;
# commands import BibTeX, Jinja2, scikit-learn and MkDocs when they need them.
from . import __version__
from .build import Generated, InputError, SiteError, analyse, build_site, check, errors, generate
from .content import paper_yaml
from .diff import diff_surveys
from .importer import Candidate, plan_import
from .listing import merge, parse_listing, parse_metadata
from .load import (
    PAPERS_DIR,
    PUBLISHED_FILE,
    load_published,
    not_utf8,
    published_text,
)
from .models import Overrides, Paper, Problem, papers_in_sections, visible
from .progress import Progress
from .project import Project, ProjectError, open_project
from .validate import key_style, unknown_section
from .write import write_atomic

EXIT_OK, EXIT_PROBLEMS, EXIT_BUG = 0, 1, 2


def _say(text: str = "") -> None:
    print(text, flush=True)


# What GitHub's toolkit escapes in an annotation's message, and also in a property, which "," and ":" end.
_DATA = {"%": "%25", "\r": "%0D", "\n": "%0A"}
_PROPERTY = {**_DATA, ":": "%3A", ",": "%2C"}


def _escaped(text: str, table: dict[str, str]) -> str:
    return "".join(table.get(char, char) for char in text)


def _report(problems: Sequence[Problem], fmt: str = "text") -> None:
    """Print problems, errors before warnings, as text or as GitHub Actions annotations."""
    for problem in sorted(problems, key=lambda p: p.severity != "error"):
        if fmt == "github":
            level = "error" if problem.severity == "error" else "warning"
            text = f"field '{problem.field}': {problem.message}" if problem.field else problem.message
            line = f",line={problem.line}" if problem.line else ""
            print(f"::{level} file={_escaped(visible(problem.path), _PROPERTY)}{line},title=survey check::{_escaped(visible(text), _DATA)}", flush=True)
        else:
            print(problem, file=sys.stderr, flush=True)


def _valid_content(project: Project) -> tuple[list[Paper], Overrides]:
    """Load the content, stopping with every error if it has any."""
    papers, overrides, problems = check(project)
    if errors(problems):
        raise InputError(errors(problems))
    return papers, overrides


def _summary(generated_count: int, sections: int, report_written: int, unchanged: int) -> str:
    return f"{papers_in_sections(generated_count, sections)}; {report_written} files written, {unchanged} unchanged"


def _progress(args: argparse.Namespace) -> Progress:
    """Return the progress display: a status line on a terminal, stage timings with -v."""
    return Progress(sys.stderr, verbose=args.verbose)


def cmd_generate(args: argparse.Namespace) -> int:
    """Write the pages, BibTeX and JSON into the docs folder."""
    project = open_project(args.root)
    progress = _progress(args)
    result = generate(project, progress)
    progress.finish()
    _report(result.warnings)
    _notes(result)
    _say(_summary(len(result.survey.papers), len(result.survey.sections), len(result.report.written), result.report.unchanged))
    return EXIT_OK


def _notes(result: Generated) -> None:
    """Tell the curator where the unpinned papers went and what the grouping could not do."""
    from .themes import build_notes

    for note in build_notes(result.survey, result.overrides):
        _say(note)


def cmd_build(args: argparse.Namespace) -> int:
    """Generate, then build the site with MkDocs."""
    project = open_project(args.root)
    progress = _progress(args)
    result = generate(project, progress)
    _report(result.warnings)
    _notes(result)
    _say(_summary(len(result.survey.papers), len(result.survey.sections), len(result.report.written), result.report.unchanged))
    with progress.stage("mkdocs build"):
        build_site(project, result.survey, strict=not args.no_strict)
    progress.finish()
    _say(f"site built in {project.site.relative_to(project.root)}/")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Validate content/ and report every problem."""
    project = open_project(args.root)
    papers, _, problems = check(project)
    if args.strict:
        problems = [dataclasses.replace(p, severity="error") for p in problems]
    _report(problems, args.format)
    failing = errors(problems)
    if failing:
        print(f"{len(failing)} problem(s) in {len({p.path for p in failing})} file(s).", file=sys.stderr)
        return EXIT_PROBLEMS
    warnings = len(problems) - len(errors(problems))
    _say(f"{len(papers)} papers checked: no errors" + (f", {warnings} warning(s)" if warnings else "") + ".")
    return EXIT_OK


# The start of a BibTeX file: an entry such as "@article{", after blank lines and % comments.
BIBTEX_START = re.compile(r"\A(?:[ \t]*(?:%[^\n]*)?\n)*[ \t]*@[A-Za-z]+[ \t]*[{(]")


# How each input gives one author, said when an author's name holds several.
FLAG_AUTHORS = "repeat --authors, one name each"
BIBTEX_AUTHORS = "separate the names with ' and '"
BIBTEX_ORGANISATION = "an organisation goes in braces: {Bill and Melinda Gates Foundation}"
METADATA_AUTHORS = "give one name per item of the metadata's 'authors' list"


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ProjectError([Problem(str(path), 0, "", f"cannot read file: {error.strerror}")]) from None
    return _decoded(data, str(path))


def _read_stdin() -> str:
    """Return what was piped in, as UTF-8: the terminal's own decoding dropped a Latin-1 byte silently."""
    return _decoded(sys.stdin.buffer.read(), "<stdin>")


def _decoded(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ProjectError([not_utf8(shown, data, error)]) from None


def _listing_candidates(source: Path, text: str, metadata: str | None) -> tuple[list[Candidate], list[Problem]]:
    listed, problems = parse_listing(text, str(source))
    rows: dict = {}
    if metadata and listed:  # the wrong file has its one error, not a warning per line of facts
        rows, found = parse_metadata(_read_text(Path(metadata)), metadata)
        problems += found
    candidates = []
    for paper in listed:
        fields, found = merge(paper, rows.get(paper.n), metadata or "")
        problems += found
        candidates.append(Candidate(str(source), fields, paper.line, one_author=METADATA_AUTHORS))
    for n in sorted(set(rows) - {paper.n for paper in listed}):
        problems.append(Problem(metadata or "", rows[n]["_line"], "n", f"entry {n} is not in the listing ({len(listed)} papers); its facts are not used", "warning"))
    return candidates, problems


def _bibtex_candidates(source: Path, text: str) -> tuple[list[Candidate], list[Problem]]:
    from .bibimport import read_bibtex

    entries, problems = read_bibtex(text, str(source))
    candidates = []
    for entry in entries:
        fields = {k: v for k, v in entry.items() if k != "key"}
        candidates.append(Candidate(f"{source} (entry '{entry['key']}')", fields, 0, str(entry["key"]), BIBTEX_AUTHORS, BIBTEX_ORGANISATION))
    return candidates, problems


def cmd_import(args: argparse.Namespace) -> int:
    """Add papers from a listing or a .bib file; report duplicates instead of adding them."""
    project = open_project(args.root)
    source = Path(args.file)
    text = _read_text(source)
    # A .bib file, or BibTeX under another name (refs.txt): read as a listing, its lines became papers.
    bib = source.suffix.lower() == ".bib" or BIBTEX_START.match(text) is not None
    candidates, problems = _bibtex_candidates(source, text) if bib else _listing_candidates(source, text, args.metadata)
    if not candidates and not errors(problems):  # most likely the wrong file
        expected = "BibTeX entries (an entry starts with @article{, @inproceedings{ …)" if bib else "papers (a listing is a title line, then its abstract line)"
        problems.append(Problem(str(source), 0, "", f"expected {expected}, found none"))
    existing, _ = _valid_content(project)
    plan = plan_import(candidates, existing, args.added)
    _report(problems + plan.problems)
    for duplicate in plan.duplicates:
        _say(f"{duplicate.new}: skipped, duplicate of {duplicate.existing} ({duplicate.reason})")
    # An import with an error adds nothing, as `add` does: a file misread as papers (an arXiv
    # page saved as text) would otherwise leave a folder of junk papers to delete by hand.
    failed = errors(problems + plan.problems)
    if failed:
        done = "would be" if args.dry_run else "was"
        _say(f"nothing {done} added: fix the {len(failed)} error(s) above and import again ({len(plan.new)} paper(s) would be added)")
        return EXIT_PROBLEMS
    folder = project.content / PAPERS_DIR
    for key, fields in plan.new:
        path = folder / f"{key}.yaml"
        if not args.dry_run:
            write_atomic(path, paper_yaml(fields).encode("utf-8"))
        was = f" (entry '{plan.renamed[key]}': cite it as {key})" if key in plan.renamed else ""
        _say(f"{'would add' if args.dry_run else 'added'} {path.relative_to(project.root)}{was}")
    verb = "would add" if args.dry_run else "added"
    _say(f"{verb} {len(plan.new)} paper(s), skipped {len(plan.duplicates)} duplicate(s)")
    return EXIT_OK


def _add_fields(args: argparse.Namespace) -> tuple[dict, str | None, list[Problem]]:
    """Collect a new paper's fields from --bibtex, --fetch and the flags (flags win), with the
    warnings reading them gave."""
    from .arxiv import FetchError
    from .arxiv import fetch as fetch_arxiv
    from .bibimport import read_bibtex

    fields: dict = {}
    key = None
    warnings: list[Problem] = []
    if args.bibtex:
        name = "<stdin>" if args.bibtex == "-" else args.bibtex
        text = _read_stdin() if args.bibtex == "-" else _read_text(Path(args.bibtex))
        entries, problems = read_bibtex(text, name)
        if errors(problems):
            raise InputError(errors(problems))
        if not entries:
            raise InputError([Problem(name, 0, "", "expected one BibTeX entry, found none (an entry starts with @article{, @inproceedings{ …)")])
        if len(entries) > 1:
            raise InputError([Problem(name, 0, "", f"expected one BibTeX entry, found {len(entries)}: use `survey import` for several")])
        key = str(entries[0]["key"])
        fields = {k: v for k, v in entries[0].items() if k != "key"}
        warnings = problems
    elif args.fetch:
        if not args.arxiv:
            raise InputError([Problem("survey add", 0, "arxiv", "--fetch needs --arxiv ID")])
        try:
            fields = fetch_arxiv(args.arxiv)
        except FetchError as error:
            raise InputError([Problem("survey add --fetch", 0, "arxiv", str(error))]) from None
    given = {
        "title": args.title, "authors": args.authors, "year": args.year, "abstract": args.abstract,
        "arxiv": args.arxiv, "doi": args.doi, "venue": args.venue, "url": args.url, "code": args.code,
        "section": args.section, "tags": args.tags,
    }
    fields.update({k: v for k, v in given.items() if v not in (None, [], "")})
    return fields, key, warnings


def cmd_add(args: argparse.Namespace) -> int:
    """Write one new paper file with a generated key; refuse duplicates."""
    project = open_project(args.root)
    fields, key, warnings = _add_fields(args)
    existing, overrides = _valid_content(project)
    section = fields.get("section")
    known = [spec.id for spec in overrides.sections]
    problems = list(warnings)
    if section and section not in known:
        problems.append(Problem("survey add", 0, "section", unknown_section(section, known)))
    if args.bibtex and not args.authors:
        candidate = Candidate("survey add", fields, 0, key, BIBTEX_AUTHORS, BIBTEX_ORGANISATION)
    else:  # a name typed with --authors that holds " and " is two names typed as one
        candidate = Candidate("survey add", fields, 0, key, FLAG_AUTHORS, two_authors="error" if args.authors else "warning")
    plan = plan_import([candidate], existing, args.added)
    for duplicate in plan.duplicates:
        print(f"refused: this paper is already in the survey as {duplicate.existing} ({duplicate.reason})", file=sys.stderr)
    problems += plan.problems
    if errors(problems):  # every problem of the paper at once, as `survey check` gives them
        raise InputError(problems)
    _report([p for p in problems if p.severity != "error"])  # a key taken by another paper, a field not kept
    if not plan.new:
        return EXIT_PROBLEMS
    key, fields = plan.new[0]
    path = project.content / PAPERS_DIR / f"{key}.yaml"
    write_atomic(path, paper_yaml(fields).encode("utf-8"))
    _say(f"added {path.relative_to(project.root)} (citation key {key})")
    papers, overrides, _ = check(project)
    survey = analyse(papers, overrides)
    placement = next((p for p in survey.placements if p.key == key), None)
    if placement is not None:
        title = next(s.title for s in survey.sections if s.id == placement.section)
        how = "pinned by its section field" if placement.pinned else f"best fit, similarity {placement.similarity:.2f}"
        _say(f"it will appear in section '{title}' ({placement.section}; {how})")
    return EXIT_OK


def _content_at(project: Project, revision: str, folder: Path) -> Project:
    """Extract content/ as it was at a git revision into a folder."""
    def git(*words: str, failure: str = "") -> bytes:
        result = subprocess.run(["git", "-C", str(project.root), *words], capture_output=True, check=False)
        if result.returncode != 0:
            message = failure or result.stderr.decode("utf-8", "replace").strip() or "git failed"
            raise InputError([Problem("survey diff", 0, "", f"git: {message}")])
        return result.stdout

    git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", failure=f"no commit '{revision}' in this repository (fetch it first, as in `git fetch origin main`)")
    # Run inside the survey folder, git archives paths relative to it.
    listed = git("ls-tree", "--name-only", revision, "--", project.content.name)
    content = folder / project.content.name
    if listed.strip():
        archive = git("archive", "--format=tar", revision, "--", project.content.name)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
    else:  # the revision before the survey had content: every paper is new
        (content / PAPERS_DIR).mkdir(parents=True)
    return Project(folder, folder / "mkdocs.yml", content, folder / "docs", folder / "site")


def cmd_diff(args: argparse.Namespace) -> int:
    """Print, as Markdown, what the working tree changes in the survey against a git revision."""
    from .render import environment, render

    project = open_project(args.root)
    # A paper file that cannot be read would show as removed: the content must check first.
    papers, overrides = _valid_content(project)
    with tempfile.TemporaryDirectory() as temporary:
        base = _content_at(project, args.base, Path(temporary))
        before_papers, before_overrides, _ = check(base)
        before = analyse(before_papers, before_overrides)
    after = analyse(papers, overrides)
    changes = diff_surveys(before, after)
    titles = {s.id: s.title for s in after.sections}
    placed = {p.key: f"{titles[p.section]}" + ("" if p.pinned else f" (best fit, similarity {p.similarity:.2f})") for p in after.placements}
    sys.stdout.write(render(environment(project.root, project.settings), "diff.md.j2", {"base": args.base, "diff": changes, "placed": placed}))
    return EXIT_OK


def cmd_themes(args: argparse.Namespace) -> int:
    """Print the section table: sizes, keywords, weakest members, uncertain placements."""
    from .themes import themes_table

    project = open_project(args.root)
    papers, overrides = _valid_content(project)
    _say(themes_table(analyse(papers, overrides), overrides=overrides).rstrip("\n"))
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    """Start a new survey in the folder: mkdocs.yml, content/papers/, content/overrides.yaml and a CI workflow."""
    from .starter import WORKFLOW, current_install, start_survey

    root = args.root.resolve()
    _report(start_survey(root, args.title, current_install()))
    _say(f"started the survey {args.title!r} in {root}: add papers with `survey add` or `survey import refs.bib`, then `survey build`; {WORKFLOW.as_posix()} checks and builds it on GitHub")
    return EXIT_OK


def cmd_release(args: argparse.Namespace) -> int:
    """Record every current key as published, so that it can never silently change."""
    project = open_project(args.root)
    papers, _ = _valid_content(project)
    path = project.content / PUBLISHED_FILE
    before = {key for _, key in load_published(project.content, project.root)[1]}
    new = sorted({p.key for p in papers} - before)
    _report(key_style(papers, before, releasing=True))
    # The curator's comments and order stay, and the file's line endings and byte order mark;
    # the new keys go at the end. Without a new key the file is left as it is.
    data = path.read_bytes() if path.is_file() else None
    if data is None or new:
        text = _decoded(data, str(path.relative_to(project.root))) if data is not None else None
        newline = "\r\n" if text is not None and "\r\n" in text else "\n"
        written = published_text(new, text.replace("\r\n", "\n") if text is not None else None).replace("\n", newline)
        bom = b"\xef\xbb\xbf" if data is not None and data.startswith(b"\xef\xbb\xbf") else b""
        write_atomic(path, bom + written.encode("utf-8"))
    _say(f"{len(before) + len(new)} published keys in {path.relative_to(project.root)} ({len(new)} new)")
    return EXIT_OK


def _address_problem(address: str, error: OSError | None = None) -> Problem:
    """Return the problem of an address `survey serve` cannot serve on."""
    reason = f"cannot serve on it ({error.strerror})" if error is not None else "expected HOST:PORT, such as 127.0.0.1:8000"
    if error is not None and error.errno == errno.EADDRINUSE:
        reason = "the address is already in use: stop what serves there, or pick another port"
    return Problem("--dev-addr", 0, "dev_addr", f"'{address}': {reason}")


def _check_address(address: str) -> None:
    """Refuse an address that cannot be served on before the pages are generated, not after."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise InputError([_address_problem(address)])
    try:
        family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
            probe.bind((host.strip("[]"), int(port)))
    except OSError as error:
        raise InputError([_address_problem(address, error)]) from None


def cmd_serve(args: argparse.Namespace) -> int:
    """Generate, then serve the site with live reload (content/ is watched too)."""
    from mkdocs.commands.serve import serve

    from .mkdocs_plugin import config_stamp, generated_from, show_timings

    project = open_project(args.root)
    _check_address(args.dev_addr)
    progress = _progress(args)
    stamp = config_stamp(project.config_file)
    try:
        result: Generated | None = generate(project, progress, serving=True)
    except InputError as error:
        # A survey generated before is served as it was while the curator fixes the content
        # (a pull request's branch, say); a first build has nothing to serve.
        if not (project.docs / "survey.json").is_file():
            raise
        _report(error.problems)
        _say("serving the pages of the last good build: fix the problems above, and the pages follow the next save")
        result = None
    generated_from(project.config_file, stamp)
    progress.finish()
    if result is not None:
        _notes(result)
    show_mkdocs_messages()
    if args.verbose:
        show_timings()
    try:
        serve(config_file=str(project.config_file), open_in_browser=False, livereload=True, dev_addr=args.dev_addr)
    except OSError as error:  # taken meanwhile
        raise InputError([_address_problem(args.dev_addr, error)]) from None
    return EXIT_OK


@contextlib.contextmanager
def stopped_as_by_ctrl_c(signum: int) -> Iterator[None]:
    """Let a signal (SIGTERM: `kill`, `docker stop`, a service manager) stop the block as Ctrl-C does.

    Under SIGTERM's default action a build left its forked copies waiting forever and `survey
    serve` left MkDocs' temporary site (133 MB at 10,000 papers) behind; as Ctrl-C, both clean up.
    """

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signum, interrupt)
    try:
        yield
    finally:
        signal.signal(signum, before)


def show_mkdocs_messages(stream: TextIO | None = None) -> logging.Handler:
    """Print what MkDocs and the survey plugin log while serving, as the `mkdocs` command does.

    Without it the address served on and, after an edit, the mistake in a paper file were never
    shown: only MkDocs' "Aborted with 1 errors".
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler


def _date(value: str) -> datetime.date:
    """Read --added as a paper file's `added` field is checked."""
    from .schema import Invalid, added_date

    try:
        return added_date(value)
    except Invalid as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parser() -> argparse.ArgumentParser:
    """Return the command-line parser with every subcommand."""
    main = argparse.ArgumentParser(
        prog="survey",
        description="Turn content/ (one YAML file per paper) into a themed, searchable survey site with BibTeX.",
        epilog="Run commands from the survey's folder (the one holding mkdocs.yml and content/), or pass -C DIR.",
    )
    main.add_argument("--version", action="version", version=f"survey {__version__}")
    main.add_argument("-C", "--root", type=Path, default=Path("."), metavar="DIR", help="the survey folder (default: the current folder)")
    main.add_argument("-v", "--verbose", action="store_true", help="print how long each stage took, and a traceback for internal errors")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], text: str, stopped: str = "nothing was changed") -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=text, description=text)
        # `stopped` ends the count of problems that stopped the command: what it did not do.
        command.set_defaults(handler=handler, stopped=stopped)
        # Also accepted after the command; SUPPRESS keeps a `survey -v COMMAND` from being reset.
        command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="print how long each stage took, and a traceback for internal errors")
        command.add_argument("-C", "--root", type=Path, default=argparse.SUPPRESS, metavar="DIR", help="the survey folder (default: the current folder)")
        return command

    init = add("init", cmd_init, "Start a new survey in the folder: mkdocs.yml, content/papers/ and content/overrides.yaml.")
    init.add_argument("--title", default="A survey", help="the survey's title: the site's name and the home page's heading")
    build = add("build", cmd_build, "Generate the pages, then build the site into site/ with MkDocs (strict).")
    build.add_argument("--no-strict", action="store_true", help="let MkDocs warnings pass")
    add("generate", cmd_generate, "Only write the Markdown pages, BibTeX and JSON into the docs folder named in mkdocs.yml.")
    checker = add("check", cmd_check, "Validate every paper file and the overrides; exit 1 on any error.", stopped="nothing was checked")
    checker.add_argument("--format", choices=("text", "github"), default="text", help="'github' prints GitHub Actions annotations")
    checker.add_argument("--strict", action="store_true", help="treat warnings (missing abstract or authors) as errors")
    importer = add("import", cmd_import, "Add papers from a listing (title line, abstract line) or a .bib file; duplicates are reported, not added.")
    importer.add_argument("file", help="the listing or .bib file to import")
    importer.add_argument("--metadata", metavar="FILE", help="JSON Lines of verified facts, one object a line: 'n' (the paper's place in the listing, from 1) and 'title' (the listing's title, case and punctuation aside) are required: a line without them, or with another title, is an error; 'authors' (a list), 'year', 'arxiv_id' and 'venue' are added")
    importer.add_argument("--added", type=_date, default=datetime.date.today(), help="the date the papers join the survey (default: today)")
    importer.add_argument("--dry-run", action="store_true", help="report what would be added, write nothing")
    add("themes", cmd_themes, "Print each section's size, keywords and weakest members, and the papers placed with little confidence.", stopped="no sections were printed")
    add("release", cmd_release, "Record every paper's key in content/published-keys.txt; check then fails if one disappears.")
    adder = add("add", cmd_add, "Write one new paper file with a generated key; a duplicate is refused.")
    adder.add_argument("--title")
    adder.add_argument("--authors", action="append", metavar="NAME", help="an author, 'Given Family' or 'Family, Given'; repeat for each, in order")
    adder.add_argument("--year", type=int)
    adder.add_argument("--abstract")
    adder.add_argument("--arxiv", metavar="ID", help="an arXiv id like 2504.07448")
    adder.add_argument("--doi", help="a DOI like 10.18653/v1/2023.acl-long.1")
    adder.add_argument("--venue")
    adder.add_argument("--url")
    adder.add_argument("--code")
    adder.add_argument("--section", help="pin the paper to a section id from the overrides")
    adder.add_argument("--tags", action="append", metavar="TAG", help="a label of the curator's or contributor's own; repeat for each")
    adder.add_argument("--bibtex", metavar="FILE", help="take the fields from one BibTeX entry in FILE ('-' reads standard input)")
    adder.add_argument("--fetch", action="store_true", help="with --arxiv: fill the fields from the arXiv API (needs the network)")
    adder.add_argument("--added", type=_date, default=datetime.date.today(), help="the date the paper joins the survey (default: today)")
    differ = add("diff", cmd_diff, "Print, as Markdown for a pull-request comment, what the change does to the survey against a git revision.", stopped="no diff was printed")
    differ.add_argument("base", help="the git revision to compare with, e.g. origin/main")
    serve = add("serve", cmd_serve, "Generate, then serve the site with live reload; edits in content/ or site_templates/ regenerate it.")
    serve.add_argument("--dev-addr", default="127.0.0.1:8000", help="address to serve on (default: 127.0.0.1:8000)")
    return main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; bad input exits 1 with messages, never a traceback."""
    args = parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (InputError, ProjectError) as error:
        _report(error.problems, getattr(args, "format", "text"))
        print(f"{len(error.problems)} problem(s); {args.stopped}.", file=sys.stderr)
        return EXIT_PROBLEMS
    except SiteError as error:
        print(f"survey: the site was not built, the previous site/ is unchanged:\n{error}", file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        print("survey: interrupted; the previous site/ is unchanged.", file=sys.stderr)
        return 130
    except OSError as error:  # the machine's answer, not a bug: a file that cannot be written, a full disk
        if args.verbose:
            traceback.print_exc()
        where = f"{visible(os.fsdecode(error.filename))}: " if error.filename else ""
        print(f"survey: {where}{error.strerror or error}; the command stopped there (what it said it did above is done).", file=sys.stderr)
        return EXIT_PROBLEMS
    except Exception as error:  # a bug, not the user's input
        if args.verbose:
            traceback.print_exc()
        print(f"survey: internal error (this is a bug; please report it with `survey -v ...` output): {error!r}", file=sys.stderr)
        return EXIT_BUG


def one_thread_blas() -> None:
    """Have NumPy and SciPy's OpenBLAS run on one thread, unless the user chose otherwise.

    A build shares its work between forked copies of this process, one per core (workers.py);
    OpenBLAS' own threads only compete with them, and spin while idle: with them a survey of
    1,000 papers took 0.3 s more of CPU and 0.15 s more to generate. (OpenMP's threads, which
    scikit-learn uses, made no measurable difference.) OpenBLAS reads the setting when NumPy is
    first imported, so this runs before it is.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def entry() -> None:
    """Run the `survey` command and end the process without tearing its memory down.

    Freeing a large survey's millions of objects one by one at exit took 7 s at 100,000 papers;
    the operating system takes the memory back at once. Every file is written and closed, and
    every copy of the process has finished its work, before `main` returns.
    """
    one_thread_blas()
    # SIGTERM (`kill`, a CI job cancelled, `docker stop`) stops a build as Ctrl-C does: its
    # forked copies and half-made folders go, and the last good site stays.
    with stopped_as_by_ctrl_c(signal.SIGTERM):
        code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that went away (`survey check | head -1`)
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
