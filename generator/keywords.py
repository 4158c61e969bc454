"""Keywords: class-based TF-IDF per section, plain TF-IDF per paper."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from . import cache
from .features import Features, fold

SECTION_KEYWORDS = 8
SECTION_KEYWORDS_MIN = 5
PAPER_KEYWORDS = 5
# A section keyword must occur in at least this many of the section's papers (fewer in a section
# that small), so that one paper's pet word never names a whole section.
SECTION_KEYWORD_PAPERS = 2
SCORE_DECIMALS = 12
# A bigram takes the place of its own word when it scores at least this share of the word.
BIGRAM_PREFERENCE = 0.5
# A section keyword's score is its class-based TF-IDF times the square root of the share of the
# papers using it that are in the section (so that a word most of the section uses still
# outranks a rarer one found only there), counted as if this many more papers used it, spread
# over the sections by their sizes: a word that few papers use says little about where they are.
DISTINCT_PRIOR = 3.0
DISTINCT_POWER = 0.5
# Papers whose keywords are found together, and how many of each paper's best terms are
# looked at first (all of them in the rare paper where these are not enough).
KEYWORD_BLOCK = 1000
KEYWORD_HEAD = 24
# Words of academic prose that abstracts use in passing and that name no theme as a keyword:
# never shown alone, nor as the first word of a bigram ("significant improvements"). They stay
# in the features, so the grouping is as it was; as BERTopic does, what names a topic is chosen
# apart from how the topics are found. The curator's own stop words (overrides) leave the
# features as well.
KEYWORD_SKIP = frozenset(
    ["according", "accurate", "advanced", "approximately", "associated", "attempt", "cause", "comprehensively", "contributed", "creating", "enhance", "enhanced", "enhancing", "especially", "examining", "focusing", "incorporate", "incorporates", "indicate", "indicates", "instead", "investigation", "regardless", "remains", "represented", "seen", "separately", "setup", "significant", "typical", "usage", "total", "benefit", "benefits", "generate", "generates", "implementation", "require", "requires", "required", "requiring", "employ", "employs", "employed", "employing", "verifies"]
)
# An adverb ("surprisingly", "remarkably", "directly") says how, not what: a single word ending
# in "ly" is never shown alone, but for the nouns that end so (anomaly, assembly, family,
# supply, monopoly). A bigram keeps it ("weakly supervised", "early stopping").
NOT_ADVERBS = ("aly", "mbly", "mily", "pply", "oly")


def _stem(word: str) -> str:
    """Return a crude stem: "evaluation", "evaluating" and "evaluate" all give "evaluat"."""
    if len(word) >= 8:
        return word[:7]
    for ending in ("ies", "es", "s"):
        if word.endswith(ending) and len(word) >= len(ending) + 3 and not word.endswith("ss"):
            return word[: -len(ending)] + ("y" if ending == "ies" else "")
    return word


@functools.lru_cache(maxsize=1 << 17)
def _signature(term: str) -> tuple[str, ...]:
    return tuple(_stem(w) for w in term.replace("-", "").split())


class _Stems:
    """Each term's stems as numbers: a word's own stem, and a bigram's two (-1 where none)."""

    def __init__(self, terms: Sequence[str]):
        numbers: dict[str, int] = {}
        word, first, second = (np.full(len(terms), -1, dtype=np.int64) for _ in range(3))
        for column, term in enumerate(terms):
            parts = [numbers.setdefault(part, len(numbers)) for part in _signature(term)]
            if len(parts) == 1:
                word[column] = parts[0]
            else:
                first[column], second[column] = parts[0], parts[-1]
        self.word, self.first, self.second = word, first, second


@functools.lru_cache(maxsize=2)
def shown_terms(terms: tuple[str, ...]) -> np.ndarray:
    """Tell, for each term, whether it may be shown as a keyword (see KEYWORD_SKIP)."""
    skip = {fold(word) for word in KEYWORD_SKIP}
    return np.array([term.split(" ", 1)[0] not in skip and not _adverb(term) for term in terms], dtype=bool)


def _adverb(term: str) -> bool:
    return " " not in term and len(term) > 4 and term.endswith("ly") and not term.endswith(NOT_ADVERBS)


@functools.lru_cache(maxsize=2)
def _stems(terms: tuple[str, ...]) -> _Stems:
    """Return the stems of a survey's terms, worked out once for its section and paper keywords
    (and again only when an edit changed the terms)."""
    return _Stems(terms)


