"""The local engine: readiness from the real environment, lazy imports, and a spoken sentence through the
real faster-whisper engine when a model is configured (skipped, with the reason, otherwise)."""

from __future__ import annotations

import importlib.util
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
