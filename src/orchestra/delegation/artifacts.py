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
import threading
from pathlib import Path

from orchestra.delegation.model import SessionArtifacts
from orchestra.store.base import Store, Transaction
from orchestra.workspace.atomic import atomic_write_bytes, create_unpublished, fsync_dir
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
    files are written in place. Files in ``durable`` are fsynced; the others are kept in (or can be
    re-rendered from) the session row. The folders are not fsynced here: :func:`start_sync` does that
    beside the commit. On any failure the files created so far, and only those, are removed.
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


class FolderSync:
    """The fsync of the folders holding a spawn's artifacts, run in a helper thread.

    Started inside the admitting transaction, right before its ``COMMIT``, so the folder fsync and
    SQLite's commit fsync are in flight together instead of one after the other (on a journaling
    filesystem they usually land in the same journal commit). :meth:`finish` waits for it before
    the spawn answers, so once a caller has the answer both the row and the artifact names are
    durable. A power loss between the two leaves a committed row whose prompt file may be missing:
    :func:`repair_prompts` re-renders it from the row on the next open.
    """

    def __init__(self, folders: list[Path]) -> None:
        self._folders = folders
        self.error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="orchestra-artifact-fsync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for folder in self._folders:
                fsync_dir(folder)
        except OSError as exc:
            self.error = exc

    def finish(self) -> None:
        """Wait for the fsync; a failure is logged (the row, committed, holds the prompt)."""
        self._thread.join()
        if self.error is not None:
            log.warning("could not fsync the spawn artifact folder (%s); the prompt is re-rendered from the "
                        "session row on the next open", type(self.error).__name__)


def start_sync(written: list[Path]) -> FolderSync:
    """Start fsyncing the folders of ``written`` (see :class:`FolderSync`)."""
    return FolderSync(list(dict.fromkeys(path.parent for path in written)))


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


LIVE_REPAIR_LIMIT = 500


def repair_prompts(root: Path, store: Store) -> list[str]:
    """Re-render the prompt file of each live session from its row when the file is missing or differs.

    Prompt files are not fsynced before the commit (the row holds the prompt); after a power loss
    this puts back what the row says the child must read.
    """
    with store.read() as tx:
        rows = tx.fetchall("SELECT artifacts, prompt FROM delegation_sessions WHERE prompt IS NOT NULL AND status IN"
                           " ('requested', 'queued', 'spawned', 'active', 'suspended') LIMIT ?", (LIVE_REPAIR_LIMIT,))
    repaired: list[str] = []
    for row in rows:
        relative = SessionArtifacts.model_validate_json(row["artifacts"]).prompt
        expected = str(row["prompt"]).encode("utf-8")
        path = root / relative
        try:
            if path.read_bytes() == expected:
                continue
        except FileNotFoundError:
            pass
        atomic_write_bytes(path, expected)
        repaired.append(relative)
    return repaired
