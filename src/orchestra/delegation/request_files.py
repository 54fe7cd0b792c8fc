"""The spawn request files (JSON and Markdown): rendered at admission, re-rendered from the record.

The request document is the session row (brief, artifact paths) plus the admission audit event, whose
metadata holds every other field of the document; so a lost or torn request file can be written again,
byte for byte, from what the commit made durable.
"""

from __future__ import annotations

import json
from typing import Any

from orchestra.delegation.model import SessionArtifacts

EVENT_KEYS = ("sessionId", "taskId", "runId", "phase", "role", "runtime", "runtimeSource", "depth")
"""Request fields kept in the admission event, before the brief (the document keeps this order)."""
TAIL_KEYS = ("ownershipPaths", "spawnTool", "directProviderApiAllowed", "qualityWarnings")
"""Request fields kept in the admission event, between the brief and the artifact paths."""


def request_doc(head: dict[str, Any], brief: str | None, tail: dict[str, Any], artifacts: SessionArtifacts,
                context_hash: str) -> dict[str, Any]:
    """The request document in its fixed key order (``head``: :data:`EVENT_KEYS`, ``tail``: :data:`TAIL_KEYS`)."""
    return {**{k: head[k] for k in EVENT_KEYS}, "brief": brief, **{k: tail[k] for k in TAIL_KEYS},
            "artifacts": artifacts.model_copy(update={"result": None}).model_dump(mode="json"),
            "contextHash": context_hash}


def doc_from_record(metadata: dict[str, Any], brief: str | None, artifacts: SessionArtifacts) -> dict[str, Any]:
    """The request document of a session from its admission event's metadata and its row."""
    return request_doc(metadata, brief, metadata, artifacts, str(metadata["contextHash"]))


def request_json(doc: dict[str, Any]) -> str:
    """The ``-spawn-request.json`` text."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def request_markdown(doc: dict[str, Any], label: str) -> str:
    """The ``-spawn-request.md`` text (``label``: the runtime's display name)."""
    lines = [
        f"# Runtime Spawn Request: {doc['taskId']}", "",
        f"- Task id: {doc['taskId']}", f"- Runtime: {label} ({doc['runtime']})", f"- Phase: {doc['phase']}",
        f"- Role: {doc['role']}", f"- Session id: {doc['sessionId']}", "- Async mode: full-async",
        "- Default parent wait: false", "- Completion: lifecycle-event-or-explicit-poll",
        f"- Parent runtime tool: {doc['spawnTool'] or 'none'}", "- Direct provider API calls: forbidden",
        "- directProviderApiAllowed=false", "", "## Assignment", "", str(doc["brief"] or "(no brief)"),
        "", "## Ownership Paths", "", *_bullets([f"`{p}`" for p in _strings(doc["ownershipPaths"])], "none declared"),
        "", "## Quality Warnings", "", *_bullets(_strings(doc["qualityWarnings"]), "none"),
        "", "The session's live status is in Orchestra (session_get); this file records the request only.",
    ]
    return "\n".join(lines) + "\n"


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _bullets(items: list[str], empty: str) -> list[str]:
    return [f"- {item}" for item in items] or [f"- {empty}"]
