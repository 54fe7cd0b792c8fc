"""Records of a context bundle (reference §3.2, snake_case, plus what the original lacked)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Strategy = Literal[
    "passthrough",
    "schema-extraction",
    "section-extraction",
    "head-tail-truncation",
    "directory-reference",
    "binary-reference",
    "missing",
    "omitted",
]


class ContextSource(BaseModel):
    """One thing a child may need: a workspace path, or inline text under a name."""

    path: str = Field(description="Workspace-relative path (or a label for inline text).")
    reason: str = Field(description="Why the child needs it.")
    required: bool = False
    content: str | None = Field(None, description="Inline text instead of reading the path.")


class ContextFile(BaseModel):
    """One source after reduction."""

    path: str
    reason: str
    required: bool
    strategy: Strategy
    original_lines: int
    final_lines: int
    original_bytes: int
    final_bytes: int
    omitted_content_warning: str | None = Field(description="Set when anything was reduced, withheld or missing.")
    content: str
    missing: bool
    sha256: str | None = Field(description="sha256 of the full source bytes (null when missing).")
    decoding_replaced: bool = Field(False, description="True when invalid UTF-8 was replaced while decoding.")
    redactions: dict[str, int] = Field(default_factory=dict,
                                       description="Redactions the security guard made, by category (counts only).")
    guard_outcome: str = Field("allow", description="The guard's decision for this file's text (sink: prompt).")
    language: str | None = Field(None, description="The language whose parser read the file (schema extraction).")
    fallback_reason: str | None = Field(None, description="Why the parser's schema was not used (head/tail instead).")


class OmittedSource(BaseModel):
    """A source that did not fit the total budget; listed, never silently dropped."""

    path: str
    reason: str
    required: bool
    omitted_because: str = Field("total line budget exhausted", description="Why it was left out.")


class BundleBudget(BaseModel):
    """The budgets in force."""

    max_lines_per_file: int
    total_line_budget: int


class ContextBundle(BaseModel):
    """The preprocessed context a delegated child reads instead of raw files."""

    config: BundleBudget
    config_warnings: list[str] = Field(default_factory=list)
    original_lines: int
    final_lines: int
    original_bytes: int
    final_bytes: int
    omitted_content_warning: str | None = Field(
        description="Set only when some file was actually reduced, withheld or omitted."
    )
    files: list[ContextFile]
    omitted_sources: list[OmittedSource] = Field(default_factory=list)
    redaction_total: int = 0
    content_hash: str = Field("", description="sha256 of the bundle's canonical JSON (excluding this field).")
