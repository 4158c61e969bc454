"""BibTeX: write entries that compile with classic `bibtex` (a .bib is read by bibimport.py).

What is written is aimed at the oldest common tool chain: `bibtex` with `plain.bst`
or `plainnat.bst` (natbib's styles also need `\\usepackage{url}`), and `pdflatex` with
`\\usepackage[T1]{fontenc}` and `\\usepackage[utf8]{inputenc}` (a bare `\\documentclass{article}`
also compiles it unless a name holds a letter only T1 has: ą, Đ, Þ, ŋ). The file is pure ASCII, so that chain never meets
a character it cannot typeset:

- LaTeX specials (``& % $ # _ { } ~ ^ \\``) and ``< > |`` become text macros; a straight
  double quote becomes LaTeX's opening or closing quotes (two backticks, two apostrophes).
  Braces and backslashes are never passed through: BibTeX counts every brace,
  escaped or not, so a literal ``{`` must be ``{\\textbraceleft}``.
- Accented letters become BibTeX "special characters" such as ``{\\"u}``, which
  BibTeX sorts and case-changes as the letter they stand for.
- A character neither LaTeX nor T1 can show (CJK, emoji, other scripts) becomes
  ``[U+5F20]``: visible, so a reader can see something is missing, and decoded
  back by `read_bibtex` (bibimport.py). Records should carry a romanised name for such authors.
- Every title word that holds a capital letter is wrapped in braces, so styles
  that lowercase titles keep ``LoRA``, ``BERT`` and proper nouns as written.
- No entry lacks what plain.bst or plainnat.bst require: a paper without authors
  or venue is written as @misc (with a `key` to sort by when it has no authors),
  and a paper without a year gets ``year = {n.d.}``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

import bibtexparser
from bibtexparser.model import (
    Entry,
    Field,
)
from pylatexenc.latex2text import (
    LatexNodes2Text,
    MacroTextSpec,
    SpecialsTextSpec,
    get_default_latex_context_db,
)
from pylatexenc.latexencode import UnicodeToLatexEncoder
from pylatexenc.latexwalker import get_default_latex_context_db as get_default_parser_context_db
from pylatexenc.macrospec import MacroSpec

from generator import workers
from generator.cache import Memo, memo
from generator.keys import split_name
from generator.models import Paper
from generator.schema import ENTRY_TYPES

NO_YEAR = "n.d."
# plainnat.bst makes the label of an author-less entry from its `key`, and BibTeX
# stops a label at 500 characters ("you've exceeded 500, the entry-string-size").
SORT_KEY_LENGTH = 120

# Field order of every entry: the order readers expect, and a stable diff.
FIELD_ORDER = (
    "author",
    "key",
    "title",
    "booktitle",
    "journal",
    "howpublished",
    "year",
    "doi",
    "eprint",
    "archivePrefix",
    "url",
    "keywords",
    "abstract",
)
# A paper's tags go in `keywords`, comma-separated, as biblatex, JabRef and Zotero read them
# (Zotero makes a tag of each; see bibimport.py for reading them back).

# ---------------------------------------------------------------------------
# Venues


# Checked first: journals whose names look like conference proceedings.
_JOURNAL_STRONG = re.compile(
    r"Proceedings of the National Academy|\bPNAS\b|^Proceedings of the IEEE$"
)
_CONFERENCE_WORDS = re.compile(
    r"\b(?:Conference|Workshops?|Symposium|Proceedings|Findings|Shared Task|Meeting|"
    r"Congress|Colloquium|Track)\b",
    re.IGNORECASE,
)
_JOURNAL_WORDS = re.compile(
    r"\b(?:Journal|Transactions|Letters|Magazine|Reviews?|Surveys|TMLR|TACL|JMLR|JAIR|"
    r"Nature|npj|Science|Sciences|Patterns|Neurocomputing|Bioinformatics)\b|"
    r"Machine Learning: Science and Technology|Intelligent Computing|^Neural Networks$"
)
_PREPRINT_SERVERS = re.compile(
    r"^(?:arXiv|CoRR|bioRxiv|medRxiv|ChemRxiv|SSRN|preprints?)\b", re.IGNORECASE
)
_TRAILING_YEAR = re.compile(r"\s*\(\s*\d{4}\s*\)\s*$")


def clean_venue(venue: str | None) -> str:
    """Return a venue without a trailing "(2023)", which the year field already says."""
    return _TRAILING_YEAR.sub("", clean_text(venue or ""))


def is_preprint_venue(venue: str | None) -> bool:
    """Tell whether a venue names a preprint server rather than a publication."""
    return bool(_PREPRINT_SERVERS.match(clean_venue(venue)))


def entry_type(paper: Paper) -> str:
    """Return the kind of publication: "inproceedings", "article" or "misc"."""
    if paper.entry_type and paper.entry_type.lower() in ENTRY_TYPES:
        return paper.entry_type.lower()
    venue = clean_venue(paper.venue)
    if not venue or is_preprint_venue(venue):
        return "misc"
    if _JOURNAL_STRONG.search(venue):
        return "article"
    if _CONFERENCE_WORDS.search(venue):
        return "inproceedings"
    if _JOURNAL_WORDS.search(venue):
        return "article"
    return "inproceedings"


# ---------------------------------------------------------------------------
# Text to LaTeX

_SPACE_CATEGORIES = frozenset({"Zs", "Zl", "Zp"})
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})

_ASCII_LATEX = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"{\textbraceleft}",
    "}": r"{\textbraceright}",
    "\\": r"{\textbackslash}",
    "~": r"{\textasciitilde}",
    "^": r"{\textasciicircum}",
    # Not special to plain LaTeX, but active in babel languages or wrong glyphs in OT1. A double
    # quote becomes a typographic one (see `_quotes`): \textquotedbl stops LaTeX without T1.
    '"': "{''}",
    # What `_quotes` marked.
    "\x01": "{``}",
    "\x02": "{''}",
    "\x03": "{'}",
    "\x04": "{`}",
    "<": r"{\textless}",
    ">": r"{\textgreater}",
    "|": r"{\textbar}",
    # Braced so that natbib's \bibitem[label] never sees a bracket of a name or key.
    "[": "{[}",
    "]": "{]}",
}

# Combining marks and the T1 accent that draws them. A mark not listed is
# dropped and its base letter kept ("ơ" becomes "o"): the name stays readable.
_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0323": "d",
    "\u0326": "c",  # comma below (Romanian ș ț) has no T1 accent; the cedilla is the usual stand-in
    "\u0327": "c",
    "\u0328": "k",
    "\u0331": "b",
}

# Macros that pylatexenc may emit and that compile under T1 + utf8 with base
# LaTeX alone. tests/test_bibtex_latex.py typesets every character this admits.
_SAFE_MACRO_NAMES = """
    AE DH DJ L NG O OE TH ae dh dj i ij IJ j l ng o oe ss th
    textasciiacute textasciidieresis textasciimacron textasteriskcentered
    textbigcircle textbrokenbar textbullet textcelsius textcent textcircledP
    textcolonmonetary textcopyright textcurrency textdagger textdaggerdbl
    textdegree textdiscount textdiv textdong textdownarrow textellipsis textemdash
    textendash textestimated texteuro textexclamdown textflorin textfractionsolidus
    textinterrobang textleftarrow textlira textlnot textmho textmu textmusicalnote
    textnaira textnumero textonehalf textonequarter textonesuperior textopenbullet
    textordfeminine textordmasculine textparagraph textpertenthousand
    textperthousand textpeso textquestiondown textquotedblleft textquotedblright
    textquoteleft textquoteright textrecipe textreferencemark textregistered
    textrightarrow textsection textservicemark textsterling textthreequarters
    textthreesuperior texttimes texttrademark texttwosuperior textuparrow textwon
    textyen guillemotleft guillemotright guilsinglleft guilsinglright
    quotedblbase quotesinglbase
    ensuremath
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa
    lambda mu nu xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi
    psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
    aleph ell wp nabla partial infty forall exists in ni pm mp times div cdot
    circ bullet star leq geq ll gg neq equiv approx sim simeq cong asymp propto
    doteq prec succ preceq succeq subset supset subseteq supseteq sqsubseteq
    sqsupseteq cap cup sqcap sqcup uplus vee wedge oplus ominus otimes oslash
    odot sum prod coprod int oint bigcap bigcup bigvee bigwedge angle perp
    parallel top vdash dashv mapsto leftarrow rightarrow leftrightarrow
    Leftarrow Rightarrow Leftrightarrow uparrow downarrow updownarrow Uparrow
    Downarrow Updownarrow nearrow searrow swarrow nwarrow hookleftarrow
    hookrightarrow leftharpoonup leftharpoondown rightharpoonup rightharpoondown
    rightleftharpoons cdots ddots vdots diamond triangleleft triangleright
    bigtriangleup bigtriangledown bowtie wr Vert
    " ' ` ^ ~ = . u v H c k r d b t
