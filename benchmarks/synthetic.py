"""Make synthetic surveys for benchmarks: latent topics, realistic abstracts, authors and years.

    python benchmarks/synthetic.py OUT_DIR --papers 10000 --seed 0

The same (n_papers, seed) always gives byte-identical files. Each paper draws its words from
one main topic, sometimes a second one, shared academic prose, English function words and a
long Zipf-distributed tail, so the vocabulary keeps growing with the survey as a real one does
(Heaps' law). Titles sometimes open with the stock phrases real titles share ("On the",
"Towards", "A Survey of"), which matters to duplicate detection.
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import itertools
import json
import random
import shutil
import textwrap
from bisect import bisect
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
N_TOPICS = 32
TOPIC_WORDS = 260
TAIL_WORDS = 120_000
N_SECTIONS = 12
PIN_SHARE = 0.15
FIRST_YEAR, LAST_YEAR = 2010, 2026

ONSETS = ["b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "cr", "dr", "fl", "gr", "pl", "pr", "sk", "sl", "sp", "st", "str", "tr", "ch", "sh", "th"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"]
CODAS = ["", "", "", "n", "r", "s", "l", "m", "t", "x", "nd", "rt", "st", "ng"]

FUNCTION_WORDS = ["the", "of", "and", "to", "a", "in", "for", "is", "that", "on", "with", "we", "as", "by", "this", "are", "be", "from", "an", "which", "our", "it", "can", "at", "these", "both", "their", "while", "than", "into", "its", "such", "more", "over", "not", "also", "between", "through", "each", "when", "how", "but", "only", "most", "under", "two", "three", "many", "other", "all", "where", "has", "have", "been", "was", "were"]
PROSE_WORDS = ["model", "models", "learning", "task", "tasks", "data", "training", "method", "approach", "results", "performance", "propose", "show", "framework", "existing", "experiments", "evaluate", "benchmark", "datasets", "accuracy", "baseline", "baselines", "novel", "state-of-the-art", "analysis", "problem", "setting", "demonstrate", "proposed", "language", "neural", "network", "networks", "representation", "representations", "large-scale", "efficient", "effective", "robust", "generalization", "improvement", "improve", "significant", "empirical", "theoretical", "study", "studies", "approach", "approaches", "across", "multiple", "different", "various", "new", "challenging", "standard", "simple", "strong", "outperforms", "achieve", "achieves", "extensive", "evaluation", "prior", "work", "recent", "address", "challenge", "challenges", "introduce", "present", "leverage", "leveraging", "enables", "key", "insight", "objective", "optimization", "loss", "function", "parameters", "architecture", "scale", "scaling", "inference", "pretrained", "fine-tuning", "downstream", "supervised", "unsupervised", "self-supervised", "transfer", "domain", "domains", "samples", "examples", "distribution", "features", "feature", "information", "structure", "structured", "knowledge", "learned", "learn", "learns", "trained", "train", "test", "testing", "metric", "metrics", "quality", "human", "humans", "released", "open-source", "code", "available", "publicly", "findings", "suggest", "observe", "observed", "understanding"]
TITLE_OPENERS = [  # (phrase, share of titles): stock openings real titles share
    ("On the", 0.015), ("Towards", 0.015), ("A Survey of", 0.005), ("Learning to", 0.01),
    ("Improving", 0.012), ("Rethinking", 0.004), ("Understanding", 0.006), ("When Does", 0.002),
]
GIVEN = ["Wei", "Li", "Jun", "Yi", "Hao", "Xin", "Min", "Jie", "Lei", "Yang", "Anna", "Maria", "Laura", "Sofia", "Elena", "Julia", "Sarah", "Emma", "Olivia", "James", "John", "Robert", "Michael", "David", "Daniel", "Thomas", "Mark", "Paul", "Peter", "Andrew", "Kevin", "Brian", "Jason", "Ryan", "Aditya", "Rahul", "Priya", "Ananya", "Arjun", "Vikram", "Sanjay", "Deepak", "Kavya", "Rohan", "Hiroshi", "Yuki", "Takeshi", "Kenji", "Haruka", "Sakura", "Min-jun", "Ji-woo", "Seo-yeon", "Hyun", "Ali", "Omar", "Fatima", "Layla", "Yusuf", "Amir", "Leila", "Mehmet", "Ayse", "Lukas", "Jonas", "Felix", "Leon", "Hannah", "Lena", "Mia", "Pierre", "Louis", "Camille", "Chloé", "Étienne", "Zoë", "Joaquín", "José", "Lucía", "Martín", "Ana", "Pedro", "João", "Matteo", "Giulia", "Luca", "Francesca", "Lars", "Ingrid", "Sven", "Astrid", "Nikolai", "Olga", "Dmitri", "Irina", "Sergei", "Katarzyna", "Piotr", "Tomasz", "Agnieszka", "Chidi", "Ngozi", "Kwame", "Amara", "Tendai"]
FAMILY = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Gao", "Zheng", "Liang", "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Kumar", "Singh", "Sharma", "Gupta", "Patel", "Reddy", "Rao", "Iyer", "Nair", "Das", "Tanaka", "Suzuki", "Takahashi", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Dubois", "Durand", "Lefèvre", "Moreau", "Laurent", "García", "Martínez", "López", "González", "Rodríguez", "Fernández", "Pérez", "Sánchez", "Silva", "Santos", "Oliveira", "Costa", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Novak", "Kowalski", "Nowak", "Wiśniewski", "Ivanov", "Petrov", "Smirnov", "Andersson", "Johansson", "Nielsen", "Hansen", "Jensen", "Okafor", "Mensah", "Adeyemi", "Nkosi", "Yılmaz", "Kaya", "Demir", "Şahin", "Haddad", "Nasser", "Khalil", "Hosseini", "Ahmadi", "Karimi"]
PARTICLE_FAMILIES = ["van der Berg", "de Vries", "van den Oord", "von Luxburg", "de la Cruz", "Dos Santos", "di Marco"]
VENUES = [
    "NeurIPS", "ICML", "ICLR", "ACL", "EMNLP", "NAACL", "EACL", "COLING", "AAAI", "IJCAI", "CVPR",
    "ICCV", "ECCV", "KDD", "WWW", "SIGIR", "Findings of ACL", "Findings of EMNLP", "TMLR", "JMLR",
    "TACL", "Transactions on Pattern Analysis and Machine Intelligence", "Nature Machine Intelligence",
    "Proceedings of the 2nd Workshop on Efficient Natural Language Processing", "SemEval",
]
SECTION_TITLE_NOUNS = ["methods", "models", "benchmarks", "analysis", "systems", "applications", "foundations", "evaluation"]


def _cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _zipf(n: int, exponent: float) -> list[float]:
    return _cumulative([1.0 / (rank**exponent) for rank in range(1, n + 1)])


class _Words:
    """A deterministic pool of pronounceable made-up words, none repeated."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seen: set[str] = set(FUNCTION_WORDS) | set(PROSE_WORDS)

    def one(self, syllables: tuple[int, int] = (2, 4)) -> str:
        while True:
            count = self.rng.randint(*syllables)
            word = "".join(self.rng.choice(ONSETS) + self.rng.choice(VOWELS) for _ in range(count)) + self.rng.choice(CODAS)
            if word not in self.seen and len(word) >= 4:
                self.seen.add(word)
                return word


