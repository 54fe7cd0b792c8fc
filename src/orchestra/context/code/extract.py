"""Declarations of a source file through its tree-sitter syntax tree.

One line per declaration, in document order, in a stable shape for every language::

    <line>: <indent><signature>  <comment token> <first line of its doc comment>

The signature is the declaration's source up to its body (bodies never appear), with
whitespace collapsed; members of classes, interfaces, structs, traits, impls, modules and
namespaces follow, indented. Imports are summarised on one line. Python names starting
with ``_`` (not dunders) are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from orchestra.context.code.languages import LanguageSpec
from orchestra.context.code.parsing import ParseFailure, extend, parse

MAX_DECLARATIONS = 4000
PREFIX_START = 32 * 1024
"""The first prefix a large file is parsed in when the caller shows at most some lines (then grown, see
:func:`extract`)."""
MAX_STORED_LINES = 2000
SIGNATURE_CHARS = 160
SIGNATURE_SCAN_BYTES = 4 * 1024
DOC_CHARS = 100
IMPORT_CHARS = 200
WHOLE_KINDS = frozenset({"type", "enum", "macro", "package", "field", "case"})
_SKIPPABLE_BEFORE = frozenset({"attribute_item", "attribute_list", "attribute", "annotation", "marker_annotation",
                               "decorator"})
_DECLARATION_LINE = re.compile(
    rb"\n(?=[ \t]*(?:@|(?:def|class|async|function|export|public|private|protected|internal|static|func|fn|pub|"
    rb"impl|struct|interface|trait|type|enum|module|namespace|object|sub)\b))")
CUT_SEARCH_BYTES = 16 * 1024
_COMMENT_MARK = re.compile(r"^(?:/\*+!?|\*+/|\*|//[/!]?|#+|--+\[*=*\[*|\"\"\"|''')")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_SPACE = re.compile(r"\s+")
_TRAILER = re.compile(r"[\s{:=]+$")
_IDENT = re.compile(r"^[A-Za-z_$][\w$.:]*$")


@dataclass
class CodeSchema:
    """What a file declares: rendered lines (at most ``MAX_STORED_LINES``) and the names defined.

    ``complete`` is false when only a prefix of the file was parsed because it already gave more than
    the lines asked for (see :func:`extract`): the lines are the file's first ones, more follow."""

    language: str
    lines: list[str]
    declarations: int
    names: list[str] = field(default_factory=list)
    complete: bool = True


