"""The protocol expression evaluator: what works, what is refused, and the SpiffWorkflow bridge."""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

import pytest
import simpleeval
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.clock import SimulatedClock, clock_in_effect
from engine.workflow import expressions
from engine.workflow.expressions import (
    MAX_EXPRESSION_LENGTH,
    SAFE_FUNCTIONS,
    SCRIPT_ENGINE,
    ExpressionError,
    ExpressionOnlyEnvironment,
    ScriptRefused,
    check_expression,
    evaluate,
    make_script_engine,
    to_engine_value,
)

UTC = timezone.utc


# ----------------------------------------------------------------------------------------------
# Conditions that protocols need


@pytest.mark.parametrize(
    ("expression", "names", "expected"),
    [
        ("severity == 'high' and age < 12", {"severity": "high", "age": 9}, True),
        ("severity == 'high' and age < 12", {"severity": "high", "age": 12}, False),
        ("severity == 'high' and age < 12", {"severity": "low", "age": 3}, False),
        ("x in ['a', 'b']", {"x": "b"}, True),
        ("x in ['a', 'b']", {"x": "c"}, False),
        ("len(items) >= 2", {"items": [1, 2]}, True),
        ("len(items) >= 2", {"items": [1]}, False),
        ("{'level': level, 'tags': [t for t in tags if t != 'x']}",
         {"level": 2, "tags": ["a", "x", "b"]}, {"level": 2, "tags": ["a", "b"]}),
        ("[1, 2] + [3]", {}, [1, 2, 3]),
        ("max(scores) - min(scores)", {"scores": [4, 9, 1]}, 8),
        ("sum(amounts) > 100", {"amounts": [60, 50]}, True),
        ("any(a > 3 for a in xs) and not all(a > 3 for a in xs)", {"xs": [1, 5]}, True),
        ("'urgent' if risk >= 3 else 'routine'", {"risk": 3}, "urgent"),
        ("name.strip().lower().startswith('som')", {"name": "  Somchai "}, True),
        ("status.upper().endswith('ED')", {"status": "closed"}, True),
        ("sorted(names, key=len)[0]", {"names": ["ccc", "a", "bb"]}, "a"),
        ("f'{count} items, {ratio:.1f}'", {"count": 3, "ratio": 0.25}, "3 items, 0.2"),
        ("case.district", {"case": {"district": "Chiang Mai"}}, "Chiang Mai"),
        ("round(2.567, 2)", {}, 2.57),
        ("sum([days(1), hours(2)], days(0))", {}, timedelta(days=1, hours=2)),
        ("2 ** 10", {}, 1024),
    ],
)
def test_conditions_evaluate(expression, names, expected):
    assert evaluate(expression, names) == expected


def test_comparisons_with_now():
    opened = datetime.now(UTC) - timedelta(days=5)
    assert evaluate("now() + days(3) > now()", {}) is True
    assert evaluate("opened_at + days(3) < now()", {"opened_at": opened}) is True
    assert evaluate("opened_at + days(7) < now()", {"opened_at": opened}) is False
    assert evaluate("now() - opened_at > hours(119)", {"opened_at": opened}) is True


def test_duration_functions():
    assert evaluate("days(2)", {}) == timedelta(days=2)
    assert evaluate("hours(1.5)", {}) == timedelta(minutes=90)
    assert evaluate("minutes(-5)", {}) == timedelta(minutes=-5)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("days('3')", "needs a number"),
        ("days(True)", "needs a number"),
        ("hours(100001)", "out of range"),
        ("minutes(-100001)", "out of range"),
        ("days(float('inf'))", "finite"),
        ("days(float('nan'))", "finite"),
        ("days(None)", "needs a number"),
    ],
)
def test_duration_functions_refuse_absurd_input(expression, message):
    with pytest.raises(ExpressionError, match=message):
        evaluate(expression, {})


