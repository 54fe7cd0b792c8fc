"""Where a session's files live, and creating them (exclusively; a call removes only what it created).

A file name is a readable prefix of the session id plus a digest of the *whole* id, so two ids never
share a name however long they are; the session id itself carries 64 random bits.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from pathlib import Path

from orchestra.delegation.model import SessionArtifacts
from orchestra.store.base import Store, Transaction
from orchestra.workspace.atomic import create_unpublished, fsync_dir
from orchestra.workspace.layout import WorkspaceLayout

log = logging.getLogger("orchestra.delegation")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
PREFIX_CHARS = 80
DIGEST_CHARS = 32  # 128 bits of sha256
ARTIFACT_SUFFIXES = ("-spawn-prompt.md", "-spawn-request.md", "-spawn-request.json", "-context-manifest.json")


def slug(session_id: str) -> str:
    """A file-name-safe, collision-free form of a session id: ``<readable prefix>-<digest of the id>``."""
    readable = _UNSAFE.sub("-", session_id)[:PREFIX_CHARS].strip("-.")
    digest = hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:DIGEST_CHARS]
    return f"{readable}-{digest}" if readable else digest


def plan(layout: WorkspaceLayout, session_id: str) -> SessionArtifacts:
    """Workspace-relative artifact paths for ``session_id``."""
    workflow = layout.relative(layout.workflow_dir)
    base = f"{workflow}/runs/{slug(session_id)}"
    prompt, request, request_json, manifest = (f"{base}{suffix}" for suffix in ARTIFACT_SUFFIXES)
    return SessionArtifacts(prompt=prompt, request=request, request_json=request_json, context_manifest=manifest,
                            expected_result=f"{workflow}/handoffs/{slug(session_id)}-handoff.md")


def write_all(root: Path, files: dict[str, str], *, durable: frozenset[str] = frozenset()) -> list[Path]:
    """Create each ``relative path -> text`` exclusively (``O_EXCL``); returns what this call created.

    Called inside the admitting transaction: nobody learns these names before the commit, so the
    files are written in place. Files in ``durable`` are fsynced; the others can be re-rendered from the
    session row (:mod:`orchestra.delegation.repair`). The folders are not fsynced here: :func:`sync_folders`
    does that once. On any failure the files created so far, and only those, are removed.
    """
    written: list[Path] = []
    try:
        for relative, text in files.items():
            target = root / relative
            create_unpublished(target, text.encode("utf-8"), sync=relative in durable)
            written.append(target)
    except BaseException:
        remove_all(written)
        raise
    return written


def sync_folders(written: list[Path]) -> None:
    """fsync each folder holding ``written`` once, so their names are durable (the spawn calls this right
    before its COMMIT). A failure is logged, not raised: the row about to commit re-renders the files."""
    for folder in dict.fromkeys(path.parent for path in written):
        try:
            fsync_dir(folder)
        except OSError as exc:
            log.warning("could not fsync the spawn artifact folder (%s); the files are re-rendered from the "
                        "session row when found missing", type(exc).__name__)


def remove_all(paths: list[Path]) -> None:
    """Delete files this call created for an admission that did not happen."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def sweep_orphans(root: Path, runs_dir: Path, store: Store) -> list[str]:
    """Remove spawn artifacts that no session row references (left by a call killed before its commit).

    Artifacts are only ever created inside the admitting write transaction, so under the write lock
    a file without a row cannot belong to a call still in progress in any process.
    """
    candidates = _unreferenced(root, runs_dir, store, locked=None)
    if not candidates:
        return []
    removed: list[str] = []
    with store.write() as tx:
        for path in _unreferenced(root, runs_dir, store, locked=tx):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path.relative_to(root).as_posix())
    return removed


def _unreferenced(root: Path, runs_dir: Path, store: Store, *, locked: Transaction | None) -> list[Path]:
    try:
        files = [Path(e.path) for e in os.scandir(runs_dir)
                 if e.name.endswith(ARTIFACT_SUFFIXES) and e.is_file(follow_symlinks=False)]
    except OSError:
        return []
    if not files:
        return []
    if locked is None:
        with store.read() as tx:
            referenced = _referenced(tx)
    else:
        referenced = _referenced(locked)
    return [p for p in files if p.relative_to(root).as_posix() not in referenced]


def _referenced(tx: Transaction) -> set[str]:
    paths: set[str] = set()
    for row in tx.iterate("SELECT artifacts FROM delegation_sessions"):
        with contextlib.suppress(ValueError, TypeError):
            paths.update(v for v in json.loads(row["artifacts"]).values() if isinstance(v, str))
    return paths
