"""Building a bundle: dedupe sources, reduce each within the budget, rank when they do not fit, guard, hash.

Deterministic: the same sources, file contents, budgets and terms give a
byte-identical bundle (no timestamps inside). Required sources come first in their
given order; the others keep their given order when they all fit, and are otherwise
chosen by :mod:`orchestra.context.ranking` (best first) with the rest listed as omitted.
Code files are reduced through tree-sitter (:mod:`orchestra.context.code`) and their
extractions are cached by content hash (:mod:`orchestra.context.cache`).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestra.context.cache import ExtractionCache
from orchestra.context.code.languages import LanguageSpec, language_for
from orchestra.context.config import BundleConfig
from orchestra.context.directory import directory_listing
from orchestra.context.extraction import (
    MAX_LINE_CHARS,
    STRATEGY_VERSION,
    Extraction,
    build_extraction,
    cache_key,
    cut_line,
    render,
)
from orchestra.context.extraction import survey as scan
from orchestra.context.guarding import PromptGuard
from orchestra.context.memo import MAX_EXTRACTIONS, MAX_RANKINGS, BoundedMemo, stat_key
from orchestra.context.model import BundleBudget, ContextBundle, ContextFile, ContextSource, OmittedSource, Strategy
from orchestra.context.ranking import Ranked, RankInput, rank
from orchestra.context.strategies.head_tail import HEAD_LINES, TAIL_LINES, head_tail
from orchestra.context.strategies.markdown_sections import Term, markdown_sections
from orchestra.context.text import BINARY_PROBE_BYTES, FULL_READ_LIMIT, SourceText, from_bytes, from_string, read_file
from orchestra.errors import OrchestraError
from orchestra.workspace.paths import PathGuard

MARKDOWN_SUFFIXES = frozenset({".md", ".mdc", ".markdown"})
REDUCING = frozenset({"schema-extraction", "section-extraction", "head-tail-truncation", "directory-reference",
                      "binary-reference"})
BUNDLE_WARNING = "One or more context sources were reduced or omitted; cite source paths when full files are needed."
Progress = Callable[[int, int, str], None]
KEEP_BYTES = 256 * 1024  # a surveyed file this small keeps its bytes until it is rendered
Renderer = Callable[[int], ContextFile]


@dataclass
class BuildStats:
    """Work done by one preprocessor (for tests and benchmarks)."""

    parsed: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    memo_hits: int = 0
    ranking_hits: int = 0


@dataclass
class _Prepared:
    source: ContextSource
    render: Renderer
    survey: _Survey | None = None  # a code file's names and references, scanned only if ranking needs them
    identity: str = ""  # the extraction's cache key: what its names and references depend on ("" = none)
    bound: int | None = None  # most lines it can take at the per-file budget (None: render it to know)


@dataclass
class _Survey:
    """What ranking needs of a code file (its defined names and used identifiers, found without parsing
    it, on first need: a ranking served from a cache never scans) and its extraction once built."""

    spec: LanguageSpec | None
    key: str
    target: Path
    data: bytes | None = None  # the bytes read for the key, kept until scanned when small enough
    scanned: tuple[list[str], frozenset[bytes]] | None = None
    extraction: Extraction | None = None

    def scan(self) -> tuple[list[str], frozenset[bytes]]:
        """The defined names and the words used (see :func:`orchestra.context.extraction.survey`)."""
        if self.scanned is None:
            data = self.data
            if data is None:
                try:
                    with self.target.open("rb") as handle:
                        data = handle.read(FULL_READ_LIMIT + 1)
                except OSError:
                    data = b""
            self.scanned = scan(data)
            self.data = None
        return self.scanned


class Preprocessor:
    """Reduces sources inside one workspace, passing every text through the prompt guard."""

    def __init__(self, root: Path, guard: PromptGuard, cache: ExtractionCache | None = None) -> None:
        self._root = root
        self._guard = guard
        self._cache = cache
        self.stats = BuildStats()
        self._surveys: BoundedMemo[_Survey] = BoundedMemo(MAX_EXTRACTIONS)
        self._rankings: BoundedMemo[list[Ranked]] = BoundedMemo(MAX_RANKINGS)

    def close(self) -> None:
        """Release the cache's connection."""
        if self._cache is not None:
            self._cache.close()

    def build(
        self,
        sources: Sequence[ContextSource],
        config: BundleConfig,
        *,
        terms: Sequence[Term] = (),
        config_warnings: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> ContextBundle:
        """The bundle for ``sources`` (deduplicated by path, first wins) within ``config``'s budgets."""
        unique = list({s.path: s for s in reversed(sources)}.values())[::-1]
        per_file = config.max_lines_per_file
        remaining = config.total_line_budget
        files: list[ContextFile] = []
        omitted: list[OmittedSource] = []
        fresh: dict[str, Extraction] = {}
        done = 0

        def tick(path: str) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, len(unique), path)

        paths = PathGuard(self._root)  # the root resolved once for all sources
        pool: list[_Prepared] = []
        for source in unique:
            if source.required:
                if remaining <= 0:
                    omitted.append(_omitted(source, "total line budget exhausted"))
                else:
                    record = self._prepare(source, per_file, list(terms), fresh, paths).render(min(per_file, remaining))
                    remaining -= record.final_lines
                    files.append(record)
                tick(source.path)
        known: dict[int, ContextFile] = {}
        need = 0
        for source in unique:
            if not source.required:
                item = self._prepare(source, per_file, list(terms), fresh, paths)
                if item.bound is None:  # cheap to render (text, folders, missing): render now
                    known[len(pool)] = item.render(per_file)
                need += known[len(pool)].final_lines if item.bound is None else item.bound
                pool.append(item)
                tick(source.path)
        if need <= max(0, remaining):
            files.extend(known[i] if i in known else item.render(per_file) for i, item in enumerate(pool))
        else:
            files.extend(self._fill(pool, known, remaining, per_file, terms, omitted))
        for item in pool:
            if item.survey is not None:
                item.survey.data = None  # memoised surveys keep no file bytes between builds
        if self._cache is not None and fresh:
            self._cache.put_many({key: e for key, e in fresh.items() if e.cacheable})
        return _assemble(config, list(config_warnings), files, omitted)

    def _fill(self, pool: list[_Prepared], known: dict[int, ContextFile], remaining: int, per_file: int,
              terms: Sequence[Term], omitted: list[OmittedSource]) -> list[ContextFile]:
        """The candidates that fit, best ranked first; code files are parsed in rank order, only while
        they fit, so what is left out is never parsed. The rest go to ``omitted`` with their rank."""
        ranked = self._rank(pool, terms)
        chosen: list[tuple[int, ContextFile]] = []
        for place, entry in enumerate(ranked, start=1):
            item = pool[entry.index]
            if remaining <= 0:
                omitted.append(_omitted(item.source, f"ranked {place} of {len(ranked)} by relevance to the "
                                                     f"task (score {entry.relevance}); total line budget "
                                                     "exhausted"))
                continue
            record = known[entry.index] if entry.index in known else item.render(per_file)
            if record.final_lines > remaining:
                record = item.render(remaining)
            remaining -= record.final_lines
            chosen.append((entry.index, record))
        if len(chosen) == len(pool):  # everything fitted after all: the given order, as when it fits
            chosen.sort(key=lambda pair: pair[0])
        return [record for _, record in chosen]

    def _rank(self, pool: list[_Prepared], terms: Sequence[Term]) -> list[Ranked]:
        """:func:`rank`, memoised by its exact inputs (paths, what their names and references come from,
        terms); a candidate without a cache key has no names or references."""
        key = (tuple((p.source.path, p.identity) for p in pool), tuple(terms))
        found = self._rankings.get(key)
        if found is not None:
            return found
        stored_key = _ranking_key(key[0], terms)
        found = self._stored_ranking(stored_key, len(pool))
        if found is None:
            inputs = []
            for p in pool:
                names, references = p.survey.scan() if p.survey is not None else ([], frozenset())
                inputs.append(RankInput(p.source.path, names, references))
            found = rank(inputs, terms)
            if self._cache is not None:
                self._cache.put_blob(stored_key, json.dumps(
                    [[r.index, r.relevance, r.pagerank] for r in found], separators=(",", ":")).encode())
        self._rankings.put(key, found)
        return found

    def _stored_ranking(self, key: str, size: int) -> list[Ranked] | None:
        """A ranking another process (or an earlier server) stored for the same inputs."""
        if self._cache is None:
            return None
        blob = self._cache.get_blob(key)
        if blob is None:
            return None
        try:
            found = [Ranked(int(i), int(relevance), float(pagerank)) for i, relevance, pagerank in json.loads(blob)]
        except (ValueError, TypeError):
            return None
        if sorted(r.index for r in found) != list(range(size)):
            return None
        self.stats.ranking_hits += 1
        return found

    def _prepare(self, source: ContextSource, per_file: int, terms: list[Term],
                 fresh: dict[str, Extraction], paths: PathGuard) -> _Prepared:
        if source.content is not None:
            text = from_string(source.content)
            return _Prepared(source, lambda n: self._reduce(source, text, n, terms))
        try:
            guarded = paths.guard(source.path)
        except OrchestraError:
            return _Prepared(source, lambda _n: _missing(source))
        target = guarded.absolute
        info: os.stat_result | None
        try:
            info = None if "*" in source.path else target.stat()
        except OSError:
            info = None
        mode = -1 if info is None else info.st_mode
        if mode == -1:
            return _Prepared(source, lambda _n: _missing(source))
        if stat.S_ISDIR(mode):
            def listing(n: int) -> ContextFile:
                lines = directory_listing(target, guarded.relative, n)
                return self._finish(source, "directory-reference", lines, 0, 0, None, False,
                                    "Directory listed without reading file contents.")
            return _Prepared(source, listing)
        if not stat.S_ISREG(mode) or info is None:
            return _Prepared(source, lambda _n: _missing(source))
        memo_key = stat_key(guarded.relative, info, per_file, STRATEGY_VERSION)
        survey = self._surveys.get(memo_key) if memo_key is not None else None
        kept: bytes | None = None
        if survey is not None:
            self.stats.memo_hits += 1
        else:
            try:
                with target.open("rb") as handle:
                    data = handle.read(FULL_READ_LIMIT + 1)
                if len(data) > FULL_READ_LIMIT or b"\x00" in data[:BINARY_PROBE_BYTES]:
                    del data
                    text = read_file(target)
                    return self._prepare_text(source, guarded.relative, text, terms)
            except OSError:
                return _Prepared(source, lambda _n: _missing(source))
            suffix = Path(source.path).suffix.lower()
            if suffix in MARKDOWN_SUFFIXES:
                return self._prepare_text(source, guarded.relative, from_bytes(data), terms)
            spec = language_for(source.path)
            kept = data if len(data) <= KEEP_BYTES else None  # else read again if it is ever rendered
            survey = _Survey(spec, cache_key(hashlib.sha256(data).hexdigest(), spec, per_file), target, kept)
            if memo_key is not None:
                self._surveys.put(memo_key, survey)
            del data
        found = survey

        def load() -> Extraction | None:
            if found.extraction is not None:
                return found.extraction
            extraction = self._extraction(found, target, kept, per_file, fresh)
            if extraction is not None and extraction.cacheable and extraction.sha256 == found.key.rsplit("|", 1)[1]:
                found.extraction = extraction
            return extraction

        def render_code(n: int) -> ContextFile:
            extraction = load()
            if extraction is None:
                return _missing(source)
            return self._from_extraction(source, extraction, found.spec, n)

        return _Prepared(source, render_code, survey=found, identity=found.key,
                         bound=per_file)

    def _extraction(self, survey: _Survey, target: Path, kept: bytes | None, per_file: int,
                    fresh: dict[str, Extraction]) -> Extraction | None:
        """The surveyed file's extraction: this build's, the disk cache's, or parsed now."""
        key = survey.key
        extraction = fresh.get(key)
        if extraction is None and self._cache is not None:
            extraction = self._cache.get_many([key]).get(key)
        if extraction is not None:
            self.stats.cache_hits += 1
            return extraction
        data = kept
        if data is None:
            try:
                with target.open("rb") as handle:
                    data = handle.read(FULL_READ_LIMIT + 1)
            except OSError:
                return None
            key = cache_key(hashlib.sha256(data).hexdigest(), survey.spec, per_file)  # changed since: its own key
        self.stats.cache_misses += 1
        extraction = build_extraction(from_bytes(data), survey.spec, per_file, self._guard, self._counted_extract)
        fresh[key] = extraction
        return extraction

    def _counted_extract(self, spec: LanguageSpec, data: bytes, enough: int | None = None) -> object:
        from orchestra.context.code.extract import extract

        self.stats.parsed += 1
        return extract(spec, data, enough=enough)

    def _prepare_text(self, source: ContextSource, relative: str, text: SourceText, terms: list[Term]) -> _Prepared:
        if text.binary:
            line = f"Binary file reference: {relative} ({text.total_bytes} bytes); contents not loaded."
            return _Prepared(source, lambda _n: self._finish(
                source, "binary-reference", [line], 0, text.total_bytes, text.sha256, False,
                "Binary file referenced without loading its contents."))
        if text.truncated_read:
            spec = language_for(source.path)
            extraction = build_extraction(text, spec, 0, self._guard)
            return _Prepared(source, lambda n: self._from_extraction(source, extraction, spec, n))
        return _Prepared(source, lambda n: self._reduce(source, text, n, terms))

    def _from_extraction(self, source: ContextSource, extraction: Extraction, spec: LanguageSpec | None,
                         max_lines: int) -> ContextFile:
        token = spec.comment_token if spec else "#"
        strategy, part, used = render(extraction, max_lines, token)
        prior: dict[str, int] = {}
        for used_part in used:
            for category, count in used_part.redactions.items():
                prior[category] = prior.get(category, 0) + count
        fallback = extraction.fallback if strategy == "head-tail-truncation" else None
        record = self._finish(source, strategy, part.lines, extraction.total_lines, extraction.total_bytes,
                              extraction.sha256, extraction.decoding_replaced, None, prior=prior,
                              withheld=None if part.lines is not None else part.outcome, fallback=fallback,
                              guarded_outcome=part.outcome,
                              language=extraction.language if strategy == "schema-extraction" else None)
        return record

    def _reduce(self, source: ContextSource, text: SourceText, max_lines: int, terms: list[Term]) -> ContextFile:
        strategy, lines = choose_reduction(source.path, text, max_lines, terms)
        return self._finish(source, strategy, lines, text.total_lines, text.total_bytes, text.sha256,
                            text.decoding_replaced, None)

    def _finish(self, source: ContextSource, strategy: str, lines: list[str] | None, original_lines: int,
                original_bytes: int, sha256: str | None, replaced: bool, note: str | None, *,
                prior: dict[str, int] | None = None, withheld: str | None = None,
                fallback: str | None = None, guarded_outcome: str | None = None,
                language: str | None = None) -> ContextFile:
        """One record; ``guarded_outcome`` is set when ``lines`` already passed the guard (an extraction)."""
        redactions = dict(prior or {})
        text: str | None
        if withheld is None and lines is not None and guarded_outcome is not None:
            outcome, text = guarded_outcome, "\n".join(_trim_blank_edges(lines))
        elif withheld is None and lines is not None:
            content = "\n".join(_trim_blank_edges(lines))
            safe = self._guard(content)
            outcome, text = safe.outcome, safe.text
            for category, count in safe.redactions.items():
                redactions[category] = redactions.get(category, 0) + count
        else:
            outcome, text = withheld or "block", None
        if text is not None and redactions and outcome == "allow":
            outcome = "redact"
        content = f"[withheld by the security guard: {outcome}]" if text is None else text
        final_lines = len(content.split("\n")) if content else 0
        warning = note
        if strategy in REDUCING and note is None:
            how = f"{strategy} ({fallback})" if fallback else strategy
            warning = f"Reduced from {original_lines} lines using {how}; full source remains at {source.path}."
        if text is None:
            warning = f"Content withheld by the security guard ({outcome}); full source remains at {source.path}."
        if replaced:
            warning = (warning + " " if warning else "") + "Invalid UTF-8 was replaced while decoding."
        return ContextFile(
            path=source.path, reason=source.reason, required=source.required, strategy=strategy,
            original_lines=original_lines, final_lines=final_lines, original_bytes=original_bytes,
            final_bytes=len(content.encode("utf-8")), omitted_content_warning=warning, content=content,
            missing=False, sha256=sha256, decoding_replaced=replaced, redactions=dict(sorted(redactions.items())),
            guard_outcome=outcome, language=language, fallback_reason=fallback,
        )