def test_instant_reads_a_recorded_moment_so_deadlines_count_from_it():
    separated = "2026-11-30T10:15:00+07:00"
    assert evaluate("instant(separated_at) + hours(12)", {"separated_at": separated}) == datetime(
        2026, 11, 30, 15, 15, tzinfo=UTC
    )
    # A moment recorded in the future cannot push a deadline past the one counted from now.
    with clock_in_effect(SimulatedClock(datetime(2026, 11, 30, 3, 15, tzinfo=UTC))):
        assert evaluate(
            "min(instant(separated_at), now()) + hours(12)", {"separated_at": "2026-12-01T10:00:00+07:00"}
        ) == datetime(2026, 11, 30, 15, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-11-30T10:15:00", "no UTC offset"), ("yesterday", "not an ISO 8601"), (12, "needs ISO 8601 text")],
)
def test_instant_refuses_what_is_not_an_aware_iso_moment(value, message):
    with pytest.raises(ExpressionError, match=message):
        evaluate("instant(value)", {"value": value})


def test_safe_functions_are_exactly_the_vetted_set():
    assert set(SAFE_FUNCTIONS) == {
        "now", "days", "hours", "minutes", "len", "min", "max", "abs", "round", "int", "float",
        "str", "bool", "sum", "any", "all", "sorted", "business_days", "business_hours", "instant",
    }
    with pytest.raises(TypeError):
        SAFE_FUNCTIONS["open"] = open  # type: ignore[index]


def test_compound_type_constructors_are_not_smuggled_in():
    # simpleeval's EvalWithCompoundTypes adds list/dict/set/tuple; they are not vetted here.
    for name in ("list", "dict", "set", "tuple"):
        with pytest.raises(ExpressionError, match=f"function '{name}' is not available"):
            evaluate(f"{name}([1])", {})


# ----------------------------------------------------------------------------------------------
# Time


def test_now_follows_the_simulated_clock_in_effect():
    first = SimulatedClock(datetime(2024, 1, 1, 9, 0, tzinfo=UTC))
    second = SimulatedClock(datetime(2030, 6, 15, 17, 30, tzinfo=timezone(timedelta(hours=7))))
    with clock_in_effect(first):
        assert evaluate("now()", {}) == datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
        assert evaluate("now().year", {}) == 2024
    with clock_in_effect(second):
        result = evaluate("now()", {})
    assert result == datetime(2030, 6, 15, 10, 30, tzinfo=UTC)
    assert result.utcoffset() == timedelta(0)


def test_now_moves_with_the_simulated_clock():
    clock = SimulatedClock(datetime(2024, 1, 1, tzinfo=UTC))
    with clock_in_effect(clock):
        deadline = evaluate("now() + days(3)", {})
        assert evaluate("now() > deadline", {"deadline": deadline}) is False
        clock.advance(timedelta(days=3, seconds=1))
        assert evaluate("now() > deadline", {"deadline": deadline}) is True


def test_now_uses_the_system_clock_outside_any_command():
    before = datetime.now(UTC)
    result = evaluate("now()", {})
    after = datetime.now(UTC)
    assert before <= result <= after
    assert result.tzinfo is not None


# ----------------------------------------------------------------------------------------------
# Escapes and abuse


class _Sentinel:
    """A value whose methods record being called, to prove a refused call never ran."""

    def __init__(self):
        self.called = False

    def lower(self):
        self.called = True
        return "pwned"


