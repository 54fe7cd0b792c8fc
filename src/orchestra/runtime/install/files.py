"""Planning one file: read it, compute the new bytes, classify the change. Nothing is written here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestra.errors import PathOutsideWorkspaceError, ValidationError
from orchestra.runtime.install.blocks import upsert_block
from orchestra.runtime.install.jsonedit import JsoncError, patch
from orchestra.runtime.install.jsonfiles import MergeContext, dump_json, read_json_object, strip_jsonc
from orchestra.runtime.install.model import FileChange
from orchestra.runtime.install.tomlfile import render_table, upsert_server_table
from orchestra.workspace.paths import guard_path

JsonMerge = Callable[[dict[str, Any]], "dict[str, Any] | str"]


def locate(root: Path, rel: str, target: str, kind: str) -> Path | FileChange:
    """The absolute path of a workspace file, or a ``conflict`` when a symlink leads outside."""
    try:
        return guard_path(root, rel).absolute
    except (PathOutsideWorkspaceError, ValidationError) as exc:
        return FileChange(rel, target, kind, "conflict", note=f"left alone: {exc.message}")


def backup_name(path: Path, raw: bytes) -> Path:
    """``<name>.orchestra-backup-<sha256[:12]>`` beside the file (same content → same name)."""
    return path.with_name(f"{path.name}.orchestra-backup-{hashlib.sha256(raw).hexdigest()[:12]}")


def plan_json(path: Path, rel: str, target: str, kind: str, merge: JsonMerge,
              ctx: MergeContext | None = None) -> FileChange:
    """Merge our entries into a JSON (or JSONC) object file, editing only the members we own."""
    found = read_json_object(path)
    change = FileChange(rel, target, kind, "unchanged", absolute=path)
    base = found.data if found.state in ("ok", "commented") and found.data is not None else {}
    merged = merge(base)
    if isinstance(merged, str):
        change.action, change.note = "conflict", f"left alone: {merged}"
        return change
    drift = list(ctx.drift) if ctx is not None else []
    if drift:
        change.drifted = True
        change.note = "kept hand edits (rerun with --force to replace them): " + "; ".join(drift)
    if found.state in ("ok", "commented") and merged == found.data:
        if drift:
            change.action = "drift"
        return change
    if found.state in ("ok", "commented"):
        edited = _edit_in_place(found.raw, base, merged)
        if edited is None and found.state == "commented":
            snippet = json.dumps(merged, ensure_ascii=False)
            change.action, change.note = "conflict", f"left alone: {found.problem} we cannot edit; " \
                                                     f"merge this by hand: {snippet}"
            return change
        change.content = edited if edited is not None else dump_json(merged)
        change.action = "update"
        return change
    change.content = dump_json(merged)
    if found.state == "missing":
        change.action = "create"
    else:
        _mark_repair(change, path, found.raw, found.problem or "corrupt")
    return change


def _edit_in_place(raw: bytes, old: dict[str, Any], new: dict[str, Any]) -> bytes | None:
    """``raw`` with only our members changed, checked by parsing it back; ``None`` when that fails."""
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    try:
        edited = patch(text, old, new)
        if json.loads(strip_jsonc(edited)) != new:
            return None
    except (JsoncError, ValueError):
        return None
    return (b"\xef\xbb\xbf" if bom else b"") + edited.encode("utf-8")


def plan_block(path: Path, rel: str, target: str, kind: str, block_id: str, content: str, *,
               new_file_prefix: str = "", force: bool = False) -> FileChange:
    """Insert or refresh a managed block in a Markdown/MDC file."""
    change = FileChange(rel, target, kind, "unchanged", absolute=path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raw = None
    text: str
    if raw is None:
        text = new_file_prefix
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            result = upsert_block(new_file_prefix, block_id, target, content)
            change.content = result.text.encode("utf-8")
            _mark_repair(change, path, raw, "not UTF-8 text")
            return change
    result = upsert_block(text, block_id, target, content, force=force)
    return _apply_outcome(change, raw, result.outcome, result.text, result.note)


def plan_toml(path: Path, rel: str, target: str, command: str, args: list[str], *, force: bool) -> FileChange:
    """Insert or refresh the managed ``[mcp_servers.orchestra]`` table."""
    change = FileChange(rel, target, "mcp", "unchanged", absolute=path)
    try:
        raw: bytes | None = path.read_bytes()
    except FileNotFoundError:
        raw = None
    try:
        text = "" if raw is None else raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    result = upsert_server_table(text, command, args, force=force) if text is not None else None
    if result is None or result.outcome == "corrupt":
        change.content = render_table(command, args).encode("utf-8")
        _mark_repair(change, path, raw or b"", (result.note if result else None) or "not UTF-8 text")
        return change
    return _apply_outcome(change, raw, result.outcome, result.text, result.note)


def _apply_outcome(change: FileChange, raw: bytes | None, outcome: str, text: str, note: str | None) -> FileChange:
    """Set the action (and new content) of a managed block or table from its upsert outcome."""
    change.note = note
    if outcome == "drift":
        change.action = "drift"
    elif outcome == "conflict":
        change.action = "conflict"
    elif raw is None:
        change.action, change.content = "create", text.encode("utf-8")
    elif outcome != "unchanged":
        change.action, change.content = "update", text.encode("utf-8")
    return change


def _mark_repair(change: FileChange, path: Path, raw: bytes, problem: str) -> None:
    backup = backup_name(path, raw)
    change.action = "repair"
    change.backup = change.path.rsplit("/", 1)[0] + "/" + backup.name if "/" in change.path else backup.name
    change.backup_content = raw
    change.note = f"the file was unreadable ({problem}); the original is kept as {backup.name}"
