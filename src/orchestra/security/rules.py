"""The rule type and the data rules (secrets, passwords, keys, payment data, PII).

Every pattern is compiled once at import, uses bounded quantifiers only, and is guarded by
a literal prefilter (lower-case substrings, one of which must occur) where one exists.
Execution-risk rules live in :mod:`orchestra.security.risk_rules`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from orchestra.security import context as ctx
from orchestra.security.lazy_pattern import lazy_compile
from orchestra.security.model import CATEGORY_MARKERS, Category, Severity
from orchestra.security.pii import NINO_RE, find_national_ids, find_phones, nino_ok
from orchestra.security.validators import (
    IBAN_LENGTHS,
    iban_ok,
    is_code_reference,
    is_payment_card,
    is_placeholder,
    looks_random,
    luhn_ok,
    shannon_entropy,
    ssn_ok,
)
from orchestra.security.vendor_rules import SPECS, TokenSpec, checksum_or_random, crc_checksum_ok, token_ok

Validator = Callable[[str, "re.Match[str]"], bool]
"""``validate(value, match) -> keep?``: ``value`` is the text that would be redacted."""

Finder = Callable[[str, int, int], "Iterator[tuple[int, int]]"]
"""``finder(text, pos, endpos) -> spans``: a custom scanner used instead of ``pattern`` + ``validate``."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One detector: a compiled pattern, what it means, and how much of the match to redact."""

    rule_id: str
    category: Category
    severity: Severity
    description: str
    pattern: re.Pattern[str]
    prefilter: tuple[str, ...] = ()
    value_groups: tuple[str, ...] = ()
    validate: Validator | None = None
    priority: int = 50
    finder: Finder | None = None
    digit_anchored: bool = False
    """Run only near runs of 3+ digits (every match of the rule contains one)."""
    literal_window: tuple[int, int] | None = None
    """``(before, after)``: run only in windows around prefilter-literal occurrences (a match starts at
    most ``before`` characters before a literal and ends at most ``after`` characters after it)."""
    anchors: tuple[tuple[str, tuple[int, ...]], ...] = ()
    """Where a match can start: ``(literal, offsets)`` pairs such that every match of ``pattern`` starts
    at ``i + offset`` for an occurrence ``i`` of the lower-case ``literal`` in ``text.lower()``. Lets the
    detector try the pattern only at those positions (identical results, far fewer regex steps)."""
    anchor_search: bool = False
    """Offsets are a range ``[min, max]`` (searched from its start), not a list of exact positions."""
    anchor_word_start: bool = False
    """Every match starts with an ASCII word character at a word boundary (``\\b\\w``): other anchor
    positions are dropped before trying the pattern."""
    digit_run_anchor: str = ""
    """More point anchors (with ``anchors``, or alone): every match not starting at a literal anchor starts
    with the last three digits of a run of 3+ ASCII digits that is followed by one of these characters."""

    @property
    def marker(self) -> str | None:
        """The redaction marker, or None for execution-risk rules (reported, never redacted)."""
        return CATEGORY_MARKERS.get(self.category)


# ---------------------------------------------------------------------------------------------------------
# shared pieces

_SEP = r"""["'`]?\]?[ \t]{0,8}(?P<sep>:=|=>|->|[:=](?![=:])|>(?=[^<\s]))[ \t]{0,8}"""
"""Key/value separators: ``=``, ``:``, ``:=``, ``=>``, ``->``, and ``>`` of an XML element (``<password>x``)."""
_VALUE = r"""(?P<value>"[^"\r\n]{1,1024}"|'[^'\r\n]{1,1024}'|`[^`\r\n]{1,1024}`|[^\s"'`,;<]{1,256})"""


def _clean(value: str, match: re.Match[str]) -> tuple[str, bool]:
    """The value (the detector already removed its quotes) and whether the source had quotes around it."""
    group = match.groupdict().get("value") or ""
    quoted = len(group) >= 2 and group[0] == group[-1] and group[0] in "\"'`"
    raw, was_quoted = ctx.clean_value(value)
    return raw, quoted or was_quoted


def _key_prefix(match: re.Match[str]) -> str:
    """The identifier characters directly before the keyword (``PG`` in ``PGPASSWORD``)."""
    return ctx.key_prefix(match.string, match.start())


def _xml_sep_ok(match: re.Match[str]) -> bool:
    """``>`` separates only in an element opened right before the key (``<db_password>x</db_password>``)."""
    start = match.start() - len(_key_prefix(match))
    return start > 0 and match.string[start - 1] == "<"


def _spaced_code(match: re.Match[str]) -> bool:
    between = match.group(0)[: match.start("value") - match.start()]
    return match.group("sep") in ("=", ":=") and " " in between


_PHRASE_AFTER_RE = re.compile(r"[ \t]+[a-z]{2,}\b")


def _password_ok(value: str, match: re.Match[str]) -> bool:
    kw = match.group("kw")
    prefix = _key_prefix(match)
    if kw.lower() in ("pass", "pwd", "pw"):
        if prefix and prefix[-1].isalpha() and prefix[-1].islower() and kw[0].islower():
            return False  # "bypass", "cwd"-like words
        if kw.lower() == "pw" and prefix and prefix[-1].isalnum():
            return False
    sep = match.group("sep")
    if sep == ">" and not _xml_sep_ok(match):
        return False
    suffix = match.group("suffix") or ""
    if ctx.name_is_stopped(prefix + kw + suffix, suffix):
        return False
    raw, quoted = _clean(value, match)
    if not ctx.value_shape_ok(raw, quoted, kw):
        return False
    if not quoted and raw.isalpha() and raw.islower() and _PHRASE_AFTER_RE.match(match.string, match.end()):
        return False  # "passwd: files systemd" (nsswitch.conf), "password: is not set": words, not a value
    return ctx.password_value_ok(raw, quoted, spaced_code=_spaced_code(match))


# Orchestra's own delegation handles (task:run:phase:runtime:suffix) are ids, not credentials.
_ORCHESTRA_SESSION_ID = re.compile(
    r"^[\"']?[A-Za-z0-9][A-Za-z0-9._-]{0,63}(?::[A-Za-z0-9._-]{1,64}){3}:(?:[0-9a-f]{16}|[0-9a-f]{6})[\"']?$"
)


