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
                 "PL", "BR", "MX", "AR", "IN", "AU", "NZ", "CA", "JP", "CN", "KR", "SG", "ZA", "IL", "TR", "RU", "UA",
                 "CZ", "GR", "HU", "RO", "CO", "CL", "PE", "PH", "ID", "MY", "TH", "VN", "HK", "TW", "AE", "SA", "EG",
                 "NG", "KE", "MA", "PK", "BD")  # fmt: skip
"""Regions a national number (no ``+``/``00``) is tried in, after a phone keyword or in a trunk-prefixed form."""

_PHONE_CANDIDATE_RE = re.compile(
    r"(?:(?<![\w.+/:#=-])(?:\+|00)?|(?<=[:=])(?:\+|(?=0)))(?:\(\+?\d{1,4}\)[ .-]?)?\d[\d .()-]{5,22}\d"
    r"(?![\w/:-]|[.,]\d)",
    re.ASCII,
)
"""A phone-shaped run not glued to a word, path or key; a ``+`` number may follow ``=`` or ``:`` (``to=+1…``,
``tel:+44…``): libphonenumber then decides."""
_PHONE_KEYWORD_RE = re.compile(
    r"(?i:phone|tel\b|tel[:.]|tél|mobile|mobil|cell|call|fax|whats ?app|sms|text me|contact|reach|ring|dial(?!-in)"
    r"|handy|telefon|téléphone|teléfono|telefono|telefone|móvil|movil|portable|cellulare|numero|número|nummer"
    r"|(?<!order )(?<!invoice )(?<!ticket )(?<!serial )(?<!tracking )(?<!reference )(?<!case )(?<!build )"
    r"(?<!version )(?<!port )(?<!line )(?<!account )(?<!item )(?<!part )(?<!model )(?<!batch )(?<!job )"
    r"(?<!issue )(?<!booking )(?<!confirmation )(?<!transaction )(?<!policy )(?<!member )(?<!ref )"
    r"(?:number|numer)|shipping|ship to|deliver|courier|customer|recipient|emergency|landline|viber|signal"
    r"|wechat|celular|fijo|puhelin|tlf|mobiel|handphone|номер|телефон|тел\b|моб|手机|電話|电话|携帯|번호|전화|핸드폰)"
    r"|(?<![A-Za-z])(?i:cel|gsm|hp|ph|mob|tlf|fon|cel\.|ph\.)(?![A-Za-z])",
)
"""Words after which a national number (no ``+``, ``00`` or trunk ``0``) counts as a phone, in the languages a
team writes (English, Spanish, Portuguese, French, German, Italian, Dutch, Polish, Nordic, Finnish, Russian,
Chinese, Japanese, Korean; ``HP`` is Singapore's and Malaysia's "handphone")."""
_PHONE_HINTS = (
    "phone", "tel", "tél", "mobil", "cell", "call", "fax", "whats", "sms", "text", "contact", "reach", "ring",
    "dial", "handy", "fono", "fone", "móvil", "movil", "portable", "numer", "númer", "nummer", "number", "shipping",
    "ship to", "deliver", "courier", "customer", "recipient", "emergency", "landline", "viber",
    "signal", "wechat", "cel", "fijo", "puhelin", "tlf", "gsm", "hp", "ph", "mob", "fon", "номер", "тел", "моб",
    "手机", "電話", "电话", "携帯", "번호", "전화", "핸드폰",
)  # fmt: skip
"""Lower-case substrings one of which every phone keyword contains (a cheap gate before the regex)."""
_DATE_LIKE_RE = re.compile(
    r"^(?:1[89]|2[01])\d\d[-./ ](?:0?[1-9]|1[0-2])[-./ ](?:0?[1-9]|[12]\d|3[01])(?!\d)"
    r"|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$|^\d{1,3}(?:\.\d{1,3}){3}$|^\d+(?:\.\d+){1,3}$"
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
    if text.startswith("+") or text.startswith("(+"):
        return _valid_in(pn, text.replace("(", "").replace(")", ""), None)
    grouped = any(c in _SEPARATORS for c in text)
    if not keyword and not (text[0] in "0(" and grouped):
        return False
    return any(_valid_in(pn, text, region) for region in PHONE_REGIONS)


def _valid_in(pn: Any, text: str, region: str | None) -> bool:
    """Whether libphonenumber reads ``text`` as a valid number of ``region`` (a parse error is one region's
    "no", never the end of the search)."""
    try:
        return bool(pn.is_valid_number(pn.parse(text, region)))
    except Exception:  # phonenumbers.NumberParseException and friends
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


_ASCII_DIGITS = b"0123456789"


def digit_count(text: str) -> int:
    """ASCII digits in ``text``: the cheap gate of the finders below. Counted on bytes, because
    ``str.translate`` leaves its fast path on any non-ASCII text (40x slower with one em dash)."""
    data = text.encode("ascii", "ignore")
    return len(data) - len(data.translate(None, _ASCII_DIGITS))


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
            if lead == "0" and not keyword and m.start() and text[m.start() - 1] in ":=":
                continue  # key=0…: a phone only under a phone-named key
        value = raw.rstrip(" .-(")
        if value.count("(") != value.count(")"):
            value = value.strip("()")
        international = value[:1] == "+" or value[:2] == "00"  # a date never starts with 00 or +
        if not value or (not international and _DATE_LIKE_RE.match(value)) or "  " in value or _sequential(value):
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
    (re.compile(r"(?:20|23|24|27|30|33|34)-\d{8}-\d(?![\w-])", re.ASCII), "ar.cuit"),
    (re.compile(r"\d{1,2}\.\d{3}\.\d{3}-[\dkK](?![\w-])", re.ASCII), "cl.rut"),
    (re.compile(r"\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])-[1-8]\d{6}(?![\w-])", re.ASCII), "kr.rrn"),
    (re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|[36]\d)-\d{4}(?![\w-])", re.ASCII),
     "se.personnummer"),
    (re.compile(r"9\d\d-(?:5\d|6[0-5]|7\d|8[0-8]|9[0-24-9])-\d{4}(?![\w-])", re.ASCII), "us.itin"),
    (re.compile(r"(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d\d[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y](?![\w-])", re.ASCII),
     "fi.hetu"),
    (re.compile(r"[STFG]\d{7}[A-Z](?![\w-])", re.ASCII), "sg.nric"),
    (re.compile(r"[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{5}[A-Z\d]\d(?![\w-])", re.ASCII), "mx.curp"),
    (re.compile(r"[A-ZÑ&]{4}\d{6}[A-Z\d]{2}[\dA](?![\w-])"), "mx.rfc+check"),
    (re.compile(r"[A-Z][A-Z9]{4}\d[0156]\d[0-3]\d\d[A-Z9]{2}\d[A-Z]{2}(?:\d\d)?(?![\w-])", re.ASCII), "gb.dl"),
)
"""Identifiers distinctive enough to be taken by shape and check digit alone (no keyword needed)."""

