"""Host normalisation and network-scope classification (shared by egress and the unsafe-URL rule).

Hosts are normalised the way a URL parser and ``inet_aton`` would see them, so encoded forms
(``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``, trailing dots, percent-encoding, uppercase)
are judged by the address they really reach. IPv6 addresses that carry an IPv4 address
(IPv4-mapped, -compatible and -translated, NAT64, 6to4) are judged by that IPv4 address; zone
ids (``fe80::1%eth0``) are refused. DNS names that point at a non-public address by
construction (``127.0.0.1.nip.io``, ``10-0-0-1.sslip.io``, ``localtest.me``) are named by
:func:`local_name_reason`.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from urllib.parse import unquote

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Scope(StrEnum):
    """Where an address points."""

    LOOPBACK = "loopback"
    LINK_LOCAL = "link_local"
    PRIVATE = "private"
    PUBLIC = "public"
    SHARED = "shared"  # 100.64.0.0/10, carrier-grade NAT
    METADATA = "metadata"
    UNSPECIFIED = "unspecified"
    RESERVED = "reserved"


METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        ipaddress.IPv4Address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
        ipaddress.IPv4Address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.IPv4Address("169.254.170.23"),  # AWS EKS Pod Identity credentials
        ipaddress.IPv4Address("169.254.169.253"),  # AWS VPC DNS resolver
        ipaddress.IPv4Address("169.254.169.123"),  # AWS Time Sync
        ipaddress.IPv4Address("169.254.169.250"),  # Google Cloud / misc. link-local services
        ipaddress.IPv4Address("169.254.169.251"),
        ipaddress.IPv4Address("168.63.129.16"),  # Azure WireServer (a public address)
        ipaddress.IPv4Address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.IPv4Address("192.0.0.192"),  # Oracle Cloud (legacy)
        ipaddress.IPv6Address("fe80::a9fe:a9fe"),  # 169.254.169.254 spelled in link-local IPv6
    }
)
METADATA_NETWORKS_V6: tuple[ipaddress.IPv6Network, ...] = (
    ipaddress.IPv6Network("fd00:ec2::/32"),  # AWS IMDS, Pod Identity (::23), DNS (::253), time (::123)
)
METADATA_NAMES: frozenset[str] = frozenset(
    {"metadata.google.internal", "metadata", "metadata.goog", "instance-data", "instance-data.ec2.internal",
     "metadata.azure.com", "metadata.tencentyun.com", "metadata.platformequinix.com"}
)
WILDCARD_DNS_SUFFIXES: tuple[str, ...] = (
    "nip.io", "sslip.io", "xip.io", "nip.direct", "localtest.me", "lvh.me", "vcap.me", "fuf.me", "localho.st",
    "localh.st", "lacolhost.com", "traefik.me", "backname.io", "1u.ms", "rbndr.us", "readme.io.localtest.me",
    "yoogle.com", "127.0.0.1.sslip.io", "local.gd", "localdev.me", "ip6.name", "nip.top",
)
"""Public DNS zones whose names resolve to an address spelled in the name or to loopback (or rebind)."""
LOCAL_NAME_SUFFIXES: tuple[str, ...] = (
    "localhost", "local", "localdomain", "internal", "intranet", "lan", "home", "home.arpa", "corp", "private",
    "test", "invalid", "example", "onion",
)
"""Special-use and de-facto private TLDs: they never name a public provider endpoint."""

_PRIVATE_V4 = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_LINK_LOCAL_V4 = ipaddress.IPv4Network("169.254.0.0/16")
_SHARED_V4 = ipaddress.IPv4Network("100.64.0.0/10")
_LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
_UNSPECIFIED_V4 = ipaddress.IPv4Network("0.0.0.0/8")
_ULA_V6 = ipaddress.IPv6Network("fc00::/7")
_LINK_LOCAL_V6 = ipaddress.IPv6Network("fe80::/10")
_COMPATIBLE_V6 = ipaddress.IPv6Network("::/96")
_TRANSLATED_V6 = ipaddress.IPv6Network("::ffff:0:0:0/96")
_NAT64_V6 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_EMBEDDED_V4_RE = re.compile(r"(?<![0-9])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?![0-9])")
_HEX_V4_LABEL_RE = re.compile(r"^[0-9a-f]{8}$")


class HostError(ValueError):
    """The host is not a valid DNS name or address."""


def _parse_v4_part(part: str) -> int:
    if not part:
        raise HostError("empty IPv4 part")
    low = part.lower()
    if low.startswith("0x"):
        digits, base = low[2:] or "0", 16
    elif len(low) > 1 and low.startswith("0"):
        digits, base = low[1:], 8
    else:
        digits, base = low, 10
    try:
        return int(digits, base)
    except ValueError as exc:
        raise HostError("bad IPv4 part") from exc


def _looks_numeric(label: str) -> bool:
    low = label.lower()
    if low.startswith("0x"):
        return all(c in "0123456789abcdef" for c in low[2:])
    return low.isdigit()


def parse_ipv4_loose(host: str) -> ipaddress.IPv4Address | None:
    """IPv4 in any ``inet_aton`` form, or None when the host is a DNS name.

    Raises :class:`HostError` when the last label is numeric but the whole is not a valid address
    (a URL parser refuses those, e.g. ``256.1.1.1`` or ``1.2.3.4.5``).
    """
    labels = host.split(".")
    if not labels or not _looks_numeric(labels[-1]):
        return None
    if len(labels) > 4:
        raise HostError("too many IPv4 parts")
    values = [_parse_v4_part(p) for p in labels]
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(values)):
        raise HostError("IPv4 part out of range")
    number = last
    for i, v in enumerate(head):
        number += v << (8 * (3 - i))
    return ipaddress.IPv4Address(number)


def normalize_host(raw_host: str) -> str | IPAddress:
    """Percent-decode, lower-case and strip trailing dots; return an address when the host is one.

    ``raw_host`` is the host part of a URL authority (brackets allowed for IPv6, no port).
    """
    host = unquote(raw_host, errors="strict").strip().lower()
    if not host or any(c.isspace() or ord(c) < 32 or c in "@/\\?#" for c in host):
        raise HostError("invalid characters in host")
    if host.startswith("[") and host.endswith("]"):
        inner = host[1:-1]
        if "%" in inner:
            raise HostError("IPv6 zone ids are not allowed")
        try:
            return ipaddress.IPv6Address(inner)
        except ValueError as exc:
            raise HostError("invalid IPv6 literal") from exc
    if ":" in host:
        raise HostError("IPv6 literal without brackets")
    host = host.rstrip(".")
    if not host or not host.isascii():
        raise HostError("empty or non-ASCII host")
    v4 = parse_ipv4_loose(host)
    if v4 is not None:
        return v4
    labels = host.split(".")
    if any(not label or len(label) > 63 for label in labels) or len(host) > 253:
        raise HostError("invalid DNS name")
    if any(not all(c.isalnum() or c in "-_" for c in label) for label in labels):
        raise HostError("invalid DNS name")
    return host


def embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: IPv4-mapped, -compatible, -translated, NAT64 or 6to4."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    number = int(address)
    low32 = ipaddress.IPv4Address(number & 0xFFFFFFFF)
    if address in _COMPATIBLE_V6 and number > 1:  # ::a.b.c.d (not :: or ::1)
        return low32
    if address in _TRANSLATED_V6 or any(address in net for net in _NAT64_V6):
        return low32
    return address.sixtofour


def classify_address(address: IPAddress) -> Scope:
    """Network scope of a literal address (IPv4-mapped IPv6 is judged by its IPv4 part)."""
    if address in METADATA_ADDRESSES:
        return Scope.METADATA
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in net for net in METADATA_NETWORKS_V6):
            return Scope.METADATA
        if address.is_unspecified:
            return Scope.UNSPECIFIED
        if address.is_loopback:
            return Scope.LOOPBACK
        carried = embedded_v4(address)
        if carried is not None:
            return classify_address(carried)
        if address.teredo is not None:
            return Scope.RESERVED  # a tunnel to an address we cannot judge here
        if address in _LINK_LOCAL_V6:
            return Scope.LINK_LOCAL
        if address in _ULA_V6:
            return Scope.PRIVATE
        if address.is_multicast or address.is_reserved or address.is_site_local or not address.is_global:
            return Scope.RESERVED
        return Scope.PUBLIC
    if address in _UNSPECIFIED_V4:
        return Scope.UNSPECIFIED
    if address in _LOOPBACK_V4:
        return Scope.LOOPBACK
    if address in _LINK_LOCAL_V4:
        return Scope.LINK_LOCAL
    if any(address in net for net in _PRIVATE_V4):
        return Scope.PRIVATE
    if address in _SHARED_V4:
        return Scope.SHARED
    if address.is_multicast or address.is_reserved or not address.is_global:
        return Scope.RESERVED  # broadcast, documentation, benchmarking, IETF protocol ranges
    return Scope.PUBLIC


def classify_host(host: str | IPAddress) -> Scope:
    """Scope of a normalised host: addresses by range, ``localhost`` as loopback, other names public."""
    if isinstance(host, str):
        if host == "localhost" or host.endswith(".localhost"):
            return Scope.LOOPBACK
        if host in METADATA_NAMES:
            return Scope.METADATA
        return Scope.PUBLIC
    return classify_address(host)


def local_name_reason(host: str) -> str | None:
    """Why a normalised DNS name cannot be a public endpoint, or ``None``.

    ``local``: a single label or a special-use/private TLD (``.local``, ``.internal``, ...).
    ``wildcard``: a wildcard-DNS or rebinding zone (``*.nip.io``, ``localtest.me``, ...), or a name
    spelling a non-public IPv4 address (``127.0.0.1.example``, ``10-0-0-1.example``, ``7f000001.example``).
    """
    labels = host.split(".")
    if len(labels) == 1 or any(host == s or host.endswith("." + s) for s in LOCAL_NAME_SUFFIXES):
        return "local"
    if any(host == s or host.endswith("." + s) for s in WILDCARD_DNS_SUFFIXES):
        return "wildcard"
    spelled = [ipaddress.IPv4Address(".".join(m.groups())) for m in _EMBEDDED_V4_RE.finditer(host)
               if all(int(g) <= 255 for g in m.groups())]
    spelled += [ipaddress.IPv4Address(int(label, 16)) for label in labels[:-1] if _HEX_V4_LABEL_RE.match(label)]
    if any(classify_address(a) is not Scope.PUBLIC for a in spelled):
        return "wildcard"
    return None
