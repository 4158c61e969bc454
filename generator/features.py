"""TF-IDF features of each paper's title and abstract (scikit-learn)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize

from .models import Paper

TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W_]*(?:-[^\W_]+)*\b"
TITLE_WEIGHT = 3
NGRAM_RANGE = (1, 2)
MIN_DF = 2
MAX_FEATURES = 20_000
# A word in more than this share of the papers says nothing about a theme.
CORPUS_STOP_SHARE = 0.33
CLAUSE_BREAK = re.compile(r"[.;:!?()\[\],\"]+(?:\s|$)|[()\[\]\"]")
URL = re.compile(r"\S*https?://\S+|\S+\.(?:com|org|io|ai)\b\S*")

# Words of academic prose that never name a theme.
PROSE_STOP_WORDS = frozenset(
    ["abstract", "al", "approach", "approaches", "available", "based", "code", "demonstrate", "demonstrates", "different", "et", "existing", "experiment", "experiments", "extensive", "furthermore", "github", "https", "however", "improve", "improved", "improves", "including", "introduce", "introduces", "key", "large", "make", "method", "methods", "new", "novel", "outperforms", "paper", "particular", "particularly", "performance", "present", "previous", "propose", "proposed", "provide", "publicly", "recent", "recently", "release", "released", "result", "results", "show", "shows", "significantly", "specifically", "state-of-the-art", "studies", "study", "use", "used", "uses", "using", "various", "way", "well", "work", "works", "www", "achieve", "achieves", "achieving", "address", "allows", "art", "available", "better", "called", "compared", "current", "effective", "effectively", "efficient", "enables", "given", "high", "highly", "help", "important", "leads", "level", "like", "lack", "achieved", "able", "across", "aim", "aims", "approach", "based", "benchmark"]
)


@dataclass(frozen=True, slots=True, eq=False)
class Features:
    """Each paper's TF-IDF row (L2-normalised), raw term counts and the terms."""

    keys: tuple[str, ...]
    matrix: sp.csr_matrix
    counts: sp.csr_matrix
    terms: tuple[str, ...]
    transform: Callable[[Sequence[tuple[str, str]]], sp.csr_matrix]


def paper_text(paper: Paper) -> tuple[str, str]:
    """Return a paper's title and abstract with links removed."""
    return paper.title, URL.sub(" ", paper.abstract)


def featurize(papers: Sequence[Paper], extra_stop_words: Iterable[str] = ()) -> Features:
    """Vectorise titles (weighted) and abstracts; drop words common to most papers."""
    stop_words = sorted(ENGLISH_STOP_WORDS | PROSE_STOP_WORDS | {w.lower() for w in extra_stop_words})
    base = CountVectorizer(
        token_pattern=TOKEN_PATTERN, lowercase=True, stop_words=stop_words, ngram_range=NGRAM_RANGE
    ).build_analyzer()

    def words(text: str) -> list[str]:
        # Bigrams never span a clause: "models. Task" is not a term.
        return [term for clause in CLAUSE_BREAK.split(text) for term in base(clause)]

    def analyze(document: tuple[str, str]) -> list[str]:
        title, abstract = document
        return words(title) * TITLE_WEIGHT + words(abstract)

    documents = [paper_text(p) for p in papers]
    keys = tuple(p.key for p in papers)
    min_df = MIN_DF if len(papers) >= 10 else 1
    counter = CountVectorizer(analyzer=analyze, min_df=min_df, max_features=MAX_FEATURES, dtype=np.float64)
    try:
        counts = counter.fit_transform(documents).tocsr()
    except ValueError:  # no words at all: every paper gets an empty row
        empty = sp.csr_matrix((len(papers), 0))
        return Features(keys, empty, empty, (), lambda docs: sp.csr_matrix((len(docs), 0)))
    terms = counter.get_feature_names_out()
    share = np.asarray((counts > 0).sum(axis=0)).ravel() / max(len(papers), 1)
    keep = np.flatnonzero(share <= CORPUS_STOP_SHARE) if len(papers) >= 10 else np.arange(len(terms))
    counts = counts[:, keep]
    kept_terms = tuple(str(t) for t in terms[keep])
    transformer = TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True)
    matrix = transformer.fit_transform(counts).tocsr() if counts.shape[1] else counts

    def transform(docs: Sequence[tuple[str, str]]) -> sp.csr_matrix:
        raw = counter.transform(list(docs)).tocsr()[:, keep]
        return transformer.transform(raw).tocsr() if raw.shape[1] else raw

    return Features(keys, matrix, counts, kept_terms, transform)


def centroid(matrix: sp.csr_matrix) -> np.ndarray:
    """Return the L2-normalised mean of some rows."""
    mean = np.asarray(matrix.mean(axis=0))
    return normalize(mean)[0]
