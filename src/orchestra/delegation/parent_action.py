"""What the parent runtime must do after a spawn request, per runtime."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from orchestra.runtime.adapters import RuntimeAdapter


class NextCall(BaseModel):
    """A tool call the parent (or child) should make, ready to copy."""

    when: str
    tool: str
    arguments: dict[str, Any]


class ParentAction(BaseModel):
    """The parent's next step (the prompt and handoff paths are in the spawn result's artifacts, the calls
    to make in its next_calls: each said once)."""

    kind: str = Field(description="launch-native-subagent, wait-for-capacity or manual-request.")
    runtime: str
    tool: str | None = Field(description="The parent's native tool that starts the child, if any.")
    instructions: list[str]
    next_calls: list[NextCall] = Field(default_factory=list, exclude=True)


def parent_action(adapter: RuntimeAdapter, *, session_id: str, status: str, prompt_artifact: str,
                  prompt_resource: str, expected_result: str) -> ParentAction:
    """Instructions for ``adapter``'s parent; a queued request is told to wait, not launch."""
    calls = [
        NextCall(when="right after the child starts (not needed when Orchestra's sub-agent hooks are installed: "
                      "they report it)", tool="session_update",
                 arguments={"session_id": session_id, "status": "spawned", "agent_id": "<child id>"}),
        NextCall(when="to wait for the result without blocking the user for long", tool="session_wait",
                 arguments={"session_ids": [session_id], "mode": "all", "timeout_s": 50}),
        NextCall(when="when the child returns (with hooks installed, its handoff or final message completes the "
                      "session by itself)", tool="session_update",
                 arguments={"session_id": session_id, "status": "completed", "artifact": expected_result}),
        NextCall(when="if the child fails", tool="session_update",
                 arguments={"session_id": session_id, "status": "failed", "summary": "<safe reason>"}),
    ]
    if status == "queued":
        return ParentAction(
            kind="wait-for-capacity", runtime=adapter.id, tool=adapter.spawn_tool,
            instructions=["Do not launch the child yet: the request is queued until a delegation slot frees.",
                          "Call session_wait (or session_get) on this session; launch it once its status is "
                          "'requested'."],
            next_calls=calls[1:2],
        )
    if adapter.spawn_tool:
        steps = [f"Read the child prompt ({prompt_resource} or {prompt_artifact}).",
                 f"{adapter.launch}", "Keep the child in the background and keep talking to the user.",
                 f"The child writes its handoff to {expected_result}."]
        kind = "launch-native-subagent"
    else:
        steps = [f"Read the child prompt ({prompt_resource} or {prompt_artifact}).", adapter.launch,
                 f"The child writes its handoff to {expected_result}; report its lifecycle by hand."]
        kind = "manual-request"
    return ParentAction(kind=kind, runtime=adapter.id, tool=adapter.spawn_tool, instructions=steps,
                        next_calls=calls)
