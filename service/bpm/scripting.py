"""The restricted script engine: conditions, scripts, timers and expressions run here.

SpiffWorkflow's own engine runs `exec` with full builtins (SPIFFWORKFLOW.md §7). Ours compiles with
RestrictedPython (no imports, no underscore names, guarded attribute and item access), exposes a small
set of builtins and registered domain functions, and bounds every loop by a time budget.
"""

from __future__ import annotations

import ast
import operator
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, cast

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, safer_getattr
from RestrictedPython.Limits import limited_range
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from service import clock

# ISO-8601 as the modeler writes it (P10D, R3/PT1H, 2015-07-31T00:00:00+08:00): passed through unevaluated.
ISO_TIMER = re.compile(
    r"^(R\d*/)?P(?=\d|T\d)[0-9YMWD]*(T[0-9HMS.,]*)?$"  # durations and repeating intervals
    r"|^\d{4}-\d{2}-\d{2}(T[0-9:.]+)?(Z|[+-]\d{2}:?\d{2})?$"  # dates and date-times
)
_WRAPPER = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.S)

FORBIDDEN_NAMES = frozenset({
    "open", "exec", "eval", "compile", "globals", "locals", "vars", "input", "breakpoint",
    "memoryview", "getattr", "setattr", "delattr", "help", "exit", "quit", "dir", "type", "super",
})


class ScriptBudgetExceeded(RuntimeError):
    """A script or expression ran longer than the engine allows."""


def strip_wrapper(expression: str) -> str:
    """`${amount > 5}` (as Camunda writes it) → `amount > 5`."""
    m = _WRAPPER.match(expression)
    return m.group(1).strip() if m else expression.strip()


def is_iso_timer(expression: str) -> bool:
    return bool(ISO_TIMER.match(expression.strip()))


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus: no imports, no dangerous builtin names, ticking while-loops."""

    def visit_Import(self, node: ast.Import) -> Any:
        self.error(node, "import is not allowed in scripts")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        self.error(node, "import is not allowed in scripts")
        return node

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f'"{node.id}" is not allowed in scripts')
        return super().visit_Name(node)

    def visit_While(self, node: ast.While) -> Any:
        node = cast(ast.While, super().visit_While(node))
        tick = ast.Expr(value=ast.Call(func=ast.Name("_tick_", ast.Load()), args=[], keywords=[]))
        ast.copy_location(tick, node)
        ast.fix_missing_locations(tick)
        node.body.insert(0, tick)
        return node


@lru_cache(maxsize=4096)
def compile_script(source: str, mode: str) -> Any:
    """Compile restricted code once per source text; raise SyntaxError with every problem found."""
    fn = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = fn(source, "<string>", policy=_Policy)
    if result.errors:
        raise SyntaxError("; ".join(result.errors))
    return result.code


def check_script(source: str, mode: str = "exec") -> str | None:
    """Deploy-time check: None if the code compiles under our restrictions, else the reason."""
    if mode == "eval":
        source = strip_wrapper(source)
    try:
        compile_script(source, mode)
    except SyntaxError as exc:
        return str(exc)
    return None


# --- run-time budget -------------------------------------------------------------------------------

_budget = threading.local()


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Within the block, scripts and the engine loop must finish before `seconds` pass."""
    previous = getattr(_budget, "deadline", None)
    _budget.deadline = clock.monotonic() + seconds
    _budget.count = 0
    try:
        yield
    finally:
        _budget.deadline = previous


def check_budget() -> None:
    deadline = getattr(_budget, "deadline", None)
    if deadline is not None and clock.monotonic() > deadline:
        raise ScriptBudgetExceeded("the process ran longer than the engine's time limit (a loop that never waits?)")


def _tick() -> None:
    n = getattr(_budget, "count", 0) + 1
    _budget.count = n
    if n % 512 == 0:
        check_budget()


def _getiter(obj: Iterable[Any]) -> Iterator[Any]:
    for item in iter(obj):
        _tick()
        yield item


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "|=": operator.ior,
    "&=": operator.iand, "^=": operator.ixor,
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    return _INPLACE[op](x, y)


_BUILTINS: dict[str, Any] = {k: v for k, v in safe_builtins.items()
                             if k not in {"__build_class__", "setattr", "delattr", "id", "hash", "_getattr_"}}
_BUILTINS.update(
    range=limited_range, list=list, tuple=tuple, dict=dict, set=set, frozenset=frozenset,
    sorted=sorted, sum=sum, min=min, max=max, any=any, all=all, enumerate=enumerate, zip=zip,
    map=map, filter=filter, reversed=reversed,
)


def _base_globals(functions: dict[str, Any]) -> dict[str, Any]:
    g: dict[str, Any] = {
        "__builtins__": _BUILTINS,
        "__name__": "jixiao_script",
        "__metaclass__": type,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": _getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_iter_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplacevar,
        "_print_": PrintCollector,
        "_tick_": _tick,
    }
    g.update(functions)
    return g


class RestrictedEnvironment(TaskDataEnvironment):
    """Evaluates and executes restricted code against task data."""

    def __init__(self, functions: dict[str, Any] | None = None) -> None:
        super().__init__(dict(functions or {}))
        self._base = _base_globals(self.globals)

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        g = dict(self._base)
        if external_context:
            g.update(external_context)
        g.update(context)
        return eval(compile_script(strip_wrapper(expression), "eval"), g)  # noqa: S307 - restricted code

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        self.check_for_overwrite(context, external_context or {})
        g = dict(self._base)
        if external_context:
            g.update(external_context)
        g.update(context)
        exec(compile_script(script, "exec"), g)  # noqa: S102 - restricted code
        base = self._base
        kept = {k: v for k, v in g.items()
                if not k.startswith("_") and not callable(v) and not (k in base and v is base[k])
                and not (external_context and k in external_context)}
        context.clear()
        context.update(kept)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise NotImplementedError("service tasks are executed by external task workers")


class JixiaoScriptEngine(PythonScriptEngine):
    """Lenient about what Camunda Modeler writes (plain ISO timers, ${…}); strict about what code may do."""

    def __init__(self, functions: dict[str, Any] | None = None) -> None:
        super().__init__(environment=RestrictedEnvironment(functions))

    def validate(self, expression: str) -> None:
        compile_script(strip_wrapper(expression), "eval")

    def evaluate(self, task: Any, expression: Any, external_context: Any = None) -> Any:
        if isinstance(expression, str) and is_iso_timer(expression):
            return expression.strip()
        return super().evaluate(task, expression, external_context)

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        # The library's own version masks the worker's error as NameError('script') (SPIFFWORKFLOW.md §7).
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as err:
            raise WorkflowTaskException(f"{type(err).__name__}: {err}", task=task, exception=err) from err
