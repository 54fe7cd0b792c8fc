"""Provider egress: may these messages go to this provider at this base URL?

Provider ids are normalised (NFKC, case-folded; format and control characters refused).
Internal providers (``ollama``) are private-only: a literal loopback, RFC 1918 or IPv6 ULA
address, or exactly ``localhost``; link-local only for addresses the operator allowlists
(``providers.linkLocalAllowlist``). Every other provider must reach a public address: no
loopback, private, shared (CGNAT), link-local, reserved or metadata literal, and no DNS name
that is local (``.internal``, single label) or resolves to an address it spells (``*.nip.io``).
Metadata and credential endpoints are refused for everyone. Encoded host forms are normalised
first (see :mod:`orchestra.security.hosts`). Message content goes through the guard with the ``provider``
sink: restricted data blocks, prompt injection quarantines, contact PII is redacted.
The HTTP client must not follow redirects on its own: check each ``Location`` with
:func:`check_provider_redirect`.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from orchestra.security.detectors import Detector
from orchestra.security.guard import SecurityGuard
from orchestra.security.hosts import (
    HostError,
    IPAddress,
    Scope,
    classify_host,
    local_name_reason,
    normalize_host,
)
from orchestra.security.model import (
    OUTCOME_RANK,
    EgressDecision,
    Encoding,
    GuardContext,
    Outcome,
    ProviderMessage,
    SanitizedFinding,
    Sink,
)
from orchestra.security.opaque_ids import opaque_id
from orchestra.security.redaction import analyze
from orchestra.security.rules import DATA_RULES

INTERNAL_PROVIDERS: frozenset[str] = frozenset({"ollama"})
DEFAULT_BASE_URLS: dict[str, str] = {"ollama": "http://localhost:11434/v1"}
INTERNAL_SCOPES: frozenset[Scope] = frozenset({Scope.LOOPBACK, Scope.PRIVATE})
MAX_URL_CHARS = 2048
_PROVIDER_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ProviderIdError(ValueError):
    """The provider id is not a plain identifier."""


def normalize_provider_id(raw: str) -> str:
    """NFKC, trimmed, case-folded; format/control characters or anything outside ``[a-z0-9._-]`` refused."""
    if not isinstance(raw, str) or len(raw) > 256:
        raise ProviderIdError("provider id too long")
    text = unicodedata.normalize("NFKC", raw)
    if any(unicodedata.category(c) in ("Cf", "Cc", "Cs", "Co", "Cn", "Zl", "Zp") for c in text):
        raise ProviderIdError("provider id holds format or control characters")
    text = text.strip().casefold()
    if not _PROVIDER_ID_RE.fullmatch(text):
        raise ProviderIdError("provider id must be letters, digits, '.', '_' or '-'")
    return text


def parse_link_local_allowlist(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Operator allowlist entries (addresses or networks) inside 169.254.0.0/16 or fe80::/10."""
    out: list[IPNetwork] = []
    for entry in entries:
        network = ipaddress.ip_network(str(entry).strip(), strict=False)
        if classify_host(network.network_address) is not Scope.LINK_LOCAL or \
                classify_host(network.broadcast_address) is not Scope.LINK_LOCAL:
            raise ValueError(f"{entry!s:.64} is not a link-local address or network")
        out.append(network)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class BaseUrlVerdict:
    """The base URL check on its own."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    scope: Scope | None = None
    normalized: str | None = None


def _fail(reason: str, scope: Scope | None = None) -> BaseUrlVerdict:
    return BaseUrlVerdict(ok=False, reasons=[reason], scope=scope)


def _split_authority(netloc: str) -> tuple[str, str]:
    """``(host, port)`` from an authority without userinfo; raises :class:`HostError`."""
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise HostError("unterminated IPv6 literal")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise HostError("junk after IPv6 literal")
        return host, rest[1:]
    if netloc.count(":") > 1:
        raise HostError("IPv6 literal without brackets")
    host, _, port = netloc.partition(":")
    return host, port


def _render_host(host: str | IPAddress) -> str:
    if isinstance(host, str):
        return host
    return f"[{host.compressed}]" if host.version == 6 else str(host)


def check_base_url(provider_id: str, base_url: str | None, *,
                   link_local_allow: Sequence[IPNetwork] = ()) -> BaseUrlVerdict:
    """Judge a provider base URL (``None`` means the provider's default, or no network for others)."""
    try:
        provider = normalize_provider_id(provider_id)
    except ProviderIdError:
        return _fail("provider_id_invalid")
    internal = provider in INTERNAL_PROVIDERS
    if base_url is None:
        default = DEFAULT_BASE_URLS.get(provider)
        if default is None:
            return BaseUrlVerdict(ok=True)
        base_url = default
    raw = base_url.strip(" \t\r\n\f\v")
    if not raw or len(raw) > MAX_URL_CHARS:
        return _fail("base_url_invalid")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 or c == "\\" for c in raw):
        return _fail("base_url_invalid")
    try:
        parts = urlsplit(raw)
    except ValueError:
        return _fail("base_url_invalid")
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return _fail("base_url_scheme_not_allowed")
    if not internal and scheme != "https":
        return _fail("base_url_https_required")
    netloc = parts.netloc
    if "@" in netloc or "%40" in netloc.lower():
        return _fail("base_url_userinfo_not_allowed")
    try:
        raw_host, port = _split_authority(netloc)
        host = normalize_host(raw_host)
    except (HostError, UnicodeDecodeError, ValueError):
        return _fail("base_url_host_invalid")
    if port and (not port.isascii() or not port.isdigit() or not 0 < int(port) <= 65535):
        return _fail("base_url_port_invalid")
    scope = classify_host(host)
    refusal = _scope_refusal(host, scope, internal=internal, link_local_allow=link_local_allow)
    if refusal:
        return _fail(refusal, scope)
    port_part = f":{int(port)}" if port else ""
    normalized = f"{scheme}://{_render_host(host)}{port_part}{parts.path}"
    return BaseUrlVerdict(ok=True, reasons=[], scope=scope, normalized=normalized)


