"""The local engine: readiness from the real environment, lazy imports, and a spoken sentence through the
real faster-whisper engine when a model is configured (skipped, with the reason, otherwise)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestra.app import Orchestra
from orchestra.media.engine import MODEL_FILES

MODEL_ENV = "ORCHESTRA_TEST_WHISPER_MODEL"
SENTENCE = "The quick brown fox jumps over the lazy dog."


def engine_skip_reason() -> str | None:
    """Why the real engine cannot run here (None when it can)."""
    if importlib.util.find_spec("faster_whisper") is None:
        return "faster-whisper is not installed (pip install -e '.[transcribe]')"
    model = os.environ.get(MODEL_ENV)
    if not model:
        return f"no Whisper model configured ({MODEL_ENV}=<CTranslate2 model folder>; models are never downloaded)"
    if not all((Path(model) / name).is_file() for name in MODEL_FILES):
        return f"{MODEL_ENV} does not hold {', '.join(MODEL_FILES)}"
    if shutil.which("espeak-ng") is None:
        return "espeak-ng is not installed (apt-get install espeak-ng) to speak the test sentence"
    return None


def test_readiness_reports_what_is_missing_here(app: Orchestra) -> None:
    readiness = app.media.readiness()
    package = importlib.util.find_spec("faster_whisper") is not None
    assert ("engine_package" in readiness.missing) is (not package)
    if not os.environ.get("ORCHESTRA_TRANSCRIPTION_MODEL"):
        assert readiness.status == "missing_local_engine" and "model_path" in readiness.missing
        assert "external fallback is not automatic" in readiness.message


def test_the_server_and_the_cli_never_import_pyav_or_the_engine(workspace: Path) -> None:
    code = ("import sys; from pathlib import Path; from orchestra.app import Orchestra; "
            "from orchestra_mcp.server import create_server; "
            f"app = Orchestra.open(Path({str(workspace)!r})); create_server(app, ['media']); "
            "print(app.media.readiness().status); app.close(); "
            "print(sorted(m for m in ('av', 'faster_whisper', 'ctranslate2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.splitlines()[-1] == "[]"


@pytest.mark.skipif(importlib.util.find_spec("faster_whisper") is None,
                    reason="faster-whisper is not installed (pip install -e '.[transcribe]'; '.[dev]' has it)")
def test_the_real_engine_runs_end_to_end_on_a_generated_model(open_app: Callable[[dict[str, Any]], Orchestra],
                                                              make_media: Callable[..., Path],
                                                              tmp_path: Path) -> None:
    from tests.media import tiny_whisper

    model = tiny_whisper.build(tmp_path / "tiny-whisper")
    app = open_app({"transcription": {"localEngine": {"modelPath": str(model), "model": "tiny-random",
                                                      "temperature": [0.0]}}})
    app.tasks.add({"id": "T-1", "title": "Transcribe the call"})
    make_media("audio-pcm_s16le.wav", as_="rec/call.wav")
    assert app.media.readiness().status == "ready"
    steps: list[int] = []
    outcome = app.media.request({"task_id": "T-1", "actor": "tester",
                                 "source": {"media_type": "audio", "path": "rec/call.wav", "language": "en"}},
                                progress=lambda done, total, _: steps.append(done))
    p = outcome.provenance
    assert (p.engine, p.engine_model, p.language, p.duration_ms) == ("faster-whisper", "tiny-random", "en", 1000)
    assert steps[-1] == 100 and steps == sorted(steps)
    stored = json.loads((app.layout.root / outcome.outputs.json_path).read_text(encoding="utf-8"))
    assert len(stored["segments"]) == outcome.segments
    for segment in stored["segments"]:
        assert 0 <= segment["start_ms"] <= segment["end_ms"] <= 1000
        assert app.guard.guard(segment["text"], "evidence").redaction_count == 0
    assert [r["model"] for r in app.media.transcripts("T-1")] == ["tiny-random"]


@pytest.mark.skipif(engine_skip_reason() is not None, reason=engine_skip_reason() or "")
def test_a_spoken_sentence_comes_back_as_guarded_text(open_app: Callable[[dict[str, Any]], Orchestra],
                                                      workspace: Path) -> None:
    subprocess.run(["espeak-ng", "-w", str(workspace / "sentence.wav"), SENTENCE], check=True, timeout=60,
                   capture_output=True)
    app = open_app({"transcription": {"localEngine": {"modelPath": os.environ[MODEL_ENV]}}})
    app.tasks.add({"id": "T-1", "title": "Transcribe the sentence"})
    assert app.media.readiness().status == "ready"
    outcome = app.media.request({"task_id": "T-1", "actor": "tester",
                                 "source": {"media_type": "audio", "path": "sentence.wav", "language": "en"}})
    words = outcome.text.lower()
    assert sum(w in words for w in ("quick", "brown", "fox", "lazy", "dog")) >= 3, outcome.text
    assert outcome.provenance.engine == "faster-whisper" and outcome.provenance.language == "en"
    assert (workspace / outcome.outputs.markdown_path).is_file()
    assert app.guard.guard(outcome.text, "evidence").redaction_count == 0  # what was stored already passed it