def _secret_ok(value: str, match: re.Match[str]) -> bool:
    kw = match.group("kw")
    if kw.lower().startswith("session") and _ORCHESTRA_SESSION_ID.match(value):
        return False
    if match.group("sep") == ">" and not _xml_sep_ok(match):
        return False
    prefix, suffix = _key_prefix(match), match.group("suffix") or ""
    name = prefix + kw + suffix
    if ctx.name_is_stopped(name, suffix):
        return False
    raw, quoted = _clean(value, match)
    if not ctx.value_shape_ok(raw, quoted, kw):
        return False
    return ctx.secret_value_ok(raw, quoted, name, strong=ctx.is_strong_name(name))


def _pair_ok(value: str, match: re.Match[str]) -> bool:
    """``name: X_PASSWORD`` followed by ``value: …`` (Kubernetes env, ECS, .NET appSettings)."""
    name = match.group("name")
    raw, quoted = _clean(value, match)
    if not ctx.value_shape_ok(raw, quoted, ""):
        return False
    low = name.lower()
    if any(w in low for w in ("password", "passwd", "pwd", "passphrase")) and not ctx.name_is_stopped(name, ""):
        return ctx.password_value_ok(raw, quoted, spaced_code=False)
    if not ctx.is_strong_name(name) and not re.search(r"key|auth|session|cookie", low):
        return False
    if ctx.name_is_stopped(name, "") or re.search(r"(?:_|\b)(?:id|url|uri|name|path|file|arn)$", low):
        return False
    return ctx.secret_value_ok(raw, quoted, name, strong=ctx.is_strong_name(name))


def _cli_secret_ok(value: str, match: re.Match[str]) -> bool:
    flag = match.group("flag").lower().replace("-", "_")
    if ctx.name_is_stopped(flag, re.split(r"pass(?:word|wd)?|secret|token|key|auth|credentials?", flag)[-1]):
        return False
    raw, quoted = _clean(value, match)
    if not ctx.value_shape_ok(raw, quoted, "") or raw.startswith("-"):
        return False
    if "pass" in flag or "pwd" in flag:
        return ctx.password_value_ok(raw, quoted, spaced_code=False)
    return ctx.secret_value_ok(raw, quoted, flag, strong=ctx.is_strong_name(flag) or "auth" in flag)


def _short_flag_ok(value: str, match: re.Match[str]) -> bool:
    raw, quoted = _clean(value, match)
    if not ctx.value_shape_ok(raw, quoted, "") or (raw.isdigit() and len(raw) <= 5):
        return False  # a port, not a password
    return ctx.password_value_ok(raw, quoted, spaced_code=False, min_len=3)


def _header_ok(value: str, match: re.Match[str]) -> bool:
    raw, _quoted = ctx.clean_value(value)
    if ctx.is_reference(raw) or raw.lower() in ("bearer", "basic", "token", "digest", "negotiate"):
        return False
    end = match.end("value")
    if (end < len(match.string) and match.string[end] in "([") or is_code_reference(raw) or ctx.wordy(raw):
        return False  # request.headers.get(...), settings.AUTH_HEADER: code, not a credential
    return ctx.generated(raw, min_len=12, min_entropy=2.8)


_COOKIE_RE = re.compile(
    r"(?i:set-cookie|cookie)s?[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?(?P<pairs>[^\r\n]{3,4096})", re.ASCII
)
_COOKIE_PAIR_RE = re.compile(r"(?:^|[;\s,{])[ \t]*(?P<name>[A-Za-z0-9_.$%-]{1,64})=(?P<value>[^;\s\"',}]{1,4096})")
_COOKIE_ATTRIBUTES = frozenset(
    {"path", "domain", "expires", "max-age", "samesite", "secure", "httponly", "priority", "partitioned", "version",
     "comment", "lang", "locale", "theme", "tz", "timezone", "consent"}
)  # fmt: skip
_COOKIE_CREDENTIAL_NAME = re.compile(
    r"sess|sid|auth|token|jwt|csrf|xsrf|remember|login|identity|secret|key|connect\.|laravel|asp\.net|phpsess",
    re.IGNORECASE,
)


