"""Small, strict JSON schemas for ``tools/list``, and results compacted to what their schema needs.

Pydantic's schemas carry a ``title`` on every node, ``anyOf [X, null]`` for every optional field and
long descriptions in output schemas that no model reads. :func:`compact_input` keeps what a model
needs (types, bounds, enums, descriptions, non-null defaults) and closes every object
(``additionalProperties: false``); :func:`compact_output` keeps the shape a host validates
``structuredContent`` against, with nullable fields made optional so :func:`compact_result` can drop
nulls and defaults from results and still validate.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]
_DROP_ALWAYS = ("title",)
_OUTPUT_DROP = ("description", "examples")
MAX_LISTED_PATTERN = 40
"""Longer patterns (identifier rules) are enforced by the server but not listed: a model cannot use them."""
MIN_UNLISTED_LENGTH = 64
"""Length caps from this size up (identifiers, free text) are enforced but not listed: no real argument
comes near them, and an argument past one gets an error that names the limit."""


def compact_input(schema: Schema, *, listed: bool = True) -> Schema:
    """The input schema a model reads: no titles, no null branches, closed objects (``listed=False``: also
    the long patterns, for checking arguments)."""
    out: Schema = _node(schema, output=False, listed=listed)
    defs = out.pop("$defs", {})
    for definition in defs.values():
        definition.pop("description", None)  # a model's docstring; the property says what it is for
    uses: dict[str, int] = {}
    _count_refs(out, uses)
    for definition in defs.values():
        _count_refs(definition, uses)
    shared = {name: d for name, d in defs.items() if uses.get(name, 0) > 1}
    out = dict(_inline(out, defs, shared))
    if shared:
        out["$defs"] = {name: _inline(d, defs, shared) for name, d in shared.items()}
    return out


def _count_refs(node: Any, uses: dict[str, int]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            uses[ref.rsplit("/", 1)[-1]] = uses.get(ref.rsplit("/", 1)[-1], 0) + 1
        for value in node.values():
            _count_refs(value, uses)
    elif isinstance(node, list):
        for value in node:
            _count_refs(value, uses)


def _inline(node: Any, defs: Schema, shared: Schema) -> Any:
    """Replace ``$ref`` to a definition used once by the definition itself (shared ones stay referenced)."""
    if isinstance(node, list):
        return [_inline(v, defs, shared) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in defs and name not in shared:
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return {**_inline(defs[name], defs, shared), **rest}
    return {k: (_inline(v, defs, shared) if k not in ("enum", "const", "default") else v) for k, v in node.items()}


def compact_output(schema: Schema, *, listed: bool = True) -> Schema:
    """The output schema a host validates against: shape only, nullable and defaulted fields optional.

    ``listed``: nested objects are listed by type only (the top level keeps every field, its type, enum
    and default), which keeps ``tools/list`` small while every result still validates.
    """
    out: Schema = _node(schema, output=True, listed=True)
    if not listed:
        return out
    defs = out.pop("$defs", {})
    out["properties"] = {name: _shallow(sub, defs) for name, sub in out.get("properties", {}).items()}
    return out


def _shallow(node: Any, defs: Schema) -> Any:
    node = _resolve(node, defs)
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return {"type": "object"}
    if kind == "array":
        items = _resolve(node.get("items", {}), defs)
        scalar = isinstance(items, dict) and items.get("type") in ("string", "integer", "number", "boolean")
        return {"type": "array", **({"items": {"type": items["type"]}} if scalar else {})}
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:
        shallow = [_shallow(b, defs) for b in branches]
        unique = [b for i, b in enumerate(shallow) if b not in shallow[:i]]
        return unique[0] if len(unique) == 1 else {"anyOf": unique}
    return node


def _node(node: Any, *, output: bool, listed: bool) -> Any:
    if isinstance(node, list):
        return [_node(item, output=output, listed=listed) for item in node]
    if not isinstance(node, dict):
        return node
    node = _without_null(node)
    out: Schema = {}
    for key, value in node.items():
        if key in _DROP_ALWAYS or (output and key in _OUTPUT_DROP):
            continue
        if key == "default" and (value is None or (output and isinstance(value, (list, dict)) and value)):
            continue
        if key in ("properties", "$defs"):
            out[key] = {name: _node(sub, output=output, listed=listed) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf", "prefixItems", "not"):
            out[key] = _node(value, output=output, listed=listed)
        elif key == "description" and isinstance(value, str):
            out[key] = " ".join(value.split())
        elif listed and _unlisted(key, value, output=output):
            continue
        else:
            out[key] = value
    if "properties" in out:
        if not output:
            out.setdefault("additionalProperties", False)
        if output:
            optional = {name for name, sub in node.get("properties", {}).items() if _nullable(sub) or "default" in sub}
            required = [name for name in out.get("required", []) if name not in optional]
            if required:
                out["required"] = required
            else:
                out.pop("required", None)
    return out


def _unlisted(key: str, value: Any, *, output: bool) -> bool:
    """Constraints the server enforces but does not list: long patterns and large length caps."""
    if key == "pattern":
        return isinstance(value, str) and len(value) > MAX_LISTED_PATTERN
    return key in ("maxLength", "maxItems") and not output and isinstance(value, int) and value >= MIN_UNLISTED_LENGTH


def _nullable(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    branches = node.get("anyOf") or node.get("oneOf") or []
    return node.get("type") == "null" or any(isinstance(b, dict) and b.get("type") == "null" for b in branches)


def _without_null(node: Schema) -> Schema:
    """``{"anyOf": [X, {"type": "null"}], ...}`` -> ``X`` merged with the node's own keywords."""
    for key in ("anyOf", "oneOf"):
        branches = node.get(key)
        if not isinstance(branches, list):
            continue
        kept = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
        if len(kept) == len(branches):
            continue
        rest = {k: v for k, v in node.items() if k != key}
        if len(kept) == 1 and isinstance(kept[0], dict) and not set(kept[0]) & set(rest):
            return {**kept[0], **rest}
        return {**rest, key: kept}
    return node


