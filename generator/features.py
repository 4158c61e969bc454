"""TF-IDF features of each paper's title and abstract, as scikit-learn's TfidfVectorizer makes them.

Without importing scikit-learn (seconds of start-up), so that a forked copy can featurize the
survey while this process still imports it (see build.py).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .models import Paper
from .words import WORD_OR_BREAK, keep_reader, kept_reader

# The title and the abstract are vectorised apart, each scaled to unit length, then added with
# these weights. A title has about 8 terms and an abstract about 100, so at half the abstract's
# total weight each title term still weighs about three times as much as an abstract term.
TITLE_WEIGHT = 0.5
ABSTRACT_WEIGHT = 1.0
# Terms are unigrams and bigrams (always both: see `featurize`); a bigram never spans a clause break or a stop word.
# A term must occur in at least this many papers to link papers (only with 10 papers or more).
MIN_DF = 2
MAX_FEATURES = 20_000
# A term in more than a third of the papers names no theme of *this* survey ("task", "model",
# "learning" in a survey of tasks); learned from the corpus, only with 10 papers or more.
CORPUS_STOP_SHARE = 1 / 3
SMALL_CORPUS = 10
SUBLINEAR_TF = True
SMOOTH_IDF = True

# Words of academic prose that never name a theme.
PROSE_STOP_WORDS = frozenset(
    ["abstract", "able", "achieve", "achieved", "achieves", "achieving", "across", "address", "aim", "aims", "al", "allows", "approach", "approaches", "art", "available", "based", "better", "called", "code", "compared", "current", "demonstrate", "demonstrates", "different", "effective", "effectively", "efficient", "enables", "et", "existing", "experiment", "experiments", "extensive", "furthermore", "github", "given", "help", "high", "highly", "however", "https", "important", "improve", "improved", "improves", "including", "introduce", "introduces", "key", "lack", "large", "leads", "level", "like", "make", "method", "methods", "new", "novel", "outperforms", "paper", "particular", "particularly", "performance", "present", "previous", "propose", "proposed", "provide", "publicly", "recent", "recently", "release", "released", "result", "results", "show", "shows", "significantly", "specifically", "state-of-the-art", "studies", "study", "use", "used", "uses", "using", "various", "way", "well", "work", "works", "www", "additionally", "apply", "applied", "consider", "considered", "construct", "design", "diverse", "effectiveness", "enable", "enabling", "example", "general", "higher", "identify", "multiple", "need", "number", "obtain", "order", "overall", "problem", "provides", "providing", "range", "reduce", "set", "setting", "simple", "solve", "specific", "strong", "substantial", "superior", "technique", "type", "types", "unlike", "inspired", "moreover", "finally", "wide", "widely"]
)
# Plurals that dropping an "s" gets wrong.
IRREGULAR = {"matrices": "matrix", "vertices": "vertex", "indices": "index", "analyses": "analysis", "hypotheses": "hypothesis", "criteria": "criterion", "phenomena": "phenomenon"}


@dataclass(frozen=True, slots=True, eq=False)
class Features:
    """Each paper's TF-IDF row (L2-normalised), raw term counts (all, and in titles), the terms and how they are written."""

    keys: tuple[str, ...]
    matrix: sp.csr_matrix
    counts: sp.csr_matrix
    terms: tuple[str, ...]
    transform: Callable[[Sequence[tuple[str, str]]], sp.csr_matrix]
    title_counts: sp.csr_matrix  # the part of `counts` in titles
    surface: Mapping[str, str] = field(default_factory=dict)

    def shown(self, term: str) -> str:
        """Return a term as the papers most often write it: "LoRA", "multi-task learning"."""
        return self.surface.get(term, term)


