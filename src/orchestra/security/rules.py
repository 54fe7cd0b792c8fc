"""The rule type and the data rules (secrets, passwords, keys, payment data, PII).

Every pattern is compiled once at import, uses bounded quantifiers only, and is guarded by
a literal prefilter (lower-case substrings, one of which must occur) where one exists.
Execution-risk rules live in :mod:`orchestra.security.risk_rules`.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from orchestra.security import context as ctx
from orchestra.security import sql_values, tables
from orchestra.security.lazy_pattern import lazy_compile
from orchestra.security.model import CATEGORY_MARKERS, Category, Severity
from orchestra.security.pii import NINO_RE, find_national_ids, find_phones, nino_ok
from orchestra.security.validators import (
    IBAN_LENGTHS,
    iban_ok,
    is_code_reference,
    is_payment_card,
    is_placeholder,
    is_uuid,
    looks_random,
    luhn_ok,
    random_letters,
    shannon_entropy,
    ssn_ok,
)
from orchestra.security.vendor_rules import SPECS, TokenSpec, checksum_or_random, crc_checksum_ok, token_ok
from orchestra.security.vendor_rules_more import MORE_SPECS

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

_SEP = (r"""["'`]?\]?(?:[ \t]{0,2}:[ \t]{0,2}&?(?:'static[ \t]{1,4})?[A-Za-z_][\w.<>\[\]|]{0,40}[?]?"""
        r"""(?=[ \t]{0,2}=[ \t]{0,8}["'`]))?"""
        r"""[ \t]{0,40}(?P<sep>:=|=>|->|[:=](?![=:])|>(?=[^<\s]))[ \t]{0,8}(?:\\(?=["']))?""")
"""Key/value separators: ``=``, ``:``, ``:=``, ``=>``, ``->``, and ``>`` of an XML element (``<password>x``), after
a type annotation before a quoted value (``API_KEY: &str = "…"``, ``apiKey: string = '…'``) and aligned spaces
(``password             = "…"``), before an escaped quote (``password=\\"…\\"`` inside a string)."""
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
    if _generic_call(match):
        return False
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


_IDENTIFIER_RE = re.compile(r"[A-Za-z_$][\w$.]*")
_TYPE_ARGUMENTS_CALL_RE = re.compile(r"<[A-Za-z_][^<>\r\n]{0,80}>[ \t]*\(")


def _generic_call(match: re.Match[str]) -> bool:
    """The unquoted value is a name followed by type arguments and a call: ``useState<string | null>(…)``
    (not ``<apiKey>value</apiKey>``, whose value ends at the closing tag)."""
    end = match.end("value")
    return (_TYPE_ARGUMENTS_CALL_RE.match(match.string, end) is not None
            and _IDENTIFIER_RE.fullmatch(match.group("value") or "") is not None)


def _secret_ok(value: str, match: re.Match[str]) -> bool:
    kw = match.group("kw")
    if _generic_call(match):
        return False
    if kw.lower().startswith("session") and _ORCHESTRA_SESSION_ID.match(value):
        return False
    if match.group("sep") == ">" and not _xml_sep_ok(match):
        return False
    prefix, suffix = _key_prefix(match), match.group("suffix") or ""
    name = prefix + kw + suffix
    if ctx.name_is_stopped(name, suffix):
        return False
    if _ARN_BEFORE_RE.search(match.string, max(0, match.start() - 120), match.start()):
        return False  # arn:aws:secretsmanager:<region>:<account>:secret:<name>: a resource name
    raw, quoted = _clean(value, match)
    if not ctx.value_shape_ok(raw, quoted, kw):
        return False
    return ctx.secret_value_ok(raw, quoted, name, strong=ctx.is_strong_name(name))


_ARN_BEFORE_RE = re.compile(r"\barn:aws[\w-]{0,12}:[\w-]{1,40}:[\w-]{0,30}:\d{12}:$")


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


_MYSQL_SPACED_P = re.compile(r"(?i)^(?:mysql|mariadb)[\s\S]*(?<![\w-])-p[ \t]")


def _short_flag_tool_ok(value: str, match: re.Match[str]) -> bool:
    """``mysql -pSECRET`` is a password; ``mysql -p shop`` prompts for one and names the database (a spaced
    value that is a plain identifier is taken for the database)."""
    spaced = _MYSQL_SPACED_P.match(match.group(0)[: match.start("value") - match.start()])
    if spaced and re.fullmatch(r"[a-z_][a-z0-9_]{0,63}", value) and not any(c.isdigit() for c in value):
        return False
    return _short_flag_ok(value, match)


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
"""A ``Cookie:``/``Set-Cookie:`` header or a ``cookies = …`` assignment (a literal prefix: a fast scan)."""
_CURL_COOKIE_RE = re.compile(
    r"(?<![\w-])(?:-b|--cookie)[ \t]{1,4}(?=[\"']?[\w.$%-]{1,64}=)[\"']?(?P<pairs>[^\r\n]{3,4096})", re.ASCII
)
"""curl's ``-b``/``--cookie 'name=value; …'`` (searched only when the text holds ``-b`` or ``--cookie``)."""
_COOKIE_PAIR_RE = re.compile(r"(?:^|[;\s,{])[ \t]*(?P<name>[A-Za-z0-9_.$%-]{1,64})=(?P<value>[^;\s\"',}]{1,4096})")
_COOKIE_ATTRIBUTES = frozenset(
    {"path", "domain", "expires", "max-age", "samesite", "secure", "httponly", "priority", "partitioned", "version",
     "comment", "lang", "locale", "theme", "tz", "timezone", "consent"}
)  # fmt: skip
_COOKIE_CREDENTIAL_NAME = re.compile(
    r"sess|sid|auth|token|jwt|csrf|xsrf|remember|login|identity|secret|key|connect\.|laravel|asp\.net|phpsess",
    re.IGNORECASE,
)


_COOKIE_BENIGN_NAME = re.compile(
    r"_ga(?:_\w{1,24})?|_gid|_gat\w{0,24}|_gcl_\w{1,24}|_fb[pc]|_hj\w{1,40}|_uet[sv]id|ajs_anonymous_id"
    r"|mp_\w{1,40}_mixpanel|_clck|_clsk|theme|lang|locale|tz|timezone",
    re.IGNORECASE,
)
"""Analytics and preference cookies (Google Analytics ``GA1.2.<client>.<time>``, Meta, Hotjar, …): ids, not
credentials."""


