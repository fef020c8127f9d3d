"""Which webhook URLs and addresses the hub refuses, judged without any connection."""

from __future__ import annotations

import pytest

from hub.platform.outbound import OutboundRules, RefusedTarget, check_url, refused_address

STRICT = OutboundRules()

# Public addresses, judged as strings only: nothing here resolves or connects.
PUBLIC = ["8.8.8.8", "2a00:1450:4001:80b::200e", "145.97.39.155"]
REFUSED = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "::1": "loopback",
    "::ffff:127.0.0.1": "loopback",  # IPv4-mapped
    "10.0.0.1": "public",
    "172.16.5.4": "public",
    "192.168.1.1": "public",
    "100.64.0.1": "public",  # carrier-grade NAT
    "169.254.169.254": "link-local",  # cloud metadata
    "fe80::1%eth0": "link-local",
    "fd00::1": "public",  # unique local
    "0.0.0.0": "public",  # noqa: S104 - a string judged, nothing binds
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "2002:7f00:1::": "loopback",  # 6to4 of 127.0.0.1
    "192.0.2.10": "public",  # documentation
    "not-an-ip": "not an IP",
}


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refused_address(address) is None


@pytest.mark.parametrize(("address", "why"), REFUSED.items())
def test_internal_addresses_are_refused(address: str, why: str) -> None:
    reason = refused_address(address)
    assert reason is not None
    assert why in reason


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://partner.example/hook", "https://"),
        ("file:///etc/passwd", "https://"),
        ("gopher://partner.example/", "https://"),
        ("https://user:pw@partner.example/", "user name"),
        ("https://partner.example/#x", "fragment"),
        ("https:///hook", "no host"),
        ("https://partner.example:0/", "port 0"),
        ("https://partner.example:99999/", "cannot be read"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://[::1]:8443/", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://10.1.2.3/", "not a public"),
        ("https://partner.example/a b", "spaces"),
        ("https://partner.example/" + "a" * 2001, "longer"),
    ],
)
def test_urls_refused_by_form(url: str, why: str) -> None:
    with pytest.raises(RefusedTarget, match=why):
        check_url(url, STRICT)


def test_development_rules_allow_http_and_loopback() -> None:
    development = OutboundRules(allow_http=True, allow_private=True)
    assert check_url("http://127.0.0.1:8080/feedback", development) == "127.0.0.1"
    assert check_url("https://partner.example/hook", STRICT) == "partner.example"
    with pytest.raises(RefusedTarget, match="loopback"):
        check_url("http://127.0.0.1:8080/", OutboundRules(allow_http=True))
    with pytest.raises(RefusedTarget, match="https://"):
        check_url("file:///etc/passwd", development)