def _keywords(*words: str) -> re.Pattern[str]:
    """Any of ``words`` as a key or a word, whatever the key's case and separators: ``tax id`` also matches
    ``tax_id``, ``TAX-ID``, ``taxId``; a keyword is not part of a longer lower-case word (``rut`` matches
    ``rut_cliente``, ``RUT:`` and ``rutCliente``, not ``route``)."""
    body = "|".join(w.replace(" ", "[ _.-]{0,2}") for w in words)
    return re.compile(rf"(?<![a-z])(?i:{body})(?![a-z])")


_KEYWORD_MODULES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (_keywords("steuer", "steuer id", "steuer idnr", "steuerliche", "idnr", "identifikationsnummer"), ("de.idnr",)),
    (_keywords("tax id", "tax ids", "tin", "taxpayer id", "tax identification", "tax number"),
     ("us.ein", "us.itin", "de.idnr")),
    (_keywords("ein", "fein", "employer id", "employer identification"), ("us.ein",)),
    (_keywords("itin"), ("us.itin",)),
    (_keywords("ssn", "ssns", "social security", "social security number"), ("us.ssn",)),
    (_keywords("routing", "routing number", "aba", "rtn"), ("us.rtn",)),
    (_keywords("bsn", "burgerservicenummer", "sofi"), ("nl.bsn",)),
    (_keywords("sin", "social insurance", "nas"), ("ca.sin",)),
    (_keywords("pesel"), ("pl.pesel",)),
    (_keywords("nir", "insee", "sécurité sociale", "securite sociale", "numéro de sécu"), ("fr.nir",)),
    (_keywords("aadhaar", "aadhar", "uid"), ("in_.aadhaar",)),
    (_keywords("cpf"), ("br.cpf",)),
    (_keywords("cnpj"), ("br.cnpj",)),
    (_keywords("tfn", "tax file", "tax file number"), ("au.tfn",)),
    (_keywords("cpr", "cpr nr", "personnummer", "fødselsnummer", "fodselsnummer", "fnr", "henkilötunnus", "hetu"),
     ("dk.cpr", "se.personnummer", "no.fodselsnummer", "fi.hetu")),
    (_keywords("nif", "contribuinte"), ("pt.nif", "es.dni")),
    (_keywords("dni", "nie"), ("es.dni", "es.nie", "ar.dni")),
    (_keywords("rut"), ("cl.rut",)),
    (_keywords("cuit", "cuil"), ("ar.cuit",)),
    (_keywords("curp"), ("mx.curp",)),
    (_keywords("rfc"), ("mx.rfc",)),
    (_keywords("ahv", "avs"), ("ch.ssn",)),
    (_keywords("pps"), ("ie.pps",)),
    (_keywords("tc kimlik", "tc kimlik no", "kimlik", "kimlik no", "tckn"), ("tr.tckimlik",)),
    (_keywords("cnp"), ("ro.cnp",)),
    (_keywords("rijksregister", "rijksregisternummer", "national number", "numéro national", "insz", "niss"),
     ("be.nn",)),
    (_keywords("rrn", "resident registration", "resident registration number"), ("kr.rrn",)),
    (re.compile(r"주민등록번호|주민번호"), ("kr.rrn",)),
    (_keywords("my number", "mynumber", "individual number"), ("jp.in_",)),
    (re.compile(r"マイナンバー|個人番号"), ("jp.in_",)),
    (_keywords("nric", "nric no", "nric fin"), ("sg.nric",)),
    (_keywords("driver licence", "driver license", "drivers licence", "drivers license", "driver's licence",
               "driver's license", "driving licence", "driving license", "licence no", "licence number",
               "license no", "dl no", "dl number", "führerschein", "permis de conduire", "licencia de conducir",
               "carteira de motorista", "rijbewijs"), ("dl",)),
    (_keywords("teudat zehut", "israeli id"), ("il.idnr",)),
    (re.compile(r"תעודת זהות"), ("il.idnr",)),
    (_keywords("resident identity", "ric"), ("cn.ric",)),
    (re.compile(r"身份证"), ("cn.ric",)),
    (_keywords("national id", "national identity", "identity number", "id number", "id no", "id nr"),
     ("za.idnr", "il.idnr", "cn.ric", "de.idnr", "nl.bsn", "tr.tckimlik", "be.nn", "no.fodselsnummer")),
)
_KEYWORD_HINTS = (
    "steuer", "idnr", "tax", "tin", "bsn", "burgerservice", "sofi", "sin", "social", "nas", "pesel", "nir",
    "insee", "sécu", "secu", "aadha", "uid", "cpf", "cnpj", "tfn", "cpr", "personnummer", "sels", "fnr", "henkil",
    "hetu", "nif", "contribuinte", "dni", "nie", "rut", "cuit", "cuil", "curp", "rfc", "ahv", "avs", "pps",
    "kimlik", "tckn", "cnp", "rijksregister", "national", "insz", "niss", "身份证", "ric", "identity", "id n",
    "identifikation", "ein", "employer", "ssn", "routing", "aba", "rtn", "resident", "주민", "number",
    "マイナンバー", "個人番号", "nric", "zehut", "זהות", "licen", "dl n", "führerschein", "permis", "rijbewijs",
    "motorista",
)  # fmt: skip
"""Lower-case substrings one of which every keyword of ``_KEYWORD_MODULES`` contains (a cheap gate)."""


