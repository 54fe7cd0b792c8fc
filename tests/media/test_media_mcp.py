"""The media tool group through the SDK client, in both protocol eras."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import TextContent

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server
from tests.media.conftest import snapshot
from tests.media.test_request import FAKE_TOKEN, ScriptedEngine

pytestmark = pytest.mark.anyio
MODES = ["legacy", "auto"]
MakeMedia = Callable[..., Path]


def _text(result: Any) -> str:
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


def _code(result: Any) -> str:
    """The stable code a tool error starts with."""
    assert result.is_error is True
    return _text(result).split(":", 1)[0]


async def test_the_media_group_is_opt_in(app: Orchestra) -> None:
    async with Client(create_server(app, ["core", "security"]), mode="legacy") as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert "transcription_preflight" not in names and "transcription_request" not in names
    async with Client(create_server(app, ["media"]), mode="legacy") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert tools["transcription_preflight"].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert tools["transcription_request"].annotations.read_only_hint is False  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", MODES)
async def test_preflight_tool(app: Orchestra, make_media: MakeMedia, mode: str) -> None:
    make_media("video-vp9.webm", as_="rec/demo.webm")
    (app.layout.root / "rec" / "notes.webm").write_text("not a video\n" * 20, encoding="utf-8")
    async with Client(create_server(app, ["media"]), mode=mode) as client:
        result = await client.call_tool("transcription_preflight", {"path": "rec/demo.webm", "media_type": "video"})
        assert result.is_error is False
        data = result.structured_content
        assert data is not None
        assert data["status"] == "ready" and data["format_name"] == "matroska" and data["codecs"] == ["vp9", "opus"]
        assert data["engine"]["status"] == "missing_local_engine"
        before = snapshot(app.layout.root)
        bad = await client.call_tool("transcription_preflight", {"path": "rec/notes.webm", "media_type": "video"})
        assert bad.is_error is True and _code(bad) == "media_probe_failed"
        outside = await client.call_tool("transcription_preflight", {"path": "../x.wav", "media_type": "audio"})
        assert outside.is_error is True and _code(outside) == "invalid_source_path"
        limited = await client.call_tool("transcription_preflight", {"path": "rec/demo.webm", "media_type": "video",
                                                                     "max_duration_ms": 100})
        assert _code(limited) == "duration_limit_exceeded"
        assert snapshot(app.layout.root) == before


@pytest.mark.parametrize("mode", MODES)
async def test_request_tool_without_an_engine(app: Orchestra, make_media: MakeMedia, mode: str) -> None:
    app.tasks.add({"id": "T-1", "title": "Review the demo"})
    make_media("audio-opus.ogg", as_="rec/call.ogg")
    before, events = snapshot(app.layout.root), app.events.count()
    async with Client(create_server(app, ["media"]), mode=mode) as client:
        result = await client.call_tool("transcription_request", {"task_id": "T-1", "path": "rec/call.ogg",
                                                                  "media_type": "audio"})
        assert result.is_error is True and _code(result) == "missing_local_engine"
        denied = await client.call_tool("transcription_request", {"task_id": "T-1", "path": "rec/call.ogg",
                                                                  "media_type": "audio", "execution_mode": "external",
                                                                  "provider": "openai"})
        assert _code(denied) == "external_provider_denied"
    assert snapshot(app.layout.root) == before and app.events.count() == events


@pytest.mark.parametrize("mode", MODES)
async def test_request_tool_stores_evidence_and_reports_progress(app: Orchestra, make_media: MakeMedia,
                                                                 mode: str) -> None:
    app.tasks.add({"id": "T-1", "title": "Review the demo"})
    make_media("video-h264.mp4", as_="rec/demo.mp4")
    app.media._engine = ScriptedEngine(["Acceptance: the login works.", f"token {FAKE_TOKEN}"])
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    async with Client(create_server(app, ["media"]), mode=mode) as client:
        result = await client.call_tool("transcription_request", {"task_id": "T-1", "path": "rec/demo.mp4",
                                                                  "media_type": "video", "language": "en"},
                                        progress_callback=on_progress)
    assert result.is_error is False, _text(result)
    data = result.structured_content
    assert data is not None and data["status"] == "completed" and data["segments"] == 2
    assert data["provenance"]["media_type"] == "video" and data["provenance"]["codecs"] == ["h264", "aac"]
    assert FAKE_TOKEN not in str(data) and data["redactions"]["count"] == 1
    assert (app.layout.root / data["outputs"]["json_path"]).is_file()
    assert updates and updates[-1][0] == updates[-1][1] == 100
