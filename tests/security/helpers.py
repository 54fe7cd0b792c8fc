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
    "aws_key_id": lambda r: "AKIA" + "".join(r.choice(string.ascii_uppercase + string.digits) for _ in range(16)),
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
    "fernet": lambda r: base64.urlsafe_b64encode(bytes(r.getrandbits(8) for _ in range(32))).decode(),
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


# ---------------------------------------------------------------------------------------------------------
# vendor token fakes: a template per rule, ``{X:n}`` = n random characters of alphabet X

_ALPHABETS = {
    "A": ALNUM,
    "a": string.ascii_lowercase + string.digits,
    "l": string.ascii_lowercase,
    "h": "0123456789abcdef",
    "d": string.digits,
    "U": string.ascii_uppercase + string.digits,
    "b": B64URL,
    "B": ALNUM + "+/",
    "c": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
}

VENDOR_TEMPLATES: dict[str, list[str]] = {
    "secret.gcp.oauth-client-secret": ["GOCSPX-{b:28}"],
    "secret.gcp.oauth-token": ["ya29.{b:80}"],
    "secret.azure.storage-key": [
        "DefaultEndpointsProtocol=https;AccountName=acmestore;AccountKey={B:86}==;EndpointSuffix=core.windows.net"
    ],
    "secret.azure.shared-access-key": [
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        "SharedAccessKey={B:43}="
    ],
    "secret.azure.sas-signature": [
        "https://acme.blob.core.windows.net/c/f.txt?sv=2022-11-02&sp=r&se=2025-01-01T00:00:00Z&sig={A:43}%3D"
    ],
    "secret.azure.client-secret": ["{A:3}8Q~{A:34}"],
    "secret.digitalocean.token": ["dop_v1_{h:64}", "doo_v1_{h:64}"],
    "secret.alibaba.access-key-id": ["LTAI{A:20}"],
    "secret.cloudflare.origin-ca-key": ["v1.0-{h:24}-{h:146}"],
    "secret.heroku.api-key": ["HRKU-{A:60}"],
    "secret.fly.token": ["fo1_{A:43}"],
    "secret.vercel.token": ["vcp_{A:24}"],
    "secret.netlify.token": ["nfp_{A:36}"],
    "secret.gitlab.other-token": ["glptt-{h:40}", "glrt-{A:20}", "gldt-{A:20}", "GR1348941{A:20}"],
    "secret.bitbucket.token": ["ATBB{A:32}", "ATATT3{A:186}"],
    "secret.circleci.token": ["CCIPAT_{A:22}_{h:40}"],
    "secret.buildkite.token": ["bkua_{h:40}"],
    "secret.rubygems.token": ["rubygems_{h:48}"],
    "secret.nuget.key": ["oy2{a:43}"],
    "secret.dockerhub.token": ["dckr_pat_{A:27}"],
    "secret.crates.token": ["cio{A:32}"],
    "secret.artifactory.token": ["AKCp{A:69}"],
    "secret.clojars.token": ["CLOJARS_{h:60}"],
    "secret.slack.app-token": ["xapp-1-A{U:10}-{d:13}-{h:64}"],
    "secret.slack.webhook": ["https://hooks.slack.com/services/T{U:8}/B{U:8}/{A:24}"],
    "secret.discord.webhook": ["https://discord.com/api/webhooks/{d:18}/{A:68}"],
    "secret.teams.webhook": [
        "https://acme.webhook.office.com/webhookb2/{h:8}-{h:4}-{h:4}-{h:4}-{h:12}@{h:8}-{h:4}-{h:4}-{h:4}-{h:12}"
        "/IncomingWebhook/{h:32}/{h:8}-{h:4}-{h:4}-{h:4}-{h:12}"
    ],
    "secret.telegram.bot-token": ["5{d:9}:AA{A:33}"],
    "secret.notion.token": ["secret_{A:43}", "ntn_{d:11}{A:35}"],
    "secret.linear.token": ["lin_api_{A:40}"],
    "secret.airtable.token": ["pat{A:14}.{h:64}"],
    "secret.figma.token": ["figd_{A:40}"],
    "secret.stripe.other-key": ["whsec_{A:32}"],
    "secret.square.token": ["sq0atp-{A:22}", "sq0csp-{A:43}"],
    "secret.braintree.token": ["access_token$production${a:16}${h:32}"],
    "secret.shopify.token": ["shpat_{h:32}", "shpss_{h:32}"],
    "secret.razorpay.key": ["rzp_live_{A:14}"],
    "secret.plaid.token": ["access-production-{h:8}-{h:4}-{h:4}-{h:4}-{h:12}"],
    "secret.adyen.key": ["AQE{l:2}{A:100}"],
    "secret.newrelic.key": ["NRAK-{U:27}"],
    "secret.newrelic.license-key": ["{h:36}NRAL"],
    "secret.sentry.token": ["sntrys_{A:80}"],
    "secret.sentry.dsn": ["https://{h:32}@o{d:6}.ingest.sentry.io/{d:7}"],
    "secret.grafana.token": ["glc_{A:60}", "glsa_{A:32}_{h:8}"],
    "secret.posthog.key": ["phc_{A:43}"],
    "secret.dynatrace.token": ["dt0c01.{U:24}.{U:64}"],
    "secret.datadog.key": ["DD-API-KEY: {h:32}"],
    "secret.replicate.token": ["r8_{A:37}"],
    "secret.groq.key": ["gsk_{A:52}"],
    "secret.perplexity.key": ["pplx-{A:48}"],
    "secret.xai.key": ["xai-{A:80}"],
    "secret.langsmith.key": ["lsv2_pt_{h:32}_{h:10}"],
    "secret.huggingface.org-token": ["api_org_{A:34}"],
    "secret.planetscale.token": ["pscale_tkn_{A:43}"],
    "secret.supabase.key": ["sbp_{h:40}"],
    "secret.mongodb.atlas-key": ["mdb_sa_sk_{A:40}"],
    "secret.twilio.key": ["SK{h:32}", "AC{h:32}"],
    "secret.sendgrid.key": ["SG.{A:22}.{A:43}"],
    "secret.mailgun.key": ["key-{h:32}"],
    "secret.mailchimp.key": ["{h:32}-us{d:2}"],
    "secret.brevo.key": ["xkeysib-{h:64}-{A:16}"],
    "secret.firebase.fcm-key": ["AAAA{A:7}:APA91b{A:134}"],
    "secret.facebook.token": ["EAAB{A:120}"],
    "secret.okta.token": ["SSWS 00{A:40}"],
    "secret.age.key": ["AGE-SECRET-KEY-1{c:58}"],
    "secret.vault.token": ["hvs.{A:90}"],
    "secret.doppler.token": ["dp.pt.{A:43}"],
    "secret.onepassword.token": ["ops_eyJ{A:200}"],
    "secret.pulumi.token": ["pul-{h:40}"],
    "secret.terraform.token": ["{A:14}.atlasv1.{A:67}"],
    "secret.orchestra.api-token": ["orch_{A:36}"],
}


