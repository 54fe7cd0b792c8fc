"""The deployment's shared secrets, stored wrapped in the PostgreSQL control store.

Hosted servers on several machines must hold the same secrets to read what another one wrote: the token
key (a token's stored digest is ``HMAC(token key, token)``) and each scope's workspace key (it keys the
scope's audit chain, approval tokens, chat and fragment digests and the guard's fingerprints). With a
PostgreSQL control store these keys live in its ``wrapped_keys`` table, each one encrypted with
AES-256-GCM under the **master key** the operator gives every server (``ORCHESTRA_MASTER_KEY``, or a file
named by ``ORCHESTRA_MASTER_KEY_FILE``): the database alone (a dump, a replica, a backup) never reveals
them. The AAD binds each ciphertext to its name, so a row moved to another name does not open. The master
key itself is never stored; a server with a wrong one refuses to start (the first unwrap fails).

The first server (or ``orchestra token`` CLI) that needs a key creates it, or adopts the one its data dir
already holds (an upgrade from one machine keeps its tokens and scopes); a concurrent creator loses
(``ON CONFLICT DO NOTHING``) and reads the winner's.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from orchestra.errors import ConfigError, StoreUnusableError
from orchestra.hosted.control import Control
from orchestra.workspace.secret_key import KEY_BYTES

MASTER_KEY_ENV = "ORCHESTRA_MASTER_KEY"
MASTER_KEY_FILE_ENV = "ORCHESTRA_MASTER_KEY_FILE"
NONCE_BYTES = 12
_AAD_PREFIX = b"orchestra-wrapped-key:v1:"
MAX_NAME_CHARS = 200


def parse_master_key(text: str | bytes) -> bytes:
    """32 bytes from their base64 (standard or URL-safe) or hex spelling, or 32 raw bytes (a key file)."""
    if isinstance(text, bytes):
        if len(text) == KEY_BYTES:
            return text
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise ConfigError("the master key must be 32 bytes, or their base64 or hex spelling") from None
    spelled = text.strip()
    candidates: list[bytes] = []
    if len(spelled) == 2 * KEY_BYTES:
        with contextlib.suppress(ValueError):
            candidates.append(bytes.fromhex(spelled))
    with contextlib.suppress(binascii.Error, ValueError):
        candidates.append(base64.b64decode(spelled.replace("-", "+").replace("_", "/") + "=" * (-len(spelled) % 4),
                                           validate=True))
    for key in candidates:
        if len(key) == KEY_BYTES:
            return key
    raise ConfigError("the master key must be 32 bytes, spelled in base64 or hex "
                      "(e.g. the output of `openssl rand -base64 32`)")


def master_key_from(environ: Mapping[str, str] | None = None) -> bytes:
    """The operator's master key from ``ORCHESTRA_MASTER_KEY`` or the file ``ORCHESTRA_MASTER_KEY_FILE``."""
    env = os.environ if environ is None else environ
    inline = env.get(MASTER_KEY_ENV, "").strip()
    path = env.get(MASTER_KEY_FILE_ENV, "").strip()
    if inline and path:
        raise ConfigError(f"set {MASTER_KEY_ENV} or {MASTER_KEY_FILE_ENV}, not both")
    if inline:
        return parse_master_key(inline)
    if path:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read the master key file {MASTER_KEY_FILE_ENV}: {exc.strerror}") from None
        return parse_master_key(data if len(data) == KEY_BYTES else data.strip())
    raise ConfigError(f"hosted mode on PostgreSQL keeps the deployment's keys wrapped in the database and needs "
                      f"the master key: set {MASTER_KEY_ENV} (32 bytes in base64, e.g. `openssl rand -base64 32`) "
                      f"or {MASTER_KEY_FILE_ENV}, the same on every server")


class SharedKeys:
    """Named 32-byte secrets in the control store, wrapped under the master key."""

    def __init__(self, control: Control, master_key: bytes) -> None:
        if len(master_key) != KEY_BYTES:
            raise ConfigError("the master key must be 32 bytes")
        self._control = control
        self._aead = AESGCM(master_key)

    def get(self, name: str, adopt: bytes | None = None) -> bytes:
        """The key ``name``; created when absent (as ``adopt`` when given, else random)."""
        aad = self._aad(name)
        with self._control.read() as tx:
            row = tx.fetchone("SELECT nonce, ciphertext FROM wrapped_keys WHERE name = ?", (name,))
        if row is None:
            fresh = adopt if adopt is not None else secrets.token_bytes(KEY_BYTES)
            if len(fresh) != KEY_BYTES:
                raise ConfigError(f"the key {name} must be {KEY_BYTES} bytes")
            nonce = secrets.token_bytes(NONCE_BYTES)
            with self._control.write() as tx:
                tx.execute("INSERT INTO wrapped_keys (name, nonce, ciphertext, created_at) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT (name) DO NOTHING",
                           (name, nonce, self._aead.encrypt(nonce, fresh, aad), tx.now()))
                row = tx.fetchone("SELECT nonce, ciphertext FROM wrapped_keys WHERE name = ?", (name,))
            assert row is not None
        return self._unwrap(name, bytes(row[0]), bytes(row[1]), aad)

    def verify(self) -> None:
        """Unwrap every stored key once: a wrong master key fails here (at startup), not on first use."""
        with self._control.read() as tx:
            rows = tx.fetchall("SELECT name, nonce, ciphertext FROM wrapped_keys ORDER BY name")
        for name, nonce, ciphertext in rows:
            self._unwrap(str(name), bytes(nonce), bytes(ciphertext), self._aad(str(name)))

    def _unwrap(self, name: str, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        try:
            key = self._aead.decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            raise ConfigError(f"the master key ({MASTER_KEY_ENV} / {MASTER_KEY_FILE_ENV}) does not open the key "
                              f"{name!r} in the control store: every server of a deployment needs the same "
                              "master key") from None
        if len(key) != KEY_BYTES:
            raise StoreUnusableError(f"the stored key {name!r} is damaged")
        return key

    @staticmethod
    def _aad(name: str) -> bytes:
        if not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
            raise ConfigError("a key name must be 1-200 printable characters")
        return _AAD_PREFIX + name.encode("utf-8")
