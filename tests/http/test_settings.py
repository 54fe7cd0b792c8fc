"""HTTP settings: validation, the loopback-or-auth rule, the Host/Origin patterns in force."""

from __future__ import annotations

import pytest

from orchestra_mcp.http.app import sdk_security
from orchestra_mcp.http.hosts import HostPolicy
from orchestra_mcp.http.settings import (
    HttpConfigError,
    HttpSettings,
    auth_configured,
    check_bind,
    effective_allowed_hosts,
    effective_allowed_origins,
    is_loopback,
    validate,
)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost", "LOCALHOST", "::1", "[::1]"])
def test_loopback_names(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.4", "10.0.0.1", "example.com", "localhost.evil.com"])
def test_everything_else_is_reachable_from_elsewhere(host: str) -> None:
    assert not is_loopback(host)


def test_a_non_loopback_bind_needs_authentication() -> None:
    settings = validate(HttpSettings(host="0.0.0.0"))
    assert not auth_configured(settings)
    with pytest.raises(HttpConfigError) as refused:
        check_bind(settings)
    assert "--auth" in refused.value.message and "ORCHESTRA_AUTH" in refused.value.message
    check_bind(HttpSettings(host="127.0.0.1"))  # loopback: no authentication needed
    check_bind(HttpSettings(host="::1"))


def test_with_authentication_a_wildcard_bind_still_needs_the_public_names() -> None:
    with pytest.raises(HttpConfigError, match="--allowed-host"):
        check_bind(HttpSettings(host="0.0.0.0", auth="tokens"))
    check_bind(HttpSettings(host="0.0.0.0", auth="tokens", allowed_hosts=("mcp.example.com",)))
    check_bind(HttpSettings(host="192.0.2.7", auth="oauth"))  # a specific address is its own name
    assert not auth_configured(HttpSettings(auth="  "))


@pytest.mark.parametrize(("field", "value"), [
    ("port", 70000), ("port", -1), ("port", True), ("path", "mcp"), ("path", "/mcp/"), ("path", "/a b"),
    ("path", "//mcp"), ("max_body_bytes", 10), ("max_inflight", 0), ("request_timeout_s", 0),
    ("shutdown_grace_s", -1), ("host", "not a host"), ("host", "-bad-"), ("allowed_hosts", ("a:b:c:d",)),
    ("allowed_hosts", ("name:99999",)), ("allowed_origins", ("example.com",)), ("allowed_origins", ("null",)),
])
def test_bad_settings_are_named(field: str, value: object) -> None:
    with pytest.raises(HttpConfigError) as refused:
        validate(HttpSettings(**{field: value}))  # type: ignore[arg-type]
    assert refused.value.message.startswith(f"{field}: ")


def test_default_hosts_are_the_bound_loopback_names_with_the_port() -> None:
    settings = HttpSettings(host="127.0.0.1", port=8765)
    assert effective_allowed_hosts(settings) == ("127.0.0.1:8765", "localhost:8765")
    assert effective_allowed_origins(settings) == ("http://127.0.0.1:8765", "http://localhost:8765")
    assert effective_allowed_hosts(HttpSettings(host="::1", port=9)) == ("[::1]:9", "localhost:9")
    assert "[::1]:9" in effective_allowed_hosts(HttpSettings(host="localhost", port=9))
    assert HttpSettings(host="::1", port=9).url == "http://[::1]:9/mcp"


def test_host_policy() -> None:
    policy = HostPolicy(effective_allowed_hosts(HttpSettings(port=8765)),
                        effective_allowed_origins(HttpSettings(port=8765)), 8765)
    assert policy.host_allowed("127.0.0.1:8765") and policy.host_allowed("LOCALHOST:8765")
    for host in (None, "", "127.0.0.1:8766", "127.0.0.1", "evil.com:8765", "localhost.evil.com:8765",
                 "127.0.0.1:8765.evil.com", "x" * 400):
        assert not policy.host_allowed(host), host
    assert policy.origin_allowed(None)  # non-browser clients send none
    assert policy.origin_allowed("http://localhost:8765")
    for origin in ("null", "http://evil.com", "http://localhost:8765.evil.com", "https://localhost:8765",
                   "http://localhost:1"):
        assert not policy.origin_allowed(origin), origin


def test_host_patterns() -> None:
    policy = HostPolicy(("mcp.example.com", "10.0.0.2:*", "[::1]:443"), ("https://app.example.com", "http://x:*"), 8000)
    assert policy.host_allowed("mcp.example.com") and policy.host_allowed("mcp.example.com:8000")
    assert not policy.host_allowed("mcp.example.com:9000")
    assert policy.host_allowed("10.0.0.2:1234") and not policy.host_allowed("10.0.0.2")
    assert policy.host_allowed("[::1]:443") and not policy.host_allowed("[::1]:444")
    assert policy.origin_allowed("https://app.example.com") and policy.origin_allowed("http://x:81")
    assert not policy.origin_allowed("http://x:81a") and not policy.origin_allowed("http://xy:81")
    anything = HostPolicy(("*",), ("*",), 1)
    assert anything.host_allowed("whatever:1") and anything.origin_allowed("http://anything")


def test_the_sdk_check_mirrors_ours() -> None:
    mirrored = sdk_security(HttpSettings(port=8765))
    assert mirrored.enable_dns_rebinding_protection
    assert mirrored.allowed_hosts == ["127.0.0.1:8765", "localhost:8765"]
    named = sdk_security(HttpSettings(port=80, allowed_hosts=("mcp.example.com",)))
    assert named.allowed_hosts == ["mcp.example.com", "mcp.example.com:80"]
    assert not sdk_security(HttpSettings(allowed_hosts=("*",))).enable_dns_rebinding_protection
