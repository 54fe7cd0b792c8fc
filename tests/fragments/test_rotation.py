"""Key rotation with rewrap while other processes write fragments: nothing is lost, old versions are destroyed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from orchestra.app import Orchestra
from orchestra.fragments import local_operator
from tests.fragments.helpers import policy, write_config
from tests.helpers import BIN_DIR, clean_env, run_cli

pytestmark = pytest.mark.slow
WRITERS, MESSAGES, ROTATIONS = 3, 6, 2

WRITER = """
import sys
from pathlib import Path
from orchestra.app import Orchestra
root, worker, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
scope = {"task_id": "T-1", "run_id": "run-1", "phase": "build", "session_id": "s1"}
actor = {"kind": "human", "actor_id": "ann", "display_name": "Ann", "source": "cli", "session_id": "s1"}
with Orchestra.open(root) as app:
    thread = app.chat.create_thread(scope, "writer " + worker, actor).id
    for i in range(count):
        app.chat.append_message(scope, thread, f"password=Rot{worker}x{i}Zq9Kv", actor, f"k-{worker}-{i}")
"""


def test_rotate_rewrap_across_processes(workspace: Path) -> None:
    write_config(workspace, policy())
    with Orchestra.open(workspace):
        pass  # migrate once before the race
    env = clean_env()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(workspace), f"w{w}", str(MESSAGES)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(WRITERS)]
    rotator = (f"for i in $(seq 1 {ROTATIONS}); do {BIN_DIR / 'orchestra'} --workspace {workspace}"
               " keys rotate --tenant local --rewrap --json || exit 1; done")
    procs += [subprocess.Popen(["sh", "-c", rotator], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True) for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]

    with Orchestra.open(workspace) as app:
        shadows = app.fragments.list_fragments(limit=200).fragments
        assert len(shadows) == WRITERS * MESSAGES
        status = app.fragments.key_status().versions
        active = [v for v in status if v.state == "active"]
        assert len(active) == 1 and active[0].present and active[0].fragments == WRITERS * MESSAGES
        assert active[0].version >= 2 * ROTATIONS  # every rotation made a version
        for old in (v for v in status if v.state != "active"):
            assert old.state == "destroyed" and not old.present and old.fragments == 0
        assert len(list(app.layout.fragment_keys_dir.rglob("*.key"))) == 1
        for shadow in shadows:
            result = app.fragments.restore(shadow.fragment_id, reason="audit", principal=local_operator())
            assert result.restored and result.plaintext is not None and result.plaintext.startswith("Rot")
        assert app.events.verify().ok
    listed = run_cli("--workspace", str(workspace), "keys", "status", "--json")
    assert listed.returncode == 0
    assert [v["state"] for v in json.loads(listed.stdout)["versions"]].count("active") == 1