"""
_SAFE_MACROS = frozenset(_SAFE_MACRO_NAMES.split())
_MACRO = re.compile(r"\\([A-Za-z]+|.)")
_UNIHEX = re.compile(r"\[U\+([0-9A-F]{4,6})\]")

_encoder = UnicodeToLatexEncoder(
    non_ascii_only=True,
    replacement_latex_protection="braces-all",
    unknown_char_policy="keep",
    unknown_char_warning=False,
)


# ASCII needs no normalising: its white-space controls become spaces, the others go.
_ASCII_CLEAN = {c: (" " if chr(c) in "\t\n\r\v\f" else None) for c in [*range(0x20), 0x7F]}
_ASCII_LATEX_TABLE = str.maketrans(_ASCII_LATEX)


def single_spaced(text: str) -> bool:
    """Tell whether printable ASCII text is `" ".join(text.split())` already: its only white
    space, the space, comes alone and between words."""
    return "  " not in text and text[:1] != " " and text[-1:] != " "


def clean_text(text: str) -> str:
    """Return text in NFC with control characters removed and whitespace collapsed."""
    if text.isascii():
        # Printable ASCII has no control characters: only white space is left to fold, and most
        # texts (an abstract, written on one line) have none to fold: splitting and joining an
        # abstract took twice as long as looking.
        if text.isprintable():
            return text if single_spaced(text) else " ".join(text.split())
        return " ".join(text.translate(_ASCII_CLEAN).split())
    kept = []
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if category in _SPACE_CATEGORIES or char in "\t\n\r\v\f":
            kept.append(" ")
        elif category not in _DROPPED_CATEGORIES:
            kept.append(char)
    return " ".join("".join(kept).split())


def _pylatexenc_char(char: str) -> str | None:
    """Return pylatexenc's LaTeX for a character if it decodes back and compiles."""
    latex = _encoder.unicode_to_latex(char)
    if latex == char or not latex.isascii():
        return None
    if not set(_MACRO.findall(latex)) <= _SAFE_MACROS:
        return None
    if _DECODER.latex_to_text(latex) != char:
        return None  # pylatexenc has a few wrong entries, e.g. ű as \'u
    return latex


