"""A tiny Whisper model with random weights, in CTranslate2's format, built locally (nothing downloaded).

It lets the real faster-whisper engine run end to end in tests: load, feature extraction, decoding,
segments with timestamps. Its words are random tokens (``hello123``), so tests check the pipeline, not
recognition; recognising speech needs a real model (``ORCHESTRA_TEST_WHISPER_MODEL``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

WIDTH, HEADS, FFN, MELS, VOCAB = 16, 2, 32, 80, 51865
WORDS = ("hello", "world", "the", "quick", "brown", "fox")


def build(folder: Path, seed: int = 0) -> Path:
    """Write ``model.bin``, ``config.json``, ``vocabulary.json`` and ``tokenizer.json`` into ``folder``."""
    import numpy as np
    from ctranslate2.specs import whisper_spec
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    def rand(*shape: int) -> Any:
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    def norm(spec: Any) -> None:
        spec.gamma, spec.beta = np.ones(WIDTH, np.float32), np.zeros(WIDTH, np.float32)

    def linear(spec: Any, rows: int, cols: int) -> None:
        spec.weight, spec.bias = rand(rows, cols), np.zeros(rows, np.float32)

    def block(layer: Any, cross: bool) -> None:
        norm(layer.self_attention.layer_norm)
        linear(layer.self_attention.linear[0], 3 * WIDTH, WIDTH)
        linear(layer.self_attention.linear[1], WIDTH, WIDTH)
        if cross:
            norm(layer.attention.layer_norm)
            linear(layer.attention.linear[0], WIDTH, WIDTH)
            linear(layer.attention.linear[1], 2 * WIDTH, WIDTH)
            linear(layer.attention.linear[2], WIDTH, WIDTH)
        norm(layer.ffn.layer_norm)
        linear(layer.ffn.linear_0, FFN, WIDTH)
        linear(layer.ffn.linear_1, WIDTH, FFN)

    spec = whisper_spec.WhisperSpec(1, HEADS, 1, HEADS)
    encoder, decoder = spec.encoder, spec.decoder
    encoder.conv1.weight, encoder.conv1.bias = rand(WIDTH, MELS, 3), np.zeros(WIDTH, np.float32)
    encoder.conv2.weight, encoder.conv2.bias = rand(WIDTH, WIDTH, 3), np.zeros(WIDTH, np.float32)
    encoder.position_encodings.encodings = rand(1500, WIDTH)
    norm(encoder.layer_norm)
    for layer in encoder.layer:
        block(layer, cross=False)
    decoder.embeddings.weight = rand(VOCAB, WIDTH)
    decoder.position_encodings.encodings = rand(448, WIDTH)
    norm(decoder.layer_norm)
    for layer in decoder.layer:
        block(layer, cross=True)
    decoder.projection.weight = decoder.embeddings.weight
    specials = ["<|endoftext|>", "<|startoftranscript|>", *(f"<|{c}|>" for c in _LANGUAGE_CODES),
                "<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>",
                "<|notimestamps|>"]
    stamps = [f"<|{i * 0.02:.2f}|>" for i in range(1501)]
    plain = VOCAB - len(specials) - len(stamps)
    vocabulary = [f"Ġ{WORDS[i % len(WORDS)]}{i}" for i in range(plain)] + specials + stamps
    spec.register_vocabulary(vocabulary)
    config = spec.config
    config.suppress_ids, config.suppress_ids_begin = [], [plain]
    config.lang_ids = [vocabulary.index(f"<|{c}|>") for c in _LANGUAGE_CODES]
    config.alignment_heads = [(0, 0)]
    spec.validate()
    spec.optimize(quantization=None)
    spec.save(str(folder))
    _save_tokenizer(folder / "tokenizer.json", vocabulary, specials + stamps)
    return folder


def _save_tokenizer(path: Path, vocabulary: list[str], special: list[str]) -> None:
    """A word-level tokenizer over ``vocabulary`` whose special tokens are Whisper's."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel({t: i for i, t in enumerate(vocabulary)}, unk_token="<|endoftext|>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens([AddedToken(t, special=True) for t in special])
    tokenizer.save(str(path))
