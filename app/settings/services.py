"""Typed run-time settings with defaults; every change is audited."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass

from babel import Locale
from flask import g, has_app_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.settings.models import Setting
from app.statements import Statement


@dataclass(frozen=True)
class Definition:
    key: str
    label: object
    default: object
    minimum: int | None = None
    maximum: int | None = None
    help: object = ""
    choices: object = None  # for a text setting: a function giving {value: label}


# ISO 3166 codes that are no country (user-assigned, regions, the unknown region)
_NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}


def country_choices() -> dict:
    """Every country by its two-letter code, named in the current language and sorted by
    that name."""
    names = (get_locale() or Locale.parse("en")).territories
    codes = [c for c in names if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES]
    return {code: names[code] for code in sorted(codes, key=lambda c: _sort_key(names[c]))}


def _sort_key(name: str) -> str:
    """A sort key that puts Ö with O and É with E (no system locale needed)."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


DEFINITIONS = {
    d.key: d
    for d in [
        Definition("password_min_length", _l("Minimum password length"), 8, 8, 128),
        Definition(
            "password_max_age_days",
            _l("Password change interval (days, 0 = never)"),
            0,
            0,
            3650,
            _l("Forced rotation is discouraged by current guidance; use it only if a policy asks."),
        ),
        Definition("lockout_attempts", _l("Wrong attempts before an account is locked"), 5, 3, 20),
        Definition("lockout_minutes", _l("Lock duration (minutes)"), 30, 1, 1440),
        Definition("session_idle_minutes", _l("Sign out after inactivity (minutes)"), 30, 5, 480),
        Definition("session_max_hours", _l("Longest session (hours)"), 12, 1, 72),
        Definition("require_second_factor", _l("Second factor required for everyone"), False),
        Definition("named_users", _l("Licensed named users"), 5, 1, 100000),
        Definition(
            "mailing_attachments_mb",
            _l("Largest total size of a mailing's attachments (MB)"),
            10,
            1,
            50,
            _l("Many editorial mail servers refuse messages above 10 to 20 MB."),
        ),
        Definition(
            "relay_per_second",
            _l("Messages per second to the mail relay (0 = no limit)"),
            0,
            0,
            10000,
        ),
        Definition(
            "relay_per_hour",
            _l("Messages per hour to the mail relay (0 = no limit)"),
            0,
            0,
            10_000_000,
            _l("Many providers limit how much one customer may send per hour."),
        ),
        Definition(
            "starting_phase",
            _l("Starting phase: at most 100 recipients per mailing"),
            False,
        ),
        Definition(
            "tracking",
            _l("Track opens and clicks of mailings"),
            False,
            help=_l(
                "Off by default, for the recipients' privacy: when on, messages carry a "
                "tracking pixel and links that pass through this server, and the report "
                "shows open and click rates. Mail programs that block images make open "
                "rates too low."
            ),
        ),
        Definition(
            "blacklist_hard_bounces",
            _l("Put hard-bounced addresses on the blacklist"),
            False,
            help=_l(
                "Hard-bounced addresses receive no mailings anyway until corrected; on the "
                "blacklist they stay excluded even when corrected or confirmed."
            ),
        ),
        Definition(
            "organisation_country",
            _l("Country of the organisation"),
            "DE",
            help=_l("Letters to addresses in another country end with the country's name."),
            choices=country_choices,
        ),
    ]
}


class SettingError(ValueError):
    pass


def _stored() -> dict:
    """All stored settings, read once per application context (one request, one task):
    every signed-in request needs three of them (timeouts, second factor)."""
    if not has_app_context():
        return _read()
    if "settings" not in g:
        g.settings = _read()
    return g.settings


_ALL = Statement(lambda: Setting.select(Setting.key, Setting.value))  # compiled once (D41)


def _read() -> dict:
    return {key: json.loads(value) for key, value in _ALL.rows()}


def _forget() -> None:
    """Drop the context's copy after a write (and after a rollback: it may hold values
    that were never committed)."""
    if has_app_context():
        g.pop("settings", None)


def get(key: str):
    """The current value of a setting (its default until an administrator changes it)."""
    return _stored().get(key, DEFINITIONS[key].default)


def set_value(key: str, value) -> None:
    """Change a setting after checking type and range; audited in the same transaction."""
    from app.audit.services import record

    definition = DEFINITIONS[key]
    if isinstance(definition.default, bool):
        value = bool(value)
    elif isinstance(definition.default, str):
        value = str(value or "").strip()
        if definition.choices is not None and value not in definition.choices():
            raise SettingError(key)
    else:
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise SettingError(key) from None
        if definition.minimum is not None and value < definition.minimum:
            raise SettingError(key)
        if definition.maximum is not None and value > definition.maximum:
            raise SettingError(key)
    with db.atomic():
        old = get(key)
        if old == value:
            return
        Setting.insert(key=key, value=json.dumps(value)).on_conflict(
            conflict_target=[Setting.key], update={Setting.value: json.dumps(value)}
        ).execute()
        _forget()
        record(
            "setting.update", target_type="setting", target_label=key, changes={key: [old, value]}
        )


def save_settings(values: dict) -> dict:
    """Store several settings in one transaction (the administrator's settings screen) and
    return {key: [old, new]} for those that changed. The licensed number of named users may
    not fall below the number of active users: surplus users must be deactivated first
    (SPEC A1). Raises SettingError(key, message)."""
    try:
        return _save(values)
    except Exception:
        _forget()
        raise


def _save(values: dict) -> dict:
    from flask_babel import gettext as _

    from app.users.services import _serialise_user_administration, active_user_count

    changed = {}
    with db.atomic():
        if "named_users" in values:
            _serialise_user_administration()
            active = active_user_count()
            if int(values["named_users"]) < active:
                raise SettingError(
                    "named_users",
                    _(
                        "%(active)d users are active. Deactivate users before you lower the "
                        "number of named users below that.",
                        active=active,
                    ),
                )
        for key, value in values.items():
            old = get(key)
            set_value(key, value)
            if get(key) != old:
                changed[key] = [old, get(key)]
    return changed
