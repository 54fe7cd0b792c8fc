"""The key structure of JSON, YAML and TOML files, through the same tree-sitter machinery.

One line per key, nested keys indented: ``<line>: <indent><key>: <value>``, where the value
is a scalar (cut to 60 characters), ``[N items]`` for a sequence, or nothing for a mapping
(its keys follow). TOML tables appear as ``[table]`` / ``[[array]]`` with their keys below.
"""

from __future__ import annotations

from typing import Any

from orchestra.context.code.languages import LanguageSpec
from orchestra.context.code.parsing import ParseFailure, parse

MAX_KEYS = 4000
MAX_DEPTH = 6
SCALAR_CHARS = 60
_MAPPINGS = frozenset({"object", "block_mapping", "flow_mapping"})
_SEQUENCES = frozenset({"array", "block_sequence", "flow_sequence"})
_PAIRS = frozenset({"pair", "block_mapping_pair", "flow_pair"})
_WRAPPERS = frozenset({"document", "stream", "block_node", "flow_node"})


class _Keys:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.lines: list[str] = []
        self.names: set[str] = set()

    def text(self, node: Any) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def add(self, node: Any, depth: int, text: str) -> None:
        if len(self.lines) < MAX_KEYS:
            self.lines.append(f"{node.start_point[0] + 1}: {'  ' * depth}{text}")

    def value(self, node: Any, depth: int) -> str:
        """The preview of ``node``; nested mappings are walked (their keys follow)."""
        inner = _unwrap(node)
        if inner is None:
            return ""
        if inner.type in _MAPPINGS:
            self.mapping(inner, depth + 1)
            return ""
        if inner.type in _SEQUENCES:
            return f"[{inner.named_child_count} items]"
        return _clip(" ".join(self.text(inner).split()), SCALAR_CHARS)

    def mapping(self, node: Any, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        for pair in node.named_children:
            if pair.type not in _PAIRS or len(self.lines) >= MAX_KEYS:
                continue
            key = pair.child_by_field_name("key")
            value = pair.child_by_field_name("value")
            if key is None:
                continue
            name = _strip_quotes(self.text(key))
            self.names.add(name)
            index = len(self.lines)
            self.add(pair, depth, f"{_clip(name, SCALAR_CHARS)}:")
            preview = self.value(value, depth) if value is not None else ""
            if preview and index < len(self.lines):
                self.lines[index] += f" {preview}"

    def toml(self, root: Any) -> None:
        for node in root.named_children:
            if node.type == "pair":
                self.toml_pair(node, 0)
            elif node.type in ("table", "table_array_element"):
                header = node.named_children[0] if node.named_child_count else None
                name = self.text(header) if header is not None else ""
                self.names.add(name.rsplit(".", 1)[-1])
                self.add(node, 0, f"[[{name}]]" if node.type == "table_array_element" else f"[{name}]")
                for child in node.named_children[1:]:
                    if child.type == "pair":
                        self.toml_pair(child, 1)

    def toml_pair(self, pair: Any, depth: int) -> None:
        children = pair.named_children
        if len(children) < 2:
            return
        key, value = children[0], children[-1]
        name = self.text(key)
        self.names.add(name.rsplit(".", 1)[-1])
        if value.type == "array":
            preview = f"[{value.named_child_count} items]"
        elif value.type == "inline_table":
            preview = "{" + ", ".join(self.text(c.named_children[0]) for c in value.named_children
                                      if c.type == "pair" and c.named_child_count) + "}"
        else:
            preview = " ".join(self.text(value).split())
        self.add(pair, depth, f"{_clip(name, SCALAR_CHARS)} = {_clip(preview, SCALAR_CHARS)}")


def extract_keys(spec: LanguageSpec, data: bytes) -> tuple[list[str], list[str]]:
    """(lines, key names) of a JSON/YAML/TOML file; raises :class:`ParseFailure` when it cannot."""
    tree = parse(spec, data)
    root = tree.root_node
    if root.has_error:
        raise ParseFailure("syntax error")
    keys = _Keys(data)
    if spec.name == "toml":
        keys.toml(root)
    else:
        for node in _documents(root):
            inner = _unwrap(node)
            if inner is not None and inner.type in _MAPPINGS:
                keys.mapping(inner, 0)
    return keys.lines, sorted(keys.names)


def _documents(root: Any) -> list[Any]:
    if root.type == "stream":
        return [c for c in root.named_children if c.type == "document"]
    return [root]


def _unwrap(node: Any) -> Any:
    current = node
    while current is not None and current.type in _WRAPPERS:
        named = [c for c in current.named_children if c.type not in ("comment", "tag", "anchor")]
        current = named[0] if named else None
    return current


def _strip_quotes(text: str) -> str:
    text = " ".join(text.split())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