def find_cookie_values(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """Values of the name=value pairs of Cookie / Set-Cookie headers and cookie assignments that look like
    session or credential values (attributes such as Path or Expires are skipped)."""
    endpos = len(text) if endpos is None else endpos
    for m in _COOKIE_RE.finditer(text, pos, endpos):
        base = m.start("pairs")
        for pm in _COOKIE_PAIR_RE.finditer(m.group("pairs")):
            name, value = pm.group("name"), pm.group("value")
            if name.lower() in _COOKIE_ATTRIBUTES or ctx.is_reference(value):
                continue
            min_len = 10 if _COOKIE_CREDENTIAL_NAME.search(name) else 20
            if ctx.generated(value, min_len=min_len, min_entropy=2.8) and not ctx.wordy(value):
                yield base + pm.start("value"), base + pm.end("value")


def _call_arg_ok(value: str, match: re.Match[str]) -> bool:
    raw, quoted = _clean(value, match)
    return ctx.value_shape_ok(raw, quoted, "") and ctx.password_value_ok(raw, True, spaced_code=False)


def _prose_password_ok(value: str, match: re.Match[str]) -> bool:
    raw, quoted = _clean(value, match)
    raw = raw.rstrip(".,;:!?)")
    if not ctx.value_shape_ok(raw, quoted, "pass") or len(raw) < 4 or "=" in raw:
        return False
    if raw.lower() in ("correct", "incorrect", "wrong", "invalid", "expired", "required", "missing", "weak",
                       "strong", "reset", "changed", "stored", "saved", "encrypted", "hashed", "set", "same"):
        return False
    has_digit = any(c.isdigit() for c in raw)
    has_symbol = any(not c.isalnum() for c in raw)
    mixed = any(c.isupper() for c in raw[1:]) and any(c.islower() for c in raw)
    return quoted or has_digit or has_symbol or mixed


def _prose_secret_ok(value: str, match: re.Match[str]) -> bool:
    raw, quoted = _clean(value, match)
    raw = raw.rstrip(".,;:!?)")
    if not ctx.value_shape_ok(raw, quoted, ""):
        return False
    return ctx.generated(raw, min_len=16, min_entropy=3.2) and not ctx.wordy(raw)


def _not_placeholder(value: str, _match: re.Match[str]) -> bool:
    return not is_placeholder(value)


def _random_token(min_len: int) -> Validator:
    def check(value: str, _match: re.Match[str]) -> bool:
        body = value.split("_", 1)[-1] if "_" in value[:12] else value
        return not is_placeholder(body) and looks_random(body, min_len=min_len, min_entropy=2.5)

    return check


def _openai_ok(value: str, match: re.Match[str]) -> bool:
    if value.startswith("sk-ant-"):
        return False
    body = value[3:]
    for prefix in ("proj-", "svcacct-", "admin-"):
        body = body.removeprefix(prefix)
    mixed = any(c.isdigit() for c in body) and (any(c.isupper() for c in body) or shannon_entropy(body) >= 3.3)
    return mixed and _random_token(20)(body, match)


def _bearer_ok(value: str, _match: re.Match[str]) -> bool:
    if is_placeholder(value):
        return False
    return any(c.isdigit() or c.isupper() or c in "._~+/=" for c in value)


def _basic_ok(value: str, _match: re.Match[str]) -> bool:
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded and not is_placeholder(decoded.decode("latin-1"))


def _url_password_ok(value: str, _match: re.Match[str]) -> bool:
    return len(value) >= 3 and not is_placeholder(value)


def _track_ok(value: str, _match: re.Match[str]) -> bool:
    digits = re.match(r"[%;]?B?(\d{13,19})", value)
    return bool(digits) and luhn_ok(digits.group(1) if digits else "")


def _ssn_ok(value: str, _match: re.Match[str]) -> bool:
    return ssn_ok(value)


def _has_digit(value: str, _match: re.Match[str]) -> bool:
    return any(c.isdigit() for c in value) and not is_placeholder(value)


_EMAIL_SKIP_LOCAL = frozenset({"git", "noreply", "no-reply", "donotreply", "do-not-reply", "mailer-daemon"})
_EMAIL_SKIP_DOMAIN_SUFFIX = (
    "example.com", "example.org", "example.net", ".example", ".test", ".invalid", ".localhost", "localhost",
    "users.noreply.github.com",
)  # fmt: skip
_FILE_TLDS = frozenset(
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "js", "ts", "tsx", "jsx", "css", "py", "json", "md",
     "txt", "html", "lock", "yaml", "yml", "toml", "whl", "gz", "zip", "map"}
)  # fmt: skip


def _email_ok(value: str, match: re.Match[str]) -> bool:
    local, _, domain = value.rpartition("@")
    domain = domain.lower()
    if local.lower() in _EMAIL_SKIP_LOCAL or domain.endswith(_EMAIL_SKIP_DOMAIN_SUFFIX):
        return False
    if domain.rsplit(".", 1)[-1] in _FILE_TLDS or is_placeholder(local):
        return False
    text, start = match.string, match.start()
    lo = max(0, start - 300)
    before = text[lo:start]
    ws = max(before.rfind(" "), before.rfind("\n"), before.rfind("\t"))
    return "://" not in before[ws + 1 :]  # userinfo of a URL, handled by the URL rule


def _phone_ok(value: str, _match: re.Match[str]) -> bool:
    digits = sum(c.isdigit() for c in value)
    return 10 <= digits <= 15


_CARD_RE = re.compile(
    r"\d(?:\d{12,18}|\d{3}(?:[ -]\d{4}){2}[ -]\d{1,7}|\d{3}[ -]\d{6}[ -]\d{4,5})(?![\w-])", re.ASCII
)


