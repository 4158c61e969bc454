"""Turn raw YAML mappings into records, against a declared schema."""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from .keys import (
    ARABIC_PARTICLES,
    MAX_KEY_LENGTH,
    PARTICLES,
    RESERVED_KEYS,
    SUFFIXES,
    fold_letters,
    is_valid_key,
    split_name,
)
from .models import DEFAULT_TITLE, Overrides, Paper, Problem, SectionSpec, did_you_mean

ARXIV_PATTERN = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z-]*(\.[A-Z]{2})?/\d{7})(v\d+)?$")
# Braces, backslashes and quotes never occur in registered DOIs but would break BibTeX and links.
DOI_PATTERN = re.compile(r"^10\.\d{4,9}/[^\s{}\\\"`]+$")
SECTION_ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# Patterns read in every paper file, compiled once: a large survey has tens of thousands of names.
# What separates paragraphs (see pages._paragraphs).
BLANK_LINE = re.compile(r"\n\s*\n")
_SEMICOLON = re.compile(r";\s")
_LATEX_MARK = re.compile(r"[{}\\^~]")
_AND = re.compile(r"\s(and|&)\s")
ENTRY_TYPES = ("inproceedings", "article", "misc")
FIRST_YEAR = 1600
MAX_TITLE = 500
MAX_TEXT = 20_000
MAX_TAG = 60


class Invalid(ValueError):
    """A field's value does not fit the schema; the message says what was expected."""


# Joiners shape Arabic, Persian and Indic words and emoji; every other format character
# (soft hyphens from a PDF, zero-width spaces, bidirectional overrides, lone surrogates) is
# dropped, so "Trans\u00adformers" stays one word; a control character (a stray carriage
# return, a vertical tab) stands between words and becomes a space.
KEPT_FORMAT_CHARACTERS = frozenset("\n\t\u200c\u200d")


# In ASCII text the only control characters are C0 and DEL, and NFC changes nothing.
_ASCII_CONTROLS = {c: " " for c in [*range(0x20), 0x7F] if chr(c) not in KEPT_FORMAT_CHARACTERS}


def clean_text(value: str, *, keep_newlines: bool = False) -> str:
    """Normalise Unicode, drop control characters and fold runs of white space."""
    if value.isascii():
        if not value.isprintable():  # printable ASCII holds no control character
            value = value.translate(_ASCII_CONTROLS)
    else:
        value = unicodedata.normalize("NFC", value)
        value = "".join(
            c if c in KEPT_FORMAT_CHARACTERS or unicodedata.category(c)[0] != "C" else " " if unicodedata.category(c) == "Cc" else "" for c in value
        )
    if keep_newlines:
        paragraphs = BLANK_LINE.split(value.strip())
        return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
    return " ".join(value.split())


# What a YAML value that is neither text nor a number is, in a contributor's words.
_KINDS = {type(None): "nothing (an empty value)", dict: "a mapping (indented 'name: value' lines)", list: "a list"}


def _describe(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else _KINDS.get(type(value), type(value).__name__)
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, int | float):
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def text(limit: int = MAX_TITLE, *, paragraphs: bool = False) -> Callable[[Any], str]:
    """Accept a non-empty string up to a length."""

    def check(value: Any) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, bool):
            raise Invalid(f"expected text, got {_describe(value)}: YAML reads an unquoted yes, no, on or off as true or false, so put the text in quotes")
        if not isinstance(value, str):
            raise Invalid(f"expected text, got {_describe(value)}")
        cleaned = clean_text(value, keep_newlines=paragraphs)
        if not cleaned:
            raise Invalid("must not be empty")
        if len(cleaned) > limit:
            raise Invalid(f"expected at most {limit} characters, got {len(cleaned)}")
        return cleaned

    return check