def render_template(template: str, rng: random.Random) -> str:
    """Fill ``{X:n}`` slots of a vendor template with random characters (mixed classes where possible)."""
    out: list[str] = []
    i = 0
    while i < len(template):
        if template[i] == "{" and ":" in template[i : i + 6] and "}" in template[i:]:
            end = template.index("}", i)
            kind, n = template[i + 1 : end].split(":")
            out.append(_rand(rng, _ALPHABETS[kind], int(n)) if kind in "AB" else
                       "".join(rng.choice(_ALPHABETS[kind]) for _ in range(int(n))))
            i = end + 1
        else:
            out.append(template[i])
            i += 1
    return "".join(out)


for _rule_id, _templates in VENDOR_TEMPLATES.items():
    FAKES["v:" + _rule_id] = lambda r, t=_templates: render_template(r.choice(t), r)


def _national_id(rng: random.Random) -> str:
    """A valid national id of a random country (check digits computed with python-stdnum)."""
    from stdnum import luhn, verhoeff
    from stdnum.br import cpf
    from stdnum.es import dni
    from stdnum.it import codicefiscale
    from stdnum.nl import bsn

    kind = rng.choice(["cpf", "dni", "cf", "aadhaar", "bsn", "sin", "nino"])
    if kind == "cpf":
        base = "".join(rng.choice(string.digits) for _ in range(9))
        d1 = sum((10 - i) * int(c) for i, c in enumerate(base)) * 10 % 11 % 10
        d2 = sum((11 - i) * int(c) for i, c in enumerate(base + str(d1))) * 10 % 11 % 10
        num = f"{base}{d1}{d2}"
        assert cpf.is_valid(num)
        return f"CPF {num[:3]}.{num[3:6]}.{num[6:9]}-{num[9:]}"
    if kind == "dni":
        base = "".join(rng.choice(string.digits) for _ in range(8))
        return "DNI " + base + dni.calc_check_digit(base)
    if kind == "cf":
        letters = "".join(rng.choice("BCDFGLMNPRSTVZ") for _ in range(6))
        base = f"{letters}{rng.randint(40, 99)}{rng.choice('ABCDEHLMPRST')}{rng.randint(1, 28):02d}" \
               f"{rng.choice('ABCDEFGHLM')}{rng.randint(100, 999)}"
        return "codice fiscale " + base + codicefiscale.calc_check_digit(base)
    if kind == "aadhaar":
        base = str(rng.randint(2, 9)) + "".join(rng.choice(string.digits) for _ in range(10))
        num = base + verhoeff.calc_check_digit(base)
        return f"Aadhaar {num[:4]} {num[4:8]} {num[8:]}"
    if kind == "bsn":
        while True:
            num = "".join(rng.choice(string.digits) for _ in range(9))
            if bsn.is_valid(num) and num[0] != "0":
                return "BSN " + num
    if kind == "sin":
        base = str(rng.randint(1, 7)) + "".join(rng.choice(string.digits) for _ in range(7))
        num = base + luhn.calc_check_digit(base)
        return f"SIN: {num[:3]} {num[3:6]} {num[6:]}"
    return "NINO " + rng.choice("ACEHJLMOPRSWXY") + rng.choice("ABCEHJLMPRSTWXY") + \
        f" {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} " + rng.choice("ABCD")


