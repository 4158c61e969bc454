"""Read a .bib file for `survey import`: each entry becomes a paper record, each flaw a problem.

bibtexparser parses the file; what it leaves as written is resolved here as BibTeX would:
`@string` names and `#` concatenations, `crossref` volumes, LaTeX in the values (decoded by
`bibtex.latex_to_text`, the inverse of what bibtex.py writes). BibLaTeX's `journaltitle` and
`date` are read too, and an arXiv id is found wherever exports put it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares.enclosing import RemoveEnclosingMiddleware
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
)

from generator.bibtex import (
    NO_YEAR,
    NameParts,
    bare_doi,
    clean_text,
    clean_url,
    entry_type,
    is_preprint_venue,
    latex_to_text,
    split_author,
    starts_lowercase,
)
from generator.keys import SUFFIXES
from generator.models import Paper, Problem
from generator.schema import MAX_TAG

# Entries that hold a volume's fields for the papers that name it with crossref.
CROSSREF_VOLUMES = ("proceedings", "book", "collection", "mvproceedings", "mvbook")
# The fields `_read_entry` reads into a paper file, whatever the entry's kind (some only where
# they name an arXiv id or a kind's venue: see `_read_arxiv` and `_published_at`).
READ_FIELDS = frozenset({
    "title", "author", "year", "date", "abstract", "doi", "url", "keywords", "crossref",
    "booktitle", "journal", "journaltitle", "howpublished", "eprint", "archiveprefix", "eprinttype", "arxivid", "primaryclass",
})
# What reference managers and DBLP record about a reference, not about the paper, and BibTeX's
# `key`, the label of an entry without authors, which bibtex.py writes again from the title: not reported.
BOOKKEEPING_FIELDS = frozenset({
    "timestamp", "biburl", "bibsource", "file", "urldate", "owner", "creationdate", "modificationdate",
    "added-at", "interhash", "intrahash", "mendeley-groups", "mendeley-tags", "key",
})
# What separates the tags of a `keywords` field: commas (biblatex, JabRef, Zotero; bibtex.py
# writes them so) or semicolons (Scopus, Web of Science).
KEYWORD_SEPARATOR = re.compile(r"[,;]")

_ARXIV_ID = r"(?:\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})"
_ARXIV_BARE = re.compile(rf"^(?:arXiv:)?({_ARXIV_ID})(?:v\d+)?$", re.IGNORECASE)
_ARXIV_URL = re.compile(rf"arxiv\.org/(?:abs|pdf)/({_ARXIV_ID})(?:v\d+)?(?:\.pdf)?/?$", re.I)
_ARXIV_DOI = re.compile(rf"^10\.48550/arxiv\.({_ARXIV_ID})(?:v\d+)?$", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(rf"(?:arXiv:|abs/)\s*({_ARXIV_ID})(?:v\d+)?", re.IGNORECASE)
# "2020a" tells two papers of one year apart in an author-year bibliography: the year is 2020.
_YEAR = re.compile(r"\b(\d{4})(?:[a-z]\b|\b)")
_ENCODED = re.compile(r"%([0-7][0-9A-Fa-f])")


def _verbatim(value: str) -> str:
    """Return a URL or DOI as written, without braces, \\url{} or escaping backslashes."""
    value = re.sub(r"^\\url\s*\{(.*)\}$", r"\1", value.strip(), flags=re.S)
    value = re.sub(r"\\([_%&#$~])", r"\1", value)
    return clean_text(value.replace("{", "").replace("}", ""))


def _reader_name(parts: NameParts) -> str:
    """Return a name as a record writes it: "Given Family" unless that would split wrong."""
    family = " ".join(p for p in (parts.particle, parts.family) if p)
    natural = " ".join(p for p in (parts.given, family, parts.suffix) if p)
    if split_author(natural) == parts:
        return natural
    if parts.suffix:
        return f"{family}, {parts.suffix}, {parts.given}"
    return f"{family}, {parts.given}".rstrip()


def _unescaped_doi(doi: str) -> str:
    """Return a DOI with the characters bibtex.clean_doi percent-encodes ("<", ">", "^", "|"…)
    decoded, so that a survey's own BibTeX imports as the DOIs it was written from. A "%41"
    stays: the writer keeps "%" and letters as they are, so such a sequence was in the DOI itself."""

    def decoded(found: re.Match[str]) -> str:
        char = chr(int(found.group(1), 16))
        return char if clean_url(char) not in ("", char) else found.group()  # what the writer encodes

    return _ENCODED.sub(decoded, doi) if "%" in doi else doi


_NAME_PART = re.compile(r"\s*(family|given|prefix|suffix|useprefix)\s*=\s*(\{[^{}]*\}|[^,]*)\s*(?:,|$)", re.I)


def _extended_name(name: str) -> NameParts | None:
    """Return the parts of a name in BibLaTeX's extended form ("family=Driessche, given=George,
    prefix=van den, useprefix=true", as Zotero's Better BibTeX writes some), or None."""
    if "=" not in name:
        return None
    found = dict((key.lower(), value.strip().strip("{}").strip()) for key, value in _NAME_PART.findall(name))
    if not found.get("family") or _NAME_PART.sub("", name).strip():
        return None
    return NameParts(latex_to_text(found.get("given", "")), latex_to_text(found.get("prefix", "")), latex_to_text(found["family"]), latex_to_text(found.get("suffix", "")))


