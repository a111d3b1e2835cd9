"""Who is looking: the country and maturity ceiling every viewer read is filtered by."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime

from marquee.db import utcnow
from marquee.maturity import Maturity


@dataclass(frozen=True)
class Audience:
    country: str
    max_maturity: int = Maturity.ADULTS
    at: datetime = field(default_factory=utcnow)


def resolve_country(
    *,
    header_value: str | None,
    client_ip: str | None,
    cidrs: dict[str, str],
    default: str,
) -> str:
    """The viewer's country: a trusted edge header, else a CIDR table, else the default."""
    if header_value:
        code = header_value.strip().upper()
        if len(code) == 2 and code.isalpha():
            return code
    if client_ip:
        try:
            address = ipaddress.ip_address(client_ip)
        except ValueError:
            address = None
        if address is not None:
            for cidr, country in cidrs.items():
                if address in ipaddress.ip_network(cidr, strict=False):
                    return country.upper()
    return default.upper()
