"""``Tool``: a typed callable with a measured cost profile.

Any Python callable (sync or async, annotated or given ``inputs``/``output``) or any
LangChain tool becomes a :class:`Tool`. Inputs are positional and typed by the data
types of :mod:`steergraph.tools.types`; there is one output. ``kind`` says whether
the tool is CPU-bound (may run in a process) or I/O-bound (runs in a thread, so
many wait at once). ``version`` is a hash of the source, so a cached cost profile is
re-measured when the code changes.

Example:
    >>> def shout(text: str) -> str:
    ...     '''Upper-case the text.'''
    ...     return text.upper()
    >>> tool = Tool.from_callable(shout)
    >>> tool.inputs, tool.output, tool.call("hi")
    (('text',), 'text', 'HI')
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from steergraph.errors import ToolDefinitionError
from steergraph.tools.cost import CostProfile, measure_profile
from steergraph.tools.samples import SIZE_LEVELS, sample_value
from steergraph.tools.types import DATA_TYPES, type_of_annotation

__all__ = ["Tool"]

_JSON_TYPES = {"string": "text", "number": "number", "integer": "number"}


def _version(obj: Any) -> str:
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError):
        source = repr(obj)
    return hashlib.sha256(source.encode()).hexdigest()[:12]


@dataclass
class Tool:
    """A typed tool (see the module docstring)."""

    name: str
    fn: Callable[..., Any]
    inputs: tuple[str, ...]
    output: str
    description: str = ""
    kind: Literal["cpu", "io"] = "cpu"
    version: str = ""
    samples: Callable[[int], Sequence[Any]] | None = None
    profile: CostProfile | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ToolDefinitionError(
                f"tool name {self.name!r} is not an identifier",
                fix="use letters, digits and underscores (plans write tool names bare)",
            )
        for kind in (*self.inputs, self.output):
            if kind not in DATA_TYPES:
                raise ToolDefinitionError(
                    f"tool '{self.name}' uses the unknown data type '{kind}'",
                    fix=f"use one of {', '.join(sorted(DATA_TYPES))} or register_type(...)",
                )
        if self.kind not in ("cpu", "io"):
            raise ToolDefinitionError(f"tool kind {self.kind!r}", fix="use 'cpu' or 'io'")
        self.version = self.version or _version(self.fn)

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)

    def call(self, *args: Any) -> Any:
        """Run the tool synchronously (async tools get their own event loop)."""
        result = self.fn(*args)
        if inspect.isawaitable(result):
            return asyncio.run(_await(result))
        return result

    # ---------------------------------------------------------------- building
    @classmethod
    def from_callable(
        cls,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        inputs: Sequence[str] | None = None,
        output: str | None = None,
        description: str | None = None,
        kind: Literal["cpu", "io"] = "cpu",
        samples: Callable[[int], Sequence[Any]] | None = None,
    ) -> Tool:
        """Wrap a function; its annotations give the types unless ``inputs``/``output`` do."""
        label = name or getattr(fn, "__name__", "")
        where = f"tool '{label}'"
        try:
            hints = typing.get_type_hints(fn)
        except Exception:  # unresolvable forward references: fall back to raw annotations
            hints = dict(getattr(fn, "__annotations__", {}))
        params = [
            p
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            and p.default is inspect.Parameter.empty
        ]
        if inputs is None:
            missing = [p.name for p in params if p.name not in hints]
            if missing:
                raise ToolDefinitionError(
                    f"{where}: parameters {missing} have no type annotation",
                    fix="annotate them or pass inputs=('text', ...)",
                )
            inputs = [
                type_of_annotation(hints[p.name], f"{where}, parameter {p.name}") for p in params
            ]
        if output is None:
            if "return" not in hints:
                raise ToolDefinitionError(
                    f"{where}: no return annotation", fix="annotate the return or pass output=..."
                )
            output = type_of_annotation(hints["return"], f"{where}, return value")
        doc = inspect.getdoc(fn) or ""
        return cls(
            name=label,
            fn=fn,
            inputs=tuple(inputs),
            output=output,
            description=description or doc.split("\n\n")[0].replace("\n", " "),
            kind=kind,
            samples=samples,
        )

    @classmethod
    def from_langchain(
        cls,
        tool: Any,
        *,
        inputs: Sequence[str] | None = None,
        output: str = "text",
        kind: Literal["cpu", "io"] = "cpu",
    ) -> Tool:
        """Wrap a LangChain ``BaseTool``; its argument schema gives the input types."""
        arg_names = list(tool.args)
        if inputs is None:
            inputs = []
            for arg, spec in tool.args.items():
                kind_name = _JSON_TYPES.get(spec.get("type", ""))
                if spec.get("type") == "array" and spec.get("items", {}).get("type") == "string":
                    kind_name = "words"
                if kind_name is None:
                    raise ToolDefinitionError(
                        f"LangChain tool '{tool.name}': argument '{arg}' has JSON type "
                        f"{spec.get('type')!r}, which maps to no plan data type",
                        fix="pass inputs=(...) explicitly",
                    )
                inputs.append(kind_name)

        def run(*args: Any) -> Any:
            return tool.invoke(dict(zip(arg_names, args)))

        run.__name__ = tool.name
        return cls(
            name=tool.name,
            fn=run,
            inputs=tuple(inputs),
            output=output,
            description=tool.description,
            kind=kind,
            version=_version(type(tool)) + _version(getattr(tool, "func", None) or tool),
        )

    # --------------------------------------------------------------- profiling
    def sample_args(self, level: int) -> tuple[int, list[Any]]:
        """(input size, args) at a size level, from ``samples`` or the types' samplers."""
        args = (
            list(self.samples(level))
            if self.samples
            else [sample_value(k, level) for k in self.inputs]
        )
        size = max((DATA_TYPES[k].size(a) for k, a in zip(self.inputs, args)), default=1)
        return size, args

    def measure(self, levels: Sequence[int] = SIZE_LEVELS, repeats: int = 3) -> CostProfile:
        """Measure (and keep) this tool's cost profile at ``levels``."""
        inputs = [self.sample_args(level) for level in levels]
        self.profile = measure_profile(self.name, self.version, self.call, inputs, repeats=repeats)
        return self.profile

    def price_at(self, size: int) -> float:
        """Estimated dollars per call at input ``size`` (0.0 before profiling)."""
        return self.profile.at(size).price if self.profile else 0.0

    def wall_at(self, size: int, default: float = 0.0) -> float:
        """Estimated wall seconds per call at input ``size`` (``default`` before profiling)."""
        return self.profile.at(size).wall_s if self.profile else default


async def _await(awaitable: Any) -> Any:
    return await awaitable
