"""A full disk is a coded, retryable ``disk_full`` error and leaves nothing half-written (issue 14 item 7)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client

from orchestra.app import Orchestra
from tests.faults.support import CAN_MOUNT, mounted_tmpfs, server_params
from tests.helpers import clean_env, run_cli


def _fill(path: Path) -> None:
    chunk = b"\0" * 65536
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, chunk)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:  # the last partial pages too
        while True:
            os.write(fd, b"\0" * 512)
    except OSError:
        pass
    finally:
        os.close(fd)


def _text(result: object) -> str:
    return str(result.content[0].text) if result.is_error else ""  # type: ignore[attr-defined]


@pytest.mark.anyio
@pytest.mark.skipif(not CAN_MOUNT, reason="needs root to mount a small tmpfs (a real full disk); "
                                          "the RLIMIT_FSIZE test below runs everywhere")
async def test_full_disk_is_disk_full_and_recovers(tmp_path: Path) -> None:
    with mounted_tmpfs(tmp_path / "disk", "6m") as disk:
        workspace = disk / "ws"
        (workspace / ".git").mkdir(parents=True)
        with Orchestra.open(workspace) as app:
            app.tasks.add({"id": "T-1", "title": "t", "owner_role": "developer",
                           "goal": "a long goal " * 300})
        async with Client(server_params(workspace), mode="legacy") as client:
            _fill(disk / "filler")
            spawned = await client.call_tool("spawn_request", {"task_id": "T-1", "runtime": "claude-cli",
                                                               "brief": "x " * 3000})
            assert "disk_full:" in _text(spawned) and "(retryable" in _text(spawned), _text(spawned)
            for i in range(20):  # the WAL may hold a few small writes; none may be an internal error
                added = await client.call_tool("task_add", {"id": f"F-{i}", "title": "f", "goal": "g " * 1500})
                if added.is_error:
                    assert "disk_full:" in _text(added), _text(added)
                    break
            else:
                pytest.fail("twenty task_add calls fitted on a full disk")
            runs = workspace / ".agent-workflow" / "runs"
            assert not runs.exists() or list(runs.iterdir()) == []  # the failed spawn removed its files
            (disk / "filler").unlink()
            again = await client.call_tool("spawn_request", {"task_id": "T-1", "runtime": "claude-cli"})
            assert again.is_error is False, _text(again)
            assert (await client.call_tool("task_add", {"id": "OK-1", "title": "ok"})).is_error is False
        verified = run_cli("audit", "verify", "--workspace", str(workspace))
        assert verified.returncode == 0, verified.stdout + verified.stderr


FILE_SIZE_LIMIT = r"""
import json, resource, sys
from pathlib import Path
from orchestra.app import Orchestra
from orchestra.errors import OrchestraError

with Orchestra.open(Path(sys.argv[1])) as app:
    app.tasks.add({"id": "T-1", "title": "t", "owner_role": "developer", "goal": "g " * 1500})
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # no file may grow past 4 KiB now
    try:
        app.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli", "brief": "b " * 3000})
    except OrchestraError as exc:
        print(json.dumps({"code": exc.code, "retryable": exc.retryable, "sessions": app.delegation.counts()}))
"""


def test_file_size_limit_in_artifact_writes_is_disk_full(workspace: Path) -> None:
    """Without root (no tmpfs): RLIMIT_FSIZE makes artifact writes fail with EFBIG in a subprocess."""
    done = subprocess.run([sys.executable, "-c", FILE_SIZE_LIMIT, str(workspace)], capture_output=True, text=True,
                          timeout=120, env=clean_env(), check=False)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome == {"code": "disk_full", "retryable": True, "sessions": {}}
    runs = workspace / ".agent-workflow" / "runs"
    assert not runs.exists() or list(runs.iterdir()) == []
