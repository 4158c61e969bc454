"""Words of titles and abstracts as arrays of ids: the first step of the features (see features.py).

Apart from the features, so that a forked copy can read the texts without importing scikit-learn
(see `read_ahead`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

import numpy as np

from . import cache
from .models import Paper

# A word starts with a letter and may join hyphenated parts: "multi-task", "LoRA", "GPT-4".
TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W_]*(?:-[^\W_]+)*\b"
CLAUSE_BREAK = re.compile(r"[.;:!?()\[\],\"]+(?:\s|$)|[()\[\]\"]")
# A link, in one chunk of text without whitespace: a chunk holding a link is dropped whole.
LINK = re.compile(r"\S*https?://\S|\S+\.(?:com|org|io|ai)\b")

# A text is cut at whitespace into chunks ("multi-task," "(LoRA)"); each distinct chunk is read
# once into its words and clause breaks (a break is ""), so the regular expression runs once per
# distinct chunk, not once per word. A clause break always ends at whitespace or a bracket, so
# reading chunk by chunk finds the same words and breaks as reading the whole text.
WORD_OR_BREAK = re.compile(rf"({TOKEN_PATTERN.removeprefix('(?u)')})|{CLAUSE_BREAK.pattern}")
BREAK = 0  # the word id of a clause break, and of the gap between two texts
GAP = "\x00"  # the chunk that stands between two texts while a block of them is cut
# Texts read per block, so that no more than one block's chunks are Python strings at once.
BLOCK_TEXTS = 4096
# Up to this many papers, each text's word ids are kept for the next build (see `_Reader.read`).
KEEP_TEXTS = 20_000


class Reader:
    """Turn texts into arrays of word ids, remembering every distinct word and chunk."""

    def __init__(self) -> None:
        self.words: dict[str, int] = {"": BREAK}
        self.chunks: dict[bool, dict[str, int]] = {False: {}, True: {}}
        self.pieces: list[int] = []  # the word ids of every distinct chunk, one after another
        self.starts: list[int] = []
        self.texts: dict[bool, dict[str, np.ndarray]] = {False: {}, True: {}}  # see `read`
        self._stop_words: frozenset[str] | None = None
        self._terms: list[str | None] = []

    def terms(self, stop_words: frozenset[str], term: Callable[[str, frozenset[str]], str | None]) -> list[str | None]:
        """Return the term each word is counted under (see features._term), by word id."""
        if stop_words != self._stop_words:
            self._stop_words, self._terms = stop_words, []
        if len(self._terms) < len(self.words):
            self._terms += [term(word, stop_words) for word in itertools.islice(self.words, len(self._terms), None)]
        return self._terms

    def _chunk(self, chunk: str, links: bool) -> int:
        number = self.chunks[links][chunk] = len(self.starts)
        self.starts.append(len(self.pieces))
        if not (links and LINK.match(chunk)):
            words = self.words
            self.pieces += [words.setdefault(word, len(words)) for word in WORD_OR_BREAK.findall(chunk)]
        return number

    def read(self, texts: Sequence[str], links: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Return the word ids of all texts end to end (each text ends with a break), and each word's text.

        With `links`, a chunk that is a web address is left out.
        A survey of up to KEEP_TEXTS papers keeps each text's ids, so that the next build (`survey
        serve`, after an edit) reads only the texts that changed.
        """
        if len(texts) > KEEP_TEXTS:
            self.texts[links] = {}
            return self._read(texts, links)
        self.learn(texts, links)
        known = self.texts[links]
        read = [known[text] for text in texts]
        self.texts[links] = dict(zip(texts, read, strict=True))  # texts no longer in the survey go
        lengths = np.fromiter(map(len, read), dtype=np.int64, count=len(read))
        ids = np.concatenate(read) if read else np.zeros(0, dtype=np.int32)
        return ids, np.repeat(np.arange(len(texts), dtype=np.int32), lengths)

    def learn(self, texts: Sequence[str], links: bool = False) -> None:
        """Read the texts not read yet, and keep each one's word ids for `read`."""
        known = self.texts[links]
        new = [text for text in dict.fromkeys(texts) if text not in known]
        if new:
            ids, text_of = self._read(new, links)
            ends = np.searchsorted(text_of, np.arange(len(new) + 1)).tolist()
            known.update((text, ids[ends[n] : ends[n + 1]]) for n, text in enumerate(new))

    def _read(self, texts: Sequence[str], links: bool) -> tuple[np.ndarray, np.ndarray]:
        blocks = []
        known = self.chunks[links]
        known[GAP] = -1
        for start in range(0, len(texts), BLOCK_TEXTS):
            # A block's texts are cut at once, a GAP chunk between two texts. A NUL is no word and
            # breaks no clause, so a space in its place reads the same.
            block = [text.replace(GAP, " ") if GAP in text else text for text in texts[start : start + BLOCK_TEXTS]]
            chunks = f" {GAP} ".join(block).split()
            chunks.append(GAP)
            # Each new distinct chunk is read once, in the order it first stands; then every
            # chunk is looked up at C speed.
            for chunk in dict.fromkeys(chunks):
                if chunk not in known:
                    self._chunk(chunk, links)
            blocks.append(np.fromiter(map(known.__getitem__, chunks), dtype=np.int32, count=len(chunks)))
        occurrences = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int32)
        del blocks
        # Numbers stay 32-bit (a survey of millions of papers would need more), halving memory.
        starts = np.array([*self.starts, len(self.pieces)], dtype=np.int32)
        pieces = np.array([*self.pieces, BREAK], dtype=np.int32)
        # A gap is a chunk of one break, stored last.
        begin = np.where(occurrences >= 0, starts[occurrences], np.int32(len(self.pieces)))
        size = np.where(occurrences >= 0, starts[occurrences + 1] - begin, np.int32(1))
        # Which text each word belongs to: a text's chunks are followed by one gap.
        gaps = occurrences < 0
        text_of = np.repeat((np.cumsum(gaps, dtype=np.int32) - gaps).astype(np.int32), size)
        del occurrences, gaps
        offsets = np.cumsum(size, dtype=np.int64) - size
        positions = np.repeat((begin - offsets).astype(np.int64), size)
        del begin, offsets
        positions += np.arange(len(positions), dtype=np.int64)
        return pieces[positions], text_of


