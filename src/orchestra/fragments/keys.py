"""Key-encryption keys: the :class:`KeyProvider` interface and the local file provider.

A provider holds the key material of each tenant's key versions and wraps / unwraps data keys; it never
hands key-encryption-key bytes out. Which version is active, retired or destroyed is recorded in the
state store (metadata only); the bytes live only with the provider. A cloud KMS adapter implements the
same five methods (``wrap``/``unwrap`` map to KMS Encrypt/Decrypt with the context as encryption context,
``destroy_version`` to scheduling the key version's destruction).

The local provider keeps one 32-byte file per tenant and version under
``.agent-workflow/keys/fragments/<tenant digest>/v<N>.key`` (mode 0600, folders 0700). The data key is
wrapped with AES-256-GCM under a key derived (HKDF-SHA256) from that version and the wrap context, so a
wrapped key only unwraps for the same tenant, workspace, fragment, category, policy and key version.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from orchestra.fragments.errors import EnvelopeIntegrityError, KeyUnavailableError

KEK_BYTES = 32
WRAP_NONCE_BYTES = 12
_HKDF_INFO = b"orchestra-fragment-kek-v1\x00"


def wrap_context(*, tenant_id: str, workspace_id: str, fragment_id: str, category: str, policy_id: str,
                 retention_class: str, key_id: str, version: int) -> bytes:
    """The canonical context a data key is wrapped under."""
    return json.dumps({"v": 1, "tenant": tenant_id, "workspace": workspace_id, "fragment": fragment_id,
                       "category": category, "policy": policy_id, "retention": retention_class, "key": key_id,
                       "version": version}, sort_keys=True, separators=(",", ":")).encode()


class KeyProvider(Protocol):
    """Where key-encryption keys live (local files here; a cloud KMS in hosted mode)."""

    name: str

    def key_id(self, tenant_id: str) -> str:
        """The key id of a tenant (no topology beyond a digest)."""
        ...

    def create_version(self, tenant_id: str, version: int) -> None:
        """Make key material for ``version`` (idempotent; never recreates a destroyed version's bytes)."""
        ...

    def has_version(self, tenant_id: str, version: int) -> bool:
        """Whether the material of ``version`` is present."""
        ...

    def wrap(self, tenant_id: str, version: int, data_key: bytes, context: bytes) -> bytes:
        """The data key encrypted under ``version`` and bound to ``context``."""
        ...

    def unwrap(self, tenant_id: str, version: int, wrapped: bytes, context: bytes) -> bytes:
        """The data key; :class:`KeyUnavailableError` or :class:`EnvelopeIntegrityError` when it cannot."""
        ...

    def destroy_version(self, tenant_id: str, version: int) -> bool:
        """Destroy ``version``'s material; return whether anything was there."""
        ...


class LocalKeyProvider:
    """Key versions as 0600 files under ``keys/fragments/``."""

    name = "local-file"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def key_id(self, tenant_id: str) -> str:
        return "local:" + hashlib.sha256(tenant_id.encode()).hexdigest()[:16]

    def _path(self, tenant_id: str, version: int) -> Path:
        if not isinstance(version, int) or version < 1:
            raise KeyUnavailableError("invalid key version")
        return self.folder / self.key_id(tenant_id).split(":", 1)[1] / f"v{version}.key"

    def create_version(self, tenant_id: str, version: int) -> None:
        path = self._path(tenant_id, version)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(OSError):
            os.chmod(self.folder, 0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(KEK_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # first writer wins across processes
        except FileExistsError:
            pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def has_version(self, tenant_id: str, version: int) -> bool:
        return self._path(tenant_id, version).is_file()

    def _derived(self, tenant_id: str, version: int, context: bytes) -> bytes:
        try:
            root = self._path(tenant_id, version).read_bytes()
        except FileNotFoundError:
            raise KeyUnavailableError(f"key version {version} of this tenant is destroyed or missing") from None
        if len(root) != KEK_BYTES:
            raise KeyUnavailableError(f"key version {version} of this tenant is damaged")
        return HKDF(algorithm=hashes.SHA256(), length=KEK_BYTES, salt=None, info=_HKDF_INFO + context).derive(root)

    def wrap(self, tenant_id: str, version: int, data_key: bytes, context: bytes) -> bytes:
        nonce = secrets.token_bytes(WRAP_NONCE_BYTES)
        return nonce + AESGCM(self._derived(tenant_id, version, context)).encrypt(nonce, data_key, context)

    def unwrap(self, tenant_id: str, version: int, wrapped: bytes, context: bytes) -> bytes:
        kek = self._derived(tenant_id, version, context)
        if len(wrapped) <= WRAP_NONCE_BYTES:
            raise EnvelopeIntegrityError("the wrapped data key is malformed")
        try:
            return AESGCM(kek).decrypt(wrapped[:WRAP_NONCE_BYTES], wrapped[WRAP_NONCE_BYTES:], context)
        except InvalidTag:
            raise EnvelopeIntegrityError("the wrapped data key failed authentication") from None

    def destroy_version(self, tenant_id: str, version: int) -> bool:
        path = self._path(tenant_id, version)
        try:
            fd = os.open(path, os.O_WRONLY)
        except FileNotFoundError:
            return False
        try:  # overwrite before unlinking (best effort on copy-on-write filesystems)
            os.write(fd, b"\x00" * KEK_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
        path.unlink(missing_ok=True)
        return True
