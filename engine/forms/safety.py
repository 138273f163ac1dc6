"""What a stored form schema may contain, so that checking a submission can never hang or crash.

A form is checked on every task completion, on the request's thread. Two things in a JSON
Schema can make that check run without end: a ``pattern`` that backtracks catastrophically
(``^(a+)+$``), and a ``$ref`` that leads back to itself (``{"$ref": "#"}``). Both are refused
when a form is stored, naming the element; patterns are also matched with RE2, whose time is
linear in the input, so even a form stored before these checks cannot stall a worker.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import re2

from engine.errors import InvalidInput

# Keywords whose value is one subschema, a list of them, or a map of names to them (draft 2020-12).
_ONE = ("additionalProperties", "unevaluatedProperties", "items", "contains", "not", "if", "then", "else",
        "propertyNames", "unevaluatedItems", "additionalItems")
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAP = ("properties", "patternProperties", "dependentSchemas", "$defs", "definitions")
# Forms name their fields (each becomes a workflow variable), and references are plain JSON
# pointers into the form itself; anything that resolves references another way is refused.
_REFUSED = {
    "patternProperties": "fields are named, not matched by pattern",
    "$dynamicRef": "only plain '$ref' JSON pointers into the form itself are allowed",
    "$recursiveRef": "only plain '$ref' JSON pointers into the form itself are allowed",
    "$anchor": "only plain '$ref' JSON pointers into the form itself are allowed",
    "$dynamicAnchor": "only plain '$ref' JSON pointers into the form itself are allowed",
    "$recursiveAnchor": "only plain '$ref' JSON pointers into the form itself are allowed",
}
MAX_REFERENCES = 256

Path = tuple[str, ...]


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is reported to its author, not to stderr
    return options


@functools.lru_cache(maxsize=512)
def compiled_pattern(pattern: str) -> Any:
    """A pattern compiled by RE2 (linear-time matching); raises ``re2.error`` if RE2 cannot."""
    return re2.compile(pattern, _re2_options())


def subschemas(node: Any, path: Path = ()) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every schema object inside ``node`` (itself included), with its JSON-pointer path."""
    if not isinstance(node, dict):
        return
    yield path, node
    for keyword in _ONE:
        yield from subschemas(node.get(keyword), (*path, keyword))
    for keyword in (*_LIST, "items"):  # 'items' as a list is the tuple form of older drafts
        if isinstance(node.get(keyword), list):
            for index, item in enumerate(node[keyword]):
                yield from subschemas(item, (*path, keyword, str(index)))
    for keyword in _MAP:
        if isinstance(node.get(keyword), dict):
            for name, item in node[keyword].items():
                yield from subschemas(item, (*path, keyword, str(name)))


def _where(path: Path) -> str:
    return ".".join(("schema", *path))


def _skip_class(pattern: str, start: int) -> int:
    """The index just past the character class that opens at ``start``."""
    index = start + 1
    if index < len(pattern) and pattern[index] == "^":
        index += 1
    if index < len(pattern) and pattern[index] == "]":
        index += 1  # a leading ']' is a literal
    while index < len(pattern) and pattern[index] != "]":
        index += 2 if pattern[index] == "\\" else 1
    return index + 1


def _quantifier(pattern: str, index: int) -> tuple[bool, bool, int] | None:
    """At ``index``: (repeats more than once, repeats a varying number of times, end), or None."""
    char = pattern[index]
    if char in "*+":
        end = index + 1
        repeats = varies = True
    elif char == "?":
        end, repeats, varies = index + 1, False, True
    elif char == "{":
        close = pattern.find("}", index)
        bounds = pattern[index + 1:close].split(",") if close > 0 else []
        if not 1 <= len(bounds) <= 2 or not all(b.strip().isdigit() for b in bounds if b.strip()) or not bounds[0].strip():
            return None  # a literal '{'
        low = int(bounds[0])
        high = None if len(bounds) == 2 and not bounds[1].strip() else int(bounds[-1])
        end, repeats, varies = close + 1, high is None or high > 1, high != low
    else:
        return None
    if end < len(pattern) and pattern[end] in "?+":
        end += 1  # lazy or possessive: the same repetition
    return repeats, varies, end


