"""Building a bundle: dedupe sources, reduce each within the remaining budget, guard, total, hash.

Deterministic: the same sources, file contents, budgets and terms give a
byte-identical bundle (no timestamps inside; sources keep their given order).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

from orchestra.context.config import BundleConfig
from orchestra.context.directory import directory_listing
from orchestra.context.guarding import PromptGuard
from orchestra.context.model import BundleBudget, ContextBundle, ContextFile, ContextSource, OmittedSource, Strategy
from orchestra.context.strategies.head_tail import head_tail
from orchestra.context.strategies.markdown_sections import Term, markdown_sections
from orchestra.context.strategies.python_schema import python_schema
from orchestra.context.strategies.ts_schema import ts_schema
from orchestra.context.text import SourceText, from_string, read_file
from orchestra.errors import OrchestraError
from orchestra.workspace.paths import guard_path

PYTHON_SUFFIXES = frozenset({".py", ".pyi"})
SCRIPT_SUFFIXES = frozenset({".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"})
MARKDOWN_SUFFIXES = frozenset({".md", ".mdc", ".markdown"})
REDUCING = frozenset({"schema-extraction", "section-extraction", "head-tail-truncation", "directory-reference",
                      "binary-reference"})
BUNDLE_WARNING = "One or more context sources were reduced or omitted; cite source paths when full files are needed."
Progress = Callable[[int, int, str], None]


class Preprocessor:
    """Reduces sources inside one workspace, passing every text through the prompt guard."""

    def __init__(self, root: Path, guard: PromptGuard) -> None:
        self._root = root
        self._guard = guard

    def build(
        self,
        sources: Sequence[ContextSource],
        config: BundleConfig,
        *,
        terms: Sequence[Term] = (),
        config_warnings: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> ContextBundle:
        """The bundle for ``sources`` (deduplicated by path, first wins) within ``config``'s budgets."""
        unique = list({s.path: s for s in reversed(sources)}.values())[::-1]
        remaining = config.total_line_budget
        files: list[ContextFile] = []
        omitted: list[OmittedSource] = []
        for index, source in enumerate(unique):
            if remaining <= 0:
                omitted.append(OmittedSource(path=source.path, reason=source.reason, required=source.required))
            else:
                record = self._process(source, min(config.max_lines_per_file, remaining), list(terms))
                remaining -= record.final_lines
                files.append(record)
            if progress is not None:
                progress(index + 1, len(unique), source.path)
        return _assemble(config, list(config_warnings), files, omitted)

    def _process(self, source: ContextSource, max_lines: int, terms: list[Term]) -> ContextFile:
        if source.content is not None:
            return self._reduce(source, from_string(source.content), max_lines, terms)
        try:
            guarded = guard_path(self._root, source.path)
        except OrchestraError:
            return _missing(source)
        target = guarded.absolute
        if "*" in source.path or not target.exists():
            return _missing(source)
        if target.is_dir():
            lines = directory_listing(target, guarded.relative, max_lines)
            return self._finish(source, "directory-reference", lines, 0, 0, None, False,
                                "Directory listed without reading file contents.")
        if not target.is_file():
            return _missing(source)
        try:
            text = read_file(target)
        except OSError:
            return _missing(source)
        if text.binary:
            line = f"Binary file reference: {guarded.relative} ({text.total_bytes} bytes); contents not loaded."
            return self._finish(source, "binary-reference", [line], 0, text.total_bytes, text.sha256, False,
                                "Binary file referenced without loading its contents.")
        return self._reduce(source, text, max_lines, terms)

    def _reduce(self, source: ContextSource, text: SourceText, max_lines: int, terms: list[Term]) -> ContextFile:
        strategy, lines = choose_reduction(source.path, text, max_lines, terms)
        return self._finish(source, strategy, lines, text.total_lines, text.total_bytes, text.sha256,
                            text.decoding_replaced, None)

    def _finish(self, source: ContextSource, strategy: Strategy, lines: list[str], original_lines: int,
                original_bytes: int, sha256: str | None, replaced: bool, note: str | None) -> ContextFile:
        content = "\n".join(_trim_blank_edges(lines))
        safe = self._guard(content)
        content = f"[withheld by the security guard: {safe.outcome}]" if safe.text is None else safe.text
        final_lines = len(content.split("\n")) if content else 0
        warning = note
        if strategy in REDUCING and note is None:
            warning = (f"Reduced from {original_lines} lines using {strategy}; "
                       f"full source remains at {source.path}.")
        if safe.text is None:
            warning = f"Content withheld by the security guard ({safe.outcome}); full source remains at {source.path}."
        if replaced:
            warning = (warning + " " if warning else "") + "Invalid UTF-8 was replaced while decoding."
        return ContextFile(
            path=source.path, reason=source.reason, required=source.required, strategy=strategy,
            original_lines=original_lines, final_lines=final_lines, original_bytes=original_bytes,
            final_bytes=len(content.encode("utf-8")), omitted_content_warning=warning, content=content,
            missing=False, sha256=sha256, decoding_replaced=replaced, redactions=dict(sorted(safe.redactions.items())),
            guard_outcome=safe.outcome,
        )