def _accented(cluster: str) -> str | None:
    """Return a Latin letter with combining marks as nested T1 accents, e.g. {\\~{\\^e}}."""
    decomposed = unicodedata.normalize("NFD", cluster)
    base, marks = decomposed[0], decomposed[1:]
    if not marks:
        return None
    if base.isascii():
        if not base.isalpha():
            return None
        latex = base
    else:
        letter = _pylatexenc_char(base)
        if letter is None or "ensuremath" in letter:
            return None
        latex = letter[1:-1]  # pylatexenc's braces; ours go around the whole
    accents = [_ACCENTS[mark] for mark in marks if mark in _ACCENTS]
    if not accents:
        return latex if base.isascii() else f"{{{latex}}}"
    for accent in accents:
        if accent.isalpha() or not latex.isalpha():
            latex = f"\\{accent}{{{latex}}}"
        else:
            latex = f"\\{accent}{latex}"
    return f"{{{latex}}}"


@lru_cache(maxsize=8192)
def latex_char(cluster: str) -> str:
    """Return the ASCII LaTeX for a character and its combining marks, or [U+XXXX]."""
    if cluster.isascii() and len(cluster) == 1:
        return _ASCII_LATEX.get(cluster, cluster)
    latex = _accented(cluster)
    if latex is not None:
        return latex
    if len(cluster) > 1:
        # Marks on a letter without a LaTeX form: keep the letter, drop the marks.
        return latex_char(cluster[0])
    latex = _pylatexenc_char(cluster)
    if latex is not None:
        return latex
    compatible = unicodedata.normalize("NFKC", cluster)
    if compatible != cluster:
        # Ligatures, full-width and styled letters: "ﬁ" is "fi", "Ａ" is "A".
        latex = "".join(latex_char(part) for part in _clusters(compatible))
        if "[U+" not in latex and " " not in latex:
            return latex
    return f"{{[U+{ord(cluster):04X}]}}"


