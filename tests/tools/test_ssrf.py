"""SSRF guard: address classes, tricky spellings, allow-list, pinning.

Only loopback is ever reached over a socket. Private, link-local, metadata and public
addresses are checked at the classification level or through a fake resolver plus a
transport that fails the test on any request.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from reservoir.config import Settings
from reservoir.tools import ssrf
from reservoir.tools.fetch import Fetcher, FetchError, UnsafeUrlError, check_address
from reservoir.tools.ssrf import AllowList, PinnedTransport, parse_numeric_ipv4, vet_url

NOTHING = AllowList()
LOOPBACK = AllowList.from_entries(["127.0.0.0/8", "localhost"])


@pytest.mark.parametrize(
    ("address", "label"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("fec0::1", "site-local"),
        ("fd00::1", "private"),
        ("100.64.0.1", "shared address space"),
        ("198.18.0.1", "benchmark"),
        ("192.0.2.1", "documentation"),
        ("240.0.0.1", "private"),
        ("255.255.255.255", "private"),
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
        ("::ffff:10.0.0.1", "IPv4-mapped private"),
        ("::ffff:169.254.169.254", "IPv4-mapped link-local"),
        ("::127.0.0.1", "IPv4-compatible loopback"),
        ("2002:7f00:1::", "6to4 loopback"),
        ("2002:a9fe:a9fe::", "6to4 link-local"),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo private"),
        ("64:ff9b::a00:1", "NAT64 private"),
    ],
)
def test_non_public_addresses_are_refused(address: str, label: str) -> None:
    reason = check_address(ipaddress.ip_address(address), NOTHING)
    assert reason is not None and reason.endswith(f"({label})"), reason


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::"]
)
def test_public_addresses_pass(address: str) -> None:
    assert check_address(ipaddress.ip_address(address), NOTHING) is None


def test_allow_list_networks_and_mapped_forms() -> None:
    assert check_address(ipaddress.ip_address("127.0.0.1"), LOOPBACK) is None
    assert check_address(ipaddress.ip_address("::ffff:127.0.0.1"), LOOPBACK) is None
    assert check_address(ipaddress.ip_address("::1"), LOOPBACK) is not None
    assert check_address(ipaddress.ip_address("10.0.0.1"), LOOPBACK) is not None
    single = AllowList.from_entries(["10.1.2.3", "*.intranet.test"])
    assert check_address(ipaddress.ip_address("10.1.2.3"), single) is None
    assert check_address(ipaddress.ip_address("10.1.2.4"), single) is not None
    assert single.allows_host("wiki.intranet.test.") and not single.allows_host("intranet.tester")


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"), ("127.0.1", "127.0.0.1"), ("0", "0.0.0.0"),
        ("0x7f.0x0.0.01", "127.0.0.1"), ("0xA9FEA9FE", "169.254.169.254"),
        ("127.0.0.1.", "127.0.0.1"), ("example.com", None), ("08.1", None), ("1.2.3.4.5", None),
        ("256.1.1.1", None), ("", None),
    ],
)
def test_numeric_host_spellings(spelling: str, expected: str | None) -> None:
    parsed = parse_numeric_ipv4(spelling)
    assert (str(parsed) if parsed else None) == expected


def loopback_attempts(port: int) -> list[str]:
    """Many ways of writing 'this machine'; all must be refused unless loopback is allowed."""
    return [
        f"http://127.0.0.1:{port}/",
        f"http://localhost:{port}/",
        f"http://localhost.:{port}/",
        f"http://LOCALHOST:{port}/",
        f"http://api.localhost:{port}/",
        f"HTTP://127.0.0.1:{port}/",
        f"http://2130706433:{port}/",
        f"http://0x7f000001:{port}/",
        f"http://0x7f.0.0.1:{port}/",
        f"http://0177.0.0.1:{port}/",
        f"http://127.1:{port}/",
        f"http://127.0.1:{port}/",
        f"http://127.0.0.1.:{port}/",
        f"http://127\u30020\u30020\u30021:{port}/",
        f"http://0:{port}/",
        f"http://0.0.0.0:{port}/",
        f"http://[::1]:{port}/",
        f"http://[::]:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://[::ffff:7f00:1]:{port}/",
        f"http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/",
        f"http://[::127.0.0.1]:{port}/",
        f"http://example.com@127.0.0.1:{port}/",
        f"http://user:pass@localhost:{port}/",
        "file:///etc/passwd",
        f"gopher://127.0.0.1:{port}/_GET%20/",
        f"ftp://127.0.0.1:{port}/",
        "data:text/html,<h1>hi</h1>",
        "javascript:alert(1)",
        f"//127.0.0.1:{port}/",
        "http:///nohost",
    ]


async def test_loopback_spellings_refused_when_not_allowed(
    server: Any, make_settings: Callable[..., Settings]
) -> None:
    server.route("/", body=b"secret", headers={"Content-Type": "text/plain"})
    attempts = loopback_attempts(server.port)
    assert len(attempts) >= 20
    async with Fetcher(make_settings(fetch_allow=[])) as fetcher:
        for url in attempts:
            with pytest.raises(UnsafeUrlError) as info:
                await fetcher.fetch(url)
            assert info.value.reason and info.value.url == url
    assert server.hits == []


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "LOCALHOST", "localhost.", "2130706433", "0x7f000001", "127.1",
     "[::ffff:127.0.0.1]"],
)
async def test_loopback_reachable_when_configured(
    server: Any, make_settings: Callable[..., Settings], host: str
) -> None:
    server.route("/", body=b"hello", headers={"Content-Type": "text/plain"})
    async with Fetcher(make_settings()) as fetcher:
        result = await fetcher.fetch(server.url("/", host=host))
    assert result.text == "hello"


async def test_only_the_configured_entry_is_allowed(
    server: Any, make_settings: Callable[..., Settings]
) -> None:
    server.route("/", body=b"hello", headers={"Content-Type": "text/plain"})
    async with Fetcher(make_settings(fetch_allow=["localhost"])) as fetcher:
        assert (await fetcher.fetch(server.url("/", host="localhost"))).text == "hello"
        with pytest.raises(UnsafeUrlError, match="loopback"):
            await fetcher.fetch(server.url("/", host="127.0.0.1"))
    assert len(server.hits_for("/")) == 1


INTERNAL = {
    "intranet.example.com": ["10.0.0.7"],
    "router.example.com": ["192.168.1.1"],
    "corp.example.com": ["172.16.5.4"],
    "metadata.example.com": ["169.254.169.254"],
    "cgnat.example.com": ["100.64.0.1"],
    "ula.example.com": ["fd00::1"],
    "linklocal6.example.com": ["fe80::1"],
    "mapped.example.com": ["::ffff:10.0.0.1"],
    "sixtofour.example.com": ["2002:a00:1::"],
    "zero.example.com": ["0.0.0.0"],
    "multicast.example.com": ["224.0.0.1"],
    "mixed.example.com": ["93.184.216.34", "10.0.0.1"],
    "rebind.example.com": ["127.0.0.1"],
}


@pytest.mark.parametrize("host", sorted(INTERNAL))
async def test_public_looking_names_resolving_inside_are_refused(
    make_settings: Callable[..., Settings], fake_resolver: Any,
    fail_transport: httpx.MockTransport, host: str,
) -> None:
    resolver = fake_resolver(INTERNAL)
    settings = make_settings(fetch_allow=[])
    async with Fetcher(settings, transport=fail_transport, resolver=resolver) as fetcher:
        with pytest.raises(UnsafeUrlError, match="unsafe address"):
            await fetcher.fetch(f"http://{host}/feed.xml")
    assert resolver.calls == [host]


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/", "http://172.16.0.1:8080/", "http://192.168.0.1/admin",
        "http://169.254.169.254/latest/meta-data/", "http://0xA9FEA9FE/latest/meta-data/",
        "http://2852039166/", "http://[fd00::1]/", "http://[fe80::1%25eth0]/",
        "http://[::ffff:169.254.169.254]/", "http://100.64.0.1/", "https://10.1.1.1/",
        "http://metadata.google.internal@169.254.169.254/",
    ],
)
async def test_private_literals_refused_without_connecting(
    make_settings: Callable[..., Settings], fail_transport: httpx.MockTransport, url: str
) -> None:
    async with Fetcher(make_settings(), transport=fail_transport) as fetcher:
        with pytest.raises(UnsafeUrlError):
            await fetcher.fetch(url)


async def test_public_name_passes_the_guard(
    make_settings: Callable[..., Settings], fake_resolver: Any
) -> None:
    """The guard is not a blanket refusal: a public address reaches the (mock) transport."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, text="ok", headers={"Content-Type": "text/plain"})

    resolver = fake_resolver({"news.example.com": ["93.184.216.34"]})
    settings = make_settings(fetch_allow=[], fetch_respect_robots=False)
    async with Fetcher(settings, transport=httpx.MockTransport(answer), resolver=resolver) as f:
        result = await f.fetch("https://news.example.com/a")
    assert result.text == "ok" and seen == ["https://news.example.com/a"]


