"""Chat at scale: append throughput (guard included), page latency in a 100,000-message thread, export.

* append, 1 process: ``--appends`` messages through ``ChatService.append_message`` (guard, idempotency
  lookup, sequence, insert; ``synchronous=FULL``), messages/s;
* append, 4 processes: 4 worker processes append ``--appends // 4`` each to one thread; throughput over
  the span from the first worker's first append to the last worker's last append;
* ``chat_messages`` page latency: every page (limit 100) of a ``--thread-size`` thread, p50/p99; the
  thread is filled by copying one guarded message row in a single transaction (setup, not measured);
* export of that thread (JSON + Markdown, every message re-guarded): seconds, then a traced run for
  peak Python memory.

Run: ``python bench/bench_chat.py`` (about 3.5 minutes on 2 cores; ``--thread-size`` to shrink).
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import atexit
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from orchestra.app import Orchestra

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, summary_ms

SCOPE = {"task_id": "T-1", "run_id": "run-1", "phase": "implementation", "session_id": "s1"}
ACTOR = {"kind": "parent_agent", "actor_id": "parent", "runtime": "claude-cli", "session_id": "s1"}
TEXT = ("Ran `pytest -q` after changing src/app.py; 3 failures in test_store.py (SELECT count(*) FROM events). "
        "See https://example.com/ci/123 for the log. Next: fix the migration and re-run. n={n}")


def worker(root: Path, thread_id: str, writer: str, count: int) -> None:
    """Append ``count`` messages; print start and end wall-clock times."""
    with Orchestra.open(root) as app:
        start = time.time()
        for n in range(count):
            app.chat.append_message(SCOPE, thread_id, TEXT.format(n=n), ACTOR, f"{writer}-{n}")
        sys.stdout.write(f"{start} {time.time()}\n")


def new_workspace() -> Path:
    """A temporary workspace, removed when the benchmark exits (exports of 100,000 messages are large)."""
    root = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    (root / ".git").mkdir()
    return root


def append_one_process(count: int) -> dict[str, Any]:
    with Orchestra.open(new_workspace()) as app:
        tid = app.chat.create_thread(SCOPE, "bench", ACTOR).id
        started = time.perf_counter()
        for n in range(count):
            app.chat.append_message(SCOPE, tid, TEXT.format(n=n), ACTOR, f"k-{n}")
        elapsed = time.perf_counter() - started
    return {"messages": count, "seconds": round(elapsed, 3), "messages_per_s": round(count / elapsed, 1)}


def append_four_processes(count: int) -> dict[str, Any]:
    root = new_workspace()
    with Orchestra.open(root) as app:
        tid = app.chat.create_thread(SCOPE, "bench", ACTOR).id
    each = count // 4
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", str(root), tid, str(w), str(each)],
                              stdout=subprocess.PIPE, text=True) for w in range(4)]
    spans = [tuple(map(float, p.communicate()[0].split())) for p in procs]
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    with Orchestra.open(root) as app:
        stored = app.chat.get_thread(tid).message_count
    return {"messages": 4 * each, "stored": stored, "seconds": round(elapsed, 3),
            "messages_per_s": round(4 * each / elapsed, 1)}


def fill_thread(app: Orchestra, size: int) -> str:
    tid = app.chat.create_thread(SCOPE, "big", ACTOR).id
    app.chat.append_message(SCOPE, tid, TEXT.format(n=0), ACTOR, "seed")
    with app.store.write() as tx:
        row = tx.fetchone("SELECT * FROM chat_messages WHERE thread_id = ?", (tid,))
        assert row is not None
        for n in range(2, size + 1):
            tx.execute("INSERT INTO chat_messages (id, thread_id, sequence, idempotency_digest, body_digest,"
                       " content_state, delete_status, created_at, text, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (f"message-bench-{n}", tid, n, f"idem-{n}", row["body_digest"], row["content_state"],
                        "active", row["created_at"], TEXT.format(n=n), row["record"]))
        tx.execute("UPDATE chat_threads SET last_sequence = ? WHERE id = ?", (size, tid))
    return tid


def page_latency(app: Orchestra, tid: str) -> dict[str, Any]:
    samples: list[float] = []
    cursor = None
    while True:
        started = time.perf_counter()
        page = app.chat.list_messages(SCOPE, tid, limit=100, cursor=cursor)
        samples.append(time.perf_counter() - started)
        cursor = page.next_cursor
        if cursor is None:
            break
    return {"pages": len(samples), **summary_ms(samples)}


def export(app: Orchestra, tid: str) -> dict[str, Any]:
    started = time.perf_counter()
    result = app.chat.export("thread", thread_id=tid, actor_id="bench", actor_role="auditor")
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    app.chat.export("thread", thread_id=tid, actor_id="bench", actor_role="auditor")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = (app.layout.root / result.json_path).stat().st_size + (app.layout.root / result.markdown_path).stat().st_size
    return {"messages": result.message_count, "seconds": round(elapsed, 2),
            "messages_per_s": round(result.message_count / elapsed, 1), "peak_mib": round(peak / 2**20, 1),
            "bytes_written": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--thread-size", type=int, default=100_000)
    parser.add_argument("--worker", nargs=4, metavar=("ROOT", "THREAD", "WRITER", "COUNT"))
    args = parser.parse_args()
    if args.worker:
        worker(Path(args.worker[0]), args.worker[1], args.worker[2], int(args.worker[3]))
        return
    one = append_one_process(args.appends)
    print(f"append, 1 process : {one['messages']} messages in {one['seconds']} s = {one['messages_per_s']} msg/s")
    four = append_four_processes(args.appends)
    print(f"append, 4 processes: {four['messages']} messages in {four['seconds']} s = {four['messages_per_s']} msg/s"
          f" (stored {four['stored']})")
    with Orchestra.open(new_workspace()) as app:
        tid = fill_thread(app, args.thread_size)
        pages = page_latency(app, tid)
        print(f"chat_messages pages in a {args.thread_size}-message thread: {pages['pages']} pages, "
              f"p50 {pages['p50_ms']} ms, p99 {pages['p99_ms']} ms")
        exported = export(app, tid)
        print(f"export of {exported['messages']} messages: {exported['seconds']} s, peak {exported['peak_mib']} MiB "
              f"traced, {exported['bytes_written']} bytes")
    emit("chat", {"append_1_process": one, "append_4_processes": four, "thread_size": args.thread_size,
                  "page_latency": pages, "export": exported})


if __name__ == "__main__":
    main()
