"""The held-out evaluation: realistic lines of five genres, scored the strict way.

Corpus files (``tests/data/heldout/<genre>.txt``) hold one template per line (``\\n`` inside a line is a
newline; ``#`` lines are comments). Slots, filled at load time with fresh fakes (valid checksums where the
format has one, never a real credential):

* ``«kind»``          a planted value of a known kind (category from :data:`KIND_CATEGORY`);
* ``«=value|cat»``    a literal planted value of category ``cat`` (short passwords, hand-written cases);
* ``«~kind»``         benign filler that must stay (UUIDs, hashes, base64 of benign data, …).

Strict scoring, as the independent corpus does: a planted value counts as caught only when no 16-character
stretch of it (the whole value, if shorter) survives the redaction. Precision: the share of redacted spans of
a category that overlap a planted value. Ordinary lines: the share of lines without a planted value that come
out unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestra.security import SecurityGuard
from tests.security.helpers import ALNUM, FAKES, VENDOR_TEMPLATES, _rand, render_template

HELDOUT_DIR = Path(__file__).resolve().parents[1] / "data" / "heldout"
GENRES = ("code", "config", "logs", "shell", "chat")
STRICT_WINDOW = 16

_SECRET_KINDS = (
    "aws_key_id", "aws_secret", "github", "github_pat", "gitlab", "slack", "stripe", "google", "openai", "openai_proj",
    "anthropic", "npm", "pypi", "hf", "jwt", "bearer", "basic", "secret", "hex32", "hex40", "hex64", "b64_32",
    "b64_44", "urlsafe_43", "uuid_secret",
)  # fmt: skip
_ID_KINDS = (
    "ssn", "ssn_plain", "iban", "passport", "ein", "account", "nid_cpf", "nid_dni", "nid_nie", "nid_cf",
    "nid_aadhaar", "nid_bsn", "nid_sin", "nid_nino", "nid_pesel", "nid_steuer", "nid_nir", "nid_pan", "nid_cnpj",
    "nid_tfn", "nid_personnummer", "nid_tckimlik",
)  # fmt: skip
KIND_CATEGORY: dict[str, str] = {
    **dict.fromkeys(_SECRET_KINDS, "secret"),
    **dict.fromkeys(("pem_rsa", "pem_pkcs8", "pem_ec", "openssh", "pgp"), "private_key"),
    **dict.fromkeys(("password", "pw_short", "pw_words"), "password"),
    **dict.fromkeys(("card", "cvv", "track1", "track2"), "payment_data"),
    **dict.fromkeys(_ID_KINDS, "sensitive_pii"),
    **dict.fromkeys(("email", "phone", "intl_phone", "world_phone", "phone_e164", "phone_national"), "contact_pii"),
}


def _hex(n: int) -> Callable[[random.Random], str]:
    return lambda r: "".join(r.choice("0123456789abcdef") for _ in range(n))


def _b64(nbytes: int) -> Callable[[random.Random], str]:
    return lambda r: base64.b64encode(r.randbytes(nbytes)).decode()


def _pw_short(r: random.Random) -> str:
    return _rand(r, string.ascii_lowercase, r.randint(3, 5)) + _rand(r, string.digits, r.randint(1, 3)) + r.choice(
        ["!", "#", "", "$", "?"]
    )


def _pw_words(r: random.Random) -> str:
    words = ["Correct", "Horse", "Battery", "Staple", "Purple", "Monkey", "Dish", "Winter", "Tiger", "River"]
    return r.choice(words) + r.choice(words).lower() + str(r.randint(10, 99)) + r.choice("!@#%&*")


def _digits(r: random.Random, n: int) -> str:
    return "".join(r.choice(string.digits) for _ in range(n))


_NID_SPECS: dict[str, tuple[str, Callable[[random.Random], str], str, int, Callable[[str], str]]] = {
    # kind: (stdnum module, random base, check alphabet, check length, display format)
    "nid_cpf": ("br.cpf", lambda r: _digits(r, 9), string.digits, 2,
                lambda n: f"{n[:3]}.{n[3:6]}.{n[6:9]}-{n[9:]}"),
    "nid_cnpj": ("br.cnpj", lambda r: _digits(r, 8) + "0001", string.digits, 2,
                 lambda n: f"{n[:2]}.{n[2:5]}.{n[5:8]}/{n[8:12]}-{n[12:]}"),
    "nid_dni": ("es.dni", lambda r: _digits(r, 8), string.ascii_uppercase, 1, str),
    "nid_nie": ("es.nie", lambda r: r.choice("XYZ") + _digits(r, 7), string.ascii_uppercase, 1, str),
    "nid_cf": ("it.codicefiscale", lambda r: "".join(r.choice("BCDFGLMNPRSTVZ") for _ in range(6))
               + f"{r.randint(40, 99)}{r.choice('ABCDEHLMPRST')}{r.randint(1, 28):02d}"
               + f"{r.choice('ABCDEFGHLM')}{r.randint(100, 999)}", string.ascii_uppercase, 1, str),
    "nid_aadhaar": ("in_.aadhaar", lambda r: str(r.randint(2, 9)) + _digits(r, 10), string.digits, 1,
                    lambda n: f"{n[:4]} {n[4:8]} {n[8:]}"),
    "nid_bsn": ("nl.bsn", lambda r: str(r.randint(1, 9)) + _digits(r, 7), string.digits, 1, str),
    "nid_sin": ("ca.sin", lambda r: str(r.randint(1, 7)) + _digits(r, 7), string.digits, 1,
                lambda n: f"{n[:3]}-{n[3:6]}-{n[6:]}"),
    "nid_pesel": ("pl.pesel", lambda r: f"{r.randint(50, 99)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}"
                  + _digits(r, 4), string.digits, 1, str),
    "nid_steuer": ("de.idnr", lambda r: str(r.randint(1, 9)) + _digits(r, 9), string.digits, 1,
                   lambda n: f"{n[:2]} {n[2:5]} {n[5:8]} {n[8:]}"),
    "nid_nir": ("fr.nir", lambda r: f"{r.choice('12')}{r.randint(50, 99)}{r.randint(1, 12):02d}"
                f"{r.randint(1, 95):02d}{r.randint(1, 999):03d}{r.randint(1, 999):03d}", string.digits, 2,
                lambda n: f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} {n[13:]}"),
    "nid_pan": ("in_.pan", lambda r: "".join(r.choice(string.ascii_uppercase) for _ in range(3)) + r.choice("PCHFAT")
                + r.choice(string.ascii_uppercase) + _digits(r, 4), string.ascii_uppercase, 1, str),
    "nid_tfn": ("au.tfn", lambda r: _digits(r, 8), string.digits, 1, lambda n: f"{n[:3]} {n[3:6]} {n[6:]}"),
    "nid_personnummer": ("se.personnummer", lambda r: f"{r.randint(50, 99)}{r.randint(1, 12):02d}"
                         f"{r.randint(1, 28):02d}" + _digits(r, 3), string.digits, 1, lambda n: f"{n[:6]}-{n[6:]}"),
    "nid_tckimlik": ("tr.tckimlik", lambda r: str(r.randint(1, 9)) + _digits(r, 8), string.digits, 2, str),
    "nid_nino": ("", lambda r: r.choice("ACEHJLMOPRSWXY") + r.choice("ABCEHJLMPRSTWXY") + _digits(r, 6),
                 "ABCD", 1, lambda n: f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:8]} {n[8]}"),
}


_NO_NINO = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})


def _nid(kind: str) -> Callable[[random.Random], str]:
    """A valid national id: a random base and the check characters python-stdnum accepts."""
    import itertools
    from importlib import import_module

    module, base_of, alphabet, width, display = _NID_SPECS[kind]

    def make(r: random.Random) -> str:
        is_valid = import_module(f"stdnum.{module}").is_valid if module else (lambda n: n[:2] not in _NO_NINO)
        for _ in range(200):
            base = base_of(r)
            for tail in itertools.product(alphabet, repeat=width):
                number = base + "".join(tail)
                if is_valid(number):
                    return display(number)
        raise AssertionError(f"no valid {kind} generated")

    return make


def _phone(fmt: str) -> Callable[[random.Random], str]:
    def make(r: random.Random) -> str:
        import phonenumbers

        region = r.choice(["US", "GB", "DE", "FR", "ES", "IT", "NL", "BR", "IN", "AU", "JP", "MX", "SE", "CH", "PL",
                           "IE", "BE", "AT", "DK", "NO", "PT", "CA", "ZA", "SG", "NZ"])
        kind = r.choice([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE])
        number = phonenumbers.example_number_for_type(region, kind)
        if number is None:
            number = phonenumbers.example_number(region)
        # vary the subscriber digits, keep the number valid
        national = str(number.national_number)
        for _ in range(50):
            candidate = national[:-3] + _digits(r, 3)
            parsed = phonenumbers.parse("+" + str(number.country_code) + candidate, None)
            if phonenumbers.is_valid_number(parsed):
                number = parsed
                break
        style = {"e164": phonenumbers.PhoneNumberFormat.E164, "intl": phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                 "national": phonenumbers.PhoneNumberFormat.NATIONAL}[fmt]
        return phonenumbers.format_number(number, style)

    return make


HELDOUT_FAKES: dict[str, Callable[[random.Random], str]] = {
    **FAKES,
    "hex32": _hex(32),
    "hex40": _hex(40),
    "hex64": _hex(64),
    "b64_32": _b64(32),
    "b64_44": lambda r: base64.b64encode(r.randbytes(32)).decode(),
    "urlsafe_43": lambda r: _rand(r, ALNUM + "_-", 43),
    "uuid_secret": lambda r: str(uuid.UUID(int=r.getrandbits(128), version=4)),
    "pw_short": _pw_short,
    "pw_words": _pw_words,
    "phone_e164": _phone("e164"),
    "phone_national": _phone("national"),
    "world_phone": _phone("intl"),
    **{k: _nid(k) for k in KIND_CATEGORY if k.startswith("nid_")},
}

_BENIGN_TEXTS = ("hello world, this is a config blob", '{"debug": true, "level": "info"}', "user-agent: curl/8.4.0")
_IMG = base64.b64encode(bytes.fromhex("89504e470d0a1a0a0000000d4948445200000010000000100806000000") * 6).decode()
FILLERS: dict[str, Callable[[random.Random], str]] = {
    "uuid": lambda r: str(uuid.UUID(int=r.getrandbits(128), version=4)),
    "sha1": lambda r: hashlib.sha1(r.randbytes(16)).hexdigest(),
    "sha256": lambda r: hashlib.sha256(r.randbytes(16)).hexdigest(),
    "short_sha": lambda r: hashlib.sha1(r.randbytes(16)).hexdigest()[:7],
    "sri": lambda r: "sha512-" + base64.b64encode(hashlib.sha512(r.randbytes(8)).digest()).decode(),
    "img": lambda r: _IMG,
    "b64text": lambda r: base64.b64encode(r.choice(_BENIGN_TEXTS).encode()).decode(),
    "version": lambda r: f"{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)}",
    "ts": lambda r: f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:"
                    f"{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999):03d}Z",
    "epoch": lambda r: str(r.randint(1_600_000_000, 1_800_000_000)),
    "epoch_ms": lambda r: str(r.randint(1_600_000_000_000, 1_800_000_000_000)),
    "order": lambda r: f"ORD-{r.randint(2020, 2025)}-{r.randint(100000, 999999)}",
    "port": lambda r: str(r.randint(1024, 65000)),
    "ip": lambda r: f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
    "int": lambda r: str(r.randint(1000, 99_999_999)),
    "trace": lambda r: "".join(r.choice("0123456789abcdef") for _ in range(32)),
    "span": lambda r: "".join(r.choice("0123456789abcdef") for _ in range(16)),
    "docmail": lambda r: r.choice(["alice", "bob", "dev", "admin"]) + "@" + r.choice(
        ["example.com", "example.org", "example.net", "test.invalid", "app.test", "localhost", "corp.example"]),
    "vendor_placeholder": lambda r: r.choice(["sk-...", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                                              "AKIAXXXXXXXXXXXXXXXX", "<your-token>", "${API_KEY}", "sk_test_..."]),
}


@dataclass
class Line:
    """One filled corpus line: its text and the planted values with their categories."""

    genre: str
    source: str
    text: str
    planted: list[tuple[str, str]] = field(default_factory=list)


def _vendor_fake(rule_id: str) -> Callable[[random.Random], str]:
    return lambda r: render_template(r.choice(VENDOR_TEMPLATES[rule_id]), r)


def fill_line(template: str, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
    """Fill the ``«…»`` slots of one template; returns the text and ``(value, category)`` planted."""
    out: list[str] = []
    planted: list[tuple[str, str]] = []
    i = 0
    while True:
        j = template.find("«", i)
        if j < 0:
            out.append(template[i:])
            break
        k = template.index("»", j)
        out.append(template[i:j])
        slot = template[j + 1 : k]
        if slot.startswith("="):
            value, _, cat = slot[1:].rpartition("|")
            planted.append((value, cat))
        elif slot.startswith("~"):
            value = FILLERS[slot[1:]](rng)
        elif slot.startswith("v:"):
            value = _vendor_fake(slot[2:])(rng)
            planted.append((value, "private_key" if slot[2:].startswith("private_key") else "secret"))
        else:
            value = HELDOUT_FAKES[slot](rng)
            planted.append((value, KIND_CATEGORY[slot]))
        out.append(value)
        i = k + 1
    return "".join(out), planted


def load_heldout(seed: int = 7) -> list[Line]:
    """Every held-out line of every genre, filled deterministically for ``seed``."""
    rng = random.Random(seed)
    lines: list[Line] = []
    for genre in GENRES:
        path = HELDOUT_DIR / f"{genre}.txt"
        for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip() or raw.startswith("#"):
                continue
            text, planted = fill_line(raw.replace("\\n", "\n").replace("\\t", "\t"), rng)
            lines.append(Line(genre, f"{genre}.txt:{n}", text, planted))
    return lines


def survives(value: str, out: str) -> bool:
    """Strict: some 16-character stretch of ``value`` (the whole value if shorter) is still in ``out``."""
    core = value.strip()
    if len(core) <= STRICT_WINDOW:
        return core in out
    return any(core[i : i + STRICT_WINDOW] in out for i in range(len(core) - STRICT_WINDOW + 1))


@dataclass
class HeldoutScore:
    """Counts per category: planted/caught values, redacted spans and those overlapping a planted value."""

    planted: int = 0
    caught: int = 0
    spans: int = 0
    true_spans: int = 0

    @property
    def recall(self) -> float:
        return self.caught / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.true_spans / self.spans if self.spans else 1.0


@dataclass
class HeldoutReport:
    """Per-category scores, ordinary-line stability and the mistakes behind them."""

    scores: dict[str, HeldoutScore]
    ordinary: int
    ordinary_unchanged: int
    misses: list[tuple[str, str, str]]
    false_spans: list[tuple[str, str, str]]

    @property
    def ordinary_rate(self) -> float:
        return self.ordinary_unchanged / self.ordinary if self.ordinary else 1.0


def _planted_spans(text: str, planted: list[tuple[str, str]]) -> list[tuple[int, int]]:
    spans = []
    for value, _ in planted:
        start = text.find(value)
        while start >= 0:
            spans.append((start, start + len(value)))
            start = text.find(value, start + 1)
    return spans


def score(lines: list[Line], guard: SecurityGuard) -> HeldoutReport:
    """Strict recall, span precision per category, and unchanged ordinary lines."""
    scores: dict[str, HeldoutScore] = {}
    misses: list[tuple[str, str, str]] = []
    false_spans: list[tuple[str, str, str]] = []
    ordinary = unchanged = 0
    for line in lines:
        out = guard.redact(line.text)
        if not line.planted:
            ordinary += 1
            unchanged += out == line.text
        for value, cat in line.planted:
            s = scores.setdefault(cat, HeldoutScore())
            s.planted += 1
            if survives(value, out):
                misses.append((line.source, cat, value))
            else:
                s.caught += 1
        truth = _planted_spans(line.text, line.planted)
        for finding in guard.scan(line.text):
            if finding.marker is None:
                continue
            s = scores.setdefault(finding.category.value, HeldoutScore())
            for start, end in finding.spans:
                s.spans += 1
                if any(start < t_end and t_start < end for t_start, t_end in truth):
                    s.true_spans += 1
                else:
                    false_spans.append((line.source, finding.rule_id, line.text[start:end]))
    return HeldoutReport(dict(sorted(scores.items())), ordinary, unchanged, misses, false_spans)