def _clusters(text: str) -> list[str]:
    """Split text into characters, each with the combining marks that follow it."""
    clusters: list[str] = []
    for char in text:
        if clusters and unicodedata.combining(char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


# A double quote that opens a quotation: at the start, or after a space, an opening bracket, a
# hyphen, a slash or a dash ("Good"-"Bad").
_OPENING_QUOTE = re.compile(r'(?:^|(?<=[\s(\[{/\-\u2013\u2014]))"')
# Two or more apostrophes or backticks in a row, which LaTeX would typeset as a double quote.
_QUOTE_LIKE = re.compile(r"''+|``+")


# Control characters never reach the encoder (clean_text drops them), so these stand, between
# `_quotes` and the escaping table, for what a quote becomes where it stands.
_OPEN, _CLOSE, _APOSTROPHE, _BACKTICK = "\x01", "\x02", "\x03", "\x04"


def _quotes(text: str) -> str:
    """Mark text's straight double quotes as LaTeX's opening or closing quotes ({``} and {''}),
    and each apostrophe or backtick of a run as one braced alone, so that `latex_to_text`
    reads every one back as it was written (the escaping table writes them)."""
    if ("'" in text or "`" in text) and ("''" in text or "``" in text):  # a character is found sooner than a pair
        text = _QUOTE_LIKE.sub(lambda run: run.group().replace("'", _APOSTROPHE).replace("`", _BACKTICK), text)
    return _OPENING_QUOTE.sub(_OPEN, text).replace('"', _CLOSE) if '"' in text else text


def latex_text(text: str) -> str:
    """Return text as ASCII LaTeX in which every special character is escaped."""
    return _latex(_quotes(clean_text(text)))


def _latex(marked: str) -> str:
    """Return cleaned text, its quotes marked (see `_quotes`), as ASCII LaTeX."""
    if marked.isascii():  # every character is its own cluster: escape by table
        return marked.translate(_ASCII_LATEX_TABLE)
    return "".join(latex_char(cluster) for cluster in _clusters(marked))


def _needs_protection(word: str) -> bool:
    """Tell whether a style that lowercases titles would damage a word."""
    if word.isascii():  # no title-case letters, and nothing becomes [U+XXXX]
        return not word.islower() and any(char.isupper() for char in word)
    capital = any(char.isupper() or unicodedata.category(char) == "Lt" for char in word)
    return capital or "[U+" in latex_text(word)


def _protected(latex: str) -> str:
    """Return a word's LaTeX braced against lowercasing.

    A brace group that starts with a macro ("{\\#MeToo}") is one "special character" to BibTeX,
    whose letters it still lowercases; a second pair of braces keeps them.
    """
    return f"{{{{{latex}}}}}" if latex.startswith("\\") else f"{{{latex}}}"


def latex_title(text: str) -> str:
    """Return a title as ASCII LaTeX with capitalised words braced against lowercasing."""
    cleaned = _quotes(clean_text(text))
    if cleaned.isascii():  # its words are clean already: escape each by table
        return " ".join(
            _protected(word.translate(_ASCII_LATEX_TABLE)) if _needs_protection(word) else word.translate(_ASCII_LATEX_TABLE)
            for word in cleaned.split(" ")
        )
    return " ".join(_protected(_latex(word)) if _needs_protection(word) else _latex(word) for word in cleaned.split(" "))


# ---------------------------------------------------------------------------
# Names


@dataclass(frozen=True, slots=True)
class NameParts:
    """An author split the way BibTeX and CSL see a name."""

    given: str = ""
    particle: str = ""
    family: str = ""
    suffix: str = ""


def starts_lowercase(word: str) -> bool:
    """Tell whether the first letter of a word is lowercase, as BibTeX decides "von"."""
    for char in word:
        if char.isalpha():
            return char.islower()
    return False


def _split_particle(family: str) -> tuple[str, str]:
    """Split leading lowercase words ("van der") off a family name."""
    words = family.split()
    start = 0
    while start < len(words) - 1 and starts_lowercase(words[start]) and words[start] != "and":
        start += 1
    return " ".join(words[:start]), " ".join(words[start:])


# BibTeX's and CSL's view of a name; keys.split_name is the family name with its particles, for
# keys, sorting and the author index. Here the particle is apart ("Ludwig van der Waals": "van der"
# and "Waals", where keys.split_name gives "van der Waals"), BibTeX's rule finds it in "Family,
# Given" (leading lowercase words: "dei Conti, Niccolò" gives "dei"), the name is cleaned first,
# and, unlike there, a name with nothing before its comma is a family name (", Ana") and parts
# after a third join the given name ("Smith, Jr., John, Paul": given "John Paul", not "John").
@lru_cache(maxsize=1 << 16)
def split_author(name: str) -> NameParts:
    """Split "Given Family", "Family, Given" or "Family, Jr., Given" into parts."""
    name = clean_text(name)
    if "," in name:
        parts = [part.strip() for part in name.split(",")]
        family = parts[0]
        suffix = parts[1] if len(parts) >= 3 else ""
        given = " ".join(part for part in parts[2 if len(parts) >= 3 else 1 :] if part)
        particle, family = _split_particle(family)
        if not family:
            family, given = given, ""
        return NameParts(given, particle, family, suffix)
    # "Given Family" is read as generator.keys reads it; its particles are the family's words but the last.
    given, family, suffix = split_name(name)
    particle, _, family = family.rpartition(" ")
    return NameParts(given, particle, family, suffix)


def _braced_if(text: str, condition: bool) -> str:
    """Return text in braces when the condition holds and there is text."""
    return f"{{{text}}}" if condition and text else text


def _name_part(text: str, *, whole: bool = False) -> str:
    """Return a name part as LaTeX, braced where BibTeX would cut it in the wrong place."""
    latex = latex_text(text)
    # A comma or the word "and" (which an encoded "ａｎｄ" or "4," can also produce)
    # would split the name or the author list.
    cut = "," in latex or any(word.lower() == "and" for word in latex.split())
    return _braced_if(latex, whole or cut)


def _label_safe(latex: str) -> str:
    """Return LaTeX with parentheses braced: natbib splits its labels at "(" and ")"."""
    return latex.replace("(", "{(}").replace(")", "{)}")


def bibtex_name(parts: NameParts) -> str:
    """Return a name as BibTeX reads it back: "von Last, Jr, First"."""
    words = parts.family.split()
    # BibTeX would read a lowercase word inside a family name as "von".
    family = _name_part(
        parts.family,
        whole=parts.family.lower() == "others"
        or (len(words) > 1 and any(map(starts_lowercase, words))),
    )
    given = _name_part(parts.given)
    suffix = _name_part(parts.suffix)
    particle = _name_part(parts.particle)
    if not given:
        # "Last, Jr," is an error to BibTeX, and "Two Words" alone reads as First Last.
        whole = f"{family}, {suffix}" if suffix else family
        family = _braced_if(whole, bool(suffix) or (len(words) > 1 and not family.startswith("{")))
        suffix = ""
    last = f"{particle} {family}" if particle else family
    return _label_safe(", ".join(part for part in (last, suffix, given) if part))


# ---------------------------------------------------------------------------
# Writing

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:.+/-]*$")
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def clean_url(url: str | None) -> str:
    """Return a URL with spaces, braces, backslashes and non-ASCII percent-encoded."""
    return quote(clean_text(url or "").replace(" ", ""), safe=_URL_SAFE)