REFUSED = [
    ("__import__('os')", {}),
    ("__import__('os').system('id')", {}),
    ("().__class__.__base__.__subclasses__()", {}),
    ("[c for c in ().__class__.__base__.__subclasses__()]", {}),
    ("getattr(x, '__class__')", {"x": 1}),
    ("'{0.__class__}'.format(x)", {"x": 1}),
    ("'{}'.format_map(x)", {"x": {}}),
    ("x.__dict__", {"x": _Sentinel()}),
    ("_private", {"_private": 1}),
    ("json.codecs.sys.modules['os']", {"json": json}),
    ("json", {"json": json}),
    ("json.loads('1')", {"json": json}),
    ("random._os", {"random": random}),
    ("random.choice", {"random": random}),
    ("t.__subclasses__()", {"t": object}),
    ("t", {"t": object}),
    ("t.mro()", {"t": object}),
    ("box['cls'].fromkeys", {"box": {"cls": dict}}),
    ("[c for c in classes]", {"classes": [int]}),
    ("f", {"f": print}),
    ("str", {}),
    ("int.from_bytes", {}),
    ("9**9**9", {}),
    ("2 ** 100000", {}),
    ("(10 ** 500) ** 10", {}),
    ("1 << 100000", {}),
    ("'a'*10**10", {}),
    ("10**10 * 'a'", {}),
    ("[1]*10**9", {}),
    ("[i for i in range(10**9)]", {}),
    ("[a for a in xs for b in xs for c in xs]", {"xs": list(range(1000))}),
    ("f'{x:>999999999}'", {"x": 1}),
    ("f'{x:{w}}'", {"x": 1, "w": ">999999999"}),
    ("'%999999999d' % 1", {}),
    ("round(5, -10**9)", {}),
    ("sum([[1] * 1000] * 1000, [])", {}),
    ("lambda: 1", {}),
    ("(lambda: 1)()", {}),
    ("(y := 1)", {}),
    ("{c for c in 'abc'}", {}),
    ("import os", {}),
    ("x = 1", {"x": 0}),
    ("1; 2", {}),
    ("exec('1')", {}),
    ("eval('1')", {}),
    ("compile('1', 'f', 'eval')", {}),
    ("open('/etc/passwd')", {}),
    ("open('/etc/passwd').read()", {}),
    ("x.lower()", {"x": _Sentinel()}),
    ("[len][0]([])", {}),
    ("now().replace(year=1)", {}),
    ("len(*xs)", {"xs": [[1]]}),
    ("(*xs,)", {"xs": [1]}),
    ("x" + " + 1" * 60, {"x": 0}),
    ("", {}),
    ("   ", {}),
]


@pytest.mark.parametrize(("expression", "names"), REFUSED)
def test_escapes_and_abuse_are_refused(expression, names):
    with pytest.raises(ExpressionError):
        evaluate(expression, names)


@pytest.mark.parametrize(
    ("expression", "names", "message"),
    [
        ("__import__('os')", {}, "name '__import__' is not allowed"),
        ("().__class__", {}, "attribute '__class__' is not allowed"),
        ("x.__dict__", {"x": 1}, "attribute '__dict__' is not allowed"),
        ("_private", {}, "name '_private' is not allowed"),
        ("getattr(x, 'y')", {"x": 1}, "function 'getattr' is not available"),
        ("open('/etc/passwd')", {}, "function 'open' is not available"),
        ("exec('1')", {}, "function 'exec' is not available"),
        ("'{0}'.format(x)", {"x": 1}, "attribute 'format' is not allowed"),
        ("x.split()", {"x": "a b"}, "method 'split' is not available"),
        ("lambda: 1", {}, "lambda is not allowed"),
        ("import os", {}, "not a single valid expression"),
        ("x = 1", {}, "not a single valid expression"),
        ("a @ b", {}, "operator '@' is not supported"),
        ("t", {"t": object}, "class 'object' cannot be used"),
        ("json", {"json": json}, "modules are not allowed"),
        ("f", {"f": print}, "'print' cannot be called"),
        ("9**9**9", {}, "too large"),
        ("'a'*10**10", {}, "longer than"),
        ("[a for a in xs for b in xs]", {"xs": list(range(100))}, "comprehension produces more than"),
        ("'x' * (MAX + 1)".replace("MAX", str(expressions.MAX_STRING_LENGTH)), {}, "longer than"),
    ],
)
def test_refusals_name_the_problem(expression, names, message):
    with pytest.raises(ExpressionError) as info:
        evaluate(expression, names)
    assert message in str(info.value)


