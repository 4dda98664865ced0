"""Where a webhook may go: http(s) URLs whose host resolves only to public addresses.

Checked when a subscription is saved and again before every attempt (DNS rebinding); the
attempt then connects to the address that was checked, never re-resolving.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

RESOLVE_SECONDS = 3.0
MAX_URL = 2048

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The URL is malformed, does not resolve, or resolves to a non-public address."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str  # the URL with the host replaced by the checked address
    host_header: str  # the URL's own host[:port]
    server_name: str  # for TLS (SNI and certificate checks)


def check_form(url: str) -> tuple[str, int]:
    if len(url) > MAX_URL:
        raise AddressRefused(f"url: at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("url: not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("url: must be an http or https URL with a host")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("url: credentials in the URL are not accepted")
    return parts.hostname, port


def forbidden(address: IP) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast or address.is_reserved


async def resolve(host: str, port: int) -> list[IP]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS
        )
    except (OSError, TimeoutError, ValueError):  # ValueError: e.g. an over-long label
        raise AddressRefused(f"url: the host {host!r} does not resolve") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def target(url: str, *, allow_private: bool) -> Target:
    """The checked address to connect to; AddressRefused when none may be used."""
    host, port = check_form(url)
    addresses = await resolve(host, port)
    if not allow_private and any(forbidden(a) for a in addresses):
        raise AddressRefused("url: the host resolves to a private or reserved address")
    chosen = addresses[0]
    literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    parts = urlsplit(url)
    netloc = f"{literal}:{port}"
    return Target(parts._replace(netloc=netloc).geturl(), parts.netloc, host)
