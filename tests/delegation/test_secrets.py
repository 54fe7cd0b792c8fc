"""A planted secret in a brief or a result never appears in any artifact, row or response."""

from __future__ import annotations

from pathlib import Path

from orchestra.app import Orchestra
from tests.delegation.conftest import write_handoff

GITHUB = "ghp_" + "Zq8Lm2Xw7Rt5Yp3Nc6Vb1Kd9Hf4Gs0Ja2Ue7"
AWS = "AKIA" + "QX7RZ3M2PLKT4WNB"
PASSWORD = "Tr0ub4dor&3-horse-battery"
CANARIES = (GITHUB, AWS, PASSWORD)


def _scan_workspace(root: Path) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path.name}:{c[:6]}" for c in CANARIES if c.encode() in data]
    return hits


def test_canaries_never_persist_or_echo(dapp: Orchestra) -> None:
    brief = f"Use token {GITHUB} and AWS key {AWS}; db password={PASSWORD}"
    spawned = dapp.delegation.spawn({"task_id": "T-1", "runtime": "claude-cli", "brief": brief})
    responses = [spawned.model_dump_json()]
    sid = spawned.session_id
    path = write_handoff(dapp, sid, body=f"Finished. I used {GITHUB} and password: {PASSWORD}")
    responses.append(dapp.delegation.update({"session_id": sid, "status": "spawned",
                                             "summary": f"started with {AWS}"}).model_dump_json())
    done = dapp.delegation.update({"session_id": sid, "status": "completed", "artifact": path})
    assert done.redactions >= 2
    responses.append(done.model_dump_json())
    other = dapp.delegation.spawn({"task_id": "T-2", "runtime": "codex-cli"}).session_id
    responses.append(dapp.delegation.update({"session_id": other, "status": "completed", "result": {
        "summary": f"key {AWS}", "notes": [f"token {GITHUB}"], "nested": {"pw": f"password={PASSWORD}"},
    }}).model_dump_json())
    responses.append(dapp.delegation.get(sid).model_dump_json())
    responses.append(dapp.delegation.list_sessions(include_closed=True).model_dump_json())
    responses.append(dapp.delegation.prompt_text(sid))
    for text in responses:
        for canary in CANARIES:
            assert canary not in text
    dapp.close()  # checkpoint the WAL so the scan sees every byte that was written
    assert _scan_workspace(dapp.layout.root) == []
    assert "[REDACTED_SECRET]" in (dapp.layout.root / path).read_text()