def _read_authors(value: str) -> tuple[list[str], bool]:
    """Return the authors of a BibTeX author field and whether it ended in "and others"."""
    names = split_multiple_persons_names(value)
    et_al = bool(names) and names[-1].strip().lower().replace("~", " ") in ("others", "et al.", "et al", "{others}")
    authors = []
    for name in names[:-1] if et_al else names:
        extended = _extended_name(name)
        if extended is not None:
            authors.append(_reader_name(extended))
            continue
        words = name.split()
        if "," not in name and len(words) > 2 and words[-1].lower() in SUFFIXES:
            # "Robert L. Logan IV", as DBLP writes it: to BibTeX "IV" would be the family name.
            authors.append(latex_to_text(name))
            continue
        bib = parse_single_name_into_parts(name, strict=False)
        if "," not in name and bib.first and starts_lowercase(bib.first[0]):
            # BibTeX's "First von Last": no First before a lowercase word ("van Gogh");
            # bibtexparser reads a two-word "van Gogh" as First Last.
            bib.von, bib.first = bib.first + bib.von, []
        parts = NameParts(
            given=latex_to_text(" ".join(bib.first)),
            particle=latex_to_text(" ".join(bib.von)),
            family=latex_to_text(" ".join(bib.last)),
            suffix=latex_to_text(" ".join(bib.jr)),
        )
        if parts.family or parts.given:
            authors.append(_reader_name(parts))
    return authors, et_al


def _read_arxiv(fields: dict[str, str]) -> str | None:
    """Return the arXiv id an entry names in eprint, url, journal or note."""
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").lower()
    eprint = _ARXIV_BARE.match(_verbatim(fields.get("eprint", "")))
    if eprint and prefix == "arxiv":
        return eprint.group(1)
    url = _ARXIV_URL.search(_verbatim(fields.get("url", "")))
    if url:
        return url.group(1)
    doi = _ARXIV_DOI.match(bare_doi(_verbatim(fields.get("doi", ""))))
    if doi:
        return doi.group(1)
    mendeley = _ARXIV_BARE.match(_verbatim(fields.get("arxivid", "")))  # Mendeley's own field
    if mendeley:
        return mendeley.group(1)
    for name in ("journal", "howpublished", "note", "volume"):
        found = _ARXIV_IN_TEXT.search(fields.get(name, ""))
        if found:
            return found.group(1)
    return None


def _read_type(bib_type: str, venue: str | None) -> str | None:
    """Return the entry type a record must state, or None when its venue implies it."""
    kind = {
        "inproceedings": "inproceedings",
        "conference": "inproceedings",
        "incollection": "inproceedings",
        "article": "article",
        "misc": "misc",
        "online": "misc",
        "unpublished": "misc",
        "techreport": "misc",
        "report": "misc",
        "phdthesis": "misc",
        "mastersthesis": "misc",
        "thesis": "misc",
        "book": "misc",
    }.get(bib_type.lower())
    if kind is None or kind == entry_type(Paper(key="x", title="x", venue=venue)):
        return None
    return kind


