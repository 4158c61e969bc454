"""TF-IDF features of each paper's title and abstract (scikit-learn)."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from sklearn.preprocessing import normalize

from .models import Paper

# A word starts with a letter and may join hyphenated parts: "multi-task", "LoRA", "GPT-4".
TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W_]*(?:-[^\W_]+)*\b"
TOKEN = re.compile(TOKEN_PATTERN)
# The title and the abstract are vectorised apart, each scaled to unit length, then added with
# these weights. A title has about 8 terms and an abstract about 100, so at half the abstract's
# total weight each title term still weighs about three times as much as an abstract term.
TITLE_WEIGHT = 0.5
ABSTRACT_WEIGHT = 1.0
# Unigrams and bigrams; a bigram never spans a clause break or a stop word.
NGRAM_RANGE = (1, 2)
# A term must occur in at least this many papers to link papers (only with 10 papers or more).
MIN_DF = 2
MAX_FEATURES = 20_000
# A term in more than a third of the papers names no theme of *this* survey ("task", "model",
# "learning" in a survey of tasks); learned from the corpus, only with 10 papers or more.
CORPUS_STOP_SHARE = 1 / 3
SMALL_CORPUS = 10
SUBLINEAR_TF = True
SMOOTH_IDF = True
CLAUSE_BREAK = re.compile(r"[.;:!?()\[\],\"]+(?:\s|$)|[()\[\]\"]")
URL = re.compile(r"\S*https?://\S+|\S+\.(?:com|org|io|ai)\b\S*")

# Words of academic prose that never name a theme.
PROSE_STOP_WORDS = frozenset(
    ["abstract", "able", "achieve", "achieved", "achieves", "achieving", "across", "address", "aim", "aims", "al", "allows", "approach", "approaches", "art", "available", "based", "better", "called", "code", "compared", "current", "demonstrate", "demonstrates", "different", "effective", "effectively", "efficient", "enables", "et", "existing", "experiment", "experiments", "extensive", "furthermore", "github", "given", "help", "high", "highly", "however", "https", "important", "improve", "improved", "improves", "including", "introduce", "introduces", "key", "lack", "large", "leads", "level", "like", "make", "method", "methods", "new", "novel", "outperforms", "paper", "particular", "particularly", "performance", "present", "previous", "propose", "proposed", "provide", "publicly", "recent", "recently", "release", "released", "result", "results", "show", "shows", "significantly", "specifically", "state-of-the-art", "studies", "study", "use", "used", "uses", "using", "various", "way", "well", "work", "works", "www", "additionally", "apply", "applied", "consider", "considered", "construct", "design", "diverse", "effectiveness", "enable", "enabling", "example", "general", "higher", "identify", "multiple", "need", "number", "obtain", "order", "overall", "problem", "provides", "providing", "range", "reduce", "set", "setting", "simple", "solve", "specific", "strong", "substantial", "superior", "technique", "type", "types", "unlike", "inspired", "moreover", "finally", "wide", "widely"]
)
# Plurals that dropping an "s" gets wrong.
IRREGULAR = {"matrices": "matrix", "vertices": "vertex", "indices": "index", "analyses": "analysis", "hypotheses": "hypothesis", "criteria": "criterion", "phenomena": "phenomenon"}


@dataclass(frozen=True, slots=True, eq=False)
class Features:
    """Each paper's TF-IDF row (L2-normalised), raw term counts, the terms and how they are written."""

    keys: tuple[str, ...]
    matrix: sp.csr_matrix
    counts: sp.csr_matrix
    terms: tuple[str, ...]
    transform: Callable[[Sequence[tuple[str, str]]], sp.csr_matrix]
    surface: dict[str, str] = field(default_factory=dict)

    def shown(self, term: str) -> str:
        """Return a term as the papers most often write it: "LoRA", "multi-task learning"."""
        return self.surface.get(term, term)


@functools.lru_cache(maxsize=1 << 16)
def fold(word: str) -> str:
    """Return the form a word is counted under: lowercase, no hyphens, singular."""
    word = word.lower().replace("-", "")
    if word in IRREGULAR:
        return IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")):
        return word[:-1]
    return word


def paper_text(paper: Paper) -> tuple[str, str]:
    """Return a paper's title and abstract with links removed."""
    return paper.title, URL.sub(" ", paper.abstract)


class _Analyzer:
    """Split text into folded unigrams and bigrams, and remember how each term was written."""

    def __init__(self, stop_words: frozenset[str]):
        self.stop_words = stop_words
        self.written: dict[str, Counter[str]] = {}

    def clauses(self, text: str) -> list[list[tuple[str, str] | None]]:
        """Return each clause's tokens as (term, surface), None where a stop word stood."""
        result = []
        for clause in CLAUSE_BREAK.split(text):
            tokens: list[tuple[str, str] | None] = []
            for word in TOKEN.findall(clause):
                term = fold(word)
                stop = word.lower() in self.stop_words or term in self.stop_words or len(term) < 2
                tokens.append(None if stop else (term, word))
            result.append(tokens)
        return result

    def terms(self, text: str, remember: bool = False) -> list[str]:
        """Return the unigrams and bigrams of a text."""
        found = []
        for tokens in self.clauses(text):
            found += [t[0] for t in tokens if t]
            found += [f"{a[0]} {b[0]}" for a, b in zip(tokens, tokens[1:], strict=False) if a and b]
            if remember:
                for a, b in zip(tokens, tokens[1:], strict=False):
                    if a and b:
                        self.written.setdefault(f"{a[0]} {b[0]}", Counter())[f"{a[1]} {b[1]}"] += 1
                for t in tokens:
                    if t:
                        self.written.setdefault(t[0], Counter())[t[1]] += 1
        return found


