"""Runtime ids, targets and adapters."""

from __future__ import annotations

import pytest

from orchestra.errors import UnknownRuntimeError
from orchestra.runtime.adapters import (
    ADAPTERS,
    RUNTIME_IDS,
    TARGETS,
    get_adapter,
    parse_targets,
    runtime_from_name,
)


def test_ids_and_targets_match_the_contract() -> None:
    assert RUNTIME_IDS == ("claude-cli", "codex-cli", "cursor-cli", "vscode-agent", "windsurf-agent",
                           "opencode-cli", "generic-runtime")
    assert TARGETS == ("claude", "cursor", "codex", "vscode", "windsurf", "generic")
    assert {a.target for a in ADAPTERS} == set(TARGETS)


@pytest.mark.parametrize(("runtime", "can_spawn", "tool", "watch"), [
    ("claude-cli", True, "Agent", True),
    ("codex-cli", True, "spawn_agent", True),
    ("cursor-cli", True, "cursor-background-agent", True),
    ("windsurf-agent", True, None, False),
    ("vscode-agent", False, None, False),
    ("opencode-cli", False, None, False),
    ("generic-runtime", False, None, False),
])
def test_adapter_capabilities(runtime: str, can_spawn: bool, tool: str | None, watch: bool) -> None:
    adapter = get_adapter(runtime)
    assert adapter.can_spawn_subagent is can_spawn
    assert adapter.spawn_tool == tool
    assert adapter.lifecycle_watch is watch
    assert adapter.launch
    data = adapter.to_dict()
    assert data["can_spawn_subagent"] is can_spawn and data["id"] == runtime


def test_unknown_id_lists_the_supported_ones() -> None:
    with pytest.raises(UnknownRuntimeError) as info:
        get_adapter("claude")
    assert info.value.code == "unknown_runtime"
    assert "unknown runtime execution adapter: claude" in info.value.message
    for runtime in RUNTIME_IDS:
        assert runtime in info.value.message


def test_targets_parse_and_reject() -> None:
    assert parse_targets("claude, cursor,claude,,codex") == ["claude", "cursor", "codex"]
    with pytest.raises(UnknownRuntimeError, match="unknown runtime target: emacs"):
        parse_targets("claude,emacs")


def test_names_map_generic_to_generic_runtime() -> None:
    assert runtime_from_name("generic") == "generic-runtime"  # the original maps it to opencode-cli
    assert runtime_from_name(" Claude ") == "claude-cli"
    assert runtime_from_name("vscode") == "vscode-agent"
    assert runtime_from_name("opencode-cli") == "opencode-cli"
    assert runtime_from_name("emacs") is None
