import pytest

from tests.senders.dnsserver import LocalDNS


@pytest.fixture(scope="session")
def _dns_server():
    server = LocalDNS()
    yield server
    server.close()


@pytest.fixture
def dns_server(_dns_server):
    """The local DNS server, emptied and answering, for one test."""
    _dns_server.txt.clear()
    _dns_server.queries.clear()
    _dns_server.mode = "answer"
    yield _dns_server
    _dns_server.mode = "answer"


@pytest.fixture
def config(config, dns_server):
    """The app asks only the local DNS server, with a short time limit."""
    return {
        **config,
        "DNS_NAMESERVERS": "127.0.0.1",
        "DNS_PORT": dns_server.port,
        "DNS_LIFETIME": 1.0,
        "SENDING_IPS": "203.0.113.25",
        "SPF_INCLUDE": "",
    }
