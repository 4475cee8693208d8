"""The private-network guard: loopback, private, link-local and metadata addresses are not public."""

import pytest

from crawler.middlewares.netguard import is_public_address, non_public_address


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "::1", "fe80::1", "fc00::1", "0.0.0.0", "::ffff:127.0.0.1", "224.0.0.1"])
def test_non_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "8.8.8.8"])
def test_public(address: str) -> None:
    assert is_public_address(address)


def test_host_names_resolving_to_loopback_are_caught() -> None:
    assert non_public_address("localhost") in {"127.0.0.1", "::1"}
    assert non_public_address("127.0.0.1") == "127.0.0.1"
