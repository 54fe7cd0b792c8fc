"""Transcription failures (reference §10 codes). Each carries the request field it concerns."""

from __future__ import annotations

from typing import Any

from orchestra.errors import OrchestraError, ValidationError


class TranscriptionError(OrchestraError):
    """A transcription request or preflight was refused; nothing was written."""

    code = "transcription_failed"

    def __init__(self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None) -> None:
        merged = dict(details or {})
        if field is not None:
            merged.setdefault("field", field)
        super().__init__(message, details=merged)
        self.field = field


class InvalidTranscriptionRequest(TranscriptionError, ValidationError):
    """The request itself is malformed (the caller can fix it)."""

    code = "invalid_transcription_request"


class MissingTaskError(InvalidTranscriptionRequest):
    code = "missing_task"


class MissingActorError(InvalidTranscriptionRequest):
    code = "missing_actor"


class MissingSourceError(InvalidTranscriptionRequest):
    code = "missing_source"


class InvalidSourceIdentityError(InvalidTranscriptionRequest):
    code = "invalid_source_identity"


class InvalidSourcePathError(InvalidTranscriptionRequest):
    code = "invalid_source_path"


class UnsupportedMediaTypeError(InvalidTranscriptionRequest):
    code = "unsupported_media_type"


class UnsupportedMediaExtensionError(InvalidTranscriptionRequest):
    code = "unsupported_media_extension"


class UnsupportedMediaCodecError(InvalidTranscriptionRequest):
    code = "unsupported_media_codec"


class ExternalProviderDeniedError(TranscriptionError):
    code = "external_provider_denied"


class ExternalProviderNotAllowedError(TranscriptionError):
    code = "external_provider_not_allowed"


class ExternalProviderUnavailableError(TranscriptionError):
    """The policy allows the provider, but no external adapter is built in (never an automatic fallback)."""

    code = "external_provider_unavailable"


class MissingConsentError(TranscriptionError):
    code = "missing_consent"


class DurationLimitExceededError(TranscriptionError):
    code = "duration_limit_exceeded"


class FileSizeLimitExceededError(TranscriptionError):
    code = "file_size_limit_exceeded"


class SourceFileUnreadableError(TranscriptionError):
    code = "source_file_unreadable"


class MissingMediaProbeError(TranscriptionError):
    code = "missing_media_probe"


class MediaProbeFailedError(TranscriptionError):
    code = "media_probe_failed"


class MissingLocalEngineError(TranscriptionError):
    code = "missing_local_engine"


class TranscriptRefusedError(TranscriptionError):
    """The security guard did not let the transcript pass to the evidence sink (fail closed)."""

    code = "transcript_refused"


class TranscriptionEngineFailedError(TranscriptionError):
    """The local engine raised while transcribing; nothing was stored."""

    code = "transcription_engine_failed"
    retryable = True


ERRORS_BY_CODE: dict[str, type[TranscriptionError]] = {
    cls.code: cls for cls in (
        MissingTaskError, MissingActorError, MissingSourceError, InvalidSourceIdentityError, InvalidSourcePathError,
        UnsupportedMediaTypeError, UnsupportedMediaExtensionError, UnsupportedMediaCodecError,
        ExternalProviderDeniedError, ExternalProviderNotAllowedError, ExternalProviderUnavailableError,
        MissingConsentError, DurationLimitExceededError, FileSizeLimitExceededError, SourceFileUnreadableError,
        MissingMediaProbeError, MediaProbeFailedError, MissingLocalEngineError,
    )
}
"""Failure code -> error class."""
