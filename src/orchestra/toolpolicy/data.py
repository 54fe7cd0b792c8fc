"""Restricted data in a tool call's arguments, with ``re`` only (the hook cannot import the full guard).

A deliberate subset of :mod:`orchestra.security.rules`: vendor token shapes, private keys, JWTs, literal
values assigned to secret-named keys, payment cards (Luhn and issuer prefix), US SSNs (dashed, valid
ranges), IBANs (mod 97), e-mail addresses and international phone numbers written with ``+`` and a country code
(10-15 digits). Only *labels* leave this module, never the values. National phone formats without ``+`` are
not detected here (that needs ``phonenumbers``).
"""

from __future__ import annotations

import re

SCAN_LIMIT = 256 * 1024
"""Characters of one call examined (a tool call larger than this is scanned on its head)."""

_TOKENS_SOURCE = (
    r"(?<![A-Za-z0-9_])(?:"
    r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,}|glpat-[A-Za-z0-9_-]{20}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}|sk-ant-[A-Za-z0-9_-]{20,}"
    r"|sk-(?:proj-)?[A-Za-z0-9_-]{32,}|[sr]k_live_[0-9A-Za-z]{20,}|AIza[0-9A-Za-z_-]{35}"
    r"|npm_[A-Za-z0-9]{36}|pypi-AgE[A-Za-z0-9_-]{50,}|hf_[A-Za-z]{34}|dop_v1_[a-f0-9]{64}"
    r"|SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"
    r")|-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----|hooks\.slack\.com/services/T[A-Z0-9]{6,}/")
_ASSIGNED_SOURCE = (
    r"(?i)(?<![A-Za-z0-9])(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|client[_-]?secret|auth[_-]?token|bearer)[A-Za-z0-9_-]{0,16}[\"']?\s{0,3}(?:[:=]|\s)\s{0,3}[\"']?"
    r"(?P<value>[^\s\"'&;,)}\]]{8,200})")
_PLACEHOLDER_SOURCE = (r"(?i)^(?:\$|%|\{\{|<|\*\*\*|x{4,}|your|changeme|example|dummy|placeholder|redacted|"
                          r"none|null|true|false|\.\.\.|process\.env|os\.environ|env\[|secrets\.|\[redacted)")
_CARD_SOURCE = (r"(?<![\d.])(?:\d[ -]?){12,18}\d(?![\d.])")
_SSN_SOURCE = (r"(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])")
_IBAN_SOURCE = (r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Z0-9])")
_EMAIL_SOURCE = (r"(?<![\w.+-])[A-Za-z0-9][\w.+-]{0,63}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*"
                    r"\.[A-Za-z]{2,24}(?![\w@-])")
_PHONE_SOURCE = (r"(?<![\w+/.-])\+[1-9][\d .()-]{8,20}\d(?![\d\w])")
_SOURCES = {"tokens": _TOKENS_SOURCE, "assigned": _ASSIGNED_SOURCE, "placeholder": _PLACEHOLDER_SOURCE,
            "card": _CARD_SOURCE, "ssn": _SSN_SOURCE, "iban": _IBAN_SOURCE, "email": _EMAIL_SOURCE,
            "phone": _PHONE_SOURCE}
_TOKEN_HINTS = ("gh", "github_pat_", "glpat-", "xox", "AKIA", "ASIA", "sk-", "k_live_", "AIza", "npm_", "pypi-",
                "hf_", "dop_v1_", "SG.", "eyJ", "-----BEGIN", "hooks.slack.com")
"""Literal parts every ``tokens`` match contains: the pattern is compiled and run only when one is present."""
_KEY_HINTS = ("pass", "pwd", "secret", "token", "key", "bearer")
"""Every secret-named key contains one of these (lower case)."""
_DIGITS = str.maketrans("", "", "0123456789")


def _rx(name: str) -> re.Pattern[str]:
    """A pattern, compiled on first use: a hook process compiles only what its call's text can match
    (compiling all of them costs about 25 ms, a third of the hook's budget); ``re`` keeps them compiled."""
    return re.compile(_SOURCES[name])


_EMAIL_OK = ("example.com", "example.org", "example.net", "users.noreply.github.com", "localhost")


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a string of digits."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_issuer(digits: str) -> bool:
    two, four = int(digits[:2]), int(digits[:4])
    return (digits[0] == "4" or 51 <= two <= 55 or 2221 <= four <= 2720 or two in (34, 37, 35, 36, 38, 30)
            or digits.startswith(("6011", "65", "62")))


def _iban_ok(value: str) -> bool:
    compact = value.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _email_ok(text: str, match: re.Match[str]) -> bool:
    """An address that is not personal data (documentation domains, git remotes, ssh targets)."""
    domain = match.group().rsplit("@", 1)[1].lower()
    if domain in _EMAIL_OK or domain.endswith(_EMAIL_OK) or match.group().lower().startswith(("git@", "noreply")):
        return True
    end = match.end()
    if end < len(text) and text[end] == ":":
        return True  # user@host:path (scp, git)
    before = text[max(0, match.start() - 40):match.start()]
    return re.search(r"(?:^|[\s;&|(])(?:ssh|mosh|sftp|rsync|scp)(?:\s+-\S+(?:\s+\S+)?)*\s+$", before) is not None


def findings(text: str) -> list[str]:
    """Labels of the restricted data in ``text`` (``secret``, ``card``, ``national-id``, ``iban``, ``phone``,
    ``email``)."""
    head = text[:SCAN_LIMIT]
    found: list[str] = []
    if any(hint in head for hint in _TOKEN_HINTS) and _rx("tokens").search(head):
        found.append("secret")
    else:
        lowered = head.lower()
        if any(hint in lowered for hint in _KEY_HINTS):
            for match in _rx("assigned").finditer(head):
                value = match.group("value")
                if not _rx("placeholder").match(value) and _secret_shaped(value):
                    found.append("secret")
                    break
    digits = len(head) - len(head.translate(_DIGITS))
    if digits >= 13:
        for match in _rx("card").finditer(head):
            number = re.sub(r"\D", "", match.group())
            if 13 <= len(number) <= 19 and len(set(number)) > 2 and _card_issuer(number) and luhn_ok(number):
                found.append("card")
                break
    if digits >= 9 and "-" in head:
        for match in _rx("ssn").finditer(head):
            area, group, serial = match.groups()
            if area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000":
                found.append("national-id")
                break
    if digits >= 6:
        for match in _rx("iban").finditer(head):
            if _iban_ok(match.group()):
                found.append("iban")
                break
    if digits >= 10 and "+" in head:
        for match in _rx("phone").finditer(head):
            count = sum(c.isdigit() for c in match.group())
            if 10 <= count <= 15 and match.group().count("(") == match.group().count(")"):
                found.append("phone")
                break
    if "@" in head:
        for match in _rx("email").finditer(head):
            if not _email_ok(head, match):
                found.append("email")
                break
    return found


def _secret_shaped(value: str) -> bool:
    """A literal that looks generated or deliberate (mixed classes), not a word or a path."""
    if value.startswith(("/", "./", "~/", "http")) or value.count("/") > 1:
        return False
    classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value),
                   any(not c.isalnum() for c in value)))
    return classes >= 2 and not value.replace("_", "").replace("-", "").isalpha()