def test_expression_length_limit():
    too_long = "x" * (MAX_EXPRESSION_LENGTH + 1001)
    with pytest.raises(ExpressionError) as info:
        check_expression(too_long)
    assert str(info.value) == "expression too long (3001 > 2000 characters)"
    at_limit = "'" + "a" * (MAX_EXPRESSION_LENGTH - 2) + "'"
    assert len(at_limit) == MAX_EXPRESSION_LENGTH
    assert evaluate(at_limit, {}) == "a" * (MAX_EXPRESSION_LENGTH - 2)
    with pytest.raises(ExpressionError, match="too long"):
        evaluate("'" + "a" * (MAX_EXPRESSION_LENGTH - 1) + "'", {})


def test_refused_payloads_leave_no_trace_on_disk(tmp_path):
    marker = tmp_path / "pwned"
    payloads = [
        f"__import__('os').system('touch {marker}')",
        f"open('{marker}', 'w').write('x')",
        f"open('{marker}', 'w')",
        f"().__class__.__base__.__subclasses__()[0]('{marker}')",
        f"exec(\"open('{marker}', 'w')\")",
        f"eval(\"open('{marker}', 'w')\")",
        f"[open('{marker}', 'w') for _ in [1]]",
        f"os.system('touch {marker}')",
    ]
    import os

    for payload in payloads:
        with pytest.raises(ExpressionError):
            evaluate(payload, {"os": os})
        assert not marker.exists(), payload


def test_module_in_names_cannot_be_reached_even_through_containers():
    import os

    for names in ({"d": {"m": os}}, {"xs": [os]}, {"m": os}):
        name = next(iter(names))
        with pytest.raises(ExpressionError, match="modules"):
            evaluate(name, names)


def test_refused_method_on_a_non_string_is_never_called():
    sentinel = _Sentinel()
    with pytest.raises(ExpressionError):
        evaluate("x.lower()", {"x": sentinel})
    assert sentinel.called is False


def test_step_budget():
    # 1500 items stays under the comprehension limit; eleven nodes per item exceeds the steps.
    names = {"xs": list(range(1500))}
    with pytest.raises(ExpressionError, match="evaluation exceeded its step budget"):
        evaluate("[a + a + a + a + a + a for a in xs]", names)
    # The same shape over fewer items runs, so the budget is what refused the larger one.
    assert len(evaluate("[a + a + a + a + a + a for a in xs]", {"xs": list(range(500))})) == 500


def _clocks_advancing(monkeypatch, *, wall_step: float, work_step: float) -> None:
    wall = iter(float(n) for n in range(1_000_000))
    work = iter(float(n) for n in range(1_000_000))
    monkeypatch.setattr(expressions, "_wall_clock", lambda: next(wall) * wall_step)
    monkeypatch.setattr(expressions, "_work_clock", lambda: next(work) * work_step)


def test_time_budget(monkeypatch):
    _clocks_advancing(monkeypatch, wall_step=0.1, work_step=0.1)
    with pytest.raises(ExpressionError, match="evaluation exceeded its time budget"):
        evaluate("1 + 2 + 3 + 4 + 5", {})


def test_waiting_for_a_core_does_not_spend_the_time_budget(monkeypatch):
    # Each step sees a second of wall time go by but only a millisecond of the thread's work:
    # a loaded host, not a costly expression.
    _clocks_advancing(monkeypatch, wall_step=1.0, work_step=0.001)
    assert evaluate("1 + 2 + 3 + 4 + 5", {}) == 15


def test_simulated_clock_does_not_relax_the_time_budget(monkeypatch):
    _clocks_advancing(monkeypatch, wall_step=0.1, work_step=0.1)
    with clock_in_effect(SimulatedClock(datetime(2024, 1, 1, tzinfo=UTC))):
        with pytest.raises(ExpressionError, match="time budget"):
            evaluate("1 + 2 + 3 + 4 + 5", {})


