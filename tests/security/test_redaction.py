"""Redaction: markers, value-only assignments, idempotence, true counts, no leaks on overlap."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestra.security import SecurityGuard, Sink
from orchestra.security.redaction import fingerprint

GUARD = SecurityGuard(b"redaction-test-key-0123456789")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("password=hunter22x", "password=[REDACTED_PASSWORD]"),
        ('{"passwd": "s3cr3t pass"}', '{"passwd": "[REDACTED_PASSWORD]"}'),
        ("PGPASSWORD=Tr0ub4dor psql", "PGPASSWORD=[REDACTED_PASSWORD] psql"),
        ("password: hunter22xx", "password: [REDACTED_PASSWORD]"),
        ("postgres://u:Sup3rS3cret@db/app", "postgres://u:[REDACTED_PASSWORD]@db/app"),
        ("Authorization: Bearer abcDEF123456ghiJKL789", "Authorization: Bearer [REDACTED_SECRET]"),
        ("card 4111 1111 1111 1111 cvv: 123", "card [REDACTED_PAYMENT_DATA] cvv: [REDACTED_PAYMENT_DATA]"),
        ("passport number: X1234567", "passport number: [REDACTED_SENSITIVE_PII]"),
        ("ssn 123-45-6789", "ssn [REDACTED_SENSITIVE_PII]"),
        ("mail jane.doe@acme-corp.com", "mail [REDACTED_PII]"),
        ("api-key: abcdefghij1234567890", "api-key: [REDACTED_SECRET]"),
    ],
)
def test_markers_and_value_only(text: str, expected: str) -> None:
    assert GUARD.redact(text) == expected


def test_marker_does_not_retrigger_and_decision_is_redact_not_fail_closed() -> None:
    decision = GUARD.guard("api-key: abcdefghij1234567890", Sink.TRANSCRIPT)
    assert decision.outcome == "redact"
    assert decision.text == "api-key: [REDACTED_SECRET]"
    assert GUARD.guard(decision.text, Sink.TRANSCRIPT).outcome == "allow"


def test_true_counts_for_every_card_and_one_per_openssh_block() -> None:
    text = "cards 4111111111111111, 5555-5555-5555-4444 and 3782 822463 10005"
    (finding,) = GUARD.scan(text)
    assert finding.rule_id == "payment.pan"
    assert finding.count == 3
    key = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n"
        "-----END OPENSSH PRIVATE KEY-----"
    )
    findings = GUARD.scan(key)
    assert [(f.rule_id, f.count) for f in findings] == [("private_key.openssh", 1)]
    assert GUARD.redact(key) == "[REDACTED_PRIVATE_KEY]"


def test_overlap_never_leaks_a_fragment() -> None:
    out = GUARD.redact("passport number: X1234567")
    assert "1234567" not in out
    out = GUARD.redact(
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlX2hlcmVfMTIz"
    )
    assert "eyJ" not in out


def test_findings_are_sanitized_and_fingerprints_are_keyed() -> None:
    secret = "Zx8vQ2mN4pL6kJ9hG1fD3sA5"
    decision = GUARD.guard(f"api_key = '{secret}'", Sink.TRANSCRIPT)
    dumped = decision.model_dump_json()
    assert secret not in dumped.replace(decision.text or "", "")
    (finding,) = decision.findings
    assert finding.fingerprints == [fingerprint(b"redaction-test-key-0123456789", finding.rule_id, secret)]
    other = SecurityGuard(b"another-key-0123456789abcdef").guard(f"api_key = '{secret}'", Sink.TRANSCRIPT)
    assert other.findings[0].fingerprints != finding.fingerprints
    import hashlib

    assert hashlib.sha256(secret.encode()).hexdigest()[:32] not in dumped


def test_short_key_is_refused() -> None:
    with pytest.raises(ValueError):
        SecurityGuard(b"short")


def test_injected_marker_does_not_shield_a_secret() -> None:
    out = GUARD.redact("password=[REDACTED_PII]Tr0ub4dorXyz")
    assert "Tr0ub4dor" not in out


def test_table_headers_are_never_taken_from_a_freed_text_of_the_same_size() -> None:
    """The table rules share the header scan of the text they ask about. It was cached by ``id(text)``, which the
    next text of the same size often gets once the first is freed: that text then got the old one's columns (a
    missed cell, or an IndexError that failed the guard closed)."""
    from orchestra.security import tables

    for i in range(200):
        wide = f"name,ssn,national_id,mobile,note{i % 10}\nAnna,536-90-4407,12345678901,+44 7911 123456,x\n"
        assert list(tables.table_values(wide, "contact_pii"))
        size = len(wide)
        del wide  # frees it: the next text of this size may take its address
        narrow = "".join((f"name,mobile{i % 10}\nAnna,+44 7911 123456\n", " " * (size - 34)))
        assert len(narrow) == size
        fresh = list(tables.table_values(narrow, "contact_pii"))
        tables._headers_cache.clear()
        assert fresh == list(tables.table_values(narrow, "contact_pii"))


_TABLE_PIECES = ["name,phone,card\n", "Anna,+44 7911 123456,4111 1111 1111 1111\n", "id;ssn;tax_id\n", "a|b|c\n",
                 "| name | phone |\n", "|---|---|\n", "def f(a, b):\n", "x = [1, 2]\n", "\t", ",", ";", "|", "\n",
                 "note, see the docs\n", "token\tsecret\n", "  ", "é,ü\n", "\r\n"]


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.one_of(st.sampled_from(_TABLE_PIECES), st.text(max_size=12)), max_size=30),
       cut=st.tuples(st.integers(0, 400), st.integers(0, 400)))
def test_header_lines_are_those_finditer_finds(parts: list[str], cut: tuple[int, int]) -> None:
    """The delimiter-driven search gives exactly the matches of the multi-line regex over any window."""
    from orchestra.security import tables

    text = "".join(parts)
    pos, endpos = min(cut[0], len(text)), min(max(cut), len(text))
    expected = [m.span() for m in tables._HEADER_LINE_RE.finditer(text, pos, endpos)]
    assert list(tables._header_line_spans(text, pos, endpos)) == expected
