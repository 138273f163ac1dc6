"""Expressions in protocols, evaluated without ``eval``.

Gateway conditions, timer expressions and message payloads come from uploaded BPMN diagrams, so
they are untrusted text. SpiffWorkflow's default script engine hands that text to Python's
``eval``/``exec``; here it goes to a restricted evaluator built on
:class:`simpleeval.EvalWithCompoundTypes` instead, in two layers:

* :func:`check_expression` refuses anything that is not a plain expression over a vetted
  vocabulary, before evaluation and also at upload time, so authors learn early.
* :func:`evaluate` re-checks, then evaluates under a step budget, a time budget and size
  limits, and refuses to let a module, a class or an unvetted callable be touched even if the
  caller put one in ``names``.

What an expression may call:

* the functions in :data:`SAFE_FUNCTIONS`, by name only;
* the methods in :data:`ALLOWED_METHODS`, and only on ``str`` values (checked at run time),
  because case-insensitive matching on text fields is common in protocols and these methods
  neither allocate much nor reach other objects. Every other method call is refused: methods
  such as ``format`` or ``ljust`` have been used to walk object graphs or to allocate memory.

Attribute *reads* of non-underscore names are allowed (``now().year``, ``record.status``), but
only on data values, never on modules, classes or functions.
"""
from __future__ import annotations

import ast
import math
import re
import time
import types
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from typing import Any

from simpleeval import (
    DEFAULT_OPERATORS,
    DISALLOW_METHODS,
    EvalWithCompoundTypes,
    InvalidExpression,
    IterableTooLong,
    NumberTooHigh,
)
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.calendar import current_calendar
from engine.clock import as_utc, current_clock
from engine.workflow.work_clock import thread_work_seconds

__all__ = [
    "ALLOWED_METHODS",
    "MAX_EXPRESSION_LENGTH",
    "SAFE_FUNCTIONS",
    "SCRIPT_ENGINE",
    "ExpressionError",
    "ExpressionOnlyEnvironment",
    "ScriptRefused",
    "check_expression",
    "evaluate",
    "make_script_engine",
    "to_engine_value",
]


class ExpressionError(ValueError):
    """An expression was refused, or failed while being evaluated."""


class ScriptRefused(ExpressionError):
    """A protocol asked the engine to run a script or call a service, which Khumkrong never does."""


# Longer than any sensible condition; short enough that the static check and the evaluation
# stay cheap even for hostile text.
MAX_EXPRESSION_LENGTH = 2000

# The evaluator recurses a few Python frames per AST level. Bounding the depth keeps it well
# inside the interpreter's recursion limit even when called from deep inside SpiffWorkflow.
MAX_NESTING_DEPTH = 50

# A protocol legitimately needs at most a few hundred nodes; 10,000 leaves room to iterate
# over a case's lists (a comprehension costs several nodes per item) while bounding CPU.
MAX_STEPS = 10_000

# Expressions are evaluated inside a command that holds locks and a database transaction.
MAX_SECONDS = 0.25

# Largest exponent, and largest integer (in bits) any step may produce: ages, counts, amounts
# and dates never come near these, and a 4096-bit integer is still cheap to compute with.
MAX_POWER = 1000
MAX_INT_BITS = 4096
MAX_SHIFT = 1000

# Largest text, list or tuple an expression may *build* (by +, *, f-strings or a
# comprehension); values handed in through ``names`` are not limited. Lists are held much
# shorter than text because a single sorted()/max() call over a long list of long lists runs
# in C, out of reach of the budgets, with cost growing as the product of the two lengths.
MAX_STRING_LENGTH = 50_000
MAX_LIST_LENGTH = 2_000
MAX_COMPREHENSION_LENGTH = 2_000

# Bounds for days()/hours()/minutes(): far beyond any protocol deadline, far below the point
# where datetime arithmetic overflows.
MAX_DURATION_UNITS = 100_000

ALLOWED_METHODS = frozenset({"lower", "upper", "strip", "startswith", "endswith"})

