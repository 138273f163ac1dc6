from __future__ import annotations

import pytest

from engine.errors import InvalidInput
from engine.forms.validation import field_errors, is_moe_g_code, is_thai_national_id, validate_form_data

INTAKE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "รับแจ้ง เหตุ",
    "required": ["child_first_name", "severity"],
    "properties": {
        "child_first_name": {"type": "string", "title": "ชื่อ", "minLength": 1},
        "child_national_id": {"type": "string", "format": "thai-national-id", "title": "เลขประจำตัวประชาชน"},
        "child_g_code": {"type": "string", "format": "moe-g-code", "title": "รหัส G"},
        "child_birth_date": {"type": "string", "format": "date", "title": "วันเกิด"},
        "severity": {"type": "string", "enum": ["low", "high"], "title": "ความรุนแรง"},
        "wait": {"type": "string", "format": "duration", "title": "ระยะเวลา"},
        "seen_at": {"type": "string", "format": "date-time", "title": "เวลา"},
    },
}


@pytest.mark.parametrize("value, valid", [
    ("1101700203450", True), ("3100501234563", True),
    ("1101700203451", False), ("110170020345", False), ("11017002034500", False), ("11017OO203450", False), (1101700203450, False),
])
def test_thai_national_id_checksum(value, valid):
    assert is_thai_national_id(value) is valid


@pytest.mark.parametrize("value, valid", [("G123456789012", True), ("g123456789012", False), ("G12345678901", False), ("X123456789012", False)])
def test_g_code_shape(value, valid):
    assert is_moe_g_code(value) is valid


def test_valid_data_passes():
    validate_form_data(INTAKE, {
        "child_first_name": "ด.ญ. ทดสอบ", "child_national_id": "1101700203450", "child_birth_date": "2011-05-01",
        "severity": "high", "wait": "P3D", "seen_at": "2026-11-30T09:00:00+07:00",
    }, form_key="intake")


def test_every_field_at_fault_is_named():
    errors = field_errors(INTAKE, {
        "child_national_id": "1101700203451", "child_g_code": "G1", "child_birth_date": "2011-13-01",
        "severity": "medium", "wait": "3 days", "seen_at": "2026-11-30T09:00:00",
    })
    assert [e["field"] for e in errors] == [
        "child_birth_date", "child_first_name", "child_g_code", "child_national_id", "seen_at", "severity", "wait",
    ]
    with pytest.raises(InvalidInput) as refused:
        validate_form_data(INTAKE, {"severity": "high"}, form_key="intake")
    assert refused.value.details["field"] == "child_first_name"
    assert refused.value.details["errors"] == [{"field": "child_first_name", "message": "'child_first_name' is a required property"}]


def test_fields_the_form_does_not_declare_are_refused_each_by_name():
    """Submitted fields become workflow variables: an undeclared one could steer a gateway."""
    with pytest.raises(InvalidInput) as refused:
        validate_form_data(INTAKE, {"child_first_name": "ฝน", "severity": "low", "approved": True, "risk_level": "low"},
                           form_key="intake")
    assert [(e["field"], e["message"]) for e in refused.value.details["errors"]] == [
        ("approved", "'approved' is not a field of this form"), ("risk_level", "'risk_level' is not a field of this form"),
    ]


def test_conditional_fields_are_declared_fields():
    schema = {
        "type": "object", "properties": {"refer": {"type": "boolean"}},
        "if": {"properties": {"refer": {"const": True}}}, "then": {"properties": {"reason": {"type": "string"}}},
    }
    assert field_errors(schema, {"refer": True, "reason": "ส่งต่อ"}) == []
    assert [e["field"] for e in field_errors(schema, {"refer": True, "reasons": "typo"})] == ["reasons"]


def test_no_form_of_the_network_takes_an_undeclared_field():
    """Whether or not a form says ``additionalProperties: false`` (most of the 70 do not)."""
    from engine.forms.catalogue import load_forms, schema_fields
    from engine.settings import PROJECT_ROOT

    catalogue = load_forms(PROJECT_ROOT / "forms")
    assert len(catalogue) >= 70
    for name in catalogue:
        schema = catalogue.get(name)
        errors = field_errors(schema, {"injected_variable": True})
        assert {"field": "injected_variable", "message": "'injected_variable' is not a field of this form"} in errors, name
        assert "injected_variable" not in schema_fields(schema)
