"""Execution-risk rules: prompt injection, destructive shell/SQL, unsafe URLs, path traversal.

These are reported, never redacted, and only change the outcome for execution sinks (see
:mod:`orchestra.security.policy`). They are deliberately narrow: ordinary SQL, shell commands,
backticks and ``http://`` URLs are engineering text, not risks.
"""

from __future__ import annotations

import re
from functools import lru_cache

from orchestra.security.hosts import HostError, Scope, classify_host, normalize_host
from orchestra.security.model import Category, Severity
from orchestra.security.rules import Rule

_I = re.IGNORECASE | re.ASCII

_DANGEROUS_SCHEMES = frozenset(
    {"file", "gopher", "dict", "ldap", "jar", "php", "expect", "javascript", "vbscript", "data"}
)
_UNSAFE_SCOPES = frozenset(
    {Scope.LOOPBACK, Scope.LINK_LOCAL, Scope.PRIVATE, Scope.SHARED, Scope.METADATA, Scope.UNSPECIFIED}
)


def _url_unsafe(value: str, _match: re.Match[str]) -> bool:
    """Dangerous scheme, or a host that reaches a non-public address (credentials are data findings)."""
    return _url_value_unsafe(value)


@lru_cache(maxsize=4096)
def _url_value_unsafe(value: str) -> bool:
    """:func:`_url_unsafe` of one value (a pure function of it: cached, the same URLs recur in a text)."""
    scheme = value.split(":", 1)[0].lower()
    if scheme in _DANGEROUS_SCHEMES:
        return True
    rest = value.split("://", 1)[1] if "://" in value else ""
    authority = rest.split("/", 1)[0].rpartition("@")[2]
    host = re.split(r"[?#]", authority, maxsplit=1)[0]
    if host.startswith("["):
        host = host[: host.find("]") + 1] if "]" in host else host
    elif ":" in host:
        host = host.split(":", 1)[0]
    try:
        return classify_host(normalize_host(host)) in _UNSAFE_SCOPES
    except (HostError, UnicodeDecodeError, ValueError):
        return True


_DIRECTIVE_STARTS = (
    "ignore", "disregard", "forget", "override", "reveal", "disclose", "print", "show", "leak", "repeat",
    "bypass", "disable", "you", "enable", "new",
)  # fmt: skip
"""Every word a prompt-injection directive can start with (its anchors)."""