def test_built_sizes_are_bounded():
    assert len(evaluate("'a' * MAX", {"MAX": expressions.MAX_STRING_LENGTH})) == expressions.MAX_STRING_LENGTH
    assert len(evaluate("[0] * MAX", {"MAX": expressions.MAX_LIST_LENGTH})) == expressions.MAX_LIST_LENGTH
    for expression in ("'a' * (MAXS + 1)", "[0] * (MAXL + 1)", "(0,) * (MAXL + 1)",
                       "[0] * MAXL + [0]", "'a' * MAXS + 'a'",
                       "f'{s}{s}'"):
        with pytest.raises(ExpressionError, match="longer than"):
            evaluate(expression, {"MAXS": expressions.MAX_STRING_LENGTH,
                                  "MAXL": expressions.MAX_LIST_LENGTH,
                                  "s": "x" * (expressions.MAX_STRING_LENGTH // 2 + 1)})
    # Data handed in is not limited, only what the expression builds from it.
    big = "y" * (expressions.MAX_STRING_LENGTH * 2)
    assert evaluate("'urgent' in notes", {"notes": big}) is False


def test_simpleeval_module_globals_are_left_alone():
    before = (simpleeval.MAX_POWER, simpleeval.MAX_STRING_LENGTH, simpleeval.MAX_COMPREHENSION_LENGTH)
    for expression in ("2 ** 10", "'a' * 3", "[i for i in xs]"):
        evaluate(expression, {"xs": [1, 2]})
    with pytest.raises(ExpressionError):
        evaluate("9**9**9", {})
    after = (simpleeval.MAX_POWER, simpleeval.MAX_STRING_LENGTH, simpleeval.MAX_COMPREHENSION_LENGTH)
    assert after == before
    # Our limits are stricter than simpleeval's: simpleeval alone would accept this.
    assert simpleeval.EvalWithCompoundTypes().eval("'a' * 60000") == "a" * 60000
    with pytest.raises(ExpressionError):
        evaluate("'a' * 60000", {})


# ----------------------------------------------------------------------------------------------
# Failures become ExpressionError, chained


@pytest.mark.parametrize(
    ("expression", "names", "cause", "fragment"),
    [
        ("1 / 0", {}, ZeroDivisionError, "ZeroDivisionError: division by zero"),
        ("d['missing']", {"d": {}}, KeyError, "KeyError: 'missing'"),
        ("'a' + 1", {}, TypeError, "TypeError"),
        ("int('abc')", {}, ValueError, "invalid literal"),
        ("unknown + 1", {}, simpleeval.NameNotDefined, "'unknown' is not defined"),
        ("9**9**9", {}, simpleeval.NumberTooHigh, "too large"),
        ("[1] * 10**9", {}, simpleeval.IterableTooLong, "longer than"),
        ("now() + days(100000) * 100", {}, OverflowError, "OverflowError"),
    ],
)
def test_evaluation_failures_are_wrapped_and_chained(expression, names, cause, fragment):
    with pytest.raises(ExpressionError) as info:
        evaluate(expression, names)
    assert isinstance(info.value.__cause__, cause)
    assert fragment in str(info.value)


def test_check_expression_does_not_evaluate():
    # Unknown names and would-fail arithmetic pass the static check; only evaluation fails.
    assert check_expression("undefined_thing / 0 > 1") is None
    assert check_expression("  \n  amount > 10\n  ") is None
    with pytest.raises(ExpressionError, match="function 'open' is not available"):
        check_expression("open('x')")
    with pytest.raises(ExpressionError, match="must be text"):
        check_expression(None)  # type: ignore[arg-type]


def test_deep_nesting_is_refused_before_it_can_exhaust_the_stack():
    depth = 400
    with pytest.raises(ExpressionError, match="nested too deeply"):
        check_expression("-" * depth + "1")
    with pytest.raises(ExpressionError):
        check_expression("(" * depth + "1" + ")" * depth)
    # Just inside the limit still evaluates, well clear of the interpreter's recursion limit.
    assert evaluate("-" * (expressions.MAX_NESTING_DEPTH - 2) + "1", {}) == 1


# ----------------------------------------------------------------------------------------------
# Values for SpiffWorkflow timers


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(days=3, hours=2), "P3DT2H"),
        (timedelta(seconds=90), "PT1M30S"),
        (timedelta(seconds=1.5), "PT1.5S"),
        (timedelta(0), "PT0S"),
        (timedelta(days=2), "P2D"),
        (timedelta(hours=24), "P1D"),
        (timedelta(minutes=5), "PT5M"),
        (timedelta(days=1, minutes=1), "P1DT1M"),
        (timedelta(days=400, hours=23, minutes=59, seconds=59, microseconds=250000), "P400DT23H59M59.25S"),
        (timedelta(microseconds=1), "PT0.000001S"),
    ],
)
def test_durations_become_iso_text_spiff_parses_back(delta, text):
    assert to_engine_value(delta) == text
    parsed = TimerEventDefinition.parse_iso_duration(text)
    start = datetime(2024, 2, 28, 12, 0, tzinfo=UTC)
    assert TimerEventDefinition.get_timedelta_from_start(parsed, start) == delta


