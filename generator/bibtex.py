"""BibTeX: write entries that compile with classic `bibtex`, and read a .bib for import.

What is written is aimed at the oldest common tool chain: `bibtex` with `plain.bst`
or `plainnat.bst`, and `pdflatex` with `\\usepackage[T1]{fontenc}` and
`\\usepackage[utf8]{inputenc}`. The file is pure ASCII, so that chain never meets a
character it cannot typeset:

- LaTeX specials (``& % $ # _ { } ~ ^ \\``) and ``" < > |`` become text macros.
  Braces and backslashes are never passed through: BibTeX counts every brace,
  escaped or not, so a literal ``{`` must be ``{\\textbraceleft}``.
- Accented letters become BibTeX "special characters" such as ``{\\"u}``, which
  BibTeX sorts and case-changes as the letter they stand for.
- A character neither LaTeX nor T1 can show (CJK, emoji, other scripts) becomes
  ``[U+5F20]``: visible, so a reader can see something is missing, and decoded
  back by `read_bibtex`. Records should carry a romanised name for such authors.
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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

import bibtexparser
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    Field,
    ParsingFailedBlock,
)
from pylatexenc.latex2text import (
    LatexNodes2Text,
    MacroTextSpec,
    SpecialsTextSpec,
    get_default_latex_context_db,
)
from pylatexenc.latexencode import UnicodeToLatexEncoder

from generator import workers
from generator.cache import Memo, memo
from generator.keys import PARTICLES, SUFFIXES
from generator.models import Paper, Problem
from generator.schema import MAX_TAG

ENTRY_TYPES = ("inproceedings", "article", "misc")
# Entries that hold a volume's fields for the papers that name it with crossref.
CROSSREF_VOLUMES = ("proceedings", "book", "collection", "mvproceedings", "mvbook")
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
# (Zotero makes a tag of each); `read_bibtex` reads them back, also separated by semicolons.
KEYWORD_SEPARATOR = re.compile(r"[,;]")

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
    # Not special to plain LaTeX, but active in babel languages or wrong glyphs in OT1.
    '"': r"{\textquotedbl}",
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


def clean_text(text: str) -> str:
    """Return text in NFC with control characters removed and whitespace collapsed."""
    if text.isascii():
        # Printable ASCII has no control characters: only white space is left to fold.
        return " ".join((text if text.isprintable() else text.translate(_ASCII_CLEAN)).split())
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


def latex_text(text: str) -> str:
    """Return text as ASCII LaTeX in which every special character is escaped."""
    cleaned = clean_text(text)
    if cleaned.isascii():  # every character is its own cluster: escape by table
        return cleaned.translate(_ASCII_LATEX_TABLE)
    return "".join(latex_char(cluster) for cluster in _clusters(cleaned))


def _needs_protection(word: str) -> bool:
    """Tell whether a style that lowercases titles would damage a word."""
    if word.isascii():  # no title-case letters, and nothing becomes [U+XXXX]
        return not word.islower() and any(char.isupper() for char in word)
    capital = any(char.isupper() or unicodedata.category(char) == "Lt" for char in word)
    return capital or "[U+" in latex_text(word)


def latex_title(text: str) -> str:
    """Return a title as ASCII LaTeX with capitalised words braced against lowercasing."""
    cleaned = clean_text(text)
    if cleaned.isascii():  # its words are clean already: escape each by table
        return " ".join(
            f"{{{word.translate(_ASCII_LATEX_TABLE)}}}" if _needs_protection(word) else word.translate(_ASCII_LATEX_TABLE)
            for word in cleaned.split(" ")
        )
    return " ".join(
        f"{{{latex_text(word)}}}" if _needs_protection(word) else latex_text(word)
        for word in clean_text(text).split(" ")
    )


# ---------------------------------------------------------------------------
# Names


@dataclass(frozen=True, slots=True)
class NameParts:
    """An author split the way BibTeX and CSL see a name."""

    given: str = ""
    particle: str = ""
    family: str = ""
    suffix: str = ""


def _starts_lowercase(word: str) -> bool:
    """Tell whether the first letter of a word is lowercase, as BibTeX decides "von"."""
    for char in word:
        if char.isalpha():
            return char.islower()
    return False


def _split_particle(family: str) -> tuple[str, str]:
    """Split leading lowercase words ("van der") off a family name."""
    words = family.split()
    start = 0
    while start < len(words) - 1 and _starts_lowercase(words[start]) and words[start] != "and":
        start += 1
    return " ".join(words[:start]), " ".join(words[start:])


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
    words = name.split()
    suffix = ""
    if len(words) > 1 and words[-1].lower() in SUFFIXES:
        suffix = words.pop()
    if not words:
        return NameParts(family=suffix)
    start = len(words) - 1
    # Particles before the last word belong to the family name (as generator.keys says).
    while start > 0 and words[start - 1] in PARTICLES:
        start -= 1
    given = " ".join(words[:start])
    return NameParts(given, " ".join(words[start:-1]), words[-1], suffix)


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
        or (len(words) > 1 and any(map(_starts_lowercase, words))),
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
        values["key"] = _label_safe(_short_latex(title, SORT_KEY_LENGTH))
    values["title"] = latex_title(title)
    if kind == "inproceedings":
        values["booktitle"] = latex_text(venue)
    elif kind == "article":
        values["journal"] = latex_text(venue)
    elif venue:
        values["howpublished"] = latex_text(venue)
    elif paper.arxiv:
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
    return {**values, "abstract": latex_text(paper.abstract)} if clean_text(paper.abstract) else values


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
# Reading


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
    context.add_context_category(
        "survey-bibtex",
        prepend=True,
        macros=[MacroTextSpec(name, simplify_repl=text) for name, text in symbols.items()],
        # A bare & ("Science & Engineering", as some exports write it) is the ampersand, not
        # LaTeX's column separator, which would turn it into spaces.
        specials=[SpecialsTextSpec("&", "&")],
    )
    # A bare % in a .bib title means "percent", not a LaTeX comment: keep it.
    return LatexNodes2Text(latex_context=context, math_mode="verbatim", keep_comments=True)


_DECODER = _latex_decoder()

_ARXIV_ID = r"(?:\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})"
_ARXIV_BARE = re.compile(rf"^(?:arXiv:)?({_ARXIV_ID})(?:v\d+)?$", re.IGNORECASE)
_ARXIV_URL = re.compile(rf"arxiv\.org/(?:abs|pdf)/({_ARXIV_ID})(?:v\d+)?(?:\.pdf)?/?$", re.I)
_ARXIV_DOI = re.compile(rf"^10\.48550/arxiv\.({_ARXIV_ID})(?:v\d+)?$", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(rf"(?:arXiv:|abs/)\s*({_ARXIV_ID})(?:v\d+)?", re.IGNORECASE)
_YEAR = re.compile(r"\b(\d{4})\b")


def latex_to_text(latex: str) -> str:
    """Return plain Unicode for a LaTeX field value; braces and macros are dropped."""
    text = _DECODER.latex_to_text(latex)
    return clean_text(_UNIHEX.sub(lambda m: chr(int(m.group(1), 16)), text))


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


def _read_authors(value: str) -> tuple[list[str], bool]:
    """Return the authors of a BibTeX author field and whether it ended in "and others"."""
    names = split_multiple_persons_names(value)
    et_al = bool(names) and names[-1].strip().lower() == "others"
    authors = []
    for name in names[:-1] if et_al else names:
        bib = parse_single_name_into_parts(name, strict=False)
        if "," not in name and bib.first and _starts_lowercase(bib.first[0]):
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
    """Return an entry's fields by lowercase name, with concatenations joined."""
    return {
        field.key.lower(): _joined(str(field.value), strings) if field.enclosing == "no-enclosing" and "#" in str(field.value) else str(field.value)
        for field in entry.fields
    }


