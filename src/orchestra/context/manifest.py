"""The context manifest: required entries with hashes and load modes, plus the bundle, and its Markdown."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from orchestra.context.marked import MarkedText
from orchestra.context.model import ContextBundle, ContextFile

LoadMode = Literal["full", "excerpt", "reference-only"]
EntrySource = Literal["task-definition", "runtime-instructions", "ownership-path", "requested-path"]
_FULL = frozenset({"passthrough"})
_EXCERPT = frozenset({"schema-extraction", "section-extraction", "head-tail-truncation"})


class ManifestEntry(BaseModel):
    """One source the child was given, and how."""

    path: str
    source: EntrySource
    required: bool
    reason: str
    load_mode: LoadMode = Field(description="full (whole text), excerpt (reduced) or reference-only.")
    sha256: str | None = Field(description="sha256 of the full source (null when missing).")
    missing: bool


class ContextManifest(BaseModel):
    """Everything a delegated child is handed about its context."""

    task_id: str
    role: str
    phase: str | None
    acceptance_criteria: list[str]
    entries: list[ManifestEntry]
    bundle: ContextBundle


def load_mode_of(file: ContextFile | None) -> LoadMode:
    """``full`` for passthrough, ``excerpt`` for reductions, else ``reference-only``."""
    if file is None or file.missing or file.guard_outcome not in ("allow", "redact"):
        return "reference-only"
    if file.strategy in _FULL:
        return "full"
    if file.strategy in _EXCERPT:
        return "excerpt"
    return "reference-only"


def render_markdown(manifest: ContextManifest) -> str:
    """Markdown for embedding in a child prompt (reference §2.7 layout)."""
    return marked_markdown(manifest).text() + "\n"


def marked_markdown(manifest: ContextManifest) -> MarkedText:
    """:func:`render_markdown` as marked lines: each file's content (guarded when the bundle was built)
    is marked ``guarded``, everything else ``check``."""
    bundle = manifest.bundle
    out = MarkedText().check("## Required Context Files", "")
    for entry in manifest.entries:
        status = "status: missing" if entry.missing else f"sha256: {entry.sha256}" if entry.sha256 else "inline"
        out.check(f"- `{entry.path}` (source: {entry.source}, loadMode: {entry.load_mode}, "
                  f"required: {'yes' if entry.required else 'no'}, {status}) — {entry.reason}")
    if manifest.acceptance_criteria:
        out.check("", "## Acceptance Criteria", "")
        out.check(*(f"- {criterion}" for criterion in manifest.acceptance_criteria))
    out.check(
        "", "## Preprocessed Runtime Context", "",
        f"- config: {bundle.config.max_lines_per_file} lines per file, {bundle.config.total_line_budget} lines in all",
        f"- totals: {bundle.original_lines} → {bundle.final_lines} lines, "
        f"{bundle.original_bytes} → {bundle.final_bytes} bytes",
        f"- bundle sha256: {bundle.content_hash}",
    )
    if bundle.omitted_content_warning:
        out.check(f"- warning: {bundle.omitted_content_warning}")
    out.check(*(f"- config warning: {w}" for w in bundle.config_warnings))
    for file in bundle.files:
        out.check("").extend(marked_file(file))
    if bundle.omitted_sources:
        out.check("", "### Omitted (total line budget exhausted)", "")
        out.check(*(f"- `{s.path}` — {s.reason} ({s.omitted_because}; cite this path and ask for it if needed)"
                    for s in bundle.omitted_sources))
    return out.strip_end()


def render_file(file: ContextFile) -> list[str]:
    """One file's section."""
    return marked_file(file).text().split("\n")


def marked_file(file: ContextFile) -> MarkedText:
    """One file's section; its content is marked ``guarded`` (it passed the guard in the preprocessor)."""
    out = MarkedText().check(
        f"### {file.path}", "",
        f"- sourcePath: `{file.path}`",
        f"- strategy: {file.strategy}",
        f"- originalSize: {file.original_lines} lines / {file.original_bytes} bytes",
        f"- finalSize: {file.final_lines} lines / {file.final_bytes} bytes",
        f"- omittedContentWarning: {file.omitted_content_warning or 'none'}",
        f"- reason: {file.reason}",
    )
    if file.redactions:
        counts = ", ".join(f"{category} ×{count}" for category, count in file.redactions.items())
        out.check(f"- redactions: {counts}")
    if file.missing:
        return out.check("", "Missing or unresolved source path; cite the path and request full context if required.")
    fence = "`" * max(3, _longest_backtick_run(file.content) + 1)
    return out.check("", fence).guarded(file.content).check(fence)


def _longest_backtick_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)