def choose_reduction(path: str, text: SourceText, max_lines: int, terms: list[Term]) -> tuple[Strategy, list[str]]:
    """Pick the strategy for one text and apply it."""
    if not text.truncated_read and len(text.lines) <= max_lines:
        return "passthrough", text.lines
    suffix = Path(path).suffix.lower()
    reduced: list[str] | None = None
    if not text.truncated_read:
        if suffix in PYTHON_SUFFIXES:
            reduced = python_schema("\n".join(text.lines), max_lines)
            if reduced:
                return "schema-extraction", reduced
        elif suffix in SCRIPT_SUFFIXES:
            reduced = ts_schema(text.lines, max_lines)
            if reduced:
                return "schema-extraction", reduced
        elif suffix in MARKDOWN_SUFFIXES:
            reduced = markdown_sections(text.lines, max_lines, terms)
            if reduced:
                return "section-extraction", reduced
    tail = text.tail if text.truncated_read else None
    return "head-tail-truncation", head_tail(text.lines, max_lines, text.total_lines, tail)


def _missing(source: ContextSource) -> ContextFile:
    return ContextFile(
        path=source.path, reason=source.reason, required=source.required, strategy="missing", original_lines=0,
        final_lines=0, original_bytes=0, final_bytes=0,
        omitted_content_warning=f"Source path was unavailable during preprocessing: {source.path}.",
        content="", missing=True, sha256=None,
    )


def _trim_blank_edges(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _assemble(config: BundleConfig, warnings: list[str], files: list[ContextFile],
              omitted: list[OmittedSource]) -> ContextBundle:
    reduced = omitted or any(f.strategy in REDUCING or f.guard_outcome not in ("allow", "redact") for f in files)
    bundle = ContextBundle(
        config=BundleBudget(max_lines_per_file=config.max_lines_per_file, total_line_budget=config.total_line_budget),
        config_warnings=warnings,
        original_lines=sum(f.original_lines for f in files),
        final_lines=sum(f.final_lines for f in files),
        original_bytes=sum(f.original_bytes for f in files),
        final_bytes=sum(f.final_bytes for f in files),
        omitted_content_warning=BUNDLE_WARNING if reduced else None,
        files=files,
        omitted_sources=omitted,
        redaction_total=sum(sum(f.redactions.values()) for f in files),
    )
    return bundle.model_copy(update={"content_hash": bundle_hash(bundle)})


def bundle_hash(bundle: ContextBundle) -> str:
    """sha256 over the canonical JSON of the bundle without its hash field."""
    data = bundle.model_dump(mode="json", exclude={"content_hash"})
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