def _inner_capital(form: str) -> bool:
    """Tell whether any part of a form has a capital past its first letter ("LoRA", "SemEval")."""
    return any(any(ch.isupper() for ch in part[1:]) for part in re.split(r"[\s-]+", form))


def _as_written(part: str, lowercase: set[str]) -> str:
    # A capital is kept unless the word is also written in lowercase: "Adapters are" → "adapters",
    # but "Cas9", "Kepler" and "LoRA" stay as they are.
    return part.lower() if part.lower() in lowercase else part


def _surface(term: str, abstract_forms: Counter[str] | None, title_forms: Counter[str] | None, lowercase: set[str]) -> str:
    """Pick how to show a term: its most common form in abstracts, else lowercase.

    Titles are mostly in Title Case, so a title's form counts only when it has a capital past the
    first letter of a word ("LoRA", "SemEval").
    """
    candidates = Counter(abstract_forms or {})
    for form, count in (title_forms or Counter()).items():
        if _inner_capital(form):
            candidates[form] += count
    if not candidates:
        return term
    # Most common first; among equals the form with fewest capitals, then the alphabetically first.
    best = min(candidates.items(), key=lambda item: (-item[1], sum(ch.isupper() for ch in item[0]), item[0]))[0]
    # A sentence-initial capital ("Adapters are ...") is not how the word is written.
    return " ".join("-".join(_as_written(part, lowercase) for part in word.split("-")) for word in best.split())


def _given(terms: list[str]) -> list[str]:
    return terms


def featurize(papers: Sequence[Paper], extra_stop_words: Iterable[str] = ()) -> Features:
    """Vectorise titles (weighted) and abstracts; drop words common to most papers."""
    stop_words = frozenset(ENGLISH_STOP_WORDS | PROSE_STOP_WORDS | {w.lower() for w in extra_stop_words})
    stop_words = stop_words | {fold(w) for w in stop_words}
    keys = tuple(p.key for p in papers)
    documents = [paper_text(p) for p in papers]
    # Each text is split once; the vectorizer then only counts the lists of terms.
    titles_seen = _Analyzer(stop_words)
    abstracts_seen = _Analyzer(stop_words)
    title_terms = [titles_seen.terms(title, remember=True) for title, _ in documents]
    abstract_terms = [abstracts_seen.terms(abstract, remember=True) for _, abstract in documents]
    large = len(papers) >= SMALL_CORPUS
    counter = CountVectorizer(analyzer=_given, min_df=MIN_DF if large else 1, max_features=MAX_FEATURES, dtype=np.float64)
    try:
        counter.fit([t + a for t, a in zip(title_terms, abstract_terms, strict=True)])
    except ValueError:  # no words at all: every paper gets an empty row
        empty = sp.csr_matrix((len(papers), 0))
        return Features(keys, empty, empty, (), lambda docs: sp.csr_matrix((len(docs), 0)))
    title_counts = counter.transform(title_terms).tocsr()
    abstract_counts = counter.transform(abstract_terms).tocsr()
    counts = (title_counts + abstract_counts).tocsr()
    frequency = np.asarray((counts > 0).sum(axis=0)).ravel()
    keep = np.flatnonzero(frequency <= CORPUS_STOP_SHARE * len(papers)) if large else np.arange(counts.shape[1])
    all_terms = counter.get_feature_names_out()
    terms = tuple(str(t) for t in all_terms[keep])
    size = len(papers)
    # scikit-learn's smoothed idf, written out so that title and abstract share it.
    idf = np.log((1 + size) / (1 + frequency[keep])) + 1 if SMOOTH_IDF else np.log(size / frequency[keep]) + 1

    def weigh(raw: sp.csr_matrix) -> sp.csr_matrix:
        raw = raw[:, keep].tocsr().astype(np.float64)
        if SUBLINEAR_TF:
            raw.data = 1 + np.log(raw.data)
        return normalize(raw.multiply(idf).tocsr())

    def combine(title_raw: sp.csr_matrix, abstract_raw: sp.csr_matrix) -> sp.csr_matrix:
        if not len(keep):
            return sp.csr_matrix((title_raw.shape[0], 0))
        return normalize(TITLE_WEIGHT * weigh(title_raw) + ABSTRACT_WEIGHT * weigh(abstract_raw)).tocsr()

    analyzer = _Analyzer(stop_words)

    def transform(docs: Sequence[tuple[str, str]]) -> sp.csr_matrix:
        docs = list(docs)
        return combine(counter.transform([analyzer.terms(t) for t, _ in docs]), counter.transform([analyzer.terms(a) for _, a in docs]))

    lowercase = {
        part for forms in abstracts_seen.written.values() for form in forms for word in form.split() for part in word.split("-") if part.islower()
    }
    surface = {t: _surface(t, abstracts_seen.written.get(t), titles_seen.written.get(t), lowercase) for t in terms}
    return Features(keys, combine(title_counts, abstract_counts), counts[:, keep].tocsr(), terms, transform, surface)


def centroid(matrix: sp.csr_matrix) -> np.ndarray:
    """Return the L2-normalised mean of some rows."""
    mean = np.asarray(matrix.mean(axis=0))
    return normalize(mean)[0]
