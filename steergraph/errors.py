"""One exception hierarchy for steergraph.

Every error carries a short machine-readable ``code``, a message saying what was
wrong (and where), and a ``fix`` saying what to do. ``str(err)`` is one line, so the
CLI can print it without a traceback.

Example:
    >>> from steergraph.errors import ModelSpecError
    >>> err = ModelSpecError("unknown model spec 'foo'", fix="use 'local'")
    >>> str(err)
    "unknown model spec 'foo' -- fix: use 'local'"
    >>> err.code
    'model-spec'
"""

from __future__ import annotations

__all__ = [
    "BudgetError",
    "CapabilityError",
    "EditingError",
    "EmptyPromptError",
    "GraphNotFoundError",
    "InputError",
    "InputFileError",
    "MethodNotFoundError",
    "ModelIntegrityError",
    "ModelLoadError",
    "ModelPackageMissingError",
    "ModelSpecError",
    "PlanError",
    "SandboxError",
    "SteergraphError",
    "StructuredOutputError",
    "ToolDefinitionError",
    "ToolExecutionError",
    "UnsupportedSchemaError",
]


class SteergraphError(Exception):
    """Base class of every error steergraph raises on purpose."""

    code: str = "steergraph"
    user_error: bool = True

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.message} -- fix: {self.fix}" if self.fix else self.message


class InputError(SteergraphError, ValueError):
    """Something a user gave us is not valid."""

    code = "input"


class EmptyPromptError(InputError):
    """A prompt with no text to answer."""

    code = "empty-prompt"


class InputFileError(InputError):
    """A file given to us cannot be read as expected (missing, not UTF-8, ...)."""

    code = "input-file"


class ModelSpecError(InputError):
    """A model spec string that names no model steergraph can load."""

    code = "model-spec"


class ModelPackageMissingError(SteergraphError, ImportError):
    """An embedded model's PyPI package is not installed."""

    code = "model-package-missing"


class ModelLoadError(SteergraphError, RuntimeError):
    """A model exists but could not be loaded or converted."""

    code = "model-load"


class ModelIntegrityError(ModelLoadError):
    """Model bytes that are not what the code recorded: a wrong package version, a
    missing, truncated or corrupted part, a hash or header that differs."""

    code = "model-integrity"


class UnsupportedSchemaError(InputError):
    """A schema the constrained decoder cannot compile."""

    code = "unsupported-schema"


class StructuredOutputError(SteergraphError, RuntimeError):
    """The model's output did not parse into the requested structure."""

    code = "structured-output"


class CapabilityError(SteergraphError, TypeError):
    """A method needs something the given model cannot provide (e.g. log-probs)."""

    code = "capability"


class GraphNotFoundError(InputError):
    """A graph name that is not registered."""

    code = "graph-not-found"


class MethodNotFoundError(InputError):
    """A method slug that is not in the registry (:mod:`steergraph.methods`)."""

    code = "method-not-found"


class ToolDefinitionError(InputError):
    """A tool that cannot be registered as given (untyped, duplicate, unknown type...)."""

    code = "tool-definition"


class ToolExecutionError(SteergraphError, RuntimeError):
    """A tool failed while running: it raised, hung past its timeout, or returned the wrong type.

    The executor records these per node instead of letting them escape.
    """

    code = "tool-execution"
    user_error = False


class BudgetError(InputError):
    """No valid plan fits the budget (or the plan so far cannot be completed)."""

    code = "budget"


class PlanError(InputError):
    """A plan that is not valid, with the 1-based ``line`` and ``column`` where it goes wrong.

    ``kind`` says which rule was broken: ``syntax``, ``unknown-tool``, ``dangling-reference``,
    ``type-mismatch``, ``arity``, ``repeated-tool``, ``duplicate-step``, ``cycle``,
    ``missing-output`` or ``empty``.
    """

    code = "plan"

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        line: int = 1,
        column: int = 1,
        source: str = "",
        fix: str | None = None,
    ) -> None:
        self.kind = kind
        self.line = line
        self.column = column
        lines = source.splitlines()
        self.source_line = lines[line - 1] if 0 < line <= len(lines) else ""
        super().__init__(f"line {line}, column {column}: {message}", fix=fix)

    def pointer(self) -> str:
        """The offending line with a caret under the column (for humans and LLM re-asks)."""
        if not self.source_line:
            return ""
        return f"{self.source_line}\n{' ' * (self.column - 1)}^"


class SandboxError(SteergraphError, RuntimeError):
    """The code sandbox itself could not start (not a failure of the code it runs)."""

    code = "sandbox"
    user_error = False


class EditingError(InputError):
    """A delta-parameter edit that cannot be done as asked: models that do not pair up
    (architecture, a missing tensor, shape or dtype), an editor setting out of range,
    a delta file that does not fit its base. ``tensor`` names the tensor when one is
    at fault."""

    code = "editing"

    def __init__(self, message: str, *, tensor: str | None = None, fix: str | None = None):
        self.tensor = tensor
        super().__init__(f"tensor {tensor!r}: {message}" if tensor else message, fix=fix)
