"""``orchestra doctor``: is this workspace, its database and every host's wiring healthy?

Reads only (never creates ``.agent-workflow/``, a database or a key). Checks the workspace,
the database (opens as SQLite, ``quick_check``, schema version, audit chain), the workspace
key, each installed host config (the MCP server command and every Orchestra hook point at
binaries that exist and start), and that the MCP server answers ``initialize`` on stdio.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import sqlite3
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from orchestra.runtime.install.commands import is_orchestra_hook
from orchestra.runtime.install.jsonfiles import read_json_object
from orchestra.store.migrations import LATEST_VERSION

Status = Literal["ok", "warn", "fail"]
START_TIMEOUT_S = 90.0
MCP_CONFIGS = ((".mcp.json", "mcpServers"), (".cursor/mcp.json", "mcpServers"), (".vscode/mcp.json", "servers"))
HOOK_CONFIGS = (".claude/settings.json", ".cursor/hooks.json", ".codex/hooks.json")


@dataclass
class Check:
    """One finding."""

    name: str
    status: Status
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


@dataclass
class DoctorReport:
    """Every check, in order."""

    workspace: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def add(self, name: str, status: Status, detail: str) -> None:
        self.checks.append(Check(name, status, detail))

    def to_dict(self) -> dict[str, Any]:
        return {"workspace": self.workspace, "ok": self.ok, "checks": [c.to_dict() for c in self.checks]}


def diagnose(root: Path, source: str, *, start_server: bool = True) -> DoctorReport:
    """Run every check on the workspace at ``root`` (chosen by ``source``)."""
    report = DoctorReport(str(root))
    folder = root / ".agent-workflow"
    if not folder.is_dir():
        report.add("workspace", "fail", f"{root} (from {source}) is not initialized: run `orchestra init`")
        return report
    report.add("workspace", "ok", f"{root} (from {source})")
    _config(report, folder / "config.json")
    _database_of(report, root, folder / "state.db")
    _key(report, folder / "keys" / "workspace.key")
    servers = _mcp_configs(report, root)
    _hook_configs(report, root)
    if start_server and servers:
        name, command = servers[0]
        _initialize(report, root, name, command)
    elif start_server:
        report.add("mcp server", "warn", "no host config registers the server (run `orchestra init --target …`)")
    return report


def _config(report: DoctorReport, path: Path) -> None:
    """``config.json`` must validate: the server refuses to start on it, the pre-tool guard falls back to
    its default policy."""
    from orchestra.errors import OrchestraError
    from orchestra.workspace.config import load_config

    if not path.exists():
        report.add("config.json", "ok", "absent: the defaults apply")
        return
    try:
        load_config(path)
    except OrchestraError as exc:
        report.add("config.json", "fail", f"{exc} (the server will not start; the pre-tool guard applies its "
                                          "default policy until this is fixed)")
        return
    report.add("config.json", "ok", "valid")


def _database_of(report: DoctorReport, root: Path, db: Path) -> None:
    """The SQLite file, or the PostgreSQL schema ``ORCHESTRA_DATABASE_URL`` selects."""
    import os

    from orchestra.errors import OrchestraError
    from orchestra.store.factory import target_from
    from orchestra.workspace.layout import WorkspaceLayout

    try:
        target = target_from(WorkspaceLayout(root), os.environ)
    except OrchestraError as exc:
        report.add("database", "fail", exc.message)
        return
    if target.dialect == "sqlite" or not target.database_url or not target.schema:
        _database(report, db)
        return
    _postgres(report, target.database_url, target.schema, db.parent / "keys" / "workspace.key")


def _postgres(report: DoctorReport, url: str, schema: str, key_path: Path) -> None:
    """Version, catalog integrity and the audit chain of a PostgreSQL schema, read-only (never migrates)."""
    from orchestra.errors import OrchestraError
    from orchestra.events import EventLog
    from orchestra.events.chain import ChainKey
    from orchestra.store.postgres import PostgresStore, redacted_url, schema_initialized
    from orchestra.workspace.secret_key import load_key

    where = f"{redacted_url(url)}#{schema}"
    try:
        if not schema_initialized(url, schema):
            report.add("database", "fail", f"no state in {where} yet: run `orchestra init`")
            return
        store = PostgresStore(url, schema, read_only=True, pool_max=1)
    except OrchestraError as exc:
        report.add("database", "warn" if exc.code == "read_only" else "fail", f"{where}: {exc.message}")
        return
    try:
        problems = store.check_integrity()
        if problems:
            report.add("database", "fail", f"{where}: {'; '.join(problems)}")
            return
        report.add("database", "ok", f"{where}: schema {store.schema_version} (latest {LATEST_VERSION})")
        key = load_key(key_path)
        if key is None:
            report.add("audit chain", "fail", "cannot be verified: the workspace key is missing")
            return
        chain = EventLog(store, ChainKey(key)).verify()
    except OrchestraError as exc:
        report.add("audit chain", "fail", f"cannot be read ({exc.message})")
        return
    finally:
        store.close()
    if chain.ok:
        report.add("audit chain", "ok", f"{chain.events_checked} events verified")
    else:
        report.add("audit chain", "fail", f"broken at event {chain.broken_at_seq}: {chain.problem}")


def _database(report: DoctorReport, db: Path) -> None:
    if not db.is_file():
        report.add("database", "fail", "no state database yet: run `orchestra init`")
        return
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2.0)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        report.add("database", "fail", f"the state database is corrupt or unreadable ({exc})")
        return
    if verdict != "ok":
        report.add("database", "fail", f"the state database is corrupt (quick_check: {str(verdict)[:200]})")
        return
    if version > LATEST_VERSION:
        report.add("database", "fail", f"schema version {version} is newer than this Orchestra ({LATEST_VERSION})")
        return
    if "events" not in tables:
        report.add("database", "fail", "the state database has no audit log table")
        return
    report.add("database", "ok" if version == LATEST_VERSION else "warn",
               f"schema {version} (latest {LATEST_VERSION}; older schemas migrate on the next write)")
    _chain(report, db)


def _chain(report: DoctorReport, db: Path) -> None:
    """Walk the audit chain over a read-only connection (the store itself would migrate an old schema)."""
    from contextlib import contextmanager

    from orchestra.events import EventLog
    from orchestra.events.chain import ChainKey
    from orchestra.store.sqlite import SQLiteTransaction
    from orchestra.workspace.secret_key import load_key

    key = load_key(db.parent / "keys" / "workspace.key")
    if key is None:
        report.add("audit chain", "fail", "cannot be verified: the workspace key is missing")
        return
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2.0)
    conn.row_factory = sqlite3.Row

    class ReadOnly:
        @contextmanager
        def read(self) -> Any:
            yield SQLiteTransaction(conn)

        def check_integrity(self) -> list[str]:
            lines = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
            return [] if lines == ["ok"] else lines[:5]

    try:
        chain = EventLog(ReadOnly(), ChainKey(key)).verify()  # type: ignore[arg-type]
    except sqlite3.DatabaseError as exc:
        report.add("audit chain", "fail", f"cannot be read ({exc})")
        return
    finally:
        conn.close()
    if chain.ok:
        report.add("audit chain", "ok", f"{chain.events_checked} events verified")
    else:
        report.add("audit chain", "fail", f"broken at event {chain.broken_at_seq}: {chain.problem}")


def _key(report: DoctorReport, key: Path) -> None:
    try:
        info = key.stat()
    except FileNotFoundError:
        report.add("workspace key", "warn", "no workspace key yet (created on the first write)")
        return
    if stat.S_IMODE(info.st_mode) & 0o077:
        report.add("workspace key", "warn", f"{oct(stat.S_IMODE(info.st_mode))}: readable by others (chmod 600)")
        return
    report.add("workspace key", "ok", "present, owner-only")


def _mcp_configs(report: DoctorReport, root: Path) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for rel, key in MCP_CONFIGS:
        path = root / rel
        if not path.exists():
            continue
        parsed = read_json_object(path)
        if parsed.data is None:
            report.add(rel, "fail", f"cannot be read: {parsed.problem}")
            continue
        entry = (parsed.data.get(key) or {}).get("orchestra") if isinstance(parsed.data.get(key), dict) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("command"), str):
            report.add(rel, "warn", "does not register the orchestra server")
            continue
        args = [a for a in entry.get("args") or [] if isinstance(a, str)]
        problem = _binary_problem(entry["command"], ("--help",))
        if problem:
            report.add(rel, "fail", f"server command {entry['command']}: {problem}")
        else:
            report.add(rel, "ok", f"server command {entry['command']} starts")
            found.append((rel, [entry["command"], *[a for a in args if "${" not in a]]))
    toml = root / ".codex/config.toml"
    if toml.exists():
        import tomllib

        try:
            table = tomllib.loads(toml.read_text(encoding="utf-8")).get("mcp_servers", {}).get("orchestra")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            report.add(".codex/config.toml", "fail", f"cannot be read: {exc}")
        else:
            if isinstance(table, dict) and isinstance(table.get("command"), str):
                problem = _binary_problem(table["command"], ("--help",))
                report.add(".codex/config.toml", "fail" if problem else "ok",
                           f"server command {table['command']}: {problem or 'starts'}")
    return found


def _hook_configs(report: DoctorReport, root: Path) -> None:
    for rel in HOOK_CONFIGS:
        path = root / rel
        if not path.exists():
            continue
        parsed = read_json_object(path)
        if parsed.data is None:
            report.add(rel, "fail", f"cannot be read: {parsed.problem}")
            continue
        commands = sorted({c for c in _commands(parsed.data.get("hooks")) if is_orchestra_hook(c)})
        if not commands:
            report.add(rel, "warn", "has no Orchestra hook")
            continue
        problems = sorted({p for c in commands if (p := _hook_problem(c))})
        if problems:
            report.add(rel, "fail", "; ".join(problems))
        else:
            report.add(rel, "ok", f"{len(commands)} Orchestra hook command(s); their binary starts")


def _commands(hooks: object) -> list[str]:
    out: list[str] = []
    if isinstance(hooks, dict):
        for groups in hooks.values():
            for group in groups if isinstance(groups, list) else []:
                if not isinstance(group, dict):
                    continue
                nested = group.get("hooks")
                items: list[Any] = nested if isinstance(nested, list) else [group]
                out += [i["command"] for i in items if isinstance(i, dict) and isinstance(i.get("command"), str)]
    return out


def _hook_problem(command: str) -> str | None:
    """The ``orchestra`` binary a hook command calls must exist and start."""
    try:
        tokens = shlex.split(command.replace("(", " ").replace(")", " "))
    except ValueError:
        return f"cannot parse hook command {command[:80]!r}"
    binary = next((t for t, nxt in zip(tokens, [*tokens[1:], ""], strict=True)
                   if "orchestra" in os.path.basename(t) and nxt in ("health", "hook")), None)
    if binary is None:
        return f"no orchestra binary in {command[:80]!r}"
    problem = _binary_problem(binary, ("--version",))
    return f"hook binary {binary}: {problem}" if problem else None


@functools.cache
def _binary_problem(command: str, args: tuple[str, ...]) -> str | None:
    """``None`` when ``command`` exists (absolute, or on PATH) and exits 0 with ``args`` (asked once)."""
    import shutil

    path = command if os.path.isabs(command) else shutil.which(command)
    if path is None or not os.path.isfile(path):
        return "not found"
    if not os.access(path, os.X_OK):
        return "not executable"
    try:
        done = subprocess.run([path, *args], capture_output=True, timeout=START_TIMEOUT_S, check=False,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"does not start ({type(exc).__name__})"
    return None if done.returncode == 0 else f"exits {done.returncode}"


def _initialize(report: DoctorReport, root: Path, rel: str, command: list[str]) -> None:
    """Start the server as ``rel`` registers it and send ``initialize`` over stdio."""
    if "--workspace" not in command:
        command = [*command, "--workspace", str(root)]
    request = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                          "clientInfo": {"name": "orchestra-doctor", "version": "1"}}}
    try:
        done = subprocess.run(command, input=(json.dumps(request) + "\n").encode(), capture_output=True,
                              timeout=START_TIMEOUT_S, cwd=root, check=False)
        line = done.stdout.split(b"\n", 1)[0]
        answer = json.loads(line) if line.strip() else {}
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        report.add("mcp server", "fail", f"did not answer initialize ({type(exc).__name__})")
        return
    info = answer.get("result", {}).get("serverInfo", {}) if isinstance(answer, dict) else {}
    if info.get("name") == "orchestra":
        report.add("mcp server", "ok", f"answered initialize (version {info.get('version')}, from {rel})")
    else:
        report.add("mcp server", "fail", "did not answer initialize with serverInfo 'orchestra'")
