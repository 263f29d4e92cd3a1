"""Forms of the sender administration. Only these fields are read from a request; the
service checks the values (required, address, duplicates)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import Length


class SenderForm(FlaskForm):
    display_name = StringField(
        _l("Display name"),
        validators=[Length(max=200)],
        description=_l("What recipients see as the sender, e.g. “Press office Muster AG”."),
    )
    address = EmailField(_l("Sender address"), validators=[Length(max=254)])
    reply_to = EmailField(
        _l("Reply-to address (optional)"),
        validators=[Length(max=254)],
        description=_l("Replies go here instead of the sender address."),
    )


class ConfirmForm(FlaskForm):
    """A button that changes state: only the CSRF token."""