RISK_RULES: tuple[Rule, ...] = (
    Rule(
        "risk.prompt-injection.directive",
        Category.PROMPT_INJECTION,
        Severity.CRITICAL,
        "instruction-override phrases (ignore/disregard previous instructions, reveal the system prompt, "
        "bypass safety, developer mode, …)",
        re.compile(
            r"\b(?:(?:ignore|disregard|forget|override)[ \t]{1,4}(?:all[ \t]{1,4}|any[ \t]{1,4})?"
            r"(?:(?:of[ \t]{1,4})?(?:the|your|my)[ \t]{1,4})?"
            r"(?:previous|prior|above|earlier|preceding|system)"
            r"[ \t]{1,4}(?:instructions|prompts?|directions|rules|guidelines|messages)"
            r"|(?:reveal|disclose|print|show|leak|repeat)[ \t]{1,4}(?:me[ \t]{1,4})?(?:the|your)[ \t]{1,4}"
            r"(?:system|hidden|initial)[ \t]{1,4}(?:prompt|instructions)"
            r"|(?:bypass|disable|ignore)[ \t]{1,4}(?:the[ \t]{1,4}|your[ \t]{1,4}|all[ \t]{1,4})?"
            r"(?:safety|content|security)?[ \t]{0,4}(?:policy|policies|guardrails|filters|safety)"
            r"|you[ \t]{1,4}are[ \t]{1,4}now[ \t]{1,4}(?:in[ \t]{1,4})?"
            r"(?:dan|developer[ \t]{1,4}mode|jailbroken)"
            r"|enable[ \t]{1,4}developer[ \t]{1,4}mode|new[ \t]{1,4}system[ \t]{1,4}prompt[ \t]{0,4}:)",
            _I,
        ),
        prefilter=("ignore", "disregard", "forget", "override", "reveal", "disclose", "print", "show", "leak",
                   "repeat", "bypass", "disable", "you are now", "developer mode", "system prompt"),
        anchors=tuple((word, (0,)) for word in _DIRECTIVE_STARTS),
        priority=20,
    ),
    Rule(
        "risk.shell.destructive",
        Category.SHELL_COMMAND,
        Severity.CRITICAL,
        "destructive shell: rm -rf on / ~ * or $HOME, mkfs, dd to a disk device, fork bomb, chmod -R 777 /",
        re.compile(
            r"\brm[ \t]{1,4}(?:-[A-Za-z]{1,8}[ \t]{1,4}){0,3}"
            r"-(?:[A-Za-z]{0,6}r[A-Za-z]{0,6}f|[A-Za-z]{0,6}f[A-Za-z]{0,6}r)[A-Za-z]{0,6}[ \t]{1,4}"
            r"(?:--no-preserve-root[ \t]{1,4})?(?:/|~/?|\*|\$HOME/?|/\*)(?=[\s;&|)'\"`]|$)"
            r"|\bmkfs(?:\.[a-z0-9]{1,8})?[ \t]{1,4}/dev/"
            r"|\bdd[ \t]{1,4}[^\n]{0,200}\bof=/dev/(?:sd|hd|nvme|disk|mmcblk)"
            r"|:\(\)[ \t]{0,2}\{[ \t]{0,2}:[ \t]{0,2}\|[ \t]{0,2}:[ \t]{0,2}&[ \t]{0,2}\}"
            r"[ \t]{0,2};[ \t]{0,2}:"
            r"|\bchmod[ \t]{1,4}-R[ \t]{1,4}0?777[ \t]{1,4}/(?=[\s;&|]|$)",
            re.ASCII,
        ),
        prefilter=("rm ", "rm\t", "mkfs", "of=/dev/", ":()", "chmod"),
        anchors=(("rm", (0,)), ("mkfs", (0,)), ("dd", (0,)), (":()", (0,)), ("chmod", (0,))),
        priority=20,
    ),
    Rule(
        "risk.shell.pipe-to-shell",
        Category.SHELL_COMMAND,
        Severity.CRITICAL,
        "download piped into a shell or interpreter (curl … | sh, wget -O- … | bash, iwr … | iex)",
        re.compile(
            r"\b(?:curl|wget|fetch)\b[^\n|]{0,500}\|[ \t]{0,4}"
            r"(?:sudo[ \t]{1,4}(?:-[A-Za-z]{1,4}[ \t]{1,4}){0,2})?"
            r"(?:ba|z|k|da|fi)?sh\b"
            r"|\b(?:iwr|invoke-webrequest|irm|invoke-restmethod)\b[^\n|]{0,500}\|[ \t]{0,4}"
            r"(?:iex|invoke-expression)\b",
            _I,
        ),
        prefilter=("curl", "wget", "fetch", "iwr", "irm", "invoke-"),
        anchors=(("curl", (0,)), ("wget", (0,)), ("fetch", (0,)), ("iwr", (0,)), ("invoke-", (0,)), ("irm", (0,))),
        priority=20,
    ),
    Rule(
        "risk.sql.destructive",
        Category.SQL_COMMAND,
        Severity.HIGH,
        "destructive or injected SQL: DROP TABLE/DATABASE/SCHEMA, '; DELETE FROM', '; TRUNCATE', ' OR '1'='1",
        re.compile(
            r"\bdrop[ \t]{1,4}(?:table|database|schema)\b"
            r"|;[ \t\r\n]{0,8}(?:delete[ \t]{1,4}from|truncate[ \t]{1,4}(?:table[ \t]{1,4})?[A-Za-z_\"`])"
            r"|'[ \t]{0,4}or[ \t]{1,4}'?1'?[ \t]{0,4}=[ \t]{0,4}'?1",
            _I,
        ),
        prefilter=("drop", "delete", "truncate", "' or", "'or"),
        anchors=(
            ("drop", (0,)),
            ("delete", tuple(range(-1, -10, -1))),
            ("truncate", tuple(range(-1, -10, -1))),
            ("'", (0,)),
        ),
        priority=20,
    ),
    Rule(
        "risk.url.unsafe",
        Category.UNSAFE_URL,
        Severity.HIGH,
        "URL with a dangerous scheme (file:, javascript:, gopher:, data: …) or a loopback/private/"
        "link-local/metadata host (SSRF)",
        re.compile(
            r"\b(?:[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s<>\"'`)\]]{1,2048}|(?:javascript|vbscript|data):[^\s<>\"'`]{1,2048})",
            re.ASCII,
        ),
        prefilter=("://", "javascript:", "vbscript:", "data:"),
        validate=_url_unsafe,
        literal_window=(24, 2060),
        anchors=(("://", (-21, -2)), ("javascript:", (0,)), ("vbscript:", (0,)), ("data:", (0,))),
        anchor_search=True,
        priority=20,
    ),
    Rule(
        "risk.path.traversal",
        Category.PATH_TRAVERSAL,
        Severity.HIGH,
        "path traversal to sensitive places (../../etc/passwd, ..%2f, /proc/self, C:\\Windows\\System32)",
        re.compile(
            r"(?:\.\.[/\\]){2,16}(?:etc|proc|root|windows|boot|var/log|home/[^/\s]{1,64}/\.ssh|\.ssh|\.aws|\.env)\b"
            r"|(?:%2e%2e(?:%2f|%5c|/|\\)|\.\.(?:%2f|%5c)|%252e%252e%252f)"
            r"|(?:^|[\s\"'=(])(?:/etc/(?:passwd|shadow|sudoers)|/proc/self/(?:environ|mem|cmdline)"
            r"|[A-Za-z]:\\windows\\system32\\config)",
            _I,
        ),
        prefilter=("../", "..\\", "%2e", "..%", "/etc/", "/proc/self", "system32"),
        anchors=(
            ("..", (0,)),
            ("%2", (0,)),
            ("/etc/", (0, -1)),
            ("/proc/self/", (0, -1)),
            ("\\windows\\system32\\config", (-2, -3)),
        ),
        priority=20,
    ),
)
