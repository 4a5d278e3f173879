"""Tools: typed callables with costs, the plan language and the DAG executor.

For now: the basic tools the demo graph uses.

Example:
    >>> from steergraph.tools import calculator
    >>> calculator.name
    'calculator'
"""

from steergraph.tools.basic import BASIC_TOOLS, calculator, safe_arithmetic, word_count

__all__ = ["BASIC_TOOLS", "calculator", "safe_arithmetic", "word_count"]
