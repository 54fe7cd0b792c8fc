"""Worker process: append chat messages to one thread and acknowledge each after commit.

Usage: python chat_writer.py ROOT THREAD_ID WRITER_ID COUNT
Prints one line per committed message: "<writer> <sequence> <message id>", flushed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from orchestra.app import Orchestra

SCOPE = {"task_id": "T-1", "run_id": "run-1", "phase": "implementation", "session_id": "s1"}
ACTOR = {"kind": "parent_agent", "actor_id": "parent", "runtime": "claude-cli", "session_id": "s1"}


def main() -> None:
    root, thread_id, writer, count = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    with Orchestra.open(root) as app:
        for n in range(1, count + 1):
            result = app.chat.append_message(SCOPE, thread_id, f"writer {writer} message {n}: `make test`",
                                             ACTOR, f"{writer}-{n}")
            sys.stdout.write(f"{writer} {result.message.sequence} {result.message.id}\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
