"""The opt-in ``media`` group: ``transcription_preflight`` and ``transcription_request``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from orchestra.app import Orchestra
from orchestra.media.model import ConsentStatus, MediaPreflight, TranscriptionOutcome
from orchestra_mcp.annotations import CREATES, READ_ONLY
from orchestra_mcp.errors import tool_errors
from orchestra_mcp.progress import run_with_progress

PathParam = Annotated[str, Field(description="Workspace-relative media file.", max_length=1024)]
MediaTypeParam = Annotated[Literal["audio", "video"], Field(description="audio or video.")]
MaxDurationParam = Annotated[int | None, Field(description="Tighter duration limit, ms.", ge=1)]
MaxBytesParam = Annotated[int | None, Field(description="Tighter size limit, bytes.", ge=1)]


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the transcription tools to ``server``."""

    @server.tool(title="Check a media file before transcription", annotations=READ_ONLY)
    async def transcription_preflight(
        path: PathParam, media_type: MediaTypeParam,
        max_duration_ms: MaxDurationParam = None, max_file_bytes: MaxBytesParam = None,
    ) -> MediaPreflight:
        """Is this file acceptable for transcription (path, real format, codecs, duration, size)? Returns
        container, duration, streams, engine readiness. Writes nothing."""
        with tool_errors("transcription_preflight"):
            return await anyio.to_thread.run_sync(
                lambda: app.media.preflight(path, media_type, max_duration_ms=max_duration_ms,
                                            max_file_bytes=max_file_bytes))

    @server.tool(title="Transcribe a media file into task evidence", annotations=CREATES)
    async def transcription_request(
        task_id: Annotated[str, Field(description="The task the transcript is evidence for.", max_length=64)],
        path: PathParam, media_type: MediaTypeParam, ctx: Context[Any],
        language: Annotated[str | None, Field(description="Language hint, e.g. 'en'.",
                                              pattern=r"^[a-z]{2,3}$")] = None,
        consent_status: Annotated[ConsentStatus | None, Field(description="Consent of those recorded.")] = None,
        execution_mode: Annotated[Literal["local", "external"] | None, Field(
            description="Default local; external only if the policy allows.")] = None,
        provider: Annotated[str | None, Field(description="External provider id.", max_length=64)] = None,
    ) -> TranscriptionOutcome:
        """Transcribe a file with the local engine into task evidence (redacted, with provenance).
        missing_local_engine without a configured model. Reports progress."""
        with tool_errors("transcription_request"):
            request = {
                "task_id": task_id, "actor": "mcp-client",
                "source": {"media_type": media_type, "path": path, "language": language},
                "engine": {"execution_mode": execution_mode, "provider": provider},
                "consent_status": consent_status,
            }
            return await run_with_progress(ctx, lambda progress: app.media.request(request, progress=progress))
