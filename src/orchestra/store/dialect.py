"""SQL dialects: the one place that knows how SQLite and PostgreSQL spell things differently.

Services write SQLite-flavoured portable SQL with ``?`` placeholders. On PostgreSQL,
:func:`to_pyformat` turns each ``?`` outside string literals, quoted identifiers and
comments into ``%s`` (and doubles every ``%``, which psycopg would otherwise read as
a placeholder). Migration DDL goes through :func:`postgres_ddl`, a short list of
mechanical type renames (SQLite's 64-bit ``INTEGER`` is PostgreSQL's ``BIGINT``,
``BLOB`` is ``BYTEA``, ``WITHOUT ROWID`` does not exist); anything that is not
mechanical is written per backend in the migration itself (see
:class:`orchestra.store.migrations.PerDialect`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

Dialect = Literal["sqlite", "postgres"]
SQLITE: Dialect = "sqlite"
POSTGRES: Dialect = "postgres"

_DDL_RENAMES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bWITHOUT\s+ROWID\b", re.IGNORECASE), ""),
    (re.compile(r"\bINTEGER\b", re.IGNORECASE), "BIGINT"),
    (re.compile(r"\bBLOB\b", re.IGNORECASE), "BYTEA"),
)


def postgres_ddl(statement: str) -> str:
    """A portable migration statement in PostgreSQL's spelling (types only; see the module doc)."""
    for pattern, replacement in _DDL_RENAMES:
        statement = pattern.sub(replacement, statement)
    return statement


@lru_cache(maxsize=2048)
def to_pyformat(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (and ``%`` as ``%%``), leaving literals and comments alone.

    A ``?`` inside ``'...'``, ``"..."`` or a ``--``/``/* */`` comment is text, not a placeholder; a ``%``
    anywhere (literals included) is doubled, because psycopg parses the whole string for placeholders.
    """
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = _quoted_end(sql, i, ch)
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif ch == "?":
            out.append("%s")
            i += 1
        elif ch == "%":
            out.append("%%")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _quoted_end(sql: str, start: int, quote: str) -> int:
    """The index just past the literal or identifier opened at ``start`` (a doubled quote escapes it)."""
    i = start + 1
    while i < len(sql):
        if sql[i] == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return len(sql)


def not_indexed(tx_dialect: Dialect, column: str) -> str:
    """``column`` kept out of SQLite's index choice (its unary ``+`` idiom); plain on PostgreSQL."""
    return f"+{column}" if tx_dialect == SQLITE else column


def ordered_join(tx_dialect: Dialect) -> str:
    """An inner join whose left table the planner scans first (SQLite's ``CROSS JOIN`` idiom); PostgreSQL's
    planner chooses the order itself."""
    return "CROSS JOIN" if tx_dialect == SQLITE else "JOIN"


def greatest(tx_dialect: Dialect) -> str:
    """The two-or-more-argument maximum: SQLite's scalar ``MAX``, PostgreSQL's ``GREATEST``."""
    return "MAX" if tx_dialect == SQLITE else "GREATEST"


def quote_identifier(name: str) -> str:
    """``name`` as a PostgreSQL quoted identifier."""
    return '"' + name.replace('"', '""') + '"'
