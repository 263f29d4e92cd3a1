"""The audit trail screen (SPEC S7): filters, keyset paging, bookmarkable URLs, read only."""

import datetime
import re
from zoneinfo import ZoneInfo

from app.audit.models import AuditEntry
from app.audit.services import record
from app.users.services import update_user
from tests import factories

ROW_RE = re.compile(r"<code>([^<]+)</code>")


def _actions(html):
    return ROW_RE.findall(html)


def _labels(html, prefix="item "):
    return re.findall(rf"({prefix}\d+)", html)


def test_changes_are_shown_as_old_to_new_with_actor_time_and_address(app, client, login_as):
    me = login_as("administrator", name="Petra Admin")
    with _as(app, me, "203.0.113.7"):
        user, _ = factories.user(name="Anna Berger")
        update_user(user, name="Anna Huber", may_send=True)
    html = client.get("/admin/audit/?action=user.update").get_data(as_text=True)
    assert "name:</span> Anna Berger → Anna Huber" in html
    assert "may_send:</span> no → yes" in html
    assert "203.0.113.7" in html
    assert re.search(r'<td class="actor" title="Petra Admin &lt;[^"]+">Petra Admin</td>', html)
    with app.app_context():
        entry = AuditEntry.get(AuditEntry.action == "user.update")
    # shown in the reader's time zone (Europe/Berlin by default), with seconds
    local = entry.created_at.replace(tzinfo=datetime.UTC).astimezone(ZoneInfo("Europe/Berlin"))
    assert local.strftime("%-I:%M:%S") in html


