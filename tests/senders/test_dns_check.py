"""The DNS check of a sender domain against a real DNS server on 127.0.0.1 (SPEC M1, B3):
ok, missing, different, a server that never answers and one that answers SERVFAIL. No test
needs the internet."""

import time

from app.senders import dnscheck, records, tasks
from app.senders.models import SenderDomain
from app.senders.services import active_key, create_sender, dns_state, refresh_dns
from tests.senders.helpers import post

DOMAIN = "muster-ag.example"


def _publish_all(dns_server, key, spf="v=spf1 mx ip4:203.0.113.25 -all"):
    value = records.dkim_value(key.public_key)
    # as a zone file would: several strings of at most 255 characters
    dns_server.publish(f"{key.selector}._domainkey.{DOMAIN}", records.txt_chunks(value))
    dns_server.publish(DOMAIN, spf, "google-site-verification=abc")
    dns_server.publish(f"_dmarc.{DOMAIN}", "v=DMARC1; p=none")


def test_published_records_are_ok_and_the_state_is_stored_with_its_time(
    app, client, login_as, dns_server
):
    login_as("administrator")
    with app.app_context():
        sender = create_sender("Presse", f"presse@{DOMAIN}")
        _publish_all(dns_server, active_key(sender.domain))
    response = post(client, f"/admin/senders/domains/{sender.domain.id}/check")
    assert response.status_code == 302
    with app.app_context():
        domain = SenderDomain.get_by_id(sender.domain.id)
        assert (domain.dkim_state, domain.spf_state, domain.dmarc_state) == ("ok", "ok", "ok")
        assert domain.checked_at is not None and domain.check_error == ""
        assert dns_state(domain)["dkim"] == "ok"
    assert f"presse._domainkey.{DOMAIN}" not in dns_server.queries
    page = client.get(f"/admin/senders/domains/{sender.domain.id}").get_data(as_text=True)
    assert "The DNS records of muster-ag.example were checked." in page
    assert page.count("published") >= 3 and "Last checked" in page


def test_missing_records(app, dns_server):
    with app.app_context():
        sender = create_sender("Presse", f"presse@{DOMAIN}")
        dns_server.publish(DOMAIN, "google-site-verification=abc")  # TXT, but no SPF
        domain = refresh_dns(sender.domain)
        assert (domain.dkim_state, domain.spf_state, domain.dmarc_state) == (
            "missing",
            "missing",
            "missing",
        )
        assert domain.check_error == ""


def test_different_records(app, client, login_as, dns_server):
    login_as("administrator")
    with app.app_context():
        sender = create_sender("Presse", f"presse@{DOMAIN}")
        key = active_key(sender.domain)
        dns_server.publish(
            f"{key.selector}._domainkey.{DOMAIN}",
            "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAold",
        )
        dns_server.publish(DOMAIN, "v=spf1 include:_spf.other.example ~all")
        dns_server.publish(f"_dmarc.{DOMAIN}", "p=reject")
        domain = refresh_dns(sender.domain)
        assert (domain.dkim_state, domain.spf_state, domain.dmarc_state) == (
            "different",
            "different",
            "different",
        )
    page = client.get(f"/admin/senders/domains/{sender.domain.id}").get_data(as_text=True)
    # the suggestion keeps the published entries and adds ours: one SPF record, never two
    assert "v=spf1 include:_spf.other.example ip4:203.0.113.25 ~all" in page
    assert "Published under this name is another value:" in page
    assert "p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAold" in page


def test_the_key_matches_after_whitespace_and_quote_normalisation(app, dns_server):
    with app.app_context():
        sender = create_sender("Presse", f"presse@{DOMAIN}")
        key = active_key(sender.domain)
        spaced = " ".join(key.public_key[i : i + 60] for i in range(0, len(key.public_key), 60))
        dns_server.publish(
            f"{key.selector}._domainkey.{DOMAIN}",
            [f"v=DKIM1;  k=rsa;\tp={spaced[:200]}", spaced[200:]],
        )
        assert refresh_dns(sender.domain).dkim_state == "ok"


def test_several_spf_records_are_different(app, client, login_as, dns_server):
    login_as("administrator")
    with app.app_context():
        sender = create_sender("Presse", f"presse@{DOMAIN}")
        dns_server.publish(DOMAIN, "v=spf1 ip4:203.0.113.25 -all", "v=spf1 mx -all")
        assert refresh_dns(sender.domain).spf_state == "different"
    page = client.get(f"/admin/senders/domains/{sender.domain.id}").get_data(as_text=True)
    assert "The domain publishes several SPF records" in page


def test_a_server_that_never_answers_gives_could_not_check_within_the_limit(
    app, client, login_as, dns_server
):
    login_as("administrator")
    with app.app_context():
        sender = create_sender("Presse", f"presse@{DOMAIN}")
    dns_server.mode = "silent"
    started = time.monotonic()
    response = post(client, f"/admin/senders/domains/{sender.domain.id}/check")
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < app.config["DNS_LIFETIME"] + 1.5  # all three lookups together, no hang
    with app.app_context():
        domain = SenderDomain.get_by_id(sender.domain.id)
        assert (domain.dkim_state, domain.spf_state, domain.dmarc_state) == (
            "unchecked",
            "unchecked",
            "unchecked",
        )
        assert domain.checked_at is not None
    page = client.get(f"/admin/senders/domains/{sender.domain.id}").get_data(as_text=True)
    assert "Some records could not be checked" in page and "could not check" in page


