"""Keywords: class-based TF-IDF per section, plain TF-IDF per paper."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from .features import Features

SECTION_KEYWORDS = 8
SECTION_KEYWORDS_MIN = 5
PAPER_KEYWORDS = 5
# A section keyword must occur in at least this many of the section's papers (fewer in a section
# that small), so that one paper's pet word never names a whole section.
SECTION_KEYWORD_PAPERS = 2
SCORE_DECIMALS = 12
# A bigram takes the place of its own word when it scores at least this share of the word.
BIGRAM_PREFERENCE = 0.5


def _stem(word: str) -> str:
    """Return a crude stem: "evaluation", "evaluating" and "evaluate" all give "evaluat"."""
    if len(word) >= 8:
        return word[:7]
    for ending in ("ies", "es", "s"):
        if word.endswith(ending) and len(word) >= len(ending) + 3 and not word.endswith("ss"):
            return word[: -len(ending)] + ("y" if ending == "ies" else "")
    return word


def _signature(term: str) -> tuple[str, ...]:
    return tuple(_stem(w) for w in term.replace("-", "").split())


def pick_terms(terms: Sequence[str], scores: np.ndarray, limit: int) -> tuple[str, ...]:
    """Return the best terms: a bigram replaces its own words, no near-duplicates."""
    chosen: list[str] = []
    # Ties broken by the term itself, so the choice never depends on dict order.
    order = sorted(np.flatnonzero(scores > 0), key=lambda i: (-round(float(scores[i]), SCORE_DECIMALS), terms[i]))
    bigrams: dict[str, list[int]] = {}
    for index in order:
        if len(_signature(terms[index])) > 1:
            for part in set(_signature(terms[index])):
                bigrams.setdefault(part, []).append(index)
    for index in order:
        term = terms[index]
        signature = _signature(term)
        if len(signature) == 1:
            # "dark matter" rather than "dark" when the bigram scores nearly as well.
            better = [b for b in bigrams.get(signature[0], []) if scores[b] >= BIGRAM_PREFERENCE * scores[index]]
            if better:
                term, signature = terms[better[0]], _signature(terms[better[0]])
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


def class_tfidf(features: Features, labels: Sequence[int], n_sections: int) -> tuple[np.ndarray, np.ndarray]:
    """Return each section's class-based TF-IDF scores and how many of its papers use each term."""
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


def section_keywords(features: Features, labels: Sequence[int], n_sections: int, limit: int = SECTION_KEYWORDS) -> list[tuple[str, ...]]:
    """Return each section's distinguishing terms by class-based TF-IDF (as BERTopic does), as written."""
    if not features.terms or not len(labels):
        return [() for _ in range(n_sections)]
    scores, papers_using = class_tfidf(features, labels, n_sections)
    sizes = np.bincount(np.asarray(labels, dtype=int), minlength=n_sections)
    result = []
    for c in range(n_sections):
        needed = min(SECTION_KEYWORD_PAPERS, int(sizes[c]))
        shared = np.where(papers_using[c] >= needed, scores[c], 0.0)
        words = pick_terms(features.terms, shared, limit)
        if len(words) < min(SECTION_KEYWORDS_MIN, limit):
            # Too few shared words (a small section): top up with its other words, shared first.
            words = pick_terms(features.terms, np.where(shared > 0, scores[c] + scores[c].max(), scores[c]), limit)
        result.append(tuple(features.shown(w) for w in words))
    return result


def paper_keywords(features: Features, limit: int = PAPER_KEYWORDS) -> dict[str, tuple[str, ...]]:
    """Return each paper's own top TF-IDF terms, as written."""
    result = {}
    for row, key in enumerate(features.keys):
        scores = features.matrix[row].toarray().ravel() if features.terms else np.zeros(0)
        result[key] = tuple(features.shown(w) for w in pick_terms(features.terms, scores, limit))
    return result


def readable_title(keywords: Sequence[str]) -> str:
    """Return a section title made of its two best keywords: 'Model merging · task vectors'."""
    if not keywords:
        return "Other papers"
    words = list(keywords[:2])
    words[0] = words[0][:1].upper() + words[0][1:]
    return " · ".join(words)
