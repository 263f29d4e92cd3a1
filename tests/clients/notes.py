"""A client-owned model and its routes that exist only in the tests: they prove that the
scoping base (app.clients.scoping.ClientScoped) gives a feature its rights by construction,
the way contacts, lists and mailings will use it."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template_string, request, url_for
from flask_login import current_user
from peewee import CharField

from app.clients.models import FULL
from app.clients.scoping import ClientScoped, require_client
from app.security import signed_in


class Note(ClientScoped):
    title = CharField(max_length=200)
    email = CharField(max_length=254, default="")

    class Meta:
        table_name = "test_note"


bp = Blueprint("test_notes", __name__, url_prefix="/test-notes")

LIST = """<h1>Notes ({{ count }})</h1>
<ul>{% for note in notes %}<li>{{ note.title }} {{ note.email }}
{% if note.client_id in writable %}<button>edit</button>{% endif %}</li>{% endfor %}</ul>"""
PAGE = """<h1>{{ note.title }}</h1><p>{{ note.email }}</p>
{% if note.writable_for(current_user) %}<form method="post" action="{{ url_for('test_notes.edit',
note_id=note.id) }}"><button>edit</button></form>{% endif %}"""


@bp.route("/")
@signed_in
def index():
    from app.clients.services import client_id_set

    user = current_user._get_current_object()
    notes = Note.visible_to(user).order_by(Note.title)
    return render_template_string(
        LIST, notes=notes, count=notes.count(), writable=client_id_set(user, FULL)
    )


@bp.route("/<int:note_id>")
@signed_in
def show(note_id):
    return render_template_string(PAGE, note=Note.get_visible_or_404(current_user, note_id))


@bp.route("/new", methods=["POST"])
@signed_in
def create():
    client = require_client(current_user, request.form.get("client_id"), FULL)
    note = Note.create_for(current_user, client, title=request.form.get("title") or "?")
    return redirect(url_for("test_notes.show", note_id=note.id))


@bp.route("/<int:note_id>/edit", methods=["POST"])
@signed_in
def edit(note_id):
    note = Note.get_writable_or_403(current_user, note_id)
    note.title = request.form.get("title") or note.title
    note.save()
    return redirect(url_for("test_notes.show", note_id=note.id))


@bp.route("/<int:note_id>/delete", methods=["POST"])
@signed_in
def delete(note_id):
    note = Note.get_writable_or_403(current_user, note_id)
    note.delete_instance()
    return redirect(url_for("test_notes.index"))


@bp.route("/<int:note_id>/move", methods=["POST"])
@signed_in
def move(note_id):
    note = Note.get_writable_or_403(current_user, note_id)
    target = require_client(current_user, request.form.get("client_id"), FULL)
    note.move_to(current_user, target)
    return redirect(url_for("test_notes.show", note_id=note.id))