def test_servfail_gives_could_not_check(app, dns_server):
    dns_server.mode = "servfail"
    with app.app_context():
        sender = create_sender("Presse", f"presse@{DOMAIN}")
        started = time.monotonic()
        domain = refresh_dns(sender.domain)
        assert time.monotonic() - started < 1.0  # SERVFAIL is an answer: no waiting
        assert (domain.dkim_state, domain.spf_state, domain.dmarc_state) == (
            "unchecked",
            "unchecked",
            "unchecked",
        )
        assert "SERVFAIL" in domain.check_error


def test_no_resolver_at_all_gives_could_not_check(app, dns_server, monkeypatch):
    def no_configuration(*args, **kwargs):
        raise dnscheck.dns.resolver.NoResolverConfiguration

    with app.app_context():
        sender = create_sender("Presse", f"presse@{DOMAIN}")
        app.config["DNS_NAMESERVERS"] = ""
        monkeypatch.setattr(dnscheck.dns.resolver, "Resolver", no_configuration)
        domain = refresh_dns(sender.domain)
        assert domain.spf_state == "unchecked" and "no DNS resolver" in domain.check_error


def test_spf_cannot_be_judged_without_the_sending_settings(app, client, login_as, dns_server):
    login_as("administrator")
    app.config.update(SENDING_IPS="", SPF_INCLUDE="")
    with app.app_context():
        sender = create_sender("Presse", f"presse@{DOMAIN}")
        dns_server.publish(DOMAIN, "v=spf1 mx -all")
        assert refresh_dns(sender.domain).spf_state == "unchecked"
    page = client.get(f"/admin/senders/domains/{sender.domain.id}").get_data(as_text=True)
    assert "DEPESCHE_SENDING_IPS" in page


def test_the_periodic_task_checks_domains_with_active_senders(app, dns_server):
    with app.app_context():
        used = create_sender("Presse", f"presse@{DOMAIN}")
        unused = create_sender("Alt", "alt@alt.example")
        from app.senders.services import set_sender_active

        set_sender_active(unused, False)
        _publish_all(dns_server, active_key(used.domain))
        tasks.check_all_domains_now()  # immediate mode: runs the checks now
        assert SenderDomain.get_by_id(used.domain.id).dkim_state == "ok"
        assert SenderDomain.get_by_id(unused.domain.id).checked_at is None


def test_rotation_shows_the_new_record_keeps_the_old_one_until_removed(
    app, client, login_as, dns_server
):
    login_as("administrator")
    with app.app_context():
        sender = create_sender("Presse", f"presse@{DOMAIN}")
        old = active_key(sender.domain)
        _publish_all(dns_server, old)
        refresh_dns(sender.domain)
    assert post(client, f"/admin/senders/domains/{sender.domain.id}/rotate").status_code == 302
    with app.app_context():
        new = active_key(sender.domain)
        assert new.selector == old.selector + "b" and new.public_key != old.public_key
        # the new selector is not looked up yet
        assert SenderDomain.get_by_id(sender.domain.id).dkim_state == "never"
        refresh_dns(SenderDomain.get_by_id(sender.domain.id))
        assert SenderDomain.get_by_id(sender.domain.id).dkim_state == "missing"
    page = client.get(f"/admin/senders/domains/{sender.domain.id}").get_data(as_text=True)
    assert f"{new.selector}._domainkey.{DOMAIN}" in page
    assert f"{old.selector}._domainkey.{DOMAIN}" in page and f"Remove key {old.selector}" in page
    # the key in use cannot be removed; the old one can
    response = post(
        client,
        f"/admin/senders/domains/{sender.domain.id}/keys/{new.id}/remove",
        follow_redirects=True,
    )
    assert "The key in use cannot be removed; rotate the key first." in response.get_data(
        as_text=True
    )
    post(client, f"/admin/senders/domains/{sender.domain.id}/keys/{old.id}/remove")
    page = client.get(f"/admin/senders/domains/{sender.domain.id}").get_data(as_text=True)
    assert f"{old.selector}._domainkey" not in page and f"{new.selector}._domainkey" in page


def test_the_domain_page_shows_every_record_both_ways(app, client, login_as, dns_server):
    login_as("administrator")
    with app.app_context():
        sender = create_sender("Presse", f"presse@{DOMAIN}")
        key = active_key(sender.domain)
    page = client.get(f"/admin/senders/domains/{sender.domain.id}").get_data(as_text=True)
    record = records.dkim_record(key.selector, DOMAIN, key.public_key)
    assert record.value in page  # one line
    assert record.zone_line.replace('"', "&#34;") in page  # zone file, strings of 255
    assert "v=spf1 ip4:203.0.113.25 ~all" in page
    assert f"_dmarc.{DOMAIN}" in page and f"v=DMARC1; p=none; rua=mailto:dmarc@{DOMAIN}" in page
