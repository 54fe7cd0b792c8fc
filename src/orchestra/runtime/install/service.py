"""Plan and apply ``init --target``: one report listing every file written or left alone."""

from __future__ import annotations

import stat
from pathlib import Path

from orchestra.runtime.install.commands import resolve_executables
from orchestra.runtime.install.model import PENDING, FileChange, InitOptions, InitReport
from orchestra.runtime.install.targets import plan_target
from orchestra.workspace.atomic import atomic_write_bytes


def plan_install(root: Path, options: InitOptions) -> InitReport:
    """Read every file the targets manage and decide what to do; writes nothing."""
    exe = resolve_executables(portable=options.portable)
    report = InitReport(workspace=str(root), targets=list(options.targets))
    for target in options.targets:
        plan = plan_target(target, root, exe, options)
        report.files += plan.files
        report.notes += plan.notes
    for change in report.files:
        if (change.action in ("drift", "conflict") or change.drifted) and change.note:
            report.notes.append(f"{change.path}: {change.note}")
    return report


def apply_install(report: InitReport) -> list[FileChange]:
    """Write backups first, then the new files (atomically). Returns the files written."""
    written: list[FileChange] = []
    for change in report.files:
        if change.action not in PENDING or change.absolute is None or change.content is None:
            continue
        if change.backup_content is not None and change.backup:
            backup = change.absolute.with_name(Path(change.backup).name)
            if not backup.exists():
                atomic_write_bytes(backup, change.backup_content, mode=0o600)
        try:
            mode = stat.S_IMODE(change.absolute.stat().st_mode)
        except FileNotFoundError:
            mode = 0o644
        atomic_write_bytes(change.absolute, change.content, mode=mode)
        written.append(change)
    return written
