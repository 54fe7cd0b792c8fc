"""Vendor token formats: one rule per family, anchored on the literal prefix its tokens start with.

The formats are public facts (documented by the vendors and by open scanners such as gitleaks and
trufflehog); the patterns here are written for this guard. Every pattern starts with its anchor
literal (so the detector tries it only where that literal occurs), uses bounded quantifiers only,
and is followed by a validator that rejects placeholders and low-entropy bodies. Where a format
carries a checksum (GitHub, npm: CRC32 in base62) a valid checksum is accepted on its own, but a
token is never rejected for a bad one: fakes and older tokens have none.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from orchestra.security.validators import is_placeholder, looks_random, random_letters, shannon_entropy

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62_crc32(data: str, width: int = 6) -> str:
    """CRC32 of ``data`` in base62, left-padded to ``width`` (GitHub/npm token checksum)."""
    n = zlib.crc32(data.encode())
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = _BASE62[r] + out
    return out.rjust(width, "0")


def crc_checksum_ok(token: str) -> bool:
    """``prefix_<30 random><6 checksum>`` with a valid base62 CRC32 (ghp_, gho_, …, npm_)."""
    _head, sep, body = token.partition("_")
    if not sep or len(body) != 36:
        return False
    return base62_crc32(body[:30]) == body[30:]


def token_ok(prefix_len: int, min_len: int = 16, min_entropy: float = 2.8) -> Callable[[str, re.Match[str]], bool]:
    """Validator: the part after the prefix is no placeholder and looks generated."""

    def check(value: str, _match: re.Match[str]) -> bool:
        body = value[prefix_len:]
        if is_placeholder(body) or is_placeholder(value):
            return False
        if len(body) >= min_len and looks_random(body, min_len=min_len, min_entropy=min_entropy):
            return True
        if random_letters(body, min_len=max(min_len, 16)):
            return True
        # long hex / lower-case alphabets: no upper case, but plainly generated
        return len(body) >= min_len and shannon_entropy(body) >= 3.2 and any(c.isdigit() for c in body)

    return check


def checksum_or_random(value: str, match: re.Match[str]) -> bool:
    """A valid CRC32 checksum, or else the randomness test."""
    if crc_checksum_ok(value):
        return not is_placeholder(value)
    return token_ok(4, 20)(value, match)


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """One vendor family: id suffix, description, pattern, anchor literals (lower case)."""

    rule_id: str
    description: str
    pattern: str
    literals: tuple[str, ...]
    prefix_len: int
    min_len: int = 16
    flags: int = 0
    value_group: str = ""
    offsets: tuple[int, ...] = (0,)
    validate: Callable[[str, re.Match[str]], bool] | None = None
    category: str = "secret"
    """The finding category (``secret``, or ``private_key`` for key blocks)."""


_B = r"(?![A-Za-z0-9_])"  # end boundary for alnum tokens
_BD = r"(?![A-Za-z0-9_-])"

SPECS: tuple[TokenSpec, ...] = (
    # --- cloud providers
    TokenSpec("secret.gcp.oauth-client-secret", "Google OAuth client secret (GOCSPX-)",
              r"GOCSPX-[A-Za-z0-9_-]{28}" + _BD, ("gocspx-",), 7, 20),
    TokenSpec("secret.gcp.oauth-token", "Google OAuth access token (ya29.)",
              r"ya29\.[A-Za-z0-9_-]{30,1024}", ("ya29.",), 5, 20),
    TokenSpec("secret.azure.storage-key", "Azure storage account key in a connection string (AccountKey=…)",
              r"(?i:accountkey)[ \t]{0,4}=[ \t]{0,4}(?P<value>[A-Za-z0-9+/]{86}==)", ("accountkey",), 0, 40,
              value_group="value"),
    TokenSpec("secret.azure.shared-access-key", "Azure Service Bus / Event Hubs / IoT SharedAccessKey=…",
              r"(?i:sharedaccesskey)[ \t]{0,4}=[ \t]{0,4}(?P<value>[A-Za-z0-9+/]{42,44}=?)", ("sharedaccesskey",), 0,
              30, value_group="value"),
    TokenSpec("secret.azure.sas-signature", "Azure SAS token signature (sig=… in a shared access signature URL)",
              r"[?&]sig=(?P<value>[A-Za-z0-9%+/]{30,128}(?:%3[Dd]|=){0,2})", ("sig=",), 0, 30,
              value_group="value", offsets=(-1,)),
    TokenSpec("secret.azure.client-secret", "Azure AD / Entra client secret (xxx8Q~…)",
              r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])", ("q~",), 0, 20,
              offsets=(-4,)),
    TokenSpec("secret.digitalocean.token", "DigitalOcean token (dop_v1_, doo_v1_, dor_v1_ + 64 hex)",
              r"do[opr]_v1_[a-f0-9]{64}" + _B, ("dop_v1_", "doo_v1_", "dor_v1_"), 7, 32),
    TokenSpec("secret.alibaba.access-key-id", "Alibaba Cloud AccessKey id (LTAI + 20 chars)",
              r"\bLTAI[A-Za-z0-9]{20}" + _B, ("ltai",), 4, 16),
    TokenSpec("secret.cloudflare.origin-ca-key", "Cloudflare Origin CA key (v1.0-…)",
              r"\bv1\.0-[a-f0-9]{24}-[a-f0-9]{146}" + _B, ("v1.0-",), 5, 40),
    TokenSpec("secret.heroku.api-key", "Heroku API key, new format (HRKU-)",
              r"\bHRKU-[A-Za-z0-9_-]{60}" + _BD, ("hrku-",), 5, 30),
    TokenSpec("secret.fly.token", "Fly.io access token (fo1_, fm1r_, fm2_ …)",
              r"\b(?:fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/=_-]{100,2048})", ("fo1_", "fm1", "fm2"), 4, 30),
    TokenSpec("secret.vercel.token", "Vercel token (vcp_, vci_, vca_, vcr_, vck_ + 24+ chars)",
              r"\bvc[pikar]_[A-Za-z0-9]{24,64}" + _B, ("vcp_", "vci_", "vca_", "vcr_", "vck_"), 4, 20),
    TokenSpec("secret.netlify.token", "Netlify personal access token (nfp_)",
              r"\bnfp_[A-Za-z0-9]{36,40}" + _B, ("nfp_",), 4, 20),
    TokenSpec("secret.gitlab.other-token", "GitLab tokens other than PATs (glptt-, gldt-, glrt-, glcbt-, glimt-, "
              "glagent-, glsoat-, glffct-, gloas-, glft-, GR1348941…)",
              r"\b(?:gl(?:ptt|dt|rt|cbt|imt|agent|soat|ffct|oas|ft|so)-[A-Za-z0-9_-]{20,80}|GR1348941[A-Za-z0-9_-]{20})",
              ("glptt-", "gldt-", "glrt-", "glcbt-", "glimt-", "glagent-", "glsoat-", "glffct-", "gloas-", "glft-",
               "glso-", "gr1348941"), 5, 16),
    TokenSpec("secret.bitbucket.token", "Bitbucket / Atlassian API token (ATBB…, ATATT3…, ATCTT3…)",
              r"\bAT(?:BB[A-Za-z0-9_=.-]{28,60}|ATT3[A-Za-z0-9_=-]{100,250}|CTT3[A-Za-z0-9_=-]{100,250})",
              ("atbb", "atatt3", "atctt3"), 4, 20),
    TokenSpec("secret.circleci.token", "CircleCI personal/project token (CCIPAT_, CCIPRJ_)",
              r"\bCCIP(?:AT|RJ)_[A-Za-z0-9]{20,24}_[a-f0-9]{40}" + _B, ("ccipat_", "cciprj_"), 7, 20),
    TokenSpec("secret.buildkite.token", "Buildkite agent/API token (bkua_, bkat_)",
              r"\bbk(?:ua|at)_[a-f0-9]{40}" + _B, ("bkua_", "bkat_"), 5, 30),
    # --- package registries
    TokenSpec("secret.rubygems.token", "RubyGems API key (rubygems_ + 48 hex)",
              r"\brubygems_[a-f0-9]{48}" + _B, ("rubygems_",), 9, 30),
    TokenSpec("secret.nuget.key", "NuGet API key (oy2 + 43 lower-case chars)",
              r"\boy2[a-z0-9]{43}" + _B, ("oy2",), 3, 30),
    TokenSpec("secret.dockerhub.token", "Docker Hub personal/organisation access token (dckr_pat_, dckr_oat_)",
              r"\bdckr_(?:pat|oat)_[A-Za-z0-9_-]{27,64}", ("dckr_pat_", "dckr_oat_"), 9, 20),
    TokenSpec("secret.crates.token", "crates.io API token (cio + 32 chars)",
              r"\bcio[A-Za-z0-9]{32}" + _B, ("cio",), 3, 24),
    TokenSpec("secret.artifactory.token", "JFrog Artifactory API key (AKCp…) or reference token (cmVmdGtu…)",
              r"\b(?:AKCp[A-Za-z0-9]{69}|cmVmdGtu[A-Za-z0-9]{56,64})" + _B, ("akcp", "cmvmdgtu"), 4, 30),
    TokenSpec("secret.clojars.token", "Clojars deploy token (CLOJARS_ + 60 hex)",
              r"\bCLOJARS_[a-f0-9]{60}" + _B, ("clojars_",), 8, 30),
    # --- chat and collaboration
    TokenSpec("secret.slack.app-token", "Slack app-level or configuration token (xapp-, xoxe.xoxp-, xoxe-)",
              r"\b(?:xapp-\d-[A-Z0-9]{9,12}-\d{10,16}-[A-Za-z0-9]{32,80}|xoxe(?:\.xox[bp])?-\d-[A-Za-z0-9-]{100,300})",
              ("xapp-", "xoxe"), 5, 20),
    TokenSpec("secret.slack.webhook", "Slack incoming webhook / workflow URL (hooks.slack.com/…), whole URL",
              r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,200}",
              ("hooks.slack.com/",), 0, 16, offsets=(0, -7, -8),
              validate=lambda v, m: token_ok(0, 16)(v.rsplit("/", 1)[-1], m)),
    TokenSpec("secret.discord.webhook", "Discord webhook URL (discord.com/api/webhooks/<id>/<token>), whole URL",
              r"(?:https?://)?(?:discord|discordapp)\.com/api/webhooks/\d{15,22}/[A-Za-z0-9_-]{60,70}",
              ("discord.com/api/webhooks/", "discordapp.com/api/webhooks/"), 0, 16, offsets=(0, -7, -8),
              validate=lambda v, m: token_ok(0, 16)(v.rsplit("/", 1)[-1], m)),
    TokenSpec("secret.teams.webhook", "Microsoft Teams / Power Automate webhook URL path (webhookb2/…, "
              "IncomingWebhook/…)", r"/(?P<value>webhookb2/[A-Za-z0-9@/_.-]{40,400})", ("/webhookb2/",), 0, 16,
              value_group="value"),
    TokenSpec("secret.telegram.bot-token", "Telegram bot token (<bot id>:AA + 33 chars)",
              r"(?<![0-9])\d{8,10}:AA[A-Za-z0-9_-]{33}" + _BD, (":aa",), 0, 20, offsets=(-10, -9, -8)),
    TokenSpec("secret.notion.token", "Notion integration token (secret_ + 43, ntn_ + 46)",
              r"\b(?:secret_[A-Za-z0-9]{43}|ntn_\d{11}[A-Za-z0-9]{35})" + _B, ("secret_", "ntn_"), 4, 30),
    TokenSpec("secret.linear.token", "Linear API key / OAuth token (lin_api_, lin_oauth_)",
              r"\blin_(?:api_[A-Za-z0-9]{40}|oauth_[a-f0-9]{64})" + _B, ("lin_api_", "lin_oauth_"), 8, 30),
    TokenSpec("secret.airtable.token", "Airtable personal access token (pat + 14 . + 64 hex)",
              r"\bpat[A-Za-z0-9]{14}\.[a-f0-9]{64}" + _B, ("pat",), 3, 30),
    TokenSpec("secret.figma.token", "Figma personal access token (figd_, figu_)",
              r"\bfig[du]_[A-Za-z0-9_-]{38,80}", ("figd_", "figu_"), 5, 30),
    # publishable keys (pk_live_, pk_test_) are public by design (front-end code embeds them): not secrets
    TokenSpec("secret.stripe.other-key", "Stripe webhook signing secret (whsec_)",
              r"\bwhsec_[A-Za-z0-9+/=]{24,128}" + _B, ("whsec_",), 6, 20),
    TokenSpec("secret.square.token", "Square access token / application secret (sq0atp-, sq0csp-, EAAA…)",
              r"\b(?:sq0(?:atp|csp|idp)-[A-Za-z0-9_-]{22,43}|EAAA[A-Za-z0-9_-]{60})" + _BD, ("sq0", "eaaa"), 7, 20),
    TokenSpec("secret.braintree.token", "PayPal / Braintree access token (access_token$production$…)",
              r"access_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32}" + _B, ("access_token$",), 24, 30),
    TokenSpec("secret.shopify.token", "Shopify access token / shared secret (shpat_, shpca_, shppa_, shpss_)",
              r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _B, ("shpat_", "shpca_", "shppa_", "shpss_"), 6, 24),
    TokenSpec("secret.razorpay.key", "Razorpay key id (rzp_live_, rzp_test_)",
              r"\brzp_(?:live|test)_[A-Za-z0-9]{14,32}" + _B, ("rzp_live_", "rzp_test_"), 9, 12),
    TokenSpec("secret.plaid.token", "Plaid access token (access-sandbox|development|production-<uuid>)",
              r"\baccess-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
              ("access-",), 0, 0, validate=lambda v, m: not is_placeholder(v)),
    TokenSpec("secret.adyen.key", "Adyen API key (AQE…)",
              r"\bAQE[a-z]{2}[A-Za-z0-9+/=_-]{80,300}", ("aqe",), 3, 40),
    # --- observability and analytics
    TokenSpec("secret.newrelic.key", "New Relic API keys (NRAK-, NRII-, NRJS-, NRAA-, NRIQ-)",
              r"\bNR(?:AK|II|AA|JS|IQ)-[A-Za-z0-9]{19,42}" + _B, ("nrak-", "nrii-", "nraa-", "nrjs-", "nriq-"), 5, 16),
    TokenSpec("secret.newrelic.license-key", "New Relic ingest license key (36 hex + NRAL)",
              r"\b[a-f0-9]{36}NRAL" + _B, ("nral",), 0, 24, offsets=(-36,)),
    TokenSpec("secret.sentry.token", "Sentry auth token (sntrys_, sntryu_)",
              r"\bsntry[su]_[A-Za-z0-9+/=_]{40,400}", ("sntrys_", "sntryu_"), 7, 30),
    TokenSpec("secret.sentry.dsn", "Sentry DSN (https://<32 hex>@…sentry…/<project>), whole DSN",
              r"https?://[a-f0-9]{32}(?::[a-f0-9]{32})?@[A-Za-z0-9.-]{0,80}sentry[A-Za-z0-9.-]{0,40}(?::\d{1,5})?"
              r"(?:/\d{1,12})?",
              ("://",), 0, 0, offsets=(-4, -5), validate=lambda v, m: not is_placeholder(v)),
    TokenSpec("secret.grafana.token", "Grafana Cloud / service-account token (glc_, glsa_) or legacy API key",
              r"\b(?:glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|eyJrIjoi[A-Za-z0-9+/]{50,400}={0,2})",
              ("glc_", "glsa_", "eyjrijoi"), 4, 20),
    TokenSpec("secret.posthog.key", "PostHog project / personal API key (phc_, phx_)",
              r"\bph[cx]_[A-Za-z0-9]{32,48}" + _B, ("phc_", "phx_"), 4, 24),
    TokenSpec("secret.dynatrace.token", "Dynatrace API token (dt0c01.…)",
              r"\bdt0[a-z]\d\d\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}" + _B, ("dt0",), 7, 20),
    TokenSpec("secret.datadog.key", "Datadog API key in a DD-API-KEY / DD-APPLICATION-KEY header",
              r"(?i:dd-(?:api|application)-key)[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?(?P<value>[a-f0-9]{32,40})" + _B,
              ("dd-api-key", "dd-application-key"), 0, 24, value_group="value"),
    # --- AI providers
    TokenSpec("secret.replicate.token", "Replicate API token (r8_ + 37)", r"\br8_[A-Za-z0-9]{37}" + _B, ("r8_",), 3,
              20),
    TokenSpec("secret.groq.key", "Groq API key (gsk_ + 52)", r"\bgsk_[A-Za-z0-9]{48,56}" + _B, ("gsk_",), 4, 20),
    TokenSpec("secret.perplexity.key", "Perplexity API key (pplx- + 48)", r"\bpplx-[A-Za-z0-9]{40,56}" + _B,
              ("pplx-",), 5, 20),
    TokenSpec("secret.xai.key", "xAI API key (xai- + 80)", r"\bxai-[A-Za-z0-9]{60,90}" + _B, ("xai-",), 4, 20),
    TokenSpec("secret.langsmith.key", "LangSmith API key (lsv2_pt_, lsv2_sk_)",
              r"\blsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}" + _B, ("lsv2_",), 8, 20),
    TokenSpec("secret.huggingface.org-token", "Hugging Face organisation token (api_org_)",
              r"\bapi_org_[A-Za-z0-9]{34}" + _B, ("api_org_",), 8, 20),
    # --- databases and brokers
    TokenSpec("secret.planetscale.token", "PlanetScale token / password (pscale_tkn_, pscale_pw_, pscale_oauth_)",
              r"\bpscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.=-]{32,64}", ("pscale_",), 11, 20),
    TokenSpec("secret.supabase.key", "Supabase access token / secret key (sbp_, sb_secret_)",
              r"\b(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{20,64})" + _BD, ("sbp_", "sb_secret_"), 4, 20),
    TokenSpec("secret.mongodb.atlas-key", "MongoDB Atlas service-account secret (mdb_sa_sk_)",
              r"\bmdb_sa_(?:sk|id)_[A-Za-z0-9]{24,64}" + _B, ("mdb_sa_",), 10, 20),
    # --- auth and identity, messaging
    TokenSpec("secret.twilio.key", "Twilio API key SID (SK + 32 hex) or account SID (AC + 32 hex)",
              r"\b(?:SK|AC)[0-9a-f]{32}" + _B, ("sk", "ac"), 2, 24),
    TokenSpec("secret.sendgrid.key", "SendGrid API key (SG.<22>.<43>)",
              r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + _BD, ("sg.",), 3, 30),
    TokenSpec("secret.mailgun.key", "Mailgun API key (key- + 32 hex) or webhook signing key",
              r"\bkey-[a-f0-9]{32}" + _B, ("key-",), 4, 24),
    TokenSpec("secret.mailchimp.key", "Mailchimp API key (32 hex + -us<N>)",
              r"\b[a-f0-9]{32}-us\d{1,2}" + _B, ("-us",), 0, 24, offsets=(-32,)),
    TokenSpec("secret.brevo.key", "Brevo (Sendinblue) API key (xkeysib-, xsmtpsib-)",
              r"\bx(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}" + _B, ("xkeysib-", "xsmtpsib-"), 8, 30),
    TokenSpec("secret.firebase.fcm-key", "Firebase Cloud Messaging server key (AAAA…:APA91b…)",
              r"\bAAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{100,200}", (":apa91b",), 4, 30, offsets=(-11,)),
    TokenSpec("secret.facebook.token", "Facebook / Meta access token (EAA…)",
              r"\bEAA[BCDGIMQ][A-Za-z0-9]{80,300}" + _B, ("eaa",), 4, 30),
    TokenSpec("secret.okta.token", "Okta SSWS API token in an Authorization header (SSWS 00…)",
              r"\bSSWS[ \t]{1,4}(?P<value>00[A-Za-z0-9_-]{40})" + _BD, ("ssws",), 0, 20, value_group="value"),
    # --- encryption tools and secret managers
    TokenSpec("secret.age.key", "age secret key (AGE-SECRET-KEY-1…)",
              r"\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b", ("age-secret-key-1",), 16, 30),
    TokenSpec("secret.vault.token", "HashiCorp Vault token (hvs., hvb., hvr.)",
              r"\bhv[sbr]\.[A-Za-z0-9_-]{24,512}", ("hvs.", "hvb.", "hvr."), 4, 20),
    TokenSpec("secret.doppler.token", "Doppler token (dp.pt., dp.st., dp.sa., dp.ct., dp.scim., dp.audit.)",
              r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_-]{2,35}\.)?[A-Za-z0-9]{40,44}" + _B, ("dp.",), 6, 30,
              validate=lambda v, m: token_ok(0, 30)(v.rsplit(".", 1)[-1], m)),
    TokenSpec("secret.onepassword.token", "1Password service-account token (ops_eyJ…)",
              r"\bops_eyJ[A-Za-z0-9+/=_-]{100,2048}", ("ops_eyj",), 4, 30),
    TokenSpec("secret.pulumi.token", "Pulumi access token (pul- + 40 hex)", r"\bpul-[a-f0-9]{40}" + _B, ("pul-",),
              4, 30),
    TokenSpec("secret.orchestra.api-token", "Orchestra hosted API token (orch_ + 30 random + 6 CRC32 checksum)",
              r"\borch_[A-Za-z0-9]{36}" + _B, ("orch_",), 5, 20, validate=checksum_or_random),
    TokenSpec("secret.terraform.token", "Terraform Cloud / Enterprise token (<14>.atlasv1.<60+>)",
              r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,90}", (".atlasv1.",), 0, 30, offsets=(-14,)),
)
