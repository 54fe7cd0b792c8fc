"""Envelope encryption of one fragment: a fresh 256-bit data key, AES-256-GCM with a random 96-bit nonce,
and associated data that binds tenant, workspace, fragment id, category, policy and retention class.

Any change to the ciphertext, tag, nonce or associated data makes :func:`open_envelope` fail closed with
:class:`EnvelopeIntegrityError` (no partial plaintext is ever returned).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from orchestra.fragments.errors import EnvelopeIntegrityError

ALGORITHM = "AES-256-GCM"
DATA_KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16


@dataclass(frozen=True, slots=True)
class Sealed:
    """A sealed fragment: nonce, ciphertext (with its 16-byte tag) and the data key (never stored raw)."""

    nonce: bytes
    ciphertext: bytes
    data_key: bytes = field(repr=False)

    @property
    def digest(self) -> str:
        """sha256 of the ciphertext (for the envelope metadata; reveals nothing about the plaintext)."""
        return "sha256:" + hashlib.sha256(self.ciphertext).hexdigest()


def associated_data(*, tenant_id: str, workspace_id: str, fragment_id: str, category: str, policy_id: str,
                    retention_class: str) -> bytes:
    """The canonical associated data of a fragment's envelope."""
    return json.dumps({"v": 1, "tenant": tenant_id, "workspace": workspace_id, "fragment": fragment_id,
                       "category": category, "policy": policy_id, "retention": retention_class},
                      sort_keys=True, separators=(",", ":")).encode()


def seal(plaintext: str, aad: bytes) -> Sealed:
    """Encrypt ``plaintext`` under a fresh data key."""
    key = AESGCM.generate_key(bit_length=DATA_KEY_BYTES * 8)
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8", "surrogatepass"), aad)
    return Sealed(nonce=nonce, ciphertext=ciphertext, data_key=key)


def open_envelope(data_key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> str:
    """Decrypt; :class:`EnvelopeIntegrityError` when anything was altered."""
    if len(data_key) != DATA_KEY_BYTES or len(nonce) != NONCE_BYTES or len(ciphertext) < TAG_BYTES:
        raise EnvelopeIntegrityError("the fragment envelope is malformed")
    try:
        plain = AESGCM(data_key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise EnvelopeIntegrityError("the fragment envelope failed authentication") from None
    return plain.decode("utf-8", "surrogatepass")
