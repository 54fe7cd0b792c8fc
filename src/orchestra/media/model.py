"""Requests, preflight reports, engine readiness and transcription outcomes (reference §10 shapes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from orchestra.media.settings import ExecutionMode, RetentionClass

ConsentStatus = Literal["not_required", "provided", "missing", "unknown"]
SourceKind = Literal["workflow-file", "vault-artifact"]
MissingPart = Literal["engine_package", "model_path", "model_file"]


class SourceInput(BaseModel):
    """What to transcribe: exactly one of ``path`` (workspace-relative) or ``artifact_id``."""

    model_config = ConfigDict(extra="forbid")

    media_type: str = Field(max_length=16, description="'audio' or 'video'.")
    path: str | None = Field(None, max_length=1024, description="Workspace-relative media file.")
    artifact_id: str | None = Field(None, max_length=128, description="A vault artifact id (not supported here).")
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$", description="Language hint, e.g. 'en'.")


class EngineChoice(BaseModel):
    """Which engine the caller asks for; the policy decides whether it may run."""

    model_config = ConfigDict(extra="forbid")

    execution_mode: ExecutionMode | None = None
    provider: str | None = Field(None, max_length=64)
    model: str | None = Field(None, max_length=128)


class TranscriptionRequest(BaseModel):
    """A request to transcribe a source into task evidence. Limits may only tighten the policy's."""

    model_config = ConfigDict(extra="forbid")

    task_id: str = Field(max_length=64)
    actor: str = Field(max_length=128)
    source: SourceInput | None
    engine: EngineChoice = Field(default_factory=EngineChoice)
    consent_status: ConsentStatus | None = None
    retention_notes: str | None = Field(None, max_length=1000)
    max_duration_ms: int | None = Field(None, ge=1)
    max_file_bytes: int | None = Field(None, ge=1)


class Failure(BaseModel):
    """One reason a request is refused."""

    code: str
    message: str
    field: str | None = None


class StreamInfo(BaseModel):
    """One stream as the probe saw it (metadata only, nothing decoded)."""

    index: int
    type: str = Field(description="'audio', 'video', 'subtitle', 'data' ...")
    codec: str = Field(description="FFmpeg's canonical codec name, e.g. 'opus', 'h264'.")
    duration_ms: int | None = None
    sample_rate: int | None = None
    channels: int | None = None
    width: int | None = None
    height: int | None = None


class Limits(BaseModel):
    """The limits that applied."""

    max_duration_ms: int
    max_file_bytes: int


class EngineReadiness(BaseModel):
    """Whether the local engine can run, and which part is missing if not."""

    status: Literal["ready", "missing_local_engine"]
    engine: str
    provider: str
    model: str
    missing: list[MissingPart] = Field(description="engine_package (pip install 'orchestra-mcp[transcribe]'), "
                                                   "model_path (not configured) or model_file (not found).")
    message: str


class MediaPreflight(BaseModel):
    """A source that passed preflight: safe path, readable, probed, within limits."""

    status: Literal["ready"]
    source_path: str = Field(description="The path as given (normalised).")
    resolved_path: str = Field(description="Workspace-relative path after symlinks.")
    media_type: str
    size_bytes: int
    duration_ms: int
    format_name: str = Field(description="The container (FFmpeg demuxer), e.g. 'wav', 'mov', 'matroska'.")
    codecs: list[str]
    streams: list[StreamInfo]
    policy_id: str
    limits: Limits
    engine: EngineReadiness
    warnings: list[str]


class Provenance(BaseModel):
    """Where a transcript came from (reference §10 provenance)."""

    source_kind: SourceKind
    source_path: str
    source_sha256: str
    media_type: str
    format_name: str
    codecs: list[str]
    duration_ms: int
    language: str | None
    engine: str
    engine_provider: str
    engine_model: str
    execution_mode: ExecutionMode
    actor: str
    task_id: str
    generated_at: str
    consent_status: ConsentStatus
    retention_class: RetentionClass
    retention_notes: str | None
    policy_id: str
    redaction_policy_id: str


class Segment(BaseModel):
    """One transcript segment (text already passed the guard)."""

    id: str
    start_ms: int
    end_ms: int
    text: str
    timestamp_quality: Literal["none", "low", "medium", "high"] = "medium"


class RedactionSummary(BaseModel):
    """What the guard replaced before anything was stored."""

    policy_id: str
    count: int
    categories: list[str]


class TranscriptOutputs(BaseModel):
    """The evidence files (workspace-relative) and their sha256."""

    markdown_path: str
    markdown_sha256: str
    json_path: str
    json_sha256: str


class TranscriptionOutcome(BaseModel):
    """A completed transcription, stored as task evidence."""

    status: Literal["completed"]
    artifact_id: str
    task_id: str
    provenance: Provenance
    outputs: TranscriptOutputs
    segments: int
    redactions: RedactionSummary
    text: str = Field(description="The guarded transcript (cut at 20,000 characters; the files hold it all).")
    text_truncated: bool
    warnings: list[str]
