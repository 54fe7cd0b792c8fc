"""Host normalisation and network-scope classification (shared by egress and the unsafe-URL rule).

Hosts are normalised the way a URL parser and ``inet_aton`` would see them, so encoded forms
(``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``, ``::ffff:127.0.0.1``, trailing dots,
percent-encoding, uppercase) are judged by the address they really reach.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from urllib.parse import unquote

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Scope(StrEnum):
    """Where an address points."""

    LOOPBACK = "loopback"
    LINK_LOCAL = "link_local"
    PRIVATE = "private"
    PUBLIC = "public"
    METADATA = "metadata"
    UNSPECIFIED = "unspecified"
    RESERVED = "reserved"


METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        ipaddress.IPv4Address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
        ipaddress.IPv4Address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.IPv4Address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.IPv4Address("192.0.0.192"),  # Oracle Cloud (legacy)
        ipaddress.IPv6Address("fd00:ec2::254"),  # AWS IMDS over IPv6
    }
)
METADATA_NAMES: frozenset[str] = frozenset(
    {"metadata.google.internal", "metadata", "metadata.goog", "instance-data"}
)

_PRIVATE_V4 = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_LINK_LOCAL_V4 = ipaddress.IPv4Network("169.254.0.0/16")
_LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
_UNSPECIFIED_V4 = ipaddress.IPv4Network("0.0.0.0/8")
_ULA_V6 = ipaddress.IPv6Network("fc00::/7")
_LINK_LOCAL_V6 = ipaddress.IPv6Network("fe80::/10")


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
    """The IPv4 address carried by an IPv4-mapped IPv6 address (``::ffff:a.b.c.d``)."""
    return address.ipv4_mapped


def classify_address(address: IPAddress) -> Scope:
    """Network scope of a literal address (IPv4-mapped IPv6 is judged by its IPv4 part)."""
    if address in METADATA_ADDRESSES:
        return Scope.METADATA
    if isinstance(address, ipaddress.IPv6Address):
        mapped = embedded_v4(address)
        if mapped is not None:
            return classify_address(mapped)
        if address.is_unspecified:
            return Scope.UNSPECIFIED
        if address.is_loopback:
            return Scope.LOOPBACK
        if address in _LINK_LOCAL_V6:
            return Scope.LINK_LOCAL
        if address in _ULA_V6:
            return Scope.PRIVATE
        if address.is_multicast or address.is_reserved:
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
    if address.is_multicast or address.is_reserved or address == ipaddress.IPv4Address("255.255.255.255"):
        return Scope.RESERVED
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
