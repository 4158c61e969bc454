"""Keywords: class-based TF-IDF per section, plain TF-IDF per paper."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from .features import Features

SECTION_KEYWORDS = 8
PAPER_KEYWORDS = 5


def _stem(word: str) -> str:
    """Return a crude stem: "evaluation", "evaluating" and "evaluate" all give "evaluat"."""
    if len(word) >= 8:
        return word[:7]
    for ending in ("ies", "es", "s"):
        if word.endswith(ending) and len(word) >= len(ending) + 3 and not word.endswith("ss"):
            return word[: -len(ending)] + ("y" if ending == "ies" else "")
    return word


def _signature(term: str) -> tuple[str, ...]:
    return tuple(_stem(w) for w in term.split())


def pick_terms(terms: Sequence[str], scores: np.ndarray, limit: int) -> tuple[str, ...]:
    """Return the best terms: a bigram replaces its own words, no near-duplicates."""
    chosen: list[str] = []
    # Ties broken by the term itself, so the choice never depends on dict order.
    order = sorted((i for i in np.flatnonzero(scores > 0)), key=lambda i: (-round(float(scores[i]), 12), terms[i]))
    for index in order:
        term = terms[index]
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


def section_keywords(features: Features, labels: Sequence[int], n_sections: int, limit: int = SECTION_KEYWORDS) -> list[tuple[str, ...]]:
    """Return each section's distinguishing terms by class-based TF-IDF (as BERTopic does)."""
    if not features.terms:
        return [() for _ in range(n_sections)]
    membership = sp.csr_matrix(
        (np.ones(len(labels)), (np.asarray(labels), np.arange(len(labels)))),
        shape=(n_sections, len(labels)),
    )
    per_class = np.asarray((membership @ features.counts).todense())
    words_per_class = per_class.sum(axis=1, keepdims=True)
    tf = np.divide(per_class, words_per_class, out=np.zeros_like(per_class), where=words_per_class > 0)
    average_words = words_per_class[words_per_class > 0].mean() if (words_per_class > 0).any() else 1.0
    frequency = per_class.sum(axis=0)
    idf = np.log(1 + average_words / np.maximum(frequency, 1e-12))
    scores = tf * idf
    return [pick_terms(features.terms, scores[c], limit) for c in range(n_sections)]


def paper_keywords(features: Features, limit: int = PAPER_KEYWORDS) -> dict[str, tuple[str, ...]]:
    """Return each paper's own top TF-IDF terms."""
    result = {}
    for row, key in enumerate(features.keys):
        scores = features.matrix[row].toarray().ravel() if features.terms else np.zeros(0)
        result[key] = pick_terms(features.terms, scores, limit)
    return result


def readable_title(keywords: Sequence[str]) -> str:
    """Return a section title made of its two best keywords: 'Model merging · task vectors'."""
    if not keywords:
        return "Other papers"
    words = list(keywords[:2])
    words[0] = words[0][:1].upper() + words[0][1:]
    return " · ".join(words)
