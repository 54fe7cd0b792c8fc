"""Transcript evidence files: ``.agent-workflow/evidence/transcripts/<task>/<artifact>.{md,json}``.

Both documents pass the guard (sink ``evidence``) as a whole before they are written, on top of the
per-segment guard, so a value spoken across two segments is caught too. Written atomically.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from orchestra.media.model import Provenance, RedactionSummary, Segment
from orchestra.security.model import Encoding
from orchestra.security.opaque_ids import opaque_id
from orchestra.security.sinks import encode

SCHEMA_VERSION = 1


def new_artifact_id() -> str:
    """``transcript_<YYYYMMDD>_<12 hex>`` (the seed's prefix, with a random suffix instead of a counter)."""
    return opaque_id(f"transcript_{datetime.now(UTC):%Y%m%d}_", 6)


def paths(workflow_dir: str, task_id: str, artifact_id: str) -> tuple[str, str]:
    """Workspace-relative Markdown and JSON paths."""
    base = f"{workflow_dir}/evidence/transcripts/{task_id}/{artifact_id}"
    return f"{base}.md", f"{base}.json"


def _clock(ms: int) -> str:
    seconds, milli = divmod(max(0, ms), 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{milli:03d}"


def render_json(artifact_id: str, provenance: Provenance, segments: list[Segment],
                redactions: RedactionSummary, warnings: list[str]) -> str:
    """The structured transcript (reference §10 TranscriptionOutput, plus the artifact id)."""
    document = {
        "schemaVersion": SCHEMA_VERSION, "status": "completed", "artifactId": artifact_id,
        "provenance": provenance.model_dump(mode="json"),
        "segments": [s.model_dump(mode="json") for s in segments],
        "redactions": redactions.model_dump(mode="json"), "warnings": warnings, "failures": [],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_markdown(artifact_id: str, provenance: Provenance, segments: list[Segment],
                    redactions: RedactionSummary, warnings: list[str]) -> str:
    """The human-readable transcript: provenance, then one line per segment with its time range."""
    p = provenance
    lines = [
        f"# Transcript {artifact_id}", "",
        f"- Task: {p.task_id}",
        f"- Source: {p.source_path} ({p.media_type}, {p.format_name}, {', '.join(p.codecs)}, "
        f"{p.duration_ms / 1000:.1f} s, sha256 {p.source_sha256})",
        f"- Engine: {p.engine} ({p.engine_provider}), model {p.engine_model}, {p.execution_mode}",
        f"- Language: {p.language or 'unknown'}",
        f"- Generated: {p.generated_at} by {p.actor}",
        f"- Policy: {p.policy_id}; consent {p.consent_status}; retention {p.retention_class}",
        f"- Redactions: {redactions.count} ({', '.join(redactions.categories) or 'none'}), "
        f"policy {redactions.policy_id}",
    ]
    lines += [f"- Warning: {w}" for w in warnings]
    lines += ["", "## Segments", ""]
    for segment in segments:
        text = encode(segment.text, Encoding.MARKDOWN)
        lines.append(f"- [{_clock(segment.start_ms)} – {_clock(segment.end_ms)}] {text}")
    if not segments:
        lines.append("_No speech was recognised._")
    return "\n".join(lines) + "\n"
