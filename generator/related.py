"""Related papers: nearest neighbours by TF-IDF cosine, computed in chunks."""

from __future__ import annotations

import numpy as np

from .features import Features

RELATED = 5
CHUNK = 256


def related_papers(features: Features, limit: int = RELATED) -> dict[str, tuple[str, ...]]:
    """Return each paper's most similar papers, most similar first."""
    keys = features.keys
    result: dict[str, tuple[str, ...]] = {}
    matrix = features.matrix
    if not features.terms:
        return {key: () for key in keys}
    transposed = matrix.T.tocsc()
    for start in range(0, len(keys), CHUNK):
        block = (matrix[start : start + CHUNK] @ transposed).toarray()
        for offset, row in enumerate(block):
            own = start + offset
            row[own] = -1.0
            # Sort by similarity, then by position, so ties never depend on the platform.
            candidates = np.flatnonzero(row > 0)
            best = sorted(candidates, key=lambda i: (-round(float(row[i]), 9), i))[:limit]
            result[keys[own]] = tuple(keys[i] for i in best)
    return result
