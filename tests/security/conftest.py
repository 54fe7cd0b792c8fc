"""Compiled guard databases go to a per-session cache directory, never the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _guard_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    previous = os.environ.get("ORCHESTRA_CACHE_DIR")
    os.environ["ORCHESTRA_CACHE_DIR"] = str(tmp_path_factory.mktemp("orchestra-cache"))
    yield
    if previous is None:
        os.environ.pop("ORCHESTRA_CACHE_DIR", None)
    else:
        os.environ["ORCHESTRA_CACHE_DIR"] = previous
