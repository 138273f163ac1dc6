"""The form catalogue: JSON Schema files in a folder, looked up by form key."""
from __future__ import annotations

import json

import pytest

from engine.forms.catalogue import FormCatalogue, FormCatalogueInvalid, form_name, load_forms, schema_fields


def write(folder, name, schema):
    (folder / name).write_text(json.dumps(schema), encoding="utf-8")


def test_a_key_finds_its_form_with_or_without_the_suffix(tmp_path):
    write(tmp_path, "report.schema.json", {"properties": {"severity": {}}})
    write(tmp_path, "assess.json", {"properties": {"plan": {}}})
    catalogue = load_forms(tmp_path)
    for key in ("report", "report.schema.json", "report.json"):
        assert catalogue.fields(key) == {"severity"}
    for key in ("assess", "assess.json", "assess.schema.json"):
        assert key in catalogue
    assert list(catalogue) == ["assess", "report"]
    assert catalogue.fields("missing") is None and "missing" not in catalogue


def test_a_key_is_never_a_path(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    write(tmp_path, "secret.json", {"properties": {"password": {}}})
    catalogue = load_forms(forms)
    assert "../secret" not in catalogue and "../secret.json" not in catalogue
    assert form_name(" ../secret.schema.json ") == "../secret"


def test_fields_include_conditional_ones_but_not_nested_object_members():
    schema = {
        "properties": {"severity": {}, "address": {"type": "object", "properties": {"village": {}}}},
        "required": ["severity", "consent"],
        "allOf": [{"properties": {"age": {}}}],
        "if": {"properties": {"severity": {"const": "high"}}},
        "then": {"properties": {"needs_separation": {}}},
        "else": {"properties": {"note": {}}},
        "dependentSchemas": {"age": {"properties": {"school": {}}}},
        "oneOf": [{"properties": {"phone": {}}}, {"properties": {"line_id": {}}}],
    }
    assert schema_fields(schema) == {
        "severity", "address", "consent", "age", "needs_separation", "note", "school", "phone", "line_id",
    }
    assert schema_fields({"type": "string"}) == frozenset()


def test_fields_include_those_of_the_forms_own_definitions():
    schema = {"$defs": {"contact": {"properties": {"phone": {}}}}, "allOf": [{"$ref": "#/$defs/contact"}],
              "properties": {"name": {}}}
    assert schema_fields(schema) == {"name", "phone"}
    assert schema_fields({"$ref": "#"}) == frozenset()  # a loop ends, it does not hang


@pytest.mark.parametrize("files, complaint", [
    ({"a.schema.json": "{", }, "not a readable JSON"),
    ({"a.json": "[1, 2]"}, "no JSON Schema object"),
    ({"a.json": "{}", "a.schema.json": "{}"}, "both define form 'a'"),
])
def test_a_broken_forms_folder_is_refused_with_the_file_named(tmp_path, files, complaint):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(FormCatalogueInvalid) as refused:
        load_forms(tmp_path)
    assert complaint in refused.value.message


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(FormCatalogueInvalid, match="does not exist"):
        load_forms(tmp_path / "nowhere")


def test_a_catalogue_in_memory_keys_by_form_name():
    catalogue = FormCatalogue.of({"report.schema.json": {"properties": {"x": {}}}})
    assert catalogue.fields("report") == {"x"} and len(catalogue) == 1
