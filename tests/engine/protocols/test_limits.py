"""The network's [limits] at lint: repeating timers, size, parallel width, multi-instances.

Issue 9, items 1 and 9: a zero-gap repeating timer hung case creation and the deadline worker,
and a protocol of 8,000 parallel tasks made every completion take seconds. Both published; both
must now be refused with the element named.
"""
from __future__ import annotations

import dataclasses

import pytest

from engine.forms.catalogue import FormCatalogue
from engine.protocols.findings import Finding, Severity
from engine.protocols.parsing import parse_protocol
from tests.bpmn_builders import (
    flow,
    parallel_tasks,
    protocol,
    sequential_tasks,
    task,
    waiting,
    with_timer,
)
from tests.bpmn_builders import (
    lint_findings as lint,
)


def found(findings: list[Finding]) -> list[tuple[str, str | None]]:
    return [(f.code, f.element_id) for f in findings]


def limited(network, **limits):
    return dataclasses.replace(network, limits=dataclasses.replace(network.limits, **limits))


# -- repeating timers ---------------------------------------------------------------------------

UNBOUNDED_AND_TOO_FREQUENT = [("timer-cycle-too-frequent", "assess_deadline"), ("timer-cycle-unbounded", "assess_deadline")]


@pytest.mark.parametrize("cycle, expected", [
    ("R/PT0S", UNBOUNDED_AND_TOO_FREQUENT),
    ("R/2026-12-01T09:00:00+07:00/PT0S", UNBOUNDED_AND_TOO_FREQUENT),
    ("R/PT1S", UNBOUNDED_AND_TOO_FREQUENT),
    ("R5/PT0S", [("timer-cycle-too-frequent", "assess_deadline")]),
    ("R5/2026-12-01T09:00:00+07:00/PT59M", [("timer-cycle-too-frequent", "assess_deadline")]),
    ("R2/PT1S/2027-01-01T00:00:00Z", [("timer-cycle-too-frequent", "assess_deadline")]),
    ("R/P1D", [("timer-cycle-unbounded", "assess_deadline")]),
    ("R366/P1D", [("timer-cycle-unbounded", "assess_deadline")]),
    # Expressions that evaluate to a constant are held to the same limits as literals.
    ('"R/PT0S"', UNBOUNDED_AND_TOO_FREQUENT),
    ("'R' + '/' + 'PT0S'", UNBOUNDED_AND_TOO_FREQUENT),
])
def test_cycles_below_the_floor_or_without_a_bounded_count_are_refused_at_their_event(network, cycle, expected):
    findings = lint(with_timer("timeCycle", cycle), network)
    assert found(findings) == expected
    assert all(f.severity is Severity.ERROR for f in findings)
    # Named by the boundary event the canvas draws, never by its timerEventDefinition.
    assert all("assess_deadline_timer" != f.element_id for f in findings)


@pytest.mark.parametrize("bounded, beyond", [
    ("R3/PT1H", "R3/PT59M59S"),
    ("R365/P1D", "R366/P1D"),
    ("R30/2026-12-01T09:00:00+07:00/P1D", "R/2026-12-01T09:00:00+07:00/P1D"),
    ("R2/PT1H/2027-01-01T00:00:00Z", "R2/PT30M/2027-01-01T00:00:00Z"),
    ("R0/PT1H", "R/PT1H"),
])
def test_a_bounded_cycle_at_the_floor_passes_and_one_step_beyond_is_refused(network, bounded, beyond):
    assert lint(with_timer("timeCycle", bounded), network) == []
    assert lint(with_timer("timeCycle", beyond), network) != []


def test_an_intermediate_timer_is_named_by_its_event(network):
    assert found(lint(waiting("timeCycle", "R/PT0S"), network)) == [
        ("timer-cycle-too-frequent", "wait"), ("timer-cycle-unbounded", "wait"),
    ]