_ANY_KEYWORD_RE = re.compile("|".join(f"(?P<k{i}>{pattern.pattern})" for i, (pattern, _) in
                                      enumerate(_KEYWORD_MODULES)))
"""Every keyword of ``_KEYWORD_MODULES`` in one pass; the group name is the index of its entry."""


def _has_hint(text: str) -> bool:
    low = text.lower()
    return any(hint in low for hint in _KEYWORD_HINTS)


_BY_MODULE = {module: pattern for pattern, module in _SHAPES}
_GATED_SHAPES = (("-", _BY_MODULE["br.cpf"], "br.cpf"), ("/", _BY_MODULE["br.cnpj"], "br.cnpj"),
                 *(("-", _BY_MODULE[m], m) for m in ("ar.cuit", "cl.rut", "kr.rrn", "se.personnummer", "us.itin",
                                                      "fi.hetu")))
"""Shapes that need a literal character (CPF ``ddd.ddd.ddd-dd``, CNPJ ``…/dddd-dd``, the dashed ids)."""
_LETTER_SHAPES = tuple((_BY_MODULE[m], m) for m in ("it.codicefiscale", "es.dni", "es.nie", "in_.pan", "fi.hetu",
                                                    "sg.nric", "mx.curp", "mx.rfc+check", "gb.dl"))