def bare_doi(doi: str | None) -> str:
    """Return a bare DOI ("10.x/y") from a DOI, a doi: name or a doi.org link."""
    return re.sub(
        r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", clean_text(doi or ""), flags=re.I
    )


def clean_doi(doi: str | None) -> str:
    """Return a bare DOI with the characters that could break BibTeX percent-encoded."""
    return clean_url(bare_doi(doi))


def arxiv_url(arxiv: str) -> str:
    """Return the abstract page of an arXiv id."""
    return f"https://arxiv.org/abs/{clean_url(arxiv)}"


def _label_words(title: str) -> str:
    """Return what cites a paper without authors: a title of up to six words, else its title up
    to a colon (a name such as "Audio-AdapterFusion"), else its first five words. natbib's styles
    print the `key` as the citation and in the list; the whole title made both a line long."""
    words = title.split()
    head = title.split(": ", 1)[0]
    if len(words) <= 6:
        return title
    return head if head != title and len(head.split()) <= 6 else " ".join(words[:5])


def _short_latex(text: str, limit: int) -> str:
    """Return the LaTeX of the leading words of text, cut at a word within limit characters."""
    latex = ""
    for word in clean_text(text).split(" "):
        longer = f"{latex} {latex_text(word)}" if latex else latex_text(word)
        if len(longer) > limit:
            break
        latex = longer
    if not latex:  # a single long word: cut it between characters
        for cluster in _clusters(clean_text(text)):
            if len(latex + latex_char(cluster)) > limit:
                break
            latex += latex_char(cluster)
    return latex