def year(value: Any) -> int:
    """Accept a plausible publication year."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,6}", value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"expected a whole number, got {_describe(value)}")
    last = datetime.date.today().year + 1
    if not FIRST_YEAR <= value <= last:
        raise Invalid(f"expected a year between {FIRST_YEAR} and {last}, got {value}")
    return value


def _has_control(value: str) -> bool:
    return any(unicodedata.category(c)[0] == "C" for c in value)


def pattern(regex: re.Pattern[str], expected: str) -> Callable[[Any], str]:
    """Accept a string matching a pattern."""

    def check(value: Any) -> str:
        if isinstance(value, float):
            value = str(value)
        if not isinstance(value, str) or _has_control(value.strip()) or not regex.fullmatch(value.strip()):
            raise Invalid(f"expected {expected}, got {_describe(value)}")
        return value.strip()

    return check


# A host's first character, then anything a URL may hold. One class after the other, never two
# that overlap ("host+ then rest*"): a long address wrong at its end took seconds to refuse, and
# a file of them minutes, in every pull request's check.
_WEB_URL = re.compile(r"^https?://[^\s/?#<>\"'`\\{}][^\s<>\"'`\\{}]*$", re.IGNORECASE)


def web_url(value: Any) -> str:
    """Accept an absolute http or https URL."""
    if not isinstance(value, str):
        raise Invalid(f"expected an http or https URL, got {_describe(value)}")
    value = value.strip()
    if _has_control(value) or not _WEB_URL.match(value):
        hint = " (write { and } as %7B and %7D)" if re.search(r"[{}]", value) else ""
        raise Invalid(f"expected an http or https URL, got {_describe(value)}{hint}")
    return value


def boolean(value: Any) -> bool:
    """Accept true or false."""
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {_describe(value)}")
    return value


def choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    """Accept one of a few words."""

    def check(value: Any) -> str:
        if value not in options:
            raise Invalid(f"expected one of {', '.join(options)}, got {_describe(value)}")
        return str(value)

    return check


def text_list(item: Callable[[Any], str]) -> Callable[[Any], tuple[str, ...]]:
    """Accept a list of strings, each checked by `item`."""

    def check(value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            raise Invalid(f"expected a list (one '- item' per line), got {_describe(value)}")
        if not isinstance(value, list):
            raise Invalid(f"expected a list, got {_describe(value)}")
        result, wrong = [], []
        for number, entry in enumerate(value, start=1):
            try:
                result.append(item(entry))
            except Invalid as error:
                wrong.append(f"item {number}: {error}")
        if wrong:  # every wrong item at once, not only the first
            raise Invalid("; ".join(wrong))
        return tuple(result)

    return check


# An author as BibTeX writes it (LaTeX) may take at most this many characters: natbib's label of a
# paper by two authors holds both family names, and BibTeX cuts a label at 500 characters, in
# the middle of a brace group, after which LaTeX stops ("Paragraph ended before \\@lbibitem").
MAX_NAME_LATEX = 240


def _most_latex(name: str) -> int:
    """Return the most characters a name can take in LaTeX: an ASCII letter, digit or space one,
    other ASCII at most 18 ("{\\textasciicircum}"), a letter or an accent at most 26
    ("{\\ensuremath{\\varepsilon}}"), any other character at most 76, and a few braces. Only a
    name above the limit by this count is written out to measure it, so that `survey check`
    never loads the BibTeX writer for ordinary names."""
    if _PLAIN_NAME.fullmatch(name):  # most names: a character each
        return 16 + len(name)
    return 16 + sum((1 if c.isalnum() or c in " .,'-" else 18) if c.isascii() else 26 if unicodedata.category(c)[0] in "LM" else 76 for c in name)


_PLAIN_NAME = re.compile(r"[A-Za-z0-9 .,'-]*")


# How a paper file gives one author: the advice when one item holds several. An import or
# `survey add` says how its own input does (importer.Candidate.one_author).
ONE_AUTHOR_EACH = "write one author per '- ' line"
# And how it gives an organisation, whose name may hold "and" or "&".
ORGANISATION = "an organisation ends with a comma: 'Bill and Melinda Gates Foundation,'"


_AUTHOR_TEXT = text(200)


def author(value: Any) -> str:
    """Accept one author's name: "Given Family", "Family, Given" or "Family, Jr., Given".

    A list of authors pasted into one item ("A Smith, B Jones, C Lee", "Smith, A.; Jones, B.")
    would otherwise become one garbled name in the citation and the author index.
    """
    name = _AUTHOR_TEXT(value)
    parts = [part.strip() for part in name.split(",")]
    if _SEMICOLON.search(name) or len(parts) > 3 or (len(parts) == 3 and parts[1].lower() not in SUFFIXES):
        raise Invalid(f"'{name}' reads as several names: {ONE_AUTHOR_EACH}; write each name as 'Given Family' or 'Family, Given' (with a suffix: 'Family, Jr., Given')")
    written = family_latex_length(name)
    if written is not None and name.endswith(","):  # an organisation has a short name to be cited by
        raise Invalid(_too_long(name, written) + "; write the organisation as it is usually cited (its short name)")
    if written is not None and _LATEX_MARK.search(name):  # no one's name is made of LaTeX's braces
        raise Invalid(_too_long(name, written) + "; write the name without braces, backslashes, carets or tildes")
    return name


@functools.lru_cache(maxsize=1 << 16)  # every author of a large survey: checked twice as it is read
def family_latex_length(name: str) -> int | None:
    """Return how many characters a name's family part takes as BibTeX writes it, when that is
    more than a citation label can hold (see MAX_NAME_LATEX); None for any ordinary name."""
    family = split_name(name)[1]
    if _most_latex(family) <= MAX_NAME_LATEX:
        return None
    from .bibtex import latex_text

    written = len(latex_text(family))
    return written if written > MAX_NAME_LATEX else None


def _too_long(name: str, written: int) -> str:
    shown = name if len(name) <= 60 else name[:57] + "..."
    return f"'{shown}' has a family name of {written} characters as BibTeX writes it, more than {MAX_NAME_LATEX}: natbib's citation label holds two such names, BibTeX cuts a label at 500 characters, and LaTeX then stops"


def date(value: Any) -> datetime.date:
    """Accept a date written YYYY-MM-DD."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"expected a date YYYY-MM-DD, got {_describe(value)}") from None