def test_long_values_are_shortened_and_creations_fold_their_fields(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        record("test.long", target_type="thing", changes={"text": ["a" * 200, "b"]})
    html = client.get("/admin/audit/?action=test.long").get_data(as_text=True)
    assert "a" * 79 + "…" in html and "a" * 81 not in html
    # a creation lists many fields: the first few, the rest folded away
    html = client.get("/admin/audit/?action=user.create").get_data(as_text=True)
    assert "<details>" in html and "more fields" in html


def _as(app, user, address="127.0.0.1"):
    """A request context in which `user` is the actor of what is recorded."""
    from contextlib import contextmanager

    from flask_login import login_user

    @contextmanager
    def context():
        with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
            login_user(user)
            yield

    return context()


def _berlin_day(clock, offset=0):
    """A day as the reader (time zone Europe/Berlin) counts days."""
    now = clock.utcnow().replace(tzinfo=datetime.UTC).astimezone(ZoneInfo("Europe/Berlin"))
    return (now + datetime.timedelta(days=offset)).date().isoformat()


def test_filters_by_action_actor_record_type_text_and_date(app, client, login_as, clock):
    admin = login_as("administrator", name="Petra Admin")
    clock.advance(days=-3)
    with app.app_context():
        record("list.create", target_type="list", target_label="Fachpresse Energie")
        record("list.delete", target_type="list", target_label="Alte Liste")
    with _as(app, admin):
        record("list.rename", target_type="list", target_label="Neue Liste")
    clock.reset()
    with app.app_context():
        record("mailing.create", target_type="mailing", target_label="Energie 2026")

    page = client.get("/admin/audit/").get_data(as_text=True)
    for option in ("list.create", "list.delete", "mailing.create", "Petra Admin", "mailing"):
        assert f">{option}</option>" in page

    html = client.get("/admin/audit/?action=list.delete").get_data(as_text=True)
    assert _actions(html) == ["list.delete"]
    html = client.get("/admin/audit/?target_type=list").get_data(as_text=True)
    assert _actions(html) == ["list.rename", "list.delete", "list.create"]  # newest first
    html = client.get("/admin/audit/?q=energie").get_data(as_text=True)
    assert _actions(html) == ["mailing.create", "list.create"]
    html = client.get("/admin/audit/?actor=system&target_type=list").get_data(as_text=True)
    assert _actions(html) == ["list.delete", "list.create"]  # written on the command line
    html = client.get(f"/admin/audit/?actor={admin.id}&target_type=list").get_data(as_text=True)
    assert _actions(html) == ["list.rename"]
    query = f"date_to={_berlin_day(clock, -1)}&target_type=list"
    html = client.get(f"/admin/audit/?{query}").get_data(as_text=True)
    assert _actions(html) == ["list.rename", "list.delete", "list.create"]
    html = client.get(f"/admin/audit/?date_from={_berlin_day(clock)}").get_data(as_text=True)
    assert "mailing.create" in _actions(html) and "list.create" not in _actions(html)
    query = f"date_from={_berlin_day(clock)}&date_to={_berlin_day(clock)}&target_type=mailing"
    html = client.get(f"/admin/audit/?{query}").get_data(as_text=True)
    assert _actions(html) == ["mailing.create"]
    html = client.get("/admin/audit/?q=nothing-like-this").get_data(as_text=True)
    assert "No entries match this filter." in html


def test_wrong_filter_values_answer_422_and_are_left_out(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        record("test.event", target_type="thing", target_label="still listed")
    response = client.get("/admin/audit/?date_from=31.02.2026")
    assert response.status_code == 422
    assert "Not a valid date value." in response.get_data(as_text=True)
    assert "still listed" in response.get_data(as_text=True)
    response = client.get("/admin/audit/?date_from=2026-03-10&date_to=2026-03-01")
    assert response.status_code == 422
    assert "The end date lies before the start date." in response.get_data(as_text=True)
    response = client.get("/admin/audit/?q=" + "x" * 101)
    assert response.status_code == 422
    # unknown values in the selects simply match nothing; a broken cursor is ignored
    response = client.get("/admin/audit/?action=no.such&actor=nobody&before=abc")
    assert response.status_code == 200
    assert "No entries match this filter." in response.get_data(as_text=True)


def test_paging_fifty_at_a_time_newest_first(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        for n in range(1, 121):
            record("test.item", target_type="thing", target_label=f"item {n}")
    first = client.get("/admin/audit/?action=test.item").get_data(as_text=True)
    labels = _labels(first)
    assert len(labels) == 50 and labels[0] == "item 120" and labels[-1] == "item 71"
    assert "Newer" not in first and "Newest" not in first
    older = re.search(r'href="([^"]+)"[^>]*rel="next"', first).group(1).replace("&amp;", "&")
    assert "action=test.item" in older and "before=" in older  # the filter stays

    second = client.get(older).get_data(as_text=True)
    assert _labels(second)[0] == "item 70" and _labels(second)[-1] == "item 21"
    older = re.search(r'href="([^"]+)"[^>]*rel="next"', second).group(1).replace("&amp;", "&")
    third = client.get(older).get_data(as_text=True)
    assert _labels(third) == [f"item {n}" for n in range(20, 0, -1)]
    assert 'rel="next"' not in third

    newer = re.search(r'href="([^"]+)"[^>]*rel="prev"', third).group(1).replace("&amp;", "&")
    back = client.get(newer).get_data(as_text=True)
    assert _labels(back) == _labels(second)
    newer = re.search(r'href="([^"]+)"[^>]*rel="prev"', back).group(1).replace("&amp;", "&")
    assert _labels(client.get(newer).get_data(as_text=True)) == labels
    # entries appended meanwhile do not shift an older page
    with app.app_context():
        record("test.item", target_type="thing", target_label="item 121")
    assert _labels(client.get(older).get_data(as_text=True)) == _labels(third)


def test_htmx_request_gets_the_table_and_a_clean_address(client, login_as):
    login_as("administrator")
    response = client.get(
        "/admin/audit/?action=user.login&actor=&target_type=&q=&date_from=&date_to=",
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="audit-results">') and "<html" not in html
    assert response.headers["HX-Push-Url"] == "/admin/audit/?action=user.login"
    full = client.get("/admin/audit/?action=user.login").get_data(as_text=True)
    assert 'hx-push-url="true"' in full and '<option selected value="user.login">' in full


def test_entries_cannot_be_changed_through_the_application(app, client, login_as):
    login_as("administrator")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("audit.")]
    assert rules and all(r.methods - {"HEAD", "OPTIONS"} == {"GET"} for r in rules)
    token_page = client.get("/admin/users/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', token_page).group(1)
    for method in ("POST", "PUT", "DELETE"):
        response = client.open("/admin/audit/", method=method, data={"csrf_token": token})
        assert response.status_code == 405


def test_a_newer_cursor_past_the_newest_entry_shows_the_newest_page(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        record("test.item", target_type="thing", target_label="item 1")
    html = client.get("/admin/audit/?action=test.item&after=999999").get_data(as_text=True)
    assert _labels(html) == ["item 1"] and 'rel="prev"' not in html
