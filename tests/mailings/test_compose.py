"""The mailing composer (SPEC M2, M3) through real requests: drafts, sanitised HTML, the
text part, placeholders and the preview, recipients from lists, attachments with the size
limit, the test message to oneself through the real SMTP sink, rights, bad input."""

import io
import re

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.files import path_for
from app.lists.models import DistributionList, ListMember
from app.mailings.models import Mailing, MailingAttachment
from app.settings.services import set_value
from tests.conftest import csrf_token

HX = {"HX-Request": "true"}


def _post(client, path, data=None, headers=None):
    token = csrf_token(client, "/mailings/")
    return client.post(path, data={**(data or {}), "csrf_token": token}, headers=headers or {})


def _new(client, world, subject="Neue Energiestrategie"):
    response = _post(client, "/mailings/new", {"client_id": world["alpha"].id, "subject": subject})
    assert response.status_code == 302
    return int(re.search(r"/mailings/(\d+)", response.headers["Location"]).group(1))


def _save(client, mailing_id, headers=None, **fields):
    data = {"subject": "Neue Energiestrategie", "html": "", "priority": "standard", **fields}
    return _post(client, f"/mailings/{mailing_id}", data, headers)


def _attach(client, mailing_id, content, name):
    token = csrf_token(client, f"/mailings/{mailing_id}")
    boundary, body = encode_multipart(
        {"csrf_token": token, "file": FileStorage(io.BytesIO(content), name)}
    )
    return client.post(
        f"/mailings/{mailing_id}/attachments",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _with_list(app, world, mailing_id, *people):
    with app.app_context():
        lst = DistributionList.create(client=world["alpha"], name="Energie")
        for key in people:
            ListMember.create(distribution_list=lst, person=world[key])
    return lst


def test_hostile_html_is_sanitised_and_the_text_part_follows(app, client, world):
    mailing_id = _new(client, world)
    hostile = (
        '<h2 onclick="steal()">Neue Strategie</h2><p>{{anrede}}</p><script>alert(1)</script>'
        '<p>Mehr in der <a href="javascript:alert(2)">Mappe</a> und '
        '<a href="https://presse.example/mappe">online</a>.</p>'
        '<form action="https://evil.example"><input name="p"></form><img src=x onerror="y()">'
        '<p style="position:fixed">Ende</p>'
    )
    assert _save(client, mailing_id, html=hostile).status_code == 302
    with app.app_context():
        mailing = Mailing.get_by_id(mailing_id)
    for bad in ("script", "onclick", "javascript:", "<form", "<input", "onerror", "style="):
        assert bad not in mailing.html, bad
    assert (
        '<a href="https://presse.example/mappe" rel="noopener noreferrer">online</a>'
        in mailing.html
    )
    assert "[online](https://presse.example/mappe)" in mailing.text and not mailing.text_edited
    # an edited text part is kept, until the user asks for it to be made again
    _save(client, mailing_id, html=mailing.html, text="Eigener Text für Textmails")
    with app.app_context():
        assert Mailing.get_by_id(mailing_id).text_edited
    _save(
        client, mailing_id, html=mailing.html + "<p>Nachtrag</p>", text="Eigener Text für Textmails"
    )
    with app.app_context():
        assert Mailing.get_by_id(mailing_id).text == "Eigener Text für Textmails"
    _post(client, f"/mailings/{mailing_id}/text")
    with app.app_context():
        assert "Nachtrag" in Mailing.get_by_id(mailing_id).text


def test_autosave_answers_a_small_line(app, client, world):
    mailing_id = _new(client, world)
    saved = _save(client, mailing_id, HX, html="<p>Entwurf</p>")
    assert saved.status_code == 200 and "Saved at" in saved.get_data(as_text=True)
    warned = _save(client, mailing_id, HX, html="<p>{{anrde}}</p>")
    assert "Unknown placeholders stay as they are: {{anrde}}" in warned.get_data(as_text=True)
    too_long = _save(client, mailing_id, HX, subject="x" * 301)
    assert too_long.status_code == 422 and "At most 300 characters" in too_long.get_data(
        as_text=True
    )


def _sender(app, world, mailing_id=None):
    """A sender account of the user (with its DKIM key), chosen for the mailing."""
    from app.senders.services import assign_users, create_sender

    with app.app_context():
        sender = create_sender(
            "Pressestelle Alpha", "presse@alpha-ag.example", "antwort@alpha-ag.example"
        )
        assign_users(sender, [world["user"].id])
        if mailing_id:
            Mailing.update(sender=sender.id).where(Mailing.id == mailing_id).execute()
    return sender


def test_recipients_preview_and_test_message(app, client, world, outbox):
    import dkim

    from app.senders.models import DkimKey

    mailing_id = _new(client, world)
    sender = _sender(app, world)
    lst = _with_list(app, world, mailing_id, "anna", "juergen", "karl")
    _save(
        client,
        mailing_id,
        html="<p>{{anrede}}</p><p>wir laden Sie ein, {{vorname}}.</p>",
        subject="Einladung für {{nachname}}",
        sender_id=sender.id,
    )
    assert _post(client, f"/mailings/{mailing_id}/sources", {"list_id": lst.id}).status_code == 302
    page = client.get(f"/mailings/{mailing_id}").get_data(as_text=True)
    # Anna has an address; Jürgen and Karl have none
    assert "1 recipient" in page and "left out, no e-mail address: 2" in page
    preview = client.get(f"/mailings/{mailing_id}/preview").get_data(as_text=True)
    assert "Guten Tag Anna Müller," in preview and "wir laden Sie ein, Anna." in preview
    assert "Einladung für Müller" in preview
    with app.app_context():
        pdf = b"%PDF-1.4 Pressemappe"
    assert _attach(client, mailing_id, pdf, "Pressemappe.pdf").status_code == 302
    assert _post(client, f"/mailings/{mailing_id}/test").status_code == 302
    assert len(outbox) == 1
    message = outbox[0]
    assert message["To"].addresses[0].addr_spec == world["user"].email
    assert message["From"] == "Pressestelle Alpha <presse@alpha-ag.example>"
    assert message["Reply-To"] == "antwort@alpha-ag.example"
    # signed with the sender domain's key, verified independently (dkimpy)
    with app.app_context():
        key = DkimKey.select().get()
    record = f"v=DKIM1; k=rsa; p={key.public_key}".encode()
    assert dkim.verify(message.raw, dnsfunc=lambda name, timeout=5: record)
    assert message["Subject"] == "[Test] Einladung für Müller"
    assert "Guten Tag Anna Müller," in message.get_body(("plain",)).get_content()
    assert "Guten Tag Anna Müller," in message.get_body(("html",)).get_content()
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["Pressemappe.pdf"]
    assert attachments[0].get_content() == pdf


def test_test_message_when_the_relay_refuses(app, client, world):
    import socket

    mailing_id = _new(client, world)
    no_sender = _post(client, f"/mailings/{mailing_id}/test")
    assert "Please choose the sender first." in client.get(no_sender.headers["Location"]).get_data(
        as_text=True
    )
    _sender(app, world, mailing_id)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    response = _post(client, f"/mailings/{mailing_id}/test")
    assert "The test message could not be sent" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)


