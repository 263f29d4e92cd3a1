"""DKIM signatures (SPEC M4): made with `cryptography`, verified by an independent
implementation (dkimpy) that fetches our public key record from the local DNS server."""

from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import dkim
import pytest

from app.clock import utcnow
from app.senders import dnscheck, records
from app.senders.dkim import SigningError, relaxed_body, relaxed_header, sign, signer_for
from app.senders.services import active_key, create_sender, rotate_key

DOMAIN = "muster-ag.example"


def _message(subject="Pressemitteilung: Neue Fabrik in Köln", body=None) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Pressestelle Muster AG <presse@{DOMAIN}>"
    msg["To"] = "Erika Mustermann <erika@zeitung.example>"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow().replace(tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain=DOMAIN)
    msg["List-Unsubscribe"] = "<https://depesche.example/u/abc>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(body or "Sehr geehrte Frau Mustermann,\n\n  heute  eröffnen wir …  \n\n\n")
    msg.add_alternative("<p>Sehr geehrte Frau Mustermann,</p>", subtype="html")
    return msg.as_bytes()


def _dnsfunc_via_local_server(app):
    """dkimpy's DNS function, answered by our resolver and the local test server."""

    def dnsfunc(name, timeout=5):
        with app.app_context():
            values = dnscheck.Lookup().txt(name.decode().rstrip("."))
        return values[0].encode() if values else None

    return dnsfunc


@pytest.fixture
def published(app, dns_server):
    with app.app_context():
        sender = create_sender("Presse", f"presse@{DOMAIN}")
        key = active_key(sender.domain)
        record = records.dkim_record(key.selector, DOMAIN, key.public_key)
        dns_server.publish(record.name, record.chunks)
    return key


def test_a_signed_message_verifies_with_dkimpy_through_dns(app, published):
    with app.app_context():
        signed = sign(_message(), DOMAIN)
    assert signed.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=")
    header = signed.split(b"\r\n\r\n")[0].decode()
    assert f"s={published.selector};" in header
    assert (
        "h=from:to:subject:date:message-id:mime-version:content-type:list-unsubscribe:"
        "list-unsubscribe-post;" in header
    )
    assert all(len(line) <= 998 for line in signed.split(b"\r\n"))
    assert dkim.verify(signed, dnsfunc=_dnsfunc_via_local_server(app))


def test_relaxed_canonicalisation_survives_harmless_changes_but_not_tampering(app, published):
    with app.app_context():
        signed = sign(_message(), DOMAIN)
    dnsfunc = _dnsfunc_via_local_server(app)
    # relays may refold headers and change whitespace: relaxed/relaxed still verifies
    loose = signed.replace(b"Subject: ", b"subject:   \r\n\t") + b"\r\n\r\n"
    assert dkim.verify(loose, dnsfunc=dnsfunc)
    for tampered in (
        signed.replace(b"Neue Fabrik", b"Alte Fabrik"),
        signed.replace(b"Sehr geehrte", b"Liebe"),
        signed.replace(b"erika@zeitung.example", b"boss@zeitung.example"),
    ):
        assert tampered != signed and not dkim.verify(tampered, dnsfunc=dnsfunc)


def test_a_rotated_key_signs_under_its_new_selector(app, dns_server, published):
    with app.app_context():
        new = rotate_key(published.domain)
        signed = sign(_message(), DOMAIN)
    assert f"s={new.selector};".encode() in signed
    # not yet published: verification fails; published: it verifies
    assert not dkim.verify(signed, dnsfunc=_dnsfunc_via_local_server(app))
    record = records.dkim_record(new.selector, DOMAIN, new.public_key)
    dns_server.publish(record.name, record.chunks)
    assert dkim.verify(signed, dnsfunc=_dnsfunc_via_local_server(app))


def test_bare_lf_messages_and_odd_bodies_are_signed_as_sent(app, published):
    dnsfunc = _dnsfunc_via_local_server(app)
    plain = (
        f"From: presse@{DOMAIN}\nTo: a@b.example\nSubject: kurz\n"
        "X-Extra: not signed\n\nZeile mit Leerzeichen   \n\n\n"
    ).encode()
    with app.app_context():
        for message in (plain, plain.rstrip(b"\n").rsplit(b"\n\n", 1)[0] + b"\n\n"):
            signed = sign(message, DOMAIN)
            assert b"\n" not in signed.replace(b"\r\n", b"")
            assert b"h=from:to:subject;" in signed
            assert dkim.verify(signed, dnsfunc=dnsfunc), message


def test_unknown_domains_and_messages_without_from_are_refused(app, published):
    with app.app_context():
        with pytest.raises(SigningError):
            sign(_message(), "unbekannt.example")
        with pytest.raises(SigningError):
            signer_for(DOMAIN).sign(b"To: a@b.example\r\n\r\nHallo\r\n")


def test_canonicalisation_rules():
    assert relaxed_header(b"SubJect :  Hallo \t Welt  \r\n\tzweite Zeile \r\n") == (
        b"subject:Hallo Welt zweite Zeile\r\n"
    )
    assert relaxed_body(b"a  \t b \r\n\r\n\r\n") == b"a b\r\n"
    assert relaxed_body(b"\r\n\r\n") == b""
    assert relaxed_body(b"ohne Zeilenende") == b"ohne Zeilenende\r\n"
    assert relaxed_body(b"a\r\n \t") == b"a\r\n"
    assert relaxed_body(b"a \r\n\tb\t\r\n \r\n") == b"a\r\n b\r\n"
    assert relaxed_body(b"") == b""


def test_dkimpy_agrees_on_the_body_hash(app, published):
    """Sign the same message with dkimpy (its own code throughout) and compare bh=."""
    from app.senders.keys import private_key

    message = _message().replace(b"\n", b"\r\n")
    with app.app_context():
        ours = sign(message, DOMAIN)
        key = private_key(published.private_key)
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    theirs = (
        dkim.sign(
            message,
            published.selector.encode(),
            DOMAIN.encode(),
            pem,
            canonicalize=(b"relaxed", b"relaxed"),
        )
        + message
    )

    def body_hash(signed):
        header = signed.split(b"\r\n\r\n")[0].replace(b"\r\n\t", b"").replace(b"\r\n ", b"")
        return header.split(b"bh=")[1].split(b";")[0].strip()

    assert body_hash(ours) == body_hash(theirs)
    assert dkim.verify(theirs, dnsfunc=_dnsfunc_via_local_server(app))


def test_the_local_server_really_answers_txt(app, published):
    with app.app_context():
        values = dnscheck.Lookup().txt(f"{published.selector}._domainkey.{DOMAIN}")
    assert values and values[0].startswith("v=DKIM1; k=rsa; p=MIIB")
