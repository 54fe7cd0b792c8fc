"""Hosted mode on several machines: two servers with different data dirs over one PostgreSQL share the
control store (tokens, revocations, rate and concurrency limits) and the scope keys (wrapped under the
master key), through the real CLI, real server processes and a real PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import psycopg
import pytest

from orchestra.errors import ConfigError
from orchestra.hosted.control_open import open_control
from orchestra.hosted.keyring import MASTER_KEY_ENV, SharedKeys
from orchestra.hosted.scopes import install_scope_key, scope_opener
from orchestra.hosted.tokens import TokenService
from orchestra.store.factory import DATABASE_URL_ENV
from orchestra.workspace.layout import WorkspaceLayout
from tests.helpers import run_cli
from tests.hosted.server import MCP_HEADERS, HostedServer, initialize_body, mcp_client, start_server

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]


@pytest.fixture
def machines(tmp_path: Path, scope_backend: str) -> tuple[Path, Path]:
    """Two data dirs (two machines) of one deployment: one database, one schema prefix, one master key."""
    first, second = tmp_path / "machine-a", tmp_path / "machine-b"
    first.mkdir()
    second.mkdir()
    return first, second


@pytest.fixture
def pair(machines: tuple[Path, Path], request: pytest.FixtureRequest) -> Iterator[tuple[HostedServer, HostedServer]]:
    """A server on each machine (options from the test's parameter, if any)."""
    extra: tuple[str, ...] = getattr(request, "param", ())
    first = start_server(machines[0], *extra)
    try:
        second = start_server(machines[1], *extra)
    except BaseException:
        first.stop()
        raise
    yield first, second
    for server in (second, first):
        assert "Traceback" not in server.stop()


def _token_cli(data_dir: Path, *args: str) -> tuple[int, str, str]:
    done = run_cli("token", *args, "--data-dir", str(data_dir))
    return done.returncode, done.stdout, done.stderr


def _post(server: HostedServer, token: str, content: object = None) -> httpx2.Response:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    body = content if content is not None else json.dumps(initialize_body()).encode()
    return httpx2.post(server.url, content=body, headers=headers, timeout=60)  # type: ignore[arg-type]


def _live_leases(data_dir: Path) -> int:
    """Unexpired leases in the shared control store, by the database clock."""
    control = open_control(data_dir)
    try:
        with control.store.read() as tx:
            row = tx.fetchone("SELECT count(*) FROM admission_leases WHERE expires_at > ?", (tx.now(),))
    finally:
        control.close()
    return int(row[0]) if row else 0


def _wait_for(predicate: object, timeout: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")


class SlowBody:
    """A request body whose second part is sent only once ``go`` is set (its slot is held meanwhile)."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.data = json.dumps(initialize_body()).encode()

    def __iter__(self) -> Iterator[bytes]:
        yield self.data[:10]
        self.go.wait(60)
        yield self.data[10:]


def test_a_token_made_on_one_machine_works_on_both_and_a_revocation_ends_it_on_both(
        machines: tuple[Path, Path], pair: tuple[HostedServer, HostedServer]) -> None:
    first, second = pair
    code, out, err = _token_cli(machines[0], "create", "--tenant", "acme", "--workspace", "web", "--scope", "write",
                                "--expires", "1d")
    assert code == 0, err
    token, token_id = out.strip(), err.split()[0]
    assert [_post(s, token).status_code for s in pair] == [200, 200]

    code, out, err = _token_cli(machines[1], "list", "--json")  # the other machine lists it
    assert code == 0, err
    assert [(r["token_id"], r["status"]) for r in json.loads(out)] == [(token_id, "active")]
    code, out, err = _token_cli(machines[1], "revoke", token_id, "--json")
    assert code == 0 and json.loads(out)["status"] == "revoked", err
    refused = [_post(s, token) for s in (second, first)]
    assert [r.status_code for r in refused] == [401, 401]
    assert all("revoked" in r.json()["message"] for r in refused)
    for data_dir in machines:  # nothing of the control state stays on a machine
        assert not (data_dir / "control.db").exists() and not (data_dir / "keys" / "token-hmac.key").exists()


@pytest.mark.parametrize("pair", [("--rate", "10", "--period", "3600", "--concurrency", "50")], indirect=True)
def test_the_rate_limit_holds_across_both_machines(machines: tuple[Path, Path],
                                                   pair: tuple[HostedServer, HostedServer]) -> None:
    control = open_control(machines[0])
    token = TokenService(control.store, control.token_key).create("acme", "web", "write", "1d").token
    control.close()
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda i: _post(pair[i % 2], token), range(24)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 10 and statuses.count(429) == 14, statuses
    assert all(int(r.headers["retry-after"]) >= 1 for r in responses if r.status_code == 429)


@pytest.mark.parametrize("pair", [("--concurrency", "3", "--lease-ttl", "3", "--rate", "1000")], indirect=True)
def test_the_concurrency_limit_holds_across_both_machines_and_a_dead_ones_slots_expire(
        machines: tuple[Path, Path], pair: tuple[HostedServer, HostedServer]) -> None:
    first, second = pair
    control = open_control(machines[1])
    token = TokenService(control.store, control.token_key).create("acme", "web", "write", "1d").token
    control.close()
    bodies = [SlowBody() for _ in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        pending = [pool.submit(_post, server, token, body)
                   for server, body in zip((first, second, first), bodies, strict=True)]
        _wait_for(lambda: _live_leases(machines[0]) == 3)
        for server in pair:
            busy = _post(server, token)
            assert busy.status_code == 429 and "concurrent" in busy.json()["message"]
        for body in bodies:
            body.go.set()
        assert [f.result().status_code for f in pending] == [200, 200, 200]
    _wait_for(lambda: _live_leases(machines[0]) == 0, timeout=10)

    held = [SlowBody() for _ in range(3)]  # the second machine dies holding every slot
    with ThreadPoolExecutor(max_workers=3) as pool:
        doomed = [pool.submit(_post, second, token, body) for body in held]
        _wait_for(lambda: _live_leases(machines[0]) == 3)
        second.process.kill()
        second.process.wait(timeout=10)
        for body in held:
            body.go.set()
        for future in doomed:
            with pytest.raises(httpx2.HTTPError):
                future.result()
    assert _post(first, token).status_code == 429  # still held by the dead server ...
    _wait_for(lambda: _live_leases(machines[0]) == 0, timeout=15)
    assert _post(first, token).status_code == 200  # ... until they expire by the database clock


@pytest.mark.anyio
async def test_what_one_machine_writes_the_other_reads_with_the_same_scope_key(
        tmp_path: Path, machines: tuple[Path, Path], pair: tuple[HostedServer, HostedServer]) -> None:
    first, second = pair
    control = open_control(machines[0])
    token = TokenService(control.store, control.token_key).create("acme", "web", "write", "1d").token
    control.close()
    async with mcp_client(first.url, token) as client:
        added = await client.call_tool("task_add", {"title": "written on machine A"})
        assert added.is_error is False, added.content
    async with mcp_client(second.url, token) as client:
        listed = (await client.call_tool("task_list", {})).structured_content or {}
        assert [t["title"] for t in listed["tasks"]] == ["written on machine A"]
        assert (await client.call_tool("task_add", {"title": "written on machine B"})).is_error is False
    third = tmp_path / "machine-c"  # a third machine, never used before, verifies the whole audit chain
    with scope_opener(third)("acme", "web") as app:
        assert sorted(t.title for t in app.tasks.list()) == ["written on machine A", "written on machine B"]
        assert app.events.verify().ok
    keys = {WorkspaceLayout(d / "scopes" / "acme" / "web").secret_key_path.read_bytes()
            for d in (*machines, third)}
    assert len(keys) == 1


def test_a_control_schema_newer_than_this_orchestra_is_refused(machines: tuple[Path, Path]) -> None:
    control = open_control(machines[0])
    with control.store.write() as tx:
        tx.execute("UPDATE control_meta SET value = 99 WHERE name = 'schema_version'")
    control.close()
    with pytest.raises(RuntimeError) as refused:
        start_server(machines[1])
    assert "schema 99" in str(refused.value) and "upgrade Orchestra" in str(refused.value)
    code, out, err = _token_cli(machines[1], "list")
    assert code != 0 and "schema_too_new" in err and out == ""


def test_the_master_key_is_needed_and_must_be_the_deployments(machines: tuple[Path, Path],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _token_cli(machines[0], "create", "--tenant", "acme", "--workspace", "web", "--scope", "read",
                              "--expires", "1d")
    assert code == 0, err
    monkeypatch.delenv(MASTER_KEY_ENV)
    code, out, err = _token_cli(machines[1], "list")
    assert code != 0 and MASTER_KEY_ENV in err and out == ""
    monkeypatch.setenv(MASTER_KEY_ENV, base64.b64encode(secrets.token_bytes(32)).decode())  # another deployment's
    with pytest.raises(RuntimeError) as refused:
        start_server(machines[1])
    assert "does not open" in str(refused.value)


def test_keys_are_stored_wrapped_and_bound_to_their_name(machines: tuple[Path, Path]) -> None:
    control = open_control(machines[0])
    try:
        assert control.keys is not None
        scope_key = control.keys.get("scope:acme/web")
        schema = control.store.location.rsplit("#", 1)[1]
        with psycopg.connect(os.environ[DATABASE_URL_ENV], autocommit=True) as conn:
            rows = dict(conn.execute(f"SELECT name, ciphertext FROM {schema}.wrapped_keys").fetchall())
            assert set(rows) == {"token-hmac", "scope:acme/web"}
            assert control.token_key not in rows["token-hmac"] and scope_key not in rows["scope:acme/web"]
            conn.execute(f"UPDATE {schema}.wrapped_keys SET name = 'scope:evil/web' WHERE name = 'scope:acme/web'")
        with pytest.raises(ConfigError):  # a row moved to another name does not open
            control.keys.get("scope:evil/web")
        with pytest.raises(ConfigError):
            SharedKeys(control.store, secrets.token_bytes(32)).get("token-hmac")
    finally:
        control.close()


def test_a_scope_key_that_differs_from_the_shared_one_is_refused(machines: tuple[Path, Path]) -> None:
    control = open_control(machines[0])
    try:
        assert control.keys is not None
        root = machines[1] / "scopes" / "acme" / "web"
        path = WorkspaceLayout(root).secret_key_path
        path.parent.mkdir(parents=True)
        path.write_bytes(secrets.token_bytes(32))  # served on its own before, with its own key
        control.keys.get("scope:acme/web")  # ... while the deployment already has one
        with pytest.raises(ConfigError) as refused:
            install_scope_key(root, control.keys, "acme", "web")
        assert "differs" in refused.value.message
    finally:
        control.close()


def test_a_single_machine_deployment_keeps_its_tokens_when_it_moves_to_the_shared_store(
        machines: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    url = os.environ[DATABASE_URL_ENV]
    monkeypatch.delenv(DATABASE_URL_ENV)  # before: control.db and keys/ in the data dir
    local = open_control(machines[0])
    assert not local.shared
    kept = TokenService(local.store, local.token_key).create("acme", "web", "read", "1d")
    local.close()
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    moved = open_control(machines[0])  # creates the control schema: copies the tokens, adopts the key
    try:
        assert moved.shared and moved.token_key == local.token_key
        assert TokenService(moved.store, moved.token_key).verify(kept.token).credential_id == kept.info.token_id
    finally:
        moved.close()
    other = open_control(machines[1])  # another machine, nothing local: the same token key and tokens
    try:
        assert TokenService(other.store, other.token_key).verify(kept.token).scope.label == "read"
    finally:
        other.close()
