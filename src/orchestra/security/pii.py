"""Personal data found with the libraries made for it: ``phonenumbers`` (libphonenumber) and ``python-stdnum``.

Both are imported lazily, only when a cheap regex candidate (a digit run of the right shape) exists, so
the hook path and ``orchestra health`` never load them. Candidates are conservative: a national phone
number needs a phone keyword nearby or a trunk-prefixed, grouped national format valid in one of the
listed regions; an international number (``+`` or ``00``) needs to be valid for its country code.
National identifiers with a check digit are accepted on their own when their shape is distinctive
(IT codice fiscale, ES DNI/NIE, BR CPF/CNPJ formatted, IN PAN, CN RIC, FR NIR, UK NINO); the others
(DE Steuer-ID, NL BSN, CA SIN, PL PESEL, IN Aadhaar, SE personnummer, …) need their keyword.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from importlib import import_module
from typing import Any

MAX_LIBRARY_CHECKS = 2000
"""Library validations per finder call (a bound for adversarial digit-heavy texts: candidates past it are not
checked; ordinary texts have a handful)."""

PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "IE", "PT", "SE", "NO", "DK", "FI",
                 "PL", "BR", "MX", "AR", "IN", "AU", "NZ", "CA", "JP", "CN", "KR", "SG", "ZA", "IL", "TR")  # fmt: skip

_PHONE_CANDIDATE_RE = re.compile(
    r"(?<![\w.+/:#=-])(?:\+|00)?(?:\(\+?\d{1,4}\)[ .-]?)?\d[\d .()-]{5,22}\d(?![\w/:-]|[.,]\d)", re.ASCII
)
_PHONE_KEYWORD_RE = re.compile(
    r"(?i:phone|tel\b|tel[:.]|tél|mobile|mobil|cell|call|fax|whats ?app|sms|text me|contact|reach|ring|dial"
    r"|handy|telefon|téléphone|teléfono|telefono|telefone|móvil|movil|portable|cellulare|numero|número|nummer"
    r"|number|no\.|#|shipping|ship to|deliver|courier|customer|recipient|emergency|landline|viber|signal|wechat)",
)
_PHONE_HINTS = (
    "phone", "tel", "tél", "mobil", "cell", "call", "fax", "whats", "sms", "text", "contact", "reach", "ring",
    "dial", "handy", "fono", "fone", "móvil", "movil", "portable", "numer", "númer", "nummer", "number", "no.",
    "#", "shipping", "ship to", "deliver", "courier", "customer", "recipient", "emergency", "landline", "viber",
    "signal", "wechat",
)  # fmt: skip
"""Lower-case substrings one of which every phone keyword contains (a cheap gate before the regex)."""
_DATE_LIKE_RE = re.compile(
    r"^\d{4}[-./ ]\d{1,2}[-./ ]\d{1,2}|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$|^\d{1,3}(?:\.\d{1,3}){3}$|^\d+(?:\.\d+){1,3}$"
)
_SEPARATORS = frozenset(" .-()")


@lru_cache(maxsize=1)
def _phonenumbers() -> Any:
    return import_module("phonenumbers")


def _phone_valid(candidate: str, keyword: bool) -> bool:
    pn = _phonenumbers()
    digits = sum(c.isdigit() for c in candidate)
    if not 8 <= digits <= 15:
        return False
    text = candidate
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        if text.startswith("+") or text.startswith("(+"):
            return bool(pn.is_valid_number(pn.parse(text.replace("(", "").replace(")", ""), None)))
        grouped = any(c in _SEPARATORS for c in text)
        if not keyword and not (text[0] in "0(" and grouped):
            return False
        for region in PHONE_REGIONS:
            if pn.is_valid_number(pn.parse(text, region)):
                return True
    except Exception:  # phonenumbers.NumberParseException and friends
        return False
    return False


_SEQUENTIAL = "01234567890"


def _sequential(value: str) -> bool:
    """``123 456 789``, ``0123456789``: counting digits (codes and examples), not a subscriber number."""
    digits = "".join(c for c in value if c.isdigit())
    return len(digits) >= 8 and (digits in _SEQUENTIAL or digits in _SEQUENTIAL[::-1])


_PHONE_CLUSTER_RE = re.compile(r"\d(?:[ .()/-]{0,3}\d)+", re.ASCII)
"""Digits with short separator runs between them: where a phone number can be (a charset-prefixed scan)."""
PHONE_REGION_RE = re.compile(r"\d(?:[ .()/-]{0,3}\d){7,}", re.ASCII)
"""The clusters of ``_PHONE_CLUSTER_RE`` holding 8+ digits, found by the regex alone (the same spans: a shorter
cluster fails from each of its digits): the phone finder's regions without a digit count per cluster."""
_ID_CLUSTER_RE = re.compile(r"[0-9A-Z](?:[ ./-]?[0-9A-Z]){5,22}", re.ASCII)
"""Runs of capitals and digits with single separators: where a national id can be."""


