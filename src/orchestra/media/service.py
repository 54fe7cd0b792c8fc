"""``TranscriptionService``: preflight a source, and turn it into guarded task evidence with a local engine.

A refused request writes nothing (no file, no row, no event). A completed one writes the Markdown and
JSON evidence atomically, then the ``transcripts`` row and a ``TRANSCRIPT_RECORDED`` audit event in one
transaction (the files are removed again if that transaction fails).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestra.clock import iso_ms
from orchestra.events import EventLog, NewEvent
from orchestra.media.engine import EngineResult, FasterWhisperEngine, TranscriptionEngine
from orchestra.media.errors import (
    ExternalProviderUnavailableError,
    MissingLocalEngineError,
    TranscriptRefusedError,
    UnsupportedMediaCodecError,
    UnsupportedMediaTypeError,
)
from orchestra.media.evidence import new_artifact_id, paths, render_json, render_markdown
from orchestra.media.model import (
    EngineReadiness,
    MediaPreflight,
    Provenance,
    RedactionSummary,
    Segment,
    TranscriptionOutcome,
    TranscriptionRequest,
    TranscriptOutputs,
)
from orchestra.media.policy import is_supported_codec
from orchestra.media.preflight import InspectedSource, inspect
from orchestra.media.probe import ProbeRunner
from orchestra.media.request import NormalizedRequest, effective_limits, raise_first, validate
from orchestra.media.settings import TranscriptionSettings
from orchestra.security.guard import SecurityGuard
from orchestra.security.model import Encoding, GuardContext, Sink
from orchestra.store.base import Store
from orchestra.tasks import TaskService
from orchestra.validation import parse_model
from orchestra.workspace.atomic import atomic_write_text
from orchestra.workspace.layout import WorkspaceLayout

Progress = Callable[[int, int, str], None]
INLINE_TEXT_LIMIT = 20_000
MAX_SEGMENTS = 50_000
_AS_IS = GuardContext(encoding=Encoding.NONE, source_kind="transcript")


def _no_progress(done: int, total: int, message: str) -> None:
    """Progress sink for callers that do not report."""


class TranscriptionService:
    """Transcription for one workspace."""

    def __init__(self, *, layout: WorkspaceLayout, store: Store, events: EventLog, tasks: TaskService,
                 guard: SecurityGuard, settings: TranscriptionSettings,
                 engine: TranscriptionEngine | None = None) -> None:
        self._layout = layout
        self._store = store
        self._events = events
        self._tasks = tasks
        self._guard = guard
        self.settings = settings
        self.probe = ProbeRunner(settings.probe_timeout_ms / 1000)
        self._engine: TranscriptionEngine = engine or FasterWhisperEngine(settings.local_engine, layout.root)

    def readiness(self) -> EngineReadiness:
        """The local engine's readiness (which part is missing)."""
        return self._engine.readiness()

    def preflight(self, path: str, media_type: str, *, max_duration_ms: int | None = None,
                  max_file_bytes: int | None = None) -> MediaPreflight:
        """Check a source without transcribing it; the first failure raises its coded error."""
        return self._inspect(path, media_type, max_duration_ms, max_file_bytes).report

    def _inspect(self, path: str, media_type: str, max_duration_ms: int | None,
                 max_file_bytes: int | None) -> InspectedSource:
        policy = self.settings.policy
        limits = effective_limits(policy, max_duration_ms, max_file_bytes)
        return inspect(self._layout.root, self.probe, path, media_type, limits, policy_id=policy.policy_id,
                       engine=self.readiness())

    def request(self, data: TranscriptionRequest | dict[str, Any], *,
                progress: Progress = _no_progress) -> TranscriptionOutcome:
        """Validate, preflight, transcribe locally, guard and store; refusals raise and write nothing."""
        request = parse_model(TranscriptionRequest, data, "transcription request")
        normalized, failures = validate(request, self.settings.policy)
        raise_first(failures)
        assert normalized is not None
        task = self._tasks.get(normalized.request.task_id.strip())
        if normalized.execution_mode == "external":
            raise ExternalProviderUnavailableError(
                f"provider '{normalized.provider}' is allowed by the policy, but no external transcription adapter "
                "is built in; the request was not sent anywhere", field="engine.provider")
        progress(0, 100, "preflight")
        inspected = self._inspect(normalized.path, normalized.media_type, normalized.limits.max_duration_ms,
                                  normalized.limits.max_file_bytes)
        _check_audio_track(inspected.report)
        readiness = self._engine.readiness()
        if readiness.status != "ready":
            raise MissingLocalEngineError(readiness.message, field="engine.execution_mode",
                                          details={"missing": readiness.missing, "engine": readiness.engine})
        asked = request.engine.model
        if asked and asked not in (self._engine.model, "local-default"):
            raise MissingLocalEngineError(f"model '{asked[:64]}' is not configured locally (configured: "
                                          f"{self._engine.model})", field="engine.model",
                                          details={"missing": ["model_file"]})
        progress(5, 100, "hashing the source")
        digest = _sha256(inspected.guarded.absolute)
        language = request.source.language if request.source else None
        progress(10, 100, "transcribing")

        def engine_progress(done: int, total: int, message: str) -> None:
            progress(10 + min(85, 85 * done // max(total, 1)), 100, message)

        result = self._engine.transcribe(inspected.guarded.absolute, language=language, progress=engine_progress)
        outcome = self._store_evidence(task.id, normalized, inspected, digest, result)
        progress(100, 100, "stored")
        return outcome

    def _store_evidence(self, task_id: str, normalized: NormalizedRequest, inspected: InspectedSource,
                        digest: str, result: EngineResult) -> TranscriptionOutcome:
        request, report, policy = normalized.request, inspected.report, self.settings.policy
        warnings = list(report.warnings)
        segments, redactions, categories = self._guard_segments(result, warnings)
        artifact_id = new_artifact_id()
        provenance = Provenance(
            source_kind="workflow-file", source_path=report.resolved_path, source_sha256=digest,
            media_type=report.media_type, format_name=report.format_name, codecs=report.codecs,
            duration_ms=result.duration_ms or report.duration_ms, language=result.language,
            engine=self._engine.name, engine_provider=self._engine.provider, engine_model=self._engine.model,
            execution_mode="local", actor=request.actor.strip()[:128], task_id=task_id, generated_at=iso_ms(),
            consent_status=normalized.consent_status, retention_class=policy.retention_class,
            retention_notes=self._safe(request.retention_notes) if request.retention_notes else None,
            policy_id=policy.policy_id, redaction_policy_id=policy.redaction_policy_id,
        )
        summary = RedactionSummary(policy_id=policy.redaction_policy_id, count=redactions,
                                   categories=sorted(categories))
        md_text = render_markdown(artifact_id, provenance, segments, summary, warnings)
        json_text = render_json(artifact_id, provenance, segments, summary, warnings)
        md_text, extra_md = self._guard_document(md_text)
        json_text, extra_json = self._guard_document(json_text)
        summary.count += max(extra_md, extra_json)
        md_path, json_path = paths(self._layout.relative(self._layout.workflow_dir), task_id, artifact_id)
        outputs = TranscriptOutputs(markdown_path=md_path, markdown_sha256=_digest_text(md_text),
                                    json_path=json_path, json_sha256=_digest_text(json_text))
        written = self._write_files({md_path: md_text, json_path: json_text})
        try:
            self._record(artifact_id, provenance, outputs, len(segments), summary)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        full = "\n".join(s.text for s in segments)
        return TranscriptionOutcome(status="completed",
            artifact_id=artifact_id, task_id=task_id, provenance=provenance, outputs=outputs,
            segments=len(segments), redactions=summary, text=full[:INLINE_TEXT_LIMIT],
            text_truncated=len(full) > INLINE_TEXT_LIMIT, warnings=warnings)

    def _guard_segments(self, result: EngineResult, warnings: list[str]) -> tuple[list[Segment], int, set[str]]:
        segments: list[Segment] = []
        redactions, categories, chars = 0, set[str](), 0
        for index, raw in enumerate(result.segments):
            if index >= MAX_SEGMENTS or chars >= self.settings.max_transcript_chars:
                warnings.append(f"the transcript was cut after {index} segments (limit reached)")
                break
            decision = self._guard.guard(raw.text, Sink.EVIDENCE, _AS_IS)
            if decision.text is None:
                raise TranscriptRefusedError(f"the security guard refused the transcript ({decision.outcome}); "
                                             "nothing was stored", field="segments")
            redactions += decision.redaction_count
            categories.update(str(c) for c in decision.categories)
            chars += len(decision.text)
            segments.append(Segment(id=f"seg-{index + 1:05d}", start_ms=raw.start_ms, end_ms=raw.end_ms,
                                    text=decision.text))
        return segments, redactions, categories

    def _guard_document(self, text: str) -> tuple[str, int]:
        decision = self._guard.guard(text, Sink.EVIDENCE, _AS_IS)
        if decision.text is None:
            raise TranscriptRefusedError(f"the security guard refused the transcript document ({decision.outcome}); "
                                         "nothing was stored", field="segments")
        return decision.text, decision.redaction_count

    def _safe(self, text: str) -> str:
        decision = self._guard.guard(text, Sink.EVIDENCE, _AS_IS)
        if decision.text is None:
            raise TranscriptRefusedError("the security guard refused the retention notes", field="retention_notes")
        return decision.text

    def _write_files(self, files: dict[str, str]) -> list[Path]:
        written: list[Path] = []
        try:
            for relative, text in files.items():
                target = self._layout.root / relative
                atomic_write_text(target, text)
                written.append(target)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        return written

    def _record(self, artifact_id: str, p: Provenance, outputs: TranscriptOutputs, segments: int,
                redactions: RedactionSummary) -> None:
        with self._store.write() as tx:
            tx.execute(
                "INSERT INTO transcripts (id, task_id, actor, source_path, source_sha256, media_type, format_name,"
                " duration_ms, language, engine, provider, model, execution_mode, markdown_path, markdown_sha256,"
                " json_path, json_sha256, segments, redactions, policy_id, consent_status, retention_class,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (artifact_id, p.task_id, p.actor, p.source_path, p.source_sha256, p.media_type, p.format_name,
                 p.duration_ms, p.language, p.engine, p.engine_provider, p.engine_model, p.execution_mode,
                 outputs.markdown_path, outputs.markdown_sha256, outputs.json_path, outputs.json_sha256, segments,
                 redactions.count, p.policy_id, p.consent_status, p.retention_class, p.generated_at),
            )
            self._events.append(tx, NewEvent(
                type="TRANSCRIPT_RECORDED", actor=p.actor, task_id=p.task_id,
                summary=f"Transcript {artifact_id} recorded for task {p.task_id}",
                metadata={"artifactId": artifact_id, "mediaType": p.media_type, "durationMs": p.duration_ms,
                          "language": p.language, "engine": p.engine, "model": p.engine_model,
                          "executionMode": p.execution_mode, "segments": segments, "redactions": redactions.count,
                          "sourceSha256": p.source_sha256, "policyId": p.policy_id},
                artifacts=[outputs.markdown_path, outputs.json_path],
            ))

    def transcripts(self, task_id: str) -> list[dict[str, Any]]:
        """Stored transcript records of a task, oldest first."""
        with self._store.read() as tx:
            rows = tx.fetchall("SELECT * FROM transcripts WHERE task_id = ? ORDER BY created_at, id", (task_id,))
        return [dict(row) for row in rows]

    def close(self) -> None:
        """Stop the probe worker."""
        self.probe.close()


def _check_audio_track(report: MediaPreflight) -> None:
    audio = [s for s in report.streams if s.type == "audio"]
    if not audio:
        raise UnsupportedMediaTypeError("the source has no audio stream to transcribe", field="probe.streams")
    if not any(is_supported_codec("audio", s.codec) for s in audio):
        raise UnsupportedMediaCodecError(f"audio codec {audio[0].codec} is not supported for transcription",
                                         field="probe.streams")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _digest_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