@functools.cache
def english_stop_words() -> frozenset[str]:
    """Return scikit-learn's English stop words, read from its own list.

    Importing anything from scikit-learn first imports the whole package and SciPy's statistics
    (about two seconds). The list is a module of its own without imports, so it is read alone
    when scikit-learn is not imported yet.
    """
    if "sklearn" not in sys.modules:
        spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
        folders = list(spec.submodule_search_locations or []) if spec else []
        path = os.path.join(folders[0], "feature_extraction", "_stop_words.py") if folders else ""
        location = importlib.util.spec_from_file_location("_survey_english_stop_words", path) if os.path.isfile(path) else None
        if location is not None and location.loader is not None:
            module = importlib.util.module_from_spec(location)
            location.loader.exec_module(module)
            return frozenset(module.ENGLISH_STOP_WORDS)
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def unit_rows(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Return the rows scaled to unit length; a row of zeros stays as it is.

    The same numbers as scikit-learn's `normalize`: each row's squares are added in order.
    """
    result = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    counts = np.diff(result.indptr)
    rows = np.repeat(np.arange(result.shape[0]), counts)
    lengths = np.sqrt(np.bincount(rows, weights=result.data * result.data, minlength=result.shape[0]))
    lengths[lengths == 0.0] = 1.0
    result.data /= np.repeat(lengths, counts)
    return result


def unit_length(points: sp.spmatrix | np.ndarray) -> sp.csr_matrix | np.ndarray:
    """Return the rows scaled to unit length, sparse or dense, as scikit-learn's `normalize` does.

    A dense row shorter than ten machine epsilons is left as it is, as scikit-learn leaves it.
    """
    if sp.issparse(points):
        return unit_rows(points)
    result = np.array(points, dtype=np.float64)
    lengths = np.sqrt(np.einsum("ij,ij->i", result, result))
    lengths[lengths < 10 * np.finfo(np.float64).eps] = 1.0
    result /= lengths[:, None]
    return result


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


def _term(word: str, stop_words: frozenset[str]) -> str | None:
    """Return the term a word is counted under, or None for a stop word (or a clause break, "")."""
    term = fold(word)
    return None if not word or word.lower() in stop_words or term in stop_words or len(term) < 2 else term


def _doc_terms(text: str, stop_words: frozenset[str]) -> list[str]:
    """Return a text's unigrams and bigrams; a bigram never spans a clause break or a stop word."""
    tokens: list[str | None] = [None]
    for chunk in text.split():
        for word in WORD_OR_BREAK.findall(chunk):
            tokens.append(_term(word, stop_words))
    found = [t for t in tokens if t]
    return found + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False) if a and b]

def _inner_capital(form: str) -> bool:
    """Tell whether any part of a form has a capital past its first letter ("LoRA", "SemEval")."""
    return not form.islower() and any(any(map(str.isupper, part[1:])) for part in form.replace("-", " ").split())


def _as_written(part: str, lowercase: set[str]) -> str:
    # A capital is kept unless the word is also written in lowercase: "Adapters are" → "adapters",
    # but "Cas9", "Kepler" and "LoRA" stay as they are.
    return part.lower() if part.lower() in lowercase else part


def _common(part: str, lowercase: set[str], folded: set[str]) -> bool:
    """Tell whether a capitalised word of a title is a common word: written in lowercase
    elsewhere (in some number), or a stop word."""
    lower = part.lower()
    return lower in lowercase or fold(part) in folded or lower in PROSE_STOP_WORDS or lower in english_stop_words()


def _surface(term: str, abstract_forms: Mapping[str, int] | None, title_forms: Mapping[str, int] | None, lowercase: set[str], folded: Callable[[], set[str]]) -> str:
    """Pick how to show a term: its most common form in abstracts, else lowercase.

    Titles are mostly in Title Case, so a title's form counts only when it has a capital past the
    first letter of a word ("LoRA", "SemEval").
    """
    if abstract_forms and len(abstract_forms) == 1 and not title_forms:
        (only,) = abstract_forms
        if only.islower():  # the common case: one form, already lowercase
            return only
    candidates = dict(abstract_forms or {})
    for form, count in (title_forms or {}).items():
        if _inner_capital(form):
            candidates[form] = candidates.get(form, 0) + count
    if not candidates:
        if not title_forms:
            return term
        # Written in Title Case titles only: as a title writes it, less the capitals of words the
        # survey writes in lowercase elsewhere, in any number, or that are common words
        # ("Parameter-Efficient Transfer" is "parameter-efficient transfer", not the counted
        # form "parameterefficient transfer"); a name ("Japanese") keeps its capital.
        best = min(title_forms.items(), key=lambda item: (-item[1], item[0]))[0]
        return " ".join("-".join(part.lower() if _common(part, lowercase, folded()) else part for part in word.split("-")) for word in best.split())
    elif len(candidates) == 1:
        (best,) = candidates
        if best.islower():  # one form, as it is written: most title forms are plain Title Case
            return best
    else:
        # Most common first; among equals the form with fewest capitals, then the alphabetically first.
        best = min(candidates.items(), key=lambda item: (-item[1], sum(map(str.isupper, item[0])), item[0]))[0]
    # A sentence-initial capital ("Adapters are ...") is not how the word is written.
    return " ".join("-".join(_as_written(part, lowercase) for part in word.split("-")) for word in best.split())


