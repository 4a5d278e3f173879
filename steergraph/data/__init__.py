"""Real offline datasets and the datasets graphs emit; one package per method.

* :mod:`.catp` -- OpenCATP-style tasks with gold outputs;
* :mod:`.verify` -- HumanEval (visible tests from the docstrings) and arithmetic problems;
* :mod:`.structrag` -- the document corpus, Loong-style tasks, answer scoring;
* :mod:`.sso` -- the prompt sets SSO steers;
* :mod:`.delta` -- instruction and calibration rows of the post-trained pair;
* shared: :mod:`.dpkg_fixture` (a real dpkg status table), :mod:`.jsonl`.

Nothing here downloads: every set is built from committed fixtures or installed packages.

Example:
    >>> from steergraph.data import arithmetic_problems
    >>> len(arithmetic_problems(3, seed=0))
    3
"""

from typing import TYPE_CHECKING

from steergraph.lazy import lazy_exports

if TYPE_CHECKING:
    from steergraph.data.catp.tasks import CATPTask, build_tasks
    from steergraph.data.delta.post_train import post_train_rows
    from steergraph.data.jsonl import read_jsonl
    from steergraph.data.sso.prompts import load_prompts, sso_prompts
    from steergraph.data.structrag.corpus import load_corpus
    from steergraph.data.structrag.scoring import score_answer
    from steergraph.data.structrag.tasks import StructTask, structrag_tasks
    from steergraph.data.verify.arithmetic import arithmetic_problems
    from steergraph.data.verify.humaneval import load_humaneval

_EXPORTS = {
    "read_jsonl": "steergraph.data.jsonl",
    "CATPTask": "steergraph.data.catp.tasks",
    "build_tasks": "steergraph.data.catp.tasks",
    "load_humaneval": "steergraph.data.verify.humaneval",
    "arithmetic_problems": "steergraph.data.verify.arithmetic",
    "load_corpus": "steergraph.data.structrag.corpus",
    "StructTask": "steergraph.data.structrag.tasks",
    "structrag_tasks": "steergraph.data.structrag.tasks",
    "score_answer": "steergraph.data.structrag.scoring",
    "load_prompts": "steergraph.data.sso.prompts",
    "sso_prompts": "steergraph.data.sso.prompts",
    "post_train_rows": "steergraph.data.delta.post_train",
}
__all__ = [
    "CATPTask",
    "StructTask",
    "arithmetic_problems",
    "build_tasks",
    "load_corpus",
    "load_humaneval",
    "load_prompts",
    "post_train_rows",
    "read_jsonl",
    "score_answer",
    "sso_prompts",
    "structrag_tasks",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
