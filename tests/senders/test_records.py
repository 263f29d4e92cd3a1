"""The records a sender domain must publish (SPEC M1): pure functions."""

import pytest

from app.senders import records
from app.senders.keys import new_selector


def test_a_long_value_is_split_into_strings_of_255_for_zone_files():
    key = "A" * 392  # the length of an RSA-2048 public key in base64
    record = records.dkim_record("depesche202611", "agentur.example", key)
    assert record.name == "depesche202611._domainkey.agentur.example"
    assert record.value == f"v=DKIM1; k=rsa; p={key}"
    assert [len(c) for c in record.chunks] == [255, len(record.value) - 255]
    assert "".join(record.chunks) == record.value
    assert record.zone_line == (
        f'depesche202611._domainkey.agentur.example. IN TXT ( "{record.chunks[0]}" '
        f'"{record.chunks[1]}" )'
    )
    short = records.dmarc_record("agentur.example")
    assert short.zone_line == (
        '_dmarc.agentur.example. IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@agentur.example"'
    )


@pytest.mark.parametrize(
    ("published", "suggested"),
    [
        (None, "v=spf1 ip4:203.0.113.25 include:spf.relay.example ~all"),
        ("v=spf1 mx -all", "v=spf1 mx ip4:203.0.113.25 include:spf.relay.example -all"),
        (
            "v=spf1 include:_spf.google.com ?all",
            "v=spf1 include:_spf.google.com ip4:203.0.113.25 include:spf.relay.example ?all",
        ),
        (
            "v=spf1 a redirect=_spf.example.net",
            "v=spf1 a ip4:203.0.113.25 include:spf.relay.example redirect=_spf.example.net",
        ),
        ("v=spf1 mx", "v=spf1 mx ip4:203.0.113.25 include:spf.relay.example"),
        # already allowed (a network holding our address counts): unchanged
        (
            "v=spf1 ip4:203.0.113.0/24 include:SPF.relay.example. ~all",
            "v=spf1 ip4:203.0.113.0/24 include:SPF.relay.example. ~all",
        ),
        # only the include is missing
        ("v=spf1 ip4:203.0.113.25 -all", "v=spf1 ip4:203.0.113.25 include:spf.relay.example -all"),
    ],
)
def test_the_spf_suggestion_merges_with_the_published_record(published, suggested):
    mechanisms = ["ip4:203.0.113.25", "include:spf.relay.example"]
    assert records.spf_suggestion(published, mechanisms) == suggested
    assert records.spf_suggestion(published, mechanisms).count("v=spf1") == 1


def test_our_mechanisms_come_from_the_settings(app_ctx):
    app_ctx.config.update(SENDING_IPS="203.0.113.25, 2001:DB8::0:1", SPF_INCLUDE="Relay.Example")
    assert records.our_mechanisms() == [
        "ip4:203.0.113.25",
        "ip6:2001:db8::1",
        "include:relay.example",
    ]
    assert records.spf_missing("v=spf1 ip6:2001:db8::/32 -all", records.our_mechanisms()) == [
        "ip4:203.0.113.25",
        "include:relay.example",
    ]


def test_tags_ignore_spaces_quotes_and_case_of_names():
    assert records.tags('v=DKIM1; K=rsa; p=MIIB AQAB\t CD" "EF;') == {
        "v": "DKIM1",
        "k": "rsa",
        "p": "MIIBAQABCDEF",
    }


def test_a_rotation_in_the_same_month_gets_a_new_selector(clock):
    base = new_selector(set())
    assert base.startswith("depesche") and len(base) == len("depesche202611")
    assert new_selector({base}) == base + "b"
    assert new_selector({base, base + "b"}) == base + "c"


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "SENDING_IPS",
            "203.0.113.25, 1.2.3",
            "DEPESCHE_SENDING_IPS: '1.2.3' is not an IP address",
        ),
        ("SPF_INCLUDE", "not a domain", "DEPESCHE_SPF_INCLUDE: 'not a domain' is not a domain"),
        ("DNS_NAMESERVERS", "dns.example", "DEPESCHE_DNS_NAMESERVERS: 'dns.example' is not an IP"),
        ("DNS_PORT", "70000", "DEPESCHE_DNS_PORT: expected a port between 1 and 65535"),
    ],
)
def test_sending_and_dns_settings_are_checked_at_start(tmp_path, setting, value, message):
    from app.config import ConfigError, load

    environ = {"DEPESCHE_DATA_DIR": str(tmp_path), f"DEPESCHE_{setting}": value}
    with pytest.raises(ConfigError) as error:
        load(environ=environ)
    assert str(error.value).startswith(message)


def test_the_hourly_check_is_a_periodic_task(app):
    from app.extensions import huey

    registry = huey._registry
    periodic = {registry.task_to_string(task) for task in registry._periodic_tasks}
    assert "app.senders.tasks.check_all_domains" in periodic