def test_negative_duration_is_refused():
    with pytest.raises(ExpressionError, match="negative"):
        to_engine_value(timedelta(seconds=-1))


def test_datetimes_become_utc_iso_text():
    bangkok = timezone(timedelta(hours=7))
    moment = datetime(2024, 5, 1, 9, 30, tzinfo=bangkok)
    text = to_engine_value(moment)
    assert text == "2024-05-01T02:30:00+00:00"
    assert TimerEventDefinition.get_datetime(text) == moment
    with pytest.raises(ExpressionError, match="no time zone"):
        to_engine_value(datetime(2024, 5, 1, 9, 30))


def test_other_values_pass_through_unchanged():
    payload = {"a": [1, 2]}
    assert to_engine_value(payload) is payload
    for value in (True, False, 0, 42, 1.5, "PT24H", None):
        assert to_engine_value(value) == value
        assert type(to_engine_value(value)) is type(value)


# ----------------------------------------------------------------------------------------------
# The SpiffWorkflow bridge


def test_environment_evaluates_and_converts():
    env = ExpressionOnlyEnvironment()
    assert env.evaluate("days(2)", {}) == "P2D"
    assert env.evaluate("'PT24H'", {}) == "PT24H"
    assert env.evaluate("amount > 10", {"amount": 42}) is True
    clock = SimulatedClock(datetime(2024, 1, 1, tzinfo=UTC))
    with clock_in_effect(clock):
        assert env.evaluate("now() + hours(1)", {}) == "2024-01-01T01:00:00+00:00"


def test_environment_task_data_wins_over_data_objects():
    env = ExpressionOnlyEnvironment()
    assert env.evaluate("a + b", {"a": 1}, external_context={"a": 100, "b": 10}) == 11


def test_environment_refuses_scripts_and_services():
    env = ExpressionOnlyEnvironment()
    with pytest.raises(ScriptRefused, match="script execution is disabled in Khumkrong protocols"):
        env.execute("x = 1", {})
    with pytest.raises(ScriptRefused):
        env.call_service({}, operation_name="http/get", operation_params={})
    assert issubclass(ScriptRefused, ExpressionError)
    with pytest.raises(ExpressionError, match="not allowed"):
        env.evaluate("__import__('os')", {})


def test_script_engine_factory():
    engine = make_script_engine()
    assert isinstance(engine, PythonScriptEngine)
    assert isinstance(engine.environment, ExpressionOnlyEnvironment)
    assert isinstance(SCRIPT_ENGINE.environment, ExpressionOnlyEnvironment)


def test_script_engine_refuses_script_tasks_and_service_calls():
    workflow = _workflow("amount > 10", SCRIPT_ENGINE)
    task = workflow.get_next_task(state=TaskState.READY)
    with pytest.raises(WorkflowTaskException) as info:
        SCRIPT_ENGINE.execute(task, "amount = 1000")
    assert isinstance(info.value.__context__, ScriptRefused)
    assert "amount" not in task.data
    # SpiffWorkflow 3.2.0's own call_service error path raises NameError; ours must not.
    with pytest.raises(WorkflowTaskException) as info:
        SCRIPT_ENGINE.call_service(task, operation_name="http/get", operation_params={})
    assert isinstance(info.value.__cause__, ScriptRefused)


