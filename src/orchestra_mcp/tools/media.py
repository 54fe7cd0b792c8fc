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

PathParam = Annotated[str, Field(description="Workspace-relative media file (no absolute path, no '..').",
                                 max_length=1024)]
MediaTypeParam = Annotated[Literal["audio", "video"], Field(description="What the file holds: audio or video.")]
MaxDurationParam = Annotated[int | None, Field(description="Tighter duration limit in ms (never above the "
                                                           "policy's).", ge=1)]
MaxBytesParam = Annotated[int | None, Field(description="Tighter size limit in bytes (never above the policy's).",
                                            ge=1)]


def register(server: MCPServer, app: Orchestra) -> None:
    """Add the transcription tools to ``server``."""

    @server.tool(title="Check a media file before transcription", annotations=READ_ONLY)
    async def transcription_preflight(
        path: PathParam, media_type: MediaTypeParam,
        max_duration_ms: MaxDurationParam = None, max_file_bytes: MaxBytesParam = None,
    ) -> MediaPreflight:
        """Is this file acceptable for transcription? Checks the path stays in the workspace, the file is
        what its extension says and complete, its codecs are accepted (audio: aac, flac, mp3, opus, pcm,
        vorbis; video: av1, h264, hevc, vp8, vp9) and it is within the duration and size limits. Returns
        container, duration, streams and whether the local engine is ready. Reads metadata only; writes
        nothing. Errors start with a code such as media_probe_failed or unsupported_media_codec."""
        with tool_errors("transcription_preflight"):
            return await anyio.to_thread.run_sync(
                lambda: app.media.preflight(path, media_type, max_duration_ms=max_duration_ms,
                                            max_file_bytes=max_file_bytes))

    @server.tool(title="Transcribe a media file into task evidence", annotations=CREATES)
    async def transcription_request(
        task_id: Annotated[str, Field(description="The task the transcript is evidence for.", max_length=64)],
        path: PathParam, media_type: MediaTypeParam, ctx: Context[Any],
        language: Annotated[str | None, Field(description="Language hint, e.g. 'en' (default: detected).",
                                              pattern=r"^[a-z]{2,3}$")] = None,
        consent_status: Annotated[ConsentStatus | None, Field(
            description="Consent of the people recorded, when the policy requires it.")] = None,
        execution_mode: Annotated[Literal["local", "external"] | None, Field(
            description="Default: the policy's (local). External runs only if the policy allows it.")] = None,
        provider: Annotated[str | None, Field(description="External provider id (policy allowlist).",
                                              max_length=64)] = None,
        retention_notes: Annotated[str | None, Field(description="Retention notes for the provenance.",
                                                     max_length=1000)] = None,
        max_duration_ms: MaxDurationParam = None, max_file_bytes: MaxBytesParam = None,
    ) -> TranscriptionOutcome:
        """Transcribe a workspace audio/video file with the local engine and store the transcript as task
        evidence (Markdown + JSON under .agent-workflow/evidence/transcripts/, with provenance; secrets
        redacted). Local-first: nothing leaves the machine unless the policy allows a provider. Without a
        configured engine and model it fails with missing_local_engine (never a fake transcript). A refused
        request writes nothing. Reports progress."""
        with tool_errors("transcription_request"):
            request = {
                "task_id": task_id, "actor": "mcp-client",
                "source": {"media_type": media_type, "path": path, "language": language},
                "engine": {"execution_mode": execution_mode, "provider": provider},
                "consent_status": consent_status, "retention_notes": retention_notes,
                "max_duration_ms": max_duration_ms, "max_file_bytes": max_file_bytes,
            }
            return await run_with_progress(ctx, lambda progress: app.media.request(request, progress=progress))
