"""Citation keys: `familyYEARword`, lowercase ASCII, stable once published."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
MAX_KEY_LENGTH = 64
# Names Windows keeps for devices, whatever the extension: a file "con.yaml" cannot be checked out there.
RESERVED_KEYS = frozenset(["con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)), *(f"lpt{n}" for n in range(1, 10))])

# Words that never make a key: a reader looks for "lori", not "a" or "towards".
TITLE_SKIP_WORDS = frozenset(
    ["a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "from", "by", "at", "as", "via", "into", "towards", "toward", "is", "are", "be", "do", "does", "can", "we", "our", "you", "your", "how", "what", "why", "when", "which", "who", "not", "no"]
)
PARTICLES = frozenset(["van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "dos", "das", "la", "le", "ter", "ten", "zu", "y"])
# Arabic particles of a family name ("Al Farsi", "El Khatib", "Bin Laden"): read as particles
# when names are compared and warned about, not when they are split (BibTeX does not know them).
ARABIC_PARTICLES = frozenset(["al", "el", "ben", "bin", "abu", "ibn"])
SUFFIXES = frozenset(["jr", "jr.", "sr", "sr.", "ii", "iii", "iv"])


_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
# What separates the words of a text (see indexes.plain_words, dedupe.title_words).
NON_WORD = re.compile(r"\W+")
# Latin letters that Unicode does not decompose into a base letter and a mark.
_LATIN_LIGATURES = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "đ": "d"})


@functools.lru_cache(maxsize=1 << 16)
def ascii_fold(text: str) -> str:
    """Return lowercase ASCII letters and digits of a text, accents dropped."""
    if text.isascii():
        return _NOT_ALNUM.sub("", text).lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_LATIN_LIGATURES))
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


@functools.lru_cache(maxsize=1 << 16)
def fold_letters(text: str) -> str:
    """Return a text's letters and digits in lowercase, as two spellings of one word agree on them.

    Latin letters lose their accents ("Über" -> "uber", as `ascii_fold` gives); other scripts
    stay as written ("张伟", "иван"), where `ascii_fold` would leave nothing to tell two titles
    or two names apart.
    """
    if text.isascii():
        return _NOT_ALNUM.sub("", text).lower()
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", text.translate(_LATIN_LIGATURES)):
        if char.isalnum():
            kept.append(char)
        elif unicodedata.combining(char) and kept and not kept[-1].isascii():
            kept.append(char)  # a mark of another script (Japanese dakuten, Cyrillic breve) stays
    return unicodedata.normalize("NFC", "".join(kept)).casefold()


# Two splitters, on purpose. This one gives the family name with its particles, as keys, sorting,
# the author index and duplicates want it: "Ludwig van der Waals" -> ("Ludwig", "van der Waals", "").
# bibtex.split_author is BibTeX's and CSL's view: it reads "Given Family" through this one but sets
# the particle apart ("van der" and "Waals"), and in "Family, Given" takes the family's leading
# lowercase words as the particle ("dei Conti, Niccolò": "dei" and "Conti"; here "dei Conti").
@functools.lru_cache(maxsize=1 << 16)
def split_name(name: str) -> tuple[str, str, str]:
    """Split an author into (given, family, suffix); "Family, Given" is taken as written."""
    parts = [p.strip() for p in name.split(",")]
    if len(parts) >= 3:
        return parts[2], parts[0], parts[1]
    if len(parts) == 2:
        return parts[1], parts[0], ""
    words = name.split()
    suffix = ""
    if len(words) > 1 and words[-1].lower() in SUFFIXES:
        suffix = words.pop()
    if len(words) == 1:
        return "", words[0], suffix
    start = len(words) - 1
    # Lowercase particles before the last word belong to the family name.
    while start > 1 and words[start - 1] in PARTICLES:
        start -= 1
    if start == 1 and words[0] in PARTICLES:
        start = 0
    return " ".join(words[:start]), " ".join(words[start:]), suffix


def family_name(name: str) -> str:
    """Return an author's family name."""
    return split_name(name)[1]


def first_title_word(title: str) -> str:
    """Return the first significant word of a title, folded to ASCII."""
    single = ""  # a letter ("C", the "b" of "<b>") is a word only when the title has no other
    for word in re.split(r"[^\w-]+", title):
        folded = ascii_fold(word)
        if not folded or folded in TITLE_SKIP_WORDS or folded.isdigit():
            continue
        if len(folded) > 1:
            return folded
        single = single or folded
    return single or "untitled"


def make_key(title: str, authors: Iterable[str], year: int | None, taken: set[str]) -> str:
    """Return a fresh key such as `zhang2025lori`; a clash gets a letter suffix."""
    authors = list(authors)
    family = ascii_fold(family_name(authors[0])) if authors else ""
    word = first_title_word(title)
    stem = f"{family or word}{year or ''}{word if family else ''}"
    if not stem[0].isalpha():
        stem = f"p{stem}"
    stem = stem[: MAX_KEY_LENGTH - 3]
    key, suffix = stem, ord("b")
    while key in taken or key in RESERVED_KEYS:
        key = f"{stem}{chr(suffix)}" if suffix <= ord("z") else f"{stem}-{suffix - ord('a')}"
        suffix += 1
    return key


# Said of a key that `follows_key_style` refuses, by `survey check`, `survey release` and an import.
NOT_KEY_STYLE = "does not give the first author's family name and the year, as the survey's keys do"


def follows_key_style(key: str, authors: Sequence[str], year: int | None) -> bool:
    """Tell whether a key names the first author's family and the year, as `familyYEARword` does.

    Loosely, so that other habits of naming pass: "hu-etal-2021-lora" (the ACL Anthology's) and
    "huLoRALowRankAdaptation2021" (Zotero's) name both; "lora" and "paper-12" name neither. The
    family name may be written without its particles ("waals1873" for van der Waals, "farsi2024"
    or "alfarsi2024" for Al Farsi). A family name in another script, which gives no ASCII, asks
    only for the year.
    """
    joined = key.replace("-", "")
    family = family_name(authors[0]) if authors else ""
    forms = {ascii_fold(family), ascii_fold(family.split()[-1]) if family.split() else ""}
    return any(form in joined for form in forms) and (year is None or str(year) in joined)


def is_valid_key(key: str) -> bool:
    """Tell whether a key is safe as a file name, an anchor and a BibTeX key."""
    return len(key) <= MAX_KEY_LENGTH and bool(KEY_PATTERN.match(key)) and key not in RESERVED_KEYS
