"""Values in the columns of a table whose header names them: CSV, TSV, semicolon and pipe tables.

A text with a header row (``customer_id,card_number,exp,cvv``, ``| id | phone | ssn |``) and data rows
below it carries its evidence in the header, not next to each value: ``55120,4308884667991143,07/27,294``
says nothing by itself. :func:`table_values` finds the header rows whose columns are named like a
sensitive field, then yields the cells of those columns in the rows that follow with the same number of
fields, each checked by its column's validator (a card passes Luhn, a phone libphonenumber, an id its
check digit). One finder per category (see :data:`orchestra.security.rules.TABLE_RULES`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from orchestra.security.validators import is_mask, is_payment_card, is_placeholder, shannon_entropy

MAX_ROWS = 2000
"""Data rows read below one header (a bound: the cells after it are left to the other rules)."""
MAX_CHECKS = 5000
"""Cell validations per category and call (a bound for hostile tables: an id cell may try every country's
check digit). Past it a cell of a sensitive column counts unvalidated: over-redacted, never let through."""
MAX_LINE_CHARS = 4096
_DELIMITERS = (",", ";", "\t", "|")
_FIELD_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9 _.#/-]{0,39}")
_RULE_CELL_RE = re.compile(r"[ \t]*:?-{1,64}:?[ \t]*")


@dataclass(frozen=True)
class Column:
    """What a column named like ``pattern`` holds: its category and the check each cell must pass."""

    category: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool]


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def _cvv(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) in (3, 4)


def _phone(value: str) -> bool:
    from orchestra.security.pii import _phone_valid

    return 8 <= len(_digits(value)) <= 15 and _phone_valid(value, True)


def _national_id(value: str) -> bool:
    from orchestra.security.pii import id_valid_for_any

    return len(_digits(value)) >= 6 and id_valid_for_any(value)


def _account(value: str) -> bool:
    digits = value.replace(" ", "").replace("-", "")
    return digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 17


def _passport(value: str) -> bool:
    return re.fullmatch(r"[A-Z0-9]{6,9}", value) is not None and any(c.isdigit() for c in value)


def password_cell(value: str) -> bool:
    """A password cell or literal: 4+ characters, one word, not a placeholder or mask."""
    return len(value) >= 4 and not is_placeholder(value) and not is_mask(value) and " " not in value.strip()


def secret_cell(value: str) -> bool:
    """A token or key cell or literal: 16+ characters of high entropy, not a placeholder."""
    return len(value) >= 16 and not is_placeholder(value) and shannon_entropy(value) >= 3.5


def _names(*words: str) -> re.Pattern[str]:
    """A header cell that is one of ``words`` in any case and separator style (``card_number``, ``Card Number``,
    ``cardNumber``)."""
    body = "|".join(w.replace(" ", "[ _.-]?") for w in words)
    return re.compile(rf"(?i:{body})")


COLUMNS: tuple[Column, ...] = (
    Column("payment_data", _names("card", "card number", "card no", "cc number", "ccnum", "pan", "credit card",
                                  "card num"), is_payment_card),
    Column("payment_data", _names("cvv", "cvv2", "cvc", "cvc2", "csc", "security code"), _cvv),
    Column("contact_pii", _names("phone", "phone number", "mobile", "mobile number", "cell", "cellphone", "tel",
                                 "telephone", "fax", "msisdn", "whatsapp", "contact number", "telefono",
                                 "telefone", "téléphone", "telefon", "handy", "movil", "móvil", "celular"), _phone),
    Column("sensitive_pii", _names("ssn", "social security", "national id", "national identifier", "tax id",
                                   "tin", "taxpayer id", "ein", "itin", "sin", "personnummer", "cpr", "bsn",
                                   "pesel", "cpf", "cnpj", "curp", "rfc", "rut", "cuit", "dni", "nie", "nif",
                                   "codice fiscale", "aadhaar", "nric", "rrn", "hetu", "steuer id",
                                   "idnr", "tckn", "kimlik"), _national_id),
    Column("sensitive_pii", _names("account", "account number", "account no", "acct", "acct no", "bank account",
                                   "routing", "routing number", "aba", "sort code", "kontonummer"), _account),
    Column("sensitive_pii", _names("passport", "passport number", "passport no"), _passport),
    Column("password", _names("password", "passwd", "pwd", "pass", "passphrase"), password_cell),
    Column("secret", _names("token", "api key", "apikey", "secret", "api secret", "client secret", "access key",
                            "secret key", "auth token", "access token", "refresh token"), secret_cell),
)

HEADER_HINTS: dict[str, tuple[str, ...]] = {
    "payment_data": ("card", "cc", "pan", "cvv", "cvc", "csc", "security"),
    "contact_pii": ("phone", "mobile", "cell", "tel", "fax", "msisdn", "whatsapp", "contact", "fono", "fone",
                    "phone", "handy", "movil", "móvil", "celular"),
    "sensitive_pii": ("ssn", "social", "national", "tax", "tin", "ein", "sin", "person", "cpr", "bsn",
                      "pesel", "cpf", "cnpj", "curp", "rfc", "rut", "cuit", "dni", "nie", "nif", "codice",
                      "aadhaar", "nric", "rrn", "hetu", "steuer", "idnr", "tckn", "kimlik",
                      "account", "acct", "routing", "aba", "sort", "konto", "passport"),
    "password": ("pass", "pwd"),
    "secret": ("token", "api", "secret", "access"),
}
"""Lower-case substrings one of which every column name of a category contains (the rules' prefilter)."""


_ANY_COLUMN_RE = re.compile("|".join(f"(?P<c{i}>{col.pattern.pattern})" for i, col in enumerate(COLUMNS)))
"""Every column name in one pattern; the group name is the column's index in :data:`COLUMNS`."""


def _split(line: str, delimiter: str) -> list[str]:
    if delimiter == "|":
        inner = line.strip()
        if inner.startswith("|"):
            inner = inner[1:]
        if inner.endswith("|"):
            inner = inner[:-1]
        return inner.split("|")
    return line.split(delimiter)


def _clean(cell: str) -> tuple[str, int]:
    """The cell without surrounding blanks and quotes, and its offset within the raw cell."""
    start, end = 0, len(cell)
    while start < end and cell[start] in " \t\"'":
        start += 1
    while end > start and cell[end - 1] in " \t\"'\r":
        end -= 1
    return cell[start:end], start


def _header(line: str) -> tuple[str, list[tuple[int, Column]]] | None:
    """The delimiter and the sensitive columns of a header row, or ``None`` when ``line`` is not one."""
    for delimiter in _DELIMITERS:
        if delimiter not in line:
            continue
        names = [_clean(cell)[0] for cell in _split(line, delimiter)]
        if len(names) < 2 or not all(_FIELD_NAME_RE.fullmatch(n) for n in names if n):
            continue
        columns = []
        for i, name in enumerate(names):
            m = _ANY_COLUMN_RE.fullmatch(name) if name else None
            if m is not None and m.lastgroup:
                columns.append((i, COLUMNS[int(m.lastgroup[1:])]))
        if columns:
            return delimiter, columns
    return None


_ALL_HINTS = tuple(sorted({h for hints in HEADER_HINTS.values() for h in hints}))
_HEADER_LINE_RE = re.compile(
    r"^[^()=\[\]{}<>:@$`\\\n,;\t|]{0,64}(?:[,;\t|][^()=\[\]{}<>:@$`\\\n,;\t|]{0,64}){1,512}$",
    re.MULTILINE)
"""A line that can be a header row: none of the characters code, logs and most prose carry, a delimiter, and no
more than 64 characters between delimiters (a field name is at most 40, with its quotes and padding): one
C-level pass rejects prose and code lines, and only the lines left are split into cells (512 at most)."""
_headers_cache: list[tuple[str, tuple[int, int], list[tuple[int, str, list[tuple[int, Column]]]]]] = []
"""The last text asked about (held, so that its identity cannot pass to a new text), its window and its headers."""


_LINE_AFTER_NEWLINE_RE = re.compile(r"\n(" + _HEADER_LINE_RE.pattern[1:] + ")", re.MULTILINE)
"""``_HEADER_LINE_RE`` after the newline that ends the line before: a literal first character, which ``re`` scans for
at C speed, where the multi-line ``^`` is tried at every character (0.9 ms per 16 KB of source code)."""


def _header_line_spans(text: str, pos: int, endpos: int) -> Iterator[tuple[int, int]]:
    """The spans of ``_HEADER_LINE_RE.finditer(text, pos, endpos)``: the line at ``pos`` (when ``^`` matches there),
    then each one found after a newline inside the window."""
    first = _HEADER_LINE_RE.match(text, pos, endpos)
    if first is not None:
        yield first.span()
    for m in _LINE_AFTER_NEWLINE_RE.finditer(text, pos, endpos):
        yield m.span(1)


def _headers(text: str, pos: int, endpos: int) -> list[tuple[int, str, list[tuple[int, Column]]]]:
    """``(line start, delimiter, sensitive columns)`` of every header row in ``text[pos:endpos]``: only lines
    without code characters that hold a delimiter and a column word are split. Cached for the last text: the
    five table rules ask about the same text in one scan."""
    # keyed by the text object itself: an ``id`` alone is reused by the next text once this one is freed, which
    # handed a new text the old one's headers (wrong columns: a missed cell, or an IndexError failing closed)
    key = (pos, endpos)
    last = _headers_cache[0] if _headers_cache else None  # read once: another thread may replace it
    if last is not None and last[0] is text and last[1] == key:
        return last[2]
    found: list[tuple[int, str, list[tuple[int, Column]]]] = []
    for line_start, line_end in _header_line_spans(text, pos, endpos):
        line = text[line_start:line_end]
        if not 3 <= len(line) <= MAX_LINE_CHARS or line_end >= endpos or not (line[0].isalpha()
                                                                              or line[0] in "\"' |\t"):
            continue  # a header needs a row below it, and starts with a name (a data row often with a digit)
        below_end = text.find("\n", line_end + 1, endpos)
        below = text[line_end + 1 : endpos if below_end < 0 else below_end]
        if not any((n := line.count(d)) and below.count(d) == n for d in _DELIMITERS):
            continue  # the row below must have as many cells
        low = line.lower()
        if not any(h in low for h in _ALL_HINTS):
            continue
        header = _header(line)
        if header is not None:
            found.append((line_start, header[0], header[1]))
    _headers_cache[:] = [(text, key, found)]
    return found


def table_values(text: str, category: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """Spans of the cells of ``category``'s columns in the tables of ``text[pos:endpos]``."""
    endpos = len(text) if endpos is None else endpos
    if "\n" not in text[pos:endpos]:
        return
    budget = [MAX_CHECKS]
    headers = _headers(text, pos, endpos)
    header_starts = {start for start, _, _ in headers}
    for start, delimiter, columns in headers:
        wanted = [(index, col) for index, col in columns if col.category == category]
        if not wanted:
            continue
        end = text.find("\n", start, endpos)
        width = len(_split(text[start:end], delimiter))
        offset, rows = end + 1, 0
        while offset < endpos and rows < MAX_ROWS:
            row_end = text.find("\n", offset, endpos)
            row_end = endpos if row_end < 0 else row_end
            row = text[offset:row_end]
            cells = _split(row, delimiter) if len(row) <= MAX_LINE_CHARS else []
            if len(cells) != width or offset in header_starts:
                break
            if not all(_RULE_CELL_RE.fullmatch(cell) for cell in cells):  # a Markdown |---|:--:| row is no data
                yield from _cells(row, delimiter, cells, wanted, offset, budget)
            offset, rows = row_end + 1, rows + 1


def _cells(row: str, delimiter: str, cells: list[str], wanted: list[tuple[int, Column]],
           offset: int, budget: list[int]) -> Iterator[tuple[int, int]]:
    starts, at = [], 0
    if delimiter == "|":
        at = row.index("|") + 1 if row.lstrip().startswith("|") else 0
    for cell in cells:
        starts.append(at)
        at += len(cell) + 1
    for index, column in wanted:
        value, inner = _clean(cells[index])
        if not value:
            continue
        budget[0] -= 1
        if budget[0] < 0 or column.check(value):
            start = offset + starts[index] + inner
            yield start, start + len(value)
