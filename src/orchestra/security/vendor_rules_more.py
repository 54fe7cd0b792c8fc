"""More vendor token families: the breadth public scanners (gitleaks, trufflehog) cover.

Same conventions as :mod:`orchestra.security.vendor_rules`: each pattern starts at its anchor literal
(offsets say where the match starts relative to it), quantifiers are bounded, and the validator rejects
placeholders and low-entropy bodies. The formats are public facts; the patterns are written here.
"""

from __future__ import annotations

import re

from orchestra.security.validators import is_placeholder, random_letters, shannon_entropy
from orchestra.security.vendor_rules import TokenSpec

_B = r"(?![A-Za-z0-9_])"
_BD = r"(?![A-Za-z0-9_-])"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _uuid_body(value: str, _match: re.Match[str]) -> bool:
    """Prefixed UUID tokens: the UUID itself is random (a placeholder UUID is not)."""
    return not is_placeholder(value) and shannon_entropy(value) >= 3.0


def _jwk_member(value: str, _match: re.Match[str]) -> bool:
    """A JWK private member (d, p, q, dp, dq, qi, k): long base64url with entropy."""
    return len(value) >= 22 and not is_placeholder(value) and shannon_entropy(value) >= 4.0


def _ppk_lines(value: str, _match: re.Match[str]) -> bool:
    return len(value.strip()) >= 16


