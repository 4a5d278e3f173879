"""Tools: typed callables with measured costs, the plan language, the DAG executor, the sandbox.

* :mod:`.tool`, :mod:`.types`, :mod:`.cost` -- a :class:`Tool` with declared input and
  output types and a cost profile priced with OpenCATP's formula;
* :mod:`.registry`, :mod:`.builtin_text`, :mod:`.builtin_table`, :mod:`.basic` -- the
  built-in tools (cheap-vs-exact choices) and the demo's tools;
* :mod:`.plan`, :mod:`.plan_parser`, :mod:`.plan_mask` -- plans as text, parsed (never
  evaluated) into a networkx DAG, and the mask that keeps a planner's lines valid;
* :mod:`.executor`, :mod:`.faults` -- every ready step at once, timeouts, retries, records;
* :mod:`.sandbox` -- untrusted code in a namespaced, Landlocked, rlimited subprocess.

The exports load lazily.

Example:
    >>> from steergraph.tools import calculator, parse_plan
    >>> calculator.name
    'calculator'
"""

from typing import TYPE_CHECKING

from steergraph.lazy import lazy_exports

if TYPE_CHECKING:
    from steergraph.tools.basic import BASIC_TOOLS, calculator, safe_arithmetic, word_count
    from steergraph.tools.cost import CostProfile, measure_profile, price
    from steergraph.tools.executor import ExecutionResult, ExecutorConfig, NodeRecord, PlanExecutor
    from steergraph.tools.faults import FaultInjector
    from steergraph.tools.plan import Plan, Step
    from steergraph.tools.plan_mask import BudgetError, MaskState
    from steergraph.tools.plan_parser import parse_plan
    from steergraph.tools.registry import ToolRegistry, default_registry
    from steergraph.tools.sandbox import Sandbox, SandboxLimits, SandboxResult
    from steergraph.tools.tool import Tool
    from steergraph.tools.types import DataType, Table

_EXPORTS = {
    "BASIC_TOOLS": "steergraph.tools.basic",
    "calculator": "steergraph.tools.basic",
    "safe_arithmetic": "steergraph.tools.basic",
    "word_count": "steergraph.tools.basic",
    "Tool": "steergraph.tools.tool",
    "DataType": "steergraph.tools.types",
    "Table": "steergraph.tools.types",
    "CostProfile": "steergraph.tools.cost",
    "measure_profile": "steergraph.tools.cost",
    "price": "steergraph.tools.cost",
    "ToolRegistry": "steergraph.tools.registry",
    "default_registry": "steergraph.tools.registry",
    "Plan": "steergraph.tools.plan",
    "Step": "steergraph.tools.plan",
    "parse_plan": "steergraph.tools.plan_parser",
    "BudgetError": "steergraph.tools.plan_mask",
    "MaskState": "steergraph.tools.plan_mask",
    "ExecutionResult": "steergraph.tools.executor",
    "ExecutorConfig": "steergraph.tools.executor",
    "NodeRecord": "steergraph.tools.executor",
    "PlanExecutor": "steergraph.tools.executor",
    "FaultInjector": "steergraph.tools.faults",
    "Sandbox": "steergraph.tools.sandbox",
    "SandboxLimits": "steergraph.tools.sandbox",
    "SandboxResult": "steergraph.tools.sandbox",
}
__all__ = [
    "BASIC_TOOLS",
    "BudgetError",
    "CostProfile",
    "DataType",
    "ExecutionResult",
    "ExecutorConfig",
    "FaultInjector",
    "MaskState",
    "NodeRecord",
    "Plan",
    "PlanExecutor",
    "Sandbox",
    "SandboxLimits",
    "SandboxResult",
    "Step",
    "Table",
    "Tool",
    "ToolRegistry",
    "calculator",
    "default_registry",
    "measure_profile",
    "parse_plan",
    "price",
    "safe_arithmetic",
    "word_count",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
