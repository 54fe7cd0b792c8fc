"""Worker process: hold SQLite's write lock on a database until told to let go.

Usage: python lock_holder.py DB_PATH [SECONDS]
Opens ``BEGIN IMMEDIATE``, prints "locked" (flushed), then waits for a line on stdin
(or SECONDS, when given), rolls back and prints "released".
"""

from __future__ import annotations

import select
import sqlite3
import sys


def main() -> None:
    path = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else None
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    sys.stdout.write("locked\n")
    sys.stdout.flush()
    if seconds is None:
        sys.stdin.readline()
    else:
        select.select([sys.stdin], [], [], seconds)
    conn.execute("ROLLBACK")
    conn.close()
    sys.stdout.write("released\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
