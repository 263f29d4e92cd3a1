"""The security settings screen: every run-time setting, checked, saved and audited."""

import json
import re

from app.audit.models import AuditEntry
from app.settings.services import DEFINITIONS, get
from tests import factories
from tests.conftest import csrf_token


def _current(app):
    """The form as it stands: every setting with its current value (unchecked boxes absent)."""
    with app.app_context():
        values = {key: get(key) for key in DEFINITIONS}
    return {
        key: ("y" if value else None) if isinstance(value, bool) else str(value)
        for key, value in values.items()
    }


def _save(client, app, **changes):
    data = {**_current(app), **changes}
    data = {key: value for key, value in data.items() if value is not None}
    data["csrf_token"] = csrf_token(client, "/admin/settings/")
    return client.post("/admin/settings/", data=data)


def test_every_setting_is_on_the_screen_with_its_limits(client, login_as):
    login_as("administrator")
    html = client.get("/admin/settings/").get_data(as_text=True)
    for key, definition in DEFINITIONS.items():
        if isinstance(definition.default, bool):
            assert re.search(rf'<input[^>]*id="{key}"[^>]*type="checkbox"', html), key
        elif definition.choices is not None:
            select = re.search(rf'<select[^>]*id="{key}"[^>]*>(.*?)</select>', html, re.S).group(1)
            assert f'<option selected value="{definition.default}">' in select, key
        else:
            tag = re.search(rf'<input[^>]*id="{key}"[^>]*>', html).group(0)
            assert 'type="number"' in tag and f'value="{definition.default}"' in tag
            assert f'min="{definition.minimum}"' in tag and f'max="{definition.maximum}"' in tag
    assert "Minimum password length" in html


def test_saving_changes_the_setting_and_audits_old_and_new(app, client, login_as):
    login_as("administrator")
    response = _save(client, app, password_min_length="12", require_second_factor="y")
    assert response.status_code == 302
    assert "The settings have been saved." in client.get("/admin/settings/").get_data(as_text=True)
    with app.app_context():
        assert get("password_min_length") == 12 and get("require_second_factor") is True
        entries = {
            e.target_label: json.loads(e.changes)
            for e in AuditEntry.select().where(AuditEntry.action == "setting.update")
        }
    assert entries == {
        "password_min_length": {"password_min_length": [8, 12]},
        "require_second_factor": {"require_second_factor": [False, True]},
    }
    # an unchecked box switches the setting off again
    assert _save(client, app, require_second_factor=None).status_code == 302
    with app.app_context():
        assert get("require_second_factor") is False
    # nothing changed: nothing saved, and said so
    _save(client, app)
    assert "Nothing was changed." in client.get("/admin/settings/").get_data(as_text=True)


def test_values_out_of_range_answer_422_and_change_nothing(app, client, login_as):
    login_as("administrator")
    for key, value, message in [
        ("password_min_length", "7", "Enter a whole number from 8 to 128."),
        ("lockout_minutes", "100000", "Enter a whole number from 1 to 1440."),
        ("session_idle_minutes", "zehn", "Not a valid integer value."),
        ("lockout_attempts", "", "Please enter a number."),
    ]:
        response = _save(client, app, **{key: value, "session_max_hours": "24"})
        assert response.status_code == 422, key
        assert message in response.get_data(as_text=True), key
    with app.app_context():
        assert get("session_max_hours") == DEFINITIONS["session_max_hours"].default
        assert not AuditEntry.select().where(AuditEntry.action == "setting.update").exists()


def test_named_users_cannot_fall_below_the_active_users(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        factories.user()
        factories.user(active=False)
    response = _save(client, app, named_users="1", lockout_minutes="45")
    assert response.status_code == 422
    assert "2 users are active." in response.get_data(as_text=True)
    with app.app_context():
        assert get("named_users") == DEFINITIONS["named_users"].default
        assert get("lockout_minutes") == DEFINITIONS["lockout_minutes"].default
    assert _save(client, app, named_users="2").status_code == 302


def test_settings_need_the_csrf_token(app, client, login_as):
    login_as("administrator")
    response = client.post("/admin/settings/", data={**_current(app), "password_min_length": "20"})
    assert response.status_code == 400
    with app.app_context():
        assert get("password_min_length") == 8


def test_service_refuses_values_the_form_would_not_send(app_ctx):
    import pytest

    from app.settings.services import SettingError, save_settings

    with pytest.raises(SettingError):
        save_settings({"password_min_length": 3})
    assert get("password_min_length") == 8


def test_a_value_refused_by_the_service_answers_422(app, client, login_as, monkeypatch):
    from app.settings import views
    from app.settings.services import SettingError

    def refuse(values):
        raise SettingError("lockout_minutes")

    monkeypatch.setattr(views, "save_settings", refuse)
    login_as("administrator")
    response = _save(client, app, lockout_minutes="45")
    assert response.status_code == 422
    assert "This value is not allowed." in response.get_data(as_text=True)


def test_the_organisation_country_is_a_country_chosen_from_the_list(app, client, login_as):
    login_as("administrator")
    html = client.get("/admin/settings/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    # named in the screen's language, sorted by that name (Ö with O)
    assert '<option selected value="DE">Deutschland</option>' in html
    assert html.index(">Oman<") < html.index(">Österreich<") < html.index(">Pakistan<")
    assert 'value="ZZ"' not in html and 'value="EU"' not in html
    for value in ("XX", "de", ""):
        response = _save(client, app, organisation_country=value)
        assert response.status_code == 422, value
        assert "Not a valid choice." in response.get_data(as_text=True)
    with app.app_context():
        assert get("organisation_country") == "DE"
    assert _save(client, app, organisation_country="AT").status_code == 302
    with app.app_context():
        assert get("organisation_country") == "AT"
        entry = AuditEntry.get(AuditEntry.action == "setting.update")
        assert json.loads(entry.changes) == {"organisation_country": ["DE", "AT"]}


def test_service_refuses_a_country_that_is_none(app_ctx):
    import pytest

    from app.settings.services import SettingError, set_value

    for value in ("XX", "EU", "de", None):
        with pytest.raises(SettingError):
            set_value("organisation_country", value)
    set_value("organisation_country", "CH")
    assert get("organisation_country") == "CH"