def test_attachment_limit_and_removal(app, client, world):
    mailing_id = _new(client, world)
    with app.app_context():
        set_value("mailing_attachments_mb", 1)
    _attach(client, mailing_id, b"a" * 700_000, "teil1.pdf")
    refused = _attach(client, mailing_id, b"b" * 400_000, "teil2.pdf")
    assert "The attachments may total at most 1 MB." in client.get(
        refused.headers["Location"]
    ).get_data(as_text=True)
    empty = _attach(client, mailing_id, b"", "leer.pdf")
    assert "The file is empty." in client.get(empty.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        (attachment,) = MailingAttachment.select()
        path = path_for(attachment.file_sha256)
    assert path.exists()
    _post(client, f"/mailings/{mailing_id}/attachments/{attachment.id}/delete")
    assert not path.exists()


def test_sources_of_other_clients_and_rights(app, client, world):
    mailing_id = _new(client, world)
    with app.app_context():
        beta_list = DistributionList.create(client=world["beta"], name="Beta")
        secret = DistributionList.create(client=world["gamma"], name="Geheim")
        foreign = Mailing.create(client=world["beta"], subject="Beta-Aussendung")
        hidden = Mailing.create(client=world["gamma"], subject="Geheime Aussendung")
    wrong = _post(client, f"/mailings/{mailing_id}/sources", {"list_id": beta_list.id})
    assert "Only lists of the mailing&#39;s client can receive it." in client.get(
        wrong.headers["Location"]
    ).get_data(as_text=True)
    assert (
        _post(client, f"/mailings/{mailing_id}/sources", {"list_id": secret.id}).status_code == 404
    )
    other = _post(client, f"/mailings/{mailing_id}/sources", {"person_id": world["bea"]})
    assert "Only contacts of the mailing&#39;s client can receive it." in client.get(
        other.headers["Location"]
    ).get_data(as_text=True)
    assert _save(client, foreign.id, html="<p>x</p>").status_code == 403
    assert _save(client, hidden.id, html="<p>x</p>").status_code == 404
    assert client.get(f"/mailings/{hidden.id}").status_code == 404
    assert client.get(f"/mailings/{hidden.id}/preview").status_code == 404
    listing = client.get("/mailings/").get_data(as_text=True)
    assert "Beta-Aussendung" in listing and "Geheime Aussendung" not in listing


def test_only_ones_own_senders(app, client, world):
    from app.senders.services import create_sender

    mailing_id = _new(client, world)
    with app.app_context():
        foreign = create_sender("Fremd", "fremd@andere.example")
    refused = _save(client, mailing_id, html="<p>x</p>", sender_id=foreign.id)
    assert refused.status_code == 422
    assert "Please choose one of your sender accounts." in refused.get_data(as_text=True)


def test_only_drafts_change(app, client, world):
    mailing_id = _new(client, world)
    with app.app_context():
        Mailing.update(state="sent").where(Mailing.id == mailing_id).execute()
    refused = _save(client, mailing_id, html="<p>später</p>")
    assert refused.status_code == 422 and "Only a draft can be changed." in refused.get_data(
        as_text=True
    )
    page = client.get(f"/mailings/{mailing_id}").get_data(as_text=True)
    assert 'id="composer"' not in page and "Dispatch" in page
