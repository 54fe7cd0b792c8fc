"""The ``context_bundle`` tool and the ``orchestra://context/{task_id}/{role}`` resource."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel, Field

from orchestra.app import Orchestra
from orchestra.context.manifest import ContextManifest, ManifestEntry, render_markdown
from orchestra.context.model import BundleBudget, OmittedSource
from orchestra_mcp.annotations import READ_ONLY
from orchestra_mcp.errors import resource_errors, tool_errors
from orchestra_mcp.progress import run_with_progress

INLINE_MARKDOWN_LIMIT = 24_000


class FileSummary(BaseModel):
    """One source in the bundle, without its content."""

    path: str
    strategy: str
    original_lines: int
    final_lines: int
    omitted_content_warning: str | None
    redactions: dict[str, int]
    missing: bool


class ContextBundleResult(BaseModel):
    """The bundle a delegated child should read instead of raw files."""

    task_id: str
    role: str
    role_source: str = Field("request", description="What chose the role: request, task (owner role) or default "
                                                    "(config tasks.defaultRole).")
    phase: str | None
    config: BundleBudget
    config_warnings: list[str]
    original_lines: int
    final_lines: int
    original_bytes: int
    final_bytes: int
    omitted_content_warning: str | None
    entries: list[ManifestEntry]
    files: list[FileSummary]
    omitted_sources: list[OmittedSource] = Field(description="Sources past the total budget (listed, not loaded).")
    redaction_total: int = Field(description="Secrets or personal data redacted before reaching the child.")
    content_hash: str = Field(description="sha256 of the bundle; identical inputs give the identical hash.")
    markdown: str | None = Field(description="The manifest and bundle as Markdown for a child prompt; null when "
                                             "too large to inline (read resource_uri instead).")
    markdown_chars: int
    resource_uri: str = Field(description="Resource with the same Markdown (default budgets, no phase).")


def context_uri(task_id: str, role: str) -> str:
    """The resource URI for a task/role bundle."""
    return f"orchestra://context/{task_id}/{role}"


def to_result(manifest: ContextManifest) -> ContextBundleResult:
    """Summarise a manifest for the tool result."""
    bundle = manifest.bundle
    markdown = render_markdown(manifest)
    return ContextBundleResult(
        task_id=manifest.task_id, role=manifest.role, phase=manifest.phase, config=bundle.config,
        config_warnings=bundle.config_warnings, original_lines=bundle.original_lines, final_lines=bundle.final_lines,
        original_bytes=bundle.original_bytes, final_bytes=bundle.final_bytes,
        omitted_content_warning=bundle.omitted_content_warning, entries=manifest.entries,
        files=[FileSummary(path=f.path, strategy=f.strategy, original_lines=f.original_lines,
                           final_lines=f.final_lines, omitted_content_warning=f.omitted_content_warning,
                           redactions=f.redactions, missing=f.missing) for f in bundle.files],
        omitted_sources=bundle.omitted_sources, redaction_total=bundle.redaction_total,
        content_hash=bundle.content_hash,
        markdown=markdown if len(markdown) <= INLINE_MARKDOWN_LIMIT else None, markdown_chars=len(markdown),
        resource_uri=context_uri(manifest.task_id, manifest.role),
    )


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the context tool and resource template to ``server``."""

    @server.tool(title="Build a context bundle", annotations=READ_ONLY)
    async def context_bundle(
        task_id: Annotated[str, Field(description="Task id.", max_length=64)],
        ctx: Context[Any],
        role: Annotated[str | None, Field(description="Child's role (default: the task's, else configured).",
                                          max_length=64)] = None,
        phase: Annotated[str | None, Field(description="Phase.", max_length=64)] = None,
        paths: Annotated[list[str] | None, Field(
            description="Extra workspace-relative paths.", max_length=2000)] = None,
        max_lines_per_file: Annotated[int | None, Field(
            description="Lines per file (default 80).",
            ge=1, le=2000)] = None,
        total_line_budget: Annotated[int | None, Field(
            description="Lines in all (default 360).", ge=1, le=20000)] = None,
    ) -> ContextBundleResult:
        """Preview the bounded, redacted context a child gets (task, AGENTS.md, owned paths)."""
        with tool_errors("context_bundle"):
            owner = app.tasks.get(task_id).owner_role if role is None else None
            chosen = role or owner or app.config.tasks.default_role
            source = "request" if role else ("task" if owner else "default")
            manifest = await run_with_progress(ctx, lambda progress: app.context.manifest(
                task_id, chosen, phase=phase, paths=paths or [], max_lines_per_file=max_lines_per_file,
                total_line_budget=total_line_budget, progress=progress), every=10)
            return to_result(manifest).model_copy(update={"role_source": source})

    @server.resource("orchestra://context/{task_id}/{role}", name="context", title="Context bundle (Markdown)",
                     mime_type="text/markdown")
    def context_resource(task_id: str, role: str) -> str:
        """The context manifest and preprocessed bundle for a task and role, as Markdown for a child prompt."""
        with resource_errors(context_uri(task_id, role)):
            return render_markdown(app.context.manifest(task_id, role))
