"""Relevance: one number per result that means the same for every question, and the floor under which
a result is left out.

A memory's own evidence is two absolute signals, never rescaled per query:

- `similarity`: cosine similarity of the question's and the memory's embeddings (all-MiniLM-L6-v2:
  unrelated sentences sit around 0.0-0.25, paraphrases of one fact at 0.4 and above);
- `coverage`: the share of the question's informative words the memory holds (content or tags, as the
  keyword index stems them), each word weighed by its inverse document frequency, so matching a rare
  name counts more than matching "app"; a word no memory holds weighs most, so a question about
  something never stored covers little of anything.

They combine in a logistic model, p = 1 / (1 + exp(-(4 s + 3 c + 6 s c - 5))), whose shape was fitted
to "does this memory answer this question" on two kinds of data: LoCoMo conversations (chosen by
cross-validation, tuning on three conversations and reporting on the other two; `bench/locomo.py
--folds`) and an agent's own memories (`bench/agentmem.py`). Ranking uses p (plus the session lift of
`mcp_memory.services.search.hybrid`); what callers see is `relevance = p ** (1/3)`, a fixed monotone
stretch so that the scale reads naturally: about 0.3 is the floor, 0.45 weak but plausible, 0.7 and
above strong. Being a fixed function of absolute signals, 0.5 means the same in every answer.

The default floor (`Settings.min_relevance`, 0.3) keeps in LoCoMo's top 10 what the top 10 held without
it (recall@10 moves by under 0.01) while leaving out most of what an agent's store holds that does not
answer: bench/README.md has the figures.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

__all__ = [
    "DEFAULT_FLOOR",
    "HALF_LIFE_DAYS",
    "coverage",
    "display",
    "evidence",
    "internal",
    "query_terms",
    "word_weight",
]

#: The floor on the shown scale when no setting says otherwise.
DEFAULT_FLOOR = 0.3
#: Where a ranking weighs how recent something is (the hooks' session-start block, past episodes),
#: its recency halves every this many days.
HALF_LIFE_DAYS = 30.0
_SIMILARITY = 4.0
_COVERAGE = 3.0
_BOTH = 6.0
_BIAS = -5.0


def evidence(similarity: float | None, coverage: float) -> float:
    """p: how likely a memory with this cosine similarity and word coverage answers the question
    (internal scale; `display` turns it into the shown relevance). A missing similarity (keyword-only
    search) counts as none."""
    s = max(0.0, similarity or 0.0)
    c = min(1.0, max(0.0, coverage))
    z = _SIMILARITY * s + _COVERAGE * c + _BOTH * s * c + _BIAS
    return 1.0 / (1.0 + math.exp(-z))


def word_weight(rows: int, held: int) -> float:
    """A question word's weight in `coverage`: its inverse document frequency among `rows` memories
    when `held` of them hold it, ln(1 + (N - n + 0.5) / (n + 0.5)), so a word no memory holds weighs
    most and one every memory holds weighs least. `held` is clamped to 0..N (counts taken at another
    time than N can disagree with it), so a weight is always positive."""
    rows = max(rows, 1)
    held = min(max(held, 0), rows)
    return math.log(1.0 + (rows - held + 0.5) / (held + 0.5))


def coverage(weights: Mapping[str, float], held: Iterable[str]) -> float:
    """The share of the question's word weight (`weights`, from `word_weight`) that a memory holding
    the words `held` covers, 0..1."""
    total = sum(weights.values())
    return sum(weights[w] for w in set(held) if w in weights) / total if total > 0 else 0.0


def display(p: float) -> float:
    """The shown relevance (0..1) of internal evidence p."""
    return round(float(max(0.0, min(1.0, p)) ** (1.0 / 3.0)), 2)


def internal(relevance: float) -> float:
    """The internal evidence a shown relevance stands for (the inverse of `display`)."""
    return float(max(0.0, min(1.0, relevance)) ** 3)


_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        # What is left of a contraction ("what's", "don't", "I'd", "we'll", "they're", "I've", "I'm"):
        # the word splitter cuts at the apostrophe, and a lone "s" matches every possessive.
        "s",
        "t",
        "d",
        "ll",
        "re",
        "ve",
        "m",
    ]
)


def query_terms(query: str) -> list[str]:
    """The query's words that carry meaning (stopwords dropped unless nothing else is left), lowercased, once each."""
    words = [w.lower() for w in _WORD.findall(query)]
    content_words = [w for w in words if w not in _STOPWORDS]
    return list(dict.fromkeys(content_words or words))