def test_a_cycle_read_from_case_data_cannot_be_bounded_and_is_refused(network):
    findings = lint(with_timer("timeCycle", "'R3/' + reminder_gap"), network)
    assert found(findings) == [("timer-cycle-unbounded", "assess_deadline")]
    assert "reminder_gap" in findings[0].message_en and "reminder_gap" in findings[0].message_th
    # Durations read from case data stay a warning: they fire once.
    assert found(lint(with_timer("timeDuration", "days(extra_days)"), network)) == [
        ("timer-unverifiable", "assess_deadline"),
    ]


def test_the_floor_and_the_count_come_from_the_network(network):
    daily = limited(network, min_cycle_interval="P1D", max_cycle_repetitions=10)
    assert found(lint(with_timer("timeCycle", "R3/PT12H"), daily)) == [("timer-cycle-too-frequent", "assess_deadline")]
    assert found(lint(with_timer("timeCycle", "R11/P1D"), daily)) == [("timer-cycle-unbounded", "assess_deadline")]
    findings = lint(with_timer("timeCycle", "R/PT0S"), daily)
    assert "P1D" in findings[0].message_en and "P1D" in findings[0].message_th
    assert "10" in findings[1].message_en and "10" in findings[1].message_th


# -- size and width -----------------------------------------------------------------------------


def test_eight_thousand_parallel_tasks_are_refused_at_the_process(network):
    findings = lint(parallel_tasks(8000), network)
    assert found(findings) == [("too-many-flow-nodes", "built_case")]
    assert "8004" in findings[0].message_en and "300" in findings[0].message_en


def test_flow_nodes_up_to_the_limit_pass_and_one_more_is_refused(network):
    # start + 298 tasks + end = 300: the limit itself passes, one more is refused.
    assert lint(sequential_tasks(298), network) == []
    assert found(lint(sequential_tasks(299), network)) == [("too-many-flow-nodes", "built_case")]


def test_flow_nodes_inside_subprocesses_count(network):
    inner = (
        '<bpmn:subProcess id="visits"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>'
        '<bpmn:startEvent id="v0"><bpmn:outgoing>v1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:endEvent id="v2"><bpmn:incoming>v1</bpmn:incoming></bpmn:endEvent>' + flow("v1", "v0", "v2")
        + "</bpmn:subProcess>"
    )
    body = (
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>' + inner
        + '<bpmn:endEvent id="done"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>'
        + flow("f0", "begin", "visits") + flow("f1", "visits", "done")
    )
    document = protocol(body, tasks=[])
    assert lint(document, limited(network, max_flow_nodes=5)) == []  # begin, visits, v0, v2, done
    assert found(lint(document, limited(network, max_flow_nodes=4))) == [("too-many-flow-nodes", "built_case")]


def test_a_pool_is_named_rather_than_its_process(network):
    pool = '<bpmn:collaboration id="talk"><bpmn:participant id="pool" name="ทดสอบ" processRef="built_case"/></bpmn:collaboration>\n'
    document = protocol(
        '<bpmn:startEvent id="begin"/>', tasks=[], extra=pool,
    )
    assert found(lint(document, limited(network, max_flow_nodes=0))) == [("too-many-flow-nodes", "pool")]


def test_parallel_branches_up_to_the_limit_pass_and_one_more_is_refused_at_the_split(network):
    assert lint(parallel_tasks(20), network) == []
    findings = lint(parallel_tasks(21), network)
    assert found(findings) == [("too-many-branches", "split")]
    assert "21" in findings[0].message_en and "21" in findings[0].message_th


def test_an_event_with_several_outgoing_flows_is_a_parallel_split(network):
    targets = [f"t{i}" for i in range(3)]
    body = (
        '<bpmn:startEvent id="begin">' + "".join(f"<bpmn:outgoing>o{t}</bpmn:outgoing>" for t in targets)
        + "</bpmn:startEvent>\n"
        + "".join(task(t, f"o{t}", f"e{t}") + f'<bpmn:endEvent id="end_{t}"><bpmn:incoming>e{t}</bpmn:incoming></bpmn:endEvent>'
                  + flow(f"o{t}", "begin", t) + flow(f"e{t}", t, f"end_{t}") for t in targets)
    )
    document = protocol(body, tasks=targets)
    assert lint(document, network) == []
    assert found(lint(document, limited(network, max_parallel_branches=2))) == [("too-many-branches", "begin")]
    assert found(lint(document, limited(network, max_concurrent_tokens=2))) == [("too-many-concurrent-tokens", "begin")]