def _regions(
    cluster_re: re.Pattern[str], text: str, pos: int, endpos: int, min_digits: int, before: int, after: int
) -> list[tuple[int, int]]:
    """Merged ``[start - before, end + after)`` windows around clusters holding at least ``min_digits`` digits."""
    out: list[tuple[int, int]] = []
    n = len(text)
    for m in cluster_re.finditer(text, pos, endpos):
        if min_digits and digit_count(m.group(0)) < min_digits:
            continue
        lo, hi = max(pos, m.start() - before), min(endpos, m.end() + after, n)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _candidates(pattern: re.Pattern[str], text: str, regions: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    for lo, hi in regions:
        yield from pattern.finditer(text, lo, hi)


_DROP_DIGITS = str.maketrans("", "", "0123456789")


def digit_count(text: str) -> int:
    """ASCII digits in ``text`` (one C-level translate: the cheap gate of the finders below)."""
    return len(text) - len(text.translate(_DROP_DIGITS))


def find_phones(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """Phone numbers in international or national formats (validated by libphonenumber)."""
    endpos = len(text) if endpos is None else endpos
    if digit_count(text[pos:endpos] if pos or endpos != len(text) else text) < 8:
        return
    budget = MAX_LIBRARY_CHECKS
    for m in _candidates(_PHONE_CANDIDATE_RE, text, _regions(PHONE_REGION_RE, text, pos, endpos, 0, 6, 2)):
        raw = m.group(0)
        lead = raw[0]
        if lead not in "+0(":
            before = text[max(0, m.start() - 40) : m.start()].lower()
            if not any(h in before for h in _PHONE_HINTS) or not _PHONE_KEYWORD_RE.search(before):
                continue
            keyword = True
        else:
            keyword = lead == "0" and _PHONE_KEYWORD_RE.search(text, max(0, m.start() - 40), m.start()) is not None
        value = raw.rstrip(" .-(")
        if value.count("(") != value.count(")"):
            value = value.strip("()")
        if not value or _DATE_LIKE_RE.match(value) or "  " in value or _sequential(value):
            continue
        budget -= 1
        if budget < 0:
            return
        if _phone_valid(value, keyword):
            start = m.start() + raw.index(value)
            yield start, start + len(value)


# --------------------------------------------------------------------------------------------------------
# national identifiers

NINO_RE = re.compile(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d\d ?\d\d ?\d\d ?[A-D](?![A-Za-z0-9])", re.ASCII)
"""UK National Insurance number (the excluded prefixes are checked by :func:`nino_ok`)."""
_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})


def nino_ok(value: str) -> bool:
    """Not one of the prefixes HMRC never issues."""
    return value[:2] not in _NINO_BAD_PREFIXES


_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z](?![A-Za-z0-9])", re.ASCII),
     "it.codicefiscale"),
    (re.compile(r"\d{8}-?[A-HJ-NP-TV-Z](?![A-Za-z0-9])", re.ASCII), "es.dni"),
    (re.compile(r"[XYZ]-?\d{7}-?[A-HJ-NP-TV-Z](?![A-Za-z0-9])", re.ASCII), "es.nie"),
    (re.compile(r"\d{3}\.\d{3}\.\d{3}-\d{2}(?![\d.-])", re.ASCII), "br.cpf"),
    (re.compile(r"\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}(?![\d.-])", re.ASCII), "br.cnpj"),
    (re.compile(r"[A-Z]{3}[ABCFGHLJPT][A-Z]\d{4}[A-Z](?![A-Za-z0-9])", re.ASCII), "in_.pan"),
    (re.compile(r"[1-6]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{5}[\dX](?![\w-])", re.ASCII), "cn.ric"),
    (re.compile(r"[12] ?\d\d ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d\d|2[AB]) ?\d{3} ?\d{3} ?\d\d(?![\w-])",
                re.ASCII), "fr.nir"),
)

