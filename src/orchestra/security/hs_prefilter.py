"""One Hyperscan pass over a long text: which rules can match, and where their matches can start.

Each rule's pattern is cut to a *prefix* (its leading items up to :data:`PREFIX_WIDTH` characters of maximum
width; a long repeat keeps its mandatory repetitions, up to that width) and translated like the RE2 set does
(:mod:`orchestra.security.prefilter`: a superset on every text). Every match of the rule starting at ``s``
begins with a match of the prefix starting at ``s`` (or ``s - 1``, for a one-character lookbehind made a
consumed character), so it ends at some reported end offset ``e`` with ``e - width - 1 <= s <= e``: the union
of those intervals covers every start. The detector then runs the rule's own ``re`` pattern only from those
ranges, with the search's ``endpos`` cut at the range end plus the rule's *reach* (how far past its start a
match attempt can read, lookaheads and end assertions included): a match attempt starting inside a range reads
nothing past that point, so it gives exactly what it gives on the whole text.

Texts are mapped to bytes one character each (ASCII unchanged, every other character ``0x80``), so offsets are
character offsets and the translations' non-ASCII classes become ``\\x80``. Anything unusual — no
``hyperscan`` module, a compile or scan error, too many reported ends (dense hostile text, see
:data:`MAX_EVENTS_BASE`) — makes :meth:`HyperscanPrefilter.scan` answer ``None``: the caller runs its exact
literal-prefilter path, never "no match". The database compiles in a background thread once a megabyte of long
text was asked about (:data:`COMPILE_AFTER_CHARS`; until then the literal path runs), once per rule set and
process, and is cached on disk by a hash of the pattern set only when the operator turns that on
(:func:`cache_dir`).
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from orchestra.security.engines import BuiltOnce
from orchestra.security.prefilter import Untranslatable, _rule_patterns, _Translator
from orchestra.security.rules import Rule

PREFIX_WIDTH = 512
"""Maximum width of the prefix kept of each pattern (longer: fewer false candidates, wider start ranges; the
translation relaxes repeats above :data:`HS_REPEAT_CAP`, so it costs little compile time). Measured on the
bench's 16 KB messages: 64 → 1.4 MB/s (reports overflow, fallback), 160 → 4.2, 256 → 5.4, 512 → 6.6–7.3, 1100
→ 6.4–7.0."""

HS_REPEAT_CAP = 128
"""Counted repeats up to this stay exact in the Hyperscan patterns of windowed rules (the RE2 set relaxes those
above 8): the prefix then reports one end per start, not one per character of an open tail. Measured with a
512 prefix: 64 → 6.2–7.3 MB/s, 128 → 6.6–7.9, 256 → 5.2–5.5 and twice the compile time."""

MIN_PREFIX = 3
"""A prefix shorter than this (at least) is not selective: the rule is run as without this module."""

MAX_EVENTS_BASE = 20_000
CHARS_PER_EVENT = 4
"""Reported ends allowed per scan: ``MAX_EVENTS_BASE`` plus one per ``CHARS_PER_EVENT`` characters; past that
(dense hostile text, where the windows would not pay) the scan stops and answers ``None``."""

UNBOUNDED = 1 << 30
_MAXREPEAT = C.MAXREPEAT
_HEX = r"\\x\{([0-9a-fA-F]+)\}"
"""A code point in a translation (compiled by ``re`` on first use, not at import)."""
_ERRORS = "orchestra.one_byte"


def _one_byte(exc: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return b"\x80" * (exc.end - exc.start), exc.end


codecs.register_error(_ERRORS, _one_byte)


def one_byte_per_char(text: str) -> bytes:
    """``text`` as bytes, one per character: ASCII unchanged, any other character (surrogates too) ``0x80``."""
    return text.encode("ascii", _ERRORS)


def _hs_pattern(re2_pattern: str) -> str:
    """An RE2 translation for the one-byte mapping: code points above ``0x80`` become ``0x80``."""
    return re.sub(_HEX, lambda m: f"\\x{min(int(m.group(1), 16), 0x80):02x}", re2_pattern)


def _width(state: Any, items: list[Any]) -> int:
    if not items:
        return 0
    hi = int(sre_parse.SubPattern(state, items).getwidth()[1])
    return UNBOUNDED if hi >= _MAXREPEAT else hi


def prefix_items(state: Any, items: list[Any], budget: int) -> tuple[list[Any], bool]:
    """The leading items of a parsed sequence whose maximum width stays within ``budget`` (an item that would
    exceed it is shortened to a prefix of itself when it can be), and whether anything was cut."""
    out: list[Any] = []
    used = 0
    for op, av in items:
        width = _width(state, [(op, av)])
        if used + width <= budget:
            out.append((op, av))
            used += width
            continue
        left = budget - used
        if op is C.SUBPATTERN:
            group, add, remove, sub = av
            inner, _ = prefix_items(state, list(sub), left)
            out.append((op, (group, add, remove, sre_parse.SubPattern(state, inner))))
        elif op is C.ATOMIC_GROUP:
            inner, _ = prefix_items(state, list(av), left)
            out.append((C.SUBPATTERN, (None, 0, 0, sre_parse.SubPattern(state, inner))))
        elif op is C.BRANCH:
            alts = [sre_parse.SubPattern(state, prefix_items(state, list(alt), left)[0]) for alt in av[1]]
            out.append((op, (av[0], alts)))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, _hi, sub = av
            one = _width(state, list(sub))
            if lo > 0 and 0 < one <= left:
                count = min(lo, left // one)
                out.append((C.MAX_REPEAT, (count, count, sub)))
        return out, True
    return out, False


def trim_tail(state: Any, items: list[Any]) -> list[Any]:
    """``items`` with trailing repeats cut to their mandatory count (dropped at zero), recursively: a prefix of
    the prefix, so it still starts where the rule's matches start, and it reports one end per start instead of
    one per character of an open tail."""
    out = list(items)
    while out:
        op, av = out[-1]
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, sub = av
            if lo == 0:
                out.pop()
                continue
            if hi != lo:
                out[-1] = (C.MAX_REPEAT, (lo, lo, sub))
        elif op is C.SUBPATTERN:
            group, add, remove, sub = av
            out[-1] = (op, (group, add, remove, sre_parse.SubPattern(state, trim_tail(state, list(sub)))))
        elif op is C.BRANCH:
            out[-1] = (op, (av[0], [sre_parse.SubPattern(state, trim_tail(state, list(alt))) for alt in av[1]]))
        elif op in (C.ASSERT, C.ASSERT_NOT, C.AT):
            out.pop()
            continue
        break
    return out


def reach(state: Any, items: list[Any]) -> int:
    """An upper bound on how many characters past its start a match attempt of ``items`` reads: the maximum
    width, plus every lookahead body's width (times the repeats around it), plus 3 for end assertions."""
    extra = _lookahead_width(state, items)
    width = _width(state, items)
    total = width + extra + 3
    return UNBOUNDED if width >= UNBOUNDED or extra >= UNBOUNDED else total