class _Vocabulary:
    """Topics with their own words, shared prose and a long tail."""

    def __init__(self, rng: random.Random):
        words = _Words(rng)
        self.topics: list[list[str]] = []
        for _ in range(N_TOPICS):
            vocabulary = [words.one() for _ in range(TOPIC_WORDS)]
            # A few hyphenated compounds and acronyms per topic, as in real abstracts.
            for i in range(4, 40, 9):
                vocabulary[i] = f"{vocabulary[i]}-{words.one((1, 2))}"
            for i in range(7, 60, 13):
                vocabulary[i] = words.one((1, 2))[:4].upper()
            self.topics.append(vocabulary)
        self.topic_weights = _zipf(TOPIC_WORDS, 0.9)
        self.prose_weights = _zipf(len(PROSE_WORDS), 0.8)
        self.function_weights = _zipf(len(FUNCTION_WORDS), 1.0)
        self.tail = [words.one((2, 5)) for _ in range(TAIL_WORDS)]
        self.tail_weights = _zipf(TAIL_WORDS, 1.05)


def _draw(rng: random.Random, items: list[str], cumulative: list[float], k: int) -> list[str]:
    total = cumulative[-1]
    return [items[bisect(cumulative, rng.random() * total)] for _ in range(k)]


def _abstract(rng: random.Random, vocabulary: _Vocabulary, topic: int, second: int | None, github: str | None) -> str:
    length = rng.randint(150, 250)
    sources = [
        (0.30, vocabulary.topics[topic], vocabulary.topic_weights),
        (0.08 if second is not None else 0.0, vocabulary.topics[second if second is not None else topic], vocabulary.topic_weights),
        (0.22, PROSE_WORDS, vocabulary.prose_weights),
        (0.32, FUNCTION_WORDS, vocabulary.function_weights),
        (0.08, vocabulary.tail, vocabulary.tail_weights),
    ]
    shares = _cumulative([share for share, _, _ in sources])
    words = []
    for _ in range(length):
        _, items, weights = sources[min(bisect(shares, rng.random() * shares[-1]), len(sources) - 1)]
        words.append(items[bisect(weights, rng.random() * weights[-1])])
    sentences, start = [], 0
    while start < len(words):
        end = min(len(words), start + rng.randint(12, 28))
        sentence = words[start:end]
        if len(sentence) > 8 and rng.random() < 0.4:
            sentence[rng.randint(3, len(sentence) - 3)] += ","
        if len(sentence) > 3 and rng.random() < 0.1:
            position = rng.randint(1, len(sentence) - 1)
            sentence.insert(position, f"({rng.choice(vocabulary.topics[topic][:60])[:5].upper()})")
        text = " ".join(sentence)
        sentences.append(text[:1].upper() + text[1:] + ".")
        start = end
    if rng.random() < 0.03:  # a second paragraph, as some abstracts have
        middle = len(sentences) // 2
        sentences[middle] = "\n\n" + sentences[middle]
    if github:
        sentences.append(f"Code is available at {github}.")
    return " ".join(sentences).replace(" \n\n", "\n\n")