_KEYWORD_MODULES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"(?i:steuer|idnr|tax[ _-]?id|identifikationsnummer|tin\b)"), ("de.idnr",)),
    (re.compile(r"(?i:bsn|burgerservice|sofi)"), ("nl.bsn",)),
    (re.compile(r"(?i:\bsin\b|social insurance|nas\b)"), ("ca.sin",)),
    (re.compile(r"(?i:pesel)"), ("pl.pesel",)),
    (re.compile(r"(?i:\bnir\b|insee|sécurité sociale|securite sociale|numéro de sécu)"), ("fr.nir",)),
    (re.compile(r"(?i:aadhaar|aadhar|\buid\b)"), ("in_.aadhaar",)),
    (re.compile(r"(?i:\bcpf\b)"), ("br.cpf",)),
    (re.compile(r"(?i:cnpj)"), ("br.cnpj",)),
    (re.compile(r"(?i:\btfn\b|tax file)"), ("au.tfn",)),
    (re.compile(r"(?i:\bcpr\b|personnummer|fødselsnummer|fodselsnummer|henkilötunnus|hetu)"),
     ("dk.cpr", "se.personnummer", "no.fodselsnummer", "fi.hetu")),
    (re.compile(r"(?i:\bnif\b|contribuinte)"), ("pt.nif", "es.dni")),
    (re.compile(r"(?i:\bdni\b|\bnie\b)"), ("es.dni", "es.nie", "ar.dni")),
    (re.compile(r"(?i:\brut\b)"), ("cl.rut",)),
    (re.compile(r"(?i:curp)"), ("mx.curp",)),
    (re.compile(r"(?i:ahv|avs\b)"), ("ch.ssn",)),
    (re.compile(r"(?i:\bpps\b)"), ("ie.pps",)),
    (re.compile(r"(?i:tc ?kimlik|tckn)"), ("tr.tckimlik",)),
    (re.compile(r"(?i:\bcnp\b)"), ("ro.cnp",)),
    (re.compile(r"(?i:rijksregister|national number|numéro national)"), ("be.nn",)),
    (re.compile(r"(?i:resident identity|身份证|\bric\b)"), ("cn.ric",)),
    (re.compile(r"(?i:national id|identity number|id number|id no)"),
     ("za.idnr", "il.idnr", "cn.ric", "de.idnr", "nl.bsn")),
)
_KEYWORD_HINTS = (
    "steuer", "idnr", "tax", "tin", "bsn", "burgerservice", "sofi", "sin", "social insurance", "nas", "pesel",
    "nir", "insee", "sécu", "secu", "aadha", "uid", "cpf", "cnpj", "tfn", "cpr", "personnummer", "sels", "henkil",
    "hetu", "nif", "contribuinte", "dni", "nie", "rut", "curp", "ahv", "avs", "pps", "kimlik", "tckn", "cnp",
    "rijksregister", "national", "身份证", "ric", "identity", "id n", "identifikation",
)  # fmt: skip
"""Lower-case substrings one of which every keyword of ``_KEYWORD_MODULES`` contains (a cheap gate)."""