def test_nested_splits_multiply_into_concurrent_tokens(network):
    # Eight parallel branches, each a multi-instance of seven: 56 open tasks at once.
    inner = '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>7</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>'
    assert lint(parallel_tasks(7, inner=inner), network) == []  # 49
    findings = lint(parallel_tasks(8, inner=inner), network)
    assert found(findings) == [("too-many-concurrent-tokens", "split")]
    assert "56" in findings[0].message_en and "56" in findings[0].message_th


def test_a_deadline_path_holds_only_the_work_it_starts_but_that_runs_beside_what_follows(network):
    # Sixty tasks in a row, each with a non-interrupting deadline whose path ends at once: one
    # task is open at a time, however many deadlines have fired.
    assert lint(sequential_tasks(60, deadlines=True), limited(network, max_concurrent_tokens=1)) == []
    # Each deadline opens a follow-up task that may still be open when later tasks are: a row of
    # four such tasks can hold five open tasks at once.
    document = sequential_tasks(4, deadlines=True)
    for index in range(4):
        document = document.replace(
            f'<bpmn:endEvent id="t{index}_escalated"><bpmn:incoming>t{index}_l</bpmn:incoming></bpmn:endEvent>',
            task(f"t{index}_follow", f"t{index}_l", f"t{index}_x")
            + f'<bpmn:endEvent id="t{index}_escalated"><bpmn:incoming>t{index}_x</bpmn:incoming></bpmn:endEvent>'
            + flow(f"t{index}_x", f"t{index}_follow", f"t{index}_escalated"),
        ).replace(
            f'sourceRef="t{index}_late" targetRef="t{index}_escalated"', f'sourceRef="t{index}_late" targetRef="t{index}_follow"',
        ).replace("<bpmn:flowNodeRef>t0</bpmn:flowNodeRef>", f"<bpmn:flowNodeRef>t0</bpmn:flowNodeRef><bpmn:flowNodeRef>t{index}_follow</bpmn:flowNodeRef>")
    assert lint(document, limited(network, max_concurrent_tokens=5)) == []
    assert found(lint(document, limited(network, max_concurrent_tokens=4))) == [("too-many-concurrent-tokens", "t0")]


def test_an_exclusive_choice_holds_its_widest_way_not_their_sum(network):
    inner = '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>30</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>'
    body = (
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:exclusiveGateway id="choose" default="to_b"><bpmn:incoming>f0</bpmn:incoming>'
        "<bpmn:outgoing>to_a</bpmn:outgoing><bpmn:outgoing>to_b</bpmn:outgoing></bpmn:exclusiveGateway>\n"
        + task("a", "to_a", "fa", inner=inner) + task("b", "to_b", "fb", inner=inner)
        + '<bpmn:endEvent id="done"><bpmn:incoming>fa</bpmn:incoming><bpmn:incoming>fb</bpmn:incoming></bpmn:endEvent>\n'
        + flow("f0", "begin", "choose") + flow("to_a", "choose", "a", "x == 1") + flow("to_b", "choose", "b")
        + flow("fa", "a", "done") + flow("fb", "b", "done")
    )
    document = protocol(body, tasks=["a", "b"])
    assert lint(document, network) == []  # 30, not 60
    # Over the limit, the finding names the multi-instance the choice leads to, not the choice.
    assert found(lint(document, limited(network, max_concurrent_tokens=29))) == [("too-many-concurrent-tokens", "a")]


# -- multi-instance -----------------------------------------------------------------------------