# Both clocks are real time on purpose: a simulated clock must not switch the budget off. The
# monotonic clock is cheap and read at every step; only once it says the budget may be spent is
# the thread's own work read, so that waiting for a core or a full garbage collection (neither
# the expression's doing) does not refuse it.
_wall_clock = time.monotonic
_work_clock = thread_work_seconds


# ----------------------------------------------------------------------------------------------
# The vetted functions


def _duration_units(n: Any, unit: str) -> float | int:
    # bool is an int subclass, but days(True) is always a slip rather than intent.
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        raise ExpressionError(f"{unit}() needs a number, got {type(n).__name__}")
    if isinstance(n, float) and not math.isfinite(n):
        raise ExpressionError(f"{unit}() needs a finite number, got {n}")
    if abs(n) > MAX_DURATION_UNITS:
        raise ExpressionError(f"{unit}({n}) is out of range (at most {MAX_DURATION_UNITS})")
    return n


def _now() -> datetime:
    """The instant according to the clock in effect, so simulated cases see simulated time."""
    try:
        return as_utc(current_clock().now())
    except ValueError as err:
        raise ExpressionError(f"the clock in effect gave an unusable time: {err}") from err


def _days(n: Any) -> timedelta:
    return timedelta(days=_duration_units(n, "days"))


def _hours(n: Any) -> timedelta:
    return timedelta(hours=_duration_units(n, "hours"))


def _minutes(n: Any) -> timedelta:
    return timedelta(minutes=_duration_units(n, "minutes"))


def _instant(text: Any) -> datetime:
    """A moment a form recorded (ISO 8601 with a UTC offset), so a deadline can count from when
    something happened rather than from when someone got round to recording it."""
    if not isinstance(text, str):
        raise ExpressionError(f"instant() needs ISO 8601 text, got {type(text).__name__}")
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as err:
        raise ExpressionError(f"instant(): {text[:40]!r} is not an ISO 8601 date-time") from err
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ExpressionError(f"instant(): {text[:40]!r} has no UTC offset")
    return as_utc(moment)


# The lane of the task whose expression SpiffWorkflow is evaluating, so that business-day
# deadlines honour the closures of the agency that owns the work.
_evaluating_lane: ContextVar[str | None] = ContextVar("khumkrong_evaluating_lane", default=None)


def _evaluating_agency() -> str | None:
    # Lanes are agency codes, optionally narrowed to a role ("pmj_tak/supervisor").
    lane = _evaluating_lane.get()
    return (lane.partition("/")[0].strip() or None) if lane else None


def _business_deadline(function: str, amount: Any) -> datetime:
    calendar = current_calendar()
    add = calendar.add_business_days if function == "business_days" else calendar.add_business_hours
    try:
        return as_utc(add(_now(), amount, _evaluating_agency()))
    except (TypeError, ValueError) as err:
        raise ExpressionError(f"{function}(): {err}") from err


def _business_days(n: Any) -> datetime:
    return _business_deadline("business_days", n)


def _business_hours(n: Any) -> datetime:
    return _business_deadline("business_hours", n)


def _round(number: Any, ndigits: Any = None) -> Any:
    # round(5, -10**9) makes CPython compute 10**(10**9) inside a single call, which neither
    # the step budget nor the time budget can interrupt.
    if ndigits is None:
        return round(number)
    if isinstance(ndigits, bool) or not isinstance(ndigits, int) or abs(ndigits) > 100:
        raise ExpressionError("round() takes at most 100 digits")
    return round(number, ndigits)


def _sum(iterable: Any, start: Any = 0) -> Any:
    # sum(list_of_lists, []) is quadratic and runs inside one call, beyond the budgets' reach;
    # a number or a duration as the start value is all a protocol needs.
    if isinstance(start, bool) or not isinstance(start, (int, float, timedelta)):
        raise ExpressionError("sum() adds numbers or durations only")
    return sum(iterable, start)