def choose_reduction(path: str, text: SourceText, max_lines: int, terms: list[Term]) -> tuple[Strategy, list[str]]:
    """Inline text and Markdown: passthrough, section extraction or head/tail (lines cut to a bound)."""
    if not text.truncated_read and len(text.lines) <= max_lines and all(len(x) <= MAX_LINE_CHARS for x in text.lines):
        return "passthrough", text.lines
    if not text.truncated_read and Path(path).suffix.lower() in MARKDOWN_SUFFIXES:
        reduced = markdown_sections(text.lines, max_lines, terms)
        if reduced:
            return "section-extraction", [cut_line(x) for x in reduced]
    ending = text.tail if text.truncated_read else text.lines[-TAIL_LINES:]
    head = [cut_line(x) for x in text.lines[:HEAD_LINES]]
    return "head-tail-truncation", head_tail(head, max_lines, text.total_lines, [cut_line(x) for x in ending])


def _ranking_key(candidates: tuple[tuple[str, str], ...], terms: Sequence[Term]) -> str:
    """The disk-cache key of a ranking: every candidate's path and content key, and the terms."""
    material = json.dumps([STRATEGY_VERSION, candidates, [[t.text, t.weight] for t in terms]], separators=(",", ":"))
    return "ranking|" + hashlib.sha256(material.encode("utf-8")).hexdigest()