class Surfaces(Mapping[str, str]):
    """How each term is written (see `_surface`), worked out when a term is first shown.

    A survey shows a few of its terms, as keywords; working out every term's form took a third
    of featurizing.
    """

    def __init__(self, vocabulary: Mapping[str, int], forms: Mapping[tuple[int, bool], Mapping[str, int]], lowercase: set[str]):
        self._vocabulary = vocabulary
        self._forms = forms
        self._lowercase = lowercase
        self._known: dict[str, str] = {}
        self._folded: set[str] | None = None

    def __getitem__(self, term: str) -> str:
        if term not in self._known:
            column = self._vocabulary[term]
            self._known[term] = _surface(term, self._forms.get((column, True)), self._forms.get((column, False)), self._lowercase, self._folded_lowercase)
        return self._known[term]

    def _folded_lowercase(self) -> set[str]:
        """Return the lowercase words as counted (singular, no hyphens), made once when first needed."""
        if self._folded is None:
            self._folded = {fold(word) for word in self._lowercase}
        return self._folded

    def get(self, term: str, default: str | None = None) -> str | None:  # type: ignore[override]
        known = self._known.get(term)
        if known is not None:
            return known
        return self[term] if term in self._vocabulary else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._vocabulary)

    def __len__(self) -> int:
        return len(self._vocabulary)


def smoothed_idf(papers: int, df: np.ndarray) -> np.ndarray:
    """Return scikit-learn's inverse document frequency of terms in `df` of `papers` papers."""
    return np.log((1 + papers) / (1 + df)) + 1 if SMOOTH_IDF else np.log(papers / df) + 1