def _lookahead_width(state: Any, items: list[Any]) -> int:
    total = 0
    for op, av in items:
        if op in (C.ASSERT, C.ASSERT_NOT):
            direction, sub = av
            if direction > 0:
                total += _width(state, list(sub)) + _lookahead_width(state, list(sub))
        elif op is C.SUBPATTERN:
            total += _lookahead_width(state, list(av[3]))
        elif op is C.ATOMIC_GROUP:
            total += _lookahead_width(state, list(av))
        elif op is C.BRANCH:
            total += max((_lookahead_width(state, list(alt)) for alt in av[1]), default=0)
        elif op is C.GROUPREF_EXISTS:
            _g, yes, no = av
            total += _lookahead_width(state, list(yes)) + (_lookahead_width(state, list(no)) if no else 0)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            _lo, hi, sub = av
            inner = _lookahead_width(state, list(sub))
            if inner:
                total += UNBOUNDED if hi >= _MAXREPEAT else inner * hi
        if total >= UNBOUNDED:
            return UNBOUNDED
    return total


class Prefix:
    """The Hyperscan pattern standing for one rule pattern, and the bound that makes windows exact. (Plain classes
    here: a dataclass costs a few ms at import.)"""

    __slots__ = ("expression", "width")

    def __init__(self, expression: str, width: int) -> None:
        self.expression = expression
        self.width = width
        """Maximum width of a prefix match (lookbehinds are dropped, so it starts where the rule's match starts)."""


_GATES: dict[str, tuple[re.Pattern[str], ...]] = {}


def register_gate(rule_id: str, *patterns: re.Pattern[str]) -> None:
    """Declare regexes one of which matches inside every match of the rule ``rule_id`` (anywhere in it), for a
    rule whose own prefix is not selective once cut to :data:`PREFIX_WIDTH`: the Hyperscan pass then says
    whether the rule runs (over its usual spans, as a finder's candidates do) instead of running it always."""
    _GATES[rule_id] = patterns