def find_cookie_values(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """Values of the name=value pairs of Cookie / Set-Cookie headers and cookie assignments that look like
    session or credential values (attributes such as Path or Expires are skipped)."""
    endpos = len(text) if endpos is None else endpos
    found = _COOKIE_RE.finditer(text, pos, endpos)
    if text.find("-b", pos, endpos) >= 0 or text.find("--cookie", pos, endpos) >= 0:
        found = itertools.chain(found, _CURL_COOKIE_RE.finditer(text, pos, endpos))
    for m in found:
        base = m.start("pairs")
        for pm in _COOKIE_PAIR_RE.finditer(m.group("pairs")):
            name, value = pm.group("name"), pm.group("value")
            if name.lower() in _COOKIE_ATTRIBUTES or ctx.is_reference(value) or _COOKIE_BENIGN_NAME.fullmatch(name):
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


def _discord_id_ok(value: str) -> bool:
    """The first part of a Discord bot token is the base64 of the bot's numeric id (17-20 digits)."""
    head = value.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
    except (ValueError, binascii.Error):
        return False
    return decoded.isdigit() and 17 <= len(decoded) <= 20


def _random_token(min_len: int) -> Validator:
    def check(value: str, _match: re.Match[str]) -> bool:
        body = value.split("_", 1)[-1] if "_" in value[:12] else value
        return not is_placeholder(body) and (looks_random(body, min_len=min_len, min_entropy=2.5)
                                             or random_letters(body, min_len=max(min_len, 20)))

    return check


def _openai_ok(value: str, match: re.Match[str]) -> bool:
    if value.startswith("sk-ant-"):
        return False
    body = value[3:]
    scoped = body.startswith(("proj-", "svcacct-", "admin-"))
    for prefix in ("proj-", "svcacct-", "admin-"):
        body = body.removeprefix(prefix)
    mixed = any(c.isdigit() for c in body) and (any(c.isupper() for c in body) or shannon_entropy(body) >= 3.3)
    if scoped and not mixed:  # a project key without a digit is rare but real: long, both cases, high entropy
        mixed = len(body) >= 32 and any(c.isupper() for c in body) and any(c.islower() for c in body) \
            and shannon_entropy(body) >= 4.0
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
    segment = before[ws + 1 :]
    scheme = segment.rfind("://")
    if scheme < 0:
        return True
    # right after ``scheme://`` it is the URL's userinfo (the URL rule's); past a path, query or field
    # separator (``https://github.com/login,jane@mail.com`` in a CSV row, ``/users/jane@…``) it is an address
    return any(c in _URL_AFTER_AUTHORITY for c in segment[scheme + 3 :])


_URL_AFTER_AUTHORITY = frozenset("/?#&=,;|\"'<>()[]{}")


_BANK_CONTEXT_RE = re.compile(
    r"(?i:bank|routing|iban|swift|\bbic\b|sort[ _-]?code|checking|savings|wire|transfer|refund|payout|deposit"
    r"|beneficiary|überweisung|virement|transferencia|bankrekening|girokonto)"
)


def _bank_account_ok(_value: str, match: re.Match[str]) -> bool:
    """An account number after an explicit keyword (``account number``, ``acct``, ``routing``); after a bare
    ``account`` only with banking words within 80 characters (an AWS or user "account" is no bank's)."""
    if match.group("bare") is None:
        return True
    text = match.string
    return _BANK_CONTEXT_RE.search(text, max(0, match.start() - 80), min(len(text), match.end() + 80)) is not None


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
        _c(r"A(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|PKA|ROA)[A-Z0-9]{16}(?![A-Za-z0-9_])"),
        validate=lambda v, m: _word_start(m) and not is_placeholder(v),
        priority=90,
    ),
    Rule(
        "secret.aws.secret-after-key-id",
        Category.SECRET,
        Severity.CRITICAL,
        "AWS secret access key (40 chars) passed right after its access key id (Credentials(\"AKIA…\", \"…\"), "
        "NewStaticCredentialsProvider, CLI arguments), value only",
        _c(
            r"A(?:KIA|SIA)[A-Z0-9]{16}[\"']?[ \t]{0,4}[,:;/| \t][ \t]{0,4}(?:[A-Za-z_]{1,24}[ \t]{0,2}[:=][ \t]{0,2})?"
            r"[\"']?(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        prefilter=("akia", "asia"),
        value_groups=("value",),
        validate=_random_token(40),
        anchors=(("akia", (0,)), ("asia", (0,))),
        priority=90,
    ),
    Rule(
        "secret.discord.bot-token",
        Category.SECRET,
        Severity.CRITICAL,
        "Discord bot token (base64 of the bot's numeric id . 6 . 27-38), in a text that names a bot, Discord, a token "
        "or a client login",
        _c(r"(?<![A-Za-z0-9_-])[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}(?![A-Za-z0-9_-])"),
        prefilter=("discord", "bot", "token", "login", "client"),
        validate=lambda v, m: _discord_id_ok(v),
        priority=89,
    ),
    Rule(
        "secret.asana.pat",
        Category.SECRET,
        Severity.CRITICAL,
        "Asana personal access token (1/… or 2/<16 digits>/<16 digits>:<32 hex>)",
        _c(r"(?<![\w/])[12]/\d{16}/\d{16}:[a-f0-9]{32}(?![\w])"),
        digit_anchored=True,
        validate=lambda v, m: not is_placeholder(v),
        priority=89,
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
        "rabbitmqadmin -p X, docker login -p X; -P is a port), value only",
        _c(
            r"\b(?:(?i:mysql(?:dump|admin|import|sh)?|mariadb(?:-dump)?|sshpass|mongo(?:sh|dump|restore|export|import)?"
            r"|rabbitmqadmin|(?:docker|podman|helm[ \t]registry|nerdctl|buildah|skopeo)[ \t]{1,4}login)\b"
            r"[^\n|;&]{0,160}?(?<![\w-])-p|(?i:redis-cli)\b[^\n|;&]{0,160}?(?<![\w-])-a)(?:[ \t]{1,4})?"
            r"(?P<value>\"[^\"\r\n]{1,256}\"|'[^'\r\n]{1,256}'|[^\s\"'-][^\s\"']{0,255})",
        ),
        prefilter=("mysql", "mariadb", "sshpass", "mongo", "login", "redis-cli", "rabbitmqadmin"),
        value_groups=("value",),
        validate=_short_flag_tool_ok,
        anchors=(("mysql", (0,)), ("mariadb", (0,)), ("sshpass", (0,)), ("mongo", (0,)), ("docker", (0,)),
                 ("podman", (0,)), ("helm", (0,)), ("nerdctl", (0,)), ("buildah", (0,)), ("skopeo", (0,)),
                 ("redis-cli", (0,)), ("rabbitmqadmin", (0,))),
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
        "password.dsn-userinfo",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password in a Go MySQL DSN without a scheme (user:pass@tcp(host:3306)/db, @unix(…)), value only",
        _c(r"(?<![\w/:.@-])[\w.-]{1,64}:(?P<value>[^\s@/:\"'`]{1,128})@(?:tcp|unix)\("),
        prefilter=("@tcp(", "@unix("),
        value_groups=("value",),
        validate=lambda v, m: not is_placeholder(v) and not v.startswith(("%", "$", "{")),
        priority=63,
    ),
    Rule(
        "password.basic-auth-encode",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password in user:password piped to base64 (echo -n 'user:pass' | base64: Basic auth being built), "
        "value only",
        _c(r"\becho[ \t]{1,4}(?:-[ne]{1,2}[ \t]{1,4})?[\"']?[^\s:\"']{1,64}:(?P<value>[^\s\"']{3,128})[\"']?"
           r"[ \t]{0,4}\|[ \t]{0,4}(?:openssl[ \t]{1,4})?base64"),
        prefilter=("base64",),
        value_groups=("value",),
        validate=lambda v, m: not is_placeholder(v) and not v.startswith(("$", "%")),
        anchors=(("echo", (0,)),),
        priority=63,
    ),
    Rule(
        "password.redis-auth",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password of a Redis AUTH command (AUTH pass, AUTH user pass, MONITOR's \"AUTH\" \"pass\"), value only",
        _c(r"(?<![\w-])\"?AUTH\"?[ \t]{1,4}(?:\"[^\"\s]{1,64}\"[ \t]{1,4}(?=\")|[\w.-]{1,64}[ \t]{1,4}(?=[^\s\"]))?"
           r"(?P<value>\"[^\"\r\n]{1,256}\"|[^\s\"]{4,256})(?=[ \t]{0,8}(?:$|[\r\n]))"),
        prefilter=("auth",),
        value_groups=("value",),
        validate=lambda v, m: not is_placeholder(v) and not v.startswith(("$", "%", "<")) and not v.isupper()
        and not (v.isalpha() and v.islower()),  # "AUTH failed", "AUTH required": words, not a password
        anchors=(("auth", (0, -1)),),
        priority=62,
    ),
    Rule(
        "password.assignment",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password assigned in code or config (password=, \"passwd\": …, PGPASSWORD=…, <password>…</password>, "
        "Pwd=… in a connection string), value only",
        _c(
            r"(?P<kw>pass(?:word|wd|phrase|code)|pwd|pw(?![a-z])|pass(?![a-z])|psk(?![a-z]))(?P<suffix>[A-Za-z0-9_]{0,24})"
            + _SEP + _VALUE,
            _I,
        ),
        prefilter=("pass", "pwd", "pw", "psk"),
        value_groups=("value",),
        validate=_password_ok,
        literal_window=(8, 1200),
        anchors=(("pass", (0,)), ("pw", (0,)), ("psk", (0,))),
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
        "session or credential value in a Cookie / Set-Cookie header, document.cookie assignment or curl -b / "
        "--cookie argument, values only",
        _c(r"(?:(?i:cookie)[\"']?[ \t]{0,4}[:=]|(?<![\w-])-b[ \t]{1,4}[\"']?[\w.$%-]{1,64}=)[ \t]{0,4}[\"']?"
           r"(?P<pairs>[^\r\n]{3,4096})"),
        prefilter=("cookie", "-b"),
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
            r"\b(?:cvv2?|cvc2?|csc|cid|card[ \t]{1,4}security[ \t]{1,4}code|security[ \t]{1,4}code)\b[\"'\])]{0,2}"
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
            r"(?<![a-z])(?:passport|reisepass|passeport|pasaporte|passaporto|passaporte|paspoort|paszport)"
            r"(?:[ \t_.-]{0,4}(?:number|num|nummer|numéro|numero|número|nr|no|n\.?º|#|id)\.?)?"
            r"(?:[ \t]{1,4}(?:de|do|du|n\.?º|nr\.?|no\.?))?[\"']?[ \t]{0,8}(?:[:=#]|is)?[ \t]{0,8}[\"']?"
            r"(?P<value>[A-Z0-9]{6,9})\b",
            _I,
        ),
        prefilter=("pass", "pasaporte", "paspoort", "paszport"),
        value_groups=("value",),
        validate=_has_digit,
        anchors=(("pass", (0, -5)), ("pasaporte", (0,)), ("paspoort", (0,)), ("paszport", (0,))),
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
            r"(?<![a-z0-9])(?:(?:bank|checking|savings)[ \t_.-]{0,4}account(?:[ \t_.-]{0,4}(?:number|num|nr|no\.?|#))?"
            r"|account[ \t_.-]{0,4}(?:number|num|nr|no\.?|#)|acct[ \t_.-]{0,4}(?:number|num|nr|no\.?|#)?"
            r"|routing[ \t_.-]{0,4}(?:number|num|nr|no\.?|#)?|aba[ \t_.-]{0,4}(?:number|routing)?"
            r"|(?P<bare>account|kontonummer|konto|numéro de compte|número de cuenta|rekeningnummer))(?![a-z0-9])"
            r"[\"']?[ \t]{0,8}(?:[:=#]|is)?[ \t]{0,8}[\"']?(?P<value>\d{8,17})(?![\w-])",
            _I,
        ),
        prefilter=("account", "acct", "routing", "aba", "konto", "compte", "cuenta", "rekening"),
        value_groups=("value",),
        validate=_bank_account_ok,
        anchors=(("account", (0, -4, -5, -6, -7, -8, -9, -10, -11, -12)), ("acct", (0,)), ("routing", (0,)),
                 ("aba", (0,)), ("konto", (0,)), ("compte", (-10,)), ("cuenta", (-10,)), ("rekening", (0,))),
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
        Category(spec.category),
        Severity.CRITICAL,
        spec.description,
        _c(spec.pattern, spec.flags),
        prefilter=spec.literals,
        value_groups=(spec.value_group,) if spec.value_group else (),
        validate=spec.validate or token_ok(spec.prefix_len, spec.min_len),
        anchors=tuple((lit, spec.offsets) for lit in spec.literals),
        priority=88,
    )


VENDOR_RULES: tuple[Rule, ...] = tuple(_vendor_rule(spec) for spec in SPECS + MORE_SPECS)
"""Vendor token families (see :mod:`orchestra.security.vendor_rules` and ``vendor_rules_more``)."""

PII_RULES: tuple[Rule, ...] = (
    Rule(
        "sensitive_pii.national-id",
        Category.SENSITIVE_PII,
        Severity.HIGH,
        "national identifier with a valid check digit (python-stdnum): IT codice fiscale, ES DNI/NIE, BR CPF/CNPJ, "
        "IN PAN, CN RIC, FR NIR, AR CUIT, CL RUT, KR RRN, SE personnummer, FI HETU, SG NRIC, MX CURP/RFC, US ITIN, "
        "GB driving licence by shape; DE Steuer-ID, NL BSN, CA SIN, PL PESEL, IN Aadhaar, AU TFN, US SSN/EIN/"
        "routing, NO fødselsnummer, JP My Number, BE national number, TR kimlik, licences, … after their keyword "
        "(any key syntax: tax_id, taxId, TAX-ID)",
        _c(r"\d{3}"),
        finder=find_national_ids,
        digit_anchored=True,
        priority=60,
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



def _bare_password_ok(value: str, match: re.Match[str]) -> bool:
    raw, quoted = _clean(value, match)
    raw = raw.rstrip(".,;:!?)")
    if quoted:
        return ctx.value_shape_ok(raw, True, "pass") and ctx.password_value_ok(raw, True, spaced_code=False)
    return ctx.bare_password_ok(raw)


def _stdin_ok(value: str, match: re.Match[str]) -> bool:
    raw, quoted = _clean(value, match)
    if not ctx.value_shape_ok(raw, quoted, "") or raw.startswith("-"):
        return False
    return ctx.password_value_ok(raw, quoted, spaced_code=False, min_len=3)


MAX_SECRET_DATA_ENTRIES = 1024
"""Entries read per ``data:`` block (a bound for adversarial texts; a Secret holds at most 1 MiB)."""
_K8S_DATA_RE = re.compile(r"(?m)^(?P<indent>[ \t]*)(?:data|stringData):[ \t]*\r?\n")
_K8S_ENTRY_RE = re.compile(
    r"(?m)^(?P<indent>[ \t]+)[\"']?[A-Za-z0-9_.-]{1,128}[\"']?:[ \t]+(?P<value>[^\s#][^\r\n]{0,4095})$"
)


def find_k8s_secret_values(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """Values of the ``data:``/``stringData:`` map of a ``kind: Secret`` manifest (YAML, one document)."""
    endpos = len(text) if endpos is None else endpos
    for kind in re.finditer(r"kind:[ \t]{0,4}Secret\b", text[pos:endpos]):
        doc_start = text.rfind("\n---", 0, pos + kind.start()) + 1
        doc_end = text.find("\n---", pos + kind.end())
        doc_end = endpos if doc_end < 0 else min(doc_end, endpos)
        for block in _K8S_DATA_RE.finditer(text, doc_start, doc_end):
            base = len(block.group("indent"))
            i = block.end()
            for _ in range(MAX_SECRET_DATA_ENTRIES):
                if i >= doc_end:
                    break
                entry = _K8S_ENTRY_RE.match(text, i, doc_end)
                if entry is None or len(entry.group("indent")) <= base:
                    break
                raw, _ = ctx.clean_value(entry.group("value"))
                if raw and not ctx.is_reference(raw) and raw not in ("|", ">", "|-", ">-"):
                    start = entry.start("value")
                    end = entry.end("value")
                    if text[start] in "\"'" and text[end - 1] == text[start]:
                        start, end = start + 1, end - 1
                    yield start, end
                i = entry.end() + 1


# ---------------------------------------------------------------------------------------------------------
# more secrets by context: positional literals near a keyword, quoted name/value pairs, more CLI tools,
# prose, HCL variables

_KEYWORD_LITERAL_RE = _c(
    r"(?i:secret|token|key|hmac|jwt|signing|credential|auth|bearer)(?P<gap>[A-Za-z0-9_.-]{0,24}+"
    r"(?![A-Za-z0-9_.-])[^\r\n]{0,60}?)"
    r"(?<![A-Za-z0-9+/=_.~-])(?P<value>[A-Za-z0-9+/_.~-]{20,512}={0,2})(?![A-Za-z0-9+/_.~=-])"
)
_KEYWORD_LITERALS = ("secret", "token", "key", "hmac", "jwt", "signing", "credential", "auth", "bearer")


def _keyword_literal_ok(value: str, match: re.Match[str]) -> bool:
    raw = value.rstrip(".") if value.endswith(".") else value
    return ctx.keyword_literal_ok(match.string, match.start(), match.start("gap"), match.start("value"), raw)


_CLIENT_LITERALS = ("client", "fernet", "aesgcm", "aessiv", "aesccm", "chacha20poly1305", "sdk", "minio",
                    "algoliasearch", "razorpay")
"""Constructors that take credentials positionally: API clients and SDKs (``…Client``, ``…Sdk``, MinIO's
``Minio(endpoint, access_key, secret_key)``, ``algoliasearch(app_id, api_key)``, ``Razorpay(key_id, secret)``)
and symmetric ciphers."""
_CLIENT_LITERAL_RE = _c(
    r"(?i:" + "|".join(_CLIENT_LITERALS) + r")[ \t]{0,2}\([ \t]{0,2}"
    r"(?:b?(?:\"[^\"\r\n]{1,128}\"|'[^'\r\n]{1,128}')[ \t]{0,2},[ \t]{0,2}){0,2}"
    r"b?(?P<value>\"[^\"\r\n]{16,512}\"|'[^'\r\n]{16,512}')[ \t]{0,2}[,)]"
)


def _client_literal_ok(value: str, match: re.Match[str]) -> bool:
    raw, _quoted = _clean(value, match)
    return ctx.client_literal_ok(match.string, match.start(), raw)


def _jwt_key_ok(value: str, match: re.Match[str]) -> bool:
    raw, _quoted = _clean(value, match)
    if ctx.is_algorithm(raw) or not ctx.value_shape_ok(raw, True, ""):
        return False
    return ctx.secret_value_ok(raw, True, "secret", strong=True)


def _cli_token_ok(value: str, match: re.Match[str]) -> bool:
    raw, _quoted = _clean(value, match)
    if is_placeholder(raw) or ctx.is_reference(raw):
        return False
    return is_uuid(raw) or ctx.secret_value_ok(raw, True, "token", strong=True)


def _quoted_pair_ok(value: str, match: re.Match[str]) -> bool:
    name = match.group("name")
    raw, _quoted = _clean(value, match)
    if not ctx.value_shape_ok(raw, True, "") or ctx.name_is_stopped(name, ""):
        return False
    if re.search(r"(?:_|\b|-)(?:id|url|uri|name|path|file|arn|type|header)$", name, re.IGNORECASE):
        return False
    if re.search(r"pass|pwd", name, re.IGNORECASE):
        return ctx.password_value_ok(raw, True, spaced_code=False)
    return ctx.secret_value_ok(raw, True, name, strong=ctx.is_strong_name(name))


_QUOTED_PAIR = (
    r"(?P<q>[\"'])(?P<name>[A-Za-z0-9_.:-]{3,80}+)(?P=q)[ \t]{0,4}(?:,|=>)[ \t]{0,4}"
    r"b?(?P<value>\"[^\"\r\n]{1,512}\"|'[^'\r\n]{1,512}')"
)


_FOREIGN_PASSWORD_WORDS = (
    "mot de passe", "mdp", "passwort", "kennwort", "contraseña", "contrasena", "clave", "senha", "wachtwoord",
    "hasło", "haslo", "lösenord", "losenord", "passord", "adgangskode", "salasana", "heslo", "şifre", "sifre",
    "parol", "jelszó", "jelszo", "kata sandi", "mật khẩu", "пароль", "密码", "口令", "パスワード", "비밀번호", "암호",
    "κωδικός", "סיסמה", "كلمة المرور", "كلمة السر", "पासवर्ड",
)  # fmt: skip
"""The word for "password" in other languages (French, German, Spanish, Portuguese, Dutch, Polish, the Nordic
languages, Czech, Turkish, Romanian, Hungarian, Indonesian, Vietnamese, Russian, Chinese, Japanese, Korean,
Greek, Hebrew, Arabic, Hindi): lower case, as the prefilter sees the text."""
_FOREIGN_PASSWORD_RE = _c(
    r"(?i:" + "|".join(re.escape(w).replace(r"\ ", r"[ \t]") for w in _FOREIGN_PASSWORD_WORDS) + r")"
    r"\w{0,3}(?:[ \t]{1,3}[^\s:=：]{1,20}){0,4}?"
    r"(?:[ \t]{0,3}[:=：][ \t]{0,3}|[ \t]{1,3}(?i:ist|lautet|est|es|era|é|er|är|on|jest|je|is|war|será|sera)[ \t]{1,3}"
    r"|[ \t]{0,2}(?:是|为|は|는|은|이)[ \t]{0,2})"
    r"(?P<value>\"[^\"\r\n]{3,128}\"|'[^'\r\n]{3,128}'|`[^`\r\n]{3,128}`|[^\s\"'`，。、]{3,128})"
)
_VALUE_FIRST_PASSWORD_RE = _c(
    r"(?P<value>\"[^\"\r\n]{3,64}\"|'[^'\r\n]{3,64}'|`[^`\r\n]{3,64}`)[ \t]{1,3}(?i:as|for)[ \t]{1,3}"
    r"(?:(?i:the|my|your|a|our|their|his|her|its)[ \t]{1,3})?(?:[\w.-]{1,20}[ \t]{1,3}){0,2}?"
    r"(?i:pass(?:word|phrase|code)?|pwd|pw)\b(?![ \t_-]{0,2}(?i:reset|field|polic|manager|hash|prompt|flow|rule"
    r"|check|length|strength|input|box|form|change|recovery|expir|rotation|requirement|hint))"
)


def _identified_by_ok(value: str, match: re.Match[str]) -> bool:
    raw, quoted = _clean(value, match)
    if raw.lower() in ("values", "password", "externally", "globally", "random", "'") or not raw:
        return False
    if quoted:
        return ctx.value_shape_ok(raw, True, "") and ctx.password_value_ok(raw, True, spaced_code=False)
    return _prose_password_ok(value, match)


def _pgpass_ok(value: str, match: re.Match[str]) -> bool:
    port = match.group("port")
    if port != "*" and not 1 <= int(port) <= 65535:
        return False
    return ctx.value_shape_ok(value, False, "") and ctx.password_value_ok(value, False, spaced_code=False)


def _prose_set_ok(value: str, match: re.Match[str]) -> bool:
    raw = value.rstrip(".,;:!?)")
    if raw.lower() in ("to", "the", "a", "default", "blank", "empty", "random", "something", "back"):
        return False
    return _prose_password_ok(value, match)


def _userpass_ok(value: str, match: re.Match[str]) -> bool:
    user = match.group("user")
    if not any(c.isalpha() for c in user) or user.lower() in ("https", "http", "ftp", "ssh", "see", "in", "at"):
        return False
    return _prose_password_ok(value, match)


def _hcl_ok(value: str, match: re.Match[str]) -> bool:
    name = match.group("name")
    raw, _ = _clean(value, match)
    if not ctx.value_shape_ok(raw, True, "") or ctx.name_is_stopped(name, ""):
        return False
    if re.search(r"pass|pwd", name, re.IGNORECASE):
        return ctx.password_value_ok(raw, True, spaced_code=False)
    return ctx.secret_value_ok(raw, True, name, strong=ctx.is_strong_name(name))


def _hcl_password_ok(value: str, match: re.Match[str]) -> bool:
    return bool(re.search(r"pass|pwd", match.group("name"), re.I)) and _hcl_ok(value, match)


def _hcl_secret_ok(value: str, match: re.Match[str]) -> bool:
    name = match.group("name")
    return not re.search(r"pass|pwd", name, re.I) and bool(re.search(r"secret|token|key|credential", name, re.I)) \
        and _hcl_ok(value, match)


CONTEXT_RULES: tuple[Rule, ...] = (
    Rule(
        "secret.keyword-literal",
        Category.SECRET,
        Severity.HIGH,
        "generated-looking literal within 60 characters after a secret keyword (hmac.new(b\"…\"), "
        "jwt.encode(p, \"…\"), \"Datadog key …\", secret_access_key …): long, varied, high entropy, not a hash, "
        "UUID, reference or path, value only",
        _KEYWORD_LITERAL_RE,
        prefilter=_KEYWORD_LITERALS,
        value_groups=("value",),
        validate=_keyword_literal_ok,
        anchors=tuple((lit, (0,)) for lit in _KEYWORD_LITERALS),
        priority=45,
    ),
    Rule(
        "secret.jwt-signing-key",
        Category.SECRET,
        Severity.HIGH,
        "literal key given to a JWT library's sign/encode call after the payload (jwt.sign({…}, '…'), "
        "jwt.encode(claims, \"…\", algorithm=…)), not an algorithm name, value only",
        _c(
            r"\b(?i:jwt|jws|jose)\.(?:sign|encode|Sign|Encode)[ \t]{0,2}\([^;\r\n]{0,300}?,[ \t]{0,4}b?"
            r"(?P<value>\"[^\"\r\n]{8,512}\"|'[^'\r\n]{8,512}')[ \t]{0,4}[,)]"
        ),
        prefilter=("jwt.", "jws.", "jose."),
        value_groups=("value",),
        validate=_jwt_key_ok,
        anchors=(("jwt.", (0,)), ("jws.", (0,)), ("jose.", (0,))),
        priority=50,
    ),
    Rule(
        "secret.cli-tool-token",
        Category.SECRET,
        Severity.HIGH,
        "token given to a CI or deploy tool's short flag (codecov -t, vercel/netlify/fly -t, sonar-scanner "
        "-Dsonar.login=/-Dsonar.token=), value only",
        _c(
            r"\b(?:codecov(?:cli)?|vercel|netlify|flyctl|fly|snyk|sonar-scanner|mvn|gradle)\b[^\n|;&]{0,200}?"
            r"(?<![\w-])(?:-t[ \t]{1,4}|-Dsonar\.(?:login|token)=)"
            r"(?P<value>\"[^\"\r\n]{16,256}\"|'[^'\r\n]{16,256}'|[A-Za-z0-9_.-]{16,256})"
        ),
        prefilter=("codecov", "vercel", "netlify", "fly", "snyk", "sonar"),
        value_groups=("value",),
        validate=_cli_token_ok,
        anchors=tuple((t, (0,)) for t in ("codecov", "vercel", "netlify", "flyctl", "fly", "snyk", "sonar-scanner",
                                          "mvn", "gradle")),
        priority=55,
    ),
    Rule(
        "secret.client-literal",
        Category.SECRET,
        Severity.HIGH,
        "generated-looking literal passed positionally to an API client or a cipher (DeepgramClient(\"…\"), "
        "Fernet(b\"…\"), AESGCM(b\"…\"), twilio.Client(sid, \"…\")): long, varied, high entropy, not a name, URL, "
        "path, reference or public id, value only",
        _CLIENT_LITERAL_RE,
        prefilter=_CLIENT_LITERALS,
        value_groups=("value",),
        validate=_client_literal_ok,
        anchors=tuple((lit, (0,)) for lit in _CLIENT_LITERALS),
        priority=45,
    ),
    Rule(
        "password.quoted-pair",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password as the second of two quoted arguments or a hash pair (define('DB_PASSWORD', '…'), "
        "setenv(\"PGPASSWORD\", \"…\"), 'password' => '…'), value only",
        _c(_QUOTED_PAIR),
        prefilter=("pass", "pwd"),
        value_groups=("value",),
        validate=lambda v, m: bool(re.search(r"pass(?!port|enger|through|age)|pwd", m.group("name"), re.I))
        and _quoted_pair_ok(v, m),
        literal_window=(48, 600),
        priority=59,
    ),
    Rule(
        "secret.quoted-pair",
        Category.SECRET,
        Severity.HIGH,
        "secret as the second of two quoted arguments or a hash pair (Header.Set(\"X-Api-Key\", \"…\"), "
        "set_secret(\"api_token\", \"…\"), 'auth_key' => '…'), value only",
        _c(_QUOTED_PAIR),
        prefilter=("secret", "token", "key", "auth", "credential"),
        value_groups=("value",),
        validate=lambda v, m: not re.search(r"pass|pwd", m.group("name"), re.I)
        and bool(re.search(r"secret|token|key|auth|credential", m.group("name"), re.I)) and _quoted_pair_ok(v, m),
        literal_window=(48, 600),
        priority=49,
    ),
    Rule(
        "password.cli-tool-flag",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password given to a tool's own short flag (sqlcmd/bcp -P, zip/unzip -P, 7z -pX, ldapsearch -w, "
        "az login -p, smbclient -U user%pass, openssl -k / -pass pass:, ConvertTo-SecureString \"…\" -AsPlainText, "
        "mc alias set name url access secret), value only",
        _c(
            r"\b(?:(?:sqlcmd|bcp|osql|isql|zip|unzip)\b[^\n|;&]{0,160}?(?<![\w-])-P[ \t]{1,4}"
            r"|(?:7z|7za|7zz|rar|unrar)\b[^\n|;&]{0,160}?(?<![\w-])-p"
            r"|ldap(?:search|modify|add|delete|passwd|whoami|compare|exop|url)?\b[^\n|;&]{0,160}?(?<![\w-])-w[ \t]{1,4}"
            r"|az[ \t]login\b[^\n|;&]{0,200}?(?<![\w-])-p[ \t]{1,4}"
            r"|(?:smbclient|rpcclient|smbmap|smbget|crackmapexec|nxc)\b[^\n|;&]{0,160}?(?<![\w-])-U[ \t]{1,4}"
            r"[^\s%]{1,64}%"
            r"|openssl\b[^\n|;&]{0,200}?(?<![\w-])(?:-k[ \t]{1,4}|-pass(?:in|out)?[ \t]{1,4}[\"']?pass:)"
            r"|(?i:ConvertTo-SecureString)[ \t]{1,4}(?:-String[ \t]{1,4})?"
            r"(?=[\"'][^\"'\r\n]{1,256}[\"'][ \t]{1,4}-AsPlainText)"
            r"|\bmc[ \t]{1,4}(?:alias[ \t]{1,4}set|config[ \t]{1,4}host[ \t]{1,4}add)[ \t]{1,4}\S{1,64}"
            r"[ \t]{1,4}\S{1,512}[ \t]{1,4}\S{1,128}[ \t]{1,4})"
            r"(?P<value>\"[^\"\r\n]{1,256}\"|'[^'\r\n]{1,256}'|[^\s\"'-][^\s\"']{0,255})"
        ),
        prefilter=("sqlcmd", "bcp", "osql", "isql", "zip", "7z", "rar", "ldap", "az login", "smb", "rpcclient",
                   "crackmapexec", "nxc", "openssl", "convertto-securestring", "mc "),
        value_groups=("value",),
        validate=_short_flag_ok,
        anchors=tuple((t, (0,)) for t in ("sqlcmd", "bcp", "osql", "isql", "zip", "unzip", "7z", "rar", "unrar",
                                          "ldap", "az login", "smbclient", "rpcclient", "smbmap", "smbget",
                                          "crackmapexec", "nxc", "openssl", "convertto-securestring", "mc ")),
        priority=62,
    ),
    Rule(
        "password.prose-set",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password said to be set or changed to a value (\"the db password was set to …\", \"password is now …\"), "
        "value only",
        _c(
            r"\b(?i:pass(?:word|phrase|code)?|pwd|pw)\b[ \t]{1,3}(?:(?i:was|is|has[ \t]been|got|were|are|just)"
            r"[ \t]{1,3})?(?i:set|changed|reset|updated|rotated|now)(?:[ \t]{1,3}(?i:to|back[ \t]to|into|as))?"
            r"[ \t]{1,3}"
            r"(?P<value>\"[^\"\r\n]{3,128}\"|'[^'\r\n]{3,128}'|`[^`\r\n]{3,128}`|[^\s\"'`]{3,128})"
        ),
        prefilter=("pass", "pwd", "pw"),
        value_groups=("value",),
        validate=_prose_set_ok,
        anchors=(("pass", (0,)), ("pw", (0,))),
        priority=58,
    ),
    Rule(
        "password.prose-userpass",
        Category.PASSWORD,
        Severity.CRITICAL,
        "user and password after a credentials keyword (\"creds for staging are ops:…\", \"Login: admin / …\"), "
        "password only",
        _c(
            r"\b(?i:creds|credentials?|logins?|user(?:name)?[ \t]?/[ \t]?pass(?:word)?|u/p)\b[^\r\n]{0,40}?"
            r"(?:[ \t]|[:=](?=[ \t]?[A-Za-z0-9_.@-]{1,40}[ \t]{0,2}(?:[ \t]/[ \t]|:)))[ \t]?"
            r"(?P<user>[A-Za-z0-9_.@-]{1,40})(?:[ \t]{1,2}/[ \t]{1,2}|:)(?P<value>[^\s\"'`/]{3,64})(?=$|[\s,;)])"
        ),
        prefilter=("cred", "login", "user", "u/p"),
        value_groups=("value",),
        validate=_userpass_ok,
        anchors=(("cred", (0,)), ("login", (0,)), ("user", (0,)), ("u/p", (0,))),
        priority=57,
    ),
    *(
        Rule(
            f"{cat.value}.hcl-variable",
            cat,
            Severity.CRITICAL if cat is Category.PASSWORD else Severity.HIGH,
            f"default value of a Terraform/HCL variable named like a {what} (variable \"{example}\" "
            "{ default = \"…\" }), value only",
            _c(
                r"\bvariable[ \t]{1,4}\"(?P<name>[A-Za-z0-9_-]{1,80}+)\"[ \t]{0,4}\{"
                r"[^}]{0,300}?\bdefault[ \t]{0,4}=[ \t]{0,4}(?P<value>\"[^\"\r\n]{1,256}\")"
            ),
            prefilter=("variable",),
            value_groups=("value",),
            validate=_hcl_password_ok if cat is Category.PASSWORD else _hcl_secret_ok,
            anchors=(("variable", (0,)),),
            priority=60,
        )
        for cat, what, example in (
            (Category.PASSWORD, "password", "db_password"),
            (Category.SECRET, "secret", "api_token"),
        )
    ),
    Rule(
        "password.sql-identified-by",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password of an SQL account statement (MySQL/MariaDB/Oracle IDENTIFIED BY '…', IDENTIFIED WITH plugin "
        "BY '…', Oracle IDENTIFIED BY word), value only",
        _c(
            r"\b(?i:identified)[ \t]{1,8}(?:(?i:with)[ \t]{1,8}\w{1,40}[ \t]{1,8})?(?i:by)[ \t]{1,8}"
            r"(?:(?i:password)[ \t]{1,8})?"
            r"(?P<value>'[^'\r\n]{1,128}'|\"[^\"\r\n]{1,128}\"|[^\s;'\"]{1,128})"
        ),
        prefilter=("identified",),
        value_groups=("value",),
        validate=_identified_by_ok,
        anchors=(("identified", (0,)),),
        priority=60,
    ),
    Rule(
        "password.pgpass",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password field of a PostgreSQL .pgpass line (host:port:database:user:password), value only",
        _c(
            r"(?m)^[ \t]{0,8}(?:\*|localhost|[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}):(?P<port>\d{2,5}|\*)"
            r":[\w.$*-]{1,128}:[\w.@$*-]{1,128}:(?P<value>[^\s]{1,256})[ \t]*$"
        ),
        value_groups=("value",),
        validate=_pgpass_ok,
        digit_anchored=True,
        priority=60,
    ),
    Rule(
        "password.foreign-keyword",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password after the word for it in another language (\"mot de passe : …\", \"Passwort ist …\", "
        "\"contraseña: …\", \"senha …\", \"пароль: …\", \"密码是…\"), value only",
        _FOREIGN_PASSWORD_RE,
        prefilter=_FOREIGN_PASSWORD_WORDS,
        value_groups=("value",),
        validate=_prose_set_ok,
        anchors=tuple((w, (0,)) for w in _FOREIGN_PASSWORD_WORDS),
        priority=58,
    ),
    Rule(
        "password.value-first",
        Category.PASSWORD,
        Severity.CRITICAL,
        "quoted value named a password after it (\"use 'Winter2024!' as the password\", \"`x` for the db pw\"), "
        "value only",
        _VALUE_FIRST_PASSWORD_RE,
        prefilter=("pass", "pwd", "pw"),
        value_groups=("value",),
        validate=_prose_set_ok,
        literal_window=(100, 40),  # the match ends 8 after "pass"; its lookahead reads 30 more
        priority=57,
    ),
    Rule(
        "password.prose-bare",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password named in prose with no connector (\"with password kx2?\", \"new password Xy7!…, old one…\", "
        "\"authenticate with password 'X'\"): a quoted value, or one with letters, digits and symbols/case",
        _c(
            r"\b(?i:pass(?:word|phrase)|passwd|pw)\b[ \t]{1,2}(?:(?i:to|of|=)[ \t]{1,2})?"
            r"(?P<value>\"[^\"\r\n]{3,128}\"|'[^'\r\n]{3,128}'|`[^`\r\n]{3,128}`|[^\s\"'`,;()\[\]{}<>]{5,64})"
            r"(?=$|[\s,;.!?)\]])"
        ),
        prefilter=("pass", "pw"),
        value_groups=("value",),
        validate=_bare_password_ok,
        anchors=(("pass", (0,)), ("pw", (0,))),
        priority=56,
    ),
    Rule(
        "password.config-directive",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password in a space-separated config directive (redis requirepass/masterauth, slapd rootpw, bindpw, "
        "pgbouncer/keepalived auth_pass), value only",
        _c(
            r"(?m:^)[ \t]{0,8}(?i:requirepass|masterauth|masteruser_?pass|rootpw|bindpw|auth_pass|ldap_bind_pw"
            r"|bind_?pw|dbpass|db_pass|mysql_pass)[ \t]{1,8}(?P<value>\"[^\"\r\n]{1,256}\"|'[^'\r\n]{1,256}'"
            r"|[^\s\"'#][^\s\"']{0,255})[ \t]*(?=\r?\n|$)"
        ),
        prefilter=("requirepass", "masterauth", "masteruser", "rootpw", "bindpw", "auth_pass", "bind_pw",
                   "ldap_bind_pw", "dbpass", "db_pass", "mysql_pass"),
        value_groups=("value",),
        validate=lambda v, m: ctx.value_shape_ok(*_clean(v, m), "") and ctx.password_value_ok(
            *_clean(v, m), spaced_code=False, min_len=3),
        literal_window=(16, 300),
        priority=62,
    ),
    Rule(
        "password.stdin",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password piped or fed to a tool (echo X | sudo -S, sudo -S <<< X, echo X | docker login --password-stdin, "
        "--password-file=<(echo X), htpasswd -b FILE USER X), value only",
        _c(
            r"(?:\b(?:echo|printf)[ \t]{1,4}(?:-[nE][ \t]{1,4})?(?P<value>\"[^\"\r\n]{1,256}\"|'[^'\r\n]{1,256}'"
            r"|[^\s\"'|$-][^\s\"'|]{0,255})[ \t]{0,4}(?:\|[ \t]{0,4}(?=[^\n]{0,120}?(?:sudo[ \t]{1,4}-S|"
            r"--password-stdin|passwd|chpasswd|cryptsetup|sshpass|-passin|--passphrase-fd|kinit|smbpasswd))|\)"
            r"(?<=\))(?=[^\n]{0,0})))|\bsudo[ \t]{1,4}-S[^\n<]{0,80}<<<[ \t]{0,4}(?P<v2>\"[^\"\r\n]{1,256}\""
            r"|'[^'\r\n]{1,256}'|[^\s\"']{1,256})|\bhtpasswd[ \t]{1,4}-[a-zA-Z]{0,4}b[a-zA-Z]{0,4}[ \t]{1,4}"
            r"(?:-[a-zA-Z]{1,4}[ \t]{1,4})?[^\s-]\S{0,255}+[ \t]{1,4}[^\s-]\S{0,63}+[ \t]{1,4}"
            r"(?P<v3>\"[^\"\r\n]{1,256}\""
            r"|'[^'\r\n]{1,256}'|[^\s\"']{1,256})"
        ),
        prefilter=("echo", "printf", "sudo", "htpasswd"),
        value_groups=("value", "v2", "v3"),
        validate=_stdin_ok,
        anchors=(("echo", (0,)), ("printf", (0,)), ("sudo", (0,)), ("htpasswd", (0,))),
        priority=61,
    ),
    Rule(
        "password.userpass-literal",
        Category.PASSWORD,
        Severity.CRITICAL,
        "\"user:password\" literal given to a USERPWD/credentials option (CURLOPT_USERPWD, userpass, basic_auth), "
        "password only",
        _c(
            r"(?i:userpwd|user_?pass(?:word)?|userinfo|basic_?auth|credentials?|auth)[\"']?[ \t]{0,4}[,:=][ \t]{0,4}"
            r"(?P<q>[\"'])[^\"':\s/@]{1,64}:(?P<value>[^\"'\s]{1,128})(?P=q)"
        ),
        prefilter=("userpwd", "userpass", "user_pass", "userinfo", "basic", "credential", "auth"),
        value_groups=("value",),
        validate=lambda v, m: not v.isdigit() and _short_flag_ok(v, m),
        literal_window=(16, 300),
        priority=63,
    ),
    Rule(
        "password.db-connect-args",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password as the positional argument of a database connect call (new PDO(dsn, user, 'X'), "
        "mysqli_connect(host, user, 'X'), new mysqli(host, user, 'X')), value only",
        _c(
            r"\b(?:new[ \t]{1,2}(?:PDO|mysqli)|mysqli?_connect|mysqli_real_connect|oci_connect|sqlsrv_connect"
            r"|DriverManager\.getConnection|pymysql\.connect|MySQLdb\.connect)[ \t]?\([ \t]?"
            r"(?:[^,()\r\n]{1,200},[ \t]?){1,2}?(?P<q>[\"'])[^\"'\r\n]{1,64}(?P=q)[ \t]?,[ \t]?"
            r"(?P<value>\"[^\"\r\n]{1,256}\"|'[^'\r\n]{1,256}')"
        ),
        prefilter=("pdo", "mysqli", "mysql_connect", "oci_connect", "sqlsrv_connect", "getconnection", "connect("),
        value_groups=("value",),
        validate=_call_arg_ok,
        literal_window=(40, 400),
        priority=61,
    ),
    Rule(
        "password.xml-keyed-element",
        Category.PASSWORD,
        Severity.CRITICAL,
        "password as the text of an element whose key/name attribute names it (<entry key=\"jdbc.password\">X"
        "</entry>, <param name=\"dbPassword\">X</param>), value only",
        _c(
            r"<(?P<tag>[A-Za-z][A-Za-z0-9:._-]{0,30})[ \t][^>\r\n]{0,120}?\b(?:key|name|id)=[\"']"
            r"(?P<name>[^\"'\r\n<>]{1,120}+)[\"'][^>\r\n]{0,120}?>"
            r"(?P<value>[^<\r\n]{1,256})</(?P=tag)>"
        ),
        prefilter=("pass", "pwd"),
        value_groups=("value",),
        validate=lambda v, m: bool(re.search(r"pass|pwd", m.group("name"), re.I))
        and not ctx.name_is_stopped(m.group("name"), "") and ctx.value_shape_ok(v, True, "")
        and ctx.password_value_ok(v, True, spaced_code=False),
        literal_window=(200, 400),
        priority=62,
    ),
    Rule(
        "secret.presigned-signature",
        Category.SECRET,
        Severity.HIGH,
        "signature or session token in a presigned URL (X-Amz-Signature, Signature, X-Goog-Signature, "
        "X-Amz-Security-Token), value only",
        _c(
            r"[?&](?i:x-amz-signature|signature|x-goog-signature|x-amz-security-token|x-goog-credential-token)="
            r"(?P<value>[A-Za-z0-9%+/=_.-]{20,4096})"
        ),
        prefilter=("signature=", "security-token="),
        value_groups=("value",),
        validate=lambda v, m: not is_placeholder(v) and shannon_entropy(v) >= 3.5,
        literal_window=(24, 4200),
        priority=70,
    ),
    Rule(
        "secret.kubernetes-secret-data",
        Category.SECRET,
        Severity.HIGH,
        "values under data:/stringData: of a Kubernetes Secret manifest (kind: Secret), values only",
        _c(r"kind:[ \t]{0,4}Secret\b"),
        prefilter=("kind:",),
        finder=find_k8s_secret_values,
        priority=58,
    ),
)
"""Secrets by context beyond plain assignments (see :mod:`orchestra.security.context`)."""


def _table_rule(category: Category, severity: Severity, finder: Callable[..., Iterator[tuple[int, int]]]) -> Rule:
    hints = tables.HEADER_HINTS[category.value]
    return Rule(
        f"{category.value}.table-column",
        category,
        severity,
        f"{category.value.replace('_', ' ')} in the cells of a table column whose header names it (CSV, TSV, "
        "semicolon or pipe table: card_number, cvv, phone, ssn, iban, password, token, …), each cell checked "
        "by its column's validator",
        _c("(?i:" + "|".join(re.escape(h) for h in hints) + ")"),
        prefilter=hints,
        finder=finder,
        priority=57,
    )


def find_table_payment(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """Cards and CVVs in the columns of a table that names them."""
    return tables.table_values(text, "payment_data", pos, endpos)


def find_table_contact(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """Phone numbers in the columns of a table that names them."""
    return tables.table_values(text, "contact_pii", pos, endpos)


def find_table_ids(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """National ids, accounts and passports in the columns of a table that names them."""
    return tables.table_values(text, "sensitive_pii", pos, endpos)


def find_table_passwords(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """Passwords in the column of a table that names it."""
    return tables.table_values(text, "password", pos, endpos)


def find_table_secrets(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """Tokens and keys in the columns of a table that names them."""
    return tables.table_values(text, "secret", pos, endpos)


TABLE_RULES: tuple[Rule, ...] = (
    _table_rule(Category.PAYMENT_DATA, Severity.CRITICAL, find_table_payment),
    _table_rule(Category.CONTACT_PII, Severity.MEDIUM, find_table_contact),
    _table_rule(Category.SENSITIVE_PII, Severity.HIGH, find_table_ids),
    _table_rule(Category.PASSWORD, Severity.CRITICAL, find_table_passwords),
    _table_rule(Category.SECRET, Severity.HIGH, find_table_secrets),
)
"""Values in the columns of a table whose header names them (see :mod:`orchestra.security.tables`)."""




def _insert_rule(category: Category, severity: Severity) -> Rule:
    def find(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
        return sql_values.insert_values(text, category.value, pos, endpos)

    find.__name__ = f"find_insert_{category.value}"
    find.__doc__ = f"{category.value} literals of the columns an SQL INSERT names."
    return Rule(
        f"{category.value}.sql-insert-column",
        category,
        severity,
        f"{category.value.replace('_', ' ')} in the VALUES of an SQL INSERT whose column list names it "
        "(password, password_plain, api_key, token, phone, ssn, card_number, …; not password_hash or "
        "password_changed_at), each literal checked by its column's validator",
        _c(r"(?i:insert)"),
        prefilter=("insert",),
        finder=find,
        priority=57,
    )


SQL_INSERT_RULES: tuple[Rule, ...] = tuple(
    _insert_rule(category, severity) for category, severity in (
        (Category.PASSWORD, Severity.CRITICAL), (Category.SECRET, Severity.HIGH),
        (Category.PAYMENT_DATA, Severity.CRITICAL), (Category.SENSITIVE_PII, Severity.HIGH),
        (Category.CONTACT_PII, Severity.MEDIUM)))
"""Literals of the columns an SQL ``INSERT`` names (see :mod:`orchestra.security.sql_values`)."""


DATA_RULES: tuple[Rule, ...] = (_BASE_RULES + VENDOR_RULES + PII_RULES + CONTEXT_RULES + TABLE_RULES
                                + SQL_INSERT_RULES)
