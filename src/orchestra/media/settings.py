"""The ``transcription`` section of ``.agent-workflow/config.json`` (operator settings, never request input).

The policy keeps the seed's default ``local-first-transcription-v1``; limits default to 2 hours and 1 GiB
(the seed has none: every input here is bounded). A request may tighten the limits, never loosen them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

ExecutionMode = Literal["local", "external"]
RetentionClass = Literal["ephemeral", "task-evidence", "regulated", "do-not-retain"]
PROVIDER_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"


class _Section(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class TranscriptionPolicy(_Section):
    """Who may transcribe, where, and within which limits (reference §10 default policy)."""

    policy_id: str = Field("local-first-transcription-v1", min_length=1, max_length=128)
    execution_mode: ExecutionMode = "local"
    external_provider_allowed: bool = False
    allowed_external_providers: list[str] = Field(default_factory=list, max_length=32)
    require_consent: bool = False
    retention_class: RetentionClass = "task-evidence"
    redaction_policy_id: str = Field("context-vault-redaction-v1", min_length=1, max_length=128)
    max_file_bytes: int = Field(1_073_741_824, ge=1, le=1 << 40)
    max_duration_ms: int = Field(7_200_000, ge=1, le=86_400_000)


class LocalEngineSettings(_Section):
    """The local engine: faster-whisper with a CTranslate2 model folder the operator provides.

    ``modelPath`` may be absolute or workspace-relative; ``ORCHESTRA_TRANSCRIPTION_MODEL`` overrides it.
    Models are never downloaded.
    """

    engine: Literal["faster-whisper"] = "faster-whisper"
    provider: str = Field("local", pattern=PROVIDER_PATTERN)
    model: str = Field("local-default", min_length=1, max_length=128)
    model_path: str | None = Field(None, max_length=4096)
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    compute_type: str = Field("int8", pattern=r"^[a-z0-9_]{1,32}$")
    cpu_threads: int = Field(0, ge=0, le=256)
    beam_size: int = Field(1, ge=1, le=10)
    temperature: list[float] = Field(default_factory=lambda: [0.0, 0.2, 0.4, 0.6, 0.8, 1.0], min_length=1,
                                     max_length=10)
    """Decoding temperatures, tried in turn when a window decodes badly (faster-whisper's default)."""


class TranscriptionSettings(_Section):
    """Everything the transcription service reads from config."""

    policy: TranscriptionPolicy = Field(default_factory=TranscriptionPolicy)
    local_engine: LocalEngineSettings = Field(default_factory=LocalEngineSettings)
    probe_timeout_ms: int = Field(20_000, ge=100, le=600_000)
    max_transcript_chars: int = Field(2_000_000, ge=1000, le=16_000_000)
