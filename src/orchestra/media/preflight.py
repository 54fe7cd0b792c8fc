"""Media preflight (reference §10 ``preflightTranscriptionMedia``): before any engine runs, prove the source is
inside the workspace, a readable regular file, what its extension says, complete, of an accepted codec and
within the limits. Stops at the first failure; reads metadata and a few packets, never decodes.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestra.errors import ValidationError
from orchestra.media.errors import (
    DurationLimitExceededError,
    FileSizeLimitExceededError,
    InvalidSourcePathError,
    MediaProbeFailedError,
    SourceFileUnreadableError,
    UnsupportedMediaCodecError,
    UnsupportedMediaTypeError,
)
from orchestra.media.model import EngineReadiness, Limits, MediaPreflight, StreamInfo
from orchestra.media.policy import (
    CONTAINER_LABEL,
    CONTAINER_OF_EXTENSION,
    SNIFF_BYTES,
    extension_of,
    is_supported_codec,
    riff_data_shortfall,
    sniff_container,
)
from orchestra.media.probe import ProbeRunner
from orchestra.media.request import raise_first, source_failures
from orchestra.workspace.paths import GuardedPath, guard_path

TRUNCATION_SLACK_MS = 1000
TRUNCATION_SLACK_RATIO = 0.02
UNCHECKED_TAIL = frozenset({"aac"})
"""Raw ADTS has no declared length (FFmpeg estimates it from the bitrate), so its end is not checked."""

_PROBE_REASONS = {
    "open_failed": "the file cannot be read as {label}",
    "no_streams": "the file holds no audio or video streams",
    "no_packets": "the file holds no media data",
    "read_failed": "the file's media data cannot be read",
    "worker_error": "the media probe failed on this file",
    "changed": "the file changed while it was being checked",
}


@dataclass(frozen=True)
class InspectedSource:
    """A source that passed preflight, with what the request path needs next."""

    report: MediaPreflight
    guarded: GuardedPath
    identity: tuple[int, int, int, int]
    probe_rss_kb: int | None


def _identity(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _guard(root: Path, raw: str) -> GuardedPath:
    try:
        return guard_path(root, raw)
    except ValidationError as exc:
        raise InvalidSourcePathError(f"media preflight requires a safe workspace-relative source path: "
                                     f"{exc.message}", field="source.path") from None


def _open_regular(path: Path) -> tuple[int, os.stat_result]:
    """An fd on ``path`` if it is a readable regular file (no symlink at the last step, no FIFO or device)."""
    unreadable = SourceFileUnreadableError("media source must exist as a readable workspace file",
                                           field="source.path")
    try:
        before = os.lstat(path)
    except OSError:
        raise unreadable from None
    if not stat.S_ISREG(before.st_mode):
        raise unreadable
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        raise unreadable from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (before.st_dev, before.st_ino):
        os.close(fd)
        raise unreadable
    return fd, info


def _check_content(fd: int, size: int, container: str, extension: str) -> None:
    """The first bytes announce the container the extension implies; a WAV's data chunk fits the file."""
    with os.fdopen(os.dup(fd), "rb") as handle:
        head = handle.read(SNIFF_BYTES)
        detected = sniff_container(head)
        if detected != container:
            what = f"{CONTAINER_LABEL[detected]} data" if detected else "not a recognised media file"
            raise MediaProbeFailedError(
                f"the file is not what its extension {extension} says: its content is {what}",
                field="source.path", details={"reason": "content_mismatch", "detected": detected})
        if container == "wav" and riff_data_shortfall(handle, size) > 0:
            raise MediaProbeFailedError("the WAV file is truncated: its data chunk runs past the end of the file",
                                        field="source.path", details={"reason": "truncated"})


