"""Read a saved trending-papers listing (title line, abstract line) and its metadata."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from .dedupe import title_words
from .models import Problem
from .schema import ARXIV_PATTERN, Invalid, clean_text, web_url

CHROME_PREFIXES = ("Get trending papers",)
CHROME_WORDS = ("Subscribe",)
URL_PATTERN = re.compile(r"https?://[^\s<>\"'`\\]+")
# An abstract line shorter than this is more likely a title paired with the wrong line.
SHORT_ABSTRACT = 12
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "colab.research.google.com")
LISTING = "plain text: a title line, then its abstract line"
# Files that are clearly something else, whose lines would each become half a paper.
OTHER_FORMATS = {
    ".json": "JSON", ".jsonl": "JSON Lines", ".ndjson": "JSON Lines", ".yaml": "YAML", ".yml": "YAML", ".toml": "TOML",
    ".html": "HTML", ".htm": "HTML", ".xml": "XML", ".csv": "CSV", ".tsv": "TSV",
}
# A saved web page or an XML export starts so; no title does.
MARKUP = re.compile(r"\s*<(!doctype|html|\?xml)\b", re.IGNORECASE)
RIS_RECORD = re.compile(r"TY  - ")  # the line that starts every record of a RIS file
MARKDOWN = re.compile(r"(#{1,6} \S|```|~~~)")  # a heading or a code fence: no title or abstract starts so


@dataclass(frozen=True, slots=True)
class ListedPaper:
    """One title and abstract pair of a listing, with its position and line."""

    n: int
    line: int
    title: str
    abstract: str


def _strip_url(url: str) -> str:
    url = url.rstrip(".,;:!?")
    # A closing bracket belongs to the URL only when the URL opened one.
    while url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1].rstrip(".,;:!?")
    while url.endswith("]") and url.count("[") < url.count("]"):
        url = url[:-1].rstrip(".,;:!?")
    return url


def find_links(abstract: str) -> tuple[str | None, str | None]:
    """Return the first code link and the first other link found in an abstract.

    A link a paper's `url` or `code` field would refuse (a template such as ".../{split}/file.json")
    stays in the abstract as text: the paper is not refused for a field its listing never gave.
    """
    code = url = None
    for match in URL_PATTERN.finditer(abstract.replace("~", " ")):
        link = _strip_url(match.group(0))
        try:
            web_url(link)
        except Invalid:
            continue
        host = re.sub(r"^https?://(www\.)?", "", link).split("/")[0].lower()
        if host in CODE_HOSTS and link.count("/") >= 4:
            code = code or link.removesuffix(".git")
        elif host not in CODE_HOSTS:
            url = url or link
    return code, url


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def not_a_listing(source: str, shown: str) -> Problem | None:
    """Say why a file is clearly not a listing (JSON, a web page or XML, RIS, Markdown, or a data file by its name), or return None."""
    if source.lstrip()[:1] in ("{", "[") and isinstance(_json(source), (dict, list)):
        return Problem(shown, 1, "", f"expected a listing ({LISTING}), got JSON")
    lines = source.splitlines()
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("{") and isinstance(row := _json(line), dict):
            metadata = "n" in row or "title" in row
            hint = ": this looks like the metadata, which goes beside the listing as `--metadata FILE`" if metadata else ""
            return Problem(shown, number, "", f"expected a listing's title or abstract line, got a JSON object{hint}")
    if MARKUP.match(source):
        return Problem(shown, 1, "", f"expected a listing ({LISTING}), got HTML or XML: copy the titles and abstracts out of the page, or import its BibTeX")
    suffix = PurePath(shown).suffix.lower()
    if suffix in OTHER_FORMATS:
        return Problem(shown, 1, "", f"expected a listing ({LISTING}) or BibTeX, got a {OTHER_FORMATS[suffix]} file")
    for number, line in enumerate(lines, start=1):
        if RIS_RECORD.match(line):
            return Problem(shown, number, "", f"expected a listing ({LISTING}), got a RIS record ('{line.strip()[:40]}'): export the references as BibTeX and import that")
        if MARKDOWN.match(line):
            return Problem(shown, number, "", f"expected a listing's title or abstract line, got Markdown ('{line.strip()[:40]}')")
    return None


def parse_listing(source: str, shown: str) -> tuple[list[ListedPaper], list[Problem]]:
    """Split a listing into title and abstract pairs, skipping the page chrome."""
    wrong = not_a_listing(source, shown)
    if wrong is not None:  # most likely the wrong file: one message, not one per pair of lines
        return [], [wrong]
    lines = source.splitlines()
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].startswith(CHROME_PREFIXES)):
        start += 1
    body = [(number, text) for number, text in enumerate(lines, start=1) if number > start]
    if body:
        first_number, first = body[0]
        for word in CHROME_WORDS:
            if first.startswith(word) and first[len(word):len(word) + 1].isupper():
                first = first[len(word):]
        body[0] = (first_number, first)
    body = [(number, text) for number, text in body if text.strip()]
    problems: list[Problem] = []
    if len(body) % 2:
        number, text = body[-1]
        problems.append(Problem(shown, number, "abstract", f"title '{text[:60]}' has no abstract line after it"))
        body = body[:-1]
    papers = []
    for index in range(0, len(body), 2):
        (number, title), (abstract_number, abstract) = body[index], body[index + 1]
        papers.append(ListedPaper(index // 2 + 1, number, clean_text(title), clean_text(abstract)))
        words = len(abstract.split())
        if words < SHORT_ABSTRACT:
            # Lines pair up title, abstract, title…: one missing line shifts every pair after it.
            message = f"the abstract line after '{title.strip()[:60]}' has only {words} word(s): if a title above lacks its abstract line, every pair after it is shifted"
            problems.append(Problem(shown, abstract_number, "abstract", message, severity="warning"))
    if papers and all(len(p.abstract.split()) < SHORT_ABSTRACT for p in papers):
        # Not one abstract: another kind of text (an arXiv page's "Title:" and "Authors:" lines)
        # would become a paper per pair of lines.
        problems.append(Problem(shown, papers[0].line, "", f"no abstract line has {SHORT_ABSTRACT} words or more: this does not look like a listing (a title line, then its abstract line)"))
    return papers, problems


def parse_metadata(source: str, shown: str) -> tuple[dict[int, dict[str, Any]], list[Problem]]:
    """Read JSON Lines of verified facts, keyed by listing position `n`."""
    rows: dict[int, dict[str, Any]] = {}
    problems: list[Problem] = []
    for number, line in enumerate(source.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(Problem(shown, number, "", f"not valid JSON: {error.msg}"))
            continue
        except RecursionError:  # Python's reader recurses once per bracket
            problems.append(Problem(shown, number, "", "brackets nested too deeply to read: a line holds one paper's facts as a flat object"))
            continue
        if not isinstance(row, dict) or not isinstance(row.get("n"), int):
            problems.append(Problem(shown, number, "n", "each line needs a whole number 'n' (the listing position)"))
            continue
        rows[row["n"]] = {**row, "_line": number}
    return rows, problems


def merge(listed: ListedPaper, row: dict[str, Any] | None, shown: str) -> tuple[dict[str, Any], list[Problem]]:
    """Return a paper's fields: the listing's text plus the metadata's facts."""
    code, url = find_links(listed.abstract)
    # A TeX non-breaking space glued to a link ("at~https://...") is a space to a reader.
    abstract = re.sub(r"~(?=https?://)", " ", listed.abstract)
    fields: dict[str, Any] = {"title": listed.title, "abstract": abstract, "code": code, "url": url}
    if row is None:
        return fields, []
    if not row.get("title"):
        return fields, [Problem(shown, row["_line"], "title", f"metadata for entry {listed.n} gives no title to check it against; its facts are not used")]
    if title_words(str(row.get("title", ""))) != title_words(listed.title):
        return fields, [Problem(shown, row["_line"], "title", f"metadata for entry {listed.n} names another title; its facts are not used")]
    problems = []
    line = row["_line"]
    if row.get("match") == "uncertain":
        note = str(row.get("note", ""))[:160]
        problems.append(Problem(shown, line, "match", f"uncertain match, review the imported facts: {note}", "warning"))
    given = row.get("authors")
    if given is not None and not isinstance(given, list):
        problems.append(Problem(shown, line, "authors", f"expected a list of names, got {type(given).__name__} {str(given)[:40]!r}; the authors are left out"))
        given = None
    authors = [clean_text(a) for a in given or [] if isinstance(a, str) and a.strip()]
    if authors:
        fields["authors"] = authors
        fields["et_al"] = row.get("authors_complete") is False or None
    year = row.get("year")
    if isinstance(year, int) and not isinstance(year, bool):
        fields["year"] = year
    elif year is not None:
        problems.append(Problem(shown, line, "year", f"expected a whole number, got {str(year)[:20]!r}; the year is left out"))
    arxiv = row.get("arxiv_id")
    if isinstance(arxiv, str) and ARXIV_PATTERN.match(arxiv):
        fields["arxiv"] = arxiv
    if isinstance(row.get("venue"), str) and row["venue"].strip():
        fields["venue"] = clean_text(row["venue"])
    anthology = row.get("anthology_id")
    if not url and isinstance(anthology, str) and re.match(r"^[\w.-]+$", anthology):
        fields["url"] = f"https://aclanthology.org/{anthology}/"
    return fields, problems
