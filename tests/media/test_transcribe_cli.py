"""``orchestra transcribe`` as a subprocess."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import run_cli

pytestmark = pytest.mark.slow
MakeMedia = Callable[..., Path]


def test_preflight_json_and_text(workspace: Path, make_media: MakeMedia) -> None:
    make_media("audio-pcm_s24le.wav", as_="rec/voice.wav")
    out = run_cli("transcribe", "rec/voice.wav", "--media-type", "audio", "--preflight", "--json", cwd=workspace)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["codecs"] == ["pcm_s24le"] and report["duration_ms"] == 1000 and report["format_name"] == "wav"
    text = run_cli("transcribe", "rec/voice.wav", "--media-type", "audio", "--preflight", cwd=workspace)
    assert text.returncode == 0 and text.stdout.startswith("ready: rec/voice.wav")
    assert "engine: faster-whisper" in text.stdout


def test_refusals_exit_1_with_the_code(workspace: Path, make_media: MakeMedia) -> None:
    (workspace / "notes.mp3").write_text("plain text\n" * 30, encoding="utf-8")
    out = run_cli("transcribe", "notes.mp3", "--media-type", "audio", "--preflight", cwd=workspace)
    assert out.returncode == 1 and out.stderr.startswith("orchestra: media_probe_failed:") and out.stdout == ""
    make_media("audio-flac.flac")
    no_task = run_cli("transcribe", "audio-flac.flac", "--media-type", "audio", "--run", cwd=workspace)
    assert no_task.returncode == 1 and no_task.stderr.startswith("orchestra: missing_task:")
    assert run_cli("task", "add", "T-1", "--title", "demo", cwd=workspace).returncode == 0
    run = run_cli("transcribe", "audio-flac.flac", "--media-type", "audio", "--run", "--task", "T-1", "--json",
                  cwd=workspace)
    assert run.returncode == 1 and run.stderr.startswith("orchestra: missing_local_engine:")
    assert not (workspace / ".agent-workflow" / "evidence").exists()
