"""The offline OpenCATP-style task suite: 14 task families x 4 input sizes = 56 tasks.

Inputs are real: text from Python's documentation (``pydoc_data.topics``), tables
from the committed dpkg fixture (with duplicated and incomplete rows mixed in, so
the clean-up tools matter). Each family has a reference pipeline built from the
exact tools; its output is the gold answer, and a task score in [0, 1] compares a
plan's outputs with it (unigram F1 for text, Jaccard for word lists and for the
rows of a table, 1 - 5 x relative error for numbers, floored at 0). Some families are sequential,
some need two branches (two outputs, or a join). A deterministic 70/30 split by
task id gives train and test tasks.

Example:
    >>> tasks = build_tasks(levels=(1,))
    >>> len(tasks), tasks[0].id
    (14, 'summary-L1')
    >>> score_value("text", "a b c", "a b d") > 0.6
    True
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from steergraph.tools import builtin_table as tb
from steergraph.tools import builtin_text as tx
from steergraph.tools.samples import corpus_text, packages_table
from steergraph.tools.types import Table

__all__ = ["FAMILIES", "CATPTask", "build_tasks", "score_outputs", "score_value"]


@dataclass(frozen=True)
class Family:
    """A kind of task: its description, inputs, output types and reference pipeline."""

    name: str
    description: str
    input_type: str  # "text" (a document) or "table" (CSV text of a package table)
    outputs: tuple[str, ...]
    reference: Callable[[str], tuple[Any, ...]]
    branches: bool = False


def _clean_table(csv: str) -> Table:
    return tb.drop_incomplete(tb.dedupe_rows(tb.parse_csv(csv)))


def _report(doc: str) -> str:
    text = tx.clean_text(doc)
    return tx.join_texts(tx.summarize_rank(text), tx.words_to_text(tx.keywords_tfidf(text)))


FAMILIES: tuple[Family, ...] = (
    Family(
        "summary",
        "Summarize the document.",
        "text",
        ("text",),
        lambda d: (tx.summarize_rank(tx.clean_text(d)),),
    ),
    Family(
        "keywords",
        "List the keywords of the document.",
        "text",
        ("words",),
        lambda d: (tx.keywords_tfidf(tx.clean_text(d)),),
    ),
    Family(
        "word-count",
        "Count the words of the document.",
        "text",
        ("number",),
        lambda d: (tx.count_words(d),),
    ),
    Family(
        "summary-keywords",
        "Summarize the document and list its keywords.",
        "text",
        ("text", "words"),
        lambda d: (tx.summarize_rank(tx.clean_text(d)), tx.keywords_tfidf(tx.clean_text(d))),
        branches=True,
    ),
    Family(
        "dedup-summary",
        "Remove repeated sentences, then summarize the document.",
        "text",
        ("text",),
        lambda d: (tx.summarize_rank(tx.dedupe_sentences(tx.clean_text(d))),),
    ),
    Family(
        "report",
        "Write a short report: a summary followed by the keywords.",
        "text",
        ("text",),
        lambda d: (_report(d),),
        branches=True,
    ),
    Family(
        "doc-lookup",
        "Find the Python documentation about the document's keywords.",
        "text",
        ("text",),
        lambda d: (tx.lookup_docs(tx.keywords_tfidf(tx.clean_text(d))),),
    ),
    Family(
        "number-mean",
        "Give the mean of the numbers that appear in the document.",
        "text",
        ("number",),
        lambda d: (tb.mean_exact(tb.extract_numbers(d)),),
    ),
    Family(
        "table-mean",
        "Give the mean installed size of the packages in the table.",
        "table",
        ("number",),
        lambda c: (tb.mean_exact(_clean_table(c)),),
    ),
    Family(
        "table-median",
        "Give the median installed size of the packages in the table.",
        "table",
        ("number",),
        lambda c: (tb.median_exact(_clean_table(c)),),
    ),
    Family(
        "table-top",
        "List the ten largest packages of the table.",
        "table",
        ("table",),
        lambda c: (tb.top_rows(_clean_table(c)),),
    ),
    Family(
        "table-describe",
        "Describe the package table in a sentence.",
        "table",
        ("text",),
        lambda c: (tb.describe_table(_clean_table(c)),),
    ),
    Family(
        "table-mean-top",
        "Give the mean installed size and the ten largest packages.",
        "table",
        ("number", "table"),
        lambda c: (tb.mean_exact(_clean_table(c)), tb.top_rows(_clean_table(c))),
        branches=True,
    ),
    Family(
        "table-report",
        "Describe the package table and give its mean installed size.",
        "table",
        ("text", "number"),
        lambda c: (tb.describe_table(_clean_table(c)), tb.mean_exact(_clean_table(c))),
        branches=True,
    ),
)


@dataclass
class CATPTask:
    """One benchmark task: typed inputs with values, required outputs, gold outputs."""

    id: str
    family: str
    description: str
    level: int
    inputs: dict[str, str]
    values: dict[str, Any]
    outputs: list[str]
    gold: tuple[Any, ...] = field(repr=False, default=())
    split: str = "train"
    branches: bool = False

    @property
    def size(self) -> int:
        value = next(iter(self.values.values()))
        return len(value)


def _document(level: int, seed: int) -> str:
    """Real text with some repeated sentences and numbers (so clean-ups matter)."""
    text = corpus_text()
    length = 2000 * 4 ** (level - 1)
    start = random.Random(seed).randrange(0, len(text) - length)
    doc = text[start : start + length]
    sentences = tx.sentences(doc)
    repeats = random.Random(seed + 1).sample(sentences, k=min(3, len(sentences)))
    return doc + " " + " ".join(repeats)


def _package_csv(level: int, seed: int) -> str:
    """The dpkg table, sized by level, with duplicated and incomplete rows mixed in."""
    base = packages_table()
    rng = random.Random(seed)
    n = 40 * 4 ** (level - 1)
    rows = [list(base.rows[(i * 7 + seed) % len(base.rows)]) for i in range(n)]
    for _ in range(max(2, n // 20)):
        rows.insert(rng.randrange(len(rows)), list(rng.choice(rows)))  # duplicates
        broken = list(rng.choice(rows))
        broken[base.columns.index("installed_kb")] = 0.0  # an incomplete row
        rows.insert(rng.randrange(len(rows)), broken)
    # installed size last: the table tools work on the last numeric column of a CSV
    order = [c for c in base.columns if c != "installed_kb"] + ["installed_kb"]
    index = [base.columns.index(c) for c in order]
    return Table(order, [[r[i] for i in index] for r in rows]).to_csv()


def build_tasks(
    levels: Sequence[int] = (1, 2, 3, 4), families: Sequence[str] = ()
) -> list[CATPTask]:
    """Every (family, level) task, with inputs, gold outputs and a train/test split."""
    tasks = []
    for f_idx, family in enumerate(FAMILIES):
        if families and family.name not in families:
            continue
        for level in levels:
            seed = 1000 * f_idx + level
            if family.input_type == "text":
                name, value = "doc", _document(level, seed)
            else:
                name, value = "csv", _package_csv(level, seed)
            task_id = f"{family.name}-L{level}"
            digest = int(hashlib.sha256(task_id.encode()).hexdigest(), 16)
            tasks.append(
                CATPTask(
                    id=task_id,
                    family=family.name,
                    description=family.description,
                    level=level,
                    inputs={name: "text"},
                    values={name: value},
                    outputs=list(family.outputs),
                    gold=family.reference(value),
                    split="test" if digest % 10 < 3 else "train",
                    branches=family.branches,
                )
            )
    return tasks


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def score_value(kind: str, got: Any, gold: Any) -> float:
    """Similarity in [0, 1] of one output to its gold value."""
    if kind == "number":
        if not isinstance(got, (int, float)):
            return 0.0
        # full marks when exact, none beyond 20% relative error
        return max(0.0, 1.0 - 5.0 * abs(got - gold) / max(abs(gold), 1e-9))
    if kind == "words":
        a, b = set(got or []), set(gold or [])
        return len(a & b) / len(a | b) if a | b else 1.0
    if kind == "table":
        a = {str(r[0]) for r in getattr(got, "rows", [])}
        b = {str(r[0]) for r in gold.rows}
        return len(a & b) / len(a | b) if a | b else 1.0
    a, b = _tokens(str(got)), _tokens(str(gold))
    if not a or not b:
        return float(a == b)
    common = sum(min(a.count(t), b.count(t)) for t in set(a) & set(b))
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def score_outputs(task: CATPTask, values: Sequence[Any]) -> float:
    """Mean score over the required outputs (a missing output scores 0)."""
    scores = [
        score_value(kind, values[i], gold) if i < len(values) else 0.0
        for i, (kind, gold) in enumerate(zip(task.outputs, task.gold))
    ]
    return sum(scores) / len(scores)
