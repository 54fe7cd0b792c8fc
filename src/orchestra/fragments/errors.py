"""Errors of the restricted-fragment service (stable codes; messages never carry values or key bytes)."""

from __future__ import annotations

from orchestra.errors import ConflictError, NotFoundError, OrchestraError


class FragmentNotFoundError(NotFoundError):
    """No fragment has that id."""

    code = "fragment_not_found"


class LegalHoldError(ConflictError):
    """The fragment (or one of the tenant's) is under legal hold and cannot be shredded."""

    code = "legal_hold_active"


class KeyUnavailableError(OrchestraError):
    """The key-encryption key version is destroyed or missing."""

    code = "key_unavailable"


class EnvelopeIntegrityError(OrchestraError):
    """Decryption or unwrapping failed: the ciphertext, nonce, associated data or wrapped key was altered."""

    code = "fragment_integrity_failed"


class GrantError(OrchestraError):
    """A restore grant could not be issued (only an operator at the CLI can issue one)."""

    code = "grant_refused"
