"""Transcription requests: validation codes in the seed's order, policy gates, engine readiness, evidence.

``ScriptedEngine`` stands in for the speech recogniser only (it returns given segments for a real,
preflighted file), so the storage path — guard, files, store row, audit event — is exercised without a
model. The real engine is tested in ``test_engine.py`` when a model is configured.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestra.app import Orchestra
from orchestra.errors import OrchestraError
from orchestra.media.engine import EngineResult, EngineSegment, Progress
from orchestra.media.errors import TranscriptionError
from orchestra.media.model import EngineReadiness, TranscriptionRequest
from orchestra.media.request import validate
from orchestra.media.settings import TranscriptionPolicy
from tests.media.conftest import snapshot

MakeMedia = Callable[..., Path]
FAKE_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


class ScriptedEngine:
    """A recogniser that returns fixed segments (test double for the speech model only)."""

    name = "scripted"
    provider = "local"
    model = "scripted-model"

    def __init__(self, segments: list[str]) -> None:
        self.segments = segments
        self.calls: list[Path] = []

    def readiness(self) -> EngineReadiness:
        return EngineReadiness(status="ready", engine=self.name, provider=self.provider, model=self.model,
                               missing=[], message="ready")

    def transcribe(self, path: Path, *, language: str | None, progress: Progress) -> EngineResult:
        self.calls.append(path)
        result = EngineResult(language=language or "en", duration_ms=1000)
        for i, text in enumerate(self.segments):
            result.segments.append(EngineSegment(i * 500, i * 500 + 400, text))
            progress(i + 1, len(self.segments), f"segment {i + 1}")
        return result


def request(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"task_id": "T-1", "actor": "tester",
                            "source": {"media_type": "audio", "path": "rec/talk.flac"}}
    base.update(changes)
    return base


def codes(data: dict[str, Any], **policy: Any) -> list[str]:
    _, failures = validate(TranscriptionRequest.model_validate(data), TranscriptionPolicy(**policy))
    return [f.code for f in failures]


def test_validation_reports_every_failure_in_the_seed_order() -> None:
    assert codes(request()) == []
    assert codes(request(task_id=" ", actor="")) == ["missing_task", "missing_actor"]
    assert codes(request(source=None)) == ["missing_source"]
    assert codes(request(source={"media_type": "audio"})) == ["invalid_source_identity"]
    both = {"media_type": "audio", "path": "a.wav", "artifact_id": "vault-1"}
    assert codes(request(source=both)) == ["invalid_source_identity"]
    assert codes(request(source={"media_type": "audio", "artifact_id": "vault-1"})) == ["invalid_source_identity"]
    assert codes(request(source={"media_type": "audio", "path": "../a.wav"})) == ["invalid_source_path"]
    assert codes(request(source={"media_type": "audio", "path": "/a.txt"})) == [
        "invalid_source_path", "unsupported_media_extension"]
    assert codes(request(source={"media_type": "text", "path": "a.wav"})) == ["unsupported_media_type"]
    assert codes(request(source={"media_type": "video", "path": "a.wav"})) == ["unsupported_media_extension"]


def test_external_providers_need_the_policy_and_consent_when_required() -> None:
    external = {"execution_mode": "external", "provider": "openai"}
    assert codes(request(engine=external)) == ["external_provider_denied"]
    assert codes(request(engine=external), external_provider_allowed=True) == ["external_provider_not_allowed"]
    assert codes(request(engine=external), external_provider_allowed=True,
                 allowed_external_providers=["openai"]) == []
    assert codes(request(), require_consent=True) == ["missing_consent"]
    assert codes(request(consent_status="unknown"), require_consent=True) == ["missing_consent"]
    assert codes(request(consent_status="provided"), require_consent=True) == []
    assert codes(request(task_id="", engine=external), require_consent=True) == [
        "missing_task", "external_provider_denied", "missing_consent"]


def test_the_request_cannot_carry_its_own_policy() -> None:
    with pytest.raises(ValueError, match="policy"):
        TranscriptionRequest.model_validate(request(policy={"externalProviderAllowed": True}))


def test_refusals_raise_the_first_code_with_all_failures_and_write_nothing(app: Orchestra) -> None:
    before = snapshot(app.layout.root)
    with pytest.raises(TranscriptionError) as caught:
        app.media.request(request(task_id="", source={"media_type": "video", "path": "a.wav"}))
    assert caught.value.code == "missing_task"
    assert [f["code"] for f in caught.value.details["failures"]] == ["missing_task", "unsupported_media_extension"]
    with pytest.raises(OrchestraError) as unknown:
        app.media.request(request(task_id="T-404"))
    assert unknown.value.code == "task_not_found"
    assert snapshot(app.layout.root) == before and app.events.count() == 0


def test_external_allowed_by_policy_is_still_not_sent_anywhere(open_app: Callable[[dict[str, Any]], Orchestra]) -> None:
    app = open_app({"transcription": {"policy": {"externalProviderAllowed": True,
                                                 "allowedExternalProviders": ["openai"]}}})
    app.tasks.add({"id": "T-1", "title": "Review the demo"})
    with pytest.raises(TranscriptionError) as caught:
        app.media.request(request(engine={"execution_mode": "external", "provider": "openai"}))
    assert caught.value.code == "external_provider_unavailable"


def test_without_a_model_the_request_ends_as_missing_local_engine(app: Orchestra, make_media: MakeMedia) -> None:
    app.tasks.add({"id": "T-1", "title": "Review the demo"})
    make_media("audio-flac.flac", as_="rec/talk.flac")
    readiness = app.media.readiness()
    assert readiness.status == "missing_local_engine" and "model_path" in readiness.missing
    before, events = snapshot(app.layout.root), app.events.count()
    with pytest.raises(TranscriptionError) as caught:
        app.media.request(request())
    assert caught.value.code == "missing_local_engine"
    assert "model_path" in caught.value.details["missing"]
    assert snapshot(app.layout.root) == before and app.events.count() == events
    assert app.media.transcripts("T-1") == []


def test_readiness_names_a_model_folder_without_model_files(open_app: Callable[[dict[str, Any]], Orchestra],
                                                            workspace: Path) -> None:
    (workspace / "models" / "tiny").mkdir(parents=True)
    (workspace / "models" / "tiny" / "config.json").write_text("{}", encoding="utf-8")
    app = open_app({"transcription": {"localEngine": {"modelPath": "models/tiny"}}})
    readiness = app.media.readiness()
    assert readiness.status == "missing_local_engine" and "model_file" in readiness.missing
    assert "model_path" not in readiness.missing and readiness.model == "tiny"
    assert str(workspace) not in readiness.message


def test_a_transcript_is_guarded_and_stored_as_task_evidence(app: Orchestra, make_media: MakeMedia) -> None:
    app.tasks.add({"id": "T-1", "title": "Review the demo"})
    make_media("audio-flac.flac", as_="rec/talk.flac")
    engine = ScriptedEngine(["We ship on Friday.", f"The token is {FAKE_TOKEN} do not share it."])
    app.media._engine = engine
    steps: list[tuple[int, int]] = []
    outcome = app.media.request(request(source={"media_type": "audio", "path": "rec/talk.flac", "language": "en"},
                                        retention_notes="keep for the release review"),
                                progress=lambda done, total, _: steps.append((done, total)))
    assert engine.calls == [app.layout.root / "rec" / "talk.flac"]
    assert steps[0] == (0, 100) and steps[-1] == (100, 100) and steps == sorted(steps)
    assert outcome.segments == 2 and outcome.redactions.count == 1 and "secret" in outcome.redactions.categories
    assert FAKE_TOKEN not in outcome.text and "We ship on Friday." in outcome.text
    p = outcome.provenance
    assert (p.engine, p.engine_model, p.language, p.duration_ms, p.media_type) == (
        "scripted", "scripted-model", "en", 1000, "audio")
    assert p.consent_status == "not_required" and p.retention_class == "task-evidence"
    md = app.layout.root / outcome.outputs.markdown_path
    js = app.layout.root / outcome.outputs.json_path
    assert outcome.outputs.markdown_path.startswith(".agent-workflow/evidence/transcripts/T-1/transcript_")
    document = json.loads(js.read_text(encoding="utf-8"))
    assert document["provenance"]["source_sha256"] == p.source_sha256 and len(document["segments"]) == 2
    for text in (md.read_text(encoding="utf-8"), js.read_text(encoding="utf-8")):
        assert FAKE_TOKEN not in text and "[REDACTED_SECRET]" in text
    assert "[00:00:00.500 – 00:00:00.900]" in md.read_text(encoding="utf-8")
    rows = app.media.transcripts("T-1")
    assert [r["id"] for r in rows] == [outcome.artifact_id] and rows[0]["redactions"] == 1
    [event] = app.events.list(event_type="TRANSCRIPT_RECORDED")
    assert event.task_id == "T-1" and event.metadata["artifactId"] == outcome.artifact_id
    assert event.artifacts == [outcome.outputs.markdown_path, outcome.outputs.json_path]
    assert app.events.verify().ok
    for path in app.layout.root.rglob("*"):
        if path.is_file():
            assert FAKE_TOKEN.encode() not in path.read_bytes(), path


def test_a_secret_spoken_across_two_segments_is_caught_in_the_documents(app: Orchestra,
                                                                        make_media: MakeMedia) -> None:
    app.tasks.add({"id": "T-1", "title": "Review the demo"})
    make_media("audio-flac.flac", as_="rec/talk.flac")
    app.media._engine = ScriptedEngine(["my password is", "password: Hunter2-Sesame-991"])
    outcome = app.media.request(request())
    for rel in (outcome.outputs.markdown_path, outcome.outputs.json_path):
        assert "Hunter2-Sesame-991" not in (app.layout.root / rel).read_text(encoding="utf-8")
