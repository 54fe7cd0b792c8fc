"""OAuth access tokens: signature, algorithm, issuer, audience, lifetime and scopes are all checked;
the JWKS is cached and refetched for a new kid. The last tests go through the server over HTTP."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import jwt
import pytest

from orchestra.hosted.errors import ForbiddenError, UnauthorizedError
from orchestra.hosted.oauth import JwtVerifier, OAuthSettings
from orchestra.hosted.principal import Scope
from tests.hosted.jwks import ISSUER, Issuer, serve_issuer
from tests.hosted.server import MCP_HEADERS, HostedServer, free_port, initialize_body, mcp_client, start_server

AUDIENCE = "http://127.0.0.1:9999/mcp"
pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    made = Issuer()
    made.add_key("k1")
    made.add_key("e1", "ES256")
    made.add_key("unpublished", publish=False)
    with serve_issuer(made) as served:
        yield served


@pytest.fixture
def verifier(issuer: Issuer) -> JwtVerifier:
    return JwtVerifier(OAuthSettings(issuer=ISSUER, resource=AUDIENCE, jwks_uri=issuer.url, jwks_cooldown_s=0))


def _unsigned(claims: dict[str, object], header: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def test_valid_tokens_map_to_principals(issuer: Issuer, verifier: JwtVerifier) -> None:
    rsa_principal = verifier.verify(issuer.token(AUDIENCE, scope="openid orchestra:read orchestra:write"))
    assert (rsa_principal.tenant, rsa_principal.workspace, rsa_principal.scope) == ("acme", "web", Scope.WRITE)
    assert rsa_principal.credential_id == "user-1" and rsa_principal.kind == "oauth"
    ec_principal = verifier.verify(issuer.token(AUDIENCE, kid="e1", scope="orchestra:admin"))
    assert ec_principal.scope is Scope.ADMIN
    listed = verifier.verify(issuer.token(AUDIENCE, scope=None, scp=["orchestra:read"]))
    assert listed.scope is Scope.READ
    multi = verifier.verify(issuer.token([AUDIENCE, "https://other.test"], scope="orchestra:read"))  # type: ignore[arg-type]
    assert multi.scope is Scope.READ


@pytest.mark.parametrize("case", ["expired", "not_yet", "wrong_audience", "wrong_issuer", "bad_signature",
                                  "unknown_kid", "alg_none", "hs256_with_public_key", "bad_tenant", "no_exp",
                                  "garbage"])
def test_bad_tokens_are_unauthorized(issuer: Issuer, verifier: JwtVerifier, case: str) -> None:
    good = issuer.token(AUDIENCE)
    header = jwt.get_unverified_header(good)
    claims = jwt.decode(good, options={"verify_signature": False})
    token = {
        "expired": lambda: issuer.token(AUDIENCE, lifetime=-120),
        "not_yet": lambda: issuer.token(AUDIENCE, nbf=int(time.time()) + 600),
        "wrong_audience": lambda: issuer.token("https://elsewhere.test/mcp"),
        "wrong_issuer": lambda: issuer.token(AUDIENCE, issuer="https://evil.test/"),
        # signed by a key the issuer never published, under a published kid
        "bad_signature": lambda: jwt.encode(claims, issuer.keys["unpublished"][1], algorithm="RS256",
                                            headers={"kid": "k1"}),
        "unknown_kid": lambda: issuer.token(AUDIENCE, kid="unpublished"),
        "alg_none": lambda: _unsigned(claims, {"alg": "none", "kid": "k1"}),
        "hs256_with_public_key": lambda: _hs256_with_public(issuer, claims),
        "bad_tenant": lambda: issuer.token(AUDIENCE, tenant="../other"),
        "no_exp": lambda: jwt.encode({k: v for k, v in claims.items() if k != "exp"}, issuer.keys["k1"][1],
                                     algorithm="RS256", headers=header),
        "garbage": lambda: "eyJhbGciOi.not.a.jwt",
    }[case]()
    with pytest.raises(UnauthorizedError):
        verifier.verify(token)


def _hs256_with_public(issuer: Issuer, claims: dict[str, object]) -> str:
    import hashlib
    import hmac

    public = json.dumps(issuer.jwks()["keys"][0]).encode()
    header = {"alg": "HS256", "kid": "k1", "typ": "JWT"}

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    signing = f"{part(json.dumps(header).encode())}.{part(json.dumps(claims).encode())}"
    return f"{signing}.{part(hmac.new(public, signing.encode(), hashlib.sha256).digest())}"


def test_no_orchestra_scope_is_forbidden(issuer: Issuer, verifier: JwtVerifier) -> None:
    with pytest.raises(ForbiddenError) as refused:
        verifier.verify(issuer.token(AUDIENCE, scope="openid profile"))
    assert refused.value.details["required_scope"] == "orchestra:read"


def test_jwks_is_cached_and_a_rotated_key_is_fetched(issuer: Issuer, verifier: JwtVerifier) -> None:
    before = issuer.fetches
    for _ in range(5):
        verifier.verify(issuer.token(AUDIENCE))
    assert issuer.fetches == before + 1  # fetched once, then cached
    issuer.add_key("k2")  # the issuer rotates: a new kid appears in its JWKS
    assert verifier.verify(issuer.token(AUDIENCE, kid="k2")).tenant == "acme"
    assert issuer.fetches == before + 2


def test_settings_refuse_symmetric_algorithms() -> None:
    from orchestra.errors import ValidationError

    with pytest.raises(ValidationError):
        OAuthSettings(issuer=ISSUER, resource=AUDIENCE, jwks_uri="http://x/jwks", algorithms=("HS256",))
    with pytest.raises(ValidationError):
        OAuthSettings(issuer="issuer", resource=AUDIENCE, jwks_uri="http://x/jwks")


@pytest.fixture(scope="module")
def oauth_server(issuer: Issuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostedServer]:
    data_dir: Path = tmp_path_factory.mktemp("oauth")
    port = free_port()
    server = start_server(data_dir, "--auth", "oauth", "--oauth-issuer", ISSUER, "--oauth-jwks-uri", issuer.url,
                          "--oauth-jwks-cooldown", "0", port=port)
    yield server
    server.stop()


def _post(server: HostedServer, token: str) -> httpx2.Response:
    return httpx2.post(server.url, json=initialize_body(), timeout=30,
                       headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})


async def test_server_answers_as_the_mcp_authorization_spec_says(issuer: Issuer, oauth_server: HostedServer) -> None:
    meta_url = f"{oauth_server.base}/.well-known/oauth-protected-resource/mcp"
    metadata = httpx2.get(meta_url, timeout=10).json()
    assert metadata["authorization_servers"] == [ISSUER] and metadata["resource"] == oauth_server.url
    wrong_audience = _post(oauth_server, issuer.token(AUDIENCE))
    assert wrong_audience.status_code == 401
    assert wrong_audience.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert f'resource_metadata="{meta_url}"' in wrong_audience.headers["www-authenticate"]
    for bad in (issuer.token(oauth_server.url, lifetime=-120), issuer.token(oauth_server.url, issuer="https://x.test/")):
        assert _post(oauth_server, bad).status_code == 401
    no_scope = _post(oauth_server, issuer.token(oauth_server.url, scope="openid"))
    assert no_scope.status_code == 403
    assert 'error="insufficient_scope"' in no_scope.headers["www-authenticate"]
    assert 'scope="orchestra:read"' in no_scope.headers["www-authenticate"]
    assert not (oauth_server.data_dir / "scopes").exists()  # no refused request opened a scope


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_oauth_principals_work_within_their_scope(issuer: Issuer, oauth_server: HostedServer,
                                                        mode: str) -> None:
    writer = issuer.token(oauth_server.url, scope="orchestra:write", sub=f"writer-{mode}")
    async with mcp_client(oauth_server.url, writer, mode) as client:
        added = await client.call_tool("task_add", {"title": f"from oauth {mode}"})
        assert added.is_error is False, added.content
    reader = issuer.token(oauth_server.url, scope="orchestra:read", sub=f"reader-{mode}")
    async with mcp_client(oauth_server.url, reader, mode) as client:
        refused = await client.call_tool("task_add", {"title": "nope"})
        assert refused.is_error is True and refused.content[0].text.startswith("forbidden")  # type: ignore[union-attr]
        titles = [t["title"] for t in ((await client.call_tool("task_list", {})).structured_content or {})["tasks"]]
        assert f"from oauth {mode}" in titles and "nope" not in titles
