"""Request validation (reference §10 ``validateTranscriptionRequest``): every failure, in the seed's order.

Differences from the original: the policy comes from the operator's config, never from the request (a
request may only tighten the limits), and a vault ``artifact_id`` is refused because this server keeps no
vault (``invalid_source_identity``).
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestra.media.errors import ERRORS_BY_CODE, TranscriptionError
from orchestra.media.model import ConsentStatus, Failure, Limits, TranscriptionRequest
from orchestra.media.policy import MEDIA_TYPES, has_supported_extension, is_safe_source_path
from orchestra.media.settings import ExecutionMode, TranscriptionPolicy


@dataclass(frozen=True)
class NormalizedRequest:
    """A request that passed validation, with the policy's defaults filled in."""

    request: TranscriptionRequest
    path: str
    media_type: str
    execution_mode: ExecutionMode
    provider: str
    consent_status: ConsentStatus
    limits: Limits


def effective_limits(policy: TranscriptionPolicy, max_duration_ms: int | None, max_file_bytes: int | None) -> Limits:
    """The policy's limits, tightened (never loosened) by the request's."""
    return Limits(max_duration_ms=min(policy.max_duration_ms, max_duration_ms or policy.max_duration_ms),
                  max_file_bytes=min(policy.max_file_bytes, max_file_bytes or policy.max_file_bytes))


def source_failures(media_type: str, path: str | None, artifact_id: str | None) -> list[Failure]:
    """Source identity, path syntax, media type and extension failures."""
    failures: list[Failure] = []
    has_path, has_artifact = bool(path and path.strip()), bool(artifact_id and artifact_id.strip())
    if not has_path and not has_artifact:
        failures.append(Failure(code="invalid_source_identity", field="source",
                                message="source must give a workspace file path or a vault artifact id"))
    elif has_path and has_artifact:
        failures.append(Failure(code="invalid_source_identity", field="source",
                                message="source must not mix a workspace file path and a vault artifact id"))
    elif has_artifact:
        failures.append(Failure(code="invalid_source_identity", field="source.artifact_id",
                                message="vault artifacts are not kept by this server; give a workspace file path"))
    if has_path and not is_safe_source_path(path or ""):
        failures.append(Failure(code="invalid_source_path", field="source.path",
                                message="source path must be workspace-relative and must not traverse directories"))
    if media_type not in MEDIA_TYPES:
        failures.append(Failure(code="unsupported_media_type", field="source.media_type",
                                message="source media type must be audio or video"))
    elif has_path and not has_supported_extension(media_type, path or ""):
        failures.append(Failure(code="unsupported_media_extension", field="source.path",
                                message=f"source extension is not supported for {media_type}"))
    return failures


def validate(request: TranscriptionRequest, policy: TranscriptionPolicy) -> tuple[NormalizedRequest | None,
                                                                                    list[Failure]]:
    """The normalised request, or every failure (in the seed's order)."""
    failures: list[Failure] = []
    if not request.task_id.strip():
        failures.append(Failure(code="missing_task", field="task_id", message="task id is required"))
    if not request.actor.strip():
        failures.append(Failure(code="missing_actor", field="actor", message="actor is required"))
    source = request.source
    if source is None:
        failures.append(Failure(code="missing_source", field="source", message="source is required"))
    else:
        failures.extend(source_failures(source.media_type, source.path, source.artifact_id))
    mode: ExecutionMode = request.engine.execution_mode or policy.execution_mode
    provider = (request.engine.provider or ("local" if mode == "local" else "")).strip().lower()
    if mode == "external" and not policy.external_provider_allowed:
        failures.append(Failure(code="external_provider_denied", field="policy.external_provider_allowed",
                                message="external transcription providers require explicit policy opt-in"))
    elif mode == "external" and provider not in policy.allowed_external_providers:
        failures.append(Failure(code="external_provider_not_allowed", field="engine.provider",
                                message="external transcription provider is not in the policy allowlist"))
    consent: ConsentStatus = request.consent_status or ("missing" if policy.require_consent else "not_required")
    if policy.require_consent and consent not in ("provided", "not_required"):
        failures.append(Failure(code="missing_consent", field="consent_status",
                                message="transcription requires consent before processing"))
    if failures or source is None:
        return None, failures
    return NormalizedRequest(
        request=request, path=(source.path or "").strip(), media_type=source.media_type, execution_mode=mode,
        provider=provider, consent_status=consent,
        limits=effective_limits(policy, request.max_duration_ms, request.max_file_bytes),
    ), []


def raise_first(failures: list[Failure]) -> None:
    """Raise the first failure as its coded error, with every failure in ``details``."""
    if not failures:
        return
    first = failures[0]
    cls = ERRORS_BY_CODE.get(first.code, TranscriptionError)
    raise cls(first.message, field=first.field,
              details={"failures": [f.model_dump(exclude_none=True) for f in failures]})
