"""Form problems as codes with their limits, for pages to word in Thai."""
from __future__ import annotations

from engine.forms.explain import FieldProblem, field_problems

SCHEMA = {
    "type": "object", "required": ["name", "risk"], "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "maxLength": 5},
        "risk": {"type": "string", "enum": ["low", "high"]},
        "age": {"type": "integer", "minimum": 0},
        "id": {"type": "string", "format": "thai-national-id"},
        "people": {"type": "array", "items": {"type": "object", "required": ["who"], "properties": {"who": {"type": "string"}}}},
    },
}


def test_each_problem_names_its_field_keyword_and_limit():
    problems = field_problems(SCHEMA, {"name": "ยาวเกินไป", "age": -1, "id": "1234567890123", "people": [{}], "x": 1})
    assert FieldProblem("name", "maxLength", 5, problems[[p.field for p in problems].index("name")].message_en) in problems
    by_field = {p.field: (p.code, p.limit) for p in problems}
    assert by_field["risk"] == ("required", ["name", "risk"])
    assert by_field["age"] == ("minimum", 0)
    assert by_field["id"] == ("format", "thai-national-id")
    assert by_field["people.0.who"][0] == "required"
    assert by_field[""][0] == "additionalProperties"


def test_valid_data_has_no_problems():
    assert field_problems(SCHEMA, {"name": "มะลิ", "risk": "low", "id": "1101700203450"}) == []
