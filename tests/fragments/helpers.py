"""Shared data for the restricted-fragment tests: a retaining policy, a scope, and one value per category."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from orchestra.app import Orchestra

ALL_CATEGORIES = ["credential", "password", "api_key", "token", "private_key", "payment_data", "regulated_pii",
                  "sensitive_pii"]
SCOPE = {"task_id": "T-1", "run_id": "run-1", "phase": "build", "session_id": "s1"}
HUMAN = {"kind": "human", "actor_id": "ann", "display_name": "Ann", "source": "cli", "session_id": "s1"}

_PEM_BODY = ("MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u"
             "+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQz")
# (category, the value that must be retained, the text it is embedded in)
SAMPLES: list[tuple[str, str, str]] = [
    ("credential", "Zq8Lm2Xw7Rt5Yp3Nc6Vb1Kd9", "client_secret = {v}"),
    ("password", "CanaryPass12345", "password={v}"),
    ("api_key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "the key {v} leaked"),
    ("token", "ghp_Zq8Lm2Xw7Rt5Yp3Nc6Vb1Kd9Hf4Gs0Ja2Ue7", "token {v} end"),
    ("private_key", f"-----BEGIN RSA PRIVATE KEY-----\n{_PEM_BODY}\n-----END RSA PRIVATE KEY-----", "key:\n{v}\n"),
    ("payment_data", "4111 1111 1111 1111", "card {v} ok"),
    ("regulated_pii", "jane.roe@acme-corp.io", "mail {v} now"),
    ("sensitive_pii", "219-09-9999", "SSN {v} on file"),
]


def policy(mode: str = "encrypted", *, allow_restore: bool = True, legal_hold: bool = False,
           retention_days: int | None = 30, sinks: list[str] | None = None,
           categories: list[str] | None = None, policy_id: str = "keep-all") -> dict[str, Any]:
    """A config.json with one retention policy."""
    item: dict[str, Any] = {"id": policy_id, "categories": categories or ALL_CATEGORIES,
                            "sinks": sinks or ["transcript", "evidence", "export"], "mode": mode,
                            "allowRestore": allow_restore, "legalHold": legal_hold}
    if retention_days is not None:
        item["retentionDays"] = retention_days
    return {"restrictedFragments": {"policies": [item]}}


def write_config(root: Path, config: dict[str, Any]) -> None:
    """Write ``.agent-workflow/config.json``."""
    folder = root / ".agent-workflow"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")


def append(app: Orchestra, text: str, key: str, thread_id: str | None = None) -> tuple[str, str]:
    """Append ``text`` (creating a thread when needed); return (thread id, message id)."""
    if thread_id is None:
        thread_id = app.chat.create_thread(SCOPE, "Leak review", HUMAN).id
    result = app.chat.append_message(SCOPE, thread_id, text, HUMAN, key)
    return thread_id, result.message.id


_SCAN = """
import json, sys
from pathlib import Path
root, needle = Path(sys.argv[1]), bytes.fromhex(sys.argv[2])
print(json.dumps(sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                        and needle in p.read_bytes())))
"""


def files_containing(root: Path, needle: bytes) -> list[str]:
    """Files under ``root`` whose bytes contain ``needle``, read by another process: opening and closing the
    database file in this process would drop the POSIX locks the open store holds on it."""
    proc = subprocess.run([sys.executable, "-c", _SCAN, str(root), needle.hex()], capture_output=True, text=True,
                          timeout=60, check=True)
    found: list[str] = json.loads(proc.stdout)
    return found


def rows_containing(db: Path, needle: str) -> list[str]:
    """``table.column`` cells (text or blob) of the database that contain ``needle``."""
    found: list[str] = []
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            for row in cursor:
                for name, value in zip(names, row, strict=True):
                    data = value if isinstance(value, bytes) else str(value).encode()
                    if needle.encode() in data:
                        found.append(f"{table}.{name}")
    finally:
        conn.close()
    return found
