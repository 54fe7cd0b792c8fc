"""Crypto-shred (the seed's sequence) and key rotation.

Shred of some fragments: (1) mark them ``delete_requested``; (2) hard-delete their ciphertext rows and
(3) their wrapped data keys (``ciphertext_deleted``); (4) rotate the tenant's key-encryption key: a new
version, every other fragment's data key rewrapped to it, the old versions destroyed (``key_destroyed``),
so a copy of the database taken before the shred cannot be opened with the keys that remain; (5) record
that backups may hold the (now undecryptable) bytes until they expire; (6) ``crypto_shredded``. Then the
WAL is checkpointed and truncated (``secure_delete`` zeroes freed pages). Shadow-only fragments report
``raw_not_persisted``. Fragments under legal hold are skipped; a tenant-wide shred refuses while any
fragment of the tenant is held and destroys every key version of the tenant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestra.approvals import gate as approvals
from orchestra.clock import iso_ms
from orchestra.errors import ValidationError
from orchestra.events import NewEvent
from orchestra.fragments.errors import (
    EnvelopeIntegrityError,
    FragmentNotFoundError,
    KeyUnavailableError,
    LegalHoldError,
)
from orchestra.fragments.model import AuditEvent, CryptoShredResult, LifecycleStatus, RotateResult
from orchestra.fragments.rows import FINAL_STATES, context_of, in_clause
from orchestra.store.base import Row, Transaction

if TYPE_CHECKING:
    from orchestra.approvals.gate import CallerApprovals
    from orchestra.approvals.model import ApprovalTicket
    from orchestra.fragments.service import FragmentService

MAX_IDS = 500


def _set(tx: Transaction, ids: list[str], status: LifecycleStatus, stamp: str, *, clear_digest: bool = False,
         final: bool = False) -> None:
    extra = (", plaintext_digest = NULL" if clear_digest else "") + (", shredded_at = ?" if final else "")
    for start in range(0, len(ids), MAX_IDS):
        chunk = ids[start:start + MAX_IDS]
        tx.execute(f"UPDATE restricted_fragments SET lifecycle_status = ?, updated_at = ?{extra}"
                   f" WHERE fragment_id IN {in_clause(chunk)}",
                   (status.value, stamp, *((stamp,) if final else ()), *chunk))


def _delete(tx: Transaction, table: str, ids: list[str]) -> int:
    deleted = 0
    for start in range(0, len(ids), MAX_IDS):
        chunk = ids[start:start + MAX_IDS]
        deleted += tx.execute(f"DELETE FROM {table} WHERE fragment_id IN {in_clause(chunk)}", chunk)
    return deleted


def shred(service: FragmentService, where: str, params: list[Any], *, actor: str, reason_code: str,
          tenant_wide: str | None = None, require_one: bool = False, approval: CallerApprovals | None = None,
          ticket: ApprovalTicket | None = None) -> CryptoShredResult:
    """Shred every not-yet-shredded fragment matching ``where`` (a trusted SQL condition); a person's grant
    (``ticket``) is used in the same transaction."""
    if not reason_code or len(reason_code) > 64 or not reason_code.replace("_", "").replace("-", "").isalnum():
        raise ValidationError("reason_code must be 1-64 letters, digits, '_' or '-'")
    stamp = iso_ms(service.clock())
    with service.store.write() as tx:
        approvals.consume(approval, tx, ticket)
        rows = tx.fetchall(f"SELECT fragment_id, tenant_id, workspace_id, task_id, lifecycle_status, legal_hold"
                           f" FROM restricted_fragments WHERE ({where})", params)
        if require_one and not rows:
            raise FragmentNotFoundError("no fragment has that id")
        open_rows = [r for r in rows if r["lifecycle_status"] not in FINAL_STATES]
        held = [str(r["fragment_id"]) for r in open_rows if r["legal_hold"]]
        if held and (tenant_wide is not None or (require_one and len(open_rows) == 1)):
            raise LegalHoldError("a fragment under legal hold cannot be shredded; lift the hold first",
                                 details={"fragmentIds": held[:20]})
        targets = [r for r in open_rows if not r["legal_hold"]]
        shadow = [str(r["fragment_id"]) for r in targets if r["lifecycle_status"] == LifecycleStatus.SHADOW_ONLY.value]
        sealed = [str(r["fragment_id"]) for r in targets if str(r["fragment_id"]) not in set(shadow)]
        tenants = sorted({str(r["tenant_id"]) for r in targets if str(r["fragment_id"]) in set(sealed)})
        _set(tx, shadow, LifecycleStatus.RAW_NOT_PERSISTED, stamp, clear_digest=True, final=True)
        _set(tx, sealed, LifecycleStatus.DELETE_REQUESTED, stamp)
        cipher_deleted = _delete(tx, "restricted_fragment_ciphertexts", sealed)
        keys_deleted = _delete(tx, "restricted_fragment_keys", sealed)
        _set(tx, sealed, LifecycleStatus.CIPHERTEXT_DELETED, stamp, clear_digest=True)
        task_id = targets[0]["task_id"] if targets else None
        base = {"reasonCode": reason_code, "tenantIds": tenants or sorted({str(r["tenant_id"]) for r in targets})}
        if sealed:
            service.audit(tx, AuditEvent.CIPHERTEXT_DELETED, actor, task_id, {
                **base, "count": len(sealed), "fragmentIds": sealed[:MAX_IDS], "ciphertextRows": cipher_deleted,
                "wrappedKeyRows": keys_deleted})
    destroyed: list[str] = []
    rewrapped = 0
    for tenant in tenants:
        if tenant_wide is not None:
            destroyed += _destroy_all(service, tenant, stamp)
        else:
            rotated = rotate(service, tenant, rewrap=True, actor=actor)
            rewrapped += rotated.rewrapped
            destroyed += [f"{rotated.key_id}@v{v}" for v in rotated.destroyed_versions]
    event_id = None
    if targets:
        with service.store.write() as tx:
            _set(tx, sealed, LifecycleStatus.KEY_DESTROYED, stamp)
            if sealed:
                service.audit(tx, AuditEvent.KEY_DESTROYED, actor, task_id, {
                    **base, "count": len(sealed), "fragmentIds": sealed[:MAX_IDS], "keyVersions": destroyed,
                    "rewrapped": rewrapped})
                service.audit(tx, AuditEvent.BACKUP_EXPIRY_PENDING, actor, task_id, {
                    **base, "count": len(sealed), "fragmentIds": sealed[:MAX_IDS],
                    "note": "backups may hold undecryptable ciphertext until they expire"})
            _set(tx, sealed, LifecycleStatus.CRYPTO_SHREDDED, stamp, final=True)
            event_id = service.audit(tx, AuditEvent.CRYPTO_SHREDDED, actor, task_id, {
                **base, "count": len(targets), "fragmentIds": [str(r["fragment_id"]) for r in targets][:MAX_IDS],
                "cryptoShredded": len(sealed), "rawNotPersisted": len(shadow), "skippedLegalHold": held[:MAX_IDS]})
    checkpointed = _checkpoint(service.store) if targets else False
    return CryptoShredResult(
        status=LifecycleStatus.CRYPTO_SHREDDED if sealed or not shadow else LifecycleStatus.RAW_NOT_PERSISTED,
        fragment_ids=[str(r["fragment_id"]) for r in targets], ciphertext_deleted=cipher_deleted,
        key_destroyed=len(sealed), raw_not_persisted=len(shadow), skipped_legal_hold=held,
        destroyed_key_versions=destroyed, rewrapped=rewrapped, backup_expiry_pending=bool(sealed),
        wal_checkpointed=checkpointed,
        audit_event_id=event_id, completed_at=iso_ms(service.clock()),
    )


def _checkpoint(store: object) -> bool:
    """Truncate the WAL through the store (or the real store behind a wrapper that opens it lazily)."""
    checkpoint = getattr(store, "checkpoint", None)
    if not callable(checkpoint):
        opener = getattr(store, "open", None)
        checkpoint = getattr(opener(), "checkpoint", None) if callable(opener) else None
    return bool(checkpoint()) if callable(checkpoint) else False


def _destroy_all(service: FragmentService, tenant: str, stamp: str) -> list[str]:
    key_id = service.keys.key_id(tenant)
    with service.store.write() as tx:
        rows = tx.fetchall("SELECT version FROM restricted_fragment_key_versions"
                           " WHERE key_id = ? AND state != 'destroyed'", (key_id,))
        tx.execute("UPDATE restricted_fragment_key_versions SET state = 'destroyed', destroyed_at = ?"
                   " WHERE key_id = ? AND state != 'destroyed'", (stamp, key_id))
    versions = [int(r["version"]) for r in rows]
    for version in versions:
        service.keys.destroy_version(tenant, version)
    return [f"{key_id}@v{v}" for v in versions]


def rotate(service: FragmentService, tenant_id: str, *, rewrap: bool, actor: str) -> RotateResult:
    """Make a new active key version; with ``rewrap``, move every data key to it and destroy the old ones."""
    stamp = iso_ms(service.clock())
    key_id = service.keys.key_id(tenant_id)
    destroyed: list[int] = []
    rewrapped = 0
    with service.store.write() as tx:
        version = service.new_version(tx, tenant_id, stamp)
        if rewrap:
            for row in tx.fetchall("SELECT k.key_version, k.wrapped_key, f.* FROM restricted_fragment_keys k JOIN"
                                   " restricted_fragments f ON f.fragment_id = k.fragment_id WHERE k.key_id = ?"
                                   " AND k.key_version != ?", (key_id, version)):
                rewrapped += _rewrap(service, tx, row, key_id, version, stamp)
            olds = tx.fetchall("SELECT version FROM restricted_fragment_key_versions WHERE key_id = ?"
                               " AND state = 'retired'", (key_id,))
            destroyed = [int(r["version"]) for r in olds]
            tx.execute("UPDATE restricted_fragment_key_versions SET state = 'destroyed', destroyed_at = ?"
                       " WHERE key_id = ? AND state = 'retired'", (stamp, key_id))
        event = service.events.append(tx, NewEvent(
            type="FRAGMENT_KEY_ROTATED", actor=actor[:128], summary=f"Fragment key rotated to version {version}",
            metadata={"tenantId": tenant_id, "keyId": key_id, "newVersion": version, "rewrapped": rewrapped,
                      "destroyedVersions": destroyed}))
    for old in destroyed:
        service.keys.destroy_version(tenant_id, old)
    return RotateResult(tenant_id=tenant_id, key_id=key_id, new_version=version, rewrapped=rewrapped,
                        destroyed_versions=destroyed, audit_event_id=event.id)


def _rewrap(service: FragmentService, tx: Transaction, row: Row, key_id: str, version: int, stamp: str) -> int:
    tenant = str(row["tenant_id"])
    old = int(row["key_version"])
    try:
        data_key = service.keys.unwrap(tenant, old, bytes(row["wrapped_key"]), context_of(row, key_id, old))
    except (KeyUnavailableError, EnvelopeIntegrityError):
        return 0  # already unrecoverable; left for shred
    wrapped = service.keys.wrap(tenant, version, data_key, context_of(row, key_id, version))
    tx.execute("UPDATE restricted_fragment_keys SET key_version = ?, wrapped_key = ?, rewrapped_at = ?"
               " WHERE fragment_id = ?", (version, wrapped, stamp, row["fragment_id"]))
    return 1
