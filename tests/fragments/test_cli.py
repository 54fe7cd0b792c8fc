"""``orchestra fragments …`` and ``orchestra keys …`` as subprocesses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestra.app import Orchestra
from tests.fragments.helpers import append, policy, write_config
from tests.helpers import run_cli


def _cli(workspace: Path, *args: str) -> Any:
    return run_cli("--workspace", str(workspace), *args)


def _seed(workspace: Path, *texts: str) -> list[str]:
    write_config(workspace, policy())
    ids = []
    with Orchestra.open(workspace) as app:
        thread = None
        for i, text in enumerate(texts):
            thread, message = append(app, text, f"k-{i}", thread)
            ids.append(app.fragments.list_fragments(source_id=message).fragments[0].fragment_id)
    return ids


def test_list_restore_and_shred(workspace: Path) -> None:
    [fid] = _seed(workspace, "password=CliPass12345Zq")
    listed = _cli(workspace, "fragments", "list", "--json")
    assert listed.returncode == 0 and "CliPass12345Zq" not in listed.stdout
    [shadow] = json.loads(listed.stdout)
    assert shadow["fragment_id"] == fid and shadow["lifecycle_status"] == "encrypted"
    text = _cli(workspace, "fragments", "list")
    assert fid in text.stdout and "[REDACTED_PASSWORD]#0" in text.stdout
    no_reason = _cli(workspace, "fragments", "restore", fid, "--reason", " ")
    assert no_reason.returncode == 1 and "not_allowed" in no_reason.stderr and no_reason.stdout == ""
    restored = _cli(workspace, "fragments", "restore", fid, "--reason", "rotate it")
    assert restored.returncode == 0 and restored.stdout == "CliPass12345Zq\n"
    as_json = json.loads(_cli(workspace, "fragments", "restore", fid, "--reason", "again", "--json").stdout)
    assert as_json["status"] == "allowed_by_policy"
    both = _cli(workspace, "fragments", "shred", fid, "--tenant", "local")
    assert both.returncode == 1 and "exactly one" in both.stderr
    shred = _cli(workspace, "fragments", "shred", fid, "--reason-code", "gdpr_erasure")
    assert shred.returncode == 0 and shred.stdout.startswith("crypto_shredded: 1 fragment(s)")
    gone = _cli(workspace, "fragments", "restore", fid, "--reason", "rotate it")
    assert gone.returncode == 1 and "blocked_key_destroyed" in gone.stderr
    missing = _cli(workspace, "fragments", "shred", "fragment-nope")
    assert missing.returncode == 1 and "fragment_not_found" in missing.stderr


def test_grant_is_issued_at_the_cli(workspace: Path) -> None:
    [fid] = _seed(workspace, "password=GrantPass123Zq")
    grant = _cli(workspace, "fragments", "grant", fid, "--minutes", "5", "--json")
    assert grant.returncode == 0
    grant_id = json.loads(grant.stdout)["grant_id"]
    too_long = _cli(workspace, "fragments", "grant", fid, "--minutes", "600")
    assert too_long.returncode == 1 and "grant_refused" in too_long.stderr
    from orchestra.fragments import mcp_caller

    with Orchestra.open(workspace) as app:
        result = app.fragments.restore(fid, reason="support case", principal=mcp_caller(), grant_id=grant_id)
        assert result.plaintext == "GrantPass123Zq"
        assert app.events.list(event_type="FRAGMENT_RESTORE_GRANT_ISSUED")[0].metadata["fragmentId"] == fid


def test_rotate_keeps_old_versions_readable_until_rewrap(workspace: Path) -> None:
    [old] = _seed(workspace, "password=BeforeRotate1Zq")
    rotated = json.loads(_cli(workspace, "keys", "rotate", "--json").stdout)
    assert rotated[0]["new_version"] == 2 and rotated[0]["rewrapped"] == 0 and rotated[0]["destroyed_versions"] == []
    with Orchestra.open(workspace) as app:
        _, message = append(app, "password=AfterRotate2Zq", "k-new")
        new = app.fragments.list_fragments(source_id=message).fragments[0].fragment_id
    status = json.loads(_cli(workspace, "keys", "status", "--json").stdout)["versions"]
    assert [(v["version"], v["state"], v["fragments"]) for v in status] == [(1, "retired", 1), (2, "active", 1)]
    assert _cli(workspace, "fragments", "restore", old, "--reason", "r").stdout == "BeforeRotate1Zq\n"
    rewrap = _cli(workspace, "keys", "rotate", "--rewrap")
    assert rewrap.returncode == 0 and "2 data key(s) rewrapped; destroyed: v1, v2" in rewrap.stdout
    status = json.loads(_cli(workspace, "keys", "status", "--json").stdout)["versions"]
    assert [(v["version"], v["state"], v["present"], v["fragments"]) for v in status] == [
        (1, "destroyed", False, 0), (2, "destroyed", False, 0), (3, "active", True, 2)]
    for fid, value in ((old, "BeforeRotate1Zq"), (new, "AfterRotate2Zq")):
        assert _cli(workspace, "fragments", "restore", fid, "--reason", "r").stdout == value + "\n"
    text = _cli(workspace, "keys", "status")
    assert "v3   active" in text.stdout and "BeforeRotate" not in text.stdout


def test_tenant_and_expired_shred(workspace: Path) -> None:
    _seed(workspace, "password=TenantPass12Zq")
    expired = _cli(workspace, "fragments", "shred", "--expired", "--json")
    assert expired.returncode == 0 and json.loads(expired.stdout)["fragment_ids"] == []
    tenant = _cli(workspace, "fragments", "shred", "--tenant", "local", "--reason-code", "offboarding", "--json")
    result = json.loads(tenant.stdout)
    assert tenant.returncode == 0 and result["status"] == "crypto_shredded"
    assert len(result["destroyed_key_versions"]) == 1