def compact_result(value: Any, schema: Schema | None) -> Any:
    """``value`` without nulls, empty lists and objects, and fields equal to their schema default (where the
    schema does not require them)."""
    if schema is None:
        return value
    return _value(value, schema, schema.get("$defs", {}))


def _resolve(schema: Any, defs: Schema) -> Any:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 16:
        schema = defs.get(str(schema["$ref"]).rsplit("/", 1)[-1], {})
        seen += 1
    return schema


def _value(value: Any, schema: Any, defs: Schema) -> Any:
    schema = _resolve(schema, defs)
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        props = schema.get("properties")
        if props is None:
            branch = _object_branch(schema, defs, value)
            if branch is not None:
                return _value(value, branch, defs)
            extra = schema.get("additionalProperties")
            sub = extra if isinstance(extra, dict) else {}
            return {k: _value(v, sub, defs) for k, v in value.items() if v is not None}
        required = set(schema.get("required", ()))
        out = {}
        for key, item in value.items():
            sub = _resolve(props.get(key, {}), defs)
            empty = item is None or (isinstance(item, (list, dict)) and not item)
            if key not in required and (empty or (isinstance(sub, dict) and "default" in sub
                                                  and sub["default"] == item)):
                continue
            out[key] = _value(item, sub, defs)
        return out
    if isinstance(value, list):
        items = schema.get("items", {})
        return [_value(item, items, defs) for item in value]
    return value


def _object_branch(schema: Schema, defs: Schema, value: dict[str, Any]) -> Schema | None:
    """The object branch of an ``anyOf``/``oneOf`` that best fits ``value`` (most shared keys)."""
    best, score = None, -1
    for option in schema.get("anyOf") or schema.get("oneOf") or ():
        branch = _resolve(option, defs)
        if isinstance(branch, dict) and "properties" in branch:
            shared = len(set(branch["properties"]) & set(value))
            if shared > score:
                best, score = branch, shared
    return best