# The last day a synthetic paper was added: days after it are a year earlier, since a paper
# file's `added` may not lie in the future. Fixed, so that a size and seed always give the same files.
LAST_ADDED = datetime.date(2026, 10, 31)


def _added(year: int, month: int, day: int) -> str:
    added = datetime.date(year, month, day)
    return str(added if added <= LAST_ADDED else added.replace(year=year - 1))


def _title(rng: random.Random, vocabulary: _Vocabulary, topic: int) -> str:
    roll, opener = rng.random(), ""
    for phrase, share in TITLE_OPENERS:
        if roll < share:
            opener = phrase
            break
        roll -= share
    core = _draw(rng, vocabulary.topics[topic], vocabulary.topic_weights, rng.randint(2, 5))
    core += _draw(rng, PROSE_WORDS, vocabulary.prose_weights, rng.randint(1, 3))
    rng.shuffle(core)
    connectors = ["for", "with", "via", "in", "of", "and"]
    words = []
    for i, word in enumerate(core):
        if i and rng.random() < 0.25:
            words.append(rng.choice(connectors))
        words.append(word if word.isupper() else word[:1].upper() + word[1:])
    if rng.random() < 0.2:
        words[0] = f"{words[0].upper()[:6]}:"
    return " ".join(([opener] if opener else []) + words)


