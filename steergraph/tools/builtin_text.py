"""Built-in text tools: clean-ups, cheap-vs-exact summaries, keywords and counts, a remote look-up.

Each pair trades cost for quality on purpose, so a cost-aware planner has choices:
``summarize_lead`` (first sentences, O(n)) vs ``summarize_rank`` (TextRank over a
sentence-similarity graph, O(n^2)); ``keywords_freq`` vs ``keywords_tfidf``;
``estimate_words`` (from a prefix) vs ``count_words``. ``clean_text`` and
``dedupe_sentences`` are optional clean-ups that change what later tools see.
``lookup_docs`` is I/O-bound: it emulates a remote documentation service with a fixed
latency per request (``LOOKUP_LATENCY_S``), so concurrent plans really overlap it.
All are deterministic.

Example:
    >>> summarize_lead("One. Two. Three. Four.")
    'One. Two. Three.'
    >>> count_words("a b  c")
    3.0
"""

from __future__ import annotations

import collections
import math
import re
import time

import numpy as np

__all__ = [
    "LOOKUP_LATENCY_S",
    "clean_text",
    "count_words",
    "dedupe_sentences",
    "estimate_words",
    "join_texts",
    "keywords_freq",
    "keywords_tfidf",
    "lookup_docs",
    "sentences",
    "summarize_lead",
    "summarize_rank",
    "words_to_text",
]

LOOKUP_LATENCY_S = 0.15
SUMMARY_SENTENCES = 3
N_KEYWORDS = 10
_STOP = frozenset(
    "a an and are as at be by can for from has have if in into is it its may not of on or "
    "that the their then there these this to was were which will with you your also than "
    "such when where who how what all any each other more most only used use using same "
    "but been being does do so some one two new see".split()
)
_SENT = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


def sentences(text: str) -> list[str]:
    """Split text into sentences (on ., ! or ? followed by whitespace)."""
    return [s.strip() for s in _SENT.split(text.strip()) if s.strip()]


def _terms(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP and len(w) > 2]


def clean_text(text: str) -> str:
    """Drop markup characters and control codes, collapse whitespace."""
    text = re.sub(r"[*_`|#>\[\]{}\\^~]+", " ", text)
    text = re.sub(r"[^\S\n]+", " ", text)
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def dedupe_sentences(text: str) -> str:
    """Remove sentences that appeared earlier (case- and space-insensitive)."""
    seen: set[str] = set()
    kept = []
    for sent in sentences(text):
        key = " ".join(sent.lower().split())
        if key not in seen:
            seen.add(key)
            kept.append(sent)
    return " ".join(kept)


def summarize_lead(text: str) -> str:
    """Cheap summary: the first three sentences."""
    return " ".join(sentences(text)[:SUMMARY_SENTENCES])


def summarize_rank(text: str) -> str:
    """TextRank summary: the three most central sentences, in document order."""
    sents = sentences(text)
    if len(sents) <= SUMMARY_SENTENCES:
        return " ".join(sents)
    vocab: dict[str, int] = {}
    rows = []
    for sent in sents:
        counts = collections.Counter(_terms(sent))
        rows.append({vocab.setdefault(t, len(vocab)): c for t, c in counts.items()})
    matrix = np.zeros((len(sents), max(len(vocab), 1)))
    for i, row in enumerate(rows):
        for j, c in row.items():
            matrix[i, j] = c
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = matrix / np.where(norms == 0, 1, norms)
    sim = unit @ unit.T
    np.fill_diagonal(sim, 0.0)
    out_weight = sim.sum(axis=1, keepdims=True)
    trans = np.divide(sim, out_weight, out=np.zeros_like(sim), where=out_weight > 0)
    score = np.full(len(sents), 1.0 / len(sents))
    for _ in range(50):  # power iteration of PageRank with damping 0.85
        score = 0.15 / len(sents) + 0.85 * trans.T @ score
    top = sorted(np.argsort(-score, kind="stable")[:SUMMARY_SENTENCES])
    return " ".join(sents[i] for i in top)


def keywords_freq(text: str) -> list[str]:
    """Cheap keywords: the ten most frequent content words."""
    counts = collections.Counter(_terms(text))
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:N_KEYWORDS]]


def keywords_tfidf(text: str) -> list[str]:
    """Keywords by TF-IDF, paragraphs as documents: frequent here, specific to few paragraphs."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()] or [text]
    doc_freq: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    for para in paragraphs:
        terms = _terms(para)
        total.update(terms)
        doc_freq.update(set(terms))
    n = len(paragraphs)
    scores = {t: c * math.log((1 + n) / (1 + doc_freq[t])) + c * 1e-6 for t, c in total.items()}
    return [w for w, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:N_KEYWORDS]]


def count_words(text: str) -> float:
    """Exact number of whitespace-separated words."""
    return float(len(text.split()))


def estimate_words(text: str) -> float:
    """Cheap word count: characters / mean word length measured on the first 2,000 characters."""
    head = text[:2000]
    words = len(head.split())
    return float(round(len(text) * words / len(head))) if words else 0.0


def lookup_docs(keywords: list[str]) -> str:
    """Fetch Python documentation topics matching the keywords (remote-service latency)."""
    import pydoc_data.topics as topics

    time.sleep(LOOKUP_LATENCY_S)
    hits = [key for key in sorted(topics.topics) if any(k in key for k in keywords)]
    return "\n\n".join(topics.topics[key][:600] for key in hits[:3])


def join_texts(first: str, second: str) -> str:
    """Join two texts (a join node for two branches)."""
    return f"{first}\n\n{second}".strip()


def words_to_text(words: list[str]) -> str:
    """Render words as a comma-separated line."""
    return ", ".join(words)
