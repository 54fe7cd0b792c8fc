"""The operator's master key: its spellings, its file, and clear errors when it is missing or malformed."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest

from orchestra.errors import ConfigError
from orchestra.hosted.keyring import MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, master_key_from, parse_master_key


def test_spellings_of_one_key() -> None:
    key = secrets.token_bytes(32)
    for text in (base64.b64encode(key).decode(), base64.urlsafe_b64encode(key).decode().rstrip("="),
                 key.hex(), f"  {key.hex().upper()}\n"):
        assert parse_master_key(text) == key
    assert parse_master_key(key) == key  # a raw key file


@pytest.mark.parametrize("bad", ["", "short", base64.b64encode(b"x" * 16).decode(), "zz" * 32, "é" * 44])
def test_malformed_keys_are_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="32 bytes"):
        parse_master_key(bad)


def test_from_the_environment_or_a_file(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    raw, text = tmp_path / "raw.key", tmp_path / "text.key"
    raw.write_bytes(key)
    text.write_text(base64.b64encode(key).decode() + "\n", encoding="ascii")
    assert master_key_from({MASTER_KEY_FILE_ENV: str(raw)}) == key
    assert master_key_from({MASTER_KEY_FILE_ENV: str(text)}) == key
    assert master_key_from({MASTER_KEY_ENV: key.hex()}) == key
    with pytest.raises(ConfigError, match=MASTER_KEY_ENV):
        master_key_from({})
    with pytest.raises(ConfigError, match="not both"):
        master_key_from({MASTER_KEY_ENV: key.hex(), MASTER_KEY_FILE_ENV: str(raw)})
    with pytest.raises(ConfigError, match="cannot read"):
        master_key_from({MASTER_KEY_FILE_ENV: str(tmp_path / "missing.key")})