def _scope_refusal(host: str | IPAddress, scope: Scope, *, internal: bool,
                   link_local_allow: Sequence[IPNetwork]) -> str | None:
    if scope is Scope.METADATA:
        return "base_url_metadata_address"
    if scope is Scope.UNSPECIFIED:
        return "base_url_unspecified_address"
    if scope is Scope.RESERVED:
        return "base_url_reserved_address"
    if scope is Scope.LINK_LOCAL:
        allowed = internal and not isinstance(host, str) and any(host in net for net in link_local_allow)
        return None if allowed else "base_url_link_local_not_allowed"
    if internal:
        if isinstance(host, str) and host != "localhost":
            return "base_url_dns_name_not_allowed"
        return None if scope in INTERNAL_SCOPES else "base_url_not_private"
    if scope is not Scope.PUBLIC:
        return "base_url_not_public"
    if isinstance(host, str):
        reason = local_name_reason(host)
        if reason == "local":
            return "base_url_local_name"
        if reason == "wildcard":
            return "base_url_wildcard_dns"
    return None


def check_provider_redirect(provider_id: str, current_url: str, location: str, *,
                            link_local_allow: Sequence[IPNetwork] = ()) -> BaseUrlVerdict:
    """Judge a redirect target like a base URL (relative locations resolve against ``current_url``)."""
    try:
        target = urljoin(current_url, location.strip())
    except ValueError:
        return _fail("base_url_invalid")
    verdict = check_base_url(provider_id, target, link_local_allow=link_local_allow)
    if not verdict.ok:
        return BaseUrlVerdict(False, ["redirect_" + r for r in verdict.reasons], verdict.scope)
    return verdict


@functools.cache
def default_guard() -> SecurityGuard:
    """A process-wide guard with a random key (fingerprints do not correlate across processes)."""
    return SecurityGuard(secrets.token_bytes(32))


def _merge(findings: list[SanitizedFinding]) -> list[SanitizedFinding]:
    grouped: dict[str, list[SanitizedFinding]] = {}
    for f in findings:
        grouped.setdefault(f.rule_id, []).append(f)
    out: list[SanitizedFinding] = []
    for rule_id in sorted(grouped):
        fs = grouped[rule_id]
        out.append(
            fs[0].model_copy(
                update={
                    "count": sum(f.count for f in fs),
                    "spans": [],
                    "fingerprints": [fp for f in fs for fp in f.fingerprints][:100],
                }
            )
        )
    return out


def _as_message(message: ProviderMessage | Mapping[str, str]) -> ProviderMessage:
    if isinstance(message, ProviderMessage):
        return message
    return ProviderMessage(role=str(message.get("role", "user")), content=str(message.get("content", "")))