def _world_phone(rng: random.Random) -> str:
    """An example number of a random region, in international or national format (from libphonenumber)."""
    import phonenumbers

    region = rng.choice(["GB", "DE", "FR", "ES", "IT", "NL", "BR", "IN", "AU", "JP", "MX", "SE", "CH", "PL"])
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    fmt = rng.choice([phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.NATIONAL])
    return phonenumbers.format_number(number, fmt)


FAKES["national_id"] = _national_id
FAKES["world_phone"] = _world_phone


# vendor families of ``vendor_rules_more`` (same template language)
VENDOR_TEMPLATES.update({
    "secret.tencent.secret-id": ["AKID{A:32}"],
    "secret.yandex.key": ["AQVN{b:37}", "t1.{b:40}.{b:86}"],
    "secret.databricks.token": ["dapi{h:32}", "dapi{h:32}-2"],
    "secret.render.key": ["rnd_{A:32}"],
    "secret.scaleway.key": ["SCW{U:17}"],
    "secret.deno.token": ["ddp_{A:36}"],
    "secret.tailscale.key": ["tskey-auth-{A:12}-{A:32}", "tskey-api-{A:10}-{A:40}"],
    "secret.scalingo.token": ["tk-us-{b:48}"],
    "secret.defined.key": ["dnkey-{a:26}-{a:52}"],
    "secret.sourcegraph.token": ["sgp_{h:16}_{h:40}", "sgp_{h:40}"],
    "secret.harness.pat": ["pat.{b:22}.{h:24}.{A:20}"],
    "secret.octopus.key": ["API-{U:26}"],
    "secret.sonarqube.token": ["sqp_{h:40}", "squ_{h:40}"],
    "secret.prefect.key": ["pnu_{A:36}"],
    "secret.postman.key": ["PMAK-{h:24}-{h:34}"],
    "secret.readme.key": ["rdme_{a:70}"],
    "secret.infracost.key": ["ico-{A:32}"],
    "secret.contentful.token": ["CFPAT-{b:43}"],
    "secret.typeform.token": ["tfp_{A:44}_{A:14}"],
    "secret.frameio.token": ["fio-u-{b:64}"],
    "secret.clickup.token": ["pk_{d:8}_{U:32}"],
    "secret.dropbox.token": ["sl.{b:138}", "sl.u.{b:300}"],
    "secret.pinecone.key": ["pcsk_{A:6}_{A:64}"],
    "secret.intercom.token": ["dG9rOj{B:54}="],
    "secret.hubspot.token": ["pat-na1-{h:8}-{h:4}-{h:4}-{h:4}-{h:12}"],
    "secret.salesforce.token": ["00D{A:15}!{A:96}"],
    "secret.zapier.webhook": ["https://hooks.zapier.com/hooks/catch/{d:7}/{a:7}/"],
    "secret.elevenlabs.key": ["sk_{h:48}"],
    "secret.fireworks.key": ["fw_{A:24}"],
    "secret.cerebras.key": ["csk-{a:48}"],
    "secret.nvidia.key": ["nvapi-{b:64}"],
    "secret.anyscale.key": ["esecret_{A:32}"],
    "secret.twitter.bearer": ["AAAAAAAAAAAAAAAAAAAAA{A:80}"],
    "secret.instagram.token": ["IGQV{b:160}"],
    "secret.mandrill.key": ["md-{A:22}"],
    "secret.resend.key": ["re_{A:8}_{A:24}"],
    "secret.flutterwave.key": ["FLWSECK-{h:32}-X", "FLWSECK_TEST-{h:32}-X"],
    "secret.easypost.key": ["EZAK{A:54}"],
    "secret.duffel.token": ["duffel_test_{b:43}"],
    "secret.paddle.key": ["pdl_live_apikey_{a:26}_{A:22}_{A:3}"],
    "secret.live-test-key": ["live_{A:40}", "test_{A:35}"],
    "secret.shippo.token": ["shippo_live_{h:40}"],
    "secret.woocommerce.key": ["ck_{h:40}", "cs_{h:40}"],
    "secret.mapbox.token": ["sk.eyJ{b:60}.{b:22}"],
    "secret.honeycomb.key": ["hcaik_{A:58}", "hcxik_{A:32}"],
    "secret.launchdarkly.key": ["sdk-{h:8}-{h:4}-{h:4}-{h:4}-{h:12}", "api-{h:8}-{h:4}-{h:4}-{h:4}-{h:12}"],
    "secret.axiom.token": ["xaat-{h:8}-{h:4}-{h:4}-{h:4}-{h:12}"],
    "secret.neon.password": ["npg_{A:12}"],
    "secret.aiven.password": ["AVNS_{A:20}"],
    "secret.stytch.secret": ["secret-live-{b:36}"],
    "secret.onepassword.secret-key": ["A3-{U:6}-{U:11}-{U:5}-{U:5}-{U:5}"],
    "secret.google.refresh-token": ["1//0{b:100}"],
    "private_key.ssh2": ["---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"rsa-key-20240101\"\n{B:64}\n{B:64}\n"
                         "{B:40}==\n---- END SSH2 ENCRYPTED PRIVATE KEY ----"],
    "private_key.putty": ["Private-Lines: 1\n{B:44}\nPrivate-MAC: {h:64}"],
    "private_key.jwk": ["{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"{b:43}\",\"y\":\"{b:43}\",\"d\":\"{b:43}\"}",
                        "\"d\": \"{b:342}\""],
    "secret.vault.legacy-token": ["VAULT_TOKEN=s.{A:24}", "X-Vault-Token: s.{A:24}"],
    "secret.slack.webhook-path": ["/services/T{U:9}/B{U:10}/{A:24}"],
    "secret.azure-devops.pat": ["{A:52}JQQJ99{A:18}AZDO{A:4}"],
    "secret.neon.api-key": ["napi_{a:64}"],
    "secret.asana.pat": ["2/1{d:15}/1{d:15}:{h:32}"],
    "secret.aws.secret-after-key-id": ["Credentials(\"AKIA{U:16}\", \"{A:40}\")",
                                       "AKIA{U:16} {A:40}"],
    "private_key.putty-file": ["PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ed25519-key\n"
                               "Public-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAI{B:40}\n{B:24}\nPrivate-Lines: 1\n{B:44}\n"
                               "Private-MAC: {h:64}"],
})


def _discord_bot_token(rng: random.Random) -> str:
    """A Discord bot token: base64url of an 18-digit id, a 6-character timestamp part and a 27-38 HMAC part."""
    head = base64.urlsafe_b64encode(str(rng.randrange(10**17, 10**18)).encode()).decode().rstrip("=")
    return f"{head}.{_rand(rng, B64URL, 6)}.{_rand(rng, B64URL, 38)}"


def _docker_config(rng: random.Random) -> str:
    """base64 of a Docker config.json with registry credentials (a Kubernetes .dockerconfigjson value)."""
    auth = base64.b64encode(f"deploy:{_rand(rng, ALNUM, 20)}".encode()).decode()
    return base64.b64encode(json.dumps({"auths": {"registry.internal:5000": {"auth": auth}}}).encode()).decode()


VENDOR_TEMPLATES["secret.discord.bot-token"] = []
VENDOR_TEMPLATES["secret.docker.config-json"] = []
for _rule_id, _templates in VENDOR_TEMPLATES.items():
    FAKES["v:" + _rule_id] = lambda r, t=_templates: render_template(r.choice(t), r)
FAKES["v:secret.discord.bot-token"] = _discord_bot_token
FAKES["v:secret.docker.config-json"] = _docker_config
