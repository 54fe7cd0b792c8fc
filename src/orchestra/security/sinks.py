"""Sink encodings (reference §5.10), applied to text after redaction.

Differences from the original: the provider wrapper neutralises any ``<untrusted-data>`` or
``</untrusted-data>`` tag inside the data, so data cannot close the wrapper early.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from orchestra.security.model import Encoding, Sink

SINK_ENCODING: dict[Sink, Encoding] = {
    Sink.TRANSCRIPT: Encoding.NONE,
    Sink.EXPORT: Encoding.NONE,
    Sink.EVIDENCE: Encoding.MARKDOWN,
    Sink.LOG: Encoding.LOG_LINE,
    Sink.TELEMETRY: Encoding.LOG_LINE,
    Sink.PROVIDER: Encoding.UNTRUSTED_DATA,
    Sink.PROVIDER_HISTORY: Encoding.UNTRUSTED_DATA,
    Sink.PROMPT: Encoding.NONE,
    Sink.TOOL: Encoding.NONE,
    Sink.URL: Encoding.URI,
    Sink.PUBLIC_RESPONSE: Encoding.NONE,
}
"""Default encoding per sink (a :class:`GuardContext` may override it)."""

UNTRUSTED_OPEN = "<untrusted-data>"
UNTRUSTED_CLOSE = "</untrusted-data>"
_TAG_RE = re.compile(r"<(/?)(\s*untrusted-data)", re.IGNORECASE)
_URI_SAFE = ";,/?:@&=+$-_.!~*'()#"
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})


def _markdown(text: str) -> str:
    return text.replace("```", "`\\`\\`")


def _log_line(text: str) -> str:
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")


def _untrusted(text: str) -> str:
    inner = _TAG_RE.sub(lambda m: "&lt;" + m.group(1) + m.group(2), text)
    return f"{UNTRUSTED_OPEN}{inner}{UNTRUSTED_CLOSE}"


def _uri(text: str) -> str:
    return quote(text, safe=_URI_SAFE, errors="surrogatepass")


def encode(text: str, encoding: Encoding) -> str:
    """Encode ``text`` for an encoding."""
    if encoding is Encoding.NONE:
        return text
    if encoding is Encoding.MARKDOWN:
        return _markdown(text)
    if encoding is Encoding.LOG_LINE:
        return _log_line(text)
    if encoding is Encoding.UNTRUSTED_DATA:
        return _untrusted(text)
    if encoding is Encoding.URI:
        return _uri(text)
    return text.translate(_HTML)


def encode_for_sink(text: str, sink: Sink) -> str:
    """Encode ``text`` with the sink's default encoding."""
    return encode(text, SINK_ENCODING[sink])
