"""Data of the ``verify`` method: HumanEval problems with their visible tests
(:mod:`.humaneval`) and seeded arithmetic word problems (:mod:`.arithmetic`).

Example:
    >>> from steergraph.data.verify import humaneval_split, load_humaneval
    >>> train, test = humaneval_split(load_humaneval())
    >>> len(train) + len(test)
    164
"""

from typing import TYPE_CHECKING

from steergraph.lazy import lazy_exports

if TYPE_CHECKING:
    from steergraph.data.verify.arithmetic import DIFFICULTIES, arithmetic_problems, extract_number
    from steergraph.data.verify.humaneval import (
        chat_prompt,
        extract_code,
        humaneval_split,
        load_humaneval,
    )

_EXPORTS = {
    "chat_prompt": "steergraph.data.verify.humaneval",
    "extract_code": "steergraph.data.verify.humaneval",
    "humaneval_split": "steergraph.data.verify.humaneval",
    "load_humaneval": "steergraph.data.verify.humaneval",
    "DIFFICULTIES": "steergraph.data.verify.arithmetic",
    "arithmetic_problems": "steergraph.data.verify.arithmetic",
    "extract_number": "steergraph.data.verify.arithmetic",
}
__all__ = [
    "DIFFICULTIES",
    "arithmetic_problems",
    "chat_prompt",
    "extract_code",
    "extract_number",
    "humaneval_split",
    "load_humaneval",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