def _pick(terms: Sequence[str], order: Sequence[int], replacement: dict[int, int], limit: int) -> tuple[str, ...]:
    """Walk the terms best first, each word replaced by its bigram when it has one; skip near-duplicates."""
    chosen: list[str] = []
    for index in order:
        term = terms[replacement.get(index, index)]
        signature = _signature(term)
        if any(_signature(c) == signature for c in chosen):
            continue
        if len(signature) == 1 and any(signature[0] in _signature(c) for c in chosen):
            continue
        if len(signature) > 1:
            parts = set(signature)
            chosen = [c for c in chosen if not (len(_signature(c)) == 1 and _signature(c)[0] in parts)]
        chosen.append(term)
        if len(chosen) >= limit:
            break
    return tuple(chosen[:limit])


def class_tfidf(features: Features, labels: Sequence[int] | np.ndarray, n_sections: int) -> tuple[np.ndarray, np.ndarray]:
    """Return each section's class-based TF-IDF scores (BERTopic's) and how many of its papers use each term."""
    labels = np.asarray(labels, dtype=int)
    membership = sp.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(n_sections, len(labels)))
    per_class = np.asarray((membership @ features.counts).todense())
    papers_using = np.asarray((membership @ (features.counts > 0).astype(np.float64)).todense())
    words_per_class = per_class.sum(axis=1, keepdims=True)
    tf = np.divide(per_class, words_per_class, out=np.zeros_like(per_class), where=words_per_class > 0)
    average_words = words_per_class[words_per_class > 0].mean() if (words_per_class > 0).any() else 1.0
    frequency = per_class.sum(axis=0)
    idf = np.log(1 + average_words / np.maximum(frequency, 1e-12))
    return tf * idf, papers_using


def distinctness(papers_using: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Return, per section and term, how much of the term's use is the section's (see DISTINCT_PRIOR).

    Smoothed towards the section's share of all papers by DISTINCT_PRIOR papers, so that a
    term two papers use, both in one section, does not count as wholly that section's.
    """
    base = sizes[:, None] / max(int(sizes.sum()), 1)
    share = (papers_using + DISTINCT_PRIOR * base) / (papers_using.sum(axis=0, keepdims=True) + DISTINCT_PRIOR)
    return share**DISTINCT_POWER


def section_keywords(features: Features, labels: Sequence[int] | np.ndarray, n_sections: int, limit: int = SECTION_KEYWORDS) -> list[tuple[str, ...]]:
    """Return each section's distinguishing terms, as written: class-based TF-IDF (as BERTopic
    does) weighted by how much of each term's use is the section's (see `distinctness`)."""
    return _section_terms(features, labels, n_sections, limit, (True,))[0]


def section_names(features: Features, labels: Sequence[int] | np.ndarray, n_sections: int, limit: int = SECTION_KEYWORDS) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Return each section's terms by class-based TF-IDF alone (its most used: what an automatic
    section's id and title are made of), and its keywords as `section_keywords` gives them."""
    plain, distinct = _section_terms(features, labels, n_sections, limit, (False, True))
    return plain, distinct


def _section_terms(features: Features, labels: Sequence[int] | np.ndarray, n_sections: int, limit: int, weightings: Sequence[bool]) -> list[list[tuple[str, ...]]]:
    """Return, for each weighting (with or without `distinctness`), each section's best terms."""
    if not features.terms or not len(labels):
        return [[() for _ in range(n_sections)] for _ in weightings]
    plain, papers_using = class_tfidf(features, labels, n_sections)
    sizes = np.bincount(np.asarray(labels, dtype=int), minlength=n_sections)
    plain *= shown_terms(tuple(features.terms))
    stems = _stems(tuple(features.terms))
    result = []
    for distinct in weightings:
        scores = plain * distinctness(papers_using, sizes) if distinct else plain
        chosen = []
        for c in range(n_sections):
            needed = min(SECTION_KEYWORD_PAPERS, int(sizes[c]))
            shared = np.where(papers_using[c] >= needed, scores[c], 0.0)
            words = pick_terms(features.terms, shared, limit, stems)
            if len(words) < min(SECTION_KEYWORDS_MIN, limit):
                # Too few shared words (a small section): top up with its other words, shared first.
                words = pick_terms(features.terms, np.where(shared > 0, scores[c] + scores[c].max(), scores[c]), limit, stems)
            chosen.append(tuple(features.shown(w) for w in words))
        result.append(chosen)
    return result


