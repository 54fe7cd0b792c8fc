"""A planted secret in a brief or a result never appears in any artifact, row or response."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestra.app import Orchestra
from orchestra.security.guard import SecurityGuard
from orchestra.security.model import GuardDecision, Sink
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


PLANTED_PARTS = ("title", "goal", "criterion", "owned_file", "requested_file", "agents_md", "brief", "file_name")


@pytest.mark.parametrize("part", PLANTED_PARTS)
def test_a_secret_planted_in_any_part_never_reaches_the_prompt(workspace: Path, part: str) -> None:
    """Each part of a child prompt passes the guard once (the bundle when it is built, the rest when
    the prompt is): a secret in any of them is absent from the prompt file and the stored prompt."""
    (workspace / "src").mkdir()
    owned = "src/owned.py"
    requested = "src/requested.md"
    (workspace / owned).write_text("def run() -> None:\n    pass\n")
    (workspace / requested).write_text("# Notes\n\nnothing secret\n")
    task = {"id": "T-9", "title": "Build it", "goal": "Make it work", "acceptance_criteria": ["tests pass"],
            "owner_role": "developer", "ownership_paths": [owned]}
    spawn: dict[str, object] = {"task_id": "T-9", "runtime": "claude-cli", "ownership_paths": [requested]}
    planted = f"token {GITHUB} key {AWS} password={PASSWORD}"
    if part == "title":
        task["title"] = f"Build it with {GITHUB}"
    elif part == "goal":
        task["goal"] = planted
    elif part == "criterion":
        task["acceptance_criteria"] = [f"uses {AWS}", f"password={PASSWORD}"]
    elif part == "owned_file":
        (workspace / owned).write_text(f'API = "{GITHUB}"\nAWS_KEY = "{AWS}"\npassword = "{PASSWORD}"\n')
    elif part == "requested_file":
        (workspace / requested).write_text(f"# Notes\n\nUse {planted}\n")
    elif part == "agents_md":
        (workspace / "AGENTS.md").write_text(f"# Agents\n\nDeploy with {planted}\n")
    elif part == "brief":
        spawn["brief"] = f"Use {planted}"
    elif part == "file_name":  # a name inside a listed folder (a path given as input is refused instead)
        (workspace / "src" / "cfg").mkdir()
        (workspace / "src" / "cfg" / f"{GITHUB}.txt").write_text("plain\n")
        spawn["ownership_paths"] = [requested, "src/cfg"]
    with Orchestra.open(workspace) as app:
        app.tasks.add(task)
        spawned = app.delegation.spawn(spawn)
        prompt_file = (workspace / spawned.artifacts.prompt).read_text()
        stored = app.delegation.prompt_text(spawned.session_id)
    for text in (prompt_file, stored):
        assert "## Preprocessed Runtime Context" in text
        for canary in CANARIES:
            assert canary not in text, f"{part}: {canary[:6]} reached the prompt"


def test_the_prompt_guard_does_not_scan_the_bundle_again(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file contents of the bundle are guarded once, when the bundle is built; the prompt guard
    scans only the rest, and the prompt equals what guarding the whole text gives."""
    marker = "unique_marker_line_for_the_scan_count = 1"
    (workspace / "big.py").write_text("\n".join([marker] + [f"value_{i} = {i}" for i in range(60)]) + "\n")
    scanned: list[str] = []
    real = SecurityGuard.guard

    def counting(self: SecurityGuard, text: str, sink: Sink | str, context: object = None) -> GuardDecision:
        if Sink(sink) is Sink.PROMPT:
            scanned.append(text)
        return real(self, text, sink, context)  # type: ignore[arg-type]

    monkeypatch.setattr(SecurityGuard, "guard", counting)
    with Orchestra.open(workspace) as app:
        app.tasks.add({"id": "T-9", "title": "Build it", "goal": "Make it work", "owner_role": "developer",
                       "ownership_paths": ["big.py"]})
        scanned.clear()
        spawned = app.delegation.spawn({"task_id": "T-9", "runtime": "claude-cli"})
        prompt = (workspace / spawned.artifacts.prompt).read_text()
        assert marker in prompt
        assert sum(text.count(marker) for text in scanned) == 1
        whole = real(app.guard, prompt, Sink.PROMPT)
    assert whole.outcome == "allow"
    assert whole.text == prompt