def _written_type(paper: Paper, authors: list[str], venue: str) -> str:
    """Return the entry type to write: @misc when plain.bst would warn about a gap."""
    kind = entry_type(paper)
    # plain.bst requires an author and a booktitle or journal for these two types
    # ("Warning--empty author in x"); @misc requires none of them.
    if kind in ("inproceedings", "article") and (not authors or not venue):
        return "misc"
    return kind


@lru_cache(maxsize=1 << 16)
def _author_latex(name: str) -> str:
    """Return an author's name as BibTeX reads it, or "" when it has no family name."""
    parts = split_author(name)
    return bibtex_name(parts) if parts.family else ""


def _entry_values(paper: Paper) -> tuple[str, dict[str, str]]:
    """Return a paper's entry type and its field values, all but the abstract."""
    if not _KEY.match(paper.key):
        raise ValueError(f"{paper.key!r} is not a valid BibTeX key")
    # Authors recur across papers: each name is turned into LaTeX once.
    names = [latex for latex in map(_author_latex, paper.authors) if latex]
    venue = clean_venue(paper.venue)
    kind = _written_type(paper, names, venue)
    title = clean_text(paper.title) or paper.key
    values: dict[str, str] = {}
    if names:
        values["author"] = " and ".join(names + (["others"] if paper.et_al else []))
    else:
        # plain.bst sorts by author, else by `key`, and warns when both are missing.
        values["key"] = _label_safe(_short_latex(_label_words(title), SORT_KEY_LENGTH))
    values["title"] = latex_title(title)
    if kind == "inproceedings":
        values["booktitle"] = latex_text(venue)
    elif kind == "article":
        values["journal"] = latex_text(venue)
    elif venue and not (paper.arxiv and is_preprint_venue(venue)):
        values["howpublished"] = latex_text(venue)
    elif paper.arxiv:  # also when the venue only says "arXiv": the id is what a reader needs
        # plain.bst ignores eprint; without this a preprint would print no source.
        values["howpublished"] = latex_text(f"arXiv:{paper.arxiv}")
    # Every entry has a year: plain.bst warns without one on most types, and
    # plainnat.bst on all of them, after which natbib stops with "Bibliography not
    # compatible with author-year citations". "n.d." (no date) is APA's word for it.
    values["year"] = str(paper.year) if paper.year is not None else NO_YEAR
    if clean_doi(paper.doi):
        values["doi"] = clean_doi(paper.doi)
    if paper.arxiv:
        values["eprint"] = latex_text(paper.arxiv)
        values["archivePrefix"] = "arXiv"
    url = clean_url(paper.url) or (arxiv_url(paper.arxiv) if paper.arxiv else "")
    if url:
        values["url"] = url
    tags = [latex_text(tag) for tag in map(clean_text, paper.tags) if tag]
    if tags:
        values["keywords"] = ", ".join(tags)
    return kind, values


def _with_abstract(paper: Paper, values: dict[str, str]) -> dict[str, str]:
    """Return the field values with the abstract added, when the paper has one."""
    cleaned = clean_text(paper.abstract)
    return {**values, "abstract": _latex(_quotes(cleaned))} if cleaned else values  # latex_text, cleaned once


def to_entry(paper: Paper, *, abstract: bool = False) -> Entry:
    """Return the BibTeX entry of a paper, fields in FIELD_ORDER."""
    kind, values = _entry_values(paper)
    if abstract:
        values = _with_abstract(paper, values)
    fields = [Field(name, values[name]) for name in FIELD_ORDER if name in values]
    return Entry(kind, paper.key, fields)


def bibtex_format() -> bibtexparser.BibtexFormat:
    """Return the layout of written files: two-space indent, one blank line between entries."""
    layout = bibtexparser.BibtexFormat()
    layout.indent = "  "
    layout.value_column = 0
    layout.block_separator = "\n"
    layout.trailing_comma = False
    return layout


def _entry_text(kind: str, key: str, values: dict[str, str]) -> str:
    """Return an entry as `bibtexparser.write_string` writes it in `bibtex_format()`.

    Its writer takes a fifth of a millisecond an entry through its middleware, which is
    a minute at 100,000 papers; the layout is simple enough to write here, and
    tests/test_bibtex.py checks that both agree byte for byte.
    """
    fields = [f"  {name} = {{{values[name]}}}" for name in FIELD_ORDER if name in values]
    return f"@{kind}{{{key},\n" + ",\n".join(fields) + "\n}\n"