# The day a paper joined the survey: not before Unix time begins (the build stamps the sitemap's
# gzip with the newest such day; 2205 overflowed it), nor after tomorrow (wherever the
# contributor is, it is today somewhere), which catches a mistyped year.
FIRST_ADDED = datetime.date(1970, 1, 1)


def added_date(value: Any) -> datetime.date:
    """Accept the day a paper joined the survey: a date no later than tomorrow."""
    day = date(value)
    last = datetime.date.today() + datetime.timedelta(days=1)
    if not FIRST_ADDED <= day <= last:
        raise Invalid(f"expected the day the paper joined the survey, from {FIRST_ADDED} to {last}, got {day}")
    return day


def stop_word(value: Any) -> str:
    """Accept a word, or two ("task vectors"), that should never name a theme: the features are
    words and pairs of words, so a longer phrase would match nothing."""
    word = text(80)(value)
    if len(word.split()) > 2:
        raise Invalid(f"expected one word or two, got {_describe(word)}: a longer phrase matches nothing, so list each word or pair of words as an item of its own")
    return word


def whole(low: int, high: int) -> Callable[[Any], int]:
    """Accept a whole number in a range."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"expected a whole number, got {_describe(value)}")
        if not low <= value <= high:
            raise Invalid(f"expected a number from {low} to {high}, got {value}")
        return value

    return check


section_id = pattern(SECTION_ID_PATTERN, "a section id of lowercase letters, digits and hyphens")

PAPER_FIELDS: dict[str, Callable[[Any], Any]] = {
    "title": text(),
    "authors": text_list(author),
    "et_al": boolean,
    "year": year,
    "abstract": text(MAX_TEXT, paragraphs=True),
    "arxiv": pattern(ARXIV_PATTERN, "an arXiv id like 2504.07448"),
    "doi": pattern(DOI_PATTERN, "a DOI like 10.18653/v1/2023.acl-long.1"),
    "venue": text(MAX_TITLE),  # DBLP's booktitles reach 300 characters ("Proceedings of the 2019 Conference of …")
    "entry_type": choice(ENTRY_TYPES),
    "url": web_url,
    "code": web_url,
    "section": section_id,
    "tags": text_list(text(MAX_TAG)),
    "added": added_date,
}
REQUIRED_PAPER_FIELDS = ("title",)


@dataclass(frozen=True, slots=True)
class Raw:
    """A YAML mapping with the line each key was written on."""

    path: str
    data: Mapping[str, Any]
    lines: Mapping[str, int]
    line: int = 1

    def line_of(self, name: str) -> int:
        """Return the line of a key, or of the mapping itself."""
        return self.lines.get(name, self.line)

    def given(self, name: str) -> bool:
        """Tell whether a key was written with a value (one that may still be wrong)."""
        if name in self.data:
            return self.data[name] is not None
        return name in self.lines  # written, but its value could not be read


def _unknown(path: str, line: int, name: str, known: list[str]) -> Problem:
    hint = did_you_mean(name, known) or f" (known fields: {', '.join(known)})"
    return Problem(path, line, name, f"unknown field '{name}'{hint}")


def _fields(raw: Raw, schema: Mapping[str, Callable[[Any], Any]], problems: list[Problem], required: Collection[str] = ()) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in raw.data.items():
        name = str(name)
        check = schema.get(name)
        if check is None:
            problems.append(_unknown(raw.path, raw.line_of(name), name, list(schema)))
        elif value is None or (name not in required and isinstance(value, str) and not value.strip()):
            continue  # left empty: not known (the paper template's `abstract: >-` with nothing under it)
        else:
            try:
                values[name] = check(value)
            except Invalid as error:
                problems.append(Problem(raw.path, raw.line_of(name), name, str(error)))
    return values


def _key_advice(key: str) -> str:
    """Say what is wrong with a citation key that `is_valid_key` refuses."""
    if len(key) > MAX_KEY_LENGTH:
        return f"use at most {MAX_KEY_LENGTH} characters (it has {len(key)})"
    if key[:1].isdigit():
        return "start it with a letter (the first author's family name)"
    return "use lowercase letters and digits (a hyphen may join two parts)"


# Family names after which a capitalised "Van", "Le", "Da", "De" or "Du" is a given name, not a
# particle: Vietnamese middle names ("Thanh Van Nguyen") and Chinese given names ("Jia Da Li").
_VIETNAMESE = "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly truong dinh lam mai trinh luong ta ha dao doan vuong trieu quach chau to luu"
_MANDARIN = "li wang zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin gao luo zheng liang xie song tang han feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng wei su lu ding ren shen yao jin cui fan wan qian dai xia fu fang"
_CANTONESE_HOKKIEN_KOREAN = "tan chan wong lim ng lee cheung leung lau yeung chong teo goh ong koh chua low yap sim lai kim park choi jung"
_NOT_AFTER_PARTICLE = frozenset(f"{_VIETNAMESE} {_MANDARIN} {_CANTONESE_HOKKIEN_KOREAN}".split())
_VIETNAMESE_FAMILIES = frozenset(_VIETNAMESE.split())  # first, in a name written family first: "Nguyen Van Thanh"
# Particles of a family name as the warning reads them: those of keys.PARTICLES, and Arabic ones.
_NAME_PARTICLES = PARTICLES | ARABIC_PARTICLES


def _capitalised_family(name: str) -> str | None:
    """Say how to write a name whose family name may start with a capitalised particle.

    "Nicolas Le Roux" is cited and indexed under its last word, "Roux", like any "Given Family";
    whether "Le" is part of the family name only the contributor knows, so a name in the
    "Family, Given" form is taken as written. Only particles right before the last word count
    ("María Del Carmen García"'s "Del" does not), and not before a family name that such a word
    precedes as a given name ("Thanh Van Nguyen").
    """
    if "," in name or name.count(" ") < 2:  # taken as written, or too short for a particle before the last word
        return None
    words = name.split()
    suffix = words.pop() if len(words) > 1 and words[-1].lower() in SUFFIXES else ""
    # A Vietnamese or Chinese family name last ("Thanh Van Nguyễn") or first ("Nguyen Van Thanh",
    # written family first): "Van" is a given name.
    if len(words) < 3 or fold_letters(words[-1]) in _NOT_AFTER_PARTICLE or fold_letters(words[0]) in _VIETNAMESE_FAMILIES:
        return None
    at = len(words) - 1
    while at > 1 and words[at - 1].lower() in _NAME_PARTICLES:  # "Van den Abeele": a run of them
        at -= 1
    if at == len(words) - 1 or not words[at][:1].isupper() or len(words[at]) < 2:
        return None  # lowercase ("de Mazancourt") is a particle to every reader
    given, family = " ".join(words[:at]), " ".join(words[at:])
    rest, last, _ = split_name(" ".join(words))  # as the name is read now ("den Abeele", "Pieter Van")

    def written(family: str, given: str) -> str:
        return f"{family}, {suffix}, {given}" if suffix else f"{family}, {given}"

    return f"'{name}' is cited and indexed as '{written(last, rest)}': if '{words[at]}' is part of the family name, write '{written(family, given)}'; if not, write '{written(last, rest)}'"


def paper_from_raw(raw: Raw, key: str, two_authors: str = "warning") -> tuple[Paper | None, list[Problem]]:
    """Check one paper file's mapping and build its record.

    An author's name that holds " and " or " & " is a warning in a paper file, where it may be an
    organisation's; an input that takes one name at a time makes it an error (`two_authors`).
    """
    problems: list[Problem] = []
    if key in RESERVED_KEYS:
        problems.append(Problem(raw.path, 1, "", f"file name '{key}.yaml' is a device name on Windows, where the file cannot be checked out: choose another key, like 'zhang2025lori'"))
    elif not is_valid_key(key):
        problems.append(Problem(raw.path, 1, "", f"file name '{key}.yaml' is not a valid citation key: {_key_advice(key)}, like 'zhang2025lori'"))
    values = _fields(raw, PAPER_FIELDS, problems, REQUIRED_PAPER_FIELDS)
    for name in REQUIRED_PAPER_FIELDS:
        if not raw.given(name):
            problems.append(Problem(raw.path, raw.line, name, f"required field '{name}' is missing"))
    # A field that is there but wrong has its error already; the warning is for one left out or empty.
    wrong = {p.field for p in problems}
    for name, warning in (("authors", "no authors given"), ("abstract", "no abstract given")):
        if not values.get(name) and name not in wrong:
            problems.append(Problem(raw.path, raw.line_of(name), name, warning, "warning"))
    for number, name in enumerate(values.get("authors", ()), start=1):
        if _AND.search(name) and not name.endswith(","):  # "Name and Name," is an organisation
            problems.append(Problem(raw.path, raw.line_of("authors"), "authors", f"item {number}: '{name}' looks like two authors: {ONE_AUTHOR_EACH} ({ORGANISATION})", two_authors))
        elif (family := _capitalised_family(name)) is not None:
            problems.append(Problem(raw.path, raw.line_of("authors"), "authors", f"item {number}: {family}", "warning"))
        if not name.endswith(",") and (written := family_latex_length(name)) is not None and not _LATEX_MARK.search(name):  # a person's name is as it is
            problems.append(Problem(raw.path, raw.line_of("authors"), "authors", f"item {number}: {_too_long(name, written)} with natbib (plain.bst is not affected)", "warning"))
    # A required value that could not even be read was reported by the loader.
    if any(p.severity == "error" for p in problems) or any(n not in values for n in REQUIRED_PAPER_FIELDS):
        return None, problems
    lines = tuple(sorted((str(k), v) for k, v in raw.lines.items()))
    return Paper(key=key, path=raw.path, lines=lines, **values), problems


SECTION_FIELDS: dict[str, Callable[[Any], Any]] = {
    "id": section_id,
    "title": text(200),
    "description": text(MAX_TEXT, paragraphs=True),
    "order": whole(-10_000, 10_000),
    "keywords": text_list(text(80)),
}
AUTOMATIC_FIELDS: dict[str, Callable[[Any], Any]] = {
    "min": whole(1, 100),
    "max": whole(1, 100),
    "min_size": whole(1, 1000),
}
OVERRIDES_FIELDS: dict[str, Callable[[Any], Any]] = {
    "title": text(200),
    "description": text(MAX_TEXT, paragraphs=True),
    "repository": web_url,
    "sections": lambda value: value,
    "exclude": text_list(pattern(re.compile(r"^\S+$"), "a paper key")),
    "stop_words": text_list(stop_word),
    "automatic_sections": lambda value: value,
}


def overrides_from_raw(raw: Raw, sections: list[Raw], automatic: Raw | None) -> tuple[Overrides, list[Problem]]:
    """Check the curator's overrides file and build its record."""
    problems: list[Problem] = []
    values = _fields(raw, OVERRIDES_FIELDS, problems)
    specs: list[SectionSpec] = []
    ranks: list[tuple[int, bool, int]] = []
    seen: dict[str, int] = {}
    for position, item in enumerate(sections):
        fields = _fields(item, SECTION_FIELDS, problems)
        for name in ("id", "title"):
            if not item.given(name):
                problems.append(Problem(item.path, item.line, f"sections[{position + 1}].{name}", f"every section needs '{name}'"))
        if "id" not in fields or "title" not in fields:
            continue
        if fields["id"] in seen:
            problems.append(Problem(item.path, item.line_of("id"), "id", f"section id '{fields['id']}' is defined twice (first on line {seen[fields['id']]})"))
            continue
        seen[fields["id"]] = item.line_of("id")
        # Sorted by `order`, else by place in the list (from 0); on a tie, the section that
        # states its order comes first, then list order: `order: 1` makes a section the second.
        ranks.append((fields.get("order", position), "order" not in fields, position))
        fields.setdefault("order", position)
        specs.append(SectionSpec(line=item.line, **fields))
    excluded = values.get("exclude", ())
    for key in sorted({key for key in excluded if excluded.count(key) > 1}):
        problems.append(Problem(raw.path, raw.line_of("exclude"), "exclude", f"'{key}' is excluded {excluded.count(key)} times: once is enough", "warning"))
    if "title" not in values and "title" not in {p.field for p in problems}:
        problems.append(Problem(raw.path, raw.line_of("title"), "title", f"no title given: the site is called '{DEFAULT_TITLE}'", "warning"))
    bounds = _fields(automatic, AUTOMATIC_FIELDS, problems) if automatic else {}
    low, high = bounds.get("min", 4), bounds.get("max", 14)
    if low > high and automatic is not None:
        problems.append(Problem(raw.path, automatic.line, "automatic_sections", f"'min' ({low}) is larger than 'max' ({high})"))
    lines = tuple(sorted((str(k), v) for k, v in raw.lines.items()))
    overrides = Overrides(
        sections=tuple(spec for _, spec in sorted(zip(ranks, specs, strict=True), key=lambda pair: pair[0])),
        exclude=values.get("exclude", ()),
        stop_words=tuple(w.lower() for w in values.get("stop_words", ())),
        min_sections=low,
        max_sections=max(low, high),
        min_section_size=bounds.get("min_size", 3),
        title=values.get("title", DEFAULT_TITLE),
        description=values.get("description", ""),
        repository=values.get("repository"),
        path=raw.path,
        lines=lines,
    )
    return overrides, problems
