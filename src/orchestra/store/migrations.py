"""Versioned, forward-only schema migrations.

Each migration runs in its own ``BEGIN IMMEDIATE`` transaction together with the
bump of ``PRAGMA user_version``, so a crash leaves the database at the old or the
new version, never between. Append new migrations; never edit a shipped one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    """One schema step."""

    version: int
    description: str
    statements: tuple[str, ...]


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
            """
            CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END
            """,
            """
            CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END
            """,
            """
            CREATE TABLE audit_head (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                seq INTEGER NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            """
            CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
            BEGIN SELECT RAISE(ABORT, 'the audit head cannot be deleted'); END
            """,
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
        version=3,
        description="chat threads and messages (version 2 is reserved for another branch)",
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
)

LATEST_VERSION = MIGRATIONS[-1].version