SAFE_FUNCTIONS: Mapping[str, Callable[..., Any]] = types.MappingProxyType(
    {
        "now": _now,
        "days": _days,
        "hours": _hours,
        "minutes": _minutes,
        "instant": _instant,
        "business_days": _business_days,
        "business_hours": _business_hours,
        "len": len,
        "min": min,
        "max": max,
        "abs": abs,
        "round": _round,
        "int": int,
        "float": float,
        "str": str,
        "bool": bool,
        "sum": _sum,
        "any": any,
        "all": all,
        "sorted": sorted,
    }
)

_SAFE_FUNCTION_IDS = frozenset(id(f) for f in SAFE_FUNCTIONS.values())


# ----------------------------------------------------------------------------------------------
# Static check

_OPERATOR_SYMBOLS: dict[type, str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
    ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^",
    ast.BitAnd: "&", ast.MatMult: "@",
}

_ALLOWED_NODES: frozenset[type] = frozenset(
    {
        ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Dict, ast.Set,
        ast.ListComp, ast.DictComp, ast.GeneratorExp, ast.comprehension, ast.Compare, ast.Call,
        ast.keyword, ast.FormattedValue, ast.JoinedStr, ast.Constant, ast.Attribute,
        ast.Subscript, ast.Starred, ast.Name, ast.List, ast.Tuple, ast.Slice, ast.Load,
        ast.Store, ast.And, ast.Or,
        # Only operators the evaluator below has an implementation for.
        *(t for t in DEFAULT_OPERATORS if t is not ast.MatMult),
    }
)

_REFUSED_NODE_MESSAGES: dict[type, str] = {
    ast.Lambda: "lambda is not allowed",
    # Only lambdas have parameters in an expression, and inner nodes are reported first.
    ast.arguments: "lambda is not allowed",
    ast.arg: "lambda is not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.SetComp: "set comprehensions are not supported",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}

# Format specs in f-strings reach str.format machinery and can request any width, so only
# fixed, brace-free specs with small numbers (width and precision below 1000) are accepted.
_SAFE_FORMAT_SPEC = re.compile(r"[^{}]*")
_LONG_NUMBER = re.compile(r"\d{4,}")


def _check_format_spec(spec: ast.AST | None) -> None:
    if spec is None:
        return
    parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
    for part in parts:
        if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
            raise ExpressionError("computed format specifications in f-strings are not allowed")
        if not _SAFE_FORMAT_SPEC.fullmatch(part.value) or _LONG_NUMBER.search(part.value):
            raise ExpressionError(f"format specification {part.value!r} is not allowed")


def _check_comprehension_target(target: ast.AST) -> None:
    if isinstance(target, ast.Name):
        return
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _check_comprehension_target(element)
        return
    raise ExpressionError("comprehension variables must be plain names")


def _check_spelling(node: ast.AST) -> None:
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise ExpressionError(f"name '{node.id}' is not allowed")
    if isinstance(node, ast.Attribute) and (
        node.attr.startswith("_") or node.attr in DISALLOW_METHODS
    ):
        raise ExpressionError(f"attribute '{node.attr}' is not allowed")


def _check_node(node: ast.AST, parent: ast.AST | None) -> None:
    kind = type(node)
    if kind not in _ALLOWED_NODES:
        if kind in _OPERATOR_SYMBOLS:
            raise ExpressionError(f"operator '{_OPERATOR_SYMBOLS[kind]}' is not supported")
        raise ExpressionError(_REFUSED_NODE_MESSAGES.get(kind, f"{kind.__name__} is not allowed in expressions"))
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            if func.id not in SAFE_FUNCTIONS:
                raise ExpressionError(f"function '{func.id}' is not available")
        elif isinstance(func, ast.Attribute):
            if func.attr not in ALLOWED_METHODS:
                raise ExpressionError(f"method '{func.attr}' is not available")
        else:
            raise ExpressionError("only named functions can be called")
        if any(isinstance(arg, ast.Starred) for arg in node.args) or any(
            kw.arg is None for kw in node.keywords
        ):
            raise ExpressionError("argument unpacking (* or **) in calls is not allowed")
    if isinstance(node, ast.Starred) and not (
        isinstance(parent, ast.List) and isinstance(node.ctx, ast.Load)
    ):
        # simpleeval only implements unpacking inside list displays.
        raise ExpressionError("unpacking with * is only allowed inside a list")
    if isinstance(node, ast.comprehension):
        if node.is_async:
            raise ExpressionError("async comprehensions are not allowed")
        _check_comprehension_target(node.target)
    if isinstance(node, ast.FormattedValue):
        _check_format_spec(node.format_spec)


def _checked_tree(text: Any) -> ast.Expression:
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"expression too long ({len(text)} > {MAX_EXPRESSION_LENGTH} characters)"
        )
    # Diagram XML often indents expression text, which Python would read as an indent error.
    source = text.strip()
    if not source:
        raise ExpressionError("expression is empty")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        where = f" (line {err.lineno}, column {err.offset})" if err.lineno else ""
        raise ExpressionError(f"not a single valid expression: {err.msg}{where}") from err
    except (ValueError, RecursionError, MemoryError) as err:
        raise ExpressionError(f"not a valid expression: {err}") from err

    # Iterative walk, so hostile nesting cannot exhaust the stack during the check itself.
    nodes: list[tuple[ast.AST, ast.AST | None]] = []
    pending: list[tuple[ast.AST, ast.AST | None, int]] = [(tree, None, 0)]
    while pending:
        node, parent, depth = pending.pop()
        if depth > MAX_NESTING_DEPTH:
            raise ExpressionError(f"expression nested too deeply (more than {MAX_NESTING_DEPTH} levels)")
        nodes.append((node, parent))
        pending.extend((child, node, depth + 1) for child in ast.iter_child_nodes(node))
    # Report the most telling problem: underscore names first, wherever they sit, then inner
    # constructs before the ones enclosing them (every node was listed after its parent), so
    # "open('f').read()" is refused for open, not for .read.
    for node, _ in reversed(nodes):
        _check_spelling(node)
    for node, parent in reversed(nodes):
        _check_node(node, parent)
    return tree


