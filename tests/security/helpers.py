"""Test helpers: fake-secret generators, the labeled corpus, precision/recall.

Fake secrets are built from random characters in the right format at load time; the corpus
files hold templates like ``{github}``, never a credential.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from orchestra.security import SecurityGuard
from orchestra.security.validators import IBAN_LENGTHS, is_placeholder, luhn_ok

CORPUS_DIR = Path(__file__).resolve().parents[1] / "data" / "security_corpus"
ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "_-"


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    mixed = (
        alphabet != alphabet.lower() and alphabet != alphabet.upper() and any(c.isdigit() for c in alphabet)
    )
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(n))
        if is_placeholder(value):
            continue
        if not mixed or (
            any(c.isdigit() for c in value)
            and any(c.isupper() for c in value)
            and any(c.islower() for c in value)
        ):
            return value


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _card(rng: random.Random) -> str:
    prefix, length = rng.choice(
        [
            ("4", 16),
            ("51", 16),
            ("55", 16),
            ("2221", 16),
            ("34", 15),
            ("37", 15),
            ("6011", 16),
            ("3528", 16),
            ("4", 19),
        ]
    )
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    check = next(d for d in string.digits if luhn_ok(body + d))
    number = body + check
    style = rng.choice(["plain", "space", "dash"])
    if style == "plain" or length not in (15, 16):
        return number
    sep = " " if style == "space" else "-"
    if length == 15:
        return sep.join([number[:4], number[4:10], number[10:]])
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


def _iban(rng: random.Random) -> str:
    country = rng.choice(["DE", "GB", "FR", "NL", "ES", "IT"])
    length = IBAN_LENGTHS[country]
    if country in ("GB", "NL"):
        bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + "".join(
            rng.choice(string.digits) for _ in range(length - 8)
        )
    elif country == "IT":
        bban = rng.choice(string.ascii_uppercase) + "".join(
            rng.choice(string.digits) for _ in range(length - 5)
        )
    else:
        bban = "".join(rng.choice(string.digits) for _ in range(length - 4))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    iban = f"{country}{check:02d}{bban}"
    if rng.random() < 0.5:
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


def _ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _pem(rng: random.Random, label: str) -> str:
    body = base64.b64encode(rng.randbytes(rng.randint(300, 900))).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----"


def _password(rng: random.Random) -> str:
    return _rand(rng, ALNUM, 3) + _rand(rng, ALNUM + "!#*_+-", rng.randint(7, 14))


FAKES: dict[str, Callable[[random.Random], str]] = {
    "aws_key_id": lambda r: "AKIA" + "".join(r.choice(string.ascii_uppercase + "234567") for _ in range(16)),
    "aws_secret": lambda r: _rand(r, ALNUM + "/+", 40),
    "github": lambda r: r.choice(["ghp_", "gho_", "ghs_", "ghu_", "ghr_"]) + _rand(r, ALNUM, 36),
    "github_pat": lambda r: "github_pat_" + _rand(r, ALNUM, 22) + "_" + _rand(r, ALNUM, 59),
    "gitlab": lambda r: "glpat-" + _rand(r, ALNUM, 20),
    "slack": lambda r: (
        "xox"
        + r.choice("abprs")
        + "-"
        + "".join(r.choice(string.digits) for _ in range(12))
        + "-"
        + _rand(r, ALNUM, 24)
    ),
    "stripe": lambda r: r.choice(["sk_live_", "rk_live_", "sk_test_", "rk_test_"]) + _rand(r, ALNUM, 24),
    "google": lambda r: "AIza" + _rand(r, B64URL, 35),
    "openai": lambda r: "sk-" + _rand(r, ALNUM, 48),
    "openai_proj": lambda r: "sk-proj-" + _rand(r, B64URL, 64),
    "anthropic": lambda r: "sk-ant-api03-" + _rand(r, B64URL, 93) + "AA",
    "npm": lambda r: "npm_" + _rand(r, ALNUM, 36),
    "pypi": lambda r: "pypi-AgEIcHlwaS5vcmc" + _rand(r, B64URL, 60),
    "hf": lambda r: "hf_" + _rand(r, ALNUM, 34),
    "jwt": lambda r: (
        _b64url(b'{"alg":"HS256","typ":"JWT"}')
        + "."
        + _b64url(json.dumps({"sub": _rand(r, ALNUM, 10), "iat": r.randint(10**9, 2 * 10**9)}).encode())
        + "."
        + _b64url(r.randbytes(32))
    ),
    "bearer": lambda r: _rand(r, ALNUM + "._-", 40),
    "basic": lambda r: base64.b64encode(
        f"{_rand(r, string.ascii_lowercase, 6)}:{_password(r)}".encode()
    ).decode(),
    "pem_rsa": lambda r: _pem(r, "RSA PRIVATE KEY"),
    "pem_pkcs8": lambda r: _pem(r, "PRIVATE KEY"),
    "pem_ec": lambda r: _pem(r, "EC PRIVATE KEY"),
    "openssh": lambda r: _pem(r, "OPENSSH PRIVATE KEY"),
    "pgp": lambda r: _pem(r, "PGP PRIVATE KEY BLOCK"),
    "password": _password,
    "secret": lambda r: _rand(r, ALNUM, 32),
    "card": _card,
    "cvv": lambda r: "".join(r.choice(string.digits) for _ in range(r.choice([3, 4]))),
    "track1": lambda r: (
        "%B"
        + _card(r).replace(" ", "").replace("-", "")
        + "^DOE/JOHN^2512101"
        + "".join(r.choice(string.digits) for _ in range(12))
        + "?"
    ),
    "track2": lambda r: (
        ";"
        + _card(r).replace(" ", "").replace("-", "")
        + "=2512101"
        + "".join(r.choice(string.digits) for _ in range(10))
        + "?"
    ),
    "ssn": _ssn,
    "ssn_plain": lambda r: _ssn(r).replace("-", ""),
    "iban": _iban,
    "passport": lambda r: (
        r.choice(string.ascii_uppercase) + "".join(r.choice(string.digits) for _ in range(8))
    ),
    "dl": lambda r: r.choice(string.ascii_uppercase) + "".join(r.choice(string.digits) for _ in range(7)),
    "ein": lambda r: f"{r.randint(10, 99)}-{r.randint(1000000, 9999999)}",
    "account": lambda r: "".join(r.choice(string.digits) for _ in range(r.randint(9, 14))),
    "email": lambda r: (
        r.choice(["jane.doe", "bob", "m.rossi", "ops-team", "k_tanaka"])
        + str(r.randint(1, 99))
        + "@"
        + r.choice(["acme-corp.com", "mail.co.uk", "startup.io", "uni.edu"])
    ),
    "phone": lambda r: r.choice(["({a}) {e}-{n}", "{a}-{e}-{n}", "+1 {a} {e} {n}", "{a}.{e}.{n}"]).format(
        a=r.randint(201, 989), e=r.randint(201, 989), n=f"{r.randint(0, 9999):04d}"
    ),
    "intl_phone": lambda r: f"+44 20 {r.randint(1000, 9999)} {r.randint(1000, 9999)}",
}


@dataclass(frozen=True)
class Sample:
    """One labeled corpus line after its templates were filled."""

    text: str
    context_kind: str
    expected: list[dict[str, str]]
    source: str


def fill(template: str, rng: random.Random) -> tuple[str, list[str]]:
    """Replace ``{kind}`` slots with fresh fakes; returns the text and the planted values."""
    planted: list[str] = []
    out = []
    i = 0
    while i < len(template):
        if template.startswith(("{{", "}}"), i):
            out.append(template[i])
            i += 2
            continue
        if template[i] == "{" and "}" in template[i:]:
            end = template.index("}", i)
            name = template[i + 1 : end]
            if name in FAKES:
                value = FAKES[name](rng)
                planted.append(value)
                out.append(value)
                i = end + 1
                continue
        out.append(template[i])
        i += 1
    return "".join(out), planted


def load_corpus(seed: int = 1234) -> list[Sample]:
    """Every ``*.jsonl`` file in the corpus directory, templates filled deterministically."""
    rng = random.Random(seed)
    samples: list[Sample] = []
    for path in sorted(CORPUS_DIR.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            raw = json.loads(line)
            text, _ = fill(raw["text"], rng)
            samples.append(Sample(text, raw["context_kind"], raw["expected"], f"{path.name}:{n}"))
    return samples


@dataclass(frozen=True)
class Score:
    """Per-category counts and rates."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def precision_recall(
    samples: Iterable[Sample], guard: SecurityGuard
) -> tuple[dict[str, Score], list[tuple[str, str, set[str], set[str]]]]:
    """Per-category precision/recall at sample level (a category is predicted or expected per sample).

    Returns the scores and the mistakes ``(source, text, expected, predicted)``.
    """
    counts: dict[str, list[int]] = {}
    mistakes: list[tuple[str, str, set[str], set[str]]] = []
    for sample in samples:
        predicted = {f.category.value for f in guard.scan(sample.text)}
        expected = {e["category"] for e in sample.expected}
        for cat in predicted | expected:
            c = counts.setdefault(cat, [0, 0, 0])
            if cat in predicted and cat in expected:
                c[0] += 1
            elif cat in predicted:
                c[1] += 1
            else:
                c[2] += 1
        if predicted != expected:
            mistakes.append((sample.source, sample.text, expected, predicted))
    return {cat: Score(*c) for cat, c in sorted(counts.items())}, mistakes