# BibTeX's own month abbreviations, which a .bib file may use without defining them.
_MONTHS = {
    month[:3].lower(): month
    for month in ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
}


def _parts(value: str) -> list[str]:
    """Split a value on the # signs outside braces and quotes: `"Proc. " # acl # {2020}`."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(value):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            parts.append(value[start:index])
            start = index + 1
    return [*parts, value[start:]]


def _joined(value: str, strings: dict[str, str]) -> str:
    """Return a concatenation as the text it stands for; bibtexparser leaves it as written.

    Each part is a quoted or braced text, a number, or the name of an @string (or a month).
    """
    texts = []
    for part in (p.strip() for p in _parts(value)):
        if len(part) >= 2 and (part[0], part[-1]) in (('"', '"'), ("{", "}")):
            texts.append(part[1:-1])
        else:
            texts.append(strings.get(part.lower(), _MONTHS.get(part.lower(), part)))
    return "".join(texts)


def _field_texts(entry: Entry, strings: dict[str, str]) -> dict[str, str]:
    """Return an entry's fields by lowercase name, with @string names and concatenations resolved."""
    return {
        field.key.lower(): _joined(str(field.value), strings) if field.enclosing == "no-enclosing" else str(field.value)
        for field in entry.fields
    }


def _undefined_strings(entry: Entry, strings: dict[str, str]) -> list[tuple[str, str]]:
    """Return the fields that use a bare name no @string defines, with that name, alone or joined
    with #: it is read as the name itself (`booktitle = acl2020` would be the venue "acl2020")."""
    return [
        (field.key.lower(), name)
        for field in entry.fields
        if field.enclosing == "no-enclosing"
        for name in (part.strip() for part in _parts(str(field.value)))
        if name
        and (name[0], name[-1]) not in (('"', '"'), ("{", "}"))
        and not name.isdigit()
        and name.lower() not in _MONTHS
        and name.lower() not in strings
    ]


# An @string longer than this is cut: thirty strings that each join the one before twice would
# otherwise make a gigabyte of text.
MAX_STRING = 100_000


def _strings(library: Library, path: str, problems: list[Problem]) -> dict[str, str]:
    """Return the @string definitions by lowercase name, each resolved as BibTeX does: in file
    order, a definition may use the names defined before it ("b = a # { Beta}")."""
    strings: dict[str, str] = {}
    for string in library.strings:
        value = _joined(str(string.value), strings) if string.enclosing == "no-enclosing" else str(string.value)
        if len(value) > MAX_STRING:
            problems.append(Problem(path, (string.start_line or 0) + 1, string.key, f"@string '{string.key}' makes more than {MAX_STRING:,} characters: cut there", "warning"))
            value = value[:MAX_STRING]
        strings[string.key.lower()] = value
    return strings


def _inherited(fields: dict[str, str], parent: dict[str, str] | None) -> dict[str, str]:
    """Return an entry's fields with those it lacks taken from the entry its crossref names.

    As BibTeX does (DBLP's exports work this way); a volume without a booktitle of its own gives
    its title as the child's booktitle, as BibLaTeX does.
    """
    if parent is None:
        return fields
    taken = {name: value for name, value in parent.items() if name not in ("title", "crossref", "abstract")}
    if "title" in parent and "booktitle" not in parent:  # a volume's own booktitle is what BibTeX prints
        taken["booktitle"] = parent["title"]
    return {**taken, **fields}


