"""Step-level search: verifier-guided beam search and Monte Carlo tree search.

An answer is built step by step (a step is the text up to ``delimiter``, a line by
default); the model continues a partial answer through an assistant prefill.

- :class:`BeamSearch` keeps the ``beam_width`` best partial answers; each is extended
  by ``expansions`` sampled steps (one batched generate), and every extension is
  judged by the verifier at step granularity (:meth:`Verifier.averify_steps`) --
  a process reward model, a judge, or rules that can read partial answers.
- :class:`TreeSearch` is MCTS over steps: select by UCT, expand a leaf with
  ``expansions`` sampled steps at once, evaluate each new node by a rollout (the model
  completes the answer, the verifier judges the whole) or by a step verdict, and back
  the value up the path. Every completed rollout is a candidate, so an outcome
  verifier such as code tests guides the tree although it cannot judge half a program.

Both are written here: LangGraph schedules whole graphs, not token-level search, and
no maintained library offers step-level search over LangChain chat models.

Example:
    >>> from steergraph.agents.verify.search_steps import BeamSearch
    >>> from steergraph.agents.verify import Problem, RegexMatch
    >>> from steergraph.testing import ScriptedChatModel
    >>> llm = ScriptedChatModel(responses=["a", "b"], cycle=True)
    >>> r = BeamSearch(beam_width=1, expansions=2, max_steps=2).search(
    ...     llm, Problem(prompt="say b"), RegexMatch("b"))
    >>> "b" in r.answer
    True
"""

from __future__ import annotations

import asyncio
import copy
import math
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel

from steergraph.agents.verify.base import Problem, Verdict, Verifier
from steergraph.agents.verify.search_base import (
    Candidate,
    MessagesFn,
    SearchResult,
    SearchStrategy,
    best_index,
    prefill,
    require_positive,
    sample_steps,
    sample_texts,
)
from steergraph.errors import InputError

__all__ = ["BeamSearch", "TreeSearch"]


@dataclass
class _Node:
    steps: list[str]
    done: bool = False
    value: float = 0.0
    verdict: Verdict | None = None
    visits: int = 0
    total: float = 0.0
    children: list[_Node] = field(default_factory=list)
    parent: _Node | None = None

    def text(self, delimiter: str) -> str:
        return delimiter.join(self.steps)

    def partial(self, delimiter: str) -> str:
        return self.text(delimiter) + delimiter if self.steps else ""


class _StepSearch(SearchStrategy):
    def __init__(
        self,
        expansions: int,
        delimiter: str,
        temperature: float,
        step_max_tokens: int,
        messages: MessagesFn | None,
    ) -> None:
        super().__init__(messages=messages)
        if not delimiter:
            raise InputError("the step delimiter is empty", fix="use e.g. '\\n' or '\\n\\n'")
        self.expansions = expansions
        self.delimiter = delimiter
        self.temperature = temperature
        self.step_max_tokens = step_max_tokens
        self.generations = 0
        self.verifications = 0

    async def _expand(self, llm: BaseChatModel, problem: Problem, node: _Node) -> list[_Node]:
        msgs = prefill(self.messages(problem), node.partial(self.delimiter))
        steps = await sample_steps(
            llm,
            msgs,
            self.expansions,
            self.delimiter,
            temperature=self.temperature,
            max_new_tokens=self.step_max_tokens,
        )
        self.generations += len(steps)
        seen: set[str] = set()
        children = []
        for text, goes_on in steps:
            if text in seen or (goes_on and not text.strip()):  # duplicates, empty steps
                continue
            seen.add(text)
            children.append(_Node([*node.steps, text], done=not goes_on, parent=node))
        return children

    async def _search(
        self, llm: BaseChatModel, problem: Problem, verifier: Verifier | None
    ) -> SearchResult:
        if verifier is None:
            raise InputError(f"{self.name} search needs a verifier", fix="pass a verifier")
        run = copy.copy(self)  # per-call counters: one strategy may serve many problems at once
        run.generations = run.verifications = 0
        return await run._run(llm, problem, verifier)

    async def _run(self, llm: BaseChatModel, problem: Problem, verifier: Verifier) -> SearchResult:
        raise NotImplementedError

    async def _judge(self, problem: Problem, verifier: Verifier, node: _Node) -> None:
        self.verifications += 1
        if node.done:
            node.verdict = await verifier.averify(problem, node.text(self.delimiter))
        else:
            node.verdict = await verifier.averify_steps(problem, node.steps)
        node.value = node.verdict.value