def nested_quantifier(pattern: str) -> str | None:
    """The first group that repeats while something inside it also repeats a varying number of
    times (``(a+)+``, ``(\\d*)*``, ``(x{1,9})+``): the shape behind catastrophic backtracking."""
    # One entry per open group: the group's start, and whether its content has a varying repeat.
    groups: list[tuple[int, bool]] = [(0, False)]
    closed: tuple[int, bool] | None = None  # the group that ended just before this position
    index = 0
    while index < len(pattern):
        char = pattern[index]
        quantifier = _quantifier(pattern, index) if char in "*+?{" else None
        if quantifier is not None:
            repeats, varies, end = quantifier
            if closed is not None and closed[1] and repeats:
                return pattern[closed[0]:end]
            start, inner = groups[-1]
            groups[-1] = (start, inner or (varies and repeats) or bool(closed and closed[1]))
            closed, index = None, end
            continue
        if closed is not None:
            start, inner = groups[-1]
            groups[-1] = (start, inner or closed[1])
            closed = None
        if char == "\\":
            index += 2
        elif char == "[":
            index = _skip_class(pattern, index)
        elif char == "(":
            groups.append((index, False))
            index += 1
        elif char == ")" and len(groups) > 1:
            closed = groups.pop()
            index += 1
        else:
            index += 1
    return None


def _check_patterns(schema: dict[str, Any]) -> None:
    for path, node in subschemas(schema):
        for keyword, reason in _REFUSED.items():
            if keyword in node:
                raise InvalidInput(f"form schemas may not use {keyword!r}: {reason}", field=_where((*path, keyword)))
        if "$id" in node and path:
            raise InvalidInput("only the form itself may have an '$id'", field=_where((*path, "$id")))
        pattern = node.get("pattern")
        if pattern is None:
            continue
        where = _where((*path, "pattern"))
        if not isinstance(pattern, str):
            raise InvalidInput("a pattern must be a string", field=where)
        nested = nested_quantifier(pattern)
        if nested is not None:
            raise InvalidInput(
                f"pattern {pattern!r} repeats a group that itself repeats ({nested!r}); such patterns can take "
                "hours to check — write it without the nested repetition", field=where,
            )
        try:
            compiled_pattern(pattern)
        except re2.error as exc:
            message = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            raise InvalidInput(
                f"pattern {pattern!r} is not supported ({message}); back-references and look-arounds are not",
                field=where,
            ) from exc


def _pointer(ref: str, where: str) -> Path:
    """The path a local ``$ref`` points at (``#`` or ``#/a/b``), per RFC 6901."""
    if ref == "#":
        return ()
    if not ref.startswith("#/"):
        raise InvalidInput(
            f"form schemas must be self-contained: $ref {ref!r} is not a JSON pointer into the form", field=where,
        )
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in ref[2:].split("/"))


def _resolve(schema: dict[str, Any], path: Path) -> Any:
    node: Any = schema
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _check_references(schema: dict[str, Any]) -> None:
    """Every ``$ref`` points inside the form, at a schema, and no chain of them comes back.

    A reference to a schema that encloses it (``{"$ref": "#"}``), or a loop of references, is
    recursion; a flat form never needs it, and checking against it can recurse without end.
    """
    refs: dict[Path, Path] = {}  # the schema holding a $ref → the schema it points at
    for path, node in subschemas(schema):
        if "$ref" not in node:
            continue
        where = _where((*path, "$ref"))
        if not isinstance(node["$ref"], str):
            raise InvalidInput("a $ref must be a string", field=where)
        target = _pointer(node["$ref"], where)
        if not isinstance(_resolve(schema, target), dict | bool):
            raise InvalidInput(f"$ref {node['$ref']!r} points at no schema in the form", field=where)
        refs[path] = target

    if len(refs) > MAX_REFERENCES:
        raise InvalidInput(f"a form may hold at most {MAX_REFERENCES} $ref", field="schema")
    # Depth-first over the schemas references point at: checking a schema applies every $ref
    # inside it, so a reference back to a schema still being visited closes a loop.
    visiting: set[Path] = set()
    done: set[Path] = set()

    def loop_from(target: Path) -> Path | None:
        if target in done:
            return None
        visiting.add(target)
        for holder, next_target in refs.items():
            if holder[: len(target)] != target:
                continue
            if holder[: len(next_target)] == next_target or next_target in visiting:
                return holder
            found = loop_from(next_target)
            if found is not None:
                return found
        visiting.discard(target)
        done.add(target)
        return None

    for target in set(refs.values()):
        looping = loop_from(target)
        if looping is not None:
            raise InvalidInput(
                "the form refers to itself through $ref (a schema that contains its own reference); "
                "forms are flat and may not recurse", field=_where((*looping, "$ref")),
            )


def check_form_safety(schema: dict[str, Any]) -> None:
    """Refuse a schema whose check could hang or recurse without end, naming the element."""
    _check_patterns(schema)
    _check_references(schema)