def _read_entry(entry: Entry, path: str, problems: list[Problem], fields: dict[str, str]) -> dict | None:
    """Return the record of one parsed entry from its fields (see `_field_texts`), or None (with a
    problem) when it has no title."""
    line = (entry.start_line or 0) + 1
    title = latex_to_text(fields.get("title", ""))
    if not title:
        problems.append(Problem(path, line, "title", f"entry '{entry.key}' has no title"))
        return None
    authors, et_al = _read_authors(fields.get("author", ""))
    year = None
    raw_year = fields.get("year") or fields.get("date") or ""
    if raw_year and raw_year.strip().lower() != NO_YEAR:
        found = _YEAR.search(raw_year)
        if found:
            year = int(found.group(1))
        else:
            message = f"expected a year such as 2021 in entry '{entry.key}', got '{raw_year}'"
            problems.append(Problem(path, line, "year", message, severity="warning"))
    arxiv = _read_arxiv(fields)
    venue = latex_to_text(fields.get("booktitle") or fields.get("journal") or fields.get("journaltitle") or _published_at(entry.entry_type, fields)) or None
    preprint = venue is not None and (is_preprint_venue(venue) or bool(_ARXIV_IN_TEXT.search(venue)))
    if preprint:
        venue = None  # Google Scholar's "journal = {arXiv preprint arXiv:...}" is no venue
    url = _verbatim(fields.get("url", "")) or _linked(fields.get("howpublished", "")) or None
    if url and arxiv and _ARXIV_URL.search(url):
        url = None  # the arxiv field already links it
    doi = _unescaped_doi(bare_doi(_verbatim(fields.get("doi", "")))) or None
    if url and doi and bare_doi(url).lower() == doi.lower():
        url = None  # https://doi.org/… beside the doi field: the DOI link is made from the doi
    return {
        "key": entry.key,
        "title": title,
        "authors": authors,
        "et_al": et_al,
        "year": year,
        "abstract": latex_to_text(fields.get("abstract", "")),
        "arxiv": arxiv,
        "doi": doi,
        "venue": venue,
        "entry_type": None if preprint else _read_type(entry.entry_type, venue),
        "url": url,
        "tags": _read_tags(fields.get("keywords", "")),
    }


def _linked(published: str) -> str:
    """Return the address of a `howpublished = {\\url{…}}` (a web page's entry), or nothing."""
    return _verbatim(published) if re.fullmatch(r"\s*\\url\s*\{[^{}\s]+\}\s*", published) else ""


# What a thesis is called before its school, by entry type (BibLaTeX's @thesis says it in `type`).
_THESES = {"phdthesis": "PhD thesis", "mastersthesis": "Master's thesis", "thesis": "Thesis"}
# BibLaTeX's keys for a `type`, which its styles print as words.
_TYPE_NAMES = {"phdthesis": "PhD thesis", "mathesis": "Master's thesis", "mastersthesis": "Master's thesis", "candthesis": "Candidate thesis", "techreport": "Technical report", "resreport": "Research report"}


def _published_at(bib_type: str, fields: dict[str, str]) -> str:
    """Return where an entry of another kind than a paper was published, as a venue: a @misc
    entry's `howpublished` when it names one ("ASRU 2023", as `survey` writes a misc entry's
    venue), not a link ("\\url{…}") or a note ("Accessed …"); a thesis's school, a report's
    institution, a book's publisher."""
    kind = bib_type.lower()
    if kind in ("misc", "online", "unpublished"):
        published = fields.get("howpublished", "")
        return "" if re.search(r"\\url|https?:|www\.|accessed", published, re.I) else published
    school = fields.get("school") or fields.get("institution") or ""
    named = _TYPE_NAMES.get(fields.get("type", "").strip().lower(), fields.get("type", "").strip())
    if kind in _THESES and school:
        return f"{named or _THESES[kind]}, {school}"
    if kind in ("techreport", "report") and school:
        return f"{named or 'Technical report'}, {school}"
    if kind == "book":
        return fields.get("publisher", "")
    return ""


def _read_tags(value: str) -> list[str]:
    """Return the tags of a `keywords` field: its comma- or semicolon-separated words, each once."""
    tags: list[str] = []
    for part in KEYWORD_SEPARATOR.split(value):
        tag = clean_text(latex_to_text(part))
        if tag and len(tag) <= MAX_TAG and tag.casefold() not in {t.casefold() for t in tags}:
            tags.append(tag)
    return tags


def _failure(block: ParsingFailedBlock, path: str) -> Problem:
    """Return the problem a block bibtexparser could not parse stands for."""
    line = (block.start_line or 0) + 1
    if isinstance(block, DuplicateBlockKeyBlock):
        first = (block.previous_block.start_line or 0) + 1
        return Problem(
            path, line, "key", f"duplicate key '{block.key}' (first used on line {first})"
        )
    if isinstance(block, DuplicateFieldKeyBlock):
        names = ", ".join(sorted(block.duplicate_keys))
        entry = block.ignore_error_block  # bibtexparser always gives the entry holding the fields
        key = entry.key if isinstance(entry, Entry) else "?"
        return Problem(path, line, names, f"field written twice in entry '{key}'")
    reason = getattr(block.error, "abort_reason", None) or str(block.error)
    return Problem(path, line, "", f"could not parse this entry: {reason}")


@contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """Silence a logger below errors for the length of a block."""
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_bibtex(text: str, path: str) -> tuple[list[dict], list[Problem]]:
    """Return the records of a .bib text as plain dicts, and every problem found in it."""
    with _quiet(logging.getLogger("bibtexparser")):
        # bibtexparser logs each syntax error; they are returned as problems instead.
        # @string names are resolved here (see `_strings`): bibtexparser's own resolution leaves
        # a definition that uses another one ("b = a # { Beta}") as it is written.
        library = bibtexparser.parse_string(text, parse_stack=[RemoveEnclosingMiddleware()])
    problems = [_failure(block, path) for block in library.failed_blocks]
    strings = _strings(library, path, problems)
    texts = [_field_texts(entry, strings) for entry in library.entries]
    by_key = {entry.key.lower(): fields for entry, fields in zip(library.entries, texts, strict=True)}
    parents = {fields["crossref"].strip().lower() for fields in texts if fields.get("crossref")}
    types = {entry.key.lower(): entry.entry_type.lower() for entry in library.entries}
    records = []
    unread: dict[str, list[int]] = {}  # fields no paper file keeps, and the lines of their entries
    for entry, fields in zip(library.entries, texts, strict=True):
        if entry.entry_type.lower() in CROSSREF_VOLUMES and entry.key.lower() in parents:
            continue  # a volume its papers point at with crossref, not a paper of its own
        line = (entry.start_line or 0) + 1
        problems += [
            Problem(path, line, name, f"'{value}' is no @string of this file (nor a month): read as the text '{value}'", "warning")
            for name, value in _undefined_strings(entry, strings)
        ]
        crossref = fields.get("crossref", "").strip().lower()
        parent = by_key.get(crossref) if crossref else None
        if crossref and parent is None:
            problems.append(Problem(path, line, "crossref", f"'{fields['crossref'].strip()}' names no entry of this file: the volume's fields (booktitle, year, publisher) are not taken", "warning"))
        elif parent is not None and types[crossref] not in CROSSREF_VOLUMES:
            problems.append(Problem(path, line, "crossref", f"'{fields['crossref'].strip()}' is an @{types[crossref]}, not a volume (@proceedings, @book): its fields are not taken", "warning"))
            parent = None
        try:
            record = _read_entry(entry, path, problems, _inherited(fields, parent))
        except RecursionError:  # LaTeX is decoded by a parser that recurses once per group
            problems.append(Problem(path, line, "", f"entry '{entry.key}' nests braces or commands too deeply to be read: no paper's text needs more than a few levels"))
            continue
        if record is not None:
            records.append(record)
            for name in _not_read(entry.entry_type, fields, record):
                unread.setdefault(name, []).append(line)
    if unread:
        problems.append(_not_imported(unread, path))
    problems.sort(key=lambda problem: problem.line)
    return records, problems


def _not_read(bib_type: str, fields: dict[str, str], record: dict) -> list[str]:
    """Return the fields of an entry that its paper file has no place for (volume, pages, …)."""
    kind = bib_type.lower()
    read = set(READ_FIELDS)
    if kind == "book":
        read.add("publisher")
    if kind in _THESES or kind in ("techreport", "report"):
        read |= {"school", "institution", "type"}
    for name in ("note", "volume"):  # read only where it gives the arXiv id
        found = _ARXIV_IN_TEXT.search(fields.get(name, ""))
        if found and found.group(1) == record["arxiv"]:
            read.add(name)
    return [name for name in fields if name not in read and name not in BOOKKEEPING_FIELDS and fields[name].strip()]


def _not_imported(unread: dict[str, list[int]], path: str) -> Problem:
    """Say, once for the file, which fields no paper file keeps, and in how many entries."""
    counts = sorted(unread.items(), key=lambda item: (-len(item[1]), item[0]))
    listed = ", ".join(f"{name} ({len(lines)} {'entry' if len(lines) == 1 else 'entries'})" for name, lines in counts)
    first = min(line for lines in unread.values() for line in lines)
    return Problem(path, first, "", f"not imported, as a paper file has no field for them: {listed}", "warning")
