"""Values of an SQL ``INSERT`` whose column names them: ``INSERT INTO users (id, email, password_plain)
VALUES (7, 'a@b.io', 'x…')``.

As in a CSV table (:mod:`orchestra.security.tables`), the evidence is in the column list, not next to
the value: the ``VALUES`` tuples are read literal by literal and each quoted literal of a named column
is checked by that column's validator. Hashes, salts and dates of a password (``password_hash``,
``password_changed_at``) are not passwords. Bounded: at most :data:`MAX_TUPLES` tuples per statement
and :data:`MAX_CHECKS` checks per call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from orchestra.security.tables import COLUMNS, Column, password_cell, secret_cell

MAX_TUPLES = 2000
MAX_CHECKS = 5000
MAX_COLUMNS = 200
_INSERT_RE = re.compile(
    r"\b(?i:insert)[ \t]+(?:(?i:into)[ \t]+)?[\w.`\"\[\]]{1,128}[ \t]*\((?P<cols>[^()\r\n;]{1,4000})\)\s{0,8}"
    r"(?i:values)\s{0,8}\(")
_LITERAL_RE = re.compile(r"'(?:[^'\\\r\n]|''|\\.){0,1024}'|\"(?:[^\"\\\r\n]|\"\"|\\.){0,1024}\"")
_ATOM_RE = re.compile(r"[^,()'\"\r\n]{1,256}")
_NOT_SECRET_PART = re.compile(
    r"(?i:hash|digest|salt|crypt|changed?|updated|expir|reset|hint|policy|length|strength|age|_at$|_on$|date"
    r"|time|_id$|^id_|count|attempts|required|enabled|algo|version|type|_by$|question)")
_PASSWORD_NAME = re.compile(r"(?i:pass(?:word|wd|phrase)?(?![a-z])|pwd|pin_?code)")
_SECRET_NAME = re.compile(r"(?i:api_?key|secret|token|access_?key|private_?key|client_?secret)")


def _column(name: str) -> Column | None:
    """What a column named ``name`` holds, or ``None``: password and secret names anywhere in the name
    (``password_plain``, ``stripe_secret``) unless it names a hash, date or setting of one; the table
    columns' names (``phone``, ``ssn``, ``card_number``) as the whole name."""
    bare = name.strip(" \t`\"[]")
    if _PASSWORD_NAME.search(bare) and not _NOT_SECRET_PART.search(bare):
        return Column("password", _PASSWORD_NAME, password_cell)
    if _SECRET_NAME.search(bare) and not _NOT_SECRET_PART.search(bare):
        return Column("secret", _SECRET_NAME, secret_cell)
    for column in COLUMNS:
        if column.category not in ("password", "secret") and column.pattern.fullmatch(bare):
            return column
    return None


def insert_values(text: str, category: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """Spans (inside the quotes) of the quoted ``VALUES`` literals of ``category``'s columns."""
    endpos = len(text) if endpos is None else endpos
    budget = [MAX_CHECKS]
    for m in _INSERT_RE.finditer(text, pos, endpos):
        names = m.group("cols").split(",")
        if len(names) > MAX_COLUMNS:
            continue
        wanted: dict[int, Callable[[str], bool]] = {}
        for index, name in enumerate(names):
            column = _column(name)
            if column is not None and column.category == category:
                wanted[index] = column.check
        if wanted:
            yield from _tuples(text, m.end() - 1, endpos, wanted, len(names), budget)


def _tuples(text: str, at: int, endpos: int, wanted: dict[int, Callable[[str], bool]], width: int,
            budget: list[int]) -> Iterator[tuple[int, int]]:
    """Walk ``(v, v, …), (…)`` from the ``(`` at ``at``; stop at anything else."""
    for _ in range(MAX_TUPLES):
        if at >= endpos or text[at] != "(":
            return
        at += 1
        index = 0
        while True:
            at = _skip_blank(text, at, endpos)
            literal = _LITERAL_RE.match(text, at, endpos)
            if literal is not None:
                if index in wanted and budget[0] > 0:
                    budget[0] -= 1
                    value = literal.group(0)[1:-1]
                    if value and wanted[index](value):
                        yield literal.start() + 1, literal.end() - 1
                at = literal.end()
            else:
                atom = _ATOM_RE.match(text, at, endpos)
                if atom is None:
                    return
                at = atom.end()
                if at < endpos and text[at] == "(":  # a call such as NOW() or crypt('x', gen_salt('bf'))
                    depth_end = _close(text, at, endpos)
                    if depth_end < 0:
                        return
                    at = depth_end
            at = _skip_blank(text, at, endpos)
            if at >= endpos:
                return
            if text[at] == ",":
                at, index = at + 1, index + 1
                continue
            if text[at] == ")" and index + 1 == width:
                at = _skip_blank(text, at + 1, endpos)
                if at < endpos and text[at] == ",":
                    at = _skip_blank(text, at + 1, endpos)
                    break
                return
            return


def _skip_blank(text: str, at: int, endpos: int) -> int:
    while at < endpos and text[at] in " \t\r\n":
        at += 1
    return at


def _close(text: str, at: int, endpos: int, limit: int = 2048) -> int:
    """The index after the parenthesis closing the one at ``at`` (quoted literals skipped), or -1."""
    depth, stop = 0, min(endpos, at + limit)
    while at < stop:
        char = text[at]
        if char in "'\"":
            literal = _LITERAL_RE.match(text, at, stop)
            if literal is None:
                return -1
            at = literal.end()
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return at + 1
        at += 1
    return -1