def multi_instance(characteristics: str, *, before_form: str | None = None) -> str:
    """A task 'collect' (with form *before_form*, if given) before a multi-instance task 'visit'."""
    attributes = f' camunda:formKey="{before_form}"' if before_form else ""
    body = (
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
        + task("collect", "f0", "f1", attributes=attributes)
        + task("visit", "f1", "f2", attributes=' camunda:formKey="visit"' if before_form else "", inner=f"<bpmn:multiInstanceLoopCharacteristics>{characteristics}</bpmn:multiInstanceLoopCharacteristics>")
        + '<bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        + flow("f0", "begin", "collect") + flow("f1", "collect", "visit") + flow("f2", "visit", "done")
    )
    return protocol(body, tasks=["collect", "visit"])


COLLECTION = '<bpmn:loopDataInputRef>schools</bpmn:loopDataInputRef><bpmn:inputDataItem id="school" name="school"/>'


def forms_with(schools: dict, visits: dict | None = None) -> FormCatalogue:
    properties = {"schools": schools}
    if visits is not None:
        properties["visits"] = visits
    return FormCatalogue.of({"collect": {"type": "object", "properties": properties}, "visit": {"type": "object"}})


def test_a_constant_cardinality_is_held_to_the_limit(network):
    def cardinality(text: str):
        return found(lint(multi_instance(f"<bpmn:loopCardinality>{text}</bpmn:loopCardinality>"), network))

    assert cardinality("50") == []
    for beyond in ("51", "8000", "10 * 10"):
        assert cardinality(beyond) == [("multi-instance-too-many", "visit")]


def test_a_sequential_multi_instance_is_still_held_to_the_limit(network):
    characteristics = "<bpmn:loopCardinality>51</bpmn:loopCardinality>"
    document = multi_instance(characteristics).replace(
        "<bpmn:multiInstanceLoopCharacteristics>", '<bpmn:multiInstanceLoopCharacteristics isSequential="true">')
    assert found(lint(document, network)) == [("multi-instance-too-many", "visit")]


def test_an_input_collection_is_bounded_by_the_form_field_it_comes_from(network):
    def collected(schools: dict) -> list[Finding]:
        return lint(multi_instance(COLLECTION, before_form="collect"), network, forms=forms_with(schools))

    assert collected({"type": "array", "maxItems": 50}) == []
    assert found(collected({"type": "array", "maxItems": 51})) == [("multi-instance-too-many", "visit")]
    unbounded = collected({"type": "array"})
    assert found(unbounded) == [("multi-instance-too-many", "visit")]
    assert "maxItems" in unbounded[0].message_en and "schools" in unbounded[0].message_th


def test_a_counted_cardinality_is_bounded_by_its_form_field(network):
    counted = multi_instance("<bpmn:loopCardinality>visits</bpmn:loopCardinality>", before_form="collect")
    assert lint(counted, network, forms=forms_with({"type": "array"}, {"type": "integer", "maximum": 12})) == []
    assert found(lint(counted, network, forms=forms_with({"type": "array"}, {"type": "integer"}))) == [
        ("multi-instance-too-many", "visit"),
    ]
    by_length = multi_instance("<bpmn:loopCardinality>len(schools)</bpmn:loopCardinality>", before_form="collect")
    assert lint(by_length, network, forms=forms_with({"type": "array", "maxItems": 9})) == []


def test_a_collection_no_form_bounds_is_a_warning(network):
    parsed = parse_protocol(multi_instance(COLLECTION), network=network)
    assert found(parsed.findings) == [("multi-instance-unverifiable", "visit")]
    assert parsed.findings[0].severity is Severity.WARNING
    # With forms, a list that no form before the task asks for is no better.
    nothing_asked = FormCatalogue.of({"collect": {"type": "object"}, "visit": {"type": "object"}})
    assert found(lint(multi_instance(COLLECTION, before_form="collect"), network, forms=nothing_asked)) == [
        ("multi-instance-unverifiable", "visit"),
    ]

