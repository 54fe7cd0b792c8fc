"""Media preflight latency on long files: a 1-hour audio recording and a 10-minute video.

The files are generated once with PyAV (low-bitrate Opus / WAV audio, tiny H.264 and VP8 video) and
cached under ``bench/.cache/transcription/`` (gitignored). For each file: the first preflight (which
starts the probe worker), then p50/p95 over 20 warm runs of the full preflight (path guard, content
sniff, probe in the worker, limits), the worker's peak RSS and the server-side peak traced memory.
Run: ``python bench/bench_transcription.py``.
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, summary_ms
from orchestra.app import Orchestra

CACHE = Path(__file__).parent / ".cache" / "transcription"
RUNS = 20


def _tone_frame(av: Any, rate: int, samples: int, fmt: str) -> Any:
    import array
    import math

    wave = [0.2 * math.sin(2 * math.pi * 400 * i / rate) for i in range(samples)]  # 400 Hz: whole periods
    data = array.array("h", (int(v * 32767) for v in wave)) if fmt == "s16" else array.array("f", wave)
    frame = av.AudioFrame(format=fmt, layout="mono", samples=samples)
    frame.planes[0].update(data.tobytes().ljust(frame.planes[0].buffer_size, b"\0"))
    frame.sample_rate = rate
    return frame


def write_long_audio(path: Path, encoder: str, seconds: int, rate: int, bit_rate: int | None) -> None:
    """``seconds`` of a steady tone: one frame built once and re-encoded with advancing timestamps."""
    import av

    with av.open(str(path), "w") as out:
        stream: Any = out.add_stream(encoder, rate=rate, layout="mono")
        if bit_rate:
            stream.bit_rate = bit_rate
        fmt = "s16" if encoder.startswith("pcm") else "flt"
        stream.format = fmt
        samples = stream.codec_context.frame_size or 4000
        frame = _tone_frame(av, rate, samples, fmt)
        frame.time_base = Fraction(1, rate)
        for pts in range(0, seconds * rate, samples):
            frame.pts = pts
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def write_long_video(path: Path, encoder: str, audio_encoder: str, seconds: int, fps: int = 5) -> None:
    """``seconds`` of a tiny grey picture with a tone track (one frame of each, re-encoded)."""
    import av

    with av.open(str(path), "w") as out:
        video: Any = out.add_stream(encoder, rate=fps)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        video.bit_rate = 50_000
        if encoder == "libx264":
            video.options = {"preset": "ultrafast"}
        audio: Any = out.add_stream(audio_encoder, rate=48000, layout="mono")
        audio.bit_rate = 16_000
        audio.format = "flt" if audio_encoder == "libopus" else "fltp"
        picture = av.VideoFrame(160, 120, "yuv420p")
        for plane in picture.planes:
            plane.update(bytes([128]) * plane.buffer_size)
        picture.time_base = Fraction(1, fps)
        samples = audio.codec_context.frame_size or 960
        tone = _tone_frame(av, 48000, samples, audio.format.name)  # mono: planar and packed are the same bytes
        tone.time_base = Fraction(1, 48000)
        audio_pts = 0
        for index in range(seconds * fps):
            picture.pts = index
            for packet in video.encode(picture):
                out.mux(packet)
            while audio_pts < (index + 1) * 48000 // fps:
                tone.pts = audio_pts
                for packet in audio.encode(tone):
                    out.mux(packet)
                audio_pts += samples
        for stream in (video, audio):
            for packet in stream.encode(None):
                out.mux(packet)


FILES: dict[str, tuple[str, Any]] = {
    "audio-1h-opus.ogg": ("audio", lambda p: write_long_audio(p, "libopus", 3600, 48000, 12_000)),
    "audio-1h-pcm16k.wav": ("audio", lambda p: write_long_audio(p, "pcm_s16le", 3600, 16000, None)),
    "video-10min-h264.mp4": ("video", lambda p: write_long_video(p, "libx264", "aac", 600)),
    "video-10min-vp8.webm": ("video", lambda p: write_long_video(p, "libvpx", "libopus", 600)),
}


def ensure(name: str) -> tuple[Path, float]:
    """The cached file (generated on first use) and how long generation took (0 when cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / name
    if target.exists():
        return target, 0.0
    started = time.perf_counter()
    partial = target.with_name(f".{name}.partial{target.suffix}")
    FILES[name][1](partial)
    partial.replace(target)
    return target, time.perf_counter() - started


def main() -> None:
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / ".git").mkdir()
        for name in FILES:
            source, _generated_s = ensure(name)
            shutil.copyfile(source, root / name)
        with Orchestra.open(root) as app:
            for name, (media_type, _) in FILES.items():
                app.media.probe.close()  # every file's first run starts a fresh worker
                started = time.perf_counter()
                report = app.media.preflight(name, media_type)
                cold = time.perf_counter() - started
                samples = []
                tracemalloc.start()
                for _ in range(RUNS):
                    started = time.perf_counter()
                    app.media.preflight(name, media_type)
                    samples.append(time.perf_counter() - started)
                _, traced_peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                answer = app.media.probe.probe(root / name, "mov" if name.endswith(".mp4") else
                                               {"ogg": "ogg", "wav": "wav", "webm": "matroska"}[name.rsplit(".")[-1]])
                key = name.rsplit(".", 1)[0].replace("-", "_")
                stats = summary_ms(samples)
                figures[key] = {
                    "size_mb": round(report.size_bytes / 1e6, 2), "duration_s": round(report.duration_ms / 1000, 1),
                    "codecs": report.codecs, "cold_first_ms": round(cold * 1000, 1), "p50_ms": stats["p50_ms"],
                    "p95_ms": stats["p95_ms"], "worker_peak_rss_mb": round(int(answer["maxrss_kb"]) / 1024, 1),
                    "server_peak_traced_kb": round(traced_peak / 1024, 1),
                }
                print(f"{name:<24} {report.duration_ms / 1000:>7.1f} s {report.size_bytes / 1e6:>7.1f} MB  "
                      f"first {cold * 1000:7.1f} ms  p50 {stats['p50_ms']:6.1f} ms  p95 {stats['p95_ms']:6.1f} ms  "
                      f"worker RSS {answer['maxrss_kb'] / 1024:5.1f} MB  server traced {traced_peak / 1024:6.1f} KB")
    figures["server_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["runs"] = RUNS
    emit("transcription_preflight", figures)


if __name__ == "__main__":
    main()