class _Titles:
    """Titles given so far, so that no two papers are duplicates in the validator's eyes."""

    def __init__(self) -> None:
        from generator.dedupe import TITLE_SIMILARITY, title_words

        self.similarity, self.words = TITLE_SIMILARITY, title_words
        self.seen: set[tuple[str, ...]] = set()
        self.by_prefix: dict[tuple[str, ...], list[str]] = {}

    def fresh(self, title: str) -> bool:
        """Remember a title unless it repeats, or nearly repeats, an earlier one."""
        words = self.words(title)
        joined = " ".join(words)
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq1(joined)
        for other in self.by_prefix.get(words[:2], []):
            matcher.set_seq2(other)
            if matcher.real_quick_ratio() >= self.similarity and matcher.quick_ratio() >= self.similarity and matcher.ratio() >= self.similarity:
                return False
        if words in self.seen:
            return False
        self.seen.add(words)
        self.by_prefix.setdefault(words[:2], []).append(joined)
        return True


def _author(rng: random.Random) -> tuple[str, str]:
    """Return an author as written in the file, and the family name for the key."""
    given = rng.choice(GIVEN)
    if rng.random() < 0.03:
        family = rng.choice(PARTICLE_FAMILIES)
        return f"{family}, {given}", family
    family = rng.choice(FAMILY)
    if rng.random() < 0.1:
        return f"{family}, {given}", family
    return f"{given} {family}", family


def _ascii(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("ß", "ss"))
    return "".join(c for c in folded if c.isascii() and c.isalnum()).lower()


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _paper_yaml(fields: dict) -> str:
    lines = [f"title: {_quote(fields['title'])}"]
    if fields["authors"]:
        lines.append("authors:")
        lines += [f"  - {_quote(a)}" for a in fields["authors"]]
    lines.append(f"year: {fields['year']}")
    for name in ("venue", "arxiv", "code", "section"):
        if fields.get(name):
            lines.append(f"{name}: {_quote(fields[name])}")
    if fields.get("tags"):
        lines.append("tags: [" + ", ".join(_quote(t) for t in fields["tags"]) + "]")
    lines.append(f"added: {fields['added']}")
    lines.append("abstract: >-")
    paragraphs = fields["abstract"].split("\n\n")
    for number, paragraph in enumerate(paragraphs):
        if number:
            lines.append("")
        lines += ["  " + line for line in textwrap.wrap(paragraph, 94, break_on_hyphens=False)]
    return "\n".join(lines) + "\n"


def _sections(rng: random.Random, vocabulary: _Vocabulary) -> tuple[list[dict], dict[int, str]]:
    """Return the curator's sections and, for each topic a section covers, its id."""
    topics = list(range(N_TOPICS))
    rng.shuffle(topics)
    sections, topic_section, used = [], {}, set()
    for number in range(N_SECTIONS):
        covered = topics[number * 2 : number * 2 + rng.choice((1, 2, 2, 3))]
        words = [vocabulary.topics[t][rank] for t in covered for rank in (0, 1, 2)]
        section_id = f"{words[0].split('-')[0].lower()}-{rng.choice(SECTION_TITLE_NOUNS)}"
        while section_id in used:
            section_id += "-x"
        used.add(section_id)
        for topic in covered:
            topic_section.setdefault(topic, section_id)
        description = " ".join(
            ["These papers study", words[0].lower(), "and", words[1].lower(), "with"]
            + _draw(rng, PROSE_WORDS, vocabulary.prose_weights, 25)
            + [w.lower() for w in words[2:]]
        )
        sections.append(
            {
                "id": section_id,
                "title": f"{words[0][:1].upper()}{words[0][1:]} and {words[1]}",
                "description": description + ".",
                "keywords": [w.lower() for w in words[: rng.randint(3, 5)]],
            }
        )
    return sections, topic_section


def _overrides_yaml(sections: list[dict], n_papers: int) -> str:
    lines = [
        f"title: {_quote(f'A synthetic survey of {n_papers} papers')}",
        "description: Made by benchmarks/synthetic.py to measure the generator at scale.",
        "sections:",
    ]
    for section in sections:
        lines.append(f"  - id: {section['id']}")
        lines.append(f"    title: {_quote(section['title'])}")
        lines.append(f"    description: {_quote(section['description'])}")
        lines.append("    keywords: [" + ", ".join(_quote(k) for k in section["keywords"]) + "]")
    return "\n".join(lines) + "\n"


