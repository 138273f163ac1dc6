"""Constant expressions in a protocol, evaluated at lint time under the runtime's own limits.

A condition such as ``'a'*10**9 == 'a'`` passes the vocabulary check (it only multiplies and
compares), yet fails in every case that reaches it, because :func:`engine.workflow.expressions.evaluate`
refuses to build a string that long. Every part of an expression that reads no case data is
worth the same: lint evaluates those parts exactly as the engine would and refuses the protocol
when one fails, naming the element that holds it.
"""
from __future__ import annotations

import ast
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from lxml import etree

from engine.clock import SimulatedClock, clock_in_effect
from engine.protocols.findings import Finding, Severity
from engine.protocols.graph import label, local_name
from engine.protocols.loading import BPMN_NS, canvas_element, expression_texts
from engine.workflow import expressions

# Expressions are evaluated as if "now" were this instant; any fixed instant will do, as long as
# lint results do not change with the day they are run.
LINT_NOW = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)

# Each evaluation is bounded by the runtime's step and time budgets; this bounds them all
# together, so that a file of thousands of costly constants cannot hold an upload for minutes.
LINT_EVALUATION_SECONDS = 3.0

_TIMERS = frozenset(f"{{{BPMN_NS}}}{local}" for local in ("timeDuration", "timeDate", "timeCycle"))
# Parts of an expression that are not expressions of their own.
_NOT_ALONE = (ast.Starred, ast.Slice, ast.FormattedValue, ast.Constant)

_monotonic = time.monotonic


def free_names(expression: str) -> set[str]:
    """Variables an expression reads: names that are neither vetted functions nor bound inside it."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            bound.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
    # Read at call time: the vetted vocabulary grows (business_days, say) without lint changes.
    functions = set(expressions.SAFE_FUNCTIONS)
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    } - bound - functions


def evaluate_constant(text: str) -> Any:
    """Evaluate an expression that reads no case data, on lint's fixed clock."""
    with clock_in_effect(SimulatedClock(LINT_NOW)):
        return expressions.to_engine_value(expressions.evaluate(text, {}))


def _is_constant(node: ast.AST, known: dict[int, bool]) -> bool:
    """True when *node* reads no variable: only literals, operators and vetted calls."""
    if id(node) in known:
        return known[id(node)]
    if isinstance(node, ast.Name):
        result = False
    elif isinstance(node, ast.Call):
        func = node.func
        callable_ = (
            (isinstance(func, ast.Name) and func.id in expressions.SAFE_FUNCTIONS)
            or (isinstance(func, ast.Attribute) and _is_constant(func.value, known))
        )
        result = callable_ and all(_is_constant(arg, known) for arg in node.args) and all(
            _is_constant(keyword.value, known) for keyword in node.keywords
        )
    else:
        result = all(_is_constant(child, known) for child in ast.iter_child_nodes(node))
    known[id(node)] = result
    return result


def constant_parts(expression: str) -> Iterator[str]:
    """The largest parts of *expression* that read no case data, as source text, outermost first."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return  # the loader's check has already refused it
    known: dict[int, bool] = {}
    pending: list[ast.AST] = [tree.body]
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.expr) and not isinstance(node, _NOT_ALONE) and _is_constant(node, known):
            yield ast.unparse(node)
            continue
        pending.extend(ast.iter_child_nodes(node))


def _shorten(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def constant_findings(tree: etree._ElementTree) -> list[Finding]:
    """One ``expression-fails`` finding per element whose expression has a part that always fails.

    A timer that reads no case data at all is left to the timer rules, which evaluate it whole.
    """
    findings: list[Finding] = []
    deadline = _monotonic() + LINT_EVALUATION_SECONDS
    for element, raw in expression_texts(tree.getroot()):
        text = (raw or "").strip()
        if not text or (element.tag in _TIMERS and not free_names(text)):
            continue
        owner = canvas_element(element)
        owner = element if owner is None else owner
        for part in constant_parts(text):
            if _monotonic() > deadline:
                findings.append(_finding(
                    owner, element, text, part,
                    f"lint ran out of time ({LINT_EVALUATION_SECONDS:g} s for the whole protocol) "
                    "evaluating its constant expressions",
                ))
                return findings
            try:
                evaluate_constant(part)
            except expressions.ExpressionError as exc:
                findings.append(_finding(owner, element, text, part, str(exc)))
                break
    return findings


def _finding(owner: etree._Element, element: etree._Element, text: str, part: str, problem: str) -> Finding:
    where = f"{local_name(owner)} {label(owner)}"
    return Finding(
        "expression-fails", Severity.ERROR,
        f"the expression {_shorten(text)!r} of {where} ({local_name(element)}) fails whatever "
        f"the case data: {_shorten(part)!r} is refused ({problem}). Every case that reaches it "
        "would stop with an error. Correct the expression.",
        f"นิพจน์ {_shorten(text)!r} ของ {where} ล้มเหลวเสมอไม่ว่าข้อมูลของคดีจะเป็นอย่างไร: "
        f"ส่วน {_shorten(part)!r} ถูกปฏิเสธ ({problem}) ทุกคดีที่มาถึงจุดนี้จะหยุดด้วยข้อผิดพลาด "
        "ให้แก้ไขนิพจน์",
        owner.get("id"), element.sourceline,
    )


__all__ = ["LINT_NOW", "constant_findings", "constant_parts", "evaluate_constant", "free_names"]