def _inherited(fields: dict[str, str], parent: dict[str, str] | None) -> dict[str, str]:
    """Return an entry's fields with those it lacks taken from the entry its crossref names.

    As BibTeX does (DBLP's exports work this way); the parent's title is the child's booktitle.
    """
    if parent is None:
        return fields
    taken = {name: value for name, value in parent.items() if name not in ("title", "crossref", "abstract")}
    if "title" in parent:
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
    venue = latex_to_text(fields.get("booktitle") or fields.get("journal") or fields.get("journaltitle") or "") or None
    preprint = venue is not None and (is_preprint_venue(venue) or bool(_ARXIV_IN_TEXT.search(venue)))
    if preprint:
        venue = None  # Google Scholar's "journal = {arXiv preprint arXiv:...}" is no venue
    url = _verbatim(fields.get("url", "")) or None
    if url and arxiv and _ARXIV_URL.search(url):
        url = None  # the arxiv field already links it
    doi = bare_doi(_verbatim(fields.get("doi", ""))) or None
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
        library = bibtexparser.parse_string(text)
    problems = [_failure(block, path) for block in library.failed_blocks]
    strings = {string.key.lower(): str(string.value) for string in library.strings}
    texts = [_field_texts(entry, strings) for entry in library.entries]
    by_key = {entry.key.lower(): fields for entry, fields in zip(library.entries, texts, strict=True)}
    parents = {fields["crossref"].strip().lower() for fields in texts if fields.get("crossref")}
    records = []
    for entry, fields in zip(library.entries, texts, strict=True):
        if entry.entry_type.lower() in CROSSREF_VOLUMES and entry.key.lower() in parents:
            continue  # a volume its papers point at with crossref, not a paper of its own
        parent = by_key.get(fields.get("crossref", "").strip().lower())
        record = _read_entry(entry, path, problems, _inherited(fields, parent))
        if record is not None:
            records.append(record)
    problems.sort(key=lambda problem: problem.line)
    return records, problems