MORE_SPECS: tuple[TokenSpec, ...] = (
    # --- cloud providers
    TokenSpec("secret.tencent.secret-id", "Tencent Cloud SecretId (AKID + 32 chars)",
              r"\bAKID[A-Za-z0-9]{32}" + _B, ("akid",), 4, 20),
    TokenSpec("secret.yandex.key", "Yandex Cloud API key / IAM token (AQVN…, t1.…)",
              r"\b(?:AQVN[A-Za-z0-9_-]{35,38}|t1\.[A-Za-z0-9_-]{20,200}={0,2}\.[A-Za-z0-9_-]{86}={0,2})" + _BD,
              ("aqvn", "t1."), 3, 20),
    TokenSpec("secret.databricks.token", "Databricks personal access token (dapi + 32 hex)",
              r"\bdapi[a-f0-9]{32}(?:-\d)?" + _B, ("dapi",), 4, 24),
    TokenSpec("secret.render.key", "Render API key (rnd_ + 32 chars)", r"\brnd_[A-Za-z0-9]{32}" + _B, ("rnd_",), 4,
              20),
    TokenSpec("secret.scaleway.key", "Scaleway access key (SCW + 17 capitals/digits)",
              r"\bSCW[A-Z0-9]{17}" + _B, ("scw",), 3, 16, validate=lambda v, m: not is_placeholder(v)
              and (any(c.isdigit() for c in v[3:]) or random_letters(v[3:], min_len=16, min_entropy=2.5))
              and shannon_entropy(v[3:]) >= 2.5),
    TokenSpec("secret.deno.token", "Deno Deploy token (ddp_, ddw_ + 36 chars)", r"\bdd[pw]_[A-Za-z0-9]{36}" + _B,
              ("ddp_", "ddw_"), 4, 20),
    TokenSpec("secret.tailscale.key", "Tailscale key (tskey-api-, tskey-auth-, tskey-client-, …)",
              r"\btskey-(?:api|auth|client|scim|webhook)-[A-Za-z0-9]{6,20}-[A-Za-z0-9]{20,64}" + _B, ("tskey-",), 6,
              20),
    TokenSpec("secret.scalingo.token", "Scalingo API token (tk-us- + 48 chars)",
              r"\btk-us-[A-Za-z0-9_-]{48}" + _BD, ("tk-us-",), 6, 20),
    TokenSpec("secret.defined.key", "Defined Networking API key (dnkey- …)",
              r"\bdnkey-[a-z0-9=_-]{26}-[a-z0-9=_-]{52}" + _BD, ("dnkey-",), 6, 20),
    # --- source forges, CI and developer tools
    TokenSpec("secret.sourcegraph.token", "Sourcegraph access token (sgp_[<16 hex>_]<40 hex>) / Segment token",
              r"\bsgp_(?:[a-f0-9]{16}_)?(?:[a-f0-9]{40}|[A-Za-z0-9]{64})" + _B, ("sgp_",), 4, 24),
    TokenSpec("secret.harness.pat", "Harness personal/service access token (pat.<22>.<24 hex>.<20>, sat.…)",
              r"\b(?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}" + _B, ("pat.", "sat."), 4, 16),
    TokenSpec("secret.octopus.key", "Octopus Deploy API key (API- + 26+ capitals/digits)",
              r"\bAPI-[A-Z0-9]{26,32}" + _B, ("api-",), 4, 20,
              validate=lambda v, m: not is_placeholder(v) and sum(c.isdigit() for c in v[4:]) >= 3
              and shannon_entropy(v[4:]) >= 3.5),
    TokenSpec("secret.sonarqube.token", "SonarQube / SonarCloud token (sqp_, sqa_, squ_ + 40 hex)",
              r"\bsq[pau]_[a-f0-9]{40}" + _B, ("sqp_", "sqa_", "squ_"), 4, 24),
    TokenSpec("secret.prefect.key", "Prefect Cloud API key (pnu_ + 36 chars)", r"\bpnu_[A-Za-z0-9]{36}" + _B,
              ("pnu_",), 4, 20),
    TokenSpec("secret.postman.key", "Postman API key (PMAK-<24 hex>-<34 hex>)",
              r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}" + _B, ("pmak-",), 5, 24),
    TokenSpec("secret.readme.key", "ReadMe API key (rdme_ + 70 chars)", r"\brdme_[a-z0-9]{70}" + _B, ("rdme_",), 5,
              24),
    TokenSpec("secret.infracost.key", "Infracost API key (ico- + 32 chars)", r"\bico-[A-Za-z0-9]{32}" + _B,
              ("ico-",), 4, 20),
    TokenSpec("secret.contentful.token", "Contentful personal access token (CFPAT- + 43 chars)",
              r"\bCFPAT-[A-Za-z0-9_-]{43}" + _BD, ("cfpat-",), 6, 20),
    TokenSpec("secret.typeform.token", "Typeform personal access token (tfp_ …)",
              r"\btfp_[A-Za-z0-9_.=-]{40,64}", ("tfp_",), 4, 20),
    TokenSpec("secret.frameio.token", "Frame.io developer token (fio-u- + 64 chars)",
              r"\bfio-u-[A-Za-z0-9_=-]{64}", ("fio-u-",), 6, 24),
    TokenSpec("secret.clickup.token", "ClickUp personal API token (pk_<digits>_<32 capitals/digits>)",
              r"\bpk_\d{4,10}_[A-Z0-9]{32}" + _B, ("pk_",), 3, 20),
    TokenSpec("secret.dropbox.token", "Dropbox short-lived access token (sl. / sl.u. + 130+ chars)",
              r"\bsl\.(?:u\.)?[A-Za-z0-9_-]{130,1300}", ("sl.",), 3, 30),
    TokenSpec("secret.pinecone.key", "Pinecone API key (pcsk_<id>_<secret>)",
              r"\bpcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{40,80}" + _B, ("pcsk_",), 5, 24),
    TokenSpec("secret.intercom.token", "Intercom access token (base64 of tok:…, dG9rOj…)",
              r"\bdG9rO[A-Za-z0-9+/_-]{40,120}={0,2}", ("dg9ro",), 5, 24),
    TokenSpec("secret.hubspot.token", "HubSpot private app token (pat-na1-/pat-eu1- + UUID)",
              r"\bpat-(?:na|eu|ap)\d-" + _UUID, ("pat-na", "pat-eu", "pat-ap"), 0, 0, validate=_uuid_body),
    TokenSpec("secret.salesforce.token", "Salesforce session / access token (00D<org id>!<token>)",
              r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9_.]{80,120}", ("00d",), 0, 24,
              validate=lambda v, m: not is_placeholder(v) and shannon_entropy(v) >= 4.0),
    TokenSpec("secret.zapier.webhook", "Zapier catch hook URL (hooks.zapier.com/hooks/catch/<id>/<key>), whole URL",
              r"(?:https?://)?hooks\.zapier\.com/hooks/catch/\d{4,12}/[A-Za-z0-9]{5,12}/?", ("hooks.zapier.com/",), 0,
              0, offsets=(0, -7, -8), validate=lambda v, m: not is_placeholder(v)),
    # --- AI providers
    TokenSpec("secret.elevenlabs.key", "ElevenLabs API key (sk_ + 48 hex)", r"\bsk_[a-f0-9]{48}" + _B, ("sk_",), 3, 24),
    TokenSpec("secret.fireworks.key", "Fireworks AI API key (fw_ + 24+ chars)", r"\bfw_[A-Za-z0-9]{24,48}" + _B,
              ("fw_",), 3, 20),
    TokenSpec("secret.cerebras.key", "Cerebras API key (csk- + 48 chars)", r"\bcsk-[a-z0-9]{48}" + _B, ("csk-",), 4,
              24),
    TokenSpec("secret.nvidia.key", "NVIDIA NGC / API catalog key (nvapi- + 64 chars)",
              r"\bnvapi-[A-Za-z0-9_-]{64}" + _BD, ("nvapi-",), 6, 24),
    TokenSpec("secret.anyscale.key", "Anyscale / Endpoints secret (esecret_ + 26+ chars)",
              r"\besecret_[A-Za-z0-9]{26,64}" + _B, ("esecret_",), 8, 20),
    # --- chat, social and mail
    TokenSpec("secret.twitter.bearer", "X / Twitter app bearer token (AAAAAAAAAAAAAAAAAAAAA…)",
              r"\bA{21}[A-Za-z0-9%]{30,140}" + _B, ("aaaaaaaaaaaaaaaaaaaaa",), 21, 20),
    TokenSpec("secret.instagram.token", "Instagram Graph API token (IGQV…/IGAA…)",
              r"\bIG(?:QV|AA)[A-Za-z0-9_-]{100,400}", ("igqv", "igaa"), 4, 30),
    TokenSpec("secret.mandrill.key", "Mailchimp Transactional (Mandrill) API key (md- + 22 chars)",
              r"\bmd-[A-Za-z0-9_-]{22}" + _BD, ("md-",), 3, 16),
    TokenSpec("secret.resend.key", "Resend API key (re_<8>_<24>)", r"\bre_[A-Za-z0-9]{8}_[A-Za-z0-9]{24}" + _B,
              ("re_",), 3, 20),
    # --- payment and commerce
    TokenSpec("secret.flutterwave.key", "Flutterwave secret / public / encryption key (FLWSECK-, FLWPUBK-, …)",
              r"\bFLW(?:SECK|PUBK)(?:_TEST)?-[a-h0-9]{32}-X|\bFLWSECK_TEST[a-h0-9]{12}", ("flwseck", "flwpubk"), 8,
              12),
    TokenSpec("secret.easypost.key", "EasyPost API key (EZAK / EZTK + 54 chars)", r"\bEZ[AT]K[A-Za-z0-9]{54}" + _B,
              ("ezak", "eztk"), 4, 24),
    TokenSpec("secret.duffel.token", "Duffel API token (duffel_live_, duffel_test_ + 43 chars)",
              r"\bduffel_(?:test|live)_[A-Za-z0-9_=-]{43}" + _BD, ("duffel_",), 12, 20),
    TokenSpec("secret.paddle.key", "Paddle API key (pdl_live_apikey_, pdl_sdbx_apikey_ …)",
              r"\bpdl_(?:live|sdbx)_apikey_[A-Za-z0-9_]{40,64}" + _B, ("pdl_",), 16, 20),
    TokenSpec("secret.live-test-key", "payment/API live or test key (live_…, test_… of GoCardless, Mollie, Lob, …)",
              r"\b(?:live|test)_[A-Za-z0-9_=-]{30,64}" + _BD, ("live_", "test_"), 5, 24),
    TokenSpec("secret.shippo.token", "Shippo API token (shippo_live_, shippo_test_ + 40 hex)",
              r"\bshippo_(?:live|test)_[a-f0-9]{40}" + _B, ("shippo_",), 12, 24),
    TokenSpec("secret.woocommerce.key", "WooCommerce REST consumer key / secret (ck_, cs_ + 40 hex)",
              r"\bc[ks]_[a-f0-9]{40}" + _B, ("ck_", "cs_"), 3, 24),
    TokenSpec("secret.mapbox.token", "Mapbox secret token (sk.eyJ…)",
              r"\bsk\.eyJ[A-Za-z0-9_-]{40,400}\.[A-Za-z0-9_-]{16,64}",
              ("sk.eyj",), 6, 20),
    # --- observability and feature flags
    TokenSpec("secret.honeycomb.key", "Honeycomb API / ingest key (hcaik_, hcxik_, hcamk_, … )",
              r"\bhc(?:aik|amk|xik|xmk|bik|bmk|xlk|alk)_[A-Za-z0-9]{20,64}" + _B, ("hcaik_", "hcamk_", "hcxik_",
              "hcxmk_", "hcbik_", "hcbmk_", "hcxlk_", "hcalk_"), 6, 20),
    TokenSpec("secret.launchdarkly.key", "LaunchDarkly SDK / mobile / API key (sdk-, mob-, api- + UUID)",
              r"\b(?:sdk|mob|api)-" + _UUID, ("sdk-", "mob-", "api-"), 0, 0, validate=_uuid_body),
    TokenSpec("secret.axiom.token", "Axiom API / personal token (xaat-, xapt- + UUID)",
              r"\bxa[ap]t-" + _UUID, ("xaat-", "xapt-"), 0, 0, validate=_uuid_body),
    # --- databases and brokers
    TokenSpec("secret.neon.password", "Neon Postgres password / API key (npg_ + 12+ chars)",
              r"\bnpg_[A-Za-z0-9]{12,64}" + _B, ("npg_",), 4, 12,
              validate=lambda v, m: not is_placeholder(v) and any(c.isdigit() for c in v[4:])
              and any(c.isupper() for c in v[4:]) and shannon_entropy(v[4:]) >= 3.0),
    TokenSpec("secret.aiven.password", "Aiven service password / token (AVNS_ …)", r"\bAVNS_[A-Za-z0-9_-]{16,40}" + _BD,
              ("avns_",), 5, 16),
    # --- auth, identity and secret stores
    TokenSpec("secret.stytch.secret", "Stytch project secret (secret-live-, secret-test- + 36 chars)",
              r"\bsecret-(?:live|test)-[A-Za-z0-9_=-]{36}" + _BD, ("secret-live-", "secret-test-"), 12, 20),
    TokenSpec("secret.onepassword.secret-key", "1Password account Secret Key (A3-XXXXXX-…)",
              r"\bA3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}" + _BD,
              ("a3-",), 3, 16, validate=lambda v, m: not is_placeholder(v) and shannon_entropy(v) >= 3.5),
    TokenSpec("secret.google.refresh-token", "Google OAuth refresh token (1//0…)", r"1//0[A-Za-z0-9_-]{40,512}",
              ("1//0",), 4, 24),
    # --- encryption tools' key formats
    TokenSpec("private_key.ssh2", "SSH.com / Tectia SSH2 private key block (---- BEGIN SSH2 ENCRYPTED PRIVATE KEY "
              "----), whole block", r"---- BEGIN SSH2 (?:ENCRYPTED )?PRIVATE KEY ----(?:[\s\S]{0,16384}?---- END SSH2 "
              r"(?:ENCRYPTED )?PRIVATE KEY ----|[A-Za-z0-9+/=\s:,.\"\\-]{0,16384})", ("---- begin ssh2",), 0, 0,
              validate=lambda v, m: len(v) > 60, category="private_key"),
    TokenSpec("private_key.putty-file", "PuTTY private key file (.ppk), whole file from its header to Private-MAC",
              r"PuTTY-User-Key-File-[123]:[^\r\n]{0,200}(?:\r?\n[^\r\n]{0,200}){1,300}?\r?\nPrivate-MAC:[ \t]{0,4}"
              r"[a-f0-9]{40,64}", ("putty-user-key-file-",), 0, 0, validate=lambda v, m: "Private-Lines:" in v,
              category="private_key"),
    TokenSpec("private_key.putty", "PuTTY private key file (.ppk): the Private-Lines body and its Private-MAC",
              r"Private-Lines:[ \t]{0,4}\d{1,3}[ \t]{0,4}\r?\n(?P<value>[A-Za-z0-9+/=]{1,128}(?![^\r\n])"
              r"(?:\r?\n[A-Za-z0-9+/=]{1,128}(?![^\r\n])){0,127}(?:\r?\nPrivate-MAC:[ \t]{0,4}[a-f0-9]{40,64})?)",
              ("private-lines:",), 0, 0, value_group="value", validate=_ppk_lines, category="private_key"),
    TokenSpec("private_key.jwk", "JSON Web Key private member (\"d\", \"p\", \"q\", \"dp\", \"dq\", \"qi\", \"k\")",
              r"\"(?:d|p|q|dp|dq|qi|k)\"[ \t]{0,4}:[ \t]{0,4}\"(?P<value>[A-Za-z0-9_-]{22,2048})\"",
              ('"d"', '"p"', '"q"', '"dp"', '"dq"', '"qi"', '"k"'), 0, 0, value_group="value", validate=_jwk_member,
              category="private_key"),
    TokenSpec("secret.vault.legacy-token", "HashiCorp Vault legacy service / batch token (s./b. + 24) after a "
              "vault keyword", r"(?i:vault[_-]?token|x-vault-token)[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?"
              r"(?P<value>[sb]\.[A-Za-z0-9]{24})" + _B, ("vault_token", "vault-token", "x-vault-token",
              "vaulttoken"), 0, 20, value_group="value", validate=lambda v, m: not is_placeholder(v)
              and shannon_entropy(v) >= 3.5),
    TokenSpec("secret.slack.webhook-path", "Slack incoming-webhook path without its host (POST /services/T…/B…/…)",
              r"/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}" + _B, ("/services/t",), 0, 16,
              validate=lambda v, m: shannon_entropy(v.rsplit("/", 1)[-1]) >= 3.5),
    TokenSpec("secret.docker.config-json", "Docker registry credentials: base64 of a config.json ({\"auths\": …}), as "
              "in a Kubernetes .dockerconfigjson", r"\beyJhdXRocyI6[A-Za-z0-9+/]{16,16384}={0,2}", ("eyjhdxrocyi6",),
              0, 0, validate=lambda v, m: len(v) >= 40),
    TokenSpec("secret.azure-devops.pat", "Azure DevOps personal access token (84 characters, AZDO signature)",
              r"\b[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}" + _B, ("azdo",), 0, 20, offsets=(-76,),
              validate=lambda v, m: not is_placeholder(v) and shannon_entropy(v[:52]) >= 4.0),
    TokenSpec("secret.neon.api-key", "Neon API key (napi_ + 64)", r"\bnapi_[a-z0-9]{60,72}" + _B, ("napi_",), 5, 20),
)