def extract(spec: LanguageSpec, data: bytes, *, enough: int | None = None) -> CodeSchema:
    """The declarations (or, for data files, keys) of ``data``; raises :class:`ParseFailure` (the reason).

    With ``enough`` (the most lines the caller will show), a large file is parsed in growing prefixes
    (:data:`PREFIX_START` bytes, then grown by at least a quarter, to where the declarations seen so far say the
    budget ends): as soon as the trusted declarations of a prefix give more than
    ``enough`` lines, those are the answer (``complete=False``) and the rest of the file is never parsed.
    Each step reuses the previous tree (incremental parsing), so a file that needs all of itself costs
    about one parse, and each walk resumes where the last trusted declaration of the previous prefix
    starts, so a file that needs all of itself is walked about once. A prefix counts only when cut cleanly
    (see :func:`_prefix_schema`); a syntax error in the rest of the file is not looked for, and the import
    summary covers the imports of the parsed part.
    """
    if spec.data:
        from orchestra.context.code.keys import extract_keys

        lines, names = extract_keys(spec, data)
        return CodeSchema(spec.name, lines[:MAX_STORED_LINES], len(lines), names[:MAX_DECLARATIONS])
    tree = None
    walker: _Walker | None = None  # the trusted part of the last clean prefix's walk
    if enough is not None and len(data) > 2 * PREFIX_START:
        parsed, size = 0, PREFIX_START
        while 0 < (cut := _cut(data, size)) < len(data):
            tree = parse(spec, data[:cut], old_tree=None if tree is None else extend(tree, data, parsed, cut))
            parsed = cut
            partial, found, trusted, walker = _prefix_schema(spec, data, tree.root_node, enough, walker)
            if partial is not None:
                return partial
            # the next prefix: where ``enough`` lines should end at this prefix's density, with a margin
            size = max(cut * 5 // 4, trusted * (enough + 2) * 5 // (4 * found)) if found else 2 * cut
        if tree is not None:
            tree = extend(tree, data, parsed, len(data))
    tree = parse(spec, data, old_tree=tree)
    root = tree.root_node
    if root.has_error:
        raise ParseFailure(f"syntax error near line {_first_error_line(root)}")
    if walker is None:
        walker = _Walker(spec, data)
        walker.header(root)
    walker.limit = None if enough is None else enough + 1
    walker.walk(root, 0)
    schema = walker.result()
    schema.complete = not walker.stopped
    return schema


def _cut(data: bytes, size: int) -> int:
    """Where to end a prefix of about ``size`` bytes: before the next line that opens a declaration (a
    cut there leaves no string or expression open), else after the next whole line; 0: no line end."""
    found = _DECLARATION_LINE.search(data, size, size + CUT_SEARCH_BYTES)
    return found.start() + 1 if found else data.find(b"\n", size) + 1


def _prefix_schema(spec: LanguageSpec, data: bytes, root: Any, enough: int,
                   walker: _Walker | None) -> tuple[CodeSchema | None, int, int, _Walker | None]:
    """The schema of a prefix up to its last declaration when that gives more than ``enough`` lines, else
    ``None``; the number of lines found, where the last declaration starts, and the walker holding the
    trusted entries (resumed by the next prefix's walk; ``walker`` is the previous prefix's, or ``None``).

    Only a cleanly cut prefix is used: no error node, only missing closers at its very end (brackets and
    blocks left open by the cut). Error recovery can give earlier text another structure than the whole
    file gives, so any other error means parsing on (the previous trusted entries stay). The last
    declaration is left out: it may go on past the cut (its signature or doc unfinished)."""
    if root.has_error and not _only_closers_missing(root, len(data[:root.end_byte].rstrip())):
        return None, 0, 0, walker
    if walker is None:
        walker = _Walker(spec, data)
        walker.header(root)
    walker.limit = enough + 2  # one more than shown, and the last one, left out below
    walker.walk(root, 0)
    if not walker.starts:
        return None, 0, 0, None  # nothing to trust yet: the next prefix is walked from its start
    last = max(walker.starts)
    walker.keep_before(last)
    schema = walker.result()
    if len(schema.lines) <= enough or walker.count >= MAX_DECLARATIONS:
        return None, len(schema.lines), last, walker
    schema.complete = False
    return schema, len(schema.lines), last, walker


def _only_closers_missing(root: Any, end: int) -> bool:
    """Whether every error under ``root`` is a missing node at or after byte ``end`` (the end of the text)."""
    pending = [root]
    while pending:
        node = pending.pop()
        if node.is_error or (node.is_missing and node.start_byte < end):
            return False
        pending.extend(c for c in node.children if c.has_error or c.is_missing)
    return True


class _Walker:
    """Collects the declaration entries of a tree in document order; with ``limit``, stops once the
    rendered lines (head, import summary, entries) reach it (``stopped``): later lines would not be shown.

    After :meth:`keep_before`, a walk of a longer prefix's tree resumes: what ends before ``resume`` is
    skipped, and a container started before it (already entered) is only searched for new members."""

    def __init__(self, spec: LanguageSpec, data: bytes) -> None:
        self.spec = spec
        self.data = data
        self.limit: int | None = None
        self.stopped = False
        self.resume = 0
        self.starts: list[int] = []  # where each declaration visited starts (emitted or not)
        self.entry_starts: list[int] = []  # where the declaration of each entry starts
        self.entries: list[str] = []  # "<line>: ..." entries
        self.entry_names: list[str | None] = []
        self.imports: list[str] = []
        self.import_starts: list[int] = []
        self.import_line = 0
        self.count = 0
        self.head: list[str] = []

    def keep_before(self, start: int) -> None:
        """Forget what was visited from byte ``start`` on; the next walk resumes there."""
        kept = [i for i, at in enumerate(self.entry_starts) if at < start]
        self.entries = [self.entries[i] for i in kept]
        self.entry_names = [self.entry_names[i] for i in kept]
        self.entry_starts = [self.entry_starts[i] for i in kept]
        self.starts = [at for at in self.starts if at < start]
        self.imports = [text for text, at in zip(self.imports, self.import_starts, strict=True) if at < start]
        self.import_starts = self.import_starts[:len(self.imports)]
        self.count = len(self.entries)
        self.resume = start
        self.stopped = False

    def signature(self, start: int, stop: int) -> str:
        """The source ``[start, stop)`` with whitespace collapsed and trailing ``{ : =`` dropped, as far as it is
        shown: a long one (a whole enum, a constant's literal) is collapsed from its first bytes only when
        those already give more than :data:`SIGNATURE_CHARS` characters (the clipped line is the same)."""
        cut = min(stop, start + SIGNATURE_SCAN_BYTES)
        text = _TRAILER.sub("", _collapse(self.data[start:cut].decode("utf-8", "replace")))
        if cut < stop and len(text) <= SIGNATURE_CHARS:
            text = _TRAILER.sub("", _collapse(self.data[start:stop].decode("utf-8", "replace")))
        return text

    def text(self, node: Any, end: int | None = None) -> str:
        return self.data[node.start_byte:node.end_byte if end is None else end].decode("utf-8", "replace")

    def header(self, root: Any) -> None:
        first = root.named_child(0) if root.named_child_count else None
        if first is None:
            return
        if self.spec.name == "python":
            doc = _python_docstring(self, root)
            if doc:
                self.head.append(f'1: """{doc}"""')
            return
        if first.type in self.spec.comments and not self.text(first).startswith("#!"):
            follower = first.next_named_sibling
            attached = follower is not None and follower.start_point[0] <= first.end_point[0] + 1 \
                and follower.type in self.spec.definitions
            doc = _doc_line(self.text(first))
            if doc and not attached:
                self.head.append(f"{first.start_point[0] + 1}: {self.spec.comment_token} {doc}")

    def walk(self, parent: Any, depth: int) -> None:
        for node in parent.named_children:
            if self.stopped or self.count >= MAX_DECLARATIONS:
                return
            if node.end_byte <= self.resume:
                continue
            kind = node.type
            if kind in self.spec.imports:
                if not self.imports:
                    self.import_line = node.start_point[0] + 1
                if sum(len(i) for i in self.imports) < IMPORT_CHARS:
                    self.imports.append(_collapse(self.text(node)).rstrip(";"))
                    self.import_starts.append(node.start_byte)
            elif kind in self.spec.wrappers:
                inner = next((c for c in node.named_children if c.type in self.spec.definitions), None)
                if inner is not None:
                    self.emit(inner, node, depth)
                else:
                    self.walk(node, depth)
            elif kind in self.spec.definitions:
                self.emit(node, node, depth)
            elif kind in self.spec.transparent:
                self.walk(node, depth)

    def emit(self, node: Any, outer: Any, depth: int) -> None:
        entered = outer.start_byte < self.resume  # a container visited by an earlier walk
        if not entered:
            self.starts.append(outer.start_byte)
        kind = self.spec.definitions[node.type]
        name = _name(self, node)
        if self.spec.name == "python" and kind == "constant" and depth == 0 \
                and not (name and (name.isupper() or name == "__all__")):
            return  # module-level assignments: constants and __all__ only
        private = self.spec.private_prefix
        if private and name and name.startswith(private) and not (name.startswith("__") and name.endswith("__")):
            return
        body = _body(self.spec, node)
        container = node.type in self.spec.containers and body is not None
        if entered:
            if container and body is not None:
                self.walk(body, depth + 1)
            return
        end = body.start_byte if body is not None and (container or kind not in WHOLE_KINDS) else node.end_byte
        comment = next((c.start_byte for c in node.named_children
                        if c.type in self.spec.comments and c.start_byte < end), None)
        signature = self.signature(outer.start_byte, comment or end)
        if container and body is not None and body.type == "interface_type":
            signature += " interface"
        doc = _python_docstring(self, body) if self.spec.name == "python" and body is not None \
            else _leading_doc(self, outer)
        line = f"{outer.start_point[0] + 1}: {'  ' * depth}{_clip(signature, SIGNATURE_CHARS)}"
        if doc:
            line += f"  {self.spec.comment_token} {_clip(doc, DOC_CHARS)}"
        self.entries.append(line)
        self.entry_starts.append(outer.start_byte)
        self.entry_names.append(name)
        self.count += 1
        if self.limit is not None and len(self.head) + bool(self.imports) + len(self.entries) >= self.limit:
            self.stopped = True
            return
        if container and body is not None:
            self.walk(body, depth + 1)

    def result(self) -> CodeSchema:
        lines = list(self.head)
        if self.imports:
            lines.append(f"{self.import_line}: {_clip('; '.join(self.imports), IMPORT_CHARS)}")
        lines.extend(self.entries)
        lines.sort(key=_line_number)  # stable: members keep their place after their container
        return CodeSchema(self.spec.name, lines[:MAX_STORED_LINES], self.count,
                          sorted({name for name in self.entry_names if name})[:MAX_DECLARATIONS])


def _line_number(line: str) -> int:
    return int(line.split(":", 1)[0])


def _body(spec: LanguageSpec, node: Any) -> Any:
    """The node's body: its ``body`` field, else the nearest descendant of a body type (3 levels)."""
    body = node.child_by_field_name("body")
    if body is not None:
        return body
    frontier = list(node.named_children)
    for _ in range(3):
        nxt: list[Any] = []
        for child in frontier:
            if child.type in spec.bodies:
                return child
            nxt.extend(child.named_children)
        frontier = nxt
    return None


def _name(walker: _Walker, node: Any) -> str | None:
    current = node
    for _ in range(4):
        target = (current.child_by_field_name("name") or current.child_by_field_name("declarator")
                  or current.child_by_field_name("left"))
        if target is None:
            named = [c for c in current.named_children if c.type.endswith(("spec", "declarator", "binding"))
                     or c.type in ("variable_declaration", "assignment_statement", "variable_list")]
            target = named[0] if named else None
        if target is None:
            return None
        text = walker.text(target)
        if _IDENT.match(text) and len(text) <= 80:
            return text.rsplit(".", 1)[-1].rsplit(":", 1)[-1] or None
        current = target
    return None


def _python_docstring(walker: _Walker, block: Any) -> str | None:
    first = block.named_child(0) if block.named_child_count else None
    if first is None or first.type != "expression_statement" or not first.named_child_count:
        return None
    string = first.named_child(0)
    if string.type != "string":
        return None
    content = "".join(walker.text(c) for c in string.named_children if c.type == "string_content")
    return _doc_line(content)


def _leading_doc(walker: _Walker, node: Any) -> str | None:
    """The first line of the comment block just above ``node`` (attributes in between are skipped)."""
    prev = node.prev_named_sibling
    top = node.start_point[0]
    while prev is not None and prev.type in _SKIPPABLE_BEFORE and prev.end_point[0] >= top - 1:
        top = prev.start_point[0]
        prev = prev.prev_named_sibling
    block: list[Any] = []
    while prev is not None and prev.type in walker.spec.comments and prev.end_point[0] >= top - 1:
        block.append(prev)
        top = prev.start_point[0]
        prev = prev.prev_named_sibling
    for comment in reversed(block):
        text = walker.text(comment)
        if text.startswith("#!"):
            continue
        doc = _doc_line(text)
        if doc:
            return doc
    return None


def _doc_line(text: str) -> str | None:
    for raw in text.splitlines():
        line = _COMMENT_MARK.sub("", raw.strip()).strip()
        line = _TAG.sub("", re.sub(r"\*+/$", "", line)).strip()
        if line and line not in ("*", '"""', "'''"):
            return line
    return None


def _first_error_line(root: Any) -> int:
    cursor = [root]
    while cursor:
        node = cursor.pop(0)
        if node.is_error or node.is_missing:
            return int(node.start_point[0]) + 1
        cursor.extend(c for c in node.children if c.has_error or c.is_missing)
    return int(root.start_point[0]) + 1


def _collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
