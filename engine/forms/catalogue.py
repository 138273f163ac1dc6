"""The forms a protocol's user tasks point at: JSON Schema files in ``forms/``.

A task names its form by key (``camunda:formKey`` or spiff-arena's ``formJsonSchemaFilename``),
and authors write the key with or without the file's suffix (``report_form``,
``report_form.schema.json``, ``report_form.json``). Keys are looked up in a catalogue built from
the folder, never used as paths, so a key such as ``../../etc/passwd`` simply names no form.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import KhumkrongError

_SUFFIXES = (".schema.json", ".json")
# A form is a task's questions, not a data file; anything bigger is a mistake.
MAX_FORM_BYTES = 512 * 1024
# JSON Schema keywords whose subschemas add fields to the same flat object.
_COMBINATORS = ("allOf", "anyOf", "oneOf")
_BRANCHES = ("if", "then", "else")


class FormCatalogueInvalid(KhumkrongError):
    code = "forms-invalid"


def form_name(key: str) -> str:
    """The catalogue name of a form key: the key without its file suffix."""
    key = key.strip()
    for suffix in _SUFFIXES:
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return key


def _flat_subschemas(schema: Any) -> Iterator[dict[str, Any]]:
    """The schema and every subschema that describes the same flat object (allOf, if/then,
    dependentSchemas, a ``$ref`` to the form's own definitions, …)."""
    pending = [schema]
    seen = 0
    while pending:
        node = pending.pop()
        seen += 1
        if not isinstance(node, dict) or seen > 10_000:
            continue
        yield node
        for keyword in _COMBINATORS:
            if isinstance(node.get(keyword), list):
                pending.extend(node[keyword])
        for keyword in _BRANCHES:
            pending.append(node.get(keyword))
        for keyword in ("dependentSchemas", "dependencies"):
            if isinstance(node.get(keyword), dict):
                pending.extend(value for value in node[keyword].values() if isinstance(value, dict))
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            pending.append(_pointed_at(schema, ref))


def _pointed_at(schema: Any, ref: str) -> Any:
    """The part of ``schema`` a local ``$ref`` (``#/$defs/x``) names, or None."""
    node = schema
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part) if isinstance(node, dict) else None
    return node


def schema_fields(schema: Any) -> frozenset[str]:
    """Every top-level field a form can fill in, including conditional ones.

    Task data is flat (one variable per field), so nested ``properties`` of an object field are
    that field's value, not fields of their own; but fields that only appear under ``allOf``,
    ``if/then/else``, ``dependentSchemas`` or a ``$ref`` to the form's own definitions are still
    fields of the same form.
    """
    found: set[str] = set()
    for node in _flat_subschemas(schema):
        properties = node.get("properties")
        if isinstance(properties, dict):
            found.update(name for name in properties if isinstance(name, str))
        required = node.get("required")
        if isinstance(required, list):
            found.update(name for name in required if isinstance(name, str))
    return frozenset(found)


def field_schemas(schema: Any, name: str) -> list[dict[str, Any]]:
    """Every subschema a form gives its field *name* (one per place the field is described)."""
    return [
        node["properties"][name]
        for node in _flat_subschemas(schema)
        if isinstance(node.get("properties"), dict) and isinstance(node["properties"].get(name), dict)
    ]


@dataclass(frozen=True)
class FormCatalogue:
    """Form name → JSON Schema."""

    schemas: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, schemas: Mapping[str, dict[str, Any]]) -> FormCatalogue:
        """A catalogue from schemas in memory, keyed by form key (suffix optional)."""
        return cls({form_name(key): schema for key, schema in schemas.items()})

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.schemas))

    def __len__(self) -> int:
        return len(self.schemas)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.schemas.get(form_name(key))

    def fields(self, key: str) -> frozenset[str] | None:
        """The fields of the form a key names, or None when there is no such form."""
        schema = self.get(key)
        return None if schema is None else schema_fields(schema)


def load_forms(folder: Path | str) -> FormCatalogue:
    """Read every ``*.json`` in *folder* (not its subfolders) into a catalogue.

    Raises :class:`FormCatalogueInvalid` for a missing folder, an unreadable or oversized file,
    a file that is not a JSON object, or two files that claim the same form name.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FormCatalogueInvalid(f"forms folder {folder} does not exist", field="forms")
    schemas: dict[str, dict[str, Any]] = {}
    origins: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        name = form_name(path.name)
        if name in origins:
            raise FormCatalogueInvalid(
                f"{path.name} and {origins[name]} both define form {name!r}", field=path.name
            )
        try:
            if path.stat().st_size > MAX_FORM_BYTES:
                raise FormCatalogueInvalid(
                    f"{path.name} is larger than {MAX_FORM_BYTES:,} bytes", field=path.name
                )
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FormCatalogueInvalid(f"{path.name} is not a readable JSON file: {exc}", field=path.name) from exc
        if not isinstance(schema, dict):
            raise FormCatalogueInvalid(f"{path.name} holds no JSON Schema object", field=path.name)
        schemas[name] = schema
        origins[name] = path.name
    return FormCatalogue(schemas)
