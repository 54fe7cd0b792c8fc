"""Literals of the columns an SQL INSERT names, and the SQL account statements (IDENTIFIED BY)."""

from __future__ import annotations

import time

from orchestra.security import SecurityGuard, Sink
from orchestra.security.sql_values import MAX_TUPLES, insert_values

GUARD = SecurityGuard(b"k" * 32)
PASSWORD = "Basalt1999!orchid"


def spans(text: str, category: str) -> list[str]:
    return [text[a:b] for a, b in insert_values(text, category)]


def test_named_columns_are_found_in_every_tuple() -> None:
    text = ("INSERT INTO logins (user, password, api_key) VALUES "
            "('bob', 'Kx9!mQ2v', 'Zq8Lm2Xw7Rt5Yp3Nc6Vb1Kd9Hf4Gs0J'),\n  ('amy', 'S3cret!99', NULL);")
    assert spans(text, "password") == ["Kx9!mQ2v", "S3cret!99"]
    assert spans(text, "secret") == ["Zq8Lm2Xw7Rt5Yp3Nc6Vb1Kd9Hf4Gs0J"]


def test_hashes_dates_and_settings_of_a_password_are_not_passwords() -> None:
    text = ("INSERT INTO users (id, password_hash, password_changed_at, password_reset_required, passport_no) "
            "VALUES (1, '$2b$12$Kx9mQ2vLp8sT3wYz7Rt5Yu', '2024-01-01', 'true', 'X1234567');")
    assert spans(text, "password") == [] and spans(text, "secret") == []


def test_calls_escaped_quotes_and_placeholders() -> None:
    text = ("INSERT INTO t (a, pwd, note) VALUES (crypt('x', gen_salt('bf')), 'it''s-S3cret!', 'ok'), "
            "(NOW(), 'changeme', 'skip');")
    assert spans(text, "password") == ["it''s-S3cret!"]


def test_a_malformed_statement_stops_quietly() -> None:
    assert spans("INSERT INTO t (password) VALUES ('unterminated", "password") == []
    assert spans("INSERT INTO t (a, password) VALUES (1, 'x1!y2@z3') garbage (", "password") == ["x1!y2@z3"]


def test_through_the_guard() -> None:
    statements = [
        f"INSERT INTO users (id, email, password_plain) VALUES (7, 'ops@vireo-labs.dev', '{PASSWORD}');",
        f"ALTER USER 'report'@'%' IDENTIFIED BY '{PASSWORD}';",
        f"CREATE USER 'app'@'10.0.%' IDENTIFIED WITH caching_sha2_password BY '{PASSWORD}';",
        "ALTER USER scott IDENTIFIED BY Tiger#2024;",
    ]
    for text in statements:
        out = GUARD.guard(text, Sink.PROMPT).text or ""
        assert PASSWORD not in out and "Tiger#2024" not in out, out
    for benign in ("CREATE USER ops IDENTIFIED EXTERNALLY;", "-- each user is identified by their email address"):
        assert GUARD.guard(benign, Sink.PROMPT).text == benign


def test_a_hostile_insert_is_bounded() -> None:
    tuples = ",".join(f"('u{i}', 'Pw{i}!x9z')" for i in range(3 * MAX_TUPLES))
    text = "INSERT INTO t (user, password) VALUES " + tuples + ";"
    found = spans(text, "password")
    assert len(found) == MAX_TUPLES  # the tuples past the bound are left to the other rules
    started = time.perf_counter()
    GUARD.guard(text, Sink.PROMPT)
    assert time.perf_counter() - started < 30  # the budget of the adversarial tests: no runaway
