"""The source policy (reference §10): accepted codecs and extensions, safe paths, container sniffing.

Pure standard library: this module is imported by the request path and must stay cheap.
"""

from __future__ import annotations

import re
import struct
from typing import BinaryIO, Literal

MediaType = Literal["audio", "video"]
MEDIA_TYPES: tuple[str, ...] = ("audio", "video")

AUDIO_CODECS = frozenset({"aac", "flac", "mp3", "opus", "pcm_s16le", "pcm_s24le", "vorbis"})
AUDIO_EXTENSIONS = frozenset({".aac", ".flac", ".m4a", ".mp3", ".ogg", ".wav"})
VIDEO_CODECS = frozenset({"av1", "h264", "hevc", "vp8", "vp9"})
VIDEO_EXTENSIONS = frozenset({".mkv", ".mov", ".mp4", ".webm"})

CONTAINER_OF_EXTENSION: dict[str, str] = {
    ".wav": "wav", ".mp3": "mp3", ".flac": "flac", ".ogg": "ogg", ".aac": "aac",
    ".m4a": "mov", ".mp4": "mov", ".mov": "mov", ".mkv": "matroska", ".webm": "matroska",
}
"""Extension -> the FFmpeg demuxer used for it (the demuxer is forced, never guessed from content)."""

CONTAINER_LABEL: dict[str, str] = {
    "wav": "WAV (RIFF)", "mp3": "MP3", "flac": "FLAC", "ogg": "Ogg", "aac": "AAC (ADTS)",
    "mov": "MP4/QuickTime (ISO BMFF)", "matroska": "Matroska/WebM",
}

_EXTENSION = re.compile(r"\.[^./\\]+$")
_MP4_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot", b"uuid"}
SNIFF_BYTES = 4096


def extension_of(path: str) -> str:
    """The last ``.xxx`` of ``path``, lower-cased (``""`` when there is none)."""
    match = _EXTENSION.search(path.lower())
    return match.group(0) if match else ""


def is_safe_source_path(value: str) -> bool:
    """Non-empty, not absolute (``/`` or ``\\``), no NUL, no ``..`` segment (the seed's syntactic check)."""
    return (bool(value) and not value.startswith(("/", "\\")) and "\x00" not in value
            and ".." not in re.split(r"[\\/]+", value))


def has_supported_extension(media_type: str, path: str) -> bool:
    """Whether the extension is accepted for ``media_type``."""
    allowed = AUDIO_EXTENSIONS if media_type == "audio" else VIDEO_EXTENSIONS
    return extension_of(path) in allowed


def is_supported_codec(media_type: str, codec: str) -> bool:
    """Whether a stream codec (FFmpeg's canonical codec name) is accepted for ``media_type``."""
    allowed = AUDIO_CODECS if media_type == "audio" else VIDEO_CODECS
    return codec.strip().lower() in allowed


def sniff_container(head: bytes) -> str | None:
    """The container a file's first bytes announce (a demuxer name of :data:`CONTAINER_OF_EXTENSION`)."""
    if len(head) >= 12 and head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"
    if len(head) >= 8 and head[4:8] in _MP4_BOXES:
        return "mov"
    body = _skip_id3(head)
    if body[:4] == b"fLaC":
        return "flac"
    if len(body) >= 2 and body[0] == 0xFF:
        if body[1] & 0xF6 == 0xF0:
            return "aac"
        if body[1] & 0xE0 == 0xE0 and (body[1] >> 1) & 0x03 != 0:
            return "mp3"
    return None


def _skip_id3(head: bytes) -> bytes:
    if len(head) >= 10 and head[:3] == b"ID3":
        size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
        return head[10 + size:]
    return head


def riff_data_shortfall(handle: BinaryIO, file_size: int) -> int:
    """Bytes a WAV's ``data`` chunk claims beyond the end of the file (0 when complete or unknowable)."""
    handle.seek(12)
    position = 12
    for _ in range(64):
        header = handle.read(8)
        if len(header) < 8:
            return 0
        chunk_id, size = header[:4], int(struct.unpack("<I", header[4:])[0])
        if chunk_id == b"data":
            if size in (0, 0xFFFFFFFF):  # streaming writers and RF64 leave the size open
                return 0
            return max(0, position + 8 + size - file_size)
        position += 8 + size + (size & 1)
        if position >= file_size:
            return 0
        handle.seek(position)
    return 0
