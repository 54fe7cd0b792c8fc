"""The local engine interface and its faster-whisper implementation.

Readiness names the missing part (the engine package, the model path, the model files); models are
never downloaded: the operator points ``transcription.localEngine.modelPath`` (or
``ORCHESTRA_TRANSCRIPTION_MODEL``) at a CTranslate2 Whisper model folder.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from orchestra.media.errors import TranscriptionEngineFailedError
from orchestra.media.model import EngineReadiness, MissingPart
from orchestra.media.settings import LocalEngineSettings

MODEL_ENV = "ORCHESTRA_TRANSCRIPTION_MODEL"
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
"""A CTranslate2 Whisper folder; without tokenizer.json faster-whisper would fetch one from a hub."""
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class EngineSegment:
    """One recognised segment, raw (it has not passed the guard yet)."""

    start_ms: int
    end_ms: int
    text: str


@dataclass
class EngineResult:
    """What an engine returns."""

    language: str | None
    duration_ms: int
    segments: list[EngineSegment] = field(default_factory=list)


class TranscriptionEngine(Protocol):
    """A local speech-to-text engine."""

    name: str
    provider: str
    model: str

    def readiness(self) -> EngineReadiness:
        """Whether it can run now; which part is missing if not."""
        ...

    def transcribe(self, path: Path, *, language: str | None, progress: Progress) -> EngineResult:
        """Transcribe ``path`` (call only when ready)."""
        ...


def resolve_model_path(settings: LocalEngineSettings, root: Path) -> Path | None:
    """The configured model folder (env wins over config), relative paths against the workspace root."""
    raw = os.environ.get(MODEL_ENV) or settings.model_path
    if not raw:
        return None
    path = Path(raw).expanduser()
    return path if path.is_absolute() else root / path


class FasterWhisperEngine:
    """faster-whisper (CTranslate2) on a local model folder; the model is loaded once and reused."""

    name = "faster-whisper"

    def __init__(self, settings: LocalEngineSettings, root: Path) -> None:
        self._settings = settings
        self.provider = settings.provider
        self._model_path = resolve_model_path(settings, root)
        label = settings.model
        if label == "local-default" and self._model_path is not None:
            label = self._model_path.name[:128] or label
        self.model = label
        self._loaded: Any = None
        self._lock = threading.Lock()

    def readiness(self) -> EngineReadiness:
        """Checks the package (without importing it) and the model folder."""
        missing: list[MissingPart] = []
        if importlib.util.find_spec("faster_whisper") is None:
            missing.append("engine_package")
        if self._model_path is None:
            missing.append("model_path")
        elif not all((self._model_path / name).is_file() for name in MODEL_FILES):
            missing.append("model_file")
        if not missing:
            return EngineReadiness(status="ready", engine=self.name, provider=self.provider, model=self.model,
                                   missing=[], message="the local engine is ready")
        hints = {
            "engine_package": "install the engine: pip install 'orchestra-mcp[transcribe]'",
            "model_path": "configure transcription.localEngine.modelPath (or ORCHESTRA_TRANSCRIPTION_MODEL)",
            "model_file": f"the model folder must hold {', '.join(MODEL_FILES)} (a CTranslate2 Whisper model)",
        }
        return EngineReadiness(
            status="missing_local_engine", engine=self.name, provider=self.provider, model=self.model,
            missing=missing, message="local transcription engine is unavailable; external fallback is not "
                                     "automatic: " + "; ".join(hints[m] for m in missing))

    def _model(self) -> Any:
        with self._lock:
            if self._loaded is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                whisper = importlib.import_module("faster_whisper")
                self._loaded = whisper.WhisperModel(
                    str(self._model_path), device=self._settings.device, compute_type=self._settings.compute_type,
                    cpu_threads=self._settings.cpu_threads, local_files_only=True)
            return self._loaded

    def transcribe(self, path: Path, *, language: str | None, progress: Progress) -> EngineResult:
        """Segments with millisecond times; progress is reported per segment against the duration."""
        try:
            segments, info = self._model().transcribe(
                str(path), language=language, beam_size=self._settings.beam_size, vad_filter=False,
                temperature=tuple(self._settings.temperature))
            total = max(1, int(info.duration * 1000))
            result = EngineResult(language=info.language, duration_ms=int(info.duration * 1000))
            for segment in segments:  # times are clamped: a model may place a timestamp past the end
                end = min(total, max(0, int(segment.end * 1000)))
                start = min(end, max(0, int(segment.start * 1000)))
                result.segments.append(EngineSegment(start, end, str(segment.text).strip()))
                progress(end, total, f"transcribed {end / 1000:.0f} s of {total / 1000:.0f} s")
        except Exception as exc:
            raise TranscriptionEngineFailedError(
                f"the local engine failed ({type(exc).__name__}); nothing was stored", field="engine") from None
        return result