def _choose(terms: Sequence[str], stems: _Stems, columns: np.ndarray, values: np.ndarray, tiebreak: np.ndarray, limit: int) -> tuple[str, ...]:
    """Return the best terms of one sparse vector; ties go to the lower `tiebreak` (the term's rank)."""
    positive = values > 0
    columns, values, tiebreak = columns[positive], values[positive], tiebreak[positive]
    order = np.lexsort((tiebreak, -np.round(values, SCORE_DECIMALS)))
    columns, values = columns[order], values[order]
    pairs = np.flatnonzero(stems.word[columns] < 0)
    head = KEYWORD_HEAD
    while True:
        # For each word among the first `head` terms, the first bigram (in this order) holding
        # the word's stem and scoring at least BIGRAM_PREFERENCE of it: a words × bigrams table.
        words = np.flatnonzero(stems.word[columns[:head]] >= 0)
        replacement = {}
        if len(words) and len(pairs):
            stem = stems.word[columns[words]][:, None]
            holds = (stems.first[columns[pairs]][None, :] == stem) | (stems.second[columns[pairs]][None, :] == stem)
            holds &= values[pairs][None, :] >= BIGRAM_PREFERENCE * values[words][:, None]
            found = holds.any(axis=1)
            best = pairs[np.argmax(holds, axis=1)]
            replacement = dict(zip(columns[words[found]].tolist(), columns[best[found]].tolist(), strict=True))
        chosen = _pick(terms, columns[:head].tolist(), replacement, limit)
        if len(chosen) >= limit or head >= len(columns):
            return chosen
        head *= 4


def pick_terms(terms: Sequence[str], scores: np.ndarray, limit: int, stems: _Stems | None = None) -> tuple[str, ...]:
    """Return the best terms: a bigram replaces its own words, no near-duplicates.

    Ties are broken by the term itself, so the choice never depends on the order of `terms`.
    """
    stems = stems or _Stems(terms)
    columns = np.flatnonzero(scores > 0)
    rank = np.argsort(np.argsort(np.asarray(terms, dtype=object)[columns].astype(str), kind="stable"), kind="stable") if len(columns) else columns
    return _choose(terms, stems, columns, np.asarray(scores, dtype=np.float64)[columns], rank, limit)


@dataclass(frozen=True, slots=True, eq=False)
class Kept:
    """The last paper keywords worked out, with the rows they were worked out from (see `paper_keywords`)."""

    keys: tuple[str, ...]
    terms: tuple[str, ...]
    matrix: sp.csr_matrix  # sorted indices
    words: list[tuple[str, ...]]  # each row's keywords, as counted
    limit: int


# Up to this many papers, a process that builds again keeps its last paper keywords.
KEEP_PAPERS = 20_000
_KEPT: cache.Memo[str, Kept] = cache.lasting(limit=1)


def paper_keywords(features: Features, limit: int = PAPER_KEYWORDS, keep: bool = False) -> dict[str, tuple[str, ...]]:
    """Return each paper's own top TF-IDF terms, as written.

    With `keep` (a process that builds again: `survey serve`), the result is kept, and the next
    call works out again only the rows that changed: a row with the same terms and the same
    weights has the same keywords. After one edit that is the papers sharing its terms.
    """
    if not features.terms:
        return {key: () for key in features.keys}
    matrix = features.matrix.tocsr()
    if not matrix.has_sorted_indices:
        matrix = matrix.sorted_indices()
    stems = _stems(tuple(features.terms))
    last = _KEPT.recall("last")
    last = last if last is not None and last.limit == limit and last.keys else None
    found: list[tuple[str, ...]] = [()] * matrix.shape[0]
    same = _same_rows(last, features.keys, features.terms, matrix) if keep and last is not None else np.full(matrix.shape[0], -1)
    for row, before in enumerate(same.tolist()):
        if before >= 0 and last is not None:
            found[row] = last.words[before]
    changed = np.flatnonzero(same < 0)
    shown = shown_terms(tuple(features.terms)).astype(np.float64)
    for start in range(0, len(changed), KEYWORD_BLOCK):
        rows = changed[start : start + KEYWORD_BLOCK]
        block = matrix[rows].multiply(shown).tocsr()
        block.eliminate_zeros()
        for row, words in zip(rows.tolist(), _block_keywords(features.terms, stems, block, limit), strict=True):
            found[row] = words
    _KEPT.clear()
    if keep and len(features.keys) <= KEEP_PAPERS:
        _KEPT.put("last", Kept(features.keys, tuple(features.terms), matrix, found, limit))
    return {key: tuple(features.shown(w) for w in words) for key, words in zip(features.keys, found, strict=True)}


def kept() -> Kept | None:
    """Return the paper keywords kept by the last `paper_keywords(..., keep=True)`, to hand to another process."""
    return _KEPT.recall("last")


def adopt(state: Kept | None) -> None:
    """Keep paper keywords worked out by another process (a forked copy: see build._ahead)."""
    if state is not None:
        _KEPT.put("last", state)


