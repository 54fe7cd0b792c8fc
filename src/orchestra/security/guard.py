"""The one entry point: ``SecurityGuard.guard(text, sink, context) -> GuardDecision``.

Fail closed: any exception inside the guard yields ``block`` with reason ``guard_internal_error``.
"""

from __future__ import annotations

import itertools
import logging
import os
import secrets
from collections.abc import Sequence
from typing import Any

from orchestra.security.detectors import Detector
from orchestra.security.errors import GuardInternalError, PolicyBlockedError
from orchestra.security.lazy_pattern import real_pattern
from orchestra.security.model import (
    EXECUTION_RISK_CATEGORIES,
    PASSABLE_OUTCOMES,
    Category,
    Encoding,
    GuardContext,
    GuardDecision,
    Outcome,
    SanitizedFinding,
    Sink,
)
from orchestra.security.policy import OUTCOME_MATRIX, decide
from orchestra.security.redaction import Analysis, analyze, first_hits, sanitize
from orchestra.security.retained import RetainedRegion, retained_regions
from orchestra.security.risk_rules import RISK_RULES
from orchestra.security.rules import DATA_RULES, Rule
from orchestra.security.sinks import SINK_ENCODING, encode

_log = logging.getLogger(__name__)

DEFAULT_MAX_TEXT_CHARS = 16 * 1024 * 1024
MIN_KEY_BYTES = 16


