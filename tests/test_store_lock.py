"""A write lock held by another process: reads never wait, writes give up with store_busy (issue 14, item 4)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from orchestra.app import Orchestra
from orchestra.errors import ConfigError, StoreBusyError
from orchestra.store.sqlite import SQLiteStore, busy_timeout_from
from tests.helpers import BIN_DIR, clean_env

HOLDER = Path(__file__).parent / "workers" / "lock_holder.py"
SAFETY_S = 60  # a hang guard, not a timing assertion


@contextmanager
def held_write_lock(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``BEGIN IMMEDIATE`` on ``db`` until the block ends."""
    proc = subprocess.Popen([sys.executable, str(HOLDER), str(db)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield proc
        assert proc.poll() is None, "the holder let go early, so the test proves nothing"
    finally:
        if proc.poll() is None:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        proc.communicate(timeout=SAFETY_S)


@pytest.mark.sqlite_only
@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_stdio_server_reads_while_another_process_holds_the_write_lock(workspace: Path, mode: str) -> None:
    with Orchestra.open(workspace) as app:
        app.tasks.add({"id": "L1", "title": "before the lock"}, actor="test")
        db = app.layout.db_path
    params = StdioServerParameters(
        command=str(BIN_DIR / "orchestra-mcp"), args=["--workspace", str(workspace)],
        env=clean_env(ORCHESTRA_STORE_BUSY_TIMEOUT_S="1"), cwd=str(workspace))
    with anyio.fail_after(SAFETY_S):
        async with Client(params, mode=mode) as client:  # type: ignore[arg-type]
            with held_write_lock(db):
                # Reads complete while the lock is still held: had they waited for it, they would hang
                # until the safety bound, since the holder only lets go after this block.
                listed = await client.call_tool("task_list", {})
                assert listed.is_error is False
                assert [t["id"] for t in listed.structured_content["tasks"]] == ["L1"]  # type: ignore[index]
                got = await client.call_tool("task_get", {"task_id": "L1"})
                assert got.is_error is False
                status = await client.call_tool("workspace_status", {})
                assert status.is_error is False
                # A write gives up (while the lock is still held) with a retryable store_busy.
                write = await client.call_tool("task_add", {"id": "L2", "title": "during the lock"})
                assert write.is_error is True
                text = write.content[0].text  # type: ignore[union-attr]
                assert "store_busy:" in text and "retryable" in text
            again = await client.call_tool("task_add", {"id": "L2", "title": "after the lock"})
            assert again.is_error is False
            listed = await client.call_tool("task_list", {})
            assert [t["id"] for t in listed.structured_content["tasks"]] == ["L1", "L2"]  # type: ignore[index]


@pytest.mark.sqlite_only
def test_reads_do_not_wait_for_a_writer_thread_of_the_same_process(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db", busy_timeout_s=0.5)
    inside, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            with store.write() as tx:
                tx.execute("INSERT INTO tasks_probe VALUES (2)")
                inside.set()
                assert release.wait(SAFETY_S)
        except BaseException as exc:
            failures.append(exc)

    with store.write() as tx:
        tx.execute("CREATE TABLE tasks_probe (n INTEGER)")
        tx.execute("INSERT INTO tasks_probe VALUES (1)")
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert inside.wait(SAFETY_S)
        with store.read() as tx:  # sees the committed snapshot, not the open write
            assert [r["n"] for r in tx.fetchall("SELECT n FROM tasks_probe")] == [1]
        with pytest.raises(StoreBusyError), store.write():  # the writer thread holds the lock
            pass
    finally:
        release.set()
        thread.join(SAFETY_S)
    assert not failures
    with store.read() as tx:
        assert [r["n"] for r in tx.fetchall("SELECT n FROM tasks_probe ORDER BY n")] == [1, 2]
    store.close()


def test_busy_timeout_setting_is_validated() -> None:
    assert busy_timeout_from({}) == 10.0
    assert busy_timeout_from({"ORCHESTRA_STORE_BUSY_TIMEOUT_S": "2.5"}) == 2.5
    for bad in ("0", "-1", "nan", "inf", "61", "abc"):
        with pytest.raises(ConfigError):
            busy_timeout_from({"ORCHESTRA_STORE_BUSY_TIMEOUT_S": bad})
