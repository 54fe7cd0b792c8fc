"""Putting back a session's files from its durable record (the row and the admission audit event).

A spawn writes its four files without fsyncing them (one folder fsync before the commit); after a power
loss one may be missing, empty or torn. The prompt is kept in the row, the request files are rendered
from the row and the admission event (:mod:`orchestra.delegation.request_files`), so all three are
written again byte for byte. The context manifest is not kept: it is checked against the bundle hash
the event recorded and, when wrong, built again and written only if its bundle hash matches.
Repair runs on open for live sessions and on ``session_get`` for the session read.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestra.context.manifest import ContextManifest
from orchestra.delegation import request_files
from orchestra.delegation.model import SessionArtifacts
from orchestra.errors import OrchestraError
from orchestra.runtime.adapters import get_adapter
from orchestra.store.base import Row, Store, Transaction
from orchestra.workspace.atomic import atomic_write_bytes
from orchestra.workspace.paths import guard_path

log = logging.getLogger("orchestra.delegation")
LIVE_REPAIR_LIMIT = 500
LIVE_STATUSES = ("requested", "queued", "spawned", "active", "suspended")
MAX_ARTIFACT_BYTES = 4 * 1024 * 1024
"""A manifest larger than this is not parsed (it is not one Orchestra wrote; it is built again)."""

Rebuild = Callable[[str, str, str | None, list[str]], ContextManifest]
"""``(task_id, role, phase, ownership paths) -> manifest``: the context service's manifest for a session."""


@dataclass
class Expected:
    """What a session's files should hold, as its record says."""

    files: dict[str, str] = field(default_factory=dict)
    """Workspace-relative path -> exact text (the prompt and the two request files)."""
    manifest: str | None = None
    """Path of the context manifest."""
    context_hash: str | None = None
    """The bundle hash the admission event recorded."""
    head: dict[str, Any] = field(default_factory=dict)
    """The admission event's metadata (task, role, phase, ownership paths)."""


def expected(tx: Transaction, row: Row) -> Expected:
    """The files of the session in ``row`` as its row and admission event say."""
    artifacts = SessionArtifacts.model_validate_json(row["artifacts"])
    out = Expected(manifest=artifacts.context_manifest)
    if row["prompt"] is not None:
        out.files[artifacts.prompt] = str(row["prompt"])
    metadata = admission_metadata(tx, str(row["session_id"]))
    if metadata is None or not all(k in metadata for k in (*request_files.EVENT_KEYS, *request_files.TAIL_KEYS,
                                                             "contextHash")):
        return out  # a session older than the recorded request fields: only its prompt can be put back
    doc = request_files.doc_from_record(metadata, row["brief"], artifacts)
    out.files[artifacts.request_json] = request_files.request_json(doc)
    with contextlib.suppress(OrchestraError):
        out.files[artifacts.request] = request_files.request_markdown(doc, get_adapter(str(row["runtime"])).label)
    out.context_hash, out.head = str(metadata["contextHash"]), metadata
    return out


def admission_metadata(tx: Transaction, session_id: str) -> dict[str, Any] | None:
    """The metadata of the audit event that admitted (or queued) the session."""
    found = tx.fetchone("SELECT e.metadata FROM delegation_transitions t JOIN events e ON e.seq = t.audit_seq"
                        " WHERE t.session_id = ? ORDER BY t.n LIMIT 1", (session_id,))
    if found is None:
        return None
    try:
        metadata = json.loads(found["metadata"]) if isinstance(found["metadata"], str) else found["metadata"]
    except ValueError:
        return None
    return metadata if isinstance(metadata, dict) and metadata.get("sessionId") == session_id else None


def restore(root: Path, want: Expected, rebuild: Rebuild | None = None) -> list[str]:
    """Rewrite each file of ``want`` that is missing or differs; returns the paths written."""
    repaired = [relative for relative, text in want.files.items() if _put(root, relative, text.encode("utf-8"))]
    if want.manifest is not None and want.context_hash is not None and not _manifest_ok(root, want):
        text = _rebuilt_manifest(want, rebuild)
        if text is None:
            log.warning("the context manifest of a session is missing or damaged and could not be built again "
                        "with the same content (the sources changed)")
        elif _put(root, want.manifest, text.encode("utf-8")):
            repaired.append(want.manifest)
    return repaired


def repair_session(root: Path, store: Store, session_id: str, rebuild: Rebuild | None = None) -> list[str]:
    """Put back the files of one session (``session_get``); returns the paths written."""
    if store.read_only:
        return []
    with store.read() as tx:
        row = tx.fetchone("SELECT * FROM delegation_sessions WHERE session_id = ?", (session_id,))
        want = expected(tx, row) if row is not None else None
    return restore(root, want, rebuild) if want is not None else []


def repair_live(root: Path, store: Store) -> list[str]:
    """Put back the prompt and request files of every live session (on open); returns the paths written."""
    with store.read() as tx:
        marks = ", ".join("?" for _ in LIVE_STATUSES)
        rows = tx.fetchall(f"SELECT * FROM delegation_sessions WHERE status IN ({marks}) LIMIT ?",
                           (*LIVE_STATUSES, LIVE_REPAIR_LIMIT))
        wanted = [expected(tx, row) for row in rows]
    repaired: list[str] = []
    for want in wanted:
        want.context_hash = None  # no context service yet on open: the manifest is checked on session_get
        repaired += restore(root, want)
    return repaired


def _put(root: Path, relative: str, data: bytes) -> bool:
    """Write ``data`` at ``relative`` unless it already holds exactly that; ``True`` when written."""
    try:
        path = guard_path(root, relative).absolute
    except OrchestraError:  # the folder was replaced by a link out of the workspace: write nothing there
        log.warning("a session file path no longer resolves inside the workspace; it was not repaired")
        return False
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    atomic_write_bytes(path, data)
    return True


def _manifest_ok(root: Path, want: Expected) -> bool:
    try:
        path = guard_path(root, str(want.manifest)).absolute
        if path.stat().st_size > MAX_ARTIFACT_BYTES:
            return False
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, OrchestraError):
        return False
    bundle = data.get("bundle") if isinstance(data, dict) else None
    return isinstance(bundle, dict) and bundle.get("content_hash") == want.context_hash


def _rebuilt_manifest(want: Expected, rebuild: Rebuild | None) -> str | None:
    if rebuild is None:
        return None
    head = want.head
    paths = [str(p) for p in head.get("ownershipPaths", []) if isinstance(p, str)]
    try:
        manifest = rebuild(str(head["taskId"]), str(head["role"]), head.get("phase"), paths)
    except (OrchestraError, KeyError):
        return None
    if manifest.bundle.content_hash != want.context_hash:
        return None
    return manifest.model_dump_json(indent=2) + "\n"
