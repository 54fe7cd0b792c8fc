"""Fixtures for the hosted layer: a data dir with tokens, and a server process over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestra.hosted.control import ControlStore
from orchestra.hosted.tokens import TokenService
from tests.hosted.server import HostedServer, start_server


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty hosted data dir."""
    folder = tmp_path / "hosted"
    folder.mkdir()
    return folder


@pytest.fixture
def tokens(data_dir: Path) -> Iterator[TokenService]:
    """The token service over the data dir's control store."""
    control = ControlStore(data_dir / "control.db")
    yield TokenService(control, TokenService.open_key(data_dir))
    control.close()


@pytest.fixture
def server(data_dir: Path) -> Iterator[HostedServer]:
    """A hosted server (API tokens) on the data dir."""
    running = start_server(data_dir)
    yield running
    running.stop()
