"""Managed blocks in Markdown/MDC files, with a content hash so hand edits are detected.

Grammar (compatible with the original)::

    <!-- open-orchestra:start block-id="…" generator="orchestra-init" version="1" target="…" content-sha256="…" -->
    content
    <!-- open-orchestra:end block-id="…" -->

``content-sha256`` is the sha256 of the content with trailing whitespace removed. There is
no ``updated-at`` attribute, so an unchanged block is byte-identical on every run.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

GENERATOR = "orchestra-init"
BLOCK_VERSION = "1"


@dataclass(frozen=True)
class BlockResult:
    """The new text and what happened to the block."""

    text: str
    outcome: Literal["created", "updated", "unchanged", "drift", "conflict"]
    note: str | None = None


def content_hash(content: str) -> str:
    return hashlib.sha256(content.rstrip().encode("utf-8")).hexdigest()


def render_block(block_id: str, target: str, content: str) -> str:
    body = content.rstrip()
    start = (f'<!-- open-orchestra:start block-id="{block_id}" generator="{GENERATOR}" version="{BLOCK_VERSION}" '
             f'target="{target}" content-sha256="{content_hash(body)}" -->')
    return f"{start}\n{body}\n<!-- open-orchestra:end block-id=\"{block_id}\" -->\n"


def upsert_block(text: str, block_id: str, target: str, content: str, *, force: bool = False) -> BlockResult:
    """Insert or refresh the block in ``text``; a hand-edited block is left alone unless ``force``."""
    new_block = render_block(block_id, target, content)
    start_re = re.compile(r'<!-- open-orchestra:start block-id="' + re.escape(block_id) + r'"[^\n]*?-->\n?')
    end_marker = f'<!-- open-orchestra:end block-id="{block_id}" -->'
    start = start_re.search(text)
    if start is None:
        if not text:
            return BlockResult(new_block, "created")
        separator = "" if text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        return BlockResult(text + separator + new_block, "created")
    end = text.find(end_marker, start.end())
    if end < 0:
        return BlockResult(text, "conflict", f"managed block {block_id} is missing its end marker")
    after = end + len(end_marker)
    if text.startswith("\n", after):
        after += 1
    actual = text[start.end():end]
    stored = re.search(r'content-sha256="([0-9a-f]{64})"', start.group(0))
    if (stored is None or stored.group(1) != content_hash(actual)) and not force:
        return BlockResult(text, "drift", f"managed block {block_id} was edited by hand; "
                                          "rerun with --force to replace it")
    if text[start.start():after] == new_block:
        return BlockResult(text, "unchanged")
    return BlockResult(text[:start.start()] + new_block + text[after:], "updated")
