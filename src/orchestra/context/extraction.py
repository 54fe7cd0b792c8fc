"""One file's budget-ready extraction: guarded parts a bundle is rendered from, cacheable.

An extraction depends only on the file's bytes, its language, the per-file budget and
:data:`STRATEGY_VERSION`; every text part in it has already passed the prompt guard
(no raw secret is ever stored), and the rendered content is guarded again on use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import compress, islice
from typing import Any

from orchestra import __version__
from orchestra.context.code.languages import LanguageSpec
from orchestra.context.guarding import PromptGuard
from orchestra.context.strategies.head_tail import HEAD_LINES, TAIL_LINES, head_tail
from orchestra.context.text import SourceText

STRATEGY_VERSION = f"treesitter-4/{__version__}"
MAX_LINE_CHARS = 1000
LINE_CUT = " [... line cut ...]"
MAX_REFERENCES = 3000
_WORD_BYTES = bytes(b if chr(b).isascii() and (chr(b).isalnum() or b == 0x5F) else 0x20 for b in range(256))
"""``bytes.translate`` table: ASCII letters, digits and ``_`` kept, every other byte a space (a C-level
tokenizer, four times faster than ``re.findall`` on source text)."""
_LAST_DIGIT = 0x39  # a word whose first byte is above this starts with a letter or "_"
DEFINITION_KEYWORDS = frozenset({
    b"def", b"class", b"func", b"fun", b"function", b"interface", b"struct", b"trait", b"impl", b"enum", b"type",
    b"typedef", b"module", b"object", b"protocol", b"record", b"namespace", b"const", b"let", b"var", b"val",
    b"macro", b"sub", b"union"})
MAX_DEFINITIONS = 2000
_IS_DEFINITION_KEYWORD = DEFINITION_KEYWORDS.__contains__


@dataclass
class Part:
    """Guarded lines (``None`` when the guard withheld them) and what the guard did."""

    lines: list[str] | None
    outcome: str = "allow"
    redactions: dict[str, int] = field(default_factory=dict)


@dataclass
class Extraction:
    """Everything needed to render one file at any budget up to ``per_file``."""

    total_lines: int
    total_bytes: int
    sha256: str
    decoding_replaced: bool
    head: Part
    tail: Part
    full: Part | None = None
    schema: Part | None = None
    schema_total: int = 0
    schema_partial: bool = False
    """Only a prefix was parsed (it gave more than the budget): ``schema_total`` counts its lines only."""
    declarations: int = 0
    language: str | None = None
    fallback: str | None = None
    cacheable: bool = True

    def to_json(self) -> bytes:
        """Canonical JSON bytes (for the cache)."""
        data: dict[str, Any] = {name: getattr(self, name) for name in _SCALARS}
        for name in _PARTS:
            part: Part | None = getattr(self, name)
            data[name] = None if part is None else {"lines": part.lines, "outcome": part.outcome,
                                                    "redactions": part.redactions}
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_json(cls, blob: bytes) -> Extraction:
        """The inverse of :meth:`to_json`; raises ``ValueError``/``KeyError``/``TypeError`` on a bad blob."""
        data: dict[str, Any] = json.loads(blob)
        for name in _PARTS:
            if data.get(name) is not None:
                data[name] = Part(**data[name])
        return cls(**data)


_PARTS = ("head", "tail", "full", "schema")
_SCALARS = ("total_lines", "total_bytes", "sha256", "decoding_replaced", "schema_total", "schema_partial",
            "declarations", "language", "fallback", "cacheable")


def cache_key(sha256: str, spec: LanguageSpec | None, per_file: int) -> str:
    """What an extraction depends on."""
    return f"{STRATEGY_VERSION}|{spec.name if spec else 'text'}|{per_file}|{sha256}"


def build_extraction(text: SourceText, spec: LanguageSpec | None, per_file: int, guard: PromptGuard,
                     extract: Any = None) -> Extraction:
    """Parse (when ``spec`` has a parser), cut and guard what may be shown of ``text``.

    One guarded text per file: the whole text when it fits ``per_file`` lines, else the
    schema, else (no parser, or the parser failed) the head and tail lines. ``extract`` is
    the schema extractor (``(spec, data, *, enough) -> CodeSchema``, given ``enough=per_file``), passed
    in so that tree-sitter is imported only when a file of a known language is reduced.
    """
    lines = text.lines
    result = Extraction(total_lines=text.total_lines, total_bytes=text.total_bytes, sha256=text.sha256,
                        decoding_replaced=text.decoding_replaced, head=Part([]), tail=Part([]),
                        language=spec.name if spec else None)
    if not text.truncated_read and len(lines) <= per_file and all(len(x) <= MAX_LINE_CHARS for x in lines):
        result.full = _guarded(lines, guard)
        return result
    if spec is not None and (text.truncated_read or text.data is None):
        result.fallback = f"{text.total_bytes} bytes is over the read limit; not parsed"
    elif spec is not None:
        from orchestra.context.code.parsing import ParseFailure

        try:
            schema = extract(spec, text.data, enough=per_file)
        except ParseFailure as exc:
            result.fallback = f"{spec.name} parser: {exc}"
            result.cacheable = not exc.transient
        else:
            if schema.lines:
                result.schema = _guarded(schema.lines[:per_file], guard)
                result.schema_total = len(schema.lines)
                result.schema_partial = not schema.complete
                result.declarations = schema.declarations
                return result
            result.fallback = f"{spec.name} parser: no declarations found"
    result.head = _guarded([cut_line(x) for x in lines[:HEAD_LINES]], guard)
    tail_source = text.tail if text.truncated_read else lines[-TAIL_LINES:]
    result.tail = _guarded([cut_line(x) for x in tail_source[-TAIL_LINES:]], guard)
    return result


def render(extraction: Extraction, max_lines: int, comment_token: str) -> tuple[str, Part, list[Part]]:
    """The strategy, the lines to show within ``max_lines`` and the parts they came from."""
    if max_lines <= 0:
        return "head-tail-truncation", Part([]), []
    full = extraction.full
    if full is not None:
        if full.lines is None or extraction.total_lines <= max_lines:
            return "passthrough", full, [full]
        lines = head_tail(full.lines[:HEAD_LINES], max_lines, extraction.total_lines, full.lines[-TAIL_LINES:])
        return "head-tail-truncation", Part(lines, full.outcome), [full]
    schema = extraction.schema
    if schema is not None:
        if schema.lines is None:
            return "schema-extraction", schema, [schema]
        lines = schema.lines
        if extraction.schema_total > max_lines:
            more = "more" if extraction.schema_partial else f"{extraction.schema_total - (max_lines - 1)} more"
            marker = f"{comment_token} ... {more} declaration lines (schema cut at {max_lines} lines)"
            lines = [*lines[: max_lines - 1], marker] if max_lines > 1 else lines[:1]
        return "schema-extraction", Part(lines, schema.outcome, schema.redactions), [schema]
    head, tail = extraction.head, extraction.tail
    if head.lines is None or tail.lines is None:
        withheld = head if head.lines is None else tail
        return "head-tail-truncation", withheld, [withheld]
    lines = head_tail(head.lines, max_lines, extraction.total_lines, tail.lines)
    return "head-tail-truncation", Part(lines), [head, tail]


def _guarded(lines: list[str], guard: PromptGuard) -> Part:
    safe = guard("\n".join(lines))
    if safe.text is None:
        return Part(None, safe.outcome, dict(safe.redactions))
    return Part(safe.text.split("\n") if lines else [], safe.outcome, dict(sorted(safe.redactions.items())))


def cut_line(line: str) -> str:
    """``line``, cut to ``MAX_LINE_CHARS`` with a marker."""
    return line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + LINE_CUT


def survey(data: bytes) -> tuple[list[str], frozenset[bytes]]:
    """What ranking knows of a file without parsing it, from one scan of its words: the names
    that follow a definition keyword (``def``, ``class``, ``func``, ``struct``, ...; sorted, at most
    :data:`MAX_DEFINITIONS`) and every word it uses (over :data:`MAX_REFERENCES` of them, its identifiers
    only, the first in byte order).

    Both are used only to rank, in memory (never shown, stored or logged); a C-family function without a
    keyword is found by its path and references only. Identifiers worth ranking by have three or more
    characters and do not start with a digit (numbers and hex literals are not names).
    """
    words = data.translate(_WORD_BYTES).split()
    distinct = set(words)  # hashes every word once: the keyword test below reuses the cached hashes
    # each word that follows a definition keyword (C-level iteration: this runs over every file ranked)
    defined = set(compress(islice(words, 1, None), map(_IS_DEFINITION_KEYWORD, words)))
    defined.difference_update(DEFINITION_KEYWORDS)
    names = sorted(name.decode("ascii") for name in defined if len(name) > 2 and name[0] > _LAST_DIGIT)
    if len(distinct) <= MAX_REFERENCES:
        # short words and numbers kept: they can never equal a name (filtered above), so never an edge
        return names[:MAX_DEFINITIONS], frozenset(distinct)
    used = sorted(word for word in distinct if len(word) > 2 and word[0] > _LAST_DIGIT)
    return names[:MAX_DEFINITIONS], frozenset(used[:MAX_REFERENCES])
