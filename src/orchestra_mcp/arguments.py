"""Checking raw ``tools/call`` arguments against a tool's input schema, with one short coded error.

Every problem is reported as ``invalid_input: <argument>: <what is wrong, with the allowed range or
values>``: unknown arguments (with the accepted names and the closest one), missing, mistyped
(strict: ``true`` is not the number 1), out of range. Values are never echoed (they may be secrets).
"""

from __future__ import annotations

import difflib
import json
from typing import Any

Schema = dict[str, Any]
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def without_nulls(arguments: dict[str, Any]) -> dict[str, Any]:
    """Arguments with explicit nulls removed (a null means "use the default"), also inside objects."""
    return {k: _strip(v) for k, v in arguments.items() if v is not None}


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def argument_error(schema: Schema, arguments: dict[str, Any]) -> str | None:
    """The first problem with ``arguments`` as ``"<argument>: <problem>"``, or None when they are valid."""
    props: Schema = schema.get("properties", {})
    unknown = sorted(k for k in arguments if k not in props)
    if unknown:
        return _unknown(unknown[0], list(props), "argument")
    missing = [name for name in schema.get("required", []) if name not in arguments]
    if missing:
        return f"{missing[0]}: required argument is missing (required: {', '.join(schema.get('required', []))})"
    validator = _validator(schema)
    if validator.is_valid(arguments):
        return None
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

    error = best_match(validator.iter_errors(arguments))
    if error is None:
        return None
    return f"{_path(error.absolute_path)}: {_problem(error, schema)}"


_VALIDATORS: dict[int, tuple[Schema, Any]] = {}


def _validator(schema: Schema) -> Any:
    """A validator for ``schema``, built once per schema object (tools keep theirs for the process)."""
    held = _VALIDATORS.get(id(schema))
    if held is not None and held[0] is schema:
        return held[1]
    # imported on the first call (not needed to start); jsonschema comes with mcp and ships no stubs
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    validator = Draft202012Validator(schema)
    if len(_VALIDATORS) >= 512:  # schemas built per call elsewhere must not grow this without bound
        _VALIDATORS.clear()
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def _unknown(name: str, accepted: list[str], what: str) -> str:
    close = difflib.get_close_matches(name, accepted, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    listed = ", ".join(accepted) if accepted else "none"
    return f"{name}: unknown {what}; accepted: {listed}{hint}"


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "arguments"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _types(schema: Any, root: Schema) -> list[str]:
    schema = _deref(schema, root)
    if not isinstance(schema, dict):
        return []
    if "type" in schema:
        kind = schema["type"]
        return list(kind) if isinstance(kind, list) else [str(kind)]
    if "enum" in schema:
        return ["one of " + _values(schema["enum"])]
    if "const" in schema:
        return [json.dumps(schema["const"])]
    out: list[str] = []
    for branch in schema.get("anyOf") or schema.get("oneOf") or ():
        out += [t for t in _types(branch, root) if t not in out]
    return out


def _deref(schema: Any, root: Schema) -> Any:
    if isinstance(schema, dict) and "$ref" in schema:
        return root.get("$defs", {}).get(str(schema["$ref"]).rsplit("/", 1)[-1], {})
    return schema


def _values(values: list[Any]) -> str:
    return ", ".join(str(v) if isinstance(v, str) else json.dumps(v) for v in values)


def _range(schema: Schema, low: str, high: str, unit: str = "") -> str:
    lo, hi = schema.get(low), schema.get(high)
    suffix = f" {unit}" if unit else ""
    if lo is not None and hi is not None:
        return f"{lo}-{hi}{suffix}" if unit else f"between {lo} and {hi}"
    if lo is not None:
        return f"at least {lo}{suffix}"
    return f"at most {hi}{suffix}"


def _problem(error: Any, root: Schema) -> str:
    keyword, schema = error.validator, error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    if keyword == "type":
        return f"expected {' or '.join(_types(schema, root))}, got {_type_name(instance)}"
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if "exclusiveMinimum" in schema or "exclusiveMaximum" in schema:
            return f"must be {_range(schema, 'exclusiveMinimum', 'exclusiveMaximum')} (exclusive)"
        return f"must be {_range(schema, 'minimum', 'maximum')}"
    if keyword in ("minLength", "maxLength"):
        return f"must be {_range(schema, 'minLength', 'maxLength', 'characters')}"
    if keyword in ("minItems", "maxItems"):
        return f"must have {_range(schema, 'minItems', 'maxItems', 'items')}"
    if keyword == "enum":
        return f"must be one of: {_values(schema.get('enum', []))}"
    if keyword == "const":
        return f"must be {json.dumps(schema.get('const'))}"
    if keyword == "pattern":
        pattern = str(schema.get("pattern", ""))
        return f"must match {pattern}" if len(pattern) <= 48 else "has characters or a form that is not allowed " \
                                                                  "(see the argument's description)"
    if keyword == "required":
        missing = [name for name in error.validator_value if isinstance(instance, dict) and name not in instance]
        return f"{missing[0] if missing else 'a field'}: required field is missing"
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = list(schema.get("properties", {}))
        unknown = sorted(k for k in instance if k not in known)
        return _unknown(unknown[0], known, "field") if unknown else "has unknown fields"
    if keyword in ("anyOf", "oneOf"):
        kinds = _types(schema, root)
        return f"expected {' or '.join(kinds)}, got {_type_name(instance)}" if kinds else "is not valid"
    return f"is not valid ({keyword})"


def format_pydantic(exc: Any) -> str:
    """The first error of a pydantic ``ValidationError`` as ``"<field>: <problem>"`` (one line, no URL)."""
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:
        return "arguments: not valid"
    first = errors[0]
    loc = _path(part for part in first.get("loc", ()) if part not in ("function-after", "function-before"))
    message = str(first.get("msg", "not valid")).splitlines()[0]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return f"{loc}: {message[:1].lower()}{message[1:]}"
