"""Who is looking: the country and maturity ceiling every viewer read is filtered by."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from marquee.db import utcnow
from marquee.maturity import Maturity

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Audience:
    country: str
    max_maturity: int = Maturity.ADULTS
    at: datetime = field(default_factory=utcnow)


def _address(text: str | None) -> Address | None:
    if not text:
        return None
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _within(address: Address, networks: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(
    *, peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]
) -> Address | None:
    """The first address, walking X-Forwarded-For from the nearest hop, not a trusted proxy.

    Only hops appended by trusted proxies are believed: the chain is read right to left and
    stops at the first untrusted address, so a client cannot plant one of its own choosing.
    """
    address = _address(peer)
    if address is None or not _within(address, trusted) or not forwarded_for:
        return address
    for hop in reversed(forwarded_for.split(",")):
        previous = _address(hop)
        if previous is None:
            return address
        address = previous
        if not _within(address, trusted):
            return address
    return address


def parse_networks(cidrs: Sequence[str]) -> list[Network]:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs]


def _country_code(value: str | None) -> str | None:
    code = (value or "").strip().upper()
    return code if len(code) == 2 and code.isalpha() and code.isascii() else None


def resolve_country(
    *,
    peer: str | None,
    header_value: str | None,
    forwarded_for: str | None,
    trusted_proxies: Sequence[str],
    cidrs: dict[str, str],
    default: str,
) -> str:
    """The viewer's country: the edge's header when a trusted proxy sent it, else the CIDR
    table for the client's address (through trusted hops only), else the default."""
    trusted = parse_networks(trusted_proxies)
    peer_address = _address(peer)
    from_proxy = peer_address is not None and _within(peer_address, trusted)
    if from_proxy:
        code = _country_code(header_value)
        if code is not None:
            return code
    address = client_address(peer=peer, forwarded_for=forwarded_for, trusted=trusted)
    if address is not None:
        for cidr, country in cidrs.items():
            network = ipaddress.ip_network(cidr, strict=False)
            if address.version == network.version and address in network:
                return country.upper()
    return default.upper()
