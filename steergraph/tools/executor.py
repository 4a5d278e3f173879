"""``PlanExecutor``: run every ready step of a plan at once, and always finish.

asyncio schedules the DAG: a step starts the moment its last input exists. Async
tools run on the event loop; sync tools each get a daemon thread (so an I/O-bound
tool's waits overlap, and a tool that never returns cannot block interpreter exit);
CPU-bound tools may run in a process pool instead (``processes=True``). Every
attempt has a timeout; failures are retried with exponential backoff; a step that
still fails cancels the steps that depend on it, and the failure policy decides
whether independent branches go on (``continue``) or everything stops (``stop``).
Each step gets a :class:`NodeRecord` (start, end, wall, CPU, attempts, status,
error, price). LLMCompiler's task-fetching loop waits forever when a tool raises;
OpenCATP's executor runs steps one after another -- hence this module.

Example:
    >>> from steergraph.tools.plan_parser import parse_plan
    >>> from steergraph.tools.registry import default_registry
    >>> reg = default_registry()
    >>> plan = parse_plan("n = count_words(doc)\\nreturn n", reg, {"doc": "text"})
    >>> PlanExecutor(reg).run_sync(plan, {"doc": "a b c"}).returns
    {'n': 3.0}
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from steergraph.errors import InputError, ToolExecutionError
from steergraph.tools.cost import price
from steergraph.tools.faults import FaultInjector, InjectedFault
from steergraph.tools.plan import Plan
from steergraph.tools.types import DATA_TYPES

__all__ = ["ExecutionResult", "ExecutorConfig", "NodeRecord", "PlanExecutor"]


@dataclass
class NodeRecord:
    """What happened to one step (times in seconds since the run started)."""

    name: str
    tool: str
    status: Literal["pending", "running", "ok", "failed", "timeout", "cancelled", "reused"] = (
        "pending"
    )
    start: float | None = None
    end: float | None = None
    wall_s: float | None = None
    cpu_s: float | None = None
    attempts: int = 0
    error: str | None = None
    price: float = 0.0
    where: str = ""


@dataclass
class ExecutionResult:
    """Values, per-step records and totals of one run."""

    plan: Plan
    values: dict[str, Any]
    records: dict[str, NodeRecord]
    makespan_s: float

    @property
    def returns(self) -> dict[str, Any]:
        """The returned values that were computed."""
        return {n: self.values[n] for n in self.plan.returns if n in self.values}

    @property
    def ok(self) -> bool:
        """True when every returned value was computed."""
        return len(self.returns) == len(self.plan.returns)

    @property
    def failed(self) -> list[str]:
        return [n for n, r in self.records.items() if r.status in ("failed", "timeout")]

    @property
    def price(self) -> float:
        return sum(r.price for r in self.records.values())

    def critical_path_s(self) -> float:
        """Critical-path length of the plan with the measured wall time of each step."""
        walls = {n: r.wall_s or 0.0 for n, r in self.records.items()}
        return self.plan.critical_path(walls)[0]

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for rec in self.records.values():
            counts[rec.status] = counts.get(rec.status, 0) + 1
        return {
            "ok": self.ok,
            "makespan_s": round(self.makespan_s, 4),
            "critical_path_s": round(self.critical_path_s(), 4),
            "price": self.price,
            "statuses": counts,
            "retries": sum(max(r.attempts - 1, 0) for r in self.records.values()),
        }


@dataclass
class ExecutorConfig:
    """Timeout per attempt, retries and backoff, failure policy, where sync tools run."""

    timeout_s: float = 30.0
    retries: int = 2
    backoff_s: float = 0.05
    policy: Literal["continue", "stop"] = "continue"
    processes: bool = False
    max_concurrency: int = 512
    faults: FaultInjector | None = None
    timeouts: dict[str, float] = field(default_factory=dict)  # per tool name


def _timed(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, float]:
    cpu = time.thread_time()
    value = fn(*args)
    return value, time.thread_time() - cpu


class PlanExecutor:
    """Runs plans over a tool registry (see module docstring); reuse it across runs."""

    def __init__(
        self,
        registry: Any,
        config: ExecutorConfig | None = None,
        on_event: Callable[[NodeRecord], None] | None = None,
        on_value: Callable[[str, Any], None] | None = None,
    ) -> None:
        self.registry = registry
        self.config = config or ExecutorConfig()
        self.on_event = on_event
        self.on_value = on_value
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    # ------------------------------------------------------------- placement
    def _in_thread(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def hand_over(result: Any, exc: BaseException | None) -> None:
            try:
                loop.call_soon_threadsafe(_settle, future, result, exc)
            except RuntimeError:  # the run ended (a timed-out tool finishing late): drop it
                pass

        def work() -> None:
            try:
                result = _timed(fn, args)
            except BaseException as exc:  # handed to the awaiting coroutine
                hand_over(None, exc)
            else:
                hand_over(result, None)

        threading.Thread(target=work, daemon=True, name="steergraph-tool").start()
        return future

    def _process_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=os.cpu_count() or 1,
                mp_context=multiprocessing.get_context("forkserver"),
            )
        return self._pool

    async def _call(self, tool: Any, args: tuple[Any, ...]) -> tuple[Any, float | None, str]:
        if tool.is_async:
            return await tool.fn(*args), None, "async"
        if self.config.processes and tool.kind == "cpu" and _picklable(tool.fn):
            loop = asyncio.get_running_loop()
            value, cpu = await loop.run_in_executor(self._process_pool(), _timed, tool.fn, args)
            return value, cpu, "process"
        value, cpu = await self._in_thread(tool.fn, args)
        return value, cpu, "thread"

    # ------------------------------------------------------------------- steps
    async def _step(
        self, plan: Plan, name: str, values: dict[str, Any], rec: NodeRecord, t0: float
    ) -> bool:
        cfg = self.config
        step = plan.steps[name]
        tool = self.registry.get(step.tool)
        args = tuple(values[a] for a in step.args)
        timeout = cfg.timeouts.get(tool.name, cfg.timeout_s)
        rec.status, rec.start = "running", time.perf_counter() - t0
        for attempt in range(cfg.retries + 1):
            rec.attempts = attempt + 1
            began = time.perf_counter()
            try:
                value, cpu, rec.where = await asyncio.wait_for(
                    self._attempt(tool, name, attempt, args, timeout), timeout
                )
                if not DATA_TYPES[tool.output].check(value):
                    raise ToolExecutionError(
                        f"{tool.name} returned {type(value).__name__}, not {tool.output}",
                        fix="make the tool return its declared output type",
                    )
            except TimeoutError:
                rec.status, rec.error = (
                    "timeout",
                    f"attempt {attempt + 1} timed out after {timeout}s",
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a tool failure becomes a record, not a crash
                rec.status, rec.error = "failed", f"{type(exc).__name__}: {exc}"
            else:
                wall = time.perf_counter() - began
                values[name] = value
                rec.status, rec.error, rec.wall_s, rec.cpu_s = "ok", None, wall, cpu
                size = max((DATA_TYPES[k].size(a) for k, a in zip(tool.inputs, args)), default=1)
                peak = tool.profile.at(size).peak_mb if tool.profile else 0.0
                rec.price = price(wall, peak)
                rec.end = time.perf_counter() - t0
                return True
            if attempt < cfg.retries:
                await asyncio.sleep(cfg.backoff_s * 2**attempt)
        rec.end = time.perf_counter() - t0
        rec.wall_s = rec.end - (rec.start or 0.0)
        return False

    async def _attempt(
        self, tool: Any, name: str, attempt: int, args: tuple[Any, ...], timeout: float
    ) -> tuple[Any, float | None, str]:
        faults = self.config.faults
        fate = faults.decide(f"{name}:{tool.name}", attempt) if faults else "ok"
        if fate == "raise":
            raise InjectedFault(f"injected failure of {name} (attempt {attempt + 1})")
        if fate == "hang":
            await asyncio.sleep(timeout * 10)
        return await self._call(tool, args)

    # --------------------------------------------------------------------- run
    async def run(
        self,
        plan: Plan,
        inputs: Mapping[str, Any],
        *,
        completed: Mapping[str, Any] | None = None,
    ) -> ExecutionResult:
        """Run ``plan``; ``completed`` holds step values from an earlier run (not re-run)."""
        missing = [n for n in plan.inputs if n not in inputs]
        if missing:
            raise InputError(
                f"the plan needs the task input(s) {', '.join(missing)}",
                fix=f"pass inputs={{{', '.join(repr(m) + ': ...' for m in missing)}}}",
            )
        t0 = time.perf_counter()
        run = _Run(self, plan, {**inputs, **(completed or {})}, t0)
        run.reuse(completed or {})
        run.launch_ready(plan.order())
        while run.running:
            done, _ = await asyncio.wait(run.running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                run.settle(task)
            await run.drain_if_stopped()
        for rec in run.records.values():
            if rec.status == "pending":
                rec.status, rec.error = "cancelled", rec.error or "not started: the run stopped"
        return ExecutionResult(plan, run.values, run.records, time.perf_counter() - t0)

    def _cancel_downstream(
        self, name: str, dependents: dict[str, list[str]], records: dict[str, NodeRecord]
    ) -> None:
        stack = list(dependents[name])
        while stack:
            dep = stack.pop()
            if records[dep].status == "pending":
                records[dep].status = "cancelled"
                records[dep].error = f"upstream step '{name}' did not complete"
                self._emit(records[dep])
                stack.extend(dependents[dep])

    def _emit(self, rec: NodeRecord) -> None:
        if self.on_event is not None:
            self.on_event(rec)

    def run_sync(self, plan: Plan, inputs: Mapping[str, Any], **kwargs: Any) -> ExecutionResult:
        """:meth:`run` from synchronous code (also in Jupyter, where a loop is running)."""
        from steergraph.asyncio_utils import run_sync

        return run_sync(self.run(plan, inputs, **kwargs))

    def close(self) -> None:
        """Stop the process pool, killing workers still busy with timed-out calls."""
        if self._pool is not None:
            workers = list(getattr(self._pool, "_processes", {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for proc in workers:  # concurrent.futures cannot kill a busy worker by itself
                if proc.is_alive():
                    proc.terminate()
            self._pool = None

    def __enter__(self) -> PlanExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Run:
    """One run's bookkeeping: values, records, what each step still waits for, the
    running steps, and whether the ``stop`` policy has ended the run."""

    def __init__(self, ex: PlanExecutor, plan: Plan, values: dict[str, Any], t0: float):
        self.ex, self.plan, self.values, self.t0 = ex, plan, values, t0
        self.records = {n: NodeRecord(n, s.tool) for n, s in plan.steps.items()}
        self.waiting = {n: set(plan.dependencies(n)) for n in plan.steps}
        self.dependents = plan.dependents()
        self.gate = asyncio.Semaphore(ex.config.max_concurrency)
        self.running: dict[asyncio.Task[bool], str] = {}
        self.stopped = False

    def reuse(self, completed: Mapping[str, Any]) -> None:
        for name in completed:
            if name in self.records:
                self.records[name].status = "reused"
                for dep in self.dependents[name]:
                    self.waiting[dep].discard(name)

    async def _guarded(self, name: str) -> bool:
        async with self.gate:
            return await self.ex._step(self.plan, name, self.values, self.records[name], self.t0)

    def launch_ready(self, names: Iterable[str]) -> None:
        for name in names:
            if self.records[name].status == "pending" and not self.waiting[name]:
                if not self.stopped:
                    self.running[asyncio.create_task(self._guarded(name))] = name

    def settle(self, task: asyncio.Task[bool]) -> None:
        """A step ended: release its dependents, or cancel them (and, under ``stop``,
        every running step)."""
        name = self.running.pop(task)
        ok = task.result() if not task.cancelled() else False
        self.ex._emit(self.records[name])
        if ok:
            if self.ex.on_value is not None:  # e.g. persist it for a resumable run
                self.ex.on_value(name, self.values[name])
            for dep in self.dependents[name]:
                self.waiting[dep].discard(name)
            self.launch_ready(self.dependents[name])
            return
        self.ex._cancel_downstream(name, self.dependents, self.records)
        if self.ex.config.policy == "stop" and not self.stopped:
            self.stopped = True
            for other in self.running:
                other.cancel()

    async def drain_if_stopped(self) -> None:
        if not (self.stopped and self.running):
            return
        await asyncio.gather(*self.running, return_exceptions=True)
        for name in self.running.values():
            rec = self.records[name]
            rec.status, rec.error = "cancelled", "stopped: another step failed"
            rec.end = time.perf_counter() - self.t0
            self.ex._emit(rec)
        self.running.clear()


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _picklable(fn: Callable[..., Any]) -> bool:
    try:
        pickle.dumps(fn)
    except Exception:  # lambdas, closures, bound methods of unpicklable objects
        return False
    return True
