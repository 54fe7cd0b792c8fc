"""The context_bundle tool and the context resource through a real MCP client, both eras."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client, MCPError
from mcp.types import TextContent, TextResourceContents

from orchestra.app import Orchestra
from orchestra_mcp.server import create_server

pytestmark = pytest.mark.anyio
FAKE_KEY = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dcXq"


@pytest.fixture
def seeded(app: Orchestra) -> Orchestra:
    root = app.layout.root
    (root / "src").mkdir()
    for i in range(30):
        (root / "src" / f"m{i:02}.py").write_text("".join(f"def f{j}() -> int:\n    return {j}\n" for j in range(60)))
    (root / "src" / "settings.py").write_text(f'STRIPE_KEY = "{FAKE_KEY}"\n')
    app.tasks.add({"id": "T-9", "title": "Refactor", "ownership_paths": ["src/settings.py", "src"]})
    return app


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_context_bundle_tool(seeded: Orchestra, mode: str) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    async with Client(create_server(seeded), mode=mode) as client:
        paths = [f"src/m{i:02}.py" for i in range(30)]
        result = await client.call_tool("context_bundle", {"task_id": "T-9", "role": "developer", "paths": paths},
                                        progress_callback=on_progress)
        assert result.is_error is False
        data = result.structured_content
        assert data is not None
        assert data["final_lines"] <= 360 and data["omitted_sources"], "30 big files cannot fit 360 lines"
        assert data["redaction_total"] >= 1
        assert data["markdown"] is not None and FAKE_KEY not in data["markdown"]
        assert FAKE_KEY not in str(data)
        assert data["resource_uri"] == "orchestra://context/T-9/developer"
        assert updates and updates[-1][0] == updates[-1][1] == len(data["entries"])
        again = await client.call_tool("context_bundle", {"task_id": "T-9", "role": "developer", "paths": paths})
        assert again.structured_content is not None
        assert again.structured_content["content_hash"] == data["content_hash"]

        read = await client.read_resource("orchestra://context/T-9/developer")
        content = read.contents[0]
        assert isinstance(content, TextResourceContents)
        assert content.text.startswith("## Required Context Files") and FAKE_KEY not in content.text
        with pytest.raises(MCPError) as caught:
            await client.read_resource("orchestra://context/nope/developer")
        assert caught.value.error.code == -32602

        bad = await client.call_tool("context_bundle", {"task_id": "T-9", "role": "developer",
                                                        "paths": ["../../etc/passwd"]})
        assert bad.is_error is True
        first = bad.content[0]
        assert isinstance(first, TextContent) and "path_outside_workspace:" in first.text


async def test_large_markdown_goes_to_the_resource(seeded: Orchestra, tmp_path: Path) -> None:
    async with Client(create_server(seeded), mode="legacy") as client:
        result = await client.call_tool("context_bundle", {
            "task_id": "T-9", "role": "developer", "paths": [f"src/m{i:02}.py" for i in range(30)],
            "max_lines_per_file": 2000, "total_line_budget": 20000,
        })
        data = result.structured_content
        assert data is not None
        assert data.get("markdown") is None and data["markdown_chars"] > 24_000
