"""A person's contact history (SPEC C5): notes, calls and documents through real requests,
files in the store, rights, bad input."""

import io
import json
from pathlib import Path

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.audit.models import AuditEntry
from app.contacts.models import HistoryEntry
from app.files import path_for
from tests.conftest import csrf_token


def _add(client, person_id, **data):
    """POST the history form as multipart, the body built in memory (the test client would
    spool files to a temporary file it never closes)."""
    token = csrf_token(client, f"/contacts/{person_id}/history")
    if "file" in data:
        stream, name = data["file"]
        data["file"] = FileStorage(stream, name)
    boundary, body = encode_multipart({"csrf_token": token, **data})
    return client.post(
        f"/contacts/{person_id}/history",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_notes_calls_and_documents_newest_first(app, client, world):
    anna = world["anna"]
    assert (
        _add(
            client,
            anna,
            kind="note",
            body="Mag keine Anrufe vor 10 Uhr",
            occurred_at="2026-01-05T09:00",
        ).status_code
        == 302
    )
    assert (
        _add(
            client,
            anna,
            kind="call",
            direction="out",
            subject="Interview Energie",
            body="Zusage für Dienstag",
            occurred_at="2026-02-01T14:30",
        ).status_code
        == 302
    )
    pdf = b"%PDF-1.4 press kit"
    response = _add(
        client,
        anna,
        kind="document",
        subject="",
        occurred_at="2026-03-01T08:00",
        file=(io.BytesIO(pdf), "Pressemappe 2026.pdf"),
    )
    assert response.status_code == 302
    html = client.get(f"/contacts/{anna}/history").get_data(as_text=True)
    order = [html.index(t) for t in ("Pressemappe 2026.pdf", "Interview Energie", "Mag keine")]
    assert order == sorted(order), "newest first"
    assert "outgoing" in html
    with app.app_context():
        document = HistoryEntry.get(HistoryEntry.kind == "document")
        assert document.file_size == len(pdf) and document.file_type == "application/pdf"
        assert path_for(document.file_sha256).read_bytes() == pdf
        actions = [e.action for e in AuditEntry.select().where(AuditEntry.target_id == anna)]
        assert actions.count("person.history_add") == 3
    download = client.get(f"/contacts/{anna}/history/{document.id}/file")
    assert download.status_code == 200 and download.data == pdf
    assert download.headers["Content-Type"] == "application/pdf"
    download.close()


def test_an_html_upload_is_only_ever_downloaded(app, client, world):
    anna = world["anna"]
    _add(client, anna, kind="document", file=(io.BytesIO(b"<script>alert(1)</script>"), "x.html"))
    with app.app_context():
        entry = HistoryEntry.get(HistoryEntry.kind == "document")
    response = client.get(f"/contacts/{anna}/history/{entry.id}/file")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_bad_input_is_explained_and_kept(client, world):
    anna = world["anna"]
    cases = [
        ({"kind": "note", "body": ""}, "Please write the note."),
        ({"kind": "call", "subject": "", "body": ""}, "Please say what the call was about."),
        ({"kind": "document"}, "Please choose a file."),
        ({"kind": "note", "body": "x", "occurred_at": "gestern"}, "Please give a date and time."),
        (
            {"kind": "note", "body": "x", "occurred_at": "2999-01-01T10:00"},
            "This lies in the future.",
        ),
        ({"kind": "note", "body": "x", "subject": "s" * 201}, "At most 200 characters, please."),
        ({"kind": "virus", "body": "x"}, "Please choose a note, a call or a document."),
        ({"kind": "document", "file": (io.BytesIO(b""), "leer.pdf")}, "The file is empty."),
    ]
    for data, message in cases:
        response = _add(client, anna, **data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    kept = _add(client, anna, kind="note", body="<b>wichtig</b>", occurred_at="gestern")
    assert "&lt;b&gt;wichtig&lt;/b&gt;" in kept.get_data(as_text=True)


def test_too_large_a_document_is_refused(app, client, world, monkeypatch):
    from app.contacts import history

    monkeypatch.setattr(history, "DOCUMENT_MAX_BYTES", 1024 * 1024)
    response = _add(
        client,
        world["anna"],
        kind="document",
        file=(io.BytesIO(b"x" * (1024 * 1024 + 1)), "gross.pdf"),
    )
    assert response.status_code == 422
    assert "The file is larger than 1 MB." in response.get_data(as_text=True)
    with app.app_context():
        assert HistoryEntry.select().count() == 0
    stored = Path(app.config["DATA_DIR"]) / "files"
    assert not [p for p in stored.rglob("*") if p.is_file()], "no file is kept"


def test_removing_a_document_deletes_its_bytes_when_unused(app, client, world):
    anna, juergen = world["anna"], world["juergen"]
    for person in (anna, juergen):
        _add(client, person, kind="document", file=(io.BytesIO(b"same bytes"), "a.txt"))
    with app.app_context():
        first, second = HistoryEntry.select().order_by(HistoryEntry.id)
        path = path_for(first.file_sha256)
    token = csrf_token(client, f"/contacts/{anna}/history")
    client.post(f"/contacts/{anna}/history/{first.id}/delete", data={"csrf_token": token})
    assert path.exists(), "still used by the second entry"
    client.post(f"/contacts/{juergen}/history/{second.id}/delete", data={"csrf_token": token})
    assert not path.exists()
    with app.app_context():
        deleted = AuditEntry.get(AuditEntry.action == "person.history_delete")
        assert json.loads(deleted.details)["file"] == "a.txt"


def test_rights_read_only_and_hidden(app, client, world):
    bea, geheim = world["bea"], world["geheim"]
    assert client.get(f"/contacts/{bea}/history").status_code == 200
    assert "Add a note, call or document" not in client.get(f"/contacts/{bea}/history").get_data(
        as_text=True
    )
    assert _add(client, bea, kind="note", body="x").status_code == 403
    assert _add(client, geheim, kind="note", body="x").status_code == 404
    assert client.get(f"/contacts/{geheim}/history").status_code == 404
    _add(client, world["anna"], kind="note", body="x")
    with app.app_context():
        entry = HistoryEntry.get()
    # an entry of one person is not reachable through another person's URL
    assert client.get(f"/contacts/{world['juergen']}/history/{entry.id}/file").status_code == 404
    token = csrf_token(client, "/contacts/")
    answer = client.post(f"/contacts/{bea}/history/{entry.id}/delete", data={"csrf_token": token})
    assert answer.status_code == 403
