"""Source policy properties: path syntax, extensions, container sniffing and RIFF parsing never crash."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestra.app import Orchestra
from orchestra.media.errors import TranscriptionError
from orchestra.media.policy import (
    AUDIO_EXTENSIONS,
    CONTAINER_OF_EXTENSION,
    VIDEO_EXTENSIONS,
    extension_of,
    has_supported_extension,
    is_safe_source_path,
    riff_data_shortfall,
    sniff_container,
)

segment = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


def test_extensions_follow_the_seed() -> None:
    assert extension_of("rec/Talk.Final.WAV") == ".wav" and extension_of("rec.d/talk") == ""
    assert extension_of("a.tar.gz") == ".gz" and extension_of(".hidden") == ".hidden"
    assert set(CONTAINER_OF_EXTENSION) == AUDIO_EXTENSIONS | VIDEO_EXTENSIONS
    assert has_supported_extension("audio", "x.M4A") and not has_supported_extension("audio", "x.mp4")
    assert has_supported_extension("video", "x.webm") and not has_supported_extension("video", "x.ogg")


@given(st.lists(segment, min_size=1, max_size=5), st.integers(min_value=0, max_value=4), st.sampled_from("/\\"))
def test_a_dotdot_segment_is_never_safe(parts: list[str], where: int, sep: str) -> None:
    parts.insert(min(where, len(parts)), "..")
    assert not is_safe_source_path(sep.join(parts))


@given(segment)
def test_absolute_and_nul_paths_are_never_safe(text: str) -> None:
    assert not is_safe_source_path("/" + text) and not is_safe_source_path("\\" + text)
    assert not is_safe_source_path(text + "\x00.wav")


@given(st.binary(max_size=64))
def test_sniffing_and_riff_parsing_never_crash(data: bytes) -> None:
    assert sniff_container(data) in (None, *set(CONTAINER_OF_EXTENSION.values()))
    assert riff_data_shortfall(io.BytesIO(b"RIFF\0\0\0\0WAVE" + data), 12 + len(data)) >= 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40), st.sampled_from(["audio", "video", "text", ""]))
def test_any_path_is_a_coded_refusal(app: Orchestra, raw: str, media_type: str) -> None:
    try:
        app.media.preflight(raw, media_type)
    except TranscriptionError as exc:
        assert exc.code in {"invalid_source_identity", "invalid_source_path", "unsupported_media_type",
                            "unsupported_media_extension", "source_file_unreadable"}
        assert str(app.layout.root) not in exc.message
    else:
        raise AssertionError("an empty workspace holds no media")