def rule_prefixes(rule: Rule) -> tuple[tuple[Prefix, ...], int, bool] | None:
    """The prefixes standing for ``rule`` (one of them matches where every match of it starts, or, for a finder
    or a gated rule, somewhere in the text where it can hit), the rule's reach (:func:`reach`; :data:`UNBOUNDED`
    for a finder or a gate) and whether its matches are searched from the reported ranges only (``windowed``);
    ``None`` when the rule must always run."""
    found = _prefixes(_rule_patterns(rule), gate=rule.finder is not None)
    if found is not None:
        return found[0], found[1], rule.finder is None
    gates = _GATES.get(rule.rule_id) if rule.finder is None else None
    if gates:
        found = _prefixes(gates, gate=True)
        if found is not None:
            return found[0], found[1], False
    return None


def _prefixes(patterns: tuple[re.Pattern[str], ...] | None, *, gate: bool) -> tuple[tuple[Prefix, ...], int] | None:
    if not patterns:
        return None
    out: list[Prefix] = []
    rule_reach = 0
    try:
        for pattern in patterns:
            flags = pattern.flags if pattern.flags & re.ASCII else pattern.flags | re.UNICODE
            parsed = sre_parse.parse(pattern.pattern, flags)
            flags |= parsed.state.flags
            items = list(parsed)
            rule_reach = max(rule_reach, reach(parsed.state, items))
            head, _cut = prefix_items(parsed.state, items, PREFIX_WIDTH)
            lo = int(sre_parse.SubPattern(parsed.state, head).getwidth()[0]) if head else 0
            if lo < MIN_PREFIX:
                return None
            translator = _HsTranslator(parsed)
            if gate:  # whether it runs only: relaxed repeats scan much faster (a wide {0,47} is slow)
                translator.repeat_cap = 0
            expression = _hs_pattern(translator.seq(trim_tail(parsed.state, head), flags, 0, True))
            out.append(Prefix(expression, _width(parsed.state, head)))
    except (Untranslatable, re.error, KeyError, TypeError, ValueError, OverflowError):
        return None
    return tuple(out), (UNBOUNDED if gate else rule_reach)


class _HsTranslator(_Translator):
    """The RE2 translation without word boundaries and lookbehinds (dropped: still a superset), which slow
    Hyperscan down by an order of magnitude where they lead a pattern. Counted repeats up to ``repeat_cap`` stay
    exact."""

    repeat_cap = HS_REPEAT_CAP

    def node(self, op: Any, av: Any, flags: int, tail: int, at_start: bool) -> str:
        if op in (C.ASSERT, C.ASSERT_NOT) and av[0] < 0:
            return ""
        if op is C.AT and av in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY):
            return ""
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, sub = av
            if hi is not C.MAXREPEAT and hi <= self.repeat_cap:  # kept exact: bounded windows, one end per start
                return f"(?:{self.seq(list(sub), flags, tail, False)}){{{lo},{hi}}}"
        return super().node(op, av, flags, tail, at_start)


def _load_hyperscan() -> Any:
    try:
        import hyperscan
    except ImportError:  # no wheel for this platform: the RE2/literal path decides alone
        return None
    return hyperscan


