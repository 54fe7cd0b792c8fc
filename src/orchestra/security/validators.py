"""Pure checks used by the rules: checksums, entropy, placeholders."""

from __future__ import annotations

import math
import re
from collections import Counter

MARKER_RE = re.compile(r"\[REDACTED_[A-Z_]{2,24}\]")
"""Matches any redaction marker (ours and the original's)."""

_PLACEHOLDER_FRAGMENTS: tuple[str, ...] = (
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "${",
    "{{",
    "}}",
    "%(",
    "xxxx",
    "****",
    "....",
    "changeme",
    "change_me",
    "change-me",
    "example",
    "placeholder",
    "dummy",
    "redacted",
    "insert",
    "replace_",
    "replace-me",
    "sample",
    "notreal",
    "not_real",
    "fake",
    "todo",
    "fixme",
    "_here",
    "-here",
)

_PLACEHOLDER_WORDS: frozenset[str] = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "secret",
        "token",
        "apikey",
        "api_key",
        "key",
        "null",
        "none",
        "nil",
        "true",
        "false",
        "undefined",
        "str",
        "string",
        "bytes",
        "int",
        "bool",
        "required",
        "optional",
        "env",
        "secretstr",
        "test",
        "testing",
        "user",
        "username",
        "empty",
        "unset",
        "default",
        "omitted",
        "hidden",
        "masked",
        "value",
    }
)


_FRAGMENT_RE = re.compile("|".join(re.escape(f) for f in _PLACEHOLDER_FRAGMENTS)
                          + r"|<[a-z_][\w .:/-]{0,48}>|^<|>$")
"""Template fragments; a ``<name>`` slot, or a value opening or closing with an angle bracket (``<token``,
``key>``). A ``<`` or ``>`` among the symbols of a generated value (WordPress salts) is no slot."""


_MASK_RE = re.compile(r"^[\[<(][a-z_ -]{3,24}[\]>)]?$")


def is_mask(value: str) -> bool:
    """A bracketed mask a framework prints in place of a value: ``[FILTERED]``, ``<redacted>``, ``(hidden)``."""
    return _MASK_RE.match(value.strip().strip("\"'`").strip().lower()) is not None


def is_placeholder(value: str) -> bool:
    """True for template values, masks and type names that are not real secrets."""
    v = value.strip().strip("\"'`").strip()
    if not v:
        return True
    low = v.lower()
    if low in _PLACEHOLDER_WORDS:
        return True
    if low.startswith(("$", "%", "@{", "#{", "&", "hmac-sha256:", "hmac-sha1:", "hmac-sha512:")):
        return True  # references, and the HMACs audit logs print in place of a value (Vault)
    if _MASK_RE.match(low):
        return True  # [FILTERED], [REDACTED], <hidden>, (masked)
    if _FRAGMENT_RE.search(low):
        return True
    # a single repeated character or a tiny alphabet over a long value ("aaaa…", "0000…", "abab…")
    distinct = len(set(low))
    return (len(low) >= 6 and distinct <= 2) or (len(low) >= 16 and distinct <= 4)


def strip_markers(value: str) -> str:
    """The value with every redaction marker removed."""
    return MARKER_RE.sub("", value)


def shannon_entropy(value: str) -> float:
    """Bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def char_classes(value: str) -> int:
    """How many of lower, upper, digit, other appear."""
    lower = upper = digit = other = 0
    for ch in value:
        if ch.islower():
            lower = 1
        elif ch.isupper():
            upper = 1
        elif ch.isdigit():
            digit = 1
        else:
            other = 1
    return lower + upper + digit + other


def random_letters(value: str, *, min_len: int = 20, min_entropy: float = 3.5) -> bool:
    """Letters with no digit that still look generated (``hf_`` and ``api_org_`` bodies are letters only; an
    upper-case alphabet such as Scaleway's may draw no digit): long, not all lower case, varied. Only for
    bodies that follow a vendor's prefix: the prefix is the evidence."""
    if not (len(value) >= min_len and value.isalpha() and value.isascii()) or value.islower() or is_placeholder(value):
        return False
    return shannon_entropy(value) >= min_entropy


def looks_random(value: str, *, min_len: int = 12, min_entropy: float = 3.0) -> bool:
    """A heuristic for generated secrets: long enough, varied, and mixing character classes."""
    if len(value) < min_len or is_placeholder(value):
        return False
    has_digit = any(ch.isdigit() for ch in value)
    has_alpha = any(ch.isalpha() for ch in value)
    if not has_alpha:
        return False
    if not has_digit and char_classes(value) < 3:
        return False
    return shannon_entropy(value) >= min_entropy


_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_CODE_REF_RE = re.compile(
    r"^(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z_][a-z_]*[0-9]{0,2})$"
)


def is_uuid(value: str) -> bool:
    """A canonical UUID (these are identifiers, not secrets)."""
    return bool(_UUID_RE.match(value))


def is_code_reference(value: str) -> bool:
    """A dotted identifier, an ENV_VAR_NAME or a snake_case identifier: a reference, not a literal."""
    return bool(_CODE_REF_RE.match(value))


def luhn_ok(digits: str) -> bool:
    """Luhn checksum over a string of digits (all-zero strings fail)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total > 0 and total % 10 == 0


def card_iin_ok(digits: str) -> bool:
    """Issuer prefixes and lengths: Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro, Mir."""
    n = len(digits)
    if not 13 <= n <= 19:
        return False
    p2 = int(digits[:2])
    p3 = int(digits[:3])
    p4 = int(digits[:4])
    first = digits[0]
    if first == "4":
        return n in (13, 16, 19)
    if first == "5":
        return 50 <= p2 <= 59 and (n == 16 if 51 <= p2 <= 55 else 12 <= n <= 19)
    if first == "2":
        return (2221 <= p4 <= 2720 and n == 16) or (2200 <= p4 <= 2204 and 16 <= n <= 19)
    if first == "3":
        if p2 in (34, 37):
            return n == 15
        if 300 <= p3 <= 305 or p2 in (36, 38, 39):
            return 14 <= n <= 19
        return 3528 <= p4 <= 3589 and 16 <= n <= 19
    if first == "6":
        return p2 in (60, 62, 63, 64, 65, 67) and 16 <= n <= 19
    return False


def is_payment_card(candidate: str) -> bool:
    """13-19 digits (spaces/hyphens ignored), a known issuer prefix, and a valid Luhn checksum."""
    digits = candidate.replace(" ", "").replace("-", "")
    return digits.isascii() and digits.isdigit() and card_iin_ok(digits) and luhn_ok(digits)


IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_ok(candidate: str) -> bool:
    """Country length table plus the ISO 13616 mod-97 check."""
    iban = candidate.replace(" ", "").upper()
    if not iban.isascii() or not iban.isalnum():
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is None or len(iban) != expected:
        return False
    rearranged = iban[4:] + iban[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


def ssn_ok(candidate: str) -> bool:
    """US SSN structure: area not 000/666/9xx, group not 00, serial not 0000."""
    digits = "".join(ch for ch in candidate if ch.isdigit())
    if len(digits) != 9 or not digits.isascii():
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"