def _has_hint(text: str) -> bool:
    low = text.lower()
    return any(hint in low for hint in _KEYWORD_HINTS)


_BY_MODULE = {module: pattern for pattern, module in _SHAPES}
_GATED_SHAPES = (("-", _BY_MODULE["br.cpf"], "br.cpf"), ("/", _BY_MODULE["br.cnpj"], "br.cnpj"))
"""Shapes that need a literal character (CPF ``ddd.ddd.ddd-dd``, CNPJ ``…/dddd-dd``)."""
_LETTER_SHAPES = tuple((_BY_MODULE[m], m) for m in ("it.codicefiscale", "es.dni", "es.nie", "in_.pan"))
_UPPER_RUN_RE = re.compile(r"\d[A-Z]|[A-Z]\d", re.ASCII)
"""Shapes mixing capitals and digits (codice fiscale, DNI, NIE, PAN) need a capital next to a digit."""
_DIGIT_SHAPES = tuple((_BY_MODULE[m], m) for m in ("cn.ric", "fr.nir"))
_LONG_DIGITS_RE = re.compile(r"\d{6}|\d \d\d \d\d", re.ASCII)
"""CN RIC (18 digits) and FR NIR (15 digits, often grouped ``1 85 05 …``) need one of these."""
_KEYWORD_VALUE_RE = re.compile(r"(?<![\w-])(?:[A-Z]{1,4})?\d[A-Z0-9 ./-]{5,22}[A-Z0-9](?![\w-])", re.ASCII)


@lru_cache(maxsize=64)
def _module(name: str) -> Callable[[str], bool]:
    mod = import_module(f"stdnum.{name}")
    is_valid: Callable[[str], bool] = mod.is_valid
    return is_valid


def _valid(module: str, value: str) -> bool:
    try:
        return bool(_module(module)(value))
    except Exception:
        return False


def find_national_ids(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int]]:
    """National identifiers with a valid check digit (or a valid structure where the id has none)."""
    endpos = len(text) if endpos is None else endpos
    if digit_count(text[pos:endpos] if pos or endpos != len(text) else text) < 4:
        return iter(())
    spans: list[tuple[int, int]] = []
    budget = [MAX_LIBRARY_CHECKS]

    def valid(module: str, value: str) -> bool:
        budget[0] -= 1
        return budget[0] >= 0 and _valid(module, value)

    regions = _regions(_ID_CLUSTER_RE, text, pos, endpos, 4, 1, 1)
    for lo, hi in regions:
        window = text[lo:hi]
        shapes: list[tuple[re.Pattern[str], str]] = [(p, m) for gate, p, m in _GATED_SHAPES if gate in window]
        if _UPPER_RUN_RE.search(window):
            shapes.extend(_LETTER_SHAPES)
        if _LONG_DIGITS_RE.search(window):
            shapes.extend(_DIGIT_SHAPES)
        for pattern, module in shapes:
            for m in pattern.finditer(text, lo, hi):
                if _starts_word(text, m.start()) and valid(module, m.group(0)):
                    spans.append(m.span())
    if regions and _has_hint(text[max(0, pos - 48) : endpos]):
        for m in _candidates(_KEYWORD_VALUE_RE, text, regions):
            before = text[max(0, m.start() - 48) : m.start()]
            if not _has_hint(before):
                continue
            value = m.group(0).rstrip(" ./-")
            if digit_count(value) < 6:
                continue
            for kw_re, modules in _KEYWORD_MODULES:
                if kw_re.search(before) and any(valid(mod, value) for mod in modules):
                    spans.append((m.start(), m.start() + len(value)))
                    break
    return _merged(spans)


def _starts_word(text: str, start: int) -> bool:
    """Not glued to a preceding letter, digit, underscore, hyphen or dot."""
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "_-.")


def _merged(spans: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    spans.sort()
    last = -1
    for start, end in spans:
        if start >= last:
            yield start, end
            last = end