def cache_dir() -> Path:
    """Where compiled databases are kept: ``$ORCHESTRA_CACHE_DIR``, else ``$XDG_CACHE_HOME/orchestra`` or
    ``~/.cache/orchestra``."""
    explicit = os.environ.get("ORCHESTRA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "orchestra"


_COMPILED: BuiltOnce[Any] = BuiltOnce(8)
"""Compiled databases by pattern-set digest (each thread has its own scratch)."""


def _cached_database(hs: Any, expressions: list[bytes], flags: list[int]) -> Any:
    """The block-mode database of ``expressions``, compiled; with ``ORCHESTRA_GUARD_DB_CACHE=1`` loaded from
    the cache when this exact pattern set (and Hyperscan version) was compiled before, else compiled and
    stored (best effort: an unwritable or corrupt cache only means compiling). Either way a pattern set is
    compiled once per process: later guards reuse the database (read-only once compiled).

    The cache is off unless the operator turns it on: a database file cannot be checked without compiling
    it again, so whoever can write the cache folder (an agent with a shell, as the same user) could plant
    one that matches nothing and blind the long-text pass. Compiling runs in the background and the exact
    path decides meanwhile, so going without the cache costs CPU at start, never a missed secret."""
    digest = hashlib.sha256(repr((getattr(hs, "__version__", ""), expressions, flags)).encode()).hexdigest()[:32]
    path = cache_dir() / "guard" / f"hyperscan-{digest}.db"
    use_cache = os.environ.get("ORCHESTRA_GUARD_DB_CACHE", "0") == "1"
    if use_cache and path.is_file():
        try:
            return hs.loadb(path.read_bytes(), hs.HS_MODE_BLOCK)
        except Exception:  # corrupt or foreign: compile again (and overwrite it)
            pass

    def compile_now() -> Any:
        built = hs.Database(mode=hs.HS_MODE_BLOCK)
        built.compile(expressions=expressions, ids=list(range(len(expressions))), elements=len(expressions),
                      flags=flags)
        return built

    db = _COMPILED.get_or_build(digest, compile_now)
    if use_cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(hs.dumpb(db))
            os.replace(tmp, path)
        except OSError:
            pass
    return db


class _Reports(list):  # type: ignore[type-arg]
    """The reported ends of one scan, ``[pattern, end, pattern, end, ...]`` (a list: built at C speed), and the
    bound on their number (``len > limit``: the scan was stopped)."""

    __slots__ = ("limit",)
    limit: int


def _on_match(pattern: int, _start: int, end: int, _flags: int, reports: _Reports) -> bool:
    """Hyperscan's match callback (module level: no closure built per scan); ``True`` stops the scan."""
    reports.append(pattern)
    reports.append(end)
    return bool(len(reports) > reports.limit)


class Candidates:
    """One scan's answer: per candidate rule index, its sorted disjoint start ranges ``[a, b]`` (``None``: a rule
    that is run as without this module: a finder or one without a prefix)."""

    __slots__ = ("ranges",)

    def __init__(self, ranges: dict[int, list[tuple[int, int]] | None]) -> None:
        self.ranges = ranges

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Candidates) and other.ranges == self.ranges

    __hash__ = None  # type: ignore[assignment]


COMPILE_AFTER_CHARS = 1 << 20
"""Characters of long text a prefilter is asked about before it compiles its database. Compiling costs about
1.2 s of CPU, and the literal path decides the same in the meantime (slower on long texts: about 2.4 MB/s
instead of 8): a process that guards a few prompts or one export never pays it, one that guards bulk text
compiles after its first megabyte. :meth:`SecurityGuard.prepare` compiles at once."""


