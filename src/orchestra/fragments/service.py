"""The restricted-fragment service: retain (shadow or envelope), list shadows, restore, shred, rotate keys.

Retention runs in two steps so a caller's record and its fragments commit together: :meth:`prepare`
(outside any transaction: policy lookup and AES-256-GCM sealing of each redacted value) and
:meth:`persist` (inside the caller's write transaction: the data key is wrapped by the tenant's active
key version, then shadow, ciphertext and wrapped key go to three separate tables, with audit events).
Plaintext exists only in memory between the guard and the seal, and in a successful restore's result.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orchestra.approvals.gate import CallerApprovals
from orchestra.approvals.model import ApprovalSubject
from orchestra.clock import iso_ms, utc_now
from orchestra.errors import ValidationError
from orchestra.events import EventLog, NewEvent
from orchestra.fragments.envelope import ALGORITHM, Sealed, seal
from orchestra.fragments.errors import FragmentNotFoundError
from orchestra.fragments.keys import KeyProvider
from orchestra.fragments.model import (
    AuditEvent,
    CryptoShredResult,
    FragmentPage,
    KeyStatus,
    KeyVersionStatus,
    LifecycleStatus,
    RedactedShadow,
    RestoreResult,
    RotateResult,
    StorageMode,
)
from orchestra.fragments.policy import FragmentPolicy, fragment_category
from orchestra.fragments.principals import Principal
from orchestra.fragments.restore import issue_grant
from orchestra.fragments.restore import restore as restore_fragment
from orchestra.fragments.rows import INSERT_SHADOW, SHADOW_COLUMNS, aad_of, context_of, in_clause, to_shadow
from orchestra.fragments.shred import rotate as rotate_key
from orchestra.fragments.shred import shred as shred_where
from orchestra.security.identifiers import check_identifier
from orchestra.security.opaque_ids import opaque_id
from orchestra.security.retained import RetainedRegion
from orchestra.store.base import Store, Transaction

MAX_LIST = 200
_DIGEST_INFO = b"restricted-fragment-digest-v1\x00"


@dataclass(frozen=True, slots=True)
class FragmentSource:
    """The record whose field held the redacted values."""

    kind: str
    source_id: str
    tenant_id: str
    workspace_id: str
    thread_id: str | None = None
    task_id: str | None = None


@dataclass(slots=True)
class Prepared:
    """One fragment ready to persist: its shadow columns and, when encrypted, its sealed envelope."""

    row: dict[str, Any]
    sealed: Sealed | None = field(default=None, repr=False)


class FragmentService:
    """Restricted fragments of one workspace store."""

    def __init__(self, store: Store, events: EventLog, keys: KeyProvider, policy: FragmentPolicy,
                 digest_key: bytes, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.events = events
        self.keys = keys
        self.policy = policy
        self._digest_key = digest_key
        self.clock = clock

    @property
    def enabled(self) -> bool:
        """Whether any retention policy is configured (else nothing is ever retained)."""
        return self.policy.enabled

    # -- retention -------------------------------------------------------------------------------------------

    def prepare(self, source: FragmentSource, field_name: str, sink: str,
                regions: Sequence[RetainedRegion]) -> list[Prepared]:
        """Fragments for the redacted ``regions`` of one field that a policy retains (sealed if encrypted)."""
        if not self.policy.enabled or not regions:
            return []
        now = self.clock()
        stamp = iso_ms(now)
        out: list[Prepared] = []
        for region in regions:
            category = fragment_category(region.category, region.rule_id)
            policy = self.policy.for_fragment(category, sink) if category is not None else None
            if category is None or policy is None:
                continue
            mode = StorageMode(policy.mode)
            row: dict[str, Any] = {
                "fragment_id": opaque_id("fragment-", 12), "tenant_id": source.tenant_id,
                "workspace_id": source.workspace_id, "source_kind": source.kind, "source_id": source.source_id,
                "source_field": field_name[:128], "thread_id": source.thread_id, "task_id": source.task_id,
                "category": category.value, "rule_id": region.rule_id, "policy_id": policy.id,
                "retention_class": sink, "marker": region.marker, "marker_index": region.index,
                "summary": f"{category.value} value ({region.rule_id}) redacted from {source.kind} "
                           f"{field_name[:64]}",
                "lifecycle_status": (LifecycleStatus.ENCRYPTED if mode is StorageMode.ENCRYPTED
                                     else LifecycleStatus.SHADOW_ONLY).value,
                "legal_hold": 1 if policy.legal_hold else 0,
                "plaintext_digest": self._digest(region.value), "created_at": stamp, "updated_at": stamp,
                "expires_at": policy.expires_at(now),
            }
            sealed = None
            if mode is StorageMode.ENCRYPTED:
                sealed = seal(region.value, aad_of(row))
            out.append(Prepared(row=row, sealed=sealed))
        return out

    def _digest(self, value: str) -> str:
        mac = hmac.new(self._digest_key, _DIGEST_INFO + value.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return "hmac-sha256:" + mac.hexdigest()[:32]

    def persist(self, tx: Transaction, prepared: Sequence[Prepared], *, actor: str) -> list[str]:
        """Write prepared fragments inside the caller's transaction, with their audit events; their ids."""
        if not prepared:
            return []
        stamp = iso_ms(self.clock())
        encrypted: list[tuple[str, str, int]] = []
        for item in prepared:
            row = item.row
            tx.execute(INSERT_SHADOW, [row[c] for c in SHADOW_COLUMNS])
            if item.sealed is None:
                continue
            tenant = str(row["tenant_id"])
            key_id, version = self.active_version(tx, tenant, stamp)
            wrapped = self.keys.wrap(tenant, version, item.sealed.data_key, context_of(row, key_id, version))
            tx.execute("INSERT INTO restricted_fragment_ciphertexts (fragment_id, algorithm, nonce, ciphertext,"
                       " ciphertext_digest, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (row["fragment_id"], ALGORITHM, item.sealed.nonce, item.sealed.ciphertext,
                        item.sealed.digest, stamp))
            tx.execute("INSERT INTO restricted_fragment_keys (fragment_id, tenant_id, key_id, key_version,"
                       " wrapped_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (row["fragment_id"], tenant, key_id, version, wrapped, stamp))
            encrypted.append((str(row["fragment_id"]), key_id, version))
        for group in _by_source(prepared):
            self._record_retained(tx, group, encrypted, actor)
        return [str(p.row["fragment_id"]) for p in prepared]

    def _record_retained(self, tx: Transaction, group: list[Prepared], encrypted: list[tuple[str, str, int]],
                         actor: str) -> None:
        first = group[0].row
        ids = [str(p.row["fragment_id"]) for p in group]
        base = {"tenantId": first["tenant_id"], "workspaceId": first["workspace_id"],
                "sourceKind": first["source_kind"], "sourceId": first["source_id"], "threadId": first["thread_id"],
                "retentionClass": first["retention_class"]}
        categories = dict(Counter(str(p.row["category"]) for p in group))
        policies = sorted({str(p.row["policy_id"]) for p in group})
        self.audit(tx, AuditEvent.DETECTED, actor, first["task_id"], {
            **base, "count": len(group), "categories": categories, "policyIds": policies})
        self.audit(tx, AuditEvent.SHADOW_RECORDED, actor, first["task_id"], {
            **base, "count": len(group), "fragmentIds": ids})
        mine = [e for e in encrypted if e[0] in set(ids)]
        if mine:
            self.audit(tx, AuditEvent.ENCRYPTED, actor, first["task_id"], {
                **base, "count": len(mine), "fragmentIds": [e[0] for e in mine], "algorithm": ALGORITHM,
                "keyId": mine[0][1], "keyVersions": sorted({e[2] for e in mine})})

    def audit(self, tx: Transaction, event: AuditEvent, actor: str, task_id: Any,
              metadata: dict[str, Any]) -> str:
        """Append one of the nine fragment events (ids and counts only)."""
        recorded = self.events.append(tx, NewEvent(
            type=event.event_type, actor=actor[:128] or "orchestra", task_id=str(task_id)[:64] if task_id else None,
            summary=f"{event.value}: {metadata.get('count', 1)} fragment(s)",
            metadata={"auditEvent": event.value, **metadata},
        ))
        return recorded.id

    # -- key versions ----------------------------------------------------------------------------------------

    def active_version(self, tx: Transaction, tenant_id: str, stamp: str) -> tuple[str, int]:
        """The tenant's active key version, created (version 1, or after the last) when there is none."""
        key_id = self.keys.key_id(tenant_id)
        row = tx.fetchone("SELECT version FROM restricted_fragment_key_versions WHERE key_id = ? AND state = 'active'",
                          (key_id,))
        if row is not None:
            version = int(row["version"])
            if self.keys.has_version(tenant_id, version):
                return key_id, version
            tx.execute("UPDATE restricted_fragment_key_versions SET state = 'destroyed', destroyed_at = ?"
                       " WHERE key_id = ? AND version = ?", (stamp, key_id, version))
        return key_id, self.new_version(tx, tenant_id, stamp)

    def new_version(self, tx: Transaction, tenant_id: str, stamp: str) -> int:
        """Create the next key version and make it the active one (the previous becomes retired)."""
        key_id = self.keys.key_id(tenant_id)
        top = tx.fetchone("SELECT MAX(version) AS v FROM restricted_fragment_key_versions WHERE key_id = ?",
                          (key_id,))
        version = int(top["v"] or 0) + 1 if top is not None else 1
        self.keys.create_version(tenant_id, version)
        tx.execute("UPDATE restricted_fragment_key_versions SET state = 'retired'"
                   " WHERE key_id = ? AND state = 'active'", (key_id,))
        tx.execute("INSERT INTO restricted_fragment_key_versions (key_id, version, tenant_id, provider, state,"
                   " created_at) VALUES (?, ?, ?, ?, 'active', ?)", (key_id, version, tenant_id, self.keys.name, stamp))
        return version

    def key_status(self) -> KeyStatus:
        """Every key version with its state, presence and fragment count (metadata only)."""
        with self.store.read() as tx:
            rows = tx.fetchall("SELECT v.*, (SELECT COUNT(*) FROM restricted_fragment_keys k WHERE k.key_id = v.key_id"
                               " AND k.key_version = v.version) AS n FROM restricted_fragment_key_versions v"
                               " ORDER BY v.tenant_id, v.version")
        return KeyStatus(provider=self.keys.name, versions=[KeyVersionStatus(
            key_id=r["key_id"], tenant_id=r["tenant_id"], version=int(r["version"]), state=r["state"],
            present=self.keys.has_version(r["tenant_id"], int(r["version"])), fragments=int(r["n"]),
            created_at=r["created_at"], destroyed_at=r["destroyed_at"]) for r in rows])

    # -- restore, shred, rotate --------------------------------------------------------------------------------

    def restore(self, fragment_id: str, *, reason: str, principal: Principal,
                grant_id: str | None = None) -> RestoreResult:
        """Restore one fragment to this caller (see :mod:`orchestra.fragments.restore`)."""
        check_identifier(fragment_id, "fragment_id")  # it is audited before the lookup
        if grant_id is not None:
            check_identifier(grant_id, "grant_id")
        return restore_fragment(self, fragment_id, reason=reason, principal=principal, grant_id=grant_id)

    def grant(self, fragment_id: str, *, principal: Principal, minutes: int = 10) -> dict[str, str]:
        """An operator's single-use restore grant for one fragment (for an MCP caller)."""
        check_identifier(fragment_id, "fragment_id")
        return issue_grant(self, fragment_id, principal, minutes)

    def shred(self, fragment_id: str, *, actor: str, reason_code: str,
              approval: CallerApprovals | None = None) -> CryptoShredResult:
        """Crypto-shred one fragment (see :mod:`orchestra.fragments.shred`); with ``approval``, only after a
        person approved it (the grant is used in the shredding transaction)."""
        check_identifier(fragment_id, "fragment_id")
        check_identifier(actor, "actor")
        check_identifier(reason_code, "reason_code")
        fragment_id = str(fragment_id)[:200]
        ticket = None
        if approval is not None and approval.requires("fragment_shred"):
            with self.store.read() as tx:
                row = tx.fetchone("SELECT task_id FROM restricted_fragments WHERE fragment_id = ?", (fragment_id,))
            if row is None:
                raise FragmentNotFoundError("no fragment has that id")
            ticket = approval.check(ApprovalSubject(
                action="fragment_shred", reason_code="destructive_action", task_id=row["task_id"],
                arguments={"fragmentId": fragment_id, "reasonCode": reason_code},
                summary=f"crypto-shred restricted fragment {fragment_id} for good (reason {reason_code})"))
        return shred_where(self, "fragment_id = ?", [fragment_id], actor=actor, reason_code=reason_code,
                           require_one=True, approval=approval, ticket=ticket)

    def shred_scope(self, *, thread_ids: Sequence[str] = (), task_id: str | None = None, actor: str,
                    reason_code: str) -> CryptoShredResult:
        """Crypto-shred the fragments of some chat threads and, with ``task_id``, of a whole task."""
        clauses: list[str] = []
        params: list[Any] = []
        ids = [str(t) for t in thread_ids]
        if ids:
            clauses.append(f"thread_id IN {in_clause(ids)}")
            params += ids
        if task_id is not None:
            clauses.append("task_id = ?")
            params.append(task_id)
        if not clauses:
            raise ValidationError("a shred scope needs thread ids or a task id")
        return shred_where(self, " OR ".join(clauses), params, actor=actor, reason_code=reason_code)

    def shred_tenant(self, tenant_id: str, *, actor: str, reason_code: str) -> CryptoShredResult:
        """Crypto-shred every fragment of a tenant and destroy all of its key versions."""
        return shred_where(self, "tenant_id = ?", [tenant_id], actor=actor, reason_code=reason_code,
                           tenant_wide=tenant_id)

    def shred_expired(self, *, actor: str) -> CryptoShredResult:
        """Crypto-shred every fragment whose retention period has ended (legal holds are kept)."""
        return shred_where(self, "expires_at IS NOT NULL AND expires_at <= ?", [iso_ms(self.clock())], actor=actor,
                           reason_code="retention_expired")

    def rotate(self, tenant_id: str, *, rewrap: bool, actor: str) -> RotateResult:
        """New key version for new fragments; with ``rewrap``, old data keys move to it and old versions go."""
        return rotate_key(self, tenant_id, rewrap=rewrap, actor=actor)

    def tenants(self) -> list[str]:
        """Tenants that have key versions."""
        with self.store.read() as tx:
            rows = tx.fetchall("SELECT DISTINCT tenant_id FROM restricted_fragment_key_versions ORDER BY tenant_id")
        return [str(r["tenant_id"]) for r in rows]

    # -- reads -----------------------------------------------------------------------------------------------

    def list_fragments(self, *, tenant_id: str | None = None, source_id: str | None = None,
                       thread_id: str | None = None, task_id: str | None = None, status: str | None = None,
                       after: str | None = None, limit: int = 50) -> FragmentPage:
        """Shadows (never values), in id order, ``limit`` (1..200) at a time."""
        if not 1 <= limit <= MAX_LIST:
            raise ValidationError(f"limit must be between 1 and {MAX_LIST}")
        if status is not None and status not in {s.value for s in LifecycleStatus}:
            raise ValidationError("status is not a fragment lifecycle status")
        clauses, params = ["1 = 1"], []
        for column, value in (("tenant_id", tenant_id), ("source_id", source_id), ("thread_id", thread_id),
                              ("task_id", task_id), ("lifecycle_status", status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(str(value)[:200])
        if after:
            clauses.append("fragment_id > ?")
            params.append(str(after)[:200])
        with self.store.read() as tx:
            rows = tx.fetchall(f"SELECT * FROM restricted_fragments WHERE {' AND '.join(clauses)}"
                               " ORDER BY fragment_id LIMIT ?", (*params, limit + 1))
        shadows = [to_shadow(r) for r in rows[:limit]]
        return FragmentPage(fragments=shadows, count=len(shadows),
                            next_after=shadows[-1].fragment_id if len(rows) > limit else None)

    def shadows_for(self, source_ids: Iterable[str]) -> dict[str, list[RedactedShadow]]:
        """Shadows by source record id (for exports)."""
        ids = list(dict.fromkeys(source_ids))
        out: dict[str, list[RedactedShadow]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            with self.store.read() as tx:
                rows = tx.fetchall(f"SELECT * FROM restricted_fragments WHERE source_id IN {in_clause(chunk)}"
                                   " ORDER BY source_field, marker_index", chunk)
            for row in rows:
                out.setdefault(str(row["source_id"]), []).append(to_shadow(row))
        return out


def _by_source(prepared: Sequence[Prepared]) -> list[list[Prepared]]:
    groups: dict[tuple[str, str], list[Prepared]] = {}
    for item in prepared:
        groups.setdefault((str(item.row["source_kind"]), str(item.row["source_id"])), []).append(item)
    return list(groups.values())