def check_provider_egress(
    provider_id: str,
    base_url: str | None,
    messages: Sequence[ProviderMessage | Mapping[str, str]],
    *,
    guard: SecurityGuard | None = None,
    request_id: str | None = None,
    link_local_allow: Sequence[IPNetwork] = (),
    sink: Sink = Sink.PROVIDER,
) -> EgressDecision:
    """Allowed only when the base URL passes and every message may reach ``sink``.

    ``Sink.PROVIDER`` (a caller's own messages, sent as written): restricted data blocks, engineering text
    (shell, SQL, URLs, paths) and prompt injection quarantine. ``Sink.PROVIDER_HISTORY`` (a stored thread
    sent as data): restricted data is redacted, engineering text passes wrapped as untrusted data, prompt
    injection quarantines (chat_respond leaves such messages out before it gets here).
    """
    decision_id = opaque_id("egress-", 8)
    try:
        guard = guard or default_guard()
        verdict = check_base_url(provider_id, base_url, link_local_allow=link_local_allow)
        try:
            shown_id = normalize_provider_id(provider_id)
        except ProviderIdError:
            shown_id = "invalid"
        outcome = Outcome.ALLOW if verdict.ok else Outcome.BLOCK
        reasons: list[str] = list(verdict.reasons)
        findings: list[SanitizedFinding] = []
        passed: list[ProviderMessage] = []
        encoding = Encoding.NONE if sink is Sink.PROVIDER else Encoding.UNTRUSTED_DATA
        context = GuardContext(request_id=request_id, encoding=encoding, source_kind="model-message")
        for raw in messages:
            message = _as_message(raw)
            decision = guard.guard(message.content, sink, context)
            findings.extend(decision.findings)
            if OUTCOME_RANK[decision.outcome] > OUTCOME_RANK[outcome]:
                outcome = decision.outcome
            reasons.extend(r for r in decision.reasons if r != "no_findings" and r not in reasons)
            if decision.text is not None:
                passed.append(ProviderMessage(role=message.role, content=decision.text))
        allowed = outcome in (Outcome.ALLOW, Outcome.REDACT)
        return EgressDecision(
            decision_id=decision_id,
            provider_id=shown_id,
            allowed=allowed,
            outcome=outcome,
            reasons=reasons or ["egress_allowed"],
            findings=_merge(findings),
            network_scope=verdict.scope.value if verdict.scope is not None else None,
            normalized_base_url=verdict.normalized,
            messages=passed if allowed else None,
        )
    except Exception:
        return EgressDecision(
            decision_id=decision_id,
            provider_id="invalid",
            allowed=False,
            outcome=Outcome.BLOCK,
            reasons=["guard_internal_error"],
        )


_URL_RE = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{0,20}://[^\s\"'<>]{1,2048}")
_BEARER_RE = re.compile(r"\b(bearer)\s{1,8}[^\s\"',;]{1,4096}", re.IGNORECASE)
_HEADER_RE = re.compile(
    r"\b(authorization|proxy-authorization|x-goog-api-key|x-api-key|api[-_]?key|apikey|access[-_]?token)"
    r"([\"']?\s{0,8}[:=]\s{0,8}[\"']?)(?!\[REDACTED)[^\s\"',;]{1,4096}",
    re.IGNORECASE,
)
_KEYLIKE_RE = re.compile(
    r"\b(?:sk|rk|pk|ghp|gho|ghs|ghu|ghr|github_pat|glpat|xox[abprs]|npm|hf|AIza)[_-][A-Za-z0-9_-]{8,512}"
)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_error_detector = Detector(DATA_RULES)


def sanitize_provider_error(text: str, *, max_chars: int = 512) -> str:
    """A provider error message safe to show and log: URLs, auth headers and key-like strings removed."""
    try:
        out = _URL_RE.sub("[REDACTED_PROVIDER_URL]", str(text)[: max_chars * 8])
        out = _BEARER_RE.sub(lambda m: m.group(1) + " [REDACTED]", out)
        out = _HEADER_RE.sub(lambda m: m.group(1) + m.group(2) + "[REDACTED]", out)
        out = _KEYLIKE_RE.sub("[REDACTED_TOKEN]", out)
        out = analyze(_error_detector, out).text
        out = _CONTROL_RE.sub(" ", out)
    except Exception:
        return "provider error (details withheld)"
    return out if len(out) <= max_chars else out[: max_chars - 1] + "…"
