"""Detecting network filesystems, where SQLite's WAL mode is unsafe."""

from __future__ import annotations

from pathlib import Path

NETWORK_FS_TYPES = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "virtiofs", "afs", "ceph", "glusterfs")


def network_filesystem_type(path: Path, mountinfo: Path = Path("/proc/self/mountinfo")) -> str | None:
    """Return the filesystem type when ``path`` lives on a network mount (Linux only), else ``None``."""
    try:
        lines = mountinfo.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best_point, best_type = "", ""
    for line in lines:
        left, sep, right = line.partition(" - ")
        fields = left.split()
        if not sep or len(fields) < 5:
            continue
        point = fields[4].replace("\\040", " ")
        fs_type = right.split()[0] if right.split() else ""
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best_point):
            best_point, best_type = point, fs_type
    if best_type in NETWORK_FS_TYPES or best_type.startswith("fuse.sshfs"):
        return best_type
    return None
