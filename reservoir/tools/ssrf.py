"""SSRF guard: vet every URL (scheme, host spelling, every resolved address) and pin the
connection to the address that was checked, so DNS rebinding cannot swap it afterwards."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
_HOSTNAME = re.compile(r"^[a-z0-9_.-]+$")
_NAMED_NETWORKS: tuple[tuple[str, IPNetwork], ...] = (
    ("shared address space", ipaddress.ip_network("100.64.0.0/10")),
    ("benchmark", ipaddress.ip_network("198.18.0.0/15")),
    ("documentation", ipaddress.ip_network("192.0.2.0/24")),
)
_FLAGS = (
    ("unspecified", "is_unspecified"),
    ("loopback", "is_loopback"),
    ("link-local", "is_link_local"),
    ("multicast", "is_multicast"),
    ("site-local", "is_site_local"),
    ("private", "is_private"),
    ("reserved", "is_reserved"),
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """Every fetch refusal or failure; callers catch this one type and never crash."""

    def __init__(self, reason: str, url: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url

    def __str__(self) -> str:
        return f"{self.reason} [{self.url}]" if self.url else self.reason


class UnsafeUrlError(FetchError):
    """The SSRF guard refused the URL (scheme, host spelling, address class, allow-list)."""


@dataclass(frozen=True)
class AllowList:
    """Operator exceptions to the guard: exact hosts, `*.suffix` hosts, and networks."""

    hosts: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> AllowList:
        hosts: set[str] = set()
        suffixes: list[str] = []
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                if entry.startswith(("*.", ".")):
                    suffixes.append("." + entry.lstrip("*."))
                else:
                    hosts.add(entry)
        return cls(frozenset(hosts), tuple(suffixes), tuple(networks))

    def allows_host(self, name: str) -> bool:
        name = name.lower().rstrip(".")
        return name in self.hosts or any(name.endswith(s) for s in self.suffixes)

    def allows_ip(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)


def classify(ip: IPAddress) -> str | None:
    """Name the non-public class of an address, or None when it is globally routable."""
    for label, net in _NAMED_NETWORKS:
        if ip.version == net.version and ip in net:
            return label
    for label, attr in _FLAGS:
        if getattr(ip, attr, False):
            return label
    return None if ip.is_global else "non-global"


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 form smuggles (mapped, compatible, 6to4, Teredo, NAT64)."""
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip.teredo is not None:
        return "Teredo", ip.teredo[1]
    if ip in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    packed = ip.packed
    if packed[:12] == bytes(12) and int(ip) > 1:
        return "IPv4-compatible", ipaddress.IPv4Address(packed[12:])
    return None


def check_address(ip: IPAddress, allow: AllowList) -> str | None:
    """Reason the address is refused, or None when it is public or allow-listed."""
    if allow.allows_ip(ip):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = embedded_ipv4(ip)
        if embedded is not None:
            kind, v4 = embedded
            if kind == "IPv4-mapped" and allow.allows_ip(v4):
                return None
            label = classify(v4)
            if label is not None:
                return f"unsafe address {ip} ({kind} {label})"
            if kind == "IPv4-mapped":
                return None
    label = classify(ip)
    return f"unsafe address {ip} ({label})" if label else None


def parse_numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """inet_aton semantics: 2130706433, 0x7f000001, 0177.0.0.1, 127.1 and 0 are all IPs."""
    parts = host.rstrip(".").split(".") if host not in ("", ".") else []
    if not 1 <= len(parts) <= 4:
        return None
    values: list[int] = []
    for part in parts:
        value = _parse_number(part)
        if value is None:
            return None
        values.append(value)
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = sum(v << (8 * (3 - i)) for i, v in enumerate(head)) + last
    return ipaddress.IPv4Address(number)


def _parse_number(part: str) -> int | None:
    try:
        if part[:2] in ("0x", "0X"):
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part, 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None


def literal_address(name: str) -> IPAddress | None:
    """An IP literal in any spelling the OS resolver would accept, else None."""
    try:
        return ipaddress.ip_address(unquote(name).strip("[]"))
    except ValueError:
        return parse_numeric_ipv4(name)


def is_localhost_name(name: str) -> bool:
    """RFC 6761: localhost and *.localhost always mean loopback, whatever DNS says."""
    name = name.rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the OS resolver (no process-wide cache; every fetch re-checks)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%")[0] for info in infos]


@dataclass(frozen=True)
class Target:
    """A vetted URL plus the single address its connection is pinned to."""

    url: httpx.URL
    host_key: str
    ip: str


def _parse(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UnsafeUrlError(f"invalid url: {exc}", url) from None
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise UnsafeUrlError(f"scheme {parsed.scheme or '(none)'!r} not allowed", url)
    if not parsed.raw_host:
        raise UnsafeUrlError("url has no host", url)
    if parsed.userinfo:
        raise UnsafeUrlError("credentials in url not allowed", url)
    return parsed


async def _addresses(name: str, port: int, resolver: Resolver, url: str) -> list[IPAddress]:
    literal = literal_address(name)
    if literal is not None:
        return [literal]
    if is_localhost_name(name):
        return [ipaddress.IPv4Address("127.0.0.1")]
    if not _HOSTNAME.match(name):
        raise UnsafeUrlError(f"malformed host {name!r}", url)
    try:
        found = await resolver(name, port)
        addresses = [ipaddress.ip_address(a) for a in found]
    except (OSError, ValueError, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {name}: {exc}", url) from None
    if not addresses:
        raise FetchError(f"cannot resolve {name}: no addresses", url)
    return addresses


async def vet_url(url: str, allow: AllowList, resolver: Resolver) -> Target:
    """Refuse unsafe URLs; ALL resolved addresses must pass, the first IPv4 one is pinned."""
    parsed = _parse(url)
    host_key = parsed.raw_host.decode("ascii").lower()
    name = host_key.rstrip(".")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = await _addresses(name, port, resolver, url)
    if not allow.allows_host(name):
        for ip in addresses:
            reason = check_address(ip, allow)
            if reason is not None:
                raise UnsafeUrlError(reason, url)
    return Target(url=parsed, host_key=host_key, ip=str(_pick(addresses)))


def _pick(addresses: list[IPAddress]) -> IPAddress:
    """Prefer IPv4 (many hosts lack working IPv6); connect mapped addresses over IPv4."""
    plain = [getattr(ip, "ipv4_mapped", None) or ip for ip in addresses]
    return sorted(plain, key=lambda ip: ip.version)[0]


def socket_backend() -> httpcore.AsyncNetworkBackend:
    """The real socket layer (tests swap it for one that only ever reaches loopback)."""
    return httpcore.AnyIOBackend()


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects a host only to the address the guard pinned for it; anything else fails."""

    def __init__(self, pins: dict[str, str]) -> None:
        self._pins = pins
        self._inner = socket_backend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        ip = self._pins.get(host.lower())
        if ip is None:
            raise httpcore.ConnectError(f"refusing connection to unvetted host {host!r}")
        return await self._inner.connect_tcp(
            ip, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx transport whose sockets go only to pinned addresses (TLS still checks the name)."""

    def __init__(
        self, pins: dict[str, str], limits: httpx.Limits | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        ssl_context = ssl_context or httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(pins),
        )