def _omitted(source: ContextSource, because: str) -> OmittedSource:
    return OmittedSource(path=source.path, reason=source.reason, required=source.required, omitted_because=because)


def _missing(source: ContextSource) -> ContextFile:
    return ContextFile(
        path=source.path, reason=source.reason, required=source.required, strategy="missing", original_lines=0,
        final_lines=0, original_bytes=0, final_bytes=0,
        omitted_content_warning=f"Source path was unavailable during preprocessing: {source.path}.",
        content="", missing=True, sha256=None,
    )


def _trim_blank_edges(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _assemble(config: BundleConfig, warnings: list[str], files: list[ContextFile],
              omitted: list[OmittedSource]) -> ContextBundle:
    reduced = omitted or any(f.strategy in REDUCING or f.guard_outcome not in ("allow", "redact") for f in files)
    bundle = ContextBundle(
        config=BundleBudget(max_lines_per_file=config.max_lines_per_file, total_line_budget=config.total_line_budget),
        config_warnings=warnings,
        original_lines=sum(f.original_lines for f in files),
        final_lines=sum(f.final_lines for f in files),
        original_bytes=sum(f.original_bytes for f in files),
        final_bytes=sum(f.final_bytes for f in files),
        omitted_content_warning=BUNDLE_WARNING if reduced else None,
        files=files,
        omitted_sources=omitted,
        redaction_total=sum(sum(f.redactions.values()) for f in files),
    )
    return bundle.model_copy(update={"content_hash": bundle_hash(bundle)})


def bundle_hash(bundle: ContextBundle) -> str:
    """sha256 over the canonical JSON of the bundle without its hash field."""
    data = bundle.model_dump(mode="json", exclude={"content_hash"})
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