class HyperscanPrefilter:
    """The Hyperscan database of a rule list, compiled on first use (thread-safe; one scratch per thread)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._rules = tuple(rules)
        self._lock = threading.Lock()
        self._starting = threading.Lock()
        self._built = False
        self._db: Any = None
        self._hs: Any = None
        self._local = threading.local()
        self._thread: threading.Thread | None = None
        self._pattern_rule: tuple[int, ...] = ()
        self._pattern_width: tuple[int, ...] = ()
        self._always: tuple[int, ...] = ()
        self.reach: tuple[int, ...] = ()
        """Per rule index: its reach (:func:`reach`)."""
        self.windowed: frozenset[int] = frozenset()
        """Rule indices whose matches are searched only from the reported ranges (not finders)."""
        self._idle = Candidates({})
        """The answer for a text with no report: only the rules that always run (shared; callers only read it)."""
        self.compile_seconds = 0.0
        self.error: str | None = None
        self._asked = 0

    def _build(self) -> None:
        with self._lock:
            if self._built:
                return
            try:
                self._compile()
            except Exception as exc:  # any engine failure: no database, the exact fallback path decides
                self._db = None
                self.error = type(exc).__name__
            self._built = True

    def _compile(self) -> None:
        hs = _load_hyperscan()
        if hs is None:
            self.error = "hyperscan not installed"
            return
        expressions: list[bytes] = []
        pattern_rule: list[int] = []
        pattern_width: list[int] = []
        always: list[int] = []
        reaches: list[int] = []
        windowed: set[int] = set()
        for i, rule in enumerate(self._rules):
            found = rule_prefixes(rule)
            if found is None:
                always.append(i)
                reaches.append(UNBOUNDED)
                continue
            prefixes, rule_reach, from_ranges = found
            reaches.append(rule_reach)
            if from_ranges:
                windowed.add(i)  # a finder's or a gate's candidates only say whether it runs
            for prefix in prefixes:
                expressions.append(prefix.expression.encode("ascii"))
                pattern_rule.append(i)
                pattern_width.append(prefix.width)
        # a finder's or a gate's candidates only say whether it runs: one report is enough
        flags = [hs.HS_FLAG_ALLOWEMPTY | (0 if pattern_rule[k] in windowed else hs.HS_FLAG_SINGLEMATCH)
                 for k in range(len(expressions))]
        start = time.perf_counter()
        db = _cached_database(hs, expressions, flags)
        self.compile_seconds = time.perf_counter() - start
        self._hs, self._db = hs, db
        self._pattern_rule, self._pattern_width = tuple(pattern_rule), tuple(pattern_width)
        self._always, self.reach, self.windowed = tuple(always), tuple(reaches), frozenset(windowed)
        self._idle = Candidates(dict.fromkeys(self._always))

    @property
    def available(self) -> bool:
        """Whether the database exists (compiled now, waiting for a background compile, if it was not yet)."""
        if not self._built:
            self._build()
        return self._db is not None

    def build_in_background(self) -> None:
        """Start compiling in a daemon thread (once; Hyperscan releases the GIL while it compiles)."""
        with self._starting:  # not ``_lock``: the compile holds that one, and this call must never wait
            if self._built or self._thread is not None:
                return
            self._thread = threading.Thread(target=self._build, name="guard-hyperscan-compile", daemon=True)
            self._thread.start()

    def candidates(self, text: str) -> Candidates | None:
        """:meth:`scan` once the database is ready; until then ``None`` (the exact literal path decides), and
        the compile starts in the background once this prefilter was asked about :data:`COMPILE_AFTER_CHARS`."""
        if not self._built:
            self._asked += len(text)  # a race only miscounts a little
            if self._asked >= COMPILE_AFTER_CHARS:
                self.build_in_background()
            return None
        return self._answer(text) if self._db is not None else None

    @property
    def built(self) -> bool:
        return self._built

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        return scratch

    def scan(self, text: str) -> Candidates | None:
        """The candidate rules of ``text`` and where their matches can start; ``None``: undecided (no database,
        an engine error or too many reported ends), run the exact fallback."""
        if not self._built:
            self._build()
        if self._db is None:
            return None
        return self._answer(text)

    def _answer(self, text: str) -> Candidates | None:
        """:meth:`scan` once the database exists."""
        reports = _Reports()
        reports.limit = limit = 2 * (MAX_EVENTS_BASE + len(text) // CHARS_PER_EVENT)
        scratch = getattr(self._local, "scratch", None) or self._scratch()
        try:
            # positional arguments: keywords cost the binding about 1 µs per call (a third of a short scan)
            self._db.scan(text.encode("ascii", _ERRORS), _on_match, 0, reports, scratch)
        except Exception:
            return None  # an engine error (or the stop below) is never "no match": the caller runs its exact path
        if not reports:
            return self._idle  # the common case (one report per 14 lines of source code): nothing to sort
        if len(reports) > limit:
            return None
        return self._candidates(reports)

    def _candidates(self, ends: list[int]) -> Candidates:
        pattern_rule, pattern_width = self._pattern_rule, self._pattern_width
        windowed = self.windowed
        starts: dict[int, list[tuple[int, int]]] = {}
        ranges: dict[int, list[tuple[int, int]] | None] = dict.fromkeys(self._always)
        for k in range(0, len(ends), 2):
            pattern = ends[k]
            rule = pattern_rule[pattern]
            if rule not in windowed:
                ranges[rule] = None
                continue
            end = ends[k + 1]
            bucket = starts.get(rule)
            if bucket is None:
                starts[rule] = bucket = []
            bucket.append((max(0, end - pattern_width[pattern]), end))
        for rule, spans in starts.items():
            ranges[rule] = _merge(spans)
        return Candidates(ranges)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1] + 1:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _register_builtin_gates() -> None:
    """Gates of the built-in rules whose prefix is cut too short to be selective."""
    from orchestra.security.lazy_pattern import LazyPattern
    from orchestra.security.rules import DATA_RULES

    for rule in DATA_RULES:
        if rule.rule_id == "password.pgpass":
            # host:port:database:user:password: every match holds ``:port:`` (digits or ``*``); a hostname of up
            # to 8 labels makes the prefix wider than PREFIX_WIDTH before it reaches that colon. The rule's flags
            # (inline ones stay in its pattern): its ``\d`` and this one match the same digits.
            gate = LazyPattern(r":(?:\d{2,5}|\*):", rule.pattern.flags & ~re.MULTILINE)
            register_gate(rule.rule_id, gate)  # type: ignore[arg-type]  # read for .pattern and .flags only


_register_builtin_gates()