def _entry_texts(paper: Paper) -> tuple[str, str]:
    """Return a paper's entry without and with its abstract."""
    kind, values = _entry_values(paper)
    return _entry_text(kind, paper.key, values), _entry_text(kind, paper.key, _with_abstract(paper, values))


# A paper appears in its own .bib, its section's and both bibliographies, and `survey
# serve` writes them all again after each edit: each entry is written once.
_ENTRIES: Memo[Paper, tuple[str, str]] = memo()


def new_entries(papers: Sequence[Paper], processes: int = 1) -> list[tuple[str, str]]:
    """Write the entries of the papers not written before, shared between `processes` processes."""
    return workers.map_items(_entry_texts, [paper for paper in papers if paper not in _ENTRIES], processes)


def remember_entries(papers: Sequence[Paper], entries: Sequence[tuple[str, str]]) -> None:
    """Keep what `new_entries(papers)` wrote (perhaps in a copy of this process) for `write_bibtex`.

    Only the texts come back from a copy: the papers are this process's own, not copies of them.
    """
    for paper, texts in zip([paper for paper in papers if paper not in _ENTRIES], entries, strict=True):
        _ENTRIES.put(paper, texts)


def prepare_entries(papers: Sequence[Paper], processes: int) -> None:
    """Write and keep the entries of papers not written before."""
    remember_entries(papers, new_entries(papers, processes))


def entry(paper: Paper) -> str:
    """Return one paper's entry, without its abstract, as `write_bibtex([paper])` writes it but for the final newline."""
    return _ENTRIES.get(paper, _entry_texts, paper)[0].rstrip("\n")


def write_bibtex(papers: Iterable[Paper], *, abstract: bool = False) -> str:
    """Return the BibTeX of papers, in the order given."""
    papers = list(papers)
    keys = [paper.key for paper in papers]
    duplicates = sorted(key for key, count in Counter(keys).items() if count > 1)
    if duplicates:
        raise ValueError(f"duplicate keys: {', '.join(duplicates)}")
    texts = (_ENTRIES.get(paper, _entry_texts, paper) for paper in papers)
    # The block separator of bibtex_format() between entries.
    return "\n".join(full if abstract else short for short, full in texts)


# ---------------------------------------------------------------------------
# LaTeX to text (the inverse of `latex_text`; also used to read a .bib, see bibimport.py)


def _latex_decoder() -> LatexNodes2Text:
    """Return a LaTeX-to-text converter that knows the macros this module writes."""
    context = get_default_latex_context_db()
    symbols = {
        "textbraceleft": "{",
        "textbraceright": "}",
        "textbackslash": "\\",
        "textasciitilde": "~",
        "textasciicircum": "^",
        "textquotedbl": '"',
        "textless": "<",
        "textgreater": ">",
        "textbar": "|",
        "textunderscore": "_",
    }
    # The TeX logos as their names; they are no letters of their own to the decoder.
    symbols |= {"LaTeX": "LaTeX", "TeX": "TeX", "BibTeX": "BibTeX", "LaTeXe": "LaTeX2e", "XeTeX": "XeTeX", "LuaTeX": "LuaTeX"}
    # Currency and section signs that exports write as commands of their packages.
    symbols |= {"euro": "€", "EUR": "€", "pounds": "£", "S": "§", "P": "¶"}
    # Commands of layout and links: their text is the last argument, or nothing ("\\color{red}",
    # "\\label{x}", BibTeX's "\\noopsort{key}" that only sorts); see _PARSER_CONTEXT for their arguments.
    layout = [MacroTextSpec(name, simplify_repl=f"%({count})s") for name, count in (("href", 2), ("hypertarget", 2), ("scalebox", 2), ("raisebox", 2))]
    layout += [MacroTextSpec(name, discard=True) for name in ("color", "label", "ref", "noopsort", "hspace", "vspace")]
    context.add_context_category(
        "survey-bibtex",
        prepend=True,
        macros=[MacroTextSpec(name, simplify_repl=text) for name, text in symbols.items()] + layout,
        # A bare & ("Science & Engineering", as some exports write it) is the ampersand, not
        # LaTeX's column separator, which would turn it into spaces.
        specials=[SpecialsTextSpec("&", "&")],
    )
    # A command the decoder does not know keeps its text: "\\texttt{DSPy}" and "\\mbox{Declarative}"
    # are the words, not nothing (a title lost them without a word said).
    context.set_unknown_macro_spec(MacroTextSpec("", discard=False))
    # A bare % in a .bib title means "percent", not a LaTeX comment: keep it. Mathematics
    # becomes its Unicode text ("$\\alpha$-Synuclein" is "α-Synuclein"): the pages have no
    # typesetter for it, and the BibTeX written back escapes every dollar sign.
    return LatexNodes2Text(latex_context=context, math_mode="text", keep_comments=True)