def _arxiv(rng: random.Random, year: int, used: set[str]) -> str:
    while True:
        yy = max(year, 2015) % 100  # five-digit numbers since 2015
        candidate = f"{yy:02d}{rng.randint(1, 12):02d}.{rng.randint(1, 29_999):05d}"
        if candidate not in used:
            used.add(candidate)
            return candidate


# The file that tells a folder this script made (and may replace) from any other.
MARK = ".synthetic-survey"


def make_survey(folder: Path, n_papers: int, seed: int = 0, config: Path = REPO / "mkdocs.yml") -> Path:
    """Write a survey folder (mkdocs.yml, content/) of n_papers synthetic papers; return it."""
    rng = random.Random(f"survey-{seed}")
    vocabulary = _Vocabulary(rng)
    sections, topic_section = _sections(rng, vocabulary)
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()) and not (folder / MARK).is_file():
        raise FileExistsError(f"{folder} holds files this script did not make: name an empty or new folder (it replaces a folder's content/ and mkdocs.yml)")
    papers_dir = folder / "content" / "papers"
    if papers_dir.exists():
        shutil.rmtree(papers_dir)
    papers_dir.mkdir(parents=True)
    (folder / MARK).write_text("A synthetic survey of benchmarks/synthetic.py: run it again on this folder to replace it.\n", encoding="utf-8")
    shutil.copyfile(config, folder / "mkdocs.yml")
    (folder / "content" / "overrides.yaml").write_text(_overrides_yaml(sections, n_papers), encoding="utf-8")
    # Topics are unequal in size, as real fields are: a Zipf-like share per topic.
    topic_weights = _zipf(N_TOPICS, 0.7)
    keys: set[str] = set()
    arxiv_ids: set[str] = set()
    titles = _Titles()
    for _ in range(n_papers):
        topic = bisect(topic_weights, rng.random() * topic_weights[-1])
        second = rng.randrange(N_TOPICS) if rng.random() < 0.35 else None
        authors = [_author(rng) for _ in range(min(10, max(1, int(rng.expovariate(1 / 3.5)) + 1)))]
        year = rng.randint(FIRST_YEAR, LAST_YEAR)
        title = _title(rng, vocabulary, topic)
        while not titles.fresh(title):  # rare: from about 100,000 papers on
            title = _title(rng, vocabulary, topic)
        github = f"https://github.com/{_ascii(authors[0][1])}/{_ascii(title.split()[-1])}" if rng.random() < 0.2 else None
        fields = {
            "title": title,
            "authors": [a for a, _ in authors],
            "year": year,
            "venue": f"{rng.choice(VENUES)} {year}" if rng.random() < 0.65 else None,
            "arxiv": _arxiv(rng, year, arxiv_ids) if rng.random() < 0.6 else None,
            "code": github,
            "section": topic_section.get(topic) if rng.random() < PIN_SHARE else None,
            "tags": [rng.choice(vocabulary.topics[topic][:20]).lower()] if rng.random() < 0.05 else [],
            "added": _added(rng.randint(2020, 2026), rng.randint(1, 12), rng.randint(1, 28)),
            "abstract": _abstract(rng, vocabulary, topic, second, github),
        }
        first_word = next((w for w in (_ascii(x) for x in title.split()) if len(w) > 3 and w not in ("towards", "survey", "learning", "understanding", "improving", "rethinking")), "paper")
        base = f"{_ascii(authors[0][1]) or 'anon'}{year}{first_word}"
        key = base
        for suffix in itertools.count(2):
            if key not in keys:
                break
            key = f"{base}{suffix}"
        keys.add(key)
        (papers_dir / f"{key}.yaml").write_text(_paper_yaml(fields), encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        make_survey(args.folder, args.papers, args.seed)
    except FileExistsError as error:
        raise SystemExit(f"synthetic.py: {error}") from None
    print(f"wrote {args.papers} papers into {args.folder}")


if __name__ == "__main__":
    main()
