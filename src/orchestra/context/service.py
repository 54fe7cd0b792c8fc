"""The context service: a task's manifest and preprocessed bundle."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from orchestra.context.cache import ExtractionCache
from orchestra.context.config import resolve_config
from orchestra.context.guarding import PromptGuard
from orchestra.context.manifest import ContextManifest, EntrySource, ManifestEntry, load_mode_of
from orchestra.context.model import ContextSource
from orchestra.context.preprocessor import Preprocessor, Progress
from orchestra.context.strategies.markdown_sections import build_terms
from orchestra.errors import ValidationError
from orchestra.tasks import Task, TaskService
from orchestra.workspace.paths import guard_path

ROLE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
INSTRUCTION_FILES = ("AGENTS.md", "CLAUDE.md")
MAX_REQUESTED_PATHS = 2000
OWNERSHIP_REASON = "Delegated ownership path; cite this path instead of loading raw file content by default."


class ContextService:
    """Builds manifests for delegated children from tasks and workspace files."""

    def __init__(self, root: Path, tasks: TaskService, guard: PromptGuard, workflow_dir: Path | None = None,
                 cache_secret: bytes | None = None) -> None:
        self._root = root
        self._tasks = tasks
        cache = None
        if workflow_dir is not None and cache_secret is not None:
            cache = ExtractionCache(workflow_dir, cache_secret)
        self.preprocessor = Preprocessor(root, guard, cache)

    def close(self) -> None:
        """Release the extraction cache."""
        self.preprocessor.close()

    def manifest(
        self,
        task_id: str,
        role: str,
        *,
        phase: str | None = None,
        paths: Sequence[str] = (),
        max_lines_per_file: int | None = None,
        total_line_budget: int | None = None,
        env: Mapping[str, str] | None = None,
        progress: Progress | None = None,
        task: Task | None = None,
    ) -> ContextManifest:
        """Manifest and bundle for ``task_id`` as seen by ``role`` (optionally in ``phase``); ``task`` is that
        task when the caller has just read it (one store read less)."""
        _check_name("role", role)
        if phase is not None:
            _check_name("phase", phase)
        if len(paths) > MAX_REQUESTED_PATHS:
            raise ValidationError(f"at most {MAX_REQUESTED_PATHS} paths may be requested")
        requested = [guard_path(self._root, raw).relative for raw in paths]
        config, warnings = resolve_config(env, max_lines_per_file=max_lines_per_file,
                                          total_line_budget=total_line_budget)
        if task is None or task.id != task_id:
            task = self._tasks.get(task_id)
        planned = self._plan(task, requested)
        weighted = [(task.id, 5), (role, 2), (phase or "", 2), (task.title, 2), (task.goal, 1)]
        weighted += [(criterion, 1) for criterion in task.acceptance_criteria]
        weighted += [(path, 2) for path in task.ownership_paths]
        terms = build_terms(weighted)
        bundle = self.preprocessor.build([s for s, _ in planned], config, terms=terms, config_warnings=warnings,
                                          progress=progress)
        by_path = {f.path: f for f in bundle.files}
        entries = [
            ManifestEntry(path=s.path, source=kind, required=s.required, reason=s.reason,
                          load_mode=load_mode_of(by_path.get(s.path)),
                          sha256=by_path[s.path].sha256 if s.path in by_path else None,
                          missing=by_path[s.path].missing if s.path in by_path else False)
            for s, kind in planned
        ]
        return ContextManifest(task_id=task.id, role=role, phase=phase,
                               acceptance_criteria=list(task.acceptance_criteria), entries=entries, bundle=bundle)

    def _plan(self, task: Task, requested: list[str]) -> list[tuple[ContextSource, EntrySource]]:
        planned: list[tuple[ContextSource, EntrySource]] = [
            (ContextSource(path=f"task:{task.id}", reason="The delegated task: title, goal and acceptance criteria.",
                           required=True, content=_task_text(task)), "task-definition"),
        ]
        for name in INSTRUCTION_FILES:
            if (self._root / name).is_file():
                planned.append((ContextSource(path=name, reason="Workspace instructions for agents.", required=True),
                                "runtime-instructions"))
        seen = {s.path for s, _ in planned}
        for path in task.ownership_paths:
            if path not in seen:
                seen.add(path)
                planned.append((ContextSource(path=path, reason=OWNERSHIP_REASON), "ownership-path"))
        for path in requested:
            if path not in seen:
                seen.add(path)
                planned.append((ContextSource(path=path, reason="Requested by the parent for this delegation."),
                                "requested-path"))
        return planned


def _task_text(task: Task) -> str:
    lines = [f"# Task {task.id}: {task.title}"]
    if task.goal:
        lines += ["", "## Goal", task.goal]
    if task.acceptance_criteria:
        lines += ["", "## Acceptance Criteria", *(f"- {c}" for c in task.acceptance_criteria)]
    if task.ownership_paths:
        lines += ["", "## Ownership Paths", *(f"- {p}" for p in task.ownership_paths)]
    return "\n".join(lines)


def _check_name(kind: str, value: str) -> None:
    if not isinstance(value, str) or not ROLE_PATTERN.match(value):
        raise ValidationError(
            f"{kind} must start with a lowercase letter, then lowercase letters, digits, '_' or '-' (up to 64)"
        )