_UPPER_RUN_RE = re.compile(r"\d-?[A-Z]|[A-Z]-?\d", re.ASCII)
"""Shapes mixing capitals and digits (codice fiscale, DNI, NIE, PAN) need a capital next to a digit."""
_DIGIT_SHAPES = tuple((_BY_MODULE[m], m) for m in ("cn.ric", "fr.nir"))
_LONG_DIGITS_RE = re.compile(r"\d{6}|\d \d\d \d\d", re.ASCII)
"""CN RIC (18 digits) and FR NIR (15 digits, often grouped ``1 85 05 …``) need one of these."""
_KEYWORD_VALUE_RE = re.compile(r"(?<![\w-])(?:[A-Z]{1,4})?\d[A-Z0-9 ./-]{5,22}[A-Z0-9](?![\w-])", re.ASCII)


_NRIC_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
_NRIC_LETTERS = {"S": "JZIHGFEDCBA", "T": "JZIHGFEDCBA", "F": "XWUTRQPNMLK", "G": "XWUTRQPNMLK"}


def nric_ok(value: str) -> bool:
    """Singapore NRIC/FIN ``[STFG]`` + 7 digits + check letter (weights 2765432, +4 for T and G, mod 11)."""
    value = value.strip().upper()
    if len(value) != 9 or value[0] not in _NRIC_LETTERS or not value[1:8].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[1:8], _NRIC_WEIGHTS, strict=True)) + (4 if value[0] in "TG" else 0)
    return _NRIC_LETTERS[value[0]][total % 11] == value[8]


def _rfc_checked(value: str) -> bool:
    """A Mexican RFC whose check digit verifies (taken by shape alone only then)."""
    rfc = import_module("stdnum.mx.rfc")
    try:
        rfc.validate(value, validate_check_digits=True)
    except Exception:
        return False
    return True


_DL_RE = re.compile(r"[A-Z0-9][A-Z0-9 -]{4,18}[A-Z0-9]", re.ASCII)


def driver_licence_ok(value: str) -> bool:
    """A licence number after a licence keyword: 6-20 capitals and digits with at least 5 digits (no checksum
    is public; the keyword carries the evidence)."""
    return _DL_RE.fullmatch(value) is not None and digit_count(value) >= 5


def uk_licence_ok(value: str) -> bool:
    """A GB driving licence number (DVLA): the month field is 01-12 (51-62 for a woman), the day 01-31."""
    month, day = int(value[6:8]), int(value[8:10])
    return (1 <= month <= 12 or 51 <= month <= 62) and 1 <= day <= 31


_LOCAL_VALIDATORS: dict[str, Callable[[str], bool]] = {"sg.nric": nric_ok, "mx.rfc+check": _rfc_checked,
                                                       "dl": driver_licence_ok, "gb.dl": uk_licence_ok}


@lru_cache(maxsize=64)
def _module(name: str) -> Callable[[str], bool]:
    local = _LOCAL_VALIDATORS.get(name)
    if local is not None:
        return local
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
            value = m.group(0).rstrip(" ./-")
            if digit_count(value) < 6 or not _has_hint(text[max(0, m.start() - 48) : m.start()]):
                continue
            found = sorted({int(k.lastgroup[1:]) for k in _ANY_KEYWORD_RE.finditer(text, max(0, m.start() - 48),
                                                                                   m.start()) if k.lastgroup})
            for index in found:
                if any(valid(mod, value) for mod in _KEYWORD_MODULES[index][1]):
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


def id_valid_for_any(value: str) -> bool:
    """Whether ``value`` is a valid identifier of any country this module knows (a cell of a column named like
    a national id: the header is the evidence, the check digit the confirmation)."""
    modules = dict.fromkeys(m for _, mods in _KEYWORD_MODULES for m in mods)
    modules.update(dict.fromkeys(m for _, m in _SHAPES))
    return any(_valid(module, value) for module in modules)