class BeamSearch(_StepSearch):
    """Keep the ``beam_width`` best partial answers, extend each by ``expansions`` steps."""

    name = "beam"

    def __init__(
        self,
        beam_width: int = 3,
        expansions: int = 3,
        max_steps: int = 16,
        *,
        delimiter: str = "\n",
        temperature: float = 0.8,
        step_max_tokens: int = 64,
        messages: MessagesFn | None = None,
    ) -> None:
        require_positive(beam_width=beam_width, expansions=expansions, max_steps=max_steps)
        super().__init__(expansions, delimiter, temperature, step_max_tokens, messages)
        self.beam_width = beam_width
        self.max_steps = max_steps

    async def _run(self, llm: BaseChatModel, problem: Problem, verifier: Verifier) -> SearchResult:
        beams = [_Node([])]
        for _ in range(self.max_steps):
            active = [b for b in beams if not b.done]
            if not active:
                break
            grown = await asyncio.gather(*(self._expand(llm, problem, b) for b in active))
            children = [c for group in grown for c in group]
            await asyncio.gather(*(self._judge(problem, verifier, c) for c in children))
            pool = [b for b in beams if b.done] + children
            beams = sorted(pool, key=lambda n: -n.value)[: self.beam_width]
        for b in beams:  # answers still open at max_steps are judged whole
            if not b.done:
                b.done = True
                await self._judge(problem, verifier, b)
        candidates = [
            Candidate(text=b.text(self.delimiter), verdict=b.verdict, steps=b.steps, origin="beam")
            for b in beams
        ]
        return SearchResult(
            strategy=self.name,
            candidates=candidates,
            best=best_index(candidates),
            generations=self.generations,
            verifications=self.verifications,
        )


class TreeSearch(_StepSearch):
    """MCTS over steps with UCT selection and rollout (or step-verdict) evaluation."""

    name = "tree"

    def __init__(
        self,
        iterations: int = 8,
        expansions: int = 2,
        max_depth: int = 16,
        *,
        exploration: float = 1.0,
        rollout: bool = True,
        delimiter: str = "\n",
        temperature: float = 0.8,
        step_max_tokens: int = 64,
        rollout_max_tokens: int = 384,
        messages: MessagesFn | None = None,
    ) -> None:
        require_positive(iterations=iterations, expansions=expansions, max_depth=max_depth)
        super().__init__(expansions, delimiter, temperature, step_max_tokens, messages)
        self.iterations = iterations
        self.max_depth = max_depth
        self.exploration = exploration
        self.rollout = rollout
        self.rollout_max_tokens = rollout_max_tokens

    def _select(self, root: _Node) -> _Node:
        node = root
        while node.children and not node.done:
            log_n = math.log(max(node.visits, 1))

            def uct(c: _Node, log_n: float = log_n) -> float:
                if c.visits == 0:
                    return math.inf
                return c.total / c.visits + self.exploration * math.sqrt(log_n / c.visits)

            node = max(node.children, key=uct)
        return node

    async def _evaluate(
        self, llm: BaseChatModel, problem: Problem, verifier: Verifier, node: _Node
    ) -> Candidate | None:
        if node.done and node.verdict is not None:  # judged before: already a candidate
            return None
        if node.done or not self.rollout:
            await self._judge(problem, verifier, node)
            if node.done:
                return Candidate(
                    text=node.text(self.delimiter),
                    verdict=node.verdict,
                    steps=node.steps,
                    origin="tree",
                )
            return None
        msgs = prefill(self.messages(problem), node.partial(self.delimiter))
        (rest,) = await sample_texts(
            llm, msgs, 1, temperature=self.temperature, max_new_tokens=self.rollout_max_tokens
        )
        self.generations += 1
        text = node.partial(self.delimiter) + rest
        self.verifications += 1
        verdict = await verifier.averify(problem, text)
        node.value = verdict.value
        return Candidate(text=text, verdict=verdict, steps=node.steps, origin="tree-rollout")

    async def _run(self, llm: BaseChatModel, problem: Problem, verifier: Verifier) -> SearchResult:
        root = _Node([])
        candidates: list[Candidate] = []
        for _ in range(self.iterations):
            leaf = self._select(root)
            if leaf.done or len(leaf.steps) >= self.max_depth:
                fresh = [leaf]
            else:
                leaf.children = await self._expand(llm, problem, leaf)
                fresh = leaf.children or [leaf]
            found = await asyncio.gather(
                *(self._evaluate(llm, problem, verifier, n) for n in fresh)
            )
            candidates += [c for c in found if c is not None]
            for n in fresh:  # back up each new node's value along its path
                walk: _Node | None = n
                while walk is not None:
                    walk.visits += 1
                    walk.total += n.value
                    walk = walk.parent
            if any(c.verdict is not None and c.verdict.passed for c in candidates):
                break
        if not candidates:  # no rollouts and no finished answer: judge the best open leaves
            leaves = sorted(_leaves(root), key=lambda n: -n.value)[: self.expansions]
            for n in leaves:
                n.done = True
                await self._judge(problem, verifier, n)
                text = n.text(self.delimiter)
                candidates.append(
                    Candidate(text=text, verdict=n.verdict, steps=n.steps, origin="tree")
                )
        return SearchResult(
            strategy=self.name,
            candidates=candidates,
            best=best_index(candidates),
            generations=self.generations,
            verifications=self.verifications,
            details={"tree_nodes": _count(root), "root_visits": root.visits},
        )


def _count(node: _Node) -> int:
    return 1 + sum(_count(c) for c in node.children)


def _leaves(node: _Node) -> list[_Node]:
    if not node.children:
        return [node] if node.steps else []
    return [leaf for c in node.children for leaf in _leaves(c)]