def _interpret(answer: dict[str, Any], container: str) -> tuple[list[StreamInfo], int, list[str]]:
    """Streams, duration and warnings from a probe answer; raises when the probe refused the file."""
    label = CONTAINER_LABEL[container]
    if not answer.get("ok"):
        reason = str(answer.get("reason", "worker_error"))
        template = _PROBE_REASONS.get(reason, _PROBE_REASONS["worker_error"])
        raise MediaProbeFailedError(template.format(label=label), field="probe",
                                    details={"reason": reason, "probe_message": str(answer.get("message", ""))[:200]})
    streams = [StreamInfo.model_validate(s) for s in answer.get("streams", [])]
    duration = answer.get("duration_ms")
    if not duration:
        raise MediaProbeFailedError("the media duration cannot be determined", field="probe.duration_ms",
                                    details={"reason": "unknown_duration"})
    warnings: list[str] = []
    if container in UNCHECKED_TAIL:
        warnings.append("raw AAC (ADTS) has no declared length: its duration is estimated and truncation is "
                        "not checked")
    else:
        tail = answer.get("tail_end_ms")
        slack = TRUNCATION_SLACK_MS + duration * TRUNCATION_SLACK_RATIO
        if tail is None or tail < duration - slack:
            found = "no media data" if tail is None else f"data up to {tail / 1000:.1f} s"
            raise MediaProbeFailedError(
                f"the file is truncated or damaged: it declares {duration / 1000:.1f} s but holds {found}",
                field="probe", details={"reason": "truncated", "declared_ms": duration, "tail_end_ms": tail})
    return streams, int(duration), warnings


def _check_streams(streams: list[StreamInfo], media_type: str) -> list[str]:
    wanted = [s for s in streams if s.type == media_type]
    if not wanted:
        raise UnsupportedMediaTypeError(f"the media probe found no {media_type} stream", field="probe.streams")
    bad = [s.codec for s in wanted if not is_supported_codec(media_type, s.codec)]
    if bad:
        raise UnsupportedMediaCodecError(f"codec {bad[0]} is not supported for {media_type} transcription",
                                         field="probe.streams", details={"codecs": bad})
    warnings = []
    if media_type == "video" and not any(s.type == "audio" for s in streams):
        warnings.append("the video has no audio stream: there is nothing to transcribe")
    return warnings


def inspect(root: Path, runner: ProbeRunner, raw_path: str, media_type: str, limits: Limits, *, policy_id: str,
            engine: EngineReadiness) -> InspectedSource:
    """Run every preflight check in order; the first failure raises its coded error."""
    raise_first(source_failures(media_type, raw_path, None))
    guarded = _guard(root, raw_path)
    extension = extension_of(raw_path)
    container = CONTAINER_OF_EXTENSION[extension]
    fd, info = _open_regular(guarded.absolute)
    try:
        if info.st_size > limits.max_file_bytes:
            raise FileSizeLimitExceededError(
                f"media size {info.st_size} bytes exceeds the limit of {limits.max_file_bytes} bytes",
                field="probe.size_bytes", details={"size_bytes": info.st_size, "limit": limits.max_file_bytes})
        _check_content(fd, info.st_size, container, extension)
    finally:
        os.close(fd)
    answer = runner.probe(guarded.absolute, container, (info.st_dev, info.st_ino))
    streams, duration, warnings = _interpret(answer, container)
    warnings += _check_streams(streams, media_type)
    if duration > limits.max_duration_ms:
        raise DurationLimitExceededError(
            f"media duration {duration} ms exceeds the limit of {limits.max_duration_ms} ms",
            field="probe.duration_ms", details={"duration_ms": duration, "limit": limits.max_duration_ms})
    after: os.stat_result | None = None
    with contextlib.suppress(OSError):
        after = os.lstat(guarded.absolute)
    if after is None or _identity(after) != _identity(info):
        raise MediaProbeFailedError("the file changed while it was being probed", field="source.path",
                                    details={"reason": "changed"})
    report = MediaPreflight(status="ready",
        source_path=raw_path.strip().replace("\\", "/"), resolved_path=guarded.relative, media_type=media_type,
        size_bytes=info.st_size, duration_ms=duration, format_name=str(answer.get("format", container)),
        codecs=[s.codec for s in streams], streams=streams, policy_id=policy_id, limits=limits, engine=engine,
        warnings=warnings,
    )
    rss = answer.get("maxrss_kb")
    return InspectedSource(report=report, guarded=guarded, identity=_identity(info),
                           probe_rss_kb=int(rss) if isinstance(rss, int) else None)
