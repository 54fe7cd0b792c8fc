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

from orchestra.security.model import CATEGORY_MARKERS, Category, Severity
from orchestra.security.validators import (
    IBAN_LENGTHS,
    iban_ok,
    is_code_reference,
    is_payment_card,
    is_placeholder,
    is_uuid,
    looks_random,
    luhn_ok,
    ssn_ok,
)

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

_SEP = r"""["']?[ \t]{0,8}(?P<sep>:=|=>|[:=](?![=:]))[ \t]{0,8}"""
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_CALL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*[(\[]")
_PATH_RE = re.compile(r"^(?:~?/|\.{1,2}/|[A-Za-z]:\\)[^\s]*[/\\]")
_URL_VALUE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,20}://")
_STOP_SUFFIX_RE = re.compile(
    r"^[_.-]?(?:s|name|names|ref|id|ids|type|types|url|uri|endpoint|path|file|files|count|limit|len|length|size"
    r"|budget|usage|ttl|expiry|expires|expires_?in|expiration|env|var|header|field|prefix|version|format|kind"
    r"|provider|store|manager|arn|hash|hashed|digest|policy|min|max|regex|pattern|label|prompt|hint|rotation"
    r"|enabled|required|source|location|dir|mode|strength|reset|changed|length_?min|length_?max|validator)$",
    re.IGNORECASE,
)


def _unquote(value: str) -> tuple[str, bool]:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1], True
    return value, False


def _key_prefix(match: re.Match[str]) -> str:
    """The identifier characters directly before the keyword (``PG`` in ``PGPASSWORD``)."""
    text, i = match.string, match.start()
    j = i
    while j > 0 and i - j < 48 and text[j - 1] in _KEY_CHARS:
        j -= 1
    return text[j:i]


def _assignment_value_ok(value: str, match: re.Match[str], *, secret: bool) -> bool:
    suffix = match.group("suffix") or ""
    if _STOP_SUFFIX_RE.match(suffix):
        return False
    raw, quoted = _unquote(value)
    if not quoted:
        raw = raw.rstrip(")]}>")
    if len(raw) < (12 if secret else 4 if quoted else 6) or is_placeholder(raw):
        return False
    low = raw.lower()
    if match.group("kw").lower() in low or is_uuid(raw):
        return False
    if _CALL_RE.match(raw) or _PATH_RE.match(raw) or _URL_VALUE_RE.match(raw):
        return False
    if not quoted and is_code_reference(raw):
        between = match.group(0)[: match.start("value") - match.start()]
        spaced_assignment = match.group("sep") in ("=", ":=") and " " in between
        if secret or spaced_assignment or not raw.islower() or "." in raw:
            return False
    return not secret or looks_random(raw)


def _password_ok(value: str, match: re.Match[str]) -> bool:
    kw = match.group("kw").lower()
    if kw in ("pass", "pwd"):
        prefix = _key_prefix(match)
        if prefix and prefix[-1].islower() and match.group("kw")[0].islower():
            return False  # "bypass", "cwd"-like words
    return _assignment_value_ok(value, match, secret=False)


# Orchestra's own delegation handles (task:run:phase:runtime:suffix) are ids, not credentials.
_ORCHESTRA_SESSION_ID = re.compile(
    r"^[\"']?[A-Za-z0-9][A-Za-z0-9._-]{0,63}(?::[A-Za-z0-9._-]{1,64}){3}:(?:[0-9a-f]{16}|[0-9a-f]{6})[\"']?$"
)


def _secret_ok(value: str, match: re.Match[str]) -> bool:
    if match.group("kw").lower().startswith("session") and _ORCHESTRA_SESSION_ID.match(value):
        return False
    return _assignment_value_ok(value, match, secret=True)


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
    mixed = any(c.isupper() for c in body) and any(c.isdigit() for c in body)
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
    return re.compile(pattern, flags | re.ASCII)


_I = re.IGNORECASE

# ---------------------------------------------------------------------------------------------------------
# the data rules

DATA_RULES: tuple[Rule, ...] = (
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
        validate=_random_token(20),
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
        validate=_random_token(20),
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
        "password given as a command-line flag (--password X, --password=X), value only",
        _c(
            r"(?<![\w-])--?(?:password|passwd|pass)[ =]"
            r"(?P<value>\"[^\"\r\n]{1,256}\"|'[^'\r\n]{1,256}'|[^\s\"'-][^\s\"']{0,255})",
            _I,
        ),
        prefilter=("-pass",),
        value_groups=("value",),
        validate=lambda v, _m: len(v.strip("\"'")) >= 4 and not is_placeholder(v),
        anchors=(("-pass", (0, -1)),),
        priority=62,
    ),
    Rule(
        "password.assignment",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password assigned in code or config (password=, \"passwd\": …, PGPASSWORD=…), value only",
        _c(
            r"(?P<kw>pass(?:word|wd|phrase)|pwd|pass(?![a-z]))(?P<suffix>[A-Za-z0-9_]{0,24})" + _SEP
            + r"(?P<value>\"[^\"\r\n]{1,256}\"|'[^'\r\n]{1,256}'|[^\s\"',;]{1,256})",
            _I,
        ),
        prefilter=("pass", "pwd"),
        value_groups=("value",),
        validate=_password_ok,
        literal_window=(8, 320),
        anchors=(("pass", (0,)), ("pwd", (0,))),
        priority=60,
    ),
    Rule(
        "secret.assignment",
        Category.SECRET,
        Severity.HIGH,
        "high-entropy value assigned to a secret-named key (api_key=, SECRET=, token: …), value only",
        _c(
            r"(?P<kw>api[_-]?key|apikey|secret|token|access[_-]?key|private[_-]?key|auth[_-]?key|signing[_-]?key"
            r"|encryption[_-]?key|credential|session[_-]?id)(?P<suffix>[A-Za-z0-9_]{0,24})" + _SEP
            + r"(?P<value>\"[^\"\s]{1,512}\"|'[^'\s]{1,512}'|[^\s\"',;]{1,512})",
            _I,
        ),
        prefilter=("key", "secret", "token", "credential", "session"),
        value_groups=("value",),
        validate=_secret_ok,
        literal_window=(16, 600),
        anchors=(
            ("key", (-3, -4, -5, -6, -7, -8, -10, -11)),
            ("secret", (0,)),
            ("token", (0,)),
            ("credential", (0,)),
            ("session", (0,)),
        ),
        priority=50,
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