async def test_connection_is_pinned_to_the_checked_address(
    server: Any, make_settings: Callable[..., Settings], fake_resolver: Any
) -> None:
    """DNS is asked once; the socket goes to that address (the real name is never resolved)."""
    server.route("/", body=b"pinned", headers={"Content-Type": "text/plain"})
    resolver = fake_resolver({"rebind.example.com": ["127.0.0.1"]})
    settings = make_settings(fetch_respect_robots=False)
    async with Fetcher(settings, resolver=resolver) as fetcher:
        result = await fetcher.fetch(f"http://rebind.example.com:{server.port}/")
    assert result.text == "pinned"
    assert resolver.calls == ["rebind.example.com"]
    assert server.hits[0].headers["host"] == f"rebind.example.com:{server.port}"


async def test_pinned_transport_refuses_unvetted_hosts(server: Any) -> None:
    server.route("/", body=b"x")
    async with httpx.AsyncClient(transport=PinnedTransport({})) as client:
        with pytest.raises(httpx.ConnectError, match="unvetted"):
            await client.get(server.url("/"))
    assert server.hits == []


async def test_vet_url_reports_resolution_failures(fake_resolver: Any) -> None:
    async def broken(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(FetchError, match="cannot resolve"):
        await vet_url("http://nowhere.example/", NOTHING, broken)
    with pytest.raises(UnsafeUrlError, match="malformed host"):
        await vet_url("http://exa%6dple.com/", NOTHING, fake_resolver({}))


async def test_system_resolver_uses_getaddrinfo() -> None:
    assert await ssrf.system_resolver("127.0.0.1", 80) == ["127.0.0.1"]


def _self_signed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A throw-away certificate for `name`, so HTTPS pinning can be tested on loopback."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    return cert_path, key_path


async def test_https_pinning_keeps_name_verification(
    tmp_path: Path, make_server: Callable[..., Any]
) -> None:
    """The socket goes to the pinned IP, yet SNI and the certificate check use the host name."""
    cert, key = _self_signed(tmp_path, "pinned.example")
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    server = make_server(tls=server_tls)
    server.route("/", body=b"over tls", headers={"Content-Type": "text/plain"})
    client_tls = ssl.create_default_context(cafile=str(cert))
    pins = {"pinned.example": "127.0.0.1", "impostor.example": "127.0.0.1"}
    async with httpx.AsyncClient(transport=PinnedTransport(pins, ssl_context=client_tls)) as c:
        response = await c.get(server.url("/", host="pinned.example"))
        assert response.text == "over tls"
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await c.get(server.url("/", host="impostor.example"))
    assert [hit.headers["host"] for hit in server.hits] == [f"pinned.example:{server.port}"]
