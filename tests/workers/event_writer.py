"""Worker process: append audit events to a workspace and acknowledge each after commit.

Usage: python event_writer.py ROOT WRITER_ID COUNT   (COUNT 0 = until killed)
Prints one line per committed event: "<writer> <seq> <event id>", flushed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from orchestra.app import Orchestra
from orchestra.events import NewEvent


def main() -> None:
    root, writer, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    with Orchestra.open(root) as app:
        n = 0
        while count == 0 or n < count:
            n += 1
            event = app.events.record(NewEvent(
                type="TEST_EVENT", actor=f"writer-{writer}", summary=f"event {n} of writer {writer}",
                metadata={"writer": writer, "n": n},
            ))
            sys.stdout.write(f"{writer} {event.seq} {event.id}\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
