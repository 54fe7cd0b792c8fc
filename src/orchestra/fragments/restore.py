"""Restore: denied by default; allowed only when every precondition holds, audited in every case.

Preconditions, checked in this order (the first failure names the status):
``principal`` (admin scope, or an operator's unexpired single-use grant for this fragment) →
``blocked_unauthorized``; ``reason`` (an explicit reason) → ``not_allowed``; ``fragment`` (exists) and
``ciphertext`` (it was encrypted, not shadow-only) → ``not_allowed``; ``policy`` (the fragment's policy
still exists, covers its category and sink and allows restore) → ``blocked_policy``; ``legal_hold`` →
``blocked_legal_hold``; ``expiry`` → ``blocked_expired``; ``key`` (ciphertext, wrapped key and key version
present) → ``blocked_key_destroyed``. Decryption failing authentication is ``integrity`` → ``not_allowed``.
An unauthorized caller learns only that it is unauthorized.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from orchestra.clock import iso_ms
from orchestra.events import NewEvent
from orchestra.fragments.envelope import open_envelope
from orchestra.fragments.errors import EnvelopeIntegrityError, FragmentNotFoundError, GrantError, KeyUnavailableError
from orchestra.fragments.model import AuditEvent, LifecycleStatus, RestoreResult, RestoreStatus
from orchestra.fragments.principals import Principal
from orchestra.fragments.rows import aad_of, context_of
from orchestra.security.opaque_ids import opaque_id
from orchestra.store.base import Row, Transaction

if TYPE_CHECKING:
    from orchestra.fragments.service import FragmentService

MAX_REASON = 500
MAX_GRANT_MINUTES = 60
STATUS_OF = {
    "principal": RestoreStatus.BLOCKED_UNAUTHORIZED, "reason": RestoreStatus.NOT_ALLOWED,
    "fragment": RestoreStatus.NOT_ALLOWED, "ciphertext": RestoreStatus.NOT_ALLOWED,
    "policy": RestoreStatus.BLOCKED_POLICY, "legal_hold": RestoreStatus.BLOCKED_LEGAL_HOLD,
    "expiry": RestoreStatus.BLOCKED_EXPIRED, "key": RestoreStatus.BLOCKED_KEY_DESTROYED,
    "integrity": RestoreStatus.NOT_ALLOWED,
}
MESSAGES = {
    "principal": "restore needs the fragment admin scope (at the CLI) or an operator's grant for this fragment",
    "reason": "restore needs an explicit reason",
    "fragment": "no fragment has that id",
    "ciphertext": "the fragment was kept as a shadow only; there is nothing to restore",
    "policy": "the fragment's retention policy does not allow restore",
    "legal_hold": "the fragment is under legal hold",
    "expiry": "the fragment's retention period has expired",
    "key": "the fragment's key material or ciphertext is destroyed",
    "integrity": "the fragment's envelope failed authentication (altered ciphertext, nonce, data or key)",
}


def issue_grant(service: FragmentService, fragment_id: str, principal: Principal, minutes: int) -> dict[str, str]:
    """A single-use restore grant for one fragment, issued by an operator (admin, not through MCP)."""
    if principal.channel == "mcp" or not principal.is_admin:
        raise GrantError("only an operator at the CLI (or a hosted admin) can issue a restore grant")
    if not 1 <= minutes <= MAX_GRANT_MINUTES:
        raise GrantError(f"a grant lasts 1 to {MAX_GRANT_MINUTES} minutes")
    now = service.clock()
    grant_id = opaque_id("grant-", 18, draw=secrets.token_urlsafe)
    expires = iso_ms(now + timedelta(minutes=minutes))
    with service.store.write() as tx:
        row = tx.fetchone("SELECT fragment_id, task_id FROM restricted_fragments WHERE fragment_id = ?",
                          (str(fragment_id)[:200],))
        if row is None:
            raise FragmentNotFoundError("no fragment has that id")
        tx.execute("INSERT INTO restricted_fragment_grants (grant_id, fragment_id, principal_id, created_at,"
                   " expires_at) VALUES (?, ?, ?, ?, ?)", (grant_id, fragment_id, principal.principal_id,
                                                          iso_ms(now), expires))
        service.events.append(tx, NewEvent(
            type="FRAGMENT_RESTORE_GRANT_ISSUED", actor=principal.principal_id, task_id=row["task_id"],
            summary="Restore grant issued for 1 fragment",
            metadata={"fragmentId": fragment_id, "expiresAt": expires, "channel": principal.channel}))
    return {"grant_id": grant_id, "fragment_id": fragment_id, "expires_at": expires}


def _consume_grant(tx: Transaction, grant_id: str | None, fragment_id: str, stamp: str) -> bool:
    if not grant_id:
        return False
    changed = tx.execute("UPDATE restricted_fragment_grants SET used_at = ? WHERE grant_id = ? AND fragment_id = ?"
                         " AND used_at IS NULL AND expires_at > ?", (stamp, str(grant_id)[:100], fragment_id, stamp))
    return changed == 1


def _checks(service: FragmentService, tx: Transaction, row: Row | None, reason: str, stamp: str) -> list[str]:
    failed = [] if reason.strip() else ["reason"]
    if row is None:
        return [*failed, "fragment"]
    status = str(row["lifecycle_status"])
    if status in (LifecycleStatus.SHADOW_ONLY.value, LifecycleStatus.RAW_NOT_PERSISTED.value):
        failed.append("ciphertext")
    policy = service.policy.by_id(str(row["policy_id"]))
    if (policy is None or not policy.allow_restore or row["retention_class"] not in policy.sinks
            or row["category"] not in {c.value for c in policy.categories}):
        failed.append("policy")
    if row["legal_hold"]:
        failed.append("legal_hold")
    if row["expires_at"] is not None and str(row["expires_at"]) <= stamp:
        failed.append("expiry")
    if "ciphertext" not in failed and not _key_present(service, tx, row):
        failed.append("key")
    return failed


def _key_present(service: FragmentService, tx: Transaction, row: Row) -> bool:
    if str(row["lifecycle_status"]) != LifecycleStatus.ENCRYPTED.value:
        return False
    key = tx.fetchone("SELECT k.key_version, v.state FROM restricted_fragment_keys k"
                      " JOIN restricted_fragment_key_versions v ON v.key_id = k.key_id AND v.version = k.key_version"
                      " WHERE k.fragment_id = ?",
                      (row["fragment_id"],))
    cipher = tx.fetchone("SELECT 1 FROM restricted_fragment_ciphertexts WHERE fragment_id = ?", (row["fragment_id"],))
    return (key is not None and cipher is not None and key["state"] != "destroyed"
            and service.keys.has_version(str(row["tenant_id"]), int(key["key_version"])))


def restore(service: FragmentService, fragment_id: str, *, reason: str, principal: Principal,
            grant_id: str | None = None) -> RestoreResult:
    """Try to restore one fragment; the plaintext is in the result only when every precondition holds."""
    fragment_id = str(fragment_id)[:200]
    reason = (reason or "")[:MAX_REASON]
    stamp = iso_ms(service.clock())
    envelope: tuple[Row, Row, Row] | None = None
    with service.store.write() as tx:
        row = tx.fetchone("SELECT * FROM restricted_fragments WHERE fragment_id = ?", (fragment_id,))
        authorized = principal.is_admin or _consume_grant(tx, grant_id, fragment_id, stamp)
        if authorized:
            failed = _checks(service, tx, row, reason, stamp)
        else:
            failed = ["principal"] + ([] if reason.strip() else ["reason"])
        status = STATUS_OF[failed[0]] if failed else RestoreStatus.ALLOWED_BY_POLICY
        meta = _meta(row, fragment_id, principal, grant_id, status, failed, reason)
        task_id = row["task_id"] if row is not None and authorized else None
        ids = [service.audit(tx, AuditEvent.RESTORE_ATTEMPTED, principal.principal_id, task_id, meta)]
        if failed:
            ids.append(service.audit(tx, AuditEvent.DECRYPT_DENIED, principal.principal_id, task_id, meta))
        elif row is not None:
            cipher = tx.fetchone("SELECT * FROM restricted_fragment_ciphertexts WHERE fragment_id = ?", (fragment_id,))
            key = tx.fetchone("SELECT * FROM restricted_fragment_keys WHERE fragment_id = ?", (fragment_id,))
            assert cipher is not None and key is not None  # _key_present checked both
            envelope = (row, cipher, key)
    if envelope is None:
        return RestoreResult(fragment_id=fragment_id, status=status, restored=False, failed_preconditions=failed,
                             message=MESSAGES[failed[0]], audit_event_ids=ids)
    row, cipher, key = envelope
    try:
        version = int(key["key_version"])
        data_key = service.keys.unwrap(str(row["tenant_id"]), version, bytes(key["wrapped_key"]),
                                       context_of(row, str(key["key_id"]), version))
        plaintext = open_envelope(data_key, bytes(cipher["nonce"]), bytes(cipher["ciphertext"]), aad_of(row))
    except (EnvelopeIntegrityError, KeyUnavailableError) as exc:
        failed = ["key" if isinstance(exc, KeyUnavailableError) else "integrity"]
        status = STATUS_OF[failed[0]]
        with service.store.write() as tx:
            meta = _meta(row, fragment_id, principal, grant_id, status, failed, reason)
            ids.append(service.audit(tx, AuditEvent.DECRYPT_DENIED, principal.principal_id, row["task_id"], meta))
        return RestoreResult(fragment_id=fragment_id, status=status, restored=False, failed_preconditions=failed,
                             message=MESSAGES[failed[0]], audit_event_ids=ids)
    return RestoreResult(fragment_id=fragment_id, status=status, restored=True,
                         message="restored for this caller only; it was not stored, logged or sent anywhere",
                         audit_event_ids=ids, plaintext=plaintext)


def _meta(row: Row | None, fragment_id: str, principal: Principal, grant_id: str | None, status: RestoreStatus,
          failed: list[str], reason: str) -> dict[str, Any]:
    return {"fragmentId": fragment_id, "tenantId": row["tenant_id"] if row is not None else None,
            "workspaceId": row["workspace_id"] if row is not None else None,
            "policyId": row["policy_id"] if row is not None else None,
            "category": row["category"] if row is not None else None, "count": 1,
            "principal": principal.principal_id, "channel": principal.channel, "viaGrant": bool(grant_id),
            "status": status.value, "failedPreconditions": failed, "reasonGiven": bool(reason.strip()),
            "reasonLength": len(reason)}