def weigh(counted: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Return term counts as TF-IDF rows of unit length."""
    counted = counted.astype(np.float64, copy=True)
    if SUBLINEAR_TF:
        counted.data = 1 + np.log(counted.data)
    return unit_rows(counted @ sp.diags(idf))


def combine(title_counts: sp.csr_matrix, abstract_counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Return the papers' features: title and abstract weighed apart, then added with their weights."""
    return unit_rows(TITLE_WEIGHT * weigh(title_counts, idf) + ABSTRACT_WEIGHT * weigh(abstract_counts, idf))


@dataclass(frozen=True, slots=True, eq=False)
class Transform:
    """Turn (title, abstract) pairs into rows of a survey's features, with its terms and weights."""

    vocabulary: Mapping[str, int]
    idf: np.ndarray
    stop_words: frozenset[str]

    def _count(self, texts: list[str]) -> sp.csr_matrix:
        found = [(row, self.vocabulary[t]) for row, text in enumerate(texts) for t in _doc_terms(text, self.stop_words) if t in self.vocabulary]
        rows, columns = zip(*found, strict=True) if found else ((), ())
        return sp.csr_matrix((np.ones(len(found)), (rows, columns)), shape=(len(texts), len(self.vocabulary)))

    def __call__(self, docs: Sequence[tuple[str, str]]) -> sp.csr_matrix:
        docs = list(docs)
        return combine(self._count([t for t, _ in docs]), self._count([a for _, a in docs]), self.idf)


def _empty(keys: tuple[str, ...]) -> Features:
    empty = sp.csr_matrix((len(keys), 0))
    return Features(keys, empty, empty, (), Transform({}, np.zeros(0), frozenset()), empty)


def _vocabulary(frequency: np.ndarray, used: np.ndarray, name: Callable[[int], str], size: int, wanted: np.ndarray) -> list[tuple[str, int]]:
    """Return the terms and their columns: in enough papers, at most MAX_FEATURES, in no more than a third.

    The `wanted` columns (the curator's keywords) are kept whenever a paper uses them, beyond
    MAX_FEATURES too, unless most papers do.
    """
    large = size >= SMALL_CORPUS
    candidates = np.flatnonzero(frequency >= (MIN_DF if large else 1))
    if len(candidates) > MAX_FEATURES:  # the most used terms; ties at the cut by the term itself
        order = candidates[np.argsort(-used[candidates], kind="stable")]
        least = used[order[MAX_FEATURES - 1]]
        sure = order[used[order] > least]
        tied = sorted(order[used[order] == least].tolist(), key=name)
        candidates = np.concatenate([sure, np.asarray(tied[: MAX_FEATURES - len(sure)], dtype=np.int64)])
    # The keywords' terms are added after the cut: used by one paper, they would be the first cut.
    candidates = np.union1d(candidates, wanted[frequency[wanted] > 0])
    if large:
        candidates = candidates[frequency[candidates] <= CORPUS_STOP_SHARE * size]
    return sorted((name(column), column) for column in candidates.tolist())  # alphabetical, as scikit-learn orders terms


def _columns(keywords: Iterable[str], stop_words: frozenset[str], unigrams: Mapping[str, int], bigram_codes: np.ndarray) -> np.ndarray:
    """Return the columns of the keywords' whole terms (unigrams first, then bigrams by their codes) that the papers use.

    A keyword of two words or more gives only its pairs of adjacent words: "optimal transport"
    must not pull in a paper about the transport of dough.
    """
    columns: list[int] = []
    whole: set[str] = set()
    for keyword in keywords:
        terms = _doc_terms(keyword, stop_words)
        words = [t for t in terms if " " not in t]
        whole.update(words if len(words) == 1 else [t for t in terms if " " in t])
    for term in sorted(whole):
        parts = [unigrams[part] for part in term.split(" ") if part in unigrams]
        if len(parts) == 1 and " " not in term:
            columns.append(parts[0])
        elif len(parts) == 2:
            code = parts[0] * len(unigrams) + parts[1]
            at = int(np.searchsorted(bigram_codes, code))
            if at < len(bigram_codes) and bigram_codes[at] == code:
                columns.append(len(unigrams) + at)
    return np.asarray(sorted(columns), dtype=np.int64)


def _forms(found: np.ndarray, source: np.ndarray, written: np.ndarray, shown: Callable[[int], str]) -> dict[tuple[int, bool], dict[str, int]]:
    """Count how each found term (by its new column) was written, in titles and in abstracts apart."""
    result: dict[tuple[int, bool], dict[str, int]] = {}
    if not len(found):
        return result
    distinct, how = np.unique(written, return_inverse=True)
    key = (found.astype(np.int64) * 2 + source) * len(distinct) + how
    unique, times = np.unique(key, return_counts=True)
    group, form = np.divmod(unique, len(distinct))
    written_as = distinct[form].tolist()
    for g, code, t in zip(group.tolist(), written_as, times.tolist(), strict=True):
        where = (g >> 1, bool(g & 1))
        if where not in result:
            result[where] = {}
        result[where][shown(code)] = t
    return result


def featurize(papers: Sequence[Paper], extra_stop_words: Iterable[str] = (), keywords: Iterable[str] = ()) -> Features:
    """Vectorise titles (weighted) and abstracts; drop words common to most papers.

    The terms of the curator's section `keywords` that a paper without a `section:` uses are kept
    even when that paper alone uses them, so that a keyword pulls in the one paper that names it.
    """
    extra = [w.lower() for w in extra_stop_words]
    # A curator's two-word stop word ("task vectors") removes that bigram; its words stay terms.
    phrases = {" ".join(fold(word) for word in w.split()) for w in extra if len(w.split()) == 2}
    stop_words = frozenset(english_stop_words() | PROSE_STOP_WORDS | {w for w in extra if len(w.split()) == 1})
    stop_words = stop_words | {fold(w) for w in stop_words}
    keys = tuple(p.key for p in papers)
    size = len(papers)
    # Titles are texts 0 … n-1, abstracts n … 2n-1; every word is read once, then counted with numpy.
    reader = kept_reader()
    title_ids, title_of = reader.read([p.title for p in papers])
    abstract_ids, abstract_of = reader.read([p.abstract for p in papers], links=True)
    keep_reader(reader, int(np.count_nonzero(np.bincount(np.concatenate([title_ids, abstract_ids]), minlength=len(reader.words)))))
    word_ids, text_of = np.concatenate([title_ids, abstract_ids]), np.concatenate([title_of, abstract_of + np.int32(size)])
    del title_ids, title_of, abstract_ids, abstract_of
    words = list(reader.words)
    names: dict[str, int] = {}
    folded = reader.terms(stop_words, _term)
    word_term = np.array([-1 if t is None else names.setdefault(t, len(names)) for t in folded], dtype=np.int32)
    unigrams = list(names)
    tokens = word_term[word_ids] if len(word_ids) else np.zeros(0, dtype=np.int32)
    single = np.flatnonzero(tokens >= 0).astype(np.int32)
    pair = np.flatnonzero((tokens[:-1] >= 0) & (tokens[1:] >= 0)).astype(np.int32)
    bigram_codes, bigram_of = np.unique(tokens[pair].astype(np.int64) * len(unigrams) + tokens[pair + 1], return_inverse=True)
    bigram_of = bigram_of.ravel().astype(np.int32) + np.int32(len(unigrams))
    width = len(unigrams) + len(bigram_codes)
    if not width or not size:
        return _empty(keys)

    def name(column: int) -> str:
        if column < len(unigrams):
            return unigrams[column]
        first, second = divmod(int(bigram_codes[column - len(unigrams)]), len(unigrams))
        return f"{unigrams[first]} {unigrams[second]}"

    # Counts are whole numbers, exact in 32-bit floats.
    raw = sp.csr_matrix(
        (np.ones(len(single) + len(pair), dtype=np.float32), (np.concatenate([text_of[single], text_of[pair]]), np.concatenate([tokens[single], bigram_of]))),
        shape=(2 * size, width),
    )
    both = (raw[:size] + raw[size:]).tocsr()
    frequency = np.bincount(both.indices, minlength=width)
    used = np.bincount(both.indices, weights=both.data, minlength=width)
    unpinned = [row for row, paper in enumerate(papers) if paper.section is None]
    placed = np.bincount(both[unpinned].indices, minlength=width) if unpinned else np.zeros(width, dtype=np.int64)
    del both
    wanted = _columns(keywords, stop_words, names, bigram_codes)
    wanted = wanted[placed[wanted] > 0]
    named = [(term, column) for term, column in _vocabulary(frequency, used, name, size, wanted) if term not in phrases]
    if not named:
        return _empty(keys)
    terms = tuple(term for term, _ in named)
    keep = [column for _, column in named]
    keep_array = np.asarray(keep, dtype=np.int64)
    title_counts = raw[:size][:, keep_array].astype(np.float64).tocsr()
    abstract_counts = raw[size:][:, keep_array].astype(np.float64).tocsr()
    del raw
    # scikit-learn's smoothed idf, written out so that title and abstract share it.
    idf = smoothed_idf(size, frequency[keep_array])

    vocabulary = {term: column for column, term in enumerate(terms)}
    transform = Transform(vocabulary, idf, stop_words)

    # How each term is written: its column among the terms, and the words as they stood.
    position = np.full(width, -1, dtype=np.int32)
    position[keep_array] = np.arange(len(keep), dtype=np.int32)
    # A word is counted under one term only, so a term's written forms are its words: counted
    # by word, in titles and in abstracts.
    forms: dict[tuple[int, bool], dict[str, int]] = {}
    for in_abstract in (False, True):
        chosen = single[(text_of[single] >= size) == in_abstract]
        times = np.bincount(word_ids[chosen], minlength=len(words))
        found = np.flatnonzero((times > 0) & (word_term >= 0))
        columns = position[word_term[found]]
        found, columns = found[columns >= 0], columns[columns >= 0]
        for word, column, seen in zip(found.tolist(), columns.tolist(), times[found].tolist(), strict=True):
            forms.setdefault((column, in_abstract), {})[words[word]] = seen
    bigram_columns = position[bigram_of]
    pairs = pair[bigram_columns >= 0]
    width_ = len(words)
    codes = word_ids[pairs].astype(np.int64) * width_ + word_ids[pairs + 1]
    forms.update(_forms(bigram_columns[bigram_columns >= 0], text_of[pairs] >= size, codes, lambda code: f"{words[code // width_]} {words[code % width_]}"))
    del pairs, codes, bigram_columns
    in_abstracts = np.flatnonzero(np.bincount(word_ids[single[text_of[single] >= size]], minlength=len(words)))
    lowercase = {part for w in in_abstracts.tolist() for part in words[w].split("-") if part.islower()}
    surface = Surfaces(vocabulary, forms, lowercase)
    return Features(keys, combine(title_counts, abstract_counts, idf), (title_counts + abstract_counts).tocsr(), terms, transform, title_counts, surface)
