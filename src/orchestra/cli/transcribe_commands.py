"""``orchestra transcribe PATH --preflight|--run``."""

from __future__ import annotations

import argparse
import sys

from orchestra.cli.output import open_app, print_json
from orchestra.media.errors import MissingTaskError
from orchestra.media.model import MediaPreflight, TranscriptionOutcome


def run_transcribe(args: argparse.Namespace) -> int:
    """Preflight a media file, or transcribe it into task evidence."""
    with open_app(args) as app:
        if args.run:
            if not args.task:
                raise MissingTaskError("--run needs --task ID (the task the transcript is evidence for)",
                                       field="task_id")
            outcome = app.media.request({
                "task_id": args.task, "actor": "cli",
                "source": {"media_type": args.media_type, "path": args.path, "language": args.language},
                "consent_status": args.consent, "max_duration_ms": args.max_duration_ms,
                "max_file_bytes": args.max_file_bytes,
            }, progress=_progress if not args.json else _quiet)
            _show_outcome(outcome, as_json=args.json)
        else:
            report = app.media.preflight(args.path, args.media_type, max_duration_ms=args.max_duration_ms,
                                         max_file_bytes=args.max_file_bytes)
            _show_preflight(report, as_json=args.json)
    return 0


def _progress(done: int, total: int, message: str) -> None:
    print(f"  {message}", file=sys.stderr)


def _quiet(done: int, total: int, message: str) -> None:
    """No progress lines with --json."""


def _show_preflight(report: MediaPreflight, *, as_json: bool) -> None:
    if as_json:
        print_json(report)
        return
    print(f"ready: {report.resolved_path} ({report.media_type}, {report.format_name}, "
          f"{report.duration_ms / 1000:.1f} s, {report.size_bytes} bytes)")
    for stream in report.streams:
        print(f"  stream {stream.index}: {stream.type} {stream.codec}")
    for warning in report.warnings:
        print(f"  warning: {warning}")
    engine = report.engine
    print(f"engine: {engine.engine} {engine.status}" + (f" (missing: {', '.join(engine.missing)})"
                                                        if engine.missing else ""))


def _show_outcome(outcome: TranscriptionOutcome, *, as_json: bool) -> None:
    if as_json:
        print_json(outcome)
        return
    p = outcome.provenance
    print(f"Transcript {outcome.artifact_id} for task {outcome.task_id}: {outcome.segments} segments, "
          f"{p.duration_ms / 1000:.1f} s, language {p.language or 'unknown'}, {outcome.redactions.count} redactions")
    print(f"  {outcome.outputs.markdown_path}")
    print(f"  {outcome.outputs.json_path}")
