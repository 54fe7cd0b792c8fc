"""A throwaway PostgreSQL cluster for a test run (or a benchmark): initdb in a temp dir, a free port.

``initdb``/``pg_ctl`` refuse to run as root, so as root they run as the ``postgres`` user through
``runuser``. The server listens on 127.0.0.1 only, with ``fsync=off`` (a test cluster, thrown away).
``TEST_DATABASE_URL`` points the tests at an existing server instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CANDIDATE_BINDIRS = ("/usr/local/bin", "/usr/lib/postgresql/*/bin")


def pg_bindir() -> str | None:
    """Where ``initdb``, ``pg_ctl`` and ``postgres`` are (``PG_BINDIR`` first), or ``None``."""
    explicit = os.environ.get("PG_BINDIR")
    candidates = [explicit] if explicit else []
    for pattern in CANDIDATE_BINDIRS:
        candidates += sorted(glob.glob(pattern), reverse=True)
    for folder in candidates:
        if all(Path(folder, name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running throwaway cluster."""

    root: Path
    bindir: str
    port: int
    prefix: list[str]
    started_in: float = 0.0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run([*self.prefix, f"{self.bindir}/pg_ctl", "-D", str(self.root / "data"), "-m", "immediate",
                        "-w", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       timeout=60)
        # The data folder holds a schema per test by the end of a run (tens of thousands of files): removing
        # it took 40 s of the last test's teardown on a loaded machine, so a detached ``rm`` does it instead.
        try:
            subprocess.Popen(["rm", "-rf", "--", str(self.root)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(max_connections: int = 300) -> Cluster:
    """initdb + pg_ctl start (about a second); raises ``RuntimeError`` when PostgreSQL is not installed."""
    bindir = pg_bindir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server binaries (apt-get install postgresql, or set PG_BINDIR)")
    root = Path(tempfile.mkdtemp(prefix="orchestra-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    started = time.monotonic()
    subprocess.run([*prefix, f"{bindir}/initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync",
                    "-E", "UTF8", "--locale=C.UTF-8"], check=True, stdout=subprocess.DEVNULL, timeout=120)
    for attempt in range(5):
        port = _free_port()
        opts = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off -c max_connections={max_connections}")
        done = subprocess.run([*prefix, f"{bindir}/pg_ctl", "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                               opts, "start"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                              timeout=120)
        if done.returncode == 0:
            return Cluster(root, bindir, port, prefix, time.monotonic() - started)
        if attempt == 4:
            log = (root / "log").read_text(errors="replace")[-2000:] if (root / "log").exists() else ""
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"PostgreSQL did not start: {log}")
    raise AssertionError("unreachable")
