"""Media made by the tests themselves with PyAV: short tones and silent (or tone-carrying) video.

Small and fast: a second of audio or a few frames of tiny video. The benchmark uses the same
functions with long durations and low-bitrate codecs.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Any

AUDIO_CASES: dict[str, tuple[str, str]] = {
    "aac": ("aac", "m4a"),
    "aac-adts": ("aac", "aac"),
    "flac": ("flac", "flac"),
    "mp3": ("libmp3lame", "mp3"),
    "opus": ("libopus", "ogg"),
    "pcm_s16le": ("pcm_s16le", "wav"),
    "pcm_s24le": ("pcm_s24le", "wav"),
    "vorbis": ("vorbis", "ogg"),  # FFmpeg's own encoder: stereo only, marked experimental
}
"""name -> (encoder, extension): every accepted audio codec, every accepted audio extension."""

VIDEO_CASES: dict[str, tuple[str, str]] = {
    "av1": ("libsvtav1", "mkv"),
    "h264": ("libx264", "mp4"),
    "hevc": ("libx265", "mov"),
    "vp8": ("libvpx", "webm"),
    "vp9": ("libvpx-vp9", "webm"),
}
"""name -> (encoder, extension): every accepted video codec, every accepted video extension."""

_FORMAT_OF_EXTENSION = {"m4a": "ipod", "aac": "adts", "ogg": "ogg", "mkv": "matroska", "webm": "webm",
                        "mov": "mov", "mp4": "mp4", "wav": "wav", "flac": "flac", "mp3": "mp3"}


def _sample_format(encoder: str) -> str:
    import av

    formats = av.codec.Codec(encoder, "w").audio_formats or ()
    names = [f.name for f in formats]
    for preferred in ("s16", "fltp", "flt", "s32", "s16p", "s32p"):
        if preferred in names:
            return preferred
    return names[0] if names else "s16"


def write_audio(path: Path, encoder: str, *, seconds: float = 1.0, rate: int = 16000,
                bit_rate: int | None = None, layout: str = "mono", container: str | None = None) -> Path:
    """A sine tone of ``seconds`` encoded with ``encoder`` into ``path`` (container from the extension)."""
    import av

    ext = path.suffix.lstrip(".")
    if encoder == "libopus":
        rate = 48000
    with av.open(str(path), "w", format=container or _FORMAT_OF_EXTENSION.get(ext)) as out:
        stream: Any = out.add_stream(encoder, rate=rate, layout=layout)
        if bit_rate:
            stream.bit_rate = bit_rate
        if encoder == "vorbis":
            stream.options = {"strict": "experimental"}
        fmt = _sample_format(encoder)
        stream.format = fmt
        chunk = 4096 if encoder != "libopus" else 960
        if stream.codec_context.frame_size:
            chunk = stream.codec_context.frame_size
        total = int(seconds * rate)
        pts = 0
        while pts < total:
            n = min(chunk, total - pts)
            frame = _tone_frame(pts, n, rate, fmt, layout)
            frame.sample_rate = rate
            frame.pts = pts
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
            pts += n
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _tone_frame(start: int, count: int, rate: int, fmt: str, layout: str) -> Any:
    """An audio frame of a 440 Hz tone, built from bytes (no numpy)."""
    import array

    import av

    channels = 2 if layout == "stereo" else 1
    planar = fmt.endswith("p")
    base = fmt.rstrip("p")
    wave = [0.3 * math.sin(2 * math.pi * 440 * (start + i) / rate) for i in range(count)]
    if base == "s16":
        samples = array.array("h", (int(v * 32767) for v in wave))
    elif base == "s32":
        samples = array.array("i", (int(v * 2147483647) for v in wave))
    else:
        samples = array.array("f", wave)
    frame = av.AudioFrame(format=fmt, layout=layout, samples=count)
    if planar:
        for plane in frame.planes:
            plane.update(_padded(samples.tobytes(), plane.buffer_size))
    else:
        interleaved = array.array(samples.typecode, (v for v in samples for _ in range(channels)))
        frame.planes[0].update(_padded(interleaved.tobytes(), frame.planes[0].buffer_size))
    return frame


def _padded(data: bytes, size: int) -> bytes:
    return data + bytes(size - len(data)) if len(data) < size else data[:size]


def write_video(path: Path, encoder: str, *, seconds: float = 0.5, fps: int = 10, size: tuple[int, int] = (64, 64),
                audio_encoder: str | None = None, bit_rate: int | None = None) -> Path:
    """A tiny grey video of ``seconds`` (optionally with a tone track) encoded with ``encoder``."""
    import av

    ext = path.suffix.lstrip(".")
    with av.open(str(path), "w", format=_FORMAT_OF_EXTENSION.get(ext)) as out:
        stream: Any = out.add_stream(encoder, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if bit_rate:
            stream.bit_rate = bit_rate
        if encoder == "libx265":
            stream.options = {"x265-params": "log-level=none"}
        if encoder == "libsvtav1":
            stream.options = {"preset": "12"}
        audio: Any = None
        if audio_encoder:
            audio = out.add_stream(audio_encoder, rate=48000 if audio_encoder == "libopus" else 16000, layout="mono")
            audio.format = _sample_format(audio_encoder)
        frames = max(1, int(seconds * fps))
        for i in range(frames):
            frame = av.VideoFrame(size[0], size[1], "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([128]) * plane.buffer_size)
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
        if audio is not None:
            rate = audio.codec_context.sample_rate
            chunk = audio.codec_context.frame_size or 1024
            total = int(seconds * rate)
            pts = 0
            while pts < total:
                n = min(chunk, total - pts) if audio.codec_context.frame_size == 0 else chunk
                frame = _tone_frame(pts, n, rate, audio.format.name, "mono")
                frame.sample_rate = rate
                frame.pts = pts
                frame.time_base = Fraction(1, rate)
                for packet in audio.encode(frame):
                    out.mux(packet)
                pts += n
            for packet in audio.encode(None):
                out.mux(packet)
    return path
