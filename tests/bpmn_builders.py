"""Small protocols built in code, for the rules about size and shape (one lane: pmj_tak).

Each builder returns BPMN text that lints clean under the shipped network, except for what its
arguments ask for: a thousand parallel tasks, a repeating timer, a long name. ``lint`` says what
lint finds in one, refused or not.
"""
from __future__ import annotations

from typing import Any
from xml.sax.saxutils import quoteattr

from engine.errors import ProtocolInvalid
from engine.protocols.findings import Finding
from engine.protocols.parsing import parse_protocol


def lint_findings(data: str, network: Any, **options: Any) -> list[Finding]:
    """Every finding of a parse, whether the protocol was refused or not."""
    try:
        return parse_protocol(data, network=network, **options).findings
    except ProtocolInvalid as exc:
        return exc.findings


def lint(data: str, network: Any, **options: Any) -> list[tuple[str, str | None]]:
    """(code, element) of every finding."""
    return [(f.code, f.element_id) for f in lint_findings(data, network, **options)]

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="built" targetNamespace="https://khumkrong.example/built">\n'
)


def protocol(body: str, *, tasks: list[str], process_name: str = "ทดสอบ", lane: str = "pmj_tak", extra: str = "") -> str:
    """A process with *body* inside, whose user tasks (*tasks*) all sit in one *lane*."""
    refs = "".join(f"<bpmn:flowNodeRef>{task}</bpmn:flowNodeRef>" for task in tasks)
    return (
        HEAD + extra
        + f'<bpmn:process id="built_case" name={quoteattr(process_name)} isExecutable="true">\n'
        + f'<bpmn:laneSet id="lanes"><bpmn:lane id="the_lane" name="{lane}">{refs}</bpmn:lane></bpmn:laneSet>\n'
        + body + "\n</bpmn:process>\n</bpmn:definitions>\n"
    )


def task(task_id: str, incoming: str, outgoing: str, *, attributes: str = "", inner: str = "") -> str:
    return (
        f'<bpmn:userTask id="{task_id}"{attributes}><bpmn:incoming>{incoming}</bpmn:incoming>'
        f"<bpmn:outgoing>{outgoing}</bpmn:outgoing>{inner}</bpmn:userTask>\n"
    )


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>\n'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>\n"
    )


def one_task(*, attributes: str = "", inner: str = "", name: str = "ประเมิน", process_name: str = "ทดสอบ", after: str = "") -> str:
    """start → a user task 'assess' → end, plus whatever *after* adds (boundary events, say)."""
    body = (
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        + task("assess", "f1", "f2", attributes=f" name={quoteattr(name)}{attributes}", inner=inner)
        + '<bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        + flow("f1", "begin", "assess") + flow("f2", "assess", "done") + after
    )
    return protocol(body, tasks=["assess"], process_name=process_name)


def with_timer(kind: str, text: str, *, interrupting: bool = False) -> str:
    """A task with a boundary timer 'assess_deadline' (its definition has an id, as modellers write)."""
    boundary = (
        f'<bpmn:boundaryEvent id="assess_deadline" attachedToRef="assess" cancelActivity="{str(interrupting).lower()}">'
        '<bpmn:outgoing>f3</bpmn:outgoing>'
        f'<bpmn:timerEventDefinition id="assess_deadline_timer"><bpmn:{kind}>{text}</bpmn:{kind}></bpmn:timerEventDefinition>'
        "</bpmn:boundaryEvent>\n"
        '<bpmn:endEvent id="late"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>\n' + flow("f3", "assess_deadline", "late")
    )
    return one_task(after=boundary)


def waiting(kind: str, text: str) -> str:
    """start → an intermediate timer 'wait' → end (no user task at all)."""
    body = (
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
        f'<bpmn:timerEventDefinition id="wait_timer"><bpmn:{kind}>{text}</bpmn:{kind}></bpmn:timerEventDefinition>'
        "</bpmn:intermediateCatchEvent>\n"
        '<bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        + flow("f1", "begin", "wait") + flow("f2", "wait", "done")
    )
    return protocol(body, tasks=[])


def parallel_tasks(count: int, *, inner: str = "") -> str:
    """start → parallel split → *count* user tasks → parallel join → end."""
    parts = [
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n',
        '<bpmn:parallelGateway id="split"><bpmn:incoming>f0</bpmn:incoming></bpmn:parallelGateway>\n',
        '<bpmn:parallelGateway id="join"><bpmn:outgoing>f9</bpmn:outgoing></bpmn:parallelGateway>\n',
        '<bpmn:endEvent id="done"><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>\n',
        flow("f0", "begin", "split"), flow("f9", "join", "done"),
    ]
    ids = [f"t{i}" for i in range(count)]
    for task_id in ids:
        parts.append(f'<bpmn:userTask id="{task_id}">{inner}</bpmn:userTask>' if inner else f'<bpmn:userTask id="{task_id}"/>')
        parts.append(flow(f"a{task_id}", "split", task_id) + flow(f"b{task_id}", task_id, "join"))
    return protocol("".join(parts), tasks=ids)


def sequential_tasks(count: int, *, deadlines: bool = False) -> str:
    """start → *count* user tasks one after the other → end; each with a deadline if asked."""
    parts = ['<bpmn:startEvent id="begin"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n']
    ids = [f"t{i}" for i in range(count)]
    for index, task_id in enumerate(ids):
        parts.append(task(task_id, f"f{index}", f"f{index + 1}"))
        parts.append(flow(f"f{index}", "begin" if index == 0 else f"t{index - 1}", task_id))
        if deadlines:
            parts.append(
                f'<bpmn:boundaryEvent id="{task_id}_late" attachedToRef="{task_id}" cancelActivity="false">'
                f'<bpmn:outgoing>{task_id}_l</bpmn:outgoing><bpmn:timerEventDefinition>'
                '<bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
                f'<bpmn:endEvent id="{task_id}_escalated"><bpmn:incoming>{task_id}_l</bpmn:incoming></bpmn:endEvent>'
                + flow(f"{task_id}_l", f"{task_id}_late", f"{task_id}_escalated")
            )
    parts.append(f'<bpmn:endEvent id="done"><bpmn:incoming>f{count}</bpmn:incoming></bpmn:endEvent>\n')
    parts.append(flow(f"f{count}", f"t{count - 1}", "done"))
    return protocol("".join(parts), tasks=ids)


def condition(expression: str) -> str:
    """A gateway whose flow 'risky' carries *expression*; the default flow 'otherwise'."""
    body = (
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        + task("assess", "f1", "f2")
        + '<bpmn:exclusiveGateway id="decide" default="otherwise"><bpmn:incoming>f2</bpmn:incoming>'
        "<bpmn:outgoing>risky</bpmn:outgoing><bpmn:outgoing>otherwise</bpmn:outgoing></bpmn:exclusiveGateway>\n"
        '<bpmn:endEvent id="done"><bpmn:incoming>risky</bpmn:incoming><bpmn:incoming>otherwise</bpmn:incoming></bpmn:endEvent>\n'
        + flow("f1", "begin", "assess") + flow("f2", "assess", "decide")
        + flow("risky", "decide", "done", expression) + flow("otherwise", "decide", "done")
    )
    return protocol(body, tasks=["assess"])
