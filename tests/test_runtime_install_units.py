"""Unit tests for the install helpers: managed blocks, the TOML table, JSON merges."""

from __future__ import annotations

import tomllib
from pathlib import Path

from orchestra.runtime.install.blocks import render_block, upsert_block
from orchestra.runtime.install.jsonfiles import merge_grouped_hooks, merge_server, read_json_object
from orchestra.runtime.install.tomlfile import upsert_server_table


def test_block_roundtrip_and_update() -> None:
    first = upsert_block("intro\n", "b", "codex", "hello")
    assert first.outcome == "created" and first.text == "intro\n\n" + render_block("b", "codex", "hello")
    assert upsert_block(first.text, "b", "codex", "hello").outcome == "unchanged"
    changed = upsert_block(first.text + "tail\n", "b", "codex", "bye")
    assert changed.outcome == "updated" and "bye" in changed.text and changed.text.endswith("tail\n")
    assert changed.text.startswith("intro\n\n")


def test_block_without_end_marker_is_a_conflict() -> None:
    text = '<!-- open-orchestra:start block-id="b" content-sha256="00" -->\nx\n'
    assert upsert_block(text, "b", "codex", "hello").outcome == "conflict"


def test_toml_inline_table_conflict_and_escaping() -> None:
    inline = 'mcp_servers = { other = { command = "x" } }\n'
    assert upsert_server_table(inline, "/bin/o", []).outcome == "conflict"
    tricky = upsert_server_table("", 'C:\\tools\\"o"', ["--workspace", "ä"])
    assert tricky.outcome == "created"
    parsed = tomllib.loads(tricky.text)["mcp_servers"]["orchestra"]
    assert parsed == {"command": 'C:\\tools\\"o"', "args": ["--workspace", "ä"]}
    assert upsert_server_table("not = [toml", "x", []).outcome == "corrupt"


def test_merges_refuse_wrong_shapes_and_keep_user_fields() -> None:
    assert isinstance(merge_server({"mcpServers": []}, "mcpServers", "orchestra", {"command": "x"}), str)
    merged = merge_server({"mcpServers": {"orchestra": {"command": "old", "env": {"A": "1"}}}}, "mcpServers",
                          "orchestra", {"command": "new"})
    assert merged == {"mcpServers": {"orchestra": {"command": "new", "env": {"A": "1"}}}}
    assert isinstance(merge_grouped_hooks({"hooks": {"SessionStart": {}}}, "SessionStart", None, {}), str)
    hook = {"type": "command", "command": "orchestra health --runtime claude-cli"}
    data = {"hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": "/old/orchestra health --runtime "
                                                   "claude-cli --json", "timeout": 99}, {"command": "mine"}]}]}}
    out = merge_grouped_hooks(data, "SessionStart", "x", hook)
    assert isinstance(out, dict)
    items = out["hooks"]["SessionStart"][0]["hooks"]
    assert items == [{**hook, "timeout": 99}, {"command": "mine"}] and len(out["hooks"]["SessionStart"]) == 1


def test_read_json_object_states(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    assert read_json_object(path).state == "missing"
    path.write_text('{"a": 1 /* c */}')
    assert read_json_object(path).state == "commented"
    path.write_text('{"a": "// not a comment"}')
    assert read_json_object(path).state == "ok"
    path.write_text("[1]")
    assert read_json_object(path).state == "corrupt"
    path.write_bytes(b"\xff")
    assert read_json_object(path).state == "corrupt"
