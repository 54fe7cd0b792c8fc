"""Secrets by context: how a value assigned to a secret-named key is told from a placeholder.

Shared by the assignment, header, CLI, name/value and prose rules in :mod:`orchestra.security.rules`.
A value is judged by the name it is assigned to (strong names such as ``password``, ``secret``,
``token``, ``api_key`` accept short values; weak ones such as ``key``, ``auth``, ``session`` need a
generated-looking value), by its shape (placeholders, variable references, calls, paths and prose
are not values) and by entropy and character classes.
"""

from __future__ import annotations

import base64
import json
import re

from orchestra.security.validators import is_code_reference, is_mask, is_placeholder, is_uuid, shannon_entropy

KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
CALL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*[(\[]|^(?:new|await)\s")
PATH_RE = re.compile(r"^(?:~/|\.{1,2}/|[A-Za-z]:\\|/[^\s/]+/)")
URL_VALUE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,20}://")
_REFERENCE_RE = re.compile(
    r"^(?:process\.env|os\.environ|os\.getenv|getenv|env|ENV|System\.getenv|Environment\.|config\.|settings\.|"
    r"secrets\.|vault:|ref\+|arn:|projects/|!Ref|!Sub|!GetAtt|\{\{|\$\{|\$\(|%\{|#\{|<%|ENC\[|sops:|"
    r"secretKeyRef|valueFrom|keyvault:|@Microsoft\.KeyVault|op://|awssm:|gcpsm:|doppler:|!vault|!secret|!env|!ENV"
    r"|!include|!ssm|!sops)"
)
_STOP_SUFFIX_RE = re.compile(
    r"(?:^[_.-]?(?:s|es|ids?|len|min|max|env|var|kind|mode|dir|alg|algo|algorithm|spec|ring|alias|board|word|words"
    r"|frame|stroke|space|pad|note|chain|vault|count|limit|budget|usage|ttl|at|on|by|in|ms|sec|seconds|minutes)"
    r"|names?|_?ids?|url|uri|endpoint|path|file|files|length|size|type|types|format|version|enabled|disabled|header"
    r"|prefix|ref|refs|arn|hash|hashed|digest|policy|field|label|hint|template|expiry|expires|expires_?in"
    r"|expiration|rotation|regex|pattern|location|provider|store|manager|source|strength|reset|changed|validator"
    r"|required|prompt|placeholder|schema|class|handler|service|factory|generator|helper|loader|parser|reader"
    r"|writer|callback|fn|func|method|option|options|config|settings|dialog|modal|input|form|button|view|page"
    r"|screen|component|module|test|tests|spec|mock|fixture|example|sample|count|lifetime|timeout|interval"
    r"|audience|issuer|scope|scopes|endpoint|host|port|user|username|login|email|owner|holder|account_?id"
    r"|[_.-](?:change|changes|date|time|timestamp|updated|history|age))$",
    re.IGNORECASE,
)
_STOP_NAME_RE = re.compile(
    r"public|primary|foreign|sort_?key|partition|cache|idempoten|monkey|turkey|donkey|hockey|whiskey|jockey|"
    r"keyboard|keyword|keyframe|keystroke|keyspace|hotkey|shortcut|tokeniz|author(?!i[sz])|lookup|dedup|"
    r"object_?key|s3_?key|bucket_?key|map_?key|dict_?key|row_?key|group_?key|routing_?key|primary_?key|"
    r"max_?tokens?|num_?tokens?|tokens_?(?:used|count|per)|token_?(?:count|usage|limit|type|budget)|"
    r"secret_?(?:name|ref|id|arn)|translation|i18n|label_?key|sessions?_?(?:count|store|timeout)|"
    r"page_?token|next_?token|continuation|cursor|token_?endpoint|token_?url|publishable|websocket-?(?:key|accept)",
    re.IGNORECASE,
)
_STRONG_RE = re.compile(
    r"pass|pwd|secret|token|api_?-?key|apikey|private|credential|access_?-?key|accesskey|signing|master|"
    r"encrypt|client_?-?secret|license|auth_?-?key|webhook|bearer|jwt|hmac|salt|passphrase|dsn|^_?auth$",
    re.IGNORECASE,
)
_PROSE_WORDS = frozenset(
    {
        "the", "a", "an", "is", "was", "be", "not", "and", "or", "to", "of", "for", "in", "on", "with", "that",
        "this", "it", "you", "your", "my", "our", "their", "here", "there", "will", "should", "must", "can",
    }
)  # fmt: skip
_CODE_WORDS = frozenset(
    {"raise", "return", "pass", "continue", "break", "None", "null", "nil", "throw", "await", "yield", "else",
     "elif", "if", "not", "in", "is", "and", "or", "new", "self", "this", "def", "fn", "func", "function", "lambda",
     "undefined", "True", "False", "true", "false"}
)  # fmt: skip
"""Language keywords: ``if password != confirm_password: raise`` assigns nothing."""
_DIGIT_RE = re.compile(r"\d")
_WORD_SEG_RE = re.compile(r"[A-Za-z]+|[0-9]+|[^A-Za-z0-9]+")


def key_prefix(text: str, start: int, limit: int = 48) -> str:
    """The identifier characters directly before ``start`` (``DB_`` in ``DB_PASSWORD``)."""
    j = start
    while j > 0 and start - j < limit and text[j - 1] in KEY_CHARS:
        j -= 1
    return text[j:start]


def unquote(value: str) -> tuple[str, bool]:
    """The value without one pair of matching quotes, and whether it was quoted."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
        return value[1:-1], True
    return value, False


def name_is_stopped(name: str, suffix: str) -> bool:
    """The key names something that is not a secret (``token_count``, ``sort_key``, ``keyboard``)."""
    return bool(_STOP_SUFFIX_RE.search(suffix) if suffix else False) or bool(_STOP_NAME_RE.search(name))


def is_strong_name(name: str) -> bool:
    """Names that are credentials whatever the value looks like (password, secret, token, api key, …)."""
    return bool(_STRONG_RE.search(name))


def is_reference(raw: str) -> bool:
    """A variable reference, template or secret-manager pointer rather than a literal value."""
    return bool(_REFERENCE_RE.match(raw)) or is_placeholder(raw)


_KV_LIST_RE = re.compile(r"^(?:[a-z_]{1,16}=[^,=]{0,64},){1,8}[a-z_]{1,16}=")


def wordy(raw: str) -> bool:
    """Structured text (``user-profile-cache``, ``user:1234:session``, ``id=x,src=y``), not a generated value:
    letter words of 3+ characters and at most one short number cover most of it."""
    if _KV_LIST_RE.match(raw):
        return True
    covered = 0
    numbers = 0
    words = 0
    segments = _WORD_SEG_RE.findall(raw)
    for seg in segments:
        if seg.isalpha() and len(seg) >= 2 and (seg.islower() or seg[1:].islower() or seg.isupper()):
            covered += len(seg)
            words += len(seg) >= 3
        elif seg.isdigit() and len(seg) <= 4:
            numbers += 1
            covered += len(seg)
    if numbers <= 1 and covered >= 0.8 * len(raw):
        return True
    # ``user:18231175:profile``, ``tenant/42/orders``: words around one id, joined by single separators
    ids = sum(1 for seg in segments if seg.isdigit())
    seps = [seg for seg in segments if not seg.isalnum()]
    seps_ok = bool(seps) and all(seg in ":/._-" for seg in seps)
    return seps_ok and ids == 1 and words >= 2 and covered + sum(len(s) for s in segments if s.isdigit()) + sum(
        1 for s in segments if not s.isalnum()) == len(raw)


def generated(raw: str, *, min_len: int, min_entropy: float) -> bool:
    """Long enough, mixes letters with digits or symbols or case, and has enough entropy."""
    if len(raw) < min_len:
        return False
    has_alpha = any(c.isalpha() for c in raw)
    has_digit = any(c.isdigit() for c in raw)
    has_upper = any(c.isupper() for c in raw)
    has_lower = any(c.islower() for c in raw)
    has_other = any(not c.isalnum() for c in raw)
    if not has_alpha and not (has_digit and len(raw) >= 24):
        return False
    classes = has_digit + has_upper + has_lower + has_other
    if classes < 2:
        return False
    return shannon_entropy(raw) >= min_entropy


def clean_value(value: str) -> tuple[str, bool]:
    """Unquote; an unquoted value loses trailing closing brackets and sentence punctuation."""
    raw, quoted = unquote(value.strip())
    if not quoted:
        raw = raw.rstrip(")]}>").rstrip(".!?")
        raw = raw.removesuffix("</")
    return raw, quoted


def value_shape_ok(raw: str, quoted: bool, kw: str) -> bool:
    """Not a placeholder, reference, call, path, URL, or the key's own name."""
    if not raw:
        return False
    low = raw.lower()
    if kw and kw.lower() in low and not _DIGIT_RE.search(low.replace(kw.lower(), "", 1)):
        return False
    if is_reference(raw):
        return False
    if CALL_RE.match(raw) or PATH_RE.match(raw) or URL_VALUE_RE.match(raw):
        return False
    return quoted or not raw.startswith(("#", "//", "--", "/*"))  # a comment, unless inside quotes


def password_value_ok(raw: str, quoted: bool, *, spaced_code: bool, min_len: int = 4) -> bool:
    """A password literal: short values count in a credential context, references and prose do not."""
    if len(raw) < (3 if quoted else min_len) or is_mask(raw):
        return False
    # ``password=hunter`` in an env file is a value; ``password = user_input`` in code is not
    code_like = spaced_code or not raw.islower() or "." in raw or "_" in raw
    if not quoted and is_code_reference(raw) and code_like:
        return False
    if raw.lower() in _PROSE_WORDS or raw in _CODE_WORDS:
        return False
    return not (" " in raw and not quoted)


def secret_value_ok(raw: str, quoted: bool, name: str, *, strong: bool) -> bool:
    """A secret literal under a secret-named key (strong names accept shorter, simpler values)."""
    if is_uuid(raw):
        return strong and "session" not in name.lower()
    if not quoted and is_code_reference(raw):
        return False
    if " " in raw:
        return False
    if _KV_LIST_RE.match(raw):
        return False
    if strong:
        if raw.isdigit() and len(raw) < 16:
            return False  # counts, ids, ports, PIN-like numbers
        if not _DIGIT_RE.search(raw) and wordy(raw):
            return False  # "db-credentials", "my-secret-name": names, not values
        varied = any(c.isdigit() or not c.isalnum() for c in raw) or any(c.isupper() for c in raw[1:])
        if len(raw) >= 8 and varied and shannon_entropy(raw) >= 2.5:
            return True
        return len(raw) >= 20 and shannon_entropy(raw) >= 3.3 and not wordy(raw)
    return generated(raw, min_len=16, min_entropy=3.2) and not wordy(raw)


# ---------------------------------------------------------------------------------------------------------
# a generated value near a secret keyword (positional arguments, prose, space-separated CLI/config)

_HASH_WORDS_RE = re.compile(
    r"hash|digest|checksum|commit|etag|md5|fingerprint|integrity|revision|\brev\b|sha\d*sum|[\"']sha[\"']"
    r"|\bsha\b|nonce|salt|\biv\b|request|trace|span|correlation|\bids?\b|_id\b|-id\b|\bkid\b|uuid|guid",
    re.IGNORECASE,
)
_HASH_PREFIX_RE = re.compile(r"(?i:sha\d{0,3}|md5|sha512-|blake2b?|\bh1)[:=-]$")
"""A digest's label just before the value (``sha256:``, ``md5=``, go.sum's ``h1:``)."""
_HEX_RE = re.compile(r"^[0-9a-fA-F]+$")
_ANNOTATION_RE = re.compile(r"^[\"']?[ \t]{0,2}:[ \t]{0,2}[A-Za-z_][A-Za-z0-9_.\[\], |]{0,40}[ \t]{0,2}=")
"""A type annotation between a name and its value (``JWT_SECRET: str = "…"``, ``val key: String = "…"``)."""
_OTHER_NAME_RE = re.compile(r"[\"'][A-Za-z_][A-Za-z0-9_-]*[\"'][ \t]{0,2}:|[A-Za-z_][A-Za-z0-9_.-]*[ \t]{0,2}=(?![=>])")


_PART_RE = re.compile(r"[-_./+]")


def _named(raw: str) -> bool:
    """Word-like parts (``PuTTY-User-Key-File-3``, ``my-service.prod.internal``) cover most of the value."""
    parts = [p for p in _PART_RE.split(raw) if p]
    words = sum(len(p) for p in parts if p.isalpha() and len(p) >= 3)
    return len(parts) >= 3 and words >= 0.6 * len(raw)


def jose_header(raw: str) -> bool:
    """A lone JWT/JWS header segment (base64url of ``{"alg": …}``, no dots): the public half of a token's
    format, quoted when explaining it, never a credential."""
    if not raw.startswith("eyJ") or "." in raw or len(raw) > 200:
        return False
    try:
        decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        header = json.loads(decoded)
    except (ValueError, TypeError):
        return False
    return isinstance(header, dict) and bool(header) and set(header) <= {"alg", "typ", "kid", "cty", "crit", "x5t",
                                                                          "jku", "x5u", "enc", "zip"}


def keyword_literal_ok(text: str, kw_start: int, kw_end: int, value_start: int, raw: str) -> bool:
    """A value found a few characters after a secret keyword (``hmac.new(b"…")``, ``Datadog key …``,
    ``secret_access_key …``) is a secret only when it is plainly generated: long, varied, high entropy,
    not a hash, UUID, reference, path or structured name, and the keyword is not part of a stopped name."""
    name = key_prefix(text, kw_start) + text[kw_start:kw_end]
    j = kw_end
    while j < len(text) and j - kw_end < 24 and text[j] in KEY_CHARS:
        j += 1
    suffix = text[kw_end:j]
    name += suffix
    if name_is_stopped(name, suffix) or re.search(r"public|pub_?key|publishable", name, re.IGNORECASE):
        return False
    gap = text[kw_end + len(suffix) : value_start]
    if _OTHER_NAME_RE.search(_ANNOTATION_RE.sub("", gap, count=1)):
        return False  # the value is assigned to another name (``{"kty": "EC", "x": "…"}``)
    if _HASH_PREFIX_RE.search(text[max(0, value_start - 8) : value_start]):
        return False
    if is_uuid(raw) or is_reference(raw) or wordy(raw) or _named(raw) or jose_header(raw):
        return False
    if CALL_RE.match(raw) or PATH_RE.match(raw) or raw.startswith(("//", "http", "www.")):
        return False
    if _HEX_RE.match(raw):
        if len(raw) < 32 or _HASH_WORDS_RE.search(gap) or _HASH_WORDS_RE.search(name):
            return False
        return shannon_entropy(raw) >= 3.3
    if _HASH_WORDS_RE.search(gap):
        return False
    if not any(c.isdigit() for c in raw) or not any(c.isalpha() for c in raw):
        return False
    return generated(raw, min_len=20, min_entropy=3.6)


_PUBLIC_NAME_RE = re.compile(r"public|pub_?key|publishable|_?id$|_?url$|name$", re.IGNORECASE)


def client_literal_ok(text: str, kw_start: int, raw: str) -> bool:
    """A literal passed positionally to an API client or a cipher (``DeepgramClient("…")``, ``Fernet(b"…")``,
    ``twilio.Client(sid, "…")``) is a secret when it is plainly generated: not a name, URL, path, reference,
    hash-like hex under 32 characters, or a public id, and long, varied and of high entropy."""
    if _PUBLIC_NAME_RE.search(key_prefix(text, kw_start)):
        return False
    if " " in raw or is_uuid(raw) or is_reference(raw) or wordy(raw) or _named(raw) or jose_header(raw):
        return False
    if CALL_RE.match(raw) or PATH_RE.match(raw) or URL_VALUE_RE.match(raw) or raw.startswith(("//", "www.")):
        return False
    if _HEX_RE.match(raw):
        return len(raw) >= 32 and shannon_entropy(raw) >= 3.3
    digits = any(c.isdigit() for c in raw)
    if not any(c.isalpha() for c in raw) or not (digits or (len(raw) >= 24 and not raw.islower())):
        return False  # letters only: a long mixed-case draw still counts, a lower-case word run does not
    return generated(raw, min_len=16, min_entropy=3.4)


_ALGORITHM_RE = re.compile(
    r"^(?:sha-?\d{1,3}|md5|bcrypt|scrypt|argon2(?:id|i|d)?|pbkdf2\w*|aes-?\d{3}\w*|rsa-?\d{3,4}|utf-?8|v\d{1,2}"
    r"|\d{1,3}(?:chars?|characters?|digits?)|x\d{2,3}|ed25519|hs\d{3}|rs\d{3})$",
    re.IGNORECASE,
)


def is_algorithm(raw: str) -> bool:
    """An algorithm or encoding name (``HS256``, ``sha-256``, ``aes-256-gcm``, ``utf-8``), never a value."""
    return bool(_ALGORITHM_RE.match(raw))


def bare_password_ok(raw: str) -> bool:
    """A password named in prose without ``is``/``:`` (``with password kx2?``): it must look like one."""
    if len(raw) < 5 or len(raw) > 64 or _ALGORITHM_RE.match(raw) or is_reference(raw) or raw in _CODE_WORDS:
        return False
    if URL_VALUE_RE.match(raw) or PATH_RE.match(raw) or ("@" in raw[1:-1] and "." in raw.rsplit("@", maxsplit=1)[-1]):
        return False
    has_digit = any(c.isdigit() for c in raw)
    has_alpha = any(c.isalpha() for c in raw)
    has_symbol = any(not c.isalnum() for c in raw)
    mixed = any(c.isupper() for c in raw[1:]) and any(c.islower() for c in raw)
    if not (has_digit and has_alpha) or not (has_symbol or mixed or len(raw) >= 8):
        return False
    return not raw.rstrip(".,;:!?").isdigit() and shannon_entropy(raw) >= 2.3
