"""Parsing with tree-sitter, bounded in size and time; grammars load on first use.

``tree_sitter`` and each grammar wheel are imported only here, lazily, so that the
server's start and the hooks never pay for them.
"""

from __future__ import annotations

import importlib
import threading
import time
from typing import Any

from orchestra.context.code.languages import LanguageSpec

PARSE_MAX_BYTES = 1024 * 1024
PARSE_TIMEOUT_SECONDS = 5.0
TIMED_ABOVE_BYTES = 128 * 1024  # smaller inputs parse in milliseconds; the time check costs ~10 %
_READ_CHUNK = 64 * 1024


class ParseFailure(Exception):
    """The file could not be parsed within its limits; the message is the recorded reason.

    ``transient`` is true for the time limit: it depends on the machine's load, not on the
    file, so such a result must not be cached.
    """

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.transient = transient


_lock = threading.Lock()
_parsers: dict[str, Any] = {}
_local = threading.local()


def _parser(spec: LanguageSpec) -> Any:
    """A parser for ``spec`` (one per thread: tree-sitter parsers are not thread-safe)."""
    cache: dict[str, Any] | None = getattr(_local, "parsers", None)
    if cache is None:
        cache = _local.parsers = {}
    parser = cache.get(spec.name)
    if parser is None:
        with _lock:
            language = _parsers.get(spec.name)
            if language is None:
                try:
                    tree_sitter = importlib.import_module("tree_sitter")
                    grammar = importlib.import_module(spec.module)
                    language = tree_sitter.Language(getattr(grammar, spec.function)())
                except (ImportError, AttributeError, ValueError, TypeError) as exc:
                    raise ParseFailure(f"no {spec.name} parser installed ({type(exc).__name__})") from exc
                _parsers[spec.name] = language
            parser = importlib.import_module("tree_sitter").Parser(language)
        cache[spec.name] = parser
    return parser


def parse(spec: LanguageSpec, data: bytes, *, timeout: float = PARSE_TIMEOUT_SECONDS, old_tree: Any = None) -> Any:
    """The syntax tree of ``data``; raises :class:`ParseFailure` past the size or time limit.

    ``old_tree`` is an earlier tree of a prefix of ``data``, already edited (:func:`extend`): tree-sitter
    reuses its unchanged part, so growing a prefix step by step costs about one parse of the final length."""
    if len(data) > PARSE_MAX_BYTES:
        raise ParseFailure(f"{len(data)} bytes is over the {PARSE_MAX_BYTES}-byte parse limit")
    parser = _parser(spec)
    if len(data) <= TIMED_ABOVE_BYTES:
        tree = parser.parse(data) if old_tree is None else parser.parse(data, old_tree=old_tree)
        if tree is None:
            raise ParseFailure("the parser returned no tree")
        return tree
    deadline = time.monotonic() + timeout

    def read(offset: int, _point: object) -> bytes:
        return data[offset:offset + _READ_CHUNK]

    def cancel(_offset: int, _has_error: bool) -> bool:
        return time.monotonic() > deadline

    try:
        if old_tree is None:  # the binding takes no ``old_tree=None``
            tree = parser.parse(read, progress_callback=cancel)
        else:
            tree = parser.parse(read, old_tree=old_tree, progress_callback=cancel)
    except ValueError as exc:  # tree-sitter reports a cancelled parse as a failure
        parser.reset()
        raise ParseFailure(f"parse exceeded {timeout:g} s", transient=True) from exc
    if tree is None:
        raise ParseFailure("the parser returned no tree")
    return tree


def extend(tree: Any, data: bytes, old_end: int, new_end: int) -> Any:
    """Tell ``tree`` (parsed from ``data[:old_end]``) that text was appended up to ``new_end``, so that the next
    :func:`parse` of ``data[:new_end]`` with it as ``old_tree`` reuses what did not change."""
    tree.edit(start_byte=old_end, old_end_byte=old_end, new_end_byte=new_end, start_point=_point(data, old_end),
              old_end_point=_point(data, old_end), new_end_point=_point(data, new_end))
    return tree


def _point(data: bytes, offset: int) -> tuple[int, int]:
    """The (row, byte column) of ``offset`` in ``data``."""
    return data.count(b"\n", 0, offset), offset - (data.rfind(b"\n", 0, offset) + 1)