def _same_rows(last: Kept, keys: Sequence[str], terms: Sequence[str], matrix: sp.csr_matrix) -> np.ndarray:
    """Return, for each row, its row in `last` when it has the same terms with the same weights, else -1."""
    before = {key: row for row, key in enumerate(last.keys)}
    old_rows = np.array([before.get(key, -1) for key in keys], dtype=np.int64)
    column = {term: index for index, term in enumerate(terms)}
    remap = np.array([column.get(term, -1) for term in last.terms], dtype=np.int64)
    # The old rows in the new order, their terms as the new columns (terms stay in alphabetical
    # order, so a row's columns stay sorted); -1 for a term no longer in the survey.
    known = old_rows >= 0
    old = last.matrix[np.where(known, old_rows, 0)]
    old_lengths, lengths = np.diff(old.indptr), np.diff(matrix.indptr)
    candidate = known & (old_lengths == lengths)
    same = np.full(len(keys), -1, dtype=np.int64)
    rows = np.flatnonzero(candidate & (lengths > 0))
    if len(rows):
        old_part, new_part = old[rows], matrix[rows]
        equal = (remap[old_part.indices] == new_part.indices) & (old_part.data == new_part.data)
        starts = new_part.indptr[:-1]
        alike = np.logical_and.reduceat(equal, starts) if len(equal) else np.zeros(0, dtype=bool)
        same[rows[alike]] = old_rows[rows[alike]]
    empty = candidate & (lengths == 0)
    same[empty] = old_rows[empty]
    return same


def _block_keywords(terms: Sequence[str], stems: _Stems, block: sp.csr_matrix, limit: int) -> list[tuple[str, ...]]:
    """Return the keywords of a block of papers, sorting and matching all their rows at once."""
    lengths = np.diff(block.indptr)
    rows = block.shape[0]
    width = max(int(lengths.max()) if rows else 0, 1)
    where = (np.repeat(np.arange(rows), lengths), np.arange(block.nnz) - np.repeat(block.indptr[:-1], lengths))
    columns, values = np.zeros((rows, width), dtype=np.int64), np.zeros((rows, width))
    columns[where], values[where] = block.indices, block.data
    # Each row best first, ties by the term (the terms are alphabetical, so by column); empty
    # cells score 0 and come last.
    order = np.lexsort((columns, -np.round(values, SCORE_DECIMALS)), axis=-1)
    columns, values = np.take_along_axis(columns, order, axis=1), np.take_along_axis(values, order, axis=1)
    used = values > 0
    head = min(width, KEYWORD_HEAD)
    # For each of a row's first words, the first bigram in its row holding the word's stem; it
    # replaces the word when it scores at least BIGRAM_PREFERENCE of it.
    word = np.where(used[:, :head], stems.word[columns[:, :head]], -2)
    first, second = np.where(used, stems.first[columns], -3), np.where(used, stems.second[columns], -3)
    holds = (first[:, None, :] == word[:, :, None]) | (second[:, None, :] == word[:, :, None])
    holds &= values[:, None, :] >= BIGRAM_PREFERENCE * values[:, :head, None]
    best = np.argmax(holds, axis=2)
    better = holds.any(axis=2) & (word >= 0)
    replacing = np.take_along_axis(columns, best, axis=1)
    result = []
    counts = used.sum(axis=1).tolist()
    for row in range(rows):
        shown = min(counts[row], head)
        order_ = columns[row, :shown].tolist()
        replacement = dict(zip(columns[row, :head][better[row]].tolist(), replacing[row][better[row]].tolist(), strict=True))
        words = _pick(terms, order_, replacement, limit)
        if len(words) < limit and counts[row] > head:  # the first terms were not enough: the whole row
            start, end = block.indptr[row], block.indptr[row + 1]
            words = _choose(terms, stems, block.indices[start:end], block.data[start:end], block.indices[start:end], limit)
        result.append(words)
    return result


def titled(names: Sequence[str], keywords: Sequence[str], limit: int = SECTION_KEYWORDS) -> tuple[str, ...]:
    """Return an automatic section's keywords: the two its title and id are made of (`names`,
    by class-based TF-IDF alone: its most used terms), then its most distinct others, none
    sharing a word with those two."""
    head = tuple(names[:2])
    stems = {stem for name in head for stem in _signature(name.lower())}
    rest = [word for word in keywords if not stems & set(_signature(word.lower()))]
    return (*head, *rest)[:limit]


def readable_title(keywords: Sequence[str]) -> str:
    """Return a section title made of its two best keywords: 'Model merging · task vectors'."""
    if not keywords:  # papers that share no term: not the "Other papers" of misfits
        return "Papers"
    words = list(keywords[:2])
    words[0] = words[0][:1].upper() + words[0][1:]
    return " · ".join(words)
