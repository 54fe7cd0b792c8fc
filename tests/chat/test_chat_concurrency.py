"""Four processes append to one thread at once: every message lands, sequences 1..n, no gaps, no repeats."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orchestra.app import Orchestra

WRITER = Path(__file__).parents[1] / "workers" / "chat_writer.py"
SCOPE = {"task_id": "T-1", "run_id": "run-1", "phase": "implementation", "session_id": "s1"}
ACTOR = {"kind": "parent_agent", "actor_id": "parent", "runtime": "claude-cli", "session_id": "s1"}


@pytest.mark.slow
def test_four_processes_append_2000_messages_to_one_thread(workspace: Path) -> None:
    with Orchestra.open(workspace) as app:
        thread_id = app.chat.create_thread(SCOPE, "load", ACTOR).id
    writers, per_writer = 4, 500
    procs = [subprocess.Popen([sys.executable, str(WRITER), str(workspace), thread_id, str(w), str(per_writer)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(writers)]
    acked: list[tuple[str, int, str]] = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        acked += [(w, int(seq), mid) for w, seq, mid in (line.split() for line in out.splitlines())]
    total = writers * per_writer
    assert len(acked) == total
    assert sorted(seq for _, seq, _ in acked) == list(range(1, total + 1))
    with Orchestra.open(workspace) as app:
        sequences: list[int] = []
        cursor = None
        while True:
            page = app.chat.list_messages(SCOPE, thread_id, limit=100, cursor=cursor)
            sequences += [m.sequence or 0 for m in page.messages]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sequences == list(range(1, total + 1))
        assert app.chat.get_thread(thread_id).message_count == total
        ids = {m for _, _, m in acked}
        assert len(ids) == total