# The words and chunks read so far, kept between the builds of one process (`survey serve`):
# after an edit only new chunks are read. The ids it gives words decide nothing written (terms
# are ordered by name), and a reader that knows many more words than the survey uses is dropped.
_READERS: cache.Memo[str, Reader] = cache.lasting(limit=1)
READER_SPARE = 2  # a kept reader may know this many times the words the survey uses


def kept_reader() -> Reader:
    """Return the reader kept from the builds before (a new one in a new process)."""
    return _READERS.get("words", Reader)


def adopt(reader: Reader) -> None:
    """Keep a reader made by a forked copy (see `read_ahead`) for this build, if none is kept."""
    _READERS.get("words", lambda: reader)


def keep_reader(reader: Reader, used_words: int) -> None:
    """Keep a reader for the next build, unless it knows many more words than the survey uses."""
    if len(reader.words) > READER_SPARE * max(used_words, 1):
        _READERS.clear()


# Texts a copy reads ahead at a time, between two looks at whether this process still wants it to.
AHEAD_BLOCK = 256


def read_ahead(papers: Sequence[Paper], wanted: Callable[[], bool]) -> Reader:
    """Read the papers' titles and abstracts into a new reader, a block at a time, while `wanted()`.

    A forked copy that has read the content does this while this process still imports the
    analysis libraries; `featurize` then finds the texts read (see build.py).
    """
    reader = Reader()
    for links, texts in ((False, [p.title for p in papers]), (True, [p.abstract for p in papers])):
        for start in range(0, len(texts), AHEAD_BLOCK):
            if not wanted():
                return reader
            reader.learn(texts[start : start + AHEAD_BLOCK], links)
    return reader