def find_cards(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """Valid cards: 13-19 digits plain, or 4-4-4-x / 4-6-5 groups separated by spaces or hyphens."""
    endpos = len(text) if endpos is None else endpos
    while (m := _CARD_RE.search(text, pos, endpos)) is not None:
        if _word_start(m, "-") and is_payment_card(m.group(0)):
            yield m.start(), m.end()
            pos = m.end()
        else:
            pos = m.start() + 1


_IBAN_START_RE = re.compile(r"[A-Z][A-Z]\d\d(?=[ A-Z0-9])", re.ASCII)


def find_ibans(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """IBANs: country code, check digits, then exactly the country's length (single spaces allowed)."""
    for m in _IBAN_START_RE.finditer(text, pos, len(text) if endpos is None else endpos):
        length = IBAN_LENGTHS.get(m.group(0)[:2])
        if length is None or not _word_start(m):
            continue
        i, count, n = m.start(), 0, len(text)
        while i < n and count < length:
            ch = text[i]
            if ch.isascii() and ch.isalnum():
                count += 1
            elif not (ch == " " and i + 1 < n and text[i + 1].isalnum()):
                break
            i += 1
        if count == length and (i >= n or not text[i].isalnum()) and iban_ok(text[m.start() : i]):
            yield m.start(), i


def _word_start(match: re.Match[str], extra: str = "") -> bool:
    """The match is not glued to a preceding word character (or one of ``extra``)."""
    i = match.start()
    if i == 0:
        return True
    ch = match.string[i - 1]
    return not ((ch.isascii() and ch.isalnum()) or ch == "_" or ch in extra)


def _c(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return lazy_compile(pattern, flags | re.ASCII)  # compiled on first use (cheap import for hooks)


_I = re.IGNORECASE
_BACK5 = tuple(range(-5, 1))
_BACK16 = tuple(range(-16, 1))

# ---------------------------------------------------------------------------------------------------------
# the data rules

_BASE_RULES: tuple[Rule, ...] = (
    Rule(
        "private_key.pem",
        Category.PRIVATE_KEY,
        Severity.CRITICAL,
        "PEM private key block (RSA, EC, DSA, PKCS#8, encrypted), whole block; an unterminated block "
        "is redacted through its base64 body",
        _c(
            r"-----BEGIN (?!OPENSSH )(?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY-----"
            r"(?:[\s\S]{0,16384}?-----END (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY-----"
            r"|[A-Za-z0-9+/=\s:,.-]{0,16384})"
        ),
        prefilter=("private key-----",),
        anchors=(("-----begin ", (0,)),),
        priority=100,
    ),
    Rule(
        "private_key.openssh",
        Category.PRIVATE_KEY,
        Severity.CRITICAL,
        "OpenSSH private key block, whole block (one finding per block)",
        _c(
            r"-----BEGIN OPENSSH PRIVATE KEY-----"
            r"(?:[\s\S]{0,16384}?-----END OPENSSH PRIVATE KEY-----|[A-Za-z0-9+/=\s]{0,16384})"
        ),
        prefilter=("begin openssh private key",),
        anchors=(("-----begin ", (0,)),),
        priority=100,
    ),
    Rule(
        "private_key.pgp",
        Category.PRIVATE_KEY,
        Severity.CRITICAL,
        "PGP private key block, whole block",
        _c(
            r"-----BEGIN PGP PRIVATE KEY BLOCK-----"
            r"(?:[\s\S]{0,32768}?-----END PGP PRIVATE KEY BLOCK-----|[A-Za-z0-9+/=\s:,.-]{0,32768})"
        ),
        prefilter=("begin pgp private key",),
        anchors=(("-----begin ", (0,)),),
        priority=100,
    ),
    Rule(
        "secret.aws.access-key-id",
        Category.SECRET,
        Severity.HIGH,
        "AWS access key id (AKIA/ASIA/AROA/AIDA/… + 16 chars)",
        _c(r"A(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|PKA|ROA)[A-Z2-7]{16}(?![A-Za-z0-9_])"),
        validate=lambda v, m: _word_start(m) and not is_placeholder(v),
        priority=90,
    ),
    Rule(
        "secret.aws.secret-access-key",
        Category.SECRET,
        Severity.CRITICAL,
        "AWS secret access key (40 chars) assigned to an aws_secret/secret_access_key name",
        _c(
            r"(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)[\"']?[ \t]{0,8}(?::=|=>|[:=])[ \t]{0,8}"
            r"[\"']?(?P<value>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
            _I,
        ),
        prefilter=("secret",),
        value_groups=("value",),
        validate=_random_token(40),
        anchors=(("secret", (0, -3, -4)),),
        priority=90,
    ),
    Rule(
        "secret.github.token",
        Category.SECRET,
        Severity.CRITICAL,
        "GitHub token (ghp_, gho_, ghs_, ghu_, ghr_, github_pat_)",
        _c(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,251})\b"),
        prefilter=("ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_"),
        validate=lambda v, m: (crc_checksum_ok(v) and not is_placeholder(v)) or _random_token(20)(v, m),
        anchors=(("gh", (0,)), ("github_pat_", (0,))),
        priority=90,
    ),
    Rule(
        "secret.gitlab.token",
        Category.SECRET,
        Severity.CRITICAL,
        "GitLab personal access token (glpat-)",
        _c(r"\bglpat-[A-Za-z0-9_-]{20,64}"),
        prefilter=("glpat-",),
        validate=_random_token(20),
        anchors=(("glpat-", (0,)),),
        priority=90,
    ),
    Rule(
        "secret.slack.token",
        Category.SECRET,
        Severity.CRITICAL,
        "Slack token (xoxa-, xoxb-, xoxp-, xoxr-, xoxs-)",
        _c(r"\bxox[abprs]-[A-Za-z0-9-]{10,250}"),
        prefilter=("xox",),
        validate=_random_token(10),
        anchors=(("xox", (0,)),),
        priority=90,
    ),
    Rule(
        "secret.stripe.key",
        Category.SECRET,
        Severity.CRITICAL,
        "Stripe secret or restricted key, live or test (sk_live_, rk_live_, sk_test_, rk_test_)",
        _c(r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,247}\b"),
        prefilter=("k_live_", "k_test_"),
        validate=_random_token(16),
        anchors=(("k_live_", (-1,)), ("k_test_", (-1,))),
        priority=90,
    ),
    Rule(
        "secret.google.api-key",
        Category.SECRET,
        Severity.CRITICAL,
        "Google API key (AIza + 35 chars)",
        _c(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
        prefilter=("aiza",),
        validate=_not_placeholder,
        anchors=(("aiza", (0,)),),
        priority=90,
    ),
    Rule(
        "secret.anthropic.key",
        Category.SECRET,
        Severity.CRITICAL,
        "Anthropic API key (sk-ant-…)",
        _c(r"\bsk-ant-[a-z0-9]{2,10}-[A-Za-z0-9_-]{20,250}"),
        prefilter=("sk-ant-",),
        validate=_random_token(20),
        anchors=(("sk-ant-", (0,)),),
        priority=91,
    ),
    Rule(
        "secret.openai.key",
        Category.SECRET,
        Severity.CRITICAL,
        "OpenAI API key (sk-…, sk-proj-…, sk-svcacct-…)",
        _c(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,250}"),
        prefilter=("sk-",),
        validate=_openai_ok,
        anchors=(("sk-", (0,)),),
        priority=90,
    ),
    Rule(
        "secret.npm.token",
        Category.SECRET,
        Severity.CRITICAL,
        "npm access token (npm_ + 36 chars)",
        _c(r"\bnpm_[A-Za-z0-9]{36}\b"),
        prefilter=("npm_",),
        validate=checksum_or_random,
        anchors=(("npm_", (0,)),),
        priority=90,
    ),
    Rule(
        "secret.pypi.token",
        Category.SECRET,
        Severity.CRITICAL,
        "PyPI API token (pypi-AgEI…)",
        _c(r"\bpypi-AgEI[A-Za-z0-9_-]{50,300}"),
        prefilter=("pypi-agei",),
        validate=_random_token(20),
        anchors=(("pypi-agei", (0,)),),
        priority=90,
    ),
    Rule(
        "secret.huggingface.token",
        Category.SECRET,
        Severity.CRITICAL,
        "Hugging Face token (hf_ + 34-40 chars)",
        _c(r"\bhf_[A-Za-z0-9]{34,40}\b"),
        prefilter=("hf_",),
        validate=_random_token(20),
        anchors=(("hf_", (0,)),),
        priority=90,
    ),
    Rule(
        "secret.jwt",
        Category.SECRET,
        Severity.HIGH,
        "JSON Web Token (three base64url parts, header and payload start with eyJ)",
        _c(r"\beyJ[A-Za-z0-9_-]{8,2048}\.eyJ[A-Za-z0-9_-]{4,8192}\.[A-Za-z0-9_-]{8,2048}"),
        prefilter=("eyj",),
        anchors=(("eyj", (0,)),),
        priority=85,
    ),
    Rule(
        "secret.auth-header.bearer",
        Category.SECRET,
        Severity.CRITICAL,
        "Bearer credential (Authorization header or 'Bearer <token>'), value only",
        _c(r"\bbearer[ \t]{1,8}(?P<value>[A-Za-z0-9._~+/=-]{16,4096})", _I),
        prefilter=("bearer",),
        value_groups=("value",),
        validate=_bearer_ok,
        anchors=(("bearer", (0,)),),
        priority=80,
    ),
    Rule(
        "secret.auth-header.basic",
        Category.SECRET,
        Severity.CRITICAL,
        "HTTP Basic credentials in an Authorization header (base64 of user:password), value only",
        _c(
            r"\bauthorization[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?basic[ \t]{1,8}"
            r"(?P<value>[A-Za-z0-9+/]{6,4096}={0,2})",
            _I,
        ),
        prefilter=("basic",),
        value_groups=("value",),
        validate=_basic_ok,
        anchors=(("authorization", (0,)),),
        priority=80,
    ),
    Rule(
        "password.url-userinfo",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password in a URL or connection string (scheme://user:password@host), password only",
        _c(
            r"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/?#@\[\]\"'<>]{0,256}:"
            r"(?P<value>[^\s/@\"'<>]{1,256})@(?=[^\s/?#@])"
        ),
        prefilter=("://",),
        value_groups=("value",),
        validate=_url_password_ok,
        literal_window=(24, 540),
        anchors=(("://", tuple(range(-21, -1))),),
        anchor_word_start=True,
        priority=75,
    ),
    Rule(
        "password.cli-flag",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password, token or key given as a long command-line flag (--password X, --db-pass=X, --api-key X, "
        "-storepass X), value only",
        _c(
            r"(?<![\w-])--?(?P<flag>[A-Za-z0-9-]{0,30}?(?:pass(?:word|wd)?|pwd|secret|token|api-?key|apikey"
            r"|access-?key|credentials?|auth)(?:[_-]?[A-Za-z0-9]{1,20}){0,2})(?:[ \t]{1,4}|=)"
            r"(?P<value>\"[^\"\r\n]{1,256}\"|'[^'\r\n]{1,256}'|[^\s\"'][^\s\"']{0,255})",
            _I,
        ),
        prefilter=("pass", "pwd", "secret", "token", "key", "credential", "auth"),
        value_groups=("value",),
        validate=_cli_secret_ok,
        literal_window=(48, 400),
        priority=62,
    ),
    Rule(
        "password.cli-short-flag",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password as a short flag of a database/remote tool (mysql -pX, mysql -p X, sshpass -p X, redis-cli -a X, "
        "docker login -p X), value only",
        _c(
            r"\b(?:mysql(?:dump|admin|import|sh)?|mariadb(?:-dump)?|sshpass|mongo(?:sh|dump|restore|export|import)?"
            r"|(?:docker|podman|helm[ \t]registry|nerdctl|buildah|skopeo)[ \t]{1,4}login|redis-cli)\b"
            r"[^\n|;&]{0,160}?(?<![\w-])-[pa](?:[ \t]{1,4})?"
            r"(?P<value>\"[^\"\r\n]{1,256}\"|'[^'\r\n]{1,256}'|[^\s\"'-][^\s\"']{0,255})",
            _I,
        ),
        prefilter=("mysql", "mariadb", "sshpass", "mongo", "login", "redis-cli"),
        value_groups=("value",),
        validate=_short_flag_ok,
        anchors=(("mysql", (0,)), ("mariadb", (0,)), ("sshpass", (0,)), ("mongo", (0,)), ("docker", (0,)),
                 ("podman", (0,)), ("helm", (0,)), ("nerdctl", (0,)), ("buildah", (0,)), ("skopeo", (0,)),
                 ("redis-cli", (0,))),
        priority=62,
    ),
    Rule(
        "password.cli-userinfo",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password in a user:password flag (curl -u user:pass, --user, --proxy-user), password only",
        _c(
            r"(?<![\w-])(?:-u|--user|--proxy-user)(?:[ \t]{1,4}|=)[\"']?[^\s:\"'@/]{1,64}:"
            r"(?P<value>[^\s\"'@]{1,256})"
        ),
        prefilter=("-u",),
        value_groups=("value",),
        validate=lambda v, m: not v.isdigit() and _short_flag_ok(v, m),
        anchors=(("-u", (0, -1)), ("--proxy-user", (0,))),
        priority=63,
    ),
    Rule(
        "password.assignment",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password assigned in code or config (password=, \"passwd\": …, PGPASSWORD=…, <password>…</password>, "
        "Pwd=… in a connection string), value only",
        _c(
            r"(?P<kw>pass(?:word|wd|phrase|code)|pwd|pw(?![a-z])|pass(?![a-z]))(?P<suffix>[A-Za-z0-9_]{0,24})"
            + _SEP + _VALUE,
            _I,
        ),
        prefilter=("pass", "pwd", "pw"),
        value_groups=("value",),
        validate=_password_ok,
        literal_window=(8, 1200),
        anchors=(("pass", (0,)), ("pw", (0,))),
        priority=60,
    ),
    Rule(
        "secret.assignment",
        Category.SECRET,
        Severity.HIGH,
        "value assigned to a secret-named key (api_key=, SECRET=, token: …, \"clientSecret\": …, X-Api-Key: …, "
        "<apiKey>…</apiKey>), judged by the name's strength, the value's shape and entropy, value only",
        _c(
            r"(?P<kw>secret|token|key|auth|credentials?|session|sessid)(?P<suffix>[A-Za-z0-9_]{0,24})"
            + _SEP + _VALUE,
            _I,
        ),
        prefilter=("key", "secret", "token", "credential", "session", "sessid", "auth"),
        value_groups=("value",),
        validate=_secret_ok,
        literal_window=(16, 1200),
        anchors=(("key", (0,)), ("secret", (0,)), ("token", (0,)), ("credential", (0,)), ("session", (0,)),
                 ("sessid", (0,)), ("auth", (0,))),
        priority=50,
    ),
    Rule(
        "password.name-value",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password in a name/value pair (Kubernetes/Compose env `- name: DB_PASSWORD` + `value: …`, ECS JSON, "
        ".NET <add key=\"…Password\" value=\"…\"/>), value only",
        _c(
            r"\b(?i:name|key)[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?(?P<name>[A-Za-z0-9_.:-]{0,40}(?i:pass|pwd)"
            r"[A-Za-z0-9_.:-]{0,40})[\"']?[ \t]{0,4}[,;]?[ \t]{0,4}(?:\r?\n[ \t]{0,40}-?[ \t]{0,4})?"
            r"[\"']?(?i:value)[\"']?"
            r"[ \t]{0,4}[:=][ \t]{0,4}(?P<value>\"[^\"\r\n]{1,2048}\"|'[^'\r\n]{1,2048}'|[^\s\"',;}]{1,2048})"
        ),
        prefilter=("value",),
        value_groups=("value",),
        validate=_pair_ok,
        anchors=(("name", (0,)), ("key", (0,))),
        priority=64,
    ),
    Rule(
        "secret.name-value",
        Category.SECRET,
        Severity.HIGH,
        "secret in a name/value pair (`- name: API_TOKEN` + `value: …`, {\"name\": \"…_KEY\", \"value\": …}), "
        "value only",
        _c(
            r"\b(?i:name|key)[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?(?P<name>[A-Za-z0-9_.:-]{0,40}(?i:secret|token|key"
            r"|auth|credential|session|cookie|dsn)[A-Za-z0-9_.:-]{0,40})[\"']?[ \t]{0,4}[,;]?[ \t]{0,4}"
            r"(?:\r?\n[ \t]{0,40}-?[ \t]{0,4})?[\"']?(?i:value)[\"']?"
            r"[ \t]{0,4}[:=][ \t]{0,4}(?P<value>\"[^\"\r\n]{1,2048}\"|'[^'\r\n]{1,2048}'|[^\s\"',;}]{1,2048})"
        ),
        prefilter=("value",),
        value_groups=("value",),
        validate=lambda v, m: not re.search(r"pass|pwd", m.group("name"), re.I) and _pair_ok(v, m),
        anchors=(("name", (0,)), ("key", (0,))),
        priority=52,
    ),
    Rule(
        "password.call-argument",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password literal passed to a setter, builder or credentials constructor (setPassword(\"…\"), "
        ".password(\"…\"), HTTPBasicAuth(\"user\", \"…\"), NetworkCredential(\"user\", \"…\"), login(\"u\", \"…\")), "
        "value only",
        _c(
            r"(?:\b(?i:set|with)?_?(?i:pass(?:word|wd|phrase)?|pwd)[ \t]?\([ \t]?"
            r"|(?i:credentials?|auth(?:entication)?|login|authenticate|sign_?in)[ \t]?[=(][ \t]?\(?"
            r"[ \t]?(?P<q>[\"'])[^\"'\r\n]{1,64}(?P=q)[ \t]?,[ \t]?)"
            r"(?P<value>\"[^\"\r\n]{3,256}\"|'[^'\r\n]{3,256}')"
        ),
        prefilter=("pass", "pwd", "credential", "auth", "login", "sign"),
        value_groups=("value",),
        validate=_call_arg_ok,
        anchors=(("pass", _BACK5), ("pwd", _BACK5), ("credential", (0,)), ("auth", (0,)), ("login", (0,)),
                 ("sign", (0,))),
        priority=61,
    ),
    Rule(
        "secret.call-argument",
        Category.SECRET,
        Severity.HIGH,
        "secret literal passed to a setter or builder (setApiKey(\"…\"), .token(\"…\"), withClientSecret(\"…\")), "
        "value only",
        _c(
            r"\b(?i:set|with)?_?(?i:api_?key|secret|token|access_?token|auth_?token|client_?secret|secret_?key"
            r"|access_?key|private_?key|credentials?)[ \t]?\([ \t]?(?P<value>\"[^\"\r\n]{8,512}\"|'[^'\r\n]{8,512}')"
            r"[ \t]?[),]"
        ),
        prefilter=("key", "secret", "token", "credential"),
        value_groups=("value",),
        validate=lambda v, m: ctx.secret_value_ok(*ctx.clean_value(v), "secret", strong=True)
        and ctx.value_shape_ok(ctx.clean_value(v)[0], True, ""),
        anchors=(("key", _BACK16), ("secret", _BACK16), ("token", _BACK16), ("credential", _BACK5)),
        priority=51,
    ),
    Rule(
        "secret.auth-header.scheme",
        Category.SECRET,
        Severity.CRITICAL,
        "credential in an Authorization header with any scheme or none (Token, ApiKey, SSWS, Splunk, raw), value only",
        _c(
            r"\b(?i:proxy-)?(?i:authorization)[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?(?:(?i:token|bearer|basic|apikey"
            r"|api-key|key|sso-key|ssws|splunk|genietoken|dsn|hmac|jwt|oauth|bot|klaviyo-api-key|zoho-oauthtoken)"
            r"[ \t]{1,8})?(?P<value>[A-Za-z0-9._~+/=:-]{12,4096})"
        ),
        prefilter=("authorization",),
        value_groups=("value",),
        validate=_header_ok,
        anchors=(("authorization", (0, -6)),),
        priority=79,
    ),
    Rule(
        "secret.cookie",
        Category.SECRET,
        Severity.HIGH,
        "session or credential value in a Cookie / Set-Cookie header or document.cookie assignment, values only",
        _c(r"(?i:cookie)[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?(?P<pairs>[^\r\n]{3,4096})"),
        prefilter=("cookie",),
        validate=None,
        finder=find_cookie_values,
        priority=55,
    ),
    Rule(
        "password.netrc",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password in a .netrc / .authinfo line (machine H login U password P), value only",
        _c(
            r"\bmachine[ \t]{1,8}\S{1,256}[ \t]{1,8}login[ \t]{1,8}\S{1,256}[ \t]{1,8}password[ \t]{1,8}"
            r"(?P<value>[^\s\"']{1,256}|\"[^\"\r\n]{1,256}\")"
        ),
        prefilter=("machine",),
        value_groups=("value",),
        validate=lambda v, m: not ctx.is_reference(ctx.clean_value(v)[0]),
        anchors=(("machine", (0,)),),
        priority=63,
    ),
    Rule(
        "password.prose",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password stated in prose (\"the password is hunter2\", \"pw for the admin account: s3cr3t\"), value only",
        _c(
            r"\b(?i:pass(?:word|phrase|code)?|pwd|pw)\b(?:[ \t]{1,3}(?i:for|of|to|on)(?:[ \t]{1,3}[^\s]{1,30}){1,5}?)?"
            r"(?:[ \t]{1,3}(?i:is|was|will[ \t]be|would[ \t]be|should[ \t]be|=|:)[ \t]{1,3}|[ \t]{0,2}[:=][ \t]{0,2})"
            r"(?P<value>\"[^\"\r\n]{3,128}\"|'[^'\r\n]{3,128}'|`[^`\r\n]{3,128}`|[^\s\"'`]{3,128})"
        ),
        prefilter=("pass", "pwd", "pw"),
        value_groups=("value",),
        validate=_prose_password_ok,
        anchors=(("pass", (0,)), ("pw", (0,))),
        priority=58,
    ),
    Rule(
        "secret.prose",
        Category.SECRET,
        Severity.HIGH,
        "token, key or secret stated in prose (\"my API token is …\", \"the key for staging was …\"), value only",
        _c(
            r"\b(?i:key|token|secret)s?\b(?:[ \t]{1,3}(?i:for|of|to|on)(?:[ \t]{1,3}[^\s]{1,30}){1,3}?)?"
            r"[ \t]{1,3}(?i:is|was|will[ \t]be|=|:)[ \t]{1,3}"
            r"(?P<value>\"[^\"\r\n]{16,512}\"|'[^'\r\n]{16,512}'|`[^`\r\n]{16,512}`|[^\s\"'`]{16,512})"
        ),
        prefilter=("key", "token", "secret"),
        value_groups=("value",),
        validate=_prose_secret_ok,
        anchors=(("key", (0,)), ("token", (0,)), ("secret", (0,))),
        priority=49,
    ),
    Rule(
        "payment.pan",
        Category.PAYMENT_DATA,
        Severity.CRITICAL,
        "payment card number: 13-19 digits (plain, spaced or dashed), known issuer prefix, Luhn-valid",
        _CARD_RE,
        finder=find_cards,
        digit_anchored=True,
        priority=70,
    ),
    Rule(
        "payment.cvv",
        Category.PAYMENT_DATA,
        Severity.CRITICAL,
        "card verification code after a CVV/CVC/CSC/security-code keyword, value only",
        _c(
            r"\b(?:cvv2?|cvc2?|csc|cid|card[ \t]{1,4}security[ \t]{1,4}code|security[ \t]{1,4}code)\b[\"']?"
            r"[ \t]{0,8}(?:[:=#]|is)?[ \t]{0,8}[\"']?(?P<value>\d{3,4})\b",
            _I,
        ),
        prefilter=("cvv", "cvc", "csc", "cid", "security"),
        value_groups=("value",),
        anchors=(("cvv", (0,)), ("cvc", (0,)), ("csc", (0,)), ("cid", (0,)), ("security", (0, -5, -6, -7, -8))),
        priority=70,
    ),
    Rule(
        "payment.track-data",
        Category.PAYMENT_DATA,
        Severity.CRITICAL,
        "magnetic stripe track 1 (%B…^NAME^…?) or track 2 (;PAN=…?) data",
        _c(r"%B\d{13,19}\^[A-Za-z /.'-]{2,26}\^\d{4}[0-9A-Za-z ]{0,79}\?|;\d{13,19}=\d{4}[0-9]{0,40}\?"),
        validate=_track_ok,
        digit_anchored=True,
        anchors=(("%b", (0,)), (";", (0,))),
        priority=72,
    ),
    Rule(
        "sensitive_pii.ssn",
        Category.SENSITIVE_PII,
        Severity.HIGH,
        "US social security number AAA-GG-SSSS with valid area/group/serial",
        _c(r"\d\d\d-\d\d-\d{4}(?![\w-])"),
        digit_anchored=True,
        digit_run_anchor="-",
        validate=lambda v, m: _word_start(m, "-") and ssn_ok(v),
        priority=62,
    ),
    Rule(
        "sensitive_pii.ssn-keyword",
        Category.SENSITIVE_PII,
        Severity.HIGH,
        "US social security number as 9 digits (optionally spaced) after an SSN keyword, value only",
        _c(
            r"\b(?:ssn|social[ \t]{1,4}security(?:[ \t]{1,4}(?:number|no\.?|#))?)"
            r"[\"']?[ \t]{0,4}(?:[:=#]|is)?"
            r"[ \t]{0,4}[\"']?(?P<value>\d{3}[ -]?\d{2}[ -]?\d{4})(?![\w-])",
            _I,
        ),
        prefilter=("ssn", "social"),
        value_groups=("value",),
        validate=_ssn_ok,
        anchors=(("ssn", (0,)), ("social", (0,))),
        priority=61,
    ),
    Rule(
        "sensitive_pii.iban",
        Category.SENSITIVE_PII,
        Severity.HIGH,
        "IBAN with a valid country length and mod-97 checksum",
        _IBAN_START_RE,
        finder=find_ibans,
        digit_anchored=True,
        priority=72,
    ),
    Rule(
        "sensitive_pii.passport",
        Category.SENSITIVE_PII,
        Severity.HIGH,
        "passport number (6-9 letters/digits with a digit) after a passport keyword, value only",
        _c(
            r"\bpassport(?:[ \t]{0,4}(?:number|num|no\.?|#|id))?[\"']?[ \t]{0,8}(?:[:=#]|is)?[ \t]{0,8}[\"']?"
            r"(?P<value>[A-Z0-9]{6,9})\b",
            _I,
        ),
        prefilter=("passport",),
        value_groups=("value",),
        validate=_has_digit,
        anchors=(("passport", (0,)),),
        priority=61,
    ),
    Rule(
        "sensitive_pii.driver-license",
        Category.SENSITIVE_PII,
        Severity.HIGH,
        "driver's licence number after a licence keyword (or DL), value only",
        _c(
            r"(?:\b(?i:driver'?s?[ \t]{1,4}licen[cs]e|driving[ \t]{1,4}licen[cs]e)|\bDL)"
            r"(?i:[ \t]{0,4}(?:number|num|no\.?|#|id))?[\"']?[ \t]{0,8}(?i:[:=#]|is)?[ \t]{0,8}[\"']?"
            r"(?P<value>[A-Za-z0-9][A-Za-z0-9-]{4,18}[A-Za-z0-9])\b"
        ),
        prefilter=("licen", "dl"),
        value_groups=("value",),
        validate=_has_digit,
        anchors=(("driv", (0,)), ("dl", (0,))),
        priority=61,
    ),
    Rule(
        "sensitive_pii.tax-id",
        Category.SENSITIVE_PII,
        Severity.HIGH,
        "US tax id (EIN NN-NNNNNNN, ITIN/TIN 9 digits) after a tax-id keyword, value only",
        _c(
            r"(?:\b(?:EIN|ITIN|TIN)|\b(?i:tax[ \t]{0,4}(?:id|identification)(?:[ \t]{0,4}(?:number|no\.?))?"
            r"|employer[ \t]{1,4}identification[ \t]{1,4}number))"
            r"[\"']?[ \t]{0,8}(?i:[:=#]|is)?[ \t]{0,8}[\"']?"
            r"(?P<value>\d{2}-\d{7}|\d{3}-?\d{2}-?\d{4}|\d{9})(?![\w-])"
        ),
        prefilter=("ein", "tin", "tax", "employer"),
        value_groups=("value",),
        anchors=(("ein", (0,)), ("tin", (0, -1)), ("tax", (0,)), ("employer", (0,))),
        priority=61,
    ),
    Rule(
        "sensitive_pii.bank-account",
        Category.SENSITIVE_PII,
        Severity.HIGH,
        "bank account or routing number (8-17 digits) after an account-number keyword, value only",
        _c(
            r"\b(?:(?:bank|checking|savings)[ \t]{1,4}account(?:[ \t]{0,4}(?:number|num|no\.?|#))?"
            r"|account[ \t]{0,4}(?:number|num|no\.?|#)|acct[ \t]{0,4}(?:number|num|no\.?|#)?"
            r"|routing[ \t]{0,4}(?:number|num|no\.?|#)?|aba[ \t]{0,4}(?:number|routing)?)"
            r"[\"']?[ \t]{0,8}(?:[:=#]|is)?[ \t]{0,8}[\"']?(?P<value>\d{8,17})(?![\w-])",
            _I,
        ),
        prefilter=("account", "acct", "routing", "aba"),
        value_groups=("value",),
        anchors=(("account", (0, -5, -6, -7, -8, -9, -10, -11, -12)), ("acct", (0,)), ("routing", (0,)), ("aba", (0,))),
        priority=61,
    ),
    Rule(
        "contact_pii.email",
        Category.CONTACT_PII,
        Severity.MEDIUM,
        "email address (skips example/test domains, git@ and noreply addresses)",
        _c(r"(?<![\w.%+/-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9][A-Za-z0-9.-]{0,252}\.[A-Za-z]{2,24}\b"),
        prefilter=("@",),
        validate=_email_ok,
        anchors=(("@", (-64, -1)),),
        anchor_search=True,
        priority=30,
    ),
    Rule(
        "contact_pii.phone",
        Category.CONTACT_PII,
        Severity.MEDIUM,
        "phone number: NANP with separators ((415) 555-2671, 415-555-2671, +1 415 555 2671) or +CC intl.",
        _c(
            r"(?:\+1[ .-]?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}"
            r"|\([2-9]\d{2}\)[ .-]?[2-9]\d{2}[.-]\d{4}"
            r"|[2-9]\d{2}[.-][2-9]\d{2}[.-]\d{4}"
            r"|\+[2-9]\d{0,2}[ .-]\d{1,4}(?:[ .-]\d{2,4}){2,4})(?![\w-])"
        ),
        validate=lambda v, m: _word_start(m, ".+-") and _phone_ok(v, m),
        digit_anchored=True,
        anchors=(("+", (0,)), ("(", (0,))),
        digit_run_anchor=".-",
        priority=30,
    ),
)


def _vendor_rule(spec: TokenSpec) -> Rule:
    return Rule(
        spec.rule_id,
        Category.SECRET,
        Severity.CRITICAL,
        spec.description,
        _c(spec.pattern, spec.flags),
        prefilter=spec.literals,
        value_groups=(spec.value_group,) if spec.value_group else (),
        validate=spec.validate or token_ok(spec.prefix_len, spec.min_len),
        anchors=tuple((lit, spec.offsets) for lit in spec.literals),
        priority=88,
    )


VENDOR_RULES: tuple[Rule, ...] = tuple(_vendor_rule(spec) for spec in SPECS)
"""Vendor token families (see :mod:`orchestra.security.vendor_rules`)."""

PII_RULES: tuple[Rule, ...] = (
    Rule(
        "sensitive_pii.national-id",
        Category.SENSITIVE_PII,
        Severity.HIGH,
        "national identifier with a valid check digit (python-stdnum): IT codice fiscale, ES DNI/NIE, BR CPF/CNPJ, "
        "IN PAN, CN RIC, FR NIR, UK NINO by shape; DE Steuer-ID, NL BSN, CA SIN, PL PESEL, IN Aadhaar, "
        "SE personnummer, AU TFN, … after their keyword",
        _c(r"\d{3}"),
        finder=find_national_ids,
        digit_anchored=True,
        priority=63,
    ),
    Rule(
        "sensitive_pii.uk-nino",
        Category.SENSITIVE_PII,
        Severity.HIGH,
        "UK National Insurance number (AB 12 34 56 C; excluded prefixes BG, GB, NK, KN, TN, NT, ZZ)",
        NINO_RE,
        validate=lambda v, m: _word_start(m) and nino_ok(v),
        priority=63,
    ),
    Rule(
        "contact_pii.phone-intl",
        Category.CONTACT_PII,
        Severity.MEDIUM,
        "phone number in international (+CC, 00CC) or national format of 30 regions, validated by libphonenumber; "
        "a national number needs a phone keyword or a trunk-prefixed grouped form",
        _c(r"\d{3}"),
        finder=find_phones,
        priority=29,
    ),
)

DATA_RULES: tuple[Rule, ...] = _BASE_RULES + VENDOR_RULES + PII_RULES
