"""The author index (spelling variants merged) and the keyword index."""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .cache import Memo, memo
from .keys import NON_WORD, fold_letters, split_name
from .models import Paper, Survey

Tokens = tuple[str, ...]
# A paper keyword names an index entry once this many papers share it.
KEYWORD_MIN_PAPERS = 2
# What splits a name into its words, and a keyword into its words.
_NAME_BREAK = re.compile(r"[\s.\-]+")
_KEYWORD_BREAK = re.compile(r"[\s\-]+")


@dataclass(frozen=True, slots=True)
class Author:
    """One person of the author index, with every spelling the papers use."""

    name: str
    anchor: str
    letter: str
    variants: tuple[str, ...]
    papers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Keyword:
    """One keyword of the keyword index: the sections it characterises and its papers."""

    word: str
    anchor: str
    sections: tuple[str, ...]
    papers: tuple[str, ...]


@functools.lru_cache(maxsize=1 << 16)
def display_name(name: str) -> str:
    """Return an author as a reader writes it: "Rabeeh Karimi Mahabadi"; a name in Chinese,
    Japanese or Korean script given as "Family, Given" family name first, as it is written
    there ("张, 伟" is "张伟"); one written without a comma ("山田 太郎") stays as it is written."""
    given, family, suffix = split_name(name)
    if "," in name and given and _east_asian(family) and _east_asian(given):  # "张, 伟": written as 张伟
        return family + given
    return " ".join(part for part in (given, family) if part) + (f", {suffix}" if suffix else "")


def _east_asian(text: str) -> bool:
    """Tell whether a text is written in Han characters, kana or Hangul only."""
    return all("\u1100" <= char <= "\u11ff" or "\u3040" <= char <= "\u30ff" or "\u3400" <= char <= "\u9fff" or "\uac00" <= char <= "\ud7af" or "\uf900" <= char <= "\ufaff" for char in text)


@functools.lru_cache(maxsize=1 << 16)
def name_tokens(name: str) -> Tokens:
    """Return a name's words in reading order, folded: "J.-B. Alayrac" -> (j, b, alayrac), "张伟" -> (张伟,)."""
    return tuple(t for t in (fold_letters(w) for w in _NAME_BREAK.split(display_name(name))) if t)


def _fits(short: Tokens, full: Tokens) -> bool:
    return len(short) == len(full) and all(a == b or (len(a) == 1 and b.startswith(a)) for a, b in zip(short, full, strict=True))


def abbreviates(short: Tokens, full: Tokens) -> bool:
    """Tell whether one spelling can be a shorter form of another: initials, a dropped middle initial."""
    if short == full or not short or not full or short[-1] != full[-1]:
        return False
    if _fits(short, full):
        return True
    # "Colin Raffel" for "Colin A. Raffel": drop the longer form's middle initials.
    trimmed = full[:1] + tuple(t for t in full[1:-1] if len(t) > 1) + full[-1:]
    return trimmed != full and (trimmed == short or _fits(short, trimmed))


def slug(text: str) -> str:
    """Return lowercase ASCII words joined by hyphens; a word of another script as its code points."""
    return "-".join(map(_ascii_word, plain_words(text).split())) or "x"


def _ascii_word(word: str) -> str:
    """Return a folded word as an anchor may carry it: "张伟" -> "u5f20-4f1f"."""
    return word if word.isascii() else "u" + "-".join(f"{ord(char):x}" for char in word)


def plain_words(text: str) -> str:
    """Return a text's words in lowercase without accents ("Eldar Kurtić" -> "eldar kurtic")."""
    return " ".join(folded for w in NON_WORD.split(text) if (folded := fold_letters(w)))


def _unique(anchor: str, taken: set[str]) -> str:
    candidate, number = anchor, 2
    while candidate in taken:
        candidate, number = f"{anchor}-{number}", number + 1
    taken.add(candidate)
    return candidate


def _merge_targets(spellings: Iterable[Tokens]) -> dict[Tokens, Tokens]:
    """Map every spelling to the fullest spelling it unambiguously abbreviates (or to itself)."""
    spellings = sorted(set(spellings))
    # Only spellings with the same family name and first initial can be one person.
    alike: dict[tuple[str, str], list[Tokens]] = defaultdict(list)
    # A spelling without initials abbreviates only one that `abbreviates` trims: one with a middle
    # initial to drop, or a single word. Most spellings are looked for among these alone.
    trimmed: dict[tuple[str, str], list[Tokens]] = defaultdict(list)
    for tokens in spellings:
        alike[tokens[-1], tokens[0][0]].append(tokens)
        if len(tokens) == 1 or any(len(t) == 1 for t in tokens[1:-1]):
            trimmed[tokens[-1], tokens[0][0]].append(tokens)
    target = {tokens: tokens for tokens in spellings}
    for tokens in spellings:
        candidates = (alike if any(len(t) == 1 for t in tokens) else trimmed)[tokens[-1], tokens[0][0]]
        longer = [other for other in candidates if abbreviates(tokens, other)]
        # Keep only the fullest forms: "J. Smith" -> "John A. Smith", not also "John Smith".
        fullest = [t for t in longer if not any(abbreviates(t, other) for other in longer)]
        if len(fullest) == 1:
            target[tokens] = fullest[0]
    for tokens in spellings:  # follow chains to their end
        end, seen = target[tokens], {tokens}
        while target[end] != end and end not in seen:
            seen.add(end)
            end = target[end]
        target[tokens] = end
    return target


