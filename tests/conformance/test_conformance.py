"""The official MCP conformance suite against ``orchestra-mcp --transport http --tools all``.

Every active server scenario runs; those that need the reference server's own tools, resources or prompts
are expected failures listed with their reasons in ``baseline.yml``. The suite exits non-zero on any other
failure and on a baseline entry that passes (stale), so both are caught here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.suite import baseline_scenarios, ensure_installed, run_suite, scenario_results
from tests.http.support import http_server, make_workspace

pytestmark = pytest.mark.slow

# Scenarios that any MCP server must pass, whatever its tools are.
APPLICABLE = {"server-initialize", "ping", "tools-list", "resources-list", "resources-subscribe",
              "resources-unsubscribe", "prompts-list", "dns-rebinding-protection", "server-sse-multiple-streams",
              "logging-set-level"}


def test_official_conformance_suite(tmp_path: Path) -> None:
    ensure_installed()  # before the server starts: installing may take a while the first time
    output = tmp_path / "results"
    with http_server(make_workspace(tmp_path), "--tools", "all") as server:
        result = run_suite(server.url, output)
    report = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, report
    results = scenario_results(output)
    passed = {name for name, checks in results.items()
              if checks and all(check["status"] in {"SUCCESS", "INFO"} for check in checks)}
    assert passed >= APPLICABLE, (APPLICABLE - passed, report)
    expected = set(baseline_scenarios())
    assert not expected & passed, "baseline entries that pass are stale"
    assert set(results) - passed <= expected, report
