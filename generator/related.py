"""Related papers: nearest neighbours by TF-IDF cosine, computed in bounded blocks."""

from __future__ import annotations

import numpy as np

from .features import Features

RELATED = 5
# Similarities held in memory at once (32 MB of floats), whatever the survey's size.
BLOCK = 1 << 22


def related_papers(features: Features, limit: int = RELATED) -> dict[str, tuple[str, ...]]:
    """Return each paper's most similar papers, most similar first."""
    keys = features.keys
    if not features.terms or len(keys) < 2:
        return {key: () for key in keys}
    matrix, transposed = features.matrix, features.matrix.T.tocsr()
    chunk, k = max(1, BLOCK // len(keys)), min(limit, len(keys) - 1)
    result: dict[str, tuple[str, ...]] = {}
    for start in range(0, len(keys), chunk):
        block = (matrix[start : start + chunk] @ transposed).toarray()
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -1.0
        # Only values within rounding of the k-th best can be chosen; sorting those few by
        # (rounded similarity, position) keeps ties independent of the platform.
        kth = -np.partition(-block, k - 1, axis=1)[:, k - 1] - 1e-8
        for row in rows:
            values = block[row]
            candidates = np.flatnonzero((values > 0) & (values >= kth[row])).tolist()
            best = sorted(candidates, key=lambda i: (-round(float(values[i]), 9), i))[:limit]
            result[keys[start + row]] = tuple(keys[i] for i in best)
    return result
