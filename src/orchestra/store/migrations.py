"""Versioned, forward-only schema migrations, for SQLite and PostgreSQL alike.

Each migration runs in its own write transaction together with the bump of the
schema version (SQLite: ``PRAGMA user_version``; PostgreSQL: the one-row
``orchestra_schema_version`` table), so a crash leaves the database at the old or
the new version, never between. Append new migrations; never edit a shipped one.

A statement is either a plain string, written once for both backends (its column
types are renamed mechanically on PostgreSQL: ``INTEGER`` → ``BIGINT``, ``BLOB`` →
``BYTEA``, ``WITHOUT ROWID`` dropped; see :func:`orchestra.store.dialect.postgres_ddl`),
or a :class:`PerDialect` pair when the backends need different SQL (triggers,
implicit columns); a side left ``None`` runs nothing on that backend.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestra.store.dialect import SQLITE, Dialect, postgres_ddl


@dataclass(frozen=True)
class PerDialect:
    """One statement spelled per backend (``None``: nothing to run there)."""

    sqlite: str | None
    postgres: str | None


Statement = str | PerDialect


@dataclass(frozen=True)
class Migration:
    """One schema step."""

    version: int
    description: str
    statements: tuple[Statement, ...]

    def statements_for(self, dialect: Dialect) -> list[str]:
        """The SQL to run on ``dialect``, in order."""
        out: list[str] = []
        for statement in self.statements:
            if isinstance(statement, PerDialect):
                chosen = statement.sqlite if dialect == SQLITE else statement.postgres
                if chosen is not None:
                    out.append(chosen)
            else:
                out.append(statement if dialect == SQLITE else postgres_ddl(statement))
        return out


def _refuse(trigger: str, table: str, action: str, message: str, when: str = "") -> PerDialect:
    """A trigger refusing ``action`` (UPDATE/DELETE) on ``table``: SQLite ``RAISE(ABORT)``, PostgreSQL a
    row trigger calling ``orchestra_refuse`` (which raises an integrity violation with ``message``)."""
    sqlite_when = f" WHEN {when}" if when else ""
    pg_when = f" WHEN ({when.replace('!=', '<>')})" if when else ""
    return PerDialect(
        sqlite=f"CREATE TRIGGER {trigger} BEFORE {action} ON {table}{sqlite_when}\n"
               f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        postgres=f"CREATE TRIGGER {trigger} BEFORE {action} ON {table} FOR EACH ROW{pg_when}"
                 f" EXECUTE FUNCTION orchestra_refuse('{message}')",
    )


def _refuse_truncate(table: str, message: str) -> PerDialect:
    """PostgreSQL only: ``TRUNCATE`` bypasses row triggers, so append-only tables refuse it too."""
    return PerDialect(sqlite=None, postgres=f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                                            f" FOR EACH STATEMENT EXECUTE FUNCTION orchestra_refuse('{message}')")


_PG_REFUSE_FUNCTION = PerDialect(sqlite=None, postgres="""
            CREATE FUNCTION orchestra_refuse() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'integrity_constraint_violation';
            END
            $fn$
            """)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="audit events (hash-chained, append-only) and tasks",
        statements=(
            """
            CREATE TABLE events (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                type TEXT NOT NULL,
                actor TEXT NOT NULL,
                task_id TEXT,
                summary TEXT NOT NULL,
                metadata TEXT NOT NULL,
                artifacts TEXT NOT NULL,
                timestamp TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            "CREATE INDEX events_by_task ON events(task_id, seq)",
            "CREATE INDEX events_by_type ON events(type, seq)",
            _PG_REFUSE_FUNCTION,
            _refuse("events_no_update", "events", "UPDATE", "audit events are append-only"),
            _refuse("events_no_delete", "events", "DELETE", "audit events are append-only"),
            _refuse_truncate("events", "audit events are append-only"),
            """
            CREATE TABLE audit_head (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                seq INTEGER NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            _refuse("audit_head_no_delete", "audit_head", "DELETE", "the audit head cannot be deleted"),
            _refuse_truncate("audit_head", "the audit head cannot be deleted"),
            """
            CREATE TABLE tasks (
                id TEXT PRIMARY KEY,
                title TEXT NOT NULL,
                goal TEXT NOT NULL,
                acceptance_criteria TEXT NOT NULL,
                ownership_paths TEXT NOT NULL,
                owner_role TEXT,
                status TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX tasks_by_status ON tasks(status, id)",
        ),
    ),
    Migration(
        version=2,
        description="delegation sessions and their lifecycle transitions",
        statements=(
            """
            CREATE TABLE delegation_sessions (
                session_id TEXT PRIMARY KEY,
                task_id TEXT NOT NULL,
                run_id TEXT,
                phase TEXT NOT NULL,
                role TEXT NOT NULL,
                runtime TEXT NOT NULL,
                depth INTEGER NOT NULL,
                status TEXT NOT NULL,
                agent_id TEXT,
                brief TEXT,
                idempotency_key TEXT UNIQUE,
                request_fingerprint TEXT NOT NULL,
                queue_seq INTEGER,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                last_activity_at TEXT NOT NULL,
                expires_at TEXT,
                artifacts TEXT NOT NULL,
                summary TEXT,
                result TEXT
            )
            """,
            "CREATE INDEX delegation_by_status ON delegation_sessions(status, expires_at)",
            "CREATE INDEX delegation_by_task ON delegation_sessions(task_id, status)",
            "CREATE INDEX delegation_queue ON delegation_sessions(queue_seq) WHERE queue_seq IS NOT NULL",
            """
            CREATE TABLE delegation_transitions (
                session_id TEXT NOT NULL REFERENCES delegation_sessions(session_id),
                n INTEGER NOT NULL,
                from_status TEXT,
                to_status TEXT NOT NULL,
                event_type TEXT NOT NULL,
                audit_seq INTEGER,
                agent_id TEXT,
                artifact TEXT,
                summary TEXT,
                at TEXT NOT NULL,
                PRIMARY KEY (session_id, n)
            )
            """,
        ),
    ),
    Migration(
        version=3,
        description="chat threads and messages",
        statements=(
            """
            CREATE TABLE chat_threads (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                workspace_id TEXT NOT NULL,
                task_id TEXT NOT NULL,
                run_id TEXT NOT NULL,
                phase TEXT NOT NULL,
                session_id TEXT NOT NULL,
                title TEXT NOT NULL,
                content_state TEXT NOT NULL,
                delete_status TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                last_sequence INTEGER NOT NULL DEFAULT 0,
                last_message_at TEXT NOT NULL,
                tombstoned_at TEXT,
                tombstoned_by TEXT,
                delete_reason TEXT,
                record TEXT NOT NULL
            )
            """,
            # Thread pages keep insertion order with SQLite's implicit ``rowid``; PostgreSQL gets the same
            # name as a real identity column, so the page queries read alike on both.
            PerDialect(sqlite=None,
                       postgres="ALTER TABLE chat_threads ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE"),
            """
            CREATE INDEX chat_threads_by_scope ON chat_threads(
                tenant_id, workspace_id, task_id, run_id, phase, session_id, created_at, id)
            """,
            "CREATE INDEX chat_threads_by_task ON chat_threads(tenant_id, workspace_id, task_id, run_id, id)",
            """
            CREATE TABLE chat_messages (
                id TEXT PRIMARY KEY,
                thread_id TEXT NOT NULL REFERENCES chat_threads(id),
                sequence INTEGER NOT NULL CHECK (sequence >= 1),
                idempotency_digest TEXT NOT NULL,
                body_digest TEXT NOT NULL,
                content_state TEXT NOT NULL,
                delete_status TEXT NOT NULL,
                created_at TEXT NOT NULL,
                text TEXT NOT NULL,
                tombstoned_at TEXT,
                tombstoned_by TEXT,
                delete_reason TEXT,
                record TEXT NOT NULL,
                UNIQUE (thread_id, sequence),
                UNIQUE (thread_id, idempotency_digest)
            )
            """,
        ),
    ),
    Migration(
        version=4,
        description="provenance ledger (one append-only row per model call; money in integer nano-dollars)",
        statements=(
            """
            CREATE TABLE ledger (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                recorded_at TEXT NOT NULL,
                task_id TEXT NOT NULL REFERENCES tasks(id),
                tenant_id TEXT,
                workspace_id TEXT,
                session_id TEXT,
                run_id TEXT,
                phase TEXT,
                actor TEXT,
                initiated_by TEXT,
                role TEXT NOT NULL,
                provider TEXT NOT NULL,
                model TEXT NOT NULL,
                prompt_id TEXT NOT NULL,
                request_id TEXT,
                response_id TEXT NOT NULL,
                input_tokens INTEGER NOT NULL CHECK (input_tokens >= 0),
                output_tokens INTEGER NOT NULL CHECK (output_tokens >= 0),
                cost_nanousd INTEGER NOT NULL CHECK (cost_nanousd >= 0),
                usage_source TEXT,
                cost_source TEXT,
                usage_unavailable_rationale TEXT,
                cost_unavailable_rationale TEXT,
                fallback_used INTEGER NOT NULL DEFAULT 0,
                failed_providers TEXT NOT NULL DEFAULT '[]',
                final_provider TEXT,
                final_model TEXT,
                finish_reason TEXT NOT NULL
            )
            """,
            # SQLite numbers rows of an INTEGER PRIMARY KEY itself; PostgreSQL needs an identity for that.
            PerDialect(sqlite=None,
                       postgres="ALTER TABLE ledger ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY"),
            "CREATE INDEX ledger_by_task ON ledger(task_id, seq)",
            _refuse("ledger_no_update", "ledger", "UPDATE", "ledger records are append-only"),
            _refuse("ledger_no_delete", "ledger", "DELETE", "ledger records are append-only"),
            _refuse_truncate("ledger", "ledger records are append-only"),
        ),
    ),
    Migration(
        version=5,
        description="capacity scheduler: workers, leases, queue, decisions and usage counters",
        statements=(
            """
            CREATE TABLE capacity_workers (
                worker_id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                affinity TEXT NOT NULL,
                allowed_tenants TEXT NOT NULL,
                denied_tenants TEXT NOT NULL,
                workload_classes TEXT NOT NULL,
                providers TEXT NOT NULL,
                runtimes TEXT NOT NULL,
                regions TEXT NOT NULL,
                residency TEXT NOT NULL,
                health TEXT NOT NULL,
                health_rank INTEGER NOT NULL,
                last_heartbeat_at TEXT NOT NULL,
                heartbeat_ttl_ms INTEGER,
                heartbeat_deadline TEXT,
                circuit_open_until TEXT,
                failure_count INTEGER NOT NULL DEFAULT 0,
                max_units INTEGER NOT NULL,
                used_units INTEGER NOT NULL DEFAULT 0,
                registered_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE capacity_worker_tags (
                tag TEXT NOT NULL,
                worker_id TEXT NOT NULL REFERENCES capacity_workers(worker_id) ON DELETE CASCADE,
                PRIMARY KEY (tag, worker_id)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX capacity_tags_by_worker ON capacity_worker_tags(worker_id, tag)",
            """
            CREATE TABLE capacity_worker_slots (
                workload_class TEXT NOT NULL,
                worker_id TEXT NOT NULL REFERENCES capacity_workers(worker_id) ON DELETE CASCADE,
                health_rank INTEGER NOT NULL,
                failure_count INTEGER NOT NULL,
                free_units INTEGER NOT NULL,
                PRIMARY KEY (workload_class, worker_id)
            ) WITHOUT ROWID
            """,
            """
            CREATE INDEX capacity_slots_order ON capacity_worker_slots(
                workload_class, health_rank, failure_count, free_units DESC, worker_id)
            """,
            "CREATE INDEX capacity_slots_by_worker ON capacity_worker_slots(worker_id)",
            """
            CREATE TABLE capacity_decisions (
                seq INTEGER PRIMARY KEY,
                request_id TEXT UNIQUE,
                status TEXT NOT NULL,
                reason_code TEXT NOT NULL,
                platform_id TEXT,
                tenant_id TEXT,
                workspace_id TEXT,
                workload_class TEXT,
                at TEXT NOT NULL,
                body TEXT NOT NULL
            )
            """,
            "CREATE INDEX capacity_decisions_by_scope ON capacity_decisions(tenant_id, workspace_id, status)",
            """
            CREATE TABLE capacity_leases (
                seq INTEGER PRIMARY KEY,
                fence INTEGER NOT NULL DEFAULT 1,
                decision_seq INTEGER NOT NULL,
                status TEXT NOT NULL,
                platform_id TEXT NOT NULL,
                tenant_id TEXT NOT NULL,
                workspace_id TEXT NOT NULL,
                workload_class TEXT NOT NULL,
                provider TEXT,
                runtime TEXT,
                region TEXT,
                worker_id TEXT NOT NULL,
                units INTEGER NOT NULL CHECK (units > 0),
                holder TEXT,
                created_at TEXT NOT NULL,
                renewed_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                ended_at TEXT,
                end_reason TEXT
            )
            """,
            "CREATE INDEX capacity_leases_live ON capacity_leases(expires_at) WHERE status = 'active'",
            "CREATE INDEX capacity_leases_scope ON capacity_leases(tenant_id, workspace_id) WHERE status = 'active'",
            "CREATE UNIQUE INDEX capacity_leases_holder ON capacity_leases(holder) WHERE status = 'active'",
            """
            CREATE TABLE capacity_queue (
                seq INTEGER PRIMARY KEY,
                decision_seq INTEGER NOT NULL,
                platform_id TEXT NOT NULL,
                tenant_id TEXT NOT NULL,
                workspace_id TEXT NOT NULL,
                workload_class TEXT NOT NULL,
                provider TEXT,
                runtime TEXT,
                region TEXT,
                units INTEGER NOT NULL CHECK (units > 0),
                priority INTEGER NOT NULL,
                holder TEXT UNIQUE,
                reason_code TEXT NOT NULL,
                request TEXT NOT NULL,
                enqueued_at TEXT NOT NULL,
                expires_at TEXT
            )
            """,
            "CREATE INDEX capacity_queue_order ON capacity_queue(platform_id, tenant_id, priority DESC, seq)",
            "CREATE INDEX capacity_queue_expiry ON capacity_queue(expires_at) WHERE expires_at IS NOT NULL",
            """
            CREATE TABLE capacity_usage (
                key TEXT PRIMARY KEY,
                active INTEGER NOT NULL DEFAULT 0 CHECK (active >= 0),
                queued INTEGER NOT NULL DEFAULT 0 CHECK (queued >= 0),
                served_seq INTEGER NOT NULL DEFAULT 0
            ) WITHOUT ROWID
            """,
        ),
    ),
    Migration(
        version=6,
        description="child prompts kept in the session row (durable with it; the prompt file can be re-rendered)",
        statements=("ALTER TABLE delegation_sessions ADD COLUMN prompt TEXT",),
    ),
    Migration(
        version=7,
        description="transcripts: task evidence produced by the local transcription engine",
        statements=(
            """
            CREATE TABLE transcripts (
                id TEXT PRIMARY KEY,
                task_id TEXT NOT NULL REFERENCES tasks(id),
                actor TEXT NOT NULL,
                source_path TEXT NOT NULL,
                source_sha256 TEXT NOT NULL,
                media_type TEXT NOT NULL,
                format_name TEXT NOT NULL,
                duration_ms INTEGER NOT NULL,
                language TEXT,
                engine TEXT NOT NULL,
                provider TEXT NOT NULL,
                model TEXT NOT NULL,
                execution_mode TEXT NOT NULL,
                markdown_path TEXT NOT NULL,
                markdown_sha256 TEXT NOT NULL,
                json_path TEXT NOT NULL,
                json_sha256 TEXT NOT NULL,
                segments INTEGER NOT NULL,
                redactions INTEGER NOT NULL,
                policy_id TEXT NOT NULL,
                consent_status TEXT NOT NULL,
                retention_class TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX transcripts_task ON transcripts(task_id, created_at)",
        ),
    ),
    Migration(
        version=8,
        description="restricted fragments: shadows, ciphertexts, wrapped data keys, key versions, restore grants",
        statements=(
            """
            CREATE TABLE restricted_fragments (
                fragment_id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                workspace_id TEXT NOT NULL,
                source_kind TEXT NOT NULL,
                source_id TEXT NOT NULL,
                source_field TEXT NOT NULL,
                thread_id TEXT,
                task_id TEXT,
                category TEXT NOT NULL,
                rule_id TEXT NOT NULL,
                policy_id TEXT NOT NULL,
                retention_class TEXT NOT NULL,
                marker TEXT NOT NULL,
                marker_index INTEGER NOT NULL,
                summary TEXT NOT NULL,
                lifecycle_status TEXT NOT NULL,
                legal_hold INTEGER NOT NULL DEFAULT 0,
                plaintext_digest TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                expires_at TEXT,
                shredded_at TEXT
            )
            """,
            "CREATE INDEX restricted_fragments_tenant ON restricted_fragments(tenant_id, fragment_id)",
            "CREATE INDEX restricted_fragments_thread ON restricted_fragments(thread_id) WHERE thread_id IS NOT NULL",
            "CREATE INDEX restricted_fragments_task ON restricted_fragments(task_id) WHERE task_id IS NOT NULL",
            "CREATE INDEX restricted_fragments_source ON restricted_fragments(source_id)",
            """
            CREATE TABLE restricted_fragment_ciphertexts (
                fragment_id TEXT PRIMARY KEY,
                algorithm TEXT NOT NULL,
                nonce BLOB NOT NULL,
                ciphertext BLOB NOT NULL,
                ciphertext_digest TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE restricted_fragment_keys (
                fragment_id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                key_id TEXT NOT NULL,
                key_version INTEGER NOT NULL,
                wrapped_key BLOB NOT NULL,
                created_at TEXT NOT NULL,
                rewrapped_at TEXT
            )
            """,
            "CREATE INDEX restricted_fragment_keys_version ON restricted_fragment_keys(key_id, key_version)",
            """
            CREATE TABLE restricted_fragment_key_versions (
                key_id TEXT NOT NULL,
                version INTEGER NOT NULL CHECK (version >= 1),
                tenant_id TEXT NOT NULL,
                provider TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('active', 'retired', 'destroyed')),
                created_at TEXT NOT NULL,
                destroyed_at TEXT,
                PRIMARY KEY (key_id, version)
            )
            """,
            "CREATE UNIQUE INDEX restricted_fragment_key_active ON restricted_fragment_key_versions(key_id)"
            " WHERE state = 'active'",
            """
            CREATE TABLE restricted_fragment_grants (
                grant_id TEXT PRIMARY KEY,
                fragment_id TEXT NOT NULL,
                principal_id TEXT NOT NULL,
                created_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                used_at TEXT
            )
            """,
        ),
    ),
    Migration(
        version=9,
        description="keyed audit chain: head MAC and the seal between legacy and HMAC links",
        statements=(
            "ALTER TABLE audit_head ADD COLUMN mac TEXT NOT NULL DEFAULT ''",
            """
            CREATE TABLE audit_chain (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                keyed_from_seq INTEGER NOT NULL CHECK (keyed_from_seq >= 1),
                mac TEXT NOT NULL DEFAULT ''
            )
            """,
            """
            INSERT INTO audit_chain (id, keyed_from_seq)
            VALUES (1, COALESCE((SELECT seq FROM audit_head WHERE id = 1), 0) + 1)
            """,
            _refuse("audit_chain_no_delete", "audit_chain", "DELETE", "the audit chain seal cannot be deleted"),
            _refuse("audit_chain_sealed", "audit_chain", "UPDATE", "the audit chain seal cannot be changed",
                    when="OLD.mac != ''"),
            _refuse_truncate("audit_chain", "the audit chain seal cannot be deleted"),
        ),
    ),
    Migration(
        version=10,
        description="ledger: idempotency keys for usage_record replays, and unknown costs kept unknown",
        statements=(
            "ALTER TABLE ledger ADD COLUMN idempotency_key TEXT",
            "ALTER TABLE ledger ADD COLUMN body_digest TEXT",
            "ALTER TABLE ledger ADD COLUMN cost_known INTEGER NOT NULL DEFAULT 1",
            "CREATE UNIQUE INDEX ledger_idempotency ON ledger(idempotency_key) WHERE idempotency_key IS NOT NULL",
        ),
    ),
    Migration(
        version=11,
        description="tasks that move: dependencies, priority and the reason of the last status change",
        statements=(
            "ALTER TABLE tasks ADD COLUMN depends_on TEXT NOT NULL DEFAULT '[]'",
            "ALTER TABLE tasks ADD COLUMN priority TEXT NOT NULL DEFAULT 'medium'",
            "ALTER TABLE tasks ADD COLUMN status_reason TEXT",
        ),
    ),
    Migration(
        version=12,
        description="approvals a person gives: bound to one operation by a keyed fingerprint, expiring, single use",
        statements=(
            """
            CREATE TABLE approvals (
                id TEXT PRIMARY KEY,
                action TEXT NOT NULL,
                reason_code TEXT NOT NULL,
                summary TEXT NOT NULL,
                principal TEXT NOT NULL,
                session TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                task_id TEXT,
                status TEXT NOT NULL CHECK (status IN ('pending', 'granted', 'denied', 'consumed', 'expired')),
                created_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                decided_at TEXT,
                decided_by TEXT,
                decided_via TEXT,
                consumed_at TEXT
            )
            """,
            "CREATE UNIQUE INDEX approvals_open ON approvals(principal, session, action, fingerprint)"
            " WHERE status IN ('pending', 'granted')",
            "CREATE INDEX approvals_by_status ON approvals(status, expires_at)",
            "CREATE INDEX approvals_by_created ON approvals(created_at)",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