_DECODER = _latex_decoder()


def _parser_context() -> object:
    """Return the LaTeX parser's commands with the arguments of those it does not know that
    exports write: "\\href{url}{text}" (its converter took two arguments the parser had not
    read, and stopped with an IndexError), "\\noopsort{key}"."""
    context = get_default_parser_context_db()
    context.add_context_category(
        "survey-bibtex",
        prepend=True,
        macros=[MacroSpec(name, args) for name, args in (("href", "{{"), ("hypertarget", "{{"), ("scalebox", "{{"), ("raisebox", "{{"), ("noopsort", "{"))],
    )
    return context


_PARSER_CONTEXT = _parser_context()
# pylatexenc says "Error in configuration" for a few of its own commands given odd arguments
# ("\\textfrac"); the text is decoded all the same, and a contributor cannot act on the message.
logging.getLogger("pylatexenc").setLevel(logging.ERROR)


# An unescaped dollar sign.
_DOLLAR = re.compile(r"(?<!\\)\$")


def _is_math(inner: str, after: str) -> bool:
    """Tell whether the text between two dollar signs reads as mathematics, given what follows
    the second: a command, a sub- or superscript ("$ \\alpha $", "$x_1$"), or a short text with no
    space at either end ("$k$", "$5$"). A second sign followed by a digit starts a price
    ("$5-$10", "$1,000/$2,000"), and so does one after a space ("$100 and $200")."""
    if not inner or after[:1].isdigit():
        return False
    if re.search(r"\\[A-Za-z]|[\^_]", inner):
        return True
    return inner == inner.strip() and not (inner[0].isdigit() and " " in inner)


def _literal_dollars(latex: str) -> str:
    """Escape the dollar signs of a field that are prices, not mathematics, as exports leave them
    ("Costs $5 per query"): the decoder would read the text between two as a formula. A sign
    opens a formula only when the text up to the next one reads as mathematics; display
    mathematics ("$$ E = mc^2 $$") is read as inline."""
    latex = _DISPLAY.sub(lambda found: f"${found.group(1)}$" if _is_math(found.group(1).strip(), "") else found.group(), latex)
    signs = [found.start() for found in _DOLLAR.finditer(latex)]
    literal, index = [], 0
    while index < len(signs):
        if index + 1 < len(signs) and _is_math(latex[signs[index] + 1 : signs[index + 1]], latex[signs[index + 1] + 1 : signs[index + 1] + 2]):
            index += 2
        else:
            literal.append(signs[index])
            index += 1
    for position in reversed(literal):
        latex = latex[:position] + "\\" + latex[position:]
    return latex


# Display mathematics: "$$…$$" with text between (not "$\\alpha$$\\beta$", two formulas side by side).
_DISPLAY = re.compile(r"(?<!\\)\$\$([^$]+)(?<!\\)\$\$")


def latex_to_text(latex: str) -> str:
    """Return plain Unicode for a LaTeX field value; braces and macros are dropped.

    LaTeX's double quotes (`` and '') come back as the straight ones titles are written with,
    as `latex_title` wrote them from."""
    quoted = "``" in latex or "''" in latex
    if quoted:  # held by a private-use character while the decoder reads the rest
        latex = latex.replace("{``}", "\ue000").replace("{''}", "\ue000").replace("``", "\ue000").replace("''", "\ue000")
    if "$" in latex:
        latex = _literal_dollars(latex)
    try:
        text = _DECODER.latex_to_text(latex, latex_context=_PARSER_CONTEXT)
    except (IndexError, KeyError, ValueError, TypeError, AttributeError):
        # A command whose converter expects arguments the parser did not read: its words stay,
        # the commands and braces go, rather than the whole file failing with a traceback.
        text = re.sub(r"\\[A-Za-z]+\*?|[{}]", "", latex)
    if quoted:
        text = text.replace("\ue000", '"')
    return clean_text(_UNIHEX.sub(lambda m: chr(int(m.group(1), 16)), text))