GATEWAY_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="defs_{pid}" targetNamespace="http://khumkrong.test/bpmn">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>to_gateway</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="to_gateway" sourceRef="start" targetRef="gateway" />
    <bpmn:exclusiveGateway id="gateway" default="to_small">
      <bpmn:incoming>to_gateway</bpmn:incoming>
      <bpmn:outgoing>to_large</bpmn:outgoing>
      <bpmn:outgoing>to_small</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="to_large" sourceRef="gateway" targetRef="large_amount">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_small" sourceRef="gateway" targetRef="small_amount" />
    <bpmn:task id="large_amount">
      <bpmn:incoming>to_large</bpmn:incoming><bpmn:outgoing>large_done</bpmn:outgoing>
    </bpmn:task>
    <bpmn:task id="small_amount">
      <bpmn:incoming>to_small</bpmn:incoming><bpmn:outgoing>small_done</bpmn:outgoing>
    </bpmn:task>
    <bpmn:sequenceFlow id="large_done" sourceRef="large_amount" targetRef="end_large" />
    <bpmn:sequenceFlow id="small_done" sourceRef="small_amount" targetRef="end_small" />
    <bpmn:endEvent id="end_large"><bpmn:incoming>large_done</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_small"><bpmn:incoming>small_done</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def _workflow(condition: str, script_engine, pid: str = "route_by_amount") -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(GATEWAY_BPMN.format(pid=pid, condition=escape(condition)).encode("utf-8"))
    return BpmnWorkflow(parser.get_spec(pid), script_engine=script_engine)


def _completed(workflow: BpmnWorkflow) -> set[str]:
    return {task.task_spec.name for task in workflow.get_tasks(state=TaskState.COMPLETED)}


@pytest.mark.parametrize(
    ("amount", "taken", "skipped"),
    [(42, "large_amount", "small_amount"), (3, "small_amount", "large_amount")],
)
def test_gateway_in_a_real_workflow_takes_the_right_branch(amount, taken, skipped):
    workflow = _workflow("amount > 10", SCRIPT_ENGINE)
    workflow.get_next_task(state=TaskState.READY).set_data(amount=amount)
    workflow.do_engine_steps()
    # bpmn:task is a manual task in SpiffWorkflow: the gateway has chosen, the task waits.
    ready = workflow.get_tasks(state=TaskState.READY)
    assert [task.task_spec.name for task in ready] == [taken]
    ready[0].run()
    workflow.do_engine_steps()
    assert workflow.is_completed()
    done = _completed(workflow)
    assert {taken, "end_" + taken.split("_")[0]} <= done
    assert skipped not in done


def test_gateway_with_a_hostile_condition_fails_and_runs_nothing(tmp_path):
    marker = tmp_path / "khumkrong_pwned"
    condition = f"__import__('os').system('touch {marker}')"
    workflow = _workflow(condition, SCRIPT_ENGINE)
    workflow.get_next_task(state=TaskState.READY).set_data(amount=42)
    with pytest.raises(Exception) as info:
        workflow.do_engine_steps()
    chain, error = [], info.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(e, ExpressionError) and "'__import__' is not allowed" in str(e) for e in chain)
    assert not marker.exists()
    assert not workflow.is_completed()
    assert not workflow.get_tasks(state=TaskState.READY)


def test_hostile_condition_is_live_under_spiffs_default_engine(tmp_path):
    # Control for the test above: the same diagram really does run a shell command when
    # SpiffWorkflow's eval-based engine is used, so "no file" above is meaningful.
    marker = tmp_path / "khumkrong_pwned"
    workflow = _workflow(f"__import__('os').system('touch {marker}')", PythonScriptEngine())
    workflow.get_next_task(state=TaskState.READY).set_data(amount=42)
    workflow.do_engine_steps()
    assert marker.exists()
