"""Form schemas whose check could hang or recurse are refused when stored (issue 9, items 8 and
13), and patterns are matched in linear time even in a form stored before these checks."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine.errors import InvalidInput
from engine.forms.safety import check_form_safety, nested_quantifier
from engine.forms.service import put_form


def _form(**field: object) -> dict:
    return {"type": "object", "properties": {"code": {"type": "string", **field}}}


@pytest.mark.parametrize("pattern", [
    "^(a+)+$", "(a*)*", r"^(\d+)*$", "([a-z]+)+x", "(a{1,5})+", "((ab)+c?)*", "(?:x|y+)+", r"((\w+))*", "(a+){2,}",
])
def test_nested_quantifiers_are_refused_naming_the_pattern(session, clock, pattern):
    with pytest.raises(InvalidInput) as refused:
        put_form(session, key="bad", schema=_form(pattern=pattern), clock=clock)
    assert refused.value.details["field"] == "schema.properties.code.pattern"
    assert "repeats a group" in refused.value.message


@pytest.mark.parametrize("pattern", [
    "^TAK-[0-9]{4}-[0-9]{6}$", "(ab)+", "[a+]+", r"\(a+\)+", "(a+)?", "(?:a|b)+", r"(\d{4})+", r"^\d{13}$",
    "^[ก-๙ ]+$", "(a?)+", "x{2}y*",
])
def test_ordinary_patterns_are_accepted(session, clock, pattern):
    assert nested_quantifier(pattern) is None
    put_form(session, key="fine", schema=_form(pattern=pattern), clock=clock)


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?=a)b", "(?<!a)b"])
def test_patterns_the_linear_engine_cannot_run_are_refused(session, clock, pattern):
    with pytest.raises(InvalidInput) as refused:
        put_form(session, key="bad", schema=_form(pattern=pattern), clock=clock)
    assert refused.value.details["field"] == "schema.properties.code.pattern"


def test_a_nested_pattern_is_found_anywhere_in_the_schema(session, clock):
    schema = {"type": "object", "properties": {"guardians": {"type": "array", "items": {
        "type": "object", "properties": {"phone": {"type": "string", "pattern": "^([0-9]+-?)+$"}}}}}}
    with pytest.raises(InvalidInput) as refused:
        put_form(session, key="bad", schema=schema, clock=clock)
    assert refused.value.details["field"] == "schema.properties.guardians.items.properties.phone.pattern"


def test_a_catastrophic_pattern_stored_before_the_check_is_matched_in_linear_time():
    """A form that bypassed the check (stored before it existed) must not stall the server: the
    check runs in a child process so that the backtracking engine, if used, cannot hang the suite."""
    script = (
        "import json, sys\n"
        "from engine.forms.validation import field_errors\n"
        "schema = json.loads(sys.argv[1])\n"
        "print(json.dumps(field_errors(schema, {'code': 'a' * 40 + '!'})))\n"
    )
    try:
        run = subprocess.run([sys.executable, "-c", script, json.dumps(_form(pattern="^(a+)+$"))],
                             capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("checking 41 characters against ^(a+)+$ did not finish within a minute (backtracking)")
    assert run.returncode == 0, run.stderr
    assert [e["field"] for e in json.loads(run.stdout)] == ["code"]


@pytest.mark.parametrize("schema, where", [
    ({"type": "object", "$ref": "#"}, "schema.$ref"),
    ({"type": "object", "properties": {"child": {"$ref": "#"}}}, "schema.properties.child.$ref"),
    ({"type": "object", "properties": {"x": {"$ref": "#/$defs/a"}},
      "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}}}, None),
    ({"type": "object", "properties": {"x": {"$ref": "#/properties/x"}}}, "schema.properties.x.$ref"),
    ({"type": "object", "properties": {"x": {"$ref": "#/$defs/missing"}}}, "schema.properties.x.$ref"),
    ({"type": "object", "properties": {"x": {"$ref": "other.json#/a"}}}, "schema.properties.x.$ref"),
    ({"type": "object", "properties": {"x": {"$dynamicRef": "#node"}}}, "schema.properties.x.$dynamicRef"),
])
def test_self_referencing_and_unresolvable_schemas_are_refused(session, clock, schema, where):
    with pytest.raises(InvalidInput) as refused:
        put_form(session, key="loop", schema=schema, clock=clock)
    if where is not None:
        assert refused.value.details["field"] == where


def test_references_to_shared_definitions_are_fine():
    check_form_safety({
        "type": "object",
        "$defs": {"name": {"type": "string", "maxLength": 100}, "person": {
            "type": "object", "properties": {"first": {"$ref": "#/$defs/name"}, "last": {"$ref": "#/$defs/name"}}}},
        "properties": {"child": {"$ref": "#/$defs/person"}, "guardian": {"$ref": "#/$defs/person"}},
    })


def test_a_form_stored_before_the_checks_fails_cleanly_not_with_a_crash():
    from engine.forms.catalogue import FormCatalogueInvalid
    from engine.forms.validation import field_errors

    with pytest.raises(FormCatalogueInvalid):
        field_errors({"type": "object", "$ref": "#"}, {})
    [error] = field_errors(_form(pattern=r"(a)\1"), {"code": "aa"})
    assert error["field"] == "code" and "stored again" in error["message"]