class _DecisionIds:
    """``guard-<8 hex random per process><8 hex counter>``: unique, and ~10x cheaper than a fresh
    ``secrets.token_hex`` per call. A forked child draws a new random half."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.prefix = "guard-" + secrets.token_hex(4)
        self.counter = itertools.count(secrets.randbelow(1 << 16))

    def next(self) -> str:
        # ``to_bytes().hex()``: the same 8 hex digits as ``:08x`` at half its cost
        return self.prefix + (next(self.counter) & 0xFFFFFFFF).to_bytes(4, "big").hex()


_IDS = _DecisionIds()
if hasattr(os, "register_at_fork"):  # Unix only; Windows has no fork
    os.register_at_fork(after_in_child=_IDS.reset)


def _new_decision_id() -> str:
    return _IDS.next()


_ALLOW = Outcome.ALLOW
_NO_ENCODING = Encoding.NONE
"""(An enum member read from its class costs about 0.25 µs per access on Python 3.11; these are read per call.)"""

_DECISION_FIELDS = tuple(GuardDecision.model_fields)
_FAST_CONSTRUCT = (
    _DECISION_FIELDS == ("decision_id", "request_id", "sink", "outcome", "allowed", "reasons", "findings",
                         "categories", "redaction_count", "text")
    and not GuardDecision.__pydantic_post_init__
    and not GuardDecision.__private_attributes__
    and GuardDecision.model_config.get("extra") != "allow"
)
_ALL_SET = frozenset(_DECISION_FIELDS)
_new_model = object.__new__
_set_attr = object.__setattr__


def build_decision(decision_id: str, request_id: str | None, sink: Sink, outcome: Outcome, allowed: bool,
                   reasons: list[str], findings: list[SanitizedFinding], categories: list[Category],
                   redaction_count: int, text: str | None) -> GuardDecision:
    """A :class:`GuardDecision` from already validated parts: what ``model_construct`` does for this model (no
    aliases, defaults, extras or private attributes) without its per-field loop. Checked against
    ``model_validate`` in the tests; falls back to ``model_construct`` if the model ever changes shape."""
    values: dict[str, Any] = {
        "decision_id": decision_id, "request_id": request_id, "sink": sink, "outcome": outcome, "allowed": allowed,
        "reasons": reasons, "findings": findings, "categories": categories, "redaction_count": redaction_count,
        "text": text,
    }  # fmt: skip
    if not _FAST_CONSTRUCT:
        return GuardDecision.model_construct(**values)
    decision: GuardDecision = _new_model(GuardDecision)
    _set_attr(decision, "__dict__", values)
    _set_attr(decision, "__pydantic_fields_set__", set(_ALL_SET))
    _set_attr(decision, "__pydantic_extra__", None)
    _set_attr(decision, "__pydantic_private__", None)
    return decision


def clean_decision(decision_id: str, request_id: str | None, sink: Sink, text: str) -> GuardDecision:
    """:func:`build_decision` of a text without findings (allowed; ``text`` already encoded for the sink), with
    fewer arguments: most guard calls end here."""
    if not _FAST_CONSTRUCT:
        return build_decision(decision_id, request_id, sink, _ALLOW, True, ["no_findings"], [], [], 0, text)
    decision: GuardDecision = _new_model(GuardDecision)
    _set_attr(decision, "__dict__", {
        "decision_id": decision_id, "request_id": request_id, "sink": sink, "outcome": _ALLOW, "allowed": True,
        "reasons": ["no_findings"], "findings": [], "categories": [], "redaction_count": 0, "text": text,
    })  # fmt: skip
    _set_attr(decision, "__pydantic_fields_set__", set(_ALL_SET))
    _set_attr(decision, "__pydantic_extra__", None)
    _set_attr(decision, "__pydantic_private__", None)
    return decision


class SecurityGuard:
    """Holds the compiled rules, the workspace HMAC key and the policy. Build once; thread-safe."""

    def __init__(
        self,
        hmac_key: bytes,
        *,
        rules: Sequence[Rule] | None = None,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    ) -> None:
        if not isinstance(hmac_key, bytes) or len(hmac_key) < MIN_KEY_BYTES:
            raise ValueError(f"hmac_key must be at least {MIN_KEY_BYTES} bytes")
        all_rules = tuple(rules) if rules is not None else DATA_RULES + RISK_RULES
        self._key = hmac_key
        self._data = Detector([r for r in all_rules if r.marker is not None])
        self._risk = Detector([r for r in all_rules if r.marker is None])
        self.max_text_chars = max_text_chars
        self._risk_sinks = frozenset(s for s in Sink if self._risk_matters(s))

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule the guard runs."""
        return self._data.rules + self._risk.rules

    def prepare(self) -> bool:
        """Build both prefilter engines now: the RE2 set of short texts and the Hyperscan database of long ones
        (otherwise each is built in the background once needed, the exact literal path running meanwhile, with
        the same results), and compile every rule's pattern (otherwise compiled on the rule's first use: about
        0.2 s over a process's first few thousand calls); whether the long-text engine is available. For server
        start and benchmarks."""
        for detector in (self._data, self._risk):
            for rule in detector.rules:
                real_pattern(rule.pattern)
            if detector.prefilter is not None:
                detector.prefilter.build_in_background()
                detector.prefilter.wait()
        engines = [d.hyperscan for d in (self._data, self._risk) if d.hyperscan is not None]
        return bool(engines) and all(engine.available for engine in engines)

    def _risk_matters(self, sink: Sink) -> bool:
        row = OUTCOME_MATRIX[sink]
        return any(row[c] is not Outcome.ALLOW for c in EXECUTION_RISK_CATEGORIES)

    def guard(self, text: str, sink: Sink | str, context: GuardContext | None = None) -> GuardDecision:
        """Decide what may pass to ``sink``; never raises."""
        return self._guard(text, sink, context, None)

    def guard_retaining(self, text: str, sink: Sink | str,
                        context: GuardContext | None = None) -> tuple[GuardDecision, tuple[RetainedRegion, ...]]:
        """:meth:`guard`, plus the original values of the regions it redacted (in memory only, for the
        restricted-fragment service; empty unless the outcome is ``redact``). Never store or log them."""
        captured: list[Analysis] = []
        decision = self._guard(text, sink, context, captured)
        if decision.outcome is not Outcome.REDACT or not captured:
            return decision, ()
        return decision, retained_regions(captured[0].occurrences)

    def _guard(self, text: str, sink: Sink | str, context: GuardContext | None,
               capture: list[Analysis] | None) -> GuardDecision:
        ids = _IDS  # _new_decision_id(), inline (two calls fewer per decision)
        decision_id = ids.prefix + (next(ids.counter) & 0xFFFFFFFF).to_bytes(4, "big").hex()
        request_id = context.request_id if context is not None else None
        try:
            if type(sink) is not Sink:
                sink = Sink(sink)
            if not isinstance(text, str):
                return self._closed(decision_id, request_id, sink, "invalid_text")
            if len(text) > self.max_text_chars:
                return self._closed(decision_id, request_id, sink, "input_too_large")
            risk = self._risk if sink in self._risk_sinks else None
            hits = self._data.scan(text) if risk is None else first_hits(self._data, text, risk)
            if not hits:  # the common case: no finding, nothing to redact (no analysis object, no sorting)
                encoding = (context.encoding if context is not None else None) or SINK_ENCODING[sink]
                return clean_decision(decision_id, request_id, sink,
                                      text if encoding is _NO_ENCODING else encode(text, encoding))
            analysis = analyze(self._data, text, risk_detector=risk, hits=hits)
            if not analysis.converged:
                return self._closed(decision_id, request_id, sink, "redaction_not_converged")
            if capture is not None:
                capture.append(analysis)
            if analysis.occurrences:
                findings = sanitize(analysis.occurrences, self._key)
                categories = sorted({f.category for f in findings})
                outcome, reasons = decide(sink, categories)
            else:
                findings, categories, outcome, reasons = [], [], Outcome.ALLOW, ["no_findings"]
            passable = outcome in PASSABLE_OUTCOMES
            out_text: str | None = None
            if passable:
                encoding = (context.encoding if context is not None else None) or SINK_ENCODING[sink]
                out_text = encode(analysis.text if outcome is Outcome.REDACT else text, encoding)
            # every field is built here from validated parts: skip pydantic's validation (a few µs per call)
            return build_decision(
                decision_id, request_id, sink, outcome, passable, reasons, findings, categories,
                analysis.redaction_count if outcome is Outcome.REDACT else 0, out_text,
            )
        except Exception as exc:  # fail closed, whatever went wrong
            _log.error("security guard failed closed (%s)", type(exc).__name__)
            fallback = sink if isinstance(sink, Sink) else Sink.PUBLIC_RESPONSE
            return self._closed(decision_id, request_id, fallback, "guard_internal_error")

    @staticmethod
    def _closed(decision_id: str, request_id: str | None, sink: Sink, reason: str) -> GuardDecision:
        return GuardDecision(
            decision_id=decision_id,
            request_id=request_id,
            sink=sink,
            outcome=Outcome.BLOCK,
            allowed=False,
            reasons=[reason],
            text=None,
        )

    def guard_or_raise(self, text: str, sink: Sink | str, context: GuardContext | None = None) -> str:
        """The text that may pass, or :class:`PolicyBlockedError` (details carry the decision, no content)."""
        decision = self.guard(text, sink, context)
        if decision.text is None:
            raise PolicyBlockedError(
                f"content was not allowed to reach the {decision.sink.value} sink ({decision.outcome.value})",
                details={"decision_id": decision.decision_id, "outcome": decision.outcome.value,
                         "reasons": decision.reasons},
            )
        return decision.text

    def scan(self, text: str) -> list[SanitizedFinding]:
        """Every finding (data and execution risk), sanitized; :class:`GuardInternalError` on failure."""
        try:
            return sanitize(analyze(self._data, text, risk_detector=self._risk).occurrences, self._key)
        except Exception as exc:
            raise GuardInternalError("content scan failed") from exc

    def redact(self, text: str) -> str:
        """The text with every data finding replaced by its marker (idempotent, no sink encoding)."""
        try:
            analysis = analyze(self._data, text)
        except Exception as exc:
            raise GuardInternalError("redaction failed") from exc
        if not analysis.converged:
            raise GuardInternalError("redaction did not converge")
        return analysis.text