def check_expression(text: str) -> None:
    """Refuse *text* unless it is a single expression over the vetted vocabulary.

    Does not evaluate anything; meant for protocol upload as well as for :func:`evaluate`.
    """
    _checked_tree(text)


# ----------------------------------------------------------------------------------------------
# Evaluation


class _GuardedEvaluator(EvalWithCompoundTypes):
    """simpleeval with Khumkrong's limits, and a guard on every value any node produces.

    The limits are enforced here, by overriding operators and node evaluation, instead of by
    changing simpleeval's module globals, which every other user of the library shares.
    """

    max_steps = MAX_STEPS
    max_seconds = MAX_SECONDS

    def __init__(self, names: Mapping[str, Any]) -> None:
        operators = dict(DEFAULT_OPERATORS)
        operators.update(
            {
                ast.Add: self._add,
                ast.Mult: self._mult,
                ast.Pow: self._power,
                ast.LShift: self._lshift,
                ast.Mod: self._mod,
            }
        )
        super().__init__(operators=operators, functions=dict(SAFE_FUNCTIONS), names=dict(names))
        # EvalWithCompoundTypes adds list/tuple/dict/set constructors; the vocabulary is
        # exactly SAFE_FUNCTIONS, so that what check_expression allows is what runs.
        self.functions = dict(SAFE_FUNCTIONS)
        self._steps = 0
        self._deadline = 0.0
        self._work_at_start = 0.0

    def run(self, expression: str, tree: ast.Expression) -> Any:
        self._steps = 0
        self._deadline = _wall_clock() + self.max_seconds
        self._work_at_start = _work_clock()
        return self.eval(expression, previously_parsed=tree.body)

    def _check_time(self) -> None:
        if _wall_clock() <= self._deadline:
            return
        worked = _work_clock() - self._work_at_start
        if worked > self.max_seconds:
            raise ExpressionError(f"evaluation exceeded its time budget ({self.max_seconds} s)")
        # Wall time ran on while the thread waited: what is left of the budget is what it has
        # not yet worked.
        self._deadline = _wall_clock() + (self.max_seconds - worked)

    def _eval(self, node: ast.AST) -> Any:
        self._steps += 1
        if self._steps > self.max_steps:
            raise ExpressionError(
                f"evaluation exceeded its step budget ({self.max_steps} steps)"
            )
        self._check_time()
        # simpleeval counts comprehension items against its own global limit; every item
        # evaluates at least one node, so checking here enforces the stricter local one.
        if self._max_count > MAX_COMPREHENSION_LENGTH:
            raise IterableTooLong(
                f"comprehension produces more than {MAX_COMPREHENSION_LENGTH} items"
            )
        value = super()._eval(node)
        self._guard_value(value)
        return value

    @staticmethod
    def _guard_value(value: Any) -> None:
        kind = type(value)
        if kind in (str, bool, float, type(None), datetime, timedelta, list, dict, tuple):
            return
        if kind is int:
            if value.bit_length() > MAX_INT_BITS:
                raise NumberTooHigh(f"integer too large (more than {MAX_INT_BITS} bits)")
            return
        if isinstance(value, types.ModuleType):
            raise ExpressionError("modules cannot be used in expressions")
        if isinstance(value, type):
            # Classes are the usual starting point for walking to os or subprocess. This covers
            # int, str and the like too: they may be *called* by name, never handled as values.
            raise ExpressionError(f"class '{value.__name__}' cannot be used in expressions")
        if callable(value):
            if id(value) in _SAFE_FUNCTION_IDS:
                return
            if (
                isinstance(value, types.BuiltinMethodType)
                and type(value.__self__) is str
                and value.__name__ in ALLOWED_METHODS
            ):
                return
            name = getattr(value, "__name__", type(value).__name__)
            raise ExpressionError(f"'{name}' cannot be called or passed around in expressions")

    @staticmethod
    def _length_limit(sequence: Any) -> int:
        return MAX_STRING_LENGTH if isinstance(sequence, (str, bytes, bytearray)) else MAX_LIST_LENGTH

    def _add(self, a: Any, b: Any) -> Any:
        if hasattr(a, "__len__") and hasattr(b, "__len__"):
            limit = self._length_limit(a)
            if len(a) + len(b) > limit:
                raise IterableTooLong(f"result would be longer than {limit}")
        return a + b

    def _mult(self, a: Any, b: Any) -> Any:
        for seq, count in ((a, b), (b, a)):
            if hasattr(seq, "__len__") and isinstance(count, int):
                limit = self._length_limit(seq)
                if len(seq) * count > limit:
                    raise IterableTooLong(f"result would be longer than {limit}")
        return a * b

    @staticmethod
    def _power(base: Any, exponent: Any) -> Any:
        if isinstance(exponent, (int, float)) and abs(exponent) > MAX_POWER:
            raise NumberTooHigh(f"exponent {exponent} is too large (at most {MAX_POWER})")
        if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
            # (bit_length - 1) * exponent is a lower bound on the result's size.
            if (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS:
                raise NumberTooHigh(f"power too large (result over {MAX_INT_BITS} bits)")
        return base**exponent

    @staticmethod
    def _lshift(a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int) and (b > MAX_SHIFT or a.bit_length() + b > MAX_INT_BITS):
            raise NumberTooHigh(f"shift too large (result over {MAX_INT_BITS} bits)")
        return a << b

    @staticmethod
    def _mod(a: Any, b: Any) -> Any:
        # printf-style formatting accepts arbitrary widths ('%999999999d') in one call.
        if isinstance(a, (str, bytes)):
            raise ExpressionError("'%' formatting of text is not allowed")
        return a % b

    def _eval_joinedstr(self, node: ast.JoinedStr) -> str:
        # Overridden because the total length must be bounded, not just each part.
        pieces: list[str] = []
        length = 0
        for part in node.values:
            piece = str(self._eval(part))
            length += len(piece)
            if length > MAX_STRING_LENGTH:
                raise IterableTooLong(f"f-string would be longer than {MAX_STRING_LENGTH}")
            pieces.append(piece)
        return "".join(pieces)


def evaluate(expression: str, names: Mapping[str, Any]) -> Any:
    """Check and evaluate *expression* with *names* as its variables.

    Raises :class:`ExpressionError` for anything refused or failing, chained to the cause.
    """
    tree = _checked_tree(expression)
    evaluator = _GuardedEvaluator(names or {})
    try:
        return evaluator.run(expression, tree)
    except ExpressionError:
        raise
    except RecursionError as err:
        raise ExpressionError("expression nested too deeply to evaluate") from err
    except InvalidExpression as err:
        raise ExpressionError(str(err)) from err
    except Exception as err:
        raise ExpressionError(f"{type(err).__name__}: {err}") from err


# ----------------------------------------------------------------------------------------------
# Values for SpiffWorkflow


def _iso_duration(delta: timedelta) -> str:
    if delta < timedelta(0):
        raise ExpressionError(f"a negative duration ({delta}) cannot be used as a timer")
    hours, remainder = divmod(delta.seconds, 3600)
    minutes, seconds = divmod(remainder, 60)
    date_part = f"{delta.days}D" if delta.days else ""
    time_part = ""
    if hours:
        time_part += f"{hours}H"
    if minutes:
        time_part += f"{minutes}M"
    if delta.microseconds:
        # Fixed-point, never exponent notation, which SpiffWorkflow's parser does not read.
        time_part += f"{seconds}.{delta.microseconds:06d}".rstrip("0") + "S"
    elif seconds:
        time_part += f"{seconds}S"
    if not date_part and not time_part:
        return "PT0S"
    return "P" + date_part + ("T" + time_part if time_part else "")


def to_engine_value(value: Any) -> Any:
    """Turn durations and instants into the ISO 8601 text SpiffWorkflow's timers parse.

    Applies to every result handed to SpiffWorkflow, conditions included; a timedelta result
    becomes non-empty text and is therefore truthy, even ``days(0)``.
    """
    if isinstance(value, timedelta):
        return _iso_duration(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ExpressionError(f"datetime {value.isoformat()} has no time zone")
        return value.astimezone(timezone.utc).isoformat()
    return value


class ExpressionOnlyEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that evaluates expressions and runs nothing else."""

    def __init__(self) -> None:
        super().__init__({})

    def evaluate(self, expression, context, external_context=None):
        # Task data wins over workflow data objects, as in SpiffWorkflow's own environment.
        return to_engine_value(evaluate(expression, {**(external_context or {}), **context}))

    def execute(self, script, context, external_context=None):
        raise ScriptRefused("script execution is disabled in Khumkrong protocols")

    def call_service(self, context, **kwargs):
        raise ScriptRefused("service calls are disabled in Khumkrong protocols")


class _ExpressionOnlyScriptEngine(PythonScriptEngine):
    def evaluate(self, task, expression, external_context=None):
        # A boundary timer is evaluated on the boundary event's own task, so its lane is used.
        token = _evaluating_lane.set(getattr(getattr(task, "task_spec", None), "lane", None))
        try:
            return super().evaluate(task, expression, external_context)
        finally:
            _evaluating_lane.reset(token)

    def call_service(self, task, **kwargs):
        # SpiffWorkflow 3.2.0's own error path here refers to an undefined name and would turn
        # the refusal into a NameError; report it the way script failures are reported.
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as err:
            raise WorkflowTaskException(str(err), task=task, exception=err) from err


def make_script_engine() -> PythonScriptEngine:
    """A SpiffWorkflow script engine that only evaluates vetted expressions."""
    return _ExpressionOnlyScriptEngine(environment=ExpressionOnlyEnvironment())


SCRIPT_ENGINE = make_script_engine()
