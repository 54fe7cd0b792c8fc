"""One multi-pattern pass that tells which rules can match a text at all (a prefilter, never a verdict).

Every rule's ``re`` pattern is translated into an RE2 pattern that matches a *superset* of the texts the
rule can hit: lookaheads and trailing assertions are dropped, a one-character lookbehind at the start
becomes a consumed character (or the start), back-references repeat their group, large counted repeats
are relaxed, and every character class is exact on ASCII and accepts all non-ASCII characters (so case
folding and Unicode classes can only add candidates). All translated patterns go into one ``re2.Set``;
one ``Match`` over the UTF-8 text returns the rules whose translation matches somewhere. A rule it leaves
out cannot hit: its ``re`` pattern matches nowhere, not even inside a window (a match inside
``[lo, hi)`` sees the real text before ``lo`` and treats ``hi`` as the end, which is why assertions that
may sit at the end of a match are dropped). The rules it returns are then run by ``re`` as before, so
results are identical with or without this module (property-tested).

A rule with a custom ``finder`` is opaque: it needs a candidate pattern registered with
:func:`register_finder_candidate` (a Python regex that matches wherever the finder can yield), or it is
always run. ``google-re2`` is optional: without it (or for texts RE2 cannot take, such as lone
surrogates) :meth:`RulePrefilter.active` returns ``None`` and the literal prefilter decides alone.

The set's lazy DFA is fast while its state cache holds the texts' states (benign text) and about 10 µs per
byte when it thrashes (keyword-dense or hostile text, where nearly every rule is a candidate anyway), so only
texts up to :data:`MAX_TEXT_CHARS` are matched. ``RE2::Set::Match`` answers "no match" when the DFA runs out
of memory; an always-matching sentinel pattern tells that apart, and such a text is undecided (``None``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from re import _compiler as sre_compile  # type: ignore[attr-defined]
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from orchestra.security.engines import BuiltOnce
from orchestra.security.rules import Rule

REPEAT_CAP = 8
"""Counted repeats above this become open-ended (``{m,n}`` with ``n > cap`` -> ``{min(m, cap),}``): the
RE2 program stays small; a looser pattern is still a superset."""

MAX_TEXT_CHARS = 1024
"""Longer texts are left to the literal prefilter (see the module docstring; measured in bench/bench_guard.py)."""

_SENTINEL = b""
"""Set pattern 0: matches every text, so a match list without it means the DFA failed (out of memory)."""

_NON_ASCII = r"\x{80}-\x{10FFFF}"
CASE_FOLDS = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}
"""The non-ASCII characters ``re.IGNORECASE`` (Unicode) matches to ASCII letters: İ ı to i, the Kelvin sign to
k, long s to s (a test checks every code point). A case-insensitive letter translates to exactly these, not
to every non-ASCII character: that over-approximation made the RE2 DFA build many more states on new text."""
_FINDER_CANDIDATES: dict[Callable[..., Any], tuple[re.Pattern[str], ...]] = {}


def register_finder_candidate(finder: Callable[..., Any], *patterns: re.Pattern[str]) -> None:
    """Declare regexes one of which matches in every text (or window ``[pos, endpos)``) where ``finder`` can
    yield a span. Without a declaration, a rule with that finder always runs."""
    _FINDER_CANDIDATES[finder] = patterns


class Untranslatable(ValueError):
    """A construct the translator does not know: the rule is simply always run."""


def _class(ascii_members: Sequence[int], extra: str) -> str:
    """A positive RE2 class (never negated: case folding can only widen it)."""
    parts: list[str] = []
    members = sorted(set(ascii_members))
    i = 0
    while i < len(members):
        j = i
        while j + 1 < len(members) and members[j + 1] == members[j] + 1:
            j += 1
        lo, hi = members[i], members[j]
        parts.append(f"\\x{{{lo:x}}}" if lo == hi else f"\\x{{{lo:x}}}-\\x{{{hi:x}}}")
        i = j + 1
    body = "".join(parts) + extra
    if not body:
        return r"[^\x{0}-\x{10FFFF}]"  # matches nothing
    if len(members) == 1 and not extra:
        return chr(members[0]) if chr(members[0]).isalnum() else f"\\x{{{members[0]:x}}}"
    return f"[{body}]"


_MEMBERS: dict[tuple[str, int], tuple[int, ...]] = {}


def _members(op: Any, av: Any, flags: int) -> tuple[int, ...]:
    """The ASCII characters one single-character node matches under ``flags`` (asked of ``re`` itself)."""
    key = (repr((op, av)), flags)
    found = _MEMBERS.get(key)
    if found is None:
        state = sre_parse.State()
        state.flags = flags
        compiled = sre_compile.compile(sre_parse.SubPattern(state, [(op, av)]), flags)
        found = tuple(c for c in range(128) if compiled.match(chr(c)))
        _MEMBERS[key] = found
    return found


def _single_char(op: Any, av: Any, flags: int) -> str:
    if op is C.LITERAL and av < 128 and (not flags & re.IGNORECASE or not chr(av).isalpha()):
        return _class((av,), "")
    if op is C.LITERAL and av < 128 and flags & re.ASCII:
        return _class((ord(chr(av).lower()), ord(chr(av).upper())), "")
    ascii_members = _members(op, av, flags)
    if op is C.ANY:
        return _class(ascii_members, _NON_ASCII)
    if op is C.LITERAL:
        if av < 128:
            wide = flags & re.IGNORECASE and not flags & re.ASCII
            return _class(ascii_members, _folds(ascii_members) if wide else "")
        return _NON_ASCII_CLASS if flags & re.IGNORECASE else f"\\x{{{av:x}}}"
    if op is C.IN:
        plain = not (flags & re.IGNORECASE and not flags & re.ASCII)
        extra = ""
        for item_op, item_av in av:
            if item_op is C.LITERAL and plain:
                if item_av >= 128:
                    extra += f"\\x{{{item_av:x}}}"
            elif item_op is C.RANGE and plain:
                lo, hi = item_av
                if hi >= 128:
                    extra += f"\\x{{{max(lo, 128):x}}}-\\x{{{hi:x}}}"
            elif item_op in (C.LITERAL, C.RANGE) and max(item_av if item_op is C.RANGE else (item_av,)) < 128:
                extra = _folds(ascii_members)  # a case-folded ASCII item: its letters' foldings
            else:  # NEGATE, CATEGORY, non-ASCII case-folded items: every non-ASCII character may match
                extra = _NON_ASCII
                break
        return _class(ascii_members, extra)
    # NOT_LITERAL and anything else of width one
    return _class(ascii_members, _NON_ASCII)


def _folds(ascii_members: Sequence[int]) -> str:
    """The class members standing for the non-ASCII case foldings of the letters among ``ascii_members``."""
    present = {chr(c).lower() for c in ascii_members}
    return "".join(f"\\x{{{ord(ch):x}}}" for letter, chars in CASE_FOLDS.items() if letter in present for ch in chars)


_NON_ASCII_CLASS = f"[{_NON_ASCII}]"
_SINGLE = frozenset({C.ANY, C.LITERAL, C.NOT_LITERAL, C.IN})


class _Translator:
    def __init__(self, parsed: Any) -> None:
        self.state = parsed.state
        self.groups: dict[int, str] = {}

    def width(self, items: list[Any]) -> int:
        if not items:
            return 0
        return int(sre_parse.SubPattern(self.state, items).getwidth()[0])

    def seq(self, items: list[Any], flags: int, tail: int, at_start: bool) -> str:
        out: list[str] = []
        for i, (op, av) in enumerate(items):
            rest = tail + self.width(items[i + 1 :])
            out.append(self.node(op, av, flags, rest, at_start and i == 0))
        return "".join(out)

    def node(self, op: Any, av: Any, flags: int, tail: int, at_start: bool) -> str:
        if op in _SINGLE:
            return _single_char(op, av, flags)
        if op is C.SUBPATTERN:
            group, add, remove, sub = av
            inner = self.seq(list(sub), (flags | add) & ~remove, tail, at_start)
            if group is not None:
                self.groups[group] = inner
            return f"(?:{inner})"
        if op is C.BRANCH:
            return "(?:" + "|".join(self.seq(list(alt), flags, tail, at_start) for alt in av[1]) + ")"
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, sub = av
            body = self.seq(list(sub), flags, tail, False)
            if hi is C.MAXREPEAT or hi > REPEAT_CAP:
                lo = min(lo, REPEAT_CAP)
                return f"(?:{body})*" if lo == 0 else f"(?:{body}){{{lo},}}"
            return f"(?:{body}){{{lo},{hi}}}"
        if op is C.ATOMIC_GROUP:
            return f"(?:{self.seq(list(av), flags, tail, at_start)})"
        if op is C.GROUPREF:
            return f"(?:{self.groups[av]})" if av in self.groups else r"[\x{0}-\x{10FFFF}]*"
        if op is C.GROUPREF_EXISTS:
            _group, yes, no = av
            alts = [self.seq(list(yes), flags, tail, False), self.seq(list(no), flags, tail, False) if no else ""]
            return "(?:" + "|".join(alts) + ")"
        if op is C.AT:
            return self.at(av, flags, tail)
        if op in (C.ASSERT, C.ASSERT_NOT):
            direction, sub = av
            sub = list(sub)
            if direction < 0 and at_start and len(sub) == 1 and sub[0][0] in _SINGLE:
                s_op, s_av = sub[0]
                members = set(_members(s_op, s_av, flags))
                if op is C.ASSERT:
                    return _single_char(s_op, s_av, flags)
                complement = [c for c in range(128) if c not in members]
                return f"(?:^|{_class(complement, _NON_ASCII)})"
            return ""  # dropped: a superset
        raise Untranslatable(str(op))

    @staticmethod
    def at(code: Any, flags: int, tail: int) -> str:
        multiline = bool(flags & re.MULTILINE)
        if code is C.AT_BEGINNING:
            return "(?m:^)" if multiline else "^"
        if code is C.AT_BEGINNING_STRING:
            return r"\A"
        if code in (C.AT_END, C.AT_END_STRING):
            return "(?m:$)" if tail > 0 else ""
        if code in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY):
            if tail > 0 and flags & re.ASCII:
                return r"\b" if code is C.AT_BOUNDARY else r"\B"
            return ""
        return ""


def translate(pattern: str, flags: int = 0) -> str:
    """An RE2 pattern matching a superset of where ``pattern`` (Python syntax) can match."""
    if not flags & re.ASCII:
        flags |= re.UNICODE
    parsed = sre_parse.parse(pattern, flags)
    flags |= parsed.state.flags
    return _Translator(parsed).seq(list(parsed), flags, 0, True)


def _load_re2() -> Any:
    try:
        import re2  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - the fallback is the literal prefilter alone
        return None
    return re2


_BUILT: BuiltOnce[tuple[Any, tuple[int, ...], frozenset[int], tuple[str, ...]]] = BuiltOnce(8)
"""Built sets by rule list: the set, the rule index of each pattern, the rules always run, the untranslated."""


class RulePrefilter:
    """The RE2 set of a rule list, built on first use (thread-safe); :meth:`active` per text."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._rules = tuple(rules)
        self._lock = threading.Lock()
        self._starting = threading.Lock()
        self._built = False
        self._set: Any = None
        self._ids: tuple[int, ...] = ()
        """Rule index of each set pattern."""
        self._always: frozenset[int] = frozenset()
        self._thread: threading.Thread | None = None
        self.untranslated: tuple[str, ...] = ()

    def _build(self) -> None:
        with self._lock:
            if self._built:
                return
            self._set, self._ids, self._always, self.untranslated = _BUILT.get_or_build(self._rules, self._build_set)
            self._built = True

    def _build_set(self) -> tuple[Any, tuple[int, ...], frozenset[int], tuple[str, ...]]:
        """Translate every rule and compile the set: (set or ``None``, pattern rule ids, always, untranslated)."""
        re2 = _load_re2()
        rset = _new_set(re2) if re2 is not None else None
        if rset is None or rset.Add(_SENTINEL) != 0:  # no set: the literal prefilter decides
            return None, (), frozenset(), ()
        ids: list[int] = [-1]  # the sentinel's slot
        always: list[int] = []
        failed: list[str] = []
        for i, rule in enumerate(self._rules):
            added = 0
            patterns = translations(rule) or ()
            for pattern in patterns:
                if rset.Add(pattern.encode("utf-8")) != -1:  # set indices count successful adds
                    ids.append(i)
                    added += 1
            if not patterns or added < len(patterns):
                always.append(i)
                failed.append(rule.rule_id)
        if len(ids) > 1 and rset.Compile():
            return rset, tuple(ids), frozenset(always), tuple(failed)
        return None, (), frozenset(), tuple(failed)

    @property
    def built(self) -> bool:
        """Whether the set was built (or found unavailable)."""
        return self._built

    def build_in_background(self) -> None:
        """Start building in a daemon thread (once), so that no guard call waits for it: until it is built,
        :meth:`active` is not consulted and the literal prefilter decides alone (the same results)."""
        with self._starting:  # not ``_lock``: the build holds that one, and this call must never wait
            if self._built or self._thread is not None:
                return
            self._thread = threading.Thread(target=self._build, name="guard-re2-set-build", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a background build (for tests and :meth:`SecurityGuard.prepare`); whether it is built."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self._built

    @property
    def available(self) -> bool:
        if not self._built:
            self._build()
        return self._set is not None

    def active(self, text: str, *, max_chars: int | None = MAX_TEXT_CHARS) -> frozenset[int] | None:
        """Indices of the rules that can hit ``text``; ``None`` when undecided (run the literal prefilter):
        no set, a text longer than ``max_chars`` (``None``: any length), one RE2 cannot take, or a failed DFA."""
        if max_chars is not None and len(text) > max_chars:
            return None
        if not self._built:
            self._build()
        if self._set is None:
            return None
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            return None
        matched = self._set.Match(data)
        if 0 not in matched:  # the sentinel matches everywhere: the DFA gave up (out of memory)
            return None
        if len(matched) == 1:
            return self._always
        ids = self._ids
        return self._always.union([ids[k] for k in matched if k])


def _rule_patterns(rule: Rule) -> tuple[re.Pattern[str], ...] | None:
    if rule.finder is not None:
        return _FINDER_CANDIDATES.get(rule.finder)
    return (rule.pattern,)


def _new_set(re2: Any) -> Any:
    """An empty unanchored ``RE2::Set`` (the binding's C++ object: ``Match`` takes UTF-8 bytes)."""
    options = re2.Options()
    options.max_mem = 64 << 20
    options.log_errors = False
    return re2._re2.Set(re2._Anchor.UNANCHORED, options)


def translations(rule: Rule) -> tuple[str, ...] | None:
    """The RE2 patterns standing for ``rule`` (one of them matches wherever it can hit), or ``None``."""
    patterns = _rule_patterns(rule)
    if not patterns:
        return None
    try:
        return tuple(translate(p.pattern, p.flags) for p in patterns)
    except (Untranslatable, re.error, KeyError, TypeError):
        return None


def _register_builtin_finders() -> None:
    """Candidates of the finders in :mod:`orchestra.security.rules` and :mod:`orchestra.security.pii`: each
    finder yields only spans inside matches of these patterns (searched over the same windows)."""
    from orchestra.security import pii
    from orchestra.security import rules as data_rules

    register_finder_candidate(data_rules.find_cards, data_rules._CARD_RE)
    register_finder_candidate(data_rules.find_ibans, data_rules._IBAN_START_RE)
    register_finder_candidate(data_rules.find_cookie_values, data_rules._COOKIE_RE, data_rules._CURL_COOKIE_RE)
    # the Secret finder reads a document only around a ``kind: Secret`` line (found in the window it is given)
    register_finder_candidate(data_rules.find_k8s_secret_values, re.compile(r"kind:[ \t]{0,4}Secret"))
    # a phone candidate starts with + 0 ( and has 6 more phone characters (a + may follow = or :), or starts with
    # another digit and has a phone keyword in the 40 characters before it
    phone_hints = "|".join(re.escape(h) for h in pii._PHONE_HINTS)
    register_finder_candidate(
        pii.find_phones,
        re.compile(r"(?<![\w.+/:#=-])[+0(][\d .()+-]{6}", re.ASCII),
        re.compile(r"[:=]\+[\d .()+-]{6}", re.ASCII),
        re.compile(rf"(?i:{phone_hints})[\s\S]{{0,39}}[1-9][\d .()-]{{6}}"),
    )
    # a table's cells are yielded only below a header naming the column: one of the category's hints occurs
    from orchestra.security import tables

    for finder, category in ((data_rules.find_table_payment, "payment_data"),
                             (data_rules.find_table_contact, "contact_pii"),
                             (data_rules.find_table_ids, "sensitive_pii"),
                             (data_rules.find_table_passwords, "password"),
                             (data_rules.find_table_secrets, "secret")):
        hints = "|".join(re.escape(h) for h in tables.HEADER_HINTS[category])
        # a header cell holding a hint, next to a delimiter on one side at least (a header has 2+ cells)
        register_finder_candidate(finder, re.compile(rf"[,;\t|][ \t\"']{{0,3}}[\w .#/-]{{0,40}}(?i:{hints})"),
                                  re.compile(rf"(?i:{hints})[\w .#/-]{{0,40}}[ \t\"']{{0,3}}[,;\t|]"))
    # an INSERT's literals are yielded only after its column list and VALUES keyword
    for rule in data_rules.SQL_INSERT_RULES:
        if rule.finder is not None:
            register_finder_candidate(rule.finder, re.compile(r"(?i:insert)[ \t]"))
    # a national id is one of the shapes, or a keyword value with a keyword in the 48 characters before it
    id_hints = "|".join(re.escape(h) for h in pii._KEYWORD_HINTS)
    register_finder_candidate(
        pii.find_national_ids,
        *(pattern for pattern, _module in pii._SHAPES),
        re.compile(rf"(?i:{id_hints})[\s\S]{{0,47}}" + pii._KEYWORD_VALUE_RE.pattern),  # Unicode case folding
    )


_register_builtin_finders()