def _best_spelling(names: Counter[str]) -> str:
    """Prefer the fullest written form, then the most used, then one that keeps its accents."""
    return min(names, key=lambda n: (-len(name_tokens(n)), -sum(map(len, name_tokens(n))), -names[n], -sum(not c.isascii() for c in n), n))


def family_first(name: str) -> str:
    """Return a name folded for sorting by family name: "Karimi Mahabadi, Rabeeh" -> "karimi mahabadi rabeeh"."""
    given, family, _ = split_name(name)
    return f"{plain_words(family)} {plain_words(given)}"


AuthorIndex = tuple[list[Author], dict[str, str]]
# The index of an unchanged list of authors is made once per process (`survey serve` rebuilds
# after each edit; most edits leave the authors alone). See also `pages.prepare`.
_AUTHOR_INDEXES: Memo[tuple[tuple[str, str, int | None, tuple[str, ...]], ...], AuthorIndex] = memo(limit=4)


def _authorship(papers: Sequence[Paper]) -> tuple[tuple[str, str, int | None, tuple[str, ...]], ...]:
    """Return everything of the papers that the author index depends on."""
    return tuple((p.key, p.title, p.year, p.authors) for p in papers)


def author_index(papers: Sequence[Paper]) -> AuthorIndex:
    """Return the authors A to Z, and the anchor of every written name."""
    return _AUTHOR_INDEXES.get(_authorship(papers), _author_index, papers)


def author_index_known(papers: Sequence[Paper]) -> bool:
    """Tell whether the author index of these papers was made before in this process."""
    return _authorship(papers) in _AUTHOR_INDEXES


def remember_author_index(papers: Sequence[Paper], index: AuthorIndex) -> None:
    """Keep an author index made for these papers (perhaps in another process)."""
    _AUTHOR_INDEXES.put(_authorship(papers), index)


def _author_index(papers: Sequence[Paper]) -> AuthorIndex:
    written = [(paper, name) for paper in papers for name in paper.authors if name_tokens(name)]
    target = _merge_targets(name_tokens(name) for _, name in written)
    groups: dict[Tokens, Counter[str]] = defaultdict(Counter)
    keys: dict[Tokens, dict[str, Paper]] = defaultdict(dict)  # each person's papers, once each
    for paper, name in written:
        person = target[name_tokens(name)]
        groups[person][name] += 1
        keys[person].setdefault(paper.key, paper)
    people = []
    for person, names in groups.items():
        best = _best_spelling(names)
        # "Family, Given" says where the family name starts; prefer it for sorting.
        sort_as = next((n for n in sorted(names) if "," in n), best)
        people.append((family_first(sort_as), person, best, names))
    people.sort()
    taken: set[str] = set()
    authors, anchors = [], {}
    for order, person, best, names in people:
        anchor = _unique("author-" + "-".join(map(_ascii_word, person)), taken)
        # Names in other scripts are listed under "#", not under a page per character.
        letter = order[:1].upper() if order[:1].isascii() and order[:1].isalpha() else "#"
        shown = display_name(best)
        variants = tuple(sorted({display_name(n) for n in names} - {shown}))
        chosen = sorted(keys[person].values(), key=lambda p: (-(p.year or 0), p.title.casefold(), p.key))
        authors.append(Author(shown, anchor, letter, variants, tuple(p.key for p in chosen)))
        for name in names:
            anchors[name] = anchor
    return authors, anchors


def _mention_pattern(word: str) -> re.Pattern[str]:
    """Return a pattern finding a keyword, in lowercase text, as whole words, any spacing or hyphens between them."""
    return re.compile(r"\b" + r"[\s\-]+".join(map(re.escape, _KEYWORD_BREAK.split(word.lower()))) + r"\b")


def keyword_index(survey: Survey, min_papers: int = KEYWORD_MIN_PAPERS) -> list[Keyword]:
    """Return the section keywords and the paper keywords shared by several papers, A to Z.

    A keyword lists the papers that carry it, and for a section keyword also that
    section's papers that use the word.
    """
    by_key = {p.key: p for p in survey.papers}
    carriers: dict[str, set[str]] = defaultdict(set)
    for key, paper_words in survey.paper_keywords.items():
        for word in paper_words:
            carriers[word].add(key)
    text = {p.key: f"{p.title} {p.abstract}".lower() for p in survey.papers}
    of_sections: dict[str, list[str]] = defaultdict(list)
    for section in survey.sections:
        for word in section.keywords:
            of_sections[word].append(section.id)
            pattern, first = _mention_pattern(word), _KEYWORD_BREAK.split(word.lower())[0]
            # A cheap substring test first (most papers do not contain the word at all), and the
            # pattern is tried from the word's first occurrence on.
            carriers[word] |= {k for k in section.papers if (at := text[k].find(first)) >= 0 and pattern.search(text[k], at)}
    words = sorted((w for w in carriers if of_sections.get(w) or len(carriers[w]) >= min_papers), key=lambda w: (w.casefold(), w))
    # Each keyword lists its papers newest first, then by title: one order for all, worked out once.
    rank = {p.key: n for n, p in enumerate(sorted(by_key.values(), key=lambda p: (-(p.year or 0), p.title.casefold(), p.key)))}
    taken: set[str] = set()
    index = []
    for word in words:
        chosen = sorted((k for k in carriers[word] if k in rank), key=rank.__getitem__)
        index.append(Keyword(word, _unique("kw-" + slug(word), taken), tuple(of_sections.get(word, ())), tuple(chosen)))
    return index
